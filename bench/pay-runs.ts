/**
 * Pay runs (issue #17) on the stack `npm start` runs, side by side with their no-op ceiling, in one run:
 *
 *   (1) a pay run of BENCH_PAY_RUN (10,000) automatic payouts (PAYQUICKER through the sandbox provider). Seeded, not
 *       measured: one partner per payout, each payout requested over HTTP and left AWAITING_APPROVAL by its checklist.
 *       Measured: an admin creates the run (POST /v1/pay-runs), the run-level approvers the policy names approve it
 *       when its total asks for them, one approver approves every item with one TOTP code (GET …/decision,
 *       POST …/approve), the run delivers the decision to every `payout-<id>`, and each payout goes to the provider
 *       and is COMPLETED by its webhook: payouts/s from the creation to the last COMPLETED;
 *   (2) the decision's fan-out: from the approve call until every payout has recorded the approval
 *       (max `payout_approvals.decided_at` of the approver);
 *   (3) history events of an automatic single-approver payout, counted in a sample of the run's real histories;
 *   (4) a bulk mark-paid: BENCH_MARK_PAID (BENCH_PAY_RUN) manual BANK_TRANSFER payouts (seeded: requested, approved,
 *       exported as one payment file that locks them in PROCESSING), closed from one bank result file
 *       (POST /v1/payout-exports/{id}/results, one TOTP code) until every payout is COMPLETED;
 *   (5) the ceiling: as many no-op workflows of the payout's shape (bench/ceiling/), and one decision delivered to
 *       them by a no-op run through the real delivery module, same chunk size and concurrency, until all complete.
 * (1)–(3) run once per fan-out design (docs/decisions.md, pay-run fan-out), each on its own BENCH_PAY_RUN payouts, in
 * the same run: `signal` (design 2, the default: each chunk's approvals in one set-based transaction, then one
 * `payRunApproved` signal per payout) and `update` (design 1: one `approve` update per payout). The design is the
 * policy's `payRuns.fanOut`, set by a new policy version before each phase.
 * With the CPU each process used in each measured phase (read from /proc), per payout.
 *
 *   npm run bench:pay-runs
 *   BENCH_PAY_RUN=300 npm run bench:pay-runs
 *
 * Settings: BENCH_PAY_RUN (10000), BENCH_MARK_PAID (= BENCH_PAY_RUN; 0 skips the bulk mark-paid),
 * BENCH_SEED_CONCURRENCY (50 requests in flight while seeding), BENCH_HISTORY_SAMPLE (20), BENCH_SANDBOX_DELAY_MS (200),
 * BENCH_DURABLE (1), BENCH_TEMPORAL_MEMORY (0), BENCH_PAY_RUN_CHUNK / BENCH_PAY_RUN_CONCURRENCY (a policy version with
 * these delivery settings for the run and the ceiling; default the policy's), BENCH_CEILING_SHAPE (lean | classic),
 * BENCH_ONLY (pay-run,pay-run-update,mark-paid,ceiling; `pay-run` is design 2, `pay-run-update` design 1),
 * BENCH_RESULTS (bench/results/pay-runs.md).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type pg from 'pg';
import { generateTotpSecret, totpCode, totpStep } from '../modules/identity/totp.ts';
import { deliverPayoutUpdates } from '../modules/payouts/payout-delivery.ts';
import { Money } from '../domain/money.ts';
import { policySchema } from '../domain/policy.ts';
import { payoutWorkflowId } from '../workflows/payout-messages.ts';
import { amountKey, currencyKey, methodKey, partnerIdKey, payoutStatusKey, priorityKey } from '../workflows/search-attributes.ts';
import { ceilingPayoutId } from './ceiling/activities.ts';
import { ceilingStageQuery, type ceilingRunWorkflow, type ceilingWorkflow } from './ceiling/workflows.ts';
import {
  benchPartnerId,
  cpuDelta,
  cpuSnapshot,
  cpuTable,
  nonNegativeNumber,
  percentile,
  pool,
  positiveNumber,
  printChildOutputs,
  seedAdmin,
  seedPayoutPartners,
  sleep,
  startPayoutStack,
  stopChild,
  type BenchAdmin,
  type PayoutStack,
} from './support.ts';

const benchDirectory = path.dirname(fileURLToPath(import.meta.url));
const runSize = Math.floor(positiveNumber('BENCH_PAY_RUN', 10_000));
const markPaidSize = Math.floor(nonNegativeNumber('BENCH_MARK_PAID', runSize));
const seedConcurrency = Math.floor(positiveNumber('BENCH_SEED_CONCURRENCY', 50));
const historySample = Math.floor(positiveNumber('BENCH_HISTORY_SAMPLE', 20));
const sandboxDelayMs = Math.floor(nonNegativeNumber('BENCH_SANDBOX_DELAY_MS', 200));
const durable = process.env.BENCH_DURABLE !== '0';
const temporalInMemory = process.env.BENCH_TEMPORAL_MEMORY === '1';
/** BENCH_ONLY: a comma list of `pay-run`, `mark-paid`, `ceiling` (default all): the other phases are skipped. */
const phases = new Set((process.env.BENCH_ONLY ?? 'pay-run,pay-run-update,mark-paid,ceiling').split(',').map((phase) => phase.trim()));
/** BENCH_CEILING_SHAPE: `lean` (default: the lean payout lifecycle's commands) or `classic` (bench/payouts.ts's five activities). */
const ceilingShape = process.env.BENCH_CEILING_SHAPE === 'classic' ? 'classic' : 'lean';
const resultsFile = path.resolve(process.env.BENCH_RESULTS ?? path.join(benchDirectory, 'results', 'pay-runs.md'));
const taskQueue = 'ledgerflow-pay-run-bench';
const ceilingQueue = 'ledgerflow-pay-run-bench-ceiling';
const amount = '100.00';
/** The progress lines printed (stderr) so far; the results file keeps them after the report, as the run's whole output. */
const progressLines: string[] = [];
const log = (line: string) => {
  progressLines.push(`${new Date().toISOString().slice(11, 19)} ${line}`);
  console.error(`pay-run bench: ${line}`);
};
const count = (value: number) => value.toLocaleString('en-US');

