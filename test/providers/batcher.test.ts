import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProviderRequestRejectedError, type ProviderPayoutRequest } from '../../providers/adapter.ts';
import { BatchingPayoutProvider } from '../../providers/batcher.ts';
import { SandboxProvider } from '../../providers/sandbox/client.ts';
import { startSandboxProvider, type RunningSandboxProvider } from '../../providers/sandbox/server.ts';
import { startCallbackServer } from './callback-server.ts';

/**
 * Payouts sent at about the same time go to the provider as one batch per payment method (docs/rules.md#payout-batches), over the
 * sandbox's real HTTP batch endpoint, and each payout still gets its own answer and keeps its own idempotency key.
 */

const secret = 'whsec_batcher_test';
let sandbox: RunningSandboxProvider;
let callback: Awaited<ReturnType<typeof startCallbackServer>>;
let counter = 0;

beforeEach(async () => {
  callback = await startCallbackServer(secret);
  sandbox = await startSandboxProvider({ port: 0, secret, delayMs: 20, webhookBackoffMs: 10 });
});

afterEach(async () => {
  await sandbox.stop();
  await callback.stop();
});

function request(method: string, details: Record<string, string> = { email: 'ada@example.com' }): ProviderPayoutRequest {
  counter += 1;
  return {
    idempotencyKey: `payout-${counter}:1`,
    payoutId: `payout-${counter}`,
    amount: `${counter}.50`,
    currency: 'USD',
    method,
    paymentDetails: details,
    callbackUrl: callback.url,
  };
}

const batchRequests = () => sandbox.requests().filter((record) => record.path === '/payout-batches');

describe('BatchingPayoutProvider', () => {
  it('sends concurrent payouts as one batch per method, and each payout gets its own answer', async () => {
    const provider = new BatchingPayoutProvider(new SandboxProvider({ baseUrl: sandbox.url }), { maxItems: 100, maxWaitMs: 50 });
    const quick = Array.from({ length: 7 }, () => request('PAYQUICKER'));
    const bank = Array.from({ length: 3 }, () => request('BANK_TRANSFER'));
    const results = await Promise.all([...quick, ...bank].map((item) => provider.send(item)));

    expect(results.every((result) => result.accepted)).toBe(true);
    const references = results.map((result) => (result.accepted ? result.providerReference : ''));
    expect(new Set(references).size).toBe(10);
    expect(batchRequests().map((record) => record.itemKeys).sort((left, right) => left!.length - right!.length)).toEqual([
      bank.map((item) => item.idempotencyKey),
      quick.map((item) => item.idempotencyKey),
    ]);
    // Each answer is the one for its own key.
    for (const [index, item] of [...quick, ...bank].entries()) {
      expect(await provider.status({ idempotencyKey: item.idempotencyKey })).toMatchObject({ providerReference: references[index], payoutId: item.payoutId });
    }
  });

  it('sends a batch as soon as it is full, without waiting for the window', async () => {
    const provider = new BatchingPayoutProvider(new SandboxProvider({ baseUrl: sandbox.url }), { maxItems: 4, maxWaitMs: 60_000 });
    const results = await Promise.all(Array.from({ length: 8 }, () => provider.send(request('PAYQUICKER'))));
    expect(results.every((result) => result.accepted)).toBe(true);
    expect(batchRequests().map((record) => record.itemKeys!.length)).toEqual([4, 4]);
  });

  it('fails only the payout the provider refuses; the others of its batch are accepted', async () => {
    const provider = new BatchingPayoutProvider(new SandboxProvider({ baseUrl: sandbox.url }), { maxItems: 100, maxWaitMs: 20 });
    const closed = request('PAYQUICKER', { email: 'REJECT_ACCOUNT_CLOSED@example.com' });
    const conflicting = request('PAYQUICKER');
    // The conflicting key was used before with another body: a 409 for that item only (our bug, thrown).
    await provider.send({ ...conflicting, amount: '999.00' });
    const good = request('PAYQUICKER');
    const outcomes = await Promise.allSettled([provider.send(closed), provider.send(conflicting), provider.send(good)]);
    expect(outcomes[0]).toMatchObject({ status: 'fulfilled', value: { accepted: false, failureCode: 'ACCOUNT_CLOSED' } });
    expect(outcomes[1]).toMatchObject({ status: 'rejected', reason: expect.any(ProviderRequestRejectedError) });
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ httpStatus: 409, code: 'IDEMPOTENCY_CONFLICT' });
    expect(outcomes[2]).toMatchObject({ status: 'fulfilled', value: { accepted: true } });
  });

  it('a batch whose answer is lost was still paid once: resending the same keys pays nothing again', async () => {
    const provider = new BatchingPayoutProvider(new SandboxProvider({ baseUrl: sandbox.url, timeoutMs: 200 }), { maxItems: 100, maxWaitMs: 20 });
    const response = await fetch(`${sandbox.url}/control/next-response`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 500, afterAccepting: true }),
    });
    expect(response.status).toBe(200);
    const items = Array.from({ length: 3 }, () => request('PAYQUICKER'));
    const first = await Promise.all(items.map((item) => provider.send(item)));
    expect(first.every((result) => !result.accepted && result.failureCode === 'PROVIDER_ERROR')).toBe(true);

    // The status question (batched too) finds them; a resend under the same keys is answered as before.
    const statuses = await Promise.all(items.map((item) => provider.status({ idempotencyKey: item.idempotencyKey })));
    expect(statuses.every((status) => status.status === 'PENDING' || status.status === 'COMPLETED')).toBe(true);
    const again = await Promise.all(items.map((item) => provider.send(item)));
    expect(again.every((result) => result.accepted)).toBe(true);
    await expect.poll(() => sandbox.ledger().length, { timeout: 2_000 }).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sandbox.ledger().map((payment) => payment.idempotencyKey).sort()).toEqual(items.map((item) => item.idempotencyKey).sort());
    expect(sandbox.requests().filter((record) => record.path === '/payouts/status-query')).toHaveLength(1);
  });

  it('refuses settings outside 1..500 items', () => {
    const inner = new SandboxProvider({ baseUrl: sandbox.url });
    expect(() => new BatchingPayoutProvider(inner, { maxItems: 0, maxWaitMs: 10 })).toThrow(RangeError);
    expect(() => new BatchingPayoutProvider(inner, { maxItems: 501, maxWaitMs: 10 })).toThrow(RangeError);
    expect(() => new BatchingPayoutProvider(inner, { maxItems: 10, maxWaitMs: -1 })).toThrow(RangeError);
  });
});
