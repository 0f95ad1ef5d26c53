import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import type { AdminRole } from '../../domain/access.ts';
import { DomainError } from '../../domain/errors.ts';
import { isTerminalPayoutStatus, type PayoutActor, type PayoutStatus } from '../../domain/payout.ts';
import {
  CloseRequestError,
  matchCloseLines,
  paymentFileCloseUpdateId,
  paymentFileCloseWorkflowId,
  paymentFileDeliveryDefaults,
  paymentFileLockWorkflowId,
  paymentFileLockUpdateId,
  paymentFileStatus,
  type CloseLine,
  type PaymentFileCounts,
  type PaymentFileStatus,
} from '../../domain/payment-file.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';
import { enqueueNotification } from '../notifications/outbox.ts';
import type { PayoutDelivery, PayoutDeliveryOutcome } from './payout-delivery.ts';
import type { paymentFileCloseWorkflow, paymentFileLockWorkflow } from '../../workflows/payment-file.ts';

/**
 * Payment files (docs/rules.md#payment-files): the PAYQUICKER and METHOD_BATCH exports lock the payouts they list
 * (`payouts.payment_file_id`, set in the export's transaction), their manual payouts go to PROCESSING through
 * `payment-file-<exportId>`, and a bulk close (the bank's result file or lists of references) is recorded here
 * with its items before `payment-file-<exportId>-close-<n>` delivers each payout's `complete` or `fail`.
 */

/** Who is told that a close finished with failures (docs/rules.md#notifications). */
export const financeRoles: readonly AdminRole[] = ['finance_manager', 'finance_director'];

/**
 * Called inside the export's transaction, after its items are written and while their rows are locked: marks the
 * payouts as in this file. An empty file is locked at once; otherwise its lock workflow says when it is.
 */
export async function recordPaymentFile(transaction: CommonQueryMethods, exportId: string, payoutIds: readonly string[]): Promise<void> {
  await transaction.query(sql.unsafe`
    INSERT INTO payment_files (export_id, locked_at) VALUES (${exportId}, ${payoutIds.length === 0 ? sql.fragment`now()` : null})`);
  if (payoutIds.length > 0) {
    await transaction.query(sql.unsafe`
      UPDATE payouts SET payment_file_id = ${exportId}, updated_at = now()
      WHERE id = ANY(${sql.array([...payoutIds], 'uuid')})`);
  }
}

const inFileRow = z.object({ payment_file_id: z.string().nullable(), status: z.string() });

/**
 * docs/rules.md#payment-files: a payout in an exported payment file is no longer cancelled or rejected (409
 * `in_payment_file` on `status`). The API asks before sending the decision; the settle step asks again under the
 * payout's row lock, so a cancel racing the export is refused by the database.
 */
export async function refuseInPaymentFile(connection: CommonQueryMethods, payoutId: string): Promise<void> {
  const row = await connection.maybeOne(sql.type(inFileRow)`SELECT payment_file_id, status FROM payouts WHERE id = ${payoutId}`);
  if (row?.payment_file_id) {
    throw new DomainError(
      'conflict',
      'in_payment_file',
      `the payout is in payment file ${row.payment_file_id}, which may already be at the bank: it can no longer be cancelled or rejected; close the file with its result instead`,
      'status',
    );
  }
}

const summaryRow = z.object({
  export_id: z.string(),
  locked: z.boolean(),
  closing: z.boolean(),
  total: z.number(),
  processing: z.number(),
  completed: z.number(),
  failed: z.number(),
  terminal: z.number(),
});

export interface PaymentFileSummary {
  status: PaymentFileStatus;
  counts: PaymentFileCounts;
}