interface Admins {
  creator: BenchAdmin;
  approver: BenchAdmin;
  /** Run-level approvers by role (the policy's `payRuns` limits name the roles). */
  runApprovers: Record<string, BenchAdmin>;
  processor: BenchAdmin;
}

interface ApiAnswer<T> {
  status: number;
  body: T;
}

/** One request to the API as a signed-in user; `totp` adds a fresh code of the user's secret. */
async function call<T>(apiUrl: string, user: { token: string; secret?: string }, method: string, route: string, options: { body?: unknown; totp?: boolean; idempotencyKey?: string } = {}): Promise<ApiAnswer<T>> {
  const headers: Record<string, string> = { authorization: `Bearer ${user.token}` };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.totp) headers['x-totp-code'] = totpCode(user.secret!, totpStep(new Date()));
  if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
  const response = await fetch(`${apiUrl}${route}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
}

function expectStatus<T>(answer: ApiAnswer<T>, status: number, what: string): T {
  if (answer.status !== status) throw new Error(`${what} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** Polls `probe` every `everyMs` until it answers a value; progress lines every 10 s; fails after `timeoutSeconds`. */
async function waitFor<T>(what: string, timeoutSeconds: number, probe: () => Promise<T | undefined>, progress?: () => Promise<string>, everyMs = 250): Promise<T> {
  const started = Date.now();
  let lastReport = started;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutSeconds * 1000) throw new Error(`${what}: not reached within ${timeoutSeconds} s${progress ? ` (${await progress()})` : ''}`);
    if (progress && Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      log(`${what}: ${await progress()} after ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
    await sleep(everyMs);
  }
}

/** Payouts of one method by status. */
async function statusCounts(owner: pg.Client, methodId: string, ids?: readonly string[]): Promise<Record<string, number>> {
  const { rows } = ids
    ? await owner.query<{ status: string; n: string }>(`SELECT status, count(*) AS n FROM payouts WHERE method_id = $1 AND id = ANY($2::uuid[]) GROUP BY status`, [methodId, ids])
    : await owner.query<{ status: string; n: string }>(`SELECT status, count(*) AS n FROM payouts WHERE method_id = $1 GROUP BY status`, [methodId]);
  return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
}

const describeCounts = (counts: Record<string, number>) => Object.entries(counts).map(([status, n]) => `${status} ${n}`).join(', ') || 'none';

interface SeededPayout {
  id: string;
  amount: string;
  detailsHash: string;
}

/**
 * `size` payouts of `methodId` requested over HTTP by partners 0..size-1 (to their saved details), then waited for until every one is AWAITING_APPROVAL. */
async function requestPayouts(stack: PayoutStack, tokens: string[], size: number, methodId: string, tag = 'a'): Promise<SeededPayout[]> {
  const payouts: SeededPayout[] = new Array(size);
  const started = performance.now();
  await pool(size, seedConcurrency, async (index) => {
    const partnerId = benchPartnerId(index);
    const answer = await call<SeededPayout & { status: string }>(stack.apiUrl, { token: tokens[index]! }, 'POST', '/v1/payouts', {
      body: { partnerId, amount, currency: 'USD', methodId },
      idempotencyKey: `bench-${methodId}-${tag}-${index}`,
    });
    const body = expectStatus(answer, 201, `POST /v1/payouts (${methodId}, ${partnerId})`);
    payouts[index] = { id: body.id, amount: body.amount, detailsHash: body.detailsHash };
  });
  const ids = () => payouts.map((payout) => payout.id);
  await waitFor(`${count(size)} ${methodId} payouts awaiting approval`, 600 + size / 5, async () => {
    const counts = await statusCounts(stack.owner, methodId, ids());
    if ((counts.AWAITING_APPROVAL ?? 0) === size) return true;
    const settled = Object.entries(counts).filter(([status]) => status !== 'REQUESTED').reduce((sum, [, n]) => sum + n, 0);
    if (settled === size) throw new Error(`the checklists left ${methodId} payouts ${describeCounts(counts)}, expected all AWAITING_APPROVAL`);
    return undefined;
  }, async () => describeCounts(await statusCounts(stack.owner, methodId, ids())), 1_000);
  log(`${count(size)} ${methodId} payouts awaiting approval after ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return payouts;
}

interface PayRunView {
  id: string;
  status: string;
  runApproval: { required: boolean; roles: string[]; approvedBy: string | null };
  progress: { byPayoutStatus: Record<string, number>; delivered: number; refused: number; pending: number };
  decisions: { id: string; approved: number; refused: number }[];
}

interface PayRunPhase {
  design: FanOutDesign;
  runId: string;
  /** Design 2: from the approve call until the run's last `approveAndWakeDecision` activity completed (every payout signalled). */
  signalledSeconds: number | null;
  /** CPU per process from the create call until the last payout COMPLETED. */
  cpu: Map<string, number>;
  seconds: number;
  createSeconds: number;
  readySeconds: number;
  runApprovals: string[];
  fanOutSeconds: number;
  refusedUpfront: number;
  refused: number;
  /** From the approve call until the run itself said it was done (its status lags its payouts by its tracking timer). */
  runDoneSeconds: number | null;
  runStatus: string;
}

/** (1)+(2): create the run, the run-level approvals it asks for, one approver's decision, until every payout is COMPLETED. */
async function measurePayRun(stack: PayoutStack, admins: Admins, payouts: SeededPayout[], design: FanOutDesign, cpu: () => Promise<Map<string, number>>): Promise<PayRunPhase> {
  const { apiUrl, owner } = stack;
  const ids = payouts.map((payout) => payout.id);
  const cpuBefore = await cpu();
  const started = performance.now();
  const created = expectStatus(
    await call<PayRunView>(apiUrl, admins.creator, 'POST', '/v1/pay-runs', {
      body: { selection: { payoutIds: ids }, note: `bench: ${count(payouts.length)} automatic payouts, fan-out by ${design}` },
      idempotencyKey: `bench-pay-run-${randomBytes(4).toString('hex')}`,
    }),
    201,
    'POST /v1/pay-runs',
  );
  const createSeconds = (performance.now() - started) / 1000;
  log(`pay run ${created.id} created in ${createSeconds.toFixed(1)} s (${created.status})`);
  let run = await waitFor('the pay run ready for approval', 600, async () => {
    const view = expectStatus(await call<PayRunView>(apiUrl, admins.creator, 'GET', `/v1/pay-runs/${created.id}`), 200, 'GET /v1/pay-runs/{id}');
    return view.status === 'PREPARING' ? undefined : view;
  });
  const readySeconds = (performance.now() - started) / 1000;

  // The run-level approval the policy asks for above its limits: one approver of each role it names, each with a fresh code.
  const runApprovals: string[] = [];
  for (const role of run.runApproval.required ? run.runApproval.roles : []) {
    if (run.runApproval.approvedBy !== null) break;
    const approver = admins.runApprovers[role];
    if (!approver) throw new Error(`the run asks for a run-level approval by ${role}: the bench has no such admin`);
    expectStatus(await call(apiUrl, approver, 'POST', `/v1/pay-runs/${run.id}/run-approval`, { totp: true, body: {} }), 200, `POST /v1/pay-runs/{id}/run-approval (${role})`);
    runApprovals.push(role);
    run = expectStatus(await call<PayRunView>(apiUrl, admins.creator, 'GET', `/v1/pay-runs/${run.id}`), 200, 'GET /v1/pay-runs/{id}');
  }

  const decision = expectStatus(
    await call<{ items: number; itemsHash: string; refusedUpfront: { payoutId: string; code: string }[] }>(apiUrl, admins.approver, 'GET', `/v1/pay-runs/${run.id}/decision`),
    200,
    'GET /v1/pay-runs/{id}/decision',
  );
  if (decision.items !== payouts.length) throw new Error(`the approver may approve ${decision.items} items, expected ${payouts.length} (refused upfront: ${JSON.stringify(decision.refusedUpfront.slice(0, 5))})`);
  const approveAt = new Date();
  const approveStarted = performance.now();
  const approved = await call<{ decisionId: string; approving: number; refused: unknown[] }>(apiUrl, admins.approver, 'POST', `/v1/pay-runs/${run.id}/approve`, {
    totp: true,
    body: { itemsHash: decision.itemsHash },
  });
  expectStatus(approved, 202, 'POST /v1/pay-runs/{id}/approve');
  log(`decision ${approved.body.decisionId}: approving ${approved.body.approving}, refused ${approved.body.refused.length}`);
  // Every item is approvable here: a refusal is a fault of the system (or of this benchmark), reported rather than waited out.
  if (approved.body.approving !== payouts.length) throw new Error(`the decision approves ${approved.body.approving} of ${payouts.length} items; refused: ${JSON.stringify(approved.body.refused.slice(0, 5))}`);

  // Until every payout is COMPLETED (or, if some end otherwise, every one is at an end).
  let runDoneSeconds: number | null = null;
  let runStatus = run.status;
  const approvalsRecorded = async () => Number((await owner.query<{ n: string }>(`SELECT count(*) AS n FROM payout_approvals WHERE approver_id = $1 AND payout_id = ANY($2::uuid[])`, [admins.approver.id, ids])).rows[0]!.n);
  let probes = 0;
  await waitFor(`${count(payouts.length)} payouts of the run COMPLETED`, 1_800 + payouts.length / 2, async () => {
    if (++probes % 20 === 0) {
      const view = expectStatus(await call<PayRunView>(apiUrl, admins.creator, 'GET', `/v1/pay-runs/${run.id}`), 200, 'GET /v1/pay-runs/{id}');
      if (view.progress.refused > 0) {
        const refused = await call<{ items: { payoutId: string; reason: string | null }[] }>(apiUrl, admins.creator, 'GET', `/v1/pay-runs/${run.id}/items?state=REFUSED`);
        throw new Error(`${view.progress.refused} items refused the delivered approval, e.g. ${JSON.stringify(refused.body.items?.slice(0, 3))}`);
      }
    }
    const counts = await statusCounts(owner, 'PAYQUICKER', ids);
    const ended = (counts.COMPLETED ?? 0) + (counts.FAILED ?? 0) + (counts.REJECTED ?? 0) + (counts.CANCELLED ?? 0);
    if ((counts.COMPLETED ?? 0) === payouts.length) return true;
    if (ended === payouts.length) throw new Error(`the run's payouts ended ${describeCounts(counts)}`);
    return undefined;
  }, async () => `${await approvalsRecorded()} approvals recorded; ${describeCounts(await statusCounts(owner, 'PAYQUICKER', ids))}`, 500);
  const seconds = (performance.now() - started) / 1000;
  const cpuUsed = cpuDelta(cpuBefore, await cpu());
  const approvals = await owner.query<{ n: string; last: Date | null }>(`SELECT count(*) AS n, max(decided_at) AS last FROM payout_approvals WHERE approver_id = $1 AND payout_id = ANY($2::uuid[])`, [admins.approver.id, ids]);
  if (Number(approvals.rows[0]!.n) !== payouts.length) throw new Error(`${approvals.rows[0]!.n} approvals recorded, expected ${payouts.length}`);
  const fanOutSeconds = (approvals.rows[0]!.last!.getTime() - approveAt.getTime()) / 1000;

  // The run's own status follows its payouts on its tracking timer; how long after the last payout it said so.
  try {
    const done = await waitFor('the pay run at its end', 300, async () => {
      const view = expectStatus(await call<PayRunView>(apiUrl, admins.creator, 'GET', `/v1/pay-runs/${run.id}`), 200, 'GET /v1/pay-runs/{id}');
      return ['COMPLETED', 'COMPLETED_WITH_FAILURES', 'REJECTED'].includes(view.status) ? view : undefined;
    }, undefined, 500);
    runDoneSeconds = (performance.now() - approveStarted) / 1000;
    runStatus = done.status;
  } catch (error) {
    log(`the run did not reach its end: ${(error as Error).message}`);
  }
  const lastSignal = design === 'signal' ? await lastSignalActivity(stack.client, `pay-run-${run.id}`) : null;
  return {
    design,
    runId: run.id,
    signalledSeconds: lastSignal === null ? null : (lastSignal.getTime() - approveAt.getTime()) / 1000,
    cpu: cpuUsed,
    seconds,
    createSeconds,
    readySeconds,
    runApprovals,
    fanOutSeconds,
    refusedUpfront: decision.refusedUpfront.length,
    refused: approved.body.refused.length,
    runDoneSeconds,
    runStatus,
  };
}

/** History events of the sampled workflows (every run of each, across continue-as-new). */
async function historyEvents(client: Client, workflowIds: string[]): Promise<number[]> {
  const counts: number[] = [];
  for (const workflowId of workflowIds) {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    counts.push(history.events?.length ?? 0);
  }
  return counts;
}

type FanOutDesign = 'signal' | 'update';

/**
 * When the last `approveAndWakeDecision` activity of a pay run completed (it returns once its last signal is accepted) (every execution of the workflow, across
 * continue-as-new): design 2's "the decision reached every payout workflow" (a signal is in the payout's history once
 * the server accepted it).
 */
async function lastSignalActivity(client: Client, workflowId: string, activity = 'approveAndWakeDecision'): Promise<Date | null> {
  let last: Date | null = null;
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    const history = await client.workflow.getHandle(workflowId, execution.runId).fetchHistory();
    const signalling = new Set<string>();
    for (const event of history.events ?? []) {
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (scheduled?.activityType?.name === activity) signalling.add(String(event.eventId));
      const completed = event.activityTaskCompletedEventAttributes;
      if (completed && signalling.has(String(completed.scheduledEventId)) && event.eventTime?.seconds != null) {
        const at = new Date(Number(event.eventTime.seconds) * 1000 + Math.floor((event.eventTime.nanos ?? 0) / 1e6));
        if (last === null || at > last) last = at;
      }
    }
  }
  return last;
}

/** A new policy version whose pay runs deliver by `design` (payRuns.fanOut), in force at once (the API reads it within 5 s). */
async function setFanOut(owner: pg.Client, design: FanOutDesign): Promise<void> {
  const { rows } = await owner.query<{ version: number; document: Record<string, unknown> }>(`SELECT version, document FROM policy_versions ORDER BY version DESC LIMIT 1`);
  const { version, document } = rows[0]!;
  const next = { ...document, version: version + 1, payRuns: { ...((document.payRuns as Record<string, unknown> | undefined) ?? {}), fanOut: design } };
  policySchema.parse(next);
  await owner.query(`INSERT INTO policy_versions (version, effective_from, document, reason, created_by) VALUES ($1, now(), $2, $3, 'bench')`, [version + 1, next, `pay-run bench: fan-out by ${design}`]);
}

function sample<T>(items: readonly T[], size: number): T[] {
  const step = Math.max(1, Math.floor(items.length / size));
  return items.filter((_, index) => index % step === 0).slice(0, size);
}

interface MarkPaidPhase {
  exportId: string;
  /** CPU per process from the close call until the last payout COMPLETED. */
  cpu: Map<string, number>;
  lockSeconds: number;
  seconds: number;
  fileStatus: string | null;
  answer: { paid: number; failed: number; alreadyDecided: number };
}

/** (4): manual payouts approved and exported in one payment file (seeded), then closed from one bank result file. */
async function seedPaymentFile(stack: PayoutStack, admins: Admins, payouts: SeededPayout[]): Promise<{ exportId: string; lockSeconds: number; references: string[] }> {
  const { apiUrl, client, owner } = stack;
  // The approvals as the API sends them after the approver's TOTP check (one code per 30-s step would pace 10,000 of them).
  const outcomes = await deliverPayoutUpdates(
    client,
    payouts.map((payout) => ({
      payoutId: payout.id,
      updateId: `bench-approve-${payout.id}`,
      update: 'approve' as const,
      input: { actor: { userId: admins.approver.id, role: admins.approver.role }, amount: payout.amount, detailsHash: payout.detailsHash },
    })),
    { concurrency: seedConcurrency },
  );
  const refused = outcomes.filter((outcome) => outcome.outcome !== 'accepted');
  if (refused.length > 0) throw new Error(`${refused.length} BANK_TRANSFER approvals refused, e.g. ${JSON.stringify(refused[0])}`);
  await waitFor('the manual payouts APPROVED', 600, async () => ((await statusCounts(owner, 'BANK_TRANSFER')).APPROVED === payouts.length ? true : undefined), async () => describeCounts(await statusCounts(owner, 'BANK_TRANSFER')), 500);

  const exportStarted = performance.now();
  const exported = expectStatus(
    await call<{ id: string; payoutCount?: number }>(apiUrl, admins.processor, 'POST', '/v1/payout-exports', { body: { kind: 'METHOD_BATCH', methodId: 'BANK_TRANSFER' }, idempotencyKey: `bench-export-${randomBytes(4).toString('hex')}` }),
    201,
    'POST /v1/payout-exports',
  );
  await waitFor('the payment file locking (its payouts PROCESSING)', 600 + payouts.length / 10, async () => ((await statusCounts(owner, 'BANK_TRANSFER')).PROCESSING === payouts.length ? true : undefined), async () => describeCounts(await statusCounts(owner, 'BANK_TRANSFER')), 500);
  // The file is OPEN (closable) once its lock workflow recorded the end of the lock.
  await waitFor('the payment file OPEN', 300, async () => {
    const view = expectStatus(await call<{ paymentFile?: { status: string } }>(apiUrl, admins.processor, 'GET', `/v1/payout-exports/${exported.id}`), 200, 'GET /v1/payout-exports/{id}');
    return view.paymentFile?.status === 'OPEN' ? true : undefined;
  }, undefined, 250);
  const lockSeconds = (performance.now() - exportStarted) / 1000;
  log(`payment file ${exported.id}: ${count(payouts.length)} payouts locked in PROCESSING in ${lockSeconds.toFixed(1)} s`);

  const references: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: { reference: string; payoutStatus: string }[]; nextCursor: string | null } = expectStatus(
      await call<{ items: { reference: string; payoutStatus: string }[]; nextCursor: string | null }>(apiUrl, admins.processor, 'GET', `/v1/payout-exports/${exported.id}/items?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
      200,
      'GET /v1/payout-exports/{id}/items',
    );
    references.push(...page.items.map((item) => item.reference));
    cursor = page.nextCursor;
  } while (cursor);
  if (references.length !== payouts.length) throw new Error(`the payment file lists ${references.length} payouts, expected ${payouts.length}`);
  return { exportId: exported.id, lockSeconds, references };
}

async function measureMarkPaid(stack: PayoutStack, admins: Admins, file: { exportId: string; lockSeconds: number; references: string[] }, cpu: () => Promise<Map<string, number>>): Promise<MarkPaidPhase> {
  const { apiUrl, owner } = stack;
  // The bank's result file: every transfer paid.
  const resultFile = ['reference,status,failureCode,reason', ...file.references.map((reference) => `${reference},PAID,,`)].join('\n') + '\n';
  const cpuBefore = await cpu();
  const started = performance.now();
  const answer = expectStatus(
    await call<{ closeId: string; paid: number; failed: number; alreadyDecided: number; unknown: unknown[] }>(apiUrl, admins.processor, 'POST', `/v1/payout-exports/${file.exportId}/results`, {
      totp: true,
      body: { resultFile },
      idempotencyKey: `bench-close-${randomBytes(4).toString('hex')}`,
    }),
    202,
    'POST /v1/payout-exports/{id}/results',
  );
  log(`close ${answer.closeId}: paid ${answer.paid}, failed ${answer.failed}, already decided ${answer.alreadyDecided}`);
  if (answer.paid !== file.references.length) throw new Error(`the close marks ${answer.paid} of ${file.references.length} payouts paid: ${JSON.stringify(answer)}`);
  let probes = 0;
  await waitFor(`${count(file.references.length)} manual payouts COMPLETED`, 1_800 + file.references.length / 2, async () => {
    if (++probes % 20 === 0) {
      const close = expectStatus(await call<{ refused: unknown[] }>(apiUrl, admins.processor, 'GET', `/v1/payout-exports/${file.exportId}/results/${answer.closeId}`), 200, 'GET /v1/payout-exports/{id}/results/{closeId}');
      if (close.refused.length > 0) throw new Error(`${close.refused.length} payouts refused the close, e.g. ${JSON.stringify(close.refused.slice(0, 3))}`);
    }
    return (await statusCounts(owner, 'BANK_TRANSFER')).COMPLETED === file.references.length ? true : undefined;
  }, async () => describeCounts(await statusCounts(owner, 'BANK_TRANSFER')), 500);
  const seconds = (performance.now() - started) / 1000;
  const cpuUsed = cpuDelta(cpuBefore, await cpu());
  let fileStatus: string | null = null;
  try {
    fileStatus = await waitFor('the payment file CLOSED', 120, async () => {
      const view = expectStatus(await call<{ paymentFile?: { status: string } }>(apiUrl, admins.processor, 'GET', `/v1/payout-exports/${file.exportId}`), 200, 'GET /v1/payout-exports/{id}');
      return view.paymentFile?.status === 'CLOSED' ? 'CLOSED' : undefined;
    }, undefined, 500);
  } catch (error) {
    log((error as Error).message);
  }
  return { exportId: file.exportId, cpu: cpuUsed, lockSeconds: file.lockSeconds, seconds, fileStatus, answer };
}

/**
 * BENCH_PAY_RUN_CHUNK / BENCH_PAY_RUN_CONCURRENCY: a new policy version with these pay-run delivery settings (chunk
 * size, updates in flight), in force before anything is requested; the run and the ceiling both use them.
 */
async function applyPayRunSettings(owner: pg.Client): Promise<void> {
  const chunkSize = process.env.BENCH_PAY_RUN_CHUNK ? Math.floor(positiveNumber('BENCH_PAY_RUN_CHUNK', 500)) : undefined;
  const concurrency = process.env.BENCH_PAY_RUN_CONCURRENCY ? Math.floor(positiveNumber('BENCH_PAY_RUN_CONCURRENCY', 20)) : undefined;
  if (chunkSize === undefined && concurrency === undefined) return;
  const { rows } = await owner.query<{ version: number; document: Record<string, unknown> }>(`SELECT version, document FROM policy_versions ORDER BY version DESC LIMIT 1`);
  const { version, document } = rows[0]!;
  const payRuns = { ...((document.payRuns as Record<string, unknown> | undefined) ?? {}), ...(chunkSize === undefined ? {} : { chunkSize }), ...(concurrency === undefined ? {} : { concurrency }) };
  const next = { ...document, version: version + 1, payRuns };
  policySchema.parse(next);
  await owner.query(`INSERT INTO policy_versions (version, effective_from, document, reason, created_by) VALUES ($1, now(), $2, 'pay-run bench: delivery settings', 'bench')`, [version + 1, next]);
}

/** The pay-run delivery settings of the policy in force, for the ceiling's same fan-out. */
async function fanOutSettings(owner: pg.Client): Promise<{ chunkSize: number; concurrency: number; chunksPerRun: number }> {
  const { rows } = await owner.query<{ document: unknown }>(`SELECT document FROM policy_versions ORDER BY version DESC LIMIT 1`);
  const { payRuns } = policySchema.parse(rows[0]!.document);
  // workflows/pay-run.ts continues as new after 20 chunks.
  return { chunkSize: payRuns.chunkSize, concurrency: payRuns.concurrency, chunksPerRun: Math.floor(positiveNumber('BENCH_CHUNKS_PER_RUN', 20)) };
}

interface CeilingPhase {
  design: FanOutDesign;
  seconds: number;
  fanOutSeconds: number;
  historyEvents: number[];
  /** CPU per process over the measured part (after the seeding). */
  cpu: Map<string, number>;
}

/** (5): `size` ceiling workflows waiting for approval (seeded), then one no-op run's decision to all of them until every one completes. */
async function measureCeiling(client: Client, size: number, fanOut: { chunkSize: number; concurrency: number; chunksPerRun: number }, design: FanOutDesign, cpu: () => Promise<Map<string, number>>): Promise<CeilingPhase> {
  const run = randomBytes(3).toString('hex');
  const workflowId = (index: number) => payoutWorkflowId(ceilingPayoutId(run, index));
  await pool(size, seedConcurrency, async (index) => {
    await client.workflow.start<typeof ceilingWorkflow>(ceilingShape === 'lean' ? 'leanCeilingWorkflow' : 'ceilingWorkflow', {
      workflowId: workflowId(index),
      taskQueue: ceilingQueue,
      args: [String(index)],
      // What the API starts a payout with.
      ...(ceilingShape === 'lean'
        ? {
            typedSearchAttributes: [
              { key: partnerIdKey, value: benchPartnerId(index) },
              // A Double search attribute, for filtering only (as workflows/search-attributes.ts sets it).
              { key: amountKey, value: new Money(amount).toNumber() },
              { key: currencyKey, value: 'USD' },
              { key: payoutStatusKey, value: 'REQUESTED' },
              { key: methodKey, value: 'PAYQUICKER' },
              { key: priorityKey, value: 'NORMAL' },
            ],
            memo: { summary: `Ceiling payout ${index}` },
          }
        : {}),
    });
  });
  // The last ones started waiting for their approval: the seeding's checklists are done.
  await waitFor('the ceiling workflows awaiting approval', 600, async () => {
    for (let index = Math.max(0, size - 20); index < size; index += 1) {
      // A query times out while the worker is still busy with the starts: not there yet.
      const stage = await client.workflow.getHandle(workflowId(index)).query(ceilingStageQuery).catch(() => 'unanswered');
      if (stage !== 'awaiting-approval') return undefined;
    }
    return true;
  }, undefined, 2_000);
  log(`ceiling: ${count(size)} no-op workflows awaiting approval; delivering one decision…`);

  const cpuBefore = await cpu();
  const started = performance.now();
  const startedAt = new Date();
  const runHandle = await client.workflow.start<typeof ceilingRunWorkflow>('ceilingRunWorkflow', {
    workflowId: `ceiling-run-${run}`,
    taskQueue: ceilingQueue,
    args: [{ run, count: size, ...fanOut, fanOut: design }],
  });
  const delivered = await runHandle.result();
  // Until the last delivery activity completed: the no-op run's own end can wait behind the woken workflows' tasks
  // on the shared queue (as the real run's does), which is not the fan-out.
  const lastDelivery = await lastSignalActivity(client, `ceiling-run-${run}`, design === 'signal' ? 'signalApprovals' : 'deliverApprovals');
  const fanOutSeconds = lastDelivery === null ? (performance.now() - started) / 1000 : (lastDelivery.getTime() - startedAt.getTime()) / 1000;
  if (delivered !== size) throw new Error(`the ceiling run delivered ${delivered} approvals, expected ${size}`);
  // Every one completed (the results of completed workflows answer at once).
  await pool(size, 50, async (index) => {
    for (;;) {
      try {
        await client.workflow.getHandle(workflowId(index)).result();
        return;
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
        await sleep(100);
      }
    }
  });
  const seconds = (performance.now() - started) / 1000;
  const cpuUsed = cpuDelta(cpuBefore, await cpu());
  const historyEventsCounted = await historyEvents(client, sample(Array.from({ length: size }, (_, index) => workflowId(index)), historySample));
  return { design, seconds, fanOutSeconds, historyEvents: historyEventsCounted, cpu: cpuUsed };
}

function eventLine(counts: number[]): string {
  if (counts.length === 0) return '–';
  return `${Math.min(...counts)} / ${percentile(counts, 0.5)} / ${Math.max(...counts)}`;
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const loadAverageAtStart = os.loadavg()[0]!;
  const runPayRun = phases.has('pay-run');
  const runPayRunUpdate = phases.has('pay-run-update');
  const runMarkPaid = phases.has('mark-paid') && markPaidSize > 0;
  const runCeiling = phases.has('ceiling');
  const partners = Math.max(runPayRun || runPayRunUpdate ? runSize : 0, runMarkPaid ? markPaidSize : 0, 1);
  let tokens: string[] = [];
  let admins: Admins | undefined;
  const stack = await startPayoutStack({
    name: 'pay-run bench',
    databaseName: 'ledgerflow_pay_run_bench',
    durable,
    temporalInMemory,
    sandboxDelayMs,
    taskQueue,
    seed: async (owner, ownerUrl) => {
      log(`seeding ${count(partners)} partners with sessions and balances, and the admins…`);
      // Each partner pays one automatic payout per design and (up to BENCH_MARK_PAID) one manual payout of 100.00 USD.
      await applyPayRunSettings(owner);
      tokens = await seedPayoutPartners(owner, ownerUrl, partners, '300.00');
      // Saved payment details, set when the partner joined (60 days ago): a payout to them needs one approver (details
      // sent with the request would be a change of details, whose payouts need a senior approver).
      await owner.query(`
        INSERT INTO partner_payment_methods (partner_id, method_id, details, updated_at)
        SELECT id, 'PAYQUICKER', jsonb_build_object('email', id || '@payee.invalid'), joined_at FROM partners WHERE id LIKE 'bp%'
        UNION ALL
        SELECT id, 'BANK_TRANSFER', jsonb_build_object('accountName', name, 'accountNumber', (1000000000 + row_number() OVER (ORDER BY id))::text, 'routingNumber', '021000021'), joined_at
        FROM partners WHERE id LIKE 'bp%'`);
      const admin = (role: string, name: string) => seedAdmin(owner, role, name, generateTotpSecret());
      admins = {
        creator: await admin('admin', 'run-creator'),
        approver: await admin('admin', 'run-approver'),
        runApprovers: {
          senior_admin: await admin('senior_admin', 'run-senior-admin'),
          finance_manager: await admin('finance_manager', 'run-finance-manager'),
          finance_director: await admin('finance_director', 'run-finance-director'),
        },
        processor: await admin('admin', 'file-processor'),
      };
    },
  });
  try {
    const { client, owner } = stack;
    const fanOut = await fanOutSettings(owner);

    const payRuns: PayRunPhase[] = [];
    const payoutEvents = new Map<FanOutDesign, number[]>();
    const runHistoryLength = new Map<FanOutDesign, number | undefined>();
    for (const design of [...(runPayRun ? ['signal' as const] : []), ...(runPayRunUpdate ? ['update' as const] : [])]) {
      await setFanOut(owner, design);
      log(`seeding ${count(runSize)} automatic payouts for the ${design} design (${seedConcurrency} requests in flight)…`);
      const automatic = await requestPayouts(stack, tokens, runSize, 'PAYQUICKER', design);
      log(`pay run of ${count(runSize)} automatic payouts, fan-out by ${design}…`);
      const phase = await measurePayRun(stack, admins!, automatic, design, () => cpuSnapshot(stack.processes(stack.worker.pid)));
      payRuns.push(phase);
      log(`pay run (${design}): ${count(runSize)} COMPLETED in ${phase.seconds.toFixed(1)} s; approvals recorded ${phase.fanOutSeconds.toFixed(1)} s${phase.signalledSeconds === null ? '' : `, every payout signalled ${phase.signalledSeconds.toFixed(1)} s`} after the approve call`);
      payoutEvents.set(design, await historyEvents(client, sample(automatic, historySample).map((payout) => payoutWorkflowId(payout.id))));
      runHistoryLength.set(design, (await client.workflow.getHandle(`pay-run-${phase.runId}`).describe().catch(() => undefined))?.historyLength);
    }

    let markPaid: MarkPaidPhase | undefined;
    if (runMarkPaid) {
      log(`seeding ${count(markPaidSize)} manual payouts in one payment file…`);
      const manual = await requestPayouts(stack, tokens, markPaidSize, 'BANK_TRANSFER');
      const file = await seedPaymentFile(stack, admins!, manual);
      log(`bulk mark-paid of ${count(markPaidSize)} manual payouts from one bank result file…`);
      markPaid = await measureMarkPaid(stack, admins!, file, () => cpuSnapshot(stack.processes(stack.worker.pid)));
      log(`bulk mark-paid: ${count(markPaidSize)} COMPLETED in ${markPaid.seconds.toFixed(1)} s`);
    }

    const ceilings: CeilingPhase[] = [];
    if (runCeiling) {
      await stopChild(stack.worker);
      log(`ceiling: ${count(runSize)} no-op workflows, fan-out in chunks of ${fanOut.chunkSize}, ${fanOut.concurrency} in flight (the policy's payRuns)…`);
      const ceilingWorker = await stack.startChild('ceiling worker', 'bench/ceiling/worker.ts', { TEMPORAL_ADDRESS: stack.temporal.address, BENCH_TASK_QUEUE: ceilingQueue, BENCH_CEILING_SIGNAL_ON_SEND: '1' }, /ceiling worker polling/);
      // One ceiling per design measured (both when no pay run is), each on its own no-op workflows.
      const designs: FanOutDesign[] = payRuns.length > 0 ? payRuns.map((payRun) => payRun.design) : ['signal', 'update'];
      for (const design of designs) {
        const ceiling = await measureCeiling(client, runSize, fanOut, design, () => cpuSnapshot(stack.processes(ceilingWorker.pid)));
        ceilings.push(ceiling);
        log(`ceiling (${design}): ${count(runSize)} completed in ${ceiling.seconds.toFixed(1)} s; fan-out ${ceiling.fanOutSeconds.toFixed(1)} s`);
      }
    }

    const report = [
      '# Pay run benchmark',
      '',
      `${new Date().toISOString()} · ${stack.description} · Temporal dev server ${temporalInMemory ? 'in memory' : 'on a SQLite file'} · ${os.cpus().length} cores, load average ${loadAverageAtStart.toFixed(2)} at start`,
      `${count(runSize)} PAYQUICKER payouts of ${amount} USD in one pay run (sandbox settles after ${sandboxDelayMs} ms)${markPaid ? `; ${count(markPaidSize)} BANK_TRANSFER payouts of ${amount} USD in one payment file` : ''}.`,
      '',
      measuresTable({ payRuns, ceilings, markPaid, payoutEvents }),
      '',
      [
        ...payRuns.map((payRun) =>
          `- Pay run (fan-out by ${payRun.design}) \`pay-run-${payRun.runId}\`: created in ${payRun.createSeconds.toFixed(1)} s, ready for approval ${payRun.readySeconds.toFixed(1)} s after the create call; run-level approvals: ${payRun.runApprovals.join(', ') || 'none needed'}; items refused up front ${payRun.refusedUpfront}, refused by their payouts ${payRun.refused}; the run said ${payRun.runStatus}${payRun.runDoneSeconds === null ? ' (not at its end within 5 minutes of its last payout)' : ` ${payRun.runDoneSeconds.toFixed(1)} s after the approve call`}; its current workflow run has ${runHistoryLength.get(payRun.design) ?? '?'} history events.`),
        ...(ceilings.length > 0 ? [`- Ceilings: ${ceilingShape === 'lean' ? "the lean payout's shape (3 local activities, 1 activity, 1 update, 1 signal with a timer, 4 search-attribute upserts; design 2's ceiling takes its approval as a signal without the approval's local activity, as the payout does)" : "bench/payouts.ts's shape (5 activities, 1 update, 1 signal)"}; fan-out in chunks of ${fanOut.chunkSize}, ${fanOut.concurrency} in flight, continue-as-new every ${fanOut.chunksPerRun} chunks (the policy's payRuns); design 1's ceiling delivers one no-op update per workflow, design 2's one no-op chunk activity then one signal per workflow; the ceiling's decision is the start of its no-op run.`] : []),
        ...(markPaid
          ? [`- Payment file ${markPaid.exportId}: exported and locked (all ${count(markPaidSize)} PROCESSING) in ${markPaid.lockSeconds.toFixed(1)} s (seeding, not in the measure); the close answered paid ${markPaid.answer.paid}, failed ${markPaid.answer.failed}, already decided ${markPaid.answer.alreadyDecided}; file status afterwards ${markPaid.fileStatus ?? 'not CLOSED within 2 minutes'}.`]
          : []),
      ].join('\n'),
      '',
      cpuTable(
        [
          ...payRuns.map((payRun) => ({ title: `pay run, ${designTitle(payRun.design)}`, usage: payRun.cpu, items: runSize, seconds: payRun.seconds })),
          ...ceilings.map((ceiling) => ({ title: `ceiling (no-op), ${designTitle(ceiling.design)}`, usage: ceiling.cpu, items: runSize, seconds: ceiling.seconds })),
          ...(markPaid ? [{ title: 'bulk mark-paid', usage: markPaid.cpu, items: markPaidSize, seconds: markPaid.seconds }] : []),
        ],
        'payout',
      ),
      '',
      `Total run time ${((Date.now() - startedAt) / 1000).toFixed(0)} s. Command: \`${commandLine()}\`.`,
      '',
    ].join('\n');
    console.log(report);
    await mkdir(path.dirname(resultsFile), { recursive: true });
    await writeFile(resultsFile, `${report}\nProgress (stderr, UTC):\n\n\`\`\`\n${progressLines.join('\n')}\n\`\`\`\n`);
  } catch (error) {
    printChildOutputs();
    throw error;
  } finally {
    await stack.stop();
  }
}

/** The settings this run was started with, as a command line. */
function commandLine(): string {
  const settings = Object.entries(process.env)
    .filter(([name]) => name.startsWith('BENCH_'))
    .sort(([left], [right]) => left.localeCompare(right))
    .map(([name, value]) => `${name}=${value}`);
  return [...settings, 'npm run bench:pay-runs'].join(' ');
}

const designTitle = (design: FanOutDesign) => (design === 'signal' ? 'design 2 (signal)' : 'design 1 (update)');

/** The goals' table: a row per measure; each design's pay run, then each design's no-op ceiling; `met` per design. */
function measuresTable(input: { payRuns: PayRunPhase[]; ceilings: CeilingPhase[]; markPaid?: MarkPaidPhase; payoutEvents: Map<FanOutDesign, number[]> }): string {
  const { payRuns, ceilings, markPaid, payoutEvents } = input;
  const none = '–';
  const ceilingOf = (design: FanOutDesign) => ceilings.find((ceiling) => ceiling.design === design);
  // Against the ceiling of the same design (same shape), and design 1's ceiling (the first design's yardstick).
  const share = (payRun: PayRunPhase, design = payRun.design) => {
    const ceiling = ceilingOf(design);
    return ceiling === undefined ? undefined : ceiling.seconds / payRun.seconds;
  };
  const percent = (value: number | undefined) => (value === undefined ? none : `${(value * 100).toFixed(0)} %`);
  const extrapolated = (seconds: number, size: number) => (size === 10_000 ? `${seconds.toFixed(1)} s` : `${seconds.toFixed(1)} s (≈ ${(seconds * (10_000 / size)).toFixed(0)} s at 10,000, linearly)`);
  const yesNo = (value: boolean | undefined, size: number) => (value === undefined ? none : `${value ? 'yes' : 'no'}${size === 10_000 ? '' : ' (extrapolated)'}`);
  // The decision has reached a payout once its approval is recorded and (design 2) its signal is accepted.
  const reached = (payRun: PayRunPhase) => Math.max(payRun.fanOutSeconds, payRun.signalledSeconds ?? 0);
  const row = (measure: string, runCell: (payRun: PayRunPhase) => string, ceilingCell: (ceiling: CeilingPhase) => string, goal: string, met: ((payRun: PayRunPhase) => string) | null) =>
    `| ${measure} | ${[...payRuns.map(runCell), ...ceilings.map(ceilingCell)].join(' | ')} | ${goal} | ${met ? payRuns.map(met).join(' / ') || none : '—'} |`;
  return [
    `| measure | ${[...payRuns.map((payRun) => `pay run, ${designTitle(payRun.design)}`), ...ceilings.map((ceiling) => `ceiling (no-op), ${designTitle(ceiling.design)}`)].join(' | ')} | goal | met (${payRuns.map((payRun) => payRun.design).join(' / ')}) |`,
    `|---|${[...payRuns, ...ceilings].map(() => '---|').join('')}---|---|`,
    row('payouts/s, run created → every payout COMPLETED', (payRun) => `${(runSize / payRun.seconds).toFixed(1)} (${payRun.seconds.toFixed(1)} s)`, (ceiling) => `${(runSize / ceiling.seconds).toFixed(1)} (${ceiling.seconds.toFixed(1)} s)`, '—', null),
    row('share of the same design’s ceiling', (payRun) => percent(share(payRun)), () => '100 %', '≥ 70 %', (payRun) => { const value = share(payRun); return value === undefined ? none : value >= 0.7 ? 'yes' : 'no'; }),
    row('share of design 1’s ceiling (the first design’s yardstick)', (payRun) => percent(share(payRun, 'update')), (ceiling) => percent(ceilingOf('update') ? ceilingOf('update')!.seconds / ceiling.seconds : undefined), '—', null),
    row('decision fan-out: approve call → every payout has the approval recorded', (payRun) => extrapolated(payRun.fanOutSeconds, runSize), (ceiling) => `${ceiling.fanOutSeconds.toFixed(1)} s`, '—', null),
    row('decision fan-out: approve call → every payout workflow reached (design 2: its signal accepted; design 1: its update answered)', (payRun) => extrapolated(reached(payRun), runSize), (ceiling) => `${ceiling.fanOutSeconds.toFixed(1)} s`, '< 60 s for 10,000', (payRun) => yesNo(reached(payRun) * (10_000 / runSize) < 60, runSize)),
    row(`history events of an automatic single-approver payout, min / median / max of ${historySample}`, (payRun) => eventLine(payoutEvents.get(payRun.design) ?? []), (ceiling) => eventLine(ceiling.historyEvents), '≤ 30', (payRun) => { const counts = payoutEvents.get(payRun.design) ?? []; return counts.length === 0 ? none : Math.max(...counts) <= 30 ? 'yes' : 'no'; }),
    `| bulk mark-paid of ${count(markPaidSize)} manual payouts: result file posted → every payout COMPLETED | ${markPaid ? extrapolated(markPaid.seconds, markPaidSize) : none} |${[...payRuns, ...ceilings].slice(1).map(() => ' |').join('')} < 120 s for 10,000 | ${yesNo(markPaid ? markPaid.seconds * (10_000 / markPaidSize) < 120 : undefined, markPaidSize)} |`,
  ].join('\n');
}

main().catch((error: unknown) => {
  console.error(`pay-run bench: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
