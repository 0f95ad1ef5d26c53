import { ApplicationFailure } from '@temporalio/activity';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Database } from '../db/pool.ts';
import { permissions } from '../domain/access.ts';
import {
  amountWonOf,
  chargebackRefusedType,
  isDecided,
  penaltyFor,
  recreditShare,
  type ChargebackActor,
  type ChargebackOutcome,
  type ChargebackPenalty,
  type ChargebackRefusal,
  type ChargebackStatus,
  type ChargebackStep,
} from '../domain/chargeback.ts';
import type { ChargebackPolicy } from '../domain/lifecycle-policy.ts';
import type { AccountRef, PartnerBucket, PostingInput } from '../domain/ledger.ts';
import { Money, currencyScale, fitsScale, formatMoney } from '../domain/money.ts';
import { durationMs } from '../domain/policy.ts';
import { appendAuditRecord, appendAuditRecords, type AuditRecordInput } from '../modules/audit/audit-store.ts';
import { reverseCommissions } from '../modules/commissions/reverse-commissions.ts';
import type { LedgerStore } from '../modules/ledger/ledger-store.ts';
import { NetworkInputError, NetworkStore } from '../modules/network/network-store.ts';
import { enqueueNotification } from '../modules/notifications/outbox.ts';
import { OrderNotFound, OrderRefundExceeded, claimOrderRefund, orderRefundState, releaseOrderRefund } from './order-refunds.ts';
import { clearPartnerFlags, raisePartnerFlag } from '../modules/partner-flags/partner-flags-store.ts';
import { followUpReversal } from './refund-reversal-follow-up.ts';

/**
 * Chargebacks' side effects (SPEC section 8): recording the provider's notice (the order amount claimed in the same
 * transaction; a second notice with the same provider reference opens nothing), the reversal of the order's
 * commissions at open with the seller's CHARGEBACK flag, the penalty by the seller's chargeback count, the
 * investigation's steps, the escalation of an overdue decision, the outcome (WON / PARTIAL re-credit what was
 * reversed, LOST keeps it) and the end of a monitoring period. Each writes its audit record in the transaction that
 * changes the state or moves the money, and each is safe to retry.
 */

/** A refusal of a notice, naming the field (the API answers it as a 4xx). */
export class ChargebackInputError extends Error {
  constructor(
    readonly status: 404 | 409 | 422,
    readonly code: string,
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'ChargebackInputError';
  }
}

const statusEnum = z.enum(['OPEN', 'EVIDENCE_GATHERED', 'SUBMITTED_TO_PROVIDER', 'AWAITING_DECISION', 'WON', 'LOST', 'PARTIAL']);
const penaltyEnum = z.enum(['WARNING', 'MONITORING', 'ACCOUNT_REVIEW', 'SUSPENSION']);

export const chargebackRow = z.object({
  id: z.string(),
  provider_reference: z.string(),
  source: z.enum(['WEBHOOK', 'ADMIN']),
  order_id: z.string(),
  order_event_id: z.string(),
  partner_id: z.string().nullable(),
  customer_id: z.string().nullable(),
  partner_sequence: z.number().nullable(),
  amount: z.string(),
  currency: z.string(),
  order_total: z.string(),
  reason_code: z.string(),
  note: z.string().nullable(),
  status: statusEnum,
  opened_by: z.string(),
  opened_at: z.date(),
  reversal: z.enum(['FULL', 'PROPORTIONAL']),
  reversed_at: z.date().nullable(),
  reversal_entry_id: z.string().nullable(),
  reversed_count: z.number(),
  reversed_total: z.string(),
  penalty: penaltyEnum.nullable(),
  penalty_applied_at: z.date().nullable(),
  monitoring_ends_at: z.date().nullable(),
  monitoring_ended_at: z.date().nullable(),
  escalations: z.number(),
  last_escalated_at: z.date().nullable(),
  amount_won: z.string().nullable(),
  decided_by: z.string().nullable(),
  decided_at: z.date().nullable(),
  decision_note: z.string().nullable(),
  recredit_entry_id: z.string().nullable(),
  recredited_total: z.string(),
  policy_version: z.number(),
  /** The keyset cursor's time, microseconds kept. */
  cursor_time: z.string(),
});
export type ChargebackRow = z.infer<typeof chargebackRow>;

export const chargebackColumns = sql.fragment`
  id, provider_reference, source, order_id, order_event_id::text AS order_event_id, partner_id, customer_id, partner_sequence,
  amount::text AS amount, currency, order_total::text AS order_total, reason_code, note, status, opened_by, opened_at, reversal,
  reversed_at, reversal_entry_id::text AS reversal_entry_id, reversed_count, reversed_total::text AS reversed_total, penalty,
  penalty_applied_at, monitoring_ends_at, monitoring_ended_at, escalations, last_escalated_at, amount_won::text AS amount_won,
  decided_by, decided_at, decision_note, recredit_entry_id::text AS recredit_entry_id, recredited_total::text AS recredited_total,
  policy_version, to_char(opened_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_time`;

export async function loadChargeback(connection: CommonQueryMethods, chargebackId: string, { forUpdate = false } = {}): Promise<ChargebackRow | null> {
  return connection.maybeOne(sql.type(chargebackRow)`
    SELECT ${chargebackColumns} FROM chargebacks WHERE id = ${chargebackId} ${forUpdate ? sql.fragment`FOR UPDATE` : sql.fragment``}`);
}

