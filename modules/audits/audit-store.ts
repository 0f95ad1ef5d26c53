import { createHash, randomBytes } from 'node:crypto';
import { Decimal } from 'decimal.js';
import { sql, type CommonQueryMethods, type QuerySqlToken } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import {
  approvalChainProblems,
  auditCadences,
  auditSignOffRefusal,
  commissionSampleMax,
  commissionSamplePercent,
  dormantAdminDays,
  largePayoutRub,
  sampleOf,
  tarArchive,
  transactionSamplePercent,
  type AuditKind,
  type AuditPeriod,
  type ChainStep,
  type FindingStatus,
} from '../../domain/audit-schedule.ts';
import { roundCommission } from '../../domain/commission.ts';
import { csvRecord } from '../../domain/csv.ts';
import { DomainError } from '../../domain/errors.ts';
import type { FourEyesActor } from '../../domain/four-eyes.ts';
import { Money } from '../../domain/money.ts';
import { policySchema, type RateColumn } from '../../domain/policy.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';
import { enqueueNotification } from '../notifications/outbox.ts';
import { rebuildFindings } from '../reconciliation/rebuild-check.ts';

/**
 * The audit schedule (docs/rules.md#audit-schedule): each kind's checks in SQL over one REPEATABLE READ snapshot, one
 * stored run per (kind, period) with the evidence it examined and one finding per problem, the findings' resolution,
 * the run's sign-off and the annual export's archive. A run is computed once: a rerun returns the stored one.
 */

export interface AuditFindingDraft {
  check: string;
  subject: string;
  detail: Record<string, unknown>;
}

interface Computed {
  report: Record<string, unknown>;
  findings: AuditFindingDraft[];
  archive?: { fileName: string; content: Uint8Array };
}

const idRow = z.object({ id: z.string() });

// ---------------------------------------------------------------------------------------------------------------
// 1. The weekly transaction sample.

/** The week's journal entries, ascending by id: the population the sample is drawn from. */
async function entriesOf(connection: CommonQueryMethods, period: AuditPeriod): Promise<string[]> {
  const rows = await connection.any(sql.type(idRow)`
    SELECT id::text AS id FROM journal_entries
    WHERE created_at >= ${period.start.toISOString()}::timestamptz AND created_at < ${period.end.toISOString()}::timestamptz
    ORDER BY journal_entries.id`);
  return rows.map((row) => row.id);
}

/** The entries a seed samples from the period (what the run recorded, recomputed: the reproducibility check). */
export async function sampleTransactions(connection: CommonQueryMethods, period: AuditPeriod, seed: string): Promise<{ population: number; sample: string[] }> {
  const population = await entriesOf(connection, period);
  return { population: population.length, sample: sampleOf(seed, population, transactionSamplePercent) };
}

const entryFindingRow = z.object({ check_name: z.string(), subject: z.string(), detail: z.record(z.unknown()) });

