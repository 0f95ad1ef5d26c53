import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode, totpStep } from '../../modules/identity/totp.ts';
import { createApiHarness, errorOf, type ApiHarness, type TestAdmin } from '../helpers/api.ts';

let api: ApiHarness;
let admin: TestAdmin;
let adminToken: string;
let partnerId: string;

beforeAll(async () => {
  api = await createApiHarness();
  partnerId = await api.createPartner();
  admin = await api.createAdmin();
  adminToken = await api.signIn(admin);
});

afterAll(async () => {
  await api?.close();
});

/** A code the server would accept: the admin signed in with the current step, and nothing consumes the next one. */
const unusedTotp = () => totpCode(admin.totpSecret, totpStep(new Date()) + 1);

const validBonus = () => ({ partnerId, amount: '12.50', currency: 'USD', reason: 'campaign winner' });

/**
 * Each case carries a TOTP code that would pass, so a request that slipped past validation would write a bonus
 * and the row counts would show it.
 */
const bonusCases: { name: string; body: () => unknown; field: string }[] = [
  { name: 'an amount sent as a JSON number', body: () => ({ ...validBonus(), amount: 12.5 }), field: 'body.amount' },
  { name: 'an amount finer than the currency allows ("1.001" USD)', body: () => ({ ...validBonus(), amount: '1.001' }), field: 'body.amount' },
  { name: 'an amount in exponent notation', body: () => ({ ...validBonus(), amount: '1e3' }), field: 'body.amount' },
  { name: 'a zero amount', body: () => ({ ...validBonus(), amount: '0.00' }), field: 'body.amount' },
  { name: 'an unknown currency ("XYZ")', body: () => ({ ...validBonus(), currency: 'XYZ' }), field: 'body.currency' },
  { name: 'a missing partnerId', body: () => ({ amount: '12.50', currency: 'USD', reason: 'no partner' }), field: 'body.partnerId' },
  { name: 'a partnerId with characters an id cannot have', body: () => ({ ...validBonus(), partnerId: 'p 1; DROP' }), field: 'body.partnerId' },
  { name: 'an empty reason', body: () => ({ ...validBonus(), reason: '   ' }), field: 'body.reason' },
];

describe('POST /v1/bonuses with a malformed body', () => {
  it.each(bonusCases)('with $name, it answers 400 naming $field and writes nothing', async ({ body, field }) => {
    const before = await api.countRows();
    const response = await api.request('/v1/bonuses', {
      token: adminToken,
      headers: { 'x-totp-code': unusedTotp(), 'idempotency-key': `malformed-${field}` },
      body: body(),
    });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error).toMatchObject({ code: 'invalid_request', field });
    expect(error.message).toContain(field);
    expect(await api.countRows()).toEqual(before);
  });

  it('with an unknown extra field, it answers 400 naming the field and writes nothing', async () => {
    const before = await api.countRows();
    const response = await api.request('/v1/bonuses', {
      token: adminToken,
      headers: { 'x-totp-code': unusedTotp() },
      body: { ...validBonus(), approvedBy: 'me' },
    });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error).toMatchObject({ code: 'invalid_request', field: 'body.approvedBy' });
    expect(error.message).toContain('approvedBy');
    expect(await api.countRows()).toEqual(before);
  });

  it('with a body that is not JSON, it answers 400 naming the body and writes nothing', async () => {
    const before = await api.countRows();
    const response = await api.request('/v1/bonuses', {
      token: adminToken,
      headers: { 'x-totp-code': unusedTotp() },
      body: '{"partnerId": "p_1", "amount": ',
    });
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatchObject({ code: 'invalid_request', field: 'body' });
    expect(await api.countRows()).toEqual(before);
  });

  it('with a body sent as a form instead of JSON, it answers 400 and writes nothing', async () => {
    const before = await api.countRows();
    const response = await api.request('/v1/bonuses', {
      token: adminToken,
      headers: { 'x-totp-code': unusedTotp(), 'content-type': 'application/x-www-form-urlencoded' },
      body: `partnerId=${partnerId}&amount=12.50&currency=USD&reason=form`,
    });
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatchObject({ code: 'invalid_request' });
    expect(await api.countRows()).toEqual(before);
  });
});

