import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from '../helpers/temporal.ts';

/**
 * The layers of docs/architecture.md, checked on every import (type-only imports included, except where a rule
 * says otherwise): adapters (api/, activities/, the worker, the CLI) sit on modules/, modules on domain/ and db/;
 * api/ and activities/ never import each other; the console imports only its own code and the pure domain.
 */
interface Rule {
  /** Folder whose files the rule applies to. */
  from: string;
  /** Why the rule exists, shown with each violation. */
  because: string;
  /** Repository folders (first path segment, or a longer prefix) the files may not import. */
  forbiddenFolders?: string[];
  /** Packages (or package prefixes ending in '/') the files may not import. */
  forbiddenPackages?: string[];
  /** When set, the only repository folders the files may import (relative imports outside are violations). */
  onlyFolders?: string[];
  /** Type-only imports are exempt from the rule. */
  typesExempt?: boolean;
}

export const rules: Rule[] = [
  {
    from: 'api',
    forbiddenFolders: ['activities', 'workers'],
    forbiddenPackages: ['slonik', 'pg'],
    because: 'routes call modules, which own the SQL; activities are Temporal adapters',
  },
  { from: 'activities', forbiddenFolders: ['api', 'workers'], because: 'activities call modules, never the HTTP layer' },
  {
    from: 'modules',
    forbiddenFolders: ['api', 'activities', 'workers', 'cli', 'stack', 'web'],
    forbiddenPackages: ['hono', '@hono/', '@temporalio/worker', '@temporalio/activity'],
    because: 'modules own their tables and rules and know nothing of HTTP or of the worker',
  },
  { from: 'workers', forbiddenFolders: ['api'], because: 'the worker hosts workflows and activities over modules' },
  { from: 'cli', forbiddenFolders: ['api', 'activities'], because: 'the CLI uses modules' },
  { from: 'stack/demo.ts', forbiddenFolders: ['api', 'activities'], because: 'the demo data set is made through the modules' },
  { from: 'db', forbiddenFolders: ['api', 'activities', 'workers', 'modules', 'workflows'], because: 'the database layer is at the bottom' },
  { from: 'workflows', onlyFolders: ['domain', 'workflows'], typesExempt: true, because: 'workflow code is deterministic (see the deterministic-code test)' },
  { from: 'domain', onlyFolders: ['domain'], typesExempt: true, because: 'domain/ is pure' },
  // The console shares domain/'s pure calculations (a payout's fee, money formatting, status words) so a figure
  // it shows before a request is the one the server computes; docs/decisions.md, "The console and domain/".
  { from: 'web/src', onlyFolders: ['web/src', 'domain'], because: 'the console is its own program over the HTTP API' },
];

const importPattern = /^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

async function sourceFiles(folder: string): Promise<string[]> {
  const absolute = path.join(repositoryRoot, folder);
  if (folder.endsWith('.ts')) return [folder];
  const entries = await readdir(absolute, { recursive: true });
  return entries.filter((entry) => entry.endsWith('.ts') && !entry.includes('node_modules')).map((entry) => path.join(folder, entry));
}

function within(target: string, folder: string): boolean {
  return target === folder || target.startsWith(`${folder}/`);
}

export function violations(rule: Rule, file: string, text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(importPattern)) {
    const typeOnly = Boolean(match[2]);
    const specifier = (match[3] ?? match[4])!;
    if (typeOnly && rule.typesExempt) continue;
    if (specifier.startsWith('.')) {
      const target = path.relative(repositoryRoot, path.resolve(repositoryRoot, path.dirname(file), specifier)).split(path.sep).join('/');
      const forbidden = rule.forbiddenFolders?.some((folder) => within(target, folder));
      const outside = rule.onlyFolders && !rule.onlyFolders.some((folder) => within(target, folder));
      if (forbidden || outside) found.push(`${file} imports ${specifier} (${rule.because})`);
    } else if (rule.forbiddenPackages?.some((name) => (name.endsWith('/') ? specifier.startsWith(name) : specifier === name || specifier.startsWith(`${name}/`)))) {
      found.push(`${file} imports ${specifier} (${rule.because})`);
    }
  }
  return found;
}

describe('layering', () => {
  it('every import follows the layers of docs/architecture.md', async () => {
    const found: string[] = [];
    for (const rule of rules) {
      const files = await sourceFiles(rule.from);
      expect(files.length, rule.from).toBeGreaterThan(0);
      for (const file of files) found.push(...violations(rule, file, await readFile(path.join(repositoryRoot, file), 'utf8')));
    }
    expect(found).toEqual([]);
  });

  it('the rules catch an added import in either direction', () => {
    const [api, activities, modules] = rules;
    expect(violations(api!, 'api/routes/x.ts', `import type { Activities } from '../../activities/index.ts';`)).toHaveLength(1);
    expect(violations(activities!, 'activities/x.ts', `import { ApiError } from '../api/errors.ts';`)).toHaveLength(1);
    expect(violations(api!, 'api/routes/x.ts', `import { sql } from 'slonik';`)).toHaveLength(1);
    expect(violations(modules!, 'modules/payouts/x.ts', `import { Hono } from 'hono';\nimport { z } from '@hono/zod-openapi';`)).toHaveLength(2);
    expect(violations(modules!, 'modules/payouts/x.ts', `import { sql } from 'slonik';\nimport { x } from '../../domain/payout.ts';`)).toEqual([]);
    const web = rules.find((rule) => rule.from === 'web/src')!;
    expect(violations(web, 'web/src/pages/x.ts', `import { x } from '../../../modules/payouts/store.ts';`)).toHaveLength(1);
    expect(violations(web, 'web/src/pages/x.ts', `import { x } from '../api.ts';`)).toEqual([]);
  });
});
