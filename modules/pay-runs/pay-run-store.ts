import { createHash, randomUUID } from 'node:crypto';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import type { UserRole } from '../../domain/access.ts';
import { DomainError } from '../../domain/errors.ts';
import { Money, formatMoney } from '../../domain/money.ts';
import {
  approverGroup,
  decisionLines,
  exclusionCounts,
  fundsShortfall,
  isTerminalPayRunStatus,
  payRunTotals,
  runApprovalFor,
  selectPayRunItems,
  settledPayRunStatus,
  type ApproverGroup,
  type DecisionCandidate,
  type PayRunCandidate,
  type PayRunExclusionReason,
  type PayRunItemState,
  type PayRunPolicy,
  type PayRunSource,
  type PayRunStatus,
} from '../../domain/pay-run.ts';
import type { ApprovalStep, PayoutApproval, PayoutStatus } from '../../domain/payout.ts';
import type { PayoutPolicy } from '../../domain/payout-policy.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';
import { enqueueNotification, type NotificationKind } from '../notifications/outbox.ts';
import type { PayoutDelivery, PayoutDeliveryOutcome } from '../payouts/payout-delivery.ts';

/**
 * The pay runs' tables (migration 030, docs/rules.md#pay-runs): creating a run from a selection, what an approver may
 * approve now and recording their one decision, the next chunk of deliveries (funds permitting), the payouts'
 * answers, and the run's progress as its payouts close. The workflow `pay-run-<id>` calls the last three through
 * activities; the API the rest.
 */

export interface PayRunSelectionInput {
  methodIds?: string[];
  currencies?: string[];
  partnerIds?: string[];
  payoutIds?: string[];
  createdFrom?: string;
  createdTo?: string;
  /** The schedule's run: the payouts it created for this payment date. */
  scheduleDate?: string;
}

const runRow = z.object({
  id: z.string(),
  status: z.string() as z.ZodType<PayRunStatus>,
  source: z.string() as z.ZodType<PayRunSource>,
  payment_date: z.string().nullable(),
  selection: z.record(z.string(), z.unknown()),
  note: z.string().nullable(),
  created_by: z.string(),
  created_at: z.date(),
  attempt: z.number(),
  previous_run_id: z.string().nullable(),
  policy_version: z.number(),
  total_rub: z.string().nullable(),
  run_approval_required: z.boolean(),
  run_approval_roles: z.array(z.string()),
  run_approved_by: z.string().nullable(),
  run_approved_at: z.date().nullable(),
  rejected_by: z.string().nullable(),
  rejection_reason: z.string().nullable(),
  finished_at: z.date().nullable(),
});
export type PayRunRow = z.infer<typeof runRow>;
const runColumns = sql.fragment`
  id, status, source, to_char(payment_date, 'YYYY-MM-DD') AS payment_date, selection, note, created_by, created_at, attempt,
  previous_run_id, policy_version, total_rub::text AS total_rub, run_approval_required, run_approval_roles, run_approved_by,
  run_approved_at, rejected_by, rejection_reason, finished_at`;

const candidateRow = z.object({
  id: z.string(),
  partner_id: z.string(),
  method_id: z.string(),
  currency: z.string(),
  amount: z.string(),
  fee: z.string(),
  amount_to_transfer: z.string(),
  amount_rub: z.string().nullable(),
  details_hash: z.string(),
  status: z.string(),
  has_details: z.boolean(),
  non_regular: z.boolean(),
  flagged: z.boolean(),
  in_another_run: z.boolean(),
});

/** A payout's "below minimum": under its method's minPayout and not paid as a non-regular payment (docs/rules.md#payout-fees). */
function belowMinimum(row: z.infer<typeof candidateRow>, payouts: PayoutPolicy): boolean {
  const method = payouts.methods.find((candidate) => candidate.id === row.method_id);
  return method !== undefined && !row.non_regular && new Money(row.amount).lessThan(method.minPayout);
}

export function payRunRefusal(kind: 'not_found' | 'conflict' | 'forbidden' | 'invalid' | 'unprocessable', code: string, message: string, field: string | null = null): DomainError {
  return new DomainError(kind, code, message, field ?? undefined);
}

/**
 * Creates a run (docs/rules.md#pay-runs): the selection's payouts AWAITING_APPROVAL are included unless held, flagged,
 * below the minimum, without payment details or in another open run; everything it looked at is stored with its
 * state. Runs are created one at a time (a transaction-scoped advisory lock), so a payout never lands in two open
 * runs; the unique index on active items is the database's own guard.
 */
