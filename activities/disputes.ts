import { ApplicationFailure } from '@temporalio/activity';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Database } from '../db/pool.ts';
import { permissions } from '../domain/access.ts';
import {
  DisputeRuleError,
  checkResolution,
  disputeRefusedType,
  isOutOfWindow,
  planDisputeCreditPostings,
  type DisputeActor,
  type DisputeRefusal,
  type DisputeResolution,
  type DisputeResolutionInput,
  type DisputeStatus,
  type DisputeType,
} from '../domain/dispute.ts';
import type { DisputePolicy } from '../domain/lifecycle-policy.ts';
import { Money, currencyScale, formatMoney } from '../domain/money.ts';
import { durationMs } from '../domain/policy.ts';
import { appendAuditRecord } from '../modules/audit/audit-store.ts';
import type { LedgerStore } from '../modules/ledger/ledger-store.ts';
import { enqueueNotification } from '../modules/notifications/outbox.ts';
import { clearPartnerFlags, raisePartnerFlag } from '../modules/partner-flags/partner-flags-store.ts';

/**
 * Partner disputes' side effects (SPEC section 9): finding the disputed transaction (only the partner's own),
 * recording a dispute and its evidence, and the workflow's steps — the first decision (out of window, information
 * requested, review), evidence, assignment, each resolution (a correction or goodwill credit posted to the ledger
 * in the same transaction as its audit records), the partner's escalation request, and the closing ones. Each step
 * is recorded once under its step key, so a retried activity changes nothing twice. While a dispute holds, the
 * partner has an OPEN_DISPUTE flag (the payout checklist holds their payouts); it is cleared in the transaction
 * that ends the hold.
 */

/** A refusal of a request, naming the field (the API answers it as a 4xx). */
export class DisputeInputError extends Error {
  constructor(
    readonly status: 403 | 404 | 409 | 422,
    readonly code: string,
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'DisputeInputError';
  }
}

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
  /** The keyset cursor's time, microseconds kept. */
  cursor_time: z.string(),
});
export type DisputeRow = z.infer<typeof disputeRow>;

export const disputeColumns = sql.fragment`
  id, partner_id, type, transaction_ref, transaction_at, transaction_amount::text AS transaction_amount, transaction_currency,
  description, status, resolution, resolution_note, automatic_reason, assignee_id::text AS assignee_id, assigned_at,
  opened_by::text AS opened_by, opened_role, opened_at, information_due_at, escalated_at, explained_at, closed_at,
  credited_total::text AS credited_total, credited_currency, policy_version,
  to_char(opened_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_time`;

export async function loadDispute(connection: CommonQueryMethods, disputeId: string, { forUpdate = false } = {}): Promise<DisputeRow | null> {
  return connection.maybeOne(sql.type(disputeRow)`
    SELECT ${disputeColumns} FROM disputes WHERE id = ${disputeId} ${forUpdate ? sql.fragment`FOR UPDATE` : sql.fragment``}`);
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

const transactionRow = z.object({ at: z.date(), amount: z.string().nullable(), currency: z.string().nullable() });
/** A commission never reversed has no reversal time. */
const commissionTransactionRow = transactionRow.extend({ at: z.date().nullable() });

/**
 * The disputed transaction, only when it is the partner's own (null otherwise, so another partner's reference is
 * indistinguishable from one that does not exist): a commission (its event's completion, or its creation for pool
 * and manual commissions), a reversal of one of their commissions (when it was reversed), a payout (when it was
 * requested), a rank change (when it took effect).
 */
export async function findDisputedTransaction(
  connection: CommonQueryMethods,
  input: { partnerId: string; type: DisputeType; transactionRef: string },
): Promise<z.infer<typeof transactionRow> | null> {
  const ref = input.transactionRef;
  switch (input.type) {
    case 'COMMISSION':
    case 'REVERSAL': {
      if (!/^\d{1,18}$/.test(ref)) return null;
      const row = await connection.maybeOne(sql.type(commissionTransactionRow)`
        SELECT ${input.type === 'COMMISSION' ? sql.fragment`coalesce(e.completed_at, c.created_at)` : sql.fragment`c.reversed_at`} AS at,
               ${input.type === 'COMMISSION' ? sql.fragment`c.amount::text` : sql.fragment`c.reversed_amount::text`} AS amount, c.currency
        FROM commissions c LEFT JOIN commission_events e ON e.id = c.event_id
        WHERE c.id = ${ref} AND c.partner_id = ${input.partnerId}`);
      if (!row) return null;
      // A reversal dispute names a commission something reversed (in full or in part).
      if (row.at === null || (input.type === 'REVERSAL' && !new Money(row.amount ?? '0').gt(0))) return null;
      return { ...row, at: row.at };
    }
    case 'PAYOUT': {
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ref)) return null;
      return connection.maybeOne(sql.type(transactionRow)`
        SELECT created_at AS at, amount::text AS amount, currency FROM payouts
        WHERE id = ${ref} AND partner_id = ${input.partnerId} AND status <> 'DRAFT'`);
    }
    case 'RANK': {
      if (!/^\d{1,18}$/.test(ref)) return null;
      return connection.maybeOne(sql.type(transactionRow)`
        SELECT effective_at AS at, NULL::text AS amount, NULL::text AS currency FROM partner_changes
        WHERE id = ${ref} AND partner_id = ${input.partnerId} AND field = 'rank'`);
    }
  }
}

