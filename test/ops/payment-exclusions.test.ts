import { randomBytes } from 'node:crypto';
import { CheckIntegrityConstraintViolationError, sql } from 'slonik';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommissionRelease } from '../../modules/commissions/commission-release.ts';
import type { EventInput } from '../../modules/commissions/ingest-events.ts';
import { PaymentExclusionStore } from '../../modules/ops/payment-exclusions-store.ts';
import { exclusionCovers, type PaymentExclusionRule } from '../../domain/ops-switches.ts';
import type { AdminRole } from '../../domain/access.ts';
import { createApiHarness, errorOf, type ApiHarness, type TestAdmin } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { createInProcessWorker } from '../helpers/temporal.ts';

/**
 * The exclude list in docs/rules.md#payment-exclusions through the real API, Postgres and the real pay batch (CommissionRelease.payBatch, and
 * once through the pay-batch workflow on a real Temporal server).
 */

let harness: ApiHarness;
let manager: TestAdmin;
let managerToken: string;
let release: CommissionRelease;
const unique = () => randomBytes(5).toString('hex');
const day = 86_400_000;

beforeAll(async () => {
  harness = await createApiHarness();
  manager = await harness.createAdmin('finance_manager');
  managerToken = await harness.signIn(manager);
  release = new CommissionRelease(harness.database, harness.dependencies.ledger);
});

afterAll(async () => {
  await harness?.close();
});

const statusRow = z.object({ external_id: z.string(), status: z.string(), amount: z.string() });

/** Posts events through the real engine; returns the commission's status by event external id. */
async function ingest(events: Omit<EventInput, 'externalId' | 'currency'>[]): Promise<string[]> {
  const inputs = events.map((event) => ({ ...event, externalId: `ev-${unique()}`, currency: 'USD' }));
  const results = await harness.dependencies.engine.ingest(inputs, 'test');
  for (const result of results) expect(result.status).toBe('PROCESSED');
  return inputs.map((input) => input.externalId);
}

async function statuses(externalIds: string[]): Promise<Record<string, string>> {
  const rows = await harness.owner.any(sql.type(statusRow)`
    SELECT e.external_id, c.status, c.amount FROM commissions c JOIN commission_events e ON e.id = c.event_id
    WHERE e.external_id = ANY(${sql.array(externalIds, 'text')})`);
  return Object.fromEntries(rows.map((row) => [row.external_id, row.status]));
}

async function balances(partnerId: string) {
  const response = await harness.request(`/v1/partners/${partnerId}/balances`, { token: managerToken });
  const body = (await response.json()) as { balances: Record<string, string>[] };
  return body.balances.find((row) => row.currency === 'USD') ?? {};
}

/**
 * A step-up request as a freshly signed-in admin: the server accepts each TOTP step once, and a new admin has one
 * unused step left after signing in, so no test waits for the clock.
 */
async function stepUp(path: string, body: unknown, role: AdminRole = 'finance_manager') {
  const admin = await harness.createAdmin(role);
  const token = await harness.signIn(admin);
  const response = await harness.request(path, { token, body, headers: { 'x-totp-code': await harness.nextTotp(admin) } });
  return { response, admin };
}

async function addExclusion(body: Record<string, unknown>) {
  return (await stepUp('/v1/payment-exclusions', body)).response;
}

async function removeExclusion(id: string, reason = 'billing fixed') {
  return stepUp(`/v1/payment-exclusions/${id}/remove`, { reason });
}

interface ExclusionBody {
  id: string;
  active: boolean;
  to: string | null;
  withheld: { currency: string; commissions: number; amount: string }[];
  removal: { by: string; reason: string } | null;
}

const countOf = (query: ReturnType<typeof sql.fragment>) => harness.owner.oneFirst(sql.type(z.object({ count: z.number() }))`SELECT count(*)::int AS count FROM (${query}) q`);