async function transactionSample(connection: CommonQueryMethods, period: AuditPeriod, seed: string): Promise<Computed> {
  const { population, sample } = await sampleTransactions(connection, period, seed);
  const ids = sql.array(sample, 'int8');
  const rows = await connection.any(sql.type(entryFindingRow)`
    WITH s AS (SELECT unnest(${ids}) AS id)
    SELECT * FROM (
      SELECT 'thin_entry' AS check_name, 'entry ' || e.id AS subject,
             jsonb_build_object('entry_id', e.id::text, 'kind', e.kind, 'idempotency_key', e.idempotency_key, 'postings', count(p.entry_id)) AS detail
      FROM s JOIN journal_entries e ON e.id = s.id LEFT JOIN postings p ON p.entry_id = e.id
      GROUP BY e.id HAVING count(p.entry_id) < 2
      UNION ALL
      SELECT 'unbalanced_entry', 'entry ' || p.entry_id || ' ' || p.currency,
             jsonb_build_object('entry_id', p.entry_id::text, 'currency', p.currency, 'total', sum(p.amount)::text)
      FROM s JOIN postings p ON p.entry_id = s.id GROUP BY p.entry_id, p.currency HAVING sum(p.amount) <> 0
      UNION ALL
      SELECT 'malformed_posting', 'posting ' || p.entry_id || '/' || p.line,
             jsonb_build_object('entry_id', p.entry_id::text, 'line', p.line, 'currency', p.currency, 'account_currency', a.currency, 'amount', p.amount::text)
      FROM s JOIN postings p ON p.entry_id = s.id JOIN accounts a ON a.id = p.account_id JOIN currencies c ON c.code = a.currency
      WHERE p.currency <> a.currency OR p.amount <> round(p.amount, c.scale) OR p.amount = 0
      UNION ALL
      SELECT 'posting_time_mismatch', 'posting ' || p.entry_id || '/' || p.line,
             jsonb_build_object('entry_id', p.entry_id::text, 'line', p.line, 'entry_at', e.created_at, 'posting_at', p.created_at)
      FROM s JOIN journal_entries e ON e.id = s.id JOIN postings p ON p.entry_id = e.id
      WHERE p.created_at <> e.created_at
    ) f ORDER BY 1, 2`);
  return {
    report: { population, percent: transactionSamplePercent, sampled: sample.length, sample },
    findings: rows.map((row) => ({ check: row.check_name, subject: row.subject, detail: row.detail })),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// 2. The monthly verification of all balances.

async function balances(connection: CommonQueryMethods): Promise<Computed> {
  const counts = await connection.one(sql.type(z.object({ accounts: z.number(), postings: z.number() }))`
    SELECT (SELECT count(*)::int FROM accounts) AS accounts, (SELECT count(*)::int FROM postings) AS postings`);
  const found = await rebuildFindings(connection);
  return {
    report: { accounts: counts.accounts, postings: counts.postings, asOf: 'the database when the run was computed' },
    findings: found.map((finding) => ({ check: finding.check, subject: finding.subject, detail: finding.detail })),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// 3. The monthly recalculation of a sample of commissions under the policy in force at the time.

const commissionRow = z.object({
  id: z.string(),
  event_id: z.string(),
  partner_id: z.string(),
  base: z.string(),
  rate: z.string(),
  amount: z.string(),
  breakdown: z.record(z.unknown()),
  policy_version: z.number(),
  completed_at: z.date(),
  entry_id: z.string().nullable(),
  in_force_version: z.number().nullable(),
  in_force_document: z.unknown().nullable(),
  posted_to_partner: z.string().nullable(),
  partner_event_total: z.string(),
});

/**
 * The sampled commissions: chain commissions (types 1, 2, 3, 5, 6, whose breakdown names the rank and the rate column)
 * created in the month, ascending by id; pool shares and portfolio yields are out of this audit's scope.
 */
async function commissionPopulation(connection: CommonQueryMethods, period: AuditPeriod): Promise<string[]> {
  const rows = await connection.any(sql.type(idRow)`
    SELECT c.id::text AS id FROM commissions c
    WHERE c.event_id IS NOT NULL AND c.breakdown ? 'rank' AND c.breakdown ? 'rateColumn'
      AND c.created_at >= ${period.start.toISOString()}::timestamptz AND c.created_at < ${period.end.toISOString()}::timestamptz
    ORDER BY c.id`);
  return rows.map((row) => row.id);
}

export async function sampleCommissions(connection: CommonQueryMethods, period: AuditPeriod, seed: string): Promise<{ population: number; sample: string[] }> {
  const population = await commissionPopulation(connection, period);
  return { population: population.length, sample: sampleOf(seed, population, commissionSamplePercent, commissionSampleMax) };
}

/** What the policy in force at `completedAt` gives for one chain commission, from its recorded rank, column and the rate paid below. */
export function recalculateCommission(
  commission: { base: string; breakdown: Record<string, unknown> },
  policyDocument: unknown,
): { rate: string; amount: string } {
  const policy = policySchema.parse(policyDocument).commissions;
  const rank = String(commission.breakdown.rank) as keyof typeof policy.rates;
  const column = String(commission.breakdown.rateColumn) as RateColumn;
  const rates = policy.rates[rank];
  if (!rates) throw new DomainError('unprocessable', 'unknown_rank', `rank ${rank} is not in the policy`);
  const own = new Money(rates[column]);
  const paidBelow = new Money(String(commission.breakdown.paidBelow ?? '0'));
  const rate = own.minus(paidBelow);
  const { amount } = roundCommission(new Money(commission.base).times(rate), policy);
  return { rate: rate.toFixed(), amount: amount.toFixed(policy.rounding.amountDecimals, Decimal.ROUND_DOWN) };
}

async function commissionRecalc(connection: CommonQueryMethods, period: AuditPeriod, seed: string): Promise<Computed> {
  const { population, sample } = await sampleCommissions(connection, period, seed);
  const rows = await connection.any(sql.type(commissionRow)`
    SELECT c.id::text AS id, c.event_id::text AS event_id, c.partner_id, c.base::text AS base, c.rate::text AS rate, c.amount::text AS amount,
           c.breakdown, c.policy_version, e.completed_at, e.entry_id::text AS entry_id,
           v.version AS in_force_version, v.document AS in_force_document,
           (SELECT sum(p.amount)::text FROM postings p JOIN accounts a ON a.id = p.account_id
            WHERE p.entry_id = e.entry_id AND a.owner_type = 'partner' AND a.owner_id = c.partner_id) AS posted_to_partner,
           (SELECT sum(o.amount)::text FROM commissions o WHERE o.event_id = c.event_id AND o.partner_id = c.partner_id) AS partner_event_total
    FROM unnest(${sql.array(sample, 'int8')}) AS s (id)
    JOIN commissions c ON c.id = s.id
    JOIN commission_events e ON e.id = c.event_id
    LEFT JOIN LATERAL (SELECT version, document FROM policy_versions WHERE effective_from <= e.completed_at ORDER BY effective_from DESC LIMIT 1) v ON true
    ORDER BY c.id`);
  const findings: AuditFindingDraft[] = [];
  for (const row of rows) {
    const subject = `commission ${row.id}`;
    if (row.in_force_version === null) {
      findings.push({ check: 'no_policy_in_force', subject, detail: { commissionId: row.id, completedAt: row.completed_at.toISOString() } });
      continue;
    }
    if (row.in_force_version !== row.policy_version) {
      findings.push({ check: 'policy_version_mismatch', subject, detail: { commissionId: row.id, recorded: row.policy_version, inForce: row.in_force_version } });
    }
    const expected = recalculateCommission({ base: row.base, breakdown: row.breakdown }, row.in_force_document);
    if (!new Money(expected.amount).eq(row.amount)) {
      findings.push({
        check: 'amount_mismatch', subject,
        detail: { commissionId: row.id, partnerId: row.partner_id, posted: row.amount, recalculated: expected.amount, rate: expected.rate, policyVersion: row.in_force_version },
      });
    }
    if (row.entry_id !== null && (row.posted_to_partner === null || !new Money(row.posted_to_partner).eq(row.partner_event_total))) {
      findings.push({
        check: 'ledger_mismatch', subject,
        detail: { commissionId: row.id, entryId: row.entry_id, postedToPartner: row.posted_to_partner, commissionsOfPartner: row.partner_event_total },
      });
    }
  }
  return { report: { population, percent: commissionSamplePercent, max: commissionSampleMax, sampled: sample.length, sample }, findings };
}

// ---------------------------------------------------------------------------------------------------------------
// 4. The weekly check of every payout above 100,000 RUB.

const largePayoutRow = z.object({
  id: z.string(),
  initiated_by: z.string(),
  required_chain: z.array(z.object({ roles: z.array(z.string()) })),
  amount: z.string(),
  currency: z.string(),
  amount_rub: z.string().nullable(),
  status: z.string(),
});
const approvalRow = z.object({
  payout_id: z.string(),
  approver_id: z.string(),
  role: z.string(),
  decision: z.enum(['APPROVE', 'REJECT']),
  step: z.number().nullable(),
  decided_at: z.date(),
  step_up_totp_step: z.string().nullable(),
});

async function largePayouts(connection: CommonQueryMethods, period: AuditPeriod): Promise<Computed> {
  // Approved (or past it) in the week; without a RUB-equivalent a payout cannot be shown to be small, so it is checked.
  const payouts = await connection.any(sql.type(largePayoutRow)`
    SELECT p.id::text AS id, p.initiated_by::text AS initiated_by, p.required_chain, p.amount::text AS amount, p.currency,
           p.amount_rub::text AS amount_rub, p.status
    FROM payouts p
    WHERE p.created_at >= ${period.start.toISOString()}::timestamptz AND p.created_at < ${period.end.toISOString()}::timestamptz
      AND p.status IN ('APPROVED', 'PROCESSING', 'COMPLETED', 'FAILED')
      AND (p.amount_rub > ${largePayoutRub}::numeric OR (p.amount_rub IS NULL AND (p.currency <> 'RUB' OR p.amount > ${largePayoutRub}::numeric)))
    ORDER BY p.id`);
  const approvals = await connection.any(sql.type(approvalRow)`
    SELECT payout_id::text AS payout_id, approver_id::text AS approver_id, role, decision, step, decided_at, step_up_totp_step::text AS step_up_totp_step
    FROM payout_approvals WHERE payout_id = ANY(${sql.array(payouts.map((payout) => payout.id), 'uuid')})
    ORDER BY payout_id, decided_at`);
  const findings: AuditFindingDraft[] = [];
  for (const payout of payouts) {
    const own = approvals.filter((approval) => approval.payout_id === payout.id).map((approval) => ({
      approverId: approval.approver_id, role: approval.role, decision: approval.decision, step: approval.step, decidedAt: approval.decided_at,
      stepUpTotpStep: approval.step_up_totp_step === null ? null : Number(approval.step_up_totp_step),
    }));
    for (const problem of approvalChainProblems({ initiatedBy: payout.initiated_by, requiredChain: payout.required_chain as ChainStep[] }, own)) {
      findings.push({ check: problem.check, subject: `payout ${payout.id}`, detail: { payoutId: payout.id, amount: payout.amount, currency: payout.currency, amountRub: payout.amount_rub, ...problem.detail } });
    }
  }
  return {
    report: { thresholdRub: largePayoutRub, checked: payouts.length, payouts: payouts.map((payout) => ({ id: payout.id, amount: payout.amount, currency: payout.currency, amountRub: payout.amount_rub, status: payout.status })) },
    findings,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// 5. The quarterly access review.

const adminRow = z.object({
  id: z.string(),
  email: z.string(),
  role: z.string(),
  disabled_at: z.date().nullable(),
  created_at: z.date(),
  second_factor: z.boolean(),
  last_sign_in: z.date().nullable(),
});

async function accessReview(connection: CommonQueryMethods, period: AuditPeriod): Promise<Computed> {
  const admins = await connection.any(sql.type(adminRow)`
    SELECT u.id::text AS id, u.email, u.role, u.disabled_at, u.created_at, u.totp_secret IS NOT NULL AS second_factor,
           (SELECT max(s.created_at) FROM sessions s WHERE s.user_id = u.id AND s.created_at < ${period.end.toISOString()}::timestamptz) AS last_sign_in
    FROM users u
    WHERE u.role <> 'partner' AND u.created_at < ${period.end.toISOString()}::timestamptz
    ORDER BY u.role, u.email`);
  const dormantBefore = new Date(period.end.getTime() - dormantAdminDays * 86_400_000);
  const findings: AuditFindingDraft[] = [];
  for (const admin of admins) {
    const active = admin.disabled_at === null || admin.disabled_at >= period.end;
    if (!active) continue;
    const subject = `user ${admin.id}`;
    if (!admin.second_factor) findings.push({ check: 'no_second_factor', subject, detail: { userId: admin.id, email: admin.email, role: admin.role } });
    const lastActivity = admin.last_sign_in ?? admin.created_at;
    if (lastActivity < dormantBefore) {
      findings.push({
        check: 'dormant_admin', subject,
        detail: { userId: admin.id, email: admin.email, role: admin.role, lastSignIn: admin.last_sign_in?.toISOString() ?? null, days: dormantAdminDays },
      });
    }
  }
  const byRole: Record<string, number> = {};
  for (const admin of admins) byRole[admin.role] = (byRole[admin.role] ?? 0) + 1;
  return {
    report: {
      asOf: period.end.toISOString(),
      byRole,
      admins: admins.map((admin) => ({
        id: admin.id, email: admin.email, role: admin.role, disabledAt: admin.disabled_at?.toISOString() ?? null,
        lastSignIn: admin.last_sign_in?.toISOString() ?? null, secondFactor: admin.second_factor,
      })),
    },
    findings,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// 6. The annual full-audit export.

const textRow = z.record(z.string().nullable());

async function csvOf(connection: CommonQueryMethods, header: readonly string[], query: QuerySqlToken): Promise<{ csv: string; rows: number }> {
  const rows = (await connection.any(query)) as readonly Record<string, string | null>[];
  let csv = csvRecord(header);
  for (const row of rows) csv += csvRecord(header.map((column) => row[column] ?? ''));
  return { csv, rows: rows.length };
}

export const exportFiles = ['ledger.csv', 'postings.csv', 'audit_log.csv', 'approvals.csv'] as const;

async function fullExport(connection: CommonQueryMethods, period: AuditPeriod): Promise<Computed> {
  const start = period.start.toISOString();
  const end = period.end.toISOString();
  const files: { name: string; header: string[]; query: QuerySqlToken }[] = [
    {
      name: 'ledger.csv',
      header: ['account_id', 'owner_type', 'owner_id', 'bucket', 'currency', 'opening', 'movements', 'closing'],
      query: sql.type(textRow)`
        SELECT a.id::text AS account_id, a.owner_type, a.owner_id, a.bucket, a.currency,
               coalesce(sum(p.amount) FILTER (WHERE p.created_at < ${start}::timestamptz), 0)::text AS opening,
               coalesce(sum(p.amount) FILTER (WHERE p.created_at >= ${start}::timestamptz AND p.created_at < ${end}::timestamptz), 0)::text AS movements,
               coalesce(sum(p.amount) FILTER (WHERE p.created_at < ${end}::timestamptz), 0)::text AS closing
        FROM accounts a LEFT JOIN postings p ON p.account_id = a.id
        GROUP BY a.id ORDER BY a.id`,
    },
    {
      name: 'postings.csv',
      header: ['entry_id', 'line', 'created_at', 'kind', 'idempotency_key', 'account_id', 'owner_type', 'owner_id', 'bucket', 'currency', 'amount'],
      query: sql.type(textRow)`
        SELECT p.entry_id::text AS entry_id, p.line::text AS line, to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at,
               e.kind, e.idempotency_key, a.id::text AS account_id, a.owner_type, a.owner_id, a.bucket, p.currency, p.amount::text AS amount
        FROM postings p JOIN journal_entries e ON e.id = p.entry_id JOIN accounts a ON a.id = p.account_id
        WHERE p.created_at >= ${start}::timestamptz AND p.created_at < ${end}::timestamptz
        ORDER BY p.entry_id, p.line`,
    },
    {
      name: 'audit_log.csv',
      header: ['id', 'created_at', 'action', 'actor', 'target_type', 'target_id', 'amount', 'currency', 'balance_before', 'balance_after', 'reason', 'ip', 'entry_id', 'details', 'checksum'],
      query: sql.type(textRow)`
        SELECT r.id::text AS id, to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at, r.action, r.actor, r.target_type, r.target_id,
               r.amount::text AS amount, r.currency, r.balance_before::text AS balance_before, r.balance_after::text AS balance_after, r.reason,
               host(r.ip) AS ip, r.entry_id::text AS entry_id, r.details::text AS details, encode(r.checksum, 'hex') AS checksum
        FROM audit_records r
        WHERE r.created_at >= ${start}::timestamptz AND r.created_at < ${end}::timestamptz
        ORDER BY r.id`,
    },
    {
      name: 'approvals.csv',
      header: ['payout_id', 'approver_id', 'role', 'decision', 'step', 'amount_seen', 'details_hash_seen', 'decided_at', 'step_up_totp_step'],
      query: sql.type(textRow)`
        SELECT payout_id::text AS payout_id, approver_id::text AS approver_id, role, decision, step::text AS step, amount_seen::text AS amount_seen,
               details_hash_seen, to_char(decided_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS decided_at, step_up_totp_step::text AS step_up_totp_step
        FROM payout_approvals
        WHERE decided_at >= ${start}::timestamptz AND decided_at < ${end}::timestamptz
        ORDER BY decided_at, payout_id, approver_id`,
    },
  ];
  const built: { name: string; content: Uint8Array; rows: number; sha256: string }[] = [];
  for (const file of files) {
    const { csv, rows } = await csvOf(connection, file.header, file.query);
    const content = new TextEncoder().encode(csv);
    built.push({ name: file.name, content, rows, sha256: createHash('sha256').update(content).digest('hex') });
  }
  let manifest = csvRecord(['file', 'rows', 'bytes', 'sha256']);
  for (const file of built) manifest += csvRecord([file.name, String(file.rows), String(file.content.length), file.sha256]);
  const archive = tarArchive(
    [...built.map(({ name, content }) => ({ name: `audit-${period.period}/${name}`, content })), { name: `audit-${period.period}/manifest.csv`, content: new TextEncoder().encode(manifest) }],
    Math.floor(period.end.getTime() / 1000),
  );
  return {
    report: { files: built.map(({ name, rows, content, sha256 }) => ({ name, rows, bytes: content.length, sha256 })) },
    findings: [],
    archive: { fileName: `audit-full-export-${period.period}.tar`, content: archive },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Runs.

const runRow = z.object({
  id: z.string(),
  kind: z.string(),
  period: z.string(),
  period_start: z.date(),
  period_end: z.date(),
  seed: z.string().nullable(),
  status: z.enum(['AWAITING_SIGN_OFF', 'SIGNED']),
  requested_by: z.string().nullable(),
  started_at: z.date(),
  finished_at: z.date(),
  report: z.record(z.unknown()),
  sha256: z.string(),
  signed_by: z.string().nullable(),
  signed_role: z.string().nullable(),
  signed_at: z.date().nullable(),
  findings_total: z.number(),
  findings_open: z.number(),
  has_export: z.boolean(),
});
type RunRow = z.infer<typeof runRow>;

const findingRow = z.object({
  id: z.string(),
  subject: z.string(),
  check_name: z.string(),
  detail: z.record(z.unknown()),
  status: z.enum(['OPEN', 'RESOLVED', 'ACCEPTED']),
  note: z.string().nullable(),
  resolved_by: z.string().nullable(),
  resolved_at: z.date().nullable(),
});

export interface AuditFinding {
  id: string;
  check: string;
  subject: string;
  detail: Record<string, unknown>;
  status: FindingStatus;
  note: string | null;
  resolvedBy: string | null;
  resolvedAt: string | null;
}

export interface AuditRunSummary {
  id: string;
  kind: AuditKind;
  period: string;
  periodStart: string;
  periodEnd: string;
  seed: string | null;
  status: 'AWAITING_SIGN_OFF' | 'SIGNED';
  requestedBy: string | null;
  startedAt: string;
  finishedAt: string;
  sha256: string;
  findings: { total: number; open: number };
  signedBy: string | null;
  signedRole: string | null;
  signedAt: string | null;
  hasExport: boolean;
}

export interface AuditRun extends AuditRunSummary {
  report: Record<string, unknown>;
  findingList: AuditFinding[];
}

const selectRuns = sql.fragment`
  SELECT r.id::text AS id, r.kind, r.period, r.period_start, r.period_end, r.seed, r.status, r.requested_by, r.started_at, r.finished_at,
         r.report, r.sha256, r.signed_by, r.signed_role, r.signed_at,
         (SELECT count(*)::int FROM audit_findings f WHERE f.run_id = r.id) AS findings_total,
         (SELECT count(*)::int FROM audit_findings f WHERE f.run_id = r.id AND f.status = 'OPEN') AS findings_open,
         EXISTS (SELECT 1 FROM audit_exports x WHERE x.run_id = r.id) AS has_export
  FROM audit_runs r`;

const toSummary = (row: RunRow): AuditRunSummary => ({
  id: row.id, kind: row.kind as AuditKind, period: row.period, periodStart: row.period_start.toISOString(), periodEnd: row.period_end.toISOString(),
  seed: row.seed, status: row.status, requestedBy: row.requested_by, startedAt: row.started_at.toISOString(), finishedAt: row.finished_at.toISOString(),
  sha256: row.sha256, findings: { total: row.findings_total, open: row.findings_open }, signedBy: row.signed_by, signedRole: row.signed_role,
  signedAt: row.signed_at?.toISOString() ?? null, hasExport: row.has_export,
});

const toFinding = (row: z.infer<typeof findingRow>): AuditFinding => ({
  id: row.id, check: row.check_name, subject: row.subject, detail: row.detail, status: row.status, note: row.note, resolvedBy: row.resolved_by,
  resolvedAt: row.resolved_at?.toISOString() ?? null,
});

async function loadRun(connection: CommonQueryMethods, where: ReturnType<typeof sql.fragment>): Promise<AuditRun | null> {
  const row = await connection.maybeOne(sql.type(runRow)`${selectRuns} WHERE ${where}`);
  if (!row) return null;
  const findings = await connection.any(sql.type(findingRow)`
    SELECT id::text AS id, subject, check_name, detail, status, note, resolved_by, resolved_at FROM audit_findings WHERE run_id = ${row.id} ORDER BY audit_findings.id`);
  return { ...toSummary(row), report: row.report, findingList: findings.map(toFinding) };
}

export const getAuditRun = (connection: CommonQueryMethods, id: string) =>
  /^\d{1,18}$/.test(id) ? loadRun(connection, sql.fragment`r.id = ${id}`) : Promise.resolve(null);

export const getAuditRunFor = (connection: CommonQueryMethods, kind: AuditKind, period: string) =>
  loadRun(connection, sql.fragment`r.kind = ${kind} AND r.period = ${period}`);

/** Runs, newest first, a page at a time (`before`: the last id of the previous page), optionally of one kind or status. */
export async function listAuditRuns(
  connection: CommonQueryMethods,
  page: { limit: number; before?: string; kind?: AuditKind; period?: string; status?: 'AWAITING_SIGN_OFF' | 'SIGNED' },
): Promise<AuditRunSummary[]> {
  const conditions = [sql.fragment`true`];
  if (page.before !== undefined) conditions.push(sql.fragment`r.id < ${page.before}`);
  if (page.kind !== undefined) conditions.push(sql.fragment`r.kind = ${page.kind}`);
  if (page.period !== undefined) conditions.push(sql.fragment`r.period = ${page.period}`);
  if (page.status !== undefined) conditions.push(sql.fragment`r.status = ${page.status}`);
  const rows = await connection.any(sql.type(runRow)`${selectRuns} WHERE ${sql.join(conditions, sql.fragment` AND `)} ORDER BY r.id DESC LIMIT ${page.limit}`);
  return rows.map(toSummary);
}

/** The kinds that draw a sample, and so record a seed. */
export const seededKinds: readonly AuditKind[] = ['transaction-sample', 'commission-recalc'];

/** A new 256-bit seed, as 64 hex digits. */
export const newSeed = () => randomBytes(32).toString('hex');

async function compute(connection: CommonQueryMethods, kind: AuditKind, period: AuditPeriod, seed: string | null): Promise<Computed> {
  switch (kind) {
    case 'transaction-sample':
      return transactionSample(connection, period, seed!);
    case 'balances':
      return balances(connection);
    case 'commission-recalc':
      return commissionRecalc(connection, period, seed!);
    case 'large-payouts':
      return largePayouts(connection, period);
    case 'access-review':
      return accessReview(connection, period);
    case 'full-export':
      return fullExport(connection, period);
  }
}

/** The run's SHA-256: over its canonical evidence and findings as computed (for the export, its archive's). */
function runDigest(kind: AuditKind, period: string, seed: string | null, computed: Computed): string {
  if (computed.archive) return createHash('sha256').update(computed.archive.content).digest('hex');
  return createHash('sha256').update(JSON.stringify({ kind, period, seed, report: computed.report, findings: computed.findings })).digest('hex');
}

/** Where finance is told of findings: the roles that resolve and sign. */
const auditRoles = ['finance_manager', 'finance_director'] as const;

/**
 * Computes and stores the run of a kind for a period, once: if it is stored (a rerun, a second start, a retry after a
 * crash) the stored run is returned unchanged. The caller has checked the period (auditablePeriod). `seed` is used
 * when the kind samples (one is drawn when none is given).
 */
export async function runAudit(
  database: Database,
  input: { kind: AuditKind; period: AuditPeriod; requestedBy: string | null; seed?: string | null; startedAt?: Date },
): Promise<{ run: AuditRun; created: boolean }> {
  const existing = await getAuditRunFor(database, input.kind, input.period.period);
  if (existing) return { run: existing, created: false };
  const startedAt = input.startedAt ?? new Date();
  const seed = seededKinds.includes(input.kind) ? input.seed ?? newSeed() : null;
  let created = false;
  try {
    created = await database.transaction(async (transaction) => {
      await transaction.query(sql.unsafe`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`);
      const computed = await compute(transaction, input.kind, input.period, seed);
      const sha256 = runDigest(input.kind, input.period.period, seed, computed);
      const inserted = await transaction.maybeOne(sql.type(idRow)`
        INSERT INTO audit_runs (kind, period, period_start, period_end, seed, status, requested_by, started_at, report, sha256)
        VALUES (${input.kind}, ${input.period.period}, ${input.period.start.toISOString()}, ${input.period.end.toISOString()}, ${seed}, 'AWAITING_SIGN_OFF',
                ${input.requestedBy}, ${startedAt.toISOString()}, ${sql.jsonb(computed.report as never)}, ${sha256})
        ON CONFLICT (kind, period) DO NOTHING
        RETURNING id::text AS id`);
      if (!inserted) return false;
      for (const finding of computed.findings) {
        await transaction.query(sql.unsafe`
          INSERT INTO audit_findings (run_id, subject, check_name, detail, status)
          VALUES (${inserted.id}, ${finding.subject}, ${finding.check}, ${sql.jsonb(finding.detail as never)}, 'OPEN')
          ON CONFLICT (run_id, check_name, subject) DO NOTHING`);
      }
      if (computed.archive) {
        await transaction.query(sql.unsafe`
          INSERT INTO audit_exports (run_id, file_name, content, sha256)
          VALUES (${inserted.id}, ${computed.archive.fileName}, ${sql.binary(Buffer.from(computed.archive.content))}, ${sha256})`);
      }
      await appendAuditRecord(transaction, {
        action: 'AUDIT_RUN', actor: input.requestedBy ?? 'system:audit-schedule', targetType: 'audit_run', targetId: inserted.id,
        reason: `${input.kind} ${input.period.period}: ${computed.findings.length} finding(s)`,
        details: { kind: input.kind, period: input.period.period, seed, findings: computed.findings.length, sha256 },
      });
      if (computed.findings.length > 0) {
        await enqueueNotification(transaction, {
          dedupeKey: `audit-findings:${input.kind}:${input.period.period}`,
          kind: 'AUDIT_FINDINGS',
          recipient: { kind: 'admin_role', roles: auditRoles },
          subject: `Audit ${input.kind} ${input.period.period}: ${computed.findings.length} finding(s)`,
          text: `The ${input.kind} audit of ${input.period.period} found ${computed.findings.length} problem(s). Resolve or accept each with a note before the run is signed off.`,
        });
      }
      return true;
    });
  } catch (error) {
    const stored = await getAuditRunFor(database, input.kind, input.period.period);
    if (stored) return { run: stored, created: false };
    throw error;
  }
  const run = await getAuditRunFor(database, input.kind, input.period.period);
  if (!run) throw new Error(`the ${input.kind} audit of ${input.period.period} was stored but cannot be read`);
  return { run, created };
}

async function lockRun(connection: CommonQueryMethods, id: string): Promise<RunRow> {
  const row = /^\d{1,18}$/.test(id) ? await connection.maybeOne(sql.type(runRow)`${selectRuns} WHERE r.id = ${id} FOR UPDATE OF r`) : null;
  if (!row) throw new DomainError('not_found', 'audit_run_not_found', `no audit run ${id}`, 'params.id');
  return row;
}

/** Resolves (with the correction made) or accepts (with the reason it stands) one open finding of an unsigned run. */
export async function decideFinding(
  database: Database,
  input: { runId: string; findingId: string; status: 'RESOLVED' | 'ACCEPTED'; note: string; actor: string; ip?: string | null },
): Promise<AuditFinding> {
  return database.transaction(async (transaction) => {
    const run = await lockRun(transaction, input.runId);
    if (run.status === 'SIGNED') throw new DomainError('conflict', 'already_signed', `audit run ${input.runId} is signed off: its findings do not change`, 'params.id');
    const finding = /^\d{1,18}$/.test(input.findingId)
      ? await transaction.maybeOne(sql.type(findingRow)`
          SELECT id::text AS id, subject, check_name, detail, status, note, resolved_by, resolved_at FROM audit_findings
          WHERE id = ${input.findingId} AND run_id = ${input.runId} FOR UPDATE`)
      : null;
    if (!finding) throw new DomainError('not_found', 'finding_not_found', `audit run ${input.runId} has no finding ${input.findingId}`, 'params.findingId');
    if (finding.status !== 'OPEN') throw new DomainError('conflict', 'finding_closed', `finding ${input.findingId} is already ${finding.status.toLowerCase()}`, 'params.findingId');
    const updated = await transaction.one(sql.type(findingRow)`
      UPDATE audit_findings SET status = ${input.status}, note = ${input.note}, resolved_by = ${input.actor}, resolved_at = now()
      WHERE id = ${input.findingId}
      RETURNING id::text AS id, subject, check_name, detail, status, note, resolved_by, resolved_at`);
    await appendAuditRecord(transaction, {
      action: 'AUDIT_FINDING_DECIDE', actor: input.actor, targetType: 'audit_run', targetId: input.runId, ip: input.ip ?? null, reason: input.note,
      details: { findingId: input.findingId, status: input.status, check: finding.check_name, subject: finding.subject },
    });
    return toFinding(updated);
  });
}

/** Signs a run off (the caller has verified the signer's fresh TOTP code): see auditSignOffRefusal. */
export async function signOffAuditRun(database: Database, input: { runId: string; signer: FourEyesActor; ip?: string | null }): Promise<AuditRun> {
  return database.transaction(async (transaction) => {
    const run = await lockRun(transaction, input.runId);
    const refusal = auditSignOffRefusal({ status: run.status, requestedBy: run.requested_by, openFindings: run.findings_open }, input.signer);
    if (refusal) throw refusal;
    await transaction.query(sql.unsafe`
      UPDATE audit_runs SET status = 'SIGNED', signed_by = ${input.signer.userId}, signed_role = ${input.signer.role}, signed_at = now()
      WHERE id = ${input.runId}`);
    await appendAuditRecord(transaction, {
      action: 'AUDIT_SIGN_OFF', actor: input.signer.userId, targetType: 'audit_run', targetId: input.runId, ip: input.ip ?? null,
      reason: `${run.kind} ${run.period} signed off`, details: { role: input.signer.role, sha256: run.sha256, findings: run.findings_total },
    });
    return (await loadRun(transaction, sql.fragment`r.id = ${input.runId}`))!;
  });
}

const exportRow = z.object({ file_name: z.string(), content: z.instanceof(Buffer), sha256: z.string() });

/** The annual export's archive, byte for byte, with its SHA-256. */
export async function auditExport(connection: CommonQueryMethods, runId: string): Promise<{ fileName: string; bytes: Buffer; sha256: string } | null> {
  if (!/^\d{1,18}$/.test(runId)) return null;
  const row = await connection.maybeOne(sql.type(exportRow)`SELECT file_name, content, sha256 FROM audit_exports WHERE run_id = ${runId}`);
  return row ? { fileName: row.file_name, bytes: row.content, sha256: row.sha256 } : null;
}

/** The cadence of a kind, re-exported for the callers that only import this module. */
export { auditCadences };
