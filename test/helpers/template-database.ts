import pg from 'pg';
import { migrate } from '../../db/migrate.ts';

/** The migrated database each test file copies (test/helpers/database.ts); both global setups create it. */
export const templateDatabase = 'ledgerflow_template';

/** A fresh template each run: dropped if a previous run against the same server left one, then migrated. */
export async function createTemplate(ownerUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${templateDatabase} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${templateDatabase}`);
  } finally {
    await client.end();
  }
  const url = new URL(ownerUrl);
  url.pathname = `/${templateDatabase}`;
  await migrate(url.toString());
}
