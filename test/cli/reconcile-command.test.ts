import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { utcDay } from '../../domain/reconciliation.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { reconciliationKit } from '../reconciliation/kit.ts';

/** `ledgerflow reconcile <date>` (docs/rules.md#daily-reconciliation), run as an operator runs it. */

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let database: TestDatabase;
let owner: pg.Client;
let dataDirectory: string;
const day = '2025-03-04';

beforeAll(async () => {
  database = await createTestDatabase();
  owner = new pg.Client({ connectionString: database.ownerUrl });
  await owner.connect();
  await reconciliationKit(owner).arrangeDay(day, 'cli');
  dataDirectory = await mkdtemp(path.join(tmpdir(), 'ledgerflow-cli-'));
});

afterAll(async () => {
  await owner?.end();
  await database?.drop();
  if (dataDirectory) await rm(dataDirectory, { recursive: true, force: true });
});

function ledgerflow(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repositoryRoot, 'bin/ledgerflow.mjs'), ...args], {
      cwd: repositoryRoot,
      env: { ...process.env, DATABASE_URL: database.ownerUrl, LEDGERFLOW_DATA_DIR: dataDirectory },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('ledgerflow reconcile', () => {
  it('reconciles a balanced day (exit 0), then shows the stored one; a drifted balance exits 1 naming it', async () => {
    const first = await ledgerflow('reconcile', day);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ day, created: true, status: 'AWAITING_SIGN_OFF', balanced: true, variance: [], rebuildFindings: [], unexplained: [] });
    const again = await ledgerflow('reconcile', day);
    expect(JSON.parse(again.stdout)).toMatchObject({ day, created: false });

    const other = '2025-03-05';
    await owner.query(`UPDATE account_balances b SET balance = balance + 1 FROM accounts a WHERE a.id = b.account_id AND a.owner_id = 'cli-p' AND a.bucket = 'commission_approved'`);
    try {
      const drifted = await ledgerflow('reconcile', other);
      expect(drifted.code).toBe(1);
      const body = JSON.parse(drifted.stdout) as { balanced: boolean; unexplained: string[] };
      expect(body.balanced).toBe(false);
      expect(body.unexplained).toContain('variance:partner:commission_approved:USD');
    } finally {
      await owner.query(`UPDATE account_balances b SET balance = balance - 1 FROM accounts a WHERE a.id = b.account_id AND a.owner_id = 'cli-p' AND a.bucket = 'commission_approved'`);
    }
  });

  it('refuses a future day and a malformed date, naming DATE, and stores nothing', async () => {
    const future = await ledgerflow('reconcile', utcDay(new Date(Date.now() + 3 * 86_400_000)));
    expect(future.code).toBe(2);
    expect(future.stderr).toMatch(/^ledgerflow: DATE: DATE .* is in the future/);
    const malformed = await ledgerflow('reconcile', '2025-13-01');
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/DATE must be a calendar date/);
    const { rows } = await owner.query('SELECT count(*)::int AS n FROM reconciliations');
    expect(rows[0].n).toBe(2);
  });
});
