import { createHash } from 'node:crypto';
import type { Database } from '../db/pool.ts';
import { isDatabaseUnavailable } from '../db/unavailable.ts';
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
  const key = request.key;
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
    await writeNowOrWhenBack(() => store.release(request.userId, key));
    throw error;
  }
  await writeNowOrWhenBack(() => store.recordAnswer(request.userId, key, result.status, result.body));
  return { ...result, replayed: false };
}

/** How long an answer or a release the database could not take is tried again, in the background. */
const retryWindowMs = 15 * 60_000;

/**
 * Writes the key's answer (or releases it) now; when PostgreSQL is away — killed or restarting between the claim
 * and this write — writes it again in the background until it is back, instead of failing the request and leaving
 * the key "in progress" for ever (every retry with it a 409, the client never told what became of its request).
 * Meanwhile a retry gets 409 `request_in_progress`, then the answer, or a fresh run after a release. Found by the
 * fault-injection run (bench/faults.ts); docs/decisions.md, "The fault-injection run".
 */
async function writeNowOrWhenBack(write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (error) {
    if (!isDatabaseUnavailable(error)) throw error;
    void retryInBackground(write);
  }
}

async function retryInBackground(write: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + retryWindowMs;
  for (let delayMs = 250; Date.now() < deadline; delayMs = Math.min(delayMs * 2, 5_000)) {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    try {
      await write();
      return;
    } catch (error) {
      if (!isDatabaseUnavailable(error)) {
        console.error('idempotency: writing a key after the database came back failed', error);
        return;
      }
    }
  }
  console.error(`idempotency: the database was away for more than ${retryWindowMs / 60_000} min; a key stays in progress`);
}
