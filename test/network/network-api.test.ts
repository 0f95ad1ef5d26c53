import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApiHarness, errorOf, type ApiHarness, type TestPartnerUser } from '../helpers/api.ts';

let api: ApiHarness;
let adminToken: string;
let supportToken: string;
/** A partner user placed at t-a: reads t-a's upline and downline only. */
let partnerUser: TestPartnerUser;
let partnerToken: string;

interface UplineBody {
  partnerId: string;
  upline: { partnerId: string; level: number; rank: string; status: string; kycStatus: string }[];
}
interface DownlineBody {
  partnerId: string;
  members: { partnerId: string; name: string; sponsorId: string; level: number; childrenCount: number; joinedAt: string }[];
  nextCursor: string | null;
}
interface ChangeBody {
  id: string;
  partnerId: string;
  field: string;
  oldValue: string;
  newValue: string;
  effectiveAt: string;
  reason: string | null;
  recordedBy: string;
  recordedAt: string;
}

/**
 *   t-root
 *   ├── t-a            (the signed-in partner)
 *   │   ├── t-a1
 *   │   │   └── t-a1x
 *   │   └── t-a2
 *   └── t-b
 */
const tree = [
  { id: 't-root', sponsorId: null },
  { id: 't-a', sponsorId: 't-root' },
  { id: 't-b', sponsorId: 't-root' },
  { id: 't-a1', sponsorId: 't-a' },
  { id: 't-a2', sponsorId: 't-a' },
  { id: 't-a1x', sponsorId: 't-a1' },
];

beforeAll(async () => {
  api = await createApiHarness();
  await api.owner.query(sql.unsafe`
    INSERT INTO partners (id, name, sponsor_id, rank, status, kyc_status, joined_at)
    SELECT id, 'Partner ' || id, sponsor_id, '0', 'ACTIVE', 'APPROVED', '2024-01-01T00:00:00Z'
    FROM unnest(${sql.array(tree.map((partner) => partner.id), 'text')}, ${sql.array(tree.map((partner) => partner.sponsorId), 'text')})
      WITH ORDINALITY AS input (id, sponsor_id, position)
    ORDER BY position`);
  partnerUser = await api.createPartnerUser('t-a');
  [adminToken, supportToken, partnerToken] = await Promise.all([
    api.createAdmin('admin').then((admin) => api.signIn(admin)),
    api.createAdmin('financial_support').then((admin) => api.signIn(admin)),
    api.signIn(partnerUser),
  ]);
});

afterAll(async () => {
  await api?.close();
});

describe('GET /v1/partners/:id/upline', () => {
  it('answers the sponsors nearest first with their levels', async () => {
    const response = await api.request('/v1/partners/t-a1x/upline', { token: supportToken });
    expect(response.status).toBe(200);
    const body = (await response.json()) as UplineBody;
    expect(body).toEqual({
      partnerId: 't-a1x',
      upline: [
        { partnerId: 't-a1', level: 1, rank: '0', status: 'ACTIVE', kycStatus: 'APPROVED' },
        { partnerId: 't-a', level: 2, rank: '0', status: 'ACTIVE', kycStatus: 'APPROVED' },
        { partnerId: 't-root', level: 3, rank: '0', status: 'ACTIVE', kycStatus: 'APPROVED' },
      ],
    });
    const limited = (await (await api.request('/v1/partners/t-a1x/upline?limit=1', { token: supportToken })).json()) as UplineBody;
    expect(limited.upline.map((member) => member.partnerId)).toEqual(['t-a1']);
  });

  it('answers 404 for an unknown partner and 400 naming query.limit for a limit of 0', async () => {
    const missing = await api.request('/v1/partners/t-nobody/upline', { token: supportToken });
    expect(missing.status).toBe(404);
    expect(await errorOf(missing)).toMatchObject({ code: 'not_found', field: 'params.id' });
    const badLimit = await api.request('/v1/partners/t-a1x/upline?limit=0', { token: supportToken });
    expect(badLimit.status).toBe(400);
    expect(await errorOf(badLimit)).toMatchObject({ code: 'invalid_request', field: 'query.limit' });
  });
});

