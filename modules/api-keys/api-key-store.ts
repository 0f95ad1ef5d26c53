import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import { can, type UserRole } from '../../domain/access.ts';
import {
  apiKeyIdPattern,
  apiKeyNamePattern,
  apiKeyRateLimit,
  apiKeyScopes,
  formatApiKey,
  isApiKeyScope,
  parseApiKey,
  refillBucket,
  secondsUntilNextCall,
  type ApiKeyScope,
} from '../../domain/api-keys.ts';
import { DomainError } from '../../domain/errors.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';

/**
 * API keys for machines (docs/rules.md#api-keys). A key is `lf_<id>_<secret>`; the table keeps the id and the
 * SHA-256 of the secret, never the secret (docs/decisions.md, "API keys": why a fast hash is right for a 256-bit
 * random secret). Creating and revoking are audited (API_KEY_CREATE, API_KEY_REVOKE); every call made with a key
 * is written to api_key_calls; the rate limit is a token bucket kept on the key's row, so every API process
 * shares it.
 */

export interface ApiKeySummary {
  id: string;
  name: string;
  scopes: ApiKeyScope[];
  requestsPerMinute: number;
  createdBy: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedBy: string | null;
  revokedAt: Date | null;
}

/** The machine behind a key, as the API sees it after the key was checked. */
export interface ApiKeyPrincipal {
  id: string;
  name: string;
  scopes: ApiKeyScope[];
}

export type ApiKeyAuthentication =
  | { outcome: 'authenticated'; key: ApiKeyPrincipal }
  | { outcome: 'rate_limited'; key: ApiKeyPrincipal; retryAfterSeconds: number }
  | { outcome: 'refused' };

const summaryRow = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(z.string()),
  requests_per_minute: z.number(),
  created_by: z.string(),
  created_at: z.date(),
  last_used_at: z.date().nullable(),
  revoked_by: z.string().nullable(),
  revoked_at: z.date().nullable(),
});
const bucketRow = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(z.string()),
  secret_hash: z.instanceof(Buffer),
  requests_per_minute: z.number(),
  bucket_tokens: z.number(),
  bucket_refilled_at: z.date(),
  revoked: z.boolean(),
});

const summaryColumns = sql.fragment`id, name, scopes, requests_per_minute, created_by, created_at, last_used_at, revoked_by, revoked_at`;

function toSummary(row: z.infer<typeof summaryRow>): ApiKeySummary {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes.filter(isApiKeyScope),
    requestsPerMinute: row.requests_per_minute,
    createdBy: row.created_by,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedBy: row.revoked_by,
    revokedAt: row.revoked_at,
  };
}

