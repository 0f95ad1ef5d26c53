import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { payoutWorkflowId } from '../../workflows/payout-messages.ts';
import { createApiHarness, type ApiHarness } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { paymentFileKit, type SeededPayout } from '../helpers/payment-files.ts';
import { startWorkerProcess, waitForExit } from '../helpers/temporal.ts';

/**
 * Issue #17's fault "killing the worker during a bulk mark-paid": the production worker (workers/main.ts, its own
 * process) is killed with SIGKILL while a close of ~200 payouts is being delivered, and a new one is started. Every
 * payout ends decided exactly once (one ledger entry and one audit record each), as the bank's file said, and the
 * ledger invariants hold.
 */

const payoutCount = 200;

let api: ApiHarness;
let kit: ReturnType<typeof paymentFileKit>;
const workers: Awaited<ReturnType<typeof startWorkerProcess>>[] = [];

const countSchema = z.object({ count: z.number() });

beforeAll(async () => {
  api = await createApiHarness();
  kit = paymentFileKit(api);
  await api.owner.query(sql.unsafe`
    INSERT INTO fx_rates (currency, effective_at, usd_rate, created_by) VALUES ('RUB', now() - interval '1 day', 0.01, 'test')`);
});

afterAll(async () => {
  for (const worker of workers) {
    if (worker.process.exitCode === null && worker.process.signalCode === null) worker.process.kill('SIGTERM');
    await waitForExit(worker.process);
  }
  if (api) {
    const ids = await api.owner.anyFirst(sql.type(z.object({ id: z.string() }))`SELECT id FROM payouts`);
    await Promise.allSettled(
      ids.map(async (id) => {
        const handle = api.dependencies.temporal.workflow.getHandle(payoutWorkflowId(id));
        if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('test file finished');
      }),
    );
  }
  await api?.close();
});

const startWorker = async () => {
  const worker = await startWorkerProcess({ ownerUrl: api.testDatabase.ownerUrl, taskQueue: api.taskQueue });
  workers.push(worker);
  return worker;
};

async function decidedCount(payoutIds: readonly string[]): Promise<number> {
  return api.owner.oneFirst(sql.type(countSchema)`
    SELECT count(*)::int AS count FROM payouts WHERE id = ANY(${sql.array([...payoutIds], 'uuid')}) AND status IN ('COMPLETED', 'FAILED')`);
}

describe('a worker killed during a bulk mark-paid', () => {
  it('after a restart every payout of the close is decided exactly once, as the bank said', { timeout: 300_000 }, async () => {
    const first = await startWorker();
    const payouts: SeededPayout[] = await kit.approvedBankPayouts(payoutCount);
    const file = await kit.exportFile();
    expect(file.rowCount).toBe(payoutCount);
    await kit.waitForFile(file.id, 'OPEN', 120_000);

    // Every other payout paid, the rest failed with a code, as the bank's result file says.
    const paid = new Set(payouts.filter((_, index) => index % 2 === 0).map((payout) => payout.id));
    const resultFile = ['reference,status,failureCode,reason', ...payouts.map((payout) => (paid.has(payout.id) ? `${payout.id},PAID,,` : `${payout.id},FAILED,INVALID_ACCOUNT,no such account`))].join('\r\n');
    const response = await kit.close(file.id, { resultFile });
    expect(response.status, await response.clone().text()).toBe(202);
    const accepted = (await response.json()) as { closeId: string; paid: number; failed: number };
    expect(accepted).toMatchObject({ paid: payoutCount / 2, failed: payoutCount / 2, alreadyDecided: 0 });

    // The worker dies mid-way: some payouts decided, not all.
    const ids = payouts.map((payout) => payout.id);
    const deadline = Date.now() + 60_000;
    let atKill = 0;
    for (;;) {
      atKill = await decidedCount(ids);
      if (atKill >= 10) break;
      if (Date.now() > deadline) throw new Error(`only ${atKill} payouts decided in 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    first.process.kill('SIGKILL');
    await waitForExit(first.process);
    expect(first.process.signalCode).toBe('SIGKILL');
    const afterKill = await decidedCount(ids);
    expect(afterKill).toBeLessThan(payoutCount);
    expect((await kit.closeProgress(file.id, accepted.closeId)).status).toBe('RUNNING');
    console.info(`payment-file crash: worker killed with ${atKill} of ${payoutCount} payouts decided (${afterKill} once it had died)`);

    await startWorker();
    const progress = await kit.waitForClose(file.id, accepted.closeId, 180_000);
    expect(progress).toEqual({ status: 'DONE', paid: payoutCount / 2, failed: payoutCount / 2, alreadyDecided: 0, pending: 0, refused: [] });

    const statuses = await kit.payoutStatuses(ids);
    for (const id of ids) {
      expect(statuses.get(id), id).toMatchObject(paid.has(id) ? { status: 'COMPLETED', failure_code: null } : { status: 'FAILED', failure_code: 'INVALID_ACCOUNT' });
    }
    // Exactly once: one ledger entry and one audit record per payout, of the decision the bank gave.
    const entries = await api.owner.any(sql.type(z.object({ idempotency_key: z.string(), count: z.number() }))`
      SELECT idempotency_key, count(*)::int AS count FROM journal_entries
      WHERE idempotency_key LIKE 'payout-complete-%' OR idempotency_key LIKE 'payout-fail-%' GROUP BY idempotency_key`);
    expect(entries.every((entry) => entry.count === 1)).toBe(true);
    expect(new Set(entries.map((entry) => entry.idempotency_key))).toEqual(new Set(ids.map((id) => (paid.has(id) ? `payout-complete-${id}` : `payout-fail-${id}`))));
    const audits = await api.owner.any(sql.type(z.object({ target_id: z.string(), count: z.number() }))`
      SELECT target_id, count(*)::int AS count FROM audit_records
      WHERE target_type = 'payout' AND action IN ('PAYOUT_COMPLETE', 'PAYOUT_FAIL') GROUP BY target_id`);
    expect(audits).toHaveLength(payoutCount);
    expect(audits.every((audit) => audit.count === 1)).toBe(true);

    expect((await kit.getFile(file.id)).paymentFile).toEqual({
      status: 'CLOSED',
      counts: { total: payoutCount, processing: 0, completed: payoutCount / 2, failed: payoutCount / 2, other: 0 },
    });
    expect(await api.owner.oneFirst(sql.type(countSchema)`
      SELECT count(*)::int AS count FROM notifications WHERE dedupe_key = ${`payment-file-failures:${accepted.closeId}`}`)).toBe(1);
    // Each failed payout's whole amount is back in its partner's available balance; each paid one's reserve is gone.
    const buckets = await api.owner.any(sql.type(z.object({ bucket: z.string(), total: z.string() }))`
      SELECT a.bucket, sum(b.balance)::text AS total FROM accounts a JOIN account_balances b ON b.account_id = a.id
      WHERE a.owner_type = 'partner' AND a.owner_id = ANY(${sql.array([...new Set(payouts.map((payout) => payout.partner_id))], 'text')})
      GROUP BY a.bucket ORDER BY a.bucket`);
    const byBucket = Object.fromEntries(buckets.map((row) => [row.bucket, row.total]));
    // 200 partners funded 1000.00 each; 100 paid 100.00 each: 200,000.00 − 10,000.00 available, nothing reserved.
    expect(byBucket.available).toBe('190000.00');
    expect(byBucket.payout_reserved ?? '0.00').toMatch(/^0(\.0+)?$/);

    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });
});
