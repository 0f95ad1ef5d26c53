import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode, totpStep } from '../../modules/identity/totp.ts';
import { createApiHarness, errorOf, type ApiHarness, type TestAdmin } from '../helpers/api.ts';
import { errorShapeProblem, formatReport, Fuzzer, operationsOf, toJsonText, RawJson } from '../helpers/fuzz.ts';

/**
 * The short run of the fuzz suite (docs/rules.md#fuzzing): requests generated from /openapi.json for every operation,
 * valid and invalid, through the real app on a real database and Temporal (no worker polls the harness's task
 * queue, so only a request itself can write). FUZZ_SEED repeats a run; FUZZ_SECONDS bounds it (60 by default).
 * The long run is `npm run fuzz` (test/soak/fuzz.ts).
 */
const seed = Number(process.env.FUZZ_SEED ?? 16_2026);
const seconds = Number(process.env.FUZZ_SECONDS ?? 60);
const webhookSecret = 'fuzz-webhook-secret-0123456789abcdef';

let api: ApiHarness;
let fuzzer: Fuzzer;
let seededPartner: string;

beforeAll(async () => {
  api = await createApiHarness({ providerWebhookSecret: webhookSecret });
  fuzzer = new Fuzzer(api, { seed, directors: 3, webhookSecret });
  await fuzzer.prepare();
  seededPartner = await api.createPartner();
});

afterAll(async () => {
  await fuzzer?.close();
  await api?.close();
});

describe('the fuzz suite', () => {
  it('covers every operation of /openapi.json, the session-free ones included', () => {
    const operations = operationsOf(api.app.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 't', version: '0' } }));
    expect(operations.length).toBeGreaterThan(90);
    expect(fuzzer.operations.map((operation) => operation.operationId).sort()).toEqual(operations.map((operation) => operation.operationId).sort());
    expect(operations.filter((operation) => operation.public).map((operation) => operation.operationId)).toEqual(
      expect.arrayContaining(['logIn', 'receiveProviderWebhook', 'receiveChargebackWebhook']),
    );
  });

  it(`answers every generated request without a 5xx, in the error shape, naming a field, and writing nothing when it refuses (seed ${seed})`, async () => {
    console.log(`fuzz: seed ${seed} (FUZZ_SEED=${seed} repeats this run), up to ${seconds} s`);
    const report = await fuzzer.run(0, 20_000, Date.now() + seconds * 1_000);
    console.log(formatReport(report, fuzzer.operations));
    // Every operation at least twice: the run went round the document.
    expect(report.requests).toBeGreaterThanOrEqual(fuzzer.operations.length * 2);
    expect(Object.keys(report.byOperation).length).toBe(fuzzer.operations.length);
    expect(report.failures.map((failure) => `${failure.kind} ${failure.status}: ${JSON.stringify(failure.request)} -> ${failure.responseBody}`)).toEqual([]);
  }, (seconds + 60) * 1_000);
});

describe('the fuzz suite’s own checks', () => {
  it('sees a row written between two snapshots, in any table', async () => {
    const before = await fuzzer.snapshot();
    await api.owner.query(sql.unsafe`INSERT INTO partners (id, name, rank, status, kyc_status, joined_at)
      VALUES ('p_fuzz_check', 'Checked', '0', 'ACTIVE', 'APPROVED', now())`);
    const after = await fuzzer.snapshot();
    expect(Object.keys(before).filter((table) => before[table] !== after[table])).toEqual(['partners']);
  });

  it('sees a row changed in place, not only a count', async () => {
    const before = await fuzzer.snapshot();
    await api.owner.query(sql.unsafe`UPDATE partners SET name = 'Renamed' WHERE id = 'p_fuzz_check'`);
    const after = await fuzzer.snapshot();
    expect(Object.keys(before).filter((table) => before[table] !== after[table])).toEqual(['partners']);
  });

  it('refuses error bodies outside the one shape', () => {
    expect(errorShapeProblem('{"error":{"code":"invalid_request","message":"body.amount: bad","field":"body.amount"}}')).toBeNull();
    expect(errorShapeProblem('Internal Server Error')).toMatch(/not JSON/);
    expect(errorShapeProblem('{"message":"bad"}')).toMatch(/no `error`/);
    expect(errorShapeProblem('{"error":{"code":"x","message":"y","issues":[]}}')).toMatch(/extra keys/);
    expect(errorShapeProblem('{"error":{"code":"x","message":"y","field":""}}')).toMatch(/not a name/);
    expect(errorShapeProblem('{"success":false,"error":{"code":"x","message":"y"}}')).toMatch(/beside/);
  });

  it('writes raw JSON numbers and own __proto__ keys as they are', () => {
    const body = JSON.parse('{"__proto__": {"admin": true}}') as Record<string, unknown>;
    body.amount = new RawJson('1e400');
    body.zero = new RawJson('-0');
    expect(toJsonText(body)).toBe('{"__proto__":{"admin":true},"amount":1e400,"zero":-0}');
  });
});

/**
 * What the fuzz suite found, each kept as a case of its own. Every body is otherwise well formed and carries a TOTP
 * code the server would accept, so a request that slipped past validation could write, and the row counts would show it.
 */
