import { allHandlersFinished, condition, continueAsNew, proxyActivities, setHandler, defineQuery, workflowInfo } from '@temporalio/workflow';
import type { createPayoutDeliveryActivities } from '../activities/payout-delivery.ts';
import type { PaymentFileActivities } from '../activities/payment-files.ts';
import type { PaymentFileDelivery } from '../domain/payment-file.ts';
import type { PayoutDeliveryOutcome } from '../modules/payouts/payout-delivery.ts';
import type { DeliveryChunk } from '../modules/payouts/payment-files.ts';

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

/**
 * The walk both workflows share: chunk after chunk, load its deliveries, deliver them, record the answers, until
 * the last chunk ('done') or until it is time to continue as new ('continue': the caller does, with `progress`).
 */
async function deliverInChunks(
  delivery: PaymentFileDelivery,
  progress: PaymentFileProgress,
  deliverPayoutUpdates: DeliveryActivities['deliverPayoutUpdates'],
  chunk: {
    load: (fromPosition: number) => Promise<DeliveryChunk>;
    record: (outcomes: PayoutDeliveryOutcome[]) => Promise<unknown>;
  },
): Promise<'done' | 'continue'> {
  let chunks = 0;
  for (;;) {
    if (timeToContinue(chunks, delivery)) return 'continue';
    const loaded = await chunk.load(progress.nextPosition);
    if (loaded.deliveries.length > 0) {
      const outcomes = await deliverPayoutUpdates({ deliveries: loaded.deliveries, concurrency: delivery.concurrency });
      await chunk.record(outcomes);
      const refused = outcomes.filter((outcome) => outcome.outcome !== 'accepted').length;
      progress.delivered += outcomes.length - refused;
      progress.refused += refused;
    }
    chunks += 1;
    if (loaded.nextPosition === null) return 'done';
    progress.nextPosition = loaded.nextPosition;
  }
}

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
  const walked = await deliverInChunks(input.delivery, progress, deliverPayoutUpdates, {
    load: (fromPosition) => activities.loadPaymentFileLockChunk({ exportId: input.exportId, fromPosition, limit: input.delivery.chunkSize }),
    record: async (outcomes) => {
      const refused = outcomes.filter((outcome) => outcome.outcome !== 'accepted');
      if (refused.length > 0) await activities.recordPaymentFileLockRefusals({ exportId: input.exportId, refused });
    },
  });
  if (walked === 'continue') {
    await condition(allHandlersFinished);
    return continueAsNew<typeof paymentFileLockWorkflow>(input, progress);
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
  const walked = await deliverInChunks(input.delivery, progress, deliverPayoutUpdates, {
    load: (fromPosition) => activities.loadPaymentFileCloseChunk({ closeId: input.closeId, fromPosition, limit: input.delivery.chunkSize }),
    record: (outcomes) => activities.recordPaymentFileCloseOutcomes({ closeId: input.closeId, outcomes }),
  });
  if (walked === 'continue') {
    await condition(allHandlersFinished);
    return continueAsNew<typeof paymentFileCloseWorkflow>(input, progress);
  }
  await activities.finishPaymentFileClose({ closeId: input.closeId });
  progress.done = true;
  return progress;
}
