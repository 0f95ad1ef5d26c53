/**
 * The long run of the fuzz suite (docs/rules.md#fuzzing; the short one is test/api/fuzz.test.ts):
 *
 *   npm run fuzz -- --requests 10000 [--seed 42] [--from 0]
 *   bun test/soak/fuzz.ts --requests 10000
 *
 * It starts what `vitest run` starts (test/helpers/global-setup.ts: an embedded PostgreSQL with a migrated template
 * unless TEST_DATABASE_URL names a server, and an in-memory Temporal dev server), builds the API harness on a fresh
 * database, sends the generated requests one at a time and prints requests tried, answers per status, per persona,
 * and every failure with the request that reproduces it (`--seed S --from I --requests 1` sends request I alone).
 * It exits 1 when it found a failure.
 */
import { parseArgs } from 'node:util';
import type { TestProject } from 'vitest/node';
import setup from '../helpers/global-setup.ts';
import { createApiHarness } from '../helpers/api.ts';
import { formatReport, Fuzzer } from '../helpers/fuzz.ts';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '10000' },
    seed: { type: 'string' },
    from: { type: 'string', default: '0' },
    directors: { type: 'string', default: '4' },
  },
});
const requests = Number(values.requests);
const from = Number(values.from);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
if (!Number.isInteger(requests) || requests <= 0) throw new Error('--requests must be a positive whole number');
if (!Number.isInteger(from) || from < 0) throw new Error('--from must be a whole number');
if (!Number.isInteger(seed)) throw new Error('--seed must be a whole number');

const webhookSecret = 'fuzz-webhook-secret-0123456789abcdef';
const provided: Record<string, string> = {};
const project = { provide: (key: string, value: string) => { provided[key] = value; } } as unknown as TestProject;
console.error('fuzz: starting PostgreSQL and the Temporal dev server');
const teardown = await setup(project);
let exitCode = 0;
try {
  const api = await createApiHarness({
    server: { ownerUrl: provided.ownerUrl!, templateDatabase: provided.templateDatabase! },
    temporalAddress: provided.temporalAddress!,
    providerWebhookSecret: webhookSecret,
  });
  const fuzzer = new Fuzzer(api, { seed, directors: Number(values.directors), webhookSecret, log: (line) => console.error(line) });
  try {
    await fuzzer.prepare();
    console.error(`fuzz: seed ${seed}, requests ${from}..${from + requests - 1} over ${fuzzer.operations.length} operations`);
    const chunk = 500;
    for (let start = from; start < from + requests; start += chunk) {
      const report = await fuzzer.run(start, Math.min(chunk, from + requests - start));
      console.error(`fuzz: ${report.requests} requests, ${report.failures.length} failures, ${(report.elapsedMilliseconds / 1_000).toFixed(0)} s`);
    }
    console.log(formatReport(fuzzer.report, fuzzer.operations));
    if (fuzzer.report.otherFieldExamples.length > 0) {
      console.log('  400s naming another field than the one made invalid (the first few; not failures: a generated "valid" value may break a rule the schema does not state):');
      for (const example of fuzzer.report.otherFieldExamples.slice(0, 15)) console.log(`    ${example}`);
    }
    if (fuzzer.report.failures.length > 0) exitCode = 1;
  } finally {
    await fuzzer.close();
    await api.close();
  }
} catch (error) {
  console.error(error);
  exitCode = 2;
} finally {
  await teardown();
}
process.exit(exitCode);