export async function createPayRun(
  database: Database,
  input: {
    id?: string;
    source: PayRunSource;
    paymentDate: string | null;
    selection: PayRunSelectionInput;
    note: string | null;
    createdBy: string;
    idempotencyKey: string | null;
    attempt?: number;
    previousRunId?: string | null;
    policyVersion: number;
    payouts: PayoutPolicy;
    payRuns: PayRunPolicy;
    /** A retry's run: its new payouts are included while their checklists still run. */
    includeRequested?: boolean;
  },
): Promise<{ run: PayRunRow; created: boolean }> {
  return database.transaction(async (transaction) => {
    await transaction.query(sql.unsafe`SELECT pg_advisory_xact_lock(hashtext('ledgerflow-pay-run-create'))`);
    const existing = input.idempotencyKey
      ? await transaction.maybeOne(sql.type(runRow)`SELECT ${runColumns} FROM pay_runs WHERE created_by = ${input.createdBy} AND idempotency_key = ${input.idempotencyKey}`)
      : input.id
        ? await transaction.maybeOne(sql.type(runRow)`SELECT ${runColumns} FROM pay_runs WHERE id = ${input.id}`)
        : null;
    if (existing) return { run: existing, created: false };
    if (input.source === 'SCHEDULE' && (input.attempt ?? 1) === 1) {
      const scheduled = await transaction.maybeOne(sql.type(runRow)`
        SELECT ${runColumns} FROM pay_runs WHERE source = 'SCHEDULE' AND attempt = 1 AND payment_date = ${input.paymentDate}`);
      if (scheduled) return { run: scheduled, created: false };
    }
    const selection = input.selection;
    const conditions = [
      selection.payoutIds ? sql.fragment`p.id = ANY(${sql.array(selection.payoutIds, 'uuid')})` : sql.fragment`p.status IN ('AWAITING_APPROVAL', 'HELD')`,
      selection.methodIds ? sql.fragment`p.method_id = ANY(${sql.array(selection.methodIds, 'text')})` : null,
      selection.currencies ? sql.fragment`p.currency = ANY(${sql.array(selection.currencies, 'text')})` : null,
      selection.partnerIds ? sql.fragment`p.partner_id = ANY(${sql.array(selection.partnerIds, 'text')})` : null,
      selection.createdFrom ? sql.fragment`p.created_at >= ${selection.createdFrom}::timestamptz` : null,
      selection.createdTo ? sql.fragment`p.created_at < ${selection.createdTo}::timestamptz` : null,
      selection.scheduleDate ? sql.fragment`p.schedule_date = ${selection.scheduleDate}::date` : null,
      sql.fragment`p.status <> 'DRAFT'`,
    ].filter((condition) => condition !== null);
    const rows = await transaction.any(sql.type(candidateRow)`
      SELECT p.id, p.partner_id, p.method_id, p.currency, p.amount::text AS amount, p.fee::text AS fee,
             p.amount_to_transfer::text AS amount_to_transfer, p.amount_rub::text AS amount_rub, p.details_hash, p.status,
             p.payment_details <> '{}'::jsonb AS has_details, p.non_regular,
             EXISTS (SELECT 1 FROM partner_flags f WHERE f.partner_id = p.partner_id AND f.holds_payouts AND f.cleared_at IS NULL
                       AND (f.expires_at IS NULL OR f.expires_at > now())) AS flagged,
             EXISTS (SELECT 1 FROM pay_run_items i WHERE i.payout_id = p.id AND i.active) AS in_another_run
      FROM payouts p
      WHERE ${sql.join(conditions, sql.fragment` AND `)}
      ORDER BY p.id`);
    const candidates: PayRunCandidate[] = rows.map((row) => ({
      payoutId: row.id, partnerId: row.partner_id, methodId: row.method_id, currency: row.currency, amount: row.amount, fee: row.fee,
      amountToTransfer: row.amount_to_transfer, amountRub: row.amount_rub, detailsHash: row.details_hash, status: row.status as PayoutStatus,
      hasPaymentDetails: row.has_details, belowMinimum: belowMinimum(row, input.payouts), flagged: row.flagged, inAnotherRun: row.in_another_run,
    }));
    const chosen = selectPayRunItems(candidates, { includeRequested: input.includeRequested ?? false });
    if (chosen.included.length === 0 && input.source === 'ADMIN') {
      const left = exclusionCounts(chosen.excluded).map((entry) => `${entry.count} ${entry.reason}`).join(', ');
      throw payRunRefusal('unprocessable', 'nothing_selected', `the selection includes no payout awaiting approval${left ? ` (left out: ${left})` : ''}`, 'body.selection');
    }
    const totals = payRunTotals(chosen.included.map((item) => ({ ...item })));
    const runApproval = runApprovalFor(totals.amountRub, input.payRuns);
    const id = input.id ?? randomUUID();
    const run = await transaction.one(sql.type(runRow)`
      INSERT INTO pay_runs (id, status, source, payment_date, selection, note, created_by, attempt, previous_run_id, idempotency_key,
                            policy_version, total_rub, run_approval_required, run_approval_roles)
      VALUES (${id}, 'AWAITING_APPROVAL', ${input.source}, ${input.paymentDate}, ${sql.jsonb(selection as never)}, ${input.note},
              ${input.createdBy}, ${input.attempt ?? 1}, ${input.previousRunId ?? null}, ${input.idempotencyKey}, ${input.policyVersion},
              ${totals.amountRub}, ${runApproval.required}, ${sql.jsonb(runApproval.roles)})
      RETURNING ${runColumns}`);
    const items = [
      ...chosen.included.map((item) => ({ payoutId: item.payoutId, state: 'INCLUDED', reason: null as string | null, active: true })),
      ...chosen.excluded.map((item) => ({ payoutId: item.payoutId, state: 'EXCLUDED', reason: item.reason as string | null, active: false })),
    ];
    if (items.length > 0) {
      await transaction.query(sql.unsafe`
        INSERT INTO pay_run_items (run_id, payout_id, state, reason, active)
        SELECT ${id}, item.payout_id, item.state, NULLIF(item.reason_text, ''), item.active
        FROM unnest(${sql.array(items.map((item) => item.payoutId), 'uuid')}, ${sql.array(items.map((item) => item.state), 'text')},
                    ${sql.array(items.map((item) => item.reason ?? ''), 'text')}, ${sql.array(items.map((item) => item.active), 'bool')})
             AS item(payout_id, state, reason_text, active)`);
    }
    await appendAuditRecord(transaction, {
      action: 'PAY_RUN_CREATE', actor: input.createdBy, targetType: 'pay_run', targetId: id,
      details: {
        source: input.source, paymentDate: input.paymentDate, selection, included: chosen.included.length, excluded: exclusionCounts(chosen.excluded),
        totals: totals.byCurrency, totalRub: totals.amountRub, runApproval, attempt: input.attempt ?? 1, previousRunId: input.previousRunId ?? null,
      },
    });
    if (chosen.included.length > 0) {
      await notifyFinance(transaction, run, 'PAY_RUN_READY', `Pay run ${id} is ready for approval`,
        `Pay run ${id} (${run.source}${run.payment_date ? `, payment date ${run.payment_date}` : ''}) has ${chosen.included.length} payouts awaiting approval: ${totals.byCurrency.map((total) => `${total.amount} ${total.currency}`).join(', ')}.`);
    }
    return { run, created: true };
  });
}

async function notifyFinance(connection: CommonQueryMethods, run: { id: string }, kind: NotificationKind, subject: string, text: string): Promise<void> {
  await enqueueNotification(connection, {
    dedupeKey: `${kind.toLowerCase().replaceAll('_', '-')}:${run.id}`,
    kind,
    recipient: { kind: 'admin_role', roles: ['finance_manager', 'finance_director'] },
    subject,
    text,
  });
}

/**
 * docs/rules.md#pay-runs "The schedule's run": a run the schedule reserved an id for and started, whose row the
 * workflow has not created yet (its date's payouts are still in their checklists), as a PREPARING row: listed and
 * readable with its payment date, nothing in it yet.
 */
const preparingRuns = sql.fragment`
  SELECT s.run_id AS id, 'PREPARING' AS status, 'SCHEDULE' AS source, to_char(s.payment_date, 'YYYY-MM-DD') AS payment_date,
         jsonb_build_object('scheduleDate', to_char(s.payment_date, 'YYYY-MM-DD')) AS selection, NULL::text AS note,
         'system:payout-schedule' AS created_by, s.reserved_at AS created_at, 1 AS attempt, NULL::uuid AS previous_run_id,
         (SELECT max(version) FROM policy_versions) AS policy_version, NULL::text AS total_rub, false AS run_approval_required,
         '[]'::jsonb AS run_approval_roles, NULL::text AS run_approved_by, NULL::timestamptz AS run_approved_at, NULL::text AS rejected_by,
         NULL::text AS rejection_reason, NULL::timestamptz AS finished_at
  FROM pay_run_schedule_ids s WHERE NOT EXISTS (SELECT 1 FROM pay_runs r WHERE r.id = s.run_id)`;

