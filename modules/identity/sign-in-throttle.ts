import { sql, type CommonQueryMethods, type DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import {
  countedFailures, strongerVerdict, throttleVerdict, type SignInPolicy, type ThrottleVerdict,
} from '../../domain/sign-in-throttle.ts';

/** A counter's key: the account is its lower-cased email (known or not), the address the client's IP. */
export interface ThrottleKey {
  kind: 'account' | 'address';
  key: string;
}

const counterRow = z.object({ kind: z.enum(['account', 'address']), key: z.string(), failures: z.number(), last_failure_at: z.date() });

export type AttemptOutcome = 'SUCCEEDED' | 'FAILED' | 'DELAYED' | 'LOCKED';

/** Each key's failures after an attempt was counted (the account's and, when known, the address's). */
export type CountedFailures = Partial<Record<ThrottleKey['kind'], number>>;

export type Reservation = { verdict: Exclude<ThrottleVerdict, { kind: 'open' }> } | { verdict: { kind: 'open' }; failures: CountedFailures };

/**
 * Checks every key's counter and, when none holds the attempt back, counts the attempt as a failure before the
 * password is hashed: the rows are locked (in one order, account before address), so parallel guesses queue here
 * and the sixth of a burst already waits its delay. A success later takes the count back (`settleSuccess`).
 */
export async function reserveAttempt(
  transaction: DatabaseTransactionConnection,
  keys: readonly ThrottleKey[],
  now: Date,
  policy: SignInPolicy,
): Promise<Reservation> {
  const ordered = [...keys].sort((a, b) => (a.kind + a.key < b.kind + b.key ? -1 : 1));
  for (const { kind, key } of ordered) {
    await transaction.query(sql.unsafe`
      INSERT INTO sign_in_throttles (kind, key, failures, last_failure_at) VALUES (${kind}, ${key}, 0, ${sql.timestamp(now)})
      ON CONFLICT (kind, key) DO NOTHING`);
  }
  const rows = [];
  for (const { kind, key } of ordered) {
    rows.push(await transaction.one(sql.type(counterRow)`
      SELECT kind, key, failures, last_failure_at FROM sign_in_throttles WHERE kind = ${kind} AND key = ${key} FOR UPDATE`));
  }
  let verdict: ThrottleVerdict = { kind: 'open' };
  for (const row of rows) {
    verdict = strongerVerdict(verdict, throttleVerdict({ failures: row.failures, lastFailureAt: row.last_failure_at }, now, policy));
  }
  if (verdict.kind !== 'open') return { verdict };
  const failures: CountedFailures = {};
  for (const row of rows) {
    const counted = countedFailures({ failures: row.failures, lastFailureAt: row.last_failure_at }, now, policy) + 1;
    await transaction.query(sql.unsafe`
      UPDATE sign_in_throttles SET failures = ${counted}, last_failure_at = ${sql.timestamp(now)}
      WHERE kind = ${row.kind} AND key = ${row.key}`);
    failures[row.kind] = counted;
  }
  return { verdict, failures };
}

/**
 * A success resets the account's counter and takes this attempt back from the address's: the address keeps its
 * earlier failures, so one valid account cannot wipe out the record of guesses at others from the same address.
 */
export async function settleSuccess(connection: CommonQueryMethods, keys: readonly ThrottleKey[]): Promise<void> {
  for (const { kind, key } of keys) {
    if (kind === 'account') {
      await connection.query(sql.unsafe`DELETE FROM sign_in_throttles WHERE kind = 'account' AND key = ${key}`);
    } else {
      await connection.query(sql.unsafe`
        UPDATE sign_in_throttles SET failures = GREATEST(failures - 1, 0) WHERE kind = 'address' AND key = ${key}`);
    }
  }
}

/** Forgets an account's failures (an admin's unlock); the failures it had, 0 when there was no counter. */
export async function clearAccountCounter(connection: CommonQueryMethods, email: string): Promise<number> {
  const failures = await connection.maybeOneFirst(sql.type(z.object({ failures: z.number() }))`
    DELETE FROM sign_in_throttles WHERE kind = 'account' AND key = ${email} RETURNING failures`);
  return failures ?? 0;
}

/** Forgets a client address's failures (`ledgerflow user unlock --address`). */
export async function clearAddressCounter(connection: CommonQueryMethods, address: string): Promise<number> {
  const failures = await connection.maybeOneFirst(sql.type(z.object({ failures: z.number() }))`
    DELETE FROM sign_in_throttles WHERE kind = 'address' AND key = ${address} RETURNING failures`);
  return failures ?? 0;
}

export async function recordAttempt(
  connection: CommonQueryMethods,
  attempt: { at: Date; email: string; userId: string | null; address: string | null; outcome: AttemptOutcome; failures?: CountedFailures },
): Promise<void> {
  await connection.query(sql.unsafe`
    INSERT INTO sign_in_attempts (attempted_at, email, user_id, address, outcome, account_failures, address_failures)
    VALUES (${sql.timestamp(attempt.at)}, ${attempt.email}, ${attempt.userId}, ${attempt.address}, ${attempt.outcome},
            ${attempt.failures?.account ?? null}, ${attempt.failures?.address ?? null})`);
}
