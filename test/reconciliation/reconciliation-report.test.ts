import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../db/pool.ts';
import { LedgerStore } from '../../modules/ledger/ledger-store.ts';
import {
  archivedReport,
  computeReport,
  getReconciliation,
  recordFinding,
  runReconciliation,
  signOffReconciliation,
} from '../../modules/reconciliation/reconciliation-store.ts';
import { rebuildFindings } from '../../modules/reconciliation/rebuild-check.ts';
import { createHash } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { partner, platform, reconciliationKit, usd } from './kit.ts';

/**
 * The daily report (docs/rules.md#daily-reconciliation) over a ledger with known movements, the rebuild check, and
 * sign-off with its refusals, archive and seal. Entries of past days are written as the owner with their time set
 * (the application stamps every entry now()); today's go through the application's LedgerStore.
 */

let database: TestDatabase;
let pool: Database;
let owner: pg.Client;
let postAt: ReturnType<typeof reconciliationKit>['postAt'];
let accountId: ReturnType<typeof reconciliationKit>['accountId'];

const openingDay = '2026-01-10';
const day = '2026-01-11';
const tamperDay = '2026-01-12';
const manager = { userId: '00000000-0000-4000-8000-000000000001', role: 'finance_manager' as const };
const director = { userId: '00000000-0000-4000-8000-000000000002', role: 'finance_director' as const };

beforeAll(async () => {
  database = await createTestDatabase();
  pool = await createDatabase(database.appUrl, { maximumPoolSize: 4 });
  owner = new pg.Client({ connectionString: database.ownerUrl });
  await owner.connect();
  ({ postAt, accountId } = reconciliationKit(owner));

  // Before the day: 200.00 paid to p2's available balance.
  await postAt(`${openingDay}T09:00:00Z`, 'commission-pay:b0', 'commission_payment', [[platform('commission_expense'), '-200.00'], [partner('p2', 'available'), '200.00']]);
  // The day: a commission created and approved, 30.00 of it reversed by a refund, a payout requested and completed with a fee.
  await postAt(`${day}T00:00:00Z`, 'commission-event:e1', 'commission', [[platform('commission_expense'), '-100.00'], [partner('p1', 'commission_pending'), '100.00']]);
  await postAt(`${day}T08:00:00Z`, 'commission-approve:c1', 'commission_approval', [[partner('p1', 'commission_pending'), '-100.00'], [partner('p1', 'commission_approved'), '100.00']]);
  await postAt(`${day}T12:00:00Z`, 'refund-reverse:r1', 'commission_reversal', [[partner('p1', 'commission_approved'), '-30.00'], [platform('commission_expense'), '30.00']]);
  await postAt(`${day}T15:00:00Z`, 'payout-reserve-x1', 'payout_reserve', [[partner('p2', 'available'), '-50.00'], [partner('p2', 'payout_reserved'), '50.00']]);
  await postAt(`${day}T23:59:59.999999Z`, 'payout-complete-x1', 'payout_complete', [
    [partner('p2', 'payout_reserved'), '-50.00'], [platform('payout_clearing'), '48.00'], [platform('fees_income'), '2.00'],
  ]);
  // After the day (today, through the application): another commission for p1, which the day's closing leaves out.
  const store = new LedgerStore(pool);
  await store.postEntry({
    idempotencyKey: 'commission-event:e2', kind: 'commission',
    postings: [
      { account: { ownerType: 'platform', ownerId: 'platform', bucket: 'commission_expense', currency: 'USD' }, amount: '-7.00' },
      { account: { ownerType: 'partner', ownerId: 'p1', bucket: 'commission_pending', currency: 'USD' }, amount: '7.00' },
    ],
  });
});

afterAll(async () => {
  await owner?.end();
  await pool?.end();
  await database?.drop();
});

