import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repositoryRoot } from '../helpers/temporal.ts';

/**
 * The house rule for deterministic code (docs/style.md#workflow-code): workflows/ and domain/ import only the workflow SDK, pure
 * libraries and each other; anything else (activities, Node built-ins, drivers) only as `import type`.
 * No wall clock, environment, or randomness outside the SDK's deterministic versions.
 */
const allowedPackages = ['@temporalio/workflow', '@temporalio/common', 'decimal.js', 'zod'];
const allowedFolders = ['domain', 'workflows'];

async function sourceFiles(folder: string): Promise<string[]> {
  const entries = await readdir(path.join(repositoryRoot, folder), { recursive: true });
  return entries.filter((entry) => entry.endsWith('.ts')).map((entry) => path.join(folder, entry));
}

function violations(file: string, text: string): string[] {
  const found: string[] = [];
  const importPattern = /^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/gm;
  for (const match of text.matchAll(importPattern)) {
    const [, , typeOnly, specifier] = match;
    if (typeOnly) continue;
    if (specifier!.startsWith('.')) {
      const target = path.relative(repositoryRoot, path.resolve(repositoryRoot, path.dirname(file), specifier!));
      if (!allowedFolders.includes(target.split(path.sep)[0]!)) found.push(`${file} imports ${specifier}`);
    } else if (!allowedPackages.includes(specifier!)) {
      found.push(`${file} imports ${specifier}`);
    }
  }
  for (const forbidden of ['Date.now(', 'new Date()', 'process.env', 'Math.random(', 'setTimeout(', 'Bun.']) {
    if (text.includes(forbidden)) found.push(`${file} uses ${forbidden}`);
  }
  return found;
}

describe('deterministic code', () => {
  it('workflows/ and domain/ import only the workflow SDK, pure libraries and each other', async () => {
    const files = [...(await sourceFiles('workflows')), ...(await sourceFiles('domain'))];
    expect(files.length).toBeGreaterThan(3);
    const found = (await Promise.all(files.map(async (file) => violations(file, await readFile(path.join(repositoryRoot, file), 'utf8'))))).flat();
    expect(found).toEqual([]);
  });

  it('the rule catches a forbidden import', () => {
    expect(violations('workflows/x.ts', `import { readFileSync } from 'node:fs';\nimport { sql } from 'slonik';`)).toHaveLength(2);
    expect(violations('workflows/x.ts', `import type { Activities } from '../activities/index.ts';`)).toEqual([]);
  });
});
