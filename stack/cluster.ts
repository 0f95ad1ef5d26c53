import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Connection, isGrpcServiceError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import pg from 'pg';
import { searchAttributeTypes } from '../workflows/search-attributes.ts';
import type { ClusterBinaries } from './cluster-binaries.ts';
import { freePort } from './ports.ts';
import { ensureDatabase } from './postgres.ts';
import { commandLineOf, isProcessAlive, oneLine, StackError, watchExit } from './state.ts';
import { ensureSearchAttributes, isPortFree } from './temporal.ts';

/**
 * Cluster mode: the Temporal server as four processes (frontend, history, matching, worker), each started from the
 * same server binary and the same generated configuration, with PostgreSQL persistence and SQL visibility in two
 * databases of a PostgreSQL server (the embedded one, or DATABASE_URL's). Their schemas are set up by Temporal's own
 * SQL tool, from the schema embedded in the tool of the same release. The services find each other through the
 * membership table in the persistence database (ringpop), as they would on several machines.
 */

export const clusterServices = ['history', 'matching', 'frontend', 'worker'] as const;
export type ClusterService = (typeof clusterServices)[number];

const readyTimeoutMs = 120_000;
const stopTimeoutMs = 10_000;
/** The persistence database's connection pool per process; four processes share the PostgreSQL's 100 connections. */
const persistenceMaxConnections = 10;
const visibilityMaxConnections = 3;

export interface TemporalClusterOptions {
  binaries: ClusterBinaries;
  /** A superuser (or CREATEDB) URL of the PostgreSQL server that gets the two Temporal databases. */
  postgresUrl: string;
  /** Names of the two databases; `temporal` and `temporal_visibility` by default. */
  persistenceDatabase?: string;
  visibilityDatabase?: string;
  /** Where the generated configuration and the services' logs go. */
  directory: string;
  namespace: string;
  /** The frontend's gRPC port (what clients dial); a free one when not given. */
  frontendPort?: number;
  /** History shards: fixed for the life of the persistence database. */
  historyShards?: number;
  /** Each service in its own process group (the supervisor stops them itself), as the dev server is. */
  detached?: boolean;
  log?: (line: string) => void;
}

export interface ClusterServiceProcess {
  readonly name: ClusterService;
  readonly process: ChildProcess;
  readonly logFile: string;
  stop(): Promise<void>;
}

export interface TemporalCluster {
  /** host:port of the frontend's gRPC endpoint. */
  address: string;
  namespace: string;
  /** The services running now, by name; `restart(name)` replaces one. */
  services: Map<ClusterService, ClusterServiceProcess>;
  /** Starts one service again with the same configuration (the supervisor's restart after it died). */
  startService(name: ClusterService): Promise<ClusterServiceProcess>;
  configFile: string;
  /** Stops the services: worker and frontend first, history last. */
  stop(): Promise<void>;
}

interface PostgresEndpoint {
  host: string;
  port: number;
  user: string;
  password: string;
}

function endpointOf(url: string): PostgresEndpoint {
  const parsed = new URL(url);
  return {
    host: parsed.hostname || '127.0.0.1',
    port: Number(parsed.port || 5432),
    user: decodeURIComponent(parsed.username || 'postgres'),
    password: decodeURIComponent(parsed.password),
  };
}

