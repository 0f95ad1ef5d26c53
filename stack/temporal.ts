import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, openSync, readFileSync, statSync } from 'node:fs';
import { copyFile, chmod, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Connection, isGrpcServiceError, type ConnectionOptions, type TLSConfig } from '@temporalio/client';
import { searchAttributeTypes } from '../workflows/search-attributes.ts';
import { ConfigError, type Config } from './config.ts';
import { commandLineOf, isProcessAlive, oneLine, StackError } from './state.ts';

/** The CLI release we build when nothing else is available; its `server start-dev` is the local cluster. */
export const temporalCliVersion = 'v1.5.1';
const temporalCliModule = 'github.com/temporalio/cli/cmd/temporal';
const readyTimeoutMs = 60_000;
const stopTimeoutMs = 10_000;

const noCliAdvice =
  'install Go (https://go.dev/dl) and rerun, or set TEMPORAL_CLI to a temporal binary, or set TEMPORAL_ADDRESS to a running cluster';

export interface FindTemporalCliOptions {
  /** Where PATH, XDG_CACHE_HOME and HOME come from; tests pass their own. */
  environment?: NodeJS.ProcessEnv;
  /** Progress lines (a build takes minutes); stderr by default. */
  log?: (line: string) => void;
  /** Whether to build or download a CLI when none is found; tests of the lookup order turn it off. */
  install?: boolean;
}

/** `${XDG_CACHE_HOME:-~/.cache}/ledgerflow/bin`: where a CLI we built or downloaded is kept between runs. */
export function temporalCliCacheDirectory(environment: NodeJS.ProcessEnv = process.env): string {
  const cacheHome = environment.XDG_CACHE_HOME || path.join(environment.HOME || os.homedir(), '.cache');
  return path.join(cacheHome, 'ledgerflow', 'bin');
}

/**
 * The Temporal CLI to run the local dev server with, first found of: TEMPORAL_CLI, `temporal` on PATH, the
 * ledgerflow cache, a fresh `go install` into that cache, the SDK's download (needs internet). Throws a
 * StackError saying what to do when none works.
 */
export async function findTemporalCli(
  config: Pick<Config, 'TEMPORAL_CLI'>,
  options: FindTemporalCliOptions = {},
): Promise<string> {
  const environment = options.environment ?? process.env;
  const log = options.log ?? ((line: string) => console.error(line));

  const explicit = config.TEMPORAL_CLI ?? (environment.TEMPORAL_CLI || undefined);
  if (explicit) {
    const resolved = path.resolve(explicit);
    if (!isExecutableFile(resolved)) {
      throw new StackError(`TEMPORAL_CLI=${explicit} is not an executable file`, 'point TEMPORAL_CLI at a temporal binary, or unset it');
    }
    return resolved;
  }

  const onPath = findOnPath(executableName('temporal'), environment);
  if (onPath) return onPath;

  const cacheDirectory = temporalCliCacheDirectory(environment);
  const cached = path.join(cacheDirectory, executableName('temporal'));
  if (isExecutableFile(cached)) return cached;

  if (options.install === false) {
    throw new StackError('no Temporal CLI found', noCliAdvice);
  }

  const failures: string[] = [];
  const go = findOnPath(executableName('go'), environment);
  if (go) {
    log(`ledgerflow: building the Temporal CLI ${temporalCliVersion} with Go into ${cacheDirectory} (takes a few minutes, once)`);
    try {
      await buildWithGo(go, cacheDirectory, environment);
      if (isExecutableFile(cached)) return cached;
      failures.push(`go install did not produce ${cached}`);
    } catch (error) {
      failures.push(`go install failed: ${(error as Error).message}`);
    }
  } else {
    failures.push('no go on PATH to build one');
  }

  log('ledgerflow: downloading a Temporal dev server through the Temporal SDK');
  try {
    await downloadWithSdk(cached);
    if (isExecutableFile(cached)) return cached;
    failures.push('the SDK download produced no binary');
  } catch (error) {
    failures.push(`the SDK download failed: ${(error as Error).message}`);
  }

  throw new StackError(`no Temporal CLI found (${failures.join('; ')})`.slice(0, 600), noCliAdvice);
}

async function buildWithGo(go: string, cacheDirectory: string, environment: NodeJS.ProcessEnv): Promise<void> {
  await mkdir(cacheDirectory, { recursive: true });
  await goInstall(go, cacheDirectory, [`${temporalCliModule}@${temporalCliVersion}`], environment);
}

