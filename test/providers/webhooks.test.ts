import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  parseSignatureHeader,
  parseWebhook,
  signWebhook,
  verifyWebhook,
  WebhookSignatureError,
  type WebhookSignatureErrorCode,
} from '../../providers/webhooks.ts';

const secret = 'whsec_test_1234';
const body = JSON.stringify({
  eventId: 'evt_sbx_1',
  providerReference: 'sbx_1',
  idempotencyKey: 'payout-1:1',
  payoutId: 'payout-1',
  status: 'COMPLETED',
  occurredAt: '2026-01-05T10:00:00.000Z',
});
const now = 1_767_607_200;

function failureCode(run: () => unknown): WebhookSignatureErrorCode | 'none' {
  try {
    run();
    return 'none';
  } catch (error) {
    if (error instanceof WebhookSignatureError) return error.code;
    throw error;
  }
}

describe('webhook signatures', () => {
  it('a body signed with the secret verifies, and the header has the documented shape', () => {
    const header = signWebhook(body, secret, now);
    expect(header).toMatch(/^t=1767607200,v1=[0-9a-f]{64}$/);
    const expected = createHmac('sha256', secret).update(`${now}.${body}`).digest('hex');
    expect(header).toBe(`t=${now},v1=${expected}`);
    expect(verifyWebhook({ rawBody: body, header, secret, nowSeconds: now })).toEqual({ timestampSeconds: now });
    expect(verifyWebhook({ rawBody: Buffer.from(body), header, secret, nowSeconds: now + 299 })).toEqual({ timestampSeconds: now });
  });

  it('parses the verified body as a provider event', () => {
    const event = parseWebhook({ rawBody: body, header: signWebhook(body, secret, now), secret, nowSeconds: now });
    expect(event).toMatchObject({ providerReference: 'sbx_1', status: 'COMPLETED' });
  });

  it('a tampered body does not verify', () => {
    const header = signWebhook(body, secret, now);
    const tampered = body.replace('COMPLETED', 'FAILED');
    expect(failureCode(() => verifyWebhook({ rawBody: tampered, header, secret, nowSeconds: now }))).toBe('MISMATCH');
    // Whitespace counts: the raw bytes are what was signed, not the parsed JSON.
    expect(failureCode(() => verifyWebhook({ rawBody: `${body} `, header, secret, nowSeconds: now }))).toBe('MISMATCH');
  });

  it('a timestamp moved forward to look fresh breaks the signature', () => {
    const header = signWebhook(body, secret, now - 3_600).replace(`t=${now - 3_600}`, `t=${now}`);
    expect(failureCode(() => verifyWebhook({ rawBody: body, header, secret, nowSeconds: now }))).toBe('MISMATCH');
  });

  it('another secret does not verify', () => {
    const header = signWebhook(body, 'another-secret', now);
    expect(failureCode(() => verifyWebhook({ rawBody: body, header, secret, nowSeconds: now }))).toBe('MISMATCH');
  });

  it('a stale timestamp is refused even with a valid signature, and so is one too far in the future', () => {
    const header = signWebhook(body, secret, now - 301);
    expect(failureCode(() => verifyWebhook({ rawBody: body, header, secret, nowSeconds: now }))).toBe('STALE');
    expect(failureCode(() => verifyWebhook({ rawBody: body, header, secret, nowSeconds: now, toleranceSeconds: 600 }))).toBe('none');
    expect(failureCode(() => verifyWebhook({ rawBody: body, header: signWebhook(body, secret, now + 301), secret, nowSeconds: now }))).toBe('STALE');
  });

  it('a missing header is named as such', () => {
    for (const header of [undefined, null, '', '  ']) {
      expect(failureCode(() => verifyWebhook({ rawBody: body, header, secret, nowSeconds: now }))).toBe('MISSING_HEADER');
    }
  });

  it('a malformed header is a format error, not a mismatch', () => {
    const valid = signWebhook(body, secret, now);
    const signature = valid.split('v1=')[1]!;
    for (const header of [
      'garbage',
      `v1=${signature}`,
      `t=${now}`,
      `t=soon,v1=${signature}`,
      `t=${now},v1=${signature.slice(2)}`,
      `t=${now},v1=${'z'.repeat(64)}`,
      `t=${now},t=${now},v1=${signature}`,
    ]) {
      expect(failureCode(() => verifyWebhook({ rawBody: body, header, secret, nowSeconds: now })), header).toBe('BAD_FORMAT');
    }
  });

  it('any one of several v1 signatures may match (secret rotation), and unknown schemes are ignored', () => {
    const old = signWebhook(body, 'old-secret', now).split('v1=')[1]!;
    const current = signWebhook(body, secret, now).split('v1=')[1]!;
    const header = `t=${now}, v1=${old}, v1=${current}, v0=legacy`;
    expect(parseSignatureHeader(header).signatures).toHaveLength(2);
    expect(failureCode(() => verifyWebhook({ rawBody: body, header, secret, nowSeconds: now }))).toBe('none');
  });

  it('refuses to sign or verify with an empty secret', () => {
    expect(() => signWebhook(body, '')).toThrow(RangeError);
    expect(() => verifyWebhook({ rawBody: body, header: signWebhook(body, secret), secret: '' })).toThrow(RangeError);
  });
});