describe('the daily reconciliation report', () => {
  it('a day with known movements gives the exact opening, movements by group, closing and a zero variance', async () => {
    const report = await computeReport(pool, day);
    expect(report.opening).toEqual([
      usd('partner', 'available', '200'),
      usd('partner', 'commission_approved', '0'),
      usd('partner', 'commission_pending', '0'),
      usd('partner', 'payout_reserved', '0'),
      usd('platform', 'commission_expense', '-200'),
      usd('platform', 'fees_income', '0'),
      usd('platform', 'payout_clearing', '0'),
    ]);
    expect(report.movements).toEqual([
      { movement: 'commissions_created', ...usd('partner', 'commission_pending', '100') },
      { movement: 'commissions_created', ...usd('platform', 'commission_expense', '-100') },
      { movement: 'commissions_approved', ...usd('partner', 'commission_approved', '100') },
      { movement: 'commissions_approved', ...usd('partner', 'commission_pending', '-100') },
      { movement: 'payouts_requested', ...usd('partner', 'available', '-50') },
      { movement: 'payouts_requested', ...usd('partner', 'payout_reserved', '50') },
      { movement: 'payouts_completed', ...usd('partner', 'payout_reserved', '-50') },
      { movement: 'payouts_completed', ...usd('platform', 'payout_clearing', '48') },
      { movement: 'refunds', ...usd('partner', 'commission_approved', '-30') },
      { movement: 'refunds', ...usd('platform', 'commission_expense', '30') },
      { movement: 'fees', ...usd('platform', 'fees_income', '2') },
    ]);
    expect(report.closing).toEqual([
      usd('partner', 'available', '150'),
      usd('partner', 'commission_approved', '70'),
      usd('partner', 'commission_pending', '0'),
      usd('partner', 'payout_reserved', '0'),
      usd('platform', 'commission_expense', '-270'),
      usd('platform', 'fees_income', '2'),
      usd('platform', 'payout_clearing', '48'),
    ]);
    expect(report.variance.map((line) => line.amount)).toEqual(['0', '0', '0', '0', '0', '0', '0']);
    expect(report.balanced).toBe(true);
    expect(await rebuildFindings(pool)).toEqual([]);
    await assertLedgerInvariants(owner);
  });

  it('the opening day has only its own movement, and a day without postings reports the carried balances', async () => {
    const before = await computeReport(pool, openingDay);
    expect(before.opening).toEqual([usd('partner', 'available', '0'), usd('platform', 'commission_expense', '0')]);
    expect(before.movements).toEqual([
      { movement: 'commissions_paid', ...usd('partner', 'available', '200') },
      { movement: 'commissions_paid', ...usd('platform', 'commission_expense', '-200') },
    ]);
    const quiet = await computeReport(pool, '2026-01-20');
    expect(quiet.movements).toEqual([]);
    expect(quiet.opening).toEqual(quiet.closing);
    expect(quiet.balanced).toBe(true);
  });

  it('is stored once: a rerun returns the same report, and a balanced day needs no finding', async () => {
    const first = await runReconciliation(pool, { day, requestedBy: manager.userId });
    const again = await runReconciliation(pool, { day, requestedBy: director.userId });
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.reconciliation.report).toEqual(first.reconciliation.report);
    expect(again.reconciliation.requestedBy).toBe(manager.userId);
    expect(first.reconciliation.items).toEqual([]);
    const { rows } = await owner.query(`SELECT count(*)::int AS n FROM notifications WHERE kind = 'RECONCILIATION_VARIANCE'`);
    expect(rows[0].n).toBe(0);
  });
});

describe('two runs of one day at once', () => {
  it('store it once: one run creates it, the other returns the same stored report', async () => {
    const concurrentDay = '2026-01-15';
    const runs = await Promise.all([
      runReconciliation(pool, { day: concurrentDay, requestedBy: manager.userId }),
      runReconciliation(pool, { day: concurrentDay, requestedBy: director.userId }),
    ]);
    expect(runs.map((run) => run.created).sort()).toEqual([false, true]);
    expect(runs[0].reconciliation).toEqual(runs[1].reconciliation);
    const { rows } = await owner.query(`SELECT count(*)::int AS n FROM audit_records WHERE action = 'RECONCILIATION_RUN' AND target_id = $1`, [concurrentDay]);
    expect(rows[0].n).toBe(1);
  });
});