describe('the exclude list in the pay batch', () => {
  it('keeps an excluded source type APPROVED in commission_approved, pays the others, and releases it when removed', async () => {
    const partner = await harness.createPartner();
    const completedAt = new Date(Date.now() - 20 * day).toISOString();
    const [order, investment] = await ingest([
      { kind: 'ORDER_COMPLETED', sourceId: `order-${unique()}`, partnerId: partner, completedAt, amount: '1000.00' },
      { kind: 'INVESTMENT_CONFIRMED', sourceId: `strategy-${unique()}`, partnerId: partner, completedAt, amount: '1000.00' },
    ]);
    await release.releaseDue(new Date());
    expect(await statuses([order!, investment!])).toEqual({ [order!]: 'APPROVED', [investment!]: 'APPROVED' });

    // Open-ended (no `to`): every INVESTMENT transaction from a month ago on.
    const { response: added, admin: adder } = await stepUp('/v1/payment-exclusions', { matchField: 'SOURCE_TYPE', matchValue: 'INVESTMENT', from: new Date(Date.now() - 30 * day).toISOString(), reason: 'billing under investigation' });
    expect(added.status).toBe(201);
    const exclusion = (await added.json()) as ExclusionBody;
    expect(exclusion).toMatchObject({ active: true, to: null, removal: null });

    await release.payBatch(`test-${unique()}`, new Date());
    expect(await statuses([order!, investment!])).toEqual({ [order!]: 'PAID', [investment!]: 'APPROVED' });
    // Rank 0: 3 % of the order, 10.5 % of the entrance fee.
    expect(await balances(partner)).toMatchObject({ available: '30.00', commissionApproved: '105.00' });

    // Still in the statistics: the commission list shows it, and the exclusion says what it withholds.
    const listed = await harness.request(`/v1/commissions?partnerId=${partner}&status=APPROVED`, { token: managerToken });
    expect(((await listed.json()) as { commissions: unknown[] }).commissions).toHaveLength(1);
    const list = (await (await harness.request('/v1/payment-exclusions?active=true', { token: managerToken })).json()) as { exclusions: ExclusionBody[] };
    expect(list.exclusions.find((candidate) => candidate.id === exclusion.id)!.withheld).toEqual([{ currency: 'USD', commissions: 1, amount: '105.00' }]);

    // A second batch still leaves it alone.
    await release.payBatch(`test-${unique()}`, new Date());
    expect(await statuses([investment!])).toEqual({ [investment!]: 'APPROVED' });

    const { response: removed, admin: remover } = await removeExclusion(exclusion.id);
    expect(removed.status).toBe(200);
    expect(await removed.json()).toMatchObject({ changed: true, exclusion: { active: false, withheld: [], removal: { by: remover.id, reason: 'billing fixed' } } });
    await release.payBatch(`test-${unique()}`, new Date());
    expect(await statuses([order!, investment!])).toEqual({ [order!]: 'PAID', [investment!]: 'PAID' });
    expect(await balances(partner)).toMatchObject({ available: '135.00', commissionApproved: '0.00' });

    const audit = await harness.owner.any(sql.type(z.object({ actor: z.string(), reason: z.string(), details: z.record(z.unknown()) }))`
      SELECT actor, reason, details FROM audit_records
      WHERE action = 'POLICY_CHANGE' AND target_type = 'payment_exclusion' AND target_id = ${exclusion.id} ORDER BY id`);
    expect(audit).toEqual([
      { actor: adder.id, reason: 'billing under investigation', details: expect.objectContaining({ change: 'exclusion_added', matchField: 'SOURCE_TYPE', matchValue: 'INVESTMENT', to: null }) },
      { actor: remover.id, reason: 'billing fixed', details: expect.objectContaining({ change: 'exclusion_removed' }) },
    ]);
    await assertLedgerInvariants(harness.testDatabase.ownerUrl);
  });

  it('covers transactions from `from` (inclusive) to `to` (exclusive), and keeps covering them after `to` has passed', async () => {
    const partner = await harness.createPartner();
    const sourceId = `strategy-${unique()}`;
    const from = new Date(Date.now() - 12 * day);
    const to = new Date(Date.now() - 10 * day);
    const at = (time: number) => ({ kind: 'INVESTMENT_CONFIRMED' as const, sourceId, partnerId: partner, completedAt: new Date(time).toISOString(), amount: '100.00' });
    const [before, atFrom, beforeTo, atTo] = await ingest([at(from.getTime() - 1), at(from.getTime()), at(to.getTime() - 1), at(to.getTime())]);
    // The same source, outside the range by its source id: another investment product.
    const [otherSource] = await ingest([{ ...at(from.getTime()), sourceId: `strategy-${unique()}` }]);
    await release.releaseDue(new Date());

    const added = await addExclusion({ matchField: 'SOURCE_ID', matchValue: sourceId, from: from.toISOString(), to: to.toISOString(), reason: 'provider chargebacks for two days' });
    expect(added.status).toBe(201);
    const exclusion = (await added.json()) as ExclusionBody;
    // `to` lies in the past: the range names the transactions, not the time the pause lasts.
    await release.payBatch(`test-${unique()}`, new Date());
    expect(await statuses([before!, atFrom!, beforeTo!, atTo!, otherSource!])).toEqual({
      [before!]: 'PAID', [atFrom!]: 'APPROVED', [beforeTo!]: 'APPROVED', [atTo!]: 'PAID', [otherSource!]: 'PAID',
    });
    expect((await balances(partner)).commissionApproved).toBe('21.00');

    expect((await removeExclusion(exclusion.id)).response.status).toBe(200);
    await release.payBatch(`test-${unique()}`, new Date());
    expect(Object.values(await statuses([atFrom!, beforeTo!]))).toEqual(['PAID', 'PAID']);
    await assertLedgerInvariants(harness.testDatabase.ownerUrl);
  });

  it('the pay-batch workflow, started through the API, skips what an exclusion covers', async () => {
    const partner = await harness.createPartner();
    const completedAt = new Date(Date.now() - 20 * day).toISOString();
    const excludedSource = `order-${unique()}`;
    const [excluded, paid] = await ingest([
      { kind: 'ORDER_COMPLETED', sourceId: excludedSource, partnerId: partner, completedAt, amount: '500.00' },
      { kind: 'ORDER_COMPLETED', sourceId: `order-${unique()}`, partnerId: partner, completedAt, amount: '200.00' },
    ]);
    await release.releaseDue(new Date());
    const added = await addExclusion({ matchField: 'SOURCE_ID', matchValue: excludedSource, from: new Date(Date.now() - 30 * day).toISOString(), to: null, reason: 'disputed order' });
    const exclusion = (await added.json()) as ExclusionBody;

    const { worker, connection } = await createInProcessWorker({ database: harness.database, taskQueue: harness.taskQueue });
    try {
      await worker.runUntil(async () => {
        const started = await harness.request('/v1/commission-runs', { token: managerToken, body: { kind: 'pay-batch' } });
        expect(started.status).toBe(202);
        const { workflowId } = (await started.json()) as { workflowId: string };
        await harness.dependencies.temporal.workflow.getHandle(workflowId).result();
      });
    } finally {
      await connection.close();
    }
    expect(await statuses([excluded!, paid!])).toEqual({ [excluded!]: 'APPROVED', [paid!]: 'PAID' });
    expect(await balances(partner)).toMatchObject({ available: '6.00', commissionApproved: '15.00' });
    expect((await removeExclusion(exclusion.id)).response.status).toBe(200);
    await assertLedgerInvariants(harness.testDatabase.ownerUrl);
  });

  it('an exclusion added while a pay-batch transaction runs waits for it, and every later one sees it', async () => {
    const store = new PaymentExclusionStore(harness.database);
    // A pay-batch transaction holds the shared lock (its first statement) and has not finished.
    let releaseBatch!: () => void;
    const batchHolding = new Promise<void>((resolve) => (releaseBatch = resolve));
    let batchLocked!: () => void;
    const locked = new Promise<void>((resolve) => (batchLocked = resolve));
    const batch = harness.database.transaction(async (transaction) => {
      await transaction.query(sql.unsafe`SELECT pg_advisory_xact_lock_shared(hashtext('ledgerflow.payment_exclusions'))`);
      batchLocked();
      await batchHolding;
    });
    await locked;
    const adding = store.add({ matchField: 'SOURCE_TYPE', matchValue: 'PORTFOLIO_YIELD', from: new Date(0), to: null, reason: 'lock test', actor: 'test' });
    // The add is waiting on the lock, not done.
    await expect
      .poll(() => countOf(sql.fragment`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`), { timeout: 10_000, interval: 50 })
      .toBe(1);
    expect(await countOf(sql.fragment`SELECT 1 FROM payment_exclusions WHERE reason = 'lock test'`)).toBe(0);
    releaseBatch();
    await batch;
    const exclusion = await adding;
    expect(exclusion.removal).toBeNull();
    await store.remove({ id: exclusion.id, reason: 'lock test over', actor: 'test' });
  });

  it('a pay batch waits for an exclusion being added, then skips what it covers', async () => {
    const partner = await harness.createPartner();
    const sourceId = `order-${unique()}`;
    const [order] = await ingest([{ kind: 'ORDER_COMPLETED', sourceId, partnerId: partner, completedAt: new Date(Date.now() - 20 * day).toISOString(), amount: '100.00' }]);
    await release.releaseDue(new Date());
    // An exclusion's add holds the lock exclusively until it commits; the batch starts meanwhile.
    let commitAdd!: () => void;
    const adding = new Promise<void>((resolve) => (commitAdd = resolve));
    let addLocked!: () => void;
    const locked = new Promise<void>((resolve) => (addLocked = resolve));
    const add = harness.database.transaction(async (transaction) => {
      await transaction.query(sql.unsafe`SELECT pg_advisory_xact_lock(hashtext('ledgerflow.payment_exclusions'))`);
      await transaction.query(sql.unsafe`
        INSERT INTO payment_exclusions (match_field, match_value, from_at, reason, created_by)
        VALUES ('SOURCE_ID', ${sourceId}, now() - interval '1 year', 'lock test', 'test')`);
      addLocked();
      await adding;
    });
    await locked;
    const batch = release.payBatch(`test-${unique()}`, new Date());
    await expect
      .poll(() => countOf(sql.fragment`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`), { timeout: 10_000, interval: 50 })
      .toBe(1);
    commitAdd();
    await add;
    await batch;
    expect(await statuses([order!])).toEqual({ [order!]: 'APPROVED' });
    const id = await harness.owner.oneFirst(sql.type(z.object({ id: z.string() }))`SELECT id FROM payment_exclusions WHERE match_value = ${sourceId}`);
    await new PaymentExclusionStore(harness.database).remove({ id, reason: 'lock test over', actor: 'test' });
  });
});

