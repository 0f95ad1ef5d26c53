import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import type { AdminRole, UserRole } from '../../domain/access.ts';
import { formatMoney } from '../../domain/money.ts';
import type { PayoutSwitches } from '../../domain/ops-switches.ts';
import { chainComplete, openStepFor, type ApprovalStep, type PayoutApproval } from '../../domain/payout.ts';
import { policySchema } from '../../domain/policy.ts';
import type { PayRunApprovedInput } from '../../workflows/payout-messages.ts';
import { appendAuditRecords, type AuditRecordInput } from '../audit/audit-store.ts';
import { enqueueNotification, enqueuePartnerNotifications } from '../notifications/outbox.ts';
import { partnerPayoutNotices } from '../notifications/partner-payout-notices.ts';
import { payoutNotices } from '../notifications/payout-notices.ts';
import { readPayoutSwitches } from '../ops/ops-switches-store.ts';
import type { PayoutDeliveryOutcome } from '../payouts/payout-delivery.ts';
import { recordPayRunDeliveriesIn } from './pay-run-store.ts';

/**
 * Fan-out design 2 of a pay run (docs/rules.md#pay-runs, docs/decisions.md "Pay-run fan-out"): a chunk of one
 * decision's items is approved in ONE database transaction, set-based, under the payouts' row locks, judged by the
 * same rules the payout's `approve` update applies (docs/rules.md#payout-approval): the payout still
 * AWAITING_APPROVAL, its amount and details hash as the approver saw them, the approver neither its initiator nor an
 * earlier approver, an open step of the chain for the approver's role, and no change of the partner's details by the
 * approver within the policy's window. What passes gets the rows a single approval writes (payout_approvals, the
 * PAYOUT_APPROVE audit record, APPROVED and the partner's notice when the chain is complete, or the next approvers'
 * notice) and, for an automatic payout whose chain it completes, the start of processing as the lean lifecycle's
 * approval starts it (PROCESSING and PAYOUT_PROCESS unless an emergency switch holds it). What does not pass is
 * refused with the payout's own refusal code and never approved. Each item's outcome is recorded in the same
 * transaction (`pay_run_decision_items.outcome`), so a chunk retried after a crash approves nothing twice
 * (`outcome IS NULL` and the unique (payout_id, approver_id) of payout_approvals); a retry answers with the signals
 * of what the first attempt recorded, so every approved payout is woken even if the worker died before signalling.
 */

export interface PayRunApprovalSignal {
  payoutId: string;
  input: PayRunApprovedInput;
}

const lockedRow = z.object({
  id: z.string(),
  partner_id: z.string(),
  method_id: z.string(),
  status: z.string(),
  currency: z.string(),
  amount: z.string(),
  amount_to_transfer: z.string(),
  initiated_by: z.string(),
  required_chain: z.array(z.object({ roles: z.array(z.string()) })),
  policy_version: z.number(),
  amount_as_seen: z.boolean(),
  details_as_seen: z.boolean(),
  amount_seen: z.string(),
  details_hash_seen: z.string(),
  outcome: z.string().nullable(),
});
const approvalRow = z.object({ payout_id: z.string(), approver_id: z.string(), role: z.string(), step: z.number(), decided_at: z.date() });
const decisionRow = z.object({ approver_id: z.string(), role: z.string(), client_ip: z.string().nullable() });
const documentRow = z.object({ version: z.number(), document: z.unknown() });
const changedRow = z.object({ partner_id: z.string(), changed_at: z.date() });

const providerActor = 'system:payout-provider';
const noSwitches = (): PayoutSwitches => ({ processingPaused: false, methodForcedManual: false, partnerFrozen: false, reasons: [] });

type Refusal = { code: string; message: string };

