import {
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  proxyActivities,
  setHandler,
  sleep,
  startChild,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { ChargebackActivities } from '../activities/chargebacks.ts';
import {
  amountWonOf,
  isDecided,
  transitionChargeback,
  type ChargebackRequest,
  type ChargebackState,
  type ChargebackStatus,
  type ChargebackStep,
} from '../domain/chargeback.ts';
import { refusalFailure } from '../domain/errors.ts';
import { Money } from '../domain/money.ts';
import type { Policy } from '../domain/policy.ts';
import {
  chargebackMonitoringWorkflowId,
  chargebackRefusedType,
  decideChargebackUpdate,
  getChargebackStateQuery,
  recordChargebackStepUpdate,
} from './chargeback-messages.ts';
import { amountKey, currencyKey, partnerIdKey, statusKey } from './search-attributes.ts';

/** The part of the policy a chargeback uses, captured when it starts (docs/rules.md#policy). */
export type ChargebackWorkflowPolicy = Pick<Policy, 'version' | 'chargebacks' | 'debt'>;

export const chargebackNonRetryableErrors = [chargebackRefusedType];

function activitiesOf(timeoutSeconds: number) {
  return proxyActivities<ChargebackActivities>({
    startToCloseTimeout: `${timeoutSeconds} seconds`,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: chargebackNonRetryableErrors },
  });
}


/**
 * `chargeback-<id>` (docs/rules.md#chargebacks): the provider's notice was recorded (and the order amount claimed) by the API before
 * this started. At once: every commission of the order reversed, the seller's CHARGEBACK flag, the admins told; then
 * the penalty by the seller's chargeback count (a MONITORING penalty starts `chargeback-monitoring-<id>`, whose
 * durable timer ends it). The investigation's steps and the outcome arrive as updates (an admin's, or the provider's
 * webhook); the outcome re-credits what was won and clears the flag. With no outcome within
 * policy.chargebacks.decisionWait the admins are told (escalated) and it keeps waiting, escalating again each period.
 */
