import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../stack/postgres.ts';
import { removeCluster } from '../../stack/postgres-location.ts';
import { isProcessAlive } from '../../stack/state.ts';
import { findTemporalCli, startTemporalDevServer, type TemporalDevServer } from '../../stack/temporal.ts';
import { freePort } from '../../stack/ports.ts';
import { createTemplate, templateDatabase } from './template-database.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the test PostgreSQL server, database `postgres`. */
    ownerUrl: string;
    /** A migrated database to copy per test file (see test/helpers/database.ts); never connect to it. */
    templateDatabase: string;
    /** host:port of an in-memory Temporal dev server with ledgerflow's search attributes. */
    temporalAddress: string;
    /** The Temporal CLI the dev server runs from, for tests that start their own. */
    temporalCli: string;
  }
}

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const testDataDirectory = path.join(repositoryRoot, '.test-data');

/**
 * Once per `vitest run`: a throwaway PostgreSQL (unless TEST_DATABASE_URL names one) holding a migrated
 * template database, and an in-memory Temporal dev server. Test files copy the template (createTestDatabase)
 * and use their own task queues, so they never see each other's data.
 */
export default async function setup(project: TestProject) {
  const startedAt = Date.now();
  const stops: (() => Promise<void>)[] = [];
  const teardown = async () => {
    for (const stop of stops.reverse()) await stop().catch((error: unknown) => console.error('teardown:', error));
  };

  try {
    await mkdir(testDataDirectory, { recursive: true });
    await removeLeftoversOfDeadRuns();
    // Both servers start at once; whichever fails, the other is still stopped by the teardown below.
    const [database, temporal] = await Promise.allSettled([startDatabase(stops), startTemporal(stops)]);
    if (database.status === 'rejected') throw database.reason;
    if (temporal.status === 'rejected') throw temporal.reason;

    project.provide('ownerUrl', database.value);
    project.provide('templateDatabase', templateDatabase);
    project.provide('temporalAddress', temporal.value.address);
    project.provide('temporalCli', temporal.value.cli);
    if (process.env.LEDGERFLOW_TEST_VERBOSE) console.log(`global setup ready in ${Date.now() - startedAt} ms`);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}

/** The owner URL of TEST_DATABASE_URL's server or of a fresh embedded one, with the template migrated. */
async function startDatabase(stops: (() => Promise<void>)[]): Promise<string> {
  let ownerUrl: string;
  if (process.env.TEST_DATABASE_URL) {
    ownerUrl = process.env.TEST_DATABASE_URL;
  } else {
    const directory = path.join(testDataDirectory, `postgres-${process.pid}`);
    await removeCluster(directory);
    // Registered before the start, so that what a failed start created goes too (a cluster in the fallback directory
    // with its link, when run as root under a private directory).
    stops.push(async () => {
      await removeCluster(directory);
      await rm(`${directory}.log`, { force: true });
    });
    const port = process.env.LEDGERFLOW_TEST_PG_PORT ? Number(process.env.LEDGERFLOW_TEST_PG_PORT) : await freePort();
    const server: EmbeddedPostgres = await startEmbeddedPostgres({
      directory,
      port,
      logFile: `${directory}.log`,
      durable: false,
      fallbackDirectory: process.env.LEDGERFLOW_PG_FALLBACK_DIR || undefined,
    });
    stops.push(() => server.stop());
    ownerUrl = server.ownerUrl('postgres');
  }
  await createTemplate(ownerUrl);
  return ownerUrl;
}

async function startTemporal(stops: (() => Promise<void>)[]): Promise<{ address: string; cli: string }> {
  const cli = await findTemporalCli({ TEMPORAL_CLI: process.env.TEMPORAL_CLI || undefined });
  const logFile = path.join(testDataDirectory, `temporal-${process.pid}.log`);
  const server: TemporalDevServer = await startTemporalDevServer({
    cli,
    port: await freePort(),
    uiPort: await freePort(),
    databaseFile: undefined,
    headless: true,
    logFile,
    namespace: 'default',
  });
  stops.push(async () => {
    await server.stop();
    await rm(logFile, { force: true });
  });
  return { address: server.address, cli };
}

/**
 * A run that was killed leaves `.test-data/postgres-<pid>` behind (or a link to its cluster in the fallback directory);
 * its server died with it (same process group).
 */
async function removeLeftoversOfDeadRuns(): Promise<void> {
  for (const entry of await readdir(testDataDirectory)) {
    const match = /^(?:postgres|temporal)-(\d+)(?:\.log)?$/.exec(entry);
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || isProcessAlive(pid)) continue;
    await removeCluster(path.join(testDataDirectory, entry));
  }
}

