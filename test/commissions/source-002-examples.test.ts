import { randomBytes } from 'node:crypto';
import { sql } from 'slonik';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommissionRelease } from '../../modules/commissions/commission-release.ts';
import { calculateChainCommissions } from '../../domain/commission.ts';
import type { PartnerStatus, Rank } from '../../domain/network.ts';
import { defaultPolicy } from '../../domain/policy.ts';
import { createApiHarness, errorOf, type ApiHarness } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';

/**
 * The worked examples of docs/rules.md#commission-examples against the running API and a real database: the rate table as served, every
 * worked example, the differential decision, FX, exactly-once, cancellation during the hold, release and pay.
 */

let harness: ApiHarness;
let token: string;
const unique = () => randomBytes(4).toString('hex');

beforeAll(async () => {
  harness = await createApiHarness();
  const admin = await harness.createAdmin('finance_manager');
  token = await harness.signIn(admin);
});

afterAll(async () => {
  await harness?.close();
});

/** A chain, top first: each partner sponsors the next. Returns the ids top first. */
async function chain(...members: { rank: string; status?: string }[]): Promise<string[]> {
  const prefix = `c${unique()}`;
  const ids = members.map((_, index) => `${prefix}-${index}`);
  for (const [index, member] of members.entries()) {
    await harness.owner.query(sql.unsafe`
      INSERT INTO partners (id, name, sponsor_id, rank, status, kyc_status, joined_at)
      VALUES (${ids[index]!}, ${ids[index]!}, ${index === 0 ? null : ids[index - 1]!}, ${member.rank},
              ${member.status ?? 'ACTIVE'}, 'APPROVED', now() - interval '1 year')`);
  }
  return ids;
}

interface PostedEvent {
  status: string;
  eventId?: string;
  commissions?: { id: string; partnerId: string; incomeType: number; level: number; amount: string }[];
  reversed?: number;
}

async function send(event: Record<string, unknown>): Promise<{ status: number; body: PostedEvent }> {
  const response = await harness.request('/v1/events', {
    token,
    body: { externalId: `ev-${unique()}`, sourceId: `src-${unique()}`, completedAt: new Date().toISOString(), currency: 'USD', ...event },
  });
  return { status: response.status, body: (await response.clone().json()) as PostedEvent };
}

const byPartner = (body: PostedEvent) => Object.fromEntries((body.commissions ?? []).map((line) => [line.partnerId, line]));

describe('the rate table', () => {
  // docs/rules.md#rate-table: personal sales, entrance fee, passive income.
  const table: Record<string, [string, string, string]> = {
    '0': ['3', '10.5', '0'], '1': ['5', '11', '5'], '2': ['8', '11.5', '8'], '3': ['10', '12', '10'],
    '4': ['12', '12.5', '12'], '4_PRO': ['13', '13', '13'], '5': ['14', '13.5', '14'], '5_PRO': ['15', '14', '15'],
    '6': ['16', '14.5', '16'], '6_PRO': ['16.5', '15', '16.5'], '7': ['17', '15.5', '17'], '7_PRO': ['17.5', '16', '17.5'],
    '8': ['18', '16.5', '18'], '8_PRO': ['18.5', '17', '18.5'], '9': ['19', '17.5', '19'], '9_PRO': ['19.25', '18', '19.25'],
    '10': ['19.5', '18.5', '19.5'], '10_PRO': ['19.75', '19', '19.75'], '11': ['20', '19.5', '20'], '11_PRO': ['20', '20', '20'],
  };

  it('GET /v1/policy serves the rates in docs/rules.md#rate-table for every rank, with the holds and rounding rules', async () => {
    const response = await harness.request('/v1/policy', { token });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { version: number; policy: { commissions: { rates: Record<string, Record<string, string>>; holds: Record<string, string>; rounding: Record<string, number> } } };
    const percent = (fraction: string) => String(Number((Number(fraction) * 100).toFixed(4)));
    const served = Object.fromEntries(Object.entries(body.policy.commissions.rates).map(([rank, rates]) => [rank, [percent(rates.personalSales!), percent(rates.entranceFee!), percent(rates.passiveIncome!)]]));
    expect(served).toEqual(table);
    expect(body.policy.commissions.holds).toEqual({ PRODUCT: '14d', INVESTMENT: '7d', PASSIVE: '7d', POOL: '0d' });
    expect(body.policy.commissions.rounding).toEqual({ percentageDecimals: 4, amountDecimals: 2 });
  });
});