export async function findPayRun(connection: CommonQueryMethods, id: string): Promise<PayRunRow | null> {
  return (await connection.maybeOne(sql.type(runRow)`SELECT ${runColumns} FROM pay_runs WHERE id = ${id}`))
    ?? connection.maybeOne(sql.type(runRow)`SELECT * FROM (${preparingRuns}) preparing WHERE id = ${id}`);
}

/** Newest first, the schedule's PREPARING runs among them. */
export async function listPayRuns(connection: CommonQueryMethods, input: { status?: PayRunStatus; cursor?: { cursorTime: string; id: string }; limit: number }): Promise<PayRunRow[]> {
  const conditions = [
    input.status ? sql.fragment`status = ${input.status}` : null,
    input.cursor ? sql.fragment`(created_at, id) < (${input.cursor.cursorTime}::timestamptz, ${input.cursor.id}::uuid)` : null,
  ].filter((condition) => condition !== null);
  return [
    ...(await connection.any(sql.type(runRow)`
      SELECT * FROM (SELECT ${runColumns} FROM pay_runs UNION ALL ${preparingRuns}) runs
      ${conditions.length > 0 ? sql.fragment`WHERE ${sql.join(conditions, sql.fragment` AND `)}` : sql.fragment``}
      ORDER BY created_at DESC, id DESC LIMIT ${input.limit}`)),
  ];
}

const totalsRow = z.object({
  method_id: z.string(), currency: z.string(), amount: z.string(), fee: z.string(), amount_to_transfer: z.string(), amount_rub: z.string().nullable(),
  state: z.string(),
});
const fundsRow = z.object({ method_id: z.string(), currency: z.string(), available: z.string() });
const countRow = z.object({ key: z.string(), count: z.number() });
const decisionSummaryRow = z.object({
  id: z.string(), approver_id: z.string(), role: z.string(), decided_at: z.date(), items: z.number(), refused_upfront: z.number(),
  accepted: z.number(), refused: z.number(),
});

/**
 * The funds each method and currency still needs (what the run's INCLUDED items, not yet approved, will transfer) and
 * what is left of each declaration after the approvals of every run since it was made.
 */
async function fundsNeeded(connection: CommonQueryMethods, runId: string) {
  const rows = await connection.any(sql.type(totalsRow)`
    SELECT p.method_id, p.currency, p.amount::text AS amount, p.fee::text AS fee, p.amount_to_transfer::text AS amount_to_transfer,
           p.amount_rub::text AS amount_rub, i.state
    FROM pay_run_items i JOIN payouts p ON p.id = i.payout_id
    WHERE i.run_id = ${runId} AND i.state IN ('INCLUDED', 'APPROVED')`);
  // docs/rules.md#pay-runs, funds: what runs approved since a declaration is drawn from it, so a second run sees what
  // the first committed (a new declaration is finance's figure of what is available beside what is approved).
  const declared = await connection.any(sql.type(fundsRow)`
    SELECT f.method_id, f.currency,
           (f.available - coalesce((SELECT sum(p.amount_to_transfer) FROM pay_run_items i JOIN payouts p ON p.id = i.payout_id
                                    WHERE i.state = 'APPROVED' AND i.updated_at >= f.declared_at
                                      AND p.method_id = f.method_id AND p.currency = f.currency), 0))::text AS available
    FROM platform_funds f`);
  return { rows, declared };
}

/** GET /v1/pay-runs/{id}: the run with its totals, funds, exclusions, run-level approval, progress and decisions. */
export async function payRunView(connection: CommonQueryMethods, run: PayRunRow, policy: PayRunPolicy) {
  const { rows, declared } = await fundsNeeded(connection, run.id);
  const totals = payRunTotals(rows.map((row) => ({ methodId: row.method_id, currency: row.currency, amount: row.amount, fee: row.fee, amountToTransfer: row.amount_to_transfer, amountRub: row.amount_rub })));
  const pending = payRunTotals(rows.filter((row) => row.state === 'INCLUDED').map((row) => ({ methodId: row.method_id, currency: row.currency, amount: row.amount, fee: row.fee, amountToTransfer: row.amount_to_transfer, amountRub: row.amount_rub })));
  const excluded = await connection.any(sql.type(countRow)`
    SELECT reason AS key, count(*)::int AS count FROM pay_run_items WHERE run_id = ${run.id} AND state = 'EXCLUDED' GROUP BY reason`);
  const byPayoutStatus = await connection.any(sql.type(countRow)`
    SELECT p.status AS key, count(*)::int AS count FROM pay_run_items i JOIN payouts p ON p.id = i.payout_id
    WHERE i.run_id = ${run.id} AND i.state IN ('INCLUDED', 'APPROVED', 'REFUSED') GROUP BY p.status`);
  const delivery = await connection.one(sql.type(z.object({ delivered: z.number(), pending: z.number(), refused: z.number() }))`
    SELECT count(*) FILTER (WHERE di.outcome IS NOT NULL)::int AS delivered, count(*) FILTER (WHERE di.outcome IS NULL)::int AS pending,
           (SELECT count(*)::int FROM pay_run_items WHERE run_id = ${run.id} AND state = 'REFUSED') AS refused
    FROM pay_run_decisions d JOIN pay_run_decision_items di ON di.decision_id = d.id WHERE d.run_id = ${run.id}`);
  const decisions = await connection.any(sql.type(decisionSummaryRow)`
    SELECT d.id, d.approver_id, d.role, d.decided_at, d.items, d.refused_upfront,
           count(*) FILTER (WHERE di.outcome = 'accepted')::int AS accepted,
           count(*) FILTER (WHERE di.outcome IN ('refused', 'missing'))::int AS refused
    FROM pay_run_decisions d LEFT JOIN pay_run_decision_items di ON di.decision_id = d.id
    WHERE d.run_id = ${run.id} GROUP BY d.id ORDER BY d.decided_at, d.id`);
  const byMethod = totals.byMethod.map((total) => {
    const funds = declared.find((row) => row.method_id === total.methodId && row.currency === total.currency);
    const needed = pending.byMethod.find((row) => row.methodId === total.methodId && row.currency === total.currency)?.amountToTransfer ?? '0';
    const shortfall = fundsShortfall(needed, funds?.available ?? null, policy.requireDeclaredFunds);
    return {
      methodId: total.methodId, currency: total.currency, count: total.count, amountToTransfer: total.amountToTransfer,
      fundsDeclared: funds?.available ?? null, fundsShort: shortfall.short === null ? null : formatMoney(shortfall.short, total.currency), waitingForFunds: shortfall.waiting && delivery.pending > 0,
    };
  });
  return {
    id: run.id,
    status: run.status,
    source: run.source,
    paymentDate: run.payment_date,
    note: run.note,
    createdBy: run.created_by,
    createdAt: run.created_at.toISOString(),
    attempt: run.attempt,
    previousRunId: run.previous_run_id,
    totals: { byCurrency: totals.byCurrency, byMethod },
    excluded: exclusionCounts(excluded.map((row) => Array.from({ length: row.count }, () => ({ reason: row.key as PayRunExclusionReason }))).flat()),
    runApproval: { required: run.run_approval_required, roles: run.run_approval_roles, approvedBy: run.run_approved_by },
    rejection: run.rejected_by ? { by: run.rejected_by, reason: run.rejection_reason } : null,
    progress: {
      byPayoutStatus: Object.fromEntries(byPayoutStatus.map((row) => [row.key, row.count])) as Record<string, number>,
      delivered: delivery.delivered,
      refused: delivery.refused,
      pending: delivery.pending,
    },
    decisions: decisions.map((row) => ({ id: row.id, by: row.approver_id, role: row.role, at: row.decided_at.toISOString(), approved: row.accepted, refused: row.refused + row.refused_upfront })),
    finishedAt: run.finished_at?.toISOString() ?? null,
  };
}
export type PayRunView = Awaited<ReturnType<typeof payRunView>>;