/** `go install` of `packages` into `bin`; a failure throws with the exit code and go's last line of output. */
export async function goInstall(go: string, bin: string, packages: string[], environment: NodeJS.ProcessEnv): Promise<void> {
  const output: string[] = [];
  const child = spawn(go, ['install', ...packages], {
    env: { ...environment, GOBIN: bin },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) {
    const lastLine = output.join('').trim().split('\n').at(-1) ?? '';
    throw new Error(`exit code ${code}: ${oneLine(lastLine)}`);
  }
}

/**
 * The SDK's test environment can fetch a dev server binary (a build of the same CLI) on machines with internet.
 * It starts a server to do so; we stop it at once and keep the binary. @temporalio/testing is a dev dependency,
 * so in a production install this path is simply unavailable.
 */
async function downloadWithSdk(destination: string): Promise<void> {
  const downloadDirectory = path.join(path.dirname(path.dirname(destination)), 'sdk-download');
  await mkdir(downloadDirectory, { recursive: true });
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const environment = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'cached-download', downloadDir: downloadDirectory } },
  });
  await environment.teardown();
  const downloaded = (await readdir(downloadDirectory)).find((file) => file.startsWith('temporal'));
  if (!downloaded) throw new Error(`nothing downloaded into ${downloadDirectory}`);
  await mkdir(path.dirname(destination), { recursive: true });
  await copyFile(path.join(downloadDirectory, downloaded), destination);
  await chmod(destination, 0o755);
}

export interface TemporalDevServerOptions {
  cli: string;
  port: number;
  uiPort: number;
  /** The SQLite file that keeps workflows across restarts; undefined keeps everything in memory. */
  databaseFile: string | undefined;
  headless: boolean;
  logFile: string;
  namespace: string;
  /**
   * In its own process group the server ignores the terminal's Ctrl-C, so a supervisor can stop it after the
   * workers. Tests leave it in theirs, so that an interrupted run takes the server with it.
   */
  detached?: boolean;
}

export interface TemporalDevServer {
  /** host:port of the gRPC frontend. */
  address: string;
  /** The web UI, or undefined when headless. */
  uiUrl: string | undefined;
  process: ChildProcess;
  /** SIGTERM, then SIGKILL if it has not exited after 10 s. */
  stop(): Promise<void>;
}

/**
 * Starts `temporal server start-dev` with ledgerflow's search attributes registered, and resolves once its
 * frontend answers and the namespace and search attributes exist.
 */
export async function startTemporalDevServer(options: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const host = '127.0.0.1';
  const address = `${host}:${options.port}`;
  const pidFile = options.databaseFile ? `${options.databaseFile}.pid` : undefined;
  if (options.databaseFile && pidFile) {
    await mkdir(path.dirname(options.databaseFile), { recursive: true });
    await stopLeftoverServer(pidFile, options.databaseFile);
  }
  // Checked before starting: a server already on the port would answer our readiness probe in place of ours.
  for (const [name, port] of [['TEMPORAL_DEV_PORT', options.port], ['TEMPORAL_UI_PORT', options.uiPort]] as const) {
    if (name === 'TEMPORAL_UI_PORT' && options.headless) continue;
    if (!(await isPortFree(host, port))) {
      throw new StackError(
        `Temporal dev server cannot listen on ${host}:${port}: the port is in use (by a server left from an earlier start?)`,
        `stop that process, or set ${name} to a free port`,
      );
    }
  }

  const searchAttributeArguments = Object.entries(searchAttributeTypes).flatMap(([name, type]) => [
    '--search-attribute',
    `${name}=${type}`,
  ]);
  const serverArguments = [
    'server', 'start-dev',
    '--ip', host,
    '--port', String(options.port),
    '--ui-port', String(options.uiPort),
    '--namespace', options.namespace,
    '--log-level', 'warn',
    // A SQLite file in WAL mode with synchronous=NORMAL: safe against a crash of the server (not of the machine's
    // power), and several times the throughput of the default rollback journal (bench/payouts.ts).
    ...(options.databaseFile ? ['--db-filename', options.databaseFile, '--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal'] : []),
    ...(options.headless ? ['--headless'] : []),
    // A worker asks for the activities its workflow task schedules and runs them at once, without a trip through
    // the matching service: fewer round trips per lifecycle (bench/payouts.ts measures the effect).
    '--dynamic-config-value', 'system.enableActivityEagerExecution=true',
    ...searchAttributeArguments,
  ];

  await mkdir(path.dirname(options.logFile), { recursive: true });
  const logOffset = existsSync(options.logFile) ? statSync(options.logFile).size : 0;
  const logDescriptor = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(options.cli, serverArguments, {
      detached: options.detached ?? false,
      stdio: ['ignore', logDescriptor, logDescriptor],
    });
  } finally {
    closeSync(logDescriptor);
  }

  let exitDescription: string | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitDescription = signal ? `killed by ${signal}` : `exit code ${code}`;
      resolve();
    });
    child.once('error', (error) => {
      exitDescription = error.message;
      resolve();
    });
  });
  if (pidFile && child.pid) await writeFile(pidFile, `${child.pid}\n`);

  const stop = async () => {
    if (exitDescription === undefined) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
      await exit;
      clearTimeout(timer);
    }
    if (pidFile) await rm(pidFile, { force: true });
  };

  try {
    await waitUntilReady(address, options.namespace, () => exitDescription);
  } catch (error) {
    await stop();
    const logTail = lastLogLine(options.logFile, logOffset);
    throw new StackError(
      `Temporal dev server did not start on ${address}: ${(error as Error).message}${logTail ? ` (${logTail})` : ''}`,
      `see ${options.logFile}; or set TEMPORAL_ADDRESS to a running cluster`,
    );
  }

  return {
    address,
    uiUrl: options.headless ? undefined : `http://localhost:${options.uiPort}`,
    process: child,
    stop,
  };
}

