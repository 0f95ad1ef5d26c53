/**
 * What the audit trail's balance trigger (migration 038, docs/rules.md#audit-trail) costs a batch step: audit records
 * that name their journal entry, appended 1,000 a statement in the posting's transaction (as the commission release
 * does), timed with the trigger on and with it switched off (owner), on the same data.
 *
 *   npx bun bench/audit-trail.ts                 # embedded PostgreSQL in a temporary directory
 *   BENCH_RECORDS=50000 npx bun bench/audit-trail.ts
 *   BENCH_ANALYZE=0 npx bun bench/audit-trail.ts  # no ANALYZE after the first pass (statistics of empty tables)
 *
 * Each partner gets one entry (available +1.00 from the platform's bonus expense) and one audit record naming it.
 * Prints a markdown table. Never run as a test.
 */
import pg from 'pg';
import { sql } from 'slonik';
import { migrate } from '../db/migrate.ts';
import { applicationUrl, createDatabase } from '../db/pool.ts';
import type { EntryInput } from '../domain/ledger.ts';
import { appendAuditRecords, type AuditRecordInput } from '../modules/audit/audit-store.ts';
import { LedgerStore } from '../modules/ledger/ledger-store.ts';
import { describeServer, freshDatabase, positiveNumber, resolveServer } from './support.ts';

const records = Math.floor(positiveNumber('BENCH_RECORDS', 20_000));
const batch = 1_000;

async function main(): Promise<void> {
  const server = await resolveServer('audit-trail', false);
  try {
    const ownerUrl = await freshDatabase(server.adminUrl, 'ledgerflow_audit_trail_bench');
    await migrate(ownerUrl);
    const owner = new pg.Client({ connectionString: ownerUrl });
    await owner.connect();
    const database = await createDatabase(applicationUrl(ownerUrl), { maximumPoolSize: 2 });
    const ledger = new LedgerStore(database);
    const rows: string[] = [];
    const run = async (label: string, trigger: boolean) => {
      await owner.query(`ALTER TABLE audit_records ${trigger ? 'ENABLE' : 'DISABLE'} TRIGGER audit_records_balances`);
      let milliseconds = 0;
      for (let offset = 0; offset < records; offset += batch) {
        await database.transaction(async (transaction) => {
          const entries: EntryInput[] = Array.from({ length: Math.min(batch, records - offset) }, (_, index) => ({
            idempotencyKey: `bench-${label}-${offset + index}`,
            kind: 'bonus',
            postings: [
              { account: { ownerType: 'platform', ownerId: 'platform', bucket: 'bonus_expense', currency: 'USD' }, amount: '-1.00' },
              { account: { ownerType: 'partner', ownerId: `bench-${offset + index}`, bucket: 'available', currency: 'USD' }, amount: '1.00' },
            ],
          }));
          const posted = await ledger.postEntries(entries, transaction);
          const audits: AuditRecordInput[] = posted.map((entry, index) => ({
            action: 'BONUS_POST', actor: 'system:bench', targetType: 'partner', targetId: `bench-${offset + index}`, amount: '1.00', currency: 'USD', entryId: entry.entryId,
          }));
          const started = performance.now();
          await appendAuditRecords(transaction, audits);
          milliseconds += performance.now() - started;
        });
      }
      const filled = await database.oneFirst(sql.unsafe`SELECT count(*)::int FROM audit_records WHERE actor = 'system:bench' AND balance_after IS NOT NULL`);
      rows.push(`| ${label} | ${records.toLocaleString('en')} | ${milliseconds.toFixed(0)} | ${((milliseconds * 1000) / records).toFixed(1)} | ${filled} |`);
    };
    // The partners' accounts exist by the second pass, so each pass posts to accounts made by the first: warm both.
    await run('trigger off (first pass, creates the accounts)', false);
    // As autovacuum would have by then on a live database: statistics, so the trigger's lookups use their indexes.
    if (process.env.BENCH_ANALYZE !== '0') await owner.query('ANALYZE');
    await run('trigger on', true);
    await run('trigger off', false);
    await owner.query(`ALTER TABLE audit_records ENABLE TRIGGER audit_records_balances`);
    console.log(`Audit records naming their entry, appended ${batch} a statement, on ${await describeServer(owner, 'the server')}:\n`);
    console.log('| pass | records | append ms | µs per record | records with balances (cumulative) |');
    console.log('|---|---:|---:|---:|---:|');
    for (const row of rows) console.log(row);
    await database.end();
    await owner.end();
  } finally {
    await server.stop();
  }
}

await main();
