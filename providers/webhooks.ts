import { createHmac, timingSafeEqual } from 'node:crypto';
import { providerWebhookEventSchema, type ProviderWebhookEvent } from './adapter.ts';

/**
 * Webhook signatures: HMAC-SHA256 with a shared secret over `${timestamp}.${rawBody}`, sent as
 * `X-Sandbox-Signature: t=<unix seconds>,v1=<hex>`. The timestamp is signed too, so an old delivery cannot be
 * replayed with a fresh one; a delivery older (or newer) than the tolerance is refused. Within the window a
 * replay verifies, so receivers also deduplicate by the event's `eventId` (or by payout and status).
 *
 * Verify the raw bytes as received, before any JSON parsing: a re-serialized body need not match.
 */

export const signatureHeaderName = 'X-Sandbox-Signature';
export const defaultToleranceSeconds = 300;

const signatureHexLength = 64;

export type WebhookSignatureErrorCode = 'MISSING_HEADER' | 'BAD_FORMAT' | 'STALE' | 'MISMATCH';

export class WebhookSignatureError extends Error {
  override readonly name = 'WebhookSignatureError';
  constructor(
    readonly code: WebhookSignatureErrorCode,
    message: string,
  ) {
    super(message);
  }
}

type RawBody = string | Uint8Array;

function assertSecret(secret: string) {
  if (secret.length === 0) throw new RangeError('the webhook secret must not be empty');
}

function signatureOf(secret: string, timestampSeconds: number, rawBody: RawBody): Buffer {
  return createHmac('sha256', secret).update(`${timestampSeconds}.`).update(rawBody).digest();
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The header value for a body, signed now (or at the given time). */
export function signWebhook(rawBody: RawBody, secret: string, timestampSeconds = nowSeconds()): string {
  assertSecret(secret);
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
    throw new RangeError(`timestamp must be whole unix seconds, got ${timestampSeconds}`);
  }
  return `t=${timestampSeconds},v1=${signatureOf(secret, timestampSeconds, rawBody).toString('hex')}`;
}

export interface ParsedSignatureHeader {
  timestampSeconds: number;
  /** One or more: a sender rotating its secret may sign with both the old and the new one. */
  signatures: Buffer[];
}

export function parseSignatureHeader(header: string): ParsedSignatureHeader {
  let timestampSeconds: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const separator = part.indexOf('=');
    if (separator <= 0) throw new WebhookSignatureError('BAD_FORMAT', `${signatureHeaderName}: "${part.trim()}" is not key=value`);
    const key = part.slice(0, separator).trim();
    const value = part.slice(separator + 1).trim();
    if (key === 't') {
      if (timestampSeconds !== undefined) throw new WebhookSignatureError('BAD_FORMAT', `${signatureHeaderName}: more than one t=`);
      if (!/^\d{1,12}$/.test(value)) throw new WebhookSignatureError('BAD_FORMAT', `${signatureHeaderName}: t= is not unix seconds`);
      timestampSeconds = Number(value);
    } else if (key === 'v1') {
      if (value.length !== signatureHexLength || !/^[0-9a-f]+$/i.test(value)) {
        throw new WebhookSignatureError('BAD_FORMAT', `${signatureHeaderName}: v1= is not ${signatureHexLength} hex digits`);
      }
      signatures.push(Buffer.from(value, 'hex'));
    }
    // Other schemes (v0, a future v2) are ignored, as senders may add them alongside v1.
  }
  if (timestampSeconds === undefined) throw new WebhookSignatureError('BAD_FORMAT', `${signatureHeaderName}: t= is missing`);
  if (signatures.length === 0) throw new WebhookSignatureError('BAD_FORMAT', `${signatureHeaderName}: v1= is missing`);
  return { timestampSeconds, signatures };
}

export interface VerifyWebhookInput {
  rawBody: RawBody;
  /** The header's value as received; null/undefined when absent. */
  header: string | null | undefined;
  secret: string;
  toleranceSeconds?: number;
  /** The receiver's clock, for tests. */
  nowSeconds?: number;
}

/** Throws a `WebhookSignatureError` unless the body was signed with the secret within the tolerance. */
export function verifyWebhook(input: VerifyWebhookInput): { timestampSeconds: number } {
  assertSecret(input.secret);
  const toleranceSeconds = input.toleranceSeconds ?? defaultToleranceSeconds;
  if (!(toleranceSeconds >= 0)) throw new RangeError(`tolerance must be at least 0 seconds, got ${toleranceSeconds}`);
  if (input.header === null || input.header === undefined || input.header.trim() === '') {
    throw new WebhookSignatureError('MISSING_HEADER', `${signatureHeaderName} header is missing`);
  }
  const { timestampSeconds, signatures } = parseSignatureHeader(input.header);
  const now = input.nowSeconds ?? nowSeconds();
  if (Math.abs(now - timestampSeconds) > toleranceSeconds) {
    throw new WebhookSignatureError(
      'STALE',
      `${signatureHeaderName} timestamp is ${now - timestampSeconds} s from now, beyond the ${toleranceSeconds} s tolerance`,
    );
  }
  const expected = signatureOf(input.secret, timestampSeconds, input.rawBody);
  // Every candidate is compared (no early exit), in constant time for its length, which the parser fixed.
  let matched = false;
  for (const signature of signatures) matched = timingSafeEqual(signature, expected) || matched;
  if (!matched) throw new WebhookSignatureError('MISMATCH', `${signatureHeaderName} does not match the body`);
  return { timestampSeconds };
}

/**
 * Verifies, then parses the body as a provider webhook event. A verified body that is not a valid event throws
 * a `ZodError` (or a `SyntaxError` for invalid JSON): the provider signed something we do not understand.
 */
export function parseWebhook(input: VerifyWebhookInput): ProviderWebhookEvent {
  verifyWebhook(input);
  const text = typeof input.rawBody === 'string' ? input.rawBody : Buffer.from(input.rawBody).toString('utf8');
  return providerWebhookEventSchema.parse(JSON.parse(text));
}
