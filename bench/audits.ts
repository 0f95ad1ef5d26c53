/**
 * The audit schedule of issue #18 (docs/rules.md#audit-schedule) on a larger ledger: BENCH_ENTRIES journal entries
 * (two postings each) over BENCH_PARTNERS partners in one ISO week of 2010, then the weekly transaction sample, the
 * monthly balance verification and the annual export computed and stored as their activity does it (runAudit), each
 * timed, with this process's peak memory.
 *
 *   npx bun bench/audits.ts                                   # 1,000,000 entries, 100,000 partners
 *   BENCH_ENTRIES=100000 npx bun bench/audits.ts
 *
 * The ledger is loaded as the owner in bulk (generate_series; triggers off for the load only), which is not measured.
 * PostgreSQL is embedded in a temporary directory unless DATABASE_URL names a server.
 */
import pg from 'pg';
import { migrate } from '../db/migrate.ts';
import { applicationUrl, createDatabase } from '../db/pool.ts';
import { auditablePeriod, type AuditKind } from '../domain/audit-schedule.ts';
import { runAudit } from '../modules/audits/audit-store.ts';
import { describeServer, freshDatabase, positiveNumber, resolveServer } from './support.ts';

const entries = Math.floor(positiveNumber('BENCH_ENTRIES', 1_000_000));
const partners = Math.floor(positiveNumber('BENCH_PARTNERS', 100_000));
const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

async function main() {
  const server = await resolveServer('audits', false);
  try {
    const ownerUrl = await freshDatabase(server.adminUrl, 'ledgerflow_audits_bench');
    await migrate(ownerUrl);
    const owner = new pg.Client({ connectionString: ownerUrl });
    await owner.connect();
    const serverLine = await describeServer(owner, server.label);
    let started = process.hrtime.bigint();
    await owner.query(`SET session_replication_role = replica`);
    await owner.query(`
      INSERT INTO accounts (owner_type, owner_id, bucket, currency, min_balance, max_balance, stripes)
      SELECT 'partner', 'p' || n, 'available', 'USD', 0, NULL, 1 FROM generate_series(1, $1::int) AS n`, [partners]);
    await owner.query(`INSERT INTO accounts (owner_type, owner_id, bucket, currency, stripes) VALUES ('platform', 'platform', 'bonus_expense', 'USD', 16)`);
    await owner.query(`
      INSERT INTO account_balances (account_id, stripe, balance, min_balance, max_balance)
      SELECT a.id, s, 0, a.min_balance, a.max_balance FROM accounts a CROSS JOIN LATERAL generate_series(0, a.stripes - 1) AS s`);
    const first = (await owner.query(`SELECT min(id) AS first FROM accounts WHERE owner_type = 'partner'`)).rows[0].first as string;
    const expense = (await owner.query(`SELECT id FROM accounts WHERE bucket = 'bonus_expense'`)).rows[0].id as string;
    // 2010-W14 (2010-04-05 … 2010-04-11), entries spread evenly over the week.
    await owner.query(`
      INSERT INTO journal_entries (id, idempotency_key, input_hash, kind, created_at) OVERRIDING SYSTEM VALUE
      SELECT n, 'bench-' || n, '\\x00', 'bonus', timestamptz '2010-04-05T00:00:00Z' + (n::float8 / $1::int * 7) * interval '1 day'
      FROM generate_series(1, $1::int) AS n`, [entries]);
    await owner.query(`
      INSERT INTO postings (entry_id, line, account_id, currency, amount, created_at)
      SELECT e.id, l.line, CASE WHEN l.line = 1 THEN $1::bigint ELSE $2::bigint + (e.id * 7919) % $3::int END, 'USD',
             CASE WHEN l.line = 1 THEN -1 ELSE 1 END * ((e.id % 9999) + 1) / 100.0, e.created_at
      FROM journal_entries e CROSS JOIN (VALUES (1), (2)) AS l (line)`, [expense, first, partners]);
    await owner.query(`
      UPDATE account_balances b SET balance = p.total
      FROM (SELECT account_id, sum(amount) AS total FROM postings GROUP BY account_id) p
      WHERE b.account_id = p.account_id AND b.stripe = 0`);
    await owner.query(`SET session_replication_role = DEFAULT`);
    await owner.query(`SELECT setval(pg_get_serial_sequence('journal_entries', 'id'), $1)`, [entries]);
    await owner.query('VACUUM ANALYZE accounts, account_balances, journal_entries, postings');
    console.log(serverLine);
    console.log(`loaded ${entries.toLocaleString('en')} entries, ${(2 * entries).toLocaleString('en')} postings, ${partners.toLocaleString('en')} partners in ${seconds(started).toFixed(1)} s (not measured)`);

    const database = await createDatabase(applicationUrl(ownerUrl), { maximumPoolSize: 2 });
    const later = new Date('2026-12-01T00:00:00Z');
    const runs: [AuditKind, string][] = [['transaction-sample', '2010-W14'], ['balances', '2010-04'], ['full-export', '2010']];
    for (const [kind, period] of runs) {
      started = process.hrtime.bigint();
      const { run } = await runAudit(database, { kind, period: auditablePeriod(kind, period, later), requestedBy: null });
      const sampled = (run.report as { sampled?: number }).sampled;
      console.log(`${kind} ${period}: ${seconds(started).toFixed(1)} s, ${run.findings.total} finding(s)${sampled === undefined ? '' : `, ${sampled.toLocaleString('en')} sampled`}`);
      if (run.findings.total > 0) process.exitCode = 1;
    }
    console.log(`this process: peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
    await database.end();
    await owner.end();
  } finally {
    await server.stop();
  }
}

await main();
