import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'slonik';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyPattern, parseApiKey, type ApiKeyScope } from '../../domain/api-keys.ts';
import { createApiKey } from '../../modules/api-keys/api-key-store.ts';
import type { AuthenticatedUser } from '../../modules/identity/identity.ts';
import { personRole, requireFreshTotp, requirePermission } from '../../api/context.ts';
import { createApiHarness, errorOf, type ApiHarness, type TestAdmin } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';

/**
 * API keys for machines (docs/rules.md#api-keys) against the real API, a real database and the shared Temporal
 * dev server: shown once, stored hashed, scoped, revocable, rate-limited, and every call recorded with the key.
 */

let api: ApiHarness;
let senior: TestAdmin;
let seniorToken: string;
const unique = () => randomBytes(4).toString('hex');

beforeAll(async () => {
  api = await createApiHarness();
  senior = await api.createAdmin('senior_admin');
  seniorToken = await api.signIn(senior);
});

afterAll(async () => {
  await api?.close();
});

/** A key made the way the CLI makes one (no TOTP), for the tests that are not about creating keys. */
async function keyWith(scopes: ApiKeyScope[], requestsPerMinute?: number) {
  return createApiKey(api.database, { name: `test ${unique()}`, scopes, requestsPerMinute, actor: 'system:test' });
}

const keyRow = z.object({ id: z.string(), secret_hash: z.instanceof(Buffer), last_used_at: z.date().nullable(), revoked_at: z.date().nullable() });
const readKeyRow = (id: string) => api.owner.one(sql.type(keyRow)`SELECT id, secret_hash, last_used_at, revoked_at FROM api_keys WHERE id = ${id}`);
const callRow = z.object({ method: z.string(), path: z.string(), status: z.number() });
const callsOf = (id: string) => api.owner.any(sql.type(callRow)`SELECT method, path, status FROM api_key_calls WHERE key_id = ${id} ORDER BY id`);
const countKeys = () => api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`SELECT count(*)::int AS count FROM api_keys`);

async function createThroughApi(admin: TestAdmin, token: string, body: Record<string, unknown>) {
  return api.request('/v1/api-keys', { token, body, headers: { 'x-totp-code': await api.nextTotp(admin) } });
}

describe('creating a key', () => {
  it('a senior admin with a fresh TOTP gets the key once; only the SHA-256 of its secret is stored; it is audited', async () => {
    const response = await createThroughApi(senior, seniorToken, { name: 'shop checkout', scopes: ['events:write'] });
    expect(response.status).toBe(201);
    const created = (await response.json()) as { id: string; key: string; scopes: string[]; requestsPerMinute: number; lastUsedAt: string | null; createdBy: string };
    expect(created.key).toMatch(apiKeyPattern);
    expect(created).toMatchObject({ scopes: ['events:write'], requestsPerMinute: 600, lastUsedAt: null, createdBy: senior.id });
    const { id, secret } = parseApiKey(created.key)!;
    expect(id).toBe(created.id);

    // Stored hashed: the row holds the SHA-256 of the secret, and no column anywhere in it holds the secret.
    const row = await readKeyRow(id);
    expect(row.secret_hash.equals(createHash('sha256').update(secret).digest())).toBe(true);
    const rowText = await api.owner.oneFirst(sql.type(z.object({ row: z.string() }))`SELECT to_jsonb(k)::text AS row FROM api_keys k WHERE id = ${id}`);
    expect(rowText).not.toContain(secret);

    // Shown once: the list never carries the key or its hash.
    const list = await api.request('/v1/api-keys', { token: seniorToken });
    expect(list.status).toBe(200);
    const listed = JSON.stringify(await list.json());
    expect(listed).toContain(id);
    expect(listed).not.toContain(secret);
    expect(listed).not.toContain('secret');

    const audit = await api.owner.any(sql.type(z.object({ action: z.string(), actor: z.string() }))`
      SELECT action, actor FROM audit_records WHERE target_type = 'api_key' AND target_id = ${id}`);
    expect(audit).toEqual([{ action: 'API_KEY_CREATE', actor: senior.id }]);
  });

  it('without a TOTP code it answers 401 totp_required and creates nothing', async () => {
    const before = await countKeys();
    const response = await api.request('/v1/api-keys', { token: seniorToken, body: { name: 'no step-up', scopes: ['events:write'] } });
    expect(response.status).toBe(401);
    expect(await errorOf(response)).toMatchObject({ code: 'totp_required', field: 'X-TOTP-Code' });
    expect(await countKeys()).toBe(before);
  });

  it('an admin without api_keys.manage is refused with 403, and may still list the keys', async () => {
    const admin = await api.createAdmin('admin');
    const token = await api.signIn(admin);
    const before = await countKeys();
    const response = await createThroughApi(admin, token, { name: 'not mine to make', scopes: ['events:write'] });
    expect(response.status).toBe(403);
    expect(await countKeys()).toBe(before);
    expect((await api.request('/v1/api-keys', { token })).status).toBe(200);
  });

  it('an unknown scope is a 400 naming body.scopes.0, and nothing is written', async () => {
    const before = await countKeys();
    const response = await api.request('/v1/api-keys', { token: seniorToken, body: { name: 'bad scope', scopes: ['payouts:write'] } });
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatchObject({ code: 'invalid_request', field: 'body.scopes.0' });
    expect(await countKeys()).toBe(before);
  });

  it('a partner is refused (403)', async () => {
    const partner = await api.createPartnerUser();
    const token = await api.signIn(partner);
    const response = await api.request('/v1/api-keys', { token });
    expect(response.status).toBe(403);
  });
});

