import { describe, expect, it } from 'vitest';
import {
  approvalChainProblems,
  auditablePeriod,
  periodContaining,
  previousPeriod,
  readTarArchive,
  sampleIndices,
  sampleOf,
  sampleSize,
  seededRandom,
  stepUpRecorded,
  tarArchive,
} from '../../domain/audit-schedule.ts';

/** The audit schedule's pure rules (docs/rules.md#audit-schedule): periods, the seeded sample, approval chains, the archive. */

const seed = '0123456789abcdef'.repeat(4);

describe('the seeded sample', () => {
  it('draws the same sample from the same seed, and another from another seed', () => {
    const population = Array.from({ length: 10_000 }, (_, index) => `e${index}`);
    const first = sampleOf(seed, population, 5);
    expect(first).toHaveLength(500);
    expect(sampleOf(seed, population, 5)).toEqual(first);
    expect(new Set(first).size).toBe(500);
    expect(sampleOf('f'.repeat(64), population, 5)).not.toEqual(first);
  });

  it('rounds 5 % up and never exceeds the population or the cap', () => {
    expect([0, 1, 19, 20, 21, 30, 1000].map((n) => sampleSize(n, 5))).toEqual([0, 1, 1, 1, 2, 2, 50]);
    expect(sampleSize(1_000_000, 5, 2000)).toBe(2000);
  });

  it('takes every index with about the same frequency (no bias towards either end)', () => {
    const counts = new Array<number>(20).fill(0);
    for (let round = 0; round < 2000; round += 1) {
      const roundSeed = round.toString(16).padStart(64, '0');
      for (const index of sampleIndices(roundSeed, 20, 3)) counts[index]! += 1;
    }
    // Expected 300 each (2000 × 3 / 20); a fair draw stays well within ±25 %.
    for (const count of counts) expect(Math.abs(count - 300)).toBeLessThan(75);
  });

  it('is a fixed sequence for a seed (the recorded seed reproduces the run on any machine)', () => {
    const next = seededRandom(seed);
    const values = [next(), next(), next()];
    const again = seededRandom(seed);
    expect([again(), again(), again()]).toEqual(values);
    expect(() => seededRandom('xyz')).toThrow(RangeError);
    // Pinned: a recorded seed must draw the same sample after any upgrade. Changing the generator breaks every
    // recorded run's reproducibility; this vector fails first.
    expect(values).toEqual([3065009038, 2847108595, 2640568387]);
    expect(sampleIndices(seed, 1000, 5)).toEqual([38, 109, 151, 554, 768]);
  });
});

describe('periods', () => {
  it('names ISO weeks, months, quarters and years, and the one that ended before a time', () => {
    const at = new Date('2026-12-06T14:00:00Z'); // a Sunday
    expect(periodContaining('weekly', at)).toMatchObject({ period: '2026-W49', start: new Date('2026-11-30T00:00:00Z'), end: new Date('2026-12-07T00:00:00Z') });
    expect(previousPeriod('weekly', at).period).toBe('2026-W48');
    expect(previousPeriod('monthly', at)).toMatchObject({ period: '2026-11', start: new Date('2026-11-01T00:00:00Z') });
    expect(previousPeriod('quarterly', at)).toMatchObject({ period: '2026-Q3', start: new Date('2026-07-01T00:00:00Z'), end: new Date('2026-10-01T00:00:00Z') });
    expect(previousPeriod('annual', at).period).toBe('2025');
    // ISO years: 2021-01-03 is in 2020-W53; 2024-12-30 in 2025-W01.
    expect(periodContaining('weekly', new Date('2021-01-03T12:00:00Z')).period).toBe('2020-W53');
    expect(periodContaining('weekly', new Date('2024-12-30T12:00:00Z')).period).toBe('2025-W01');
    expect(previousPeriod('quarterly', new Date('2026-01-01T02:00:00Z')).period).toBe('2025-Q4');
  });

  it('accepts a period only in its kind’s form, real and ended, naming the field', () => {
    const now = new Date('2026-12-06T14:00:00Z');
    expect(auditablePeriod('large-payouts', '2020-W53', now).start).toEqual(new Date('2020-12-28T00:00:00Z'));
    for (const [kind, text] of [['large-payouts', '2021-W53'], ['large-payouts', '2026-11'], ['balances', '2026-00'], ['access-review', '2026-Q5'], ['full-export', '26']] as const) {
      expect(() => auditablePeriod(kind, text, now, 'body.period')).toThrow(expect.objectContaining({ code: 'invalid_period', field: 'body.period' }));
    }
    expect(() => auditablePeriod('balances', '2026-12', now)).toThrow(expect.objectContaining({ code: 'period_not_ended' }));
    expect(() => auditablePeriod('full-export', '2026', now)).toThrow(expect.objectContaining({ code: 'period_not_ended' }));
    expect(auditablePeriod('full-export', '2025', now).period).toBe('2025');
  });
});

describe('approval chains of large payouts', () => {
  const decidedAt = new Date('2026-12-01T10:00:10Z');
  const step = Math.floor(decidedAt.getTime() / 30_000);
  const chain = [{ roles: ['finance_manager'] }, { roles: ['senior_admin'] }];
  const approval = (approverId: string, role: string, index: number, totpStep: number | null = step) =>
    ({ approverId, role, decision: 'APPROVE' as const, step: index, decidedAt, stepUpTotpStep: totpStep });

  it('finds nothing in a complete chain of distinct people who each stepped up', () => {
    expect(approvalChainProblems({ initiatedBy: 'u0', requiredChain: chain }, [approval('u1', 'finance_manager', 0), approval('u2', 'senior_admin', 1)])).toEqual([]);
  });

  it('finds a missing step, the initiator approving, a role outside its step and an approval without a step-up', () => {
    const problems = approvalChainProblems({ initiatedBy: 'u0', requiredChain: chain }, [approval('u0', 'admin', 0, step - 100)]);
    expect(problems.map((problem) => problem.check).sort()).toEqual(['approver_not_distinct', 'approver_role_not_in_step', 'incomplete_chain', 'step_up_missing']);
  });

  it('counts a step-up only when its TOTP step is at most five minutes before the decision', () => {
    expect(stepUpRecorded({ decidedAt, stepUpTotpStep: step })).toBe(true);
    expect(stepUpRecorded({ decidedAt, stepUpTotpStep: step + 1 })).toBe(true);
    expect(stepUpRecorded({ decidedAt, stepUpTotpStep: step - 10 })).toBe(true);
    expect(stepUpRecorded({ decidedAt, stepUpTotpStep: step - 12 })).toBe(false);
    expect(stepUpRecorded({ decidedAt, stepUpTotpStep: null })).toBe(false);
  });
});

describe('the export archive', () => {
  it('writes a ustar archive that reads back file by file, the same bytes for the same files', () => {
    const files = [
      { name: 'audit-2025/a.csv', content: new TextEncoder().encode('x,y\r\n1,2\r\n') },
      { name: 'audit-2025/empty.csv', content: new Uint8Array(0) },
      { name: 'audit-2025/big.csv', content: new Uint8Array(1500).fill(65) },
    ];
    const archive = tarArchive(files, 1_700_000_000);
    expect(archive.length % 512).toBe(0);
    expect(readTarArchive(archive)).toEqual(files);
    expect(tarArchive(files, 1_700_000_000)).toEqual(archive);
  });
});
