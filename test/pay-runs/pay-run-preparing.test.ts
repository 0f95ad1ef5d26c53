import { randomUUID } from 'node:crypto';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../helpers/api.ts';

/**
 * docs/rules.md#pay-runs, the schedule's run: from the moment the schedule reserved its id (and started it) until its
 * row exists, the run is listed and readable as PREPARING with its payment date; once the row exists, the row is
 * what the API shows, and it is listed once.
 */

let api: ApiHarness;
beforeAll(async () => {
  api = await createApiHarness();
});
afterAll(async () => {
  await api?.close();
});

interface Listed { id: string; status: string; source: string; paymentDate: string | null; totals: { byCurrency: unknown[] }; progress: { pending: number } }

describe('a scheduled pay run while PREPARING', () => {
  it('is listed and readable with its status and date before its row exists, and shows its row afterwards', async () => {
    const reader = await api.signIn(await api.createAdmin('financial_support'));
    const runId = randomUUID();
    await api.owner.query(sql.unsafe`INSERT INTO pay_run_schedule_ids (payment_date, run_id) VALUES ('2031-03-15', ${runId})`);

    const list = await api.request('/v1/pay-runs', { token: reader });
    expect(list.status, await list.clone().text()).toBe(200);
    const listed = ((await list.json()) as { payRuns: Listed[] }).payRuns.filter((run) => run.id === runId);
    expect(listed).toEqual([expect.objectContaining({ id: runId, status: 'PREPARING', source: 'SCHEDULE', paymentDate: '2031-03-15' })]);
    const preparing = await api.request('/v1/pay-runs?status=PREPARING', { token: reader });
    expect(((await preparing.json()) as { payRuns: Listed[] }).payRuns.map((run) => run.id)).toContain(runId);
    const awaiting = await api.request('/v1/pay-runs?status=AWAITING_APPROVAL', { token: reader });
    expect(((await awaiting.json()) as { payRuns: Listed[] }).payRuns.map((run) => run.id)).not.toContain(runId);
    const one = await api.request(`/v1/pay-runs/${runId}`, { token: reader });
    expect(one.status, await one.clone().text()).toBe(200);
    expect(await one.json()).toMatchObject({ id: runId, status: 'PREPARING', paymentDate: '2031-03-15', totals: { byCurrency: [] }, progress: { pending: 0 } });

    // The workflow creates the row (here: as prepareScheduledPayRun would, with nothing due that day): listed once, as the row says.
    const version = await api.owner.oneFirst(sql.unsafe`SELECT max(version) AS version FROM policy_versions`);
    await api.owner.query(sql.unsafe`
      INSERT INTO pay_runs (id, status, source, payment_date, selection, created_by, policy_version, run_approval_required)
      VALUES (${runId}, 'AWAITING_APPROVAL', 'SCHEDULE', '2031-03-15', '{}'::jsonb, 'system:payout-schedule', ${version as number}, false)`);
    const after = ((await (await api.request('/v1/pay-runs', { token: reader })).json()) as { payRuns: Listed[] }).payRuns.filter((run) => run.id === runId);
    expect(after).toEqual([expect.objectContaining({ id: runId, status: 'AWAITING_APPROVAL' })]);
    // An id nobody reserved is still unknown.
    expect((await api.request(`/v1/pay-runs/${randomUUID()}`, { token: reader })).status).toBe(404);
  });
});
