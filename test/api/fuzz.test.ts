import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../helpers/api.ts';
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

beforeAll(async () => {
  api = await createApiHarness({ providerWebhookSecret: webhookSecret });
  fuzzer = new Fuzzer(api, { seed, directors: 3, webhookSecret });
  await fuzzer.prepare();
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
