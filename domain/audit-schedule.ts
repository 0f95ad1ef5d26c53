import type { AdminRole } from './access.ts';
import { DomainError } from './errors.ts';
import { checkerRefusal, type FourEyesActor } from './four-eyes.ts';

/**
 * The audit schedule (docs/rules.md#audit-schedule): the kinds of audit, their cadences and periods, and the rules of
 * a run's sign-off. Pure (the workflows import it to derive the period a Schedule's run covers).
 */

export const auditKinds = ['transaction-sample', 'balances', 'commission-recalc', 'large-payouts', 'access-review', 'full-export'] as const;
export type AuditKind = (typeof auditKinds)[number];

export type AuditCadence = 'weekly' | 'monthly' | 'quarterly' | 'annual';

export const auditCadences: Record<AuditKind, AuditCadence> = {
  'transaction-sample': 'weekly',
  balances: 'monthly',
  'commission-recalc': 'monthly',
  'large-payouts': 'weekly',
  'access-review': 'quarterly',
  'full-export': 'annual',
};

export const auditDescriptions: Record<AuditKind, string> = {
  'transaction-sample': 'a random 5 % sample of the week’s journal entries, reproducible from the recorded seed, each checked for balance and form',
  balances: 'every balance rebuilt from its postings and compared with the stored one (the ledger’s invariants)',
  'commission-recalc': 'a sample of the month’s commissions recalculated under the policy in force when their event completed, compared with what was posted',
  'large-payouts': 'every payout above 100,000 RUB (equivalent): complete approval chain, distinct approvers, step-up recorded',
  'access-review': 'admins, roles, last sign-in and second factor, reviewed and signed off',
  'full-export': 'the year’s ledger, postings, audit log and approvals as CSV files with a manifest of SHA-256s',
};

/** Who signs a run off (with a fresh TOTP code), as for a reconciled day. */
export const auditSigners: readonly AdminRole[] = ['finance_manager', 'finance_director'];

/** The share of the week's entries the transaction sample takes: 5 %, rounded up (at least one when there are any). */
export const transactionSamplePercent = 5;
/** The share of the month's commissions the recalculation takes: 5 %, rounded up, at least 1, at most this many. */
export const commissionSamplePercent = 5;
export const commissionSampleMax = 2_000;
/** Payouts above this RUB-equivalent are checked every week (docs/rules.md#audit-schedule: "every payout above 100,000 RUB"). */
export const largePayoutRub = '100000';
/** A step-up counts for a decision when its TOTP step began at most this long before the decision was written. */
export const stepUpFreshSeconds = 300;
/** An admin who has not signed in for this long and is not disabled is a finding of the access review. */
export const dormantAdminDays = 90;

export function isAuditKind(text: string): text is AuditKind {
  return (auditKinds as readonly string[]).includes(text);
}

export const auditWorkflowId = (kind: AuditKind, period: string) => `audit-${kind}-${period}`;

