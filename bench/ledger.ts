/**
 * Ledger throughput through the application's write path (`LedgerStore.postEntry/postEntries` on a slonik pool
 * connected as `ledgerflow_app`), next to the baseline the goals are stated against: a plain PL/pgSQL ledger,
 * one function call per transfer that locks both account rows.
 *
 *   npx bun bench/ledger.ts                     # embedded PostgreSQL in a temporary directory
 *   DATABASE_URL=postgres://… npx bun bench/ledger.ts   # an existing server (owner/superuser URL)
 *
 * Settings: BENCH_SECONDS (30) per workload, BENCH_CLIENTS (4) concurrent clients, BENCH_WRITER_CALLERS (1,000:
 * one per partner of (c)) callers of the group-commit row, BENCH_SWEEP_CLIENTS ("2,8") other client counts for (a)
 * and the baseline among the diagnostic rows, BENCH_WARMUP_SECONDS (5) of unrecorded (a) traffic first,
 * BENCH_DIAGNOSTIC_SECONDS (10, 0 to skip) for the rows that explain the headline numbers, BENCH_DURABLE (1; 0 turns
 * fsync and synchronous commit off on the embedded server), BENCH_ANALYZE (1; 0 skips the ANALYZE after seeding, as
 * on a fresh database autovacuum has not visited yet), BENCH_ONLY (a comma list of a, b, c, d, baseline: only those
 * rows). The database `ledgerflow_bench` is dropped and recreated on every run.
 * Prints a markdown table and writes it to bench/results/ledger.md. Never run as a test.
 *
 * Only the measured ledger path goes through slonik; the owner's bookkeeping (database, baseline schema, sizes,
 * statistics) and the baseline itself use plain `pg`, as the baseline is defined.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { migrate } from '../db/migrate.ts';
import { applicationUrl, createDatabase, type Database } from '../db/pool.ts';
import { InsufficientFundsError, LedgerStore, entryInputHash } from '../modules/ledger/ledger-store.ts';
import { LedgerWriter } from '../modules/ledger/ledger-writer.ts';
import type { AccountRef, EntryInput } from '../domain/ledger.ts';
import { platformStripes } from '../domain/ledger.ts';
import { describeServer, freshDatabase, machineCpuSeconds, nonNegativeNumber, positiveNumber, resolveServer } from './support.ts';

const benchDirectory = path.dirname(fileURLToPath(import.meta.url));
const resultsFile = path.join(benchDirectory, 'results', 'ledger.md');
const databaseName = 'ledgerflow_bench';

const seconds = positiveNumber('BENCH_SECONDS', 30);
const clients = Math.floor(positiveNumber('BENCH_CLIENTS', 4));
const diagnosticSeconds = nonNegativeNumber('BENCH_DIAGNOSTIC_SECONDS', 10);
const durable = process.env.BENCH_DURABLE !== '0';
const analyzeAfterSeeding = process.env.BENCH_ANALYZE !== '0';
/** Client counts of the diagnostic rows that run (a) and the baseline again at other concurrency ("" for none). */
const sweepClients = (process.env.BENCH_SWEEP_CLIENTS ?? '2,8').split(',').filter((text) => text.trim() !== '').map((text) => {
  const count = Number(text);
  if (!Number.isInteger(count) || count < 1) throw new Error(`BENCH_SWEEP_CLIENTS: ${text} is not a positive whole number`);
  return count;
});
const poolSize = Math.max(clients, ...sweepClients);
/** Seconds of unrecorded (a) traffic before the first workload. */
const warmupSeconds = nonNegativeNumber('BENCH_WARMUP_SECONDS', 5);
/** Callers posting at once through the group-commit writer in the second (c) row, each awaiting its own entry. */
const writerCallers = Math.max(clients, Math.floor(positiveNumber('BENCH_WRITER_CALLERS', 1_000)));
/** Workloads to run, by label (a, b, c, d, baseline); all when unset. For working on one of them. */
const workloadLabels = ['a', 'b', 'c', 'd', 'baseline'];
const onlyWorkloads = process.env.BENCH_ONLY === undefined ? undefined : new Set(process.env.BENCH_ONLY.split(',').map((text) => {
  const label = text.trim();
  if (!workloadLabels.includes(label)) throw new Error(`BENCH_ONLY: ${text} is none of ${workloadLabels.join(', ')}`);
  return label;
}));
/** Whether a row of this workload runs: its label is the letter in "(a) …", or `baseline`. */
const selected = (workloadName: string) => onlyWorkloads === undefined || onlyWorkloads.has(workloadName.match(/^\((\w)\)/)?.[1] ?? 'baseline');

/** Transfer amounts: small decimal strings, so the funded balances never run out during a run. */
const transferAmounts = ['0.01', '0.25', '1.00', '2.50', '10.00', '99.99'] as const;
/** Every partner account starts with this much from the platform's `adjustments` account (owner `bench`). */
const fundingAmount = '1000000000.00';
const currency = 'USD';
const batchEntries = 100;

const funding: AccountRef = { ownerType: 'platform', ownerId: 'bench', bucket: 'adjustments', currency };
const hotPlatformAccount: AccountRef = { ownerType: 'platform', ownerId: 'bench', bucket: 'fees_income', currency };

