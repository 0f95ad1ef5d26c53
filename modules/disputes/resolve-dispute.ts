import type { Client } from '@temporalio/client';
import { sql } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import { planDisputeCreditPostings, type DisputeActor, type DisputeResolution, type DisputeResolutionInput, type DisputeState, type DisputeStatus } from '../../domain/dispute.ts';
import { checkResolution } from '../../domain/dispute-resolution.ts';
import { DomainError } from '../../domain/errors.ts';
import { Money, currencyScale, formatMoney } from '../../domain/money.ts';
import type { disputeWorkflow } from '../../workflows/dispute.ts';
import { disputeWorkflowId, resolveDisputeUpdate, type ResolveDisputeInput as ResolveDisputeUpdateInput } from '../../workflows/dispute-messages.ts';
import { enqueueNotification } from '../notifications/outbox.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';
import type { LedgerStore } from '../ledger/ledger-store.ts';
import { clearDisputeFlags, describeDispute, disputeSeniors } from './dispute-holds.ts';
import { appendEvent, lockedDispute, stepRecorded, type DisputeRow } from './dispute-store.ts';

/**
 * A reviewer's (or a senior admin's) resolution of a dispute (docs/rules.md#disputes, the resolution types in docs/rules.md#disputes): sent
 * to `dispute-<id>` as an update, checked there, and recorded once by its activity, which posts a correction or a
 * goodwill credit to the ledger in the same transaction.
 */

/** Which resolutions move money (and so need a fresh TOTP code). */
export function resolutionMovesMoney(resolution: DisputeResolution): boolean {
  return resolution === 'CORRECTION' || resolution === 'GOODWILL';
}

/**
 * What the row already refuses, checked before the caller spends the admin's TOTP code (a refusal consumes none):
 * an amount on a resolution that moves no money, a closed dispute, a resolution that moves money without an amount.
 * Returns whether the resolution moves money.
 */
export function checkResolutionRequest(row: DisputeRow, request: { resolution: DisputeResolution; amount?: string | undefined }): boolean {
  const moves = resolutionMovesMoney(request.resolution);
  if (request.amount !== undefined && !moves) throw new DomainError('unprocessable', 'invalid_request', `a ${request.resolution} moves no money`, 'body.amount');
  if (row.status === 'CLOSED') throw new DomainError('conflict', 'invalid_state', `dispute ${row.id} is CLOSED`, 'status');
  if (moves) {
    if (request.amount === undefined) throw new DomainError('unprocessable', 'invalid_request', `a ${request.resolution} needs an amount`, 'body.amount');
    if (!new Money(request.amount).isFinite()) throw new DomainError('unprocessable', 'invalid_amount', 'not an amount', 'body.amount');
  }
  return moves;
}

/** Sends the resolution to the dispute's workflow; it returns once any correction is posted and the state recorded. */
export async function sendDisputeResolution(temporal: Client, disputeId: string, input: ResolveDisputeUpdateInput): Promise<DisputeState> {
  return temporal.workflow.getHandle<typeof disputeWorkflow>(disputeWorkflowId(disputeId)).executeUpdate(resolveDisputeUpdate, { args: [input] });
}

export interface ResolveDisputeInput {
  disputeId: string;
  /** The workflow's key for this resolution (`resolution-<n>`): a retry finds it recorded. */
  stepKey: string;
  actor: DisputeActor;
  resolution: DisputeResolutionInput;
  goodwillMax: string;
  ip: string | null;
}

export interface ResolvedDispute {
  status: DisputeStatus;
  resolution: DisputeResolution;
  amount: string | null;
  currency: string | null;
  entryId: string | null;
  creditedTotal: string;
  creditedCurrency: string | null;
  /** True when this resolution ended the hold (the workflow nudges the partner's HELD payouts). */
  holdEnded: boolean;
}

const lockedBalanceRow = z.object({ account_id: z.string(), balance: z.string() });