describe('inputs the fuzz suite found answering 500', () => {
  const amountCases: { name: string; path: () => string; body: () => Record<string, unknown>; field: string }[] = [
    { name: 'POST /v1/bonuses', path: () => '/v1/bonuses', body: () => ({ partnerId: partnerIdOf(), currency: 'USD', reason: 'fuzz' }), field: 'body.amount' },
    { name: 'POST /v1/adjustments', path: () => '/v1/adjustments', body: () => ({ partnerId: partnerIdOf(), type: 'BONUS', currency: 'USD', reason: 'fuzz', status: 'PENDING' }), field: 'body.amount' },
    { name: 'POST /v1/payouts', path: () => '/v1/payouts', body: () => ({ partnerId: partnerIdOf(), currency: 'USD', methodId: 'BANK_TRANSFER' }), field: 'body.amount' },
    { name: 'POST /v1/refunds', path: () => '/v1/refunds', body: () => ({ orderId: 'order-1', reason: 'PARTIAL_DAMAGE' }), field: 'body.amount' },
    { name: 'POST /v1/chargebacks', path: () => '/v1/chargebacks', body: () => ({ orderId: 'order-1', currency: 'USD', providerReference: 'cb-1', reasonCode: '4837' }), field: 'body.amount' },
    { name: 'POST /v1/commissions/{id}/clawback', path: () => '/v1/commissions/1/clawback', body: () => ({ reason: 'fuzz' }), field: 'body.amount' },
    {
      name: 'POST /v1/events',
      path: () => '/v1/events',
      body: () => ({ externalId: 'evt-1', kind: 'ORDER_COMPLETED', sourceId: 'order-1', partnerId: partnerIdOf(), completedAt: '2026-01-01T00:00:00Z', currency: 'USD' }),
      field: 'body.amount',
    },
    {
      name: 'POST /v1/bulk-adjustments',
      path: () => '/v1/bulk-adjustments',
      body: () => ({ direction: 'ADD', amountKind: 'FIXED', currency: 'USD', reason: 'fuzz', target: { kind: 'IDS', partnerIds: [partnerIdOf()] } }),
      field: 'body.value',
    },
  ];
  // Each is not a number at all: decimal.js threw on it inside a zod refinement, which runs after a failed pattern.
  const notNumbers = ['abc', 'ꓛ￲', '١٢٣', '1,5'];

  it.each(amountCases)('$name with an amount that is not a number answers 400 naming $field and writes nothing', async ({ path, body, field }) => {
    const director = await freshDirector();
    for (const [index, amount] of notNumbers.entries()) {
      const before = await api.countRows();
      // A code the server would accept (the next step); the refusal comes first, so it is never spent.
      const unusedTotp = totpCode(director.admin.totpSecret, totpStep(new Date()) + 1);
      const response = await api.request(path(), {
        token: director.token,
        headers: { 'x-totp-code': unusedTotp, 'idempotency-key': `not-a-number-${index}` },
        body: { ...body(), [field.slice('body.'.length)]: amount },
      });
      expect(response.status, `amount ${JSON.stringify(amount)}`).toBe(400);
      expect(await errorOf(response)).toMatchObject({ code: 'invalid_request', field });
      expect(await api.countRows()).toEqual(before);
    }
  });
});

let directorAccount: { admin: TestAdmin; token: string } | null = null;
/** One director for the regression cases, apart from the fuzzer's (whose TOTP steps it spends). */
async function freshDirector(): Promise<{ admin: TestAdmin; token: string }> {
  if (!directorAccount) {
    const admin = await api.createAdmin('finance_director');
    directorAccount = { admin, token: await api.signIn(admin) };
  }
  return directorAccount;
}
const partnerIdOf = () => seededPartner;

describe('a NUL character (U+0000), which PostgreSQL text cannot hold', () => {
  const cases: { name: string; path: string; body?: unknown; field: string }[] = [
    { name: 'in a query filter (found by the fuzz suite)', path: '/v1/payment-history?q=1RA4&methodId=%00', field: 'query.methodId' },
    { name: 'in a search', path: '/v1/partners?q=a%00b', field: 'query.q' },
    { name: 'in a JSON body field', path: '/v1/partners', body: { name: 'Nul\u0000Name' }, field: 'body.name' },
    { name: 'in a nested JSON body field', path: '/v1/events/bulk', body: { events: [{ externalId: 'e\u00001' }] }, field: 'body.events.0.externalId' },
  ];

  it.each(cases)('$name answers 400 naming $field and writes nothing', async ({ path, body, field }) => {
    const director = await freshDirector();
    const before = await api.countRows();
    const response = await api.request(path, { token: director.token, ...(body !== undefined ? { body } : {}) });
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatchObject({ code: 'invalid_request', field });
    expect(await api.countRows()).toEqual(before);
  });

  it('escaped as text (a backslash, then u0000) is an ordinary string', async () => {
    const director = await freshDirector();
    const response = await api.request('/v1/partners', { token: director.token, body: { name: 'Back\\u0000slash' } });
    expect(response.status).toBe(201);
  });
});

describe('a whole number larger than the database holds', () => {
  it.each(['level', 'levelMin'])('GET /v1/commissions?%s=1.797693134862315e+308 (found by the fuzz suite) answers 400 naming the parameter', async (name) => {
    const director = await freshDirector();
    const response = await api.request(`/v1/commissions?${name}=1.797693134862315e%2B308`, { token: director.token });
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatchObject({ code: 'invalid_request', field: `query.${name}` });
  });

  it('GET /v1/commissions?levelMin=2147483647, the largest level the column holds, is answered', async () => {
    const director = await freshDirector();
    const response = await api.request('/v1/commissions?levelMin=2147483647', { token: director.token });
    expect(response.status).toBe(200);
  });
});
