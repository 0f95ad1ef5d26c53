import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { AdminRole } from '../../domain/access.ts';
import { DomainError } from '../../domain/errors.ts';
import type { AccountRef } from '../../domain/ledger.ts';
import { Money, formatMoney } from '../../domain/money.ts';
import { mayStartProcessing, type PayoutSwitches } from '../../domain/ops-switches.ts';
import {
  evaluateChecklist,
  type ChecklistOutcome,
  type PayoutActor,
  type PayoutFailureCode,
  type PayoutRejectionCode,
  type PayoutStatus,
} from '../../domain/payout.ts';
import type { PayoutPolicy } from '../../domain/payout-policy.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';
import type { LedgerStore } from '../ledger/ledger-store.ts';
import { lockBalances } from './payout-store.ts';
import { enqueueNotification } from '../notifications/outbox.ts';
import { payoutNotices } from '../notifications/payout-notices.ts';
import { noticePartnerPayoutApproved, noticePartnerPayoutInReview } from '../notifications/partner-payout-notices.ts';
import { partnerFlags } from '../partner-flags/partner-flags-store.ts';
import { readPayoutSwitches } from '../ops/ops-switches-store.ts';
import { refuseApproverWhoChangedDetails } from './payment-details-changes.ts';
import { refuseInPaymentFile } from './payment-files.ts';

const payoutRow = z.object({
  id: z.string(),
  partner_id: z.string(),
  method_id: z.string(),
  required_chain: z.array(z.object({ roles: z.array(z.string()) })),
  initiated_by: z.string(),
  external_reference: z.string().nullable(),
  provider_reference: z.string().nullable(),
  currency: z.string(),
  amount: z.string(),
  fee: z.string(),
  amount_to_transfer: z.string(),
  amount_rub: z.string().nullable(),
  status: z.string(),
  settle_entry_id: z.string().nullable(),
});
const partnerFactsRow = z.object({
  kyc_status: z.string(),
  status: z.string(),
  name: z.string(),
  age_days: z.number(),
  account_name: z.string().nullable(),
  requested_today_rub: z.string(),
  recent_requests: z.number(),
  completed_count: z.number(),
  completed_total: z.string(),
});
const partnerValidatedRow = z.object({ partner_validated_at: z.date(), partner_invoice_id: z.string().nullable() });
const currentInvoiceRow = z.object({ id: z.string(), sha256: z.string() });

/** Who acted, as the audit log records it. */
export const checklistActor = 'system:payout-checklist';

export type PayoutSettlement = 'REJECTED' | 'CANCELLED' | 'FAILED';

export interface ReleasePayoutReserveInput {
  payoutId: string;
  outcome: PayoutSettlement;
  /** Where the reserved amount goes: back to `available`, or frozen in `held` (FRAUD_SUSPECTED). */
  destination: 'available' | 'held';
  /** A user id, or system:<component>. */
  actor: string;
  /** The client address of the person who decided it (docs/rules.md#audit-trail); absent for system steps and old histories. */
  ip?: string | null;
  rejectionCode: PayoutRejectionCode | null;
  failureCode: PayoutFailureCode | null;
  reason: string | null;
}

const settlementSteps: Record<PayoutSettlement, { step: string; action: 'PAYOUT_REJECT' | 'PAYOUT_CANCEL' | 'PAYOUT_FAIL' }> = {
  REJECTED: { step: 'reject', action: 'PAYOUT_REJECT' },
  CANCELLED: { step: 'cancel', action: 'PAYOUT_CANCEL' },
  FAILED: { step: 'fail', action: 'PAYOUT_FAIL' },
};

const partnerAccount = (partnerId: string, bucket: 'available' | 'payout_reserved' | 'held', currency: string): AccountRef => ({
  ownerType: 'partner',
  ownerId: partnerId,
  bucket,
  currency,
});

