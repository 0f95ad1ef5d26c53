import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { sql } from 'slonik';
import { z } from 'zod';
import { recordManualAdjustment, startAdjustmentWorkflow } from '../modules/adjustments/manual-adjustments.ts';
import { appendAuditRecord } from '../modules/audit/audit-store.ts';
import { recordChargeback, startChargeback } from '../modules/chargebacks/record-chargeback.ts';
import { CommissionEngine, type EventInput } from '../modules/commissions/ingest-events.ts';
import { recordDispute, startDisputeWorkflow } from '../modules/disputes/record-dispute.ts';
import { LedgerStore } from '../modules/ledger/ledger-store.ts';
import { PolicyStore } from '../modules/policy/policy-store.ts';
import { recordRefundRequest, startRefundWorkflow } from '../modules/refunds/request-refund.ts';
import { IdentityStore } from '../modules/identity/identity.ts';
import { PasswordHasher, type ScryptCost } from '../modules/identity/password.ts';
import { createPayout, type PayoutInput } from '../modules/payouts/create-payout.ts';
import { startPayoutOrUndo } from '../modules/payouts/start-payout.ts';
import { recordBonusRequest } from '../modules/bonuses/bonus-store.ts';
import { startBonusWorkflow } from '../modules/bonuses/start-bonus.ts';
import type { UserRole } from '../domain/access.ts';
import type { ManualAdjustmentRequest } from '../domain/adjustment.ts';
import type { BonusRequest } from '../domain/bonus.ts';
import { Money, formatMoney } from '../domain/money.ts';
import { ranks, type Rank } from '../domain/network.ts';
import { defaultPolicy } from '../domain/policy.ts';
import { applicationUrl, createDatabase, type Database } from '../db/pool.ts';

export interface DemoCredentials {
  email: string;
  password: string;
  role: UserRole;
  totpSecret?: string;
}

const demoPartnerCount = 300;
/** The demo's partner login (partner@demo.ledgerflow). */
const demoPartnerLogin = 'demo-0042';
/** The leader's login (leader@demo.ledgerflow): the partner who files the demo's dispute. */
const demoLeaderLogin = 'demo-0001';
const demoUsers: { email: string; role: UserRole; partnerId?: string }[] = [
  { email: 'admin@demo.ledgerflow', role: 'admin' },
  { email: 'senior@demo.ledgerflow', role: 'senior_admin' },
  { email: 'manager@demo.ledgerflow', role: 'finance_manager' },
  { email: 'director@demo.ledgerflow', role: 'finance_director' },
  { email: 'support@demo.ledgerflow', role: 'financial_support' },
  { email: 'leader@demo.ledgerflow', role: 'partner', partnerId: demoLeaderLogin },
  { email: 'partner@demo.ledgerflow', role: 'partner', partnerId: demoPartnerLogin },
];
/**
 * The partner the demo's bank transfer pays. A bank account's holder name is letters only (policy pattern) and the
 * payout checklist compares it with the KYC name, so this partner has a person's name rather than "Demo Partner 0003".
 */
const demoBankTransferPartner = { id: 'demo-0003', name: 'Alex Morgan' };
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
 * ledger, a few bonuses run as real `bonus-<id>` workflows (so the Temporal UI has histories to show), payouts, a
 * refund, a chargeback, a dispute and a manual commission on their way (createDemoLifecycles), and a login for each
 * admin role and two partners. `databaseUrl` is the owner's URL. On later starts it only reads the logins back.
 */
