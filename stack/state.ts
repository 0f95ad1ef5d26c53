import { execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { dataPaths, type Config } from './config.ts';

/**
 * A startup step that failed for a reason the user can fix. The supervisor prints it as one line,
 * `ledgerflow: <what failed>: <what to do>`, so both halves must be single sentences without line breaks.
 */
export class StackError extends Error {
  constructor(
    readonly whatFailed: string,
    readonly whatToDo: string,
  ) {
    super(`${oneLine(whatFailed)}: ${oneLine(whatToDo)}`);
    this.name = 'StackError';
  }
}

/** Collapses a multi-line message (a server's log excerpt, a driver error) into one line. */
/**
 * A child process's exit as a promise, and a stop that sends `gentle`, then `hard` if the process has not exited
 * after `timeoutMs` (an exit or a spawn error both count as exited).
 */
export function watchExit(child: ChildProcess, gentle: NodeJS.Signals, hard: NodeJS.Signals, timeoutMs: number) {
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    const done = () => {
      exited = true;
      resolve();
    };
    child.once('exit', done);
    child.once('error', done);
  });
  const stop = async () => {
    if (exited) return;
    child.kill(gentle);
    const timer = setTimeout(() => child.kill(hard), timeoutMs);
    await exit;
    clearTimeout(timer);
  };
  return { exit, hasExited: () => exited, stop };
}

export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * What `npm start` writes into the data directory while it runs, so that the CLI and scripts can reach the
 * running stack's database and Temporal without repeating its configuration.
 */
const stackStateSchema = z.object({
  databaseUrl: z.string().min(1),
  temporalAddress: z.string().min(1),
  temporalNamespace: z.string().min(1),
  temporalUiUrl: z.string().min(1).nullable(),
  apiUrl: z.string().min(1),
  pid: z.number().int().positive(),
  startedAt: z.string().min(1),
  /** The supervisor's children by name, so a start after a crash can stop the ones left running. */
  children: z.record(z.number().int().positive()).default({}),
});

export type StackState = z.infer<typeof stackStateSchema>;
export type StackStateInput = z.input<typeof stackStateSchema>;

/**
 * The state of the stack running now from this data directory, or undefined when none runs. A file left by a
 * supervisor that died without cleaning up is ignored: its pid no longer exists.
 */
export async function readStackState(config: Pick<Config, 'dataDir'>): Promise<StackState | undefined> {
  const state = await readStackStateFile(config);
  return state && isProcessAlive(state.pid) ? state : undefined;
}

/** The state file as written, whether or not its supervisor still runs. */
export async function readStackStateFile(config: Pick<Config, 'dataDir'>): Promise<StackState | undefined> {
  let text: string;
  try {
    text = await readFile(dataPaths(config).stackState, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const parsed = stackStateSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export async function writeStackState(config: Pick<Config, 'dataDir'>, state: StackStateInput): Promise<void> {
  const file = dataPaths(config).stackState;
  await mkdir(path.dirname(file), { recursive: true });
  // Write then rename, so a reader never sees half a file.
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(stackStateSchema.parse(state), null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, file);
}

export async function removeStackState(config: Pick<Config, 'dataDir'>): Promise<void> {
  await rm(dataPaths(config).stackState, { force: true });
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of a process, to tell a leftover server of ours from an unrelated process that reused its pid. */
export function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    try {
      return execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
    } catch {
      return '';
    }
  }
}
