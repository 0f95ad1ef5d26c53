import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { sql } from 'slonik';
import { z } from 'zod';
import { CommissionEngine, type EventInput } from '../activities/commission-engine.ts';
import { LedgerStore } from '../activities/ledger-store.ts';
import { PolicyStore } from '../activities/policy-store.ts';
import { appendAuditRecord } from '../activities/audit-store.ts';
import { IdentityStore } from '../api/auth/identity.ts';
import { recordBonusRequest, startBonusWorkflow } from '../api/start-bonus.ts';
import type { UserRole } from '../domain/access.ts';
import type { BonusRequest } from '../domain/bonus.ts';
import { Money, formatMoney } from '../domain/money.ts';
import { ranks, type Rank } from '../domain/network.ts';
import { defaultPolicy } from '../domain/policy.ts';
import { applicationUrl, createDatabase } from '../db/pool.ts';

export interface DemoCredentials {
  email: string;
  password: string;
  role: UserRole;
  totpSecret?: string;
}

const demoPartnerCount = 300;
const demoUsers: { email: string; role: UserRole; partnerId?: string }[] = [
  { email: 'admin@demo.ledgerflow', role: 'admin' },
  { email: 'senior@demo.ledgerflow', role: 'senior_admin' },
  { email: 'manager@demo.ledgerflow', role: 'finance_manager' },
  { email: 'director@demo.ledgerflow', role: 'finance_director' },
  { email: 'support@demo.ledgerflow', role: 'financial_support' },
  { email: 'leader@demo.ledgerflow', role: 'partner', partnerId: 'demo-0001' },
  { email: 'partner@demo.ledgerflow', role: 'partner', partnerId: 'demo-0042' },
];
/** Demo passwords are public on purpose: the demo data set is for trying ledgerflow, never for production. */
const demoPassword = (email: string) => `demo-${email.split('@')[0]}-pass`;

