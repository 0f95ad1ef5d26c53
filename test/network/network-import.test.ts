import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ImportInput, ImportRejection } from '../../domain/network-import.ts';
import { importPartners } from '../../modules/network/import-partners.ts';
import { NetworkStore } from '../../modules/network/network-store.ts';
import { parseCsvRecord, readCsv, readNdjson } from '../../cli/network-import.ts';
import { createDatabase, type Database } from '../../db/pool.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const csvFixture = path.join(repositoryRoot, 'test/fixtures/network-import.csv');
const ndjsonFixture = path.join(repositoryRoot, 'test/fixtures/network-import.ndjson');

let testDatabase: TestDatabase;
let database: Database;
let owner: Database;
let network: NetworkStore;
let temporaryDirectory: string;

beforeAll(async () => {
  testDatabase = await createTestDatabase();
  database = await createDatabase(testDatabase.appUrl, { maximumPoolSize: 3 });
  owner = await createDatabase(testDatabase.ownerUrl, { maximumPoolSize: 2 });
  network = new NetworkStore(database);
  temporaryDirectory = await mkdtemp(path.join(tmpdir(), 'ledgerflow-network-import-'));
});

afterAll(async () => {
  await Promise.allSettled([database?.end(), owner?.end()]);
  await testDatabase?.drop();
  if (temporaryDirectory) await rm(temporaryDirectory, { recursive: true, force: true });
});

async function insertRoot(connection: Database, id: string) {
  await connection.query(sql.unsafe`
    INSERT INTO partners (id, name, rank, status, kyc_status, joined_at)
    VALUES (${id}, 'Imported before', '0', 'ACTIVE', 'APPROVED', '2023-06-01T00:00:00Z')`);
}

const uplineIds = async (partnerId: string) => (await network.upline(partnerId)).map((member) => member.partnerId);
const summary = (rejected: ImportRejection[]) => rejected.map(({ line, field }) => [line, field]);

/** What the CSV fixture's bad lines are rejected for (the store names fields as NDJSON does). */
const csvRejections: [number, string | null, string | RegExp][] = [
  [5, 'sponsorId', 'sponsor c-nobody does not exist (neither in the input nor in the database)'],
  [6, 'sponsorId', /^sponsor cycle: c-loop-a \(line 6\) → c-loop-b \(line 7\) → c-loop-a/],
  [7, 'sponsorId', /^sponsor cycle: /],
  [8, 'rank', /^rank must be one of 0, 1, .*; got "12"$/],
  [9, 'sponsorId', 'sponsor c-bad-rank was rejected on line 8'],
  [10, 'sponsorId', 'sponsor c-under-bad was rejected on line 9'],
  [11, 'id', 'partner c-existing already exists with sponsor (none)'],
  [12, 'id', 'id c-root already appears on line 4'],
  [15, 'sponsorId', 'sponsor c-loop-a was rejected on line 6'],
  [17, null, 'expected 7 fields, found 2'],
  [18, 'joinedAt', 'joinedAt is not a calendar date'],
];

function expectRejections(rejected: ImportRejection[], expected: [number, string | null, string | RegExp][]) {
  expect(summary(rejected)).toEqual(expected.map(([line, field]) => [line, field]));
  expected.forEach(([, , message], index) => {
    if (typeof message === 'string') expect(rejected[index]!.message).toBe(message);
    else expect(rejected[index]!.message).toMatch(message);
  });
}

describe('CSV lines', () => {
  it('parses quoted fields with commas, doubled quotes and line breaks, and refuses a stray quote', () => {
    expect(parseCsvRecord('a,"b, c","say ""hi""",')).toEqual(['a', 'b, c', 'say "hi"', '']);
    expect(parseCsvRecord('"two\nlines",x')).toEqual(['two\nlines', 'x']);
    expect(parseCsvRecord('"open,x')).toBe('open');
    expect(parseCsvRecord('a"b,c')).toMatch(/quote inside unquoted field 1/);
    expect(parseCsvRecord('"a"b,c')).toMatch(/after the closing quote/);
  });
});

