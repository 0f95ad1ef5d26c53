import { defaultMatchingRules, matchStatement, type LineItem, type PayoutItem } from '../domain/statement-matching.ts';

/**
 * The matcher alone (domain/statement-matching.ts, docs/rules.md#statement-matching): a day of BENCH_PAYOUTS completed
 * payouts (default 10,000) against a statement stating each on one line, except that every 100th is missing, every
 * 100th (offset 1) is split in two, every 100th (offset 2) states another amount, and 1 % extra lines nothing settled.
 * Prints the time and the outcome counts. `bun bench/statement-matching.ts` (or `npx tsx`).
 */
const count = Number(process.env.BENCH_PAYOUTS ?? 10_000);
const day = '2026-12-01';
const payouts: PayoutItem[] = [];
const lines: LineItem[] = [];
for (let index = 0; index < count; index += 1) {
  const id = `p${String(index).padStart(7, '0')}`;
  const reference = `sbx_${index.toString(16).padStart(8, '0')}`;
  const cents = 1_000 + ((index * 7_919) % 500_000);
  const amount = (cents / 100).toFixed(2);
  payouts.push({ id, references: [reference, id], amount, currency: 'USD', day });
  if (index % 100 === 0) continue;
  if (index % 100 === 1) {
    const first = Math.floor(cents / 2);
    lines.push({ id: `l${id}a`, reference, amount: (first / 100).toFixed(2), currency: 'USD', valueDate: day });
    lines.push({ id: `l${id}b`, reference, amount: ((cents - first) / 100).toFixed(2), currency: 'USD', valueDate: day });
    continue;
  }
  lines.push({ id: `l${id}`, reference, amount: index % 100 === 2 ? ((cents + 1) / 100).toFixed(2) : amount, currency: 'USD', valueDate: day });
}
for (let index = 0; index < count / 100; index += 1) {
  lines.push({ id: `x${index}`, reference: null, amount: (0.01 * (index + 1) + 0.005).toFixed(3), currency: 'USD', valueDate: day });
}
const started = performance.now();
const result = matchStatement(payouts, lines, defaultMatchingRules);
const elapsed = performance.now() - started;
const byRule = new Map<string, number>();
for (const match of result.matches) byRule.set(match.rule, (byRule.get(match.rule) ?? 0) + 1);
console.log(
  `${count} payouts, ${lines.length} lines: matched in ${(elapsed / 1000).toFixed(2)} s; ` +
    `${[...byRule].map(([rule, n]) => `${rule} ${n}`).join(', ')}; unmatched payouts ${result.unmatchedPayoutIds.length}, lines ${result.unmatchedLineIds.length}; ` +
    `heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB`,
);
