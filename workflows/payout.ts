import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  proxyActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { PayoutActivities, PayoutSettlement } from '../activities/payout.ts';
import {
  canTransitionPayout,
  chainComplete,
  isTerminalPayoutStatus,
  openStepFor,
  rejectionDestination,
  transitionPayout,
  type PayoutFailureCode,
  type PayoutRejectionCode,
  type PayoutStatus,
} from '../domain/payout.ts';
import type { Policy } from '../domain/policy.ts';
import {
  approvePayoutUpdate,
  cancelPayoutUpdate,
  completePayoutUpdate,
  failPayoutUpdate,
  getPayoutStateQuery,
  markPayoutProcessingUpdate,
  payoutRefusedType,
  rejectPayoutUpdate,
  releasePayoutUpdate,
  type ApprovePayoutInput,
  type PayoutRefusal,
  type PayoutRequest,
  type PayoutState,
} from './payout-messages.ts';
import { payoutStatusKey } from './search-attributes.ts';

/** The part of the policy a payout lifecycle uses, captured when it starts. */
export type PayoutWorkflowPolicy = Pick<Policy, 'version' | 'payouts'>;

export const payoutNonRetryableErrors = ['PayoutNotFound'];

function refuse(status: PayoutRefusal['status'], code: string, message: string, field: string | null = null): ApplicationFailure {
  const refusal: PayoutRefusal = { status, code, field };
  return ApplicationFailure.create({ type: payoutRefusedType, message, nonRetryable: true, details: [refusal] });
}

function payoutActivities(policy: PayoutWorkflowPolicy) {
  return proxyActivities<PayoutActivities>({
    startToCloseTimeout: `${policy.payouts.activityTimeoutSeconds} seconds`,
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      nonRetryableErrorTypes: payoutNonRetryableErrors,
    },
  });
}

/**
 * `payout-<id>`: the request's money is already in `payout_reserved` (posted with the payout row at creation).
 * The workflow runs the review checklist (HELD waits for an admin's release or re-checks on a timer), collects the
 * approval chain as updates, then follows manual processing to COMPLETED or FAILED. Every exit moves the reserved
 * money exactly once through an activity keyed `payout-<step>-<id>`.
 *
 * One decision at a time: updates and the checklist take a workflow-local lock, and re-check the state once they
 * hold it, so a cancel that arrives while an approval's activity runs is judged on the state that approval left.
 */
