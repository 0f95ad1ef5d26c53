import { z } from 'zod';

/**
 * Sign-in throttling (docs/rules.md#sign-in): after `delayAfterFailures` consecutive failures each further
 * attempt waits a growing delay, `firstDelaySeconds` doubled per failure up to `maxDelaySeconds`; after
 * `lockoutAfterFailures` the account or address is locked for `lockoutMinutes` (or until an admin lifts it). The same
 * numbers apply per account and per client address. Failures are forgotten after `failureMemoryHours` without one.
 */
export const signInPolicySchema = z
  .object({
    delayAfterFailures: z.number().int().min(1).max(100),
    firstDelaySeconds: z.number().int().min(1).max(3_600),
    maxDelaySeconds: z.number().int().min(1).max(86_400),
    lockoutAfterFailures: z.number().int().min(1).max(1_000),
    lockoutMinutes: z.number().int().min(1).max(10_080),
    failureMemoryHours: z.number().int().min(1).max(720),
    /** Wrong step-up codes (X-TOTP-Code) one session may send before it is revoked. */
    stepUpFailuresPerSession: z.number().int().min(1).max(100),
  })
  .refine((policy) => policy.lockoutAfterFailures > policy.delayAfterFailures, {
    message: 'lockoutAfterFailures must be above delayAfterFailures',
    path: ['lockoutAfterFailures'],
  });
export type SignInPolicy = z.infer<typeof signInPolicySchema>;

export const defaultSignInPolicy: SignInPolicy = {
  delayAfterFailures: 5,
  firstDelaySeconds: 1,
  maxDelaySeconds: 300,
  lockoutAfterFailures: 10,
  lockoutMinutes: 60,
  failureMemoryHours: 24,
  stepUpFailuresPerSession: 5,
};

/** One counter as stored: consecutive failures and when the last one happened. */
export interface FailureCounter {
  failures: number;
  lastFailureAt: Date;
}

export type ThrottleVerdict =
  | { kind: 'open' }
  | { kind: 'delayed'; retryAfterSeconds: number }
  | { kind: 'locked'; until: Date };

/** The failures that still count at `now`: none once the last one is older than the policy's memory. */
export function countedFailures(counter: FailureCounter | null, now: Date, policy: SignInPolicy): number {
  if (!counter) return 0;
  const forgetAt = counter.lastFailureAt.getTime() + policy.failureMemoryHours * 3_600_000;
  return now.getTime() >= forgetAt ? 0 : counter.failures;
}

/** How long after the last failure the next attempt must wait, with `failures` counted (0 below the threshold). */
export function delaySeconds(failures: number, policy: SignInPolicy): number {
  if (failures < policy.delayAfterFailures) return 0;
  // 2^(n - threshold) grows past any cap quickly; cap the exponent first so it stays a small integer.
  const exponent = Math.min(failures - policy.delayAfterFailures, 30);
  return Math.min(policy.firstDelaySeconds * 2 ** exponent, policy.maxDelaySeconds);
}

/** Whether a new attempt may go ahead now, must wait, or is locked out. */
export function throttleVerdict(counter: FailureCounter | null, now: Date, policy: SignInPolicy): ThrottleVerdict {
  const failures = countedFailures(counter, now, policy);
  if (!counter || failures === 0) return { kind: 'open' };
  const last = counter.lastFailureAt.getTime();
  if (failures >= policy.lockoutAfterFailures) {
    const until = new Date(last + policy.lockoutMinutes * 60_000);
    // After the lockout one attempt may go ahead; if it fails too, the lock starts again at once.
    return now < until ? { kind: 'locked', until } : { kind: 'open' };
  }
  const readyAt = last + delaySeconds(failures, policy) * 1_000;
  if (now.getTime() >= readyAt) return { kind: 'open' };
  return { kind: 'delayed', retryAfterSeconds: Math.max(1, Math.ceil((readyAt - now.getTime()) / 1_000)) };
}

/** The stronger of two verdicts: a lockout over a delay, the longer delay of two. */
export function strongerVerdict(first: ThrottleVerdict, second: ThrottleVerdict): ThrottleVerdict {
  if (first.kind === 'locked') return second.kind === 'locked' && second.until > first.until ? second : first;
  if (second.kind === 'locked') return second;
  if (first.kind === 'delayed' && second.kind === 'delayed') {
    return first.retryAfterSeconds >= second.retryAfterSeconds ? first : second;
  }
  return first.kind === 'delayed' ? first : second;
}

/** Passwords are set at least this long (API, CLI, demo); signing in with an older, shorter one still works. */
export const passwordMinLength = 12;
export const passwordMaxLength = 200;