export async function loadChargebackByReference(connection: CommonQueryMethods, providerReference: string): Promise<ChargebackRow | null> {
  return connection.maybeOne(sql.type(chargebackRow)`
    SELECT ${chargebackColumns} FROM chargebacks WHERE provider_reference = ${providerReference}`);
}

export const chargebackStepRow = z.object({
  sequence: z.number(), step: z.enum(['EVIDENCE_GATHERED', 'SUBMITTED_TO_PROVIDER', 'AWAITING_DECISION']), note: z.string().nullable(),
  recorded_by: z.string(), recorded_at: z.date(),
});
export const chargebackReversalRow = z.object({
  commission_id: z.string(), partner_id: z.string(), level: z.number(), status_before: z.enum(['PENDING', 'APPROVED', 'PAID']),
  amount: z.string(), currency: z.string(), recredited: z.string(), recredit_status: z.enum(['PENDING', 'APPROVED', 'PAID', 'SUPERSEDED']).nullable(),
});

export interface RecordChargebackInput {
  chargebackId: string;
  providerReference: string;
  source: 'WEBHOOK' | 'ADMIN';
  orderId: string;
  amount: string;
  currency: string;
  reasonCode: string;
  note: string | null;
  openedBy: string;
  ip: string | null;
  policyVersion: number;
}

/**
 * Records a provider's chargeback notice in the caller's transaction. A notice whose provider reference is known
 * returns that chargeback (`created: false`) and writes nothing (two concurrent deliveries are serialised by an
 * advisory lock on the reference). Otherwise the order's row is locked and the amount claimed (claimOrderRefund:
 * never beyond what refunds and chargebacks left), the seller's chargeback count taken under a lock on the seller
 * (the penalty matrix's row), and the notice audited as CHARGEBACK_OPEN. Refusals name the field and write nothing.
 */
export async function recordChargeback(transaction: CommonQueryMethods, input: RecordChargebackInput): Promise<{ row: ChargebackRow; created: boolean }> {
  await transaction.query(sql.unsafe`SELECT pg_advisory_xact_lock(hashtextextended(${`chargeback:${input.providerReference}`}, 0))`);
  const existing = await loadChargebackByReference(transaction, input.providerReference);
  if (existing) {
    if (existing.order_id !== input.orderId) {
      throw new ChargebackInputError(409, 'reference_conflict', `provider reference ${input.providerReference} names chargeback ${existing.id} of order ${existing.order_id}`, 'body.providerReference');
    }
    return { row: existing, created: false };
  }
  let order;
  try {
    order = await orderRefundState(transaction, input.orderId, { forUpdate: true });
  } catch (error) {
    if (error instanceof OrderNotFound) throw new ChargebackInputError(404, 'unknown_order', error.message, 'body.orderId');
    throw error;
  }
  if (order.cancelled) {
    throw new ChargebackInputError(409, 'order_cancelled', `order ${order.orderId} was cancelled: its commissions were reversed in full already`, 'body.orderId');
  }
  if (input.currency !== order.currency) {
    throw new ChargebackInputError(422, 'currency_mismatch', `order ${order.orderId} is in ${order.currency}, not ${input.currency}`, 'body.currency');
  }
  const amount = new Money(input.amount);
  if (!amount.gt(0)) throw new ChargebackInputError(422, 'invalid_amount', 'a chargeback amount is positive', 'body.amount');
  if (!fitsScale(amount, order.currency)) {
    throw new ChargebackInputError(422, 'invalid_amount', `more decimal places than the order's currency ${order.currency} allows`, 'body.amount');
  }
  try {
    await claimOrderRefund(transaction, { orderId: order.orderId, amount: amount.toFixed() });
  } catch (error) {
    if (error instanceof OrderRefundExceeded) {
      throw new ChargebackInputError(409, 'chargeback_exceeds_order', `${error.message} ${order.currency}; ${order.refunded} of ${order.total} is refunded or charged back already`, 'body.amount');
    }
    throw error;
  }
  // A chargeback that takes the order's last money reverses what is left of each commission in full (no floored
  // cent stays behind); any other amount proportionally (original × amount / order total).
  const reversal = new Money(order.refunded).plus(amount).gte(order.total) ? 'FULL' : 'PROPORTIONAL';
  let sequence: number | null = null;
  if (order.partnerId !== null) {
    await transaction.query(sql.unsafe`SELECT 1 FROM partners WHERE id = ${order.partnerId} FOR UPDATE`);
    sequence = await transaction.oneFirst(sql.type(z.object({ next: z.number() }))`
      SELECT (coalesce(max(partner_sequence), 0) + 1)::int AS next FROM chargebacks WHERE partner_id = ${order.partnerId}`);
  }
  const row = await transaction.one(sql.type(chargebackRow)`
    INSERT INTO chargebacks (id, provider_reference, source, order_id, order_event_id, partner_id, customer_id, partner_sequence, amount,
                             currency, order_total, reason_code, note, status, opened_by, reversal, policy_version)
    VALUES (${input.chargebackId}, ${input.providerReference}, ${input.source}, ${order.orderId}, ${order.eventId}, ${order.partnerId},
            ${order.customerId}, ${sequence}, ${amount.toFixed()}, ${order.currency}, ${order.total}, ${input.reasonCode}, ${input.note},
            'OPEN', ${input.openedBy}, ${reversal}, ${input.policyVersion})
    RETURNING ${chargebackColumns}`);
  await appendAuditRecord(transaction, {
    action: 'CHARGEBACK_OPEN', actor: input.openedBy, targetType: 'chargeback', targetId: input.chargebackId,
    amount: formatMoney(amount, order.currency), currency: order.currency, reason: input.reasonCode, ip: input.ip,
    details: {
      orderId: order.orderId, providerReference: input.providerReference, source: input.source, partnerId: order.partnerId,
      partnerSequence: sequence, orderTotal: order.total, refundedBefore: order.refunded, reversal, note: input.note,
    },
  });
  return { row, created: true };
}

