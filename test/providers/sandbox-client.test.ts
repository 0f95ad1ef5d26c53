import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProviderRequestRejectedError, ProviderUnavailableError, type ProviderPayoutRequest } from '../../providers/adapter.ts';
import { SandboxProvider } from '../../providers/sandbox/client.ts';
import { startSandboxProvider, type RunningSandboxProvider } from '../../providers/sandbox/server.ts';
import { sleep, startCallbackServer } from './callback-server.ts';

const secret = 'whsec_sandbox_client_test';
const delayMs = 20;
const clientTimeoutMs = 150;

let sandbox: RunningSandboxProvider;
let callback: Awaited<ReturnType<typeof startCallbackServer>>;
let provider: SandboxProvider;
let counter = 0;

beforeEach(async () => {
  callback = await startCallbackServer(secret);
  sandbox = await startSandboxProvider({ port: 0, secret, delayMs, webhookBackoffMs: 10 });
  provider = new SandboxProvider({ baseUrl: sandbox.url, timeoutMs: clientTimeoutMs });
});

afterEach(async () => {
  await sandbox.stop();
  await callback.stop();
});

function payoutRequest(paymentDetails: Record<string, string> = { accountName: 'Ada Partner', accountNumber: '000123456789' }): ProviderPayoutRequest {
  counter += 1;
  return {
    idempotencyKey: `payout-${counter}:1`,
    payoutId: `payout-${counter}`,
    amount: '310.00',
    currency: 'EUR',
    method: 'bank_transfer',
    paymentDetails,
    callbackUrl: callback.url,
  };
}

async function injectNextResponse(body: unknown) {
  const response = await fetch(`${sandbox.url}/control/next-response`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
}

describe('SandboxProvider (the adapter over HTTP)', () => {
  it('sends a payout, which is accepted, and follows it to COMPLETED', async () => {
    // Long enough a delay to see the payout PENDING first.
    await sandbox.stop();
    sandbox = await startSandboxProvider({ port: 0, secret, delayMs: 300 });
    provider = new SandboxProvider({ baseUrl: sandbox.url, timeoutMs: clientTimeoutMs });
    const request = payoutRequest();
    const result = await provider.send(request);
    expect(result).toEqual({ accepted: true, providerReference: expect.stringMatching(/^sbx_/) });
    if (!result.accepted) throw new Error('unreachable');

    expect(await provider.status({ providerReference: result.providerReference })).toMatchObject({ status: 'PENDING' });
    await callback.waitFor(1);
    expect(await provider.status({ providerReference: result.providerReference })).toEqual({
      status: 'COMPLETED',
      providerReference: result.providerReference,
      idempotencyKey: request.idempotencyKey,
      payoutId: request.payoutId,
    });
    expect(await provider.status({ idempotencyKey: request.idempotencyKey })).toMatchObject({ status: 'COMPLETED', providerReference: result.providerReference });
    expect(await provider.status({ idempotencyKey: 'never-sent:1' })).toEqual({ status: 'NOT_FOUND' });
  });

  it('a resend of the same request returns the same reference and pays once', async () => {
    const request = payoutRequest();
    const [first, second] = await Promise.all([provider.send(request), provider.send(request)]);
    expect(second).toEqual(first);
    await callback.waitFor(1);
    await sleep(delayMs * 3);
    expect(sandbox.ledger()).toHaveLength(1);
  });

  it('maps a 500 to PROVIDER_ERROR (retryable), and the retry under the same key succeeds', async () => {
    await injectNextResponse({ status: 500 });
    const request = payoutRequest();
    expect(await provider.send(request)).toEqual({ accepted: false, failureCode: 'PROVIDER_ERROR', message: expect.stringContaining('500') });
    expect(sandbox.ledger()).toEqual([]);
    expect(await provider.send(request)).toMatchObject({ accepted: true });
  });

  it('maps no answer within its timeout to TIMEOUT without waiting for the provider', async () => {
    await injectNextResponse({ status: 'timeout' });
    const startedAt = Date.now();
    expect(await provider.send(payoutRequest())).toEqual({ accepted: false, failureCode: 'TIMEOUT', message: expect.stringContaining(`${clientTimeoutMs} ms`) });
    expect(Date.now() - startedAt).toBeLessThan(clientTimeoutMs + 1_000);
    expect(sandbox.ledger()).toEqual([]);
  });

  it('when the provider accepted but the answer timed out, the retry under the same key gets the payout and nothing is paid twice', async () => {
    await injectNextResponse({ status: 'timeout', afterAccepting: true });
    const request = payoutRequest();
    expect(await provider.send(request)).toMatchObject({ accepted: false, failureCode: 'TIMEOUT' });
    // What the workflow should do before a new attempt: ask what became of the old key.
    expect(await provider.status({ idempotencyKey: request.idempotencyKey })).toMatchObject({ status: expect.stringMatching(/PENDING|COMPLETED/) });
    const retried = await provider.send(request);
    expect(retried).toMatchObject({ accepted: true });
    await callback.waitFor(1);
    await sleep(delayMs * 3);
    expect(sandbox.ledger()).toHaveLength(1);
    if (retried.accepted) expect(sandbox.ledger()[0]!.providerReference).toBe(retried.providerReference);
  });

  it.each([
    ['INVALID_ACCOUNT'],
    ['ACCOUNT_CLOSED'],
    ['NAME_MISMATCH'],
    ['LIMIT_EXCEEDED'],
  ] as const)('maps a synchronous refusal (REJECT_%s) to that failure code', async (code) => {
    expect(await provider.send(payoutRequest({ accountNumber: `REJECT_${code}` }))).toEqual({ accepted: false, failureCode: code, message: expect.any(String) });
  });

  it('reports an asynchronous failure through status with its code', async () => {
    const result = await provider.send(payoutRequest({ walletAddress: 'bc1-FAIL_ACCOUNT_CLOSED' }));
    if (!result.accepted) throw new Error(`not accepted: ${result.failureCode}`);
    await callback.waitFor(1);
    expect(await provider.status({ providerReference: result.providerReference })).toMatchObject({ status: 'FAILED', failureCode: 'ACCOUNT_CLOSED' });
  });

  it('throws for a key reused with another body: a bug on our side, not a failure of the partner account', async () => {
    const request = payoutRequest();
    await provider.send(request);
    const sending = provider.send({ ...request, amount: '311.00' });
    await expect(sending).rejects.toBeInstanceOf(ProviderRequestRejectedError);
    await expect(sending).rejects.toMatchObject({ httpStatus: 409, code: 'IDEMPOTENCY_CONFLICT' });
  });

  it('refuses to send a malformed request at all', async () => {
    await expect(provider.send({ ...payoutRequest(), amount: '-5.00' })).rejects.toThrow(/amount/);
    expect(sandbox.requests()).toEqual([]);
  });

  it('maps an unreachable provider to PROVIDER_ERROR, and a status query to a retryable error', async () => {
    const unused = createServer();
    await new Promise<void>((resolve) => unused.listen(0, '127.0.0.1', resolve));
    const { port } = unused.address() as AddressInfo;
    await new Promise<void>((resolve) => unused.close(() => resolve()));
    const nowhere = new SandboxProvider({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: clientTimeoutMs });

    expect(await nowhere.send(payoutRequest())).toMatchObject({ accepted: false, failureCode: 'PROVIDER_ERROR', message: expect.stringContaining('unreachable') });
    await expect(nowhere.status({ providerReference: 'sbx_1' })).rejects.toBeInstanceOf(ProviderUnavailableError);
  });
});
