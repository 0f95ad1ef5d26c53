#!/usr/bin/env node
// Launches the ledgerflow CLI (TypeScript) on the Bun that ships in the `bun` npm package.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
let bun;
try {
  bun = require.resolve('bun/bin/bun.exe');
} catch {
  console.error('ledgerflow: Bun is not installed: run `npm install` in the ledgerflow directory');
  process.exit(2);
}
const main = fileURLToPath(new URL('../cli/main.ts', import.meta.url));
const result = spawnSync(bun, [main, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
