import { afterEach, describe, expect, it } from 'vitest';
import type { PoolDistributionResult } from '../../domain/pools.ts';
import { distributePoolsForPeriod } from '../../modules/commissions/distribute-pools.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { createPoolScenario, pendingBalances, platformBalance, type PoolScenario } from './helpers.ts';

const week = { frequency: 'WEEKLY' as const, periodStart: '2025-03-03T00:00:00.000Z', periodEnd: '2025-03-10T00:00:00.000Z' };
const inWeek = '2025-03-05T12:00:00Z';
const month = { frequency: 'MONTHLY' as const, periodStart: '2025-02-01T00:00:00.000Z', periodEnd: '2025-03-01T00:00:00.000Z' };
const distributedAt = { now: new Date('2025-03-10T00:15:00Z') };

let scenario: PoolScenario | undefined;
afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});

const runOf = (result: PoolDistributionResult, pool: string) => result.runs.find((run) => run.pool === pool)!;

/** A rank holder with two legs of `legUsd` each under them (one leaf per leg), all volume inside the week. */
async function leaderWithTwoLegs(s: PoolScenario, id: string, rank: string, legUsd: string, sponsor: string | null = null) {
  await s.partner({ id, rank, sponsor });
  for (const leg of ['a', 'b']) {
    await s.partner({ id: `${id}-${leg}`, sponsor: id });
    await s.event({ partnerId: `${id}-${leg}`, baseUsd: legUsd, completedAt: inWeek });
  }
}