async function lockPayout(connection: CommonQueryMethods, payoutId: string) {
  const payout = await connection.maybeOne(sql.type(payoutRow)`
    SELECT id, partner_id, method_id, required_chain, initiated_by, external_reference, provider_reference, currency, amount, fee,
           amount_to_transfer, amount_rub, status, settle_entry_id
    FROM payouts WHERE id = ${payoutId} FOR UPDATE`);
  if (!payout) throw new DomainError('not_found', 'payout_not_found', `payout ${payoutId} does not exist`);
  return payout;
}

type LockedPayout = z.infer<typeof payoutRow>;

const noticeFacts = (payout: LockedPayout) => ({ payoutId: payout.id, partnerId: payout.partner_id, amount: payout.amount, currency: payout.currency });

/**
 * docs/rules.md#payout-approval: "each approver is notified in turn": the admins whose role can take an open step of the chain, except the
 * initiator and whoever approved already. Keyed by the number of approvals so far, so a retried activity asks once.
 */
async function noticeApprovalRequested(connection: CommonQueryMethods, payout: LockedPayout): Promise<void> {
  const approvals = await connection.any(sql.type(z.object({ approver_id: z.string(), step: z.number().nullable() }))`
    SELECT approver_id, step FROM payout_approvals WHERE payout_id = ${payout.id} AND decision = 'APPROVE'`);
  const done = new Set(approvals.map((approval) => approval.step));
  const roles = [...new Set(payout.required_chain.filter((_, index) => !done.has(index)).flatMap((step) => step.roles))] as AdminRole[];
  if (roles.length === 0) return;
  await enqueueNotification(connection, {
    dedupeKey: `payout-approval-requested:${payout.id}:${approvals.length}`,
    kind: 'APPROVAL_REQUESTED',
    recipient: { kind: 'admin_role', roles, excludeUserIds: [payout.initiated_by, ...approvals.map((approval) => approval.approver_id)] },
    ...payoutNotices.approvalRequested({ ...noticeFacts(payout), roles, approvedSoFar: approvals.length, stepsInChain: payout.required_chain.length }),
  });
}

/** Who acts for automatic processing, as the audit log and `closed_by` record it. */
export const providerActor = 'system:payout-provider';

/** What `startAutomaticProcessing` answers: moved to PROCESSING, or not, with the switches that say why. */
export type StartedProcessing = { started: boolean; switches: PayoutSwitches | null };

/** One approval as the workflow hands it to `recordPayoutApproval`. */
export interface ApprovalInput {
  payoutId: string;
  actor: PayoutActor;
  step: number;
  amountSeen: string;
  detailsHashSeen: string;
  completesChain: boolean;
}

/** The body of `startAutomaticProcessing`, inside the caller's transaction. */
async function startAutomaticProcessingIn(transaction: CommonQueryMethods, input: { payoutId: string; checkSwitches?: boolean }): Promise<StartedProcessing> {
  const payout = await lockPayout(transaction, input.payoutId);
  if (payout.status === 'PROCESSING') return { started: true, switches: null };
  const switches = input.checkSwitches ? await readPayoutSwitches(transaction, { methodId: payout.method_id, partnerId: payout.partner_id }) : null;
  if (switches && (switches.methodForcedManual || !mayStartProcessing(switches))) return { started: false, switches };
  await transaction.query(sql.unsafe`
    UPDATE payouts SET status = 'PROCESSING', updated_at = now() WHERE id = ${input.payoutId} AND status = 'APPROVED'`);
  await appendAuditRecord(transaction, {
    action: 'PAYOUT_PROCESS',
    actor: providerActor,
    targetType: 'payout',
    targetId: input.payoutId,
    amount: formatMoney(payout.amount_to_transfer, payout.currency),
    currency: payout.currency,
    details: { partnerId: payout.partner_id, automatic: true },
  });
  return { started: true, switches };
}

