import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { defaultPolicy } from '../domain/policy.ts';

const migrationsDirectory = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface MigrationResult {
  applied: string[];
  alreadyApplied: number;
}

/**
 * Applies the numbered SQL files in db/migrations that are not yet recorded in schema_migrations, each in its
 * own transaction, in order. An advisory lock lets several processes start at once without racing.
 * Runs with the owner's connection: migrations create roles, functions and grants.
 */
export async function migrate(ownerUrl: string): Promise<MigrationResult> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query(`SELECT pg_advisory_lock(hashtext('ledgerflow.migrations'))`);
    await client.query(`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version text PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
    const { rows } = await client.query<{ version: string }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((row) => row.version));
    const files = (await readdir(migrationsDirectory)).filter((file) => /^\d{3}_.+\.sql$/.test(file)).sort();
    const applied: string[] = [];
    for (const file of files) {
      if (done.has(file)) continue;
      const text = await readFile(path.join(migrationsDirectory, file), 'utf8');
      await client.query('BEGIN');
      try {
        await client.query(text);
        await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [file]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file} failed: ${(error as Error).message}`);
      }
      applied.push(file);
    }
    // The policy's first version is the code's default, in force from the beginning of time; later versions are
    // added through the API and take effect when they say.
    await client.query(
      `INSERT INTO policy_versions (version, effective_from, document, reason, created_by)
       VALUES ($1, '-infinity', $2, 'the default policy', 'system:migrate') ON CONFLICT DO NOTHING`,
      [defaultPolicy.version, JSON.stringify(defaultPolicy)],
    );
    return { applied, alreadyApplied: done.size };
  } finally {
    await client.end();
  }
}