const itemRow = z.object({
  payout_id: z.string(), partner_id: z.string(), partner_name: z.string(), method_id: z.string(), currency: z.string(), amount: z.string(),
  details_hash: z.string(), state: z.string(), reason: z.string().nullable(), refusal_code: z.string().nullable(), payout_status: z.string(),
  note: z.string().nullable(),
});

/** GET /v1/pay-runs/{id}/items: by payout id, optionally one state; `reason` is the exclusion reason or the refusal code. */
export async function payRunItems(connection: CommonQueryMethods, runId: string, input: { state?: PayRunItemState; after?: string; limit: number }) {
  const rows = await connection.any(sql.type(itemRow)`
    SELECT i.payout_id, p.partner_id, pa.name AS partner_name, p.method_id, p.currency, p.amount::text AS amount, p.details_hash,
           i.state, i.reason, i.refusal_code, p.status AS payout_status, coalesce(i.note, i.refusal_message) AS note
    FROM pay_run_items i JOIN payouts p ON p.id = i.payout_id JOIN partners pa ON pa.id = p.partner_id
    WHERE i.run_id = ${runId}
      ${input.state ? sql.fragment`AND i.state = ${input.state}` : sql.fragment``}
      ${input.after ? sql.fragment`AND i.payout_id > ${input.after}::uuid` : sql.fragment``}
    ORDER BY i.payout_id LIMIT ${input.limit}`);
  return rows.map((row) => ({
    payoutId: row.payout_id, partnerId: row.partner_id, partnerName: row.partner_name, methodId: row.method_id, currency: row.currency,
    amount: row.amount, detailsHash: row.details_hash, state: row.state as PayRunItemState, reason: row.reason ?? row.refusal_code,
    payoutStatus: row.payout_status, note: row.note,
  }));
}

const decisionCandidateRow = z.object({
  payout_id: z.string(), currency: z.string(), amount: z.string(), details_hash: z.string(), status: z.string(), initiated_by: z.string(),
  drafted_by: z.string().nullable(), required_chain: z.array(z.object({ roles: z.array(z.string()) })),
  approvals: z.array(z.object({ userId: z.string(), role: z.string(), step: z.number(), at: z.string() })),
});

/**
 * The run's INCLUDED items as a decision sees them: each payout's current amount and details hash, its chain, its
 * recorded approvals, and the steps of decisions this or another run accepted but has not delivered yet (so two
 * approvers of one role never both take the same step).
 */
async function decisionCandidates(connection: CommonQueryMethods, runId: string): Promise<DecisionCandidate[]> {
  const rows = await connection.any(sql.type(decisionCandidateRow)`
    SELECT p.id AS payout_id, p.currency, p.amount::text AS amount, p.details_hash, p.status, p.initiated_by::text AS initiated_by,
           p.drafted_by::text AS drafted_by, p.required_chain,
           coalesce((SELECT jsonb_agg(jsonb_build_object('userId', a.approver_id, 'role', a.role, 'step', a.step, 'at', a.decided_at))
                     FROM payout_approvals a WHERE a.payout_id = p.id AND a.decision = 'APPROVE' AND a.step IS NOT NULL), '[]'::jsonb)
           || coalesce((SELECT jsonb_agg(jsonb_build_object('userId', d.approver_id, 'role', d.role, 'step', di.step, 'at', d.decided_at))
                        FROM pay_run_decision_items di JOIN pay_run_decisions d ON d.id = di.decision_id
                        WHERE di.payout_id = p.id AND di.outcome IS NULL), '[]'::jsonb) AS approvals
    FROM pay_run_items i JOIN payouts p ON p.id = i.payout_id
    WHERE i.run_id = ${runId} AND i.state = 'INCLUDED'
    ORDER BY p.id`);
  return rows.map((row) => ({
    payoutId: row.payout_id, currency: row.currency, amount: row.amount, detailsHash: row.details_hash, payoutStatus: row.status as PayoutStatus,
    initiatedBy: row.initiated_by, draftedBy: row.drafted_by, requiredChain: row.required_chain as ApprovalStep[],
    approvals: row.approvals as PayoutApproval[],
  }));
}

export function itemsHash(group: ApproverGroup): string {
  return createHash('sha256').update(decisionLines(group.approvable)).digest('hex');
}

/** GET /v1/pay-runs/{id}/decision: what this approver may approve now, its totals, and the hash their decision binds. */
export async function decisionView(connection: CommonQueryMethods, runId: string, approver: { userId: string; role: UserRole }) {
  const group = approverGroup(await decisionCandidates(connection, runId), approver);
  const totals = payRunTotals(group.approvable.map((item) => ({ methodId: '', currency: item.currency, amount: item.amount, fee: '0', amountToTransfer: item.amount, amountRub: null })));
  return {
    group,
    view: {
      items: group.approvable.length,
      totals: totals.byCurrency.map((total) => ({ currency: total.currency, count: total.count, amount: total.amount })),
      itemsHash: itemsHash(group),
      lines: decisionLines(group.approvable),
      refusedUpfront: group.refusedUpfront,
    },
  };
}

