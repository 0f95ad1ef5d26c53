import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, errorOf, type ApiHarness } from '../helpers/api.ts';

let api: ApiHarness;
let adminToken: string;
/** Marks this file's partners, so each search below can only match what its test arranged. */
let tag: string;

beforeAll(async () => {
  api = await createApiHarness();
  adminToken = await api.signIn(await api.createAdmin('admin'));
  tag = randomBytes(4).toString('hex');
});

afterAll(async () => {
  await api?.close();
});

interface PartnerPage {
  data: { id: string; name: string; rank: string; status: string; kycStatus: string; sponsorId: string | null; joinedAt: string }[];
  nextCursor: string | null;
}

async function search(parameters: Record<string, string | number>, token = adminToken): Promise<Response> {
  const query = new URLSearchParams(Object.entries(parameters).map(([name, value]): [string, string] => [name, String(value)]));
  return api.request(`/v1/partners?${query.toString()}`, { token });
}

async function found(parameters: Record<string, string | number>): Promise<PartnerPage> {
  const response = await search(parameters);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as PartnerPage;
}

describe('GET /v1/partners?q=', () => {
  it('finds a partner by a fragment of the name in another case, with the partner’s fields', async () => {
    const id = await api.createPartner({ id: `name-${tag}`, name: `Northwind Ünderwriters ${tag}` });
    await api.createPartner({ id: `other-${tag}`, name: `Southwind Traders ${tag}` });

    const body = await found({ q: `NORTHWIND ün` });
    expect(body.data).toEqual([
      { id, name: `Northwind Ünderwriters ${tag}`, rank: '0', status: 'ACTIVE', kycStatus: 'APPROVED', sponsorId: null, joinedAt: expect.any(String) },
    ]);
    expect(body.nextCursor).toBeNull();
  });

  it('finds a partner by a fragment of the id, in another case', async () => {
    const id = await api.createPartner({ id: `Acme-${tag}-7731`, name: `Plain Name ${tag}` });

    const body = await found({ q: `acme-${tag}-77` });
    expect(body.data.map((partner) => partner.id)).toEqual([id]);
  });

  it('finds a partner by a fragment of their login user’s e-mail', async () => {
    const user = await api.createPartnerUser(await api.createPartner({ id: `mail-${tag}`, name: `No Mail In Name ${tag}` }));
    const local = user.email.split('@')[0]!;

    const body = await found({ q: local.slice(-8).toUpperCase() });
    expect(body.data.map((partner) => partner.id)).toEqual([user.partnerId]);
  });

  it('pages by name then id with the cursor, returning the rest without repeats', async () => {
    const pageTag = `paging-${tag}`;
    // Two share a name, so the id orders them.
    const names = ['Echo', 'Alpha', 'Delta', 'Bravo', 'Bravo'];
    const ids: string[] = [];
    for (const [index, name] of names.entries()) {
      ids.push(await api.createPartner({ id: `${pageTag}-${index}`, name: `${name} ${pageTag}` }));
    }

    const seen: string[] = [];
    let cursor: string | null = null;
    const pageSizes: number[] = [];
    do {
      const body: PartnerPage = await found({ q: pageTag, limit: 2, ...(cursor ? { cursor } : {}) });
      pageSizes.push(body.data.length);
      seen.push(...body.data.map((partner) => partner.id));
      cursor = body.nextCursor;
    } while (cursor !== null && pageSizes.length < 10);

    expect(pageSizes).toEqual([2, 2, 1]);
    expect(seen).toEqual([`${pageTag}-1`, `${pageTag}-3`, `${pageTag}-4`, `${pageTag}-2`, `${pageTag}-0`]);
    expect(new Set(seen).size).toBe(ids.length);
  });

  it('takes `%` and `_` literally, not as wildcards', async () => {
    const percent = await api.createPartner({ id: `pct-${tag}`, name: `Rate 100% ${tag}` });
    await api.createPartner({ id: `no-pct-${tag}`, name: `Rate 1000 ${tag}` });
    const underscore = await api.createPartner({ id: `under_${tag}`, name: `Underscore ${tag}` });
    await api.createPartner({ id: `underx${tag}`, name: `Underx ${tag}` });

    expect((await found({ q: `100% ${tag}` })).data.map((partner) => partner.id)).toEqual([percent]);
    expect((await found({ q: `0%` })).data.map((partner) => partner.id)).toEqual([percent]);
    expect((await found({ q: `under_${tag}` })).data.map((partner) => partner.id)).toEqual([underscore]);
    expect((await found({ q: `%%` })).data).toEqual([]);
  });

  it('refuses a q of one character (after trimming), or none, with 400 naming query.q', async () => {
    const cases: Record<string, string>[] = [{ q: 'a' }, { q: '  a  ' }, {}, { q: 'x'.repeat(101) }];
    for (const parameters of cases) {
      const response = await search(parameters);
      expect(response.status, JSON.stringify(parameters)).toBe(400);
      expect(await errorOf(response)).toMatchObject({ code: 'invalid_request', field: 'query.q' });
    }
  });

  it('refuses a cursor it did not issue (400 naming query.cursor) and a limit above 100 (400 naming query.limit)', async () => {
    const cursor = await search({ q: tag, cursor: Buffer.from('["name"]').toString('base64url') });
    expect(cursor.status).toBe(400);
    expect(await errorOf(cursor)).toMatchObject({ field: 'query.cursor' });
    const limit = await search({ q: tag, limit: 101 });
    expect(limit.status).toBe(400);
    expect(await errorOf(limit)).toMatchObject({ field: 'query.limit' });
  });

  it('refuses a partner with 403, even for their own name', async () => {
    const partner = await api.createPartnerUser(await api.createPartner({ id: `self-${tag}`, name: `Self Searcher ${tag}` }));
    const response = await search({ q: 'Self Searcher' }, await api.signIn(partner));
    expect(response.status).toBe(403);
    expect(await errorOf(response)).toEqual({ code: 'forbidden', message: expect.any(String) });
  });

  it('writes nothing, found or refused', async () => {
    await api.createPartner({ id: `quiet-${tag}`, name: `Quiet ${tag}` });
    const partnerToken = await api.signIn(await api.createPartnerUser());
    const before = await api.countRows();

    expect((await search({ q: `quiet-${tag}` })).status).toBe(200);
    expect((await search({ q: 'q' })).status).toBe(400);
    expect((await search({ q: `quiet-${tag}` }, partnerToken)).status).toBe(403);

    expect(await api.countRows()).toEqual(before);
  });
});
