import type { Client } from '@temporalio/client';
import { sql } from 'slonik';
import type { Database } from '../../db/pool.ts';
import type { DisputeActor, DisputeState, DisputeStatus } from '../../domain/dispute.ts';
import { DomainError } from '../../domain/errors.ts';
import type { disputeWorkflow } from '../../workflows/dispute.ts';
import {
  assignDisputeUpdate,
  disputeWorkflowId,
  provideDisputeEvidenceUpdate,
  requestDisputeEscalationUpdate,
} from '../../workflows/dispute-messages.ts';
import { enqueueNotification } from '../notifications/outbox.ts';
import { raisePartnerFlag } from '../partner-flags/partner-flags-store.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';
import { isActiveAdminWith } from '../identity/identity.ts';
import { disputeSeniors, escalationFlagSource } from './dispute-holds.ts';
import { appendEvent, insertEvidence, lockedDispute, stepRecorded, type DisputeRow, type EvidenceInput } from './dispute-store.ts';

/**
 * A dispute under review (docs/rules.md#disputes): evidence the partner sends, its assignment to a reviewer, and the
 * partner's request for a senior admin after an explanation. The API sends each to `dispute-<id>` as an update
 * carrying the verified actor; the workflow's activities record them once.
 */

const workflowOf = (temporal: Client, disputeId: string) => temporal.workflow.getHandle<typeof disputeWorkflow>(disputeWorkflowId(disputeId));

/** Evidence is taken until the dispute is explained or closed. */
function refuseEvidence(status: DisputeStatus): void {
  if (status === 'CLOSED' || status === 'EXPLAINED') throw new DomainError('conflict', 'invalid_state', `the dispute is ${status}`, 'status');
}

/** Stores the evidence (immutable) and sends it to the dispute's workflow; a dispute waiting for information goes to review. */
export async function sendDisputeEvidence(
  { database, temporal }: { database: Database; temporal: Client },
  row: DisputeRow,
  input: { evidence: EvidenceInput; actor: DisputeActor },
): Promise<DisputeState> {
  refuseEvidence(row.status);
  const stored = await database.transaction((transaction) => insertEvidence(transaction, { disputeId: row.id, evidence: input.evidence, userId: input.actor.userId }));
  return workflowOf(temporal, row.id).executeUpdate(provideDisputeEvidenceUpdate, { args: [{ actor: input.actor, evidenceId: stored.id }] });
}

/** Assigns the dispute to a reviewer (an active admin who reviews disputes), or the actor claims it. */
export async function sendDisputeAssignment(
  { database, temporal }: { database: Database; temporal: Client },
  disputeId: string,
  input: { actor: DisputeActor; assigneeId: string },
): Promise<DisputeState> {
  if (input.assigneeId !== input.actor.userId) {
    if (!(await isActiveAdminWith(database, input.assigneeId, 'disputes.review'))) {
      throw new DomainError('unprocessable', 'invalid_assignee', `user ${input.assigneeId} does not review disputes`, 'body.assigneeId');
    }
  }
  return workflowOf(temporal, disputeId).executeUpdate(assignDisputeUpdate, { args: [input] });
}

/** The partner asks for a senior admin: only after an explanation. */
export async function sendDisputeEscalationRequest(temporal: Client, row: DisputeRow, input: { actor: DisputeActor; reason: string }): Promise<DisputeState> {
  if (row.status !== 'EXPLAINED') throw new DomainError('conflict', 'invalid_state', `the dispute is ${row.status}; escalation is asked for after an explanation`, 'status');
  return workflowOf(temporal, row.id).executeUpdate(requestDisputeEscalationUpdate, { args: [input] });
}