describe('a tampered cached balance', () => {
  it('gives a rebuild finding and a variance, notifies finance, and blocks sign-off until each has a finding; then one signature archives and seals the day', async () => {
    const approved = await accountId(partner('p1', 'commission_approved'));
    await owner.query(`UPDATE account_balances SET balance = balance + 5 WHERE account_id = $1`, [approved]);
    try {
      await expect(assertLedgerInvariants(owner)).rejects.toThrow(/cached balance differs from the sum of their postings/);

      const { reconciliation } = await runReconciliation(pool, { day: tamperDay, requestedBy: manager.userId });
      expect(reconciliation.report.balanced).toBe(false);
      expect(reconciliation.report.variance.filter((line) => line.amount !== '0')).toEqual([usd('partner', 'commission_approved', '-5')]);
      expect(reconciliation.rebuildFindings.map((finding) => [finding.check, finding.subject])).toEqual([
        ['drifted_balance', `account ${approved}`],
        ['unbalanced_currency', 'account_balances USD'],
      ]);
      expect(reconciliation.items).toEqual([
        'variance:partner:commission_approved:USD',
        `rebuild:drifted_balance:account ${approved}`,
        'rebuild:unbalanced_currency:account_balances USD',
      ]);
      const { rows } = await owner.query(`SELECT subject FROM notifications WHERE kind = 'RECONCILIATION_VARIANCE' AND dedupe_key = $1`, [`reconciliation-variance:${tamperDay}`]);
      expect(rows).toEqual([{ subject: `Reconciliation of ${tamperDay}: 3 item(s) to explain` }]);

      // Refusals, each naming its field; nothing signed.
      await expect(signOffReconciliation(pool, { day: tamperDay, signer: director })).rejects.toMatchObject({ code: 'unexplained_items', field: 'findings' });
      await recordFinding(pool, { day: tamperDay, item: reconciliation.items[0]!, note: 'cache moved by hand', adjustmentId: null, actor: manager.userId });
      await recordFinding(pool, { day: tamperDay, item: reconciliation.items[1]!, note: 'same cause', adjustmentId: null, actor: manager.userId });
      await expect(signOffReconciliation(pool, { day: tamperDay, signer: director })).rejects.toMatchObject({ code: 'unexplained_items', field: 'findings' });
      await expect(recordFinding(pool, { day: tamperDay, item: 'variance:nothing', note: 'x', adjustmentId: null, actor: manager.userId })).rejects.toMatchObject({ field: 'body.item' });
      await expect(recordFinding(pool, { day: tamperDay, item: reconciliation.items[2]!, note: 'x', adjustmentId: '00000000-0000-4000-8000-00000000000f', actor: manager.userId })).rejects.toMatchObject({ field: 'body.adjustmentId' });
      await recordFinding(pool, { day: tamperDay, item: reconciliation.items[2]!, note: 'same cause', adjustmentId: null, actor: manager.userId });

      await expect(signOffReconciliation(pool, { day: tamperDay, signer: manager })).rejects.toMatchObject({ code: 'maker_checker', field: 'role' });
      await expect(signOffReconciliation(pool, { day: tamperDay, signer: { userId: director.userId, role: 'admin' } })).rejects.toMatchObject({ code: 'checker_role_required', field: 'role' });
      expect((await getReconciliation(pool, tamperDay))?.status).toBe('AWAITING_SIGN_OFF');

      const signed = await signOffReconciliation(pool, { day: tamperDay, signer: director });
      expect(signed.status).toBe('SIGNED');
      expect(signed.unexplained).toEqual([]);
      await expect(signOffReconciliation(pool, { day: tamperDay, signer: director })).rejects.toMatchObject({ code: 'already_signed', field: 'date' });
      await expect(recordFinding(pool, { day: tamperDay, item: reconciliation.items[0]!, note: 'late', adjustmentId: null, actor: manager.userId })).rejects.toMatchObject({ code: 'already_signed' });

      // The archive: the CSV's bytes hash to the stored SHA-256 and carry the report, the findings and the signature.
      const archive = await archivedReport(pool, tamperDay);
      expect(archive?.fileName).toBe(`reconciliation-${tamperDay}.csv`);
      expect(createHash('sha256').update(archive!.bytes).digest('hex')).toBe(archive!.sha256);
      expect(signed.archive?.sha256).toBe(archive!.sha256);
      const csv = archive!.bytes.toString('utf8');
      expect(csv).toContain(`${tamperDay},variance,,partner,commission_approved,USD,-5\r\n`);
      expect(csv).toContain(`${tamperDay},finding,variance:partner:commission_approved:USD,cache moved by hand,`);
      expect(csv).toContain(`${tamperDay},signed_off,finance_director,${director.userId}`);
      await expect(owner.query(`UPDATE reconciliation_archives SET sha256 = repeat('0', 64)`)).rejects.toThrow(/append-only/);

      // The seal: nothing is posted into the signed day, the owner included; today still takes entries.
      await expect(
        postAt(`${tamperDay}T10:00:00Z`, 'commission-event:late', 'commission', [[platform('commission_expense'), '-1.00'], [partner('p3', 'commission_pending'), '1.00']]),
      ).rejects.toThrow(/sealed/);
      await postAt(new Date().toISOString(), 'commission-event:now', 'commission', [[platform('commission_expense'), '-1.00'], [partner('p3', 'commission_pending'), '1.00']]);
    } finally {
      await owner.query(`UPDATE account_balances SET balance = balance - 5 WHERE account_id = $1`, [approved]);
    }
    await assertLedgerInvariants(owner);
  });
});
