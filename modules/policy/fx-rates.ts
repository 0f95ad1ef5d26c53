import { randomUUID } from 'node:crypto';
import { sql, type CommonQueryMethods } from 'slonik';
import type { Database } from '../../db/pool.ts';
import { z } from 'zod';
import { DomainError } from '../../domain/errors.ts';
import { assertMayCheck, rateOutsideBand, type FourEyesActor } from '../../domain/four-eyes.ts';
import type { FourEyesPolicy } from '../../domain/lifecycle-policy.ts';
import { rubEquivalent } from '../../domain/payout.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';

/** The platform's exchange rates (`fx_rates`): USD per one unit of a currency, each in force from `effective_at`. */

export const fxRateRow = z.object({ currency: z.string(), usd_rate: z.string(), effective_at: z.date(), created_by: z.string() });
export type FxRateRow = z.infer<typeof fxRateRow>;

/** The rates of one currency (or of all), newest first, at most 1000. */
export async function listFxRates(connection: CommonQueryMethods, currency?: string): Promise<readonly FxRateRow[]> {
  return connection.any(sql.type(fxRateRow)`
    SELECT currency, usd_rate, effective_at, created_by FROM fx_rates
    WHERE ${currency ? sql.fragment`currency = ${currency}` : sql.fragment`TRUE`}
    ORDER BY effective_at DESC, currency LIMIT 1000`);
}

/** Adds a rate from `effectiveAt` on; a rate of that currency at that instant exists already: a conflict. */
export async function addFxRate(
  connection: CommonQueryMethods,
  rate: { currency: string; usdRate: string; effectiveAt: string; actor: string },
): Promise<FxRateRow> {
  const row = await connection.maybeOne(sql.type(fxRateRow)`
    INSERT INTO fx_rates (currency, effective_at, usd_rate, created_by)
    VALUES (${rate.currency}, ${rate.effectiveAt}, ${rate.usdRate}, ${rate.actor})
    ON CONFLICT DO NOTHING
    RETURNING currency, usd_rate, effective_at, created_by`);
  if (!row) throw new DomainError('conflict', 'conflict', `a ${rate.currency} rate from ${rate.effectiveAt} exists already`, 'body.effectiveAt');
  return row;
}

const latestRateRow = z.object({ currency: z.string(), usd_rate: z.string() });

/** The latest USD rates (USD per unit) of the currency and of RUB in force now; null where there is none. */
export async function usdRatesForRub(connection: CommonQueryMethods, currency: string): Promise<{ currency: string | null; rub: string | null }> {
  const rows = await connection.any(sql.type(latestRateRow)`
    SELECT DISTINCT ON (currency) currency, usd_rate::text AS usd_rate
    FROM fx_rates WHERE currency = ANY(${sql.array([currency, 'RUB'], 'text')}) AND effective_at <= now()
    ORDER BY currency, effective_at DESC`);
  return {
    currency: rows.find((row) => row.currency === currency)?.usd_rate ?? null,
    rub: rows.find((row) => row.currency === 'RUB')?.usd_rate ?? null,
  };
}

/** The RUB-equivalent of an amount at the latest rates in force (as payouts judge their approval chain). */
export async function amountInRub(connection: CommonQueryMethods, amount: string, currency: string): Promise<string | null> {
  return rubEquivalent(amount, currency, await usdRatesForRub(connection, currency));
}

/**
 * Four eyes on FX rates (docs/rules.md#four-eyes). Every requested rate is a row in `fx_rate_requests`, audited
 * with the rate in force before it and the new one. Inside the policy's band around the rate in force it is
 * applied at once (a row in `fx_rates`); outside it, it waits PENDING and only a second person — of the policy's
 * `fxCheckerRoles`, never the maker, with a fresh TOTP code (checked by the caller) — applies or rejects it. The
 * payout and adjustment tiers are computed from these rates, so one person can no longer move them.
 */

