import type { AdminRole, UserRole } from './access.ts';
import { DomainError } from './errors.ts';
import type { FourEyesPolicy } from './lifecycle-policy.ts';
import { Money } from './money.ts';
import type { Policy } from './policy.ts';

/**
 * Four eyes (docs/rules.md#four-eyes), the one piece every maker–checker path uses: which amounts and rate changes
 * need a second person, and who may be that person. Pure: a workflow's update validator (bonuses, dispute credits)
 * and a module's database-backed approval (FX rate requests) call the same functions, so "not the maker, a role in
 * the list" is decided in one place. The caller has verified the checker (session, permission, a fresh TOTP code).
 */

/** Who made a request, or who decides it. */
export interface FourEyesActor {
  userId: string;
  role: UserRole;
}

/** What a request needing a second person carries from its start to its decision (serialisable: it travels in workflow input). */
export interface CheckerRequirement {
  makerUserId: string;
  /** The roles of which one must decide; never the maker, whatever their role. */
  checkerRoles: readonly AdminRole[];
  /** Why it needs a second person, in words for the refusal and the audit record. */
  reason: string;
}

/** An amount above the threshold, as a workflow's input carries it: its RUB-equivalent and who may check it. */
export interface CheckerNeeded {
  amountRub: string | null;
  checkerRoles: AdminRole[];
}

/**
 * Whether an amount (either sign: a large debit is as much an insider's lever as a large credit) is above the
 * threshold. Judged by its RUB-equivalent when the rates give one; otherwise by the policy's threshold in the
 * amount's own currency; a currency with neither needs the second person (unknown size: the stricter path).
 */
export function amountNeedsChecker(
  amount: { amount: string; currency: string; amountRub: string | null },
  aboveRub: string,
  policy: Pick<FourEyesPolicy, 'aboveByCurrency'>,
): boolean {
  if (amount.amountRub !== null) return new Money(amount.amountRub).abs().gt(aboveRub);
  const threshold = amount.currency === 'RUB' ? aboveRub : policy.aboveByCurrency[amount.currency];
  if (threshold === undefined) return true;
  return new Money(amount.amount).abs().gt(threshold);
}

/**
 * Whether a new rate is more than the band away from the one in force (|new − previous| / previous > band).
 * A currency's first rate has nothing to move from: it is inside the band.
 */
export function rateOutsideBand(previousRate: string | null, nextRate: string, band: string): boolean {
  if (previousRate === null) return false;
  const previous = new Money(previousRate);
  if (!previous.isPositive()) throw new RangeError('a rate in force is positive');
  // Compared as |new − previous| > band × previous: exact, no division to round.
  return new Money(nextRate).minus(previous).abs().gt(previous.times(band));
}

/**
 * The refusal of a checker's decision, or null when they may decide: never the maker (financial support acting on
 * a partner's behalf is the maker of what they submit), and a role from the requirement's list.
 */
export function checkerRefusal(requirement: CheckerRequirement, checker: FourEyesActor): DomainError | null {
  if (checker.userId === requirement.makerUserId) {
    return new DomainError('forbidden', 'maker_checker', 'the maker cannot approve or reject their own request; a second person decides');
  }
  if (checker.role === 'partner' || !requirement.checkerRoles.includes(checker.role)) {
    return new DomainError('forbidden', 'checker_role_required', `${requirement.reason}: it is decided by one of ${requirement.checkerRoles.join(', ')}`);
  }
  return null;
}

/** Throws the refusal of checkerRefusal, if any. */
export function assertMayCheck(requirement: CheckerRequirement, checker: FourEyesActor): void {
  const refusal = checkerRefusal(requirement, checker);
  if (refusal) throw refusal;
}

/**
 * The sections of a policy that set limits (docs/rules.md#four-eyes): the payout approval tiers and the
 * details-change window, the adjustment thresholds and bulk tiers, the dispute goodwill limit, the sign-in limits,
 * the four-eyes settings themselves and the pay runs' run-level approval limits. A new version that changes any of them waits for a second person; every
 * version's audit record keeps them before and after.
 */
export function policyLimits(policy: Policy) {
  return {
    payoutApprovalChain: policy.payouts.approvalChain,
    payoutDetailsChange: policy.payouts.detailsChange,
    adjustments: { seniorApprovalAboveRub: policy.adjustments.seniorApprovalAboveRub, bulkStandardBelowRub: policy.adjustments.bulkStandardBelowRub, bulkSeniorUpToRub: policy.adjustments.bulkSeniorUpToRub },
    disputeGoodwillMax: policy.disputes.goodwillMax,
    signIn: policy.signIn,
    fourEyes: policy.fourEyes,
    payRunApproval: policy.payRuns.runApproval,
  };
}
export type PolicyLimits = ReturnType<typeof policyLimits>;

/** JSON with object keys sorted, so two equal sections compare equal whatever order their keys were written in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Whether a policy change moves any limit section (then it needs a second person). */
export function policyLimitsChanged(before: PolicyLimits, after: PolicyLimits): boolean {
  return canonical(before) !== canonical(after);
}
