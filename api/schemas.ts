import { z } from '@hono/zod-openapi';
import { isCurrency, decimalPattern, fitsScale, parseMoney, Money } from '../domain/money.ts';
import { kycStatuses, partnerStatuses, ranks } from '../domain/network.ts';
import type { ApiKeyScope } from '../domain/api-keys.ts';

export const errorSchema = z
  .object({ error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }) })
  .openapi('Error');

export const currencySchema = z
  .string()
  .refine(isCurrency, { message: 'unknown currency' })
  .openapi({ example: 'USD' });

/** Money on the wire: a decimal string, never a JSON number. */
export const amountSchema = z
  .string()
  .regex(decimalPattern, 'must be a decimal string such as "12.50"')
  .openapi({ example: '25.00' });

/**
 * An amount that also meets `condition` (positive, not zero). Zod runs a refinement even after the pattern has
 * failed, and Money throws on anything that is not a number, so the condition is asked only of a well-formed amount;
 * a malformed one is refused by the pattern alone (found by the fuzz suite: `"amount": "abc"` answered 500).
 */
export function amountWhere(condition: (amount: Money) => boolean, message: string) {
  return amountSchema.refine((value) => !decimalPattern.test(value) || condition(new Money(value)), message);
}

/** Checks an amount's scale against its currency, naming the amount field when it is finer. */
export function refineAmountScale<T extends { amount: string; currency: string }>(value: T, context: z.RefinementCtx) {
  if (isCurrency(value.currency) && decimalPattern.test(value.amount) && !fitsScale(parseMoney(value.amount), value.currency)) {
    context.addIssue({ code: z.ZodIssueCode.custom, path: ['amount'], message: `more decimal places than ${value.currency} allows` });
  }
}

export const partnerIdSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'letters, digits and _.:- only, at most 64');

export const partnerSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    sponsorId: z.string().nullable(),
    rank: z.enum(ranks),
    status: z.enum(partnerStatuses),
    kycStatus: z.enum(kycStatuses),
    joinedAt: z.string().datetime(),
  })
  .openapi('Partner');

export const balancesSchema = z
  .object({
    balances: z.array(
      z.object({
        currency: z.string(),
        commissionPending: z.string(),
        commissionApproved: z.string(),
        available: z.string(),
        payoutReserved: z.string(),
        held: z.string(),
        debt: z.string().openapi({ description: 'What the partner owes, as a positive amount' }),
      }),
    ),
    asOf: z.string().datetime().nullable(),
  })
  .openapi('Balances');

export const bearerSecurity = [{ bearer: [] }];

/**
 * An operation a machine may also call with an API key of this scope (docs/rules.md#api-keys): a session, or a key
 * (`apiKey`, also a bearer token) with the scope. test/api/openapi-lint.test.ts checks it against domain/api-keys.ts.
 */
export function apiKeySecurity(scope: ApiKeyScope): Record<string, string[]>[] {
  return [{ bearer: [] }, { apiKey: [scope] }];
}

/** An OpenAPI response in the shared error shape. */
export function errorResponse(description: string) {
  return { description, content: { 'application/json': { schema: errorSchema } } };
}
