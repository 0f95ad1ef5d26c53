import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { can, isAdminRole, type Permission, type PrincipalRole, type UserRole } from '../../domain/access.ts';
import type { ApiKeyScope } from '../../domain/api-keys.ts';
import { DomainError } from '../../domain/errors.ts';
import type { Policy } from '../../domain/policy.ts';
import { passwordMaxLength, passwordMinLength } from '../../domain/sign-in-throttle.ts';
import type { Database } from '../../db/pool.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';
import { PasswordHasher } from './password.ts';
import { clearAccountCounter, clearAddressCounter, recordAttempt, reserveAttempt, settleSuccess, type CountedFailures, type ThrottleKey } from './sign-in-throttle.ts';
import { generateTotpSecret, matchTotp, totpUri } from './totp.ts';

export interface AuthenticatedUser {
  id: string;
  email: string;
  /** `api_key` for a machine signed in with an API key (docs/rules.md#api-keys): no permission names it. */
  role: PrincipalRole;
  partnerId: string | null;
  /** The session this request came with (its id, not its token): the step-up limit counts per session. Null for an API key. */
  sessionId: string | null;
  /** Set exactly when the role is `api_key` (api/api-key-authentication.ts): the key's id, name and scopes. */
  apiKey?: { id: string; name: string; scopes: readonly ApiKeyScope[] };
}

