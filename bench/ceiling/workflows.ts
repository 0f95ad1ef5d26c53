import {
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { payoutStatusKey } from '../../workflows/search-attributes.ts';
import type { CeilingActivities } from './activities.ts';

/**
 * The payout benchmark's ceiling: the shape of an automatic payout's workflow with the work taken out. Five
 * activity calls (checklist, approval record, start processing, send, complete), one update (the approval) and one
 * signal (the provider's result), in the same order, each doing nothing. What the Temporal server and a worker
 * sustain for this is the most the payout lifecycle could reach on the same machine.
 */
export const approveCeilingUpdate = defineUpdate<string, [string]>('approve');
export const providerResultCeilingSignal = defineSignal<[string]>('providerResult');
/** Fan-out design 2's wake-up (workflows/payout.ts `payRunApproved`): the approval is recorded by the run; the payout only takes it in. */
export const payRunApprovedCeilingSignal = defineSignal<[unknown]>('payRunApproved');
/** Where a ceiling workflow is: `checklist` until its first step returned, then `awaiting-approval`, … (no history events). */
export const ceilingStageQuery = defineQuery<string>('stage');

const { noop } = proxyActivities<CeilingActivities>({ startToCloseTimeout: '30 seconds' });
const { deliverApprovals, signalApprovals } = proxyActivities<CeilingActivities>({ startToCloseTimeout: '10 minutes', heartbeatTimeout: '60 seconds' });
const { noop: localNoop } = proxyLocalActivities<CeilingActivities>({ startToCloseTimeout: '30 seconds' });

export async function ceilingWorkflow(id: string): Promise<string> {
  let approved = false;
  let result: string | null = null;
  let stage = 'checklist';
  setHandler(ceilingStageQuery, () => stage);
  setHandler(approveCeilingUpdate, async (approver) => {
    await noop('record-approval');
    approved = true;
    return approver;
  });
  setHandler(providerResultCeilingSignal, (outcome) => {
    result = outcome;
  });
  await noop('checklist');
  stage = 'awaiting-approval';
  await condition(() => approved);
  stage = 'processing';
  await noop('start-processing');
  await noop('send');
  await condition(() => result !== null);
  await noop('complete');
  stage = 'completed';
  return `${id}: ${result}`;
}

/**
 * The lean payout lifecycle's shape (workflows/payout.ts behind patch `payout-lean-lifecycle`) with the work taken
 * out: the database steps as local activities (checklist; approval and start of processing in the update; complete),
 * one activity (the send to the provider), the wait for the provider's signal bounded by a timer, and the status
 * search attribute set at each step — each doing nothing. Started with the payout's search attributes and memo.
 */
export async function leanCeilingWorkflow(id: string): Promise<string> {
  let approved = false;
  let result: string | null = null;
  let stage = 'checklist';
  setHandler(ceilingStageQuery, () => stage);
  setHandler(approveCeilingUpdate, async (approver) => {
    await localNoop('record-approval-start-processing');
    upsertSearchAttributes([{ key: payoutStatusKey, value: 'PROCESSING' }]);
    approved = true;
    return approver;
  });
  // Design 2's shape: the run's chunk recorded the approval and the start; the signal sets the status only.
  setHandler(payRunApprovedCeilingSignal, () => {
    if (approved) return;
    upsertSearchAttributes([{ key: payoutStatusKey, value: 'PROCESSING' }]);
    approved = true;
  });
  setHandler(providerResultCeilingSignal, (outcome) => {
    result = outcome;
  });
  upsertSearchAttributes([{ key: payoutStatusKey, value: 'REQUESTED' }]);
  await localNoop('checklist');
  upsertSearchAttributes([{ key: payoutStatusKey, value: 'AWAITING_APPROVAL' }]);
  stage = 'awaiting-approval';
  await condition(() => approved);
  stage = 'processing';
  await noop('send');
  await condition(() => result !== null, '1 hour');
  await localNoop('complete');
  upsertSearchAttributes([{ key: payoutStatusKey, value: 'COMPLETED' }]);
  stage = 'completed';
  return `${id}: ${result}`;
}

export interface CeilingRunInput {
  run: string;
  count: number;
  chunkSize: number;
  concurrency: number;
  /** Chunks delivered per workflow run before it continues as new (history stays small for any count). */
  chunksPerRun: number;
  /** `signal`: fan-out design 2's shape (a no-op set-based chunk, then one signal per workflow); `update` (absent): design 1's. */
  fanOut?: 'signal' | 'update';
  /** Where this run (after continue-as-new) starts. */
  next?: number;
  delivered?: number;
}

/**
 * The pay run's ceiling: one decision delivered to `count` ceiling workflows, chunk after chunk through the real
 * delivery module (bench/ceiling/activities.ts), continuing as new every `chunksPerRun` chunks — the pay run's fan-out
 * with the database work taken out: per chunk a no-op where the run loads the chunk's deliveries, the delivery, and a
 * no-op where it records their outcomes. Returns how many approvals were accepted.
 */
export async function ceilingRunWorkflow(input: CeilingRunInput): Promise<number> {
  let next = input.next ?? 0;
  let delivered = input.delivered ?? 0;
  if (input.fanOut === 'signal') {
    // Design 2's shape: one activity for the whole decision, its signals (the set-based approvals are database work,
    // taken out), as workflows/pay-run.ts's `approveAndWakeDecision`.
    await noop('next-deliveries');
    return signalApprovals({ run: input.run, from: 0, to: input.count, concurrency: input.concurrency });
  }
  for (let chunk = 0; chunk < input.chunksPerRun && next < input.count; chunk += 1) {
    const to = Math.min(input.count, next + input.chunkSize);
    await noop('next-deliveries');
    delivered += await deliverApprovals({ run: input.run, from: next, to, concurrency: input.concurrency });
    await noop('record-deliveries');
    next = to;
  }
  if (next < input.count) await continueAsNew<typeof ceilingRunWorkflow>({ ...input, next, delivered });
  return delivered;
}
