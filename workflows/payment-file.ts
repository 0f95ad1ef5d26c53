import { allHandlersFinished, condition, continueAsNew, proxyActivities, setHandler, defineQuery, workflowInfo } from '@temporalio/workflow';
import type { createPayoutDeliveryActivities } from '../activities/payout-delivery.ts';
import type { PaymentFileActivities } from '../activities/payment-files.ts';
import type { PaymentFileDelivery } from '../domain/payment-file.ts';

/**
 * The payment file's workflows (docs/rules.md#payment-files). Both walk the file (or the close request) in chunks of
 * consecutive positions: a database activity loads the chunk's deliveries, `deliverPayoutUpdates` sends them to the
 * `payout-<id>` workflows with bounded concurrency (each under an update id of the file, the step and the payout,
 * so a chunk delivered again after a worker died never runs a decision twice), and a database activity records the
 * answers. Every `chunksPerRun` chunks the run continues as new with its position: the history stays small for a
 * file of any size.
 */

type DeliveryActivities = ReturnType<typeof createPayoutDeliveryActivities>;

export interface PaymentFileProgress {
  /** The next position of the file (lock) or of the close's items to load. */
  nextPosition: number;
  delivered: number;
  refused: number;
  run: number;
  done: boolean;
}

export const getPaymentFileProgressQuery = defineQuery<PaymentFileProgress>('getPaymentFileProgress');

function activitiesFor(delivery: PaymentFileDelivery) {
  const steps = proxyActivities<PaymentFileActivities>({
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
  });
  const { deliverPayoutUpdates } = proxyActivities<DeliveryActivities>({
    // A chunk takes as long as its updates; the heartbeat (one per delivered payout) is what notices a dead worker.
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: `${delivery.heartbeatSeconds} seconds`,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
  });
  // Proxies: their methods are looked up by name, never spread.
  return { steps, deliverPayoutUpdates };
}

function startProgress(resume: PaymentFileProgress | null): PaymentFileProgress {
  return resume ? { ...resume, run: resume.run + 1 } : { nextPosition: 0, delivered: 0, refused: 0, run: 1, done: false };
}

const timeToContinue = (chunksThisRun: number, delivery: PaymentFileDelivery) =>
  chunksThisRun >= delivery.chunksPerRun || workflowInfo().continueAsNewSuggested;

export interface PaymentFileLockInput {
  exportId: string;
  delivery: PaymentFileDelivery;
}

/**
 * `payment-file-<exportId>`: moves every payout of the file still APPROVED to PROCESSING with the exporter's
 * `markProcessing` (external reference `<file name>#<line>`). A payout that refuses (an automatic method's:
 * `not_manual`; processing stopped by a switch) stays as it is and is recorded; the file is OPEN at the end.
 */
export async function paymentFileLockWorkflow(input: PaymentFileLockInput, resume: PaymentFileProgress | null = null): Promise<PaymentFileProgress> {
  const { steps: activities, deliverPayoutUpdates } = activitiesFor(input.delivery);
  const progress = startProgress(resume);
  setHandler(getPaymentFileProgressQuery, () => progress);
  let chunks = 0;
  for (;;) {
    if (timeToContinue(chunks, input.delivery)) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof paymentFileLockWorkflow>(input, progress);
    }
    const chunk = await activities.loadPaymentFileLockChunk({ exportId: input.exportId, fromPosition: progress.nextPosition, limit: input.delivery.chunkSize });
    if (chunk.deliveries.length > 0) {
      const outcomes = await deliverPayoutUpdates({ deliveries: chunk.deliveries, concurrency: input.delivery.concurrency });
      const refused = outcomes.filter((outcome) => outcome.outcome !== 'accepted');
      if (refused.length > 0) await activities.recordPaymentFileLockRefusals({ exportId: input.exportId, refused });
      progress.delivered += outcomes.length - refused.length;
      progress.refused += refused.length;
    }
    chunks += 1;
    if (chunk.nextPosition === null) break;
    progress.nextPosition = chunk.nextPosition;
  }
  await activities.finishPaymentFileLock({ exportId: input.exportId });
  progress.done = true;
  return progress;
}

export interface PaymentFileCloseInput {
  exportId: string;
  closeId: string;
  closeNo: number;
  delivery: PaymentFileDelivery;
}

/**
 * `payment-file-<exportId>-close-<n>`: delivers the close's `complete` / `fail` to each payout not already decided,
 * records each answer, then marks the close DONE (and tells the finance team when it has failures).
 */
export async function paymentFileCloseWorkflow(input: PaymentFileCloseInput, resume: PaymentFileProgress | null = null): Promise<PaymentFileProgress> {
  const { steps: activities, deliverPayoutUpdates } = activitiesFor(input.delivery);
  const progress = startProgress(resume);
  setHandler(getPaymentFileProgressQuery, () => progress);
  let chunks = 0;
  for (;;) {
    if (timeToContinue(chunks, input.delivery)) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof paymentFileCloseWorkflow>(input, progress);
    }
    const chunk = await activities.loadPaymentFileCloseChunk({ closeId: input.closeId, fromPosition: progress.nextPosition, limit: input.delivery.chunkSize });
    if (chunk.deliveries.length > 0) {
      const outcomes = await deliverPayoutUpdates({ deliveries: chunk.deliveries, concurrency: input.delivery.concurrency });
      await activities.recordPaymentFileCloseOutcomes({ closeId: input.closeId, outcomes });
      const refused = outcomes.filter((outcome) => outcome.outcome !== 'accepted').length;
      progress.delivered += outcomes.length - refused;
      progress.refused += refused;
    }
    chunks += 1;
    if (chunk.nextPosition === null) break;
    progress.nextPosition = chunk.nextPosition;
  }
  await activities.finishPaymentFileClose({ closeId: input.closeId });
  progress.done = true;
  return progress;
}