function partnerAccounts(prefix: string, count: number): AccountRef[] {
  const width = String(count - 1).length;
  return Array.from({ length: count }, (_, index) => ({
    ownerType: 'partner' as const,
    ownerId: `bench-${prefix}-${String(index).padStart(width, '0')}`,
    bucket: 'available' as const,
    currency,
  }));
}

const accountsA = partnerAccounts('a', 50);
const accountsB = partnerAccounts('b', 10);
const accountsC = partnerAccounts('c', 1_000);
const accountsD = partnerAccounts('d', 50);

interface Goal {
  metric: 'transfers' | 'postings';
  perSecond: number;
}

interface WorkloadResult {
  name: string;
  path: string;
  clients: number;
  seconds: number;
  transfers: number;
  postings: number;
  latenciesMs: Float64Array;
  insufficientFunds: number;
  failures: number;
  firstFailure: string | undefined;
  bytesGrowth: number;
  clientCpuSeconds: number;
  machineBusySeconds: number;
  /** CPU of the server backends serving this benchmark's connections; undefined when the server is not local. */
  backendCpuSeconds: number | undefined;
  /** Rows read by sequential scans of the ledger's tables: a plan that scans a growing table shows up here. */
  sequentialRows: number;
  /** WAL the whole server wrote meanwhile (every commit waits for its share to reach the disk). */
  walBytes: number;
  goal: Goal | undefined;
}

/** What one call did: how many transfers (entries) and postings it committed. */
interface Operation {
  transfers: number;
  postings: number;
}

const sizeRow = z.object({ bytes: z.string() });

