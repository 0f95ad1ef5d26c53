import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { StackError } from './state.ts';
import { executableName, findOnPath, goInstall, isExecutableFile, temporalCliCacheDirectory } from './temporal.ts';

/**
 * The Temporal server release cluster mode runs (the same server the CLI v1.5.1 embeds for `start-dev`), and its
 * two binaries: the server (`go.temporal.io/server/cmd/server`, all four services in one binary, one service per
 * process with `start --service NAME`) and the SQL schema tool (`cmd/tools/sql`, with the PostgreSQL schema of
 * this release embedded: `update-schema --schema-name postgresql/v12/temporal`).
 */
export const temporalServerVersion = 'v1.29.1';
const serverModule = 'go.temporal.io/server';

export interface ClusterBinaries {
  server: string;
  sqlTool: string;
}

interface BinarySpec {
  /** TEMPORAL_SERVER / TEMPORAL_SQL_TOOL: an explicit binary. */
  variable: 'TEMPORAL_SERVER' | 'TEMPORAL_SQL_TOOL';
  /** The name Temporal's own release archives and images give it, looked for on PATH. */
  pathName: string;
  /** The name it is cached under, with the version, so that a new release never runs an old binary. */
  cachedName: string;
  /** The package `go install` builds, and the binary name it produces. */
  goPackage: string;
  goName: string;
}

const specs: Record<keyof ClusterBinaries, BinarySpec> = {
  server: {
    variable: 'TEMPORAL_SERVER',
    pathName: 'temporal-server',
    cachedName: `temporal-server-${temporalServerVersion.slice(1)}`,
    goPackage: `${serverModule}/cmd/server`,
    goName: 'server',
  },
  sqlTool: {
    variable: 'TEMPORAL_SQL_TOOL',
    pathName: 'temporal-sql-tool',
    cachedName: `temporal-sql-tool-${temporalServerVersion.slice(1)}`,
    goPackage: `${serverModule}/cmd/tools/sql`,
    goName: 'sql',
  },
};

const noBinaryAdvice =
  'install Go (https://go.dev/dl) and rerun (the first build takes about 6 minutes), or set TEMPORAL_SERVER and TEMPORAL_SQL_TOOL to temporal-server and temporal-sql-tool binaries of ' +
  temporalServerVersion;

export interface FindClusterBinariesOptions {
  environment?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  /** Whether to build the binaries with Go when they are not found; tests of the lookup order turn it off. */
  install?: boolean;
}

/**
 * The server and SQL tool binaries, each first found of: its variable (TEMPORAL_SERVER, TEMPORAL_SQL_TOOL),
 * `temporal-server` / `temporal-sql-tool` on PATH, the ledgerflow cache (`~/.cache/ledgerflow/bin/
 * temporal-server-1.29.1`, `temporal-sql-tool-1.29.1`), a fresh `go install` of both into that cache (one build, the
 * packages shared). Throws a StackError saying what to do when none works, as findTemporalCli does for the CLI.
 */
export async function findClusterBinaries(options: FindClusterBinariesOptions = {}): Promise<ClusterBinaries> {
  const environment = options.environment ?? process.env;
  const log = options.log ?? ((line: string) => console.error(line));
  const cacheDirectory = temporalCliCacheDirectory(environment);

  const lookUp = (spec: BinarySpec): string | undefined => {
    const explicit = environment[spec.variable];
    if (explicit) {
      const resolved = path.resolve(explicit);
      if (!isExecutableFile(resolved)) {
        throw new StackError(`${spec.variable}=${explicit} is not an executable file`, `point ${spec.variable} at a ${spec.pathName} binary, or unset it`);
      }
      return resolved;
    }
    const onPath = findOnPath(executableName(spec.pathName), environment);
    if (onPath) return onPath;
    const cached = path.join(cacheDirectory, executableName(spec.cachedName));
    return isExecutableFile(cached) ? cached : undefined;
  };

  let server = lookUp(specs.server);
  let sqlTool = lookUp(specs.sqlTool);
  if (server && sqlTool) return { server, sqlTool };
  if (options.install === false) {
    throw new StackError(`no Temporal server binaries found (${[server ? '' : specs.server.pathName, sqlTool ? '' : specs.sqlTool.pathName].filter(Boolean).join(', ')})`, noBinaryAdvice);
  }
  const go = findOnPath(executableName('go'), environment);
  if (!go) throw new StackError(`no Temporal server binaries found and no go on PATH to build them`, noBinaryAdvice);

  const missing = (['server', 'sqlTool'] as const).filter((name) => (name === 'server' ? !server : !sqlTool));
  log(`ledgerflow: building the Temporal server ${temporalServerVersion} (${missing.map((name) => specs[name].pathName).join(', ')}) with Go into ${cacheDirectory} (about 6 minutes, once)`);
  // Built into a staging directory, then renamed: a half-written binary never sits under the cached name.
  const staging = path.join(cacheDirectory, `.staging-${process.pid}`);
  await mkdir(staging, { recursive: true });
  try {
    await goInstallServer(go, staging, missing.map((name) => `${specs[name].goPackage}@${temporalServerVersion}`), environment);
    for (const name of missing) {
      const built = path.join(staging, executableName(specs[name].goName));
      const cached = path.join(cacheDirectory, executableName(specs[name].cachedName));
      if (!isExecutableFile(built)) throw new StackError(`go install did not produce ${built}`, noBinaryAdvice);
      await rename(built, cached);
      if (name === 'server') server = cached;
      else sqlTool = cached;
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return { server: server!, sqlTool: sqlTool! };
}

async function goInstallServer(go: string, bin: string, packages: string[], environment: NodeJS.ProcessEnv): Promise<void> {
  try {
    await goInstall(go, bin, packages, environment);
  } catch (error) {
    throw new StackError(`building the Temporal server failed (go install ${error instanceof Error ? error.message : String(error)})`, noBinaryAdvice);
  }
}
