import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createDatabase, type Database } from '../../db/pool.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

/** `ledgerflow user create` and `user unlock` (cli/main.ts) as an operator runs them, on Bun, against a test database. */

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bun = createRequire(import.meta.url).resolve('bun/bin/bun.exe');

let testDatabase: TestDatabase;
let owner: Database;

beforeAll(async () => {
  testDatabase = await createTestDatabase();
  owner = await createDatabase(testDatabase.ownerUrl, { maximumPoolSize: 2 });
});

afterAll(async () => {
  await owner?.end();
  await testDatabase?.drop();
});

function ledgerflow(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      bun,
      [path.join(repositoryRoot, 'cli', 'main.ts'), ...args],
      { env: { ...process.env, DATABASE_URL: testDatabase.ownerUrl, DATABASE_APP_URL: testDatabase.appUrl }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const userExists = (email: string) => owner.exists(sql.unsafe`SELECT 1 FROM users WHERE email = ${email}`);

describe('ledgerflow user', () => {
  it('create refuses a password shorter than 12 characters and creates nobody', async () => {
    const result = await ledgerflow('user', 'create', '--email', 'short@example.com', '--password', 'elevenchars', '--role', 'admin');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--password must be at least 12 characters');
    expect(await userExists('short@example.com')).toBe(false);
  });

  it('unlock <email> lifts the account’s lockout, audited as the CLI; --address forgets an address’s failures', async () => {
    const email = 'locked-admin@example.com';
    const created = await ledgerflow('user', 'create', '--email', email, '--password', 'a-long-enough-password', '--role', 'admin');
    expect(created.code, created.stderr).toBe(0);
    const userId = (JSON.parse(created.stdout) as { id: string }).id;
    await owner.query(sql.unsafe`
      INSERT INTO sign_in_throttles (kind, key, failures, last_failure_at)
      VALUES ('account', ${email}, 10, now()), ('address', '198.51.100.9', 12, now())`);

    const unlocked = await ledgerflow('user', 'unlock', email.toUpperCase());
    expect(unlocked.code, unlocked.stderr).toBe(0);
    expect(JSON.parse(unlocked.stdout)).toEqual({ id: userId, email, failuresCleared: 10 });
    const actors = await owner.anyFirst(sql.type(z.object({ actor: z.string() }))`
      SELECT actor FROM audit_records WHERE action = 'USER_UNLOCK' AND target_id = ${userId}`);
    expect(actors).toEqual(['system:cli']);

    const address = await ledgerflow('user', 'unlock', '--address', '198.51.100.9');
    expect(address.code, address.stderr).toBe(0);
    expect(JSON.parse(address.stdout)).toEqual({ address: '198.51.100.9', failuresCleared: 12 });
    expect(await owner.exists(sql.unsafe`SELECT 1 FROM sign_in_throttles`)).toBe(false);

    const unknown = await ledgerflow('user', 'unlock', 'nobody@example.com');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no user with email nobody@example.com');
  });
});
