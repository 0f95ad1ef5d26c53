import { defineQuery, defineSignal } from '@temporalio/workflow';

/**
 * Messages and ids of `reconciliation-<date>` (docs/rules.md#daily-reconciliation), for the API and the tests without
 * the workflow's code.
 */

/** The workflow type, for starting it by name. */
export const reconciliationWorkflowType = 'reconciliationWorkflow';

export const reconciliationWorkflowId = (day: string) => `reconciliation-${day}`;

export interface ReconciliationRequest {
  /** The UTC day, YYYY-MM-DD; it must have ended. */
  day: string;
  /** Who ran it on demand (who may then not sign it); null when its Schedule ran it. */
  requestedBy: string | null;
}

/** What the workflow keeps of a reconciled day (the report itself stays in the database: it can be large). */
export interface ReconciliationOutcome {
  day: string;
  status: 'AWAITING_SIGN_OFF' | 'SIGNED';
  balanced: boolean;
  items: number;
  /** False when the day was already stored (a rerun, a retry after a crash): the stored report stands. */
  created: boolean;
}

export interface ReconciliationWorkflowState {
  day: string;
  status: 'COMPUTING' | 'AWAITING_SIGN_OFF' | 'SIGNED';
  outcome: ReconciliationOutcome | null;
  signedBy: string | null;
  /**
   * Statement matching (docs/rules.md#statement-matching), once done: whether the provider's statement was received,
   * and how many matches and new exceptions this run recorded. Absent before it ran (and on days started before it existed).
   */
  statement?: { provider: 'RECEIVED' | 'MISSING' | 'NO_PROVIDER'; matches: number; exceptions: number };
}

/** Sent by the sign-off (api/routes/reconciliations.ts) once the day is signed in the database. */
export const reconciliationSignedSignal = defineSignal<[{ signedBy: string }]>('reconciliationSigned');
export const reconciliationStateQuery = defineQuery<ReconciliationWorkflowState>('reconciliationState');
