import { createHash, randomUUID } from 'node:crypto';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { UserRole } from '../../domain/access.ts';
import { DomainError } from '../../domain/errors.ts';
import { Money } from '../../domain/money.ts';
import { policySchema } from '../../domain/policy.ts';
import { defaultDetailsChange, type DetailsChangePolicy } from '../../domain/payout-policy.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';
import type { LedgerStore } from '../ledger/ledger-store.ts';
import { enqueueNotification } from '../notifications/outbox.ts';
import { amountInRub } from '../policy/fx-rates.ts';
import { changedDetailFields } from './details-change.ts';

/**
 * docs/rules.md#details-change-controls (issue #16). Every change of a partner's saved payment details, by every
 * path that sets them (a saved method's PUT, a payout request or a draft's submission carrying new details), is
 * recorded here with who, in which role, when, which fields, and the values before and after masked; audited as
 * PARTNER_CHANGE; and e-mailed to the partner, all in the transaction of the change. The record then answers two
 * questions: did this admin change this partner's details within the policy's window (they may not approve the
 * partner's payouts), and were the details a payout goes to changed within it (the payout needs a higher tier).
 */

export type DetailsChangeSource = 'SAVED_METHOD' | 'PAYOUT_REQUEST' | 'DRAFT_SUBMISSION';

export interface DetailsChanger {
  /** A user id, or `system:<component>`. */
  userId: string;
  role: UserRole | 'system';
}

export interface RecordedDetailsChange {
  id: string;
  changedFields: string[];
  initial: boolean;
}

/** What the audit record, the change record and the e-mail show of a value: its last four characters at most. */
export function maskDetailValue(value: string): string {
  const visible = value.length > 6 ? value.slice(-4) : '';
  return `${'*'.repeat(Math.max(value.length - visible.length, 1))}${visible}`;
}

function maskDetails(details: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.keys(details).sort().map((key) => [key, maskDetailValue(details[key]!)]));
}

/** SHA-256 over the sorted key/value pairs: equal details give equal hashes, and one value changed changes it. */
export function detailsFingerprint(details: Readonly<Record<string, string>>): string {
  const pairs = Object.keys(details).sort().map((key) => [key, details[key]]);
  return createHash('sha256').update(JSON.stringify(pairs)).digest('hex');
}

const detailsRow = z.object({ details: z.record(z.string()) });
const existsRow = z.object({ exists: z.boolean() });
const documentRow = z.object({ document: z.unknown() });

/** The partner's saved details for a method, locked for the change that follows (null when none are saved). */
export async function lockSavedDetails(transaction: CommonQueryMethods, partnerId: string, methodId: string): Promise<Record<string, string> | null> {
  return transaction.maybeOneFirst(sql.type(detailsRow)`
    SELECT details FROM partner_payment_methods WHERE partner_id = ${partnerId} AND method_id = ${methodId} FOR UPDATE`);
}

/** Whether the partner has saved details for any method: their first details are a setup, later ones a change. */
async function partnerHasSavedDetails(connection: CommonQueryMethods, partnerId: string): Promise<boolean> {
  return connection.oneFirst(sql.type(existsRow)`
    SELECT EXISTS (SELECT 1 FROM partner_payment_methods WHERE partner_id = ${partnerId}) AS exists`);
}

/**
 * Saves `after` as the partner's details for the method and records the change, on the caller's transaction. Call
 * it with the details read under `lockSavedDetails`. When the details are the same as before, nothing is recorded
 * as a change and nothing e-mailed; the save is still audited and the row written (`updated_at` says when the
 * details were last confirmed).
 */
