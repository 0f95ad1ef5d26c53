import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { DisputeActor, DisputeResolution, DisputeStatus, DisputeType } from '../../domain/dispute.ts';
import { DomainError } from '../../domain/errors.ts';

/**
 * The `disputes` table, its timeline (`dispute_events`) and its evidence (`dispute_evidence`): the row schemas,
 * the reads the API and the lifecycle share, and the timeline's steps. Each step of the lifecycle is recorded once
 * under its step key, so a retried activity changes nothing twice.
 */

const statusEnum = z.enum(['OPEN', 'INFORMATION_REQUESTED', 'UNDER_REVIEW', 'ESCALATED', 'EXPLAINED', 'CLOSED']);
const resolutionEnum = z.enum(['CORRECTION', 'EXPLANATION', 'GOODWILL', 'ESCALATION', 'REJECTION']);

export const disputeRow = z.object({
  id: z.string(),
  partner_id: z.string(),
  type: z.enum(['COMMISSION', 'REVERSAL', 'PAYOUT', 'RANK']),
  transaction_ref: z.string(),
  transaction_at: z.date(),
  transaction_amount: z.string().nullable(),
  transaction_currency: z.string().nullable(),
  description: z.string(),
  status: statusEnum,
  resolution: resolutionEnum.nullable(),
  resolution_note: z.string().nullable(),
  automatic_reason: z.enum(['OUT_OF_WINDOW', 'NO_INFORMATION']).nullable(),
  assignee_id: z.string().nullable(),
  assigned_at: z.date().nullable(),
  opened_by: z.string(),
  opened_role: z.string(),
  opened_at: z.date(),
  information_due_at: z.date().nullable(),
  escalated_at: z.date().nullable(),
  explained_at: z.date().nullable(),
  closed_at: z.date().nullable(),
  credited_total: z.string(),
  credited_currency: z.string().nullable(),
  policy_version: z.number(),
  /** A CORRECTION or GOODWILL waiting for its second person (docs/rules.md#four-eyes); null when none. */
  pending_resolution: z.object({
    maker: z.object({ userId: z.string(), role: z.string() }),
    resolution: z.string(),
    errorKind: z.string().nullable(),
    amount: z.string().nullable(),
    currency: z.string().nullable(),
    amountRub: z.string().nullable(),
    note: z.string(),
    checkerRoles: z.array(z.string()),
    requestedAt: z.string(),
  }).nullable(),
  /** The keyset cursor's time, microseconds kept. */
  cursor_time: z.string(),
});
export type DisputeRow = z.infer<typeof disputeRow>;

export const disputeColumns = sql.fragment`
  id, partner_id, type, transaction_ref, transaction_at, transaction_amount::text AS transaction_amount, transaction_currency,
  description, status, resolution, resolution_note, automatic_reason, assignee_id::text AS assignee_id, assigned_at,
  opened_by::text AS opened_by, opened_role, opened_at, information_due_at, escalated_at, explained_at, closed_at,
  credited_total::text AS credited_total, credited_currency, policy_version, pending_resolution,
  to_char(opened_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_time`;

export async function loadDispute(connection: CommonQueryMethods, disputeId: string, { forUpdate = false } = {}): Promise<DisputeRow | null> {
  return connection.maybeOne(sql.type(disputeRow)`
    SELECT ${disputeColumns} FROM disputes WHERE id = ${disputeId} ${forUpdate ? sql.fragment`FOR UPDATE` : sql.fragment``}`);
}

/** The dispute's row locked for a step of its lifecycle (inside a transaction). */
export async function lockedDispute(transaction: CommonQueryMethods, disputeId: string): Promise<DisputeRow> {
  const row = await loadDispute(transaction, disputeId, { forUpdate: true });
  if (!row) throw new DomainError('not_found', 'not_found', `dispute ${disputeId} does not exist`);
  return row;
}

export interface DisputeFilter {
  /** undefined: every partner's. */
  partnerId?: string | undefined;
  status?: DisputeStatus | undefined;
  type?: DisputeType | undefined;
  assigneeId?: string | undefined;
  /** The last row of the previous page (its opened_at, microseconds kept, and id). */
  after?: { cursorTime: string; id: string } | undefined;
  limit: number;
}

/** Disputes, newest first. */
export async function listDisputes(connection: CommonQueryMethods, filter: DisputeFilter): Promise<readonly DisputeRow[]> {
  const conditions = [sql.fragment`TRUE`];
  if (filter.partnerId !== undefined) conditions.push(sql.fragment`partner_id = ${filter.partnerId}`);
  if (filter.status) conditions.push(sql.fragment`status = ${filter.status}`);
  if (filter.type) conditions.push(sql.fragment`type = ${filter.type}`);
  if (filter.assigneeId) conditions.push(sql.fragment`assignee_id = ${filter.assigneeId}`);
  if (filter.after) conditions.push(sql.fragment`(opened_at, id) < (${filter.after.cursorTime}::timestamptz, ${filter.after.id}::uuid)`);
  return connection.any(sql.type(disputeRow)`
    SELECT ${disputeColumns} FROM disputes WHERE ${sql.join(conditions, sql.fragment` AND `)}
    ORDER BY opened_at DESC, id DESC LIMIT ${filter.limit}`);
}

export const disputeEventRow = z.object({
  sequence: z.number(),
  kind: z.string(),
  status_after: statusEnum,
  resolution: resolutionEnum.nullable(),
  error_kind: z.enum(['CALCULATION', 'SYSTEM']).nullable(),
  amount: z.string().nullable(),
  currency: z.string().nullable(),
  entry_id: z.string().nullable(),
  evidence_id: z.string().nullable(),
  note: z.string().nullable(),
  actor: z.string(),
  actor_role: z.string().nullable(),
  recorded_at: z.date(),
});
export type DisputeEventRow = z.infer<typeof disputeEventRow>;