describe('docs/rules.md#commission-examples worked examples', () => {
  it('example 1: rank 5 over a rank 2 seller of $5,000 earns the 6 % differential, $300; the seller $400', async () => {
    const [you, partner] = await chain({ rank: '5' }, { rank: '2' });
    const { status, body } = await send({ kind: 'ORDER_COMPLETED', partnerId: partner, amount: '5000.00' });
    expect(status).toBe(201);
    const lines = byPartner(body);
    expect(lines[partner!]).toMatchObject({ incomeType: 1, level: 1, amount: '400.00' });
    expect(lines[you!]).toMatchObject({ incomeType: 2, level: 2, amount: '300.00' });
    expect(body.commissions).toHaveLength(2);
  });

  it('example 2: a client\'s $2,000 profit pays the rank 3 partner $200 (type 5) and the rank 6 sponsor $120 (type 6)', async () => {
    const [you, partner] = await chain({ rank: '6' }, { rank: '3' });
    const { body } = await send({ kind: 'INVESTMENT_PROFIT', partnerId: partner, amount: '2000.00' });
    const lines = byPartner(body);
    expect(lines[partner!]).toMatchObject({ incomeType: 5, level: 1, amount: '200.00' });
    expect(lines[you!]).toMatchObject({ incomeType: 6, level: 2, amount: '120.00' });
  });

  it('example 4: a rank 3 sponsor of a rank 5 seller of $10,000 earns nothing; the seller $1,400', async () => {
    const [you, partner] = await chain({ rank: '3' }, { rank: '5' });
    const { body } = await send({ kind: 'ORDER_COMPLETED', partnerId: partner, amount: '10000.00' });
    expect(byPartner(body)[partner!]).toMatchObject({ incomeType: 1, amount: '1400.00' });
    expect(byPartner(body)[you!]).toBeUndefined();
  });

  it('team sales example: rank 6 over a rank 3 seller of $10,000 earns (16 % − 10 %) = $600', async () => {
    const [you, partner] = await chain({ rank: '6' }, { rank: '3' });
    const { body } = await send({ kind: 'ORDER_COMPLETED', partnerId: partner, amount: '10000.00' });
    expect(byPartner(body)[you!]).toMatchObject({ incomeType: 2, amount: '600.00' });
  });

  it('client profits example: rank 5, a client\'s $1,000 monthly profit pays 14 % = $140', async () => {
    const [partner] = await chain({ rank: '5' });
    const { body } = await send({ kind: 'INVESTMENT_PROFIT', partnerId: partner, amount: '1000.00' });
    expect(byPartner(body)[partner!]).toMatchObject({ incomeType: 5, amount: '140.00' });
  });

  it('an investment uses the entrance-fee column: rank 0 earns 10.5 % of the fee, a rank 5 sponsor 3 %', async () => {
    const [sponsor, seller] = await chain({ rank: '5' }, { rank: '0' });
    const { body } = await send({ kind: 'INVESTMENT_CONFIRMED', partnerId: seller, amount: '1000.00' });
    expect(byPartner(body)[seller!]).toMatchObject({ incomeType: 1, amount: '105.00' });
    expect(byPartner(body)[sponsor!]).toMatchObject({ incomeType: 2, amount: '30.00' });
  });

  it('a repeat purchase is type 3 at the personal rate; type 4 credits the investor their yield', async () => {
    const [partner] = await chain({ rank: '2' });
    const repeat = await send({ kind: 'ORDER_COMPLETED', partnerId: partner, amount: '100.00', repeatPurchase: true });
    expect(byPartner(repeat.body)[partner!]).toMatchObject({ incomeType: 3, amount: '8.00' });
    const yieldEvent = await send({ kind: 'PORTFOLIO_YIELD', partnerId: partner, amount: '10000.00', yieldRate: '0.035' });
    expect(byPartner(yieldEvent.body)[partner!]).toMatchObject({ incomeType: 4, amount: '350.00' });
  });
});

