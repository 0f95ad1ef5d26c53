import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../db/pool.ts';
import { auditablePeriod, readTarArchive, type AuditKind } from '../../domain/audit-schedule.ts';
import { calculateChainCommissions } from '../../domain/commission.ts';
import { defaultPolicy, policySchema, type Policy } from '../../domain/policy.ts';
import { createHash } from 'node:crypto';
import {
  auditExport,
  decideFinding,
  getAuditRun,
  runAudit,
  sampleTransactions,
  signOffAuditRun,
  type AuditRun,
} from '../../modules/audits/audit-store.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { partner, platform, reconciliationKit } from '../reconciliation/kit.ts';

/**
 * The audit schedule's six kinds (docs/rules.md#audit-schedule) on the real database: each finds a planted problem and
 * nothing on clean data; a sample is reproducible from its recorded seed; a run is stored once per period; a run's
 * findings are resolved or accepted and the run signed off under its rules. Periods are in 2010, so nothing the
 * application writes today falls into them; past entries are written as the owner with their time set.
 */

let database: TestDatabase;
let pool: Database;
let owner: pg.Client;
let kit: ReturnType<typeof reconciliationKit>;

const later = new Date('2026-12-01T00:00:00Z');
const manager = { userId: '00000000-0000-4000-8000-00000000a001', role: 'finance_manager' as const };
const director = { userId: '00000000-0000-4000-8000-00000000a002', role: 'finance_director' as const };

beforeAll(async () => {
  database = await createTestDatabase();
  pool = await createDatabase(database.appUrl, { maximumPoolSize: 4 });
  owner = new pg.Client({ connectionString: database.ownerUrl });
  await owner.connect();
  kit = reconciliationKit(owner);
});

afterAll(async () => {
  await owner?.end();
  await pool?.end();
  await database?.drop?.();
});

const run = async (kind: AuditKind, period: string, requestedBy: string | null = null, seed?: string) =>
  (await runAudit(pool, { kind, period: auditablePeriod(kind, period, later), requestedBy, seed })).run;
const checks = (audit: AuditRun) => audit.findingList.map((finding) => `${finding.check} ${finding.subject}`).sort();

describe('the monthly verification of all balances', () => {
  it('finds nothing on a clean ledger, and a drifted balance and the unbalanced cache once a stored balance is tampered', async () => {
    await kit.arrangeDay('2010-01-05', 'bal');
    const clean = await run('balances', '2010-01');
    expect(clean.findingList).toEqual([]);
    expect(clean.report).toMatchObject({ accounts: 3 });

    const account = await kit.accountId(partner('bal-p', 'commission_approved'));
    await owner.query(`UPDATE account_balances SET balance = balance + 5.00 WHERE account_id = $1`, [account]);
    try {
      const tampered = await run('balances', '2010-02');
      expect(checks(tampered)).toEqual([`drifted_balance account ${account}`, 'unbalanced_currency account_balances USD']);
      expect(tampered.findingList[0]!.detail).toMatchObject({ cached_balance: '45.00', sum_of_postings: '40.00' });
    } finally {
      await owner.query(`UPDATE account_balances SET balance = balance - 5.00 WHERE account_id = $1`, [account]);
    }
  });

  it('is stored once per period: a second run returns the first, unchanged', async () => {
    const first = await runAudit(pool, { kind: 'balances', period: auditablePeriod('balances', '2010-02', later), requestedBy: null });
    expect(first.created).toBe(false);
    expect(first.run.findings.total).toBe(2);
  });
});

