import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../stack/ports.ts';
import { repositoryRoot, waitForExit } from '../helpers/temporal.ts';

/**
 * `npm test` as a user runs it, one level down: a vitest run whose global setup (test/helpers/global-setup.ts) fails
 * must not leave behind what it had started. Every process of the inner run inherits a marker in its environment,
 * which is how we find them, whoever their parent is by then.
 */

const vitestCli = path.join(repositoryRoot, 'node_modules', 'vitest', 'vitest.mjs');

function processesMarked(marker: string): { pid: number; command: string }[] {
  const found: { pid: number; command: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(marker)) continue;
      found.push({ pid: Number(entry), command: readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim() });
    } catch {
      // Gone meanwhile, or another user's.
    }
  }
  return found;
}

describe.runIf(process.platform === 'linux')('a test run whose global setup fails', () => {
  it('when the test PostgreSQL cannot be used, the run fails and the Temporal dev server its setup had started is stopped', async () => {
    const marker = `LEDGERFLOW_HARNESS_RUN=${randomUUID()}`;
    // This run's own settings stay out of the inner one; a port nothing listens on makes its PostgreSQL unusable.
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST') && !name.startsWith('TEST_')));
    const run = spawn(process.execPath, [vitestCli, 'run', 'test/stack/config.test.ts'], {
      cwd: repositoryRoot,
      env: {
        ...inherited,
        TEST_DATABASE_URL: `postgres://postgres:ledgerflow@127.0.0.1:${await freePort()}/postgres`,
        [marker.split('=')[0]!]: marker.split('=')[1],
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    run.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    run.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // The setup starts both servers at once; PostgreSQL fails at once, the dev server takes seconds to be ready.
    let sawDevServer = false;
    const watcher = setInterval(() => {
      if (processesMarked(marker).some((entry) => entry.command.includes('server start-dev'))) sawDevServer = true;
    }, 100);
    try {
      await waitForExit(run);
    } finally {
      clearInterval(watcher);
    }

    expect(run.exitCode, output).not.toBe(0);
    expect(output).toContain('ECONNREFUSED');
    // Otherwise the run would not have tested the stopping of a server that was running.
    expect(sawDevServer).toBe(true);
    const left = processesMarked(marker);
    // Not left for the next run to trip over when this fails.
    for (const { pid } of left) process.kill(pid, 'SIGKILL');
    expect(left).toEqual([]);
  }, 120_000);
});
