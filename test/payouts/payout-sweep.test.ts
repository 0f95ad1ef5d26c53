import type { NativeConnection, Worker } from '@temporalio/worker';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createPayout } from '../../modules/payouts/create-payout.ts';
import { payoutSweepWorkflow } from '../../workflows/payout-sweep.ts';
import { createApiHarness, type ApiHarness } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { payoutKit } from '../helpers/payouts.ts';
import { createInProcessWorker } from '../helpers/temporal.ts';

/**
 * A request whose workflow never started (the API died between its commit and the start, or Temporal's answer was
 * lost) is found by the sweep and started from its row, once; real Postgres, real Temporal, the real workflows.
 */

let api: ApiHarness;
let kit: ReturnType<typeof payoutKit>;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;

beforeAll(async () => {
  api = await createApiHarness();
  kit = payoutKit(api);
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database: api.database, taskQueue: api.taskQueue }));
  workerRun = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await workerRun;
  await workerConnection?.close();
  await api?.close();
});

describe('payout sweep', () => {
  it('starts the workflow of a request left without one, once, and leaves the others alone', async () => {
    const { partnerId, userId } = await kit.partnerWithLogin({ USD: '500.00' });
    // Recorded exactly as POST /v1/payouts records it, and then the start never happens.
    const { row } = await createPayout(
      { database: api.database, ledger: api.dependencies.ledger, policies: api.dependencies.policies },
      { partnerId, amount: '100.00', currency: 'USD', methodId: 'PAYQUICKER', paymentDetails: { email: 'orphan@example.com' } },
      { initiator: { userId, role: 'partner', auditActor: userId }, field: (name) => `body.${name}`, ip: null },
    );
    expect(row.status).toBe('REQUESTED');
    const handle = api.dependencies.temporal.workflow.getHandle(`payout-${row.id}`);
    await expect(handle.describe()).rejects.toThrow();

    // Too recent for the default age: nothing is started.
    expect(await api.dependencies.temporal.workflow.execute(payoutSweepWorkflow, { taskQueue: api.taskQueue, workflowId: `sweep-${row.id}-1`, args: [{}] })).toEqual({ started: 0, alreadyStarted: 0 });
    const first = await api.dependencies.temporal.workflow.execute(payoutSweepWorkflow, { taskQueue: api.taskQueue, workflowId: `sweep-${row.id}-2`, args: [{ olderThanSeconds: 0 }] });
    expect(first.started).toBeGreaterThanOrEqual(1);
    const moved = await kit.waitFor(row.id, (payout) => payout.status === 'AWAITING_APPROVAL', 'AWAITING_APPROVAL');
    expect(moved.amount).toBe('100.00');

    // Started once: the payout has moved on, and a second sweep finds nothing of it to start.
    const second = await api.dependencies.temporal.workflow.execute(payoutSweepWorkflow, { taskQueue: api.taskQueue, workflowId: `sweep-${row.id}-3`, args: [{ olderThanSeconds: 0 }] });
    expect(second).toEqual({ started: 0, alreadyStarted: 0 });
    expect((await handle.describe()).status.name).toBe('RUNNING');
    const reserves = await api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`
      SELECT count(*)::int AS count FROM journal_entries WHERE idempotency_key = ${`payout-reserve-${row.id}`}`);
    expect(reserves).toBe(1);
    await handle.terminate('test finished');
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });
});
