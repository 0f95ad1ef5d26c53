import Decimal from 'decimal.js';
import type { UserRole } from './access.ts';
import { Money, currencyScale, formatMoney } from './money.ts';
import { defaultPartnerValidation, type ApprovalTier, type PartnerValidationPolicy, type PaymentMethod, type PayoutPolicy, type PayoutPriority } from './payout-policy.ts';
import type { Rank } from './network.ts';
import { payoutHoldingFlags, type PartnerFlagKind } from './partner-flags.ts';

/**
 * The payout lifecycle (docs/rules.md#payout-statuses) as the workflow runs it: REQUESTED → [HELD] → [AWAITING_PARTNER] →
 * AWAITING_APPROVAL → APPROVED → PROCESSING → COMPLETED, with the side exits. AWAITING_PARTNER (the
 * "Pending" in docs/rules.md#partner-validation) only when the policy the payout started under asks for the partner's validation. DRAFT comes before
 * any workflow (modules/payouts/create-payout.ts).
 */
export const payoutStatuses = [
  'REQUESTED', 'HELD', 'AWAITING_PARTNER', 'AWAITING_APPROVAL', 'APPROVED', 'PROCESSING', 'COMPLETED', 'REJECTED', 'CANCELLED', 'FAILED',
] as const;
export type PayoutStatus = (typeof payoutStatuses)[number];

export const terminalPayoutStatuses = ['COMPLETED', 'REJECTED', 'CANCELLED', 'FAILED'] as const satisfies readonly PayoutStatus[];

const transitions: Record<PayoutStatus, readonly PayoutStatus[]> = {
  REQUESTED: ['HELD', 'AWAITING_PARTNER', 'AWAITING_APPROVAL', 'REJECTED', 'CANCELLED'],
  HELD: ['AWAITING_PARTNER', 'AWAITING_APPROVAL', 'REJECTED', 'CANCELLED'],
  AWAITING_PARTNER: ['AWAITING_APPROVAL', 'REJECTED', 'CANCELLED'],
  AWAITING_APPROVAL: ['APPROVED', 'REJECTED', 'CANCELLED'],
  APPROVED: ['PROCESSING', 'REJECTED', 'CANCELLED'],
  PROCESSING: ['COMPLETED', 'FAILED'],
  COMPLETED: [],
  REJECTED: [],
  CANCELLED: [],
  FAILED: [],
};

export function canTransitionPayout(from: PayoutStatus, to: PayoutStatus): boolean {
  return transitions[from].includes(to);
}

export function transitionPayout(from: PayoutStatus, to: PayoutStatus): PayoutStatus {
  if (!canTransitionPayout(from, to)) throw new Error(`a payout cannot go from ${from} to ${to}`);
  return to;
}

export function isTerminalPayoutStatus(status: PayoutStatus): boolean {
  return (terminalPayoutStatuses as readonly PayoutStatus[]).includes(status);
}

/**
 * The partner-validation settings a lifecycle runs under. A workflow started before `payouts.partnerValidation`
 * existed carries a policy without it: it never waits for the partner.
 */
export function partnerValidationOf(payouts: { partnerValidation?: PartnerValidationPolicy }): PartnerValidationPolicy {
  return payouts.partnerValidation ?? defaultPartnerValidation;
}

/** How long the partner has to validate, and how the cancellation reason says it. */
export function partnerValidationWait(validation: PartnerValidationPolicy): { milliseconds: number; text: string } {
  if (validation.waitSeconds !== undefined) {
    return { milliseconds: validation.waitSeconds * 1_000, text: `${validation.waitSeconds} second${validation.waitSeconds === 1 ? '' : 's'}` };
  }
  return { milliseconds: validation.waitDays * 86_400_000, text: `${validation.waitDays} day${validation.waitDays === 1 ? '' : 's'}` };
}

/** Who cancels a payout the partner did not validate in time, as the audit log and `closed_by` record it. */
export const partnerValidationActor = 'system:partner-validation';