describe('weekly leadership pools', () => {
  it('Example 3 of docs/rules.md#commission-examples: turnover $1,000,000, Pool 5 at 1 % among 50 qualified pays $200 each', async () => {
    const s = (scenario = await createPoolScenario());
    await s.partner({ id: 'root' });
    // 40 rank 5 (need $5,000) and 10 rank 5_PRO (need $10,000), each with two legs at the branch cap.
    for (let k = 0; k < 40; k += 1) await leaderWithTwoLegs(s, `r5-${k}`, '5', '2500.00', 'root');
    for (let k = 0; k < 10; k += 1) await leaderWithTwoLegs(s, `r5pro-${k}`, '5_PRO', '5000.00', 'root');
    // Not in the pool: a rank 5 one cent short, a suspended rank 5 with plenty, and a rank 4 with plenty.
    await leaderWithTwoLegs(s, 'short', '5', '2499.99', 'root');
    await leaderWithTwoLegs(s, 'suspended', '5', '9000.00', 'root');
    await s.owner.query(`UPDATE partners SET status = 'SUSPENDED' WHERE id = 'suspended'`);
    await leaderWithTwoLegs(s, 'rank4', '4', '9000.00', 'root');
    // The rest of the turnover: unattributed sales, a cancelled order that does not count, and events outside the week.
    const attributed = 40 * 5_000 + 10 * 10_000 + 4_999.98 + 18_000 + 18_000;
    await s.event({ partnerId: null, baseUsd: (1_000_000 - attributed).toFixed(2), completedAt: inWeek, kind: 'INVESTMENT_CONFIRMED' });
    await s.event({ partnerId: 'r5-0-a', baseUsd: '777.00', completedAt: inWeek, cancelled: true });
    await s.event({ partnerId: null, baseUsd: '555.00', completedAt: '2025-03-10T00:00:00Z' });
    await s.event({ partnerId: null, baseUsd: '444.00', completedAt: '2025-03-02T23:59:59.999Z' });
    await s.event({ partnerId: null, baseUsd: '333.00', completedAt: inWeek, kind: 'INVESTMENT_PROFIT' });

    const result = await distributePoolsForPeriod(s.deps, week, distributedAt);

    expect(result.runs.map((run) => run.pool)).toEqual(['POOL_5', 'POOL_6', 'POOL_7', 'POOL_8']);
    const pool5 = runOf(result, 'POOL_5');
    expect(pool5).toMatchObject({ created: true, turnover: '1000000.00', poolAmount: '10000.00', qualified: 50, share: '200.00', remainder: '0.00', policyVersion: 1 });
    const balances = await pendingBalances(s.owner);
    expect(Object.keys(balances)).toHaveLength(50);
    expect(new Set(Object.values(balances))).toEqual(new Set(['200.00']));
    expect(balances.short).toBeUndefined();
    expect(balances.suspended).toBeUndefined();
    expect(await platformBalance(s.owner, 'pool_funding')).toBe('-10000.00');
    expect(await platformBalance(s.owner, 'pool_remainder')).toBe('0');
    // Pools 6–8 had no candidates: a run row each, nothing posted.
    for (const pool of ['POOL_6', 'POOL_7', 'POOL_8']) expect(runOf(result, pool)).toMatchObject({ created: true, qualified: 0, entryId: null, share: '0.00' });

    const commissions = await s.owner.query(
      `SELECT c.partner_id, c.income_type, c.level, c.source_type, c.base::text, c.rate::text, c.amount::text, c.status,
              c.release_at, c.pool_run_id, c.event_id, r.entry_id, c.breakdown
       FROM commissions c JOIN pool_runs r ON r.id = c.pool_run_id ORDER BY c.partner_id`,
    );
    expect(commissions.rows).toHaveLength(50);
    expect(commissions.rows[0]).toMatchObject({
      income_type: 7, level: 1, source_type: 'POOL', base: '10000.00', rate: '0.02', amount: '200.00', status: 'PENDING',
      pool_run_id: pool5.runId, event_id: null, entry_id: pool5.entryId,
    });
    // The POOL hold is 0 days: each commission is due at distribution.
    expect(new Date(commissions.rows[0].release_at).toISOString()).toBe('2025-03-10T00:15:00.000Z');
    const r5pro = commissions.rows.find((row) => row.partner_id === 'r5pro-0')!;
    expect(r5pro.breakdown).toMatchObject({ requirement: '10000.00', countedVolume: '10000.00', structureVolume: '10000.00', legs: 2, legCap: '5000.00' });
    expect(r5pro.breakdown.text).toMatch(/10000\.00 \/ 50 = 200\.00/);

    const audit = await s.owner.query(`SELECT count(*)::int AS n FROM audit_records WHERE action = 'COMMISSION_CREATE' AND actor = 'system:pools'`);
    expect(audit.rows[0].n).toBe(50);
    const entry = await s.owner.query(`SELECT idempotency_key, kind FROM journal_entries WHERE id = $1`, [pool5.entryId]);
    expect(entry.rows[0]).toEqual({ idempotency_key: 'pool:POOL_5:2025-03-03T00:00:00.000Z', kind: 'leadership_pool' });
    await assertLedgerInvariants(s.testDatabase.ownerUrl);
  });

  it('a pool that does not divide evenly floors each share and keeps what is left in pool_remainder', async () => {
    const s = (scenario = await createPoolScenario());
    for (const id of ['x', 'y', 'z']) await leaderWithTwoLegs(s, id, '5', '2500.00');
    await s.event({ partnerId: null, baseUsd: '5000.00', completedAt: inWeek });

    const result = await distributePoolsForPeriod(s.deps, week, distributedAt);

    // $20,000 × 1 % = $200.00; / 3 = 66.66 each, 0.02 left.
    expect(runOf(result, 'POOL_5')).toMatchObject({ turnover: '20000.00', poolAmount: '200.00', qualified: 3, share: '66.66', remainder: '0.02' });
    expect(await pendingBalances(s.owner)).toEqual({ x: '66.66', y: '66.66', z: '66.66' });
    expect(await platformBalance(s.owner, 'pool_remainder')).toBe('0.02');
    expect(await platformBalance(s.owner, 'pool_funding')).toBe('-200.00');
    const commission = await s.owner.query(`SELECT rate::text FROM commissions LIMIT 1`);
    expect(commission.rows[0].rate).toBe('0.3333333333');
    await assertLedgerInvariants(s.testDatabase.ownerUrl);
  });

  it('the 50 % branch rule, in the database: $80,000 + $15,000 legs qualify a 5_PRO, a lone $80,000 leg does not', async () => {
    const s = (scenario = await createPoolScenario());
    // Diverse: leg A's volume sits three levels down, leg B's one level down.
    await s.partner({ id: 'diverse', rank: '5_PRO' });
    await s.partner({ id: 'a1', sponsor: 'diverse' });
    await s.partner({ id: 'a2', sponsor: 'a1' });
    await s.partner({ id: 'a3', sponsor: 'a2' });
    await s.event({ partnerId: 'a3', baseUsd: '80000.00', completedAt: inWeek });
    await s.partner({ id: 'b1', sponsor: 'diverse' });
    await s.event({ partnerId: 'b1', baseUsd: '15000.00', completedAt: inWeek });
    // Lopsided: the same $80,000 in a single leg, and $4,999.99 of its own (capped at $5,000, still short).
    await s.partner({ id: 'lopsided', rank: '5_PRO' });
    await s.event({ partnerId: 'lopsided', baseUsd: '4999.99', completedAt: inWeek });
    await s.partner({ id: 'c1', sponsor: 'lopsided' });
    await s.event({ partnerId: 'c1', baseUsd: '80000.00', completedAt: inWeek });
    // A rank 5 leader inside leg A: a leg is the child's whole subtree, whoever sits in it.
    await s.partner({ id: 'inner', rank: '5', sponsor: 'a2' });
    await s.event({ partnerId: 'inner', baseUsd: '2500.00', completedAt: inWeek });

    const result = await distributePoolsForPeriod(s.deps, week, distributedAt);

    expect(runOf(result, 'POOL_5')).toMatchObject({ qualified: 1, poolAmount: '1824.99', share: '1824.99' });
    expect(await pendingBalances(s.owner)).toEqual({ diverse: '1824.99' });
    const breakdown = (await s.owner.query(`SELECT breakdown FROM commissions`)).rows[0].breakdown;
    expect(breakdown).toMatchObject({ structureVolume: '97500.00', countedVolume: '10000.00', largestLeg: '82500.00', legs: 2 });
    await assertLedgerInvariants(s.testDatabase.ownerUrl);
  });

  it('rank and status are taken as they were at the end of the period, not as they are now', async () => {
    const s = (scenario = await createPoolScenario());
    // Promoted to 5 after the week ended (effective exactly at its end): rank 4 for this week.
    await leaderWithTwoLegs(s, 'promoted-later', '4', '2500.00');
    await s.change({ partnerId: 'promoted-later', field: 'rank', oldValue: '4', newValue: '5', effectiveAt: '2025-03-10T00:00:00Z' });
    // Demoted after the week: still rank 5 for it.
    await leaderWithTwoLegs(s, 'demoted-later', '5', '2500.00');
    await s.change({ partnerId: 'demoted-later', field: 'rank', oldValue: '5', newValue: '4', effectiveAt: '2025-03-11T00:00:00Z' });
    // Promoted during the week: rank 5 at its end.
    await leaderWithTwoLegs(s, 'promoted-during', '4', '2500.00');
    await s.change({ partnerId: 'promoted-during', field: 'rank', oldValue: '4', newValue: '5', effectiveAt: '2025-03-09T23:59:59Z' });
    // Suspended at the end of the week, reinstated since.
    await leaderWithTwoLegs(s, 'reinstated', '5', '2500.00');
    await s.change({ partnerId: 'reinstated', field: 'status', oldValue: 'ACTIVE', newValue: 'SUSPENDED', effectiveAt: '2025-03-08T00:00:00Z' });
    await s.change({ partnerId: 'reinstated', field: 'status', oldValue: 'SUSPENDED', newValue: 'ACTIVE', effectiveAt: '2025-03-12T00:00:00Z' });
    // Suspended only after the week: active at its end.
    await leaderWithTwoLegs(s, 'suspended-later', '5', '2500.00');
    await s.change({ partnerId: 'suspended-later', field: 'status', oldValue: 'ACTIVE', newValue: 'SUSPENDED', effectiveAt: '2025-03-10T08:00:00Z' });
    // Joined after the week ended.
    await s.partner({ id: 'newcomer', rank: '5', joinedAt: '2025-03-10T00:00:00Z' });
    await s.event({ partnerId: 'newcomer', baseUsd: '9000.00', completedAt: inWeek });

    const result = await distributePoolsForPeriod(s.deps, week, distributedAt);

    expect(runOf(result, 'POOL_5').qualified).toBe(3);
    expect(Object.keys(await pendingBalances(s.owner)).sort()).toEqual(['demoted-later', 'promoted-during', 'suspended-later']);
    await assertLedgerInvariants(s.testDatabase.ownerUrl);
  });

  it('running the same period again posts nothing new and returns the first runs', async () => {
    const s = (scenario = await createPoolScenario());
    for (const id of ['x', 'y', 'z']) await leaderWithTwoLegs(s, id, '5', '2500.00');
    const first = await distributePoolsForPeriod(s.deps, week, distributedAt);
    const counts = async () =>
      (await s.owner.query(`SELECT (SELECT count(*) FROM journal_entries)::int AS entries, (SELECT count(*) FROM commissions)::int AS commissions,
                                   (SELECT count(*) FROM pool_runs)::int AS runs, (SELECT count(*) FROM audit_records)::int AS audit`)).rows[0];
    const before = await counts();

    // More volume arrives late and a fourth partner would now qualify: the period is closed all the same.
    await leaderWithTwoLegs(s, 'late', '5', '2500.00');
    const [again, concurrent] = await Promise.all([
      distributePoolsForPeriod(s.deps, week, distributedAt),
      distributePoolsForPeriod(s.deps, week, distributedAt),
    ]);

    expect(await counts()).toEqual(before);
    for (const rerun of [again, concurrent]) {
      expect(rerun.runs.every((run) => !run.created)).toBe(true);
      expect(runOf(rerun, 'POOL_5')).toEqual({ ...runOf(first, 'POOL_5'), created: false });
    }
    await assertLedgerInvariants(s.testDatabase.ownerUrl);
  });

  it('two runs racing for a new period post it once', async () => {
    const s = (scenario = await createPoolScenario());
    for (const id of ['x', 'y']) await leaderWithTwoLegs(s, id, '5', '2500.00');
    const results = await Promise.all([1, 2, 3].map(() => distributePoolsForPeriod(s.deps, week, distributedAt)));
    expect(results.map((result) => runOf(result, 'POOL_5').created).filter(Boolean)).toHaveLength(1);
    expect(new Set(results.map((result) => runOf(result, 'POOL_5').entryId)).size).toBe(1);
    expect(await pendingBalances(s.owner)).toEqual({ x: '50.00', y: '50.00' });
    await assertLedgerInvariants(s.testDatabase.ownerUrl);
  });

  it('a period that is not a whole week, or not over yet, is refused without writing anything', async () => {
    const s = (scenario = await createPoolScenario());
    await expect(distributePoolsForPeriod(s.deps, { ...week, periodStart: '2025-03-04T00:00:00.000Z' }, distributedAt)).rejects.toThrow(/Monday/);
    await expect(distributePoolsForPeriod(s.deps, { ...week, periodEnd: '2025-03-11T00:00:00.000Z' }, distributedAt)).rejects.toThrow(/ends/);
    await expect(distributePoolsForPeriod(s.deps, week, { now: new Date('2025-03-09T12:00:00Z') })).rejects.toThrow(/not over/);
    expect((await s.owner.query(`SELECT count(*)::int AS n FROM pool_runs`)).rows[0].n).toBe(0);
  });
});