/** A small deterministic generator, so every demo network has the same shape. */
function seededRandom(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

/**
 * Seeds the demo data set once: a network of 300 partners under one leader, opening balances posted to the
 * ledger, a few bonuses run as real `bonus-<id>` workflows (so the Temporal UI has histories to show), and a
 * login for each admin role and two partners. On later starts it only reads the logins back.
 */
export async function seedDemo(input: { databaseUrl: string; temporalAddress: string; namespace: string; taskQueue: string }) {
  const database = await createDatabase(applicationUrl(input.databaseUrl), { maximumPoolSize: 4 });
  try {
    const seeded = await database.exists(sql.unsafe`SELECT 1 FROM users WHERE email = ${demoUsers[0]!.email}`);
    if (!seeded) await createDemoData(database, input);
    const secrets = await database.any(sql.type(z.object({ email: z.string(), totp_secret: z.string().nullable() }))`
      SELECT email, totp_secret FROM users WHERE email = ANY(${sql.array(demoUsers.map((user) => user.email), 'text')})`);
    const credentials: DemoCredentials[] = demoUsers.map((user) => {
      const secret = secrets.find((row) => row.email === user.email)?.totp_secret;
      return { email: user.email, password: demoPassword(user.email), role: user.role, ...(secret ? { totpSecret: secret } : {}) };
    });
    return { created: !seeded, credentials };
  } finally {
    await database.end();
  }
}

async function createDemoData(
  database: Awaited<ReturnType<typeof createDatabase>>,
  input: { temporalAddress: string; namespace: string; taskQueue: string },
) {
  const random = seededRandom(20_261_122);
  const partners: { id: string; sponsorId: string | null; rank: Rank }[] = [];
  for (let index = 1; index <= demoPartnerCount; index += 1) {
    const id = `demo-${String(index).padStart(4, '0')}`;
    // Sponsors come from earlier partners, biased towards recent ones, so the network is a few levels deep.
    const sponsorId = index === 1 ? null : partners[Math.floor(Math.max(0, index - 2 - random() * Math.min(index - 1, 25)))]!.id;
    const rankIndex = index === 1 ? ranks.indexOf('9') : Math.floor(random() * random() * 10);
    partners.push({ id, sponsorId, rank: ranks[rankIndex]! });
  }
  await database.query(sql.unsafe`
    INSERT INTO partners (id, name, sponsor_id, rank, status, kyc_status, joined_at)
    SELECT id, 'Demo Partner ' || right(id, 4), sponsor_id, rank,
           CASE WHEN ordinality % 29 = 0 THEN 'SUSPENDED' ELSE 'ACTIVE' END,
           CASE WHEN ordinality % 7 = 0 THEN 'PENDING' ELSE 'APPROVED' END,
           now() - make_interval(days => (400 - ordinality)::integer)
    FROM unnest(${sql.array(partners.map((partner) => partner.id), 'text')},
                ${sql.array(partners.map((partner) => partner.sponsorId), 'text')},
                ${sql.array(partners.map((partner) => partner.rank), 'text')}) WITH ORDINALITY AS p (id, sponsor_id, rank, ordinality)
    ON CONFLICT (id) DO NOTHING`);

  const identity = new IdentityStore(database, defaultPolicy);
  const createdUsers = new Map<string, string>();
  for (const user of demoUsers) {
    const created = await identity.createUser({
      email: user.email,
      password: demoPassword(user.email),
      role: user.role,
      partnerId: user.partnerId,
      actor: 'system:demo',
    });
    createdUsers.set(user.email, created.id);
  }

  // Opening balances: what each partner's earlier commissions left in each bucket, posted as real entries.
  const ledger = new LedgerStore(database);
  const entries = partners.map((partner, index) => {
    const available = new Money(Math.floor(random() * 500_000)).dividedBy(100);
    const approved = new Money(Math.floor(random() * 100_000)).dividedBy(100);
    const pending = new Money(Math.floor(random() * 50_000)).dividedBy(100);
    const total = available.plus(approved).plus(pending);
    const partnerAccount = (bucket: 'available' | 'commission_approved' | 'commission_pending', amount: Money) => ({
      account: { ownerType: 'partner' as const, ownerId: partner.id, bucket, currency: 'USD' },
      amount: formatMoney(amount, 'USD'),
    });
    return {
      idempotencyKey: `demo-opening-${partner.id}`,
      kind: 'opening_balance',
      description: 'Demo opening balance',
      metadata: { partnerId: partner.id, demo: true, index },
      postings: [
        { account: { ownerType: 'platform' as const, ownerId: 'platform', bucket: 'commission_expense' as const, currency: 'USD' }, amount: formatMoney(total.negated(), 'USD') },
        ...[partnerAccount('available', available), partnerAccount('commission_approved', approved), partnerAccount('commission_pending', pending)].filter(
          (posting) => !new Money(posting.amount).isZero(),
        ),
      ],
    };
  });
  const posted = await ledger.postEntries(entries);
  await database.transaction(async (transaction) => {
    for (const [index, entry] of entries.entries()) {
      await appendAuditRecord(transaction, {
        action: 'BALANCE_ADJUST',
        actor: 'system:demo',
        targetType: 'partner',
        targetId: partners[index]!.id,
        amount: new Money(entry.postings[0]!.amount).negated().toFixed(2),
        currency: 'USD',
        balanceBefore: '0.00',
        balanceAfter: entry.postings.find((posting) => posting.account.bucket === 'available')?.amount ?? '0.00',
        reason: 'demo opening balance',
        entryId: posted[index]!.entryId,
      });
    }
  });

  // Commission events of the last three weeks through the real engine: the older ones are past their 14-day hold,
  // so the release schedule approves them within a minute of the worker starting; one order is cancelled, and
  // the euro orders are converted at the demo's platform rate.
  await database.query(sql.unsafe`
    INSERT INTO fx_rates (currency, effective_at, usd_rate, created_by)
    VALUES ('EUR', now() - interval '60 days', '1.0850', 'system:demo'), ('RUB', now() - interval '60 days', '0.0108', 'system:demo')
    ON CONFLICT DO NOTHING`);
  const engine = new CommissionEngine(database, ledger, new PolicyStore(database));
  const events: EventInput[] = [];
  for (let index = 1; index <= 240; index += 1) {
    const seller = partners[Math.floor(random() * partners.length)]!;
    const completedAt = new Date(Date.now() - Math.floor(random() * 21 * 86_400_000)).toISOString();
    const kind = index % 10 === 0 ? 'INVESTMENT_CONFIRMED' : index % 15 === 0 ? 'INVESTMENT_PROFIT' : 'ORDER_COMPLETED';
    const currency = index % 12 === 0 ? 'EUR' : index % 25 === 0 ? 'RUB' : 'USD';
    const amount = formatMoney(new Money(Math.floor(random() * (currency === 'RUB' ? 10_000_000 : 200_000) + 1_000)).dividedBy(100), currency);
    events.push({
      externalId: `demo-event-${index}`, kind, sourceId: `demo-${kind === 'ORDER_COMPLETED' ? 'order' : 'investment'}-${index}`,
      partnerId: index % 40 === 0 ? null : seller.id, completedAt, amount, currency, repeatPurchase: index % 7 === 0 && kind === 'ORDER_COMPLETED',
    });
  }
  events.push({ externalId: 'demo-event-yield', kind: 'PORTFOLIO_YIELD', sourceId: 'demo-yield-1', partnerId: 'demo-0001', completedAt: new Date(Date.now() - 86_400_000).toISOString(), amount: '25000.00', currency: 'USD', yieldRate: '0.035' });
  const cancelled = events.find((event) => event.kind === 'ORDER_COMPLETED' && event.partnerId !== null)!;
  events.push({ externalId: 'demo-event-cancel', kind: 'ORDER_CANCELLED', sourceId: cancelled.sourceId, partnerId: null, completedAt: new Date().toISOString() });
  await engine.ingest(events, 'system:demo');

  // A few bonuses through the real lifecycle: they wait in the task queue until the worker starts.
  const connection = await Connection.connect({ address: input.temporalAddress });
  try {
    const client = new Client({ connection, namespace: input.namespace });
    const adminId = createdUsers.get('admin@demo.ledgerflow')!;
    const bonuses: Omit<BonusRequest, 'bonusId' | 'actorUserId' | 'ip'>[] = [
      { partnerId: 'demo-0001', amount: '250.00', currency: 'USD', reason: 'Demo: leadership recognition' },
      { partnerId: 'demo-0042', amount: '75.50', currency: 'USD', reason: 'Demo: promotion bonus' },
      { partnerId: 'demo-0042', amount: '-20.00', currency: 'USD', reason: 'Demo: correction of a duplicate bonus' },
      { partnerId: 'demo-0100', amount: '40.00', currency: 'EUR', reason: 'Demo: event prize (EUR wallet)' },
    ];
    for (const bonus of bonuses) {
      const request: BonusRequest = { ...bonus, bonusId: randomUUID(), actorUserId: adminId, ip: null };
      await database.transaction((transaction) => recordBonusRequest(transaction, request));
      await startBonusWorkflow(client, input.taskQueue, request);
    }
  } finally {
    await connection.close();
  }
}
