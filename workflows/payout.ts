import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  ActivityFailure,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { PayoutActivities } from '../activities/payout.ts';
import type { PayoutSettlement, StartedProcessing } from '../modules/payouts/payout-steps.ts';
import type { ProviderAttemptResult } from '../modules/payouts/provider-attempts.ts';
import {
  attemptOfKey,
  canTransitionPayout,
  chainComplete,
  invoiceChangedType,
  invoiceMissingType,
  isTerminalPayoutStatus,
  millisecondsToNextUtcDay,
  partnerValidationActor,
  partnerValidationOf,
  partnerValidationWait,
  retryClassOf,
  openStepFor,
  processingStoppedType,
  rejectionDestination,
  transitionPayout,
  type PayoutFailureCode,
  type PayoutRejectionCode,
  type PayoutStatus,
} from '../domain/payout.ts';
import { refusalFailure } from '../domain/errors.ts';
import type { Policy } from '../domain/policy.ts';
import {
  approvePayoutUpdate,
  cancelPayoutUpdate,
  completePayoutUpdate,
  failPayoutUpdate,
  getPayoutStateQuery,
  holdCauseClearedSignal,
  markPayoutProcessingUpdate,
  payRunApprovedSignal,
  payoutRefusedType,
  providerResultSignal,
  rejectPayoutUpdate,
  releasePayoutUpdate,
  validatePayoutUpdate,
  type ApprovePayoutInput,
  type PayoutRequest,
  type PayoutState,
  type ProviderResultInput,
  type ValidatePayoutInput,
} from './payout-messages.ts';
import { payoutStatusKey } from './search-attributes.ts';

/** The part of the policy a payout lifecycle uses, captured when it starts. */
export type PayoutWorkflowPolicy = Pick<Policy, 'version' | 'payouts'>;

export const payoutNonRetryableErrors = ['PayoutNotFound'];

/**
 * Workflows started before the emergency switches (docs/rules.md#emergency-switches) replay without reading them; from this patch on,
 * automatic sending and a manual "processing" check them first.
 */
export const emergencySwitchesPatch = 'payout-emergency-switches';

/**
 * docs/rules.md#payout-lean-lifecycle: workflows started from this patch on run their short database steps (checklist, approval, the
 * start of automatic processing, partner validation, manual processing, completion) as local activities, fold the
 * approval that completes an automatic payout's chain and the start of its processing into one, and write the
 * PayoutStatus search attribute once per step. Older workflows replay their recorded activities unchanged.
 */
export const leanLifecyclePatch = 'payout-lean-lifecycle';

/**
 * docs/rules.md#pay-runs, fan-out design 2: a pay run records a payout's approval in the database itself and wakes
 * the payout with the `payRunApproved` signal. Asked only when such a signal arrives, so lifecycles that never get
 * one record nothing; a history from before it (where such a signal had no handler) replays without taking it in.
 */
export const payRunSignalPatch = 'payout-pay-run-signal';

const payoutRetry = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  nonRetryableErrorTypes: payoutNonRetryableErrors,
} as const;

function payoutActivities(policy: PayoutWorkflowPolicy) {
  return proxyActivities<PayoutActivities>({
    startToCloseTimeout: `${policy.payouts.activityTimeoutSeconds} seconds`,
    retry: payoutRetry,
  });
}

/**
 * The same steps as local activities: run by the worker inside the workflow task and recorded as one marker each.
 * A failed attempt is retried by the workflow task itself while the backoff is under `localRetryThreshold`, then
 * through a workflow timer, so a database outage does not keep the task open; a worker lost before the task
 * completes runs the step again, which every step allows (it locks the payout and finds its work done).
 */
function payoutLocalActivities(policy: PayoutWorkflowPolicy) {
  return proxyLocalActivities<PayoutActivities>({
    startToCloseTimeout: `${policy.payouts.activityTimeoutSeconds} seconds`,
    localRetryThreshold: '10 seconds',
    retry: payoutRetry,
  });
}

