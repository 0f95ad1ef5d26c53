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

export interface LintSummary {
  totals: { errors: number; warnings: number; ignored: number };
  /** Each problem as "severity rule: message", under the operation it is in ("GET /v1/payouts/{id}"). */
  problemsByOperation: Record<string, string[]>;
}

const httpMethods = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']);

/** "GET /v1/payouts/{id}" for a JSON pointer into an operation; the pointer itself elsewhere in the document. */
function operationOf(pointer: string | undefined): string {
  const [, encodedPath, method] = /^#\/paths\/([^/]+)\/([^/]+)/.exec(pointer ?? '') ?? [];
  if (!encodedPath || !method || !httpMethods.has(method)) return pointer ?? 'the document';
  return `${method.toUpperCase()} ${encodedPath.replaceAll('~1', '/').replaceAll('~0', '~')}`;
}

/**
 * The linter's findings grouped by operation, so that they read as what each route's owner has to fix. Problems
 * the ignore file names are only counted: it says why each is right.
 */
export async function lintSummary(): Promise<LintSummary> {
  const run = await lintOpenApiDocument(['--format=json']);
  let report: { totals: LintSummary['totals']; problems: { ruleId: string; severity: string; message: string; location: { pointer?: string }[] }[] };
  try {
    report = JSON.parse(run.stdout);
  } catch {
    throw new Error(`redocly lint printed no JSON report (exit ${run.status}): ${run.stderr.slice(-2_000)}`);
  }
  const problemsByOperation: Record<string, string[]> = {};
  for (const problem of report.problems) {
    (problemsByOperation[operationOf(problem.location[0]?.pointer)] ??= []).push(`${problem.severity} ${problem.ruleId}: ${problem.message}`);
  }
  return { totals: report.totals, problemsByOperation };
}

/**
 * `npm run lint:openapi`: the problems by operation, failing on a warning as well as on an error (Redocly itself
 * fails on errors only). `npm run lint:openapi -- <redocly lint options>` gives Redocly's own report and exit code.
 */
if (import.meta.main) {
  const options = process.argv.slice(2);
  if (options.length > 0) {
    const run = await lintOpenApiDocument(options);
    process.stdout.write(run.stdout);
    process.stderr.write(run.stderr);
    process.exit(run.status);
  }
  const { totals, problemsByOperation } = await lintSummary();
  for (const [operation, problems] of Object.entries(problemsByOperation)) {
    console.log(`${operation}\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
  }
  console.log(`OpenAPI document: errors ${totals.errors}, warnings ${totals.warnings}, ignored ${totals.ignored} (.redocly.lint-ignore.yaml says why)`);
  process.exit(totals.errors + totals.warnings > 0 ? 1 : 0);
}