/** The body of `recordPayoutApproval`, inside the caller's transaction. */
async function recordPayoutApprovalIn(transaction: CommonQueryMethods, input: ApprovalInput): Promise<{ at: string }> {
  const payout = await lockPayout(transaction, input.payoutId);
  // docs/rules.md#details-change-controls: decided here, in the approval's transaction, and reaching the workflow
  // as this activity's refusal (the workflow never reads the database). A retry of an approval that committed
  // is not judged again.
  const approvedBefore = await transaction.exists(sql.unsafe`
    SELECT 1 FROM payout_approvals WHERE payout_id = ${input.payoutId} AND approver_id = ${input.actor.userId}`);
  if (!approvedBefore) await refuseApproverWhoChangedDetails(transaction, { payoutId: input.payoutId, approverId: input.actor.userId });
  const inserted = await transaction.maybeOne(sql.type(z.object({ decided_at: z.date() }))`
    INSERT INTO payout_approvals (payout_id, approver_id, role, decision, step, amount_seen, details_hash_seen)
    VALUES (${input.payoutId}, ${input.actor.userId}, ${input.actor.role}, 'APPROVE', ${input.step},
            ${input.amountSeen}, ${input.detailsHashSeen})
    ON CONFLICT (payout_id, approver_id) DO NOTHING
    RETURNING decided_at`);
  if (!inserted) {
    // A retry of a committed attempt: the approval and its audit record are already there.
    const existing = await transaction.one(sql.type(z.object({ decided_at: z.date() }))`
      SELECT decided_at FROM payout_approvals WHERE payout_id = ${input.payoutId} AND approver_id = ${input.actor.userId}`);
    return { at: existing.decided_at.toISOString() };
  }
  await appendAuditRecord(transaction, {
    action: 'PAYOUT_APPROVE',
    actor: input.actor.userId,
    targetType: 'payout',
    targetId: input.payoutId,
    amount: formatMoney(payout.amount, payout.currency),
    currency: payout.currency,
    ip: input.actor.ip ?? null,
    details: { partnerId: payout.partner_id, role: input.actor.role, step: input.step, detailsHash: input.detailsHashSeen, completesChain: input.completesChain },
  });
  if (input.completesChain) {
    await transaction.query(sql.unsafe`
      UPDATE payouts SET status = 'APPROVED', updated_at = now() WHERE id = ${input.payoutId} AND status = 'AWAITING_APPROVAL'`);
    await noticePartnerPayoutApproved(transaction, { ...noticeFacts(payout), methodId: payout.method_id });
  } else {
    await noticeApprovalRequested(transaction, payout);
  }
  return { at: inserted.decided_at.toISOString() };
}

/**
 * Every step of `payout-<id>` that touches the database (the workflow runs each as an activity). Each runs in one
 * transaction with its audit record, locks the payout row first (a retry racing a slow first attempt waits for it
 * and then finds the step done), and posts ledger entries keyed `payout-<step>-<id>`, so at-least-once activities
 * move money exactly once. A step refuses with a DomainError: the payout does not exist (`payout_not_found`), is
 * not awaiting its partner, has no or another invoice (`invoice_required`, `invoice_changed`), or may not start
 * processing under the emergency switches (`processing_stopped`).
 */