describe('a key caller inside the API', () => {
  const caller: AuthenticatedUser = { id: 'api-key:0123456789abcdef', email: 'api-key:0123456789abcdef', role: 'api_key', partnerId: null, sessionId: null, apiKey: { id: '0123456789abcdef', name: 'x', scopes: ['events:write'] } };

  it('passes a permission check only through its scopes, never passes a step-up, and has no person role', async () => {
    expect(() => requirePermission(caller, 'events.ingest')).not.toThrow();
    expect(() => requirePermission(caller, 'events.read')).toThrow(/no scope/);
    expect(() => requirePermission(caller, 'bonuses.create')).toThrow(/no scope/);
    await expect(requireFreshTotp(api.dependencies.identity, caller, '123456', 'a bonus')).rejects.toMatchObject({ status: 403 });
    expect(() => personRole(caller)).toThrow(/API key/);
  });
});

describe('calling with a key', () => {
  it('an event sent with an events:write key is processed, its commission audited with the key, the call recorded and the last use set', async () => {
    const key = await keyWith(['events:write']);
    const partner = await api.createPartner();
    const externalId = `ev-key-${unique()}`;
    const response = await api.request('/v1/events', {
      token: key.key,
      body: { externalId, kind: 'ORDER_COMPLETED', sourceId: `order-${unique()}`, partnerId: partner, amount: '1000.00', currency: 'USD', completedAt: new Date().toISOString() },
    });
    expect(response.status).toBe(201);
    const result = (await response.json()) as { status: string; commissions: { id: string; amount: string }[] };
    expect(result.status).toBe('PROCESSED');
    expect(result.commissions.length).toBeGreaterThan(0);

    const actor = `api-key:${key.id}`;
    const recordedBy = await api.owner.oneFirst(sql.type(z.object({ recorded_by: z.string().nullable() }))`
      SELECT recorded_by FROM commission_events WHERE external_id = ${externalId}`);
    expect(recordedBy).toBe(actor);
    const audited = await api.owner.any(sql.type(z.object({ action: z.string(), actor: z.string() }))`
      SELECT action, actor FROM audit_records WHERE target_type = 'commission' AND target_id = ${result.commissions[0]!.id}`);
    expect(audited).toEqual([{ action: 'COMMISSION_CREATE', actor }]);
    expect(await callsOf(key.id)).toEqual([{ method: 'POST', path: '/v1/events', status: 201 }]);
    expect((await readKeyRow(key.id)).last_used_at).not.toBeNull();
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });

  it('POST /v1/events/bulk takes an events:write key too', async () => {
    const key = await keyWith(['events:write']);
    const partner = await api.createPartner();
    const event = { externalId: `ev-bulk-${unique()}`, kind: 'ORDER_COMPLETED', sourceId: `order-${unique()}`, partnerId: partner, amount: '10.00', currency: 'USD', completedAt: new Date().toISOString() };
    const response = await api.request('/v1/events/bulk', { token: key.key, body: { events: [event] } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ processed: 1, rejected: 0 });
  });

  it('a key reaches only what its scopes open: anything else is a 403 naming the scope, and writes nothing', async () => {
    const key = await keyWith(['events:read']);
    const before = await api.countRows();
    const send = await api.request('/v1/events', { token: key.key, body: { externalId: 'x' } });
    expect(send.status).toBe(403);
    const sendError = await errorOf(send);
    expect(sendError).toMatchObject({ code: 'forbidden', field: 'Authorization' });
    expect(sendError.message).toContain('events:write');

    for (const [path, method, body] of [
      ['/v1/partners', 'POST', { id: 'p-x', name: 'x' }],
      ['/v1/bonuses', 'POST', { partnerId: 'p-x', amount: '1.00', currency: 'USD', reason: 'x' }],
      ['/v1/partners/p-x/balances', 'GET', undefined],
      ['/v1/auth/me', 'GET', undefined],
      ['/v1/api-keys', 'POST', { name: 'a key making keys', scopes: ['events:write'] }],
      ['/v1/reports/audit-trail', 'GET', undefined],
    ] as const) {
      const response = await api.request(path, { token: key.key, method, body });
      expect(response.status, `${method} ${path}`).toBe(403);
      expect(await errorOf(response)).toMatchObject({ code: 'forbidden', field: 'Authorization' });
    }
    expect(await api.countRows()).toEqual(before);
    expect((await callsOf(key.id)).map((call) => call.status)).toEqual([403, 403, 403, 403, 403, 403, 403]);

    // What it may do, it does: the event it names is not there (404), which is the route answering, not the key check.
    const read = await api.request('/v1/events/no-such-event', { token: key.key });
    expect(read.status).toBe(404);
  });

  it('a reports:read key reads the reports', async () => {
    const key = await keyWith(['reports:read']);
    const response = await api.request('/v1/reports/payouts-by-status-method?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z', { token: key.key });
    expect(response.status).toBe(200);
  });

  it('a wrong secret for a real key id is a 401 that spends nothing and records nothing', async () => {
    const key = await keyWith(['events:write']);
    const forged = `lf_${key.id}_${randomBytes(32).toString('base64url')}`;
    const response = await api.request('/v1/events', { token: forged, body: {} });
    expect(response.status).toBe(401);
    expect(await errorOf(response)).toMatchObject({ code: 'unauthenticated', field: 'Authorization' });
    expect((await readKeyRow(key.id)).last_used_at).toBeNull();
    expect(await callsOf(key.id)).toEqual([]);
  });

  it('concurrent calls never spend more than the bucket holds (the key row is locked for the check)', async () => {
    const key = await keyWith(['events:read'], 5);
    const statuses = await Promise.all(Array.from({ length: 12 }, (_, index) => api.request(`/v1/events/none-${index}`, { token: key.key }).then((response) => response.status)));
    // Five fit; the bucket refills at 5 a minute, so at most one more could have arrived while they ran.
    const passed = statuses.filter((status) => status === 404).length;
    expect(passed).toBeGreaterThanOrEqual(5);
    expect(passed).toBeLessThanOrEqual(6);
    expect(statuses.filter((status) => status === 429).length).toBe(12 - passed);
  });

  it('past its rate limit a key gets 429 with Retry-After, and the refusal is recorded', async () => {
    const key = await keyWith(['events:read'], 2);
    expect((await api.request('/v1/events/none-1', { token: key.key })).status).toBe(404);
    expect((await api.request('/v1/events/none-2', { token: key.key })).status).toBe(404);
    const limited = await api.request('/v1/events/none-3', { token: key.key });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await errorOf(limited)).toMatchObject({ code: 'rate_limited', field: 'Authorization' });
    expect((await callsOf(key.id)).map((call) => call.status)).toEqual([404, 404, 429]);
    // An admin reads the same calls through the API, newest first.
    const listed = await api.request(`/v1/api-keys/${key.id}/calls`, { token: seniorToken });
    expect(listed.status).toBe(200);
    const calls = ((await listed.json()) as { data: { method: string; path: string; status: number }[] }).data;
    expect(calls.map((call) => [call.method, call.path, call.status])).toEqual([
      ['GET', '/v1/events/none-3', 429], ['GET', '/v1/events/none-2', 404], ['GET', '/v1/events/none-1', 404],
    ]);
    // Another key has its own bucket.
    const other = await keyWith(['events:read'], 2);
    expect((await api.request('/v1/events/none-4', { token: other.key })).status).toBe(404);
  });
});

