/**
 * What every benchmark needs: a PostgreSQL server (DATABASE_URL's, or an embedded one in a temporary directory),
 * a freshly created database on it, a line describing the server's settings, and numeric settings from the
 * environment.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../stack/postgres.ts';
import { removeCluster } from '../stack/postgres-location.ts';
import { freePort } from '../stack/ports.ts';

export interface Server {
  adminUrl: string;
  label: string;
  stop(): Promise<void>;
}

/** DATABASE_URL's server when set (we neither start nor stop it), otherwise an embedded one in a temporary directory. */
export async function resolveServer(name: string, durable: boolean, settings?: Record<string, string>): Promise<Server> {
  if (process.env.DATABASE_URL) {
    const url = new URL(process.env.DATABASE_URL);
    return { adminUrl: process.env.DATABASE_URL, label: `external server ${url.hostname}:${url.port || 5432}`, stop: async () => {} };
  }
  const directory = path.join(os.tmpdir(), `ledgerflow-${name}-postgres-${process.pid}`);
  await removeCluster(directory);
  console.error(`${name}: starting embedded PostgreSQL in ${directory}`);
  const embedded: EmbeddedPostgres = await startEmbeddedPostgres({ directory, port: await freePort(), durable, settings });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await embedded.stop();
    // With its cluster in the fallback directory when the server's user cannot reach TMPDIR (as root).
    await removeCluster(directory);
    await rm(`${directory}.log`, { force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void stop().finally(() => process.exit(130)));
  }
  return { adminUrl: embedded.ownerUrl('postgres'), label: `embedded server (port ${embedded.port})`, stop };
}

/** Drops and recreates the database on the server; returns the owner's URL of it. */
export async function freshDatabase(adminUrl: string, databaseName: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(databaseName)} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(databaseName)}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${databaseName}`;
  return url.toString();
}

export async function describeServer(ownerClient: pg.Client, label: string): Promise<string> {
  const settings = ['server_version', 'shared_buffers', 'fsync', 'synchronous_commit', 'full_page_writes', 'wal_level', 'max_wal_size'];
  const { rows } = await ownerClient.query<{ name: string; setting: string }>(
    `SELECT name, current_setting(name) AS setting FROM unnest($1::text[]) AS name`,
    [settings],
  );
  const values = new Map(rows.map((row) => [row.name, row.setting]));
  return `PostgreSQL ${values.get('server_version')}, ${label}: ` +
    settings.slice(1).map((name) => `${name}=${values.get(name)}`).join(', ');
}

export function positiveNumber(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

export function nonNegativeNumber(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be zero or a positive number`);
  return value;
}

/**
 * CPU seconds (user + system) a process and all its descendants have used so far, from /proc: the live ones'
 * own time plus what exited children left in their parents' cutime/cstime. Undefined off Linux or for a pid that
 * is not here.
 */
export async function processTreeCpuSeconds(root: number): Promise<number | undefined> {
  const stats = new Map<number, { parent: number; own: number; children: number }>();
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // After the command name: state is field 3, ppid 4, utime/stime 14/15, cutime/cstime 16/17 (clock ticks).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(entry), {
        parent: Number(fields[1]),
        own: (Number(fields[11]) + Number(fields[12])) / 100,
        children: (Number(fields[13]) + Number(fields[14])) / 100,
      });
    } catch {
      // The process exited while we looked.
    }
  }
  if (!stats.has(root)) return undefined;
  let total = 0;
  const pending = [root];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    const stat = stats.get(pid)!;
    total += stat.own + stat.children;
    for (const [child, candidate] of stats) if (candidate.parent === pid) pending.push(child);
  }
  return total;
}

/** The postmaster's pid of a server on this machine (the parent of its checkpointer), or undefined for a remote one. */
export async function postmasterPid(ownerClient: pg.Client): Promise<number | undefined> {
  const { rows } = await ownerClient.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'`);
  const checkpointer = rows[0]?.pid;
  if (checkpointer === undefined) return undefined;
  try {
    const status = await readFile(`/proc/${checkpointer}/status`, 'utf8');
    const comm = (await readFile(`/proc/${checkpointer}/comm`, 'utf8')).trim();
    if (comm !== 'postgres') return undefined;
    return Number(/PPid:\s+(\d+)/.exec(status)?.[1]);
  } catch {
    return undefined;
  }
}