const refusalMessages: Record<ApproverGroup['refusedUpfront'][number]['code'], string> = {
  maker_checker: 'you initiated or drafted this payout; a second person approves it',
  already_approved: 'you already approved this payout; approvers must be distinct people',
  role_not_in_chain: 'no open step of this payout’s approval chain takes your role',
  invalid_state: 'the payout is not awaiting approval',
};

/**
 * Records one approver's decision over their group (docs/rules.md#pay-runs): under the run's row lock, the group is
 * computed again and must hash to what the approver confirmed (else 409 `items_changed`, nothing written); each item
 * is stored with the step it takes and what the approver saw. Delivery is the workflow's.
 */
export async function recordPayRunDecision(
  database: Database,
  input: { runId: string; approver: { userId: string; role: UserRole }; itemsHash: string; totpVerifiedAt: Date; ip?: string | null },
) {
  return database.transaction(async (transaction) => {
    const run = await transaction.maybeOne(sql.type(runRow)`SELECT ${runColumns} FROM pay_runs WHERE id = ${input.runId} FOR UPDATE`);
    if (!run) throw payRunRefusal('not_found', 'not_found', `no pay run ${input.runId}`, 'params.id');
    if (isTerminalPayRunStatus(run.status)) throw payRunRefusal('conflict', 'invalid_state', `the pay run is ${run.status}`, 'status');
    const { group, view } = await decisionView(transaction, input.runId, input.approver);
    if (view.itemsHash !== input.itemsHash) {
      throw payRunRefusal('conflict', 'items_changed', 'the items you may approve changed since you looked; fetch the decision again', 'body.itemsHash');
    }
    if (group.approvable.length === 0) throw payRunRefusal('conflict', 'nothing_to_approve', 'there is nothing in this run you may approve now', 'body.itemsHash');
    const decisionId = randomUUID();
    await transaction.query(sql.unsafe`
      INSERT INTO pay_run_decisions (id, run_id, approver_id, role, totp_verified_at, items_hash, items, refused_upfront, client_ip)
      VALUES (${decisionId}, ${input.runId}, ${input.approver.userId}, ${input.approver.role}, ${input.totpVerifiedAt.toISOString()},
              ${input.itemsHash}, ${group.approvable.length}, ${group.refusedUpfront.length}, ${input.ip ?? null}::inet)`);
    await transaction.query(sql.unsafe`
      INSERT INTO pay_run_decision_items (decision_id, payout_id, step, amount_seen, details_hash_seen)
      SELECT ${decisionId}, item.payout_id, item.step, item.amount, item.details_hash
      FROM unnest(${sql.array(group.approvable.map((item) => item.payoutId), 'uuid')}, ${sql.array(group.approvable.map((item) => item.step), 'int4')},
                  ${sql.array(group.approvable.map((item) => item.amount), 'numeric')}, ${sql.array(group.approvable.map((item) => item.detailsHash), 'text')})
           AS item(payout_id, step, amount, details_hash)`);
    await appendAuditRecord(transaction, {
      action: 'PAY_RUN_DECIDE', actor: input.approver.userId, targetType: 'pay_run', targetId: input.runId, ip: input.ip ?? null,
      details: { decisionId, role: input.approver.role, itemsHash: input.itemsHash, items: group.approvable.length, refusedUpfront: group.refusedUpfront },
    });
    return {
      decisionId,
      approving: group.approvable.length,
      refused: group.refusedUpfront.map((item) => ({ payoutId: item.payoutId, code: item.code, message: refusalMessages[item.code] })),
    };
  });
}

/** Run-level approval (docs/rules.md#pay-runs): one of the roles the run's total needs, never its creator; once. */
export async function approvePayRunAsRun(database: Database, input: { runId: string; approver: { userId: string; role: UserRole }; ip?: string | null }): Promise<PayRunRow> {
  return database.transaction(async (transaction) => {
    const run = await transaction.maybeOne(sql.type(runRow)`SELECT ${runColumns} FROM pay_runs WHERE id = ${input.runId} FOR UPDATE`);
    if (!run) throw payRunRefusal('not_found', 'not_found', `no pay run ${input.runId}`, 'params.id');
    if (!run.run_approval_required) throw payRunRefusal('conflict', 'not_required', 'this run’s total needs no run-level approval');
    if (run.run_approved_by !== null) throw payRunRefusal('conflict', 'already_approved', `the run was approved by ${run.run_approved_by}`);
    if (isTerminalPayRunStatus(run.status)) throw payRunRefusal('conflict', 'invalid_state', `the pay run is ${run.status}`, 'status');
    if (run.created_by === input.approver.userId) throw payRunRefusal('forbidden', 'maker_checker', 'the run’s creator cannot approve it; a second person does');
    if (!run.run_approval_roles.includes(input.approver.role)) {
      throw payRunRefusal('forbidden', 'checker_role_required', `this run’s total is approved by one of ${run.run_approval_roles.join(', ')}`);
    }
    await appendAuditRecord(transaction, {
      action: 'PAY_RUN_APPROVE', actor: input.approver.userId, targetType: 'pay_run', targetId: input.runId, ip: input.ip ?? null,
      amount: run.total_rub, currency: run.total_rub === null ? null : 'RUB', details: { role: input.approver.role, roles: run.run_approval_roles },
    });
    return transaction.one(sql.type(runRow)`
      UPDATE pay_runs SET run_approved_by = ${input.approver.userId}, run_approved_role = ${input.approver.role}, run_approved_at = now(), updated_at = now()
      WHERE id = ${input.runId} RETURNING ${runColumns}`);
  });
}

/**
 * Takes items out of a run (docs/rules.md#pay-runs): only INCLUDED ones no decision is delivering; they leave with
 * `reason` (excluded_by_admin, or run_rejected for what a rejection leaves undecided) and their payouts are free for
 * another run. Returns the payout ids that were taken out.
 */
