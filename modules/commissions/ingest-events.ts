import { createHash } from 'node:crypto';
import Decimal from 'decimal.js';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import {
  calculateChainCommissions,
  calculatePortfolioYield,
  chainSettles,
  commissionPartnerAccount,
  commissionPlatformAccount,
  rateTable,
  holdKindOf,
  rateColumnOf,
  sourceTypeOf,
  type ChainMember,
  type CommissionLine,
  type EventKind,
  type SourceType,
} from '../../domain/commission.ts';
import { Money, currencyScale, fitsScale, formatMoney, isCurrency } from '../../domain/money.ts';
import type { PartnerStatus, Rank } from '../../domain/network.ts';
import { durationMs, type Policy } from '../../domain/policy.ts';
import type { EntryInput, PostingInput } from '../../domain/ledger.ts';
import { DomainError, type RefusalKind } from '../../domain/errors.ts';
import { insertCommissions, type NewCommission } from './commission-store.ts';
import type { LedgerStore } from '../ledger/ledger-store.ts';
import type { PolicyStore, PolicyVersion } from '../policy/policy-store.ts';
import { followUpReversal } from '../refunds/reversal-follow-up.ts';
import { reverseCommissions } from './reverse-commissions.ts';

/**
 * Trigger events in, commissions out (docs/rules.md#commission-triggers). A batch of events is checked, converted to USD, recorded,
 * calculated, posted to the ledger and audited in ONE database transaction: an event is processed exactly once
 * because its external id is unique and its commissions commit with it, however often it is sent.
 */

export interface EventInput {
  externalId: string;
  kind: EventKind;
  /** The order, investment or profit distribution the event is about. */
  sourceId: string;
  /** The partner the customer is attributed to (type 4: the investing partner); null = no attribution. */
  partnerId: string | null;
  customerId?: string | null;
  repeatPurchase?: boolean;
  completedAt: string;
  /** Order value, entrance fee, net profit, or own investment; absent for ORDER_CANCELLED. */
  amount?: string;
  currency?: string;
  /** Type 4 only: the strategy's yield for the period, as a decimal fraction. */
  yieldRate?: string;
}

export interface CommissionSummary {
  id: string;
  partnerId: string;
  incomeType: number;
  level: number;
  amount: string;
}

export type EventResult =
  | { externalId: string; status: 'PROCESSED'; eventId: string; commissions: CommissionSummary[]; reversed: number }
  | { externalId: string; status: 'DUPLICATE'; eventId: string }
  | { externalId: string; status: 'REJECTED'; kind: RefusalKind; code: string; field: string; message: string };

/** A refusal of one event, named by its field (the event's own names); the rest of the batch goes on. */
class EventRejection extends DomainError {
  declare readonly field: string;

  constructor(kind: 'conflict' | 'unprocessable', code: string, field: string, message: string) {
    super(kind, code, message, field);
  }
}

export function eventInputHash(event: EventInput): Buffer {
  const canonical = [
    event.externalId, event.kind, event.sourceId, event.partnerId ?? null, event.customerId ?? null,
    event.repeatPurchase ?? false, new Date(event.completedAt).toISOString(), event.amount ?? null,
    event.currency ?? null, event.yieldRate ?? null,
  ];
  return createHash('sha256').update(JSON.stringify(canonical)).digest();
}

/** The shapes of the two hot reads below (not parsed row by row: thousands of rows per batch). */
const sellerRow = z.object({
  id: z.string(),
  num: z.number(),
  /** The nearest ancestors' numbers (at most nearLevels), nearest first. */
  upline: z.array(z.number()),
  /** The ancestor after those, where a chain that has not settled continues; null when there is none. */
  continueFrom: z.number().nullable(),
  uplineLength: z.number(),
  rank: z.string(),
  status: z.string(),
  rank_since: z.date(),
  status_since: z.date(),
});
type SellerRow = z.infer<typeof sellerRow>;
const memberRow = sellerRow.omit({ upline: true, continueFrom: true, uplineLength: true });
type MemberRow = z.infer<typeof memberRow>;
type LeveledMember = MemberRow & { level: number };

