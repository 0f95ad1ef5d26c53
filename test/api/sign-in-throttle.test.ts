import { Connection } from '@temporalio/client';
import { sql } from 'slonik';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { parseTrustedProxies, noTrustedProxies } from '../../api/client-address.ts';
import { createApiDependencies } from '../../api/dependencies.ts';
import { DomainError } from '../../domain/errors.ts';
import { PasswordHasher, recommendedScryptCost } from '../../modules/identity/password.ts';
import { createApiHarness, errorOf, someUuid, wrongTotp, type ApiHarness, type TestAdmin, type TestPartnerUser } from '../helpers/api.ts';

let api: ApiHarness;

beforeAll(async () => {
  api = await createApiHarness();
});

afterEach(() => {
  vi.restoreAllMocks();
  api.dependencies.trustedProxies = noTrustedProxies;
});

afterAll(async () => {
  await api?.close();
});

let peerCounter = 0;
/** A client address no other test uses (TEST-NET-2), so address counters do not leak between tests. */
const newPeer = () => `198.51.100.${(peerCounter += 1)}`;

const login = (body: Record<string, unknown>, peer?: string, headers?: Record<string, string>) =>
  api.request('/v1/auth/login', { body, ...(peer ? { peer } : {}), ...(headers ? { headers } : {}) });

/** Moves a counter's last failure back, as if that much time had passed since. */
async function backdate(kind: 'account' | 'address', key: string, seconds: number) {
  await api.owner.query(sql.unsafe`
    UPDATE sign_in_throttles SET last_failure_at = last_failure_at - make_interval(secs => ${seconds})
    WHERE kind = ${kind} AND key = ${key}`);
}

async function counter(kind: 'account' | 'address', key: string) {
  return api.owner.maybeOne(sql.type(z.object({ failures: z.number() }))`
    SELECT failures FROM sign_in_throttles WHERE kind = ${kind} AND key = ${key}`);
}

/** Fails `count` sign-ins of `email` from `peer`, waiting out each delay (by moving the clock of its counters back). */
async function fail(email: string, count: number, peer?: string) {
  for (let index = 0; index < count; index += 1) {
    const response = await login({ email, password: 'not-the-password-at-all' }, peer);
    expect(response.status, await response.clone().text()).toBe(401);
    await backdate('account', email.toLowerCase(), 120);
    if (peer) await backdate('address', peer, 120);
  }
}

const hashes = () => vi.spyOn(api.dependencies.identity.passwords, 'verify');

async function auditRecords(action: string, targetId: string) {
  return api.owner.any(sql.type(z.object({ actor: z.string(), ip: z.string().nullable(), details: z.record(z.unknown()) }))`
    SELECT actor, host(ip) AS ip, details FROM audit_records WHERE action = ${action} AND target_id = ${targetId} ORDER BY id`);
}

describe('one answer for every failed sign-in', () => {
  it('an unknown email, a wrong password, a missing or wrong TOTP code, a disabled and a locked account all get the same 401', async () => {
    const partner = await api.createPartnerUser();
    const admin = await api.createAdmin();
    const disabled = await api.createPartnerUser();
    await api.dependencies.identity.disableUser(disabled.id);
    const locked = await api.createPartnerUser();
    await api.owner.query(sql.unsafe`
      INSERT INTO sign_in_throttles (kind, key, failures, last_failure_at) VALUES ('account', ${locked.email}, 10, now())`);

    const attempts = [
      { email: 'nobody-at-all@example.com', password: 'whatever-it-is' },
      { email: partner.email, password: 'not-the-password' },
      { email: admin.email, password: admin.password },
      { email: admin.email, password: admin.password, totp: wrongTotp(admin.totpSecret) },
      { email: admin.email, password: 'not-the-password', totp: await api.nextTotp(admin) },
      { email: disabled.email, password: disabled.password },
      { email: locked.email, password: locked.password },
    ];
    const answers: { status: number; body: unknown }[] = [];
    for (const attempt of attempts) {
      const response = await login(attempt);
      answers.push({ status: response.status, body: await response.json() });
    }
    expect(answers[0]).toEqual({
      status: 401,
      body: { error: { code: 'invalid_credentials', message: 'the email, password or TOTP code is wrong' } },
    });
    expect(answers.every((answer) => JSON.stringify(answer) === JSON.stringify(answers[0]))).toBe(true);
  });

  it('checks the TOTP code only with the right password: a code sent with a wrong password is still good afterwards', async () => {
    const admin = await api.createAdmin();
    const totp = await api.nextTotp(admin);
    expect((await login({ email: admin.email, password: 'not-the-password', totp })).status).toBe(401);
    expect((await login({ email: admin.email, password: admin.password, totp })).status).toBe(200);
  });
});

