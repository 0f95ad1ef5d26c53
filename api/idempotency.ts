import { createHash } from 'node:crypto';
import { sql } from 'slonik';
import { z } from 'zod';
import type { Database } from '../db/pool.ts';
import { ApiError } from './errors.ts';

const storedRow = z.object({ request_hash: z.instanceof(Buffer), status_code: z.number().nullable(), response: z.unknown() });

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
  const claimed = await database.query(sql.unsafe`
    INSERT INTO api_idempotency (user_id, key, request_hash) VALUES (${request.userId}, ${request.key}, ${sql.binary(hash)})
    ON CONFLICT (user_id, key) DO NOTHING`);
  if (claimed.rowCount === 0) {
    const stored = await database.one(sql.type(storedRow)`
      SELECT request_hash, status_code, response FROM api_idempotency WHERE user_id = ${request.userId} AND key = ${request.key}`);
    if (!stored.request_hash.equals(hash)) {
      throw new ApiError(422, 'idempotency_key_reused', 'this Idempotency-Key was used with a different request', 'Idempotency-Key');
    }
    if (stored.status_code === null) {
      throw new ApiError(409, 'request_in_progress', 'a request with this Idempotency-Key is still being processed', 'Idempotency-Key');
    }
    return { status: stored.status_code, body: stored.response, replayed: true };
  }
  let result: { status: number; body: unknown };
  try {
    result = await handler();
  } catch (error) {
    // A refused or failed request changed nothing: release the key so a corrected retry can use it.
    await database.query(sql.unsafe`DELETE FROM api_idempotency WHERE user_id = ${request.userId} AND key = ${request.key}`);
    throw error;
  }
  await database.query(sql.unsafe`
    UPDATE api_idempotency SET status_code = ${result.status}, response = ${sql.jsonb(result.body as never)}
    WHERE user_id = ${request.userId} AND key = ${request.key}`);
  return { ...result, replayed: false };
}