export async function excludePayRunItems(
  connection: CommonQueryMethods,
  input: { runId: string; payoutIds: string[] | null; reason: PayRunExclusionReason; note: string; by: string },
): Promise<string[]> {
  const excluded = [
    ...(await connection.anyFirst(sql.type(z.object({ payout_id: z.string() }))`
      UPDATE pay_run_items i SET state = 'EXCLUDED', reason = ${input.reason}, note = ${input.note}, excluded_by = ${input.by}, active = false, updated_at = now()
      WHERE i.run_id = ${input.runId} AND i.state = 'INCLUDED'
        ${input.payoutIds ? sql.fragment`AND i.payout_id = ANY(${sql.array(input.payoutIds, 'uuid')})` : sql.fragment``}
        AND NOT EXISTS (SELECT 1 FROM pay_run_decision_items di JOIN pay_run_decisions d ON d.id = di.decision_id
                        WHERE d.run_id = i.run_id AND di.payout_id = i.payout_id AND di.outcome IS NULL)
      RETURNING i.payout_id`)),
  ];
  await appendAuditRecord(connection, {
    action: input.reason === 'run_rejected' ? 'PAY_RUN_REJECT' : 'PAY_RUN_EXCLUDE', actor: input.by, targetType: 'pay_run', targetId: input.runId,
    reason: input.note, details: { payoutIds: excluded, requested: input.payoutIds },
  });
  return excluded;
}

/** Rejects what is left undecided (docs/rules.md#pay-runs): those items leave the run, their payouts stay AWAITING_APPROVAL. */
export async function rejectPayRun(database: Database, input: { runId: string; by: string; reason: string }): Promise<string[]> {
  return database.transaction(async (transaction) => {
    const run = await transaction.maybeOne(sql.type(runRow)`SELECT ${runColumns} FROM pay_runs WHERE id = ${input.runId} FOR UPDATE`);
    if (!run) throw payRunRefusal('not_found', 'not_found', `no pay run ${input.runId}`, 'params.id');
    if (isTerminalPayRunStatus(run.status)) throw payRunRefusal('conflict', 'invalid_state', `the pay run is ${run.status}`, 'status');
    if (run.rejected_by !== null) throw payRunRefusal('conflict', 'invalid_state', 'the pay run is already rejected', 'status');
    await transaction.query(sql.unsafe`
      UPDATE pay_runs SET rejected_by = ${input.by}, rejected_at = now(), rejection_reason = ${input.reason}, updated_at = now() WHERE id = ${input.runId}`);
    return excludePayRunItems(transaction, { runId: input.runId, payoutIds: null, reason: 'run_rejected', note: input.reason, by: input.by });
  });
}

const deliveryRow = z.object({
  payout_id: z.string(), step: z.number(), amount_seen: z.string(), details_hash_seen: z.string(), method_id: z.string(), currency: z.string(),
  approver_id: z.string(), role: z.string(), client_ip: z.string().nullable(),
});

/** The update id of one decision's delivery to one payout: the same id is applied at most once (modules/payouts/payout-delivery.ts). */
export const payRunUpdateId = (runId: string, decisionId: string, payoutId: string) => `pay-run-${runId}-${decisionId}-${payoutId}`;

/**
 * The next chunk of a decision's undelivered items, from method+currency groups whose funds suffice
 * (docs/rules.md#pay-runs, funds check); `waiting` names the groups that wait for funds, `remaining` counts every
 * undelivered item of the decision.
 */
export async function nextPayRunDeliveries(connection: CommonQueryMethods, input: { runId: string; decisionId: string; limit: number; requireDeclaredFunds: boolean }) {
  const rows = await connection.any(sql.type(deliveryRow)`
    SELECT di.payout_id, di.step, di.amount_seen::text AS amount_seen, di.details_hash_seen, p.method_id, p.currency, d.approver_id::text AS approver_id, d.role,
           host(d.client_ip) AS client_ip
    FROM pay_run_decision_items di JOIN pay_run_decisions d ON d.id = di.decision_id JOIN payouts p ON p.id = di.payout_id
    WHERE di.decision_id = ${input.decisionId} AND di.outcome IS NULL
    ORDER BY di.payout_id`);
  const { rows: needRows, declared } = await fundsNeeded(connection, input.runId);
  const waiting: { methodId: string; currency: string; needed: string; declared: string | null }[] = [];
  const funded = new Set<string>();
  for (const group of new Set(rows.map((row) => `${row.method_id}\u0000${row.currency}`))) {
    const [methodId, currency] = group.split('\u0000') as [string, string];
    const needed = needRows
      .filter((row) => row.state === 'INCLUDED' && row.method_id === methodId && row.currency === currency)
      .reduce((sum, row) => sum.plus(row.amount_to_transfer), new Money(0));
    const available = declared.find((row) => row.method_id === methodId && row.currency === currency)?.available ?? null;
    if (fundsShortfall(needed.toFixed(), available, input.requireDeclaredFunds).waiting) waiting.push({ methodId, currency, needed: needed.toFixed(), declared: available });
    else funded.add(group);
  }
  const deliveries: PayoutDelivery[] = rows
    .filter((row) => funded.has(`${row.method_id}\u0000${row.currency}`))
    .slice(0, input.limit)
    .map((row) => ({
      payoutId: row.payout_id,
      updateId: payRunUpdateId(input.runId, input.decisionId, row.payout_id),
      update: 'approve',
      // The approver's client address rides with the actor (docs/rules.md#audit-trail); absent when none was stored.
      input: { actor: { userId: row.approver_id, role: row.role, ...(row.client_ip ? { ip: row.client_ip } : {}) }, amount: row.amount_seen, detailsHash: row.details_hash_seen },
    }));
  return { deliveries, waiting, remaining: rows.length };
}

/**
 * The payouts' answers to a chunk: each decision item keeps its outcome; an accepted approval that completed the chain
 * makes the item APPROVED; a refusal (or a closed payout) makes it REFUSED with the payout's code, and frees it.
 */
export async function recordPayRunDeliveries(database: Database, input: { runId: string; decisionId: string; outcomes: PayoutDeliveryOutcome[] }): Promise<void> {
  if (input.outcomes.length === 0) return;
  await database.transaction((transaction) => recordPayRunDeliveriesIn(transaction, input));
}