describe('GET /v1/partners/:id/downline', () => {
  it('pages through the downline with nextCursor, level by level', async () => {
    const seen: [string, number][] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const query: string = after ? `&after=${encodeURIComponent(after)}` : '';
      const response = await api.request(`/v1/partners/t-root/downline?maxDepth=3&limit=2${query}`, { token: supportToken });
      expect(response.status).toBe(200);
      const body = (await response.json()) as DownlineBody;
      seen.push(...body.members.map((member): [string, number] => [member.partnerId, member.level]));
      after = body.nextCursor;
      pages += 1;
    } while (after);
    expect(pages).toBe(3);
    expect(seen).toEqual([['t-a', 1], ['t-b', 1], ['t-a1', 2], ['t-a2', 2], ['t-a1x', 3]]);
  });

  it('by default answers the direct recruits with their details and children counts', async () => {
    const body = (await (await api.request('/v1/partners/t-a/downline', { token: supportToken })).json()) as DownlineBody;
    expect(body).toEqual({
      partnerId: 't-a',
      members: [
        expect.objectContaining({ partnerId: 't-a1', name: 'Partner t-a1', sponsorId: 't-a', level: 1, childrenCount: 1, joinedAt: '2024-01-01T00:00:00.000Z' }),
        expect.objectContaining({ partnerId: 't-a2', level: 1, childrenCount: 0 }),
      ],
      nextCursor: null,
    });
  });

  it('answers 400 naming query.after for a cursor it did not issue, and query.limit above 1,000', async () => {
    const badCursor = await api.request('/v1/partners/t-root/downline?after=bogus', { token: supportToken });
    expect(badCursor.status).toBe(400);
    expect(await errorOf(badCursor)).toMatchObject({ code: 'invalid_request', field: 'query.after' });
    const badLimit = await api.request('/v1/partners/t-root/downline?limit=1001', { token: supportToken });
    expect(badLimit.status).toBe(400);
    expect(await errorOf(badLimit)).toMatchObject({ field: 'query.limit' });
  });
});

describe('a partner reads only their own network', () => {
  it('when a partner reads their own upline, downline and changes, each answers 200', async () => {
    const upline = (await (await api.request('/v1/partners/t-a/upline', { token: partnerToken })).json()) as UplineBody;
    expect(upline.upline.map((member) => member.partnerId)).toEqual(['t-root']);
    const downline = await api.request('/v1/partners/t-a/downline?maxDepth=2', { token: partnerToken });
    expect(downline.status).toBe(200);
    expect(((await downline.json()) as DownlineBody).members.map((member) => member.partnerId)).toEqual(['t-a1', 't-a2', 't-a1x']);
    expect((await api.request('/v1/partners/t-a/changes', { token: partnerToken })).status).toBe(200);
  });

  it("when a partner reads another partner's upline, downline or changes — even a recruit's — each answers 403", async () => {
    for (const path of ['/v1/partners/t-b/upline', '/v1/partners/t-root/downline', '/v1/partners/t-a1/downline', '/v1/partners/t-b/changes']) {
      const response = await api.request(path, { token: partnerToken });
      expect(response.status, path).toBe(403);
      expect(await errorOf(response), path).toMatchObject({ code: 'forbidden' });
    }
  });

  it('without a session token, answers 401', async () => {
    expect((await api.request('/v1/partners/t-a/upline')).status).toBe(401);
  });
});