/**
 * Refusals of the partner-validation activity (non-retryable `ApplicationFailure` types) that the workflow turns
 * into a 409 naming the invoice: none uploaded though the policy requires one, or another uploaded since the partner
 * looked.
 */
export const invoiceMissingType = 'InvoiceMissing';
export const invoiceChangedType = 'InvoiceChanged';

/** The reason codes in docs/rules.md#payout-rejection; FRAUD_SUSPECTED keeps the money frozen in `held`, the others give it back. */
export const payoutRejectionCodes = [
  'KYC_REQUIRED', 'ACCOUNT_SUSPENDED', 'INVALID_METHOD', 'LIMIT_EXCEEDED', 'DUPLICATE_REQUEST', 'FRAUD_SUSPECTED',
] as const;
export type PayoutRejectionCode = (typeof payoutRejectionCodes)[number];

export function rejectionDestination(code: PayoutRejectionCode): 'available' | 'held' {
  return code === 'FRAUD_SUSPECTED' ? 'held' : 'available';
}

/**
 * The failure codes in docs/rules.md#payout-provider-retries and what each allows — the one table (providers/adapter.ts re-exports it). `none`:
 * permanent, the payout fails and its amount goes back to `available`; `auto`: retry after the policy's backoff
 * (up to `payouts.automatic.maxAttempts`); `next_day`: retry on the next UTC day.
 */
export const failureCodes = {
  INVALID_ACCOUNT: { retry: 'none', description: 'the account or wallet does not exist' },
  ACCOUNT_CLOSED: { retry: 'none', description: 'the account exists but is closed' },
  NAME_MISMATCH: { retry: 'none', description: 'the account holder name does not match the payee' },
  PROVIDER_ERROR: { retry: 'auto', description: 'the provider failed or could not be reached' },
  TIMEOUT: { retry: 'auto', description: 'the provider did not answer in time; the payout may have been accepted' },
  LIMIT_EXCEEDED: { retry: 'next_day', description: 'a provider or account limit is reached for today' },
} as const satisfies Record<string, { retry: RetryClass; description: string }>;

export type RetryClass = 'none' | 'auto' | 'next_day';
export type PayoutFailureCode = keyof typeof failureCodes;
export const payoutFailureCodes = Object.keys(failureCodes) as [PayoutFailureCode, ...PayoutFailureCode[]];

export function isFailureCode(value: unknown): value is PayoutFailureCode {
  return typeof value === 'string' && Object.hasOwn(failureCodes, value);
}

export function retryClassOf(code: PayoutFailureCode): RetryClass {
  return failureCodes[code].retry;
}

/**
 * The idempotency key of one attempt at paying one payout at the provider. A new attempt gets a new key only once
 * the previous attempt is known not to have paid.
 */
