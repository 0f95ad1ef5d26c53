import {
  allHandlersFinished,
  condition,
  proxyActivities,
  setHandler,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { DisputeActivities } from '../activities/disputes.ts';
import type { PartnerFlagActivities } from '../activities/partner-flags.ts';
import { transitionDispute, type DisputeRequest, type DisputeState, type DisputeStatus } from '../domain/dispute.ts';
import { checkResolution } from '../domain/dispute-resolution.ts';
import { DomainError, domainErrorFailure, refusalFailure } from '../domain/errors.ts';
import { checkerRefusal, type CheckerNeeded } from '../domain/four-eyes.ts';
import { Money } from '../domain/money.ts';
import { durationMs, type Policy } from '../domain/policy.ts';
import {
  approveDisputeResolutionUpdate,
  assignDisputeUpdate,
  disputeRefusedType,
  rejectDisputeResolutionUpdate,
  getDisputeStateQuery,
  provideDisputeEvidenceUpdate,
  requestDisputeEscalationUpdate,
  resolveDisputeUpdate,
  type ResolveDisputeInput,
} from './dispute-messages.ts';
import { nudgeHeldPayouts } from './payout-holds.ts';
import { amountKey, currencyKey, partnerIdKey, statusKey } from './search-attributes.ts';

/** The part of the policy a dispute uses, captured when it starts (docs/rules.md#policy). */
export type DisputeWorkflowPolicy = Pick<Policy, 'version' | 'disputes'>;

export const disputeNonRetryableErrors = [disputeRefusedType];

/** The dispute's state refuses the request: a conflict naming `status`. */
const refuseState = (message: string) => refusalFailure(disputeRefusedType, 'conflict', 'invalid_state', message, 'status');

/** A rule of domain/dispute.ts refused the request: the same refusal, as the workflow's failure. */
function asRefusal(error: unknown): unknown {
  return error instanceof DomainError ? domainErrorFailure(disputeRefusedType, error) : error;
}

/**
 * `dispute-<id>` (the decision tree in docs/rules.md#dispute-decision-tree). The API recorded the dispute (and any evidence) before this
 * started. First: a transaction older than policy.disputes.window is rejected at once; otherwise the partner's
 * payouts are held (OPEN_DISPUTE flag) and, without evidence, the dispute waits for it (an update) for
 * policy.disputes.informationWait, closing itself (REJECTION, no information) when none arrives. Then financial
 * support reviews (assign/claim) and resolves: CORRECTION (calculation error: closed; system error: also ESCALATED),
 * EXPLANATION (the partner may ask for escalation within policy.disputes.escalationWindow), GOODWILL (above
 * policy.disputes.goodwillMax only a senior admin), ESCALATION, REJECTION. When the hold ends the flag is cleared and
 * the partner's HELD payouts are nudged to re-run their checklist at once.
 */
export async function disputeWorkflow(request: DisputeRequest, policy: DisputeWorkflowPolicy): Promise<DisputeState> {
  const activities = proxyActivities<DisputeActivities & PartnerFlagActivities>({
    startToCloseTimeout: `${policy.disputes.activityTimeoutSeconds} seconds`,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: disputeNonRetryableErrors },
  });
  const state: DisputeState = {
    disputeId: request.disputeId, partnerId: request.partnerId, status: 'OPEN', resolution: null, resolutions: [], assigneeId: null,
    evidenceCount: 0, creditedTotal: '0', creditedCurrency: null, automaticReason: null, policyVersion: policy.version,
  };
  let opened = false;
  let busy = false;
  let assignments = 0;

  const moveTo = (status: DisputeStatus) => {
    if (status === state.status) return;
    state.status = transitionDispute(state.status, status);
    upsertSearchAttributes([{ key: statusKey, value: state.status }]);
  };
  /** One step at a time: handlers and the main flow's own steps never interleave their activities. */
  const exclusive = async <T>(work: () => Promise<T>): Promise<T> => {
    while (!opened || busy) await condition(() => opened && !busy);
    busy = true;
    try {
      return await work();
    } finally {
      busy = false;
    }
  };
  /** The hold ended: the partner's HELD payouts re-check now rather than at their next timer. */
  const releaseHeldPayouts = async (reason: string) => {
    const held = await activities.heldPayoutsOf({ partnerId: request.partnerId });
    await nudgeHeldPayouts(held, reason);
  };
  const refuseClosed = () => {
    if (state.status === 'CLOSED') throw refuseState('the dispute is closed');
  };
  /** Evidence is taken until the dispute is explained or closed. */
  const refuseEvidence = () => {
    if (state.status === 'CLOSED' || state.status === 'EXPLAINED') throw refuseState(`the dispute is ${state.status}`);
  };
  /** The partner asks for a senior admin after an explanation only. */
  const refuseEscalation = () => {
    if (state.status !== 'EXPLAINED') throw refuseState(`the dispute is ${state.status}; escalation is asked for after an explanation`);
  };

  setHandler(getDisputeStateQuery, () => state);

  setHandler(provideDisputeEvidenceUpdate, ({ actor, evidenceId }) => exclusive(async () => {
    refuseEvidence();
    const provided = await activities.provideDisputeEvidence({ disputeId: request.disputeId, stepKey: `evidence-${evidenceId}`, evidenceId, actor });
    state.evidenceCount += 1;
    moveTo(provided.status);
    return state;
  }), {
    validator: (_input) => {
      refuseEvidence();
    },
  });

  setHandler(assignDisputeUpdate, ({ actor, assigneeId }) => exclusive(async () => {
    if (state.status !== 'UNDER_REVIEW' && state.status !== 'ESCALATED') throw refuseState(`the dispute is ${state.status}`);
    assignments += 1;
    const assigned = await activities.assignDispute({ disputeId: request.disputeId, stepKey: `assign-${assignments}`, assigneeId, actor });
    state.assigneeId = assigned.assigneeId;
    return state;
  }), {
    validator: (_input) => {
      if (state.status !== 'UNDER_REVIEW' && state.status !== 'ESCALATED' && state.status !== 'OPEN') {
        throw refuseState(`the dispute is ${state.status}; it is assigned while under review or escalated`);
      }
    },
  });

  /** Posts (through its activity) and records one resolution; the body of a resolution, whoever approved it. */
  const applyResolution = async ({ actor, resolution, ip }: ResolveDisputeInput) => {
    const sequence = state.resolutions.length + 1;
    const before = state.status;
    const resolved = await activities.resolveDispute({
      disputeId: request.disputeId, stepKey: `resolution-${sequence}`, actor, resolution, goodwillMax: policy.disputes.goodwillMax, ip: ip ?? null,
    });
    state.resolutions.push({
      sequence, resolution: resolved.resolution, errorKind: resolution.errorKind ?? null, amount: resolved.amount, currency: resolved.currency,
      entryId: resolved.entryId, by: actor.userId, statusAfter: resolved.status,
    });
    state.resolution = resolved.resolution;
    if (before === 'UNDER_REVIEW' && state.assigneeId === null) state.assigneeId = actor.userId;
    if (resolved.amount !== null && resolved.creditedCurrency !== null) {
      state.creditedTotal = resolved.creditedTotal;
      state.creditedCurrency = resolved.creditedCurrency;
      // A Double search attribute is for filtering in the Temporal UI only; the money is the string.
      upsertSearchAttributes([{ key: amountKey, value: new Money(resolved.creditedTotal).toNumber() }, { key: currencyKey, value: resolved.creditedCurrency }]);
    }
    moveTo(resolved.status);
    upsertMemo({ summary: `Dispute ${request.type} ${request.transactionRef} of ${request.partnerId}: ${resolved.resolution} → ${resolved.status}` });
    if (resolved.holdEnded) await releaseHeldPayouts(`dispute ${request.disputeId} ${resolved.status === 'CLOSED' ? 'closed' : 'explained'}`);
    return state;
  };

  /**
   * Four eyes (docs/rules.md#four-eyes): a CORRECTION or GOODWILL above the threshold is held here, not posted,
   * until a second person approves it. Only resolutions that carry `fourEyes` (sent since four eyes existed) are held.
   */
  let held: (ResolveDisputeInput & { fourEyes: CheckerNeeded }) | null = null;
  const refuseHeld = () => {
    if (held) throw refuseState('a resolution of this dispute is waiting for its second person');
  };

  setHandler(resolveDisputeUpdate, (input) => exclusive(async () => {
    const { actor, resolution, ip, fourEyes } = input;
    try {
      checkResolution({ status: state.status, assigneeId: state.assigneeId, actor, resolution, policy: policy.disputes });
    } catch (error) {
      throw asRefusal(error);
    }
    refuseHeld();
    if (fourEyes) {
      await activities.holdDisputeResolution({ disputeId: request.disputeId, maker: actor, resolution, fourEyes, ip: ip ?? null });
      held = { ...input, fourEyes };
      state.pendingResolution = {
        makerUserId: actor.userId, resolution: resolution.resolution, amount: resolution.amount ?? null, currency: resolution.currency ?? null, amountRub: fourEyes.amountRub,
      };
      return state;
    }
    return applyResolution(input);
  }), {
    validator: ({ actor, resolution }) => {
      refuseClosed();
      refuseHeld();
      try {
        checkResolution({ status: state.status, assigneeId: state.assigneeId, actor, resolution, policy: policy.disputes });
      } catch (error) {
        // OPEN means the first step is still running: the handler waits for it, then checks again.
        if (!(state.status === 'OPEN' && error instanceof DomainError && error.code === 'invalid_state')) throw asRefusal(error);
      }
    },
  });

  const validateCheck = ({ actor }: { actor: ResolveDisputeInput['actor'] }) => {
    if (!held) throw refuseState('no resolution of this dispute is waiting for a second person');
    const refusal = checkerRefusal({ makerUserId: held.actor.userId, checkerRoles: held.fourEyes.checkerRoles, reason: `a ${held.resolution.resolution} above the four-eyes threshold` }, actor);
    if (refusal) throw domainErrorFailure(disputeRefusedType, refusal);
  };
  setHandler(approveDisputeResolutionUpdate, ({ actor, reason, ip }) => exclusive(async () => {
    validateCheck({ actor });
    const approved = held!;
    await activities.recordDisputeApprovalDecision({ disputeId: request.disputeId, decision: 'APPROVED', actor, reason: reason ?? null, ip: ip ?? null });
    held = null;
    state.pendingResolution = null;
    // Posted as the maker's resolution (the maker's checks hold), now that a second person has approved it.
    return applyResolution(approved);
  }), { validator: validateCheck });
  setHandler(rejectDisputeResolutionUpdate, ({ actor, reason, ip }) => exclusive(async () => {
    validateCheck({ actor });
    await activities.recordDisputeApprovalDecision({ disputeId: request.disputeId, decision: 'REJECTED', actor, reason: reason ?? null, ip: ip ?? null });
    held = null;
    state.pendingResolution = null;
    return state;
  }), { validator: validateCheck });

  setHandler(requestDisputeEscalationUpdate, ({ actor, reason }) => exclusive(async () => {
    refuseEscalation();
    const escalated = await activities.requestDisputeEscalation({ disputeId: request.disputeId, actor, reason });
    moveTo(escalated.status);
    return state;
  }), {
    validator: ({ actor }) => {
      if (actor.role !== 'partner') throw refusalFailure(disputeRefusedType, 'forbidden', 'forbidden', 'the partner asks for escalation');
      refuseEscalation();
    },
  });

  upsertSearchAttributes([{ key: partnerIdKey, value: request.partnerId }, { key: statusKey, value: state.status }]);
  upsertMemo({ summary: `Dispute ${request.type} ${request.transactionRef} of ${request.partnerId}` });

  // The first questions in docs/rules.md#dispute-decision-tree: within the window? evidence given?
  const first = await activities.openDispute({ disputeId: request.disputeId, window: policy.disputes.window, informationWait: policy.disputes.informationWait });
  state.evidenceCount = first.evidenceCount;
  if (first.decision === 'OUT_OF_WINDOW') {
    state.resolution = 'REJECTION';
    state.automaticReason = 'OUT_OF_WINDOW';
  }
  moveTo(first.status);
  opened = true;

  // No evidence: wait for it until policy.disputes.informationWait has passed, then close. The deadline is a plain
  // timer raced with the evidence, never cancelled (as in workflows/chargeback.ts); evidence being recorded when it
  // fires is waited for, and a refused one leaves the dispute waiting out what is left of the wait.
  if (state.status === 'INFORMATION_REQUESTED') {
    let informationWaitOver = false;
    void sleep(policy.disputes.informationWait).then(() => { informationWaitOver = true; });
    while (state.status === 'INFORMATION_REQUESTED') {
      await condition(() => state.status !== 'INFORMATION_REQUESTED' || busy || informationWaitOver);
      if (busy) {
        await condition(() => !busy);
        continue;
      }
      if (state.status !== 'INFORMATION_REQUESTED') break;
      await exclusive(async () => {
        if (state.status !== 'INFORMATION_REQUESTED') return;
        const closed = await activities.closeDisputeWithoutInformation({ disputeId: request.disputeId, informationWait: policy.disputes.informationWait });
        if (closed.status === 'CLOSED') {
          state.resolution = 'REJECTION';
          state.automaticReason = 'NO_INFORMATION';
        }
        moveTo(closed.status);
        if (closed.closed) await releaseHeldPayouts(`dispute ${request.disputeId} closed: no information`);
      });
    }
  }

  // Review, escalation, explanation: until closed. After an explanation the partner has the escalation window.
  // (Read through a function: the handlers change the status while this waits, which TypeScript cannot see.)
  const status = (): DisputeStatus => state.status;
  while (status() !== 'CLOSED') {
    await condition(() => !busy && (status() === 'CLOSED' || status() === 'EXPLAINED'));
    if (status() === 'CLOSED') break;
    const moved = await condition(() => state.status !== 'EXPLAINED' || busy, durationMs(policy.disputes.escalationWindow));
    if (moved) continue;
    await exclusive(async () => {
      if (state.status !== 'EXPLAINED') return;
      const closed = await activities.closeExplainedDispute({ disputeId: request.disputeId, escalationWindow: policy.disputes.escalationWindow });
      moveTo(closed.status);
    });
  }
  upsertMemo({ summary: `Dispute ${request.type} ${request.transactionRef} of ${request.partnerId}: closed, ${state.resolution ?? 'no resolution'}` });
  await condition(allHandlersFinished);
  return state;
}