export function createPayoutSteps({ ledger }: { ledger: LedgerStore }) {
  const database = ledger.database;
  return {
    /** Automatic processing starts: PROCESSING, by the provider actor, audited. */
    /**
     * With `checkSwitches` (workflows since the switches patch) the emergency switches are read in the same
     * transaction, and the payout moves only when they allow (docs/rules.md#emergency-switches): `started: false` with the switches says
     * why not. Without it (histories from before) it always moves, as it did.
     */
    async startAutomaticProcessing(input: { payoutId: string; checkSwitches?: boolean }): Promise<{ started: boolean; switches: PayoutSwitches | null }> {
      return database.transaction((transaction) => startAutomaticProcessingIn(transaction, input));
    },

    /** Attempts ran out (or the provider refused our request): the payout waits in the manual review queue. */
    async markPayoutNeedsReview(input: { payoutId: string; failureCode: PayoutFailureCode | null; reason: string }): Promise<void> {
      await database.transaction(async (transaction) => {
        const payout = await lockPayout(transaction, input.payoutId);
        const flagged = await transaction.maybeOne(sql.type(z.object({ id: z.string() }))`
          UPDATE payouts SET needs_review = true, failure_code = ${input.failureCode}, failure_reason = ${input.reason}, updated_at = now()
          WHERE id = ${input.payoutId} AND NOT needs_review RETURNING id`);
        if (!flagged) return;
        await appendAuditRecord(transaction, {
          // docs/rules.md#audit-actions has no review action: a PAYOUT_PROCESS record that says the provider gave up.
          action: 'PAYOUT_PROCESS',
          actor: providerActor,
          targetType: 'payout',
          targetId: input.payoutId,
          amount: formatMoney(payout.amount, payout.currency),
          currency: payout.currency,
          reason: input.reason,
          details: { partnerId: payout.partner_id, needsReview: true, failureCode: input.failureCode },
        });
        await enqueueNotification(transaction, {
          dedupeKey: `payout-needs-review:${input.payoutId}`,
          kind: 'PAYOUT_NEEDS_REVIEW',
          recipient: { kind: 'admin_role', roles: ['finance_manager'] },
          ...payoutNotices.needsReview({ ...noticeFacts(payout), failureCode: input.failureCode, reason: input.reason }),
        });
        await noticePartnerPayoutInReview(transaction, { ...noticeFacts(payout), methodId: payout.method_id, reason: 'PROVIDER_ATTEMPTS_EXHAUSTED' });
      });
    },

    /**
     * Runs the review checklist on the partner as they are now and records it; HELD/AWAITING_APPROVAL are written
     * here. With `awaitPartnerSeconds` (the policy asks for the partner's validation, docs/rules.md#partner-validation) a payout that
     * passes becomes AWAITING_PARTNER instead, due for validation that many seconds from now; the approvers are
     * asked only once the partner validated.
     */
    async runPayoutChecklist(input: { payoutId: string; checklist: PayoutPolicy['checklist']; awaitPartnerSeconds?: number }): Promise<ChecklistOutcome> {
      return database.transaction(async (transaction) => {
        const payout = await lockPayout(transaction, input.payoutId);
        // docs/rules.md#payout-lean-lifecycle: a retry of a run that passed and committed (a local activity runs again when
        // its workflow task is lost after the commit) answers what was decided then, not a second opinion.
        if (payout.status === 'AWAITING_APPROVAL' || payout.status === 'AWAITING_PARTNER') {
          const recorded = await transaction.oneFirst(sql.type(z.object({ checklist: z.custom<ChecklistOutcome['checks']>() }))`
            SELECT checklist FROM payouts WHERE id = ${input.payoutId}`);
          return { outcome: 'PASS' as const, rejectionCode: null, reason: null, checks: recorded };
        }
        // The partner's other payouts: drafts are not requests, and rejected or cancelled ones asked for nothing.
        const facts = await transaction.one(sql.type(partnerFactsRow)`
          SELECT p.kyc_status, p.status, p.name, (extract(epoch FROM now() - p.joined_at) / 86400)::float8 AS age_days,
                 (SELECT payment_details ->> 'accountName' FROM payouts WHERE id = ${payout.id}) AS account_name,
                 (SELECT coalesce(sum(amount_rub), 0)::text FROM payouts
                  WHERE partner_id = p.id AND created_at >= date_trunc('day', now(), 'UTC')
                    AND status NOT IN ('DRAFT', 'REJECTED', 'CANCELLED')) AS requested_today_rub,
                 (SELECT count(*)::int FROM payouts
                  WHERE partner_id = p.id AND created_at >= now() - make_interval(days => ${input.checklist.velocityWindowDays})
                    AND status <> 'DRAFT') AS recent_requests,
                 (SELECT count(*)::int FROM payouts WHERE partner_id = p.id AND currency = ${payout.currency} AND status = 'COMPLETED') AS completed_count,
                 (SELECT coalesce(sum(amount), 0)::text FROM payouts
                  WHERE partner_id = p.id AND currency = ${payout.currency} AND status = 'COMPLETED') AS completed_total
          FROM partners p WHERE p.id = ${payout.partner_id}`);
        const switches = await readPayoutSwitches(transaction, { methodId: payout.method_id, partnerId: payout.partner_id });
        const flags = await partnerFlags(transaction, payout.partner_id, { activeOnly: true });
        const outcome = evaluateChecklist(
          {
            kycStatus: facts.kyc_status,
            partnerStatus: facts.status,
            accountAgeDays: facts.age_days,
            amountRub: payout.amount_rub,
            frozen: switches.partnerFrozen,
            requestedTodayRub: facts.requested_today_rub,
            recentRequests: facts.recent_requests,
            kycName: facts.name,
            accountName: facts.account_name,
            amount: payout.amount,
            completedCount: facts.completed_count,
            completedTotal: facts.completed_total,
            flags,
          },
          input.checklist,
        );
        const awaitPartner = input.awaitPartnerSeconds !== undefined;
        const next: PayoutStatus | null =
          outcome.outcome === 'PASS' ? (awaitPartner ? 'AWAITING_PARTNER' : 'AWAITING_APPROVAL') : outcome.outcome === 'HOLD' ? 'HELD' : null;
        await transaction.query(sql.unsafe`
          UPDATE payouts SET checklist = ${sql.jsonb(outcome.checks as never)},
                             status = coalesce(${next}, status), updated_at = now()
          WHERE id = ${input.payoutId} AND status IN ('REQUESTED', 'HELD')`);
        if (next === 'AWAITING_PARTNER') {
          const dueAt = await transaction.maybeOneFirst(sql.type(z.object({ due: z.date() }))`
            UPDATE payouts SET partner_validation_due_at = now() + make_interval(secs => ${input.awaitPartnerSeconds!})
            WHERE id = ${input.payoutId} AND status = 'AWAITING_PARTNER' RETURNING partner_validation_due_at AS due`);
          if (dueAt) {
            await enqueueNotification(transaction, {
              dedupeKey: `payout-validation-requested:${input.payoutId}`,
              kind: 'PARTNER_VALIDATION_REQUESTED',
              recipient: { kind: 'partner', partnerId: payout.partner_id },
              ...payoutNotices.validationRequested({ ...noticeFacts(payout), dueAt: dueAt.toISOString() }),
            });
          }
        }
        if (next === 'AWAITING_APPROVAL') await noticeApprovalRequested(transaction, payout);
        if (next === 'HELD') await noticePartnerPayoutInReview(transaction, { ...noticeFacts(payout), methodId: payout.method_id, reason: 'CHECKLIST_HOLD' });
        return outcome;
      });
    },

    /**
     * The partner validated (docs/rules.md#partner-validation): AWAITING_APPROVAL, with what they saw and the invoice current now, audited
     * as PAYOUT_PARTNER_VALIDATE; the approvers are asked. The payout row is locked first, and an invoice upload
     * locks it too, so the invoice recorded here is the one the partner validated, and none can be replaced after.
     * Refuses (non-retryable) when the policy requires an invoice and none is there, or when the current invoice is
     * not the one the partner saw.
     */
    async recordPartnerValidation(input: {
      payoutId: string;
      actor: PayoutActor;
      amountSeen: string;
      detailsHashSeen: string;
      invoiceId: string | null;
      invoiceRequired: boolean;
    }): Promise<{ at: string; invoiceId: string | null }> {
      return database.transaction(async (transaction) => {
        const payout = await lockPayout(transaction, input.payoutId);
        const done = await transaction.maybeOne(sql.type(partnerValidatedRow)`
          SELECT partner_validated_at, partner_invoice_id FROM payouts WHERE id = ${input.payoutId} AND partner_validated_at IS NOT NULL`);
        // A retry of a committed attempt: the validation and its audit record are already there.
        if (done) return { at: done.partner_validated_at.toISOString(), invoiceId: done.partner_invoice_id };
        if (payout.status !== 'AWAITING_PARTNER') {
          throw new DomainError('conflict', 'not_awaiting_partner', `payout ${input.payoutId} is ${payout.status}, not AWAITING_PARTNER`, 'status');
        }
        const invoice = await transaction.maybeOne(sql.type(currentInvoiceRow)`
          SELECT id, sha256 FROM payout_invoices WHERE payout_id = ${input.payoutId} ORDER BY id DESC LIMIT 1`);
        if (input.invoiceRequired && !invoice) {
          throw new DomainError('conflict', 'invoice_required', 'the policy requires an invoice and none is uploaded', 'invoice');
        }
        if ((invoice?.id ?? null) !== input.invoiceId) {
          throw new DomainError('conflict', 'invoice_changed', 'another invoice was uploaded since the partner looked; validate again', 'invoice');
        }
        const validated = await transaction.one(sql.type(z.object({ partner_validated_at: z.date() }))`
          UPDATE payouts SET status = 'AWAITING_APPROVAL', partner_validated_by = ${input.actor.userId}, partner_validated_at = now(),
                             partner_amount_seen = ${input.amountSeen}, partner_details_hash_seen = ${input.detailsHashSeen},
                             partner_invoice_id = ${invoice?.id ?? null}, updated_at = now()
          WHERE id = ${input.payoutId}
          RETURNING partner_validated_at`);
        await appendAuditRecord(transaction, {
          action: 'PAYOUT_PARTNER_VALIDATE',
          actor: input.actor.userId,
          targetType: 'payout',
          targetId: input.payoutId,
          amount: formatMoney(payout.amount, payout.currency),
          currency: payout.currency,
          ip: input.actor.ip ?? null,
          details: { partnerId: payout.partner_id, detailsHash: input.detailsHashSeen, invoiceId: invoice?.id ?? null, invoiceSha256: invoice?.sha256 ?? null },
        });
        await noticeApprovalRequested(transaction, payout);
        return { at: validated.partner_validated_at.toISOString(), invoiceId: invoice?.id ?? null };
      });
    },

    /** Records one approval (and APPROVED when it completes the chain), with its PAYOUT_APPROVE audit record. */
    async recordPayoutApproval(input: ApprovalInput): Promise<{ at: string }> {
      return database.transaction((transaction) => recordPayoutApprovalIn(transaction, input));
    },

    /**
     * docs/rules.md#payout-lean-lifecycle: the approval that completes the chain of an AUTOMATIC payout and the start of its
     * processing, in one transaction (one local activity of the workflow instead of two activities): the approval
     * exactly as `recordPayoutApproval` records it, then, when it completes the chain, `startAutomaticProcessing`
     * with the emergency switches read in the same transaction. Idempotent like both: a retry after a commit finds
     * the approval there and the payout PROCESSING (or still APPROVED behind a switch, judged again).
     */
    async approvePayoutAndStartProcessing(input: ApprovalInput): Promise<{ at: string; start: StartedProcessing | null }> {
      return database.transaction(async (transaction) => {
        const { at } = await recordPayoutApprovalIn(transaction, input);
        const start = input.completesChain ? await startAutomaticProcessingIn(transaction, { payoutId: input.payoutId, checkSwitches: true }) : null;
        return { at, start };
      });
    },

    /**
     * Rejection, cancellation or failure: the reserved amount leaves `payout_reserved` for `available` (or `held`
     * for FRAUD_SUSPECTED) in entry `payout-<reject|cancel|fail>-<id>`, the row is closed and audited.
     */
    async releasePayoutReserve(input: ReleasePayoutReserveInput): Promise<{ entryId: string }> {
      const { step, action } = settlementSteps[input.outcome];
      return database.transaction(async (transaction) => {
        const payout = await lockPayout(transaction, input.payoutId);
        if (payout.status === input.outcome && payout.settle_entry_id) return { entryId: payout.settle_entry_id };
        // docs/rules.md#payment-files: under the row lock, a payout an exported payment file lists is never cancelled or rejected.
        if (input.outcome !== 'FAILED') await refuseInPaymentFile(transaction, input.payoutId);
        const reserved = partnerAccount(payout.partner_id, 'payout_reserved', payout.currency);
        const destination = partnerAccount(payout.partner_id, input.destination, payout.currency);
        const [, destinationBefore] = await lockBalances(ledger, transaction, [reserved, destination]);
        const amount = formatMoney(payout.amount, payout.currency);
        const posted = await ledger.postEntry(
          {
            idempotencyKey: `payout-${step}-${input.payoutId}`,
            kind: `payout_${step}`,
            description: input.reason ?? `payout ${input.outcome.toLowerCase()}`,
            metadata: { payoutId: input.payoutId, partnerId: payout.partner_id, rejectionCode: input.rejectionCode, failureCode: input.failureCode },
            postings: [
              { account: reserved, amount: formatMoney(new Money(amount).negated(), payout.currency) },
              { account: destination, amount },
            ],
          },
          transaction,
        );
        await transaction.query(sql.unsafe`
          UPDATE payouts SET status = ${input.outcome}, settle_entry_id = ${posted.entryId},
                             rejection_code = ${input.rejectionCode}, rejection_reason = ${input.outcome === 'FAILED' ? null : input.reason},
                             failure_code = ${input.failureCode}, failure_reason = ${input.outcome === 'FAILED' ? input.reason : null},
                             closed_by = ${input.actor}, closed_at = now(), updated_at = now()
          WHERE id = ${input.payoutId}`);
        if (input.outcome === 'REJECTED' && !input.actor.startsWith('system:')) {
          await transaction.query(sql.unsafe`
            INSERT INTO payout_approvals (payout_id, approver_id, role, decision)
            SELECT ${input.payoutId}, id, role, 'REJECT' FROM users WHERE id = ${input.actor}
            ON CONFLICT (payout_id, approver_id) DO NOTHING`);
        }
        await appendAuditRecord(transaction, {
          action,
          actor: input.actor,
          targetType: 'payout',
          targetId: input.payoutId,
          amount,
          currency: payout.currency,
          balanceBefore: formatMoney(destinationBefore!, payout.currency),
          balanceAfter: formatMoney(new Money(destinationBefore!).plus(amount), payout.currency),
          reason: input.reason,
          ip: input.ip ?? null,
          entryId: posted.entryId,
          details: {
            partnerId: payout.partner_id,
            destination: input.destination,
            rejectionCode: input.rejectionCode,
            failureCode: input.failureCode,
          },
        });
        // docs/rules.md#notifications: the partner hears of it, with the reason.
        const partner = { kind: 'partner' as const, partnerId: payout.partner_id };
        const facts = noticeFacts(payout);
        const notice =
          input.outcome === 'REJECTED'
            ? { kind: 'PAYOUT_REJECTED' as const, ...payoutNotices.rejected({ ...facts, rejectionCode: input.rejectionCode ?? 'REJECTED', reason: input.reason ?? '', destination: input.destination }) }
            : input.outcome === 'FAILED'
              ? { kind: 'PAYOUT_FAILED' as const, ...payoutNotices.failed({ ...facts, failureCode: input.failureCode, reason: input.reason }) }
              : { kind: 'PAYOUT_CANCELLED' as const, ...payoutNotices.cancelled({ ...facts, reason: input.reason }) };
        await enqueueNotification(transaction, { dedupeKey: `payout-${input.outcome.toLowerCase()}:${input.payoutId}`, recipient: partner, ...notice });
        return { entryId: posted.entryId };
      });
    },

    /** Manual processing: an admin recorded the external reference (sent to the accountant or the bank). */
    async markPayoutProcessing(input: { payoutId: string; actor: PayoutActor; externalReference: string; checkSwitches?: boolean }): Promise<void> {
      await database.transaction(async (transaction) => {
        const payout = await lockPayout(transaction, input.payoutId);
        if (payout.status === 'PROCESSING') return;
        if (input.checkSwitches) {
          // docs/rules.md#emergency-switches: no manual payout starts processing while processing is paused or its partner frozen.
          const switches = await readPayoutSwitches(transaction, { methodId: payout.method_id, partnerId: payout.partner_id });
          if (!mayStartProcessing(switches)) throw new DomainError('conflict', 'processing_stopped', switches.reasons.join('; '), 'status');
        }
        await transaction.query(sql.unsafe`
          UPDATE payouts SET status = 'PROCESSING', external_reference = ${input.externalReference}, updated_at = now()
          WHERE id = ${input.payoutId}`);
        await appendAuditRecord(transaction, {
          action: 'PAYOUT_PROCESS',
          actor: input.actor.userId,
          targetType: 'payout',
          targetId: input.payoutId,
          amount: formatMoney(payout.amount_to_transfer, payout.currency),
          currency: payout.currency,
          ip: input.actor.ip ?? null,
          details: { partnerId: payout.partner_id, externalReference: input.externalReference },
        });
      });
    },

    /**
     * Paid: `payout-complete-<id>` takes the amount out of `payout_reserved`, the amount transferred into the
     * platform's `payout_clearing` and the fee into `fees_income`.
     */
    async completePayout(input: { payoutId: string; actor: PayoutActor | { userId: typeof providerActor; role: 'system' } }): Promise<{ entryId: string }> {
      return database.transaction(async (transaction) => {
        const payout = await lockPayout(transaction, input.payoutId);
        if (payout.status === 'COMPLETED' && payout.settle_entry_id) return { entryId: payout.settle_entry_id };
        const reserved = partnerAccount(payout.partner_id, 'payout_reserved', payout.currency);
        const [reservedBefore] = await lockBalances(ledger, transaction, [reserved]);
        const platform = (bucket: 'payout_clearing' | 'fees_income'): AccountRef => ({ ownerType: 'platform', ownerId: 'platform', bucket, currency: payout.currency });
        const fee = new Money(payout.fee);
        const postings = [
          { account: reserved, amount: formatMoney(new Money(payout.amount).negated(), payout.currency) },
          { account: platform('payout_clearing'), amount: formatMoney(payout.amount_to_transfer, payout.currency) },
          ...(fee.isZero() ? [] : [{ account: platform('fees_income'), amount: formatMoney(fee, payout.currency) }]),
        ];
        const posted = await ledger.postEntry(
          {
            idempotencyKey: `payout-complete-${input.payoutId}`,
            kind: 'payout_complete',
            description: `payout ${input.payoutId} paid`,
            metadata: { payoutId: input.payoutId, partnerId: payout.partner_id },
            postings,
          },
          transaction,
        );
        await transaction.query(sql.unsafe`
          UPDATE payouts SET status = 'COMPLETED', settle_entry_id = ${posted.entryId}, closed_by = ${input.actor.userId},
                             closed_at = now(), updated_at = now()
          WHERE id = ${input.payoutId}`);
        await appendAuditRecord(transaction, {
          action: 'PAYOUT_COMPLETE',
          actor: input.actor.userId,
          targetType: 'payout',
          targetId: input.payoutId,
          amount: formatMoney(payout.amount, payout.currency),
          currency: payout.currency,
          balanceBefore: formatMoney(reservedBefore!, payout.currency),
          balanceAfter: formatMoney(new Money(reservedBefore!).minus(payout.amount), payout.currency),
          ip: 'ip' in input.actor ? (input.actor.ip ?? null) : null,
          entryId: posted.entryId,
          details: { partnerId: payout.partner_id, fee: formatMoney(payout.fee, payout.currency), amountToTransfer: formatMoney(payout.amount_to_transfer, payout.currency) },
        });
        await enqueueNotification(transaction, {
          dedupeKey: `payout-completed:${input.payoutId}`,
          kind: 'PAYOUT_COMPLETED',
          recipient: { kind: 'partner', partnerId: payout.partner_id },
          ...payoutNotices.completed({ ...noticeFacts(payout), fee: payout.fee, amountToTransfer: payout.amount_to_transfer, reference: payout.external_reference ?? payout.provider_reference }),
        });
        return { entryId: posted.entryId };
      });
    },
  };
}

export type PayoutSteps = ReturnType<typeof createPayoutSteps>;
