/**
 * The summary reports of issue #18 on a large history: BENCH_PARTNERS partners, BENCH_COMMISSIONS commissions and
 * BENCH_PAYOUTS payouts spread evenly over BENCH_DAYS days (with their approval, processing and reversal audit
 * records), then the commission and payout summaries of the whole span, of one week and of one day, each timed as the
 * API computes them (one read-only snapshot), plus rendering the month's CSV and PDF.
 *
 *   npx bun bench/summary-reports.ts                                   # 100,000 partners, 1,000,000 commissions, 200,000 payouts, 31 days
 *   BENCH_COMMISSIONS=100000 BENCH_PAYOUTS=20000 npx bun bench/summary-reports.ts
 *
 * The history is loaded as the owner in bulk (generate_series; triggers off for the load only), which is not what is
 * measured. PostgreSQL is embedded in a temporary directory unless DATABASE_URL names a server (a fresh database
 * `ledgerflow_summary_reports_bench` is made there).
 */
import pg from 'pg';
import { migrate } from '../db/migrate.ts';
import { applicationUrl, createDatabase } from '../db/pool.ts';
import { summaryFile } from '../modules/reports/summary-files.ts';
import { commissionSummary, payoutSummary } from '../modules/reports/summary-reports.ts';
import { describeServer, freshDatabase, positiveNumber, resolveServer } from './support.ts';

const partners = Math.floor(positiveNumber('BENCH_PARTNERS', 100_000));
const commissions = Math.floor(positiveNumber('BENCH_COMMISSIONS', 1_000_000));
const payouts = Math.floor(positiveNumber('BENCH_PAYOUTS', 200_000));
const days = Math.floor(positiveNumber('BENCH_DAYS', 31));
const firstDay = '2026-01-01T00:00:00Z';

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;
const dayAt = (index: number) => new Date(Date.parse(firstDay) + index * 86_400_000).toISOString();