describe('POST /v1/partners/:id/changes', () => {
  it('records a rank change, applies it, and writes a PARTNER_CHANGE audit record', async () => {
    const response = await api.request('/v1/partners/t-b/changes', {
      token: adminToken,
      body: { field: 'rank', value: '3', effectiveAt: '2024-04-01T00:00:00Z', reason: 'monthly qualification' },
    });
    expect(response.status).toBe(201);
    const change = (await response.json()) as ChangeBody;
    expect(change).toMatchObject({
      partnerId: 't-b',
      field: 'rank',
      oldValue: '0',
      newValue: '3',
      effectiveAt: '2024-04-01T00:00:00.000Z',
      reason: 'monthly qualification',
    });
    const partner = (await (await api.request('/v1/partners/t-b', { token: adminToken })).json()) as { rank: string };
    expect(partner.rank).toBe('3');
    const audit = await api.owner.maybeOne(sql.type(z.object({ actor: z.string(), details: z.record(z.unknown()) }))`
      SELECT actor, details FROM audit_records WHERE action = 'PARTNER_CHANGE' AND target_id = 't-b'`);
    expect(audit).toMatchObject({ actor: change.recordedBy, details: { field: 'rank', oldValue: '0', newValue: '3', changeId: change.id } });
  });

  it('when the change is effective before the last one, answers 409 naming body.effectiveAt and changes nothing', async () => {
    const before = await api.countRows();
    const response = await api.request('/v1/partners/t-b/changes', {
      token: adminToken,
      body: { field: 'rank', value: '4', effectiveAt: '2024-03-01T00:00:00Z', reason: 'late correction' },
    });
    expect(response.status).toBe(409);
    expect(await errorOf(response)).toMatchObject({ code: 'out_of_order', field: 'body.effectiveAt' });
    expect(await api.countRows()).toEqual(before);
  });

  it('answers 400 naming the field for a value the field does not have, a future time or an unknown key; 409 for no change', async () => {
    const cases: [unknown, number, string][] = [
      [{ field: 'rank', value: '12', reason: 'x' }, 400, 'body.value'],
      [{ field: 'status', value: '3', reason: 'x' }, 400, 'body.value'],
      [{ field: 'kyc_status', value: 'APPROVED', reason: 'x' }, 400, 'body.field'],
      [{ field: 'rank', value: '5', effectiveAt: '2999-01-01T00:00:00Z', reason: 'x' }, 400, 'body.effectiveAt'],
      [{ field: 'rank', value: '5', effectiveAt: 'yesterday', reason: 'x' }, 400, 'body.effectiveAt'],
      [{ field: 'rank', value: '5', reason: 'x', sponsorId: 't-a' }, 400, 'body.sponsorId'],
      [{ field: 'rank', value: '5' }, 400, 'body.reason'],
      [{ field: 'rank', value: '3', reason: 'again' }, 409, 'body.value'],
    ];
    const before = await api.countRows();
    for (const [body, status, field] of cases) {
      const response = await api.request('/v1/partners/t-b/changes', { token: adminToken, body });
      expect(response.status, JSON.stringify(body)).toBe(status);
      expect(await errorOf(response), JSON.stringify(body)).toMatchObject({ field });
    }
    expect(await api.countRows()).toEqual(before);
  });

  it('answers 403 for a partner and for financial support, and 404 for an unknown partner', async () => {
    const body = { field: 'status', value: 'SUSPENDED', reason: 'review' };
    const asPartner = await api.request('/v1/partners/t-a/changes', { token: partnerToken, body });
    expect(asPartner.status).toBe(403);
    const asSupport = await api.request('/v1/partners/t-a/changes', { token: supportToken, body });
    expect(asSupport.status).toBe(403);
    const unknown = await api.request('/v1/partners/t-nobody/changes', { token: adminToken, body });
    expect(unknown.status).toBe(404);
    expect(await errorOf(unknown)).toMatchObject({ field: 'params.id' });
  });

  it('without effectiveAt, the change takes effect now', async () => {
    const response = await api.request('/v1/partners/t-a2/changes', { token: adminToken, body: { field: 'kycStatus', value: 'REJECTED', reason: 'documents expired' } });
    expect(response.status).toBe(201);
    const change = (await response.json()) as ChangeBody;
    expect(Math.abs(Date.parse(change.effectiveAt) - Date.now())).toBeLessThan(60_000);
  });
});

describe('GET /v1/partners/:id/changes', () => {
  it('lists the changes oldest first, by field, a page at a time', async () => {
    await api.request('/v1/partners/t-b/changes', { token: adminToken, body: { field: 'status', value: 'SUSPENDED', reason: 'review' } });
    await api.request('/v1/partners/t-b/changes', { token: adminToken, body: { field: 'rank', value: '4', reason: 'qualified' } });

    const all = (await (await api.request('/v1/partners/t-b/changes', { token: supportToken })).json()) as { changes: ChangeBody[]; nextCursor: string | null };
    expect(all.changes.map((change) => [change.field, change.newValue])).toEqual([['rank', '3'], ['status', 'SUSPENDED'], ['rank', '4']]);
    expect(all.nextCursor).toBeNull();

    const ranks = (await (await api.request('/v1/partners/t-b/changes?field=rank', { token: supportToken })).json()) as { changes: ChangeBody[] };
    expect(ranks.changes.map((change) => change.newValue)).toEqual(['3', '4']);

    const first = (await (await api.request('/v1/partners/t-b/changes?limit=2', { token: supportToken })).json()) as { changes: ChangeBody[]; nextCursor: string };
    expect(first.changes).toHaveLength(2);
    const second = (await (await api.request(`/v1/partners/t-b/changes?limit=2&cursor=${first.nextCursor}`, { token: supportToken })).json()) as {
      changes: ChangeBody[];
      nextCursor: string | null;
    };
    expect(second.changes.map((change) => change.newValue)).toEqual(['4']);
    expect(second.nextCursor).toBeNull();
  });
});

describe('the OpenAPI document', () => {
  it('describes the network routes, each behind the bearer token', async () => {
    const document = (await (await api.request('/openapi.json')).json()) as { paths: Record<string, Record<string, { security?: unknown }>> };
    for (const [path, method] of [
      ['/v1/partners/{id}/upline', 'get'],
      ['/v1/partners/{id}/downline', 'get'],
      ['/v1/partners/{id}/changes', 'get'],
      ['/v1/partners/{id}/changes', 'post'],
    ] as const) {
      expect(document.paths[path]?.[method]?.security, `${method} ${path}`).toEqual([{ bearer: [] }]);
    }
  });
});