describe('the exclude list API', () => {
  it('refuses partners and roles without commissions.run (403), a missing or spent TOTP (401), and bad input (400 naming the field), changing nothing', async () => {
    const partnerUser = await harness.createPartnerUser();
    const partnerToken = await harness.signIn(partnerUser);
    const stale = await harness.createAdmin('finance_director');
    const staleToken = await harness.signIn(stale);
    const admin = await harness.createAdmin('admin');
    const adminToken = await harness.signIn(admin);
    const before = await harness.countRows();
    const exclusionsBefore = await countOf(sql.fragment`SELECT 1 FROM payment_exclusions`);
    const valid = { matchField: 'SOURCE_TYPE', matchValue: 'PRODUCT', from: new Date().toISOString(), reason: 'r' };

    const byPartner = await harness.request('/v1/payment-exclusions', { token: partnerToken, body: valid, headers: { 'x-totp-code': '123456' } });
    expect(byPartner.status).toBe(403);
    expect((await harness.request('/v1/payment-exclusions', { token: partnerToken })).status).toBe(403);
    const byAdmin = await harness.request('/v1/payment-exclusions', { token: adminToken, body: valid, headers: { 'x-totp-code': await harness.nextTotp(admin) } });
    expect(byAdmin.status).toBe(403);
    expect(await errorOf(byAdmin)).toMatchObject({ code: 'forbidden' });

    const missing = await harness.request('/v1/payment-exclusions', { token: managerToken, body: valid });
    expect(missing.status).toBe(401);
    expect(await errorOf(missing)).toMatchObject({ code: 'totp_required', field: 'X-TOTP-Code' });

    // A code is good once: the second request with it is refused.
    const code = await harness.nextTotp(stale);
    const first = await harness.request('/v1/payment-exclusions/999999999/remove', { token: staleToken, body: { reason: 'x' }, headers: { 'x-totp-code': code } });
    expect(first.status).toBe(404);
    expect(await errorOf(first)).toMatchObject({ code: 'not_found', field: 'params.id' });
    const spent = await harness.request('/v1/payment-exclusions', { token: staleToken, body: valid, headers: { 'x-totp-code': code } });
    expect(spent.status).toBe(401);
    expect(await errorOf(spent)).toMatchObject({ code: 'invalid_totp', field: 'X-TOTP-Code' });

    // Bodies are checked before the code is: these need none.
    const invalid = async (body: Record<string, unknown>) => errorOf(await harness.request('/v1/payment-exclusions', { token: managerToken, body, headers: { 'x-totp-code': '000000' } }));
    expect(await invalid({ ...valid, matchValue: 'NOT_A_TYPE' })).toMatchObject({ code: 'invalid_request', field: 'body.matchValue' });
    expect(await invalid({ ...valid, to: new Date(Date.now() - day).toISOString() })).toMatchObject({ field: 'body.to' });
    expect(await invalid({ ...valid, billing: 'CCBILL' })).toMatchObject({ field: 'body.billing' });
    expect(await invalid({ ...valid, reason: '  ' })).toMatchObject({ field: 'body.reason' });
    expect(await invalid({ ...valid, from: 'yesterday' })).toMatchObject({ field: 'body.from' });
    const badId = await harness.request('/v1/payment-exclusions/abc/remove', { token: managerToken, body: { reason: 'x' } });
    expect(await errorOf(badId)).toMatchObject({ field: 'params.id' });

    expect(await harness.countRows()).toMatchObject({ audit_records: before.audit_records, journal_entries: before.journal_entries });
    expect(await countOf(sql.fragment`SELECT 1 FROM payment_exclusions`)).toBe(exclusionsBefore);
  });

  it('removing a removed exclusion changes nothing; an Idempotency-Key replays the first answer', async () => {
    const body = { matchField: 'SOURCE_ID', matchValue: `order-${unique()}`, from: new Date().toISOString(), reason: 'replay' };
    const admin = await harness.createAdmin('finance_manager');
    const token = await harness.signIn(admin);
    const headers = { 'x-totp-code': await harness.nextTotp(admin), 'idempotency-key': `key-${body.matchValue}` };
    const first = await harness.request('/v1/payment-exclusions', { token, body, headers });
    // The replay is answered from the stored response, before any TOTP check.
    const again = await harness.request('/v1/payment-exclusions', { token, body, headers });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const { id } = (await first.json()) as ExclusionBody;
    expect(((await again.json()) as ExclusionBody).id).toBe(id);
    expect(await countOf(sql.fragment`SELECT 1 FROM payment_exclusions WHERE match_value = ${body.matchValue}`)).toBe(1);

    expect(await (await removeExclusion(id, 'first')).response.json()).toMatchObject({ changed: true });
    expect(await (await removeExclusion(id, 'second')).response.json()).toMatchObject({ changed: false, exclusion: { removal: { reason: 'first' } } });
    expect(await countOf(sql.fragment`SELECT 1 FROM audit_records WHERE target_type = 'payment_exclusion' AND target_id = ${id}`)).toBe(2);
    const inactive = (await (await harness.request('/v1/payment-exclusions?active=false', { token: managerToken })).json()) as { exclusions: ExclusionBody[] };
    expect(inactive.exclusions.map((exclusion) => exclusion.id)).toContain(id);
  });

  it('the database keeps removed exclusions as they are, and none can be deleted', async () => {
    const store = new PaymentExclusionStore(harness.database);
    const exclusion = await store.add({ matchField: 'SOURCE_ID', matchValue: `x-${unique()}`, from: new Date(), to: null, reason: 'history', actor: 'test' });
    await expect(harness.database.query(sql.unsafe`DELETE FROM payment_exclusions WHERE id = ${exclusion.id}`)).rejects.toThrow();
    await expect(harness.database.query(sql.unsafe`UPDATE payment_exclusions SET match_value = 'other' WHERE id = ${exclusion.id}`)).rejects.toThrow(/permission denied/);
    await store.remove({ id: exclusion.id, reason: 'done', actor: 'test' });
    await expect(harness.database.query(sql.unsafe`UPDATE payment_exclusions SET removal_reason = 'rewritten' WHERE id = ${exclusion.id}`)).rejects.toBeInstanceOf(CheckIntegrityConstraintViolationError);
    expect(await harness.owner.oneFirst(sql.type(z.object({ removal_reason: z.string() }))`
      SELECT removal_reason FROM payment_exclusions WHERE id = ${exclusion.id}`)).toBe('done');
  });
});