/** The body of `recordPayRunDeliveries`, inside the caller's transaction (fan-out design 2 records with its approvals). */
export async function recordPayRunDeliveriesIn(transaction: CommonQueryMethods, input: { runId: string; decisionId: string; outcomes: PayoutDeliveryOutcome[] }): Promise<void> {
  if (input.outcomes.length === 0) return;
  {
    await transaction.query(sql.unsafe`
      UPDATE pay_run_decision_items di SET outcome = o.outcome, code = NULLIF(o.code, ''), message = NULLIF(o.message, ''), delivered_at = now()
      FROM unnest(${sql.array(input.outcomes.map((o) => o.payoutId), 'uuid')}, ${sql.array(input.outcomes.map((o) => o.outcome), 'text')},
                  ${sql.array(input.outcomes.map((o) => o.code ?? ''), 'text')}, ${sql.array(input.outcomes.map((o) => o.message ?? ''), 'text')})
           AS o(payout_id, outcome, code, message)
      WHERE di.decision_id = ${input.decisionId} AND di.payout_id = o.payout_id AND di.outcome IS NULL`);
    const approved = input.outcomes.filter((o) => o.outcome === 'accepted' && o.status !== null && o.status !== 'AWAITING_APPROVAL').map((o) => o.payoutId);
    if (approved.length > 0) {
      await transaction.query(sql.unsafe`
        UPDATE pay_run_items SET state = 'APPROVED', updated_at = now()
        WHERE run_id = ${input.runId} AND state = 'INCLUDED' AND payout_id = ANY(${sql.array(approved, 'uuid')})`);
    }
    const refused = input.outcomes.filter((o) => o.outcome !== 'accepted');
    if (refused.length > 0) {
      await transaction.query(sql.unsafe`
        UPDATE pay_run_items i SET state = 'REFUSED', active = false, refusal_code = o.code, refusal_message = o.message, updated_at = now()
        FROM unnest(${sql.array(refused.map((o) => o.payoutId), 'uuid')}, ${sql.array(refused.map((o) => o.code ?? 'refused'), 'text')},
                    ${sql.array(refused.map((o) => o.message ?? ''), 'text')}) AS o(payout_id, code, message)
        WHERE i.run_id = ${input.runId} AND i.payout_id = o.payout_id AND i.state = 'INCLUDED'`);
    }
    await transaction.query(sql.unsafe`
      UPDATE pay_run_decisions d SET delivered_at = now()
      WHERE d.id = ${input.decisionId} AND d.delivered_at IS NULL
        AND NOT EXISTS (SELECT 1 FROM pay_run_decision_items di WHERE di.decision_id = d.id AND di.outcome IS NULL)`);
  }
}

const progressRow = z.object({ included: z.number(), approved: z.number(), refused: z.number(), pending: z.number() });

/**
 * Brings the run's row up to date (the workflow calls it after each chunk and on its timer): items whose payouts were
 * decided outside the run follow them, the status follows the items and their payouts' statuses (never COMPLETED
 * while a payout is open), and the finance team is told when the run is approved, paid, or finished with failures.
 */
export async function syncPayRun(database: Database, input: { runId: string; delivering: boolean }) {
  return database.transaction(async (transaction) => {
    const run = await transaction.one(sql.type(runRow)`SELECT ${runColumns} FROM pay_runs WHERE id = ${input.runId} FOR UPDATE`);
    if (isTerminalPayRunStatus(run.status)) {
      return { status: run.status, byPayoutStatus: {} as Record<string, number>, included: 0, approved: 0, refused: 0, undeliveredDecisions: [] as string[], runApproved: run.run_approved_by !== null };
    }
    // Payouts approved, rejected or cancelled outside the run while it held them, with no delivery of this run pending.
    await transaction.query(sql.unsafe`
      UPDATE pay_run_items i SET state = CASE WHEN p.status IN ('APPROVED', 'PROCESSING', 'COMPLETED', 'FAILED') THEN 'APPROVED' ELSE 'EXCLUDED' END,
             reason = CASE WHEN p.status IN ('APPROVED', 'PROCESSING', 'COMPLETED', 'FAILED') THEN NULL ELSE 'closed_outside_run' END,
             active = p.status IN ('APPROVED', 'PROCESSING', 'COMPLETED', 'FAILED'), updated_at = now()
      FROM payouts p
      WHERE i.run_id = ${input.runId} AND i.state = 'INCLUDED' AND p.id = i.payout_id AND p.status NOT IN ('AWAITING_APPROVAL', 'HELD', 'REQUESTED', 'AWAITING_PARTNER')
        AND NOT EXISTS (SELECT 1 FROM pay_run_decision_items di WHERE di.payout_id = i.payout_id AND di.outcome IS NULL)`);
    const progress = await transaction.one(sql.type(progressRow)`
      SELECT count(*) FILTER (WHERE state = 'INCLUDED')::int AS included, count(*) FILTER (WHERE state = 'APPROVED')::int AS approved,
             count(*) FILTER (WHERE state = 'REFUSED')::int AS refused,
             (SELECT count(*)::int FROM pay_run_decisions d JOIN pay_run_decision_items di ON di.decision_id = d.id
              WHERE d.run_id = ${input.runId} AND di.outcome IS NULL) AS pending
      FROM pay_run_items WHERE run_id = ${input.runId}`);
    const statuses = await transaction.any(sql.type(countRow)`
      SELECT p.status AS key, count(*)::int AS count FROM pay_run_items i JOIN payouts p ON p.id = i.payout_id
      WHERE i.run_id = ${input.runId} AND i.state = 'APPROVED' GROUP BY p.status`);
    const byPayoutStatus = Object.fromEntries(statuses.map((row) => [row.key, row.count])) as Record<string, number>;
    // Recorded decisions count as being delivered only once nothing holds them back (the run-level approval).
    const released = !run.run_approval_required || run.run_approved_by !== null;
    const status: PayRunStatus = input.delivering || (progress.pending > 0 && released)
      ? 'DELIVERING'
      : settledPayRunStatus({ included: progress.included, approved: progress.approved, refused: progress.refused, rejected: run.rejected_by !== null, byPayoutStatus });
    const terminal = isTerminalPayRunStatus(status);
    if (status !== run.status) {
      await transaction.query(sql.unsafe`
        UPDATE pay_runs SET status = ${status}, updated_at = now() ${terminal ? sql.fragment`, finished_at = now()` : sql.fragment``} WHERE id = ${input.runId}`);
      if (terminal) await transaction.query(sql.unsafe`UPDATE pay_run_items SET active = false WHERE run_id = ${input.runId} AND active`);
      const failed = (byPayoutStatus.FAILED ?? 0) + progress.refused;
      if (status === 'IN_PROGRESS' || (terminal && status !== 'REJECTED' && run.status !== 'IN_PROGRESS' && progress.approved > 0)) {
        await notifyFinance(transaction, run, 'PAY_RUN_APPROVED', `Pay run ${run.id} is approved`, `Pay run ${run.id}: ${progress.approved} payouts approved and on their way; ${progress.refused} refused.`);
      }
      if (status === 'COMPLETED') {
        await notifyFinance(transaction, run, 'PAY_RUN_PAID', `Pay run ${run.id} is paid`, `Pay run ${run.id}: all ${byPayoutStatus.COMPLETED ?? 0} approved payouts are COMPLETED.`);
      }
      if (status === 'COMPLETED_WITH_FAILURES') {
        await notifyFinance(transaction, run, 'PAY_RUN_FAILURES', `Pay run ${run.id} finished with failures`,
          `Pay run ${run.id}: ${byPayoutStatus.COMPLETED ?? 0} COMPLETED, ${failed} failed or refused (${byPayoutStatus.FAILED ?? 0} FAILED, ${progress.refused} refused by their payouts). Retry: POST /v1/pay-runs/${run.id}/retry.`);
      }
    }
    // Decisions recorded but not delivered, oldest first: the workflow queues any it was not told about (the API's
    // update failed after the decision was written), so no recorded decision is left behind.
    const undeliveredDecisions = [
      ...(await transaction.anyFirst(sql.type(z.object({ id: z.string() }))`
        SELECT id FROM pay_run_decisions WHERE run_id = ${input.runId} AND delivered_at IS NULL ORDER BY decided_at, id`)),
    ];
    return { status, byPayoutStatus, included: progress.included, approved: progress.approved, refused: progress.refused, undeliveredDecisions, runApproved: run.run_approved_by !== null };
  });
}