/** The payout's refusal of an approval, as `checkApproval` in workflows/payout.ts words it; null when it passes. */
function judge(
  row: z.infer<typeof lockedRow>,
  approvals: readonly PayoutApproval[],
  approver: { userId: string; role: UserRole },
  changedByApprover: Date | null,
  windowDays: number,
): Refusal | { step: number } {
  if (row.status === 'AWAITING_PARTNER') return { code: 'awaiting_partner', message: 'the partner has not validated the payout yet; it is approved only after that' };
  if (row.status !== 'AWAITING_APPROVAL') return { code: 'invalid_state', message: `the payout is ${row.status}, not AWAITING_APPROVAL` };
  if (approver.userId === row.initiated_by) return { code: 'maker_checker', message: 'an admin cannot approve a payout they initiated' };
  if (approvals.some((approval) => approval.userId === approver.userId)) {
    return { code: 'already_approved', message: 'this admin has already approved the payout; approvers must be distinct people' };
  }
  if (!row.amount_as_seen) return { code: 'amount_mismatch', message: `the payout's amount is ${row.amount}, not ${row.amount_seen}` };
  if (!row.details_as_seen) return { code: 'details_changed', message: 'the payment details differ from what the approver saw' };
  const step = openStepFor(row.required_chain as ApprovalStep[], approvals, approver.role);
  if (step === null) return { code: 'role_not_in_chain', message: `no open step of the approval chain takes role ${approver.role}` };
  if (changedByApprover !== null) {
    return {
      code: 'details_changed_by_approver',
      message: `this admin changed partner ${row.partner_id}'s payment details at ${changedByApprover.toISOString()}; for ${windowDays} days after a change, another admin must approve the partner's payouts`,
    };
  }
  return { step };
}

/**
 * Approves the chunk `payoutIds` of decision `decisionId` (see above). Answers one outcome per payout (as the update
 * path's delivery does) and the signal each approved payout's workflow is to receive.
 */