const partnerCases: { name: string; body: unknown; field: string }[] = [
  { name: 'no name', body: { sponsorId: null }, field: 'body.name' },
  { name: 'a blank name', body: { name: '  ' }, field: 'body.name' },
  { name: 'an id with a space', body: { id: 'a b', name: 'Spacey' }, field: 'body.id' },
  { name: 'an unknown rank', body: { name: 'Ranked', rank: '12' }, field: 'body.rank' },
  { name: 'a joinedAt that is not a timestamp', body: { name: 'Dated', joinedAt: 'yesterday' }, field: 'body.joinedAt' },
];

describe('POST /v1/partners with a malformed body', () => {
  it.each(partnerCases)('with $name, it answers 400 naming $field and writes nothing', async ({ body, field }) => {
    const before = await api.countRows();
    const response = await api.request('/v1/partners', { token: adminToken, body });
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatchObject({ code: 'invalid_request', field });
    expect(await api.countRows()).toEqual(before);
  });

  it('with an unknown extra field, it answers 400 naming the field and writes nothing', async () => {
    const before = await api.countRows();
    const response = await api.request('/v1/partners', { token: adminToken, body: { name: 'Extra', commissionRate: '0.5' } });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error).toMatchObject({ code: 'invalid_request', field: 'body.commissionRate' });
    expect(error.message).toContain('commissionRate');
    expect(await api.countRows()).toEqual(before);
  });

  it('with a body that is not JSON, it answers 400 naming the body and writes nothing', async () => {
    const before = await api.countRows();
    const response = await api.request('/v1/partners', { token: adminToken, body: 'name=Plain' });
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatchObject({ code: 'invalid_request', field: 'body' });
    expect(await api.countRows()).toEqual(before);
  });

  it('with a sponsor that does not exist, it answers 422 naming body.sponsorId and writes nothing', async () => {
    const before = await api.countRows();
    const response = await api.request('/v1/partners', { token: adminToken, body: { name: 'Orphan', sponsorId: 'p_missing' } });
    expect(response.status).toBe(422);
    expect(await errorOf(response)).toMatchObject({ code: 'sponsor_not_found', field: 'body.sponsorId' });
    expect(await api.countRows()).toEqual(before);
  });
});

describe('malformed parameters and queries', () => {
  it('a bonus id that is not a UUID answers 400 naming params.id', async () => {
    const response = await api.request('/v1/bonuses/not-a-uuid', { token: adminToken });
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatchObject({ code: 'invalid_request', field: 'params.id' });
  });

  it('a ledger limit above 500 answers 400 naming query.limit', async () => {
    const response = await api.request(`/v1/partners/${partnerId}/ledger?limit=501`, { token: adminToken });
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatchObject({ code: 'invalid_request', field: 'query.limit' });
  });

  it('a ledger cursor the API did not issue answers 400 naming query.cursor', async () => {
    const response = await api.request(`/v1/partners/${partnerId}/ledger?cursor=bm90LWEtY3Vyc29y`, { token: adminToken });
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatchObject({ code: 'invalid_request', field: 'query.cursor' });
  });

  it('a balances asOf that is not a timestamp answers 400 naming query.asOf', async () => {
    const response = await api.request(`/v1/partners/${partnerId}/balances?asOf=last-tuesday`, { token: adminToken });
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatchObject({ code: 'invalid_request', field: 'query.asOf' });
  });

  it('an unknown partner answers 404 naming id', async () => {
    const response = await api.request('/v1/partners/p_nobody', { token: adminToken });
    expect(response.status).toBe(404);
    expect(await errorOf(response)).toMatchObject({ code: 'not_found', field: 'id' });
  });

  it('an unknown path answers 404 in the error shape', async () => {
    const response = await api.request('/v2/anything');
    expect(response.status).toBe(404);
    expect(await errorOf(response)).toMatchObject({ code: 'not_found' });
  });
});