export interface AuditPeriod {
  period: string;
  start: Date;
  end: Date;
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');
const dayMs = 86_400_000;

/** The Monday (00:00 UTC) of the ISO week containing `at`. */
function isoWeekStart(at: Date): Date {
  const day = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  const weekday = (new Date(day).getUTCDay() + 6) % 7;
  return new Date(day - weekday * dayMs);
}

/** ISO 8601 week label of a Monday: the year is the year of that week's Thursday. */
function isoWeekLabel(monday: Date): string {
  const thursday = new Date(monday.getTime() + 3 * dayMs);
  const year = thursday.getUTCFullYear();
  const firstMonday = isoWeekStart(new Date(Date.UTC(year, 0, 4)));
  const week = Math.round((monday.getTime() - firstMonday.getTime()) / (7 * dayMs)) + 1;
  return `${year}-W${pad(week)}`;
}

/** The period of a cadence that contains `at`. */
export function periodContaining(cadence: AuditCadence, at: Date): AuditPeriod {
  const year = at.getUTCFullYear();
  const month = at.getUTCMonth();
  switch (cadence) {
    case 'weekly': {
      const start = isoWeekStart(at);
      return { period: isoWeekLabel(start), start, end: new Date(start.getTime() + 7 * dayMs) };
    }
    case 'monthly':
      return { period: `${year}-${pad(month + 1)}`, start: new Date(Date.UTC(year, month, 1)), end: new Date(Date.UTC(year, month + 1, 1)) };
    case 'quarterly': {
      const quarter = Math.floor(month / 3);
      return { period: `${year}-Q${quarter + 1}`, start: new Date(Date.UTC(year, quarter * 3, 1)), end: new Date(Date.UTC(year, quarter * 3 + 3, 1)) };
    }
    case 'annual':
      return { period: String(year), start: new Date(Date.UTC(year, 0, 1)), end: new Date(Date.UTC(year + 1, 0, 1)) };
  }
}

/** The period that ended last before `at` (what a Schedule's run due at `at` audits). */
export function previousPeriod(cadence: AuditCadence, at: Date): AuditPeriod {
  const current = periodContaining(cadence, at);
  return periodContaining(cadence, new Date(current.start.getTime() - 1));
}

const periodPatterns: Record<AuditCadence, { pattern: RegExp; example: string }> = {
  weekly: { pattern: /^(\d{4})-W(\d{2})$/, example: '2026-W49' },
  monthly: { pattern: /^(\d{4})-(\d{2})$/, example: '2026-11' },
  quarterly: { pattern: /^(\d{4})-Q([1-4])$/, example: '2026-Q3' },
  annual: { pattern: /^(\d{4})$/, example: '2025' },
};

/**
 * A period named by a person (the API's `period`), for a kind: well-formed for the kind's cadence, a real period, and
 * ended (an audit covers a closed period). Refusals name `field`.
 */
export function auditablePeriod(kind: AuditKind, text: string, now: Date, field = 'period'): AuditPeriod {
  const cadence = auditCadences[kind];
  const { pattern, example } = periodPatterns[cadence];
  const match = pattern.exec(text);
  const malformed = () => new DomainError('invalid', 'invalid_period', `${kind} runs ${cadence}: the period is written like ${example}`, field);
  if (!match) throw malformed();
  const year = Number(match[1]);
  if (year < 2000) throw malformed();
  let probe: Date;
  switch (cadence) {
    case 'weekly': {
      const week = Number(match[2]);
      probe = new Date(isoWeekStart(new Date(Date.UTC(year, 0, 4))).getTime() + (week - 1) * 7 * dayMs);
      if (week < 1 || isoWeekLabel(probe) !== text) throw malformed();
      break;
    }
    case 'monthly': {
      const month = Number(match[2]);
      if (month < 1 || month > 12) throw malformed();
      probe = new Date(Date.UTC(year, month - 1, 1));
      break;
    }
    case 'quarterly':
      probe = new Date(Date.UTC(year, (Number(match[2]) - 1) * 3, 1));
      break;
    case 'annual':
      probe = new Date(Date.UTC(year, 0, 1));
      break;
  }
  const period = periodContaining(cadence, probe);
  if (period.end.getTime() > now.getTime()) {
    throw new DomainError('invalid', 'period_not_ended', `${text} has not ended: an audit covers a closed period`, field);
  }
  return period;
}

// ---------------------------------------------------------------------------------------------------------------
// The seeded sample. A run records a 256-bit seed; xoshiro128** seeded from it draws the sample. The same seed over
// the same population (ids in ascending order) yields the same sample, on any machine, at any time.

/** One round of the MurmurHash3 finaliser over a golden-ratio increment: spreads every input bit over the output. */
function mix32(value: number): number {
  let z = (value + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * xoshiro128** seeded from a 64-hex-digit seed: each of its four state words mixes all eight 32-bit words of the seed
 * (in a different order), so seeds that differ anywhere give unrelated sequences; the first outputs are discarded.
 */
export function seededRandom(seed: string): () => number {
  if (!/^[0-9a-f]{64}$/.test(seed)) throw new RangeError('a seed is 64 lowercase hex digits');
  const words = Array.from({ length: 8 }, (_, index) => Number.parseInt(seed.slice(index * 8, index * 8 + 8), 16) >>> 0);
  const s: number[] = [0, 1, 2, 3].map((k): number => {
    let accumulator = Math.imul(0x9e3779b9, k + 1) >>> 0;
    for (let j = 0; j < 8; j += 1) accumulator = mix32((accumulator ^ words[(j + 2 * k) % 8]!) >>> 0);
    return accumulator;
  });
  if (Math.max(...s) === 0) s[0] = 0x9e3779b9;
  const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;
  const next = () => {
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2] = (s[2]! ^ s[0]!) >>> 0;
    s[3] = (s[3]! ^ s[1]!) >>> 0;
    s[1] = (s[1]! ^ s[2]!) >>> 0;
    s[0] = (s[0]! ^ s[3]!) >>> 0;
    s[2] = (s[2]! ^ t) >>> 0;
    s[3] = rotl(s[3]!, 11);
    return result;
  };
  for (let burn = 0; burn < 8; burn += 1) next();
  return next;
}

/** How many of `population` a sample of `percent` % takes: rounded up, so a non-empty population gives at least one. */
export function sampleSize(population: number, percent: number, max = Number.POSITIVE_INFINITY): number {
  if (population <= 0) return 0;
  return Math.min(population, max, Math.ceil((population * percent) / 100));
}

/**
 * `size` distinct indices of 0…population−1, drawn by a partial Fisher–Yates shuffle (sparse: memory in the sample's
 * size, not the population's) with unbiased bounded draws; returned ascending.
 */
export function sampleIndices(seed: string, population: number, size: number): number[] {
  if (!Number.isSafeInteger(population) || population < 0 || population > 0xffffffff) throw new RangeError('population out of range');
  if (size > population) throw new RangeError('a sample cannot be larger than its population');
  const next = seededRandom(seed);
  const swapped = new Map<number, number>();
  const picked: number[] = [];
  for (let i = 0; i < size; i += 1) {
    const bound = population - i;
    const limit = Math.floor(0x100000000 / bound) * bound;
    let draw = next();
    while (draw >= limit) draw = next();
    const j = i + (draw % bound);
    const atJ = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
    picked.push(atJ);
  }
  return picked.sort((a, b) => a - b);
}

/** The sampled members of an ascending population. */
export function sampleOf<T>(seed: string, population: readonly T[], percent: number, max?: number): T[] {
  return sampleIndices(seed, population.length, sampleSize(population.length, percent, max)).map((index) => population[index]!);
}

// ---------------------------------------------------------------------------------------------------------------
// Large payouts: what a complete, four-eyed, stepped-up approval chain is.

export interface ChainStep {
  roles: readonly string[];
}

export interface RecordedApproval {
  approverId: string;
  role: string;
  decision: 'APPROVE' | 'REJECT';
  step: number | null;
  decidedAt: Date;
  /** The approver's last accepted TOTP step when the row was written (migration 037), or null. */
  stepUpTotpStep: number | null;
}

export interface ChainProblem {
  check: 'incomplete_chain' | 'approver_not_distinct' | 'step_up_missing' | 'approver_role_not_in_step';
  detail: Record<string, unknown>;
}

/** Whether a decision carries a step-up: a TOTP step accepted shortly before it (see stepUpFreshSeconds). */
export function stepUpRecorded(approval: Pick<RecordedApproval, 'decidedAt' | 'stepUpTotpStep'>, stepSeconds = 30): boolean {
  if (approval.stepUpTotpStep === null) return false;
  const stepStart = approval.stepUpTotpStep * stepSeconds * 1000;
  const lag = approval.decidedAt.getTime() - stepStart;
  // A code is accepted up to one step early or late (clock drift): allow one step either side of the window.
  return lag >= -2 * stepSeconds * 1000 && lag <= (stepUpFreshSeconds + stepSeconds) * 1000;
}

/** The problems of one payout's approvals against its required chain; empty when the chain is complete and clean. */
export function approvalChainProblems(payout: { initiatedBy: string; requiredChain: readonly ChainStep[] }, approvals: readonly RecordedApproval[]): ChainProblem[] {
  const problems: ChainProblem[] = [];
  const approving = approvals.filter((approval) => approval.decision === 'APPROVE');
  const missing: number[] = [];
  payout.requiredChain.forEach((step, index) => {
    const taken = approving.filter((approval) => approval.step === index);
    if (taken.length === 0) missing.push(index);
    for (const approval of taken) {
      if (!step.roles.includes(approval.role)) {
        problems.push({ check: 'approver_role_not_in_step', detail: { step: index, approverId: approval.approverId, role: approval.role, roles: step.roles } });
      }
    }
  });
  if (payout.requiredChain.length === 0 || missing.length > 0) {
    problems.push({ check: 'incomplete_chain', detail: { stepsRequired: payout.requiredChain.length, missingSteps: missing, approvals: approving.length } });
  }
  const people = [payout.initiatedBy, ...approving.map((approval) => approval.approverId)];
  const repeated = [...new Set(people.filter((person, index) => people.indexOf(person) !== index))];
  if (repeated.length > 0) problems.push({ check: 'approver_not_distinct', detail: { initiatedBy: payout.initiatedBy, repeated } });
  const withoutStepUp = approving.filter((approval) => !stepUpRecorded(approval));
  if (withoutStepUp.length > 0) {
    problems.push({
      check: 'step_up_missing',
      detail: { approvers: withoutStepUp.map((approval) => ({ approverId: approval.approverId, decidedAt: approval.decidedAt.toISOString(), totpStep: approval.stepUpTotpStep })) },
    });
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------------
// Findings and sign-off.

export type FindingStatus = 'OPEN' | 'RESOLVED' | 'ACCEPTED';

/** The refusal of a sign-off, or null: once only, a signer's role (never who started it on demand), no open finding. */
export function auditSignOffRefusal(
  run: { status: string; requestedBy: string | null; openFindings: number },
  signer: FourEyesActor,
): DomainError | null {
  if (run.status === 'SIGNED') return new DomainError('conflict', 'already_signed', 'this audit run is already signed off', 'id');
  const refusal = checkerRefusal({ makerUserId: run.requestedBy ?? '', checkerRoles: auditSigners, reason: 'an audit run is signed off' }, signer);
  if (refusal) return new DomainError(refusal.kind, refusal.code, refusal.message, 'role');
  if (run.openFindings > 0) {
    return new DomainError('conflict', 'open_findings', `${run.openFindings} finding(s) are open: resolve or accept each, with a note, first`, 'findings');
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// The export's archive: a POSIX ustar file (readable by every tar), deterministic for the same files.

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

/** A ustar archive of the files, in the order given; mtime fixed so the same content gives the same bytes. */
export function tarArchive(files: readonly { name: string; content: Uint8Array }[], mtimeSeconds: number): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const file of files) {
    if (new TextEncoder().encode(file.name).length > 100) throw new RangeError(`file name too long for ustar: ${file.name}`);
    const header = new Uint8Array(512);
    const write = (text: string, offset: number) => header.set(new TextEncoder().encode(text), offset);
    write(file.name, 0);
    write(octal(0o644, 8), 100);
    write(octal(0, 8), 108);
    write(octal(0, 8), 116);
    write(octal(file.content.length, 12), 124);
    write(octal(mtimeSeconds, 12), 136);
    write('        ', 148);
    write('0', 156);
    write('ustar\0', 257);
    write('00', 263);
    let sum = 0;
    for (const byte of header) sum += byte;
    write(octal(sum, 7) + ' ', 148);
    blocks.push(header, file.content);
    const padding = (512 - (file.content.length % 512)) % 512;
    if (padding > 0) blocks.push(new Uint8Array(padding));
  }
  blocks.push(new Uint8Array(1024));
  const total = blocks.reduce((size, block) => size + block.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const block of blocks) {
    out.set(block, offset);
    offset += block.length;
  }
  return out;
}

/** Reads a ustar archive back (for verifying a download): name and content of each file. */
export function readTarArchive(bytes: Uint8Array): { name: string; content: Uint8Array }[] {
  const files: { name: string; content: Uint8Array }[] = [];
  let offset = 0;
  while (offset + 512 <= bytes.length) {
    const header = bytes.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const text = (start: number, length: number) => new TextDecoder().decode(header.subarray(start, start + length)).replace(/\0.*$/s, '');
    const size = Number.parseInt(text(124, 12).trim(), 8);
    files.push({ name: text(0, 100), content: bytes.slice(offset + 512, offset + 512 + size) });
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}
