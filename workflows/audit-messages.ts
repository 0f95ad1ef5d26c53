import type { AuditKind } from '../domain/audit-schedule.ts';

/**
 * Ids and messages of `audit-<kind>-<period>` (docs/rules.md#audit-schedule), for the API and the tests without the
 * workflow's code.
 */

/** The workflow type, for starting it by name. */
export const auditWorkflowType = 'auditWorkflow';
export const auditScheduleWorkflowType = 'auditScheduleWorkflow';

export { auditWorkflowId } from '../domain/audit-schedule.ts';

export interface AuditRequest {
  kind: AuditKind;
  /** The period label (2026-W49, 2026-11, 2026-Q3, 2025); it must have ended. */
  period: string;
  /** Who started it on demand (who may then not sign it); null when its Schedule did. */
  requestedBy: string | null;
}

/** What the workflow keeps of a run (the evidence and findings stay in the database). */
export interface AuditOutcome {
  runId: string;
  kind: AuditKind;
  period: string;
  findings: number;
  sha256: string;
  /** False when the run was already stored (a second start, a retry after a crash): the stored run stands. */
  created: boolean;
}