describe('the monthly recalculation of a sample of commissions under the policy in force at the time', () => {
  const policyV1 = policySchema.parse({ ...defaultPolicy, version: 9001 });
  // From June 2010 the personal-sales rate of rank 3 is 0.12 instead of 0.10.
  const policyV2: Policy = policySchema.parse({
    ...defaultPolicy,
    version: 9002,
    commissions: { ...defaultPolicy.commissions, rates: { ...defaultPolicy.commissions.rates, '3': { ...defaultPolicy.commissions.rates['3'], personalSales: '0.12' } } },
  });

  /** An order completed at `completedAt`, its commission (from the engine under `policy`, plus `skew`) created at `createdAt`, posted as created. */
  async function commission(tag: string, completedAt: string, createdAt: string, policy: Policy, skew = '0'): Promise<string> {
    await owner.query(`INSERT INTO partners (id, name, rank, status, kyc_status, joined_at) VALUES ($1, 'Audited', '3', 'ACTIVE', 'APPROVED', '2009-01-01') ON CONFLICT DO NOTHING`, [`${tag}-p`]);
    const [line] = calculateChainCommissions({ sourceType: 'PRODUCT', base: '1234.56', repeatPurchase: false }, [{ partnerId: `${tag}-p`, rank: '3', status: 'ACTIVE' }], policy.commissions);
    const amount = (Number(line!.amount) + Number(skew)).toFixed(2);
    await kit.postAt(createdAt, `commission-event:${tag}`, 'commission', [[platform('commission_expense'), `-${amount}`], [partner(`${tag}-p`, 'commission_pending'), amount]]);
    const { rows: [entry] } = await owner.query(`SELECT id FROM journal_entries WHERE idempotency_key = $1`, [`commission-event:${tag}`]);
    const { rows: [event] } = await owner.query(
      `INSERT INTO commission_events (external_id, kind, source_type, source_id, partner_id, completed_at, original_amount, original_currency, base_usd, policy_version, input_hash, commission_count, commission_total, entry_id, received_at)
       VALUES ($1, 'ORDER_COMPLETED', 'PRODUCT', $1, $2, $3, 1234.56, 'USD', 1234.56, $4, '\\x00', 1, $5, $6, $3) RETURNING id`,
      [`order-${tag}`, `${tag}-p`, completedAt, policy.version, amount, entry.id],
    );
    const { rows: [created] } = await owner.query(
      `INSERT INTO commissions (event_id, partner_id, income_type, level, source_type, base, rate, amount, currency, status, release_at, breakdown, policy_version, created_at)
       VALUES ($1, $2, $3, 1, 'PRODUCT', $4, $5, $6, 'USD', 'PENDING', $7, $8, $9, $7) RETURNING id`,
      [event.id, `${tag}-p`, line!.incomeType, line!.base, line!.rate, amount, createdAt, JSON.stringify(line!.breakdown), policy.version],
    );
    return String(created.id);
  }

  beforeAll(async () => {
    for (const [policy, from] of [[policyV1, '2010-01-01'], [policyV2, '2010-06-01']] as const) {
      await owner.query(`INSERT INTO policy_versions (version, effective_from, document, reason, created_by) VALUES ($1, $2, $3, 'audit test', 'test')`, [policy.version, from, JSON.stringify(policy)]);
    }
  });

  it('recalculates under the version in force when the event completed (not when the commission was written) and finds nothing', async () => {
    // Completed in May under version 9001; written in July, when 9002 is in force.
    await commission('rc-clean', '2010-05-20T10:00:00Z', '2010-07-02T10:00:00Z', policyV1);
    const clean = await run('commission-recalc', '2010-07');
    expect(clean.report).toMatchObject({ population: 1, sampled: 1 });
    expect(clean.findingList).toEqual([]);
    expect(clean.seed).toMatch(/^[0-9a-f]{64}$/);
  });

  it('finds a commission posted with a wrong amount, naming what it posted and what the policy gives', async () => {
    const id = await commission('rc-wrong', '2010-08-03T10:00:00Z', '2010-08-03T10:00:01Z', policyV2, '0.01');
    const found = await run('commission-recalc', '2010-08');
    expect(checks(found)).toEqual([`amount_mismatch commission ${id}`]);
    // 1234.56 × 0.12 = 148.1472 → 148.14 (truncated, then floored); 148.15 was posted.
    expect(found.findingList[0]!.detail).toMatchObject({ posted: '148.15', recalculated: '148.14', policyVersion: 9002 });
  });

  it('finds a commission calculated under a version that was not in force when its event completed', async () => {
    // Completed in September (9002 in force) but calculated and recorded under 9001.
    const id = await commission('rc-stale', '2010-09-03T10:00:00Z', '2010-09-03T10:00:01Z', policyV1);
    const found = await run('commission-recalc', '2010-09');
    expect(checks(found)).toEqual([`amount_mismatch commission ${id}`, `policy_version_mismatch commission ${id}`]);
  });
});