function secretHash(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

export interface CreateApiKeyInput {
  name: string;
  scopes: readonly string[];
  requestsPerMinute?: number;
  /** A user id, or `system:cli`. */
  actor: string;
  /** The creator's role when a person creates the key: a key never gets a scope whose permissions the role lacks. */
  creatorRole?: UserRole;
  ip?: string | null;
}

/** Checks the input, stores the key's hash and audits API_KEY_CREATE; the returned `key` is never readable again. */
export async function createApiKey(database: Database, input: CreateApiKeyInput, now = new Date()): Promise<ApiKeySummary & { key: string }> {
  const name = input.name.trim();
  if (!apiKeyNamePattern.test(name)) {
    throw new DomainError('invalid', 'invalid_request', 'a key name is 1 to 100 letters, digits, spaces and ._:/()-', 'name');
  }
  if (input.scopes.length === 0) throw new DomainError('invalid', 'invalid_request', 'a key needs at least one scope', 'scopes');
  for (const [index, scope] of input.scopes.entries()) {
    if (!isApiKeyScope(scope)) {
      throw new DomainError('invalid', 'invalid_request', `unknown scope "${scope}"; the scopes are ${Object.keys(apiKeyScopes).join(', ')}`, `scopes.${index}`);
    }
    if (input.creatorRole && !apiKeyScopes[scope].permissions.every((permission) => can(input.creatorRole!, permission))) {
      throw new DomainError('forbidden', 'forbidden', `role ${input.creatorRole} may not grant the scope ${scope}`, `scopes.${index}`);
    }
  }
  const scopes = [...new Set(input.scopes as ApiKeyScope[])].sort();
  const requestsPerMinute = input.requestsPerMinute ?? apiKeyRateLimit.defaultRequestsPerMinute;
  if (!Number.isInteger(requestsPerMinute) || requestsPerMinute < apiKeyRateLimit.minimumRequestsPerMinute || requestsPerMinute > apiKeyRateLimit.maximumRequestsPerMinute) {
    throw new DomainError('invalid', 'invalid_request', `requests per minute is a whole number from ${apiKeyRateLimit.minimumRequestsPerMinute} to ${apiKeyRateLimit.maximumRequestsPerMinute}`, 'requestsPerMinute');
  }
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const key = formatApiKey(id, secret);
  const row = await database.transaction(async (transaction) => {
    const inserted = await transaction.one(sql.type(summaryRow)`
      INSERT INTO api_keys (id, name, scopes, secret_hash, requests_per_minute, bucket_tokens, bucket_refilled_at, created_by, created_at)
      VALUES (${id}, ${name}, ${sql.array(scopes, 'text')}, ${sql.binary(secretHash(secret))}, ${requestsPerMinute},
              ${requestsPerMinute}, ${sql.timestamp(now)}, ${input.actor}, ${sql.timestamp(now)})
      RETURNING ${summaryColumns}`);
    await appendAuditRecord(transaction, {
      action: 'API_KEY_CREATE',
      actor: input.actor,
      targetType: 'api_key',
      targetId: id,
      ip: input.ip ?? null,
      details: { name, scopes, requestsPerMinute },
    });
    return inserted;
  });
  return { ...toSummary(row), key };
}

/** Every key, newest first, with its last use and revocation; never a secret or its hash. */
export async function listApiKeys(connection: CommonQueryMethods): Promise<ApiKeySummary[]> {
  const rows = await connection.any(sql.type(summaryRow)`SELECT ${summaryColumns} FROM api_keys ORDER BY created_at DESC, id`);
  return rows.map(toSummary);
}

export async function findApiKey(connection: CommonQueryMethods, id: string): Promise<ApiKeySummary | null> {
  if (!apiKeyIdPattern.test(id)) return null;
  const row = await connection.maybeOne(sql.type(summaryRow)`SELECT ${summaryColumns} FROM api_keys WHERE id = ${id}`);
  return row ? toSummary(row) : null;
}

/**
 * Revokes a key at once: its next call is a 401. Revoking a revoked key changes nothing and writes no second
 * record (`changed: false`), so a retried revocation is harmless.
 */
export async function revokeApiKey(database: Database, input: { id: string; actor: string; ip?: string | null }, now = new Date()): Promise<ApiKeySummary & { changed: boolean }> {
  if (!apiKeyIdPattern.test(input.id)) throw new DomainError('not_found', 'not_found', `no API key ${input.id}`, 'id');
  return database.transaction(async (transaction) => {
    const revoked = await transaction.maybeOne(sql.type(summaryRow)`
      UPDATE api_keys SET revoked_at = ${sql.timestamp(now)}, revoked_by = ${input.actor}
      WHERE id = ${input.id} AND revoked_at IS NULL
      RETURNING ${summaryColumns}`);
    if (!revoked) {
      const existing = await findApiKey(transaction, input.id);
      if (!existing) throw new DomainError('not_found', 'not_found', `no API key ${input.id}`, 'id');
      return { ...existing, changed: false };
    }
    await appendAuditRecord(transaction, {
      action: 'API_KEY_REVOKE',
      actor: input.actor,
      targetType: 'api_key',
      targetId: input.id,
      ip: input.ip ?? null,
      details: { name: revoked.name, scopes: revoked.scopes },
    });
    return { ...toSummary(revoked), changed: true };
  });
}

/**
 * Checks a presented key and takes one call from its bucket, in one transaction that locks the key's row (two
 * API processes never both spend the last call). A wrong secret, an unknown id and a revoked key are all
 * `refused`, and touch nothing: only the holder of the secret can spend a key's calls. A call refused for the
 * rate limit does not count as a use.
 */
export async function authenticateApiKey(database: Database, presented: string, now = new Date()): Promise<ApiKeyAuthentication> {
  const parsed = parseApiKey(presented);
  if (!parsed) return { outcome: 'refused' };
  return database.transaction(async (transaction) => {
    const row = await transaction.maybeOne(sql.type(bucketRow)`
      SELECT id, name, scopes, secret_hash, requests_per_minute, bucket_tokens, bucket_refilled_at, revoked_at IS NOT NULL AS revoked
      FROM api_keys WHERE id = ${parsed.id} FOR UPDATE`);
    if (!row || row.revoked || !timingSafeEqual(row.secret_hash, secretHash(parsed.secret))) return { outcome: 'refused' };
    const key: ApiKeyPrincipal = { id: row.id, name: row.name, scopes: row.scopes.filter(isApiKeyScope) };
    const tokens = refillBucket(row.bucket_tokens, now.getTime() - row.bucket_refilled_at.getTime(), row.requests_per_minute);
    if (tokens < 1) {
      await transaction.query(sql.unsafe`
        UPDATE api_keys SET bucket_tokens = ${tokens}, bucket_refilled_at = ${sql.timestamp(now)} WHERE id = ${row.id}`);
      return { outcome: 'rate_limited', key, retryAfterSeconds: secondsUntilNextCall(tokens, row.requests_per_minute) };
    }
    await transaction.query(sql.unsafe`
      UPDATE api_keys SET bucket_tokens = ${tokens - 1}, bucket_refilled_at = ${sql.timestamp(now)}, last_used_at = ${sql.timestamp(now)}
      WHERE id = ${row.id}`);
    return { outcome: 'authenticated', key };
  });
}

export interface ApiKeyCall {
  keyId: string;
  method: string;
  path: string;
  status: number;
  ip?: string | null;
}

/** Appends one call made with a key (whatever its answer) to api_key_calls. */
export async function recordApiKeyCall(connection: CommonQueryMethods, call: ApiKeyCall): Promise<void> {
  await connection.query(sql.unsafe`
    INSERT INTO api_key_calls (key_id, method, path, status, ip)
    VALUES (${call.keyId}, ${call.method}, ${call.path.slice(0, 2048)}, ${call.status}, ${call.ip ?? null})`);
}

const callRow = z.object({ id: z.string(), called_at: z.date(), method: z.string(), path: z.string(), status: z.number(), ip: z.string().nullable() });

/** A key's latest calls, newest first. */
export async function listApiKeyCalls(connection: CommonQueryMethods, keyId: string, limit = 50) {
  const rows = await connection.any(sql.type(callRow)`
    SELECT id, called_at, method, path, status, host(ip) AS ip FROM api_key_calls
    WHERE key_id = ${keyId} ORDER BY id DESC LIMIT ${limit}`);
  return rows.map((row) => ({ id: row.id, calledAt: row.called_at, method: row.method, path: row.path, status: row.status, ip: row.ip }));
}