/** Ancestors read whole for every event; most chains settle (reach the top rate) or end within them. */
const nearLevels = 32;

interface PreparedEvent {
  index: number;
  input: EventInput;
  hash: Buffer;
  completedAt: Date;
  policy: PolicyVersion;
  sourceType: SourceType | null;
  originalAmount: string | null;
  originalCurrency: string | null;
  fxRate: string | null;
  baseUsd: string | null;
  seller: SellerRow | null;
}

export class CommissionEngine {
  constructor(
    readonly database: Database,
    readonly ledger: LedgerStore,
    readonly policies: PolicyStore,
  ) {}

  /** Processes a batch; each event gets its own result, and a rejected event changes nothing. */
  async ingest(events: readonly EventInput[], actor: string): Promise<EventResult[]> {
    const results: (EventResult | undefined)[] = new Array(events.length);
    const reject = (index: number, rejection: EventRejection) => {
      results[index] = { externalId: events[index]!.externalId, status: 'REJECTED', kind: rejection.kind, code: rejection.code, field: rejection.field, message: rejection.message };
    };

    // Repeats inside the batch: the first occurrence is processed, a later identical one is its duplicate.
    const firstByExternalId = new Map<string, number>();
    const hashes = events.map(eventInputHash);
    const repeats: number[] = [];
    for (const [index, event] of events.entries()) {
      const first = firstByExternalId.get(event.externalId);
      if (first === undefined) firstByExternalId.set(event.externalId, index);
      else if (hashes[first]!.equals(hashes[index]!)) repeats.push(index);
      else reject(index, new EventRejection('conflict', 'idempotency_conflict', 'externalId', `event ${event.externalId} appears twice in the batch with different content`));
    }
    const candidates = [...firstByExternalId.values()];

    await this.#markAlreadyRecorded(candidates, events, hashes, results);
    const fresh = candidates.filter((index) => results[index] === undefined);
    const prepared = await this.#prepare(fresh, events, hashes, reject);

    if (prepared.length > 0) {
      await this.database.transaction(async (transaction) => {
        const outcome = await this.#record(transaction, prepared, actor);
        for (const [index, result] of outcome) results[index] = result;
      });
    }
    for (const index of repeats) {
      const first = results[firstByExternalId.get(events[index]!.externalId)!]!;
      results[index] = first.status === 'REJECTED' ? first : { externalId: first.externalId, status: 'DUPLICATE', eventId: first.eventId };
    }
    return results.map((result, index) => result ?? { externalId: events[index]!.externalId, status: 'REJECTED', kind: 'unprocessable', code: 'internal', field: 'externalId', message: 'not processed' });
  }

