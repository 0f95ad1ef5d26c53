import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { can, isAdminRole, type Permission, type PrincipalRole, type UserRole } from '../../domain/access.ts';
import type { ApiKeyScope } from '../../domain/api-keys.ts';
import type { Policy } from '../../domain/policy.ts';
import type { Database } from '../../db/pool.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';
import { hashPassword, verifyPassword } from './password.ts';
import { generateTotpSecret, matchTotp } from './totp.ts';

export interface AuthenticatedUser {
  id: string;
  email: string;
  /** `api_key` for a machine signed in with an API key (docs/rules.md#api-keys): no permission names it. */
  role: PrincipalRole;
  partnerId: string | null;
  /** Set exactly when the role is `api_key` (api/api-key-authentication.ts): the key's id, name and scopes. */
  apiKey?: { id: string; name: string; scopes: readonly ApiKeyScope[] };
}

export class AuthError extends Error {
  constructor(
    readonly code: 'invalid_credentials' | 'totp_required' | 'invalid_totp' | 'unauthenticated' | 'conflict',
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

const userRow = z.object({
  id: z.string(),
  email: z.string(),
  password_hash: z.string(),
  role: z.enum(['partner', 'admin', 'senior_admin', 'finance_manager', 'finance_director', 'financial_support']),
  partner_id: z.string().nullable(),
  totp_secret: z.string().nullable(),
  disabled_at: z.date().nullable(),
});
const sessionUserRow = userRow.pick({ id: true, email: true, role: true, partner_id: true });

function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** A password hash that no password matches, so unknown emails take as long as known ones. */
const decoyHash = await hashPassword(randomBytes(16).toString('hex'));

/**
 * Users, sessions and second factors. Session tokens are random 256-bit values; only their SHA-256 is stored.
 * A session ends after `idleTimeoutMinutes` without use, after `absoluteTimeoutHours` in any case, and at once
 * when the user is disabled.
 */
export class IdentityStore {
  constructor(
    readonly database: Database,
    readonly policy: Policy,
  ) {}

  async createUser(input: { email: string; password: string; role: UserRole; partnerId?: string | null; actor?: string }) {
    const id = randomUUID();
    const totpSecret = isAdminRole(input.role) ? generateTotpSecret() : null;
    const passwordHash = await hashPassword(input.password);
    const email = input.email.toLowerCase();
    await this.database.transaction(async (transaction) => {
      const inserted = await transaction.maybeOne(sql.type(z.object({ id: z.string() }))`
        INSERT INTO users (id, email, password_hash, role, partner_id, totp_secret)
        VALUES (${id}, ${email}, ${passwordHash}, ${input.role}, ${input.partnerId ?? null}, ${totpSecret})
        ON CONFLICT (email) DO NOTHING
        RETURNING id`);
      if (!inserted) throw new AuthError('conflict', `a user with email ${email} already exists`, 'email');
      await appendAuditRecord(transaction, {
        action: 'USER_CREATE',
        actor: input.actor ?? 'system:cli',
        targetType: 'user',
        targetId: id,
        details: { email, role: input.role, partnerId: input.partnerId ?? null },
      });
    });
    return { id, email, role: input.role, partnerId: input.partnerId ?? null, totpSecret };
  }

  /** Checks the password (and, for admins, a fresh TOTP code) and issues a new session token. */
  async login(input: { email: string; password: string; totp?: string; ip?: string | null }, now = new Date()) {
    const user = await this.database.maybeOne(sql.type(userRow)`
      SELECT id, email, password_hash, role, partner_id, totp_secret, disabled_at
      FROM users WHERE email = ${input.email.toLowerCase()}`);
    const passwordMatches = await verifyPassword(input.password, user?.password_hash ?? decoyHash);
    if (!user || !passwordMatches || user.disabled_at) {
      throw new AuthError('invalid_credentials', 'email or password is wrong', 'password');
    }
    if (isAdminRole(user.role)) {
      if (!input.totp) throw new AuthError('totp_required', 'admins sign in with a TOTP code', 'totp');
      await this.consumeTotp(user.id, input.totp, now);
    }
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + this.policy.sessions.absoluteTimeoutHours * 3_600_000);
    await this.database.query(sql.unsafe`
      INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, ip)
      VALUES (${sql.binary(tokenHash(token))}, ${user.id}, ${sql.timestamp(now)}, ${sql.timestamp(now)},
              ${sql.timestamp(expiresAt)}, ${input.ip ?? null})`);
    return { token, expiresAt, user: { id: user.id, email: user.email, role: user.role, partnerId: user.partner_id } };
  }

  /** The user behind a token, sliding its idle timeout; null when it is unknown, expired, revoked or disabled. */
  async authenticate(token: string, now = new Date()): Promise<AuthenticatedUser | null> {
    const idleCutoff = new Date(now.getTime() - this.policy.sessions.idleTimeoutMinutes * 60_000);
    const row = await this.database.maybeOne(sql.type(sessionUserRow)`
      UPDATE sessions s SET last_seen_at = ${sql.timestamp(now)}
      FROM users u
      WHERE s.token_hash = ${sql.binary(tokenHash(token))} AND u.id = s.user_id
        AND s.revoked_at IS NULL AND u.disabled_at IS NULL
        AND s.expires_at > ${sql.timestamp(now)} AND s.last_seen_at > ${sql.timestamp(idleCutoff)}
      RETURNING u.id, u.email, u.role, u.partner_id`);
    return row ? { id: row.id, email: row.email, role: row.role, partnerId: row.partner_id } : null;
  }

  async logout(token: string): Promise<void> {
    await this.database.query(sql.unsafe`
      UPDATE sessions SET revoked_at = now() WHERE token_hash = ${sql.binary(tokenHash(token))} AND revoked_at IS NULL`);
  }

  /**
   * Accepts a TOTP code once only: the step it matches must be later than the last step this user used, and
   * recording it is one conditional UPDATE, so two requests racing with the same code cannot both pass.
   */
  async consumeTotp(userId: string, code: string, now = new Date(), connection: CommonQueryMethods = this.database) {
    const secret = await connection.maybeOneFirst(sql.type(z.object({ totp_secret: z.string().nullable() }))`
      SELECT totp_secret FROM users WHERE id = ${userId}`);
    const step = secret ? matchTotp(secret, code, now) : null;
    if (step === null) throw new AuthError('invalid_totp', 'the TOTP code is wrong or expired', 'totp');
    const accepted = await connection.query(sql.unsafe`
      UPDATE users SET totp_last_step = ${step}
      WHERE id = ${userId} AND (totp_last_step IS NULL OR totp_last_step < ${step})`);
    if (accepted.rowCount !== 1) throw new AuthError('invalid_totp', 'this TOTP code was already used', 'totp');
  }

  /** Disables the user and revokes every session at once. */
  async disableUser(userId: string, actor = 'system:cli'): Promise<boolean> {
    return this.database.transaction(async (transaction) => {
      const result = await transaction.query(sql.unsafe`
        UPDATE users SET disabled_at = now() WHERE id = ${userId} AND disabled_at IS NULL`);
      await transaction.query(sql.unsafe`
        UPDATE sessions SET revoked_at = now() WHERE user_id = ${userId} AND revoked_at IS NULL`);
      if (result.rowCount === 1) {
        await appendAuditRecord(transaction, { action: 'USER_DISABLE', actor, targetType: 'user', targetId: userId });
      }
      return result.rowCount === 1;
    });
  }
}

const userRoleRow = z.object({ role: z.string(), disabled: z.boolean() });

/** Whether the user exists, is not disabled, and is an admin whose role grants `permission` (a reviewer to assign work to). */
export async function isActiveAdminWith(connection: CommonQueryMethods, userId: string, permission: Permission): Promise<boolean> {
  const user = await connection.maybeOne(sql.type(userRoleRow)`
    SELECT role, disabled_at IS NOT NULL AS disabled FROM users WHERE id = ${userId}`);
  if (!user || user.disabled) return false;
  const role = user.role as UserRole;
  return isAdminRole(role) && can(role, permission);
}
