import { describe, expect, it } from 'vitest';
import {
  failureCodes,
  idempotencyKeyFor,
  providerPayoutRequestSchema,
  providerWebhookEventSchema,
  retryClassOf,
} from '../../providers/adapter.ts';

const request = {
  idempotencyKey: 'payout-7:1',
  payoutId: 'payout-7',
  amount: '125.50',
  currency: 'USD',
  method: 'bank_transfer',
  paymentDetails: { accountName: 'Ada Partner', accountNumber: '000123456789' },
  callbackUrl: 'http://127.0.0.1:3000/v1/provider-webhooks/sandbox',
};

describe('the provider adapter contract', () => {
  it('has exactly docs/rules.md#payout-provider-retries failure codes with their retry classes', () => {
    expect(Object.fromEntries(Object.entries(failureCodes).map(([code, { retry }]) => [code, retry]))).toEqual({
      INVALID_ACCOUNT: 'none',
      ACCOUNT_CLOSED: 'none',
      NAME_MISMATCH: 'none',
      PROVIDER_ERROR: 'auto',
      TIMEOUT: 'auto',
      LIMIT_EXCEEDED: 'next_day',
    });
    expect(retryClassOf('LIMIT_EXCEEDED')).toBe('next_day');
  });

  it('an idempotency key is the payout id and the attempt', () => {
    expect(idempotencyKeyFor('payout-7', 2)).toBe('payout-7:2');
    expect(() => idempotencyKeyFor('payout-7', 0)).toThrow(RangeError);
  });

  it('accepts a well-formed payout request', () => {
    expect(providerPayoutRequestSchema.parse(request)).toEqual(request);
  });

  it.each([
    ['amount', { amount: 125.5 }],
    ['amount', { amount: '0.00' }],
    ['amount', { amount: '-1.00' }],
    ['amount', { amount: '1.005' }],
    ['amount', { amount: '1e3' }],
    ['currency', { currency: 'usd' }],
    ['idempotencyKey', { idempotencyKey: '' }],
    ['callbackUrl', { callbackUrl: 'ftp://example.com' }],
    ['paymentDetails', { paymentDetails: { accountNumber: 42 } }],
  ])('refuses a request with a bad %s', (field, change) => {
    const result = providerPayoutRequestSchema.safeParse({ ...request, ...change });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path[0]).toBe(field);
  });

  it('refuses unknown fields', () => {
    expect(providerPayoutRequestSchema.safeParse({ ...request, fee: '1.00' }).success).toBe(false);
  });

  it('a webhook event carries a failure code exactly when it failed', () => {
    const event = {
      eventId: 'evt_1',
      providerReference: 'sbx_1',
      idempotencyKey: 'payout-7:1',
      payoutId: 'payout-7',
      occurredAt: '2026-01-05T10:00:00.000Z',
    };
    expect(providerWebhookEventSchema.safeParse({ ...event, status: 'COMPLETED' }).success).toBe(true);
    expect(providerWebhookEventSchema.safeParse({ ...event, status: 'FAILED', failureCode: 'ACCOUNT_CLOSED' }).success).toBe(true);
    expect(providerWebhookEventSchema.safeParse({ ...event, status: 'FAILED' }).success).toBe(false);
    expect(providerWebhookEventSchema.safeParse({ ...event, status: 'COMPLETED', failureCode: 'TIMEOUT' }).success).toBe(false);
    expect(providerWebhookEventSchema.safeParse({ ...event, status: 'FAILED', failureCode: 'NOPE' }).success).toBe(false);
  });
});