describe('the differential decision', () => {
  it('skips inactive ancestors without counting their rate, and pays nobody twice the same rate', async () => {
    // top first: 11 (active), 7 (suspended), 4 (active), 4 (active), seller 2 (active)
    const [top, suspended, four, fourAgain, seller] = await chain({ rank: '11' }, { rank: '7', status: 'SUSPENDED' }, { rank: '4' }, { rank: '4' }, { rank: '2' });
    const { body } = await send({ kind: 'ORDER_COMPLETED', partnerId: seller, amount: '1000.00' });
    const lines = byPartner(body);
    expect(lines[seller!]!.amount).toBe('80.00');
    expect(lines[fourAgain!]).toMatchObject({ level: 2, amount: '40.00' });
    expect(lines[four!]).toBeUndefined();
    expect(lines[suspended!]).toBeUndefined();
    expect(lines[top!]).toMatchObject({ level: 5, amount: '80.00' });
    const total = Object.values(lines).reduce((sum, line) => sum + Number(line.amount) * 100, 0);
    expect(total).toBe(20_000); // 20 % of $1,000, in cents
  });

  it('no attribution, no commission; a chain where everyone is inactive pays nothing', async () => {
    const unattributed = await send({ kind: 'ORDER_COMPLETED', partnerId: null, amount: '500.00' });
    expect(unattributed.status).toBe(201);
    expect(unattributed.body.commissions).toEqual([]);
    const [, seller] = await chain({ rank: '9', status: 'TERMINATED' }, { rank: '3', status: 'SUSPENDED' });
    const inactive = await send({ kind: 'ORDER_COMPLETED', partnerId: seller, amount: '500.00' });
    expect(inactive.body.commissions).toEqual([]);
  });

  it('truncates the percentage step to 4 dp and floors the amount to cents', async () => {
    const [seller] = await chain({ rank: '0' });
    // 3 % of 33.33 = 0.9999 → 0.99
    const { body } = await send({ kind: 'ORDER_COMPLETED', partnerId: seller, amount: '33.33' });
    expect(byPartner(body)[seller!]!.amount).toBe('0.99');
    const [id] = body.commissions!.map((line) => line.id);
    const detail = (await (await harness.request(`/v1/commissions/${id}`, { token })).json()) as { breakdown: { percentage: string; text: string } };
    expect(detail.breakdown.percentage).toBe('0.9999');
    expect(detail.breakdown.text).toContain('floored');
  });

  it('uses the rank a partner held when the event completed, not the current one', async () => {
    const [sponsor, seller] = await chain({ rank: '6' }, { rank: '1' });
    const before = new Date(Date.now() - 60_000).toISOString();
    // The sponsor drops to rank 1 now; an event that completed a minute ago still pays the rank-6 differential.
    await harness.owner.query(sql.unsafe`
      INSERT INTO partner_changes (partner_id, field, old_value, new_value, effective_at, recorded_by)
      VALUES (${sponsor!}, 'rank', '6', '1', now() - interval '30 seconds', 'test')`);
    await harness.owner.query(sql.unsafe`UPDATE partners SET rank = '1', rank_since = now() - interval '30 seconds' WHERE id = ${sponsor!}`);
    const old = await send({ kind: 'ORDER_COMPLETED', partnerId: seller, amount: '100.00', completedAt: before });
    expect(byPartner(old.body)[sponsor!]!.amount).toBe('11.00');
    const recent = await send({ kind: 'ORDER_COMPLETED', partnerId: seller, amount: '100.00' });
    expect(byPartner(recent.body)[sponsor!]).toBeUndefined();
  });
});

