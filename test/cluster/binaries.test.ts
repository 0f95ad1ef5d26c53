import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findClusterBinaries } from '../../stack/cluster-binaries.ts';
import { clusterConfigYaml } from '../../stack/cluster.ts';
import { StackError } from '../../stack/state.ts';
import { temporalCliCacheDirectory } from '../../stack/temporal.ts';

describe('findClusterBinaries: the Temporal server and SQL tool, found like the CLI', () => {
  let root: string;
  let explicit: { server: string; sqlTool: string };
  let pathDirectory: string;
  let onPath: { server: string; sqlTool: string };
  let cacheHome: string;
  let cached: { server: string; sqlTool: string };

  async function fakeExecutable(file: string) {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, '#!/bin/sh\nexit 0\n');
    await chmod(file, 0o755);
    return file;
  }

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'ledgerflow-cluster-binaries-'));
    explicit = { server: await fakeExecutable(path.join(root, 'explicit', 'server')), sqlTool: await fakeExecutable(path.join(root, 'explicit', 'sql')) };
    pathDirectory = path.join(root, 'on-path');
    onPath = { server: await fakeExecutable(path.join(pathDirectory, 'temporal-server')), sqlTool: await fakeExecutable(path.join(pathDirectory, 'temporal-sql-tool')) };
    cacheHome = path.join(root, 'cache');
    const cache = temporalCliCacheDirectory({ XDG_CACHE_HOME: cacheHome });
    cached = { server: await fakeExecutable(path.join(cache, 'temporal-server-1.29.1')), sqlTool: await fakeExecutable(path.join(cache, 'temporal-sql-tool-1.29.1')) };
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('TEMPORAL_SERVER and TEMPORAL_SQL_TOOL come first, then PATH, then the versioned names in the cache', async () => {
    expect(await findClusterBinaries({ environment: { TEMPORAL_SERVER: explicit.server, TEMPORAL_SQL_TOOL: explicit.sqlTool, PATH: pathDirectory, XDG_CACHE_HOME: cacheHome }, install: false })).toEqual(explicit);
    expect(await findClusterBinaries({ environment: { PATH: pathDirectory, XDG_CACHE_HOME: cacheHome }, install: false })).toEqual(onPath);
    expect(await findClusterBinaries({ environment: { PATH: path.join(root, 'nothing'), XDG_CACHE_HOME: cacheHome }, install: false })).toEqual(cached);
    // Each binary is looked up on its own: the server from its variable, the tool from the cache.
    expect(await findClusterBinaries({ environment: { TEMPORAL_SERVER: explicit.server, PATH: '', XDG_CACHE_HOME: cacheHome }, install: false })).toEqual({ server: explicit.server, sqlTool: cached.sqlTool });
  });

  it('a variable naming no executable, or nothing found, is a StackError saying what to do', async () => {
    const wrong = findClusterBinaries({ environment: { TEMPORAL_SERVER: path.join(root, 'missing'), XDG_CACHE_HOME: cacheHome }, install: false });
    await expect(wrong).rejects.toBeInstanceOf(StackError);
    await expect(wrong).rejects.toThrow(/TEMPORAL_SERVER=.*missing is not an executable file/);
    const none = findClusterBinaries({ environment: { PATH: '', XDG_CACHE_HOME: path.join(root, 'empty-cache') }, install: false });
    await expect(none).rejects.toThrow(/no Temporal server binaries found \(temporal-server, temporal-sql-tool\)/);
    await expect(none).rejects.toMatchObject({ whatToDo: expect.stringMatching(/install Go .* or set TEMPORAL_SERVER and TEMPORAL_SQL_TOOL/) });
    // Nothing found and no Go to build with.
    await expect(findClusterBinaries({ environment: { PATH: path.join(root, 'nothing'), XDG_CACHE_HOME: path.join(root, 'empty-cache') } })).rejects.toThrow(/no go on PATH/);
  });
});

describe('the generated server configuration', () => {
  it('names both stores, every service with its ports, and the frontend as the public client', () => {
    const yaml = clusterConfigYaml({
      endpoint: { host: '127.0.0.1', port: 5432, user: 'postgres', password: 'p"w' },
      persistenceDatabase: 'temporal',
      visibilityDatabase: 'temporal_visibility',
      historyShards: 4,
      ports: { history: { grpc: 7234, membership: 20001 }, matching: { grpc: 7235, membership: 20002 }, frontend: { grpc: 7233, membership: 20003, http: 7243 }, worker: { grpc: 7239, membership: 20004 } },
      dynamicConfigFile: '/data/dynamicconfig.yaml',
    });
    expect(yaml).toContain('numHistoryShards: 4');
    expect(yaml).toContain('databaseName: "temporal_visibility"');
    // A password is quoted as a YAML string, whatever it holds.
    expect(yaml).toContain('password: "p\\"w"');
    for (const [service, grpc, membership] of [['history', 7234, 20001], ['matching', 7235, 20002], ['frontend', 7233, 20003], ['worker', 7239, 20004]] as const) {
      expect(yaml).toMatch(new RegExp(`  ${service}:\\n    rpc:\\n      grpcPort: ${grpc}\\n      membershipPort: ${membership}\\n`));
    }
    expect(yaml).toMatch(/publicClient:\n  hostPort: "127\.0\.0\.1:7233"/);
    expect(yaml).toContain('filepath: "/data/dynamicconfig.yaml"');
  });
});