async function main(): Promise<void> {
  const startedAt = Date.now();
  const loadAverageAtStart = os.loadavg()[0]!;
  const server = await resolveServer('ledger bench', durable);
  let applicationPool: Database | undefined;
  let rawPool: pg.Pool | undefined;
  let ownerClient: pg.Client | undefined;
  try {
    const ownerUrl = await freshDatabase(server.adminUrl, databaseName);
    await migrate(ownerUrl);
    ownerClient = new pg.Client({ connectionString: ownerUrl });
    await ownerClient.connect();
    const serverDescription = await describeServer(ownerClient, server.label);
    console.error(`ledger bench: ${serverDescription}`);
    console.error(`ledger bench: ${clients} clients, ${seconds} s per workload, diagnostics ${diagnosticSeconds} s`);

    await createBaseline(ownerClient);

    const appUrl = applicationUrl(ownerUrl);
    applicationPool = await createDatabase(appUrl, { maximumPoolSize: poolSize });
    rawPool = new pg.Pool({ connectionString: appUrl, max: poolSize });
    const store = new LedgerStore(applicationPool);
    await seed(store);
    // Statistics as autovacuum would have them on a live ledger. Without them the plans depend on whether
    // autovacuum has got round to these tables yet, and the run measures that race instead of the ledger.
    if (analyzeAfterSeeding) await ownerClient.query('ANALYZE');
    const accountIds = new Map<AccountRef, string>();
    const everyAccount = [funding, hotPlatformAccount, ...accountsA, ...accountsB, ...accountsC, ...accountsD];
    (await store.accountIds(everyAccount)).forEach((id, index) => accountIds.set(everyAccount[index]!, id));

    const ledgerTables = ['journal_entries', 'postings', 'account_balances'];
    const results: WorkloadResult[] = [];
    const measure = (
      name: string,
      pathDescription: string,
      duration: number,
      tables: string[],
      goal: Goal | undefined,
      runClient: (client: number, deadline: number, record: Recorder) => Promise<void>,
      clientCount = clients,
    ) => {
      if (!selected(name)) return Promise.resolve();
      return runWorkload(ownerClient!, { name, path: pathDescription, duration, tables, goal, clients: clientCount }, runClient).then((result) => {
        results.push(result);
        console.error(`ledger bench: ${summaryLine(result)}`);
      });
    };

    const heldConnection = (body: (connection: CommonQueryMethods, client: number, deadline: number, record: Recorder) => Promise<void>) =>
      (client: number, deadline: number, record: Recorder) =>
        applicationPool!.connect((connection) => body(connection, client, deadline, record));

    const applicationPath = 'LedgerStore, connection held per client';

    const transfersA = (keyPrefix: string) =>
      heldConnection(async (connection, client, deadline, record) => {
        for (let sequence = 0; performance.now() < deadline; sequence += 1) {
          const entry = transferEntry(`${keyPrefix}:${client}:${sequence}`, ...randomPair(accountsA));
          await record(async () => (await store.postEntry(entry, connection), { transfers: 1, postings: 2 }));
        }
      });
    if (warmupSeconds > 0) {
      // Unrecorded: the same traffic as (a), so the first measured workload does not also pay for the JIT compiling
      // the client's path (slonik, pg, the store) and for the server's first plans and cache misses.
      const discard: Recorder = async (operation) => {
        await operation().catch(() => undefined);
      };
      const deadline = performance.now() + warmupSeconds * 1000;
      await Promise.all(Array.from({ length: clients }, (_, client) => transfersA('warmup')(client, deadline, discard)));
    }
    await measure('(a) transfers, 50 partner accounts', applicationPath, seconds, ledgerTables, { metric: 'transfers', perSecond: 3_400 },
      transfersA('a'));

    await measure('(b) transfers, 10 partner accounts', applicationPath, seconds, ledgerTables, undefined,
      heldConnection(async (connection, client, deadline, record) => {
        for (let sequence = 0; performance.now() < deadline; sequence += 1) {
          const entry = transferEntry(`b:${client}:${sequence}`, ...randomPair(accountsB));
          await record(async () => (await store.postEntry(entry, connection), { transfers: 1, postings: 2 }));
        }
      }));

    await measure('(c) 1,000 partners → 1 hot platform account', applicationPath, seconds, ledgerTables, { metric: 'transfers', perSecond: 6_800 },
      heldConnection(async (connection, client, deadline, record) => {
        for (let sequence = 0; performance.now() < deadline; sequence += 1) {
          const entry = transferEntry(`c:${client}:${sequence}`, pick(accountsC), hotPlatformAccount);
          await record(async () => (await store.postEntry(entry, connection), { transfers: 1, postings: 2 }));
        }
      }));

    // The same hot-account traffic as many concurrent callers make it (an API under load): each caller posts one
    // entry and awaits its own outcome; the writer commits what arrives together, on the same connections.
    const writer = new LedgerWriter(store, { concurrency: clients });
    await measure('(c) 1,000 partners → 1 hot platform account', `LedgerWriter: ${formatInteger(writerCallers)} callers, one entry each, group commit on ${clients} connections`,
      seconds, ledgerTables, { metric: 'transfers', perSecond: 6_800 },
      async (client, deadline, record) => {
        // Caller i pays from partner i (modulo the 1,000): with the default 1,000 callers, every partner pays again
        // as soon as its last payment is answered.
        const callersHere = Math.ceil(writerCallers / clients);
        await Promise.all(Array.from({ length: callersHere }, async (_, caller) => {
          const partner = accountsC[(client * callersHere + caller) % accountsC.length]!;
          for (let sequence = 0; performance.now() < deadline; sequence += 1) {
            const entry = transferEntry(`cw:${client}:${caller}:${sequence}`, partner, hotPlatformAccount);
            await record(async () => (await writer.post(entry), { transfers: 1, postings: 2 }));
          }
        }));
      });

    await measure(`(d) batches of ${batchEntries} entries, 50 partner accounts`, applicationPath, seconds, ledgerTables, { metric: 'postings', perSecond: 30_000 },
      heldConnection(async (connection, client, deadline, record) => {
        for (let sequence = 0; performance.now() < deadline; sequence += 1) {
          const entries = Array.from({ length: batchEntries }, (_, index) =>
            transferEntry(`d:${client}:${sequence}:${index}`, ...randomPair(accountsD)));
          await record(async () => (await store.postEntries(entries, connection), { transfers: batchEntries, postings: 2 * batchEntries }));
        }
      }));

    const baselineIds = await baselineAccountIds(ownerClient);
    const baselineTables = ['bench_baseline.accounts', 'bench_baseline.transfers'];
    const baselineTransfers = async (_client: number, deadline: number, record: Recorder) => {
      const connection = await rawPool!.connect();
      try {
        while (performance.now() < deadline) {
          const [fromId, toId] = randomPair(baselineIds);
          await record(async () => {
            await connection.query('SELECT bench_baseline.transfer($1, $2, $3)', [fromId, toId, pick(transferAmounts)]);
            return { transfers: 1, postings: 2 };
          });
        }
      } finally {
        connection.release();
      }
    };
    await measure('baseline: plain PL/pgSQL transfer(), 50 accounts', 'plain pg, one function call', seconds, baselineTables, undefined,
      baselineTransfers);

    if (diagnosticSeconds > 0) {
      // (a) and the baseline at other client counts: on two cores both are bound by waiting at 4 clients, not by CPU.
      for (const count of sweepClients) {
        await measure('(a) transfers, 50 partner accounts', `${applicationPath}, ${count} clients`, diagnosticSeconds, ledgerTables, undefined,
          transfersA(`a-sweep-${count}`), count);
        await measure('baseline: plain PL/pgSQL transfer(), 50 accounts', `plain pg, one function call, ${count} clients`, diagnosticSeconds,
          baselineTables, undefined, baselineTransfers, count);
      }
      // The same SQL as LedgerStore.postEntries sends (one entry: post_entry, as a prepared statement; several:
      // post_entries), without slonik, zod or the client-side validation: what the database alone allows, and so
      // how much of the application path's cost is on the client.
      // `singleEntryFunction`: post_entry, or the copy of it that writes the bare tables (createBareLedger).
      const rawPostEntries = (connection: pg.PoolClient, entries: EntryInput[], singleEntryFunction = 'post_entry') => {
        const ids = entries.flatMap((entry) => entry.postings.map((posting) => accountIds.get(posting.account)!));
        if (entries.length === 1) {
          const entry = entries[0]!;
          return connection.query({
            name: `bench_${singleEntryFunction.replace('.', '_')}`,
            text: `SELECT entry_id, created, created_at
                   FROM ${singleEntryFunction}($1::text, $2::bytea, $3::text, $4::text, $5::jsonb, $6::int8, $7::int8[], $8::numeric[])`,
            values: [
              entry.idempotencyKey,
              entryInputHash(entry),
              entry.kind,
              entry.description ?? '',
              JSON.stringify(entry.metadata ?? {}),
              null,
              ids,
              entry.postings.map((posting) => posting.amount),
            ],
          });
        }
        return connection.query(
          `SELECT entry_index, entry_id, created, created_at FROM post_entries(
             $1::text[], $2::bytea[], $3::text[], $4::text[], $5::jsonb[], $6::int8[], $7::int4[], $8::int8[], $9::numeric[])`,
          [
            entries.map((entry) => entry.idempotencyKey),
            entries.map((entry) => entryInputHash(entry)),
            entries.map((entry) => entry.kind),
            entries.map((entry) => entry.description ?? ''),
            entries.map((entry) => JSON.stringify(entry.metadata ?? {})),
            entries.map(() => null),
            entries.flatMap((entry, index) => entry.postings.map(() => index + 1)),
            ids,
            entries.flatMap((entry) => entry.postings.map((posting) => posting.amount)),
          ],
        );
      };
      const rawHeld = (body: (connection: pg.PoolClient, client: number, deadline: number, record: Recorder) => Promise<void>) =>
        async (client: number, deadline: number, record: Recorder) => {
          const connection = await rawPool!.connect();
          try {
            await body(connection, client, deadline, record);
          } finally {
            connection.release();
          }
        };

      await measure('(a) transfers, 50 partner accounts', 'LedgerStore on the pool per call (a connection checked out per transfer)', diagnosticSeconds, ledgerTables, undefined,
        async (client, deadline, record) => {
          for (let sequence = 0; performance.now() < deadline; sequence += 1) {
            const entry = transferEntry(`a-pool:${client}:${sequence}`, ...randomPair(accountsA));
            await record(async () => (await store.postEntry(entry), { transfers: 1, postings: 2 }));
          }
        });
      // The floor under (a): the same rows, indexes and limit CHECK, written by a plain function with none of the
      // ledger's other safeguards. Its tables start as copies of the ledger's, so both rows write into tables of one size.
      if (selected('(a)')) await createBareLedger(ownerClient);
      const bareTables = ['bench_bare.journal_entries', 'bench_bare.postings', 'bench_bare.account_balances'];
      await measure('(a) transfers, 50 partner accounts', 'same SQL as LedgerStore, plain pg', diagnosticSeconds, ledgerTables, undefined,
        rawHeld(async (connection, client, deadline, record) => {
          for (let sequence = 0; performance.now() < deadline; sequence += 1) {
            const entry = transferEntry(`a-raw:${client}:${sequence}`, ...randomPair(accountsA));
            await record(async () => (await rawPostEntries(connection, [entry]), { transfers: 1, postings: 2 }));
          }
        }));
      await measure('(a) transfers, 50 partner accounts',
        'post_entry itself (every check, SECURITY DEFINER) on the bare tables: no foreign keys or commit-time triggers; plain pg',
        diagnosticSeconds, bareTables, undefined,
        rawHeld(async (connection, client, deadline, record) => {
          for (let sequence = 0; performance.now() < deadline; sequence += 1) {
            const entry = transferEntry(`a-bare-checked:${client}:${sequence}`, ...randomPair(accountsA));
            await record(async () => (await rawPostEntries(connection, [entry], 'bench_bare.post_entry_checked'), { transfers: 1, postings: 2 }));
          }
        }));
      await measure('(a) transfers, 50 partner accounts',
        'the same rows bare: no account lookups or checks but the limit CHECK, no foreign keys, commit-time triggers or SECURITY DEFINER; plain pg',
        diagnosticSeconds, bareTables, undefined,
        rawHeld(async (connection, client, deadline, record) => {
          for (let sequence = 0; performance.now() < deadline; sequence += 1) {
            const entry = transferEntry(`a-bare:${client}:${sequence}`, ...randomPair(accountsA));
            await record(async () => {
              await connection.query({
                name: 'bench_bare_post_entry',
                text: 'SELECT bench_bare.post_entry($1::text, $2::bytea, $3::text, $4::text, $5::int8[], $6::numeric[])',
                values: [
                  entry.idempotencyKey,
                  entryInputHash(entry),
                  entry.kind,
                  currency,
                  entry.postings.map((posting) => accountIds.get(posting.account)!),
                  entry.postings.map((posting) => posting.amount),
                ],
              });
              return { transfers: 1, postings: 2 };
            });
          }
        }));
      await measure('(c) 1,000 partners → 1 hot platform account', 'same SQL as LedgerStore, plain pg', diagnosticSeconds, ledgerTables, undefined,
        rawHeld(async (connection, client, deadline, record) => {
          for (let sequence = 0; performance.now() < deadline; sequence += 1) {
            const entry = transferEntry(`c-raw:${client}:${sequence}`, pick(accountsC), hotPlatformAccount);
            await record(async () => (await rawPostEntries(connection, [entry]), { transfers: 1, postings: 2 }));
          }
        }));
      await measure(`(d) batches of ${batchEntries} entries, 50 partner accounts`, 'same SQL as LedgerStore, plain pg', diagnosticSeconds, ledgerTables, undefined,
        rawHeld(async (connection, client, deadline, record) => {
          for (let sequence = 0; performance.now() < deadline; sequence += 1) {
            const entries = Array.from({ length: batchEntries }, (_, index) =>
              transferEntry(`d-raw:${client}:${sequence}:${index}`, ...randomPair(accountsD)));
            await record(async () => (await rawPostEntries(connection, entries), { transfers: batchEntries, postings: 2 * batchEntries }));
          }
        }));
    }

    await assertLedgerInvariants(ownerClient);

    const report = renderReport(results, {
      server: serverDescription,
      loadAverageAtStart,
      totalSeconds: (Date.now() - startedAt) / 1000,
    });
    console.log(report);
    await mkdir(path.dirname(resultsFile), { recursive: true });
    await writeFile(resultsFile, report);
    console.error(`ledger bench: written to ${path.relative(process.cwd(), resultsFile)}`);
  } finally {
    await applicationPool?.end().catch(() => {});
    await rawPool?.end().catch(() => {});
    await ownerClient?.end().catch(() => {});
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Workloads

type Recorder = (operation: () => Promise<Operation>) => Promise<void>;

async function runWorkload(
  ownerClient: pg.Client,
  workload: { name: string; path: string; duration: number; tables: string[]; goal: Goal | undefined; clients: number },
  runClient: (client: number, deadline: number, record: Recorder) => Promise<void>,
): Promise<WorkloadResult> {
  const latencies: number[] = [];
  let transfers = 0;
  let postings = 0;
  let insufficientFunds = 0;
  let failures = 0;
  let firstFailure: string | undefined;

  const record: Recorder = async (operation) => {
    const started = performance.now();
    try {
      const done = await operation();
      latencies.push(performance.now() - started);
      transfers += done.transfers;
      postings += done.postings;
    } catch (error) {
      if (error instanceof InsufficientFundsError) {
        insufficientFunds += 1;
      } else {
        failures += 1;
        firstFailure ??= (error as Error).message;
      }
    }
  };

  const sizeBefore = await relationBytes(ownerClient, workload.tables);
  const backendsBefore = await backendCpuSeconds(ownerClient);
  const sequentialBefore = await sequentiallyReadRows(ownerClient);
  const walBefore = await walPosition(ownerClient);
  const cpuBefore = process.cpuUsage();
  const machineBefore = await machineCpuSeconds();
  const started = performance.now();
  const deadline = started + workload.duration * 1000;
  await Promise.all(Array.from({ length: workload.clients }, (_, client) => runClient(client, deadline, record)));
  const elapsedSeconds = (performance.now() - started) / 1000;
  const machineAfter = await machineCpuSeconds();
  const cpu = process.cpuUsage(cpuBefore);
  const backendsAfter = await backendCpuSeconds(ownerClient);
  const sequentialAfter = await sequentiallyReadRows(ownerClient);
  const walBytes = await walBytesSince(ownerClient, walBefore);
  const sizeAfter = await relationBytes(ownerClient, workload.tables);

  return {
    name: workload.name,
    path: workload.path,
    clients: workload.clients,
    seconds: elapsedSeconds,
    transfers,
    postings,
    latenciesMs: Float64Array.from(latencies).sort(),
    insufficientFunds,
    failures,
    firstFailure,
    bytesGrowth: sizeAfter - sizeBefore,
    clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
    machineBusySeconds: machineAfter.busy - machineBefore.busy,
    backendCpuSeconds: backendCpuDelta(backendsBefore, backendsAfter),
    sequentialRows: sequentialAfter - sequentialBefore,
    walBytes,
    goal: workload.goal,
  };
}

function transferEntry(key: string, from: AccountRef, to: AccountRef): EntryInput {
  const amount = pick(transferAmounts);
  return {
    idempotencyKey: `bench:${key}`,
    kind: 'bench_transfer',
    postings: [
      { account: from, amount: `-${amount}` },
      { account: to, amount },
    ],
  };
}

function pick<T>(values: readonly T[]): T {
  return values[Math.floor(Math.random() * values.length)]!;
}

function randomPair<T>(values: readonly T[]): [T, T] {
  const first = Math.floor(Math.random() * values.length);
  const second = (first + 1 + Math.floor(Math.random() * (values.length - 1))) % values.length;
  return [values[first]!, values[second]!];
}

/** Funds every partner account from the platform's `adjustments` account (owner `bench`), through the same store. */
async function seed(store: LedgerStore): Promise<void> {
  const partners = [...accountsA, ...accountsB, ...accountsC, ...accountsD];
  await store.accountIds([funding, hotPlatformAccount, ...partners]);
  for (let start = 0; start < partners.length; start += 200) {
    await store.postEntries(
      partners.slice(start, start + 200).map((account) => ({
        idempotencyKey: `bench:funding:${account.ownerId}`,
        kind: 'bench_funding',
        postings: [
          { account: funding, amount: `-${fundingAmount}` },
          { account, amount: fundingAmount },
        ],
      })),
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The baseline: a plain PL/pgSQL ledger, one function call per transfer, both account rows locked in id order.

async function createBaseline(ownerClient: pg.Client): Promise<void> {
  await ownerClient.query(`
    CREATE SCHEMA bench_baseline;
    CREATE TABLE bench_baseline.accounts (
      id bigint PRIMARY KEY,
      balance numeric NOT NULL
    );
    CREATE TABLE bench_baseline.transfers (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      from_account_id bigint NOT NULL REFERENCES bench_baseline.accounts (id),
      to_account_id bigint NOT NULL REFERENCES bench_baseline.accounts (id),
      amount numeric NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE FUNCTION bench_baseline.transfer(from_account_id bigint, to_account_id bigint, amount numeric)
    RETURNS bigint LANGUAGE plpgsql AS $$
    DECLARE
      transfer_id bigint;
    BEGIN
      PERFORM 1 FROM bench_baseline.accounts
        WHERE id IN (from_account_id, to_account_id) ORDER BY id FOR UPDATE;
      UPDATE bench_baseline.accounts SET balance = balance - amount WHERE id = from_account_id;
      UPDATE bench_baseline.accounts SET balance = balance + amount WHERE id = to_account_id;
      INSERT INTO bench_baseline.transfers (from_account_id, to_account_id, amount)
        VALUES (from_account_id, to_account_id, amount)
        RETURNING id INTO transfer_id;
      RETURN transfer_id;
    END
    $$;
    INSERT INTO bench_baseline.accounts (id, balance) SELECT id, ${fundingAmount} FROM generate_series(1, 50) AS id;
    GRANT USAGE ON SCHEMA bench_baseline TO ledgerflow_app;
    GRANT SELECT, UPDATE ON bench_baseline.accounts TO ledgerflow_app;
    GRANT SELECT, INSERT ON bench_baseline.transfers TO ledgerflow_app;
  `);
}

/**
 * The floor under (a): schema `bench_bare`, copies of the ledger's three tables with their indexes, defaults and
 * CHECK constraints (LIKE … INCLUDING ALL: no foreign keys, no triggers) and their rows, a plain function that
 * writes one two-line entry as post_entry does (entry, postings, both balance rows in id order) and checks nothing,
 * and post_entry itself rewritten to write these tables.
 */
async function createBareLedger(ownerClient: pg.Client): Promise<void> {
  await ownerClient.query(`
    DROP SCHEMA IF EXISTS bench_bare CASCADE;
    CREATE SCHEMA bench_bare;
    CREATE TABLE bench_bare.journal_entries (LIKE public.journal_entries INCLUDING ALL);
    CREATE TABLE bench_bare.postings (LIKE public.postings INCLUDING ALL);
    CREATE TABLE bench_bare.account_balances (LIKE public.account_balances INCLUDING ALL);
    INSERT INTO bench_bare.journal_entries OVERRIDING SYSTEM VALUE SELECT * FROM public.journal_entries;
    SELECT setval(pg_get_serial_sequence('bench_bare.journal_entries', 'id'), (SELECT max(id) FROM bench_bare.journal_entries));
    INSERT INTO bench_bare.postings SELECT * FROM public.postings;
    INSERT INTO bench_bare.account_balances SELECT * FROM public.account_balances;
    CREATE FUNCTION bench_bare.post_entry(entry_key text, entry_hash bytea, entry_kind text, entry_currency text,
                                          posting_accounts bigint[], posting_amounts numeric[])
    RETURNS bigint LANGUAGE plpgsql AS $$
    DECLARE
      new_id bigint;
      new_time timestamptz;
    BEGIN
      INSERT INTO bench_bare.journal_entries AS e (idempotency_key, input_hash, kind)
      VALUES (entry_key, entry_hash, entry_kind)
      ON CONFLICT (idempotency_key) DO NOTHING
      RETURNING e.id, e.created_at INTO new_id, new_time;
      INSERT INTO bench_bare.postings (entry_id, line, account_id, currency, amount, created_at)
      SELECT new_id, p.line, p.account_id, entry_currency, p.amount, new_time
      FROM unnest(posting_accounts, posting_amounts) WITH ORDINALITY AS p (account_id, amount, line);
      IF posting_accounts[1] < posting_accounts[2] THEN
        UPDATE bench_bare.account_balances b SET balance = b.balance + posting_amounts[1] WHERE b.account_id = posting_accounts[1] AND b.stripe = 0;
        UPDATE bench_bare.account_balances b SET balance = b.balance + posting_amounts[2] WHERE b.account_id = posting_accounts[2] AND b.stripe = 0;
      ELSE
        UPDATE bench_bare.account_balances b SET balance = b.balance + posting_amounts[2] WHERE b.account_id = posting_accounts[2] AND b.stripe = 0;
        UPDATE bench_bare.account_balances b SET balance = b.balance + posting_amounts[1] WHERE b.account_id = posting_accounts[1] AND b.stripe = 0;
      END IF;
      RETURN new_id;
    END
    $$;
    GRANT USAGE ON SCHEMA bench_bare TO ledgerflow_app;
    GRANT SELECT, INSERT ON bench_bare.journal_entries, bench_bare.postings TO ledgerflow_app;
    GRANT SELECT, UPDATE ON bench_bare.account_balances TO ledgerflow_app;
  `);
  // post_entry itself, writing the bare tables: its checks and SECURITY DEFINER without the foreign keys and
  // commit-time triggers of the ledger's tables. (Only the three table names change.)
  const { rows } = await ownerClient.query<{ definition: string }>(
    "SELECT pg_get_functiondef('public.post_entry'::regproc) AS definition");
  const checked = rows[0]!.definition
    .replace(/FUNCTION public\.post_entry\(/, 'FUNCTION bench_bare.post_entry_checked(')
    .replace(/\b(journal_entries|postings|account_balances)\b/g, 'bench_bare.$1');
  if (!checked.includes('bench_bare.post_entry_checked(')) throw new Error('post_entry could not be copied for the bare tables');
  await ownerClient.query(checked);
  // The ledger's own tables too: by now the workloads have left them dead balance-row versions that the fresh
  // copies do not have, and the rows that compare the two should differ in what runs, not in what is left over.
  await ownerClient.query(`VACUUM ANALYZE bench_bare.journal_entries, bench_bare.postings, bench_bare.account_balances,
                                          public.journal_entries, public.postings, public.account_balances`);
}

async function baselineAccountIds(ownerClient: pg.Client): Promise<string[]> {
  const { rows } = await ownerClient.query<{ id: string }>('SELECT id::text FROM bench_baseline.accounts ORDER BY id');
  return rows.map((row) => row.id);
}

// ---------------------------------------------------------------------------------------------------------------
// Measurements

/** Heap, indexes and TOAST of the tables, as allocated on disk: growth, not live data (no VACUUM in between). */
async function relationBytes(ownerClient: pg.Client, tables: string[]): Promise<number> {
  const { rows } = await ownerClient.query<z.input<typeof sizeRow>>(
    'SELECT sum(pg_total_relation_size(t::regclass))::text AS bytes FROM unnest($1::text[]) AS t',
    [tables],
  );
  return Number(sizeRow.parse(rows[0]).bytes);
}

/**
 * Backends report table statistics at most once a second, so a workload's count may miss its last second;
 * good enough to tell "none" from "a table scan per transfer".
 */
async function sequentiallyReadRows(ownerClient: pg.Client): Promise<number> {
  const { rows } = await ownerClient.query<{ rows: string }>(
    `SELECT coalesce(sum(seq_tup_read), 0)::text AS rows FROM pg_stat_user_tables
     WHERE relname IN ('accounts', 'account_balances', 'journal_entries', 'postings', 'currencies')
        OR schemaname = 'bench_baseline'`,
  );
  return Number(rows[0]!.rows);
}

/**
 * CPU seconds used so far by each backend connected to the bench database (except ours), read from
 * /proc/<pid>/stat: exact server-side cost per transfer, unlike machine-wide figures on a shared machine.
 * Undefined when the server's processes are not visible here (a remote server).
 */
async function backendCpuSeconds(ownerClient: pg.Client): Promise<Map<number, number> | undefined> {
  const { rows } = await ownerClient.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
  );
  const { rows: [own] } = await ownerClient.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  // The pid must be a postgres process on this machine: a remote server's pid may name anything here.
  const command = await readFile(`/proc/${own!.pid}/comm`, 'utf8').catch(() => '');
  if (command.trim() !== 'postgres') return undefined;
  const usage = new Map<number, number>();
  for (const row of rows) {
    const seconds = await processCpuSeconds(row.pid);
    if (seconds !== undefined) usage.set(row.pid, seconds);
  }
  return usage;
}

function backendCpuDelta(before: Map<number, number> | undefined, after: Map<number, number> | undefined): number | undefined {
  if (!before || !after) return undefined;
  // A backend that connected during the workload counts from zero; one that left before the end is not counted.
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return total;
}

async function processCpuSeconds(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command name: state is field 3, utime and stime are fields 14 and 15 (clock ticks).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

async function walPosition(ownerClient: pg.Client): Promise<string> {
  const { rows } = await ownerClient.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
  return rows[0]!.lsn;
}

async function walBytesSince(ownerClient: pg.Client, before: string): Promise<number> {
  const { rows } = await ownerClient.query<{ bytes: string }>(
    'SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1::pg_lsn)::text AS bytes', [before]);
  return Number(rows[0]!.bytes);
}

/** The invariants the tests assert, checked once after all workloads: a benchmark that corrupts money is void. */
async function assertLedgerInvariants(ownerClient: pg.Client): Promise<void> {
  const { rows } = await ownerClient.query<{ problem: string }>(`
    SELECT 'postings do not sum to zero in ' || currency AS problem
      FROM postings GROUP BY currency HAVING sum(amount) <> 0
    UNION ALL
    SELECT 'cached balance of account ' || a.id || ' differs from its postings'
      FROM accounts a
      LEFT JOIN (SELECT account_id, sum(balance) AS balance FROM account_balances GROUP BY account_id) b ON b.account_id = a.id
      LEFT JOIN (SELECT account_id, sum(amount) AS amount FROM postings GROUP BY account_id) p ON p.account_id = a.id
      WHERE coalesce(b.balance, 0) <> coalesce(p.amount, 0)
    UNION ALL
    SELECT 'account ' || account_id || ' is below its floor'
      FROM account_balances WHERE balance < min_balance`);
  if (rows.length > 0) throw new Error(`ledger invariants broken: ${rows.map((row) => row.problem).join('; ')}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Report

function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

function rate(result: WorkloadResult, metric: 'transfers' | 'postings'): number {
  return result[metric] / result.seconds;
}

function summaryLine(result: WorkloadResult): string {
  return `${result.name} [${result.path}]: ${Math.round(rate(result, 'transfers'))} transfers/s, ` +
    `${Math.round(rate(result, 'postings'))} postings/s, p50 ${percentile(result.latenciesMs, 0.5).toFixed(2)} ms, ` +
    `p99 ${percentile(result.latenciesMs, 0.99).toFixed(2)} ms, ${result.insufficientFunds} insufficient, ` +
    `${result.failures} failed${result.firstFailure ? ` (${result.firstFailure})` : ''}`;
}

function formatInteger(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '–';
}

function describeGoal(result: WorkloadResult, goal: Goal): string {
  const target = `≥ ${formatInteger(goal.perSecond)}${goal.metric === 'postings' ? ' postings' : ''}/s`;
  const achieved = rate(result, goal.metric);
  return `${target} ${achieved >= goal.perSecond ? '✅ met' : `❌ ${Math.round((100 * achieved) / goal.perSecond)} %`}`;
}

function renderReport(
  results: WorkloadResult[],
  context: { server: string; loadAverageAtStart: number; totalSeconds: number },
): string {
  const header =
    '| Workload | Path | Transfers/s | Postings/s | p50 ms | p99 ms | Insufficient funds | Other failures | Bytes/transfer | Goal |';
  const divider = '|---|---|---:|---:|---:|---:|---:|---:|---:|---|';
  const rows = results.map((result) => {
    const goal = result.goal ? describeGoal(result, result.goal) : '';
    return `| ${result.name} | ${result.path} | ${formatInteger(rate(result, 'transfers'))} | ${formatInteger(rate(result, 'postings'))} | ` +
      `${percentile(result.latenciesMs, 0.5).toFixed(2)} | ${percentile(result.latenciesMs, 0.99).toFixed(2)} | ` +
      `${result.insufficientFunds} | ${result.failures} | ${formatInteger(result.bytesGrowth / Math.max(1, result.transfers))} | ${goal} |`;
  });
  const cores = os.cpus().length;
  const cost = results.map((result) => {
    const perTransfer = (cpuSeconds: number) => formatInteger((1e6 * cpuSeconds) / Math.max(1, result.transfers));
    const backend = result.backendCpuSeconds;
    const other = backend === undefined ? Number.NaN : result.machineBusySeconds - result.clientCpuSeconds - backend;
    return `| ${result.name} | ${result.path} | ${result.seconds.toFixed(1)} | ${formatInteger(result.transfers)} | ` +
      `${perTransfer(result.clientCpuSeconds)} | ${backend === undefined ? '–' : perTransfer(backend)} | ` +
      `${Math.round((100 * result.machineBusySeconds) / (result.seconds * cores))} % | ` +
      `${Number.isFinite(other) ? `${(Math.max(0, other) / result.seconds).toFixed(2)} cores` : '–'} | ` +
      `${formatInteger(result.sequentialRows / Math.max(1, result.transfers))} | ` +
      `${formatInteger(result.walBytes / Math.max(1, result.transfers))} |`;
  });
  const failures = results
    .filter((result) => result.firstFailure)
    .map((result) => `- ${result.name} [${result.path}]: first failure: ${result.firstFailure}`);
  const runtime = process.versions.bun ? `Bun ${process.versions.bun}` : `Node ${process.versions.node}`;
  return [
    `## Ledger throughput`,
    '',
    `${context.server}. ${clients} clients (where a row names no other count), each on its own pool connection; ` +
      `${warmupSeconds} s of unrecorded (a) traffic first; ${seconds} s per workload` +
      `${diagnosticSeconds > 0 ? `, ${diagnosticSeconds} s per diagnostic row (the last rows)` : ''}; ` +
      `${cores} CPU cores shared by the server and the benchmark client (${runtime}); ` +
      `load average ${context.loadAverageAtStart.toFixed(2)} at the start; ` +
      `run took ${Math.round(context.totalSeconds)} s; ` +
      `${analyzeAfterSeeding ? 'tables ANALYZEd after seeding' : 'no ANALYZE after seeding (BENCH_ANALYZE=0)'}.`,
    '',
    header,
    divider,
    ...rows,
    '',
    'Transfers are journal entries of two postings; in (d) one call posts 100 of them in one transaction, so its latency is per batch. ' +
      'Bytes/transfer is the growth of `pg_total_relation_size` (heap, indexes, TOAST) of journal_entries, postings and ' +
      'account_balances (the baseline: its accounts and transfers) over the workload, divided by transfers; no VACUUM in between (the ledger\'s tables are vacuumed once, before the rows that compare them with their bare copies). ' +
      `In (c) each transfer adds to a random one of the hot account's ${platformStripes} balance rows. ` +
      'The second (c) row posts the same transfers one per call from many concurrent callers through `LedgerWriter`, which ' +
      'commits the entries that arrive while its connections are busy together (one `post_entries` call per batch); its ' +
      'latency is per entry, from the call to its own outcome.',
    '',
    'Where the time goes: CPU of this benchmark process (client: slonik, zod, validation, hashing) and of the server backends ' +
      'serving its connections, per transfer; machine busy is all cores; "other" is everything else running on the machine ' +
      '(WAL writer, checkpointer, autovacuum, and other programs); WAL bytes is all the WAL the server wrote during the workload, per transfer.',
    '',
    '| Workload | Path | Seconds | Transfers | Client CPU µs/transfer | Backend CPU µs/transfer | Machine busy | Other | Seq-scanned rows/transfer | WAL bytes/transfer |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...cost,
    ...(failures.length > 0 ? ['', ...failures] : []),
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
await main();