async function waitUntilReady(address: string, namespace: string, exitDescription: () => string | undefined) {
  const deadline = Date.now() + readyTimeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const exited = exitDescription();
    if (exited) throw new Error(`the server exited during startup (${exited})`);
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address, connectTimeout: '1 second' });
      await connection.workflowService.describeNamespace({ namespace });
      // start-dev registers the search attributes after its frontend is up; wait for them too.
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
      const missing = Object.keys(searchAttributeTypes).filter((name) => !(name in (customAttributes ?? {})));
      if (missing.length > 0) throw new Error(`search attributes not registered yet: ${missing.join(', ')}`);
      return;
    } catch (error) {
      lastError = error;
      await sleep(250);
    } finally {
      await connection?.close().catch(() => {});
    }
  }
  throw new Error(`not ready after ${readyTimeoutMs / 1000} s (${oneLine((lastError as Error)?.message ?? '')})`);
}

/**
 * A supervisor that was killed outright leaves its dev server running (it has its own process group), holding
 * the port and the SQLite file. We record the pid next to the file; if that process is still a temporal server of
 * this file, stop it and take over.
 */
async function stopLeftoverServer(pidFile: string, databaseFile: string): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8'), 10);
  if (Number.isInteger(pid) && pid > 0 && isProcessAlive(pid)) {
    const command = commandLineOf(pid);
    if (command.includes('temporal') && command.includes(databaseFile)) {
      console.error(`ledgerflow: stopping the Temporal dev server (pid ${pid}) left running by an earlier start`);
      process.kill(pid, 'SIGTERM');
      const deadline = Date.now() + stopTimeoutMs;
      while (isProcessAlive(pid) && Date.now() < deadline) await sleep(100);
      if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
      while (isProcessAlive(pid)) await sleep(100);
    }
  }
  await rm(pidFile, { force: true });
}

/**
 * A connection to the cluster the configuration names: TEMPORAL_ADDRESS, or the local dev server's port.
 * The namespace (TEMPORAL_NAMESPACE) belongs to the Client built on top of it.
 */
