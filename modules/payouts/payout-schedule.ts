import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import { DomainError } from '../../domain/errors.ts';
import { Money } from '../../domain/money.ts';
import { validatePaymentDetails } from '../../domain/payout.ts';
import type { PaymentMethod, PayoutPolicy } from '../../domain/payout-policy.ts';
import {
  isIsoDate,
  isPaymentDate,
  nextPaymentAmount,
  nextPaymentDate,
  paymentCutoff,
  utcDateOf,
  type NextPaymentAmount,
} from '../../domain/payout-schedule.ts';
import type { LedgerStore } from '../ledger/ledger-store.ts';
import type { PolicyStore } from '../policy/policy-store.ts';
import { createPayout } from './create-payout.ts';
import { payoutRecord, payoutRecordColumns } from './payout-store.ts';
import { startableRequests, type StartablePayouts } from './start-payout.ts';

/**
 * The payment schedule (docs/rules.md#payment-schedule): each wallet's "next payment" — what cleared its hold by the payment
 * date minus the policy's hold days, bonuses without a hold — computed from the ledger and the commissions table
 * (domain/payout-schedule.ts `nextPaymentAmount` holds the formula), the admin's preview of a payment date, and the
 * run that makes one payout per eligible wallet and date.
 *
 * Which method pays a wallet: the partner's saved method (`partner_payment_methods`) whose currency is the
 * wallet's; of several, the most recently updated.
 */

/** The schedule's payouts are initiated by this user (migration 010: disabled, cannot sign in or approve). */
export const payoutScheduleUserId = '00000000-0000-4000-8000-000000000001';
/** The audit log's actor for what the payment schedule does. */
export const payoutScheduleActor = 'system:payout-schedule';

/** Why a wallet is or is not paid on the date (docs/rules.md#payment-schedule: "ready / below minimum / payment details missing"). */
export const walletStates = ['READY', 'BELOW_MINIMUM', 'NO_PAYMENT_DETAILS', 'ACTIVE_PAYOUT', 'SCHEDULED', 'NOTHING_DUE'] as const;
export type WalletState = (typeof walletStates)[number];

export interface ScheduleWallet extends NextPaymentAmount {
  currency: string;
  method: { id: string; name: string; minPayout: string } | null;
  /** The amount is below the method's minimum (no saved method: below every method's minimum in the currency). */
  belowMinimum: boolean;
  state: WalletState;
}

export interface PartnerNextPayment {
  partnerId: string;
  partnerName: string;
  paymentDate: string;
  /** ISO instant: money whose hold ended at or before it counts. */
  cutoff: string;
  scheduleEnabled: boolean;
  wallets: ScheduleWallet[];
}

export interface ScheduleRunStart {
  /** False: nothing to do (disabled, or the firing is not a payment date under the policy in force). */
  run: boolean;
  paymentDate: string;
  reason: string;
}

export interface ScheduleRecordPage {
  created: number;
  skipped: Partial<Record<WalletState | 'REFUSED', number>>;
  next: string | null;
}

/** Scheduled payouts of the date still REQUESTED (their workflow may or may not have started). */
export interface ScheduleStartPage extends StartablePayouts {
  next: string | null;
}

const balanceRow = z.object({ partner_id: z.string(), currency: z.string(), bucket: z.string(), balance: z.string() });
const commissionSumRow = z.object({ partner_id: z.string(), currency: z.string(), paid_after_cutoff: z.string(), cleared_not_yet_paid: z.string() });
const savedMethodRow = z.object({ partner_id: z.string(), method_id: z.string(), details: z.record(z.string()), updated_at: z.date() });
const payoutFlagRow = z.object({ partner_id: z.string(), currency: z.string(), active: z.boolean(), scheduled: z.boolean() });
const partnerRow = z.object({ id: z.string(), name: z.string() });

export class PayoutSchedule {
  constructor(
    readonly database: Database,
    readonly ledger: LedgerStore,
    readonly policies: PolicyStore,
  ) {}

