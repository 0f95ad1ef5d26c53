import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { NetworkInputError, NetworkStore, PartnerNotFoundError, type DownlineMember } from '../../modules/network/network-store.ts';
import { createDatabase, type Database } from '../../db/pool.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

let testDatabase: TestDatabase;
/** The application's pool (role ledgerflow_app), as the API and the CLI use it. */
let database: Database;
/** A superuser pool for arranging and asserting. */
let owner: Database;
let network: NetworkStore;

beforeAll(async () => {
  testDatabase = await createTestDatabase();
  database = await createDatabase(testDatabase.appUrl, { maximumPoolSize: 3 });
  owner = await createDatabase(testDatabase.ownerUrl, { maximumPoolSize: 2 });
  network = new NetworkStore(database);
});

afterAll(async () => {
  await Promise.allSettled([database?.end(), owner?.end()]);
  await testDatabase?.drop();
});

/** Inserts partners in one statement, in the order given (sponsors first), as the placing trigger requires. */
async function insertPartners(partners: { id: string; sponsorId: string | null }[], joinedAt = '2024-01-01T00:00:00Z') {
  await owner.query(sql.unsafe`
    INSERT INTO partners (id, name, sponsor_id, rank, status, kyc_status, joined_at)
    SELECT id, 'Partner ' || id, sponsor_id, '0', 'ACTIVE', 'APPROVED', ${joinedAt}::timestamptz
    FROM unnest(${sql.array(partners.map((partner) => partner.id), 'text')},
                ${sql.array(partners.map((partner) => partner.sponsorId), 'text')})
      WITH ORDINALITY AS input (id, sponsor_id, position)
    ORDER BY position`);
}

/**
 *   t-root
 *   ├── t-a
 *   │   ├── t-a1
 *   │   │   └── t-a1x
 *   │   └── t-a2
 *   └── t-b
 *       └── t-b1
 */
const smallTree = [
  { id: 't-root', sponsorId: null },
  { id: 't-a', sponsorId: 't-root' },
  { id: 't-b', sponsorId: 't-root' },
  { id: 't-a1', sponsorId: 't-a' },
  { id: 't-a2', sponsorId: 't-a' },
  { id: 't-b1', sponsorId: 't-b' },
  { id: 't-a1x', sponsorId: 't-a1' },
];

async function wholeDownline(partnerId: string, options: { maxDepth: number; limit: number }) {
  const members: DownlineMember[] = [];
  let after: string | null = null;
  let pages = 0;
  do {
    const page = await network.downline(partnerId, { ...options, after });
    members.push(...page.members);
    after = page.nextCursor;
    pages += 1;
  } while (after);
  return { members, pages };
}

describe('upline', () => {
  beforeAll(async () => {
    await insertPartners(smallTree);
  });

  it('lists the ancestors nearest first, the sponsor at level 1, with rank, status and KYC', async () => {
    const upline = await network.upline('t-a1x');
    expect(upline.map(({ partnerId, level }) => [partnerId, level])).toEqual([
      ['t-a1', 1],
      ['t-a', 2],
      ['t-root', 3],
    ]);
    expect(upline[0]).toMatchObject({ rank: '0', status: 'ACTIVE', kycStatus: 'APPROVED', num: expect.any(Number) });
  });

  it('with a limit, stops after that many levels; a root has no upline', async () => {
    expect((await network.upline('t-a1x', { limit: 2 })).map((member) => member.partnerId)).toEqual(['t-a1', 't-a']);
    expect(await network.upline('t-root')).toEqual([]);
  });

  it('for an unknown partner, throws PartnerNotFoundError', async () => {
    await expect(network.upline('t-nobody')).rejects.toBeInstanceOf(PartnerNotFoundError);
  });

  it('on a chain 3,000 deep inserted by one statement, the deepest partner has every ancestor in order', async () => {
    const depth = 3_000;
    await owner.query(sql.unsafe`
      INSERT INTO partners (id, name, sponsor_id, rank, status, kyc_status, joined_at)
      SELECT 'chain-' || i, 'Chain ' || i, CASE WHEN i = 1 THEN NULL ELSE 'chain-' || (i - 1) END,
             '0', 'ACTIVE', 'APPROVED', now()
      FROM generate_series(1, ${depth}) AS i
      ORDER BY i`);

    const startedAt = performance.now();
    const upline = await network.upline(`chain-${depth}`);
    const elapsedMilliseconds = performance.now() - startedAt;

    expect(upline).toHaveLength(depth - 1);
    upline.forEach((member, index) => {
      expect(member.level).toBe(index + 1);
      expect(member.partnerId).toBe(`chain-${depth - 1 - index}`);
    });
    const stored = await owner.one(sql.type(z.object({ depth: z.number(), length: z.number() }))`
      SELECT depth, cardinality(upline) AS length FROM partners WHERE id = ${`chain-${depth}`}`);
    expect(stored).toEqual({ depth: depth - 1, length: depth - 1 });
    // Two index reads, whatever the depth: generous against a slow CI machine, far below a recursive walk's cost.
    expect(elapsedMilliseconds).toBeLessThan(2_000);
  });
});