describe('the weekly random 5 % transaction sample', () => {
  it('samples 5 % (rounded up) of the week reproducibly from its recorded seed, and finds nothing in a clean week', async () => {
    // 2010-W14: 2010-04-05 … 2010-04-11; 30 balanced entries.
    for (let index = 0; index < 30; index += 1) {
      await kit.postAt(`2010-04-0${5 + (index % 7)}T10:${String(index).padStart(2, '0')}:00Z`, `ts-clean-${index}`, 'bonus', [[platform('bonus_expense'), '-1.00'], [partner('ts-p', 'available'), '1.00']]);
    }
    const clean = await run('transaction-sample', '2010-W14');
    expect(clean.report).toMatchObject({ population: 30, percent: 5, sampled: 2 });
    expect(clean.findingList).toEqual([]);
    const sample = (clean.report as { sample: string[] }).sample;
    // Drawn from the entries in ascending id order (numeric, not as text), and listed so.
    expect(sample.map(Number)).toEqual(sample.map(Number).sort((left, right) => left - right));
    // Re-running the sample from the recorded seed yields the same set; another seed, almost surely another one.
    const again = await sampleTransactions(pool, auditablePeriod('transaction-sample', '2010-W14', later), clean.seed!);
    expect(again).toEqual({ population: 30, sample });
    const others = await Promise.all(['1', '2', '3', '4', '5'].map((digit) => sampleTransactions(pool, auditablePeriod('transaction-sample', '2010-W14', later), digit.repeat(64))));
    expect(others.some((other) => JSON.stringify(other.sample) !== JSON.stringify(sample))).toBe(true);
  });

  it('finds an unbalanced entry in the sample (every entry of the week is one)', async () => {
    // 2010-W15: three entries tampered with after the fact so that they do not sum to zero (the database refuses such
    // an entry when it is written: the owner gets past its triggers here, as someone editing the tables would).
    for (let index = 0; index < 3; index += 1) {
      await kit.postAt(`2010-04-1${2 + index}T10:00:00Z`, `ts-bad-${index}`, 'bonus', [[platform('bonus_expense'), '-1.00'], [partner('ts-q', 'available'), '1.00']]);
    }
    await owner.query('BEGIN');
    await owner.query(`SET LOCAL session_replication_role = replica`);
    await owner.query(`UPDATE postings SET amount = 1.01 WHERE amount = 1.00 AND entry_id IN (SELECT id FROM journal_entries WHERE idempotency_key LIKE 'ts-bad-%')`);
    await owner.query('COMMIT');
    const found = await run('transaction-sample', '2010-W15', null, 'ab'.repeat(32));
    expect(found.seed).toBe('ab'.repeat(32));
    const [sampled] = (found.report as { sample: string[] }).sample;
    expect(checks(found)).toEqual([`unbalanced_entry entry ${sampled} USD`]);
    expect(found.findingList[0]!.detail).toMatchObject({ total: '0.01' });
  });
});

