import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'slonik';
import { z } from 'zod';
import { createApiHarness, errorOf, wrongTotp, type ApiHarness, type TestAdmin } from '../helpers/api.ts';

let api: ApiHarness;
let partnerId: string;

beforeAll(async () => {
  api = await createApiHarness();
  partnerId = await api.createPartner();
});

afterAll(async () => {
  await api?.close();
});

/**
 * A signed-in admin. Each admin has two TOTP steps to spend in a 30-s window (login takes the current one, the
 * first step-up the next), so a test that needs a step-up gets its own admin rather than waiting.
 */
async function signedInAdmin(role: TestAdmin['role'] = 'finance_manager') {
  const admin = await api.createAdmin(role);
  return { admin, token: await api.signIn(admin) };
}

const bonusBody = (overrides: Record<string, unknown> = {}) => ({
  partnerId,
  amount: '25.00',
  currency: 'USD',
  reason: 'top seller of the month',
  ...overrides,
});

const bonusRows = (bonusId: string) =>
  api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`SELECT count(*)::int AS count FROM bonuses WHERE id = ${bonusId}`);

describe('POST /v1/bonuses step-up', () => {
  it('without X-TOTP-Code, it answers 401 totp_required naming the header and writes nothing', async () => {
    const { token } = await signedInAdmin();
    const before = await api.countRows();
    const response = await api.request('/v1/bonuses', { token, body: bonusBody() });
    expect(response.status).toBe(401);
    expect(await errorOf(response)).toMatchObject({ code: 'totp_required', field: 'X-TOTP-Code' });
    expect(await api.countRows()).toEqual(before);
  });

  it('with a wrong X-TOTP-Code, it answers 401 naming the header and writes nothing', async () => {
    const { admin, token } = await signedInAdmin();
    const before = await api.countRows();
    const response = await api.request('/v1/bonuses', {
      token,
      headers: { 'x-totp-code': wrongTotp(admin.totpSecret) },
      body: bonusBody(),
    });
    expect(response.status).toBe(401);
    expect(await errorOf(response)).toMatchObject({ code: 'invalid_totp', field: 'X-TOTP-Code' });
    expect(await api.countRows()).toEqual(before);
  });

  it('with the TOTP code the admin just signed in with, it answers 401: a code is accepted once only', async () => {
    const { admin } = await signedInAdmin();
    const totp = await api.nextTotp(admin);
    const login = await api.request('/v1/auth/login', { body: { email: admin.email, password: admin.password, totp } });
    // nextTotp handed out the step after the one signedInAdmin used, so this login spends it.
    expect(login.status).toBe(200);
    const { token } = (await login.json()) as { token: string };
    const response = await api.request('/v1/bonuses', { token, headers: { 'x-totp-code': totp }, body: bonusBody() });
    expect(response.status).toBe(401);
    expect(await errorOf(response)).toMatchObject({ code: 'invalid_totp', field: 'X-TOTP-Code' });
  });
});

describe('POST /v1/bonuses', () => {
  it('with a fresh TOTP code, it answers 202 with the bonus PENDING and starts workflow bonus-<id>', async () => {
    const { admin, token } = await signedInAdmin();
    const before = await api.countRows();
    const response = await api.request('/v1/bonuses', {
      token,
      headers: { 'x-totp-code': await api.nextTotp(admin), 'x-forwarded-for': '203.0.113.7' },
      body: bonusBody({ amount: '25' }),
    });
    expect(response.status).toBe(202);
    expect(response.headers.get('idempotent-replayed')).toBeNull();
    const bonus = (await response.json()) as Record<string, unknown> & { id: string };
    expect(bonus).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      workflowId: `bonus-${bonus.id}`,
      workflowUrl: `http://localhost:8233/namespaces/default/workflows/bonus-${bonus.id}`,
      status: 'PENDING',
      partnerId,
      amount: '25.00',
      currency: 'USD',
      reason: 'top seller of the month',
      entryId: null,
      failure: null,
      createdAt: expect.any(String),
      createdBy: admin.id,
      // No RUB rate is known here: 25 USD is judged against the policy's USD threshold (100), below it.
      needsApproval: false,
      amountRub: null,
      decidedBy: null,
      decidedAt: null,
    });

    const after = await api.countRows();
    expect(after.bonuses).toBe(before.bonuses + 1);
    expect(after.audit_records).toBe(before.audit_records + 1);
    // No worker runs here: nothing is posted to the ledger by the API itself.
    expect(after.journal_entries).toBe(before.journal_entries);

    const description = await api.dependencies.temporal.workflow.getHandle(`bonus-${bonus.id}`).describe();
    expect(description.type).toBe('bonusWorkflow');
    expect(description.taskQueue).toBe(api.taskQueue);
    expect(description.status.name).toBe('RUNNING');

    const read = await api.request(`/v1/bonuses/${bonus.id}`, { token });
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual(bonus);
  });

  it('for a partner that does not exist, it answers 422 naming body.partnerId and writes nothing', async () => {
    const { admin, token } = await signedInAdmin();
    const before = await api.countRows();
    const response = await api.request('/v1/bonuses', {
      token,
      headers: { 'x-totp-code': await api.nextTotp(admin), 'idempotency-key': 'bonus-for-nobody' },
      body: bonusBody({ partnerId: 'p_nobody' }),
    });
    expect(response.status).toBe(422);
    expect(await errorOf(response)).toMatchObject({ code: 'partner_not_found', field: 'body.partnerId' });
    expect(await api.countRows()).toEqual(before);
  });

  it('for a bonus id that does not exist, GET answers 404', async () => {
    const { token } = await signedInAdmin('financial_support');
    const response = await api.request('/v1/bonuses/00000000-0000-4000-8000-000000000000', { token });
    expect(response.status).toBe(404);
    expect(await errorOf(response)).toMatchObject({ code: 'not_found' });
  });
});