describe('importing partners', () => {
  it('from the CSV fixture, the good lines land sponsor first and each bad line is named with its line and field', async () => {
    await insertRoot(owner, 'c-existing');
    const result = await importPartners(database, readCsv(createReadStream(csvFixture)));

    expect(result).toMatchObject({ read: 16, imported: 5 });
    expectRejections(result.rejected, csvRejections);
    // c-child precedes its sponsor c-root in the file; c-last hangs three levels below it.
    expect(await uplineIds('c-last')).toEqual(['c-grandchild', 'c-child', 'c-root']);
    expect(await uplineIds('c-multiline')).toEqual(['c-root']);
    const partners = await owner.any(sql.type(z.object({ id: z.string(), name: z.string(), rank: z.string(), status: z.string(), kyc_status: z.string(), joined_at: z.date() }))`
      SELECT id, name, rank, status, kyc_status, joined_at FROM partners WHERE id LIKE 'c-%' ORDER BY id`);
    expect(partners).toEqual([
      { id: 'c-child', name: 'Child, the first', rank: '1', status: 'ACTIVE', kyc_status: 'APPROVED', joined_at: new Date('2024-02-01T10:00:00Z') },
      { id: 'c-existing', name: 'Imported before', rank: '0', status: 'ACTIVE', kyc_status: 'APPROVED', joined_at: new Date('2023-06-01T00:00:00Z') },
      { id: 'c-grandchild', name: 'Grand "G" Child', rank: '0', status: 'ACTIVE', kyc_status: 'PENDING', joined_at: new Date('2024-03-01T00:00:00Z') },
      { id: 'c-last', name: 'Last', rank: '2', status: 'SUSPENDED', kyc_status: 'REJECTED', joined_at: new Date('2024-04-01T10:00:00Z') },
      { id: 'c-multiline', name: 'Two\nLines', rank: '0', status: 'ACTIVE', kyc_status: 'APPROVED', joined_at: new Date('2024-01-06T00:00:00Z') },
      { id: 'c-root', name: 'Root', rank: '5_PRO', status: 'ACTIVE', kyc_status: 'APPROVED', joined_at: new Date('2024-01-01T00:00:00Z') },
    ]);
    const audit = await owner.any(sql.type(z.object({ target_id: z.string(), details: z.object({ count: z.number(), partnerIds: z.array(z.string()) }) }))`
      SELECT target_id, details FROM audit_records WHERE action = 'PARTNER_CREATE' AND target_type = 'partner_import'`);
    expect(audit).toHaveLength(1);
    expect(audit[0]!.target_id).toBe(result.importId);
    expect(audit[0]!.details.partnerIds.sort()).toEqual(['c-child', 'c-grandchild', 'c-last', 'c-multiline', 'c-root']);
  });

  it('a second run of the same file imports nothing and names each line already imported', async () => {
    const result = await importPartners(database, readCsv(createReadStream(csvFixture)));
    expect(result.imported).toBe(0);
    const alreadyThere = result.rejected.filter((rejection) => rejection.message.endsWith('already exists'));
    expect(alreadyThere.map((rejection) => rejection.line)).toEqual([2, 3, 4, 13, 16]);
  });

  it('from the NDJSON fixture, the same rules hold, and a line already in the database keeps its descendants placeable', async () => {
    await insertRoot(owner, 'n-existing');
    const result = await importPartners(database, readNdjson(createReadStream(ndjsonFixture)));

    expect(result).toMatchObject({ read: 14, imported: 3 });
    expectRejections(result.rejected, [
      [3, 'sponsorId', 'sponsor n-nobody does not exist (neither in the input nor in the database)'],
      [4, 'sponsorId', /^sponsor cycle: n-loop-a \(line 4\) → n-loop-c \(line 6\) → n-loop-b \(line 5\) → n-loop-a/],
      [5, 'sponsorId', /^sponsor cycle: /],
      [6, 'sponsorId', /^sponsor cycle: /],
      [7, 'rank', /; got "SUPER"$/],
      [8, 'sponsorId', 'sponsor n-bad-rank was rejected on line 7'],
      [9, 'id', 'partner n-existing already exists'],
      [11, null, /^not JSON/],
      [12, 'color', 'unknown field "color"'],
      [13, 'sponsorId', /cannot sponsor itself/],
      [15, 'joinedAt', 'joinedAt is required'],
    ]);
    expect(await uplineIds('n-child')).toEqual(['n-root']);
    expect(await uplineIds('n-under-existing')).toEqual(['n-existing']);
  });

  it('a line the database refuses is rejected alone, with its descendants, and the rest of its batch lands', async () => {
    // A rule only the database knows, to make it refuse one row of a batch.
    await owner.query(sql.unsafe`ALTER TABLE partners ADD CONSTRAINT test_refuses_forbidden CHECK (name <> 'Forbidden')`);
    try {
      const row = (line: number, id: string, sponsorId: string | null, name = `Partner ${id}`): ImportInput => ({
        line, id, name, sponsorId, rank: '0', status: 'ACTIVE', kycStatus: 'APPROVED', joinedAt: '2024-01-01',
      });
      const result = await importPartners(database, [
        row(1, 'x-root', null),
        row(2, 'x-first', 'x-root'),
        row(3, 'x-refused', 'x-root', 'Forbidden'),
        row(4, 'x-under-refused', 'x-refused'),
        row(5, 'x-last', 'x-first'),
      ]);
      expect(result.imported).toBe(3);
      expect(summary(result.rejected)).toEqual([[3, null], [4, 'sponsorId']]);
      expect(result.rejected[0]!.message).toMatch(/refused by the database: .*test_refuses_forbidden/);
      expect(result.rejected[1]!.message).toBe('sponsor x-refused was rejected on line 3');
      expect(await uplineIds('x-last')).toEqual(['x-first', 'x-root']);
    } finally {
      await owner.query(sql.unsafe`ALTER TABLE partners DROP CONSTRAINT test_refuses_forbidden`);
    }
  });

  it('a shuffled network of 20,000 and a chain of 3,000, in batches of 500 on 3 connections, places every partner under its sponsor', async () => {
    const count = 20_000;
    let seed = 1;
    const random = () => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
    const sponsorOf = Array.from({ length: count }, (_, index) => (index === 0 ? -1 : Math.floor(random() * index)));
    // Every tenth partner's sponsor is the one before it: long chains as well as a bushy tree.
    for (let index = 10; index < count; index += 10) sponsorOf[index] = index - 1;
    const order = Array.from({ length: count }, (_, index) => index);
    for (let index = count - 1; index > 0; index -= 1) {
      const other = Math.floor(random() * (index + 1));
      [order[index], order[other]] = [order[other]!, order[index]!];
    }
    const rows: ImportInput[] = order.map((index, position) => ({
      line: position + 2,
      id: `g-${index}`,
      name: `Generated ${index}`,
      sponsorId: index === 0 ? '' : `g-${sponsorOf[index]}`,
      rank: '0',
      status: 'ACTIVE',
      kycStatus: 'APPROVED',
      joinedAt: '2024-01-01T00:00:00Z',
    }));

    // Past the tree's depth the chain fills whole batches, each one needing the batch before it committed.
    const chainLength = 3_000;
    for (let index = chainLength - 1; index >= 0; index -= 1) {
      rows.push({
        line: count + chainLength - index + 1,
        id: `g-chain-${index}`,
        name: `Chain ${index}`,
        sponsorId: index === 0 ? null : `g-chain-${index - 1}`,
        rank: '0',
        status: 'ACTIVE',
        kycStatus: 'APPROVED',
        joinedAt: '2024-01-01T00:00:00Z',
      });
    }

    const result = await importPartners(database, rows, undefined, { batchSize: 500, concurrency: 3 });

    expect(result.rejected).toEqual([]);
    expect(result.imported).toBe(count + chainLength);
    expect(await uplineIds(`g-chain-${chainLength - 1}`)).toHaveLength(chainLength - 1);
    const misplaced = await owner.oneFirst(sql.type(z.object({ count: z.number() }))`
      SELECT count(*)::int AS count
      FROM partners child JOIN partners sponsor ON sponsor.id = child.sponsor_id
      WHERE child.id LIKE 'g-%'
        AND (child.sponsor_num <> sponsor.num OR child.depth <> sponsor.depth + 1
             OR child.upline <> sponsor.num || sponsor.upline)`);
    expect(misplaced).toBe(0);
    const expectedDepth = (index: number): number => (index === 0 ? 0 : 1 + expectedDepth(sponsorOf[index]!));
    const deepest = await owner.one(sql.type(z.object({ id: z.string(), depth: z.number() }))`
      SELECT id, depth FROM partners WHERE id LIKE 'g-%' AND id NOT LIKE 'g-chain-%' ORDER BY depth DESC, id LIMIT 1`);
    expect(deepest.depth).toBe(expectedDepth(Number(deepest.id.slice(2))));
  });
});