function databaseUrl(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/**
 * Creates the two databases (unless they exist) and brings their schemas to this release's version with the SQL tool:
 * `setup-schema -v 0.0` once (the version table), then `update-schema --schema-name postgresql/v12/{temporal,visibility}`,
 * which applies whatever versioned steps the database has not had yet (none on a restart).
 */
export async function setUpClusterSchemas(input: { sqlTool: string; postgresUrl: string; persistenceDatabase: string; visibilityDatabase: string; logFile: string }): Promise<void> {
  const endpoint = endpointOf(input.postgresUrl);
  for (const [database, schema] of [[input.persistenceDatabase, 'temporal'], [input.visibilityDatabase, 'visibility']] as const) {
    await ensureDatabase(databaseUrl(input.postgresUrl, 'postgres'), database);
    const common = [
      '--endpoint', endpoint.host,
      '--port', String(endpoint.port),
      '--user', endpoint.user,
      '--plugin', 'postgres12',
      '--database', database,
    ];
    const env = { ...process.env, SQL_PASSWORD: endpoint.password };
    if (!(await hasSchemaVersionTable(databaseUrl(input.postgresUrl, database)))) {
      await runTool(input.sqlTool, [...common, 'setup-schema', '-v', '0.0'], env, input.logFile);
    }
    await runTool(input.sqlTool, [...common, 'update-schema', '--schema-name', `postgresql/v12/${schema}`], env, input.logFile);
  }
}

async function hasSchemaVersionTable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT to_regclass('public.schema_version') IS NOT NULL AS present`);
    return rows[0]?.present === true;
  } finally {
    await client.end();
  }
}

async function runTool(tool: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): Promise<void> {
  const descriptor = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(tool, args, { env, stdio: ['ignore', descriptor, descriptor] });
  } finally {
    closeSync(descriptor);
  }
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) {
    throw new StackError(`the Temporal SQL tool failed (${args.slice(-4).join(' ')}: exit code ${code})`, `see ${logFile}`);
  }
}

interface ServicePorts {
  grpc: number;
  membership: number;
  http?: number;
}

/** The server configuration (one file for all four processes), in the layout of the release's development-postgres12.yaml. */
export function clusterConfigYaml(input: {
  endpoint: PostgresEndpoint;
  persistenceDatabase: string;
  visibilityDatabase: string;
  historyShards: number;
  ports: Record<ClusterService, ServicePorts>;
  dynamicConfigFile: string;
}): string {
  const quote = (value: string) => JSON.stringify(value);
  const store = (database: string, maxConns: number) => `      sql:
        pluginName: "postgres12"
        databaseName: ${quote(database)}
        connectAddr: ${quote(`${input.endpoint.host}:${input.endpoint.port}`)}
        connectProtocol: "tcp"
        user: ${quote(input.endpoint.user)}
        password: ${quote(input.endpoint.password)}
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: "1h"`;
  const service = (name: ClusterService) => {
    const ports = input.ports[name];
    return `  ${name}:
    rpc:
      grpcPort: ${ports.grpc}
      membershipPort: ${ports.membership}
      bindOnIP: "127.0.0.1"${ports.http ? `\n      httpPort: ${ports.http}` : ''}`;
  };
  const frontend = `127.0.0.1:${input.ports.frontend.grpc}`;
  return `# Generated by stack/cluster.ts on every start; edits are overwritten.
log:
  stdout: true
  level: warn

persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: ${input.historyShards}
  datastores:
    postgres-default:
${store(input.persistenceDatabase, persistenceMaxConnections)}
    postgres-visibility:
${store(input.visibilityDatabase, visibilityMaxConnections)}

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"

services:
${clusterServices.map(service).join('\n')}

clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: ${quote(frontend)}
      httpAddress: ${quote(`127.0.0.1:${input.ports.frontend.http}`)}

dcRedirectionPolicy:
  policy: "noop"

archival:
  history:
    state: "disabled"
  visibility:
    state: "disabled"

namespaceDefaults:
  archival:
    history:
      state: "disabled"
    visibility:
      state: "disabled"

publicClient:
  hostPort: ${quote(frontend)}

dynamicConfigClient:
  filepath: ${quote(input.dynamicConfigFile)}
  pollInterval: "10s"
`;
}

/**
 * The dynamic configuration: the values `temporal server start-dev` sets (stack/temporal.ts passes the eager
 * activity one; the CLI sets the others itself), so that the dev server and the cluster run the same workload the
 * same way and the benchmarks compare processes, not settings.
 */
export const clusterDynamicConfigYaml = `# Generated by stack/cluster.ts: the settings the dev server runs with.
system.enableActivityEagerExecution:
  - value: true
system.forceSearchAttributesCacheRefreshOnRead:
  - value: true
frontend.persistenceMaxQPS:
  - value: 10000
history.persistenceMaxQPS:
  - value: 45000
history.hostLevelCacheMaxSize:
  - value: 8096
frontend.namespaceRPS.visibility:
  - value: 100
`;

/**
 * Sets up the schemas, writes the configuration, starts the four services and resolves once the frontend answers,
 * the namespace exists (registered here on first start), a workflow can be started in it (history has the namespace)
 * and ledgerflow's search attributes are registered through the operator service.
 */
export async function startTemporalCluster(options: TemporalClusterOptions): Promise<TemporalCluster> {
  const log = options.log ?? (() => {});
  const persistenceDatabase = options.persistenceDatabase ?? 'temporal';
  const visibilityDatabase = options.visibilityDatabase ?? 'temporal_visibility';
  const configDirectory = path.join(options.directory, 'config');
  const logDirectory = path.join(options.directory, 'logs');
  await mkdir(configDirectory, { recursive: true });
  await mkdir(logDirectory, { recursive: true });

  const pidFile = path.join(options.directory, 'services.pid.json');
  await stopLeftoverServices(pidFile, configDirectory, log);

  log('ledgerflow: setting up the Temporal databases with the Temporal SQL tool');
  await setUpClusterSchemas({
    sqlTool: options.binaries.sqlTool,
    postgresUrl: options.postgresUrl,
    persistenceDatabase,
    visibilityDatabase,
    logFile: path.join(logDirectory, 'sql-tool.log'),
  });

  const frontendPort = options.frontendPort ?? (await freePort());
  if (!(await isPortFree('127.0.0.1', frontendPort))) {
    throw new StackError(`the Temporal frontend cannot listen on 127.0.0.1:${frontendPort}: the port is in use`, 'stop that process, or set TEMPORAL_DEV_PORT to a free port');
  }
  const ports = {} as Record<ClusterService, ServicePorts>;
  const taken = new Set<number>();
  for (const name of clusterServices) {
    ports[name] = { grpc: name === 'frontend' ? frontendPort : await freePort(), membership: await freeMembershipPort(taken) };
  }
  ports.frontend.http = await freePort();
  const dynamicConfigFile = path.join(configDirectory, 'dynamicconfig.yaml');
  await writeFile(dynamicConfigFile, clusterDynamicConfigYaml);
  // The server reads `<config dir>/development.yaml` (its --env); one file serves all four processes.
  const configFile = path.join(configDirectory, 'development.yaml');
  await writeFile(
    configFile,
    clusterConfigYaml({
      endpoint: endpointOf(options.postgresUrl),
      persistenceDatabase,
      visibilityDatabase,
      historyShards: options.historyShards ?? 4,
      ports,
      dynamicConfigFile,
    }),
  );

  const services = new Map<ClusterService, ClusterServiceProcess>();
  const startService = (name: ClusterService): ClusterServiceProcess => {
    const logFile = path.join(logDirectory, `${name}.log`);
    const descriptor = openSync(logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(
        options.binaries.server,
        ['--root', '/', '--config', configDirectory, '--env', 'development', '--allow-no-auth', 'start', '--service', name],
        { detached: options.detached ?? false, stdio: ['ignore', descriptor, descriptor] },
      );
    } finally {
      closeSync(descriptor);
    }
    const watched = watchExit(child, 'SIGTERM', 'SIGKILL', stopTimeoutMs);
    const service: ClusterServiceProcess = { name, process: child, logFile, stop: watched.stop };
    services.set(name, service);
    return service;
  };

  const logOffsets = new Map(clusterServices.map((name) => {
    const file = path.join(logDirectory, `${name}.log`);
    return [name, existsSync(file) ? statSync(file).size : 0] as const;
  }));
  log(`ledgerflow: starting the Temporal services ${clusterServices.join(', ')} (frontend on 127.0.0.1:${frontendPort})`);
  // The first process on a new persistence database writes the cluster's metadata; processes that start together
  // race to write it and the losers exit. History goes first, the others once the metadata is there.
  startService('history');
  await waitForClusterMetadata(databaseUrl(options.postgresUrl, persistenceDatabase), services.get('history')!);
  for (const name of clusterServices) if (name !== 'history') startService(name);
  const savePids = () => writeFile(pidFile, `${JSON.stringify(Object.fromEntries([...services].map(([name, service]) => [name, service.process.pid])))}\n`);
  await savePids();

  const stop = async () => {
    // Clients first (worker, frontend), then matching, then history, which owns the shards.
    for (const name of ['worker', 'frontend', 'matching', 'history'] as const) await services.get(name)?.stop();
    await rm(pidFile, { force: true });
  };

  const address = `127.0.0.1:${frontendPort}`;
  try {
    await waitUntilClusterReady(address, options.namespace, services);
  } catch (error) {
    await stop();
    const tail = clusterServices.map((name) => lastErrorLine(path.join(logDirectory, `${name}.log`), logOffsets.get(name) ?? 0)).find(Boolean);
    throw new StackError(
      `the Temporal cluster did not start on ${address}: ${oneLine((error as Error).message)}${tail ? ` (${tail})` : ''}`,
      `see the logs in ${logDirectory}`,
    );
  }

  return {
    address,
    namespace: options.namespace,
    services,
    startService: async (name) => {
      const service = startService(name);
      await savePids();
      return service;
    },
    configFile,
    stop,
  };
}

async function waitUntilClusterReady(address: string, namespace: string, services: Map<ClusterService, ClusterServiceProcess>) {
  const deadline = Date.now() + readyTimeoutMs;
  let lastError: unknown;
  let connection: Connection | undefined;
  try {
    while (Date.now() < deadline) {
      for (const service of services.values()) {
        const { exitCode, signalCode } = service.process;
        if (exitCode !== null || signalCode !== null) {
          throw new Error(`the ${service.name} service exited during startup (${signalCode ?? `exit code ${exitCode}`})`);
        }
      }
      try {
        connection ??= await Connection.connect({ address, connectTimeout: '1 second' });
        await ensureNamespace(connection, namespace);
        await ensureSearchAttributes(connection, namespace);
        const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
        const missing = Object.keys(searchAttributeTypes).filter((name) => !(name in (customAttributes ?? {})));
        if (missing.length > 0) throw new Error(`search attributes not registered yet: ${missing.join(', ')}`);
        await probeHistory(connection, namespace);
        return;
      } catch (error) {
        // Every step is retried until the deadline: right after the namespace is registered, the services' namespace
        // caches (refreshed every 2 s) do not know it yet.
        lastError = error;
        await sleep(500);
      }
    }
  } finally {
    await connection?.close().catch(() => {});
  }
  throw new Error(`not ready after ${readyTimeoutMs / 1000} s (${oneLine((lastError as Error)?.message ?? '')})`);
}

/**
 * A supervisor killed outright leaves its services running (each in its own process group), holding their ports. Their
 * pids are kept next to the configuration; one that still runs this configuration is stopped before a new start.
 */
async function stopLeftoverServices(pidFile: string, configDirectory: string, log: (line: string) => void): Promise<void> {
  if (!existsSync(pidFile)) return;
  let pids: Record<string, number> = {};
  try {
    pids = JSON.parse(readFileSync(pidFile, 'utf8')) as Record<string, number>;
  } catch {
    // An unreadable file names no process.
  }
  for (const [name, pid] of Object.entries(pids)) {
    if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid) || !commandLineOf(pid).includes(configDirectory)) continue;
    log(`ledgerflow: stopping the Temporal ${name} service (pid ${pid}) left running by an earlier start`);
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + stopTimeoutMs;
    while (isProcessAlive(pid) && Date.now() < deadline) await sleep(100);
    if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
    while (isProcessAlive(pid)) await sleep(100);
  }
  await rm(pidFile, { force: true });
}

async function waitForClusterMetadata(url: string, history: ClusterServiceProcess): Promise<void> {
  const deadline = Date.now() + readyTimeoutMs;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    while (Date.now() < deadline) {
      if (history.process.exitCode !== null || history.process.signalCode !== null) {
        throw new StackError('the Temporal history service exited during startup', `see ${history.logFile}`);
      }
      const { rows } = await client.query(`SELECT count(*)::int AS count FROM cluster_metadata_info`);
      if (rows[0]?.count > 0) return;
      await sleep(200);
    }
  } finally {
    await client.end();
  }
  throw new StackError(`the Temporal history service wrote no cluster metadata within ${readyTimeoutMs / 1000} s`, `see ${history.logFile}`);
}

/** Registers the namespace on first start (a real cluster has none; the dev server makes `default` itself). */
async function ensureNamespace(connection: Connection, namespace: string): Promise<void> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return;
  } catch (error) {
    // 5 = NOT_FOUND; anything else (frontend not serving yet) is retried by the caller.
    if (!(isGrpcServiceError(error) && error.code === 5)) throw error;
  }
  try {
    await connection.workflowService.registerNamespace({
      namespace,
      description: 'ledgerflow',
      // Closed workflows stay readable (histories, the UI) for 30 days, as the dev server's one day is too short for ops.
      workflowExecutionRetentionPeriod: msToTs('30 days'),
    });
  } catch (error) {
    if (!(isGrpcServiceError(error) && error.code === 6)) throw error;
  }
  throw new Error(`namespace ${namespace} registered; waiting for the services to load it`);
}

/**
 * The frontend answers before history has loaded the namespace and its shards: a workflow started and terminated on a
 * task queue nobody polls proves that a lifecycle can start now.
 */
async function probeHistory(connection: Connection, namespace: string): Promise<void> {
  const workflowId = `ledgerflow-cluster-probe-${randomUUID()}`;
  await connection.workflowService.startWorkflowExecution({
    namespace,
    workflowId,
    workflowType: { name: 'ledgerflow-cluster-probe' },
    taskQueue: { name: 'ledgerflow-cluster-probe' },
    requestId: randomUUID(),
  });
  await connection.workflowService.terminateWorkflowExecution({
    namespace,
    workflowExecution: { workflowId },
    reason: 'cluster start-up probe',
  });
}

/**
 * The membership table keeps a service's membership port in a smallint, so it must be below 32768: below the
 * kernel's ephemeral range (32768-60999), where freePort's choices land. A random free one from 20000-32767.
 */
async function freeMembershipPort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * 12_768);
    if (taken.has(port) || !(await isPortFree('127.0.0.1', port))) continue;
    taken.add(port);
    return port;
  }
  throw new StackError('no free port between 20000 and 32767 for the Temporal services\' membership', 'free some ports in that range');
}

function lastErrorLine(file: string, offset: number): string | undefined {
  try {
    const text = readFileSync(file).subarray(offset).toString('utf8');
    const line = text.trim().split('\n').filter((candidate) => /error|fatal|panic/i.test(candidate)).at(-1);
    return line ? oneLine(line).slice(0, 300) : undefined;
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