/** The status and counts of each payment file among `exportIds` (exports that are not payment files are absent). */
export async function paymentFileSummaries(connection: CommonQueryMethods, exportIds: readonly string[]): Promise<Map<string, PaymentFileSummary>> {
  if (exportIds.length === 0) return new Map();
  const rows = await connection.any(sql.type(summaryRow)`
    SELECT f.export_id, f.locked_at IS NOT NULL AS locked,
           EXISTS (SELECT 1 FROM payment_file_closes c WHERE c.export_id = f.export_id AND c.status = 'RUNNING') AS closing,
           count(p.id)::int AS total,
           count(p.id) FILTER (WHERE p.status = 'PROCESSING')::int AS processing,
           count(p.id) FILTER (WHERE p.status = 'COMPLETED')::int AS completed,
           count(p.id) FILTER (WHERE p.status = 'FAILED')::int AS failed,
           count(p.id) FILTER (WHERE p.status IN ('COMPLETED', 'FAILED', 'REJECTED', 'CANCELLED'))::int AS terminal
    FROM payment_files f
    LEFT JOIN payout_export_items i ON i.export_id = f.export_id
    LEFT JOIN payouts p ON p.id = i.payout_id
    WHERE f.export_id = ANY(${sql.array([...exportIds], 'uuid')})
    GROUP BY f.export_id, f.locked_at`);
  return new Map(
    rows.map((row) => [
      row.export_id,
      {
        status: paymentFileStatus({ locked: row.locked, closing: row.closing, terminal: row.terminal, total: row.total }),
        counts: {
          total: row.total,
          processing: row.processing,
          completed: row.completed,
          failed: row.failed,
          other: row.total - row.processing - row.completed - row.failed,
        },
      },
    ]),
  );
}

const itemRow = z.object({
  position: z.number(),
  payout_id: z.string(),
  partner_id: z.string(),
  method_id: z.string(),
  currency: z.string(),
  amount_to_transfer: z.string(),
  status: z.string(),
  failure_code: z.string().nullable(),
});

/** The payouts of a file in file order, after `afterPosition`. */
export async function paymentFileItems(connection: CommonQueryMethods, exportId: string, afterPosition: number, limit: number) {
  return connection.any(sql.type(itemRow)`
    SELECT i.position, p.id AS payout_id, p.partner_id, p.method_id, p.currency, p.amount_to_transfer, p.status, p.failure_code
    FROM payout_export_items i JOIN payouts p ON p.id = i.payout_id
    WHERE i.export_id = ${exportId} AND i.position > ${afterPosition}
    ORDER BY i.position LIMIT ${limit}`);
}

const fileRow = z.object({ export_id: z.string(), locked_at: z.date().nullable(), closes: z.number(), file_name: z.string() });

/** The payment file of an export, or a refusal: 404 when no such export, 422 when it is not a payment file. */
async function paymentFileOf(connection: CommonQueryMethods, exportId: string, lock: boolean) {
  const file = await connection.maybeOne(sql.type(fileRow)`
    SELECT f.export_id, f.locked_at, f.closes, e.file_name
    FROM payment_files f JOIN payout_exports e ON e.id = f.export_id
    WHERE f.export_id = ${exportId} ${lock ? sql.fragment`FOR UPDATE OF f` : sql.fragment``}`);
  if (file) return file;
  const exists = await connection.exists(sql.unsafe`SELECT 1 FROM payout_exports WHERE id = ${exportId}`);
  if (!exists) throw new DomainError('not_found', 'not_found', `export ${exportId} does not exist`, 'id');
  throw new DomainError('unprocessable', 'not_a_payment_file', `export ${exportId} is not a payment file (PAYQUICKER or METHOD_BATCH)`, 'id');
}

const fileItemStatusRow = z.object({ position: z.number(), payout_id: z.string(), status: z.string() });
const idRow = z.object({ id: z.string() });

export interface RecordedClose {
  /** False when every payout named was decided already: nothing to deliver, no workflow. */
  deliver: boolean;
  closeId: string;
  closeNo: number;
  paid: number;
  failed: number;
  alreadyDecided: number;
}

/**
 * Checks a whole close request against the file and records it (docs/rules.md#payment-files): every reference must be
 * a payout of this file and named once (CloseRequestError otherwise, nothing written). A payout already COMPLETED
 * or FAILED is recorded as already decided and not sent again. Refused with 409 while the file is still locking
 * (`payment_file_locking`) or another close of it runs (`payment_file_closing`).
 */
