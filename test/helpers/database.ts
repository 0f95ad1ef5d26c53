import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { applicationUrl } from '../../db/pool.ts';

export interface TestDatabase {
  name: string;
  /** Superuser URL: for arranging state the application role may not create, and for asserting on it. */
  ownerUrl: string;
  /** As the application connects: role ledgerflow_app, which may not UPDATE or DELETE history. */
  appUrl: string;
  drop(): Promise<void>;
}

/** The server and template global setup provides; passed in by scripts that run outside vitest (test/soak/). */
export interface TestServer {
  ownerUrl: string;
  templateDatabase: string;
}

/**
 * A fresh, migrated database copied from the template global setup prepared; copying takes milliseconds where
 * migrating would take seconds. Call it in `beforeAll` and `drop()` in `afterAll`.
 */
export async function createTestDatabase(server?: TestServer): Promise<TestDatabase> {
  const serverUrl = server?.ownerUrl ?? inject('ownerUrl');
  const template = server?.templateDatabase ?? inject('templateDatabase');
  const name = `test_${randomBytes(6).toString('hex')}`;

  await withClient(serverUrl, async (client) => {
    // Two files copying the template at the same moment can see each other's brief connection to it (55006).
    for (let attempt = 1; ; attempt += 1) {
      try {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)} TEMPLATE ${client.escapeIdentifier(template)}`);
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== '55006' || attempt === 10) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  });

  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const ownerUrl = url.toString();
  return {
    name,
    ownerUrl,
    appUrl: applicationUrl(ownerUrl),
    drop: () =>
      withClient(serverUrl, async (client) => {
        // FORCE: a pool the test forgot to end must not keep the database alive.
        await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
      }),
  };
}

async function withClient<T>(url: string, action: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await action(client);
  } finally {
    await client.end();
  }
}
