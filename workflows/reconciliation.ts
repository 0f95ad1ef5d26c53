import { defineSearchAttributeKey, SearchAttributeType, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  ActivityFailure,
  ParentClosePolicy,
  condition,
  patched,
  proxyActivities,
  setHandler,
  startChild,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ReconciliationActivities } from '../activities/reconciliation.ts';
import type { StatementActivities } from '../activities/statements.ts';
import { previousDay, utcDay } from '../domain/reconciliation.ts';
import {
  reconciliationSignedSignal,
  reconciliationStateQuery,
  reconciliationWorkflowId,
  type ReconciliationRequest,
  type ReconciliationWorkflowState,
} from './reconciliation-messages.ts';
import { statusKey } from './search-attributes.ts';

export { reconciliationSignedSignal, reconciliationStateQuery, reconciliationWorkflowId };

/** Set by the server on every workflow a Schedule starts: the time the action was due, not when it ran. */
const scheduledStartTimeKey = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/** Refusals retrying cannot cure (a future day); a database or worker failure is retried. */
const { runReconciliation, reconciliationStatus } = proxyActivities<ReconciliationActivities>({
  // A day of 10,000,000 postings took 98 s (bench/reconciliation.ts, README); the bound leaves room for larger ones.
  startToCloseTimeout: '30 minutes',
  // The activity heartbeats every 5 s while its statements run; a killed worker's attempt is retried after this.
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', nonRetryableErrorTypes: ['ReconciliationRefused'] },
});

/**
 * Statement matching (docs/rules.md#statement-matching). The provider's statement is asked for a few times over about
 * a minute; a provider still down after that leaves the statement MISSING (an exception that blocks sign-off), and the
 * day's reconciliation goes on. Matching and recording are database work, retried like the report.
 */
const { fetchProviderStatement } = proxyActivities<StatementActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5, nonRetryableErrorTypes: ['StatementRequestRejected'] },
});
const { matchStatements, recordProviderStatementMissing } = proxyActivities<StatementActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/** Days started before statement matching existed replay without it. */
export const statementMatchingPatch = 'reconciliation-statement-matching';

/** How often a day waiting for sign-off looks in the database, in case a sign-off's signal was lost. */
const signOffCheckInterval = '1 day';

/**
 * `reconciliation-<day>` (docs/rules.md#daily-reconciliation): computes and stores the day's report and rebuild check
 * (idempotent per day: a rerun after a crash returns the stored report), notifies finance of a variance (in the same
 * transaction, through the outbox), then waits for the day's sign-off, which the API records in the database and
 * signals here.
 */
export async function reconciliationWorkflow(request: ReconciliationRequest): Promise<ReconciliationWorkflowState> {
  const state: ReconciliationWorkflowState = { day: request.day, status: 'COMPUTING', outcome: null, signedBy: null };
  setHandler(reconciliationStateQuery, () => state);
  setHandler(reconciliationSignedSignal, ({ signedBy }) => {
    state.status = 'SIGNED';
    state.signedBy = signedBy;
  });
  upsertMemo({ summary: `reconciliation of ${request.day}` });

  state.outcome = await runReconciliation({ day: request.day, requestedBy: request.requestedBy });
  if (state.outcome.status === 'SIGNED') state.status = 'SIGNED';
  if (state.status !== 'SIGNED') state.status = 'AWAITING_SIGN_OFF';
  upsertMemo({
    summary: `reconciliation of ${request.day}: ${state.outcome.balanced ? 'balanced' : 'variance'}, ${state.outcome.items} item(s) to explain`,
  });
  upsertSearchAttributes([{ key: statusKey, value: state.status }]);

  if (state.status !== 'SIGNED' && patched(statementMatchingPatch)) await matchTheStatements(state, request.day);

  while (state.status !== 'SIGNED') {
    if (await condition(() => state.status === 'SIGNED', signOffCheckInterval)) break;
    const stored = await reconciliationStatus({ day: request.day });
    if (stored.status === 'SIGNED') {
      state.status = 'SIGNED';
      state.signedBy = stored.signedBy;
    } else if (state.statement?.provider === 'MISSING') {
      // The provider may be back: ask for the statement again (only days that ran the matching can be here).
      await matchTheStatements(state, request.day);
    }
  }
  upsertSearchAttributes([{ key: statusKey, value: 'SIGNED' }]);
  return state;
}

/**
 * Fetches the provider's statement (retried; still down: recorded as MISSING, an exception that blocks the sign-off),
 * then matches every source's statement of the day and records the exceptions (docs/rules.md#statement-matching).
 */
async function matchTheStatements(state: ReconciliationWorkflowState, day: string): Promise<void> {
  let provider: NonNullable<ReconciliationWorkflowState['statement']>['provider'] = 'RECEIVED';
  try {
    const fetched = await fetchProviderStatement({ day });
    if (fetched.status === 'NO_PROVIDER') provider = 'NO_PROVIDER';
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    provider = 'MISSING';
    await recordProviderStatementMissing({ day, detail: error.cause?.message ?? error.message });
  }
  const matched = await matchStatements({ day });
  state.statement = {
    provider,
    matches: (state.statement?.matches ?? 0) + matched.reduce((sum, result) => sum + result.matchesCreated, 0),
    exceptions: (state.statement?.exceptions ?? 0) + matched.reduce((sum, result) => sum + result.exceptionsCreated, 0),
  };
}

/**
 * `reconciliation-daily` (its Schedule appends the time): starts `reconciliation-<day>` for the UTC day that ended
 * before the run was due, and leaves it running (it waits for sign-off). A day already started on demand is left as
 * it is.
 */
export async function reconciliationScheduleWorkflow(): Promise<{ day: string; started: boolean }> {
  const info = workflowInfo();
  const scheduledAt = info.typedSearchAttributes.get(scheduledStartTimeKey) ?? info.startTime;
  const day = previousDay(utcDay(scheduledAt));
  try {
    await startChild(reconciliationWorkflow, {
      workflowId: reconciliationWorkflowId(day),
      args: [{ day, requestedBy: null }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    return { day, started: true };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { day, started: false };
    throw error;
  }
}
