/**
 * The daily reconciliation of issue #18 on a large ledger: BENCH_PARTNERS partners (two accounts each) and
 * BENCH_POSTINGS postings (two per entry) spread evenly over BENCH_DAYS days, then one day reconciled as the activity
 * does it (runReconciliation: the report, the full balance rebuild of every account, stored once), timed, with the
 * memory and temporary files PostgreSQL needed.
 *
 *   npx bun bench/reconciliation.ts                                        # 1,000,000 partners, 10,000,000 postings
 *   BENCH_PARTNERS=10000 BENCH_POSTINGS=100000 npx bun bench/reconciliation.ts
 *
 * The ledger is loaded as the owner in bulk (generate_series; triggers off for the load only, balances set from the
 * postings), which is not what is measured: only the reconciliation is. PostgreSQL is embedded in a temporary
 * directory unless DATABASE_URL names a server (a fresh database `ledgerflow_reconciliation_bench` is made there).
 * Settings: BENCH_PARTNERS (1,000,000), BENCH_POSTINGS (10,000,000), BENCH_DAYS (10).
 */
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { migrate } from '../db/migrate.ts';
import { applicationUrl, createDatabase } from '../db/pool.ts';
import { runReconciliation } from '../modules/reconciliation/reconciliation-store.ts';
import { describeServer, freshDatabase, positiveNumber, resolveServer } from './support.ts';

const partners = Math.floor(positiveNumber('BENCH_PARTNERS', 1_000_000));
const postings = Math.floor(positiveNumber('BENCH_POSTINGS', 10_000_000));
const days = Math.floor(positiveNumber('BENCH_DAYS', 10));
const entries = Math.floor(postings / 2);
const firstDay = '2026-01-01';
/** The day reconciled: two days before the last, so there are postings before, in and after it. */
const reconciledDayIndex = Math.max(0, days - 3);

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

