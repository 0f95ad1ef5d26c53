import type { Client } from '@temporalio/client';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Permission, UserRole } from '../domain/access.ts';
import { can } from '../domain/access.ts';
import { scopesGrant } from '../domain/api-keys.ts';
import type { Policy } from '../domain/policy.ts';
import type { Database } from '../db/pool.ts';
import type { LedgerStore } from '../modules/ledger/ledger-store.ts';
import type { CommissionEngine } from '../modules/commissions/ingest-events.ts';
import type { PolicyStore } from '../modules/policy/policy-store.ts';
import { AuthError, type AuthenticatedUser, type IdentityStore } from '../modules/identity/identity.ts';
import { ApiError, sendError, validationError } from './errors.ts';
import type { TrustedProxies } from './client-address.ts';

export interface HealthChecks {
  postgres(): Promise<void>;
  temporal(): Promise<void>;
  worker(): Promise<void>;
}

/** What the routes depend on; tests build it with a real database and a real Temporal client. */
export interface ApiDependencies {
  database: Database;
  identity: IdentityStore;
  ledger: LedgerStore;
  policies: PolicyStore;
  engine: CommissionEngine;
  temporal: Client;
  policy: Policy;
  taskQueue: string;
  namespace: string;
  temporalUiUrl: string | null;
  /** Shared secret of the payment provider's signed webhooks (LEDGERFLOW_PROVIDER_WEBHOOK_SECRET). */
  providerWebhookSecret?: string | null;
  health: HealthChecks;
  /** The proxies whose X-Forwarded-For is believed (LEDGERFLOW_TRUSTED_PROXIES; api/client-address.ts). */
  trustedProxies: TrustedProxies;
}

export interface ApiEnv {
  /** `clientAddress` is set for every request by api/app.ts (api/client-address.ts); null when it is unknown. */
  Variables: { user: AuthenticatedUser; token: string; clientAddress: string | null };
}

/**
 * Hono names validation targets `json`, `param`, `query`, `header`; errors name fields as clients see the
 * request (`body.amount`, `params.id`, `query.limit`), like the routes' own errors (`body.partnerId`).
 */
const targetNames: Record<string, string> = { json: 'body', form: 'body', param: 'params', query: 'query', header: 'headers', cookie: 'cookies' };

/** A sub-app whose validation failures become the shared 400 error shape. */
export function createSubApp() {
  return new OpenAPIHono<ApiEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        const target = String(result.target);
        return sendError(c, validationError(result.error, targetNames[target] ?? target));
      }
      return undefined;
    },
  });
}

export function requirePermission(user: AuthenticatedUser, permission: Permission): void {
  if (user.apiKey) {
    // A machine passes only through its key's scopes (docs/rules.md#api-keys), never through a role.
    if (!scopesGrant(user.apiKey.scopes, permission)) {
      throw new ApiError(403, 'forbidden', `API key ${user.apiKey.id} has no scope that allows ${permission.replaceAll('.', ' ')}`, 'Authorization');
    }
    return;
  }
  if (!can(user.role, permission)) {
    throw new ApiError(403, 'forbidden', `role ${user.role} may not ${permission.replaceAll('.', ' ')}`);
  }
}

/** The role of the person calling, where only a person may act: a machine's API key is refused (403). */
export function personRole(user: AuthenticatedUser): UserRole {
  if (user.role === 'api_key') throw new ApiError(403, 'forbidden', 'an API key may not do this: a person signs in for it', 'Authorization');
  return user.role;
}

/** A partner reads only their own data; admins with the `.any` permission read everyone's. */
export function requirePartnerAccess(user: AuthenticatedUser, partnerId: string, permission: Permission): void {
  if (user.role === 'partner') {
    if (user.partnerId !== partnerId) throw new ApiError(403, 'forbidden', 'partners may only read their own data');
    return;
  }
  requirePermission(user, permission);
}

/**
 * The partner a list is scoped to: a partner always gets their own (asking for another's is a 403 naming
 * `query.partnerId`); an admin needs the `.any` permission and gets the filter they asked for, if any.
 */
export function partnerScope(user: AuthenticatedUser, requested: string | undefined, permission: Permission): string | undefined {
  if (user.role === 'partner') {
    if (requested !== undefined && requested !== user.partnerId) {
      throw new ApiError(403, 'forbidden', 'partners may only read their own data', 'query.partnerId');
    }
    return user.partnerId!;
  }
  requirePermission(user, permission);
  return requested;
}

/**
 * The client's address for audit records and throttling: the socket's peer, or X-Forwarded-For only when that peer
 * is a configured trusted proxy (api/client-address.ts, resolved once per request in api/app.ts). The `req` member
 * keeps a Headers object, whose get() has the same shape, from being passed by mistake.
 */
export function clientIp(c: { get(key: 'clientAddress'): string | null; req: unknown }): string | null {
  return c.get('clientAddress') ?? null;
}

export function workflowUrl(dependencies: ApiDependencies, workflowId: string): string | null {
  if (!dependencies.temporalUiUrl) return null;
  return `${dependencies.temporalUiUrl}/namespaces/${encodeURIComponent(dependencies.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/**
 * Step-up: the action needs a fresh TOTP code in X-TOTP-Code, consumed here (each code is accepted once). Wrong
 * codes count against the session, which is revoked at the policy's limit (`signIn.stepUpFailuresPerSession`).
 * `action` completes the message: "a bonus needs a fresh TOTP code…".
 */
export async function requireFreshTotp(identity: IdentityStore, user: AuthenticatedUser, code: string | undefined, action: string): Promise<void> {
  // A step-up proves a person is at the keyboard; a machine's key never passes one (docs/rules.md#api-keys).
  if (user.apiKey) throw new ApiError(403, 'forbidden', `${action} needs a person with a fresh TOTP code, not an API key`, 'Authorization');
  if (!code) throw new ApiError(401, 'totp_required', `${action} needs a fresh TOTP code in X-TOTP-Code`, 'X-TOTP-Code');
  try {
    await identity.consumeStepUpTotp(user, code);
  } catch (error) {
    if (error instanceof AuthError) throw new ApiError(401, error.code, error.message, 'X-TOTP-Code');
    throw error;
  }
}