export async function saveAndRecordDetails(
  transaction: CommonQueryMethods,
  input: {
    partnerId: string;
    methodId: string;
    before: Readonly<Record<string, string>> | null;
    after: Readonly<Record<string, string>>;
    changer: DetailsChanger;
    source: DetailsChangeSource;
    ip: string | null;
  },
): Promise<RecordedDetailsChange | null> {
  const { partnerId, methodId, before, after } = input;
  const initial = before === null && !(await partnerHasSavedDetails(transaction, partnerId));
  await transaction.query(sql.unsafe`
    INSERT INTO partner_payment_methods (partner_id, method_id, details) VALUES (${partnerId}, ${methodId}, ${sql.jsonb(after as Record<string, string>)})
    ON CONFLICT (partner_id, method_id) DO UPDATE SET details = EXCLUDED.details, updated_at = now()`);
  const changedFields = changedDetailFields(before ?? {}, after);
  if (changedFields.length === 0) {
    // A saved method's PUT that changes nothing is still audited (who confirmed the details, and when), as before
    // issue #16; a payout request repeating the saved details is the payout's own audit record's business.
    if (input.source !== 'SAVED_METHOD') return null;
    await appendAuditRecord(transaction, {
      action: 'PARTNER_CHANGE',
      actor: input.changer.userId,
      targetType: 'partner',
      targetId: partnerId,
      ip: input.ip,
      details: { paymentMethod: methodId, changedFields, created: false, role: input.changer.role, source: input.source },
    });
    return null;
  }

  const id = randomUUID();
  const maskedBefore = before === null ? null : maskDetails(before);
  const maskedAfter = maskDetails(after);
  const hashBefore = before === null ? null : detailsFingerprint(before);
  const hashAfter = detailsFingerprint(after);
  const changedAt = await transaction.oneFirst(sql.type(z.object({ changed_at: z.date() }))`
    INSERT INTO payment_details_changes (id, partner_id, method_id, changed_by, changed_by_role, source, initial, changed_fields,
                                         details_before, details_after, hash_before, hash_after, ip)
    VALUES (${id}, ${partnerId}, ${methodId}, ${input.changer.userId}, ${input.changer.role}, ${input.source}, ${initial},
            ${sql.array(changedFields, 'text')}, ${maskedBefore === null ? null : sql.jsonb(maskedBefore)}, ${sql.jsonb(maskedAfter)},
            ${hashBefore}, ${hashAfter}, ${input.ip}::inet)
    RETURNING changed_at`);
  await appendAuditRecord(transaction, {
    action: 'PARTNER_CHANGE',
    actor: input.changer.userId,
    targetType: 'partner',
    targetId: partnerId,
    ip: input.ip,
    details: {
      paymentMethod: methodId,
      changedFields,
      created: before === null,
      initial,
      role: input.changer.role,
      source: input.source,
      detailsChangeId: id,
      before: maskedBefore,
      after: maskedAfter,
      hashBefore,
      hashAfter,
    },
  });
  const by = input.changer.role === 'partner' ? 'from your account' : input.changer.role === 'system' ? 'by the system' : 'by an administrator';
  await enqueueNotification(transaction, {
    dedupeKey: `payment-details-changed:${id}`,
    kind: 'PAYMENT_DETAILS_CHANGED',
    recipient: { kind: 'partner', partnerId },
    subject: `Your ${methodId} payment details were changed`,
    text: [
      `Your payment details for ${methodId} were ${before === null ? 'added' : 'changed'} ${by} at ${changedAt.toISOString()}.`,
      '',
      `Changed: ${changedFields.join(', ')}`,
      ...changedFields.map((field) => `  ${field}: ${maskedBefore?.[field] ?? '(none)'} -> ${maskedAfter[field] ?? '(removed)'}`),
      '',
      'If you did not make or ask for this change, sign in, change your password and contact support at once:',
      'payouts to changed details need a senior approval for a while, so there is time to stop them.',
    ].join('\n'),
  });
  return { id, changedFields, initial };
}

/** The details-change rules of a policy version (its defaults when the version predates them). */
export async function detailsChangePolicyOf(connection: CommonQueryMethods, policyVersion: number): Promise<DetailsChangePolicy> {
  const document = await connection.maybeOneFirst(sql.type(documentRow)`
    SELECT document FROM policy_versions WHERE version = ${policyVersion}`);
  if (document === null) return defaultDetailsChange;
  return policySchema.parse(document).payouts.detailsChange;
}

/**
 * Whether the partner's details for the method were changed (not first set) within the last `windowDays`: a payout
 * to them then needs at least the policy's `minimumTier`.
 */
export async function detailsChangedWithin(connection: CommonQueryMethods, input: { partnerId: string; methodId: string; windowDays: number }): Promise<boolean> {
  return connection.oneFirst(sql.type(existsRow)`
    SELECT EXISTS (
      SELECT 1 FROM payment_details_changes
      WHERE partner_id = ${input.partnerId} AND method_id = ${input.methodId} AND NOT initial
        AND changed_at > now() - make_interval(days => ${input.windowDays})
    ) AS exists`);
}

/**
 * Whether sending `details` with a payout request would change the partner's details for the method: different
 * from the saved ones, and not the partner's very first details.
 */
