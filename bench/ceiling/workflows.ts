import { condition, defineSignal, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';
import type { ceilingActivities } from './activities.ts';

/**
 * The payout benchmark's ceiling: the shape of an automatic payout's workflow with the work taken out. Five
 * activity calls (checklist, approval record, start processing, send, complete), one update (the approval) and one
 * signal (the provider's result), in the same order, each doing nothing. What the Temporal server and a worker
 * sustain for this is the most the payout lifecycle could reach on the same machine.
 */
export const approveCeilingUpdate = defineUpdate<string, [string]>('approve');
export const providerResultCeilingSignal = defineSignal<[string]>('providerResult');

const { noop } = proxyActivities<typeof ceilingActivities>({ startToCloseTimeout: '30 seconds' });

export async function ceilingWorkflow(id: string): Promise<string> {
  let approved = false;
  let result: string | null = null;
  setHandler(approveCeilingUpdate, async (approver) => {
    await noop('record-approval');
    approved = true;
    return approver;
  });
  setHandler(providerResultCeilingSignal, (outcome) => {
    result = outcome;
  });
  await noop('checklist');
  await condition(() => approved);
  await noop('start-processing');
  await noop('send');
  await condition(() => result !== null);
  await noop('complete');
  return `${id}: ${result}`;
}
