import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { asynchronousFailureCodes, startSandboxProvider, type RunningSandboxProvider, type SandboxPayment } from '../../providers/sandbox/server.ts';
import { verifyWebhook } from '../../providers/webhooks.ts';
import { sleep, startCallbackServer } from './callback-server.ts';

const secret = 'whsec_sandbox_server_test';
const delayMs = 20;

let sandbox: RunningSandboxProvider;
let callback: Awaited<ReturnType<typeof startCallbackServer>>;
let counter = 0;

beforeEach(async () => {
  callback = await startCallbackServer(secret);
  sandbox = await startSandboxProvider({ port: 0, secret, delayMs, webhookBackoffMs: 10 });
});

afterEach(async () => {
  await sandbox.stop();
  await callback.stop();
});

function payoutRequest(overrides: Record<string, unknown> = {}) {
  counter += 1;
  return {
    idempotencyKey: `payout-${counter}:1`,
    payoutId: `payout-${counter}`,
    amount: '125.50',
    currency: 'USD',
    method: 'bank_transfer',
    paymentDetails: { accountName: 'Ada Partner', accountNumber: '000123456789', routingNumber: '021000021' },
    callbackUrl: callback.url,
    ...overrides,
  };
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${sandbox.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> };
}

async function get(path: string) {
  const response = await fetch(`${sandbox.url}${path}`);
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

async function controlLedger(): Promise<SandboxPayment[]> {
  return (await get('/control/ledger')).body.payments as SandboxPayment[];
}

describe('sandbox provider server', () => {
  it('accepts a payout with 202, pays it once after the delay and reports it by a signed webhook', async () => {
    // Long enough a delay to see the payout PENDING first.
    await sandbox.stop();
    sandbox = await startSandboxProvider({ port: 0, secret, delayMs: 300 });
    const request = payoutRequest();
    const accepted = await post('/payouts', request);
    expect(accepted.status).toBe(202);
    expect(accepted.body).toEqual({ providerReference: expect.stringMatching(/^sbx_/), status: 'PENDING' });
    expect((await get(`/payouts/${accepted.body.providerReference}`)).body.status).toBe('PENDING');

    const [webhook] = await callback.waitFor(1);
    expect(webhook!.verificationError).toBeNull();
    expect(webhook!.event).toEqual({
      eventId: `evt_${accepted.body.providerReference}`,
      providerReference: accepted.body.providerReference,
      idempotencyKey: request.idempotencyKey,
      payoutId: request.payoutId,
      status: 'COMPLETED',
      occurredAt: expect.any(String),
    });
    expect(await controlLedger()).toEqual([
      expect.objectContaining({ providerReference: accepted.body.providerReference, amount: '125.50', currency: 'USD', payoutId: request.payoutId }),
    ]);
    expect(await get(`/payouts/${accepted.body.providerReference}`)).toMatchObject({ status: 200, body: { status: 'COMPLETED' } });
    expect(await get(`/payouts?idempotencyKey=${encodeURIComponent(request.idempotencyKey)}`)).toMatchObject({
      status: 200,
      body: { status: 'COMPLETED', providerReference: accepted.body.providerReference },
    });
  });

  it('when the same payout is sent again under its key, it answers the same and pays only once', async () => {
    const request = payoutRequest();
    const first = await post('/payouts', request);
    // Again in the body only, again with the key in the header only, and twice at the same moment.
    const { idempotencyKey, ...withoutKey } = request;
    const again = await Promise.all([
      post('/payouts', request),
      post('/payouts', withoutKey, { 'idempotency-key': idempotencyKey }),
      post('/payouts', request, { 'idempotency-key': idempotencyKey }),
      post('/payouts', request),
    ]);
    for (const replay of again) {
      expect(replay.status).toBe(202);
      expect(replay.body).toEqual(first.body);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
    }
    await callback.waitFor(1);
    // Resent after completion too: still the first answer, no new payment.
    expect((await post('/payouts', request)).body).toEqual(first.body);
    await sleep(delayMs * 5);

    expect(await controlLedger()).toHaveLength(1);
    expect(sandbox.ledger()).toHaveLength(1);
    expect(callback.received()).toHaveLength(1);
  });

  it('refuses a key reused with another body with 409 and pays nothing for it', async () => {
    const request = payoutRequest();
    expect((await post('/payouts', request)).status).toBe(202);
    const conflict = await post('/payouts', { ...request, amount: '999.00' });
    expect(conflict.status).toBe(409);
    expect(conflict.body).toEqual({ error: { code: 'IDEMPOTENCY_CONFLICT', message: expect.any(String), field: 'idempotencyKey' } });
    await callback.waitFor(1);
    await sleep(delayMs * 3);
    expect((await controlLedger()).map((payment) => payment.amount)).toEqual(['125.50']);
  });

  it('refuses a key in the header that differs from the body, and a request without any key', async () => {
    const request = payoutRequest();
    const differing = await post('/payouts', request, { 'idempotency-key': 'something-else' });
    expect(differing).toMatchObject({ status: 400, body: { error: { field: 'idempotencyKey' } } });
    const { idempotencyKey: _, ...withoutKey } = request;
    expect(await post('/payouts', withoutKey)).toMatchObject({ status: 400, body: { error: { field: 'idempotencyKey' } } });
  });

  it('refuses a malformed request with 400 naming the field, and remembers nothing under its key', async () => {
    const request = payoutRequest();
    expect(await post('/payouts', { ...request, amount: 12.5 })).toMatchObject({ status: 400, body: { error: { code: 'INVALID_REQUEST', field: 'amount' } } });
    expect(await post('/payouts', { ...request, callbackUrl: 'not a url' })).toMatchObject({ status: 400, body: { error: { field: 'callbackUrl' } } });
    expect((await post('/payouts', request)).status).toBe(202);
  });

  it.each(asynchronousFailureCodes)('a payout whose details contain FAIL_%s fails by a signed webhook with that code and pays nothing', async (code) => {
    const paymentDetails =
      code === 'NAME_MISMATCH' || code === 'PROVIDER_ERROR'
        ? { walletAddress: `0xabc-FAIL_${code}` }
        : { accountName: 'Ada Partner', accountNumber: `1234-FAIL_${code}` };
    const accepted = await post('/payouts', payoutRequest({ method: 'crypto', paymentDetails }));
    expect(accepted.status).toBe(202);

    const [webhook] = await callback.waitFor(1);
    expect(() => verifyWebhook({ rawBody: webhook!.rawBody, header: webhook!.signatureHeader, secret })).not.toThrow();
    expect(webhook!.event).toMatchObject({ providerReference: accepted.body.providerReference, status: 'FAILED', failureCode: code, message: expect.any(String) });
    expect((await get(`/payouts/${accepted.body.providerReference}`)).body).toMatchObject({ status: 'FAILED', failureCode: code });
    expect(await controlLedger()).toEqual([]);
  });

  it.each([
    ['INVALID_ACCOUNT', 422],
    ['ACCOUNT_CLOSED', 422],
    ['NAME_MISMATCH', 422],
    ['LIMIT_EXCEEDED', 429],
  ])('a payout whose details contain REJECT_%s is refused at once with %i, the same on a resend', async (code, status) => {
    const request = payoutRequest({ paymentDetails: { accountNumber: `REJECT_${code}` } });
    const refused = await post('/payouts', request);
    expect(refused).toMatchObject({ status, body: { error: { code } } });
    const again = await post('/payouts', request);
    expect(again).toMatchObject({ status, body: refused.body });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    await sleep(delayMs * 3);
    expect(callback.received()).toEqual([]);
    expect(await controlLedger()).toEqual([]);
  });

  it('when the callback refuses a webhook, it is redelivered with backoff until accepted, signed each time', async () => {
    callback.failNext(500, 503, 404);
    const accepted = await post('/payouts', payoutRequest());
    const deliveries = await callback.waitFor(4);
    expect(deliveries.map((delivery) => delivery.answeredStatus)).toEqual([500, 503, 404, 204]);
    for (const delivery of deliveries) {
      expect(delivery.verificationError).toBeNull();
      expect(delivery.event).toMatchObject({ providerReference: accepted.body.providerReference, status: 'COMPLETED', eventId: `evt_${accepted.body.providerReference}` });
    }
    // The sandbox records a delivery once it has read the answer, a moment after the callback sent it.
    await vi.waitFor(() =>
      expect(sandbox.webhookDeliveries().map((delivery) => [delivery.attempt, delivery.responseStatus])).toEqual([
        [1, 500],
        [2, 503],
        [3, 404],
        [4, 204],
      ]),
    );
    await sleep(50);
    expect(callback.received()).toHaveLength(4);
    expect(await controlLedger()).toHaveLength(1);
  });

  it('gives up redelivering after its attempts, and the outcome stays readable by GET', async () => {
    await sandbox.stop();
    sandbox = await startSandboxProvider({ port: 0, secret, delayMs, webhookBackoffMs: 5, webhookAttempts: 3 });
    callback.failNext(500, 500, 500, 500);
    const accepted = await post('/payouts', payoutRequest());
    await callback.waitFor(3);
    await sleep(100);
    expect(callback.received()).toHaveLength(3);
    expect((await get(`/payouts/${accepted.body.providerReference}`)).body.status).toBe('COMPLETED');
  });

  it('an injected 500 before accepting pays nothing; the resend under the same key is accepted', async () => {
    expect(await post('/control/next-response', { status: 500 })).toMatchObject({ status: 200 });
    const request = payoutRequest();
    expect(await post('/payouts', request)).toMatchObject({ status: 500, body: { error: { code: 'PROVIDER_ERROR' } } });
    await sleep(delayMs * 3);
    expect(await controlLedger()).toEqual([]);

    expect((await post('/payouts', request)).status).toBe(202);
    await callback.waitFor(1);
    expect(await controlLedger()).toHaveLength(1);
  });

  it('an injected 500 after accepting loses only the answer: the resend gets the stored answer and nothing is paid twice', async () => {
    await post('/control/next-response', { status: 500, times: 2, afterAccepting: true });
    const request = payoutRequest();
    expect((await post('/payouts', request)).status).toBe(500);
    expect((await post('/payouts', request)).status).toBe(500);
    const third = await post('/payouts', request);
    expect(third.status).toBe(202);
    await callback.waitFor(1);
    await sleep(delayMs * 3);
    expect(await controlLedger()).toEqual([expect.objectContaining({ providerReference: third.body.providerReference })]);
  });

  it('an unknown payout is a 404', async () => {
    expect(await get('/payouts/sbx_unknown')).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(await get('/payouts?idempotencyKey=nope')).toMatchObject({ status: 404 });
  });

  it('refuses a malformed control request naming the field', async () => {
    expect(await post('/control/next-response', { status: 418 })).toMatchObject({ status: 400, body: { error: { field: 'status' } } });
    expect(await post('/control/next-response', { status: 'timeout', times: 0 })).toMatchObject({ status: 400, body: { error: { field: 'times' } } });
  });
});