export interface RecordDisputeInput {
  disputeId: string;
  partnerId: string;
  type: DisputeType;
  transactionRef: string;
  description: string;
  evidence: EvidenceInput | null;
  openedBy: DisputeActor;
  ip: string | null;
  policyVersion: number;
}

/**
 * Records a dispute in the caller's transaction: the transaction must be the partner's own (404 naming
 * `body.transactionRef` otherwise), the evidence given with it stored, the OPENED step on the timeline, audited as
 * DISPUTE_OPEN. The workflow takes the decision tree's first step.
 */
export async function recordDispute(transaction: CommonQueryMethods, input: RecordDisputeInput): Promise<DisputeRow> {
  const found = await findDisputedTransaction(transaction, input);
  if (!found) {
    throw new DisputeInputError(404, 'unknown_transaction', `partner ${input.partnerId} has no ${input.type.toLowerCase()} transaction ${input.transactionRef}`, 'body.transactionRef');
  }
  const row = await transaction.one(sql.type(disputeRow)`
    INSERT INTO disputes (id, partner_id, type, transaction_ref, transaction_at, transaction_amount, transaction_currency, description,
                          status, opened_by, opened_role, policy_version)
    VALUES (${input.disputeId}, ${input.partnerId}, ${input.type}, ${input.transactionRef}, ${sql.timestamp(found.at)}, ${found.amount},
            ${found.amount === null ? null : found.currency}, ${input.description}, 'OPEN', ${input.openedBy.userId}, ${input.openedBy.role},
            ${input.policyVersion})
    RETURNING ${disputeColumns}`);
  const evidence = input.evidence ? await insertEvidence(transaction, { disputeId: input.disputeId, evidence: input.evidence, userId: input.openedBy.userId }) : null;
  await appendEvent(transaction, {
    disputeId: input.disputeId, stepKey: 'opened', kind: 'OPENED', statusAfter: 'OPEN', note: input.description, actor: input.openedBy, evidenceId: evidence?.id ?? null,
  });
  await appendAuditRecord(transaction, {
    action: 'DISPUTE_OPEN', actor: input.openedBy.userId, targetType: 'dispute', targetId: input.disputeId,
    amount: found.amount, currency: found.amount === null ? null : found.currency, reason: input.description.slice(0, 500), ip: input.ip,
    details: {
      partnerId: input.partnerId, type: input.type, transactionRef: input.transactionRef, transactionAt: found.at.toISOString(),
      openedRole: input.openedBy.role, evidenceId: evidence?.id ?? null,
    },
  });
  return row;
}

/** A dispute whose workflow could not be started is closed at once (REJECTION, saying why): nothing else happened. */
export async function abandonDispute(transaction: CommonQueryMethods, disputeId: string, reason: string): Promise<void> {
  const row = await loadDispute(transaction, disputeId, { forUpdate: true });
  if (!row || row.status !== 'OPEN') return;
  await transaction.query(sql.unsafe`
    UPDATE disputes SET status = 'CLOSED', resolution = 'REJECTION', resolution_note = ${reason}, closed_at = now() WHERE id = ${disputeId}`);
  await appendEvent(transaction, { disputeId, stepKey: 'abandoned', kind: 'CLOSED', statusAfter: 'CLOSED', resolution: 'REJECTION', note: reason, actor: systemActor });
  await appendAuditRecord(transaction, {
    action: 'DISPUTE_UPDATE', actor: 'system:dispute', targetType: 'dispute', targetId: disputeId, reason, details: { abandoned: true },
  });
}