export async function recordPaymentFileClose(
  database: Database,
  input: { exportId: string; lines: readonly CloseLine[]; source: 'RESULT_FILE' | 'LIST'; resultFile: string | null; actor: PayoutActor; ip: string | null },
): Promise<RecordedClose> {
  return database.transaction(async (transaction) => {
    const file = await paymentFileOf(transaction, input.exportId, true);
    if (!file.locked_at) {
      throw new DomainError('conflict', 'payment_file_locking', 'the file’s payouts are still being moved to PROCESSING: close it once its status is OPEN', 'status');
    }
    const running = await transaction.maybeOne(sql.type(z.object({ close_no: z.number() }))`
      SELECT close_no FROM payment_file_closes WHERE export_id = ${input.exportId} AND status = 'RUNNING'`);
    if (running) {
      throw new DomainError('conflict', 'payment_file_closing', `close ${running.close_no} of this file is still running: wait for it to finish`, 'status');
    }
    const items = await transaction.any(sql.type(fileItemStatusRow)`
      SELECT i.position, i.payout_id, p.status FROM payout_export_items i JOIN payouts p ON p.id = i.payout_id
      WHERE i.export_id = ${input.exportId}`);
    const byReference = new Map(items.map((item) => [item.payout_id.toLowerCase(), { payoutId: item.payout_id, status: item.status }]));
    const unknown = input.lines.map((line) => line.reference.toLowerCase()).filter((reference) => !byReference.has(reference) && z.string().uuid().safeParse(reference).success);
    const existing = unknown.length === 0
      ? new Set<string>()
      : new Set((await transaction.any(sql.type(idRow)`SELECT id FROM payouts WHERE id = ANY(${sql.array(unknown, 'uuid')})`)).map((row) => row.id.toLowerCase()));
    const matched = matchCloseLines(input.lines, byReference, (reference) => existing.has(reference));

    const closeId = randomUUID();
    const closeNo = file.closes + 1;
    await transaction.query(sql.unsafe`UPDATE payment_files SET closes = ${closeNo} WHERE export_id = ${input.exportId}`);
    await transaction.query(sql.unsafe`
      INSERT INTO payment_file_closes (id, export_id, close_no, source, result_file, status, created_by, created_role)
      VALUES (${closeId}, ${input.exportId}, ${closeNo}, ${input.source}, ${input.resultFile}, 'RUNNING', ${input.actor.userId}, ${input.actor.role})`);
    const decided = (payoutId: string) => isTerminalPayoutStatus(byReference.get(payoutId.toLowerCase())!.status as PayoutStatus);
    const column = <T>(pick: (entry: (typeof matched)[number], index: number) => T) => matched.map(pick);
    await transaction.query(sql.unsafe`
      INSERT INTO payment_file_close_items (close_id, position, payout_id, line, decision, failure_code, reason, result, result_code, result_message)
      SELECT ${closeId}, item.position, item.payout_id, item.line, item.decision, item.failure_code, item.reason, item.result, item.result_code, item.result_message
      FROM unnest(
        ${sql.array(column((_, index) => index), 'int4')}, ${sql.array(column((entry) => entry.payoutId), 'uuid')},
        ${sql.array(column((entry) => entry.line.line), 'int4')}, ${sql.array(column((entry) => entry.line.decision), 'text')},
        ${sql.array(column((entry) => entry.line.failureCode), 'text')}, ${sql.array(column((entry) => entry.line.reason), 'text')},
        ${sql.array(column((entry) => (decided(entry.payoutId) ? 'ALREADY_DECIDED' : null)), 'text')},
        ${sql.array(column((entry) => (decided(entry.payoutId) ? byReference.get(entry.payoutId.toLowerCase())!.status : null)), 'text')},
        ${sql.array(column((entry) => (decided(entry.payoutId) ? `the payout is ${byReference.get(entry.payoutId.toLowerCase())!.status} already` : null)), 'text')}
      ) AS item (position, payout_id, line, decision, failure_code, reason, result, result_code, result_message)`);
    const toSend = matched.filter((entry) => !decided(entry.payoutId));
    // Nothing to deliver (every payout named was decided already): the close is done as it is recorded.
    if (toSend.length === 0) await transaction.query(sql.unsafe`UPDATE payment_file_closes SET status = 'DONE', finished_at = now() WHERE id = ${closeId}`);
    const recorded: RecordedClose = {
      deliver: toSend.length > 0,
      closeId,
      closeNo,
      paid: toSend.filter((entry) => entry.line.decision === 'PAID').length,
      failed: toSend.filter((entry) => entry.line.decision === 'FAILED').length,
      alreadyDecided: matched.length - toSend.length,
    };
    await appendAuditRecord(transaction, {
      action: 'PAYMENT_FILE_CLOSE',
      actor: input.actor.userId,
      targetType: 'payout_export',
      targetId: input.exportId,
      ip: input.ip,
      details: { closeId, closeNo, source: input.source, paid: recorded.paid, failed: recorded.failed, alreadyDecided: recorded.alreadyDecided },
    });
    return recorded;
  });
}