describe('deep chains', () => {
  it('a chain 150 deep pays exactly what the calculation over the whole chain pays, levels and history included', async () => {
    // Deterministic ranks 0–4 and some suspended members; the top is 11, and one member at level 90 was rank 10
    // when the event completed and has dropped to 0 since.
    const ranksCycle = ['0', '1', '2', '3', '4', '2', '1', '0', '3'];
    const members = Array.from({ length: 150 }, (_, index) => ({
      rank: index === 0 ? '11' : ranksCycle[index % ranksCycle.length]!,
      status: index % 17 === 5 ? 'SUSPENDED' : 'ACTIVE',
    }));
    const ids = await chain(...members);
    const seller = ids.at(-1)!;
    const levelOf = (index: number) => ids.length - index;
    const changed = ids[ids.length - 90]!;
    const completedAt = new Date(Date.now() - 60_000);
    await harness.owner.query(sql.unsafe`
      INSERT INTO partner_changes (partner_id, field, old_value, new_value, effective_at, recorded_by)
      VALUES (${changed}, 'rank', '10', ${members[ids.length - 90]!.rank}, now() - interval '30 seconds', 'test')`);
    await harness.owner.query(sql.unsafe`UPDATE partners SET rank_since = now() - interval '30 seconds' WHERE id = ${changed}`);

    const { body } = await send({ kind: 'ORDER_COMPLETED', partnerId: seller, amount: '777.77', completedAt: completedAt.toISOString() });
    const asOf = members.map((member, index) => ({ partnerId: ids[index]!, rank: (ids[index] === changed ? '10' : member.rank) as Rank, status: member.status as PartnerStatus }));
    const expected = calculateChainCommissions({ sourceType: 'PRODUCT', base: '777.77', repeatPurchase: false }, [...asOf].reverse(), defaultPolicy.commissions);
    expect(expected.some((line) => line.level > 32)).toBe(true);
    expect(body.commissions!.map((line) => [line.partnerId, line.level, line.amount])).toEqual(expected.map((line) => [line.partnerId, line.level, line.amount]));
    expect(byPartner(body)[changed]).toMatchObject({ level: 90 });
    expect(levelOf(0)).toBe(150);
    expect(byPartner(body)[ids[0]!]).toMatchObject({ level: 150, amount: expected.at(-1)!.amount });
  });
});