export const fxRateRequestStatuses = ['PENDING', 'APPLIED', 'REJECTED'] as const;

export const fxRateRequestRow = z.object({
  id: z.string(),
  currency: z.string(),
  usd_rate: z.string(),
  effective_at: z.date(),
  previous_usd_rate: z.string().nullable(),
  status: z.enum(fxRateRequestStatuses),
  created_by: z.string(),
  created_at: z.date(),
  decided_by: z.string().nullable(),
  decided_at: z.date().nullable(),
  decision_reason: z.string().nullable(),
});
export type FxRateRequestRow = z.infer<typeof fxRateRequestRow>;

const requestColumns = sql.fragment`
  id, currency, usd_rate::text AS usd_rate, effective_at, previous_usd_rate::text AS previous_usd_rate, status, created_by, created_at,
  decided_by, decided_at, decision_reason`;

const rateText = z.object({ usd_rate: z.string() });

/**
 * The rate a new one at `effectiveAt` replaces: the one in force then, or (for a rate dated before every other)
 * the currency's earliest. Null: the currency has no rate yet.
 */
async function rateInForce(connection: CommonQueryMethods, currency: string, effectiveAt: string): Promise<string | null> {
  const row = await connection.maybeOne(sql.type(rateText)`
    (SELECT usd_rate::text AS usd_rate FROM fx_rates WHERE currency = ${currency} AND effective_at <= ${effectiveAt} ORDER BY effective_at DESC LIMIT 1)
    UNION ALL
    (SELECT usd_rate::text AS usd_rate FROM fx_rates WHERE currency = ${currency} ORDER BY effective_at LIMIT 1)
    LIMIT 1`);
  return row?.usd_rate ?? null;
}

async function refuseTakenInstant(connection: CommonQueryMethods, currency: string, effectiveAt: string): Promise<void> {
  const taken = await connection.maybeOne(sql.type(rateText)`
    SELECT usd_rate::text AS usd_rate FROM fx_rates WHERE currency = ${currency} AND effective_at = ${effectiveAt}`);
  if (taken) throw new DomainError('conflict', 'conflict', `a ${currency} rate from ${effectiveAt} exists already`, 'body.effectiveAt');
}

/**
 * A maker's new rate: applied when inside the band around the rate in force (a currency's first rate has nothing
 * to move from and is applied), otherwise stored PENDING for a checker. One transaction, serialised per currency.
 */
export async function requestFxRate(
  database: Database,
  input: { currency: string; usdRate: string; effectiveAt: string; actor: FourEyesActor; ip: string | null; policy: Pick<FourEyesPolicy, 'fxRateBand' | 'fxCheckerRoles'> },
): Promise<FxRateRequestRow> {
  return database.transaction(async (transaction) => {
    await transaction.query(sql.unsafe`SELECT pg_advisory_xact_lock(hashtext(${`fx-rate:${input.currency}`}))`);
    await refuseTakenInstant(transaction, input.currency, input.effectiveAt);
    const previous = await rateInForce(transaction, input.currency, input.effectiveAt);
    const outside = rateOutsideBand(previous, input.usdRate, input.policy.fxRateBand);
    const request = await transaction.one(sql.type(fxRateRequestRow)`
      INSERT INTO fx_rate_requests (id, currency, effective_at, usd_rate, previous_usd_rate, status, created_by, decided_at)
      VALUES (${randomUUID()}, ${input.currency}, ${input.effectiveAt}, ${input.usdRate}, ${previous},
              ${outside ? 'PENDING' : 'APPLIED'}, ${input.actor.userId}, ${outside ? null : sql.fragment`now()`})
      RETURNING ${requestColumns}`);
    if (!outside) await addFxRate(transaction, { currency: input.currency, usdRate: input.usdRate, effectiveAt: input.effectiveAt, actor: input.actor.userId });
    await appendAuditRecord(transaction, {
      action: outside ? 'FX_RATE_REQUEST' : 'FX_RATE_CHANGE',
      actor: input.actor.userId,
      targetType: 'fx_rate',
      targetId: input.currency,
      ip: input.ip,
      reason: outside ? `more than ${input.policy.fxRateBand} away from the rate in force: waits for one of ${input.policy.fxCheckerRoles.join(', ')}` : null,
      details: { requestId: request.id, effectiveAt: input.effectiveAt, usdRateBefore: previous, usdRateAfter: input.usdRate, band: input.policy.fxRateBand, role: input.actor.role },
    });
    return request;
  });
}

