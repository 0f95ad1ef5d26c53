import { createHash, randomUUID } from 'node:crypto';
import { sql, UniqueIntegrityConstraintViolationError, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { appendAuditRecord } from '../audit/audit-store.ts';
import { InsufficientFundsError, type LedgerStore } from '../ledger/ledger-store.ts';
import type { PolicyStore, PolicyVersion } from '../policy/policy-store.ts';
import type { Database } from '../../db/pool.ts';
import type { UserRole } from '../../domain/access.ts';
import { DomainError } from '../../domain/errors.ts';
import type { AccountRef } from '../../domain/ledger.ts';
import { Money, fitsScale, formatMoney, isCurrency } from '../../domain/money.ts';
import type { Rank } from '../../domain/network.ts';
import {
  approvalChainFor,
  computePayoutFee,
  findPaymentMethod,
  payoutPriority,
  rubEquivalent,
  validatePaymentDetails,
  type PayoutActor,
} from '../../domain/payout.ts';
import type { PayoutRequest } from '../../workflows/payout-messages.ts';
import { usdRatesForRub } from '../policy/fx-rates.ts';
import { lockBalances, payoutRecord, payoutRecordColumns, type PayoutRecord } from './payout-store.ts';
import type { PayoutStart } from './start-payout.ts';
import { detailsChangedWithin, lockSavedDetails, requestChangesDetails, saveAndRecordDetails, type DetailsChangeSource } from './payment-details-changes.ts';

/**
 * Creating a payout, one way for every path (issue #4): a partner's or an admin's request, each line of a bulk
 * request, an admin's DRAFT and its submission, and the payment schedule's run. Validation, fee, priority and
 * approval chain are computed here; a request reserves its amount (available → payout_reserved) with its row and
 * audit record in one transaction. Starting `payout-<id>` is the caller's: the API starts it with a Temporal client
 * (`startPayoutOrUndo`), the schedule's workflow as a child. Refusals are DomainErrors naming the input field as
 * the caller's client sees it (`body.amount`, `items[3].amount`).
 */

/** What is asked for. Amounts are decimal strings; omitted details mean the partner's saved ones for the method. */
export interface PayoutInput {
  partnerId: string;
  amount: string;
  currency: string;
  methodId: string;
  paymentDetails?: Record<string, string>;
  /**
   * The non-regular payment in docs/rules.md#payout-fees: off the payment schedule or below the method's minimum, at the method's
   * surcharge (part of the fee). The schedule's payouts are regular.
   */
  nonRegular?: boolean;
}

/** Who initiates: a signed-in user, or the schedule's system user (role `system`). */
export interface PayoutInitiator {
  userId: string;
  role: UserRole | 'system';
  /** The audit log's actor: the user id, or `system:<component>`. */
  auditActor: string;
}

export interface PayoutCreationDependencies {
  database: Database;
  ledger: LedgerStore;
  policies: PolicyStore;
}

export interface CreatedPayout {
  row: PayoutRecord;
  /** Null for a draft: nothing is reserved and no workflow starts. */
  start: PayoutStart | null;
}

export interface CreatePayoutOptions {
  initiator: PayoutInitiator;
  /** Names an input field as the client sent it, e.g. `(name) => \`body.${name}\``. */
  field: (name: string) => string;
  ip: string | null;
  /** A DRAFT: validated and priced, but nothing is reserved, no workflow starts, and the partner does not see it. */
  draft?: boolean;
  /** The schedule's payment date (one payout per wallet and date; unique key in migration 010). */
  scheduleDate?: string;
  /** The schedule with `includeBelowMinimum`: a payout below the method's minimum is allowed. */
  allowBelowMinimum?: boolean;
}

interface PreparedPayout {
  request: PayoutRequest;
  nonRegular: boolean;
  surcharge: string;
  paymentDetails: Record<string, string>;
  /** The details were sent with the request (the partner's saved details are then updated). */
  detailsSent: boolean;
  policy: PolicyVersion;
  slaHours: number;
  /** docs/rules.md#details-change-controls: the details this payout goes to were changed within the policy's window. */
  detailsChangedRecently: boolean;
}

const partnerFactsRow = z.object({ rank: z.string(), age_days: z.number() });
const savedDetailsRow = z.object({ details: z.record(z.string()) });

/**
 * What an approver confirms they saw: SHA-256 over a canonical form of the amount, currency, method and payment
 * details (keys sorted). Any change to what would be paid changes the hash, and the workflow refuses the approval.
 */
export function paymentDetailsHash(input: { amount: string; currency: string; methodId: string; details: Record<string, string> }): string {
  const details = Object.keys(input.details)
    .sort()
    .map((key) => [key, input.details[key]]);
  return createHash('sha256').update(JSON.stringify([input.amount, input.currency, input.methodId, details])).digest('hex');
}

/** Validates and prices a payout under the policy in force; reads only, so it may run outside a transaction. */
async function preparePayout(
  connection: CommonQueryMethods,
  policy: PolicyVersion,
  input: PayoutInput,
  options: { payoutId: string; initiator: PayoutInitiator; field: (name: string) => string; allowBelowMinimum: boolean },
): Promise<PreparedPayout> {
  const { field } = options;
  const payouts = policy.policy.payouts;
  const method = findPaymentMethod(payouts, input.methodId);
  if (!method) throw new DomainError('unprocessable', 'unknown_method', `no payment method ${input.methodId}`, field('methodId'));
  if (method.currency !== input.currency) {
    throw new DomainError('unprocessable', 'currency_mismatch', `${method.id} pays in ${method.currency}, not ${input.currency}`, field('currency'));
  }
  if (!isCurrency(input.currency)) throw new DomainError('invalid', 'invalid_request', `unknown currency ${input.currency}`, field('currency'));
  const requested = new Money(input.amount);
  if (!requested.isPositive()) throw new DomainError('invalid', 'invalid_request', 'a payout amount must be positive', field('amount'));
  if (!fitsScale(requested, input.currency)) throw new DomainError('invalid', 'invalid_request', `more decimal places than ${input.currency} allows`, field('amount'));
  const partner = await connection.maybeOne(sql.type(partnerFactsRow)`
    SELECT rank, (extract(epoch FROM now() - joined_at) / 86400)::float8 AS age_days FROM partners WHERE id = ${input.partnerId}`);
  if (!partner) throw new DomainError('unprocessable', 'partner_not_found', `partner ${input.partnerId} does not exist`, field('partnerId'));

  let details = input.paymentDetails;
  if (details === undefined) {
    const saved = await connection.maybeOneFirst(sql.type(savedDetailsRow)`
      SELECT details FROM partner_payment_methods WHERE partner_id = ${input.partnerId} AND method_id = ${method.id}`);
    if (!saved) throw new DomainError('invalid', 'invalid_request', `no saved details for ${method.id}: send paymentDetails`, field('paymentDetails'));
    details = saved;
  }
  const issue = validatePaymentDetails(method, details)[0];
  if (issue) {
    const detailField = `${field('paymentDetails')}.${issue.field}`;
    throw new DomainError('invalid', 'invalid_request', `${detailField}: ${issue.message}`, detailField);
  }

  const amount = formatMoney(requested, input.currency);
  const nonRegular = input.nonRegular ?? false;
  if (requested.lessThan(method.minPayout) && !options.allowBelowMinimum && !nonRegular) {
    throw new DomainError(
      'unprocessable', 'below_minimum',
      `${method.id} pays at least ${method.minPayout} ${method.currency}; a non-regular payout (nonRegular: true, ${method.nonRegularSurchargePercent}% surcharge) may be smaller`,
      field('amount'),
    );
  }
  const { fee, surcharge, amountToTransfer } = computePayoutFee(amount, input.currency, method, { nonRegular });
  if (!new Money(amountToTransfer).isPositive()) throw new DomainError('unprocessable', 'below_fee', `the fee ${fee} takes the whole amount`, field('amount'));

  const amountRub = rubEquivalent(amount, input.currency, await usdRatesForRub(connection, input.currency));
  // docs/rules.md#details-change-controls: a payout to details changed within the window (by this request or
  // earlier) needs at least the policy's minimum tier.
  const detailsRules = payouts.detailsChange;
  const detailsChangedRecently =
    detailsRules.windowDays > 0 &&
    ((input.paymentDetails !== undefined && (await requestChangesDetails(connection, { partnerId: input.partnerId, methodId: method.id, details }))) ||
      (await detailsChangedWithin(connection, { partnerId: input.partnerId, methodId: method.id, windowDays: detailsRules.windowDays })));
  const priority = payoutPriority({ amountRub, rank: partner.rank as Rank, accountAgeDays: partner.age_days }, payouts.priority);
  const request: PayoutRequest = {
    payoutId: options.payoutId,
    partnerId: input.partnerId,
    methodId: method.id,
    processing: method.processing,
    currency: input.currency,
    amount,
    fee,
    amountToTransfer,
    amountRub,
    priority,
    detailsHash: paymentDetailsHash({ amount, currency: input.currency, methodId: method.id, details }),
    requiredChain: approvalChainFor(amountRub, payouts.approvalChain, detailsChangedRecently ? { minimumTier: detailsRules.minimumTier } : {}),
    // The workflow reads only the id (maker-checker); `system` marks the schedule's system user.
    initiatedBy: { userId: options.initiator.userId, role: options.initiator.role } as PayoutActor,
  };
  return {
    request, nonRegular, surcharge, paymentDetails: details, detailsSent: input.paymentDetails !== undefined, policy,
    slaHours: payouts.slaHours[priority], detailsChangedRecently,
  };
}

/**
 * Posts `payout-reserve-<id>` (available → payout_reserved; the floor CHECK refuses an overdraft) and writes
 * PAYOUT_REQUEST, on the caller's transaction. The balance rows are locked before they are read, so the audit
 * record's before/after are the ones the entry changes.
 */
async function reserveAndAudit(
  transaction: CommonQueryMethods,
  ledger: LedgerStore,
  request: PayoutRequest,
  input: { ip: string | null; auditActor: string; details: Record<string, unknown> },
): Promise<string> {
  const account = (bucket: 'available' | 'payout_reserved'): AccountRef => ({ ownerType: 'partner', ownerId: request.partnerId, bucket, currency: request.currency });
  const [availableBefore] = await lockBalances(ledger, transaction, [account('available'), account('payout_reserved')]);
  const posted = await ledger.postEntry(
    {
      idempotencyKey: `payout-reserve-${request.payoutId}`,
      kind: 'payout_reserve',
      description: `payout ${request.payoutId} requested via ${request.methodId}`,
      metadata: { payoutId: request.payoutId, partnerId: request.partnerId },
      postings: [
        { account: account('available'), amount: formatMoney(new Money(request.amount).negated(), request.currency) },
        { account: account('payout_reserved'), amount: request.amount },
      ],
    },
    transaction,
  );
  await appendAuditRecord(transaction, {
    action: 'PAYOUT_REQUEST',
    actor: input.auditActor,
    targetType: 'payout',
    targetId: request.payoutId,
    amount: request.amount,
    currency: request.currency,
    balanceBefore: formatMoney(availableBefore!, request.currency),
    balanceAfter: formatMoney(new Money(availableBefore!).minus(request.amount), request.currency),
    ip: input.ip,
    entryId: posted.entryId,
    details: {
      partnerId: request.partnerId,
      methodId: request.methodId,
      fee: request.fee,
      amountToTransfer: request.amountToTransfer,
      amountRub: request.amountRub,
      priority: request.priority,
      detailsHash: request.detailsHash,
      ...input.details,
    },
  });
  return posted.entryId;
}

/** The request's details become the partner's saved ones; a change is recorded, audited and e-mailed (docs/rules.md#details-change-controls). */
async function saveDetails(
  transaction: CommonQueryMethods,
  request: PayoutRequest,
  details: Record<string, string>,
  input: { initiator: PayoutInitiator; source: DetailsChangeSource; ip: string | null },
) {
  const before = await lockSavedDetails(transaction, request.partnerId, request.methodId);
  await saveAndRecordDetails(transaction, {
    partnerId: request.partnerId,
    methodId: request.methodId,
    before,
    after: details,
    changer: { userId: input.initiator.role === 'system' ? input.initiator.auditActor : input.initiator.userId, role: input.initiator.role },
    source: input.source,
    ip: input.ip,
  });
}

/** The database's refusals of a request, as domain refusals naming the field. */
function translateCreationError(error: unknown, request: PayoutRequest, field: (name: string) => string): unknown {
  if (error instanceof InsufficientFundsError) {
    return new DomainError('unprocessable', 'insufficient_funds', `the available ${request.currency} balance is less than ${request.amount}`, field('amount'));
  }
  if (error instanceof UniqueIntegrityConstraintViolationError) {
    if (error.constraint === 'payouts_one_active_per_wallet') {
      return new DomainError('conflict', 'duplicate_request', `partner ${request.partnerId} already has an active ${request.currency} payout`, field('currency'));
    }
    if (error.constraint === 'payouts_one_per_schedule_date') {
      return new DomainError('conflict', 'already_scheduled', `partner ${request.partnerId} already has a scheduled ${request.currency} payout for this date`, field('partnerId'));
    }
  }
  return error;
}

/**
 * Creates a payout: a request (reserve, row REQUESTED, saved details, PAYOUT_REQUEST — one transaction) or a DRAFT
 * (row only, audited as PAYOUT_REQUEST with `draft: true`, no money moves). The caller starts the workflow of a
 * request with `start`.
 */
export async function createPayout(
  dependencies: PayoutCreationDependencies,
  input: PayoutInput,
  options: CreatePayoutOptions,
): Promise<CreatedPayout> {
  const { database, ledger } = dependencies;
  const policy = await dependencies.policies.active();
  const prepared = await preparePayout(database, policy, input, {
    payoutId: randomUUID(),
    initiator: options.initiator,
    field: options.field,
    allowBelowMinimum: options.allowBelowMinimum ?? false,
  });
  const { request } = prepared;
  const draft = options.draft ?? false;
  if (draft && options.scheduleDate) throw new Error('the schedule does not make drafts');
  try {
    const row = await database.transaction(async (transaction) => {
      const entryId = draft
        ? null
        : await reserveAndAudit(transaction, ledger, request, {
            ip: options.ip,
            auditActor: options.initiator.auditActor,
            details: {
              ...(options.scheduleDate ? { scheduleDate: options.scheduleDate } : {}),
              ...(prepared.nonRegular ? { nonRegular: true, surcharge: prepared.surcharge } : {}),
              ...(prepared.detailsChangedRecently ? { detailsChangedRecently: true } : {}),
            },
          });
      const inserted = await transaction.one(sql.type(payoutRecord)`
        INSERT INTO payouts (id, partner_id, method_id, currency, amount, fee, amount_to_transfer, amount_rub, status,
                             priority, payment_details, details_hash, required_chain, policy_version, initiated_by,
                             initiated_role, sla_due_at, reserve_entry_id, requested_at, drafted_by, schedule_date,
                             non_regular, surcharge)
        VALUES (${request.payoutId}, ${request.partnerId}, ${request.methodId}, ${request.currency}, ${request.amount},
                ${request.fee}, ${request.amountToTransfer}, ${request.amountRub}, ${draft ? 'DRAFT' : 'REQUESTED'},
                ${request.priority}, ${sql.jsonb(prepared.paymentDetails)}, ${request.detailsHash},
                ${sql.jsonb(request.requiredChain as never)}, ${policy.version}, ${request.initiatedBy.userId},
                ${request.initiatedBy.role}, now() + make_interval(hours => ${prepared.slaHours}), ${entryId},
                ${draft ? null : sql.fragment`now()`}, ${draft ? request.initiatedBy.userId : null},
                ${options.scheduleDate ?? null}::date, ${prepared.nonRegular}, ${prepared.surcharge})
        RETURNING ${payoutRecordColumns}`);
      if (draft) {
        // A draft moves no money; its audit record says who drafted what (the submission is audited again, with the
        // reserve entry).
        await appendAuditRecord(transaction, {
          action: 'PAYOUT_REQUEST',
          actor: options.initiator.auditActor,
          targetType: 'payout',
          targetId: request.payoutId,
          amount: request.amount,
          currency: request.currency,
          ip: options.ip,
          details: { draft: true, partnerId: request.partnerId, methodId: request.methodId, fee: request.fee, detailsHash: request.detailsHash },
        });
      } else if (prepared.detailsSent) {
        await saveDetails(transaction, request, prepared.paymentDetails, { initiator: options.initiator, source: 'PAYOUT_REQUEST', ip: options.ip });
      }
      return inserted;
    });
    return { row, start: draft ? null : { request, policy: { version: policy.version, payouts: policy.policy.payouts } } };
  } catch (error) {
    throw translateCreationError(error, request, options.field);
  }
}

const draftField = (name: string) => `draft.${name}`;

async function loadDraft(connection: CommonQueryMethods, draftId: string, lock: boolean): Promise<PayoutRecord> {
  const row = await connection.maybeOne(sql.type(payoutRecord)`
    SELECT ${payoutRecordColumns} FROM payouts WHERE id = ${draftId} ${lock ? sql.fragment`FOR UPDATE` : sql.fragment``}`);
  if (!row) throw new DomainError('not_found', 'not_found', `payout ${draftId} does not exist`, 'params.id');
  if (row.status !== 'DRAFT') throw new DomainError('conflict', 'invalid_state', `the payout is ${row.status}, not DRAFT`, 'status');
  return row;
}

/**
 * Submits a DRAFT: priced again under the policy in force, its amount reserved, and REQUESTED under the same id — the
 * same transaction as a direct request. The submitter becomes the initiator (the drafter may not approve either:
 * the route checks `drafted_by`). Refusals name the draft's fields (`draft.amount`).
 */
export async function submitPayoutDraft(
  dependencies: PayoutCreationDependencies,
  draftId: string,
  options: { initiator: PayoutInitiator; ip: string | null },
): Promise<CreatedPayout> {
  const { database, ledger } = dependencies;
  const draft = await loadDraft(database, draftId, false);
  const policy = await dependencies.policies.active();
  const prepared = await preparePayout(
    database,
    policy,
    {
      partnerId: draft.partner_id, amount: draft.amount, currency: draft.currency, methodId: draft.method_id,
      paymentDetails: draft.payment_details, nonRegular: draft.non_regular,
    },
    { payoutId: draft.id, initiator: options.initiator, field: draftField, allowBelowMinimum: false },
  );
  const { request } = prepared;
  try {
    const row = await database.transaction(async (transaction) => {
      // Locked and checked again: of two submissions of one draft, the second finds it REQUESTED.
      await loadDraft(transaction, draftId, true);
      const entryId = await reserveAndAudit(transaction, ledger, request, {
        ip: options.ip,
        auditActor: options.initiator.auditActor,
        details: {
          submittedDraft: true,
          draftedBy: draft.drafted_by,
          ...(prepared.nonRegular ? { nonRegular: true, surcharge: prepared.surcharge } : {}),
          ...(prepared.detailsChangedRecently ? { detailsChangedRecently: true } : {}),
        },
      });
      const updated = await transaction.one(sql.type(payoutRecord)`
        UPDATE payouts SET status = 'REQUESTED', fee = ${request.fee}, surcharge = ${prepared.surcharge},
                           amount_to_transfer = ${request.amountToTransfer},
                           amount_rub = ${request.amountRub}, priority = ${request.priority},
                           details_hash = ${request.detailsHash}, required_chain = ${sql.jsonb(request.requiredChain as never)},
                           policy_version = ${policy.version}, initiated_by = ${request.initiatedBy.userId},
                           initiated_role = ${request.initiatedBy.role},
                           sla_due_at = now() + make_interval(hours => ${prepared.slaHours}),
                           reserve_entry_id = ${entryId}, requested_at = now(), updated_at = now()
        WHERE id = ${draftId}
        RETURNING ${payoutRecordColumns}`);
      await saveDetails(transaction, request, prepared.paymentDetails, { initiator: options.initiator, source: 'DRAFT_SUBMISSION', ip: options.ip });
      return updated;
    });
    return { row, start: { request, policy: { version: policy.version, payouts: policy.policy.payouts } } };
  } catch (error) {
    throw translateCreationError(error, request, draftField);
  }
}

/**
 * Discards a DRAFT: it becomes CANCELLED without ever having had a reserve (rows are never deleted), audited as
 * PAYOUT_CANCEL with `draft: true`. Nothing moves.
 */
export async function discardPayoutDraft(
  database: Database,
  draftId: string,
  options: { actor: string; reason: string | null; ip: string | null },
): Promise<PayoutRecord> {
  return database.transaction(async (transaction) => {
    const draft = await loadDraft(transaction, draftId, true);
    const row = await transaction.one(sql.type(payoutRecord)`
      UPDATE payouts SET status = 'CANCELLED', closed_by = ${options.actor}, closed_at = now(), updated_at = now()
      WHERE id = ${draftId}
      RETURNING ${payoutRecordColumns}`);
    await appendAuditRecord(transaction, {
      action: 'PAYOUT_CANCEL',
      actor: options.actor,
      targetType: 'payout',
      targetId: draftId,
      amount: draft.amount,
      currency: draft.currency,
      reason: options.reason,
      ip: options.ip,
      details: { draft: true, partnerId: draft.partner_id },
    });
    return row;
  });
}