function refused(status: ChargebackRefusal['status'], code: string, message: string, field: string | null = 'status'): ApplicationFailure {
  const refusal: ChargebackRefusal = { status, code, field };
  return ApplicationFailure.create({ type: chargebackRefusedType, message, nonRetryable: true, details: [refusal] });
}

async function lockedChargeback(transaction: CommonQueryMethods, chargebackId: string): Promise<ChargebackRow> {
  const row = await loadChargeback(transaction, chargebackId, { forUpdate: true });
  if (!row) throw refused(404, 'not_found', `chargeback ${chargebackId} does not exist`, null);
  return row;
}

const money = (amount: string | Money, currency: string) => `${formatMoney(new Money(amount).toDecimalPlaces(currencyScale(currency)), currency)} ${currency}`;

export interface OpenChargebackInput {
  chargebackId: string;
  /** policy.debt.limit captured by the workflow. */
  debtLimit: string;
}

export interface OpenedChargeback {
  reversedCount: number;
  reversedTotal: string;
  entryId: string | null;
  partnerSequence: number | null;
}

export interface ApplyPenaltyInput {
  chargebackId: string;
  penalties: ChargebackPolicy['penalties'];
  monitoringPeriod: string;
}

export interface AppliedPenalty {
  penalty: ChargebackPenalty | null;
  partnerId: string | null;
  partnerSequence: number | null;
  /** MONITORING: when it ends (ISO); the workflow's timer clears the flag then. */
  monitoringEndsAt: string | null;
  suspended: boolean;
}

export interface RecordStepInput {
  chargebackId: string;
  sequence: number;
  step: ChargebackStep;
  note: string | null;
  actor: ChargebackActor;
}

export interface DecideChargebackInput {
  chargebackId: string;
  outcome: ChargebackOutcome;
  /** PARTIAL: the part of the amount won (order currency). */
  amountWon: string | null;
  note: string | null;
  actor: ChargebackActor;
}

export interface DecidedChargeback {
  status: ChargebackStatus;
  amountWon: string;
  recreditedCount: number;
  recreditedTotal: string;
  entryId: string | null;
}

const orderCommissionRow = z.object({
  id: z.string(), partner_id: z.string(), level: z.number(), status: z.enum(['PENDING', 'APPROVED', 'PAID', 'REVERSED']),
  amount: z.string(), reversed_amount: z.string(), currency: z.string(),
});

const recreditLineRow = z.object({
  commission_id: z.string(), partner_id: z.string(), status_before: z.enum(['PENDING', 'APPROVED', 'PAID']), amount: z.string(),
  currency: z.string(), status: z.enum(['PENDING', 'APPROVED', 'PAID', 'REVERSED']), reversed_amount: z.string(),
  reverse_entry_id: z.string().nullable(), source_type: z.string(),
});

const managers = permissions['chargebacks.manage'];

const platform = (bucket: 'commission_expense' | 'portfolio_returns', currency: string): AccountRef => ({ ownerType: 'platform', ownerId: 'platform', bucket, currency });
const partnerAccount = (partnerId: string, bucket: PartnerBucket, currency: string): AccountRef => ({ ownerType: 'partner', ownerId: partnerId, bucket, currency });