describe('downline', () => {
  it('with maxDepth 1 (the default), lists the direct recruits with their children counts', async () => {
    const page = await network.downline('t-root');
    expect(page.members.map(({ partnerId, level, childrenCount, sponsorId }) => ({ partnerId, level, childrenCount, sponsorId }))).toEqual([
      { partnerId: 't-a', level: 1, childrenCount: 2, sponsorId: 't-root' },
      { partnerId: 't-b', level: 1, childrenCount: 1, sponsorId: 't-root' },
    ]);
    expect(page.nextCursor).toBeNull();
  });

  it('pages level by level, each level in placing order, and every member appears once', async () => {
    const { members, pages } = await wholeDownline('t-root', { maxDepth: 3, limit: 2 });
    expect(members.map(({ partnerId, level }) => [partnerId, level])).toEqual([
      ['t-a', 1],
      ['t-b', 1],
      ['t-a1', 2],
      ['t-a2', 2],
      ['t-b1', 2],
      ['t-a1x', 3],
    ]);
    expect(pages).toBe(3);
    const onePage = await network.downline('t-root', { maxDepth: 3, limit: 1_000 });
    expect(onePage.members.map((member) => member.partnerId)).toEqual(members.map((member) => member.partnerId));
    expect(onePage.nextCursor).toBeNull();
  });

  it('stops at maxDepth', async () => {
    const { members } = await wholeDownline('t-root', { maxDepth: 2, limit: 100 });
    expect(members.map((member) => member.partnerId)).toEqual(['t-a', 't-b', 't-a1', 't-a2', 't-b1']);
  });

  it('pages down a 3,000-deep chain one level per member', async () => {
    const { members, pages } = await wholeDownline('chain-1', { maxDepth: 3_000, limit: 1_000 });
    expect(pages).toBe(3);
    expect(members).toHaveLength(2_999);
    members.forEach((member, index) => {
      expect(member.level).toBe(index + 1);
      expect(member.partnerId).toBe(`chain-${index + 2}`);
    });
  });

  it('refuses a cursor it did not issue and a limit above 1,000, naming the field', async () => {
    await expect(network.downline('t-root', { after: 'not-a-cursor' })).rejects.toMatchObject({ field: 'after', kind: 'invalid' });
    await expect(network.downline('t-root', { limit: 1_001 })).rejects.toMatchObject({ field: 'limit', kind: 'invalid' });
  });
});

describe('a partner’s place in the network', () => {
  it('when the sponsor is changed, even by the owner, the database refuses and the upline stays', async () => {
    const refusal = { cause: expect.objectContaining({ message: expect.stringMatching(/place in the network .* cannot change/) }) };
    await expect(owner.query(sql.unsafe`UPDATE partners SET sponsor_id = 't-b' WHERE id = 't-a1'`)).rejects.toMatchObject(refusal);
    await expect(database.query(sql.unsafe`UPDATE partners SET sponsor_id = 't-b' WHERE id = 't-a1'`)).rejects.toMatchObject(refusal);
    await expect(database.query(sql.unsafe`UPDATE partners SET sponsor_id = NULL WHERE id = 't-a1'`)).rejects.toMatchObject(refusal);
    expect((await network.upline('t-a1x')).map((member) => member.partnerId)).toEqual(['t-a1', 't-a', 't-root']);
  });
});