/**
 * `payout-<id>`: the request's money is already in `payout_reserved` (posted with the payout row at creation).
 * The workflow runs the review checklist (HELD waits for an admin's release or re-checks on a timer), waits for the
 * partner's validation when the policy asks for it (AWAITING_PARTNER, docs/rules.md#partner-validation; cancelled after the policy's
 * wait), collects the approval chain as updates, then follows manual processing to COMPLETED or FAILED. Every exit
 * moves the reserved money exactly once through an activity keyed `payout-<step>-<id>`.
 *
 * One decision at a time: updates and the checklist take a workflow-local lock, and re-check the state once they
 * hold it, so a cancel that arrives while an approval's activity runs is judged on the state that approval left.
 */
export async function payoutWorkflow(request: PayoutRequest, policy: PayoutWorkflowPolicy): Promise<PayoutState> {
  const activities = payoutActivities(policy);
  // docs/rules.md#partner-validation: with `required`, a payout that passed the checklist waits for its partner before the approval chain.
  // Off in every policy stored before it existed (and absent from their workflows' input), so those lifecycles
  // issue exactly the commands they always did.
  const partnerValidation = partnerValidationOf(policy.payouts);
  const state: PayoutState = {
    payoutId: request.payoutId,
    status: 'REQUESTED',
    partnerId: request.partnerId,
    currency: request.currency,
    amount: request.amount,
    fee: request.fee,
    amountToTransfer: request.amountToTransfer,
    detailsHash: request.detailsHash,
    requiredChain: request.requiredChain,
    approvals: [],
    checklist: [],
    checklistRuns: 0,
    rejection: null,
    externalReference: null,
    failure: null,
    settleEntryId: null,
    policyVersion: policy.version,
  };
  let busy = false;
  let releaseRequested = false;
  let switchCheckRequested = false;
  // The method's processing, until an outage switches the method to manual (docs/rules.md#emergency-switches).
  let processing = request.processing;

  const exclusive = async <T>(action: () => Promise<T>): Promise<T> => {
    await condition(() => !busy);
    busy = true;
    try {
      return await action();
    } finally {
      busy = false;
    }
  };

  // Workflows started before the emergency switches replay as they ran (see `emergencySwitchesPatch`): evaluated
  // once, in the first workflow task, so every later path of one run agrees.
  // A lean workflow reads the switches too; it records only its own patch marker (each marker also costs a
  // search attribute upsert), so `patched(emergencySwitchesPatch)` is asked only of older workflows.
  const lean = patched(leanLifecyclePatch);
  const switchesAware = lean || patched(emergencySwitchesPatch);
  // The database steps: local activities in a lean workflow, activities before it.
  const steps = lean ? payoutLocalActivities(policy) : activities;
  let publishedNotes = '';
  let publishedStatus: PayoutStatus = 'REQUESTED';

  /**
   * The status goes to the PayoutStatus search attribute at every transition. The memo says what the payout is and,
   * since the switches patch, changes only when there is something to say beyond the status (waiting, needs review,
   * switched to manual): each change is a write to the server's visibility store.
   */
  const publish = () => {
    // Lean: only a status that changed since the last upsert is written (the workflow starts with REQUESTED).
    if (!lean || state.status !== publishedStatus) upsertSearchAttributes([{ key: payoutStatusKey, value: state.status }]);
    publishedStatus = state.status;
    const subject = `Payout ${state.amount} ${state.currency} (fee ${state.fee}) to partner ${state.partnerId} via ${request.methodId}`;
    if (!switchesAware) {
      upsertMemo({
        summary: `${subject}${processing !== request.processing ? ' (switched to manual)' : ''}: ${state.status}${state.needsReview ? ' (needs review)' : ''}`,
        ...(state.needsReview ? { needsReview: true } : {}),
      });
      return;
    }
    const notes = [
      processing !== request.processing ? 'switched to manual' : null,
      state.needsReview ? 'needs review' : null,
      (state.waitingFor ?? []).length > 0 ? `waiting: ${state.waitingFor!.join('; ')}` : null,
    ]
      .filter((note) => note !== null)
      .join('; ');
    if (notes === publishedNotes) return;
    publishedNotes = notes;
    upsertMemo({ summary: notes === '' ? subject : `${subject} (${notes})`, needsReview: state.needsReview === true });
  };

  /** `quietly`: part of a step that publishes once it is done (lean workflows only). */
  const moveTo = (status: PayoutStatus, quietly = false) => {
    state.status = transitionPayout(state.status, status);
    if (!quietly) publish();
  };

  /**
   * What the activity that starts automatic processing answered, applied to the state: started (PROCESSING), the
   * method forced to manual (it leaves the provider path for good), or waiting on a switch. Publishes once.
   */
  const applyStart = (result: StartedProcessing | null | undefined): 'started' | 'manual' | 'waiting' => {
    if (result?.started) {
      state.attempt = 0;
      state.providerReference = null;
      state.needsReview = false;
      state.waitingFor = [];
      moveTo('PROCESSING');
      return 'started';
    }
    if (result?.switches?.methodForcedManual) {
      processing = 'MANUAL';
      state.processing = 'MANUAL';
      state.waitingFor = [];
      publish();
      return 'manual';
    }
    state.waitingFor = result?.switches?.reasons ?? [];
    publish();
    return 'waiting';
  };

  const settle = async (outcome: PayoutSettlement, input: { actor: string; destination: 'available' | 'held'; rejectionCode?: PayoutRejectionCode; failureCode?: PayoutFailureCode; reason: string | null; ip?: string | null }) => {
    const result = await activities.releasePayoutReserve({
      payoutId: request.payoutId,
      outcome,
      destination: input.destination,
      actor: input.actor,
      rejectionCode: input.rejectionCode ?? null,
      failureCode: input.failureCode ?? null,
      reason: input.reason,
      // docs/rules.md#audit-trail: the deciding person's client address, sent only when there is one (older histories replay unchanged).
      ...(input.ip ? { ip: input.ip } : {}),
    });
    state.settleEntryId = result.entryId;
    moveTo(outcome);
  };

  const requireTransition = (to: PayoutStatus) => {
    if (!canTransitionPayout(state.status, to)) {
      throw refusalFailure(payoutRefusedType, 'conflict', 'invalid_state', `the payout is ${state.status} and cannot become ${to}`, 'status');
    }
  };

  /** An automatic payout is the provider's to finish until its attempts run out and it needs review. */
  const requireManualDecision = () => {
    if (processing === 'AUTOMATIC' && state.status === 'PROCESSING' && !state.needsReview) {
      throw refusalFailure(payoutRefusedType, 'conflict', 'provider_in_progress', `the provider is processing attempt ${state.attempt ?? 0}; an admin decides only once it needs review`, 'status');
    }
  };

  /**
   * `beforeChecklist`: the approval arrived while the checklist has not yet run (REQUESTED, the first seconds of a
   * payout): everything but the status is checked now, the status once the checklist is done.
   */
  const checkApproval = (input: ApprovePayoutInput, beforeChecklist = false): number => {
    if (!(beforeChecklist && state.status === 'REQUESTED')) {
      if (state.status === 'AWAITING_PARTNER') {
        throw refusalFailure(payoutRefusedType, 'conflict', 'awaiting_partner', 'the partner has not validated the payout yet; it is approved only after that', 'status');
      }
      requireTransition('APPROVED');
      if (state.status !== 'AWAITING_APPROVAL') {
        throw refusalFailure(payoutRefusedType, 'conflict', 'invalid_state', `the payout is ${state.status}, not AWAITING_APPROVAL`, 'status');
      }
    }
    if (input.actor.userId === request.initiatedBy.userId) {
      throw refusalFailure(payoutRefusedType, 'forbidden', 'maker_checker', 'an admin cannot approve a payout they initiated');
    }
    if (state.approvals.some((approval) => approval.userId === input.actor.userId)) {
      throw refusalFailure(payoutRefusedType, 'conflict', 'already_approved', 'this admin has already approved the payout; approvers must be distinct people');
    }
    if (input.amount !== state.amount) {
      throw refusalFailure(payoutRefusedType, 'conflict', 'amount_mismatch', `the payout's amount is ${state.amount}, not ${input.amount}`, 'body.amount');
    }
    if (input.detailsHash !== state.detailsHash) {
      throw refusalFailure(payoutRefusedType, 'conflict', 'details_changed', 'the payment details differ from what the approver saw', 'body.detailsHash');
    }
    const step = openStepFor(state.requiredChain, state.approvals, input.actor.role);
    if (step === null) {
      const open = state.requiredChain
        .filter((_, index) => !state.approvals.some((approval) => approval.step === index))
        .map((chainStep) => chainStep.roles.join(' or '));
      throw refusalFailure(payoutRefusedType, 'forbidden', 'role_not_in_chain', `no open step of the approval chain takes role ${input.actor.role}; it still needs ${open.join(', then ')}`);
    }
    return step;
  };

  /**
   * The partner's validation (docs/rules.md#partner-validation): only under a policy that asks for it, only the partner, only while
   * AWAITING_PARTNER (a validation sent before the checklist finished waits for it, like an approval), bound to the
   * amount and details hash the partner was shown, and with an invoice when the policy requires one.
   */
  const checkPartnerValidation = (input: ValidatePayoutInput, beforeChecklist = false) => {
    if (!partnerValidation.required) {
      throw refusalFailure(payoutRefusedType, 'conflict', 'invalid_state', `policy version ${policy.version}, which this payout runs under, asks for no partner validation`, 'status');
    }
    if (!(beforeChecklist && state.status === 'REQUESTED') && state.status !== 'AWAITING_PARTNER') {
      throw refusalFailure(payoutRefusedType, 'conflict', 'invalid_state', `the payout is ${state.status}, not AWAITING_PARTNER`, 'status');
    }
    if (input.actor.role !== 'partner') throw refusalFailure(payoutRefusedType, 'forbidden', 'forbidden', 'only the payout’s partner validates it');
    if (input.amount !== state.amount) {
      throw refusalFailure(payoutRefusedType, 'conflict', 'amount_mismatch', `the payout's amount is ${state.amount}, not ${input.amount}`, 'body.amount');
    }
    if (input.detailsHash !== state.detailsHash) {
      throw refusalFailure(payoutRefusedType, 'conflict', 'details_changed', 'the payment details differ from what the partner saw', 'body.detailsHash');
    }
    if (partnerValidation.invoiceRequired && input.invoiceId === null) {
      throw refusalFailure(payoutRefusedType, 'conflict', 'invoice_required', 'upload the invoice (POST /v1/payouts/{id}/invoice) before validating the payout', 'invoice');
    }
  };

  setHandler(getPayoutStateQuery, () => state);

  // Provider results by attempt (the first for each), deduplicated by eventId; only the awaited attempt's is used.
  const providerResults = new Map<number, ProviderResultInput>();
  const seenEvents = new Set<string>();
  setHandler(providerResultSignal, (input) => {
    if (seenEvents.has(input.eventId)) return;
    seenEvents.add(input.eventId);
    const attempt = attemptOfKey(request.payoutId, input.idempotencyKey);
    // Only attempts already sent (or being sent) can have a result; anything else is not this payout's.
    if (attempt === null || attempt > (state.attempt ?? 0) || providerResults.has(attempt)) return;
    providerResults.set(attempt, input);
  });

  setHandler(
    approvePayoutUpdate,
    async (input) => {
      // An approval sent right after the request waits for the checklist rather than being refused.
      await condition(() => state.status !== 'REQUESTED');
      return exclusive(async () => {
        const step = checkApproval(input);
        const completes = chainComplete(state.requiredChain, [...state.approvals, { userId: input.actor.userId, role: input.actor.role, step, at: '' }]);
        const approval = {
          payoutId: request.payoutId,
          actor: input.actor,
          step,
          amountSeen: input.amount,
          detailsHashSeen: input.detailsHash,
          completesChain: completes,
        };
        if (lean && completes && processing === 'AUTOMATIC') {
          // The last approval of an automatic payout starts its processing in the same transaction (switches allowing).
          const { at, start } = await steps.approvePayoutAndStartProcessing(approval);
          state.approvals.push({ userId: input.actor.userId, role: input.actor.role, step, at });
          moveTo('APPROVED', true);
          applyStart(start);
          return state;
        }
        const { at } = await steps.recordPayoutApproval(approval);
        state.approvals.push({ userId: input.actor.userId, role: input.actor.role, step, at });
        if (completes) moveTo('APPROVED');
        return state;
      });
    },
    { validator: (input) => void checkApproval(input, true) },
  );

  // docs/rules.md#pay-runs (design 2): the run's transaction recorded this approval (and, when it completed an
  // automatic chain, the start of processing); the payout mirrors it into its state, as the `approve` update would
  // after its own activity. One decision is taken in once; a payout that has moved on meanwhile (cancelled by an
  // admin before the signal came) keeps its state.
  const payRunDecisions = new Set<string>();
  setHandler(payRunApprovedSignal, async (input) => {
    if (!patched(payRunSignalPatch)) return;
    if (payRunDecisions.has(input.decisionId)) return;
    payRunDecisions.add(input.decisionId);
    await condition(() => state.status !== 'REQUESTED');
    await exclusive(async () => {
      if (state.status !== 'AWAITING_APPROVAL' || state.approvals.some((approval) => approval.userId === input.actor.userId)) return;
      state.approvals.push({ userId: input.actor.userId, role: input.actor.role, step: input.step, at: input.at });
      if (!input.completesChain) return;
      if (lean && processing === 'AUTOMATIC') {
        moveTo('APPROVED', true);
        // Not started by the run (an emergency switch): the payout asks again at once, as a release would make it.
        if (input.start === null) switchCheckRequested = true;
        applyStart(input.start);
        return;
      }
      moveTo('APPROVED');
    });
  });

  setHandler(
    validatePayoutUpdate,
    async (input) => {
      await condition(() => state.status !== 'REQUESTED');
      return exclusive(async () => {
        checkPartnerValidation(input);
        let validated: { at: string; invoiceId: string | null };
        try {
          validated = await steps.recordPartnerValidation({
            payoutId: request.payoutId,
            actor: input.actor,
            amountSeen: input.amount,
            detailsHashSeen: input.detailsHash,
            invoiceId: input.invoiceId,
            invoiceRequired: partnerValidation.invoiceRequired,
          });
        } catch (error) {
          // The database had the last word on the invoice: none after all, or another one since the partner looked.
          const cause = error instanceof ActivityFailure ? error.cause : null;
          if (cause instanceof ApplicationFailure && cause.type === invoiceMissingType) throw refusalFailure(payoutRefusedType, 'conflict', 'invoice_required', cause.message, 'invoice');
          if (cause instanceof ApplicationFailure && cause.type === invoiceChangedType) throw refusalFailure(payoutRefusedType, 'conflict', 'invoice_changed', cause.message, 'invoice');
          throw error;
        }
        state.partnerValidation = { userId: input.actor.userId, at: validated.at, amount: input.amount, detailsHash: input.detailsHash, invoiceId: validated.invoiceId };
        moveTo('AWAITING_APPROVAL');
        return state;
      });
    },
    { validator: (input) => checkPartnerValidation(input, true) },
  );

  setHandler(
    rejectPayoutUpdate,
    (input) =>
      exclusive(async () => {
        requireTransition('REJECTED');
        // Recorded once the settlement succeeded: a payout whose settlement was refused (it is in a payment file)
        // stays as it was, without a rejection.
        await settle('REJECTED', { actor: input.actor.userId, destination: rejectionDestination(input.code), rejectionCode: input.code, reason: input.reason, ip: input.actor.ip });
        state.rejection = { code: input.code, reason: input.reason, by: input.actor.userId };
        return state;
      }),
    { validator: (_input) => requireTransition('REJECTED') },
  );

  setHandler(
    cancelPayoutUpdate,
    (input) =>
      exclusive(async () => {
        requireTransition('CANCELLED');
        await settle('CANCELLED', { actor: input.actor.userId, destination: 'available', reason: input.reason, ip: input.actor.ip });
        return state;
      }),
    { validator: (_input) => requireTransition('CANCELLED') },
  );

  // A hold's cause cleared elsewhere: re-check now (the same step as a release or the re-check timer).
  setHandler(holdCauseClearedSignal, () => {
    if (state.status === 'HELD') releaseRequested = true;
  });

  setHandler(
    releasePayoutUpdate,
    async (_input) => {
      if (waitingOnSwitches()) {
        // An admin says the switch is cleared: look now rather than at the next re-check.
        switchCheckRequested = true;
        await condition(() => !switchCheckRequested || isTerminalPayoutStatus(state.status));
        return state;
      }
      if (state.status !== 'HELD') throw refusalFailure(payoutRefusedType, 'conflict', 'invalid_state', `the payout is ${state.status}, not HELD`, 'status');
      const runs = state.checklistRuns;
      releaseRequested = true;
      // Answer with the state after the checklist ran again (or after whatever closed the payout meanwhile).
      await condition(() => state.checklistRuns > runs || isTerminalPayoutStatus(state.status));
      return state;
    },
    {
      validator: (_input) => {
        if (state.status !== 'HELD' && !waitingOnSwitches()) {
          throw refusalFailure(payoutRefusedType, 'conflict', 'invalid_state', `the payout is ${state.status}, neither HELD nor waiting on an emergency switch`, 'status');
        }
      },
    },
  );

  setHandler(
    markPayoutProcessingUpdate,
    (input) =>
      exclusive(async () => {
        requireTransition('PROCESSING');
        try {
          await steps.markPayoutProcessing({
            payoutId: request.payoutId,
            actor: input.actor,
            externalReference: input.externalReference,
            ...(switchesAware ? { checkSwitches: true } : {}),
          });
        } catch (error) {
          if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.type === processingStoppedType) {
            throw refusalFailure(payoutRefusedType, 'conflict', 'processing_stopped', `processing cannot start: ${error.cause.message}`, 'status');
          }
          throw error;
        }
        state.externalReference = input.externalReference;
        moveTo('PROCESSING');
        return state;
      }),
    {
      validator: (_input) => {
        requireTransition('PROCESSING');
        if (processing !== 'MANUAL') throw refusalFailure(payoutRefusedType, 'unprocessable', 'not_manual', `method ${request.methodId} is processed automatically`);
      },
    },
  );

  setHandler(
    completePayoutUpdate,
    (input) =>
      exclusive(async () => {
        requireTransition('COMPLETED');
        const { entryId } = await steps.completePayout({ payoutId: request.payoutId, actor: input.actor });
        state.settleEntryId = entryId;
        moveTo('COMPLETED');
        return state;
      }),
    { validator: (_input) => { requireTransition('COMPLETED'); requireManualDecision(); } },
  );

  setHandler(
    failPayoutUpdate,
    (input) =>
      exclusive(async () => {
        requireTransition('FAILED');
        state.failure = { code: input.failureCode, reason: input.reason };
        await settle('FAILED', { actor: input.actor.userId, destination: 'available', failureCode: input.failureCode, reason: input.reason, ip: input.actor.ip });
        return state;
      }),
    { validator: (_input) => { requireTransition('FAILED'); requireManualDecision(); } },
  );

  // The review checklist, again after each release or re-check period while HELD.
  const recheckMinutes = policy.payouts.checklist.heldRecheckMinutes;
  while (state.status === 'REQUESTED' || state.status === 'HELD') {
    await exclusive(async () => {
      if (state.status !== 'REQUESTED' && state.status !== 'HELD') return;
      // Without partner validation the input is exactly what it always was: the same command as in older histories.
      const outcome = await steps.runPayoutChecklist({
        payoutId: request.payoutId,
        checklist: policy.payouts.checklist,
        ...(partnerValidation.required ? { awaitPartnerSeconds: partnerValidationWait(partnerValidation).milliseconds / 1_000 } : {}),
      });
      state.checklist = outcome.checks;
      if (outcome.outcome === 'REJECT') {
        state.rejection = { code: outcome.rejectionCode!, reason: outcome.reason!, by: 'system:payout-checklist' };
        await settle('REJECTED', {
          actor: 'system:payout-checklist',
          destination: rejectionDestination(outcome.rejectionCode!),
          rejectionCode: outcome.rejectionCode!,
          reason: outcome.reason,
        });
      } else if (outcome.outcome === 'HOLD') {
        if (state.status !== 'HELD') moveTo('HELD');
      } else {
        moveTo(partnerValidation.required ? 'AWAITING_PARTNER' : 'AWAITING_APPROVAL');
      }
      state.checklistRuns += 1;
    });
    if (state.status === 'HELD') {
      releaseRequested = false;
      await condition(() => releaseRequested || state.status !== 'HELD', `${recheckMinutes} minutes`);
    }
  }

  if (state.status === 'AWAITING_PARTNER') await awaitPartnerValidation();

  if (processing === 'AUTOMATIC') await processAutomatically();

  await condition(() => isTerminalPayoutStatus(state.status));
  await condition(allHandlersFinished);
  return state;

  /**
   * docs/rules.md#payout-provider-retries through the provider adapter: attempt n is sent under key `<payoutId>:<n>` (the activity asks the
   * provider first, so no attempt is paid twice), its outcome comes by the `providerResult` signal or, after
   * `resultTimeoutMinutes`, by asking the provider. A failure's retry class decides: `none` fails the payout
   * (reserve returned), `auto` retries after the backoff, `next_day` at the next UTC midnight; after
   * `maxAttempts` the payout stays PROCESSING with needsReview for an admin's complete or fail.
   */
  async function processAutomatically(): Promise<void> {
    const automatic = policy.payouts.automatic;
    // Lean: the approval that completed the chain may have started processing already.
    await condition(() => state.status === 'APPROVED' || (lean && state.status === 'PROCESSING') || isTerminalPayoutStatus(state.status));
    const started = lean ? await startLean() : switchesAware ? await startWhenSwitchesAllow() : await exclusive(async () => {
      if (state.status !== 'APPROVED') return false;
      await activities.startAutomaticProcessing({ payoutId: request.payoutId });
      state.attempt = 0;
      state.providerReference = null;
      state.needsReview = false;
      moveTo('PROCESSING');
      return true;
    });
    if (!started) return;

    let attempt = 1;
    let last: { failureCode: PayoutFailureCode | null; message: string; at: string | null } = { failureCode: null, message: '', at: null };
    for (;;) {
      state.attempt = attempt;
      let result: ProviderAttemptResult;
      try {
        result = await activities.sendPayoutToProvider({ payoutId: request.payoutId, attempt });
      } catch (error) {
        // The provider refused our request itself (a bug no retry fixes): an admin looks at it.
        const message = error instanceof ActivityFailure && error.cause instanceof Error ? error.cause.message : String(error);
        last = { failureCode: null, message, at: null };
        break;
      }
      if (result.outcome !== 'NOT_FOUND' && result.providerReference) state.providerReference = result.providerReference;
      if (result.outcome === 'PENDING') result = await awaitOutcome(result.attempt);
      if (result.outcome === 'COMPLETED') {
        await exclusive(async () => {
          if (state.status !== 'PROCESSING') return;
          const { entryId } = await steps.completePayout({ payoutId: request.payoutId, actor: { userId: 'system:payout-provider', role: 'system' } });
          state.settleEntryId = entryId;
          moveTo('COMPLETED');
        });
        return;
      }
      if (result.outcome !== 'FAILED') {
        // NOT_FOUND for an accepted attempt: the provider lost it; treat as a provider error.
        last = { failureCode: 'PROVIDER_ERROR', message: `the provider no longer knows attempt ${result.attempt}`, at: null };
      } else {
        last = { failureCode: result.failureCode, message: result.message, at: result.at };
      }
      const retry = retryClassOf(last.failureCode!);
      if (retry === 'none') {
        await exclusive(async () => {
          if (state.status !== 'PROCESSING') return;
          state.failure = { code: last.failureCode!, reason: last.message };
          await settle('FAILED', { actor: 'system:payout-provider', destination: 'available', failureCode: last.failureCode!, reason: last.message });
        });
        return;
      }
      if (attempt >= automatic.maxAttempts) break;
      // `next_day`: until the UTC day after the failure (its time comes from the activity or the webhook, so
      // replay computes the same timer).
      await sleep(retry === 'auto' || last.at === null ? automatic.retryBackoffSeconds * 1_000 * 2 ** (attempt - 1) : millisecondsToNextUtcDay(Date.parse(last.at)));
      attempt += 1;
    }

    await exclusive(async () => {
      if (state.status !== 'PROCESSING') return;
      const reason = `the provider did not pay after ${attempt} attempt(s): ${last.failureCode ?? 'request refused'}: ${last.message}`;
      await steps.markPayoutNeedsReview({ payoutId: request.payoutId, failureCode: last.failureCode, reason });
      state.needsReview = true;
      if (last.failureCode) state.failure = { code: last.failureCode, reason };
      publish();
    });
  }

  /**
   * The "Pending" in docs/rules.md#partner-validation: the partner validates (the update handler moves the payout on), or cancels, or an admin
   * rejects; a partner who does nothing for the policy's wait has the payout cancelled and its reserve returned to
   * `available` through the ordinary cancel settlement.
   */
  async function awaitPartnerValidation(): Promise<void> {
    const wait = partnerValidationWait(partnerValidation);
    if (await condition(() => state.status !== 'AWAITING_PARTNER', wait.milliseconds)) return;
    await exclusive(async () => {
      // A validation whose activity was running when the wait ran out has moved the payout on meanwhile.
      if (state.status !== 'AWAITING_PARTNER') return;
      await settle('CANCELLED', { actor: partnerValidationActor, destination: 'available', reason: `not validated by the partner in ${wait.text}` });
    });
  }

  /**
   * docs/rules.md#emergency-switches before anything goes to the provider: the activity that moves the payout to PROCESSING reads the
   * switches in its transaction and moves it only when they allow. While processing is paused or the partner frozen
   * the approved payout waits (again every `switchRecheckMinutes`, or at once on an admin's release); once its method
   * is forced to manual it leaves the provider path for good and waits for an admin's processing. False when it is
   * not to be sent (manual now, or closed meanwhile).
   */
  async function startWhenSwitchesAllow(): Promise<boolean> {
    for (;;) {
      const outcome = await exclusive(async () => {
        if (state.status !== 'APPROVED') return 'closed' as const;
        const result = await activities.startAutomaticProcessing({ payoutId: request.payoutId, checkSwitches: true });
        switchCheckRequested = false;
        return applyStart(result);
      });
      if (outcome === 'started') return true;
      if (outcome !== 'waiting') return false;
      await condition(() => switchCheckRequested || isTerminalPayoutStatus(state.status), `${policy.payouts.automatic.switchRecheckMinutes} minutes`);
    }
  }

  /**
   * `startWhenSwitchesAllow` of a lean workflow: the approval that completed the chain already asked (and the
   * payout is PROCESSING, switched to manual, or waiting); while a switch holds it, it asks again after the
   * re-check period or at once on an admin's release.
   */
  async function startLean(): Promise<boolean> {
    for (;;) {
      if (processing !== 'AUTOMATIC') return false;
      if (state.status === 'PROCESSING') return true;
      if (state.status !== 'APPROVED') return false;
      await condition(() => switchCheckRequested || isTerminalPayoutStatus(state.status), `${policy.payouts.automatic.switchRecheckMinutes} minutes`);
      await exclusive(async () => {
        if (state.status !== 'APPROVED') return;
        const result = await steps.startAutomaticProcessing({ payoutId: request.payoutId, checkSwitches: true });
        switchCheckRequested = false;
        applyStart(result);
      });
    }
  }

  function waitingOnSwitches(): boolean {
    return state.status === 'APPROVED' && (state.waitingFor ?? []).length > 0;
  }

  /** Waits for the attempt's webhook; without one for `resultTimeoutMinutes`, asks the provider, and again. */
  async function awaitOutcome(attempt: number): Promise<ProviderAttemptResult> {
    for (;;) {
      // Lean: a webhook that came while the send ran needs no timer.
      const arrived = (lean && providerResults.has(attempt)) || (await condition(() => providerResults.has(attempt), `${policy.payouts.automatic.resultTimeoutMinutes} minutes`));
      if (arrived) {
        const signalled = providerResults.get(attempt)!;
        return signalled.status === 'COMPLETED'
          ? { outcome: 'COMPLETED', attempt, providerReference: signalled.providerReference }
          : {
              outcome: 'FAILED',
              attempt,
              providerReference: signalled.providerReference,
              failureCode: signalled.failureCode ?? 'PROVIDER_ERROR',
              message: signalled.message ?? 'the provider reported a failure',
              at: signalled.occurredAt,
            };
      }
      const polled = await activities.checkPayoutAtProvider({ payoutId: request.payoutId, attempt });
      if (polled.outcome === 'COMPLETED' || polled.outcome === 'FAILED') return polled;
    }
  }
}
