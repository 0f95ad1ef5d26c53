import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { StackError } from '../../stack/state.ts';
import { findTemporalCli, temporalCliCacheDirectory } from '../../stack/temporal.ts';
import { searchAttributeTypes } from '../../workflows/search-attributes.ts';

describe('findTemporalCli', () => {
  let root: string;
  let explicitCli: string;
  let pathDirectory: string;
  let pathCli: string;
  let cacheHome: string;
  let cachedCli: string;

  async function fakeExecutable(file: string) {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, '#!/bin/sh\nexit 0\n');
    await chmod(file, 0o755);
    return file;
  }

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'ledgerflow-temporal-cli-'));
    explicitCli = await fakeExecutable(path.join(root, 'explicit', 'temporal'));
    pathDirectory = path.join(root, 'on-path');
    pathCli = await fakeExecutable(path.join(pathDirectory, 'temporal'));
    cacheHome = path.join(root, 'cache');
    cachedCli = await fakeExecutable(path.join(temporalCliCacheDirectory({ XDG_CACHE_HOME: cacheHome }), 'temporal'));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('when TEMPORAL_CLI is set, it is chosen over temporal on PATH and the cached build', async () => {
    const found = await findTemporalCli(
      { TEMPORAL_CLI: explicitCli },
      { environment: { PATH: pathDirectory, XDG_CACHE_HOME: cacheHome }, install: false },
    );
    expect(found).toBe(explicitCli);
  });

  it('when TEMPORAL_CLI is only in the environment, it is still chosen first', async () => {
    const found = await findTemporalCli(
      { TEMPORAL_CLI: undefined },
      { environment: { TEMPORAL_CLI: explicitCli, PATH: pathDirectory, XDG_CACHE_HOME: cacheHome }, install: false },
    );
    expect(found).toBe(explicitCli);
  });

  it('without TEMPORAL_CLI, temporal on PATH is chosen over the cached build', async () => {
    const found = await findTemporalCli(
      { TEMPORAL_CLI: undefined },
      { environment: { PATH: pathDirectory, XDG_CACHE_HOME: cacheHome }, install: false },
    );
    expect(found).toBe(pathCli);
  });

  it('with neither TEMPORAL_CLI nor temporal on PATH, the cached build under XDG_CACHE_HOME is chosen', async () => {
    const found = await findTemporalCli(
      { TEMPORAL_CLI: undefined },
      { environment: { PATH: path.join(root, 'empty'), XDG_CACHE_HOME: cacheHome }, install: false },
    );
    expect(found).toBe(cachedCli);
  });

  it('when TEMPORAL_CLI names something that is not an executable file, it is refused rather than skipped', async () => {
    const attempt = findTemporalCli(
      { TEMPORAL_CLI: path.join(root, 'missing', 'temporal') },
      { environment: { PATH: pathDirectory, XDG_CACHE_HOME: cacheHome }, install: false },
    );
    await expect(attempt).rejects.toBeInstanceOf(StackError);
    await expect(attempt).rejects.toThrow(/TEMPORAL_CLI=.* is not an executable file/);
  });

  it('when nothing is found, the one-line error says what to do', async () => {
    const attempt = findTemporalCli(
      { TEMPORAL_CLI: undefined },
      { environment: { PATH: path.join(root, 'empty'), XDG_CACHE_HOME: path.join(root, 'no-cache') }, install: false },
    );
    await expect(attempt).rejects.toThrow(/install Go .* set TEMPORAL_CLI .* set TEMPORAL_ADDRESS/);
    const message = await attempt.catch((error: Error) => error.message);
    expect(message).not.toContain('\n');
  });
});

describe('the Temporal dev server from global setup', () => {
  it('answers on the provided address with every ledgerflow search attribute registered', async () => {
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    try {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      expect(Object.keys(customAttributes ?? {})).toEqual(expect.arrayContaining(Object.keys(searchAttributeTypes)));
    } finally {
      await connection.close();
    }
  });
});