describe('exactly once, FX, refusals', () => {
  it('re-sending an event changes nothing; the same id with other content is a 409', async () => {
    const [seller] = await chain({ rank: '3' });
    const event = { externalId: `ev-${unique()}`, sourceId: `order-${unique()}`, kind: 'ORDER_COMPLETED', partnerId: seller, amount: '250.00', currency: 'USD', completedAt: new Date().toISOString() };
    const first = await harness.request('/v1/events', { token, body: event });
    expect(first.status).toBe(201);
    const counts = await harness.countRows();
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const again = await harness.request('/v1/events', { token, body: event });
      expect(again.status).toBe(200);
      expect(((await again.json()) as PostedEvent).status).toBe('DUPLICATE');
    }
    expect(await harness.countRows()).toEqual(counts);
    const conflict = await harness.request('/v1/events', { token, body: { ...event, amount: '251.00' } });
    expect(conflict.status).toBe(409);
    expect((await errorOf(conflict)).field).toBe('body.externalId');
    const otherId = await harness.request('/v1/events', { token, body: { ...event, externalId: `ev-${unique()}` } });
    expect(otherId.status).toBe(409);
    expect((await errorOf(otherId)).field).toBe('body.sourceId');
    expect(await harness.countRows()).toEqual(counts);
  });

  it('converts at the platform rate for the completion time and stores the original; a missing rate is a 422', async () => {
    const [seller] = await chain({ rank: '3' });
    const completedAt = new Date(Date.now() - 3_600_000).toISOString();
    const missing = await send({ kind: 'ORDER_COMPLETED', partnerId: seller, amount: '1000.00', currency: 'EUR', completedAt });
    expect(missing.status).toBe(422);
    const counts = await harness.countRows();
    const director = await harness.createAdmin('finance_director');
    const directorToken = await harness.signIn(director);
    // A rate change needs a fresh TOTP code (docs/rules.md#four-eyes).
    const rate = await harness.request('/v1/fx-rates', { token: directorToken, headers: { 'x-totp-code': await harness.nextTotp(director) }, body: { currency: 'EUR', usdRate: '1.0850', effectiveAt: new Date(Date.now() - 7_200_000).toISOString() } });
    expect(rate.status).toBe(201);
    // A later rate does not apply to an event that completed before it (this one, 84 % away, waits for a second person anyway).
    await harness.request('/v1/fx-rates', { token: directorToken, headers: { 'x-totp-code': await harness.nextTotp(director) }, body: { currency: 'EUR', usdRate: '2.0000', effectiveAt: new Date(Date.now() - 60_000).toISOString() } });
    const externalId = `ev-${unique()}`;
    const converted = await send({ externalId, kind: 'ORDER_COMPLETED', partnerId: seller, amount: '1000.00', currency: 'EUR', completedAt });
    expect(converted.status).toBe(201);
    expect(byPartner(converted.body)[seller!]!.amount).toBe('108.50');
    const event = (await (await harness.request(`/v1/events/${externalId}`, { token })).json()) as Record<string, unknown>;
    expect(event).toMatchObject({ originalAmount: '1000', originalCurrency: 'EUR', fxRate: '1.0850', baseUsd: '1085.00' });
    expect((await harness.countRows()).journal_entries).toBe(counts.journal_entries + 1);
  });

  it('refuses bad input with a 4xx naming the field, changing nothing', async () => {
    const counts = await harness.countRows();
    const cases: [Record<string, unknown>, number, string][] = [
      [{ kind: 'ORDER_COMPLETED', partnerId: 'nobody-here', amount: '10.00' }, 422, 'body.partnerId'],
      [{ kind: 'ORDER_COMPLETED', partnerId: null, amount: '10.001' }, 400, 'body.amount'],
      [{ kind: 'ORDER_COMPLETED', partnerId: null, amount: 10 }, 400, 'body.amount'],
      [{ kind: 'ORDER_COMPLETED', partnerId: null, amount: '-5.00' }, 400, 'body.amount'],
      [{ kind: 'PORTFOLIO_YIELD', partnerId: null, amount: '10.00' }, 400, 'body.yieldRate'],
      [{ kind: 'ORDER_CANCELLED', partnerId: null, sourceId: 'never-completed' }, 422, 'body.sourceId'],
      [{ kind: 'SOMETHING', partnerId: null, amount: '10.00' }, 400, 'body.kind'],
    ];
    for (const [event, status, field] of cases) {
      const body = { externalId: `ev-${unique()}`, sourceId: `s-${unique()}`, completedAt: new Date().toISOString(), ...(event.kind === 'ORDER_CANCELLED' ? {} : { currency: 'USD' }), ...event };
      const response = await harness.request('/v1/events', { token, body });
      expect(response.status, JSON.stringify(event)).toBe(status);
      expect((await errorOf(response)).field, JSON.stringify(event)).toBe(field);
    }
    expect(await harness.countRows()).toEqual(counts);
  });

  it('the bulk endpoint reports each line; a bad line rejects nothing else', async () => {
    const [seller] = await chain({ rank: '2' });
    const events = Array.from({ length: 50 }, (_, index) => ({
      externalId: `bulk-${unique()}-${index}`, kind: 'ORDER_COMPLETED', sourceId: `bulk-order-${unique()}-${index}`, partnerId: seller,
      amount: index === 7 ? '1.001' : '100.00', currency: 'USD', completedAt: new Date().toISOString(),
    }));
    events.push({ ...events[0]! });
    const response = await harness.request('/v1/events/bulk', { token, body: { events } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { processed: number; duplicates: number; rejected: number; results: { status: string; error?: { field: string } }[] };
    expect(body).toMatchObject({ processed: 49, duplicates: 1, rejected: 1 });
    expect(body.results[7]).toMatchObject({ status: 'REJECTED', error: { field: 'events.7.amount' } });
    expect(body.results[50]!.status).toBe('DUPLICATE');
    await assertLedgerInvariants(harness.testDatabase.ownerUrl);
  });
});

describe('hold, cancellation, release and pay', () => {
  const balances = async (partnerId: string) => {
    const response = await harness.request(`/v1/partners/${partnerId}/balances`, { token });
    const body = (await response.json()) as { balances: Record<string, string>[] };
    return body.balances.find((row) => row.currency === 'USD') ?? {};
  };

  it('an order cancelled during the hold reverses every commission at once', async () => {
    const [sponsor, seller] = await chain({ rank: '5' }, { rank: '2' });
    const sourceId = `order-${unique()}`;
    const completed = await send({ kind: 'ORDER_COMPLETED', sourceId, partnerId: seller, amount: '5000.00' });
    expect((await balances(sponsor!)).commissionPending).toBe('300.00');
    const cancelled = await harness.request('/v1/events', { token, body: { externalId: `ev-${unique()}`, kind: 'ORDER_CANCELLED', sourceId, partnerId: null, completedAt: new Date().toISOString() } });
    expect(cancelled.status).toBe(201);
    expect(((await cancelled.json()) as PostedEvent).reversed).toBe(2);
    expect((await balances(sponsor!)).commissionPending).toBe('0.00');
    expect((await balances(seller!)).commissionPending).toBe('0.00');
    const detail = (await (await harness.request(`/v1/commissions/${completed.body.commissions![0]!.id}`, { token })).json()) as { status: string; history: { action: string }[] };
    expect(detail.status).toBe('REVERSED');
    expect(detail.history.map((record) => record.action)).toEqual(['COMMISSION_CREATE', 'COMMISSION_REVERSE']);
    await assertLedgerInvariants(harness.testDatabase.ownerUrl);
  });

  it('an order cancelled after its commissions were paid claws them back from available, the rest as debt', async () => {
    const [sponsor, seller] = await chain({ rank: '5' }, { rank: '2' });
    const sourceId = `order-${unique()}`;
    await send({ kind: 'ORDER_COMPLETED', sourceId, partnerId: seller, amount: '1000.00', completedAt: new Date(Date.now() - 20 * 86_400_000).toISOString() });
    const release = new CommissionRelease(harness.database, harness.dependencies.ledger);
    await release.releaseDue(new Date());
    await release.payBatch(`test-${unique()}`, new Date());
    expect(await balances(seller!)).toMatchObject({ available: '80.00' });
    // The seller spends part of it (a withdrawal of 50.00 leaves 30.00 available).
    await harness.dependencies.ledger.postEntry({
      idempotencyKey: `spend-${seller}`, kind: 'test_withdrawal',
      postings: [
        { account: { ownerType: 'partner', ownerId: seller!, bucket: 'available', currency: 'USD' }, amount: '-50.00' },
        { account: { ownerType: 'platform', ownerId: 'platform', bucket: 'payout_clearing', currency: 'USD' }, amount: '50.00' },
      ],
    });
    const cancelled = await harness.request('/v1/events', { token, body: { externalId: `ev-${unique()}`, kind: 'ORDER_CANCELLED', sourceId, partnerId: null, completedAt: new Date().toISOString() } });
    expect(cancelled.status).toBe(201);
    expect(await balances(seller!)).toMatchObject({ available: '0.00', debt: '50.00' });
    expect(await balances(sponsor!)).toMatchObject({ available: '0.00', debt: '0.00' });
    const actions = await harness.owner.anyFirst(sql.type(z.object({ action: z.string() }))`
      SELECT DISTINCT action FROM audit_records WHERE target_type = 'commission' AND action LIKE 'COMMISSION_C%'`);
    expect(actions).toContain('COMMISSION_CLAWBACK');
    await assertLedgerInvariants(harness.testDatabase.ownerUrl);
  });

  it('releases a hold once it is over, then pays into available, repaying debt first', async () => {
    const [sponsor, seller] = await chain({ rank: '5' }, { rank: '2' });
    // The seller owes $50 from an earlier clawback.
    await harness.dependencies.ledger.postEntry({
      idempotencyKey: `debt-${seller}`, kind: 'test_debt',
      postings: [
        { account: { ownerType: 'partner', ownerId: seller!, bucket: 'debt', currency: 'USD' }, amount: '-50.00' },
        { account: { ownerType: 'platform', ownerId: 'platform', bucket: 'adjustments', currency: 'USD' }, amount: '50.00' },
      ],
    });
    const completedAt = new Date(Date.now() - 15 * 86_400_000).toISOString();
    const recent = await send({ kind: 'ORDER_COMPLETED', partnerId: seller, amount: '1000.00' });
    const old = await send({ kind: 'ORDER_COMPLETED', partnerId: seller, amount: '5000.00', completedAt });
    expect(old.status).toBe(201);
    const release = new CommissionRelease(harness.database, harness.dependencies.ledger);
    const released = await release.releaseDue(new Date());
    expect(released.approved).toBeGreaterThanOrEqual(2);
    expect(await balances(seller!)).toMatchObject({ commissionPending: '80.00', commissionApproved: '400.00' });
    expect((await release.releaseDue(new Date())).approved).toBe(0);

    const paid = await release.payBatch(`test-${unique()}`, new Date());
    expect(new Set([paid.commissions >= 2])).toEqual(new Set([true]));
    expect(await balances(seller!)).toMatchObject({ commissionPending: '80.00', commissionApproved: '0.00', available: '350.00', debt: '0.00' });
    expect(await balances(sponsor!)).toMatchObject({ commissionApproved: '0.00', available: '300.00' });
    const statuses = await harness.owner.anyFirst(sql.type(z.object({ status: z.string() }))`
      SELECT status FROM commissions WHERE id = ANY(${sql.array([...old.body.commissions!, ...recent.body.commissions!].map((line) => line.id), 'int8')}) ORDER BY id`);
    expect([...statuses].sort()).toEqual(['PAID', 'PAID', 'PENDING', 'PENDING']);
    await assertLedgerInvariants(harness.testDatabase.ownerUrl);
  });
});

// Last: it changes the policy in force for the rest of the file.
describe('policy versions', () => {
  it('a new version applies to events completing after it takes effect, not before; bad documents name the field', async () => {
    const director = await harness.createAdmin('finance_director');
    const directorToken = await harness.signIn(director);
    const current = (await (await harness.request('/v1/policy', { token })).json()) as { version: number; policy: typeof defaultPolicy };
    const invalid = await harness.request('/v1/policy/versions', {
      token: directorToken,
      headers: { 'x-totp-code': await harness.nextTotp(director) },
      body: { effectiveFrom: new Date(Date.now() + 60_000).toISOString(), reason: 'broken', policy: { ...current.policy, commissions: { ...current.policy.commissions, holds: { ...current.policy.commissions.holds, PRODUCT: 'two weeks' } } } },
    });
    expect(invalid.status).toBe(422);
    expect((await errorOf(invalid)).field).toBe('body.policy.commissions.holds.PRODUCT');
    const withoutTotp = await harness.request('/v1/policy/versions', { token: directorToken, body: { effectiveFrom: new Date(Date.now() + 60_000).toISOString(), reason: 'x', policy: current.policy } });
    expect(withoutTotp.status).toBe(401);

    // The next TOTP code may be up to 30 s away (each code is accepted once): take it before choosing the time.
    const code = await harness.nextTotp(director);
    const effectiveFrom = new Date(Date.now() + 1_500);
    const rates = { ...current.policy.commissions.rates, '2': { ...current.policy.commissions.rates['2']!, personalSales: '0.09' } };
    const added = await harness.request('/v1/policy/versions', {
      token: directorToken,
      headers: { 'x-totp-code': code },
      body: { effectiveFrom: effectiveFrom.toISOString(), reason: 'rank 2 personal sales to 9 %', policy: { ...current.policy, commissions: { ...current.policy.commissions, rates } } },
    });
    expect(added.status).toBe(201);
    const version = ((await added.json()) as { version: number }).version;
    expect(version).toBe(current.version + 1);
    // The API's policy cache is refreshed by the write; wait until the version is in force.
    await new Promise((resolve) => setTimeout(resolve, effectiveFrom.getTime() - Date.now() + 100));
    expect(((await (await harness.request('/v1/policy', { token })).json()) as { version: number }).version).toBe(version);

    const [seller] = await chain({ rank: '2' });
    const before = await send({ kind: 'ORDER_COMPLETED', partnerId: seller, amount: '100.00', completedAt: new Date(effectiveFrom.getTime() - 1_000).toISOString() });
    const after = await send({ kind: 'ORDER_COMPLETED', partnerId: seller, amount: '100.00', completedAt: new Date().toISOString() });
    expect(byPartner(before.body)[seller!]!.amount).toBe('8.00');
    expect(byPartner(after.body)[seller!]!.amount).toBe('9.00');
  });
});
