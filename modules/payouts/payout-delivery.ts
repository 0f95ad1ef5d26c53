import { ActivityFailure, ApplicationFailure, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { refusalOf } from '../../domain/errors.ts';
import { payoutWorkflowId } from '../../workflows/payout-messages.ts';

/**
 * Delivers one decision to many `payout-<id>` workflows (a pay run's approval, a payment file's bulk close), each
 * as the same Temporal update an admin's single decision sends, with at most `concurrency` in flight.
 *
 * Exactly once under retries: every delivery carries an update id the caller derives from the decision and the
 * payout (`pay-run-<run>-<decision>-<payout>`). Temporal keeps an accepted update's outcome under its id for the
 * workflow run, so delivering the same id again (an activity retried after a worker died mid-way) returns the first
 * outcome and never runs the handler twice. A refusal by the payout's validator or handler is that item's answer,
 * not an error: the rest of the batch goes on.
 */

export type PayoutUpdateName = 'approve' | 'reject' | 'cancel' | 'markProcessing' | 'complete' | 'fail';

export interface PayoutDelivery {
  payoutId: string;
  /** Unique per decision and payout: the same id is delivered at most once. */
  updateId: string;
  update: PayoutUpdateName;
  /** The update's single argument (ApprovePayoutInput, CompletePayoutInput, …). */
  input: unknown;
}

export interface PayoutDeliveryOutcome {
  payoutId: string;
  /** accepted: the update ran; refused: the payout said no (code and message say why); missing: no such workflow, or closed. */
  outcome: 'accepted' | 'refused' | 'missing';
  code: string | null;
  message: string | null;
  /** The payout's status after the update, when it was accepted. */
  status: string | null;
}

/** What a refused update's failure says: the payout's own refusal code when it gave one. */
function refusalOfUpdate(error: WorkflowUpdateFailedError): { code: string; message: string } {
  const cause = error.cause instanceof ActivityFailure ? error.cause.cause : error.cause;
  const refusal = cause instanceof ApplicationFailure ? refusalOf(cause) : null;
  return { code: refusal?.code ?? 'refused', message: cause instanceof Error ? cause.message : error.message };
}

/**
 * Sends each delivery and answers with one outcome per delivery, in their order. Errors other than a refusal or a
 * missing workflow (Temporal unreachable, a timeout) are thrown after the in-flight deliveries settle, so the
 * caller's retry delivers the batch again: what was accepted answers with its first outcome.
 */
export async function deliverPayoutUpdates(
  client: Client,
  deliveries: readonly PayoutDelivery[],
  options: { concurrency: number; onDelivered?: (delivered: number) => void },
): Promise<PayoutDeliveryOutcome[]> {
  const outcomes: PayoutDeliveryOutcome[] = new Array(deliveries.length);
  let next = 0;
  let delivered = 0;
  let failure: unknown = null;
  const lane = async () => {
    while (failure === null && next < deliveries.length) {
      const index = next++;
      const delivery = deliveries[index]!;
      try {
        outcomes[index] = await deliverOne(client, delivery);
      } catch (error) {
        failure ??= error;
        return;
      }
      delivered += 1;
      options.onDelivered?.(delivered);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, deliveries.length)) }, lane));
  if (failure !== null) throw failure;
  return outcomes;
}

async function deliverOne(client: Client, delivery: PayoutDelivery): Promise<PayoutDeliveryOutcome> {
  const handle = client.workflow.getHandle(payoutWorkflowId(delivery.payoutId));
  try {
    const state = (await handle.executeUpdate(delivery.update, { args: [delivery.input], updateId: delivery.updateId })) as { status?: string } | undefined;
    return { payoutId: delivery.payoutId, outcome: 'accepted', code: null, message: null, status: state?.status ?? null };
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) {
      const refusal = refusalOfUpdate(error);
      return { payoutId: delivery.payoutId, outcome: 'refused', code: refusal.code, message: refusal.message, status: null };
    }
    if (error instanceof WorkflowNotFoundError) {
      return { payoutId: delivery.payoutId, outcome: 'missing', code: 'workflow_closed', message: `payout-${delivery.payoutId} is closed or missing`, status: null };
    }
    throw error;
  }
}

/**
 * Fan-out design 2 (docs/rules.md#pay-runs): wakes each payout whose approval a pay run already recorded in the
 * database with the fire-and-forget `payRunApproved` signal, at most `concurrency` in flight. A signal is not a round
 * trip through the payout's workflow task: the server appends it and answers. Sending the same signal again (the
 * activity retried) is harmless: the payout ignores a decision it already took in. Answers how many were signalled
 * and which payouts have no running workflow (closed meanwhile: reported, their recorded approval stands).
 */
export async function signalPayRunApprovals(
  client: Client,
  signals: readonly { payoutId: string; input: unknown }[],
  options: { concurrency: number; onDelivered?: (delivered: number) => void },
): Promise<{ signalled: number; missing: string[] }> {
  let next = 0;
  let signalled = 0;
  const missing: string[] = [];
  let failure: unknown = null;
  const lane = async () => {
    while (failure === null && next < signals.length) {
      const { payoutId, input } = signals[next++]!;
      try {
        await client.workflow.getHandle(payoutWorkflowId(payoutId)).signal('payRunApproved', input);
        signalled += 1;
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) {
          missing.push(payoutId);
          continue;
        }
        failure ??= error;
        return;
      }
      options.onDelivered?.(signalled + missing.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, signals.length)) }, lane));
  if (failure !== null) throw failure;
  return { signalled, missing };
}
