import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'slonik';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyPattern } from '../../domain/api-keys.ts';
import { createApiHarness, errorOf, type ApiHarness } from '../helpers/api.ts';

/** `ledgerflow api-key create | list | revoke` (docs/rules.md#api-keys), run as a user runs it, on the API's database. */

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let api: ApiHarness;
let dataDirectory: string;

beforeAll(async () => {
  api = await createApiHarness();
  dataDirectory = await mkdtemp(path.join(tmpdir(), 'ledgerflow-cli-'));
});

afterAll(async () => {
  await api?.close();
  if (dataDirectory) await rm(dataDirectory, { recursive: true, force: true });
});

function ledgerflow(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repositoryRoot, 'bin/ledgerflow.mjs'), ...args], {
      cwd: repositoryRoot,
      env: { ...process.env, DATABASE_URL: api.testDatabase.ownerUrl, LEDGERFLOW_DATA_DIR: dataDirectory },
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

describe('ledgerflow api-key', () => {
  it('creates a key shown once, lists it without its secret, and revokes it so the API refuses it', async () => {
    const created = await ledgerflow('api-key', 'create', '--name', 'ERP nightly', '--scope', 'events:write', '--scope', 'events:read', '--requests-per-minute', '120');
    expect(created.code, created.stderr).toBe(0);
    const key = JSON.parse(created.stdout) as { id: string; key: string; scopes: string[]; requestsPerMinute: number; createdBy: string };
    expect(key.key).toMatch(apiKeyPattern);
    expect(key).toMatchObject({ scopes: ['events:read', 'events:write'], requestsPerMinute: 120, createdBy: 'system:cli' });
    expect(created.stderr).toContain('shown this once');

    // The key works against the API at once.
    expect((await api.request('/v1/events/no-such-event', { token: key.key })).status).toBe(404);

    const listed = await ledgerflow('api-key', 'list');
    expect(listed.code, listed.stderr).toBe(0);
    const keys = JSON.parse(listed.stdout) as { id: string; lastUsedAt: string | null; revokedAt: string | null }[];
    expect(keys.find((item) => item.id === key.id)).toMatchObject({ lastUsedAt: expect.any(String), revokedAt: null });
    expect(listed.stdout).not.toContain(key.key.split('_').at(-1)!);

    const revoked = await ledgerflow('api-key', 'revoke', key.id);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ id: key.id, changed: true, revokedBy: 'system:cli' });
    const refused = await api.request('/v1/events/no-such-event', { token: key.key });
    expect(refused.status).toBe(401);
    expect(await errorOf(refused)).toMatchObject({ code: 'unauthenticated' });

    const audit = await api.owner.any(sql.type(z.object({ action: z.string(), actor: z.string() }))`
      SELECT action, actor FROM audit_records WHERE target_type = 'api_key' AND target_id = ${key.id} ORDER BY id`);
    expect(audit).toEqual([{ action: 'API_KEY_CREATE', actor: 'system:cli' }, { action: 'API_KEY_REVOKE', actor: 'system:cli' }]);
  });

  it('refuses an unknown scope naming --scope, a missing scope, and an unknown id, writing nothing', async () => {
    const count = () => api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`SELECT count(*)::int AS count FROM api_keys`);
    const before = await count();
    const badScope = await ledgerflow('api-key', 'create', '--name', 'x', '--scope', 'payouts:write');
    expect(badScope.code).toBe(2);
    expect(badScope.stderr).toContain('--scope');
    const noScope = await ledgerflow('api-key', 'create', '--name', 'x');
    expect(noScope.code).toBe(2);
    expect(noScope.stderr).toContain('--scope is required');
    const unknown = await ledgerflow('api-key', 'revoke', '0123456789abcdef');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no API key');
    expect(await count()).toBe(before);
  });
});