describe('throttling per account', () => {
  it('after 5 failures the next attempt waits a second (429 with Retry-After, nothing hashed), and the wait doubles', async () => {
    const partner = await api.createPartnerUser();
    const verify = hashes();
    for (let index = 0; index < 5; index += 1) {
      expect((await login({ email: partner.email, password: 'not-the-password' })).status).toBe(401);
    }
    expect(verify).toHaveBeenCalledTimes(5);

    const delayed = await login({ email: partner.email, password: partner.password });
    expect(delayed.status).toBe(429);
    expect(delayed.headers.get('retry-after')).toBe('1');
    expect(await errorOf(delayed)).toMatchObject({ code: 'sign_in_delayed' });
    expect(verify).toHaveBeenCalledTimes(5);

    await backdate('account', partner.email, 2);
    expect((await login({ email: partner.email, password: 'not-the-password' })).status).toBe(401);
    const longer = await login({ email: partner.email, password: partner.password });
    expect(longer.status).toBe(429);
    expect(longer.headers.get('retry-after')).toBe('2');

    await backdate('account', partner.email, 3);
    expect((await login({ email: partner.email, password: partner.password })).status).toBe(200);
    expect(await counter('account', partner.email)).toBeNull();
  });

  it('counts an unknown email like a known one, so the delay says nothing about which emails exist', async () => {
    const email = `nobody-${someUuid()}@example.com`;
    for (let index = 0; index < 5; index += 1) expect((await login({ email, password: 'whatever-it-is' })).status).toBe(401);
    const delayed = await login({ email, password: 'whatever-it-is' });
    expect(delayed.status).toBe(429);
  });

  it('parallel guesses queue at the counter: of 12 at once, 5 are hashed and 7 are told to wait', async () => {
    const partner = await api.createPartnerUser();
    const verify = hashes();
    const responses = await Promise.all(Array.from({ length: 12 }, () => login({ email: partner.email, password: 'not-the-password' })));
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([...Array(5).fill(401), ...Array(7).fill(429)]);
    expect(verify).toHaveBeenCalledTimes(5);
  });

  it('after 10 failures the account is locked: the right password gets the failure answer unhashed, for an hour', async () => {
    const partner = await api.createPartnerUser();
    const peer = newPeer();
    await fail(partner.email, 10, peer);
    const otherPeer = newPeer();
    const verify = hashes();
    const refused = await login({ email: partner.email, password: partner.password }, otherPeer);
    expect(refused.status).toBe(401);
    expect(await errorOf(refused)).toEqual({ code: 'invalid_credentials', message: 'the email, password or TOTP code is wrong' });
    expect(verify).not.toHaveBeenCalled();

    const lockouts = await auditRecords('SIGN_IN_LOCKOUT', partner.id);
    expect(lockouts).toHaveLength(1);
    expect(lockouts[0]).toMatchObject({ actor: 'system:sign-in', ip: peer, details: { email: partner.email, failures: 10 } });
    const attempts = await api.owner.any(sql.type(z.object({ outcome: z.string(), address: z.string().nullable(), user_id: z.string().nullable() }))`
      SELECT outcome, host(address) AS address, user_id FROM sign_in_attempts WHERE email = ${partner.email} ORDER BY id`);
    expect(attempts.map((attempt) => attempt.outcome)).toEqual([...Array(10).fill('FAILED'), 'LOCKED']);
    expect(attempts.slice(0, 10).every((attempt) => attempt.address === peer && attempt.user_id === partner.id)).toBe(true);
    expect(attempts[10]!.address).toBe(otherPeer);

    // 59 minutes on it is still locked; after the hour the right password signs in and the counter is gone.
    await backdate('account', partner.email, 59 * 60 - 120);
    expect((await login({ email: partner.email, password: partner.password }, otherPeer)).status).toBe(401);
    await backdate('account', partner.email, 2 * 60);
    expect((await login({ email: partner.email, password: partner.password }, otherPeer)).status).toBe(200);
    expect(await counter('account', partner.email)).toBeNull();
  });

  it('after the lock ends, one more failure locks it again at once', async () => {
    const partner = await api.createPartnerUser();
    await fail(partner.email, 10);
    await backdate('account', partner.email, 61 * 60);
    expect((await login({ email: partner.email, password: 'not-the-password' })).status).toBe(401);
    expect((await login({ email: partner.email, password: partner.password })).status).toBe(401);
    expect(await auditRecords('SIGN_IN_LOCKOUT', partner.id)).toHaveLength(2);
  });
});