async function main() {
  const server = await resolveServer('summary-reports', false);
  try {
    const ownerUrl = await freshDatabase(server.adminUrl, 'ledgerflow_summary_reports_bench');
    await migrate(ownerUrl);
    const owner = new pg.Client({ connectionString: ownerUrl });
    await owner.connect();
    const serverLine = await describeServer(owner, server.label);

    let started = process.hrtime.bigint();
    await owner.query(`SET session_replication_role = replica`);
    await owner.query(`INSERT INTO partners (id, name, rank, status, kyc_status, joined_at, rank_since, status_since) SELECT 'p' || n, 'Partner ' || n, '3', 'ACTIVE', 'APPROVED', j, j, j FROM (SELECT n, $2::timestamptz - interval '90 days' AS j FROM generate_series(1, $1::int) AS n) joined`, [partners, firstDay]);
    await owner.query(`INSERT INTO users (id, email, password_hash, role, totp_secret) VALUES ('00000000-0000-4000-8000-0000000000b1', 'bench@example.test', 'x', 'admin', 'JBSWY3DPEHPK3PXP')`);
    const policyVersion = (await owner.query(`SELECT max(version) AS version FROM policy_versions`)).rows[0].version as number;
    await owner.query(`INSERT INTO journal_entries (id, idempotency_key, input_hash, kind, created_at) OVERRIDING SYSTEM VALUE VALUES (1, 'bench-reserve', '\\x00', 'bench', $1)`, [firstDay]);
    await owner.query(`
      INSERT INTO commission_events (id, external_id, kind, source_type, source_id, completed_at, input_hash, policy_version)
      OVERRIDING SYSTEM VALUE SELECT n, 'e' || n, 'ORDER_COMPLETED', 'PRODUCT', 's' || n, $2::timestamptz, '\\x00', $3 FROM generate_series(1, $1::int) AS n`,
      [commissions, firstDay, policyVersion]);
    // Commission n: created at an even spread over the days; a third approved 7 days later, a sixth paid 14 days later;
    // levels 1..10, four source types, 1 in 20 in RUB.
    await owner.query(`
      INSERT INTO commissions (id, event_id, partner_id, income_type, level, source_type, base, rate, amount, currency, status, release_at,
                               breakdown, policy_version, created_at, approved_at, paid_at)
      OVERRIDING SYSTEM VALUE
      SELECT n, n, 'p' || (1 + (n::bigint * 7919) % $2::int), 1, 1 + n % 10, (ARRAY['PRODUCT', 'INVESTMENT', 'INVESTMENT_PROFIT', 'PORTFOLIO_YIELD'])[1 + n % 4],
             round(((n % 9999) + 1) / 100.0, 2), 1, round(((n % 9999) + 1) / 100.0, 2), CASE WHEN n % 20 = 0 THEN 'RUB' ELSE 'USD' END,
             CASE WHEN n % 6 = 0 THEN 'PAID' WHEN n % 3 = 0 THEN 'APPROVED' ELSE 'PENDING' END, t + interval '7 days', '{}', $4,
             t, CASE WHEN n % 3 = 0 THEN t + interval '7 days' END, CASE WHEN n % 6 = 0 THEN t + interval '14 days' END
      FROM generate_series(1, $1::int) AS n, LATERAL (SELECT $3::timestamptz + (n::float8 / $1::int * $5::int) * interval '1 day' AS t) times`,
      [commissions, partners, firstDay, policyVersion, days]);
    // Payout n: requested at an even spread; 80 % completed 1..48 hours later, 10 % failed, 5 % cancelled, the rest open (at most one
    // open per partner, as the database requires; past that, cancelled).
    await owner.query(`
      INSERT INTO payouts (id, partner_id, method_id, currency, amount, fee, amount_to_transfer, status, priority, payment_details, details_hash,
                           required_chain, policy_version, initiated_by, initiated_role, created_at, updated_at, requested_at, sla_due_at,
                           reserve_entry_id, closed_at, closed_by, failure_code)
      SELECT md5(n::text)::uuid, 'p' || (1 + (n::bigint * 104729) % $2::int), (ARRAY['BANK_TRANSFER', 'YOOMONEY', 'QIWI', 'WEBMONEY'])[1 + n % 4],
             CASE WHEN n % 20 = 0 THEN 'RUB' ELSE 'USD' END, round(((n % 99999) + 100) / 100.0, 2), 0, round(((n % 99999) + 100) / 100.0, 2),
             s.status, 'NORMAL', '{}', 'h', '[]', $4, '00000000-0000-4000-8000-0000000000b1', 'admin', t, t, t, t, 1,
             CASE WHEN s.status IN ('COMPLETED', 'FAILED', 'CANCELLED') THEN t + (1 + n % 48) * interval '1 hour' END,
             CASE WHEN s.status IN ('COMPLETED', 'FAILED', 'CANCELLED') THEN 'system:bench' END,
             CASE WHEN s.status = 'FAILED' THEN (ARRAY['ACCOUNT_CLOSED', 'INVALID_ACCOUNT', 'PROVIDER_ERROR'])[1 + n % 3] END
      FROM generate_series(1, $1::int) AS n,
           LATERAL (SELECT $3::timestamptz + (n::float8 / $1::int * $5::int) * interval '1 day' AS t) times,
           LATERAL (SELECT CASE WHEN n % 20 < 16 THEN 'COMPLETED' WHEN n % 20 < 18 THEN 'FAILED' WHEN n % 20 = 18 OR n > $2 THEN 'CANCELLED' ELSE 'APPROVED' END AS status) s`,
      [payouts, partners, firstDay, policyVersion, days]);
    // Their audit records: the approval that completed the chain and the start of processing (an hour after the
    // request), and a reversal of 1 in 50 commissions two days after it was created.
    await owner.query(`
      INSERT INTO audit_records (created_at, action, actor, target_type, target_id, amount, currency, details, checksum)
      SELECT p.requested_at + interval '30 minutes', 'PAYOUT_APPROVE', 'bench', 'payout', p.id::text, p.amount, p.currency, '{"completesChain": true}'::jsonb, '\\x00'::bytea
      FROM payouts p
      UNION ALL
      SELECT p.requested_at + interval '50 minutes', 'PAYOUT_PROCESS', 'system:payout-provider', 'payout', p.id::text, p.amount, p.currency, '{"automatic": true}', '\\x00'
      FROM payouts p WHERE p.status <> 'APPROVED'
      UNION ALL
      SELECT c.created_at + interval '2 days', 'COMMISSION_REVERSE', 'bench', 'commission', c.id::text, c.amount, c.currency, '{}', '\\x00'
      FROM commissions c WHERE c.id % 50 = 0`);
    await owner.query(`SET session_replication_role = DEFAULT`);
    await owner.query('VACUUM ANALYZE partners, commissions, payouts, audit_records');
    const loadSeconds = seconds(started);
    const counts = (await owner.query(`SELECT (SELECT count(*) FROM commissions) AS commissions, (SELECT count(*) FROM payouts) AS payouts, (SELECT count(*) FROM audit_records) AS audits`)).rows[0];
    const size = (await owner.query(`SELECT pg_size_pretty(pg_database_size(current_database())) AS size`)).rows[0].size as string;

    const database = await createDatabase(applicationUrl(ownerUrl), { maximumPoolSize: 2 });
    const ranges = [
      { label: `all ${days} days`, from: dayAt(0), to: dayAt(days + 14) },
      { label: 'one week', from: dayAt(7), to: dayAt(14) },
      { label: 'one day', from: dayAt(10), to: dayAt(11) },
    ];
    console.log(serverLine);
    console.log(`loaded ${Number(counts.commissions).toLocaleString('en')} commissions, ${Number(counts.payouts).toLocaleString('en')} payouts, ${Number(counts.audits).toLocaleString('en')} audit records for ${partners.toLocaleString('en')} partners over ${days} days (database ${size}) in ${loadSeconds.toFixed(1)} s (not part of the measure)`);
    console.log('| range | commission summary | payout summary |');
    console.log('|---|---:|---:|');
    let month: Awaited<ReturnType<typeof payoutSummary>> | undefined;
    for (const range of ranges) {
      started = process.hrtime.bigint();
      const commission = await commissionSummary(database, range);
      const commissionSeconds = seconds(started);
      started = process.hrtime.bigint();
      const payout = await payoutSummary(database, range);
      const payoutSeconds = seconds(started);
      month ??= payout;
      console.log(`| ${range.label} (${commission.totals.generated.reduce((sum, row) => sum + row.count, 0).toLocaleString('en')} generated, ${payout.totals.submitted.reduce((sum, row) => sum + row.count, 0).toLocaleString('en')} submitted) | ${commissionSeconds.toFixed(2)} s | ${payoutSeconds.toFixed(2)} s |`);
    }
    const context = { generatedAt: new Date(), generatedBy: 'bench' };
    for (const format of ['csv', 'pdf'] as const) {
      started = process.hrtime.bigint();
      const bytes = await summaryFile(month!, format, context);
      console.log(`rendering the whole span's payout summary as ${format.toUpperCase()}: ${(seconds(started) * 1000).toFixed(0)} ms, ${(bytes.length / 1024).toFixed(0)} KiB`);
    }
    console.log(`this process: peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
    await database.end();
    await owner.end();
  } finally {
    await server.stop();
  }
}

await main();