export async function approvePayRunChunk(
  database: Database,
  input: { runId: string; decisionId: string; payoutIds: string[] },
): Promise<{ outcomes: PayoutDeliveryOutcome[]; signals: PayRunApprovalSignal[] }> {
  if (input.payoutIds.length === 0) return { outcomes: [], signals: [] };
  return database.transaction(async (transaction) => {
    const decision = await transaction.one(sql.type(decisionRow)`
      SELECT approver_id::text AS approver_id, role, host(client_ip) AS client_ip FROM pay_run_decisions WHERE id = ${input.decisionId} AND run_id = ${input.runId}`);
    const approver = { userId: decision.approver_id, role: decision.role as UserRole };
    // Row locks in id order (every multi-payout writer locks in this order): a cancel, a change of amount or details
    // racing the chunk is either before it (and judged here) or waits for it. The decision items are locked too, so
    // an attempt of the chunk still running when its retry started is waited for and its outcomes are read again.
    const rows = await transaction.any(sql.type(lockedRow)`
      SELECT p.id, p.partner_id, p.method_id, p.status, p.currency, p.amount::text AS amount, p.amount_to_transfer::text AS amount_to_transfer,
             p.initiated_by::text AS initiated_by, p.required_chain, p.policy_version,
             p.amount = di.amount_seen AS amount_as_seen, p.details_hash = di.details_hash_seen AS details_as_seen,
             di.amount_seen::text AS amount_seen, di.details_hash_seen, di.outcome
      FROM payouts p JOIN pay_run_decision_items di ON di.payout_id = p.id AND di.decision_id = ${input.decisionId}
      WHERE p.id = ANY(${sql.array(input.payoutIds, 'uuid')})
      ORDER BY p.id
      FOR UPDATE OF p, di`);
    const ids = rows.map((row) => row.id);
    const approvalsOf = new Map<string, PayoutApproval[]>();
    for (const row of await transaction.any(sql.type(approvalRow)`
      SELECT payout_id, approver_id::text AS approver_id, role, step, decided_at FROM payout_approvals
      WHERE payout_id = ANY(${sql.array(ids, 'uuid')}) AND decision = 'APPROVE' AND step IS NOT NULL`)) {
      const list = approvalsOf.get(row.payout_id) ?? [];
      list.push({ userId: row.approver_id, role: row.role as UserRole, step: row.step, at: row.decided_at.toISOString() });
      approvalsOf.set(row.payout_id, list);
    }
    // The policy versions the chunk's payouts run under: their methods' processing and the details-change window.
    const versions = [...new Set(rows.map((row) => row.policy_version))];
    const policies = new Map(
      (await transaction.any(sql.type(documentRow)`SELECT version, document FROM policy_versions WHERE version = ANY(${sql.array(versions, 'int4')})`))
        .map((row) => [row.version, policySchema.parse(row.document).payouts] as const),
    );
    const windowOf = (version: number) => policies.get(version)?.detailsChange.windowDays ?? 0;
    const longestWindow = Math.max(0, ...versions.map(windowOf));
    const changedAt = new Map<string, Date>();
    if (longestWindow > 0) {
      for (const row of await transaction.any(sql.type(changedRow)`
        SELECT partner_id, max(changed_at) AS changed_at FROM payment_details_changes
        WHERE changed_by = ${approver.userId} AND partner_id = ANY(${sql.array([...new Set(rows.map((row) => row.partner_id))], 'text')})
          AND changed_at > now() - make_interval(days => ${longestWindow})
        GROUP BY partner_id`)) changedAt.set(row.partner_id, row.changed_at);
    }
    const now = Date.now();

    const outcomes: PayoutDeliveryOutcome[] = [];
    const signals: PayRunApprovalSignal[] = [];
    const accepted: { row: z.infer<typeof lockedRow>; step: number; completes: boolean; automatic: boolean; approvalsBefore: number }[] = [];
    for (const row of rows) {
      const approvals = approvalsOf.get(row.id) ?? [];
      const chain = row.required_chain as ApprovalStep[];
      if (row.outcome !== null) {
        // Recorded by an earlier attempt of this chunk: its signal again (the payout ignores a repeat).
        const mine = approvals.find((approval) => approval.userId === approver.userId);
        if (row.outcome === 'accepted' && mine) {
          signals.push({
            payoutId: row.id,
            input: {
              runId: input.runId, decisionId: input.decisionId, actor: approver, step: mine.step, at: mine.at,
              completesChain: chainComplete(chain, approvals),
              start: row.status === 'PROCESSING' ? { started: true, switches: noSwitches() } : null,
            },
          });
        }
        continue;
      }
      const window = windowOf(row.policy_version);
      const changed = changedAt.get(row.partner_id);
      const verdict = judge(row, approvals, approver, changed && changed.getTime() > now - window * 86_400_000 ? changed : null, window);
      if ('code' in verdict) {
        outcomes.push({ payoutId: row.id, outcome: 'refused', code: verdict.code, message: verdict.message, status: null });
        continue;
      }
      const completes = chainComplete(chain, [...approvals, { userId: approver.userId, role: approver.role, step: verdict.step, at: '' }]);
      const method = policies.get(row.policy_version)?.methods.find((candidate) => candidate.id === row.method_id);
      accepted.push({ row, step: verdict.step, completes, automatic: method?.processing === 'AUTOMATIC', approvalsBefore: approvals.length });
    }

    const decidedAt = new Map<string, string>();
    if (accepted.length > 0) {
      for (const row of await transaction.any(sql.type(z.object({ payout_id: z.string(), decided_at: z.date() }))`
        INSERT INTO payout_approvals (payout_id, approver_id, role, decision, step, amount_seen, details_hash_seen)
        SELECT a.payout_id, ${approver.userId}, ${approver.role}, 'APPROVE', a.step, a.amount_seen, a.details_hash_seen
        FROM unnest(${sql.array(accepted.map((item) => item.row.id), 'uuid')}, ${sql.array(accepted.map((item) => item.step), 'int4')},
                    ${sql.array(accepted.map((item) => item.row.amount_seen), 'numeric')}, ${sql.array(accepted.map((item) => item.row.details_hash_seen), 'text')})
             AS a(payout_id, step, amount_seen, details_hash_seen)
        ON CONFLICT (payout_id, approver_id) DO NOTHING
        RETURNING payout_id, decided_at`)) decidedAt.set(row.payout_id, row.decided_at.toISOString());
    }
    // Each payout's row was locked and judged without an approval by this approver: every insert took place.
    const approved = accepted.filter((item) => decidedAt.has(item.row.id));
    const audits: AuditRecordInput[] = approved.map((item): AuditRecordInput => ({
      action: 'PAYOUT_APPROVE', actor: approver.userId, targetType: 'payout', targetId: item.row.id, ip: decision.client_ip,
      amount: formatMoney(item.row.amount, item.row.currency), currency: item.row.currency,
      details: { partnerId: item.row.partner_id, role: approver.role, step: item.step, detailsHash: item.row.details_hash_seen, completesChain: item.completes, payRunId: input.runId, decisionId: input.decisionId },
    }));
    const completing = approved.filter((item) => item.completes);
    if (completing.length > 0) {
      await transaction.query(sql.unsafe`
        UPDATE payouts SET status = 'APPROVED', updated_at = now()
        WHERE id = ANY(${sql.array(completing.map((item) => item.row.id), 'uuid')}) AND status = 'AWAITING_APPROVAL'`);
      await enqueuePartnerNotifications(transaction, 'PAYOUT_APPROVED', completing.map((item) => {
        const facts = { payoutId: item.row.id, partnerId: item.row.partner_id, amount: item.row.amount, currency: item.row.currency, methodId: item.row.method_id };
        return { dedupeKey: `payout-approved:${item.row.id}`, partnerId: item.row.partner_id, ...partnerPayoutNotices.approved(facts) };
      }));
    }
    for (const item of approved.filter((candidate) => !candidate.completes)) await noticeNextApprovers(transaction, item.row, [...(approvalsOf.get(item.row.id) ?? []), { userId: approver.userId, role: approver.role, step: item.step, at: '' }]);

    // The start of automatic processing for the chains completed here, as the lean lifecycle's approval starts it.
    const starts = new Map<string, { started: boolean; switches: PayoutSwitches }>();
    const automatic = completing.filter((item) => item.automatic);
    if (automatic.length > 0) {
      const blocked = new Set(await transaction.anyFirst(sql.type(z.object({ id: z.string() }))`
        SELECT p.id FROM payouts p WHERE p.id = ANY(${sql.array(automatic.map((item) => item.row.id), 'uuid')})
          AND (EXISTS (SELECT 1 FROM ops_switches s WHERE s.switch = 'PROCESSING_PAUSED' AND s.method_id = '' AND s.active)
               OR EXISTS (SELECT 1 FROM ops_switches s WHERE s.switch = 'METHOD_FORCE_MANUAL' AND s.method_id = p.method_id AND s.active)
               OR EXISTS (SELECT 1 FROM partner_freezes f WHERE f.partner_id = p.partner_id AND f.frozen))`));
      for (const item of automatic) {
        // Held by a switch: the switches as a single start reads them say why (rare; one query each).
        if (blocked.has(item.row.id)) starts.set(item.row.id, { started: false, switches: await readPayoutSwitches(transaction, { methodId: item.row.method_id, partnerId: item.row.partner_id }) });
        else starts.set(item.row.id, { started: true, switches: noSwitches() });
      }
      const starting = automatic.filter((item) => starts.get(item.row.id)!.started);
      if (starting.length > 0) {
        await transaction.query(sql.unsafe`
          UPDATE payouts SET status = 'PROCESSING', updated_at = now()
          WHERE id = ANY(${sql.array(starting.map((item) => item.row.id), 'uuid')}) AND status = 'APPROVED'`);
        audits.push(...starting.map((item): AuditRecordInput => ({
          action: 'PAYOUT_PROCESS', actor: providerActor, targetType: 'payout', targetId: item.row.id,
          amount: formatMoney(item.row.amount_to_transfer, item.row.currency), currency: item.row.currency,
          details: { partnerId: item.row.partner_id, automatic: true },
        })));
      }
    }
    await appendAuditRecords(transaction, audits);

    for (const item of approved) {
      const start = starts.get(item.row.id) ?? null;
      const status = !item.completes ? 'AWAITING_APPROVAL' : start?.started ? 'PROCESSING' : 'APPROVED';
      outcomes.push({ payoutId: item.row.id, outcome: 'accepted', code: null, message: null, status });
      signals.push({
        payoutId: item.row.id,
        input: {
          runId: input.runId, decisionId: input.decisionId, actor: approver, step: item.step, at: decidedAt.get(item.row.id)!,
          completesChain: item.completes, start,
        },
      });
    }
    // Items the chunk named that are not (or no longer) in the decision: nothing to do.
    await recordPayRunDeliveriesIn(transaction, { runId: input.runId, decisionId: input.decisionId, outcomes });
    return { outcomes, signals };
  });
}

/** docs/rules.md#payout-approval "each approver is notified in turn", as a single approval that leaves steps open asks. */
async function noticeNextApprovers(connection: CommonQueryMethods, row: z.infer<typeof lockedRow>, approvals: PayoutApproval[]): Promise<void> {
  const done = new Set(approvals.map((approval) => approval.step));
  const roles = [...new Set(row.required_chain.filter((_, index) => !done.has(index)).flatMap((step) => step.roles))] as AdminRole[];
  if (roles.length === 0) return;
  await enqueueNotification(connection, {
    dedupeKey: `payout-approval-requested:${row.id}:${approvals.length}`,
    kind: 'APPROVAL_REQUESTED',
    recipient: { kind: 'admin_role', roles, excludeUserIds: [row.initiated_by, ...approvals.map((approval) => approval.userId)] },
    ...payoutNotices.approvalRequested({ payoutId: row.id, partnerId: row.partner_id, amount: row.amount, currency: row.currency, roles, approvedSoFar: approvals.length, stepsInChain: row.required_chain.length }),
  });
}
