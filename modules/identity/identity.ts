import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { can, isAdminRole, type Permission, type UserRole } from '../../domain/access.ts';
import type { Policy } from '../../domain/policy.ts';
import type { Database } from '../../db/pool.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';
import { hashPassword, verifyPassword } from './password.ts';
import { generateTotpSecret, matchTotp, totpUri } from './totp.ts';

export interface AuthenticatedUser {
  id: string;
  email: string;
  role: UserRole;
  partnerId: string | null;
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
    // Admins always; a partner once they enrolled TOTP (docs/rules.md#details-change-controls).
    if (isAdminRole(user.role) || user.totp_secret !== null) {
      if (!input.totp) throw new AuthError('totp_required', 'this account signs in with a TOTP code', 'totp');
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

  /** The user's second factor: enrolled (every admin; a partner once confirmed), and whether an enrolment is pending. */
  async totpState(userId: string): Promise<{ enrolled: boolean; pending: boolean }> {
    return this.database.one(sql.type(z.object({ enrolled: z.boolean(), pending: z.boolean() }))`
      SELECT totp_secret IS NOT NULL AS enrolled, totp_pending_secret IS NOT NULL AS pending FROM users WHERE id = ${userId}`);
  }

  /** Whether the user has an active second factor (every admin; a partner once enrolled). */
  async hasTotp(userId: string, connection: CommonQueryMethods = this.database): Promise<boolean> {
    return connection.exists(sql.unsafe`SELECT 1 FROM users WHERE id = ${userId} AND totp_secret IS NOT NULL`);
  }

  /**
   * A partner's TOTP enrolment, step one (docs/rules.md#details-change-controls): with their password again (a
   * stolen session alone cannot add a factor the thief controls), a new secret is kept pending and returned once,
   * with its otpauth URI for an authenticator app. Starting again replaces a pending secret; an enrolled user
   * (every admin) is refused.
   */
  async startTotpEnrolment(userId: string, password: string): Promise<{ secret: string; otpauthUri: string }> {
    const user = await this.database.one(sql.type(userRow)`
      SELECT id, email, password_hash, role, partner_id, totp_secret, disabled_at FROM users WHERE id = ${userId}`);
    if (!(await verifyPassword(password, user.password_hash))) throw new AuthError('invalid_credentials', 'the password is wrong', 'body.password');
    if (user.totp_secret !== null) throw new AuthError('conflict', 'TOTP is already enrolled for this account', 'totp');
    const secret = generateTotpSecret();
    await this.database.query(sql.unsafe`UPDATE users SET totp_pending_secret = ${secret} WHERE id = ${userId} AND totp_secret IS NULL`);
    return { secret, otpauthUri: totpUri(secret, user.email) };
  }

  /**
   * Step two: a code from the pending secret makes it the user's second factor (sign-in and step-up ask for it from
   * now on); the code's step counts as used. Audited as USER_TOTP_ENROL.
   */
  async confirmTotpEnrolment(userId: string, code: string, input: { ip?: string | null } = {}, now = new Date()): Promise<void> {
    await this.database.transaction(async (transaction) => {
      const row = await transaction.one(sql.type(z.object({ totp_secret: z.string().nullable(), totp_pending_secret: z.string().nullable() }))`
        SELECT totp_secret, totp_pending_secret FROM users WHERE id = ${userId} FOR UPDATE`);
      if (row.totp_secret !== null) throw new AuthError('conflict', 'TOTP is already enrolled for this account', 'totp');
      if (row.totp_pending_secret === null) throw new AuthError('conflict', 'no enrolment was started: POST /v1/me/totp first', 'totp');
      const step = matchTotp(row.totp_pending_secret, code, now);
      if (step === null) throw new AuthError('invalid_totp', 'the TOTP code is wrong or expired', 'body.code');
      await transaction.query(sql.unsafe`
        UPDATE users SET totp_secret = totp_pending_secret, totp_pending_secret = NULL, totp_last_step = ${step}, totp_enrolled_at = ${sql.timestamp(now)}
        WHERE id = ${userId}`);
      await appendAuditRecord(transaction, { action: 'USER_TOTP_ENROL', actor: userId, targetType: 'user', targetId: userId, ip: input.ip ?? null });
    });
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