describe('throttling per client address', () => {
  it('failures against many accounts from one address delay, then lock, that address only', async () => {
    const peer = newPeer();
    const otherPeer = newPeer();
    const partner = await api.createPartnerUser();
    for (let index = 0; index < 5; index += 1) {
      expect((await login({ email: `guess-${index}-${someUuid()}@example.com`, password: 'whatever-it-is' }, peer)).status).toBe(401);
    }
    const delayed = await login({ email: partner.email, password: partner.password }, peer);
    expect(delayed.status).toBe(429);
    expect(delayed.headers.get('retry-after')).toBe('1');
    expect((await login({ email: partner.email, password: partner.password }, otherPeer)).status).toBe(200);

    for (let index = 5; index < 10; index += 1) {
      await backdate('address', peer, 120);
      expect((await login({ email: `guess-${index}-${someUuid()}@example.com`, password: 'whatever-it-is' }, peer)).status).toBe(401);
    }
    const verify = hashes();
    const locked = await login({ email: partner.email, password: partner.password }, peer);
    expect(locked.status).toBe(401);
    expect(await errorOf(locked)).toMatchObject({ code: 'invalid_credentials' });
    expect(verify).not.toHaveBeenCalled();
    expect(await auditRecords('SIGN_IN_LOCKOUT', peer)).toHaveLength(1);
    expect((await login({ email: partner.email, password: partner.password }, otherPeer)).status).toBe(200);
  });

  it('a success from an address takes back only its own attempt, not the address’s earlier failures', async () => {
    const peer = newPeer();
    const partner = await api.createPartnerUser();
    for (let index = 0; index < 3; index += 1) await login({ email: `guess-${someUuid()}@example.com`, password: 'whatever-it-is' }, peer);
    expect((await login({ email: partner.email, password: partner.password }, peer)).status).toBe(200);
    expect(await counter('address', peer)).toEqual({ failures: 3 });
  });

  it('ignores X-Forwarded-For from an untrusted peer, and believes it from a trusted proxy', async () => {
    const partner = await api.createPartnerUser();
    const proxy = newPeer();
    const forwarded = '203.0.113.77';
    await login({ email: partner.email, password: 'not-the-password' }, proxy, { 'x-forwarded-for': forwarded });
    api.dependencies.trustedProxies = parseTrustedProxies(proxy);
    await login({ email: partner.email, password: 'not-the-password' }, proxy, { 'x-forwarded-for': `192.0.2.1, ${forwarded}` });
    const addresses = await api.owner.anyFirst(sql.type(z.object({ address: z.string() }))`
      SELECT host(address) AS address FROM sign_in_attempts WHERE email = ${partner.email} ORDER BY id`);
    expect(addresses).toEqual([proxy, forwarded]);
    expect(await counter('address', forwarded)).toEqual({ failures: 1 });
    expect(await counter('address', proxy)).toEqual({ failures: 1 });
  });
});

describe('POST /v1/users/{id}/unlock', () => {
  let locked: TestPartnerUser;
  let admin: TestAdmin;
  let adminToken: string;

  beforeAll(async () => {
    admin = await api.createAdmin('admin');
    adminToken = await api.signIn(admin);
  });

  it('an admin with a fresh TOTP code lifts the lock at once, audited; a partner and a missing code are refused', async () => {
    locked = await api.createPartnerUser();
    await fail(locked.email, 10);
    const url = `/v1/users/${locked.id}/unlock`;

    const bystander = await api.createPartnerUser();
    const byPartner = await api.request(url, { method: 'POST', token: await api.signIn(bystander) });
    expect(byPartner.status).toBe(403);
    const noCode = await api.request(url, { method: 'POST', token: adminToken });
    expect(noCode.status).toBe(401);
    expect(await errorOf(noCode)).toMatchObject({ code: 'totp_required', field: 'X-TOTP-Code' });
    expect(await counter('account', locked.email)).toEqual({ failures: 10 });

    const unlocked = await api.request(url, { method: 'POST', token: adminToken, headers: { 'x-totp-code': await api.nextTotp(admin) } });
    expect(unlocked.status).toBe(200);
    expect(await unlocked.json()).toEqual({ id: locked.id, email: locked.email, failuresCleared: 10 });
    expect(await auditRecords('USER_UNLOCK', locked.id)).toEqual([
      expect.objectContaining({ actor: admin.id, details: { email: locked.email, failuresCleared: 10 } }),
    ]);
    expect((await login({ email: locked.email, password: locked.password })).status).toBe(200);
  });

  it('answers 404 naming params.id for a user that does not exist, and 400 for an id that is not one', async () => {
    // A new admin, whose next code is ready now (the first one's next step may be half a minute away).
    admin = await api.createAdmin('admin');
    adminToken = await api.signIn(admin);
    const missing = await api.request(`/v1/users/${someUuid()}/unlock`, { method: 'POST', token: adminToken, headers: { 'x-totp-code': await api.nextTotp(admin) } });
    expect(missing.status).toBe(404);
    expect(await errorOf(missing)).toMatchObject({ field: 'params.id' });
    const malformed = await api.request('/v1/users/not-a-uuid/unlock', { method: 'POST', token: adminToken });
    expect(malformed.status).toBe(400);
    expect(await errorOf(malformed)).toMatchObject({ field: 'params.id' });
  });
});