describe('ledgerflow network import (the CLI)', () => {
  interface Run {
    code: number | null;
    stdout: string;
    stderr: string;
  }

  function runCli(args: string[], databaseUrl: string): Promise<Run> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(repositoryRoot, 'bin/ledgerflow.mjs'), ...args], {
        cwd: repositoryRoot,
        env: { ...process.env, DATABASE_URL: databaseUrl, LEDGERFLOW_DATA_DIR: temporaryDirectory },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  let cliDatabase: TestDatabase;
  beforeAll(async () => {
    cliDatabase = await createTestDatabase();
    const cliOwner = await createDatabase(cliDatabase.ownerUrl, { maximumPoolSize: 1 });
    await insertRoot(cliOwner, 'c-existing');
    await cliOwner.end();
  });
  afterAll(async () => {
    await cliDatabase?.drop();
  });

  it('imports the CSV fixture, exits 2, and writes every rejected line to the report with the CSV column names', async () => {
    const reportFile = path.join(temporaryDirectory, 'errors.ndjson');
    const run = await runCli(['network', 'import', csvFixture, '--report', reportFile], cliDatabase.ownerUrl);

    expect(run.code, run.stderr).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ lines: 16, imported: 5, rejected: 11, report: reportFile, linesPerSecond: expect.any(Number) });
    const report = (await readFile(reportFile, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as ImportRejection);
    const csvField = (field: string | null) => (field === 'sponsorId' ? 'sponsor_id' : field === 'joinedAt' ? 'joined_at' : field);
    expect(summary(report)).toEqual(csvRejections.map(([line, field]) => [line, csvField(field)]));
    expect(report.find((rejection) => rejection.line === 18)?.message).toBe('joined_at is not a calendar date');
    expect(run.stderr).toContain('line 9 (sponsor_id): sponsor c-bad-rank was rejected on line 8');
    // Not a terminal: no progress line rewritten in place.
    expect(run.stderr).not.toContain('\r');
  });

  it('exits 0 when every line is imported, and 1 when the header is wrong', async () => {
    const goodFile = path.join(temporaryDirectory, 'good.csv');
    await writeFile(goodFile, 'id,name,sponsor_id,rank,status,kyc_status,joined_at\ncli-b,B,cli-a,0,ACTIVE,APPROVED,2024-01-01\ncli-a,A,,0,ACTIVE,APPROVED,2024-01-01\n');
    const good = await runCli(['network', 'import', goodFile], cliDatabase.ownerUrl);
    expect(good.code, good.stderr).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ lines: 2, imported: 2, rejected: 0 });

    const badHeader = path.join(temporaryDirectory, 'bad-header.csv');
    await writeFile(badHeader, 'id,name,sponsor,rank\n');
    const bad = await runCli(['network', 'import', badHeader], cliDatabase.ownerUrl);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/unknown column "sponsor"/);
  });
});
