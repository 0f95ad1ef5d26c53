import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import type { ChargebackRequest } from '../../domain/chargeback.ts';
import { DomainError } from '../../domain/errors.ts';
import { Money, fitsScale, formatMoney } from '../../domain/money.ts';
import type { chargebackWorkflow } from '../../workflows/chargeback.ts';
import { chargebackWorkflowId } from '../../workflows/chargeback-messages.ts';
import { amountKey, currencyKey, partnerIdKey, statusKey } from '../../workflows/search-attributes.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';
import type { PolicyStore } from '../policy/policy-store.ts';
import { OrderNotFound, OrderRefundExceeded, claimOrderRefund, orderRefundState } from '../refunds/order-refunds.ts';
import { chargebackColumns, chargebackRow, loadChargebackByReference, type ChargebackRow } from './chargeback-store.ts';

/**
 * A provider's chargeback notice (docs/rules.md#chargebacks) — an admin's entry or the signed webhook's `chargeback.opened` —
 * recorded with the order amount claimed in the same transaction, then its workflow `chargeback-<id>` started. A
 * second notice with the same provider reference opens nothing.
 */

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
      throw new DomainError('conflict', 'reference_conflict', `provider reference ${input.providerReference} names chargeback ${existing.id} of order ${existing.order_id}`, 'body.providerReference');
    }
    return { row: existing, created: false };
  }
  let order;
  try {
    order = await orderRefundState(transaction, input.orderId, { forUpdate: true });
  } catch (error) {
    if (error instanceof OrderNotFound) throw new DomainError('not_found', 'unknown_order', error.message, 'body.orderId');
    throw error;
  }
  if (order.cancelled) {
    throw new DomainError('conflict', 'order_cancelled', `order ${order.orderId} was cancelled: its commissions were reversed in full already`, 'body.orderId');
  }
  if (input.currency !== order.currency) {
    throw new DomainError('unprocessable', 'currency_mismatch', `order ${order.orderId} is in ${order.currency}, not ${input.currency}`, 'body.currency');
  }
  const amount = new Money(input.amount);
  if (!amount.gt(0)) throw new DomainError('unprocessable', 'invalid_amount', 'a chargeback amount is positive', 'body.amount');
  if (!fitsScale(amount, order.currency)) {
    throw new DomainError('unprocessable', 'invalid_amount', `more decimal places than the order's currency ${order.currency} allows`, 'body.amount');
  }
  try {
    await claimOrderRefund(transaction, { orderId: order.orderId, amount: amount.toFixed() });
  } catch (error) {
    if (error instanceof OrderRefundExceeded) {
      throw new DomainError('conflict', 'chargeback_exceeds_order', `${error.message} ${order.currency}; ${order.refunded} of ${order.total} is refunded or charged back already`, 'body.amount');
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

export interface ChargebackStartDependencies {
  policies: PolicyStore;
  temporal: Client;
  taskQueue: string;
}

/**
 * Starts `chargeback-<id>` for a recorded notice, under the policy version it was recorded with. A workflow that
 * runs or ran already is left alone (REJECT_DUPLICATE: a closed chargeback is never run again), so a repeated
 * notice after a failed start starts it, and any other repeat does nothing.
 */
export async function startChargeback(dependencies: ChargebackStartDependencies, row: ChargebackRow): Promise<void> {
  const version = await dependencies.policies.byVersion(row.policy_version);
  if (!version) throw new Error(`policy version ${row.policy_version} vanished`);
  const policy = version.policy;
  const request: ChargebackRequest = {
    chargebackId: row.id, orderId: row.order_id, partnerId: row.partner_id, amount: formatMoney(row.amount, row.currency), currency: row.currency,
    providerReference: row.provider_reference, openedBy: row.opened_by,
  };
  try {
    await dependencies.temporal.workflow.start<typeof chargebackWorkflow>('chargebackWorkflow', {
      workflowId: chargebackWorkflowId(row.id), taskQueue: dependencies.taskQueue, workflowIdReusePolicy: 'REJECT_DUPLICATE',
      args: [request, { version: policy.version, chargebacks: policy.chargebacks, debt: policy.debt }],
      typedSearchAttributes: [
        ...(row.partner_id === null ? [] : [{ key: partnerIdKey, value: row.partner_id }]),
        { key: amountKey, value: new Money(row.amount).toNumber() }, { key: currencyKey, value: row.currency }, { key: statusKey, value: 'OPEN' },
      ],
      memo: { summary: `Chargeback ${request.amount} ${row.currency} on order ${row.order_id} (${row.reason_code}, provider ${row.provider_reference})` },
    });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return;
    throw new DomainError('unavailable', 'temporal_unavailable', 'Temporal is unreachable: the chargeback is recorded and starts when the notice is sent again');
  }
}

/** A provider's notice, as an admin enters it or the webhook brings it. */
export interface ChargebackNotice {
  orderId: string;
  amount: string;
  currency: string;
  providerReference: string;
  reasonCode: string;
  note?: string | undefined;
}

/**
 * Records a notice under the active policy and starts its workflow (again, for a known reference whose start
 * failed before). `created` is false for a notice whose provider reference was known.
 */
export async function receiveChargebackNotice(
  dependencies: ChargebackStartDependencies & { database: Database },
  notice: ChargebackNotice,
  origin: { source: 'WEBHOOK' | 'ADMIN'; openedBy: string; ip: string | null },
): Promise<{ row: ChargebackRow; created: boolean }> {
  const { policy } = await dependencies.policies.active();
  const { row, created } = await dependencies.database.transaction((transaction) => recordChargeback(transaction, {
    chargebackId: randomUUID(), providerReference: notice.providerReference, source: origin.source, orderId: notice.orderId, amount: notice.amount,
    currency: notice.currency, reasonCode: notice.reasonCode, note: notice.note ?? null, openedBy: origin.openedBy, ip: origin.ip, policyVersion: policy.version,
  }));
  await startChargeback(dependencies, row);
  return { row, created };
}