  async #markAlreadyRecorded(indexes: number[], events: readonly EventInput[], hashes: Buffer[], results: (EventResult | undefined)[], connection: CommonQueryMethods = this.database) {
    if (indexes.length === 0) return;
    const rows = await connection.any(sql.type(z.object({ id: z.string(), external_id: z.string(), input_hash: z.instanceof(Buffer) }))`
      SELECT id, external_id, input_hash FROM commission_events
      WHERE external_id = ANY(${sql.array(indexes.map((index) => events[index]!.externalId), 'text')})`);
    const existing = new Map(rows.map((row) => [row.external_id, row]));
    for (const index of indexes) {
      const row = existing.get(events[index]!.externalId);
      if (!row) continue;
      results[index] = row.input_hash.equals(hashes[index]!)
        ? { externalId: row.external_id, status: 'DUPLICATE', eventId: row.id }
        : { externalId: row.external_id, status: 'REJECTED', kind: 'conflict', code: 'idempotency_conflict', field: 'externalId', message: `event ${row.external_id} was already received with different content` };
    }
  }

  /** Checks what needs the database (partners, FX rates, the cancelled order) and converts to USD. */
  async #prepare(indexes: number[], events: readonly EventInput[], hashes: Buffer[], reject: (index: number, rejection: EventRejection) => void): Promise<PreparedEvent[]> {
    const partnerIds = [...new Set(indexes.map((index) => events[index]!.partnerId).filter((id): id is string => id !== null))];
    const sellers = new Map<string, SellerRow>(
      // Untyped reads on the hot path (thousands of rows per batch): the columns are fixed by the query.
      (partnerIds.length === 0 ? [] : (await this.database.any(sql.unsafe`
        SELECT id, num, upline[1:${nearLevels}] AS upline, upline[${nearLevels + 1}] AS continue_from,
               cardinality(upline) AS upline_length, rank, status, rank_since, status_since FROM partners
        WHERE id = ANY(${sql.array(partnerIds, 'text')})`)) as readonly (Omit<SellerRow, 'continueFrom' | 'uplineLength'> & { continue_from: number | null; upline_length: number })[])
        .map((row): [string, SellerRow] => [row.id, { ...row, continueFrom: row.continue_from, uplineLength: row.upline_length }]),
    );
    const cancelled = indexes.filter((index) => events[index]!.kind === 'ORDER_CANCELLED').map((index) => events[index]!.sourceId);
    const completedInBatch = new Set(indexes.filter((index) => events[index]!.kind === 'ORDER_COMPLETED').map((index) => events[index]!.sourceId));
    const knownOrders = new Set(
      cancelled.length === 0 ? [] : await this.database.anyFirst(sql.type(z.object({ source_id: z.string() }))`
        SELECT source_id FROM commission_events WHERE kind = 'ORDER_COMPLETED'
        AND source_id = ANY(${sql.array(cancelled, 'text')})`),
    );
    const rates = await this.#fxRates(indexes.map((index) => events[index]!));

    const prepared: PreparedEvent[] = [];
    for (const index of indexes) {
      const input = events[index]!;
      try {
        const completedAt = new Date(input.completedAt);
        const policy = await this.policies.at(completedAt);
        let seller: SellerRow | null = null;
        if (input.partnerId !== null) {
          seller = sellers.get(input.partnerId) ?? null;
          if (!seller) throw new EventRejection('unprocessable', 'unknown_partner', 'partnerId', `partner ${input.partnerId} does not exist`);
        }
        if (input.kind === 'ORDER_CANCELLED') {
          if (!knownOrders.has(input.sourceId) && !completedInBatch.has(input.sourceId)) {
            throw new EventRejection('unprocessable', 'unknown_order', 'sourceId', `order ${input.sourceId} has no ORDER_COMPLETED event to cancel`);
          }
          prepared.push({ index, input, hash: hashes[index]!, completedAt, policy, sourceType: null, originalAmount: null, originalCurrency: null, fxRate: null, baseUsd: null, seller });
          continue;
        }
        if (input.kind === 'PORTFOLIO_YIELD' && input.partnerId === null) {
          throw new EventRejection('unprocessable', 'invalid_event', 'partnerId', 'a portfolio yield belongs to a partner');
        }
        const currency = input.currency!;
        if (!isCurrency(currency)) throw new EventRejection('unprocessable', 'invalid_event', 'currency', `unknown currency ${currency}`);
        const amount = new Money(input.amount!);
        if (!fitsScale(amount, currency)) throw new EventRejection('unprocessable', 'invalid_event', 'amount', `more decimal places than ${currency} allows`);
        const usdCurrency = policy.policy.commissions.currency;
        let fxRate = '1';
        if (currency !== usdCurrency) {
          const rate = rateAt(rates.get(currency) ?? [], completedAt);
          if (!rate) {
            throw new EventRejection('unprocessable', 'missing_fx_rate', 'currency', `no ${currency}→${usdCurrency} rate in force at ${completedAt.toISOString()}; add one with POST /v1/fx-rates`);
          }
          fxRate = rate;
        }
        // Conversion to USD rounds down to cents (ROUND_DOWN): never a base above what was actually received.
        const baseUsd = amount.times(fxRate).toDecimalPlaces(currencyScale(usdCurrency), Decimal.ROUND_DOWN);
        prepared.push({
          index, input, hash: hashes[index]!, completedAt, policy, sourceType: sourceTypeOf(input.kind),
          originalAmount: amount.toFixed(), originalCurrency: currency, fxRate,
          baseUsd: formatMoney(baseUsd, usdCurrency), seller,
        });
      } catch (error) {
        if (!(error instanceof EventRejection)) throw error;
        reject(index, error);
      }
    }
    return prepared;
  }

  async #fxRates(events: EventInput[]): Promise<Map<string, { at: number; rate: string }[]>> {
    const currencies = [...new Set(events.map((event) => event.currency).filter((currency): currency is string => !!currency && currency !== 'USD'))];
    const rates = new Map<string, { at: number; rate: string }[]>();
    if (currencies.length === 0) return rates;
    const rows = await this.database.any(sql.type(z.object({ currency: z.string(), effective_at: z.date(), usd_rate: z.string() }))`
      SELECT currency, effective_at, usd_rate FROM fx_rates WHERE currency = ANY(${sql.array(currencies, 'text')})
      ORDER BY currency, effective_at`);
    for (const row of rows) {
      const list = rates.get(row.currency) ?? [];
      list.push({ at: row.effective_at.getTime(), rate: row.usd_rate });
      rates.set(row.currency, list);
    }
    return rates;
  }

  /** Inside the transaction: record the events, calculate, post, audit; then apply cancellations. */
  async #record(transaction: CommonQueryMethods, prepared: PreparedEvent[], actor: string): Promise<Map<number, EventResult>> {
    const results = new Map<number, EventResult>();
    const column = <T>(pick: (event: PreparedEvent) => T) => prepared.map(pick);
    const inserted = await transaction.any(sql.type(z.object({ id: z.string(), external_id: z.string() }))`
      INSERT INTO commission_events (external_id, kind, source_type, source_id, partner_id, customer_id, repeat_purchase,
                                     completed_at, original_amount, original_currency, fx_rate, base_usd, yield_rate,
                                     policy_version, input_hash, recorded_by)
      SELECT *, ${actor}::text FROM unnest(
        ${sql.array(column((event) => event.input.externalId), 'text')},
        ${sql.array(column((event) => event.input.kind), 'text')},
        ${sql.array(column((event) => event.sourceType), 'text')},
        ${sql.array(column((event) => event.input.sourceId), 'text')},
        ${sql.array(column((event) => event.input.partnerId), 'text')},
        ${sql.array(column((event) => event.input.customerId ?? null), 'text')},
        ${sql.array(column((event) => event.input.repeatPurchase ?? false), 'bool')},
        ${sql.array(column((event) => event.completedAt.toISOString()), 'timestamptz')},
        ${sql.array(column((event) => event.originalAmount), 'numeric')},
        ${sql.array(column((event) => event.originalCurrency), 'text')},
        ${sql.array(column((event) => event.fxRate), 'numeric')},
        ${sql.array(column((event) => event.baseUsd), 'numeric')},
        ${sql.array(column((event) => event.input.yieldRate ?? null), 'numeric')},
        ${sql.array(column((event) => event.policy.version), 'int4')},
        ${sql.array(column((event) => event.hash), 'bytea')}
      )
      ON CONFLICT DO NOTHING
      RETURNING id, external_id`);
    const eventIds = new Map(inserted.map((row) => [row.external_id, row.id]));

    // Lost a race with a concurrent request for the same event, or the order already completed under another id.
    const lost = prepared.filter((event) => !eventIds.has(event.input.externalId));
    if (lost.length > 0) {
      const late: (EventResult | undefined)[] = [];
      await this.#markAlreadyRecorded(lost.map((_, i) => i), lost.map((event) => event.input), lost.map((event) => event.hash), late, transaction);
      for (const [i, event] of lost.entries()) {
        results.set(event.index, late[i] ?? {
          externalId: event.input.externalId, status: 'REJECTED', kind: 'conflict', code: 'duplicate_order', field: 'sourceId',
          message: `order ${event.input.sourceId} already has an ${event.input.kind} event`,
        });
      }
    }
    const recorded = prepared.filter((event) => eventIds.has(event.input.externalId));
    const earning = recorded.filter((event) => event.input.kind !== 'ORDER_CANCELLED');
    const lines = await this.#calculate(transaction, earning);

    // Commissions and their audit records first, the ledger entry last: the entry locks the balances of the
    // chain's upper members (shared by most events), and they stay locked only from there to the commit.
    const entryEvents = earning.filter((event) => (lines.get(event.index) ?? []).length > 0);
    const newCommissions: NewCommission[] = [];
    const owners: number[] = [];
    for (const event of entryEvents) {
      const policy = event.policy.policy.commissions;
      const releaseAt = new Date(event.completedAt.getTime() + durationMs(policy.holds[holdKindOf(event.sourceType!)]));
      for (const line of lines.get(event.index)!) {
        newCommissions.push({
          eventId: eventIds.get(event.input.externalId)!, poolRunId: null, partnerId: line.partnerId,
          incomeType: line.incomeType, level: line.level, sourceType: event.sourceType!, base: line.base, rate: line.rate,
          // The figures only; the API renders the sentence (breakdownText).
          amount: line.amount, currency: policy.currency, releaseAt, breakdown: { ...line.breakdown, text: undefined },
          policyVersion: event.policy.version,
        });
        owners.push(event.index);
      }
    }
    const commissionIds = await insertCommissions(transaction, newCommissions, actor);

    const entries: EntryInput[] = entryEvents.map((event) => {
      const eventLines = lines.get(event.index)!;
      const currency = event.policy.policy.commissions.currency;
      const total = eventLines.reduce((sum, line) => sum.plus(line.amount), new Money(0));
      const source = event.input.kind === 'PORTFOLIO_YIELD' ? 'portfolio_returns' : 'commission_expense';
      return {
        idempotencyKey: `commission-event:${event.input.externalId}`,
        kind: 'commission',
        description: `${event.input.kind} ${event.input.sourceId}`,
        metadata: { externalId: event.input.externalId, sourceId: event.input.sourceId },
        postings: [
          { account: commissionPlatformAccount(source, currency), amount: formatMoney(total.negated(), currency) },
          ...eventLines.map((line): PostingInput => ({ account: commissionPartnerAccount(line.partnerId, 'commission_pending', currency), amount: line.amount })),
        ],
      };
    });
    const posted = await this.ledger.postEntries(entries, transaction);
    if (entryEvents.length > 0) {
      await transaction.query(sql.unsafe`
        UPDATE commission_events e SET entry_id = u.entry_id, commission_count = u.count, commission_total = u.total
        FROM unnest(
          ${sql.array(entryEvents.map((event) => eventIds.get(event.input.externalId)!), 'int8')},
          ${sql.array(posted.map((entry) => entry.entryId), 'int8')},
          ${sql.array(entryEvents.map((event) => lines.get(event.index)!.length), 'int4')},
          ${sql.array(entryEvents.map((event) => lines.get(event.index)!.reduce((sum, line) => sum.plus(line.amount), new Money(0)).toFixed()), 'numeric')}
        ) AS u(id, entry_id, count, total)
        WHERE e.id = u.id`);
    }
    const summaries = new Map<number, CommissionSummary[]>();
    for (const [position, commission] of newCommissions.entries()) {
      const list = summaries.get(owners[position]!) ?? [];
      list.push({ id: commissionIds[position]!, partnerId: commission.partnerId, incomeType: commission.incomeType, level: commission.level, amount: commission.amount });
      summaries.set(owners[position]!, list);
    }
    for (const event of earning) {
      results.set(event.index, { externalId: event.input.externalId, status: 'PROCESSED', eventId: eventIds.get(event.input.externalId)!, commissions: summaries.get(event.index) ?? [], reversed: 0 });
    }

    for (const event of recorded.filter((candidate) => candidate.input.kind === 'ORDER_CANCELLED')) {
      const cancelEventId = eventIds.get(event.input.externalId)!;
      const order = await transaction.maybeOne(sql.type(z.object({ id: z.string(), cancelled_by: z.string().nullable() }))`
        SELECT id, cancelled_by FROM commission_events WHERE kind = 'ORDER_COMPLETED' AND source_id = ${event.input.sourceId}
        FOR UPDATE`);
      if (!order) throw new Error(`order ${event.input.sourceId} vanished`);
      const commissions = await transaction.anyFirst(sql.type(z.object({ id: z.string() }))`
        SELECT id FROM commissions WHERE event_id = ${order.id} AND status <> 'REVERSED' ORDER BY id`);
      const reversed = await reverseCommissions(transaction, this.ledger, {
        commissionIds: [...commissions], idempotencyKey: `commission-reverse:${event.input.externalId}`,
        reason: `order ${event.input.sourceId} cancelled (event ${event.input.externalId})`, actor,
      });
      await transaction.query(sql.unsafe`
        UPDATE commission_events SET entry_id = ${reversed.entryId}, commission_count = ${reversed.count},
               commission_total = ${new Money(reversed.total).negated().toFixed()}
        WHERE id = ${cancelEventId}`);
      await transaction.query(sql.unsafe`UPDATE commission_events SET cancelled_by = ${cancelEventId} WHERE id = ${order.id}`);
      // docs/rules.md#debt: the partners are told, and a clawback that takes a partner's debt to the limit flags them (payouts held).
      await followUpReversal(transaction, { entryId: reversed.entryId, debtLimit: event.policy.policy.debt.limit, sourceType: 'order-cancel', sourceId: cancelEventId, description: `order ${event.input.sourceId} cancelled (event ${event.input.externalId})`, actor });
      results.set(event.index, { externalId: event.input.externalId, status: 'PROCESSED', eventId: cancelEventId, commissions: [], reversed: reversed.count });
    }
    return results;
  }

  /**
   * The commission lines of each event, with the chain read as it stood when the event completed.
   *
   * Most chains settle (someone ACTIVE holds the top rate) or end within the first `nearLevels` ancestors, which
   * are read whole. A chain that goes on (the bottom of a chain thousands deep) continues from its ancestor at
   * `nearLevels + 1`: the database returns only the members above it who could still change the result (ACTIVE
   * with a rate above the lowest rate already paid among the events continuing there, or with a rank or status
   * that changed after the earliest of those events), so a 10,000-deep chain costs index probes on the server
   * and a handful of rows on the wire. The levels stay those of the full chain.
   */
  async #calculate(transaction: CommonQueryMethods, events: PreparedEvent[]): Promise<Map<number, CommissionLine[]>> {
    const lines = new Map<number, CommissionLine[]>();
    const chainEvents: PreparedEvent[] = [];
    for (const event of events) {
      const policy = event.policy.policy.commissions;
      if (event.input.kind === 'PORTFOLIO_YIELD') {
        lines.set(event.index, calculatePortfolioYield({ partnerId: event.seller!.id, base: event.baseUsd!, yieldRate: event.input.yieldRate! }, policy));
      } else if (event.seller === null) {
        lines.set(event.index, []);
      } else {
        chainEvents.push(event);
      }
    }
    if (chainEvents.length === 0) return lines;

    const wanted = new Set<number>();
    for (const event of chainEvents) for (const num of event.seller!.upline) wanted.add(num);
    const members = new Map<number, LeveledMember>();
    if (wanted.size > 0) {
      // The numbers travel as one comma-separated string, cheaper to build than an array literal.
      const rows = (await transaction.any(sql.unsafe`
        SELECT id, num, rank, status, rank_since, status_since FROM partners
        WHERE num = ANY(string_to_array(${[...wanted].join(',')}, ',')::integer[])`)) as readonly MemberRow[];
      for (const row of rows) members.set(row.num, { ...row, level: 0 });
    }
    const near = new Map<number, LeveledMember[]>();
    for (const event of chainEvents) {
      near.set(event.index, [{ ...event.seller!, level: 1 }, ...Array.from(event.seller!.upline, (num, index) => ({ ...members.get(num)!, level: index + 2 }))]);
    }
    let history = await this.#historyAt(transaction, chainEvents.map((event) => ({ event, chain: near.get(event.index)! })));

    const continuing: PreparedEvent[] = [];
    for (const event of chainEvents) {
      const policy = event.policy.policy.commissions;
      const chain = near.get(event.index)!.map((member) => memberAt(member, event, history));
      const column = rateColumnOf(event.sourceType as Exclude<SourceType, 'PORTFOLIO_YIELD'>);
      if (event.seller!.uplineLength > event.seller!.upline.length && !chainSettles(chain, policy, column)) continuing.push(event);
      else lines.set(event.index, this.#lines(event, chain));
    }
    if (continuing.length === 0) return lines;

    // Group the continuing events by the ancestor they continue from; ask once per ancestor.
    const groups = new Map<number, { events: PreparedEvent[]; paidMicros: number; earliest: Date }>();
    for (const event of continuing) {
      const policy = event.policy.policy.commissions;
      const column = rateColumnOf(event.sourceType as Exclude<SourceType, 'PORTFOLIO_YIELD'>);
      const chain = near.get(event.index)!.map((member) => memberAt(member, event, history));
      const paid = paidMicrosOf(chain, policy, column);
      const group = groups.get(event.seller!.continueFrom!) ?? { events: [], paidMicros: Number.MAX_SAFE_INTEGER, earliest: event.completedAt };
      group.events.push(event);
      group.paidMicros = Math.min(group.paidMicros, paid);
      if (event.completedAt < group.earliest) group.earliest = event.completedAt;
      groups.set(event.seller!.continueFrom!, group);
    }
    const anchors = [...groups.keys()];
    const { byRank } = rateTable(continuing[0]!.policy.policy.commissions, 'personalSales');
    // Rates differ by column and policy version; the filter takes the lowest rate any of them gives a rank.
    const rankMicros = [...byRank.keys()].map((rank) => Math.min(...continuing.map((event) => rateTable(event.policy.policy.commissions, rateColumnOf(event.sourceType as Exclude<SourceType, 'PORTFOLIO_YIELD'>)).byRank.get(rank)!.micros)));
    // The union of the anchors' uplines is read once (chains share their upper part), filtered, and each
    // surviving member is matched to the anchors it is an ancestor of: upline[k] sits k levels above.
    const far = (await transaction.any(sql.unsafe`
      WITH anchors AS (
        SELECT q.anchor, q.paid, q.t, a.depth, a.upline
        FROM unnest(${sql.array(anchors, 'int4')}, ${sql.array(anchors.map((anchor) => groups.get(anchor)!.paidMicros), 'int4')},
                    ${sql.array(anchors.map((anchor) => groups.get(anchor)!.earliest.toISOString()), 'timestamptz')}) AS q(anchor, paid, t)
        JOIN partners a ON a.num = q.anchor
      ),
      reach AS (SELECT unnest(upline) AS num FROM anchors UNION SELECT anchor FROM anchors),
      filtered AS (
        SELECT p.id, p.num, p.depth, p.rank, p.status, p.rank_since, p.status_since
        FROM partners p
        JOIN unnest(${sql.array([...byRank.keys()], 'text')}, ${sql.array(rankMicros, 'int4')}) AS r(rank, micros) ON r.rank = p.rank
        WHERE p.num = ANY(ARRAY(SELECT num FROM reach))
          AND ((p.status = 'ACTIVE' AND r.micros > (SELECT min(paid) FROM anchors))
               OR p.rank_since > (SELECT min(t) FROM anchors) OR p.status_since > (SELECT min(t) FROM anchors))
      )
      SELECT a.anchor, a.depth - f.depth + 1 AS position, f.id, f.num, f.rank, f.status, f.rank_since, f.status_since
      FROM anchors a
      JOIN filtered f ON f.num = a.anchor OR (f.depth < a.depth AND a.upline[a.depth - f.depth] = f.num)
      ORDER BY a.anchor, position`)) as readonly (MemberRow & { anchor: number; position: number })[];
    const farByAnchor = new Map<number, (MemberRow & { position: number })[]>();
    for (const row of far) {
      const list = farByAnchor.get(row.anchor) ?? [];
      list.push({ ...row, position: Number(row.position) });
      farByAnchor.set(row.anchor, list);
    }
    const full = new Map<number, LeveledMember[]>();
    for (const event of continuing) {
      const first = event.seller!.upline.length + 2;
      const rest = (farByAnchor.get(event.seller!.continueFrom!) ?? []).map((member) => ({ ...member, level: first + member.position - 1 }));
      full.set(event.index, [...near.get(event.index)!, ...rest]);
    }
    history = await this.#historyAt(transaction, continuing.map((event) => ({ event, chain: full.get(event.index)! })));
    for (const event of continuing) {
      lines.set(event.index, this.#lines(event, full.get(event.index)!.map((member) => memberAt(member, event, history))));
    }
    return lines;
  }

  #lines(event: PreparedEvent, chain: ChainMember[]): CommissionLine[] {
    const sourceType = event.sourceType as Exclude<SourceType, 'PORTFOLIO_YIELD'>;
    return calculateChainCommissions({ sourceType, base: event.baseUsd!, repeatPurchase: event.input.repeatPurchase ?? false }, chain, event.policy.policy.commissions);
  }

  /** Rank and status at each event's completion for members whose current value began later. */
  async #historyAt(transaction: CommonQueryMethods, chains: { event: PreparedEvent; chain: readonly MemberRow[] }[]): Promise<Map<string, string>> {
    const partnerIds: string[] = [];
    const times: string[] = [];
    for (const { event, chain } of chains) {
      const at = event.completedAt.getTime();
      for (const member of chain) {
        if (member.rank_since.getTime() > at || member.status_since.getTime() > at) {
          partnerIds.push(member.id);
          times.push(event.completedAt.toISOString());
        }
      }
    }
    const history = new Map<string, string>();
    if (partnerIds.length === 0) return history;
    const rows = await transaction.any(sql.type(z.object({ partner_id: z.string(), at: z.date(), field: z.string(), old_value: z.string() }))`
      SELECT DISTINCT ON (q.pid, q.t, c.field) q.pid AS partner_id, q.t AS at, c.field, c.old_value
      FROM unnest(${sql.array(partnerIds, 'text')}, ${sql.array(times, 'timestamptz')}) AS q(pid, t)
      JOIN partner_changes c ON c.partner_id = q.pid AND c.field IN ('rank', 'status') AND c.effective_at > q.t
      ORDER BY q.pid, q.t, c.field, c.effective_at`);
    for (const row of rows) history.set(`${row.partner_id}|${row.at.getTime()}|${row.field}`, row.old_value);
    return history;
  }
}

/** The highest rate an ACTIVE member of the chain holds, in millionths: what the members above it must beat. */
function paidMicrosOf(chain: readonly ChainMember[], policy: Policy['commissions'], column: ReturnType<typeof rateColumnOf>): number {
  const { byRank } = rateTable(policy, column);
  let paid = 0;
  for (const member of chain) if (member.status === 'ACTIVE') paid = Math.max(paid, byRank.get(member.rank)!.micros);
  return paid;
}

function memberAt(member: LeveledMember, event: PreparedEvent, history: Map<string, string>): ChainMember {
  const at = event.completedAt.getTime();
  const rank = member.rank_since.getTime() > at ? history.get(`${member.id}|${at}|rank`) ?? member.rank : member.rank;
  const status = member.status_since.getTime() > at ? history.get(`${member.id}|${at}|status`) ?? member.status : member.status;
  return { partnerId: member.id, rank: rank as Rank, status: status as PartnerStatus, level: member.level };
}

function rateAt(rates: { at: number; rate: string }[], moment: Date): string | null {
  let found: string | null = null;
  for (const rate of rates) {
    if (rate.at <= moment.getTime()) found = rate.rate;
    else break;
  }
  return found;
}