describe('step-up codes per session', () => {
  it('the fifth wrong X-TOTP-Code revokes the session (audited); the user’s other sessions go on', async () => {
    const admin = await api.createAdmin('admin');
    const token = await api.signIn(admin);
    const otherToken = await api.signIn(admin);
    const target = await api.createPartnerUser();
    const stepUp = () =>
      api.request(`/v1/users/${target.id}/unlock`, { method: 'POST', token, headers: { 'x-totp-code': wrongTotp(admin.totpSecret) } });

    for (let index = 0; index < 4; index += 1) {
      const response = await stepUp();
      expect(response.status).toBe(401);
      expect(await errorOf(response)).toMatchObject({ code: 'invalid_totp', field: 'X-TOTP-Code' });
    }
    expect((await api.request('/v1/auth/me', { token })).status).toBe(200);

    const fifth = await stepUp();
    expect(fifth.status).toBe(401);
    expect(await errorOf(fifth)).toMatchObject({ code: 'invalid_totp', message: expect.stringContaining('session is revoked') });
    const me = await api.request('/v1/auth/me', { token });
    expect(me.status).toBe(401);
    expect(await errorOf(me)).toMatchObject({ code: 'unauthenticated' });
    expect((await api.request('/v1/auth/me', { token: otherToken })).status).toBe(200);
    expect(await auditRecords('SESSION_REVOKE', admin.id)).toHaveLength(1);
  });
});

describe('password hashes', () => {
  it('production hashes at OWASP’s recommended scrypt cost (N=2^17, r=8, p=1) unless a cost is passed explicitly', async () => {
    expect(recommendedScryptCost).toEqual({ N: 131_072, r: 8, p: 1 });
    const connection = (api.dependencies.temporal as unknown as { connection: Connection }).connection;
    const production = createApiDependencies({ database: api.database, temporalConnection: connection, namespace: 'default', taskQueue: 'unused', temporalUiUrl: null });
    expect(production.identity.passwords.cost).toEqual(recommendedScryptCost);
    // One real hash at that cost (128 MiB): scrypt's memory limit is set high enough for it.
    expect(await production.identity.passwords.hash('correct horse battery')).toMatch(/^scrypt\$131072\$8\$1\$/);
  });

  it('a hash weaker than the current cost is replaced on the next successful sign-in, and only then', async () => {
    const partner = await api.createPartnerUser();
    const weak = await new PasswordHasher({ N: 2 ** 4, r: 8, p: 1 }).hash(partner.password);
    await api.owner.query(sql.unsafe`UPDATE users SET password_hash = ${weak} WHERE id = ${partner.id}`);
    const storedHash = () => api.owner.oneFirst(sql.type(z.object({ password_hash: z.string() }))`SELECT password_hash FROM users WHERE id = ${partner.id}`);

    expect((await login({ email: partner.email, password: 'not-the-password' })).status).toBe(401);
    expect(await storedHash()).toBe(weak);
    expect((await login({ email: partner.email, password: partner.password })).status).toBe(200);
    const rehashed = await storedHash();
    expect(rehashed).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect((await login({ email: partner.email, password: partner.password })).status).toBe(200);
  });

  it('a password is set with at least 12 characters, refused naming the field and writing nothing', async () => {
    const partnerId = await api.createPartner();
    const email = `short-${someUuid()}@example.com`;
    const refused = api.dependencies.identity.createUser({ email, password: 'elevenchars', role: 'partner', partnerId });
    await expect(refused).rejects.toThrow(DomainError);
    await expect(refused).rejects.toMatchObject({ kind: 'invalid', code: 'password_too_short', field: 'password' });
    expect(await api.owner.exists(sql.unsafe`SELECT 1 FROM users WHERE email = ${email}`)).toBe(false);
    await expect(api.dependencies.identity.createUser({ email, password: 'twelve-chars', role: 'partner', partnerId })).resolves.toMatchObject({ email });
  });
});