export async function payoutWorkflow(request: PayoutRequest, policy: PayoutWorkflowPolicy): Promise<PayoutState> {
  const activities = payoutActivities(policy);
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

  const exclusive = async <T>(action: () => Promise<T>): Promise<T> => {
    await condition(() => !busy);
    busy = true;
    try {
      return await action();
    } finally {
      busy = false;
    }
  };

  const publish = () => {
    upsertSearchAttributes([{ key: payoutStatusKey, value: state.status }]);
    upsertMemo({
      summary: `Payout ${state.amount} ${state.currency} (fee ${state.fee}) to partner ${state.partnerId} via ${request.methodId}: ${state.status}`,
    });
  };

  const moveTo = (status: PayoutStatus) => {
    state.status = transitionPayout(state.status, status);
    publish();
  };

  const settle = async (outcome: PayoutSettlement, input: { actor: string; destination: 'available' | 'held'; rejectionCode?: PayoutRejectionCode; failureCode?: PayoutFailureCode; reason: string | null }) => {
    const result = await activities.releasePayoutReserve({
      payoutId: request.payoutId,
      outcome,
      destination: input.destination,
      actor: input.actor,
      rejectionCode: input.rejectionCode ?? null,
      failureCode: input.failureCode ?? null,
      reason: input.reason,
    });
    state.settleEntryId = result.entryId;
    moveTo(outcome);
  };

  const requireTransition = (to: PayoutStatus) => {
    if (!canTransitionPayout(state.status, to)) {
      throw refuse(409, 'invalid_state', `the payout is ${state.status} and cannot become ${to}`, 'status');
    }
  };

  const checkApproval = (input: ApprovePayoutInput): number => {
    requireTransition('APPROVED');
    if (state.status !== 'AWAITING_APPROVAL') {
      throw refuse(409, 'invalid_state', `the payout is ${state.status}, not AWAITING_APPROVAL`, 'status');
    }
    if (input.actor.userId === request.initiatedBy.userId) {
      throw refuse(403, 'maker_checker', 'an admin cannot approve a payout they initiated');
    }
    if (state.approvals.some((approval) => approval.userId === input.actor.userId)) {
      throw refuse(409, 'already_approved', 'this admin has already approved the payout; approvers must be distinct people');
    }
    if (input.amount !== state.amount) {
      throw refuse(409, 'amount_mismatch', `the payout's amount is ${state.amount}, not ${input.amount}`, 'body.amount');
    }
    if (input.detailsHash !== state.detailsHash) {
      throw refuse(409, 'details_changed', 'the payment details differ from what the approver saw', 'body.detailsHash');
    }
    const step = openStepFor(state.requiredChain, state.approvals, input.actor.role);
    if (step === null) {
      const open = state.requiredChain
        .filter((_, index) => !state.approvals.some((approval) => approval.step === index))
        .map((chainStep) => chainStep.roles.join(' or '));
      throw refuse(403, 'role_not_in_chain', `no open step of the approval chain takes role ${input.actor.role}; it still needs ${open.join(', then ')}`);
    }
    return step;
  };

  setHandler(getPayoutStateQuery, () => state);

  setHandler(
    approvePayoutUpdate,
    (input) =>
      exclusive(async () => {
        const step = checkApproval(input);
        const completes = chainComplete(state.requiredChain, [...state.approvals, { userId: input.actor.userId, role: input.actor.role, step, at: '' }]);
        const { at } = await activities.recordPayoutApproval({
          payoutId: request.payoutId,
          actor: input.actor,
          step,
          amountSeen: input.amount,
          detailsHashSeen: input.detailsHash,
          completesChain: completes,
        });
        state.approvals.push({ userId: input.actor.userId, role: input.actor.role, step, at });
        if (completes) moveTo('APPROVED');
        return state;
      }),
    { validator: (input) => void checkApproval(input) },
  );

  setHandler(
    rejectPayoutUpdate,
    (input) =>
      exclusive(async () => {
        requireTransition('REJECTED');
        state.rejection = { code: input.code, reason: input.reason, by: input.actor.userId };
        await settle('REJECTED', { actor: input.actor.userId, destination: rejectionDestination(input.code), rejectionCode: input.code, reason: input.reason });
        return state;
      }),
    { validator: (_input) => requireTransition('REJECTED') },
  );

  setHandler(
    cancelPayoutUpdate,
    (input) =>
      exclusive(async () => {
        requireTransition('CANCELLED');
        await settle('CANCELLED', { actor: input.actor.userId, destination: 'available', reason: input.reason });
        return state;
      }),
    { validator: (_input) => requireTransition('CANCELLED') },
  );

  setHandler(
    releasePayoutUpdate,
    async (_input) => {
      if (state.status !== 'HELD') throw refuse(409, 'invalid_state', `the payout is ${state.status}, not HELD`, 'status');
      const runs = state.checklistRuns;
      releaseRequested = true;
      // Answer with the state after the checklist ran again (or after whatever closed the payout meanwhile).
      await condition(() => state.checklistRuns > runs || isTerminalPayoutStatus(state.status));
      return state;
    },
    {
      validator: (_input) => {
        if (state.status !== 'HELD') throw refuse(409, 'invalid_state', `the payout is ${state.status}, not HELD`, 'status');
      },
    },
  );

  setHandler(
    markPayoutProcessingUpdate,
    (input) =>
      exclusive(async () => {
        requireTransition('PROCESSING');
        await activities.markPayoutProcessing({ payoutId: request.payoutId, actor: input.actor, externalReference: input.externalReference });
        state.externalReference = input.externalReference;
        moveTo('PROCESSING');
        return state;
      }),
    {
      validator: (_input) => {
        requireTransition('PROCESSING');
        if (request.processing !== 'MANUAL') throw refuse(422, 'not_manual', `method ${request.methodId} is processed automatically`);
      },
    },
  );

  setHandler(
    completePayoutUpdate,
    (input) =>
      exclusive(async () => {
        requireTransition('COMPLETED');
        const { entryId } = await activities.completePayout({ payoutId: request.payoutId, actor: input.actor });
        state.settleEntryId = entryId;
        moveTo('COMPLETED');
        return state;
      }),
    { validator: (_input) => requireTransition('COMPLETED') },
  );

  setHandler(
    failPayoutUpdate,
    (input) =>
      exclusive(async () => {
        requireTransition('FAILED');
        state.failure = { code: input.failureCode, reason: input.reason };
        await settle('FAILED', { actor: input.actor.userId, destination: 'available', failureCode: input.failureCode, reason: input.reason });
        return state;
      }),
    { validator: (_input) => requireTransition('FAILED') },
  );

  // The review checklist, again after each release or re-check period while HELD.
  const recheckMinutes = policy.payouts.checklist.heldRecheckMinutes;
  while (state.status === 'REQUESTED' || state.status === 'HELD') {
    await exclusive(async () => {
      if (state.status !== 'REQUESTED' && state.status !== 'HELD') return;
      const outcome = await activities.runPayoutChecklist({ payoutId: request.payoutId, checklist: policy.payouts.checklist });
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
        moveTo('AWAITING_APPROVAL');
      }
      state.checklistRuns += 1;
    });
    if (state.status === 'HELD') {
      releaseRequested = false;
      await condition(() => releaseRequested || state.status !== 'HELD', `${recheckMinutes} minutes`);
    }
  }

  await condition(() => isTerminalPayoutStatus(state.status));
  await condition(allHandlersFinished);
  return state;
}