describe('POST /v1/bonuses with Idempotency-Key', () => {
  it('when the same key and body are sent twice, the second answer replays the first and one bonus exists', async () => {
    const { admin, token } = await signedInAdmin();
    const before = await api.countRows();
    const headers = { 'idempotency-key': 'campaign-2024-06-winner' };
    const first = await api.request('/v1/bonuses', {
      token,
      headers: { ...headers, 'x-totp-code': await api.nextTotp(admin) },
      body: bonusBody(),
    });
    expect(first.status).toBe(202);
    const firstBonus = (await first.json()) as { id: string };

    // The retry carries no fresh code: the stored answer is returned without running the request again.
    const second = await api.request('/v1/bonuses', { token, headers, body: bonusBody() });
    expect(second.status).toBe(202);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await second.json()).toEqual(firstBonus);

    expect(await bonusRows(firstBonus.id)).toBe(1);
    const after = await api.countRows();
    expect(after.bonuses).toBe(before.bonuses + 1);
    expect(after.audit_records).toBe(before.audit_records + 1);
  });

  it('when the same key comes with a different body, it answers 422 idempotency_key_reused and writes nothing', async () => {
    const { admin, token } = await signedInAdmin();
    const headers = { 'idempotency-key': 'campaign-2024-07-winner' };
    const first = await api.request('/v1/bonuses', {
      token,
      headers: { ...headers, 'x-totp-code': await api.nextTotp(admin) },
      body: bonusBody(),
    });
    expect(first.status).toBe(202);

    const before = await api.countRows();
    const second = await api.request('/v1/bonuses', { token, headers, body: bonusBody({ amount: '250.00' }) });
    expect(second.status).toBe(422);
    expect(await errorOf(second)).toMatchObject({ code: 'idempotency_key_reused', field: 'Idempotency-Key' });
    expect(await api.countRows()).toEqual(before);
  });

  it('when a request with a key is refused, the key is released and a corrected retry with it succeeds', async () => {
    const { admin, token } = await signedInAdmin();
    const headers = { 'idempotency-key': 'retry-after-wrong-code' };
    const refused = await api.request('/v1/bonuses', {
      token,
      headers: { ...headers, 'x-totp-code': wrongTotp(admin.totpSecret) },
      body: bonusBody(),
    });
    expect(refused.status).toBe(401);

    const retried = await api.request('/v1/bonuses', {
      token,
      headers: { ...headers, 'x-totp-code': await api.nextTotp(admin) },
      body: bonusBody(),
    });
    expect(retried.status).toBe(202);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
  });

  it('two admins may use the same key independently', async () => {
    const first = await signedInAdmin();
    const second = await signedInAdmin('admin');
    const headers = { 'idempotency-key': 'shared-key' };
    const answers = await Promise.all(
      [first, second].map(async ({ admin, token }) =>
        api.request('/v1/bonuses', { token, headers: { ...headers, 'x-totp-code': await api.nextTotp(admin) }, body: bonusBody() }),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual([202, 202]);
    const [one, two] = (await Promise.all(answers.map((answer) => answer.json()))) as { id: string }[];
    expect(one!.id).not.toBe(two!.id);
  });
});