describe('revoking a key', () => {
  // Another admin than the one creating keys, so the step-up codes of the two do not wait on each other.
  let director: TestAdmin;
  let directorToken: string;
  beforeAll(async () => {
    director = await api.createAdmin('finance_director');
    directorToken = await api.signIn(director);
  });

  it('a revoked key is a 401 at once; the revocation is audited once, and a second one changes nothing', async () => {
    const key = await keyWith(['events:read']);
    expect((await api.request('/v1/events/none', { token: key.key })).status).toBe(404);

    const revoke = () => api.nextTotp(director).then((code) => api.request(`/v1/api-keys/${key.id}/revoke`, { token: directorToken, method: 'POST', headers: { 'x-totp-code': code } }));
    const first = await revoke();
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ changed: true, apiKey: { id: key.id, revokedBy: director.id } });

    const refused = await api.request('/v1/events/none', { token: key.key });
    expect(refused.status).toBe(401);
    expect(await errorOf(refused)).toMatchObject({ code: 'unauthenticated', field: 'Authorization' });

    const second = await revoke();
    expect(second.status).toBe(200);
    expect(await second.json()).toMatchObject({ changed: false });
    const audit = await api.owner.anyFirst(sql.type(z.object({ action: z.string() }))`
      SELECT action FROM audit_records WHERE target_type = 'api_key' AND target_id = ${key.id} ORDER BY id`);
    expect(audit).toEqual(['API_KEY_CREATE', 'API_KEY_REVOKE']);
  });

  it('an unknown key id is a 404 naming params.id; a malformed one a 400', async () => {
    const code = await api.nextTotp(senior);
    const unknown = await api.request('/v1/api-keys/0123456789abcdef/revoke', { token: seniorToken, method: 'POST', headers: { 'x-totp-code': code } });
    expect(unknown.status).toBe(404);
    expect(await errorOf(unknown)).toMatchObject({ code: 'not_found', field: 'params.id' });
    const calls = await api.request('/v1/api-keys/0123456789abcdef/calls', { token: seniorToken });
    expect(calls.status).toBe(404);
    expect(await errorOf(calls)).toMatchObject({ code: 'not_found', field: 'params.id' });
    const malformed = await api.request('/v1/api-keys/nope/revoke', { token: seniorToken, method: 'POST' });
    expect(malformed.status).toBe(400);
    expect(await errorOf(malformed)).toMatchObject({ field: 'params.id' });
  });

  it('the database refuses to delete a key or to undo a revocation', async () => {
    const key = await keyWith(['events:read']);
    await expect(api.database.query(sql.unsafe`DELETE FROM api_keys WHERE id = ${key.id}`)).rejects.toThrow();
    await api.owner.query(sql.unsafe`UPDATE api_keys SET revoked_at = now(), revoked_by = 'system:test' WHERE id = ${key.id}`);
    await expect(api.owner.query(sql.unsafe`UPDATE api_keys SET revoked_at = NULL, revoked_by = NULL WHERE id = ${key.id}`)).rejects.toThrow(/revocation/);
  });
});