/** A checker's decision on a PENDING rate: APPLIED writes it to `fx_rates` (as the maker's rate), REJECTED ends it. */
export async function decideFxRate(
  database: Database,
  input: { requestId: string; decision: 'APPROVED' | 'REJECTED'; actor: FourEyesActor; reason: string | null; ip: string | null; policy: Pick<FourEyesPolicy, 'fxCheckerRoles'> },
): Promise<FxRateRequestRow> {
  return database.transaction(async (transaction) => {
    const request = await transaction.maybeOne(sql.type(fxRateRequestRow)`
      SELECT ${requestColumns} FROM fx_rate_requests WHERE id = ${input.requestId} FOR UPDATE`);
    if (!request) throw new DomainError('not_found', 'not_found', `FX rate request ${input.requestId} does not exist`, 'id');
    if (request.status !== 'PENDING') throw new DomainError('conflict', 'invalid_state', `the FX rate request is ${request.status}`, 'status');
    assertMayCheck(
      { makerUserId: request.created_by, checkerRoles: input.policy.fxCheckerRoles, reason: 'an FX rate outside the band' },
      input.actor,
    );
    await transaction.query(sql.unsafe`SELECT pg_advisory_xact_lock(hashtext(${`fx-rate:${request.currency}`}))`);
    const effectiveAt = request.effective_at.toISOString();
    const before = await rateInForce(transaction, request.currency, effectiveAt);
    if (input.decision === 'APPROVED') {
      await addFxRate(transaction, { currency: request.currency, usdRate: request.usd_rate, effectiveAt, actor: request.created_by });
    }
    const decided = await transaction.one(sql.type(fxRateRequestRow)`
      UPDATE fx_rate_requests SET status = ${input.decision === 'APPROVED' ? 'APPLIED' : 'REJECTED'}, decided_by = ${input.actor.userId},
        decided_at = now(), decision_reason = ${input.reason}
      WHERE id = ${request.id}
      RETURNING ${requestColumns}`);
    await appendAuditRecord(transaction, {
      action: input.decision === 'APPROVED' ? 'FX_RATE_APPROVE' : 'FX_RATE_REJECT',
      actor: input.actor.userId,
      targetType: 'fx_rate',
      targetId: request.currency,
      ip: input.ip,
      reason: input.reason,
      details: {
        requestId: request.id, maker: request.created_by, effectiveAt, usdRateBefore: before,
        usdRateAfter: input.decision === 'APPROVED' ? request.usd_rate : before, requested: request.usd_rate, role: input.actor.role,
      },
    });
    return decided;
  });
}

/** Rate requests, newest first (at most 1000), optionally of one status. */
export async function listFxRateRequests(connection: CommonQueryMethods, status?: FxRateRequestRow['status']): Promise<readonly FxRateRequestRow[]> {
  return connection.any(sql.type(fxRateRequestRow)`
    SELECT ${requestColumns} FROM fx_rate_requests
    WHERE ${status ? sql.fragment`status = ${status}` : sql.fragment`TRUE`}
    ORDER BY created_at DESC LIMIT 1000`);
}

export async function findFxRateRequest(connection: CommonQueryMethods, id: string): Promise<FxRateRequestRow | null> {
  return connection.maybeOne(sql.type(fxRateRequestRow)`SELECT ${requestColumns} FROM fx_rate_requests WHERE id = ${id}`);
}
