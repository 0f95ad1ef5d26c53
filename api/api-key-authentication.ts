import type { MiddlewareHandler } from 'hono';
import { apiKeyPattern, scopeForRequest } from '../domain/api-keys.ts';
import { authenticateApiKey, recordApiKeyCall } from '../modules/api-keys/api-key-store.ts';
import type { Database } from '../db/pool.ts';
import { clientIp, type ApiEnv } from './context.ts';
import { ApiError, sendError } from './errors.ts';

/** Whether an Authorization header carries an API key (`Bearer lf_<id>_<secret>`) rather than a session token. */
export function bearerApiKey(header: string | undefined): string | null {
  const match = /^Bearer (\S+)$/.exec(header ?? '');
  return match && apiKeyPattern.test(match[1]!) ? match[1]! : null;
}

/**
 * Signs a machine in with an API key (docs/rules.md#api-keys), before the session check, which then lets the
 * request through. In order: an unknown, wrong or revoked key is a 401; a key past its rate limit a 429 with
 * Retry-After; a route none of the key's scopes opens a 403 naming the scope it needs. Otherwise the request
 * runs as the caller `api-key:<id>`, role `api_key`, whose permission checks ask the key's scopes
 * (requirePermission) and which never passes a step-up (requireFreshTotp). Every call that presented a valid
 * key is written to api_key_calls with its answer, refusals included.
 */
export function apiKeyAuthentication(database: Database, sessionFreeRoutes: ReadonlySet<string>): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    if (sessionFreeRoutes.has(c.req.path)) return next();
    const presented = bearerApiKey(c.req.header('authorization'));
    if (!presented) return next();
    const authentication = await authenticateApiKey(database, presented);
    if (authentication.outcome === 'refused') {
      return sendError(c, new ApiError(401, 'unauthenticated', 'the API key is unknown, wrong or revoked', 'Authorization'));
    }
    const { key } = authentication;
    // The path with its query: what a report was asked for is part of the record.
    const url = new URL(c.req.url);
    const record = (status: number) =>
      recordApiKeyCall(database, { keyId: key.id, method: c.req.method, path: url.pathname + url.search, status, ip: clientIp(c) });
    if (authentication.outcome === 'rate_limited') {
      c.header('Retry-After', String(authentication.retryAfterSeconds));
      await record(429);
      return sendError(c, new ApiError(429, 'rate_limited', `API key ${key.id} is over its rate limit; retry after ${authentication.retryAfterSeconds} s`, 'Authorization'));
    }
    const needed = scopeForRequest(c.req.method, c.req.path);
    if (!needed || !key.scopes.includes(needed)) {
      const message = needed
        ? `API key ${key.id} lacks the scope ${needed} that ${c.req.method} ${c.req.path} needs`
        : `no API key scope opens ${c.req.method} ${c.req.path}: a person signs in for it`;
      await record(403);
      return sendError(c, new ApiError(403, 'forbidden', message, 'Authorization'));
    }
    c.set('user', { id: `api-key:${key.id}`, email: `api-key:${key.id}`, role: 'api_key', partnerId: null, sessionId: null, apiKey: key });
    await next();
    await record(c.res.status);
    return undefined;
  };
}
