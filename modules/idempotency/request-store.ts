import { sql } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';

const storedRow = z.object({ request_hash: z.instanceof(Buffer), status_code: z.number().nullable(), response: z.unknown() });

/** What the store knows of a (user, key) pair when a request claims it. */
export type RequestClaim =
  | { outcome: 'claimed' }
  | { outcome: 'reused' } // the key was used with another request
  | { outcome: 'in_progress' } // the first request with this key has not answered yet
  | { outcome: 'answered'; status: number; body: unknown };

/**
 * The `api_idempotency` table: one row per (user, Idempotency-Key) with a hash of the request and, once it has
 * answered, its answer. The HTTP adapter (api/idempotency.ts) decides what each outcome means for a client.
 */
export class RequestIdempotencyStore {
  constructor(private readonly database: Database) {}

  async claim(userId: string, key: string, requestHash: Buffer): Promise<RequestClaim> {
    const claimed = await this.database.query(sql.unsafe`
      INSERT INTO api_idempotency (user_id, key, request_hash) VALUES (${userId}, ${key}, ${sql.binary(requestHash)})
      ON CONFLICT (user_id, key) DO NOTHING`);
    if (claimed.rowCount === 1) return { outcome: 'claimed' };
    const stored = await this.database.one(sql.type(storedRow)`
      SELECT request_hash, status_code, response FROM api_idempotency WHERE user_id = ${userId} AND key = ${key}`);
    if (!stored.request_hash.equals(requestHash)) return { outcome: 'reused' };
    if (stored.status_code === null) return { outcome: 'in_progress' };
    return { outcome: 'answered', status: stored.status_code, body: stored.response };
  }

  /** Frees the key: the request changed nothing, so a corrected retry may use it. */
  async release(userId: string, key: string): Promise<void> {
    await this.database.query(sql.unsafe`DELETE FROM api_idempotency WHERE user_id = ${userId} AND key = ${key}`);
  }

  async recordAnswer(userId: string, key: string, status: number, body: unknown): Promise<void> {
    await this.database.query(sql.unsafe`
      UPDATE api_idempotency SET status_code = ${status}, response = ${sql.jsonb(body as never)}
      WHERE user_id = ${userId} AND key = ${key}`);
  }
}