/** Whether the file is still locking, and the number of its running close, if any (to restart a lost workflow). */
export async function paymentFileProgress(connection: CommonQueryMethods, exportId: string) {
  const file = await paymentFileOf(connection, exportId, false);
  const running = await connection.maybeOne(sql.type(z.object({ id: z.string(), close_no: z.number() }))`
    SELECT id, close_no FROM payment_file_closes WHERE export_id = ${exportId} AND status = 'RUNNING'`);
  return { fileName: file.file_name, locked: file.locked_at !== null, running };
}

const closeRow = z.object({
  status: z.enum(['RUNNING', 'DONE']),
  paid: z.number(),
  failed: z.number(),
  already_decided: z.number(),
  pending: z.number(),
});
const refusedRow = z.object({ payout_id: z.string(), result_code: z.string().nullable(), result_message: z.string().nullable() });

/** One close's progress: its status, the decisions accepted so far, those already decided, and the refusals. */
export async function paymentFileCloseProgress(connection: CommonQueryMethods, exportId: string, closeId: string) {
  const close = await connection.maybeOne(sql.type(closeRow)`
    SELECT c.status,
           count(*) FILTER (WHERE i.result = 'ACCEPTED' AND i.decision = 'PAID')::int AS paid,
           count(*) FILTER (WHERE i.result = 'ACCEPTED' AND i.decision = 'FAILED')::int AS failed,
           count(*) FILTER (WHERE i.result = 'ALREADY_DECIDED')::int AS already_decided,
           count(*) FILTER (WHERE i.result IS NULL)::int AS pending
    FROM payment_file_closes c LEFT JOIN payment_file_close_items i ON i.close_id = c.id
    WHERE c.id = ${closeId} AND c.export_id = ${exportId}
    GROUP BY c.id`);
  if (!close) return null;
  const refused = await connection.any(sql.type(refusedRow)`
    SELECT payout_id, result_code, result_message FROM payment_file_close_items
    WHERE close_id = ${closeId} AND result = 'REFUSED' ORDER BY position`);
  return {
    status: close.status,
    paid: close.paid,
    failed: close.failed,
    alreadyDecided: close.already_decided,
    pending: close.pending,
    refused: refused.map((row) => ({ payoutId: row.payout_id, code: row.result_code ?? 'refused', message: row.result_message ?? '' })),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The workflows' steps (activities/payment-files.ts).

const lockChunkRow = z.object({ position: z.number(), payout_id: z.string(), status: z.string() });
const exportActorRow = z.object({ created_by: z.string(), role: z.string(), file_name: z.string() });

export interface DeliveryChunk {
  deliveries: PayoutDelivery[];
  /** The position to load from next, or null when this chunk reached the end. */
  nextPosition: number | null;
}

/**
 * The lock's next chunk: `markProcessing` for each payout at positions [fromPosition, fromPosition + limit) still
 * APPROVED, by the exporter, with the external reference `<file name>#<line>` (line 1 is the header).
 */
export async function loadPaymentFileLockChunk(connection: CommonQueryMethods, input: { exportId: string; fromPosition: number; limit: number }): Promise<DeliveryChunk> {
  const exporter = await connection.one(sql.type(exportActorRow)`
    SELECT e.created_by, u.role, e.file_name FROM payout_exports e JOIN users u ON u.id = e.created_by WHERE e.id = ${input.exportId}`);
  const rows = await connection.any(sql.type(lockChunkRow)`
    SELECT i.position, i.payout_id, p.status FROM payout_export_items i JOIN payouts p ON p.id = i.payout_id
    WHERE i.export_id = ${input.exportId} AND i.position >= ${input.fromPosition} AND i.position < ${input.fromPosition + input.limit + 1}
    ORDER BY i.position`);
  const inChunk = rows.filter((row) => row.position < input.fromPosition + input.limit);
  const actor = { userId: exporter.created_by, role: exporter.role };
  return {
    deliveries: inChunk
      .filter((row) => row.status === 'APPROVED')
      .map((row) => ({
        payoutId: row.payout_id,
        updateId: paymentFileLockUpdateId(input.exportId, row.payout_id),
        update: 'markProcessing' as const,
        input: { actor, externalReference: `${exporter.file_name}#${row.position + 2}` },
      })),
    nextPosition: rows.length > inChunk.length ? input.fromPosition + input.limit : null,
  };
}

/** Keeps what the lock could not move (an automatic method's payout: `not_manual`), by payout; idempotent. */
export async function recordPaymentFileLockRefusals(connection: CommonQueryMethods, input: { exportId: string; refused: readonly PayoutDeliveryOutcome[] }): Promise<void> {
  if (input.refused.length === 0) return;
  const entries = Object.fromEntries(input.refused.map((outcome) => [outcome.payoutId, { code: outcome.code, message: outcome.message }]));
  await connection.query(sql.unsafe`
    UPDATE payment_files SET lock_skipped = lock_skipped || ${sql.jsonb(entries as never)} WHERE export_id = ${input.exportId}`);
}

export async function finishPaymentFileLock(connection: CommonQueryMethods, input: { exportId: string }): Promise<void> {
  await connection.query(sql.unsafe`UPDATE payment_files SET locked_at = coalesce(locked_at, now()) WHERE export_id = ${input.exportId}`);
}

const closeChunkRow = z.object({
  position: z.number(),
  payout_id: z.string(),
  decision: z.enum(['PAID', 'FAILED']),
  failure_code: z.string().nullable(),
  reason: z.string().nullable(),
  result: z.string().nullable(),
});
const closeHeadRow = z.object({ export_id: z.string(), close_no: z.number(), created_by: z.string(), created_role: z.string() });

/** The close's next chunk: `complete` or `fail` (as the single-payout API sends them) for each item not yet answered. */
export async function loadPaymentFileCloseChunk(connection: CommonQueryMethods, input: { closeId: string; fromPosition: number; limit: number }): Promise<DeliveryChunk> {
  const close = await connection.one(sql.type(closeHeadRow)`
    SELECT export_id, close_no, created_by, created_role FROM payment_file_closes WHERE id = ${input.closeId}`);
  const rows = await connection.any(sql.type(closeChunkRow)`
    SELECT position, payout_id, decision, failure_code, reason, result FROM payment_file_close_items
    WHERE close_id = ${input.closeId} AND position >= ${input.fromPosition} AND position < ${input.fromPosition + input.limit + 1}
    ORDER BY position`);
  const inChunk = rows.filter((row) => row.position < input.fromPosition + input.limit);
  const actor = { userId: close.created_by, role: close.created_role };
  return {
    deliveries: inChunk
      .filter((row) => row.result === null)
      .map((row) => ({
        payoutId: row.payout_id,
        updateId: paymentFileCloseUpdateId(close.export_id, close.close_no, row.payout_id),
        update: row.decision === 'PAID' ? ('complete' as const) : ('fail' as const),
        input: row.decision === 'PAID' ? { actor } : { actor, failureCode: row.failure_code, reason: row.reason },
      })),
    nextPosition: rows.length > inChunk.length ? input.fromPosition + input.limit : null,
  };
}

const payoutStatusRow = z.object({ id: z.string(), status: z.string() });

/**
 * Records each delivery's answer. Accepted: ACCEPTED. Refused or closed workflow: when the payout now has the
 * status this item asked for, it took this decision (a re-delivery after a crash finds the workflow finished):
 * ACCEPTED; when it is COMPLETED or FAILED otherwise: ALREADY_DECIDED; else REFUSED with the payout's reason.
 */
export async function recordPaymentFileCloseOutcomes(connection: CommonQueryMethods, input: { closeId: string; outcomes: readonly PayoutDeliveryOutcome[] }): Promise<void> {
  if (input.outcomes.length === 0) return;
  const statuses = new Map(
    (await connection.any(sql.type(payoutStatusRow)`
      SELECT p.id, p.status FROM payouts p WHERE p.id = ANY(${sql.array(input.outcomes.map((outcome) => outcome.payoutId), 'uuid')})`)).map((row) => [row.id, row.status]),
  );
  const decisions = new Map(
    (await connection.any(sql.type(z.object({ payout_id: z.string(), decision: z.string() }))`
      SELECT payout_id, decision FROM payment_file_close_items
      WHERE close_id = ${input.closeId} AND payout_id = ANY(${sql.array(input.outcomes.map((outcome) => outcome.payoutId), 'uuid')})`)).map((row) => [row.payout_id, row.decision]),
  );
  const results = input.outcomes.map((outcome) => {
    if (outcome.outcome === 'accepted') return { payoutId: outcome.payoutId, result: 'ACCEPTED', code: null, message: null };
    const status = statuses.get(outcome.payoutId) ?? 'UNKNOWN';
    const wanted = decisions.get(outcome.payoutId) === 'PAID' ? 'COMPLETED' : 'FAILED';
    if (status === wanted) return { payoutId: outcome.payoutId, result: 'ACCEPTED', code: null, message: null };
    if (status === 'COMPLETED' || status === 'FAILED') return { payoutId: outcome.payoutId, result: 'ALREADY_DECIDED', code: status, message: `the payout is ${status} already` };
    return { payoutId: outcome.payoutId, result: 'REFUSED', code: outcome.code, message: outcome.message };
  });
  await connection.query(sql.unsafe`
    UPDATE payment_file_close_items i SET result = r.result, result_code = r.code, result_message = r.message
    FROM unnest(${sql.array(results.map((r) => r.payoutId), 'uuid')}, ${sql.array(results.map((r) => r.result), 'text')},
                ${sql.array(results.map((r) => r.code), 'text')}, ${sql.array(results.map((r) => r.message), 'text')})
         AS r (payout_id, result, code, message)
    WHERE i.close_id = ${input.closeId} AND i.payout_id = r.payout_id AND i.result IS NULL`);
}

const finishRow = z.object({ export_id: z.string(), close_no: z.number(), failed: z.number(), refused: z.number(), paid: z.number(), already: z.number(), file_name: z.string() });

/** Marks the close DONE and, when it has failures (payouts FAILED by it, or refusals), tells the finance team. */
export async function finishPaymentFileClose(database: Database, input: { closeId: string }): Promise<void> {
  await database.transaction(async (transaction) => {
    const close = await transaction.one(sql.type(finishRow)`
      SELECT c.export_id, c.close_no, e.file_name,
             count(*) FILTER (WHERE i.result = 'ACCEPTED' AND i.decision = 'FAILED')::int AS failed,
             count(*) FILTER (WHERE i.result = 'ACCEPTED' AND i.decision = 'PAID')::int AS paid,
             count(*) FILTER (WHERE i.result = 'ALREADY_DECIDED')::int AS already,
             count(*) FILTER (WHERE i.result = 'REFUSED')::int AS refused
      FROM payment_file_closes c JOIN payout_exports e ON e.id = c.export_id
      LEFT JOIN payment_file_close_items i ON i.close_id = c.id
      WHERE c.id = ${input.closeId} GROUP BY c.id, e.file_name`);
    await transaction.query(sql.unsafe`
      UPDATE payment_file_closes SET status = 'DONE', finished_at = coalesce(finished_at, now()) WHERE id = ${input.closeId}`);
    if (close.failed === 0 && close.refused === 0) return;
    await enqueueNotification(transaction, {
      dedupeKey: `payment-file-failures:${input.closeId}`,
      kind: 'PAYMENT_FILE_FAILURES',
      recipient: { kind: 'admin_role', roles: financeRoles },
      subject: `Payment file ${close.file_name}: ${close.failed} failed, ${close.refused} refused in close ${close.close_no}`,
      text:
        `Close ${close.close_no} of payment file ${close.file_name} finished: ${close.paid} paid, ${close.failed} failed ` +
        `(the amounts are back in the partners' available balances), ${close.already} already decided, ${close.refused} refused.\n` +
        `Details: GET /v1/payout-exports/${close.export_id}/results/${input.closeId} and GET /v1/payout-exports/${close.export_id}/items`,
    });
  });
}

export { CloseRequestError };

/**
 * Starts `payment-file-<exportId>` (after the export committed). Started again when it already was: nothing happens,
 * so a caller that is unsure (a close asked while the file still says LOCKING) may call it again.
 */
export async function startPaymentFileLock(starter: { temporal: Client; taskQueue: string }, exportId: string): Promise<void> {
  try {
    await starter.temporal.workflow.start<typeof paymentFileLockWorkflow>('paymentFileLockWorkflow', {
      workflowId: paymentFileLockWorkflowId(exportId),
      taskQueue: starter.taskQueue,
      args: [{ exportId, delivery: paymentFileDeliveryDefaults }, null],
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}

/** Starts `payment-file-<exportId>-close-<n>` (after the close request committed); idempotent like the lock's. */
export async function startPaymentFileClose(starter: { temporal: Client; taskQueue: string }, input: { exportId: string; closeId: string; closeNo: number }): Promise<void> {
  try {
    await starter.temporal.workflow.start<typeof paymentFileCloseWorkflow>('paymentFileCloseWorkflow', {
      workflowId: paymentFileCloseWorkflowId(input.exportId, input.closeNo),
      taskQueue: starter.taskQueue,
      args: [{ ...input, delivery: paymentFileDeliveryDefaults }, null],
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}
