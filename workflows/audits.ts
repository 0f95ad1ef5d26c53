import { defineSearchAttributeKey, SearchAttributeType, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, proxyActivities, startChild, upsertMemo, workflowInfo } from '@temporalio/workflow';
import type { AuditActivities } from '../activities/audits.ts';
import { auditCadences, auditWorkflowId, previousPeriod, type AuditKind } from '../domain/audit-schedule.ts';
import type { AuditOutcome, AuditRequest } from './audit-messages.ts';

/** Set by the server on every workflow a Schedule starts: the time the action was due, not when it ran. */
const scheduledStartTimeKey = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/** A refused period cannot be cured by retrying; a database or worker failure is retried. */
const { runAudit } = proxyActivities<AuditActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', nonRetryableErrorTypes: ['AuditRefused'] },
});

/**
 * `audit-<kind>-<period>` (docs/rules.md#audit-schedule): computes and stores the run once (a second start of the same
 * period, or a retry after a crash, returns the stored run); findings are then resolved and the run signed off
 * through the API, in the database.
 */
export async function auditWorkflow(request: AuditRequest): Promise<AuditOutcome> {
  upsertMemo({ summary: `${request.kind} audit of ${request.period}` });
  const outcome = await runAudit(request);
  upsertMemo({ summary: `${request.kind} audit of ${request.period}: ${outcome.findings} finding(s)` });
  return outcome;
}

/**
 * `audit-<kind>-schedule` (its Schedule appends the time): starts `audit-<kind>-<period>` for the period of the kind's
 * cadence that ended before the run was due. A period already started (on demand) is left as it is.
 */
export async function auditScheduleWorkflow(input: { kind: AuditKind }): Promise<{ kind: AuditKind; period: string; started: boolean }> {
  const info = workflowInfo();
  const scheduledAt = info.typedSearchAttributes.get(scheduledStartTimeKey) ?? info.startTime;
  const { period } = previousPeriod(auditCadences[input.kind], scheduledAt);
  try {
    await startChild(auditWorkflow, {
      workflowId: auditWorkflowId(input.kind, period),
      args: [{ kind: input.kind, period, requestedBy: null }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    return { kind: input.kind, period, started: true };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { kind: input.kind, period, started: false };
    throw error;
  }
}