export async function disputeTimeline(connection: CommonQueryMethods, disputeId: string): Promise<DisputeEventRow[]> {
  return [...(await connection.any(sql.type(disputeEventRow)`
    SELECT sequence, kind, status_after, resolution, error_kind, amount::text AS amount, currency, entry_id::text AS entry_id,
           evidence_id::text AS evidence_id, note, actor, actor_role, recorded_at
    FROM dispute_events WHERE dispute_id = ${disputeId} ORDER BY sequence`))];
}

export const evidenceRow = z.object({
  id: z.string(),
  dispute_id: z.string(),
  text: z.string().nullable(),
  file_name: z.string().nullable(),
  content_type: z.string().nullable(),
  size_bytes: z.number().nullable(),
  sha256: z.string().nullable(),
  uploaded_by: z.string(),
  uploaded_at: z.date(),
});
export type EvidenceRow = z.infer<typeof evidenceRow>;
export const evidenceColumns = sql.fragment`id::text AS id, dispute_id, text, file_name, content_type, size_bytes, sha256, uploaded_by::text AS uploaded_by, uploaded_at`;

export async function disputeEvidence(connection: CommonQueryMethods, disputeId: string): Promise<EvidenceRow[]> {
  return [...(await connection.any(sql.type(evidenceRow)`SELECT ${evidenceColumns} FROM dispute_evidence WHERE dispute_id = ${disputeId} ORDER BY id`))];
}

/** The evidence a partner sends: text, a file, or both. */
export interface EvidenceInput {
  text: string | null;
  file: { fileName: string; contentType: string; content: Buffer; sha256: string } | null;
}

/** Stores one piece of evidence (immutable), in the caller's transaction. */
export async function insertEvidence(connection: CommonQueryMethods, input: { disputeId: string; evidence: EvidenceInput; userId: string }): Promise<EvidenceRow> {
  const { text, file } = input.evidence;
  return connection.one(sql.type(evidenceRow)`
    INSERT INTO dispute_evidence (dispute_id, text, file_name, content_type, size_bytes, content, sha256, uploaded_by)
    VALUES (${input.disputeId}, ${text}, ${file?.fileName ?? null}, ${file?.contentType ?? null}, ${file ? file.content.length : null},
            ${file ? sql.binary(file.content) : null}, ${file?.sha256 ?? null}, ${input.userId})
    RETURNING ${evidenceColumns}`);
}

const evidenceFileRow = z.object({ file_name: z.string(), content_type: z.string(), content: z.instanceof(Buffer), sha256: z.string() });

/** An evidence file's stored content and checksum, or a not_found refusal naming `params.evidenceId`. */
export async function evidenceFile(connection: CommonQueryMethods, disputeId: string, evidenceId: string): Promise<z.infer<typeof evidenceFileRow>> {
  const file = await connection.maybeOne(sql.type(evidenceFileRow)`
    SELECT file_name, content_type, content, sha256 FROM dispute_evidence WHERE id = ${evidenceId} AND dispute_id = ${disputeId} AND content IS NOT NULL`);
  if (!file) throw new DomainError('not_found', 'not_found', `dispute ${disputeId} has no evidence file ${evidenceId}`, 'params.evidenceId');
  return file;
}

/** The workflow's own steps are recorded by this actor. */
export const systemActor: DisputeActor & { userId: 'system:dispute' } = { userId: 'system:dispute', role: 'admin' };

export interface DisputeEventInput {
  disputeId: string;
  stepKey: string;
  kind: 'OPENED' | 'INFORMATION_REQUESTED' | 'EVIDENCE_PROVIDED' | 'UNDER_REVIEW' | 'ASSIGNED' | 'RESOLUTION' | 'ESCALATION_REQUESTED' | 'CLOSED';
  statusAfter: DisputeStatus;
  resolution?: DisputeResolution | null;
  errorKind?: 'CALCULATION' | 'SYSTEM' | null;
  amount?: string | null;
  currency?: string | null;
  entryId?: string | null;
  evidenceId?: string | null;
  note?: string | null;
  actor: DisputeActor;
}

/** One step on the timeline (the caller holds the dispute's row lock, so sequences do not race). */
export async function appendEvent(connection: CommonQueryMethods, input: DisputeEventInput): Promise<void> {
  const isSystem = input.actor.userId.startsWith('system:');
  await connection.query(sql.unsafe`
    INSERT INTO dispute_events (dispute_id, sequence, step_key, kind, status_after, resolution, error_kind, amount, currency, entry_id, evidence_id,
                                note, actor, actor_role)
    SELECT ${input.disputeId}, coalesce(max(sequence), 0) + 1, ${input.stepKey}, ${input.kind}, ${input.statusAfter}, ${input.resolution ?? null},
           ${input.errorKind ?? null}, ${input.amount ?? null}, ${input.currency ?? null}, ${input.entryId ?? null}, ${input.evidenceId ?? null},
           ${input.note ?? null}, ${input.actor.userId}, ${isSystem ? null : input.actor.role}
    FROM dispute_events WHERE dispute_id = ${input.disputeId}`);
}

/** The step recorded under this key, if any: a retried step finds it and does nothing twice. */
export async function stepRecorded(connection: CommonQueryMethods, disputeId: string, stepKey: string): Promise<DisputeEventRow | null> {
  return connection.maybeOne(sql.type(disputeEventRow)`
    SELECT sequence, kind, status_after, resolution, error_kind, amount::text AS amount, currency, entry_id::text AS entry_id,
           evidence_id::text AS evidence_id, note, actor, actor_role, recorded_at
    FROM dispute_events WHERE dispute_id = ${disputeId} AND step_key = ${stepKey}`);
}
