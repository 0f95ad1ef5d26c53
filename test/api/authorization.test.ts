import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, errorOf, type ApiHarness, type TestPartnerUser } from '../helpers/api.ts';

let api: ApiHarness;
let alice: TestPartnerUser;
let aliceToken: string;
let bob: TestPartnerUser;
let bobToken: string;
/** A bonus to Bob, created by an admin through the API. */
let bobBonusId: string;

beforeAll(async () => {
  api = await createApiHarness();
  alice = await api.createPartnerUser();
  bob = await api.createPartnerUser();
  [aliceToken, bobToken] = await Promise.all([api.signIn(alice), api.signIn(bob)]);

  const admin = await api.createAdmin();
  const adminToken = await api.signIn(admin);
  const response = await api.request('/v1/bonuses', {
    token: adminToken,
    headers: { 'x-totp-code': await api.nextTotp(admin) },
    body: { partnerId: bob.partnerId, amount: '10.00', currency: 'USD', reason: 'welcome bonus' },
  });
  if (response.status !== 202) throw new Error(`arranging Bob's bonus answered ${response.status}: ${await response.text()}`);
  bobBonusId = ((await response.json()) as { id: string }).id;
});

afterAll(async () => {
  await api?.close();
});

describe('a partner reads only their own data', () => {
  const bobsResources = () => [
    `/v1/partners/${bob.partnerId}`,
    `/v1/partners/${bob.partnerId}/balances`,
    `/v1/partners/${bob.partnerId}/ledger`,
    `/v1/bonuses/${bobBonusId}`,
  ];

  it("when a partner reads another partner's record, balances, ledger or bonus, each answers 403 forbidden", async () => {
    for (const path of bobsResources()) {
      const response = await api.request(path, { token: aliceToken });
      expect(response.status, path).toBe(403);
      expect(await errorOf(response), path).toMatchObject({ code: 'forbidden' });
    }
  });

  it('when a partner reads their own record, balances, ledger and bonus, each answers 200', async () => {
    const partner = await api.request(`/v1/partners/${bob.partnerId}`, { token: bobToken });
    expect(partner.status).toBe(200);
    expect(await partner.json()).toMatchObject({ id: bob.partnerId, sponsorId: null, status: 'ACTIVE' });

    const balances = await api.request(`/v1/partners/${bob.partnerId}/balances`, { token: bobToken });
    expect(balances.status).toBe(200);
    expect(await balances.json()).toEqual({ balances: expect.any(Array), asOf: null });

    const ledger = await api.request(`/v1/partners/${bob.partnerId}/ledger`, { token: bobToken });
    expect(ledger.status).toBe(200);
    expect(await ledger.json()).toEqual({ postings: expect.any(Array), nextCursor: null });

    const bonus = await api.request(`/v1/bonuses/${bobBonusId}`, { token: bobToken });
    expect(bonus.status).toBe(200);
    expect(await bonus.json()).toMatchObject({ id: bobBonusId, partnerId: bob.partnerId, amount: '10.00', currency: 'USD' });
  });
});

describe('what each role may change', () => {
  it('when a partner creates a partner, it answers 403 and no partner is added', async () => {
    const before = await api.countRows();
    const response = await api.request('/v1/partners', { token: aliceToken, body: { name: 'Downline of Alice', sponsorId: alice.partnerId } });
    expect(response.status).toBe(403);
    expect(await errorOf(response)).toMatchObject({ code: 'forbidden' });
    expect(await api.countRows()).toEqual(before);
  });

  it('when a partner creates a bonus, it answers 403 and no bonus is written', async () => {
    const before = await api.countRows();
    const response = await api.request('/v1/bonuses', {
      token: aliceToken,
      headers: { 'x-totp-code': '123456' },
      body: { partnerId: alice.partnerId, amount: '1000.00', currency: 'USD', reason: 'to myself' },
    });
    expect(response.status).toBe(403);
    expect(await errorOf(response)).toMatchObject({ code: 'forbidden' });
    expect(await api.countRows()).toEqual(before);
  });

  it('when financial support creates a bonus, it answers 403 and no bonus is written, though it may read partners', async () => {
    const support = await api.createAdmin('financial_support');
    const token = await api.signIn(support);
    const before = await api.countRows();
    const response = await api.request('/v1/bonuses', {
      token,
      headers: { 'x-totp-code': await api.nextTotp(support) },
      body: { partnerId: alice.partnerId, amount: '5.00', currency: 'USD', reason: 'goodwill' },
    });
    expect(response.status).toBe(403);
    expect(await errorOf(response)).toMatchObject({ code: 'forbidden' });
    expect(await api.countRows()).toEqual(before);

    expect((await api.request(`/v1/partners/${alice.partnerId}`, { token })).status).toBe(200);
    expect((await api.request(`/v1/bonuses/${bobBonusId}`, { token })).status).toBe(200);
  });

  it('when financial support creates a partner, it answers 403', async () => {
    const support = await api.createAdmin('financial_support');
    const token = await api.signIn(support);
    const response = await api.request('/v1/partners', { token, body: { name: 'Not allowed' } });
    expect(response.status).toBe(403);
  });

  it('when an admin creates a partner, it answers 201 with the partner and an audit record', async () => {
    const admin = await api.createAdmin();
    const token = await api.signIn(admin);
    const before = await api.countRows();
    const response = await api.request('/v1/partners', {
      token,
      body: { id: 'downline_of_alice', name: 'Downline of Alice', sponsorId: alice.partnerId, rank: '1' },
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ id: 'downline_of_alice', sponsorId: alice.partnerId, rank: '1', status: 'ACTIVE' });
    const after = await api.countRows();
    expect(after.partners).toBe(before.partners + 1);
    expect(after.audit_records).toBe(before.audit_records + 1);

    const again = await api.request('/v1/partners', { token, body: { id: 'downline_of_alice', name: 'Twice' } });
    expect(again.status).toBe(409);
    expect(await errorOf(again)).toMatchObject({ code: 'conflict', field: 'body.id' });
  });
});
