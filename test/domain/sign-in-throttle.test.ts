import { describe, expect, it } from 'vitest';
import { defaultPolicy, policySchema } from '../../domain/policy.ts';
import { defaultSignInPolicy, delaySeconds, strongerVerdict, throttleVerdict } from '../../domain/sign-in-throttle.ts';

const policy = defaultSignInPolicy;
const at = (seconds: number) => new Date(Date.UTC(2026, 11, 6, 9, 0, 0) + seconds * 1_000);

describe('the sign-in throttle (docs/rules.md#sign-in)', () => {
  it('has the product specification’s defaults: delays after 5 failures, a one-hour lock after 10, revocation after 5 wrong step-up codes', () => {
    expect(defaultPolicy.signIn).toMatchObject({ delayAfterFailures: 5, lockoutAfterFailures: 10, lockoutMinutes: 60, stepUpFailuresPerSession: 5 });
  });

  it('parses a stored policy version written before the section existed, with the defaults', () => {
    const { signIn: _signIn, ...older } = defaultPolicy;
    expect(policySchema.parse(older).signIn).toEqual(defaultSignInPolicy);
  });

  it('refuses a policy whose lockout does not come after the delays', () => {
    const result = policySchema.safeParse({ ...defaultPolicy, signIn: { ...defaultSignInPolicy, lockoutAfterFailures: 5 } });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['signIn', 'lockoutAfterFailures']);
  });

  it('lets four failures through at once, then doubles the wait from one second up to the cap', () => {
    expect([0, 1, 4].map((failures) => delaySeconds(failures, policy))).toEqual([0, 0, 0]);
    expect([5, 6, 7, 8, 9].map((failures) => delaySeconds(failures, policy))).toEqual([1, 2, 4, 8, 16]);
    expect(delaySeconds(40, { ...policy, lockoutAfterFailures: 50 })).toBe(policy.maxDelaySeconds);
  });

  it('holds an attempt back while the delay runs and answers how long is left', () => {
    const counter = { failures: 7, lastFailureAt: at(0) };
    expect(throttleVerdict(counter, at(1), policy)).toEqual({ kind: 'delayed', retryAfterSeconds: 3 });
    expect(throttleVerdict(counter, at(3.5), policy)).toEqual({ kind: 'delayed', retryAfterSeconds: 1 });
    expect(throttleVerdict(counter, at(4), policy)).toEqual({ kind: 'open' });
  });

  it('locks for an hour after the tenth failure, then lets one attempt through', () => {
    const counter = { failures: 10, lastFailureAt: at(0) };
    expect(throttleVerdict(counter, at(3_599), policy)).toEqual({ kind: 'locked', until: at(3_600) });
    expect(throttleVerdict(counter, at(3_600), policy)).toEqual({ kind: 'open' });
  });

  it('forgets failures after a quiet day', () => {
    expect(throttleVerdict({ failures: 9, lastFailureAt: at(0) }, at(10), policy).kind).toBe('delayed');
    expect(throttleVerdict({ failures: 9, lastFailureAt: at(0) }, at(24 * 3_600), policy)).toEqual({ kind: 'open' });
  });

  it('answers with the stronger of the account’s and the address’s verdicts', () => {
    const open = { kind: 'open' } as const;
    const short = { kind: 'delayed', retryAfterSeconds: 2 } as const;
    const long = { kind: 'delayed', retryAfterSeconds: 8 } as const;
    const locked = { kind: 'locked', until: at(60) } as const;
    expect(strongerVerdict(open, short)).toBe(short);
    expect(strongerVerdict(long, short)).toBe(long);
    expect(strongerVerdict(short, locked)).toBe(locked);
    expect(strongerVerdict(locked, open)).toBe(locked);
  });
});