describe('the quarterly access review', () => {
  const alice = '00000000-0000-4000-8000-00000000b001';
  const bob = '00000000-0000-4000-8000-00000000b002';

  beforeAll(async () => {
    for (const [id, role] of [[alice, 'finance_manager'], [bob, 'senior_admin']] as const) {
      await owner.query(`INSERT INTO users (id, email, password_hash, role, totp_secret, created_at) VALUES ($1, $2, 'x', $3, 'JBSWY3DPEHPK3PXP', '2009-12-01')`, [id, `${id}@example.com`, role]);
    }
    const session = (user: string, at: string) =>
      owner.query(`INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $3, $3::timestamptz + interval '1 hour')`, [
        createHash('sha256').update(`${user}${at}`).digest(), user, at,
      ]);
    await session(alice, '2010-03-01T09:00:00Z');
    await session(bob, '2010-03-01T09:00:00Z');
    await session(alice, '2010-06-01T09:00:00Z');
  });

  it('lists every admin with role, last sign-in and second factor, and finds nothing when all are in use', async () => {
    const clean = await run('access-review', '2010-Q1');
    expect(clean.findingList).toEqual([]);
    const admins = (clean.report as { admins: { id: string; role: string; lastSignIn: string | null; secondFactor: boolean }[] }).admins;
    expect(admins.filter((admin) => [alice, bob].includes(admin.id))).toEqual([
      expect.objectContaining({ id: alice, role: 'finance_manager', lastSignIn: '2010-03-01T09:00:00.000Z', secondFactor: true }),
      expect.objectContaining({ id: bob, role: 'senior_admin', lastSignIn: '2010-03-01T09:00:00.000Z', secondFactor: true }),
    ]);
  });

  it('finds an enabled admin who has not signed in for 90 days; the review is signed off once the finding is decided', async () => {
    const review = await run('access-review', '2010-Q2', manager.userId);
    expect(checks(review)).toEqual([`dormant_admin user ${bob}`]);

    // Open finding: refused, naming the findings. The person who started it may not sign it; nor a role that does not sign.
    await expect(signOffAuditRun(pool, { runId: review.id, signer: director })).rejects.toMatchObject({ code: 'open_findings', field: 'findings' });
    await expect(signOffAuditRun(pool, { runId: review.id, signer: manager })).rejects.toMatchObject({ code: 'maker_checker', field: 'role' });
    await expect(signOffAuditRun(pool, { runId: review.id, signer: { userId: bob, role: 'senior_admin' } })).rejects.toMatchObject({ code: 'checker_role_required', field: 'role' });

    const decided = await decideFinding(pool, { runId: review.id, findingId: review.findingList[0]!.id, status: 'RESOLVED', note: 'account disabled', actor: manager.userId });
    expect(decided).toMatchObject({ status: 'RESOLVED', note: 'account disabled', resolvedBy: manager.userId });
    await expect(decideFinding(pool, { runId: review.id, findingId: decided.id, status: 'ACCEPTED', note: 'again', actor: manager.userId })).rejects.toMatchObject({ code: 'finding_closed' });

    const signed = await signOffAuditRun(pool, { runId: review.id, signer: director });
    expect(signed).toMatchObject({ status: 'SIGNED', signedBy: director.userId, signedRole: 'finance_director' });
    await expect(signOffAuditRun(pool, { runId: review.id, signer: { ...director, userId: alice } })).rejects.toMatchObject({ code: 'already_signed' });
    // Signed: immutable, even for the owner.
    await expect(owner.query(`UPDATE audit_runs SET report = '{}' WHERE id = $1`, [review.id])).rejects.toThrow(/signed off/);
    expect((await getAuditRun(pool, review.id))!.findingList[0]!.status).toBe('RESOLVED');
  });
});

describe('the annual full-audit export', () => {
  it('archives the year’s ledger, postings, audit log and approvals as CSV files with a manifest of their SHA-256s', async () => {
    const audit = await run('full-export', '2010');
    expect(audit.findingList).toEqual([]);
    const archive = await auditExport(pool, audit.id);
    expect(archive).not.toBeNull();
    expect(createHash('sha256').update(archive!.bytes).digest('hex')).toBe(archive!.sha256);
    expect(audit.sha256).toBe(archive!.sha256);
    const files = readTarArchive(archive!.bytes);
    expect(files.map((file) => file.name)).toEqual(['ledger.csv', 'postings.csv', 'audit_log.csv', 'approvals.csv', 'manifest.csv'].map((name) => `audit-2010/${name}`));
    const manifest = new TextDecoder().decode(files.at(-1)!.content).trim().split('\r\n').slice(1).map((line) => line.split(','));
    for (const [name, , bytes, sha256] of manifest) {
      const file = files.find((candidate) => candidate.name === `audit-2010/${name}`)!;
      expect(file.content.length).toBe(Number(bytes));
      expect(createHash('sha256').update(file.content).digest('hex')).toBe(sha256);
    }
    // Every 2010 posting is in postings.csv: one line each, after the header.
    const { rows: [count] } = await owner.query(`SELECT count(*)::int AS n FROM postings WHERE created_at >= '2010-01-01' AND created_at < '2011-01-01'`);
    const postings = new TextDecoder().decode(files[1]!.content).trim().split('\r\n');
    expect(postings.length - 1).toBe(count.n);
    expect(manifest.find(([name]) => name === 'postings.csv')![1]).toBe(String(count.n));
  });
});