/** Evidence the API stored: on the timeline; a dispute waiting for information goes to review. */
export async function provideDisputeEvidence(database: Database, input: { disputeId: string; stepKey: string; evidenceId: string; actor: DisputeActor }): Promise<{ status: DisputeStatus }> {
  return database.transaction(async (transaction) => {
    const row = await lockedDispute(transaction, input.disputeId);
    if (await stepRecorded(transaction, row.id, input.stepKey)) return { status: row.status };
    refuseEvidence(row.status);
    const status: DisputeStatus = row.status === 'INFORMATION_REQUESTED' ? 'UNDER_REVIEW' : row.status;
    if (status !== row.status) await transaction.query(sql.unsafe`UPDATE disputes SET status = ${status} WHERE id = ${row.id}`);
    await appendEvent(transaction, { disputeId: row.id, stepKey: input.stepKey, kind: 'EVIDENCE_PROVIDED', statusAfter: status, evidenceId: input.evidenceId, actor: input.actor });
    await appendAuditRecord(transaction, {
      action: 'DISPUTE_UPDATE', actor: input.actor.userId, targetType: 'dispute', targetId: row.id, reason: 'evidence provided',
      details: { partnerId: row.partner_id, evidenceId: input.evidenceId, statusBefore: row.status, status },
    });
    return { status };
  });
}

/** Assigns (or claims) the dispute for review. */
export async function assignDispute(database: Database, input: { disputeId: string; stepKey: string; assigneeId: string; actor: DisputeActor }): Promise<{ assigneeId: string }> {
  return database.transaction(async (transaction) => {
    const row = await lockedDispute(transaction, input.disputeId);
    if (await stepRecorded(transaction, row.id, input.stepKey)) return { assigneeId: row.assignee_id ?? input.assigneeId };
    if (row.status !== 'UNDER_REVIEW' && row.status !== 'ESCALATED') throw new DomainError('conflict', 'invalid_state', `the dispute is ${row.status}`, 'status');
    await transaction.query(sql.unsafe`UPDATE disputes SET assignee_id = ${input.assigneeId}, assigned_at = now() WHERE id = ${row.id}`);
    await appendEvent(transaction, {
      disputeId: row.id, stepKey: input.stepKey, kind: 'ASSIGNED', statusAfter: row.status, actor: input.actor,
      note: input.assigneeId === input.actor.userId ? 'claimed' : `assigned to ${input.assigneeId}`,
    });
    await appendAuditRecord(transaction, {
      action: 'DISPUTE_UPDATE', actor: input.actor.userId, targetType: 'dispute', targetId: row.id, reason: 'assigned',
      details: { partnerId: row.partner_id, assigneeId: input.assigneeId, previousAssigneeId: row.assignee_id },
    });
    return { assigneeId: input.assigneeId };
  });
}

/** After an explanation, the partner asks for a senior admin: ESCALATED, held again (a flag of its own), seniors told. */
export async function requestDisputeEscalation(database: Database, input: { disputeId: string; actor: DisputeActor; reason: string }): Promise<{ status: DisputeStatus }> {
  return database.transaction(async (transaction) => {
    const row = await lockedDispute(transaction, input.disputeId);
    if (await stepRecorded(transaction, row.id, 'escalation-requested')) return { status: row.status };
    if (row.status !== 'EXPLAINED') throw new DomainError('conflict', 'invalid_state', `the dispute is ${row.status}; escalation is asked for after an explanation`, 'status');
    await transaction.query(sql.unsafe`UPDATE disputes SET status = 'ESCALATED', escalated_at = now() WHERE id = ${row.id}`);
    await appendEvent(transaction, { disputeId: row.id, stepKey: 'escalation-requested', kind: 'ESCALATION_REQUESTED', statusAfter: 'ESCALATED', note: input.reason, actor: input.actor });
    await raisePartnerFlag(transaction, {
      partnerId: row.partner_id, kind: 'OPEN_DISPUTE', ...escalationFlagSource(row.id), reason: `dispute ${row.id} escalated at the partner's request`, actor: input.actor.userId,
    });
    await appendAuditRecord(transaction, {
      action: 'DISPUTE_UPDATE', actor: input.actor.userId, targetType: 'dispute', targetId: row.id, reason: `escalation requested: ${input.reason}`.slice(0, 1000),
      details: { partnerId: row.partner_id, statusBefore: row.status, status: 'ESCALATED' },
    });
    await enqueueNotification(transaction, {
      dedupeKey: `dispute-escalated:${row.id}:partner-request`, kind: 'DISPUTE_ESCALATED', recipient: { kind: 'admin_role', roles: [...disputeSeniors] },
      subject: `Dispute escalated by partner ${row.partner_id}: ${row.type} ${row.transaction_ref}`,
      text: `The partner disagrees with the explanation (${row.resolution_note ?? ''}): ${input.reason}`,
    });
    return { status: 'ESCALATED' };
  });
}