/**
 * A reviewer's (or senior admin's) resolution, once per step key, in ONE transaction: the checks of
 * checkResolution against the locked row; a CORRECTION or GOODWILL posted to the partner's `available` (a
 * credit repays `debt` first, a debit beyond `available` becomes `debt`) against the platform's `adjustments`
 * account, keyed by the dispute and step, audited as COMMISSION_ADJUST (commission and reversal disputes) or
 * BALANCE_ADJUST with the balance before and after; the timeline, DISPUTE_RESOLVE, and the notices: the partner
 * (DISPUTE_RESOLVED), the senior admins when it escalates (DISPUTE_ESCALATED). A resolution that ends the hold
 * (EXPLAINED or CLOSED) clears the OPEN_DISPUTE flag here.
 */
export async function resolveDispute({ database, ledger }: { database: Database; ledger: LedgerStore }, input: ResolveDisputeInput): Promise<ResolvedDispute> {
  return database.transaction(async (transaction) => {
    const row = await lockedDispute(transaction, input.disputeId);
    const recorded = await stepRecorded(transaction, row.id, input.stepKey);
    if (recorded) {
      return {
        status: row.status, resolution: recorded.resolution ?? input.resolution.resolution, amount: recorded.amount, currency: recorded.currency,
        entryId: recorded.entry_id, creditedTotal: row.credited_total, creditedCurrency: row.credited_currency, holdEnded: recorded.status_after === 'CLOSED' || recorded.status_after === 'EXPLAINED',
      };
    }
    const checked = checkResolution({ status: row.status, assigneeId: row.assignee_id, actor: input.actor, resolution: input.resolution, policy: { goodwillMax: input.goodwillMax } });
    const { statusAfter } = checked;
    const resolution = input.resolution.resolution;
    const note = input.resolution.note.trim();
    if (checked.currency !== null && row.credited_currency !== null && checked.currency !== row.credited_currency) {
      throw new DomainError('unprocessable', 'currency_mismatch', `this dispute's credits are in ${row.credited_currency}`, 'body.currency');
    }

    let entryId: string | null = null;
    let creditedTotal = new Money(row.credited_total);
    if (checked.amount !== null && checked.currency !== null) {
      const currency = checked.currency;
      const accounts = (['available', 'debt'] as const).map((bucket) => ({ ownerType: 'partner', ownerId: row.partner_id, bucket, currency }) as const);
      const ids = await ledger.accountIds([...accounts], transaction);
      const locked = await transaction.any(sql.type(lockedBalanceRow)`SELECT account_id, balance FROM lock_account_balances(${sql.array(ids, 'int8')})`);
      const balanceOf = (index: number) => locked.find((line) => line.account_id === ids[index])?.balance ?? '0';
      const before = { available: balanceOf(0), debt: balanceOf(1) };
      const postings = planDisputeCreditPostings({ partnerId: row.partner_id, amount: checked.amount, currency }, before);
      const posted = await ledger.postEntry({
        idempotencyKey: `dispute-${row.id}:${input.stepKey}`,
        kind: resolution === 'GOODWILL' ? 'dispute_goodwill' : 'dispute_correction',
        description: `dispute ${row.id} ${resolution}: ${note}`.slice(0, 500),
        metadata: { disputeId: row.id, partnerId: row.partner_id, resolution, errorKind: input.resolution.errorKind ?? null, type: row.type, transactionRef: row.transaction_ref },
        postings,
      }, transaction);
      entryId = posted.entryId;
      const delta = (bucket: string) => postings.filter((posting) => posting.account.bucket === bucket).reduce((sum, posting) => sum.plus(posting.amount), new Money(0));
      const commissionTarget = row.type === 'COMMISSION' || row.type === 'REVERSAL';
      await appendAuditRecord(transaction, {
        action: commissionTarget ? 'COMMISSION_ADJUST' : 'BALANCE_ADJUST', actor: input.actor.userId,
        targetType: commissionTarget ? 'commission' : 'partner', targetId: commissionTarget ? row.transaction_ref : row.partner_id,
        amount: checked.amount, currency,
        balanceBefore: formatMoney(before.available, currency), balanceAfter: formatMoney(new Money(before.available).plus(delta('available')), currency),
        reason: `dispute ${resolution}: ${note}`.slice(0, 1000), ip: input.ip, entryId,
        details: {
          disputeId: row.id, partnerId: row.partner_id, resolution, errorKind: input.resolution.errorKind ?? null, bucket: 'available',
          debtBefore: formatMoney(new Money(before.debt).negated(), currency), debtAfter: formatMoney(new Money(before.debt).plus(delta('debt')).negated(), currency),
        },
      });
      creditedTotal = creditedTotal.plus(checked.amount);
    }

    await appendEvent(transaction, {
      disputeId: row.id, stepKey: input.stepKey, kind: 'RESOLUTION', statusAfter, resolution, errorKind: input.resolution.errorKind ?? null,
      amount: checked.amount, currency: checked.currency, entryId, note, actor: input.actor,
    });
    const creditedCurrency = row.credited_currency ?? checked.currency;
    await transaction.query(sql.unsafe`
      UPDATE disputes SET status = ${statusAfter}, resolution = ${resolution}, resolution_note = ${note},
        assignee_id = coalesce(assignee_id, ${row.status === 'UNDER_REVIEW' ? input.actor.userId : null}),
        assigned_at = coalesce(assigned_at, ${row.status === 'UNDER_REVIEW' ? sql.fragment`now()` : sql.fragment`NULL`}),
        escalated_at = CASE WHEN ${statusAfter}::text = 'ESCALATED' THEN now() ELSE escalated_at END,
        explained_at = CASE WHEN ${statusAfter}::text = 'EXPLAINED' THEN now() ELSE explained_at END,
        closed_at = CASE WHEN ${statusAfter}::text = 'CLOSED' THEN now() ELSE closed_at END,
        credited_total = ${creditedTotal.toFixed()}, credited_currency = ${creditedCurrency}
      WHERE id = ${row.id}`);
    await appendAuditRecord(transaction, {
      action: 'DISPUTE_RESOLVE', actor: input.actor.userId, targetType: 'dispute', targetId: row.id, amount: checked.amount, currency: checked.currency,
      reason: `${resolution}: ${note}`.slice(0, 1000), ip: input.ip, entryId,
      details: { partnerId: row.partner_id, resolution, errorKind: input.resolution.errorKind ?? null, role: input.actor.role, statusBefore: row.status, statusAfter },
    });

    const holdEnded = statusAfter === 'CLOSED' || statusAfter === 'EXPLAINED';
    if (holdEnded) await clearDisputeFlags(transaction, row, input.actor.userId, `dispute ${statusAfter === 'CLOSED' ? 'closed' : 'explained'}: ${resolution}`);
    const scale = checked.currency ? currencyScale(checked.currency) : 2;
    const moneyText = checked.amount && checked.currency ? `${new Money(checked.amount).toFixed(scale)} ${checked.currency}` : '';
    const partnerText: Record<DisputeResolution, string> = {
      CORRECTION: `We found an error and corrected your balance by ${moneyText}.`,
      GOODWILL: `We found no error, but credited ${moneyText} to your balance as a goodwill gesture.`,
      EXPLANATION: statusAfter === 'EXPLAINED'
        ? 'We reviewed it and found no error. If you disagree, you may ask for escalation to a senior admin.'
        : 'A senior admin reviewed it and found no error.',
      ESCALATION: 'It was transferred to a senior admin for review.',
      REJECTION: 'It was rejected.',
    };
    await enqueueNotification(transaction, {
      dedupeKey: `dispute-resolved:${row.id}:${input.stepKey}`, kind: 'DISPUTE_RESOLVED', recipient: { kind: 'partner', partnerId: row.partner_id },
      subject: `Your dispute: ${resolution.toLowerCase()}`,
      text: `About ${describeDispute(row)}: ${partnerText[resolution]}${input.resolution.errorKind === 'SYSTEM' ? ' The system error was escalated for a fix.' : ''}\n\n${note}`,
    });
    if (statusAfter === 'ESCALATED') {
      await enqueueNotification(transaction, {
        dedupeKey: `dispute-escalated:${row.id}:${input.stepKey}`, kind: 'DISPUTE_ESCALATED', recipient: { kind: 'admin_role', roles: [...disputeSeniors] },
        subject: `Dispute escalated: ${row.type} ${row.transaction_ref} of partner ${row.partner_id}`,
        text: `${resolution === 'CORRECTION' ? `A system error was corrected (${moneyText}) and needs a fix` : 'A reviewer escalated this dispute'}: ${note}`,
      });
    }
    return {
      status: statusAfter, resolution, amount: checked.amount, currency: checked.currency, entryId,
      creditedTotal: creditedTotal.toFixed(), creditedCurrency, holdEnded,
    };
  });
}