export async function chargebackWorkflow(request: ChargebackRequest, policy: ChargebackWorkflowPolicy): Promise<ChargebackState> {
  const activities = activitiesOf(policy.chargebacks.activityTimeoutSeconds);
  const state: ChargebackState = {
    chargebackId: request.chargebackId, status: 'OPEN', reversedCount: 0, reversedTotal: '0', penalty: null, partnerSequence: null,
    steps: [], escalations: 0, decidedBy: null, amountWon: null, recreditedTotal: '0', policyVersion: policy.version,
  };
  let opened = false;
  let deciding = false;
  let stepping = false;
  const moveTo = (status: ChargebackStatus) => {
    state.status = transitionChargeback(state.status, status);
    upsertSearchAttributes([{ key: statusKey, value: state.status }]);
  };
  /** Steps and the outcome are refused once it is decided, and while an outcome is being recorded. */
  const refuseIfDecided = () => {
    if (deciding || isDecided(state.status)) throw refusalFailure(chargebackRefusedType, 'conflict', 'invalid_state', `the chargeback is ${state.status}`, 'status');
  };
  /** The investigation moves forward only (transitionChargeback). */
  const refuseStepBack = (step: ChargebackStep) => {
    try {
      transitionChargeback(state.status, step);
    } catch (error) {
      throw refusalFailure(chargebackRefusedType, 'conflict', 'invalid_step', (error as Error).message, 'body.step');
    }
  };

  setHandler(getChargebackStateQuery, () => state);
  setHandler(recordChargebackStepUpdate, async ({ actor, step, note }) => {
    await condition(() => opened && !stepping);
    // Checked again: another step or the outcome may have come first while this one waited.
    refuseIfDecided();
    refuseStepBack(step);
    stepping = true;
    try {
      const sequence = state.steps.length + 1;
      const { recordedAt } = await activities.recordChargebackStep({ chargebackId: request.chargebackId, sequence, step, note: note ?? null, actor });
      state.steps.push({ sequence, step, note: note ?? null, recordedBy: actor.userId, recordedAt });
      moveTo(step);
    } finally {
      stepping = false;
    }
    return state;
  }, {
    validator: ({ step }) => {
      refuseIfDecided();
      refuseStepBack(step);
    },
  });
  setHandler(decideChargebackUpdate, async ({ actor, outcome, amountWon, note }) => {
    deciding = true;
    try {
      await condition(() => opened && !stepping);
      const decided = await activities.decideChargeback({ chargebackId: request.chargebackId, outcome, amountWon: amountWon ?? null, note: note ?? null, actor });
      state.decidedBy = actor.userId;
      state.amountWon = decided.amountWon;
      state.recreditedTotal = decided.recreditedTotal;
      moveTo(outcome);
      upsertMemo({ summary: `Chargeback ${request.amount} ${request.currency} on order ${request.orderId}: ${outcome}, re-credited ${decided.recreditedTotal}` });
    } finally {
      deciding = false;
    }
    return state;
  }, {
    validator: ({ outcome, amountWon }) => {
      refuseIfDecided();
      try {
        amountWonOf(outcome, request.amount, amountWon);
      } catch (error) {
        throw refusalFailure(chargebackRefusedType, 'unprocessable', 'invalid_amount', (error as Error).message, 'body.amountWon');
      }
    },
  });

  upsertSearchAttributes([
    ...(request.partnerId === null ? [] : [{ key: partnerIdKey, value: request.partnerId }]),
    // A Double search attribute is for filtering in the Temporal UI only; the money is the string.
    { key: amountKey, value: new Money(request.amount).toNumber() },
    { key: currencyKey, value: request.currency },
    { key: statusKey, value: state.status },
  ]);

  const reversal = await activities.openChargeback({ chargebackId: request.chargebackId, debtLimit: policy.debt.limit });
  state.reversedCount = reversal.reversedCount;
  state.reversedTotal = reversal.reversedTotal;
  state.partnerSequence = reversal.partnerSequence;
  const penalty = await activities.applyChargebackPenalty({
    chargebackId: request.chargebackId, penalties: policy.chargebacks.penalties, monitoringPeriod: policy.chargebacks.monitoringPeriod,
  });
  state.penalty = penalty.penalty;
  if (penalty.penalty === 'MONITORING' && penalty.partnerId !== null) {
    // Its own small workflow: the monitoring outlives this chargeback's decision, and ends by its durable timer.
    try {
      await startChild(chargebackMonitoringWorkflow, {
        workflowId: chargebackMonitoringWorkflowId(request.chargebackId),
        taskQueue: workflowInfo().taskQueue,
        parentClosePolicy: ParentClosePolicy.ABANDON,
        args: [{ chargebackId: request.chargebackId, partnerId: penalty.partnerId, monitoringPeriod: policy.chargebacks.monitoringPeriod, activityTimeoutSeconds: policy.chargebacks.activityTimeoutSeconds }],
        typedSearchAttributes: [{ key: partnerIdKey, value: penalty.partnerId }, { key: statusKey, value: 'MONITORING' }],
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  }
  opened = true;
  upsertMemo({ summary: `Chargeback ${request.amount} ${request.currency} on order ${request.orderId}: ${reversal.reversedCount} commission(s) reversed (${reversal.reversedTotal}); penalty ${penalty.penalty ?? 'none'}` });

  // The provider decides when it decides: past each decisionWait the admins are told again, and it keeps waiting.
  // A decision the activity refused leaves the chargeback open, waiting for another. The wait is a plain timer
  // raced with the decision, never cancelled. (It was written so while condition(fn, timeout) failed workflows with
  // "Workflow cancelled" on Node workers of SDK 1.14.2 — sdk-typescript#1866, see docs/decisions.md; fixed in 1.15.
  // Changing it back would change this workflow's commands, so it stays.)
  while (!isDecided(state.status)) {
    let waitOver = false;
    void sleep(policy.chargebacks.decisionWait).then(() => { waitOver = true; });
    await condition(() => isDecided(state.status) || waitOver);
    if (isDecided(state.status)) break;
    // An outcome being recorded right now is not overdue: wait for it to finish (a refusal re-opens the wait).
    if (deciding) {
      await condition(() => !deciding);
      continue;
    }
    state.escalations += 1;
    await activities.escalateChargeback({ chargebackId: request.chargebackId, escalation: state.escalations, decisionWait: policy.chargebacks.decisionWait });
  }
  await condition(allHandlersFinished);
  return state;
}

export interface ChargebackMonitoringInput {
  chargebackId: string;
  partnerId: string;
  monitoringPeriod: string;
  activityTimeoutSeconds: number;
}

/**
 * `chargeback-monitoring-<chargebackId>`: the second-chargeback penalty in docs/rules.md#chargeback-penalties, "monitoring for 30 days", as a durable
 * timer of policy.chargebacks.monitoringPeriod (captured by the chargeback at its start); when it fires the
 * CHARGEBACK_MONITORING flag is cleared and the partner told. A worker down at that moment clears it when it returns.
 */
export async function chargebackMonitoringWorkflow(input: ChargebackMonitoringInput): Promise<{ cleared: number }> {
  const activities = activitiesOf(input.activityTimeoutSeconds);
  await sleep(input.monitoringPeriod);
  const ended = await activities.endChargebackMonitoring({ chargebackId: input.chargebackId });
  upsertSearchAttributes([{ key: statusKey, value: 'ENDED' }]);
  return ended;
}