export async function seedDemo(input: {
  databaseUrl: string;
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  /** The scrypt cost of the demo logins' hashes; OWASP's recommended one unless a test passes a cheap one. */
  passwordCost?: ScryptCost;
}) {
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
  input: { temporalAddress: string; namespace: string; taskQueue: string; passwordCost?: ScryptCost },
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
    SELECT id, CASE WHEN id = ${demoBankTransferPartner.id} THEN ${demoBankTransferPartner.name} ELSE 'Demo Partner ' || right(id, 4) END,
           sponsor_id, rank,
           CASE WHEN ordinality % 29 = 0 THEN 'SUSPENDED' ELSE 'ACTIVE' END,
           -- The partner login's own account (demo-0042) is KYC-approved, so its payout reaches the approvers.
           CASE WHEN ordinality % 7 = 0 AND id <> ${demoPartnerLogin} THEN 'PENDING' ELSE 'APPROVED' END,
           now() - make_interval(days => (400 - ordinality)::integer)
    FROM unnest(${sql.array(partners.map((partner) => partner.id), 'text')},
                ${sql.array(partners.map((partner) => partner.sponsorId), 'text')},
                ${sql.array(partners.map((partner) => partner.rank), 'text')}) WITH ORDINALITY AS p (id, sponsor_id, rank, ordinality)
    ON CONFLICT (id) DO NOTHING`);

  const identity = new IdentityStore(database, defaultPolicy, { passwords: new PasswordHasher(input.passwordCost) });
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
    const dependencies: DemoDependencies = { database, ledger: new LedgerStore(database), policies: new PolicyStore(database), temporal: client, taskQueue: input.taskQueue };
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
    await createDemoLifecycles(dependencies, createdUsers);
  } finally {
    await connection.close();
  }
}

/**
 * Issue #4's payouts as the API makes them (reserve entry, PAYOUT_REQUEST audit record, `payout-<id>`): the partner
 * login's automatic PayQuicker request and an admin's bank transfer pass the checklist to AWAITING_APPROVAL (both
 * within the first approval tier, so admin@ approves either); the WebMoney payout stays HELD, its partner's KYC
 * still pending.
 */
const demoPayouts: { requestedBy: string; input: PayoutInput }[] = [
  {
    requestedBy: 'partner@demo.ledgerflow',
    input: { partnerId: demoPartnerLogin, methodId: 'PAYQUICKER', amount: '120.00', currency: 'USD', paymentDetails: { email: 'partner@demo.ledgerflow' } },
  },
  {
    requestedBy: 'manager@demo.ledgerflow',
    input: {
      partnerId: demoBankTransferPartner.id, methodId: 'BANK_TRANSFER', amount: '480.00', currency: 'USD',
      paymentDetails: { accountName: demoBankTransferPartner.name, accountNumber: '4000123456789', routingNumber: '021000021' },
    },
  },
  {
    requestedBy: 'manager@demo.ledgerflow',
    input: { partnerId: 'demo-0014', methodId: 'WEBMONEY', amount: '60.00', currency: 'USD', paymentDetails: { purse: 'Z100000000014' } },
  },
];

const demoOrderRow = z.object({ source_id: z.string(), total: z.string(), currency: z.string() });
const commissionIdRow = z.object({ id: z.string() });

/**
 * Issues #4 and #5 in motion, each through the functions its API route calls, so rows, ledger entries, audit records
 * and workflows are the real ones: the payouts above, a refund request awaiting approval (`refund-<id>`), a chargeback
 * whose workflow reverses its order's commissions (`chargeback-<id>`), the leader's dispute of one of their
 * commissions (`dispute-<id>`, with evidence, so it goes to review) and a manual commission awaiting a senior admin's approval
 * (`adjustment-<id>`). The workflows wait in the task queue until the worker starts, like the bonuses.
 */
/** What the demo's lifecycles are started with: the same modules and client the API uses. */
interface DemoDependencies {
  database: Database;
  ledger: LedgerStore;
  policies: PolicyStore;
  temporal: Client;
  taskQueue: string;
}

async function createDemoLifecycles(dependencies: DemoDependencies, users: Map<string, string>) {
  const { database, ledger, policies, temporal, taskQueue } = dependencies;
  const userOf = (email: string) => {
    const user = demoUsers.find((candidate) => candidate.email === email);
    const id = users.get(email);
    if (!user || !id) throw new Error(`the demo has no user ${email}`);
    return { userId: id, role: user.role };
  };
  const adminOf = (email: string) => {
    const { userId, role } = userOf(email);
    if (role === 'partner') throw new Error(`${email} is not an admin`);
    return { userId, role };
  };

  for (const payout of demoPayouts) {
    const { userId, role } = userOf(payout.requestedBy);
    const created = await createPayout({ database, ledger, policies }, payout.input, {
      initiator: { userId, role, auditActor: userId },
      field: (name) => `body.${name}`,
      ip: null,
    });
    await startPayoutOrUndo({ temporal, taskQueue, ledger }, created.start!);
  }

  const { policy } = await policies.active();
  // The refund's and the chargeback's orders are paid in USD and pay no commission to a partner with a payout above,
  // so the reversals never race a payout's checklist.
  const [refundOrder, chargebackOrder] = await database.many(sql.type(demoOrderRow)`
    SELECT e.source_id, e.original_amount::text AS total, e.original_currency AS currency
    FROM commission_events e
    WHERE e.kind = 'ORDER_COMPLETED' AND e.source_id LIKE 'demo-order-%' AND e.partner_id IS NOT NULL AND e.cancelled_by IS NULL
      AND e.original_currency = 'USD'
      AND EXISTS (SELECT 1 FROM commissions c WHERE c.event_id = e.id)
      AND NOT EXISTS (SELECT 1 FROM commissions c WHERE c.event_id = e.id
                      AND c.partner_id = ANY(${sql.array(demoPayouts.map((payout) => payout.input.partnerId), 'text')}))
    ORDER BY e.id
    LIMIT 2`);
  if (!refundOrder || !chargebackOrder) throw new Error('the demo has too few orders for a refund and a chargeback');

  const support = adminOf('support@demo.ledgerflow');
  const refundId = randomUUID();
  const { row: refund } = await database.transaction((transaction) => recordRefundRequest(transaction, {
    refundId, orderId: refundOrder.source_id, reason: 'NOT_AS_DESCRIBED', note: 'Demo: the customer says the item is not as described',
    requestedBy: support, ip: null, policyVersion: policy.version, policy: policy.refunds,
  }));
  await startRefundWorkflow(temporal, taskQueue, refund, policy, support.userId);

  const manager = adminOf('manager@demo.ledgerflow');
  const { row: chargeback } = await database.transaction((transaction) => recordChargeback(transaction, {
    chargebackId: randomUUID(), providerReference: 'demo-chargeback-1', source: 'ADMIN', orderId: chargebackOrder.source_id,
    amount: formatMoney(chargebackOrder.total, chargebackOrder.currency), currency: chargebackOrder.currency, reasonCode: '13.1',
    note: 'Demo: the customer says the order never arrived', openedBy: manager.userId, ip: null, policyVersion: policy.version,
  }));
  await startChargeback(dependencies, chargeback);

  // The leader disputes their commission of the last order ingested that is neither refunded nor charged back. Not the
  // partner login: an open dispute holds the partner's payouts, and demo-0042's payout is there to be approved.
  const leader = userOf('leader@demo.ledgerflow');
  const disputedCommissionId = await database.oneFirst(sql.type(commissionIdRow)`
    SELECT c.id::text AS id FROM commissions c JOIN commission_events e ON e.id = c.event_id
    WHERE c.partner_id = ${demoLeaderLogin} AND e.kind = 'ORDER_COMPLETED' AND e.cancelled_by IS NULL
      AND e.source_id <> ALL(${sql.array([refundOrder.source_id, chargebackOrder.source_id], 'text')})
    ORDER BY e.id DESC
    LIMIT 1`);
  const disputeId = randomUUID();
  const dispute = await database.transaction((transaction) => recordDispute(transaction, {
    disputeId, partnerId: demoLeaderLogin, type: 'COMMISSION', transactionRef: disputedCommissionId,
    description: 'Demo: my commission on this order looks one level short',
    evidence: { text: 'The seller joined through my direct line in the same week; the order should count for my level.', file: null },
    openedBy: { userId: leader.userId, role: 'partner' }, ip: null, policyVersion: policy.version,
  }));
  await startDisputeWorkflow(temporal, taskQueue, dispute, policy, leader.userId);

  // A manual commission the finance manager made: above the policy's RUB threshold (150 USD is about 13,900 RUB at the
  // demo's rates), so it waits for a senior admin (senior@ or director@) instead of posting at once.
  const adjustmentId = randomUUID();
  const adjustment = {
    partnerId: demoPartnerLogin, type: 'ADJUSTMENT' as const, amount: '150.00', currency: 'USD', commissionStatus: 'PENDING' as const,
  };
  const recorded = await database.transaction((transaction) => recordManualAdjustment(transaction, {
    adjustmentId, ...adjustment, reason: 'Demo: commission missed on an order re-assigned to this partner', period: null, documentation: null,
    maker: manager, ip: null, policyVersion: policy.version, policy: policy.adjustments,
  }));
  if (!recorded.needsSeniorApproval) throw new Error(`the demo's manual commission of ${adjustment.amount} USD would post without an approval`);
  const adjustmentRequest: ManualAdjustmentRequest = { adjustmentId, ...adjustment, needsSeniorApproval: recorded.needsSeniorApproval, maker: manager };
  await startAdjustmentWorkflow(temporal, taskQueue, adjustmentRequest, policy);
}
