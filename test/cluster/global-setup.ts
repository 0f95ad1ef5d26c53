import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { findClusterBinaries } from '../../stack/cluster-binaries.ts';
import { startTemporalCluster } from '../../stack/cluster.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../stack/postgres.ts';
import { removeCluster } from '../../stack/postgres-location.ts';
import { freePort } from '../../stack/ports.ts';
import { isProcessAlive } from '../../stack/state.ts';
import { findTemporalCli } from '../../stack/temporal.ts';
import { createTemplate, templateDatabase } from '../helpers/template-database.ts';

/**
 * The cluster run's global setup (vitest.cluster.config.ts): what test/helpers/global-setup.ts provides, with the
 * Temporal dev server replaced by the cluster of stack/cluster.ts — frontend, history, matching and worker as four
 * processes, persistence and SQL visibility in two databases of the same throwaway PostgreSQL that holds the test
 * files' databases. The test files are the dev-server run's own, unchanged: they dial `temporalAddress`.
 */

declare module 'vitest' {
  export interface ProvidedContext {
    /** The cluster's frontend address in the cluster run; absent in the dev-server run (test/cluster files skip there). */
    temporalCluster: string;
  }
}

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const testDataDirectory = path.join(repositoryRoot, '.test-data');

export default async function setup(project: TestProject) {
  const startedAt = Date.now();
  const stops: (() => Promise<void>)[] = [];
  const teardown = async () => {
    for (const stop of stops.reverse()) await stop().catch((error: unknown) => console.error('teardown:', error));
  };
  try {
    await mkdir(testDataDirectory, { recursive: true });
    await removeLeftoversOfDeadRuns();
    // The binaries first (a fresh machine builds them: minutes), then PostgreSQL, then the cluster on it.
    const [binaries, cli] = await Promise.all([
      findClusterBinaries({ log: (line) => console.log(line) }),
      findTemporalCli({ TEMPORAL_CLI: process.env.TEMPORAL_CLI || undefined }),
    ]);
    const directory = path.join(testDataDirectory, `cluster-postgres-${process.pid}`);
    await removeCluster(directory);
    stops.push(async () => {
      await removeCluster(directory);
      await rm(`${directory}.log`, { force: true });
    });
    const server: EmbeddedPostgres = await startEmbeddedPostgres({
      directory,
      port: await freePort(),
      logFile: `${directory}.log`,
      durable: false,
      // Four Temporal processes hold up to 13 connections each, beside two test files' pools.
      settings: { max_connections: '300' },
      fallbackDirectory: process.env.LEDGERFLOW_PG_FALLBACK_DIR || undefined,
    });
    stops.push(() => server.stop());
    const ownerUrl = server.ownerUrl('postgres');
    await createTemplate(ownerUrl);

    const clusterDirectory = path.join(testDataDirectory, `cluster-temporal-${process.pid}`);
    stops.push(() => rm(clusterDirectory, { recursive: true, force: true }));
    const cluster = await startTemporalCluster({
      binaries,
      postgresUrl: ownerUrl,
      directory: clusterDirectory,
      namespace: 'default',
    });
    stops.push(() => cluster.stop());

    project.provide('ownerUrl', ownerUrl);
    project.provide('templateDatabase', templateDatabase);
    project.provide('temporalAddress', cluster.address);
    project.provide('temporalCli', cli);
    project.provide('temporalCluster', cluster.address);
    console.log(`cluster global setup ready in ${Date.now() - startedAt} ms (Temporal frontend ${cluster.address}, services ${[...cluster.services.values()].map((service) => `${service.name} pid ${service.process.pid}`).join(', ')})`);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}

/** A killed run leaves `.test-data/cluster-{postgres,temporal}-<pid>` behind; its servers died with it (same process group). */
async function removeLeftoversOfDeadRuns(): Promise<void> {
  for (const entry of await readdir(testDataDirectory)) {
    const match = /^cluster-(?:postgres|temporal)-(\d+)(?:\.log)?$/.exec(entry);
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || isProcessAlive(pid)) continue;
    if (entry.startsWith('cluster-temporal-')) await rm(path.join(testDataDirectory, entry), { recursive: true, force: true });
    else await removeCluster(path.join(testDataDirectory, entry));
  }
}