describe('rank, status and KYC changes', () => {
  const changeCount = (partnerId: string) =>
    owner.oneFirst(sql.type(z.object({ count: z.number() }))`SELECT count(*)::int AS count FROM partner_changes WHERE partner_id = ${partnerId}`);
  const auditCount = (partnerId: string) =>
    owner.oneFirst(sql.type(z.object({ count: z.number() }))`
      SELECT count(*)::int AS count FROM audit_records WHERE action = 'PARTNER_CHANGE' AND target_id = ${partnerId}`);

  it('records each change with its old value; the value as of any instant is the old value of the first later change', async () => {
    await insertPartners([{ id: 'h-rank', sponsorId: null }], '2024-01-01T00:00:00Z');
    const first = await network.recordChange({
      partnerId: 'h-rank', field: 'rank', value: '2', effectiveAt: new Date('2024-03-01T00:00:00Z'), reason: 'qualified', actor: 'system:test',
    });
    await network.recordChange({
      partnerId: 'h-rank', field: 'rank', value: '4_PRO', effectiveAt: new Date('2024-06-01T00:00:00Z'), reason: 'qualified', actor: 'system:test',
    });
    expect(first).toMatchObject({ partnerId: 'h-rank', field: 'rank', oldValue: '0', newValue: '2', reason: 'qualified', recordedBy: 'system:test' });
    expect(first.effectiveAt.toISOString()).toBe('2024-03-01T00:00:00.000Z');

    const rankAt = async (at: string) => (await network.valuesAsOf('h-rank', new Date(at))).rank;
    expect(await rankAt('2024-02-01T00:00:00Z')).toBe('0');
    expect(await rankAt('2024-02-29T23:59:59.999Z')).toBe('0');
    // A change is in effect from its effective instant on.
    expect(await rankAt('2024-03-01T00:00:00Z')).toBe('2');
    expect(await rankAt('2024-05-31T00:00:00Z')).toBe('2');
    expect(await rankAt('2024-06-01T00:00:00Z')).toBe('4_PRO');
    expect(await rankAt('2030-01-01T00:00:00Z')).toBe('4_PRO');

    const partner = await owner.one(sql.type(z.object({ rank: z.string(), rank_since: z.date() }))`
      SELECT rank, rank_since FROM partners WHERE id = 'h-rank'`);
    expect(partner).toEqual({ rank: '4_PRO', rank_since: new Date('2024-06-01T00:00:00Z') });
    expect(await auditCount('h-rank')).toBe(2);
    const audit = await owner.one(sql.type(z.object({ actor: z.string(), reason: z.string().nullable(), details: z.record(z.unknown()) }))`
      SELECT actor, reason, details FROM audit_records WHERE action = 'PARTNER_CHANGE' AND target_id = 'h-rank' ORDER BY id LIMIT 1`);
    expect(audit).toMatchObject({ actor: 'system:test', reason: 'qualified', details: { field: 'rank', oldValue: '0', newValue: '2' } });

    const { changes } = await network.changes('h-rank');
    expect(changes.map((change) => [change.oldValue, change.newValue])).toEqual([['0', '2'], ['2', '4_PRO']]);
  });

  it('refuses a change effective before the field’s last change, naming effectiveAt, and writes nothing', async () => {
    const before = await changeCount('h-rank');
    const refusal = await network
      .recordChange({ partnerId: 'h-rank', field: 'rank', value: '5', effectiveAt: new Date('2024-05-01T00:00:00Z'), actor: 'system:test' })
      .catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(NetworkInputError);
    expect(refusal).toMatchObject({ field: 'effectiveAt', kind: 'conflict', code: 'out_of_order' });
    expect((refusal as Error).message).toContain('2024-06-01T00:00:00.000000Z');
    expect(await changeCount('h-rank')).toBe(before);
    expect((await network.valuesAsOf('h-rank', new Date())).rank).toBe('4_PRO');
  });

  it('accepts a change at the same instant as the last one, and refuses one that changes nothing', async () => {
    await network.recordChange({ partnerId: 'h-rank', field: 'rank', value: '5', effectiveAt: new Date('2024-06-01T00:00:00Z'), actor: 'system:test' });
    await expect(
      network.recordChange({ partnerId: 'h-rank', field: 'rank', value: '5', actor: 'system:test' }),
    ).rejects.toMatchObject({ field: 'value', kind: 'conflict', code: 'no_change' });
  });

  it('refuses a value the field does not have, an effective time in the future, and an unknown partner', async () => {
    await expect(network.recordChange({ partnerId: 'h-rank', field: 'rank', value: '12', actor: 'system:test' })).rejects.toMatchObject({
      field: 'value',
      kind: 'invalid',
    });
    await expect(network.recordChange({ partnerId: 'h-rank', field: 'status', value: 'ASLEEP', actor: 'system:test' })).rejects.toMatchObject({
      field: 'value',
    });
    await expect(
      network.recordChange({ partnerId: 'h-rank', field: 'status', value: 'SUSPENDED', effectiveAt: new Date(Date.now() + 3_600_000), actor: 'system:test' }),
    ).rejects.toMatchObject({ field: 'effectiveAt', kind: 'invalid' });
    await expect(network.recordChange({ partnerId: 'h-nobody', field: 'rank', value: '1', actor: 'system:test' })).rejects.toBeInstanceOf(
      PartnerNotFoundError,
    );
  });

  it('without effectiveAt, the change takes effect at the transaction time and moves status_since', async () => {
    const change = await network.recordChange({ partnerId: 'h-rank', field: 'status', value: 'SUSPENDED', reason: 'review', actor: 'system:test' });
    expect(Math.abs(change.effectiveAt.getTime() - Date.now())).toBeLessThan(60_000);
    const partner = await owner.one(sql.type(z.object({ status: z.string(), status_since: z.date() }))`
      SELECT status, status_since FROM partners WHERE id = 'h-rank'`);
    expect(partner).toEqual({ status: 'SUSPENDED', status_since: change.effectiveAt });
    expect((await network.valuesAsOf('h-rank', new Date('2024-07-01T00:00:00Z'))).status).toBe('ACTIVE');
  });

  it('KYC changes, which have no since column, are ordered by their own history and the joining date', async () => {
    await insertPartners([{ id: 'h-kyc', sponsorId: null }], '2024-01-01T00:00:00Z');
    await expect(
      network.recordChange({ partnerId: 'h-kyc', field: 'kycStatus', value: 'REJECTED', effectiveAt: new Date('2023-12-01T00:00:00Z'), actor: 'system:test' }),
    ).rejects.toMatchObject({ field: 'effectiveAt', code: 'out_of_order' });
    await network.recordChange({ partnerId: 'h-kyc', field: 'kycStatus', value: 'PENDING', effectiveAt: new Date('2024-02-01T00:00:00Z'), actor: 'system:test' });
    await expect(
      network.recordChange({ partnerId: 'h-kyc', field: 'kycStatus', value: 'REJECTED', effectiveAt: new Date('2024-01-15T00:00:00Z'), actor: 'system:test' }),
    ).rejects.toMatchObject({ field: 'effectiveAt', code: 'out_of_order' });
    await network.recordChange({ partnerId: 'h-kyc', field: 'kycStatus', value: 'APPROVED', effectiveAt: new Date('2024-03-01T00:00:00Z'), actor: 'system:test' });

    expect(await network.valuesAsOf('h-kyc', new Date('2024-01-20T00:00:00Z'))).toEqual({ rank: '0', status: 'ACTIVE', kycStatus: 'APPROVED' });
    expect((await network.valuesAsOf('h-kyc', new Date('2024-02-15T00:00:00Z'))).kycStatus).toBe('PENDING');
    expect((await network.valuesAsOf('h-kyc', new Date('2024-03-15T00:00:00Z'))).kycStatus).toBe('APPROVED');
    const { changes } = await network.changes('h-kyc', { field: 'kycStatus' });
    expect(changes.map((change) => change.field)).toEqual(['kycStatus', 'kycStatus']);
  });

  it('two concurrent changes of one field are applied one after the other, never both from the same old value', async () => {
    await insertPartners([{ id: 'h-race', sponsorId: null }]);
    const results = await Promise.allSettled(
      ['1', '2', '3', '4'].map((value) => network.recordChange({ partnerId: 'h-race', field: 'rank', value, actor: 'system:test' })),
    );
    expect(results.every((result) => result.status === 'fulfilled')).toBe(true);
    const { changes } = await network.changes('h-race');
    // Each change starts from the value the previous one left.
    for (let index = 1; index < changes.length; index += 1) expect(changes[index]!.oldValue).toBe(changes[index - 1]!.newValue);
    expect(changes[0]!.oldValue).toBe('0');
  });
});