export async function requestChangesDetails(connection: CommonQueryMethods, input: { partnerId: string; methodId: string; details: Readonly<Record<string, string>> }): Promise<boolean> {
  const saved = await connection.maybeOneFirst(sql.type(detailsRow)`
    SELECT details FROM partner_payment_methods WHERE partner_id = ${input.partnerId} AND method_id = ${input.methodId}`);
  if (saved !== null) return changedDetailFields(saved, input.details).length > 0;
  return partnerHasSavedDetails(connection, input.partnerId);
}

/**
 * docs/rules.md#details-change-controls: an admin who changed (or first set) a partner's payment details within the
 * window of the payout's policy version may not approve that partner's payouts. Called in the approval's
 * transaction, so a change committed before the approval is always seen.
 */
export async function refuseApproverWhoChangedDetails(connection: CommonQueryMethods, input: { payoutId: string; approverId: string }): Promise<void> {
  const payout = await connection.one(sql.type(z.object({ partner_id: z.string(), policy_version: z.number() }))`
    SELECT partner_id, policy_version FROM payouts WHERE id = ${input.payoutId}`);
  const { windowDays } = await detailsChangePolicyOf(connection, payout.policy_version);
  if (windowDays === 0) return;
  const changed = await connection.maybeOne(sql.type(z.object({ method_id: z.string(), changed_at: z.date() }))`
    SELECT method_id, changed_at FROM payment_details_changes
    WHERE partner_id = ${payout.partner_id} AND changed_by = ${input.approverId}
      AND changed_at > now() - make_interval(days => ${windowDays})
    ORDER BY changed_at DESC LIMIT 1`);
  if (changed) {
    throw new DomainError(
      'forbidden',
      'details_changed_by_approver',
      `this admin changed partner ${payout.partner_id}'s ${changed.method_id} payment details at ${changed.changed_at.toISOString()}; ` +
        `for ${windowDays} days after a change, another admin must approve the partner's payouts`,
    );
  }
}

/** The change history of a partner's details, newest first (masked values only). */
export async function listDetailsChanges(connection: CommonQueryMethods, partnerId: string, limit = 100) {
  return connection.any(sql.type(
    z.object({
      id: z.string(),
      method_id: z.string(),
      changed_by: z.string(),
      changed_by_role: z.string(),
      source: z.enum(['SAVED_METHOD', 'PAYOUT_REQUEST', 'DRAFT_SUBMISSION']),
      initial: z.boolean(),
      changed_fields: z.array(z.string()),
      details_before: z.record(z.string()).nullable(),
      details_after: z.record(z.string()),
      changed_at: z.date(),
    }),
  )`
    SELECT id, method_id, changed_by, changed_by_role, source, initial, changed_fields, details_before, details_after, changed_at
    FROM payment_details_changes WHERE partner_id = ${partnerId}
    ORDER BY changed_at DESC, id DESC LIMIT ${limit}`);
}

/**
 * docs/rules.md#details-change-controls: with `partnerTotpRequiredAboveRub` set, a partner whose available balances
 * (RUB-equivalent, summed over currencies) exceed it must enrol TOTP before changing payment details or requesting a
 * payout. A balance without an FX rate counts as above (it cannot be shown to be small).
 */
export async function partnerTotpDue(
  connection: CommonQueryMethods,
  input: { ledger: LedgerStore; partnerId: string; policy: DetailsChangePolicy },
): Promise<boolean> {
  const threshold = input.policy.partnerTotpRequiredAboveRub;
  if (threshold === null) return false;
  let total = new Money(0);
  for (const balances of await input.ledger.partnerBalances(input.partnerId, connection)) {
    if (!new Money(balances.available).isPositive()) continue;
    const rub = await amountInRub(connection, balances.available, balances.currency);
    if (rub === null) return true;
    total = total.plus(rub);
  }
  return total.greaterThan(threshold);
}

/** Refuses a partner without TOTP whom the policy requires to have it (see `partnerTotpDue`), naming `field`. */
export async function requirePartnerTotpWhereDue(
  connection: CommonQueryMethods,
  input: { ledger: LedgerStore; partnerId: string; userHasTotp: boolean; policy: DetailsChangePolicy; field: string },
): Promise<void> {
  if (input.userHasTotp || !(await partnerTotpDue(connection, input))) return;
  throw new DomainError(
    'forbidden',
    'totp_enrolment_required',
    `above ${input.policy.partnerTotpRequiredAboveRub} RUB-equivalent available, a partner enrols TOTP (POST /v1/me/totp) before changing payment details or requesting a payout`,
    input.field,
  );
}