const systemActor: DisputeActor & { userId: 'system:dispute' } = { userId: 'system:dispute', role: 'admin' };

interface EventInput {
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
async function appendEvent(connection: CommonQueryMethods, input: EventInput): Promise<void> {
  const isSystem = input.actor.userId.startsWith('system:');
  await connection.query(sql.unsafe`
    INSERT INTO dispute_events (dispute_id, sequence, step_key, kind, status_after, resolution, error_kind, amount, currency, entry_id, evidence_id,
                                note, actor, actor_role)
    SELECT ${input.disputeId}, coalesce(max(sequence), 0) + 1, ${input.stepKey}, ${input.kind}, ${input.statusAfter}, ${input.resolution ?? null},
           ${input.errorKind ?? null}, ${input.amount ?? null}, ${input.currency ?? null}, ${input.entryId ?? null}, ${input.evidenceId ?? null},
           ${input.note ?? null}, ${input.actor.userId}, ${isSystem ? null : input.actor.role}
    FROM dispute_events WHERE dispute_id = ${input.disputeId}`);
}

async function stepRecorded(connection: CommonQueryMethods, disputeId: string, stepKey: string): Promise<DisputeEventRow | null> {
  return connection.maybeOne(sql.type(disputeEventRow)`
    SELECT sequence, kind, status_after, resolution, error_kind, amount::text AS amount, currency, entry_id::text AS entry_id,
           evidence_id::text AS evidence_id, note, actor, actor_role, recorded_at
    FROM dispute_events WHERE dispute_id = ${disputeId} AND step_key = ${stepKey}`);
}

function refused(status: DisputeRefusal['status'], code: string, message: string, field: string | null = 'status'): ApplicationFailure {
  const refusal: DisputeRefusal = { status, code, field };
  return ApplicationFailure.create({ type: disputeRefusedType, message, nonRetryable: true, details: [refusal] });
}

async function lockedDispute(transaction: CommonQueryMethods, disputeId: string): Promise<DisputeRow> {
  const row = await loadDispute(transaction, disputeId, { forUpdate: true });
  if (!row) throw refused(404, 'not_found', `dispute ${disputeId} does not exist`, null);
  return row;
}

const reviewers = ['financial_support'] as const;
const seniors = permissions['disputes.escalated'];
const typeNames: Record<DisputeType, string> = { COMMISSION: 'commission', REVERSAL: 'reversal', PAYOUT: 'payout', RANK: 'rank' };
const describe = (row: DisputeRow) => `your ${typeNames[row.type]} dispute (${row.transaction_ref})`;

/** The flags a dispute raises: one while it first holds, one again if the partner escalates after an explanation. */
const flagSource = (disputeId: string) => ({ sourceType: 'dispute', sourceId: disputeId });
const escalationFlagSource = (disputeId: string) => ({ sourceType: 'dispute', sourceId: `${disputeId}:escalation` });

async function clearDisputeFlags(transaction: CommonQueryMethods, row: DisputeRow, actor: string, reason: string): Promise<number> {
  const cleared = [
    ...(await clearPartnerFlags(transaction, { ...flagSource(row.id), kind: 'OPEN_DISPUTE', actor, reason })),
    ...(await clearPartnerFlags(transaction, { ...escalationFlagSource(row.id), kind: 'OPEN_DISPUTE', actor, reason })),
  ];
  return cleared.length;
}

export interface OpenedDispute {
  decision: 'OUT_OF_WINDOW' | 'NEEDS_INFORMATION' | 'REVIEW';
  status: DisputeStatus;
  evidenceCount: number;
}

export interface ResolveDisputeInput {
  disputeId: string;
  /** The workflow's key for this resolution (`resolution-<n>`): a retry finds it recorded. */
  stepKey: string;
  actor: DisputeActor;
  resolution: DisputeResolutionInput;
  goodwillMax: string;
  ip: string | null;
}

export interface ResolvedDispute {
  status: DisputeStatus;
  resolution: DisputeResolution;
  amount: string | null;
  currency: string | null;
  entryId: string | null;
  creditedTotal: string;
  creditedCurrency: string | null;
  /** True when this resolution ended the hold (the workflow nudges the partner's HELD payouts). */
  holdEnded: boolean;
}

const lockedBalanceRow = z.object({ account_id: z.string(), balance: z.string() });

export function createDisputeActivities({ database, ledger }: { database: Database; ledger: LedgerStore }) {
  return {
    /**
     * The decision tree's first questions, once (a retry returns what was decided): a transaction older than the
     * window (measured to the filing) is rejected at once; otherwise the partner's OPEN_DISPUTE flag is raised and
     * financial support told, and the dispute waits for information (no evidence) or goes to review.
     */
    async openDispute(input: { disputeId: string; window: string; informationWait: string }): Promise<OpenedDispute> {
      return database.transaction(async (transaction) => {
        const row = await lockedDispute(transaction, input.disputeId);
        const evidenceCount = (await disputeEvidence(transaction, row.id)).length;
        if (row.status !== 'OPEN') {
          const decision = row.automatic_reason === 'OUT_OF_WINDOW' ? 'OUT_OF_WINDOW' : row.status === 'INFORMATION_REQUESTED' ? 'NEEDS_INFORMATION' : 'REVIEW';
          return { decision, status: row.status, evidenceCount };
        }
        if (isOutOfWindow(row.transaction_at, row.opened_at, durationMs(input.window))) {
          const note = `Source 000: a dispute is accepted within ${input.window} of its transaction; this one (${row.transaction_at.toISOString()}) was filed ${row.opened_at.toISOString()}.`;
          await transaction.query(sql.unsafe`
            UPDATE disputes SET status = 'CLOSED', resolution = 'REJECTION', resolution_note = ${note}, automatic_reason = 'OUT_OF_WINDOW', closed_at = now()
            WHERE id = ${row.id}`);
          await appendEvent(transaction, { disputeId: row.id, stepKey: 'out-of-window', kind: 'RESOLUTION', statusAfter: 'CLOSED', resolution: 'REJECTION', note, actor: systemActor });
          await appendAuditRecord(transaction, {
            action: 'DISPUTE_RESOLVE', actor: systemActor.userId, targetType: 'dispute', targetId: row.id, reason: 'REJECTION: outside the dispute window',
            details: { partnerId: row.partner_id, resolution: 'REJECTION', automaticReason: 'OUT_OF_WINDOW', window: input.window, transactionAt: row.transaction_at.toISOString() },
          });
          await enqueueNotification(transaction, {
            dedupeKey: `dispute-resolved:${row.id}:out-of-window`, kind: 'DISPUTE_RESOLVED', recipient: { kind: 'partner', partnerId: row.partner_id },
            subject: 'Your dispute was rejected: outside the dispute window',
            text: `We could not accept ${describe(row)}: disputes are accepted within ${input.window} of the transaction.`,
          });
          return { decision: 'OUT_OF_WINDOW', status: 'CLOSED', evidenceCount };
        }
        await raisePartnerFlag(transaction, {
          partnerId: row.partner_id, kind: 'OPEN_DISPUTE', ...flagSource(row.id), reason: `dispute ${row.id} (${row.type} ${row.transaction_ref}) is open`, actor: systemActor.userId,
        });
        const status: DisputeStatus = evidenceCount === 0 ? 'INFORMATION_REQUESTED' : 'UNDER_REVIEW';
        if (status === 'INFORMATION_REQUESTED') {
          const dueAt = new Date(Date.now() + durationMs(input.informationWait));
          await transaction.query(sql.unsafe`
            UPDATE disputes SET status = 'INFORMATION_REQUESTED', information_due_at = ${sql.timestamp(dueAt)} WHERE id = ${row.id}`);
          await appendEvent(transaction, {
            disputeId: row.id, stepKey: 'information-requested', kind: 'INFORMATION_REQUESTED', statusAfter: status, actor: systemActor,
            note: `no supporting evidence: send it within ${input.informationWait}`,
          });
          await enqueueNotification(transaction, {
            dedupeKey: `dispute-information:${row.id}`, kind: 'DISPUTE_INFORMATION_REQUESTED', recipient: { kind: 'partner', partnerId: row.partner_id },
            subject: 'Your dispute needs supporting evidence',
            text: `To review ${describe(row)} we need supporting evidence (a description of what is wrong, a document or a screenshot). `
              + `Send it by ${dueAt.toISOString()}; without it the dispute closes then.`,
          });
        } else {
          await transaction.query(sql.unsafe`UPDATE disputes SET status = 'UNDER_REVIEW' WHERE id = ${row.id}`);
          await appendEvent(transaction, { disputeId: row.id, stepKey: 'under-review', kind: 'UNDER_REVIEW', statusAfter: status, actor: systemActor });
        }
        await appendAuditRecord(transaction, {
          action: 'DISPUTE_UPDATE', actor: systemActor.userId, targetType: 'dispute', targetId: row.id, reason: status,
          details: { partnerId: row.partner_id, status, evidenceCount, informationWait: status === 'INFORMATION_REQUESTED' ? input.informationWait : null },
        });
        await enqueueNotification(transaction, {
          dedupeKey: `dispute-opened:${row.id}`, kind: 'DISPUTE_OPENED', recipient: { kind: 'admin_role', roles: [...reviewers] },
          subject: `Dispute opened: ${row.type} ${row.transaction_ref} of partner ${row.partner_id}`,
          text: `Partner ${row.partner_id} disputes ${typeNames[row.type]} ${row.transaction_ref}: ${row.description}\n`
            + (status === 'INFORMATION_REQUESTED' ? 'No evidence yet: the partner was asked for it.' : 'Evidence attached: ready for review.'),
        });
        return { decision: status === 'INFORMATION_REQUESTED' ? 'NEEDS_INFORMATION' : 'REVIEW', status, evidenceCount };
      });
    },

    /** Evidence the API stored: on the timeline; a dispute waiting for information goes to review. */
    async provideDisputeEvidence(input: { disputeId: string; stepKey: string; evidenceId: string; actor: DisputeActor }): Promise<{ status: DisputeStatus }> {
      return database.transaction(async (transaction) => {
        const row = await lockedDispute(transaction, input.disputeId);
        if (await stepRecorded(transaction, row.id, input.stepKey)) return { status: row.status };
        if (row.status === 'CLOSED' || row.status === 'EXPLAINED') throw refused(409, 'invalid_state', `the dispute is ${row.status}`);
        const status: DisputeStatus = row.status === 'INFORMATION_REQUESTED' ? 'UNDER_REVIEW' : row.status;
        if (status !== row.status) await transaction.query(sql.unsafe`UPDATE disputes SET status = ${status} WHERE id = ${row.id}`);
        await appendEvent(transaction, { disputeId: row.id, stepKey: input.stepKey, kind: 'EVIDENCE_PROVIDED', statusAfter: status, evidenceId: input.evidenceId, actor: input.actor });
        await appendAuditRecord(transaction, {
          action: 'DISPUTE_UPDATE', actor: input.actor.userId, targetType: 'dispute', targetId: row.id, reason: 'evidence provided',
          details: { partnerId: row.partner_id, evidenceId: input.evidenceId, statusBefore: row.status, status },
        });
        return { status };
      });
    },

    /** Assigns (or claims) the dispute for review. */
    async assignDispute(input: { disputeId: string; stepKey: string; assigneeId: string; actor: DisputeActor }): Promise<{ assigneeId: string }> {
      return database.transaction(async (transaction) => {
        const row = await lockedDispute(transaction, input.disputeId);
        if (await stepRecorded(transaction, row.id, input.stepKey)) return { assigneeId: row.assignee_id ?? input.assigneeId };
        if (row.status !== 'UNDER_REVIEW' && row.status !== 'ESCALATED') throw refused(409, 'invalid_state', `the dispute is ${row.status}`);
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
    },

    /**
     * A reviewer's (or senior admin's) resolution, once per step key, in ONE transaction: the checks of
     * checkResolution against the locked row; a CORRECTION or GOODWILL posted to the partner's `available` (a
     * credit repays `debt` first, a debit beyond `available` becomes `debt`) against the platform's `adjustments`
     * account, keyed by the dispute and step, audited as COMMISSION_ADJUST (commission and reversal disputes) or
     * BALANCE_ADJUST with the balance before and after; the timeline, DISPUTE_RESOLVE, and the notices: the partner
     * (DISPUTE_RESOLVED), the senior admins when it escalates (DISPUTE_ESCALATED). A resolution that ends the hold
     * (EXPLAINED or CLOSED) clears the OPEN_DISPUTE flag here.
     */
    async resolveDispute(input: ResolveDisputeInput): Promise<ResolvedDispute> {
      return database.transaction(async (transaction) => {
        const row = await lockedDispute(transaction, input.disputeId);
        const recorded = await stepRecorded(transaction, row.id, input.stepKey);
        if (recorded) {
          return {
            status: row.status, resolution: recorded.resolution ?? input.resolution.resolution, amount: recorded.amount, currency: recorded.currency,
            entryId: recorded.entry_id, creditedTotal: row.credited_total, creditedCurrency: row.credited_currency, holdEnded: recorded.status_after === 'CLOSED' || recorded.status_after === 'EXPLAINED',
          };
        }
        let checked;
        try {
          checked = checkResolution({ status: row.status, assigneeId: row.assignee_id, actor: input.actor, resolution: input.resolution, policy: { goodwillMax: input.goodwillMax } });
        } catch (error) {
          if (error instanceof DisputeRuleError) throw refused(error.refusal.status, error.refusal.code, error.message, error.refusal.field);
          throw error;
        }
        const { statusAfter } = checked;
        const resolution = input.resolution.resolution;
        const note = input.resolution.note.trim();
        if (checked.currency !== null && row.credited_currency !== null && checked.currency !== row.credited_currency) {
          throw refused(422, 'currency_mismatch', `this dispute's credits are in ${row.credited_currency}`, 'body.currency');
        }

        let entryId: string | null = null;
        let creditedTotal = new Money(row.credited_total);
        if (checked.amount !== null && checked.currency !== null) {
          const currency = checked.currency;
          const accounts = (['available', 'debt'] as const).map((bucket) => ({ ownerType: 'partner', ownerId: row.partner_id, bucket, currency }) as const);
          const ids = await ledger.accountIds([...accounts], transaction);
          const locked = await transaction.any(sql.type(lockedBalanceRow)`SELECT account_id, balance FROM lock_account_balances(${sql.array(ids, 'int8')})`);
          const balanceOf = (index: number) => locked.find((line) => line.account_id === ids[index])?.balance ?? '0';
          const before = { available: balanceOf(0), debt: balanceOf(1) };
          const postings = planDisputeCreditPostings({ partnerId: row.partner_id, amount: checked.amount, currency }, before);
          const posted = await ledger.postEntry({
            idempotencyKey: `dispute-${row.id}:${input.stepKey}`,
            kind: resolution === 'GOODWILL' ? 'dispute_goodwill' : 'dispute_correction',
            description: `dispute ${row.id} ${resolution}: ${note}`.slice(0, 500),
            metadata: { disputeId: row.id, partnerId: row.partner_id, resolution, errorKind: input.resolution.errorKind ?? null, type: row.type, transactionRef: row.transaction_ref },
            postings,
          }, transaction);
          entryId = posted.entryId;
          const delta = (bucket: string) => postings.filter((posting) => posting.account.bucket === bucket).reduce((sum, posting) => sum.plus(posting.amount), new Money(0));
          const commissionTarget = row.type === 'COMMISSION' || row.type === 'REVERSAL';
          await appendAuditRecord(transaction, {
            action: commissionTarget ? 'COMMISSION_ADJUST' : 'BALANCE_ADJUST', actor: input.actor.userId,
            targetType: commissionTarget ? 'commission' : 'partner', targetId: commissionTarget ? row.transaction_ref : row.partner_id,
            amount: checked.amount, currency,
            balanceBefore: formatMoney(before.available, currency), balanceAfter: formatMoney(new Money(before.available).plus(delta('available')), currency),
            reason: `dispute ${resolution}: ${note}`.slice(0, 1000), ip: input.ip, entryId,
            details: {
              disputeId: row.id, partnerId: row.partner_id, resolution, errorKind: input.resolution.errorKind ?? null, bucket: 'available',
              debtBefore: formatMoney(new Money(before.debt).negated(), currency), debtAfter: formatMoney(new Money(before.debt).plus(delta('debt')).negated(), currency),
            },
          });
          creditedTotal = creditedTotal.plus(checked.amount);
        }

        await appendEvent(transaction, {
          disputeId: row.id, stepKey: input.stepKey, kind: 'RESOLUTION', statusAfter, resolution, errorKind: input.resolution.errorKind ?? null,
          amount: checked.amount, currency: checked.currency, entryId, note, actor: input.actor,
        });
        const creditedCurrency = row.credited_currency ?? checked.currency;
        await transaction.query(sql.unsafe`
          UPDATE disputes SET status = ${statusAfter}, resolution = ${resolution}, resolution_note = ${note},
            assignee_id = coalesce(assignee_id, ${row.status === 'UNDER_REVIEW' ? input.actor.userId : null}),
            assigned_at = coalesce(assigned_at, ${row.status === 'UNDER_REVIEW' ? sql.fragment`now()` : sql.fragment`NULL`}),
            escalated_at = CASE WHEN ${statusAfter}::text = 'ESCALATED' THEN now() ELSE escalated_at END,
            explained_at = CASE WHEN ${statusAfter}::text = 'EXPLAINED' THEN now() ELSE explained_at END,
            closed_at = CASE WHEN ${statusAfter}::text = 'CLOSED' THEN now() ELSE closed_at END,
            credited_total = ${creditedTotal.toFixed()}, credited_currency = ${creditedCurrency}
          WHERE id = ${row.id}`);
        await appendAuditRecord(transaction, {
          action: 'DISPUTE_RESOLVE', actor: input.actor.userId, targetType: 'dispute', targetId: row.id, amount: checked.amount, currency: checked.currency,
          reason: `${resolution}: ${note}`.slice(0, 1000), ip: input.ip, entryId,
          details: { partnerId: row.partner_id, resolution, errorKind: input.resolution.errorKind ?? null, role: input.actor.role, statusBefore: row.status, statusAfter },
        });

        const holdEnded = statusAfter === 'CLOSED' || statusAfter === 'EXPLAINED';
        if (holdEnded) await clearDisputeFlags(transaction, row, input.actor.userId, `dispute ${statusAfter === 'CLOSED' ? 'closed' : 'explained'}: ${resolution}`);
        const scale = checked.currency ? currencyScale(checked.currency) : 2;
        const moneyText = checked.amount && checked.currency ? `${new Money(checked.amount).toFixed(scale)} ${checked.currency}` : '';
        const partnerText: Record<DisputeResolution, string> = {
          CORRECTION: `We found an error and corrected your balance by ${moneyText}.`,
          GOODWILL: `We found no error, but credited ${moneyText} to your balance as a goodwill gesture.`,
          EXPLANATION: statusAfter === 'EXPLAINED'
            ? 'We reviewed it and found no error. If you disagree, you may ask for escalation to a senior admin.'
            : 'A senior admin reviewed it and found no error.',
          ESCALATION: 'It was transferred to a senior admin for review.',
          REJECTION: 'It was rejected.',
        };
        await enqueueNotification(transaction, {
          dedupeKey: `dispute-resolved:${row.id}:${input.stepKey}`, kind: 'DISPUTE_RESOLVED', recipient: { kind: 'partner', partnerId: row.partner_id },
          subject: `Your dispute: ${resolution.toLowerCase()}`,
          text: `About ${describe(row)}: ${partnerText[resolution]}${input.resolution.errorKind === 'SYSTEM' ? ' The system error was escalated for a fix.' : ''}\n\n${note}`,
        });
        if (statusAfter === 'ESCALATED') {
          await enqueueNotification(transaction, {
            dedupeKey: `dispute-escalated:${row.id}:${input.stepKey}`, kind: 'DISPUTE_ESCALATED', recipient: { kind: 'admin_role', roles: [...seniors] },
            subject: `Dispute escalated: ${row.type} ${row.transaction_ref} of partner ${row.partner_id}`,
            text: `${resolution === 'CORRECTION' ? `A system error was corrected (${moneyText}) and needs a fix` : 'A reviewer escalated this dispute'}: ${note}`,
          });
        }
        return {
          status: statusAfter, resolution, amount: checked.amount, currency: checked.currency, entryId,
          creditedTotal: creditedTotal.toFixed(), creditedCurrency, holdEnded,
        };
      });
    },

    /** After an explanation, the partner asks for a senior admin: ESCALATED, held again (a flag of its own), seniors told. */
    async requestDisputeEscalation(input: { disputeId: string; actor: DisputeActor; reason: string }): Promise<{ status: DisputeStatus }> {
      return database.transaction(async (transaction) => {
        const row = await lockedDispute(transaction, input.disputeId);
        if (await stepRecorded(transaction, row.id, 'escalation-requested')) return { status: row.status };
        if (row.status !== 'EXPLAINED') throw refused(409, 'invalid_state', `the dispute is ${row.status}; escalation is asked for after an explanation`);
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
          dedupeKey: `dispute-escalated:${row.id}:partner-request`, kind: 'DISPUTE_ESCALATED', recipient: { kind: 'admin_role', roles: [...seniors] },
          subject: `Dispute escalated by partner ${row.partner_id}: ${row.type} ${row.transaction_ref}`,
          text: `The partner disagrees with the explanation (${row.resolution_note ?? ''}): ${input.reason}`,
        });
        return { status: 'ESCALATED' };
      });
    },

    /** No evidence by the deadline: the dispute closes itself (REJECTION, no information) and the hold ends. */
    async closeDisputeWithoutInformation(input: { disputeId: string; informationWait: string }): Promise<{ status: DisputeStatus; closed: boolean }> {
      return database.transaction(async (transaction) => {
        const row = await lockedDispute(transaction, input.disputeId);
        if (row.status !== 'INFORMATION_REQUESTED') return { status: row.status, closed: row.automatic_reason === 'NO_INFORMATION' };
        const note = `No supporting evidence arrived within ${input.informationWait}.`;
        await transaction.query(sql.unsafe`
          UPDATE disputes SET status = 'CLOSED', resolution = 'REJECTION', resolution_note = ${note}, automatic_reason = 'NO_INFORMATION', closed_at = now()
          WHERE id = ${row.id}`);
        await appendEvent(transaction, { disputeId: row.id, stepKey: 'no-information', kind: 'RESOLUTION', statusAfter: 'CLOSED', resolution: 'REJECTION', note, actor: systemActor });
        await appendAuditRecord(transaction, {
          action: 'DISPUTE_RESOLVE', actor: systemActor.userId, targetType: 'dispute', targetId: row.id, reason: 'REJECTION: no information',
          details: { partnerId: row.partner_id, resolution: 'REJECTION', automaticReason: 'NO_INFORMATION', informationWait: input.informationWait },
        });
        await clearDisputeFlags(transaction, row, systemActor.userId, 'dispute closed: no information');
        await enqueueNotification(transaction, {
          dedupeKey: `dispute-resolved:${row.id}:no-information`, kind: 'DISPUTE_RESOLVED', recipient: { kind: 'partner', partnerId: row.partner_id },
          subject: 'Your dispute was closed: no information',
          text: `${describe(row)[0]!.toUpperCase()}${describe(row).slice(1)} was closed: ${note}`,
        });
        return { status: 'CLOSED', closed: true };
      });
    },

    /** The escalation window after an explanation ended without a request: the dispute closes (EXPLANATION). */
    async closeExplainedDispute(input: { disputeId: string; escalationWindow: string }): Promise<{ status: DisputeStatus }> {
      return database.transaction(async (transaction) => {
        const row = await lockedDispute(transaction, input.disputeId);
        if (row.status !== 'EXPLAINED') return { status: row.status };
        await transaction.query(sql.unsafe`UPDATE disputes SET status = 'CLOSED', closed_at = now() WHERE id = ${row.id}`);
        await appendEvent(transaction, {
          disputeId: row.id, stepKey: 'explanation-accepted', kind: 'CLOSED', statusAfter: 'CLOSED', resolution: 'EXPLANATION', actor: systemActor,
          note: `no escalation asked for within ${input.escalationWindow}`,
        });
        await appendAuditRecord(transaction, {
          action: 'DISPUTE_UPDATE', actor: systemActor.userId, targetType: 'dispute', targetId: row.id, reason: 'closed: explanation stands',
          details: { partnerId: row.partner_id, resolution: 'EXPLANATION', escalationWindow: input.escalationWindow },
        });
        return { status: 'CLOSED' };
      });
    },
  };
}

export type DisputeActivities = ReturnType<typeof createDisputeActivities>;

/** The step-up check the API applies: which resolutions move money (and so need a fresh TOTP). */
export function resolutionMovesMoney(resolution: DisputeResolution): boolean {
  return resolution === 'CORRECTION' || resolution === 'GOODWILL';
}

export type { DisputePolicy };