export function createChargebackActivities({ database, ledger }: { database: Database; ledger: LedgerStore }) {
  const network = new NetworkStore(database);
  return {
    /**
     * The reversal at open (source 002 "Chargeback initiated: full commission reversal, immediate"), in ONE
     * transaction keyed by the chargeback (a retry after a commit finds it reversed): every commission of the order at
     * every level, by its status (reverseCommissions), in full or proportionally. Records what each gave back, tells
     * the partners (and flags a debt at the limit), raises the seller's CHARGEBACK flag and tells the admins
     * (CHARGEBACK_OPENED).
     */
    async openChargeback(input: OpenChargebackInput): Promise<OpenedChargeback> {
      return database.transaction(async (transaction) => {
        const chargeback = await lockedChargeback(transaction, input.chargebackId);
        if (chargeback.reversed_at !== null) {
          return {
            reversedCount: chargeback.reversed_count, reversedTotal: new Money(chargeback.reversed_total).toFixed(2),
            entryId: chargeback.reversal_entry_id, partnerSequence: chargeback.partner_sequence,
          };
        }
        const before = await transaction.any(sql.type(orderCommissionRow)`
          SELECT id, partner_id, level, status, amount::text AS amount, reversed_amount::text AS reversed_amount, currency FROM commissions
          WHERE event_id = ${chargeback.order_event_id} AND status <> 'REVERSED'
          ORDER BY id FOR UPDATE`);
        const description = `chargeback ${chargeback.provider_reference} on order ${chargeback.order_id} (${chargeback.reason_code}, ${money(chargeback.amount, chargeback.currency)} of ${money(chargeback.order_total, chargeback.currency)})`;
        const reversed = await reverseCommissions(transaction, ledger, {
          commissionIds: before.map((row) => row.id),
          idempotencyKey: `chargeback-reverse:${chargeback.id}`,
          reason: description,
          actor: chargeback.opened_by,
          ...(chargeback.reversal === 'FULL' ? {} : { fraction: { refund: chargeback.amount, total: chargeback.order_total } }),
        });
        const after = new Map((before.length === 0 ? [] : await transaction.any(sql.type(z.object({ id: z.string(), reversed_amount: z.string() }))`
          SELECT id, reversed_amount::text AS reversed_amount FROM commissions WHERE id = ANY(${sql.array(before.map((row) => row.id), 'int8')})`))
          .map((row) => [row.id, row.reversed_amount]));
        const lines = before
          .map((row) => ({ row, amount: new Money(after.get(row.id) ?? row.reversed_amount).minus(row.reversed_amount) }))
          .filter((line) => line.amount.gt(0));
        const total = lines.reduce((sum, line) => sum.plus(line.amount), new Money(0));
        // What the commissions record must be what the entry posted: a mismatch would be money unaccounted for.
        if (!total.eq(reversed.total) || lines.length !== reversed.count) {
          throw new Error(`chargeback ${chargeback.id}: commissions record ${total.toFixed()} over ${lines.length}, the reversal posted ${reversed.total} over ${reversed.count}`);
        }
        if (lines.length > 0) {
          await transaction.query(sql.unsafe`
            INSERT INTO chargeback_reversals (chargeback_id, commission_id, partner_id, level, status_before, amount, currency)
            SELECT ${chargeback.id}, * FROM unnest(
              ${sql.array(lines.map((line) => line.row.id), 'int8')}, ${sql.array(lines.map((line) => line.row.partner_id), 'text')},
              ${sql.array(lines.map((line) => line.row.level), 'int4')}, ${sql.array(lines.map((line) => line.row.status), 'text')},
              ${sql.array(lines.map((line) => line.amount.toFixed()), 'numeric')}, ${sql.array(lines.map((line) => line.row.currency), 'text')})`);
        }
        await transaction.query(sql.unsafe`
          UPDATE chargebacks SET reversed_at = now(), reversal_entry_id = ${reversed.entryId}, reversed_count = ${lines.length},
                 reversed_total = ${total.toFixed()}
          WHERE id = ${chargeback.id}`);
        const currency = lines[0]?.row.currency ?? null;
        await appendAuditRecord(transaction, {
          action: 'CHARGEBACK_UPDATE', actor: chargeback.opened_by, targetType: 'chargeback', targetId: chargeback.id,
          amount: currency ? formatMoney(total, currency) : null, currency, reason: 'commissions reversed at open', entryId: reversed.entryId,
          details: { orderId: chargeback.order_id, reversal: chargeback.reversal, commissionsReversed: lines.length },
        });
        await followUpReversal(transaction, {
          entryId: reversed.entryId, debtLimit: input.debtLimit, sourceType: 'chargeback', sourceId: chargeback.id, description, actor: chargeback.opened_by,
        });
        if (chargeback.partner_id !== null) {
          await raisePartnerFlag(transaction, {
            partnerId: chargeback.partner_id, kind: 'CHARGEBACK', sourceType: 'chargeback', sourceId: chargeback.id,
            reason: `open ${description}`.slice(0, 500), actor: chargeback.opened_by,
          });
        }
        await enqueueNotification(transaction, {
          dedupeKey: `chargeback-opened:${chargeback.id}`,
          kind: 'CHARGEBACK_OPENED',
          recipient: { kind: 'admin_role', roles: managers },
          subject: `Chargeback of ${money(chargeback.amount, chargeback.currency)} on order ${chargeback.order_id}`,
          text: `The provider reported chargeback ${chargeback.provider_reference} (${chargeback.reason_code}) of ${money(chargeback.amount, chargeback.currency)} `
            + `on order ${chargeback.order_id} (total ${money(chargeback.order_total, chargeback.currency)})`
            + (chargeback.partner_id ? `, sold by partner ${chargeback.partner_id} (their chargeback number ${chargeback.partner_sequence})` : '')
            + `. ${lines.length} commission(s) were reversed at once (${currency ? money(total, currency) : 'nothing'}). `
            + 'Record the investigation and the provider’s decision on the chargeback.',
        });
        return { reversedCount: lines.length, reversedTotal: currency ? formatMoney(total, currency) : '0', entryId: reversed.entryId, partnerSequence: chargeback.partner_sequence };
      });
    },

    /**
     * SPEC 8's penalty matrix for the seller's Nth chargeback (N counted at open), once per chargeback: WARNING
     * (CHARGEBACK_WARNING), MONITORING (CHARGEBACK_MONITORING until `monitoringPeriod` ends: the workflow's timer
     * clears it), ACCOUNT_REVIEW (a flag that holds payouts until an admin clears it: suspension pending review),
     * SUSPENSION (the partner's status becomes SUSPENDED, recorded as a partner change). The partner is told
     * (CHARGEBACK_PENALTY) and it is audited (CHARGEBACK_PENALTY) in the transaction that raises the flag; the status
     * change follows in its own (NetworkStore.recordChange), and a retry that finds the partner SUSPENDED does nothing.
     */
    async applyChargebackPenalty(input: ApplyPenaltyInput): Promise<AppliedPenalty> {
      const applied = await database.transaction(async (transaction) => {
        const chargeback = await lockedChargeback(transaction, input.chargebackId);
        if (chargeback.partner_id === null || chargeback.partner_sequence === null) {
          return { penalty: null, partnerId: null, partnerSequence: null, monitoringEndsAt: null };
        }
        if (chargeback.penalty_applied_at !== null) {
          return { penalty: chargeback.penalty, partnerId: chargeback.partner_id, partnerSequence: chargeback.partner_sequence, monitoringEndsAt: chargeback.monitoring_ends_at?.toISOString() ?? null };
        }
        const penalty = penaltyFor(chargeback.partner_sequence, input.penalties);
        const partnerId = chargeback.partner_id;
        const count = chargeback.partner_sequence;
        const about = `chargeback number ${count} (${chargeback.provider_reference} on order ${chargeback.order_id})`;
        let monitoringEndsAt: Date | null = null;
        let text: string;
        if (penalty === 'WARNING') {
          await raisePartnerFlag(transaction, { partnerId, kind: 'CHARGEBACK_WARNING', sourceType: 'chargeback', sourceId: chargeback.id, reason: `warning: ${about}`, actor: 'system:chargeback' });
          text = `This is a warning: a chargeback was opened on your order ${chargeback.order_id}. Further chargebacks lead to monitoring, an account review and suspension.`;
        } else if (penalty === 'MONITORING') {
          const now = await transaction.oneFirst(sql.type(z.object({ now: z.date() }))`SELECT now() AS now`);
          monitoringEndsAt = new Date(now.getTime() + durationMs(input.monitoringPeriod));
          await raisePartnerFlag(transaction, {
            partnerId, kind: 'CHARGEBACK_MONITORING', sourceType: 'chargeback', sourceId: chargeback.id,
            reason: `monitoring for ${input.monitoringPeriod}: ${about}`, actor: 'system:chargeback', expiresAt: monitoringEndsAt,
          });
          text = `Your account is under enhanced monitoring until ${monitoringEndsAt.toISOString()} after ${about}.`;
        } else if (penalty === 'ACCOUNT_REVIEW') {
          await raisePartnerFlag(transaction, { partnerId, kind: 'ACCOUNT_REVIEW', sourceType: 'chargeback', sourceId: chargeback.id, reason: `account review (suspension pending review): ${about}`, actor: 'system:chargeback' });
          text = `Your account is under review, with suspension pending the review, after ${about}. Your payouts are held until the review is closed.`;
          await enqueueNotification(transaction, {
            dedupeKey: `chargeback-penalty:${chargeback.id}:admins`,
            kind: 'CHARGEBACK_PENALTY',
            recipient: { kind: 'admin_role', roles: permissions['flags.clear'] },
            subject: `Partner ${partnerId}: account review after ${count} chargebacks`,
            text: `Partner ${partnerId} had ${about}. An ACCOUNT_REVIEW flag holds their payouts until an admin clears it (POST /v1/partner-flags/{id}/clear), or suspends them.`,
          });
        } else if (penalty === 'SUSPENSION') {
          text = `Your account is suspended after ${about}.`;
        } else {
          text = '';
        }
        await transaction.query(sql.unsafe`
          UPDATE chargebacks SET penalty = ${penalty}, penalty_applied_at = now(),
                 monitoring_ends_at = ${monitoringEndsAt ? sql.timestamp(monitoringEndsAt) : null}
          WHERE id = ${chargeback.id}`);
        if (penalty !== null) {
          await appendAuditRecord(transaction, {
            action: 'CHARGEBACK_PENALTY', actor: 'system:chargeback', targetType: 'partner', targetId: partnerId, reason: penalty,
            details: { chargebackId: chargeback.id, count, penalty, monitoringEndsAt: monitoringEndsAt?.toISOString() ?? null },
          });
          await enqueueNotification(transaction, {
            dedupeKey: `chargeback-penalty:${chargeback.id}`,
            kind: 'CHARGEBACK_PENALTY',
            recipient: { kind: 'partner', partnerId },
            subject: `Chargeback penalty: ${penalty.replace('_', ' ').toLowerCase()}`,
            text,
          });
        }
        return { penalty, partnerId, partnerSequence: count, monitoringEndsAt: monitoringEndsAt?.toISOString() ?? null };
      });
      let suspended = false;
      if (applied.penalty === 'SUSPENSION' && applied.partnerId !== null) {
        const status = await database.maybeOneFirst(sql.type(z.object({ status: z.string() }))`SELECT status FROM partners WHERE id = ${applied.partnerId}`);
        // A TERMINATED partner stays terminated; one SUSPENDED already (a retry, or an admin) needs nothing.
        if (status !== 'SUSPENDED' && status !== 'TERMINATED') {
          try {
            await network.recordChange({
              partnerId: applied.partnerId, field: 'status', value: 'SUSPENDED', actor: 'system:chargeback',
              reason: `chargeback penalty: chargeback number ${applied.partnerSequence} (${input.chargebackId})`,
            });
          } catch (error) {
            if (!(error instanceof NetworkInputError && error.code === 'no_change')) throw error;
          }
        }
        suspended = true;
      }
      return { ...applied, suspended };
    },

    /** An investigation step, once per (chargeback, sequence): the workflow numbers them. Audited CHARGEBACK_UPDATE. */
    async recordChargebackStep(input: RecordStepInput): Promise<{ recordedAt: string }> {
      return database.transaction(async (transaction) => {
        const chargeback = await lockedChargeback(transaction, input.chargebackId);
        const inserted = await transaction.maybeOne(sql.type(z.object({ recorded_at: z.date() }))`
          INSERT INTO chargeback_steps (chargeback_id, sequence, step, note, recorded_by)
          VALUES (${chargeback.id}, ${input.sequence}, ${input.step}, ${input.note}, ${input.actor.userId})
          ON CONFLICT (chargeback_id, sequence) DO NOTHING RETURNING recorded_at`);
        if (!inserted) {
          const recordedAt = await transaction.oneFirst(sql.type(z.object({ recorded_at: z.date() }))`
            SELECT recorded_at FROM chargeback_steps WHERE chargeback_id = ${chargeback.id} AND sequence = ${input.sequence}`);
          return { recordedAt: recordedAt.toISOString() };
        }
        if (!isDecided(chargeback.status)) await transaction.query(sql.unsafe`UPDATE chargebacks SET status = ${input.step} WHERE id = ${chargeback.id}`);
        await appendAuditRecord(transaction, {
          action: 'CHARGEBACK_UPDATE', actor: input.actor.userId, targetType: 'chargeback', targetId: chargeback.id, reason: input.step,
          details: { sequence: input.sequence, step: input.step, note: input.note, role: input.actor.role },
        });
        return { recordedAt: inserted.recorded_at.toISOString() };
      });
    },

    /** No decision within policy.chargebacks.decisionWait: the admins are told again (once per escalation). */
    async escalateChargeback(input: { chargebackId: string; escalation: number; decisionWait: string }): Promise<void> {
      await database.transaction(async (transaction) => {
        const chargeback = await lockedChargeback(transaction, input.chargebackId);
        if (chargeback.escalations >= input.escalation || isDecided(chargeback.status)) return;
        await transaction.query(sql.unsafe`
          UPDATE chargebacks SET escalations = ${input.escalation}, last_escalated_at = now() WHERE id = ${chargeback.id}`);
        await appendAuditRecord(transaction, {
          action: 'CHARGEBACK_UPDATE', actor: 'system:chargeback', targetType: 'chargeback', targetId: chargeback.id, reason: 'escalated: no decision',
          details: { escalation: input.escalation, decisionWait: input.decisionWait, status: chargeback.status },
        });
        await enqueueNotification(transaction, {
          dedupeKey: `chargeback-escalated:${chargeback.id}:${input.escalation}`,
          kind: 'CHARGEBACK_OPENED',
          recipient: { kind: 'admin_role', roles: managers },
          subject: `Escalated: chargeback ${chargeback.provider_reference} on order ${chargeback.order_id} has no decision`,
          text: `Chargeback ${chargeback.id} (${money(chargeback.amount, chargeback.currency)}, opened ${chargeback.opened_at.toISOString()}) is ${chargeback.status} `
            + `and has had no decision for ${input.escalation} × ${input.decisionWait}. Follow it up with the provider and record the outcome.`,
        });
      });
    },

    /**
     * The outcome, once (a retry finds its own decision). WON gives back everything the reversal took, PARTIAL the
     * share won (reversed × won / amount, floored to cents), LOST nothing; the order's claim is released by what was
     * won (LOST keeps it: the refund is processed). A re-credit restores each commission to the status the reversal
     * found it in (when the reversal made it REVERSED) or keeps its current one, and puts the money in that status's
     * bucket: PENDING `commission_pending`, APPROVED `commission_approved`, PAID repays `debt` first, then `available`
     * (SPEC 7's rule for later commissions). A commission reversed since by something else (an order cancellation) is
     * SUPERSEDED and gets nothing. One entry, keyed by the chargeback, referencing the reversal. The CHARGEBACK flag is
     * cleared whatever the outcome; audited CHARGEBACK_DECIDE (and COMMISSION_ADJUST per commission re-credited).
     */
    async decideChargeback(input: DecideChargebackInput): Promise<DecidedChargeback> {
      return database.transaction(async (transaction) => {
        const chargeback = await lockedChargeback(transaction, input.chargebackId);
        if (isDecided(chargeback.status)) {
          if (chargeback.status === input.outcome) {
            return {
              status: chargeback.status, amountWon: chargeback.amount_won ?? '0', recreditedCount: 0,
              recreditedTotal: new Money(chargeback.recredited_total).toFixed(2), entryId: chargeback.recredit_entry_id,
            };
          }
          throw refused(409, 'invalid_state', `chargeback ${chargeback.id} is ${chargeback.status}`);
        }
        if (chargeback.reversed_at === null) throw new Error(`chargeback ${chargeback.id} is decided before its reversal was recorded`);
        let won: string;
        try {
          won = amountWonOf(input.outcome, chargeback.amount, input.amountWon);
        } catch (error) {
          throw refused(422, 'invalid_amount', (error as Error).message, 'body.amountWon');
        }
        if (!fitsScale(new Money(won), chargeback.currency)) throw refused(422, 'invalid_amount', `more decimal places than ${chargeback.currency} allows`, 'body.amountWon');

        const lines = new Money(won).gt(0) ? await transaction.any(sql.type(recreditLineRow)`
          SELECT r.commission_id::text AS commission_id, r.partner_id, r.status_before, r.amount::text AS amount, r.currency, c.status,
                 c.reversed_amount::text AS reversed_amount, c.reverse_entry_id::text AS reverse_entry_id, c.source_type
          FROM chargeback_reversals r JOIN commissions c ON c.id = r.commission_id
          WHERE r.chargeback_id = ${chargeback.id}
          ORDER BY r.commission_id FOR UPDATE OF c`) : [];
        const targets: { line: z.infer<typeof recreditLineRow>; amount: Money; status: 'PENDING' | 'APPROVED' | 'PAID' }[] = [];
        const superseded: string[] = [];
        for (const line of lines) {
          if (line.status === 'REVERSED' && line.reverse_entry_id !== chargeback.reversal_entry_id) {
            superseded.push(line.commission_id);
            continue;
          }
          const share = Money.min(new Money(recreditShare({ reversed: line.amount, won, amount: chargeback.amount, decimals: currencyScale(line.currency) })), new Money(line.reversed_amount));
          if (!share.gt(0)) continue;
          targets.push({ line, amount: share, status: line.status === 'REVERSED' ? line.status_before : line.status });
        }

        // PAID re-credits repay debt first: lock the debt accounts before reading what is owed.
        const owed = new Map<string, Money>();
        const paidKeys = [...new Set(targets.filter((target) => target.status === 'PAID').map((target) => `${target.line.partner_id}|${target.line.currency}`))];
        if (paidKeys.length > 0) {
          const accounts = paidKeys.map((key) => { const [partnerId, currency] = key.split('|') as [string, string]; return partnerAccount(partnerId, 'debt', currency); });
          const ids = await ledger.accountIds(accounts, transaction);
          const locked = await transaction.any(sql.type(z.object({ account_id: z.string(), balance: z.string() }))`
            SELECT account_id, balance FROM lock_account_balances(${sql.array(ids, 'int8')})`);
          for (const [index, key] of paidKeys.entries()) owed.set(key, new Money(locked.find((row) => row.account_id === ids[index])?.balance ?? '0').negated());
        }
        const postings: PostingInput[] = [];
        const platformTotals = new Map<string, Money>();
        const audits: AuditRecordInput[] = [];
        for (const { line, amount, status } of targets) {
          const currency = line.currency;
          const source = line.source_type === 'PORTFOLIO_YIELD' ? 'portfolio_returns' : 'commission_expense';
          platformTotals.set(`${source}|${currency}`, (platformTotals.get(`${source}|${currency}`) ?? new Money(0)).plus(amount));
          let toDebt = new Money(0);
          if (status === 'PAID') {
            const key = `${line.partner_id}|${currency}`;
            const debt = owed.get(key)!;
            toDebt = Money.min(debt, amount);
            owed.set(key, debt.minus(toDebt));
            if (toDebt.gt(0)) postings.push({ account: partnerAccount(line.partner_id, 'debt', currency), amount: formatMoney(toDebt, currency) });
            const toAvailable = amount.minus(toDebt);
            if (toAvailable.gt(0)) postings.push({ account: partnerAccount(line.partner_id, 'available', currency), amount: formatMoney(toAvailable, currency) });
          } else {
            postings.push({ account: partnerAccount(line.partner_id, status === 'PENDING' ? 'commission_pending' : 'commission_approved', currency), amount: formatMoney(amount, currency) });
          }
          audits.push({
            action: 'COMMISSION_ADJUST', actor: input.actor.userId, targetType: 'commission', targetId: line.commission_id,
            amount: formatMoney(amount, currency), currency, reason: `re-credited: chargeback ${chargeback.id} ${input.outcome}`,
            details: { chargebackId: chargeback.id, outcome: input.outcome, statusBefore: line.status, statusAfter: status, debtRepaid: formatMoney(toDebt, currency) },
          });
        }
        for (const [key, total] of platformTotals) {
          const [bucket, currency] = key.split('|') as ['commission_expense' | 'portfolio_returns', string];
          postings.push({ account: platform(bucket, currency), amount: formatMoney(total.negated(), currency) });
        }
        const entry = targets.length === 0 ? null : await ledger.postEntry({
          idempotencyKey: `chargeback-recredit:${chargeback.id}`, kind: 'commission_recredit',
          description: `chargeback ${chargeback.provider_reference} on order ${chargeback.order_id} ${input.outcome}: reversal re-credited`,
          metadata: { chargebackId: chargeback.id, outcome: input.outcome, commissionIds: targets.map((target) => target.line.commission_id) },
          ...(chargeback.reversal_entry_id ? { reversesEntryId: chargeback.reversal_entry_id } : {}),
          postings,
        }, transaction);
        for (const audit of audits) audit.entryId = entry?.entryId ?? null;
        await appendAuditRecords(transaction, audits);
        if (targets.length > 0) {
          await transaction.query(sql.unsafe`
            UPDATE commissions c SET
              reversed_amount = c.reversed_amount - u.amount,
              status = u.status,
              reversed_at = CASE WHEN c.status = 'REVERSED' THEN NULL ELSE c.reversed_at END,
              reverse_entry_id = CASE WHEN c.status = 'REVERSED' THEN NULL ELSE c.reverse_entry_id END,
              reversal_reason = CASE WHEN c.reversed_amount - u.amount = 0 THEN NULL ELSE c.reversal_reason END
            FROM unnest(${sql.array(targets.map((target) => target.line.commission_id), 'int8')}, ${sql.array(targets.map((target) => target.amount.toFixed()), 'numeric')},
                        ${sql.array(targets.map((target) => target.status), 'text')}) AS u(id, amount, status)
            WHERE c.id = u.id`);
          await transaction.query(sql.unsafe`
            UPDATE chargeback_reversals r SET recredited = u.amount, recredit_status = u.status
            FROM unnest(${sql.array(targets.map((target) => target.line.commission_id), 'int8')}, ${sql.array(targets.map((target) => target.amount.toFixed()), 'numeric')},
                        ${sql.array(targets.map((target) => target.status), 'text')}) AS u(id, amount, status)
            WHERE r.chargeback_id = ${chargeback.id} AND r.commission_id = u.id`);
        }
        if (superseded.length > 0) {
          await transaction.query(sql.unsafe`
            UPDATE chargeback_reversals SET recredit_status = 'SUPERSEDED'
            WHERE chargeback_id = ${chargeback.id} AND commission_id = ANY(${sql.array(superseded, 'int8')})`);
        }
        if (new Money(won).gt(0)) await releaseOrderRefund(transaction, { orderId: chargeback.order_id, amount: won });
        const total = targets.reduce((sum, target) => sum.plus(target.amount), new Money(0));
        await transaction.query(sql.unsafe`
          UPDATE chargebacks SET status = ${input.outcome}, amount_won = ${won}, decided_by = ${input.actor.userId}, decided_at = now(),
                 decision_note = ${input.note}, recredit_entry_id = ${entry?.entryId ?? null}, recredited_total = ${total.toFixed()}
          WHERE id = ${chargeback.id}`);
        const currency = targets[0]?.line.currency ?? null;
        await appendAuditRecord(transaction, {
          action: 'CHARGEBACK_DECIDE', actor: input.actor.userId, targetType: 'chargeback', targetId: chargeback.id,
          amount: formatMoney(chargeback.amount, chargeback.currency), currency: chargeback.currency, reason: input.outcome, entryId: entry?.entryId ?? null,
          details: {
            outcome: input.outcome, amountWon: won, note: input.note, role: input.actor.role, released: won,
            recreditedCount: targets.length, recreditedTotal: currency ? formatMoney(total, currency) : '0', superseded,
          },
        });
        if (chargeback.partner_id !== null) {
          await clearPartnerFlags(transaction, {
            sourceType: 'chargeback', sourceId: chargeback.id, kind: 'CHARGEBACK', actor: input.actor.userId, reason: `chargeback ${input.outcome}`,
          });
        }
        const summary = input.outcome === 'WON'
          ? 'The chargeback was won: the reversed commissions were re-credited.'
          : input.outcome === 'LOST'
            ? 'The chargeback was lost: the refund stands and the commissions stay reversed.'
            : `The chargeback was partly won (${money(won, chargeback.currency)} of ${money(chargeback.amount, chargeback.currency)}): that share of the reversed commissions was re-credited.`;
        const notices = [
          ...(chargeback.partner_id ? [{ key: 'partner', recipient: { kind: 'partner' as const, partnerId: chargeback.partner_id } }] : []),
          { key: 'admins', recipient: { kind: 'admin_role' as const, roles: managers } },
        ];
        for (const notice of notices) {
          await enqueueNotification(transaction, {
            dedupeKey: `chargeback-decided:${chargeback.id}:${notice.key}`,
            kind: 'CHARGEBACK_DECIDED',
            recipient: notice.recipient,
            subject: `Chargeback on order ${chargeback.order_id}: ${input.outcome}`,
            text: `${summary} (chargeback ${chargeback.provider_reference}, ${money(chargeback.amount, chargeback.currency)}${currency ? `; re-credited ${money(total, currency)}` : ''}).`,
          });
        }
        return { status: input.outcome, amountWon: won, recreditedCount: targets.length, recreditedTotal: currency ? formatMoney(total, currency) : '0', entryId: entry?.entryId ?? null };
      });
    },

    /** The monitoring period ended (the workflow's durable timer): the CHARGEBACK_MONITORING flag is cleared, once. */
    async endChargebackMonitoring(input: { chargebackId: string }): Promise<{ cleared: number }> {
      return database.transaction(async (transaction) => {
        const chargeback = await lockedChargeback(transaction, input.chargebackId);
        if (chargeback.monitoring_ended_at !== null || chargeback.partner_id === null) return { cleared: 0 };
        const cleared = await clearPartnerFlags(transaction, {
          sourceType: 'chargeback', sourceId: chargeback.id, kind: 'CHARGEBACK_MONITORING', actor: 'system:chargeback', reason: 'monitoring period ended',
        });
        await transaction.query(sql.unsafe`UPDATE chargebacks SET monitoring_ended_at = now() WHERE id = ${chargeback.id}`);
        await appendAuditRecord(transaction, {
          action: 'CHARGEBACK_PENALTY', actor: 'system:chargeback', targetType: 'partner', targetId: chargeback.partner_id, reason: 'MONITORING ended',
          details: { chargebackId: chargeback.id, penalty: 'MONITORING', ended: true, flagsCleared: cleared.map((flag) => flag.id) },
        });
        await enqueueNotification(transaction, {
          dedupeKey: `chargeback-monitoring-ended:${chargeback.id}`,
          kind: 'CHARGEBACK_PENALTY',
          recipient: { kind: 'partner', partnerId: chargeback.partner_id },
          subject: 'Enhanced monitoring of your account has ended',
          text: `The monitoring period that followed chargeback ${chargeback.provider_reference} on order ${chargeback.order_id} has ended.`,
        });
        return { cleared: cleared.length };
      });
    },
  };
}

export type ChargebackActivities = ReturnType<typeof createChargebackActivities>;
