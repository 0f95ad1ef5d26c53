import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { DomainError } from '../../domain/errors.ts';
import { rubEquivalent } from '../../domain/payout.ts';

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
