import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  appendAuditRecord,
  sealAuditRecords,
  verifyAuditLog,
  type AuditRecordInput,
} from '../../modules/audit/audit-store.ts';
import { LedgerStore } from '../../modules/ledger/ledger-store.ts';
import { createDatabase, type Database } from '../../db/pool.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';

/**
 * The audit log: append-only for everyone, each record checksummed as it is inserted, sealed into a hash chain.
 * Tampering needs the owner to disable the trigger; verification must then name exactly the altered record.
 * Every test gets a database of its own, because a tampered log stays tampered for whoever verifies it next.
 */

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

let database: TestDatabase;
let pool: Database;
let owner: pg.Client;
let application: pg.Client;

beforeEach(async () => {
  database = await createTestDatabase();
  pool = await createDatabase(database.appUrl, { maximumPoolSize: 10 });
  owner = new pg.Client({ connectionString: database.ownerUrl });
  await owner.connect();
  application = new pg.Client({ connectionString: database.appUrl });
  await application.connect();
});

afterEach(async () => {
  await assertLedgerInvariants(owner);
  await application.end();
  await owner.end();
  await pool.end();
  await database.drop();
});

function sampleRecord(index: number, entryId?: string): AuditRecordInput {
  return {
    action: index % 2 === 0 ? 'PAYOUT_REQUEST' : 'BALANCE_ADJUST',
    actor: `user-${index % 3}`,
    targetType: 'partner',
    targetId: `partner-${index % 4}`,
    amount: `${index}.25`,
    currency: 'USD',
    balanceBefore: '100.00',
    balanceAfter: `${100 - index}.75`,
    reason: index % 3 === 0 ? null : `reason ${index}`,
    ip: index % 2 === 0 ? '192.0.2.7' : '2001:db8::1',
    entryId: entryId ?? null,
    details: { index, nested: { note: 'ünïcode ✓' } },
  };
}

/** Appends `count` records, each in its own transaction, and returns their ids. */
async function appendRecords(count: number, offset = 0, entryId?: string): Promise<string[]> {
  const ids: string[] = [];
  for (let index = offset; index < offset + count; index += 1) ids.push(await appendAuditRecord(pool, sampleRecord(index, entryId)));
  return ids;
}