describe('monthly leadership pools', () => {
  it('pools 9–11 qualify by rank alone: $100.00 among three rank 9 partners is 33.33 each, 0.01 left', async () => {
    const s = (scenario = await createPoolScenario());
    await s.partner({ id: 'nine-a', rank: '9' });
    await s.partner({ id: 'nine-b', rank: '9_PRO', sponsor: 'nine-a' });
    await s.partner({ id: 'nine-c', rank: '9' });
    await s.partner({ id: 'nine-suspended', rank: '9', status: 'SUSPENDED' });
    await s.partner({ id: 'eleven', rank: '11' });
    await s.partner({ id: 'eight', rank: '8' });
    // February's turnover: $10,000.00, none of it from the pool partners themselves.
    await s.event({ partnerId: 'eight', baseUsd: '6000.00', completedAt: '2025-02-01T00:00:00Z' });
    await s.event({ partnerId: null, baseUsd: '4000.00', completedAt: '2025-02-28T23:59:59Z', kind: 'INVESTMENT_CONFIRMED' });
    await s.event({ partnerId: null, baseUsd: '999.00', completedAt: '2025-03-01T00:00:00Z' });

    const result = await distributePoolsForPeriod(s.deps, month, { now: new Date('2025-03-01T00:15:00Z') });

    expect(result.runs.map((run) => run.pool)).toEqual(['POOL_9', 'POOL_10', 'POOL_11']);
    expect(runOf(result, 'POOL_9')).toMatchObject({ turnover: '10000.00', poolAmount: '100.00', qualified: 3, share: '33.33', remainder: '0.01' });
    expect(runOf(result, 'POOL_10')).toMatchObject({ qualified: 0, entryId: null });
    expect(runOf(result, 'POOL_11')).toMatchObject({ qualified: 1, share: '100.00', remainder: '0.00' });
    expect(await pendingBalances(s.owner)).toEqual({ 'nine-a': '33.33', 'nine-b': '33.33', 'nine-c': '33.33', eleven: '100.00' });
    expect(await platformBalance(s.owner, 'pool_remainder')).toBe('0.01');
    expect(await platformBalance(s.owner, 'pool_funding')).toBe('-200.00');
    const breakdown = (await s.owner.query(`SELECT breakdown FROM commissions WHERE partner_id = 'nine-b'`)).rows[0].breakdown;
    expect(breakdown.text).toMatch(/qualified by rank 9_PRO/);
    await assertLedgerInvariants(s.testDatabase.ownerUrl);
  });
});
