import { createHash } from 'node:crypto';
import type { Database } from '../db/pool.ts';
import { RequestIdempotencyStore } from '../modules/idempotency/request-store.ts';
import { ApiError } from './errors.ts';

export interface IdempotentResult {
  status: number;
  body: unknown;
  replayed: boolean;
}

/**
 * Runs a money-moving POST at most once per (user, Idempotency-Key). The same key with the same request
 * returns the first response; with another request it is refused (422); while the first is still running
 * the second gets 409. Only successful responses are kept: a refusal changed nothing, so the client may
 * correct the request and retry with the same key.
 */
export async function runIdempotent(
  database: Database,
  request: { userId: string; key: string | undefined; fingerprint: unknown },
  handler: () => Promise<{ status: number; body: unknown }>,
): Promise<IdempotentResult> {
  if (request.key === undefined) return { ...(await handler()), replayed: false };
  if (!/^[\x21-\x7e]{1,200}$/.test(request.key)) {
    throw new ApiError(400, 'invalid_request', 'Idempotency-Key must be 1 to 200 visible ASCII characters', 'Idempotency-Key');
  }
  const hash = createHash('sha256').update(JSON.stringify(request.fingerprint)).digest();
  const store = new RequestIdempotencyStore(database);
  const claim = await store.claim(request.userId, request.key, hash);
  if (claim.outcome === 'reused') {
    throw new ApiError(422, 'idempotency_key_reused', 'this Idempotency-Key was used with a different request', 'Idempotency-Key');
  }
  if (claim.outcome === 'in_progress') {
    throw new ApiError(409, 'request_in_progress', 'a request with this Idempotency-Key is still being processed', 'Idempotency-Key');
  }
  if (claim.outcome === 'answered') return { status: claim.status, body: claim.body, replayed: true };
  let result: { status: number; body: unknown };
  try {
    result = await handler();
  } catch (error) {
    // A refused or failed request changed nothing: release the key so a corrected retry can use it.
    await store.release(request.userId, request.key);
    throw error;
  }
  await store.recordAnswer(request.userId, request.key, result.status, result.body);
  return { ...result, replayed: false };
}
