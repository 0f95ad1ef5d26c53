import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp, openApiConfiguration } from './app.ts';
import type { ApiDependencies } from './context.ts';

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Dependencies for an app that is built and never served. Building the app only registers its routes, so the
 * routes may keep these (most destructure them) but may not call them: a route that did so while being built
 * would throw here, naming what it used, instead of quietly needing a database to describe itself.
 */
function dependenciesNeverCalled(): ApiDependencies {
  const refuse = (name: string) => () => {
    throw new Error(`the OpenAPI document is built without a server: a route used dependencies.${name} while being registered`);
  };
  return new Proxy({} as ApiDependencies, {
    get: (_, name) => {
      const use = refuse(String(name));
      return new Proxy(use, { get: use, apply: use, construct: use });
    },
  });
}

/** The document GET /openapi.json serves, built without a database, Temporal or a listening server. */
export function openApiDocument() {
  return createApp(dependenciesNeverCalled()).getOpenAPI31Document(openApiConfiguration);
}

export interface LintRun {
  /** Redocly's exit code: 0 when no rule reports an error (warnings do not fail it). */
  status: number;
  stdout: string;
  stderr: string;
}

/** The linter's configuration, and the problems it reports that are right as they are (each says why). */
const lintFiles = ['redocly.yaml', '.redocly.lint-ignore.yaml'];

/**
 * Runs Redocly CLI's `lint` on openApiDocument(), written as openapi.json to a temporary directory beside copies of
 * the repository's lint files: the ignore file names the document by its path from the configuration, so both sit
 * in one directory. Every problem is reported, not the first 100, unless the caller says otherwise.
 *
 * The linter works offline: the environment turns off its usage report and its check for a newer version, the
 * two things it would otherwise send over the network (redocly.yaml says `telemetry: off` too).
 */
export async function lintOpenApiDocument(extraArguments: readonly string[] = []): Promise<LintRun> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'ledgerflow-openapi-'));
  try {
    await writeFile(path.join(directory, 'openapi.json'), `${JSON.stringify(openApiDocument(), null, 2)}\n`);
    for (const file of lintFiles) await copyFile(path.join(repositoryRoot, file), path.join(directory, file));
    const cli = createRequire(import.meta.url).resolve('@redocly/cli/bin/cli.js');
    const maxProblems = extraArguments.some((argument) => argument.startsWith('--max-problems')) ? [] : ['--max-problems=10000'];
    const child = spawn('node', [cli, 'lint', 'openapi.json', '--config=redocly.yaml', ...maxProblems, ...extraArguments], {
      cwd: directory,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const status = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => resolve(code ?? 1));
    });
    return { status, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

// `npm run lint:openapi [-- redocly lint options]`: the linter's own report, and its exit code.
if (import.meta.main) {
  const run = await lintOpenApiDocument(process.argv.slice(2));
  process.stdout.write(run.stdout);
  process.stderr.write(run.stderr);
  process.exit(run.status);
}
