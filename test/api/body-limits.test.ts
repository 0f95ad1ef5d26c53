import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyLimits } from '../../api/app.ts';
import { bodyLimitFor, defaultBodyLimitBytes, mebibyte } from '../../api/body-limit.ts';
import { signatureHeaderName, signWebhook } from '../../providers/webhooks.ts';
import { createApiHarness, errorOf, type ApiHarness } from '../helpers/api.ts';
import { serve, type ServedApp } from '../helpers/http.ts';

/**
 * Request body limits (issue #16, "Inputs"): 1 MiB unless api/app.ts gives a route more (the bulk routes, documents)
 * or less (the webhooks); a body over its limit is answered 413 naming `body` before it is read, ahead of the session
 * check and of a webhook's signature check.
 */

const secret = 'whsec_body_limits_test';
let api: ApiHarness;
let served: ServedApp;

beforeAll(async () => {
  api = await createApiHarness({ providerWebhookSecret: secret });
  served = await serve((request) => api.app.fetch(request));
});

afterAll(async () => {
  await served?.close();
  await api?.close();
});

/** A JSON text of exactly `bytes` bytes: an object with one string of padding. */
function jsonOfSize(bytes: number): string {
  const frame = '{"padding":""}';
  return `{"padding":"${'x'.repeat(bytes - frame.length)}"}`;
}

/** The worst legitimate bulk of events: 5,000, every field at its longest, indented as a person's script might. */
function largestEventBulk(): string {
  const text = (length: number) => 'x'.repeat(length);
  const event = {
    externalId: text(128), kind: 'PORTFOLIO_YIELD', sourceId: text(128), partnerId: text(64), customerId: text(128), repeatPurchase: false,
    completedAt: '2026-12-06T06:49:08.591123456+05:30', amount: '999999999999999999.999999999999999999', currency: 'USD',
    yieldRate: '999999999999999999.999999999999999999',
  };
  return JSON.stringify({ events: Array.from({ length: 5_000 }, () => event) }, null, 2);
}

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  api.app.request(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('the global limit', () => {
  it('refuses a body of 1 MiB and a byte with 413 naming `body`, before the session check; 1 MiB itself gets through to it', async () => {
    const over = await post('/v1/partners', jsonOfSize(defaultBodyLimitBytes + 1));
    expect(over.status).toBe(413);
    expect(await errorOf(over)).toMatchObject({ code: 'body_too_large', field: 'body' });
    const at = await post('/v1/partners', jsonOfSize(defaultBodyLimitBytes));
    expect(at.status).toBe(401);
  });

  it('holds over real HTTP, where the Content-Length says the size before any byte is read', async () => {
    const over = await fetch(`${served.url}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: jsonOfSize(2 * mebibyte) });
    expect(over.status).toBe(413);
    expect(await errorOf(over)).toMatchObject({ code: 'body_too_large', field: 'body' });
  });
});

describe('per-route limits', () => {
  it('let the largest legitimate bulk of 5,000 events through to POST /v1/events/bulk, and nowhere else', async () => {
    const bulk = largestEventBulk();
    expect(bulk.length).toBeGreaterThan(defaultBodyLimitBytes);
    expect((await post('/v1/events/bulk', bulk)).status).toBe(401);
    expect((await post('/v1/partners', bulk)).status).toBe(413);
  });

  it.each(bodyLimits.map((rule) => [`${rule.method} ${rule.path}`, rule] as const))('%s takes exactly its limit', async (_, rule) => {
    const path = rule.path.replaceAll(/:\w+/g, '00000000-0000-4000-8000-000000000001');
    expect(bodyLimitFor(bodyLimits, rule.method, path)).toBe(rule.bytes);
    const at = await api.app.request(path, { method: rule.method, headers: { 'content-type': 'application/json' }, body: jsonOfSize(rule.bytes) });
    expect(at.status).not.toBe(413);
    const over = await api.app.request(path, { method: rule.method, headers: { 'content-type': 'application/json' }, body: jsonOfSize(rule.bytes + 1) });
    expect(over.status).toBe(413);
    expect(await errorOf(over)).toMatchObject({ code: 'body_too_large', field: 'body' });
  });
});

describe('webhooks', () => {
  it('a signed provider webhook over 64 KiB is refused with 413, not verified and processed', async () => {
    const body = JSON.stringify({ eventId: 'evt_big', padding: 'x'.repeat(100 * 1024) });
    const response = await post('/v1/webhooks/provider', body, { [signatureHeaderName]: signWebhook(body, secret) });
    expect(response.status).toBe(413);
    expect(await errorOf(response)).toMatchObject({ code: 'body_too_large', field: 'body' });
  });

  it.each(['/v1/webhooks/provider', '/v1/webhooks/chargebacks'])('%s stops reading a body without a length once it passes the limit', async (path) => {
    // 64 MiB offered in chunks of 16 KiB, made only as the server reads them: reading it whole would pull every one.
    const chunk = new Uint8Array(16 * 1024).fill(0x78);
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= 64 * mebibyte) return controller.close();
        pulled += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const request = new Request(`http://localhost${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [signatureHeaderName]: 't=1,v1=00' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    const response = await api.app.request(request);
    expect(response.status).toBe(413);
    expect(pulled).toBeLessThan(mebibyte);
  });
});
