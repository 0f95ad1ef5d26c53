import type { Permission } from './access.ts';

/**
 * API keys for machines (docs/rules.md#api-keys): what a key may call, what it looks like, how fast it may call.
 * Pure: the secret is made and hashed by modules/api-keys, the header read by api/api-key-authentication.ts.
 */

/**
 * Each scope names the routes a key with it may call and the permissions those routes check. A key reaches no
 * route outside its scopes (a 403 naming the scope a route needs, or naming none when no scope opens it), and
 * a route's own permission check asks the key's scopes instead of a role. No scope opens a step-up (TOTP) route.
 */
export const apiKeyScopes = {
  'events:write': {
    description: 'Send trigger events: POST /v1/events and POST /v1/events/bulk',
    routes: [
      { method: 'POST', path: '/v1/events' },
      { method: 'POST', path: '/v1/events/bulk' },
    ],
    permissions: ['events.ingest'],
  },
  'events:read': {
    description: 'Read one event back with its commissions: GET /v1/events/{externalId}',
    routes: [{ method: 'GET', path: '/v1/events/{externalId}' }],
    permissions: ['events.read'],
  },
  'reports:read': {
    description: 'Read the reports: GET /v1/reports/payouts-by-status-method, /commissions-by-level-source, /audit-trail',
    routes: [
      { method: 'GET', path: '/v1/reports/payouts-by-status-method' },
      { method: 'GET', path: '/v1/reports/commissions-by-level-source' },
      { method: 'GET', path: '/v1/reports/audit-trail' },
    ],
    permissions: ['payouts.read.any', 'commissions.read.any', 'ledger.read.any'],
  },
} as const satisfies Record<string, { description: string; routes: readonly { method: string; path: string }[]; permissions: readonly Permission[] }>;

export type ApiKeyScope = keyof typeof apiKeyScopes;
export const apiKeyScopeNames = Object.keys(apiKeyScopes) as ApiKeyScope[];

export function isApiKeyScope(value: string): value is ApiKeyScope {
  return Object.hasOwn(apiKeyScopes, value);
}

/** The scope that opens a route (its OpenAPI path, `{param}` style), or null when no key may call it. */
export function scopeForRoute(method: string, openApiPath: string): ApiKeyScope | null {
  for (const scope of apiKeyScopeNames) {
    if (apiKeyScopes[scope].routes.some((route) => route.method === method.toUpperCase() && route.path === openApiPath)) return scope;
  }
  return null;
}

/** The scope that opens a concrete request path (`/v1/events/ev-1`), or null. */
export function scopeForRequest(method: string, requestPath: string): ApiKeyScope | null {
  for (const scope of apiKeyScopeNames) {
    for (const route of apiKeyScopes[scope].routes) {
      if (route.method !== method.toUpperCase()) continue;
      const pattern = new RegExp(`^${route.path.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      if (pattern.test(requestPath)) return scope;
    }
  }
  return null;
}

/** Whether a key with these scopes passes a route's permission check. */
export function scopesGrant(scopes: readonly ApiKeyScope[], permission: Permission): boolean {
  return scopes.some((scope) => (apiKeyScopes[scope].permissions as readonly Permission[]).includes(permission));
}

/**
 * The key as shown once: `lf_<id>_<secret>`, the id 16 lowercase hex digits (64 random bits, public: it is how
 * the key is listed and revoked), the secret 43 base64url characters (256 random bits; only its SHA-256 is kept).
 * A session token is 43 characters, so neither can be taken for the other.
 */
export const apiKeyPattern = /^lf_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
export const apiKeyIdPattern = /^[0-9a-f]{16}$/;

export function formatApiKey(id: string, secret: string): string {
  const key = `lf_${id}_${secret}`;
  if (!apiKeyPattern.test(key)) throw new Error('an API key id is 16 hex digits and its secret 43 base64url characters');
  return key;
}

export function parseApiKey(text: string): { id: string; secret: string } | null {
  const match = apiKeyPattern.exec(text);
  return match ? { id: match[1]!, secret: match[2]! } : null;
}

/** A key's name: what the machine is, for people reading the list ("shop checkout", "ERP nightly"). */
export const apiKeyNamePattern = /^[\p{L}\p{N} ._:/()-]{1,100}$/u;

/**
 * The rate limit (docs/rules.md#api-keys): a token bucket per key holding up to `requestsPerMinute` calls and
 * refilled at that rate, so a key may burst one minute's worth and then keeps to its rate. The default suits a
 * shop sending each order as it completes; a bulk sender uses POST /v1/events/bulk (up to 5,000 events a call).
 */
export const apiKeyRateLimit = { defaultRequestsPerMinute: 600, minimumRequestsPerMinute: 1, maximumRequestsPerMinute: 60_000 } as const;

/**
 * The bucket after `elapsedMilliseconds` since it was last refilled, and whether one more call fits. Tokens are a
 * count of calls, not money, so a float is fine here; the database computes the same in modules/api-keys.
 */
export function refillBucket(tokens: number, elapsedMilliseconds: number, requestsPerMinute: number): number {
  return Math.min(requestsPerMinute, tokens + (Math.max(0, elapsedMilliseconds) * requestsPerMinute) / 60_000);
}

/** Whole seconds until the bucket holds one call again (at least 1), for Retry-After. */
export function secondsUntilNextCall(tokens: number, requestsPerMinute: number): number {
  return Math.max(1, Math.ceil(((1 - tokens) * 60) / requestsPerMinute));
}