/** GET /v1/platform-funds. */
export async function listPlatformFunds(connection: CommonQueryMethods) {
  return connection.any(sql.type(z.object({ method_id: z.string(), currency: z.string(), available: z.string(), declared_by: z.string(), declared_at: z.date() }))`
    SELECT method_id, currency, available::text AS available, declared_by::text AS declared_by, declared_at FROM platform_funds ORDER BY method_id, currency`);
}

/** PUT /v1/platform-funds/{methodId}/{currency}: the new declared amount, and the change in platform_funds_changes. */
export async function declarePlatformFunds(database: Database, input: { methodId: string; currency: string; available: string; by: string }) {
  return database.transaction(async (transaction) => {
    const before = await transaction.maybeOneFirst(sql.type(z.object({ available: z.string() }))`
      SELECT available::text AS available FROM platform_funds WHERE method_id = ${input.methodId} AND currency = ${input.currency} FOR UPDATE`);
    await transaction.query(sql.unsafe`
      INSERT INTO platform_funds (method_id, currency, available, declared_by, declared_at)
      VALUES (${input.methodId}, ${input.currency}, ${input.available}, ${input.by}, now())
      ON CONFLICT (method_id, currency) DO UPDATE SET available = EXCLUDED.available, declared_by = EXCLUDED.declared_by, declared_at = now()`);
    await transaction.query(sql.unsafe`
      INSERT INTO platform_funds_changes (method_id, currency, available_before, available_after, declared_by)
      VALUES (${input.methodId}, ${input.currency}, ${before}, ${input.available}, ${input.by})`);
    await appendAuditRecord(transaction, {
      action: 'PLATFORM_FUNDS_DECLARE', actor: input.by, targetType: 'platform_funds', targetId: `${input.methodId}/${input.currency}`,
      amount: input.available, currency: input.currency, balanceBefore: before, balanceAfter: input.available,
    });
    return { methodId: input.methodId, currency: input.currency, availableBefore: before, available: input.available };
  });
}

/** Runs that may be waiting for funds: told when funds are declared. */
export async function openPayRunIds(connection: CommonQueryMethods): Promise<string[]> {
  return [...(await connection.anyFirst(sql.type(z.object({ id: z.string() }))`SELECT id FROM pay_runs WHERE status IN ('AWAITING_APPROVAL', 'DELIVERING')`))];
}

/**
 * The schedule's run of a payment date (docs/rules.md#pay-runs): once none of the date's payouts is still REQUESTED
 * (their checklists run right after the schedule starts them), or when `force` says the wait is over, the run is
 * created from the date's payouts under the policy in force. Idempotent by the run id derived from the date.
 */
export async function prepareScheduledPayRun(
  database: Database,
  active: () => Promise<{ version: number; policy: { payouts: PayoutPolicy; payRuns: PayRunPolicy } }>,
  input: { runId: string; paymentDate: string; force: boolean; createdBy: string },
): Promise<{ ready: false; requested: number; pollSeconds: number } | { ready: true; runApprovalRequired: boolean; policy: PayRunPolicy }> {
  const { version, policy } = await active();
  if (!input.force) {
    const requested = await database.oneFirst(sql.type(z.object({ count: z.number() }))`
      SELECT count(*)::int AS count FROM payouts WHERE schedule_date = ${input.paymentDate}::date AND status = 'REQUESTED'`);
    // Checklists take seconds: look again soon, however slowly the run's progress is polled later.
    if (requested > 0) return { ready: false, requested, pollSeconds: Math.min(policy.payRuns.progressPollSeconds, 5) };
  }
  const { run } = await createPayRun(database, {
    id: input.runId, source: 'SCHEDULE', paymentDate: input.paymentDate, selection: { scheduleDate: input.paymentDate }, note: null,
    createdBy: input.createdBy, idempotencyKey: null, policyVersion: version, payouts: policy.payouts, payRuns: policy.payRuns,
  });
  return { ready: true, runApprovalRequired: run.run_approval_required, policy: policy.payRuns };
}

const failedRow = z.object({
  payout_id: z.string(), partner_id: z.string(), method_id: z.string(), currency: z.string(), amount: z.string(),
  payment_details: z.record(z.string(), z.string()), non_regular: z.boolean(),
});

/** The run's FAILED payouts (approved by the run, then failed at the bank or provider): what a retry pays again. */
export async function failedPayRunPayouts(connection: CommonQueryMethods, runId: string) {
  return connection.any(sql.type(failedRow)`
    SELECT p.id AS payout_id, p.partner_id, p.method_id, p.currency, p.amount::text AS amount, p.payment_details, p.non_regular
    FROM pay_run_items i JOIN payouts p ON p.id = i.payout_id
    WHERE i.run_id = ${runId} AND i.state = 'APPROVED' AND p.status = 'FAILED'
    ORDER BY p.id`);
}

export async function retryOfPayRun(connection: CommonQueryMethods, runId: string): Promise<string | null> {
  return connection.maybeOneFirst(sql.type(z.object({ id: z.string() }))`SELECT id FROM pay_runs WHERE previous_run_id = ${runId}`);
}

/** The id of a payment date's scheduled run: reserved once per date, the same answer every time after. */
export async function reserveScheduledPayRunId(database: Database, paymentDate: string): Promise<string> {
  await database.query(sql.unsafe`
    INSERT INTO pay_run_schedule_ids (payment_date, run_id) VALUES (${paymentDate}::date, ${randomUUID()}) ON CONFLICT (payment_date) DO NOTHING`);
  return database.oneFirst(sql.type(z.object({ run_id: z.string() }))`SELECT run_id FROM pay_run_schedule_ids WHERE payment_date = ${paymentDate}::date`);
}