export async function connectTemporal(config: Config): Promise<Connection> {
  const address = config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_DEV_PORT}`;
  return Connection.connect(temporalConnectionOptions(config, address));
}

/**
 * The part of the connection options that both `Connection` (@temporalio/client) and `NativeConnection`
 * (@temporalio/worker) accept, so clients and workers reach the cluster the same way.
 */
export interface TemporalConnectionOptions extends Pick<ConnectionOptions, 'address'> {
  address: string;
  tls?: TLSConfig | boolean;
  apiKey?: string;
}

/**
 * TLS is on when TEMPORAL_TLS is set, when any certificate file is given, or with an API key (Temporal Cloud
 * accepts API keys only over TLS). Certificate settings name files, read here once.
 */
export function temporalConnectionOptions(
  config: Pick<Config, 'TEMPORAL_API_KEY' | 'TEMPORAL_TLS' | 'TEMPORAL_TLS_CERT' | 'TEMPORAL_TLS_KEY' | 'TEMPORAL_TLS_CA'>,
  address: string,
): TemporalConnectionOptions {
  if (Boolean(config.TEMPORAL_TLS_CERT) !== Boolean(config.TEMPORAL_TLS_KEY)) {
    throw new ConfigError('invalid configuration: TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together');
  }
  const tlsWanted =
    config.TEMPORAL_TLS || Boolean(config.TEMPORAL_API_KEY || config.TEMPORAL_TLS_CERT || config.TEMPORAL_TLS_CA);
  const options: TemporalConnectionOptions = { address };
  if (tlsWanted) {
    const tls: TLSConfig = {};
    if (config.TEMPORAL_TLS_CA) tls.serverRootCACertificate = readSetting('TEMPORAL_TLS_CA', config.TEMPORAL_TLS_CA);
    if (config.TEMPORAL_TLS_CERT && config.TEMPORAL_TLS_KEY) {
      tls.clientCertPair = {
        crt: readSetting('TEMPORAL_TLS_CERT', config.TEMPORAL_TLS_CERT),
        key: readSetting('TEMPORAL_TLS_KEY', config.TEMPORAL_TLS_KEY),
      };
    }
    options.tls = tls;
  }
  if (config.TEMPORAL_API_KEY) options.apiKey = config.TEMPORAL_API_KEY;
  return options;
}

function readSetting(name: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new ConfigError(`invalid configuration: ${name}: cannot read ${file} (${(error as NodeJS.ErrnoException).code})`);
  }
}

/** IndexedValueType numbers of temporal.api.enums.v1, by the CLI's type names used in searchAttributeTypes. */
const indexedValueTypes = {
  Text: 1,
  Keyword: 2,
  Int: 3,
  Double: 4,
  Bool: 5,
  Datetime: 6,
  KeywordList: 7,
} as const;

/**
 * Registers ledgerflow's search attributes on an external cluster's namespace (the dev server gets them as
 * flags). Attributes that already exist are left alone; one that exists with another type is an error.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const manualCommands = Object.entries(searchAttributeTypes)
    .map(([name, type]) => `temporal operator search-attribute create --namespace ${namespace} --name ${name} --type ${type}`)
    .join('; ');
  let existing: Record<string, number>;
  try {
    const response = await connection.operatorService.listSearchAttributes({ namespace });
    existing = (response.customAttributes ?? {}) as Record<string, number>;
  } catch (error) {
    throw new StackError(`listing search attributes of namespace ${namespace} failed: ${oneLine((error as Error).message)}`, `check TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and credentials, or register them yourself: ${manualCommands}`);
  }
  const missing: Record<string, number> = {};
  for (const [name, type] of Object.entries(searchAttributeTypes)) {
    const wanted = indexedValueTypes[type];
    if (existing[name] === undefined) missing[name] = wanted;
    else if (existing[name] !== wanted) {
      throw new StackError(`search attribute ${name} exists on namespace ${namespace} with another type than ${type}`, 'remove it or use another namespace (TEMPORAL_NAMESPACE)');
    }
  }
  if (Object.keys(missing).length === 0) return;
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  } catch (error) {
    // 6 = ALREADY_EXISTS: another process registered them first.
    if (isGrpcServiceError(error) && error.code === 6) return;
    if (/already exists/i.test((error as Error).message)) return;
    throw new StackError(`registering search attributes on namespace ${namespace} failed: ${oneLine((error as Error).message)}`, `register them yourself: ${manualCommands}`);
  }
}

export function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function findOnPath(name: string, environment: NodeJS.ProcessEnv): string | undefined {
  for (const directory of (environment.PATH ?? '').split(path.delimiter)) {
    if (!directory) continue;
    const candidate = path.join(directory, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

export function executableName(name: string): string {
  return process.platform === 'win32' ? `${name}.exe` : name;
}

export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function lastLogLine(file: string, offset: number): string | undefined {
  try {
    const text = readFileSync(file).subarray(offset).toString('utf8');
    const lines = text.trim().split('\n').filter((line) => /error|fatal|panic/i.test(line));
    const line = lines.at(-1);
    return line ? oneLine(line).slice(0, 300) : undefined;
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