export function idempotencyKeyFor(payoutId: string, attempt: number): string {
  if (!Number.isSafeInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be a positive integer, got ${attempt}`);
  if (payoutId.length === 0) throw new RangeError('payoutId must not be empty');
  return `${payoutId}:${attempt}`;
}

/** The attempt an idempotency key of this payout names, or null when it is not one of its keys. */
export function attemptOfKey(payoutId: string, idempotencyKey: string): number | null {
  const prefix = `${payoutId}:`;
  if (!idempotencyKey.startsWith(prefix)) return null;
  const rest = idempotencyKey.slice(prefix.length);
  return /^[1-9]\d{0,5}$/.test(rest) ? Number(rest) : null;
}

/** Milliseconds from `nowMs` to the next midnight UTC (a `next_day` retry waits this long). */
export function millisecondsToNextUtcDay(nowMs: number): number {
  const now = new Date(nowMs);
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) - nowMs;
}

/** The verified actor an update carries: the API checked the session, the permission and (where due) a fresh TOTP. */
export interface PayoutActor {
  userId: string;
  role: UserRole;
  /**
   * The client address the API saw (docs/rules.md#audit-trail), carried in the update so that the audit record the
   * workflow's activity writes has it. Optional: histories recorded before it replay unchanged.
   */
  ip?: string | null;
}

export interface ApprovalStep {
  roles: UserRole[];
}

export interface PayoutApproval {
  userId: string;
  role: UserRole;
  /** Index into the required chain of the step this approval satisfied. */
  step: number;
  at: string;
}

export function findPaymentMethod(policy: PayoutPolicy, methodId: string): PaymentMethod | undefined {
  return policy.methods.find((method) => method.id === methodId);
}

export interface DetailIssue {
  /** The key inside `paymentDetails`. */
  field: string;
  message: string;
}

/**
 * Checks payment details against the method's configured fields: unknown keys, missing required fields and values
 * that do not match the field's pattern (anchored) are issues, reported in the method's field order.
 */
export function validatePaymentDetails(method: PaymentMethod, details: Record<string, unknown>): DetailIssue[] {
  const issues: DetailIssue[] = [];
  const known = new Set(method.fields.map((field) => field.name));
  for (const key of Object.keys(details)) {
    if (!known.has(key)) issues.push({ field: key, message: `${method.id} has no field ${key}` });
  }
  for (const field of method.fields) {
    const value = details[field.name];
    if (value === undefined || value === '') {
      if (field.required) issues.push({ field: field.name, message: `${field.label} is required for ${method.id}` });
      continue;
    }
    if (typeof value !== 'string') {
      issues.push({ field: field.name, message: `${field.label} must be a string` });
      continue;
    }
    if (!new RegExp(`^(?:${field.pattern})$`, 'u').test(value)) {
      issues.push({ field: field.name, message: `${field.label} is not valid for ${method.id}` });
    }
  }
  return issues;
}

/**
 * fee = max(amount × feePercent / 100, minFee), rounded ROUND_HALF_UP to the currency's scale (a half cent is
 * charged, as a cashier would); a non-regular payout (docs/rules.md#payout-fees) adds amount × nonRegularSurchargePercent / 100,
 * rounded the same way, which `fee` includes and `surcharge` shows. The partner receives amount − fee.
 */
export function computePayoutFee(
  amount: string,
  currency: string,
  method: PaymentMethod,
  { nonRegular = false }: { nonRegular?: boolean } = {},
): { fee: string; surcharge: string; amountToTransfer: string } {
  const value = new Money(amount);
  const scale = currencyScale(currency);
  const percentage = value.times(method.feePercent).dividedBy(100).toDecimalPlaces(scale, Decimal.ROUND_HALF_UP);
  const minimum = new Money(method.minFee).toDecimalPlaces(scale, Decimal.ROUND_HALF_UP);
  const methodFee = Money.max(percentage, minimum);
  // docs/rules.md#payout-fees: a non-regular payment gives up the method's surcharge percentage too, rounded the same way.
  const surcharge = nonRegular
    ? value.times(method.nonRegularSurchargePercent).dividedBy(100).toDecimalPlaces(scale, Decimal.ROUND_HALF_UP)
    : new Money(0);
  const fee = methodFee.plus(surcharge);
  return { fee: formatMoney(fee, currency), surcharge: formatMoney(surcharge, currency), amountToTransfer: formatMoney(value.minus(fee), currency) };
}

/**
 * The RUB-equivalent of an amount: amount × rate(currency) / rate(RUB), with rates in USD per unit (USD = 1).
 * Rounded ROUND_UP to kopecks so a fraction never moves a payout into a laxer tier. Null when a rate is missing.
 */
export function rubEquivalent(amount: string, currency: string, usdRates: { currency: string | null; rub: string | null }): string | null {
  if (currency === 'RUB') return new Money(amount).toFixed(2, Decimal.ROUND_UP);
  const currencyRate = currency === 'USD' ? '1' : usdRates.currency;
  if (currencyRate === null || usdRates.rub === null) return null;
  return new Money(amount).times(currencyRate).dividedBy(usdRates.rub).toDecimalPlaces(2, Decimal.ROUND_UP).toFixed(2);
}

/**
 * The chain for a RUB-equivalent amount; without one (no FX rate) the highest tier, the strictest. `minimumTier`
 * (docs/rules.md#details-change-controls: a payout to recently changed details) raises the tier to at least that
 * index; an index past the last tier means the last.
 */
export function approvalChainFor(amountRub: string | null, tiers: readonly ApprovalTier[], options: { minimumTier?: number } = {}): ApprovalStep[] {
  const byAmount =
    amountRub === null
      ? tiers.length - 1
      : tiers.findIndex((candidate) => candidate.maxAmountRub === null || new Money(amountRub).lessThanOrEqualTo(candidate.maxAmountRub));
  const tier = tiers[Math.min(Math.max(byAmount, options.minimumTier ?? 0), tiers.length - 1)]!;
  return tier.steps.map((step) => ({ roles: [...step.roles] }));
}

/**
 * The step an actor's approval would satisfy: the first unsatisfied step whose roles include theirs. Steps may be
 * satisfied in any order (the chain names who must agree, not a sequence). Null when no open step needs the role.
 */
/** The failure type of an activity refusing to start processing because an emergency switch stops it (docs/rules.md#emergency-switches). */
export const processingStoppedType = 'ProcessingStopped';

export function openStepFor(chain: readonly ApprovalStep[], approvals: readonly PayoutApproval[], role: UserRole): number | null {
  const satisfied = new Set(approvals.map((approval) => approval.step));
  const index = chain.findIndex((step, stepIndex) => !satisfied.has(stepIndex) && step.roles.includes(role));
  return index === -1 ? null : index;
}

export function chainComplete(chain: readonly ApprovalStep[], approvals: readonly PayoutApproval[]): boolean {
  const satisfied = new Set(approvals.map((approval) => approval.step));
  return chain.every((_, index) => satisfied.has(index));
}

/** docs/rules.md#payout-priority. A payout without a RUB-equivalent is REVIEW (it cannot be shown to be small). */
export function payoutPriority(
  input: { amountRub: string | null; rank: Rank; accountAgeDays: number },
  policy: PayoutPolicy['priority'],
): PayoutPriority {
  if (input.amountRub === null) return 'REVIEW';
  const amount = new Money(input.amountRub);
  if (amount.greaterThan(policy.reviewMinAmountRub) || input.accountAgeDays < policy.newPartnerDays) return 'REVIEW';
  if (policy.highRanks.includes(input.rank) && amount.lessThan(policy.highMaxAmountRub)) return 'HIGH';
  return 'NORMAL';
}

export const checklistChecks = [
  'KYC_APPROVED',
  'PARTNER_ACTIVE',
  'ACCOUNT_AGE',
  'PER_REQUEST_LIMIT',
  'NOT_FROZEN',
  'DAILY_CAP',
  'VELOCITY',
  'NAME_MATCHES_KYC',
  'UNUSUAL_AMOUNT',
  'NO_OPEN_DISPUTES',
  'NO_ACCOUNT_REVIEW',
  'NO_CHARGEBACK_FLAGS',
] as const;
export type ChecklistCheck = (typeof checklistChecks)[number];

export interface ChecklistResult {
  check: ChecklistCheck;
  passed: boolean;
  /**
   * What a failure does (the action column in docs/rules.md#payout-checklist); PASS for a check that passed. NEXT_DAY holds the payout
   * until the UTC day after (its HELD re-check passes then); FLAG is shown to the approvers and stops nothing.
   */
  action: 'PASS' | 'HOLD' | 'REJECT' | 'NEXT_DAY' | 'FLAG';
  detail: string;
}

export interface ChecklistOutcome {
  outcome: 'PASS' | 'HOLD' | 'REJECT';
  rejectionCode: PayoutRejectionCode | null;
  reason: string | null;
  checks: ChecklistResult[];
}

/** What the checklist looks at: the partner and their payouts as they are when it runs. */
export interface ChecklistFacts {
  kycStatus: string;
  partnerStatus: string;
  accountAgeDays: number;
  amountRub: string | null;
  /** docs/rules.md#emergency-switches: a frozen partner's payouts are held (fraud suspected, balance discrepancy). */
  frozen: boolean;
  /** RUB-equivalent of the partner's payouts requested today (UTC) that are not rejected or cancelled, this one included. */
  requestedTodayRub: string;
  /** The partner's payout requests within the velocity window, this one included. */
  recentRequests: number;
  /** The partner's legal (KYC) name, and the account holder name the payout is paid to (null: the method has none). */
  kycName: string;
  accountName: string | null;
  /** This payout's amount, and the partner's completed payouts in the currency (count and total amount). */
  amount: string;
  completedCount: number;
  completedTotal: string;
  /** The partner's active flags (issue #5: disputes, debt limit, chargebacks and their penalties). */
  flags: readonly { kind: PartnerFlagKind; reason: string }[];
}

/** Names compared as people write them: case, accents, punctuation and word order do not matter. */
export function namesMatch(left: string, right: string): boolean {
  const words = (name: string) =>
    name
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .toLowerCase()
      .split(/[^\p{L}\p{N}]+/u)
      .filter((word) => word.length > 0)
      .sort()
      .join(' ');
  return words(left) === words(right);
}

/**
 * The review checklist in docs/rules.md#payout-checklist as far as ledgerflow has the facts (the rest is in docs/decisions.md): KYC APPROVED
 * (else hold), partner ACTIVE (else reject ACCOUNT_SUSPENDED), account age (else hold), per-request limit (else
 * reject LIMIT_EXCEEDED), not frozen (else hold), daily cap (else next day), velocity (else hold for review),
 * account name matches the KYC name (else hold), unusual amount (flag). A rejection wins over a hold. Balance and
 * duplicates are enforced at creation by the database (floor CHECK, partial unique index).
 */
export function evaluateChecklist(facts: ChecklistFacts, policy: PayoutPolicy['checklist']): ChecklistOutcome {
  const checks: ChecklistResult[] = [];
  const record = (check: ChecklistCheck, passed: boolean, failAction: Exclude<ChecklistResult['action'], 'PASS'>, detail: string) =>
    checks.push({ check, passed, action: passed ? 'PASS' : failAction, detail });
  record('KYC_APPROVED', facts.kycStatus === 'APPROVED', 'HOLD', `KYC status ${facts.kycStatus}`);
  record('PARTNER_ACTIVE', facts.partnerStatus === 'ACTIVE', 'REJECT', `partner status ${facts.partnerStatus}`);
  record(
    'ACCOUNT_AGE',
    facts.accountAgeDays >= policy.minimumAccountAgeDays,
    'HOLD',
    `joined ${Math.floor(facts.accountAgeDays)} days ago (minimum ${policy.minimumAccountAgeDays})`,
  );
  if (facts.amountRub === null) {
    // No FX rate: the limit cannot be shown to be exceeded; the payout already needs the highest approval tier.
    record('PER_REQUEST_LIMIT', true, 'REJECT', `no FX rate to RUB: not verifiable, highest approval tier required`);
  } else {
    record(
      'PER_REQUEST_LIMIT',
      new Money(facts.amountRub).lessThanOrEqualTo(policy.perRequestLimitRub),
      'REJECT',
      `${facts.amountRub} RUB-equivalent (limit ${policy.perRequestLimitRub})`,
    );
  }
  record('NOT_FROZEN', !facts.frozen, 'HOLD', facts.frozen ? 'the partner is frozen (an emergency switch)' : 'not frozen');
  record(
    'DAILY_CAP',
    new Money(facts.requestedTodayRub).lessThanOrEqualTo(policy.dailyCapRub),
    'NEXT_DAY',
    `${facts.requestedTodayRub} RUB-equivalent requested today (cap ${policy.dailyCapRub})`,
  );
  record(
    'VELOCITY',
    facts.recentRequests <= policy.velocityMaxRequests,
    'HOLD',
    `${facts.recentRequests} request(s) in ${policy.velocityWindowDays} days (at most ${policy.velocityMaxRequests})`,
  );
  if (facts.accountName !== null) {
    const matches = namesMatch(facts.accountName, facts.kycName);
    record('NAME_MATCHES_KYC', matches, 'HOLD', matches ? 'account holder name matches the KYC name' : `account holder "${facts.accountName}" is not the KYC name "${facts.kycName}"`);
  }
  if (facts.completedCount > 0 && facts.completedCount >= policy.unusualAmountMinHistory) {
    // amount ≤ factor × total / count, compared without dividing (exact); the average is only shown.
    const usual = new Money(facts.amount).times(facts.completedCount).lessThanOrEqualTo(new Money(facts.completedTotal).times(policy.unusualAmountFactor));
    const average = new Money(facts.completedTotal).dividedBy(facts.completedCount).toDecimalPlaces(2, Money.ROUND_HALF_UP).toFixed(2);
    record(
      'UNUSUAL_AMOUNT',
      usual,
      'FLAG',
      `${facts.amount} against an average of ${average} (rounded half-up) over ${facts.completedCount} completed payout(s); flagged above ×${policy.unusualAmountFactor}`,
    );
  }
  // Issue #5: an open dispute (docs/rules.md#disputes) or an account review (debt limit, third chargeback) holds the payout until
  // it clears; an open chargeback, a warning or monitoring is shown to the approvers.
  const flagged = (check: 'NO_OPEN_DISPUTES' | 'NO_ACCOUNT_REVIEW') => facts.flags.filter((flag) => payoutHoldingFlags[flag.kind] === check);
  const describe = (flags: readonly { kind: PartnerFlagKind; reason: string }[], none: string) =>
    flags.length === 0 ? none : flags.map((flag) => `${flag.kind}: ${flag.reason}`).join('; ');
  record('NO_OPEN_DISPUTES', flagged('NO_OPEN_DISPUTES').length === 0, 'HOLD', describe(flagged('NO_OPEN_DISPUTES'), 'no open dispute'));
  record('NO_ACCOUNT_REVIEW', flagged('NO_ACCOUNT_REVIEW').length === 0, 'HOLD', describe(flagged('NO_ACCOUNT_REVIEW'), 'no account review'));
  const chargebackFlags = facts.flags.filter((flag) => flag.kind === 'CHARGEBACK' || flag.kind === 'CHARGEBACK_WARNING' || flag.kind === 'CHARGEBACK_MONITORING');
  record('NO_CHARGEBACK_FLAGS', chargebackFlags.length === 0, 'FLAG', describe(chargebackFlags, 'no chargeback flag'));
  const failed = (check: ChecklistCheck) => checks.some((result) => result.check === check && !result.passed);
  if (failed('PARTNER_ACTIVE')) {
    return { outcome: 'REJECT', rejectionCode: 'ACCOUNT_SUSPENDED', reason: `the partner is ${facts.partnerStatus}`, checks };
  }
  if (failed('PER_REQUEST_LIMIT')) {
    return { outcome: 'REJECT', rejectionCode: 'LIMIT_EXCEEDED', reason: `above the per-request limit of ${policy.perRequestLimitRub} RUB`, checks };
  }
  const holding = checks.filter((check) => !check.passed && check.action !== 'FLAG');
  if (holding.length > 0) {
    return { outcome: 'HOLD', rejectionCode: null, reason: `held: ${holding.map((check) => check.check).join(', ')}`, checks };
  }
  return { outcome: 'PASS', rejectionCode: null, reason: null, checks };
}