  /**
   * Every wallet of the partners toward the payment date: the figure, the method that would pay it, and its state.
   * Wallets are the currencies in which the partner has an account or a commission.
   */
  async wallets(connection: CommonQueryMethods, partnerIds: readonly string[], paymentDate: string, payouts: PayoutPolicy): Promise<Map<string, ScheduleWallet[]>> {
    const result = new Map<string, ScheduleWallet[]>(partnerIds.map((id) => [id, []]));
    if (partnerIds.length === 0) return result;
    const ids = sql.array([...partnerIds], 'text');
    const cutoff = sql.timestamp(paymentCutoff(paymentDate, payouts.schedule.holdDays));
    const balances = await connection.any(sql.type(balanceRow)`
      SELECT a.owner_id AS partner_id, a.currency, a.bucket, sum(b.balance)::text AS balance
      FROM accounts a JOIN account_balances b ON b.account_id = a.id
      WHERE a.owner_type = 'partner' AND a.owner_id = ANY(${ids})
      GROUP BY a.owner_id, a.currency, a.bucket`);
    // Net of partial reversals (a refund during or after the hold takes part of a commission back).
    const commissions = await connection.any(sql.type(commissionSumRow)`
      SELECT partner_id, currency,
             coalesce(sum(amount - reversed_amount) FILTER (WHERE status = 'PAID'), 0)::text AS paid_after_cutoff,
             coalesce(sum(amount - reversed_amount) FILTER (WHERE status <> 'PAID'), 0)::text AS cleared_not_yet_paid
      FROM commissions
      WHERE partner_id = ANY(${ids})
        AND ((status = 'PAID' AND release_at > ${cutoff}) OR (status IN ('PENDING', 'APPROVED') AND release_at <= ${cutoff}))
      GROUP BY partner_id, currency`);
    const saved = await connection.any(sql.type(savedMethodRow)`
      SELECT partner_id, method_id, details, updated_at FROM partner_payment_methods WHERE partner_id = ANY(${ids})`);
    const flags = await connection.any(sql.type(payoutFlagRow)`
      SELECT partner_id, currency,
             bool_or(status NOT IN ('DRAFT', 'COMPLETED', 'REJECTED', 'CANCELLED', 'FAILED')) AS active,
             bool_or(schedule_date IS NOT DISTINCT FROM ${paymentDate}::date) AS scheduled
      FROM payouts
      WHERE partner_id = ANY(${ids})
        AND (status NOT IN ('DRAFT', 'COMPLETED', 'REJECTED', 'CANCELLED', 'FAILED') OR schedule_date = ${paymentDate}::date)
      GROUP BY partner_id, currency`);

    const key = (partnerId: string, currency: string) => `${partnerId}\u0000${currency}`;
    const figures = new Map<string, { available: string; debt: string; paidAfterCutoff: string; clearedNotYetPaid: string }>();
    const figure = (partnerId: string, currency: string) => {
      const found = figures.get(key(partnerId, currency));
      if (found) return found;
      const fresh = { available: '0', debt: '0', paidAfterCutoff: '0', clearedNotYetPaid: '0' };
      figures.set(key(partnerId, currency), fresh);
      return fresh;
    };
    for (const row of balances) {
      const entry = figure(row.partner_id, row.currency);
      if (row.bucket === 'available') entry.available = row.balance;
      // `debt` runs from 0 downwards; what is owed is its negation.
      if (row.bucket === 'debt') entry.debt = new Money(row.balance).negated().toFixed();
    }
    for (const row of commissions) {
      const entry = figure(row.partner_id, row.currency);
      entry.paidAfterCutoff = row.paid_after_cutoff;
      entry.clearedNotYetPaid = row.cleared_not_yet_paid;
    }
    const flagOf = new Map(flags.map((row) => [key(row.partner_id, row.currency), row]));

    // The saved method per wallet: of the partner's saved methods paying in the currency, the latest updated.
    const methodOf = new Map<string, { method: PaymentMethod; details: Record<string, string>; updatedAt: number }>();
    for (const row of saved) {
      const method = payouts.methods.find((candidate) => candidate.id === row.method_id);
      if (!method) continue;
      const walletKey = key(row.partner_id, method.currency);
      const current = methodOf.get(walletKey);
      if (!current || row.updated_at.getTime() > current.updatedAt) methodOf.set(walletKey, { method, details: row.details, updatedAt: row.updated_at.getTime() });
    }

    for (const [walletKey, entry] of [...figures.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const [partnerId, currency] = walletKey.split('\u0000') as [string, string];
      const amount = nextPaymentAmount(
        { available: entry.available, paidAfterCutoff: entry.paidAfterCutoff, clearedNotYetPaid: entry.clearedNotYetPaid, debtOwed: entry.debt },
        currency,
      );
      const chosen = methodOf.get(walletKey);
      const minimums = chosen ? [chosen.method.minPayout] : payouts.methods.filter((method) => method.currency === currency).map((method) => method.minPayout);
      const minimum = minimums.length === 0 ? null : minimums.reduce((low, value) => (new Money(value).lessThan(low) ? value : low));
      const belowMinimum = minimum !== null && new Money(amount.amount).lessThan(minimum);
      const flag = flagOf.get(walletKey);
      const detailsValid = chosen !== undefined && validatePaymentDetails(chosen.method, chosen.details).length === 0;
      const state: WalletState = !new Money(amount.amount).isPositive()
        ? 'NOTHING_DUE'
        : flag?.scheduled
          ? 'SCHEDULED'
          : flag?.active
            ? 'ACTIVE_PAYOUT'
            : !detailsValid
              ? 'NO_PAYMENT_DETAILS'
              : belowMinimum
                ? 'BELOW_MINIMUM'
                : 'READY';
      result.get(partnerId)?.push({
        currency,
        ...amount,
        method: chosen ? { id: chosen.method.id, name: chosen.method.name, minPayout: chosen.method.minPayout } : null,
        belowMinimum,
        state,
      });
    }
    return result;
  }

  /**
   * Partners who may have something due on the date, after `after` in id order: a positive `available`, or a
   * commission that cleared by the cutoff and is not paid yet. Each branch walks its index in partner order and
   * stops after `limit + 1` partners, so a page costs what it returns, not the size of the network.
   */
  async candidates(connection: CommonQueryMethods, cutoff: Date, after: string | null, limit: number): Promise<{ partnerIds: string[]; next: string | null }> {
    const from = after ?? '';
    const rows = await connection.anyFirst(sql.type(z.object({ partner_id: z.string() }))`
      SELECT partner_id FROM (
        (SELECT DISTINCT a.owner_id AS partner_id FROM accounts a JOIN account_balances b ON b.account_id = a.id
         WHERE a.owner_type = 'partner' AND a.bucket = 'available' AND b.balance > 0 AND a.owner_id > ${from}
         ORDER BY a.owner_id LIMIT ${limit + 1})
        UNION
        (SELECT DISTINCT partner_id FROM commissions
         WHERE status IN ('PENDING', 'APPROVED') AND release_at <= ${sql.timestamp(cutoff)} AND partner_id > ${from}
         ORDER BY partner_id LIMIT ${limit + 1})
      ) candidates
      ORDER BY partner_id LIMIT ${limit + 1}`);
    const partnerIds = rows.slice(0, limit);
    return { partnerIds, next: rows.length > limit ? partnerIds.at(-1)! : null };
  }

  /** The partner's next payment: on `date` when given (any date, for planning), else the next payment date. */
  async nextPayment(partnerId: string, date?: string): Promise<PartnerNextPayment | null> {
    const { policy } = await this.policies.active();
    const schedule = policy.payouts.schedule;
    const partner = await this.database.maybeOne(sql.type(partnerRow)`SELECT id, name FROM partners WHERE id = ${partnerId}`);
    if (!partner) return null;
    const paymentDate = date ?? nextPaymentDate(utcDateOf(new Date()), schedule.paymentDays);
    const wallets = await this.wallets(this.database, [partnerId], paymentDate, policy.payouts);
    return {
      partnerId,
      partnerName: partner.name,
      paymentDate,
      cutoff: paymentCutoff(paymentDate, schedule.holdDays).toISOString(),
      scheduleEnabled: schedule.enabled,
      wallets: wallets.get(partnerId) ?? [],
    };
  }

  /**
   * The admin's list for a payment date (docs/rules.md#payment-schedule): every partner with something due,
   * below the minimum or not, with each wallet's state; paged by partner id.
   */
  async preview(input: { date?: string; after: string | null; limit: number }) {
    const { policy } = await this.policies.active();
    const schedule = policy.payouts.schedule;
    const paymentDate = input.date ?? nextPaymentDate(utcDateOf(new Date()), schedule.paymentDays);
    const cutoff = paymentCutoff(paymentDate, schedule.holdDays);
    const page = await this.candidates(this.database, cutoff, input.after, input.limit);
    const wallets = await this.wallets(this.database, page.partnerIds, paymentDate, policy.payouts);
    const names = new Map(
      (await this.database.any(sql.type(partnerRow)`SELECT id, name FROM partners WHERE id = ANY(${sql.array(page.partnerIds, 'text')})`)).map((row) => [row.id, row.name]),
    );
    const partners = page.partnerIds
      .map((partnerId) => ({
        partnerId,
        partnerName: names.get(partnerId) ?? '',
        wallets: (wallets.get(partnerId) ?? []).filter((wallet) => wallet.state !== 'NOTHING_DUE'),
      }))
      .filter((partner) => partner.wallets.length > 0);
    return { paymentDate, cutoff: cutoff.toISOString(), scheduleEnabled: schedule.enabled, includeBelowMinimum: schedule.includeBelowMinimum, partners, next: page.next };
  }

  /** Decides whether a run pays anything: the schedule is enabled and (for a scheduled firing) the date is a payment date. */
  async beginRun(input: { paymentDate: string; scheduled: boolean }): Promise<ScheduleRunStart> {
    if (!isIsoDate(input.paymentDate)) throw new RangeError(`not a payment date: ${input.paymentDate}`);
    const { policy } = await this.policies.active();
    const schedule = policy.payouts.schedule;
    if (!schedule.enabled) return { run: false, paymentDate: input.paymentDate, reason: 'the payment schedule is disabled (policy payouts.schedule.enabled)' };
    if (input.scheduled && !isPaymentDate(input.paymentDate, schedule.paymentDays)) {
      return { run: false, paymentDate: input.paymentDate, reason: `${input.paymentDate} is not a payment date of days ${schedule.paymentDays.join(', ')}` };
    }
    return { run: true, paymentDate: input.paymentDate, reason: 'payment date' };
  }

  /**
   * One page of the run: a payout for each READY wallet of the page's partners (and BELOW_MINIMUM ones when the policy
   * includes them), for the part of the figure already in `available`. Each payout is its own transaction; the
   * unique key (payment date, partner, currency) makes a repeated or retried page create nothing twice.
   * `progress` hears after each wallet how far the page is (the activity heartbeats with it).
   */
  async recordPage(
    input: { paymentDate: string; after: string | null; limit: number },
    progress: (details: { partnerId: string; created: number }) => void = () => {},
  ): Promise<ScheduleRecordPage> {
    const { policy } = await this.policies.active();
    const schedule = policy.payouts.schedule;
    const page = await this.candidates(this.database, paymentCutoff(input.paymentDate, schedule.holdDays), input.after, input.limit);
    const wallets = await this.wallets(this.database, page.partnerIds, input.paymentDate, policy.payouts);
    const skipped: ScheduleRecordPage['skipped'] = {};
    const skip = (reason: WalletState | 'REFUSED') => {
      skipped[reason] = (skipped[reason] ?? 0) + 1;
    };
    let created = 0;
    for (const partnerId of page.partnerIds) {
      for (const wallet of wallets.get(partnerId) ?? []) {
        // A run pays only what is in `available` now; a part awaiting the pay batch waits for the next date.
        const payable = new Money(wallet.inAvailable);
        if (!payable.isPositive()) {
          skip('NOTHING_DUE');
          continue;
        }
        if (wallet.state === 'SCHEDULED' || wallet.state === 'ACTIVE_PAYOUT' || wallet.state === 'NO_PAYMENT_DETAILS') {
          skip(wallet.state);
          continue;
        }
        const belowMinimum = payable.lessThan(wallet.method!.minPayout);
        if (belowMinimum && !schedule.includeBelowMinimum) {
          skip('BELOW_MINIMUM');
          continue;
        }
        try {
          await createPayout(
            { database: this.database, ledger: this.ledger, policies: this.policies },
            { partnerId, amount: wallet.inAvailable, currency: wallet.currency, methodId: wallet.method!.id },
            {
              initiator: { userId: payoutScheduleUserId, role: 'system', auditActor: payoutScheduleActor },
              field: (name) => name,
              ip: null,
              scheduleDate: input.paymentDate,
              allowBelowMinimum: schedule.includeBelowMinimum,
            },
          );
          created += 1;
        } catch (error) {
          // A refusal (a concurrent request took the money, the fee exceeds a tiny amount…) skips this wallet only;
          // anything else fails the activity, which retries and finds what it already made.
          if (!(error instanceof DomainError)) throw error;
          skip(error.code === 'already_scheduled' ? 'SCHEDULED' : error.code === 'duplicate_request' ? 'ACTIVE_PAYOUT' : 'REFUSED');
        }
        progress({ partnerId, created });
      }
    }
    return { created, skipped, next: page.next };
  }

  /** One page of the date's scheduled payouts that are still REQUESTED, for the run's workflow to start. */
  async startPage(input: { paymentDate: string; after: string | null; limit: number }): Promise<ScheduleStartPage> {
    const [afterPartner, afterCurrency] = input.after === null ? ['', ''] : (JSON.parse(input.after) as [string, string]);
    const rows = await this.database.any(sql.type(payoutRecord)`
      SELECT ${payoutRecordColumns} FROM payouts
      WHERE schedule_date = ${input.paymentDate}::date AND status = 'REQUESTED'
        AND (partner_id, currency) > (${afterPartner}, ${afterCurrency})
      ORDER BY partner_id, currency LIMIT ${input.limit + 1}`);
    const page = rows.slice(0, input.limit);
    const last = page.at(-1);
    return { ...(await startableRequests(this.policies, page)), next: rows.length > input.limit && last ? JSON.stringify([last.partner_id, last.currency]) : null };
  }
}