export class AuthError extends Error {
  constructor(
    readonly code: 'invalid_credentials' | 'sign_in_delayed' | 'totp_required' | 'invalid_totp' | 'unauthenticated' | 'conflict',
    message: string,
    readonly field?: string,
    /** For `sign_in_delayed`: when the next attempt may come. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/**
 * The one answer to every failed sign-in: an unknown email, a wrong password, a missing or wrong TOTP code, a
 * disabled or a locked account (docs/decisions.md, "One answer for every failed sign-in").
 */
export const invalidCredentialsMessage = 'the email, password or TOTP code is wrong';

const userRow = z.object({
  id: z.string(),
  email: z.string(),
  password_hash: z.string(),
  role: z.enum(['partner', 'admin', 'senior_admin', 'finance_manager', 'finance_director', 'financial_support']),
  partner_id: z.string().nullable(),
  totp_secret: z.string().nullable(),
  disabled_at: z.date().nullable(),
});
const sessionUserRow = userRow.pick({ id: true, email: true, role: true, partner_id: true }).extend({ session_id: z.string() });
const stepUpRow = z.object({ step_up_failures: z.number(), revoked: z.boolean() });

function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** A password may be set when it has 12 to 200 characters (docs/rules.md#sign-in); refused naming `field`. */
export function checkNewPassword(password: string, field = 'password'): void {
  if (password.length < passwordMinLength) {
    throw new DomainError('invalid', 'password_too_short', `${field}: a password needs at least ${passwordMinLength} characters`, field);
  }
  if (password.length > passwordMaxLength) {
    throw new DomainError('invalid', 'password_too_long', `${field}: a password has at most ${passwordMaxLength} characters`, field);
  }
}

/**
 * Users, sessions and second factors. Session tokens are random 256-bit values; only their SHA-256 is stored.
 * A session ends after `idleTimeoutMinutes` without use, after `absoluteTimeoutHours` in any case, at once
 * when the user is disabled, and after the policy's number of wrong step-up codes.
 */
export class IdentityStore {
  readonly passwords: PasswordHasher;

  constructor(
    readonly database: Database,
    readonly policy: Policy,
    /** The hasher (and so the scrypt cost) new passwords get; tests pass a cheap one, production the default. */
    options: { passwords?: PasswordHasher } = {},
  ) {
    this.passwords = options.passwords ?? new PasswordHasher();
  }

  async createUser(input: { email: string; password: string; role: UserRole; partnerId?: string | null; actor?: string }) {
    checkNewPassword(input.password);
    const id = randomUUID();
    const totpSecret = isAdminRole(input.role) ? generateTotpSecret() : null;
    const passwordHash = await this.passwords.hash(input.password);
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

  /**
   * Checks the password and, for admins, a fresh TOTP code together, and issues a new session token. Every failure
   * is the same `invalid_credentials`; the throttle (docs/rules.md#sign-in) is checked before anything is hashed:
   * while a delay runs the answer is `sign_in_delayed` with its wait, while a lockout runs it is the failure answer.
   * `address` is the client's (api/client-address.ts), null when unknown: then only the account is throttled.
   */
  async login(input: { email: string; password: string; totp?: string; address?: string | null }, now = new Date()) {
    const email = input.email.toLowerCase();
    const address = input.address ?? null;
    const limits = this.policy.signIn;
    const keys: ThrottleKey[] = [{ kind: 'account', key: email }, ...(address ? [{ kind: 'address' as const, key: address }] : [])];
    const reservation = await this.database.transaction(async (transaction) => {
      const reserved = await reserveAttempt(transaction, keys, now, limits);
      if (reserved.verdict.kind !== 'open') {
        const outcome = reserved.verdict.kind === 'locked' ? 'LOCKED' : 'DELAYED';
        await recordAttempt(transaction, { at: now, email, userId: null, address, outcome });
      }
      return reserved;
    });
    if (reservation.verdict.kind === 'delayed') {
      const wait = reservation.verdict.retryAfterSeconds;
      throw new AuthError('sign_in_delayed', `too many failed sign-ins: try again in ${wait} s`, undefined, wait);
    }
    if (!('failures' in reservation)) throw new AuthError('invalid_credentials', invalidCredentialsMessage);
    const failures = reservation.failures;

    const user = await this.database.maybeOne(sql.type(userRow)`
      SELECT id, email, password_hash, role, partner_id, totp_secret, disabled_at FROM users WHERE email = ${email}`);
    const password = await this.passwords.verify(input.password, user?.password_hash ?? null);
    let signedIn = Boolean(user && password.matches && !user.disabled_at);
    // Admins always, a partner once they enrolled TOTP (docs/rules.md#details-change-controls).
    if (signedIn && user && (isAdminRole(user.role) || user.totp_secret !== null)) {
      // Only now, with the password right, is the code checked (and spent): a wrong password never burns a code.
      signedIn = input.totp !== undefined && (await this.tryConsumeTotp(user.id, input.totp, now));
    }
    if (!user || !signedIn) {
      await this.recordFailure({ now, email, userId: user?.id ?? null, address, failures });
      throw new AuthError('invalid_credentials', invalidCredentialsMessage);
    }

    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + this.policy.sessions.absoluteTimeoutHours * 3_600_000);
    const newHash = password.needsRehash ? await this.passwords.hash(input.password) : null;
    await this.database.transaction(async (transaction) => {
      await settleSuccess(transaction, keys);
      await recordAttempt(transaction, { at: now, email, userId: user.id, address, outcome: 'SUCCEEDED' });
      if (newHash) {
        // Only if the hash is still the one just checked: a password changed meanwhile is not overwritten.
        await transaction.query(sql.unsafe`
          UPDATE users SET password_hash = ${newHash} WHERE id = ${user.id} AND password_hash = ${user.password_hash}`);
      }
      await transaction.query(sql.unsafe`
        INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, ip)
        VALUES (${sql.binary(tokenHash(token))}, ${user.id}, ${sql.timestamp(now)}, ${sql.timestamp(now)},
                ${sql.timestamp(expiresAt)}, ${address})`);
    });
    return { token, expiresAt, user: { id: user.id, email: user.email, role: user.role, partnerId: user.partner_id } };
  }

  /** The failed attempt, and an audit record for each counter whose lockout this failure starts. */
  private async recordFailure(input: { now: Date; email: string; userId: string | null; address: string | null; failures: CountedFailures }) {
    const { now, email, userId, address, failures } = input;
    const limits = this.policy.signIn;
    const until = new Date(now.getTime() + limits.lockoutMinutes * 60_000).toISOString();
    await this.database.transaction(async (transaction) => {
      await recordAttempt(transaction, { at: now, email, userId, address, outcome: 'FAILED', failures });
      if ((failures.account ?? 0) >= limits.lockoutAfterFailures) {
        await appendAuditRecord(transaction, {
          action: 'SIGN_IN_LOCKOUT', actor: 'system:sign-in', targetType: userId ? 'user' : 'sign_in_account',
          targetId: userId ?? email, ip: address, details: { email, failures: failures.account, lockedUntil: until },
        });
      }
      if (address && (failures.address ?? 0) >= limits.lockoutAfterFailures) {
        await appendAuditRecord(transaction, {
          action: 'SIGN_IN_LOCKOUT', actor: 'system:sign-in', targetType: 'client_address', targetId: address, ip: address,
          details: { email, failures: failures.address, lockedUntil: until },
        });
      }
    });
  }

  private async tryConsumeTotp(userId: string, code: string, now: Date): Promise<boolean> {
    try {
      await this.consumeTotp(userId, code, now);
      return true;
    } catch (error) {
      if (error instanceof AuthError) return false;
      throw error;
    }
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
      RETURNING u.id, u.email, u.role, u.partner_id, s.id AS session_id`);
    return row ? { id: row.id, email: row.email, role: row.role, partnerId: row.partner_id, sessionId: row.session_id } : null;
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

  /**
   * A step-up code (X-TOTP-Code) from a signed-in session: accepted once, like any code; each wrong or spent one
   * counts against the session, and the one that reaches the policy's limit revokes it (audited).
   */
  async consumeStepUpTotp(user: Pick<AuthenticatedUser, 'id' | 'sessionId'>, code: string, now = new Date()): Promise<void> {
    try {
      await this.consumeTotp(user.id, code, now);
      return;
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      const limit = this.policy.signIn.stepUpFailuresPerSession;
      const revoked = await this.database.transaction(async (transaction) => {
        const row = await transaction.maybeOne(sql.type(stepUpRow)`
          UPDATE sessions SET step_up_failures = step_up_failures + 1,
                              revoked_at = CASE WHEN step_up_failures + 1 >= ${limit} THEN coalesce(revoked_at, ${sql.timestamp(now)}) ELSE revoked_at END
          WHERE id = ${user.sessionId}
          RETURNING step_up_failures, revoked_at IS NOT NULL AS revoked`);
        if (row?.revoked && row.step_up_failures === limit) {
          await appendAuditRecord(transaction, {
            action: 'SESSION_REVOKE', actor: 'system:step-up', targetType: 'user', targetId: user.id,
            reason: `${limit} wrong step-up codes in one session`, details: { sessionId: user.sessionId },
          });
        }
        return row?.revoked ?? false;
      });
      if (revoked) {
        throw new AuthError('invalid_totp', `${error.message}; after ${limit} wrong codes this session is revoked: sign in again`, 'totp');
      }
      throw error;
    }
  }

  /**
   * Lifts a sign-in lockout (and any delay) of the user's account at once, audited. The client addresses it was
   * tried from keep their own counters, which end on their own.
   */
  async unlockUser(userId: string, input: { actor: string; ip?: string | null }) {
    return this.database.transaction(async (transaction) => {
      const email = await transaction.maybeOneFirst(sql.type(z.object({ email: z.string() }))`
        SELECT email FROM users WHERE id = ${userId} FOR UPDATE`);
      if (!email) throw new DomainError('not_found', 'not_found', `no user ${userId}`, 'id');
      const failuresCleared = await clearAccountCounter(transaction, email);
      await appendAuditRecord(transaction, {
        action: 'USER_UNLOCK', actor: input.actor, targetType: 'user', targetId: userId, ip: input.ip ?? null,
        details: { email, failuresCleared },
      });
      return { id: userId, email, failuresCleared };
    });
  }

  /** Forgets a client address's failed sign-ins (its delays and lockout end at once), audited; the failures it had. */
  async unlockAddress(address: string, input: { actor: string; ip?: string | null }): Promise<number> {
    return this.database.transaction(async (transaction) => {
      const failuresCleared = await clearAddressCounter(transaction, address);
      await appendAuditRecord(transaction, {
        action: 'CLIENT_ADDRESS_UNLOCK', actor: input.actor, targetType: 'client_address', targetId: address, ip: input.ip ?? null,
        details: { failuresCleared },
      });
      return failuresCleared;
    });
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
    if (!(await this.passwords.verify(password, user.password_hash)).matches) throw new AuthError('invalid_credentials', 'the password is wrong', 'body.password');
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
