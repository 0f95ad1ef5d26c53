import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { DomainError } from '../../domain/errors.ts';
import { Money } from '../../domain/money.ts';

/**
 * How much of an order refunds and chargebacks have taken back (`commission_events.refunded_amount`, migration
 * 014), shared by both lifecycles. An order is its ORDER_COMPLETED event, found by the order id it was reported
 * with (`source_id`); amounts are in the order's original currency.
 */

export class OrderNotFound extends Error {
  readonly field = 'orderId';
  constructor(readonly orderId: string) {
    super(`order ${orderId} is not known (no ORDER_COMPLETED event with that id)`);
    this.name = 'OrderNotFound';
  }
}

export class OrderRefundExceeded extends Error {
  readonly field = 'amount';
  constructor(readonly orderId: string, readonly requested: string, readonly refundable: string) {
    super(`order ${orderId}: ${requested} exceeds what is left to refund (${refundable})`);
    this.name = 'OrderRefundExceeded';
  }
}

const orderRow = z.object({
  id: z.string(),
  source_id: z.string(),
  partner_id: z.string().nullable(),
  customer_id: z.string().nullable(),
  total: z.string(),
  currency: z.string(),
  refunded: z.string(),
  completed_at: z.date(),
  cancelled: z.boolean(),
});

export interface OrderRefundState {
  /** The ORDER_COMPLETED event's id (its commissions have this event_id). */
  eventId: string;
  orderId: string;
  /** The seller (the partner whose sale it was). */
  partnerId: string | null;
  customerId: string | null;
  total: string;
  currency: string;
  refunded: string;
  refundable: string;
  completedAt: Date;
  /** An ORDER_CANCELLED event reversed it in full already. */
  cancelled: boolean;
}

function toState(row: z.infer<typeof orderRow>): OrderRefundState {
  return {
    eventId: row.id, orderId: row.source_id, partnerId: row.partner_id, customerId: row.customer_id, total: row.total,
    currency: row.currency, refunded: row.refunded, refundable: new Money(row.total).minus(row.refunded).toFixed(),
    completedAt: row.completed_at, cancelled: row.cancelled,
  };
}

const selectOrder = sql.fragment`
  SELECT id::text, source_id, partner_id, customer_id, original_amount::text AS total, original_currency AS currency,
         refunded_amount::text AS refunded, completed_at, cancelled_by IS NOT NULL AS cancelled
  FROM commission_events`;

/** The order's refund state, or OrderNotFound. `forUpdate` locks its row (inside a transaction). */
export async function orderRefundState(connection: CommonQueryMethods, orderId: string, { forUpdate = false } = {}): Promise<OrderRefundState> {
  const row = await connection.maybeOne(sql.type(orderRow)`
    ${selectOrder} WHERE kind = 'ORDER_COMPLETED' AND source_id = ${orderId} ${forUpdate ? sql.fragment`FOR UPDATE` : sql.fragment``}`);
  if (!row) throw new OrderNotFound(orderId);
  return toState(row);
}

/**
 * Claims `amount` of the order as taken back, in the caller's transaction (it locks the order's row): refused with
 * OrderRefundExceeded when more than what is left, so the total never exceeds the order (the column's CHECK is the
 * last line). Returns the state after the claim. The caller makes its step idempotent (claim once per refund).
 */
/**
 * The order locked for a refund or a chargeback to claim from: refused as not_found (`unknown_order`) when there
 * is no such order and as a conflict (`order_cancelled`) when it was cancelled, its commissions reversed already.
 * Both name the request's `body.orderId`.
 */
export async function lockClaimableOrder(transaction: CommonQueryMethods, orderId: string): Promise<OrderRefundState> {
  let order: OrderRefundState;
  try {
    order = await orderRefundState(transaction, orderId, { forUpdate: true });
  } catch (error) {
    if (error instanceof OrderNotFound) throw new DomainError('not_found', 'unknown_order', error.message, 'body.orderId');
    throw error;
  }
  if (order.cancelled) {
    throw new DomainError('conflict', 'order_cancelled', `order ${order.orderId} was cancelled: its commissions were reversed in full already`, 'body.orderId');
  }
  return order;
}

export async function claimOrderRefund(connection: CommonQueryMethods, input: { orderId: string; amount: string }): Promise<OrderRefundState> {
  const before = await orderRefundState(connection, input.orderId, { forUpdate: true });
  if (new Money(input.amount).greaterThan(before.refundable)) throw new OrderRefundExceeded(input.orderId, input.amount, before.refundable);
  const row = await connection.one(sql.type(orderRow)`
    UPDATE commission_events SET refunded_amount = refunded_amount + ${new Money(input.amount).toFixed()}
    WHERE id = ${before.eventId}
    RETURNING id::text, source_id, partner_id, customer_id, original_amount::text AS total, original_currency AS currency,
              refunded_amount::text AS refunded, completed_at, cancelled_by IS NOT NULL AS cancelled`);
  return toState(row);
}

/** Gives back a claim (a chargeback WON): the order may be refunded by that much again. */
export async function releaseOrderRefund(connection: CommonQueryMethods, input: { orderId: string; amount: string }): Promise<OrderRefundState> {
  const before = await orderRefundState(connection, input.orderId, { forUpdate: true });
  if (new Money(input.amount).greaterThan(before.refunded)) {
    throw new RangeError(`order ${input.orderId}: cannot release ${input.amount}, only ${before.refunded} is claimed`);
  }
  const row = await connection.one(sql.type(orderRow)`
    UPDATE commission_events SET refunded_amount = refunded_amount - ${new Money(input.amount).toFixed()}
    WHERE id = ${before.eventId}
    RETURNING id::text, source_id, partner_id, customer_id, original_amount::text AS total, original_currency AS currency,
              refunded_amount::text AS refunded, completed_at, cancelled_by IS NOT NULL AS cancelled`);
  return toState(row);
}