async function kib(pid: number, field: 'VmHWM' | 'VmRSS'): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function main() {
  const server = await resolveServer('reconciliation', false);
  try {
    const ownerUrl = await freshDatabase(server.adminUrl, 'ledgerflow_reconciliation_bench');
    await migrate(ownerUrl);
    const owner = new pg.Client({ connectionString: ownerUrl });
    await owner.connect();
    const serverLine = await describeServer(owner, server.label);

    // The load (not measured as the reconciliation): accounts, entries, postings, balances, statistics.
    let started = process.hrtime.bigint();
    await owner.query(`SET session_replication_role = replica`);
    await owner.query(`
      INSERT INTO accounts (owner_type, owner_id, bucket, currency, min_balance, max_balance, stripes)
      SELECT 'partner', 'p' || n, bucket, 'USD', 0, NULL, 1
      FROM generate_series(1, $1::int) AS n CROSS JOIN (VALUES ('commission_pending'), ('available')) AS b (bucket)`, [partners]);
    await owner.query(`
      INSERT INTO accounts (owner_type, owner_id, bucket, currency, stripes)
      VALUES ('platform', 'platform', 'commission_expense', 'USD', 16), ('platform', 'platform', 'payout_clearing', 'USD', 16)`);
    await owner.query(`
      INSERT INTO account_balances (account_id, stripe, balance, min_balance, max_balance)
      SELECT a.id, s, 0, a.min_balance, a.max_balance FROM accounts a CROSS JOIN LATERAL generate_series(0, a.stripes - 1) AS s`);
    const accountRange = (await owner.query(`SELECT min(id) AS first FROM accounts WHERE owner_type = 'partner'`)).rows[0].first as string;
    const expense = (await owner.query(`SELECT id FROM accounts WHERE bucket = 'commission_expense'`)).rows[0].id as string;
    // Entry n at an even spread over the days; kinds cycle through commission (expense to pending) and commission
    // payment (expense to available); amounts 0.01 … 99.99.
    await owner.query(`
      INSERT INTO journal_entries (id, idempotency_key, input_hash, kind, created_at)
      OVERRIDING SYSTEM VALUE
      SELECT n, 'bench-' || n, '\\x00', CASE WHEN n % 2 = 0 THEN 'commission' ELSE 'commission_payment' END,
             $2::timestamptz + (n::float8 / $1::int * $3::int) * interval '1 day'
      FROM generate_series(1, $1::int) AS n`, [entries, `${firstDay}T00:00:00Z`, days]);
    await owner.query(`
      INSERT INTO postings (entry_id, line, account_id, currency, amount, created_at)
      SELECT e.id, l.line,
             CASE WHEN l.line = 1 THEN $1::bigint
                  ELSE $2::bigint + 2 * ((e.id * 7919) % $3::int) + (e.id % 2) END,
             'USD',
             CASE WHEN l.line = 1 THEN -1 ELSE 1 END * ((e.id % 9999) + 1) / 100.0,
             e.created_at
      FROM journal_entries e CROSS JOIN (VALUES (1), (2)) AS l (line)`, [expense, accountRange, partners]);
    await owner.query(`
      UPDATE account_balances b SET balance = p.total
      FROM (SELECT account_id, sum(amount) AS total FROM postings GROUP BY account_id) p
      WHERE b.account_id = p.account_id AND b.stripe = 0`);
    await owner.query(`SET session_replication_role = DEFAULT`);
    await owner.query(`SELECT setval(pg_get_serial_sequence('journal_entries', 'id'), $1)`, [entries]);
    await owner.query('VACUUM ANALYZE accounts, account_balances, journal_entries, postings');
    const loadSeconds = seconds(started);
    const counts = (await owner.query(`SELECT (SELECT count(*) FROM postings) AS postings, (SELECT count(*) FROM accounts) AS accounts`)).rows[0];
    const size = (await owner.query(`SELECT pg_size_pretty(pg_database_size(current_database())) AS size`)).rows[0].size as string;

    const day = new Date(Date.parse(`${firstDay}T00:00:00Z`) + reconciledDayIndex * 86_400_000).toISOString().slice(0, 10);
    const tempBefore = (await owner.query(`SELECT temp_bytes FROM pg_stat_database WHERE datname = current_database()`)).rows[0].temp_bytes as string;
    const database = await createDatabase(applicationUrl(ownerUrl), { maximumPoolSize: 2 });
    // The backend running the reconciliation, sampled for its peak resident memory while it works.
    let peakKib = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const { rows } = await owner.query(`SELECT pid FROM pg_stat_activity WHERE (query LIKE '%reconciliation_report(%' OR query LIKE '%ledger_rebuild_findings(%') AND pid <> pg_backend_pid()`);
        for (const row of rows) peakKib = Math.max(peakKib, (await kib(row.pid as number, 'VmHWM')) ?? 0);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    })();
    started = process.hrtime.bigint();
    const { reconciliation } = await runReconciliation(database, { day, requestedBy: null });
    const reconcileSeconds = seconds(started);
    sampling = false;
    await sampler;
    const tempAfter = (await owner.query(`SELECT temp_bytes FROM pg_stat_database WHERE datname = current_database()`)).rows[0].temp_bytes as string;
    await database.end();
    await owner.end();

    const dayPostings = reconciliation.report.movements.length;
    console.log(serverLine);
    console.log(`loaded ${Number(counts.postings).toLocaleString('en')} postings over ${Number(counts.accounts).toLocaleString('en')} accounts (${partners.toLocaleString('en')} partners, ${days} days, database ${size}) in ${loadSeconds.toFixed(1)} s (not part of the measure)`);
    console.log(`reconciled ${day} (report + full balance rebuild + store): ${reconcileSeconds.toFixed(1)} s`);
    console.log(`  balanced: ${reconciliation.report.balanced}; rebuild findings: ${reconciliation.rebuildFindings.length}; movement lines: ${dayPostings}`);
    console.log(`  PostgreSQL backend peak resident memory: ${(peakKib / 1024).toFixed(0)} MiB (includes shared buffers it touched); temporary files written: ${((Number(tempAfter) - Number(tempBefore)) / 2 ** 20).toFixed(0)} MiB; work_mem default`);
    console.log(`  this process: peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
    if (!reconciliation.report.balanced || reconciliation.rebuildFindings.length > 0) process.exitCode = 1;
  } finally {
    await server.stop();
  }
}

await main();