/** Seals until everything committed is in the chain. Other databases' open transactions can hold the horizon back. */
async function sealEverything(): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    await sealAuditRecords(pool);
    const { rows } = await owner.query<{ unsealed: number }>(
      'SELECT count(*)::int AS unsealed FROM audit_records r WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.record_id = r.id)',
    );
    if (rows[0]!.unsealed === 0) return;
    if (Date.now() > deadline) throw new Error(`${rows[0]!.unsealed} audit records still unsealed after 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** As the owner: the statements between disabling and re-enabling the append-only trigger, in one transaction. */
async function tamper(...statements: [string, unknown[]][]): Promise<void> {
  await owner.query('BEGIN');
  await owner.query('ALTER TABLE audit_records DISABLE TRIGGER audit_records_immutable');
  for (const [statement, values] of statements) {
    const result = await owner.query(statement, values);
    expect(result.rowCount, statement).toBe(1);
  }
  await owner.query('ALTER TABLE audit_records ENABLE TRIGGER audit_records_immutable');
  await owner.query('COMMIT');
}

function runCli(ownerUrl: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(repositoryRoot, 'bin', 'ledgerflow.mjs'), ...args],
      // Only what the CLI needs: the test runner's own settings must not leak into its configuration.
      { cwd: repositoryRoot, env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: ownerUrl }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function refusal(client: pg.Client, statement: string): Promise<pg.DatabaseError> {
  try {
    await client.query(statement);
  } catch (error) {
    return error as pg.DatabaseError;
  }
  throw new Error(`expected the database to refuse: ${statement}`);
}

describe('who may change audit history', () => {
  it('the application role may not UPDATE or DELETE audit records, nor write the chain or the seals', async () => {
    // Arrange
    await appendRecords(2);
    await sealEverything();

    // Act
    const refusals = await Promise.all(
      [
        [`UPDATE audit_records SET amount = 0`, 'audit_records'],
        [`DELETE FROM audit_records`, 'audit_records'],
        [`TRUNCATE audit_records`, 'audit_records'],
        [`UPDATE audit_chain SET chain_hash = '\\x00'`, 'audit_chain'],
        [`DELETE FROM audit_chain`, 'audit_chain'],
        [`INSERT INTO audit_chain (position, record_id, seal_id, chain_hash) VALUES (99, 99, 1, '\\x00')`, 'audit_chain'],
        [`DELETE FROM audit_seals`, 'audit_seals'],
      ].map(async ([statement, table]) => ({ statement, table, error: await refusal(application, statement!) })),
    );

    // Assert
    for (const { statement, table, error } of refusals) {
      expect({ statement, code: error.code, message: error.message }).toEqual({ statement, code: '42501', message: `permission denied for table ${table}` });
    }
    expect(await verifyAuditLog(pool)).toMatchObject({ ok: true, recordsChecked: 2 });
  });

  it('the owner may not UPDATE or DELETE audit records, the chain or the seals while the triggers are on', async () => {
    // Arrange
    await appendRecords(2);
    await sealEverything();

    // Act / Assert
    for (const [statement, message] of [
      ['UPDATE audit_records SET amount = 0', 'UPDATE of audit_records is not allowed: ledger history is append-only'],
      ['DELETE FROM audit_records', 'DELETE of audit_records is not allowed: ledger history is append-only'],
      ['TRUNCATE audit_records', 'TRUNCATE of audit_records is not allowed: ledger history is append-only'],
      [`UPDATE audit_chain SET chain_hash = '\\x00'`, 'UPDATE of audit_chain is not allowed: ledger history is append-only'],
      ['DELETE FROM audit_seals', 'DELETE of audit_seals is not allowed: ledger history is append-only'],
    ] as const) {
      const error = await refusal(owner, statement);
      expect({ statement, code: error.code, message: error.message }).toEqual({ statement, code: '42501', message });
    }
    expect(await verifyAuditLog(pool)).toMatchObject({ ok: true, recordsChecked: 2 });
  });

  it('a record inserted with a forged checksum, transaction id or time gets the database’s own instead', async () => {
    // Act
    const { rows } = await application.query<{ id: string }>(
      `INSERT INTO audit_records (action, actor, target_type, target_id, xid, created_at, checksum)
       VALUES ('PAYOUT_REQUEST', 'forger', 'partner', 'p', '1', '2000-01-01', '\\xdeadbeef') RETURNING id`,
    );

    // Assert
    const stored = await owner.query(
      `SELECT checksum = audit_record_checksum(r) AS checksum_is_computed, created_at > now() - interval '1 minute' AS created_now, xid::text <> '1' AS xid_is_real
       FROM audit_records r WHERE id = $1`,
      [rows[0]!.id],
    );
    expect(stored.rows).toEqual([{ checksum_is_computed: true, created_now: true, xid_is_real: true }]);
  });
});

describe('verifying the audit log', () => {
  it('when records are appended and sealed, verification passes and counts every record', async () => {
    // Arrange: records with every kind of field, one of them pointing at a real ledger entry.
    const store = new LedgerStore(pool);
    const entry = await store.postEntry({
      idempotencyKey: 'audit:entry',
      kind: 'fund',
      postings: [
        { account: { ownerType: 'platform', ownerId: 'platform', bucket: 'pool_funding', currency: 'USD' }, amount: '-5.00' },
        { account: { ownerType: 'partner', ownerId: 'partner-0', bucket: 'available', currency: 'USD' }, amount: '5.00' },
      ],
    });
    await appendRecords(5, 0, entry.entryId);
    await appendRecords(5, 5);

    // Act: transaction ids are cluster-wide, so another test file's open transaction can hold the sealing
    // horizon back for a moment; seal until the sealer has taken all ten.
    let sealed = 0;
    await expect.poll(async () => (sealed += await sealAuditRecords(pool)), { timeout: 20_000, interval: 20 }).toBe(10);
    const verification = await verifyAuditLog(pool);
    const smallPages = await verifyAuditLog(pool, 3);

    // Assert
    expect(sealed).toBe(10);
    expect(verification).toEqual({ ok: true, recordsChecked: 10, sealedRecords: 10, unsealedRecords: 0 });
    expect(smallPages).toEqual(verification);
  });

  it('when the owner changes the amount of a sealed record, verification names exactly that record', async () => {
    // Arrange
    const ids = await appendRecords(8);
    await sealEverything();
    const target = ids[4]!;

    // Act
    await tamper([`UPDATE audit_records SET amount = amount + 1000 WHERE id = $1`, [target]]);
    const verification = await verifyAuditLog(pool);

    // Assert
    expect(verification).toMatchObject({ ok: false, firstBrokenRecordId: target, problem: 'content does not match its checksum' });
  });

  it('when the tamperer also recomputes the record’s checksum, the chain breaks at that record', async () => {
    // Arrange
    const ids = await appendRecords(8);
    await sealEverything();
    const target = ids[2]!;

    // Act
    await tamper(
      [`UPDATE audit_records SET amount = amount + 1000 WHERE id = $1`, [target]],
      [`UPDATE audit_records r SET checksum = audit_record_checksum(r) WHERE id = $1`, [target]],
    );
    const verification = await verifyAuditLog(pool);

    // Assert
    expect(verification).toMatchObject({ ok: false, firstBrokenRecordId: target, problem: 'checksum does not match the sealed chain' });
  });

  it('when the tamperer also rewrites the chain from that record on, the seal no longer matches and verification fails', async () => {
    // Arrange
    const ids = await appendRecords(6);
    await sealEverything();
    const target = ids[3]!;
    await tamper(
      [`UPDATE audit_records SET amount = amount + 1000 WHERE id = $1`, [target]],
      [`UPDATE audit_records r SET checksum = audit_record_checksum(r) WHERE id = $1`, [target]],
    );

    // Act: recompute every link of the chain, as a careful tamperer would, leaving only the seals untouched.
    const chain = await owner.query(
      `SELECT c.position, r.checksum FROM audit_chain c JOIN audit_records r ON r.id = c.record_id ORDER BY c.position`,
    );
    await owner.query('BEGIN');
    await owner.query('ALTER TABLE audit_chain DISABLE TRIGGER audit_chain_immutable');
    let previous = Buffer.alloc(0);
    for (const row of chain.rows as { position: string; checksum: Buffer }[]) {
      previous = createHash('sha256').update(Buffer.concat([previous, row.checksum])).digest();
      await owner.query('UPDATE audit_chain SET chain_hash = $1 WHERE position = $2', [previous, row.position]);
    }
    await owner.query('ALTER TABLE audit_chain ENABLE TRIGGER audit_chain_immutable');
    await owner.query('COMMIT');
    const verification = await verifyAuditLog(pool);

    // Assert
    expect(verification).toMatchObject({ ok: false, problem: 'the chain does not match its seal' });
  });

  it('when a sealed record is deleted, verification names the missing record', async () => {
    // Arrange
    const ids = await appendRecords(6);
    await sealEverything();
    const target = ids[3]!;

    // Act
    await tamper([`DELETE FROM audit_records WHERE id = $1`, [target]]);
    const verification = await verifyAuditLog(pool);

    // Assert
    expect(verification).toMatchObject({ ok: false, firstBrokenRecordId: target, problem: 'record is missing' });
  });

  it('when a record not yet sealed is changed, verification names it', async () => {
    // Arrange: some records sealed, then more that are not.
    await appendRecords(4);
    await sealEverything();
    const unsealed = await appendRecords(3, 4);
    const target = unsealed[1]!;

    // Act
    await tamper([`UPDATE audit_records SET reason = 'nothing to see here' WHERE id = $1`, [target]]);
    const verification = await verifyAuditLog(pool);

    // Assert
    expect(verification).toMatchObject({ ok: false, firstBrokenRecordId: target, problem: 'content does not match its checksum' });
  });

  it('when records are appended after a seal but never tampered with, verification passes and reports them unsealed', async () => {
    await appendRecords(4);
    await sealEverything();
    await appendRecords(3, 4);

    expect(await verifyAuditLog(pool)).toEqual({ ok: true, recordsChecked: 7, sealedRecords: 4, unsealedRecords: 3 });
  });
});

describe('the ledgerflow audit verify command', () => {
  it('exits 0 on a clean log and 1, naming the record on stderr, on a tampered one', async () => {
    // Arrange
    const ids = await appendRecords(5);

    // Act: the command seals what is committed, then verifies.
    const clean = await runCli(database.ownerUrl, 'audit', 'verify');

    // Assert
    expect(clean, clean.stderr).toMatchObject({ code: 0 });
    expect(JSON.parse(clean.stdout)).toMatchObject({ ok: true, recordsChecked: 5 });

    // Act
    const target = ids[1]!;
    await tamper([`UPDATE audit_records SET actor = 'someone else' WHERE id = $1`, [target]]);
    const tampered = await runCli(database.ownerUrl, 'audit', 'verify');

    // Assert
    expect(tampered.code, tampered.stderr).toBe(1);
    expect(tampered.stderr).toContain(`audit log broken at record ${target}:`);
    expect(JSON.parse(tampered.stdout)).toMatchObject({ ok: false, firstBrokenRecordId: target });
  });
});

describe('concurrent audit writers', () => {
  it('when a record’s transaction is still open, the sealer waits for it and later seals it ahead of records committed meanwhile', async () => {
    // Arrange: a transaction that has written a record and stays open, and a later one that commits.
    await application.query('BEGIN');
    const { rows } = await application.query<{ id: string }>(
      `INSERT INTO audit_records (action, actor, target_type, target_id, checksum) VALUES ('PAYOUT_REQUEST', 'slow', 'partner', 'p', '\\x') RETURNING id`,
    );
    const slowRecord = rows[0]!.id;
    const fastRecord = await appendAuditRecord(pool, sampleRecord(1));

    // Act
    const sealedWhileOpen = await sealAuditRecords(pool);
    await application.query('COMMIT');
    await sealEverything();

    // Assert: nothing at or after the open transaction was sealed while it was open; afterwards the chain holds
    // both, in the order of their transactions (the slow one began first).
    expect(sealedWhileOpen).toBe(0);
    const chain = await owner.query<{ record_id: string }>('SELECT record_id::text FROM audit_chain ORDER BY position');
    expect(chain.rows.map((row) => row.record_id)).toEqual([slowRecord, fastRecord]);
    expect(await verifyAuditLog(pool)).toMatchObject({ ok: true, sealedRecords: 2 });
  });

  it('when records are appended from 10 connections (200 a round) while the sealer runs, every record is sealed exactly once and the log verifies', async () => {
    // Arrange: the sealer has connections of its own, so it never waits behind the writers for one.
    const sealerPool = await createDatabase(database.appUrl, { maximumPoolSize: 2 });
    const writers = 10;
    const recordsPerWriter = 20;
    let writing = true;
    let sealsDuringWrites = 0;
    try {
      const sealer = (async () => {
        while (writing) {
          if ((await sealAuditRecords(sealerPool)) > 0) sealsDuringWrites += 1;
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      })();

      // Act: each writer appends in transactions of one to three records, some held open for a moment so the
      // sealer meets transactions that started before others but commit after them. The sealer goes by the
      // cluster-wide transaction horizon, which other test files' long transactions can hold back for a while;
      // the writers go on for more rounds (up to ten) until the sealer has sealed during their writes.
      const writeRound = (round: number) =>
        Promise.all(
          Array.from({ length: writers }, (_, writer) =>
            pool.connect(async (connection) => {
              let written = 0;
              for (let batch = 0; written < recordsPerWriter; batch += 1) {
                const size = Math.min(1 + ((writer + batch) % 3), recordsPerWriter - written);
                await connection.transaction(async (transaction) => {
                  for (let index = 0; index < size; index += 1) {
                    await appendAuditRecord(transaction, sampleRecord(round * 10_000 + writer * 100 + written + index));
                    if ((writer + batch + index) % 4 === 0) await new Promise((resolve) => setTimeout(resolve, 3));
                  }
                });
                written += size;
              }
            }),
          ),
        );
      let rounds = 0;
      do {
        await writeRound(rounds);
        rounds += 1;
      } while (sealsDuringWrites <= 1 && rounds < 10);
      const total = rounds * writers * recordsPerWriter;
      writing = false;
      await sealer;
      await sealEverything();

      // Assert
      const { rows } = await owner.query(`
        SELECT (SELECT count(*) FROM audit_records)::int AS records,
               (SELECT count(*) FROM audit_chain)::int AS chained,
               (SELECT count(DISTINCT record_id) FROM audit_chain)::int AS distinct_chained,
               (SELECT min(position) FROM audit_chain)::int AS first_position,
               (SELECT max(position) FROM audit_chain)::int AS last_position,
               (SELECT sum(record_count) FROM audit_seals)::int AS sealed_by_seals,
               (SELECT count(*) FROM audit_seals s JOIN audit_seals previous ON previous.id = (
                  SELECT max(p.id) FROM audit_seals p WHERE p.id < s.id) WHERE previous.horizon_to <> s.horizon_from)::int AS seal_gaps`);
      expect(rows[0]).toEqual({
        records: total,
        chained: total,
        distinct_chained: total,
        first_position: 1,
        last_position: total,
        sealed_by_seals: total,
        seal_gaps: 0,
      });
      expect(sealsDuringWrites, 'seals that sealed something while the writers were still writing').toBeGreaterThan(1);
      expect(await verifyAuditLog(pool)).toEqual({
        ok: true,
        recordsChecked: total,
        sealedRecords: total,
        unsealedRecords: 0,
      });
    } finally {
      writing = false;
      await sealerPool.end();
    }
  });
});