describe('exclusionCovers (the rule the SQL applies)', () => {
  const rule: PaymentExclusionRule = { matchField: 'SOURCE_TYPE', matchValue: 'PRODUCT', from: new Date('2025-01-01T00:00:00Z'), to: new Date('2025-02-01T00:00:00Z'), removedAt: null };
  const commission = (at: string, sourceType: 'PRODUCT' | 'POOL' = 'PRODUCT') => ({ sourceType, sourceId: 'o-1', transactionAt: new Date(at) });

  it('matches the field and the half-open range, and nothing once removed', () => {
    expect(exclusionCovers(rule, commission('2025-01-01T00:00:00Z'))).toBe(true);
    expect(exclusionCovers(rule, commission('2024-12-31T23:59:59.999Z'))).toBe(false);
    expect(exclusionCovers(rule, commission('2025-01-31T23:59:59.999Z'))).toBe(true);
    expect(exclusionCovers(rule, commission('2025-02-01T00:00:00Z'))).toBe(false);
    expect(exclusionCovers(rule, commission('2025-01-10T00:00:00Z', 'POOL'))).toBe(false);
    expect(exclusionCovers({ ...rule, to: null }, commission('2099-01-01T00:00:00Z'))).toBe(true);
    expect(exclusionCovers({ ...rule, matchField: 'SOURCE_ID', matchValue: 'o-1' }, commission('2025-01-10T00:00:00Z'))).toBe(true);
    expect(exclusionCovers({ ...rule, removedAt: new Date() }, commission('2025-01-10T00:00:00Z'))).toBe(false);
  });
});
