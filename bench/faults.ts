/**
 * The fault-injection run (issue #16): the real stack as `npm start` runs it — the supervisor (stack/start.ts) with
 * its embedded PostgreSQL, its Temporal dev server on a SQLite file, the worker, the API, the sandbox payment
 * provider and the mail sink, each its own process — in a fresh data directory, driven through the HTTP API with
 * the real lifecycles while processes are killed:
 *
 *   - commissions: ORDER_COMPLETED events ingested (POST /v1/events) over chains of three partners;
 *   - payouts: partners request PAYQUICKER payouts; admins approve each step of the chain with a fresh TOTP code
 *     (large ones need a finance manager and then a senior admin, two distinct people); the worker pays them through
 *     the sandbox provider, whose signed webhook completes them;
 *   - refunds of some orders (requested by financial support, approved or rejected by a finance manager with TOTP);
 *   - chargebacks of others (opened by an admin, decided WON or LOST by a finance manager with TOTP).
 *
 * Meanwhile the worker is SIGKILLed at random moments, mostly while it polls (the supervisor restarts it), and the Temporal dev server and
 * PostgreSQL are SIGKILLed (the supervisor restarts them on the same data). Every request is retried with the same
 * Idempotency-Key (or externalId) until it gets a definite answer. When the time is up the driver stops starting
 * lifecycles, lets the ones in flight finish, waits until every workflow is closed or waiting (no activity pending),
 * and checks the ledger by independent SQL (bench/faults-invariants.ts). Prints the kills survived, lifecycles by
 * kind, every invariant checked, and PASS or FAIL (also written to bench/results/faults.md); exits 1 on any
 * violation, stuck lifecycle or request, or fewer kills than asked.
 *
 *   npm run bench:faults                      # 10 minutes of load
 *   npm run bench:faults -- --minutes 3       # shorter
 *
 * Flags: --minutes (10), --worker-kills (30), --temporal-restarts (5), --postgres-restarts (5): the kills are spread
 * over the load window and, if the window ends first, continue until these minimums are reached; --payout-loops (6),
 * --order-loops (4): concurrent drivers; --partners-per-loop (8): partners each payout loop takes in turn, 4 payouts
 * each (a fifth or sixth would trip the checklist's velocity hold); --drain-minutes (15): how long lifecycles in flight may take to finish;
 * --keep: keep the data directory (it is kept anyway on FAIL).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import pg from 'pg';
import { applicationUrl, createDatabase } from '../db/pool.ts';
import { defaultPolicy } from '../domain/policy.ts';
import { Money } from '../domain/money.ts';
import { IdentityStore } from '../modules/identity/identity.ts';
import { totpCode, totpStep, totpStepSeconds } from '../modules/identity/totp.ts';
import { LedgerStore } from '../modules/ledger/ledger-store.ts';
import { freePort } from '../stack/ports.ts';
import { removeCluster } from '../stack/postgres-location.ts';
import { commandLineOf, isProcessAlive } from '../stack/state.ts';
import { findTemporalCli } from '../stack/temporal.ts';
import { chargebackWorkflowId } from '../workflows/chargeback-messages.ts';
import { payoutWorkflowId } from '../workflows/payout-messages.ts';
import { refundWorkflowId } from '../workflows/refund-messages.ts';
import { checkInvariants, type RunRecord } from './faults-invariants.ts';

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bun = createRequire(import.meta.url).resolve('bun/bin/bun.exe');

const { values: flags } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    'worker-kills': { type: 'string', default: '30' },
    'temporal-restarts': { type: 'string', default: '5' },
    'postgres-restarts': { type: 'string', default: '5' },
    'payout-loops': { type: 'string', default: '6' },
    'order-loops': { type: 'string', default: '4' },
    'drain-minutes': { type: 'string', default: '15' },
    'partners-per-loop': { type: 'string', default: '8' },
    keep: { type: 'boolean', default: false },
  },
});
const positive = (name: keyof typeof flags) => {
  const value = Number(flags[name]);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a number ≥ 0`);
  return value;
};
const loadMinutes = positive('minutes');
const minimumKills = { worker: positive('worker-kills'), temporal: positive('temporal-restarts'), postgres: positive('postgres-restarts') };
const payoutLoops = Math.floor(positive('payout-loops'));
const orderLoops = Math.floor(positive('order-loops'));
const drainMinutes = positive('drain-minutes');
const partnersPerLoop = Math.max(1, Math.floor(positive('partners-per-loop')));
/** At most this many payouts per partner in the run: the checklist holds the sixth request within 7 days (VELOCITY). */
const payoutsPerPartner = 4;

const currency = 'USD';
const run = randomBytes(3).toString('hex');
const startedAt = Date.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const jitter = (from: number, to: number) => from + Math.random() * (to - from);
const elapsed = () => `${((Date.now() - startedAt) / 1000).toFixed(0).padStart(4)} s`;
const log = (line: string) => console.error(`faults ${elapsed()}: ${line}`);

// ---------------------------------------------------------------------------------------------------------------
// The stack: the supervisor and the processes it keeps.

interface Stack {
  dataDir: string;
  apiUrl: string;
  temporalAddress: string;
  ownerUrl: string;
  supervisor: ChildProcess;
  output: string[];
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').split('\n')[0]!, 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function stackState(dataDir: string): { databaseUrl: string; temporalAddress: string; children: Record<string, number> } | undefined {
  try {
    return JSON.parse(readFileSync(path.join(dataDir, 'stack.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

const pids = {
  worker: (stack: Stack) => {
    const pid = stackState(stack.dataDir)?.children.worker;
    return pid && isProcessAlive(pid) && commandLineOf(pid).includes('workers/main.ts') ? pid : undefined;
  },
  temporal: (stack: Stack) => {
    const pid = readPid(path.join(stack.dataDir, 'temporal.sqlite.pid'));
    return pid && isProcessAlive(pid) && commandLineOf(pid).includes('start-dev') ? pid : undefined;
  },
  postgres: (stack: Stack) => {
    const pid = readPid(path.join(stack.dataDir, 'postgres', 'postmaster.pid'));
    return pid && isProcessAlive(pid) && commandLineOf(pid).includes('postgres') ? pid : undefined;
  },
};

async function health(apiUrl: string): Promise<{ status: string; components?: Record<string, { status: string }> } | null> {
  try {
    const response = await fetch(`${apiUrl}/healthz`, { signal: AbortSignal.timeout(10_000) });
    return (await response.json()) as { status: string };
  } catch {
    return null;
  }
}

async function until(what: string, condition: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(intervalMs);
  }
}

async function startStack(): Promise<Stack> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `ledgerflow-faults-${run}-`));
  const [port, postgresPort, temporalPort, temporalUiPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const cli = await findTemporalCli({ TEMPORAL_CLI: process.env.TEMPORAL_CLI || undefined });
  const logStream = createWriteStream(path.join(dataDir, 'supervisor.log'));
  const output: string[] = [];
  const supervisor = spawn(bun, [path.join(repositoryRoot, 'stack', 'start.ts')], {
    cwd: repositoryRoot,
    env: {
      ...process.env,
      LEDGERFLOW_DATA_DIR: dataDir,
      PORT: String(port),
      LEDGERFLOW_PG_PORT: String(postgresPort),
      TEMPORAL_DEV_PORT: String(temporalPort),
      TEMPORAL_UI_PORT: String(temporalUiPort),
      TEMPORAL_CLI: cli,
      LEDGERFLOW_DEMO: '0',
      DATABASE_URL: '',
      TEMPORAL_ADDRESS: '',
      LEDGERFLOW_PROVIDER_URL: '',
      LEDGERFLOW_SMTP_URL: '',
      LEDGERFLOW_PUBLIC_URL: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [supervisor.stdout!, supervisor.stderr!]) {
    stream.on('data', (chunk: Buffer) => {
      logStream.write(chunk);
      for (const line of chunk.toString().split('\n')) if (line.trim()) output.push(line);
      if (output.length > 2_000) output.splice(0, output.length - 1_000);
    });
  }
  const apiUrl = `http://127.0.0.1:${port}`;
  const stack: Stack = { dataDir, apiUrl, temporalAddress: `127.0.0.1:${temporalPort}`, ownerUrl: '', supervisor, output };
  log(`starting the stack in ${dataDir} (supervisor pid ${supervisor.pid}, API ${apiUrl})`);
  const exited = new Promise<never>((_, reject) =>
    supervisor.once('exit', (code) => reject(new Error(`the supervisor exited with ${code}:\n${output.slice(-30).join('\n')}`))),
  );
  await Promise.race([exited, until('the stack to answer /healthz with ok', async () => (await health(apiUrl))?.status === 'ok', 600_000, 1_000)]);
  stack.ownerUrl = stackState(dataDir)!.databaseUrl;
  return stack;
}

async function stopStack(stack: Stack, keep: boolean): Promise<void> {
  const { supervisor, dataDir } = stack;
  if (supervisor.exitCode === null && supervisor.signalCode === null) {
    const exited = new Promise((resolve) => supervisor.once('exit', resolve));
    supervisor.kill('SIGTERM');
    await Promise.race([exited, sleep(90_000)]);
  }
  // Whatever an orderly stop left: the servers by their pid files, the children by the state file.
  const leftovers = [pids.temporal(stack), pids.postgres(stack), ...Object.values(stackState(dataDir)?.children ?? {})];
  for (const pid of leftovers) {
    if (pid && isProcessAlive(pid) && (commandLineOf(pid).includes(dataDir) || commandLineOf(pid).includes(repositoryRoot))) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
  }
  if (!keep) {
    await removeCluster(path.join(dataDir, 'postgres')).catch(() => {});
    await rm(dataDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Faults.

const kills = { worker: 0, temporal: 0, postgres: 0 };
const recovery = { worker: [] as number[], temporal: [] as number[], postgres: [] as number[] };

function kill(pid: number, group: boolean) {
  try {
    process.kill(group ? -pid : pid, 'SIGKILL');
  } catch {
    process.kill(pid, 'SIGKILL');
  }
}

async function killAndAwait(stack: Stack, component: keyof typeof kills): Promise<void> {
  const before = await (async () => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const pid = pids[component](stack);
      if (pid) return pid;
      if (Date.now() > deadline) throw new Error(`no ${component} process to kill for 120 s`);
      await sleep(500);
    }
  })();
  // The worker runs in its own process group (the supervisor's children do); the servers are killed alone, as a
  // crash of their main process would leave them.
  kill(before, component === 'worker');
  const killedAt = Date.now();
  kills[component] += 1;
  await until(`the ${component} to come back after kill ${kills[component]}`, async () => {
    const pid = pids[component](stack);
    if (!pid || pid === before) return false;
    if (component === 'worker') return true;
    const answer = await health(stack.apiUrl);
    return answer?.components?.[component]?.status === 'up';
  }, 300_000, 500);
  recovery[component].push((Date.now() - killedAt) / 1000);
  log(`killed the ${component} (pid ${before}), #${kills[component]}; back after ${((Date.now() - killedAt) / 1000).toFixed(1)} s`);
}

/** Whether the worker of this pid has started polling its task queue (its line in logs/worker.log since its start). */
function workerPolls(stack: Stack, pid: number): boolean {
  let text: string;
  try {
    text = readFileSync(path.join(stack.dataDir, 'logs', 'worker.log'), 'utf8');
  } catch {
    return false;
  }
  const started = text.lastIndexOf(`started (pid ${pid})`);
  return started >= 0 && text.indexOf('worker polling task queue', started) > started;
}

/** Worker kills while it polls (and so runs workflow and activity tasks), or during its start-up. */
const workerKillsDuringStartup = { count: 0 };

/**
 * The worker is killed at a random moment 2–15 s after it starts polling (every fifth kill instead 1–8 s after it
 * was started, before it polls: a start-up takes 10–30 s on a loaded machine, and a worker killed that early would
 * otherwise never get work done between kills). The servers' restarts are spread evenly over the window,
 * PostgreSQL's offset from Temporal's; each kill waits until the killed process is back.
 */
async function injectFaults(stack: Stack, loadEndsAt: number, loadDone: () => boolean): Promise<void> {
  const windowMs = loadEndsAt - Date.now();
  const plan = [
    ...Array.from({ length: minimumKills.temporal }, (_, i) => ({ at: Date.now() + ((i + 0.3) * windowMs) / minimumKills.temporal, component: 'temporal' as const })),
    ...Array.from({ length: minimumKills.postgres }, (_, i) => ({ at: Date.now() + ((i + 0.75) * windowMs) / minimumKills.postgres, component: 'postgres' as const })),
  ].sort((a, b) => a.at - b.at);
  let target: { pid: number; killAt: number; duringStartup: boolean } | undefined;
  for (;;) {
    const pastWindow = Date.now() > loadEndsAt;
    const short = kills.worker < minimumKills.worker || kills.temporal < minimumKills.temporal || kills.postgres < minimumKills.postgres;
    if (pastWindow && (!short || loadDone())) return;
    const due = plan[0];
    if (due && (due.at <= Date.now() || pastWindow)) {
      plan.shift();
      await killAndAwait(stack, due.component);
      continue;
    }
    const pid = pids.worker(stack);
    if (pid && target?.pid !== pid) {
      if ((kills.worker + 1) % 5 === 0) target = { pid, killAt: Date.now() + jitter(1_000, 8_000), duringStartup: true };
      else if (workerPolls(stack, pid)) target = { pid, killAt: Date.now() + jitter(2_000, 15_000), duringStartup: false };
    }
    if (pid && target?.pid === pid && Date.now() >= target.killAt && (kills.worker < minimumKills.worker || !pastWindow)) {
      const duringStartup = target.duringStartup && !workerPolls(stack, pid);
      await killAndAwait(stack, 'worker');
      if (duringStartup) workerKillsDuringStartup.count += 1;
      target = { pid, killAt: Number.POSITIVE_INFINITY, duringStartup: false };
      continue;
    }
    await sleep(250);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// People: admins with TOTP codes, partners with sessions.

type AdminRole = 'admin' | 'senior_admin' | 'finance_manager' | 'financial_support';

interface Admin {
  id: string;
  email: string;
  role: AdminRole;
  totpSecret: string;
  token: string;
  lastStep: number;
}

const password = 'fault-run-password-1';
const admins = new Map<AdminRole, Admin[]>();

/** A fresh TOTP code: each step is accepted once per admin, so an admin is used for a later step than the last. */
async function nextCode(admin: Admin): Promise<string> {
  for (;;) {
    const current = totpStep(new Date());
    const step = Math.max(current, admin.lastStep + 1);
    if (step <= current + 1) {
      admin.lastStep = step;
      return totpCode(admin.totpSecret, step);
    }
    await sleep((current + 1) * totpStepSeconds * 1_000 - Date.now() + 50);
  }
}

/** The admin of the role whose codes are least used (so waits for a TOTP step are rare). */
function pickAdmin(role: AdminRole): Admin {
  const candidates = admins.get(role)!;
  return candidates.reduce((best, candidate) => (candidate.lastStep < best.lastStep ? candidate : best));
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP with retries: every request is sent again (same Idempotency-Key, same body) until a definite answer.

const stats = { requests: 0, retried: 0, answers5xx: 0, networkErrors: 0, inProgress409: 0, refusedCodes: 0 };
let stopping = false;

interface Sent {
  status: number;
  body: Record<string, any>;
}

async function send(
  stack: Stack,
  method: string,
  pathName: string,
  options: { token: string; body?: unknown; key?: string; stepUp?: Admin; giveUpAfterMs?: number },
): Promise<Sent> {
  const deadline = Date.now() + (options.giveUpAfterMs ?? 15 * 60_000);
  let delay = 500;
  let inProgressSince: number | undefined;
  for (let attempt = 1; ; attempt += 1) {
    if (attempt > 1) {
      stats.retried += 1;
      await sleep(delay);
      delay = Math.min(delay * 2, 5_000);
    }
    if (Date.now() > deadline) throw new Error(`${method} ${pathName}: no definite answer within ${(options.giveUpAfterMs ?? 900_000) / 1000} s`);
    const headers: Record<string, string> = { authorization: `Bearer ${options.token}` };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.key) headers['idempotency-key'] = options.key;
    if (options.stepUp) headers['x-totp-code'] = await nextCode(options.stepUp);
    stats.requests += 1;
    let response: Response;
    try {
      response = await fetch(`${stack.apiUrl}${pathName}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(120_000),
      });
    } catch {
      stats.networkErrors += 1;
      continue;
    }
    const text = await response.text();
    let body: Record<string, any> = {};
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = { raw: text };
    }
    if (response.status >= 500) {
      stats.answers5xx += 1;
      continue;
    }
    if (response.status === 409 && body.error?.code === 'request_in_progress') {
      stats.inProgress409 += 1;
      // The first request with this key can take a minute (a workflow update under faults), not five.
      inProgressSince ??= Date.now();
      if (Date.now() - inProgressSince > 5 * 60_000) throw new Error(`${method} ${pathName}: Idempotency-Key ${options.key} still "in progress" after 5 min`);
      continue;
    }
    // A code that arrived after its step had passed (a request held up by a restart): again with a fresh one.
    if (response.status === 401 && options.stepUp && attempt < 5) {
      stats.refusedCodes += 1;
      continue;
    }
    return { status: response.status, body };
  }
}

async function read(stack: Stack, pathName: string, token: string): Promise<Record<string, any>> {
  const answer = await send(stack, 'GET', pathName, { token });
  if (answer.status !== 200) throw new Error(`GET ${pathName} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

function expectStatus(what: string, answer: Sent, ...statuses: number[]): Sent {
  if (!statuses.includes(answer.status)) throw new Error(`${what} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer;
}

// ---------------------------------------------------------------------------------------------------------------
// The lifecycles.

const record: RunRecord = { fundedPartners: new Map(), eventIds: [], chainPartners: [], payoutIds: [], refundIds: [], chargebackIds: [], currency };
const lifecycles = {
  commission: { started: 0, finished: 0 },
  payout: { started: 0, finished: 0 },
  refund: { started: 0, finished: 0 },
  chargeback: { started: 0, finished: 0 },
};
const outcomes = new Map<string, number>();
const failures: string[] = [];
const count = (outcome: string) => outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);

const terminalPayout = new Set(['COMPLETED', 'REJECTED', 'CANCELLED', 'FAILED']);
const reader = () => pickReader();
let pickReader: () => string = () => {
  throw new Error('no reader yet');
};

/** Polls until `done` holds, reading every 1–2 s, for at most the drain time after the load window. */
async function waitFor<T>(what: string, poll: () => Promise<T>, done: (value: T) => boolean, deadline: () => number): Promise<T> {
  for (;;) {
    const value = await poll();
    if (done(value)) return value;
    if (Date.now() > deadline()) throw new Error(`${what}: still ${JSON.stringify(value).slice(0, 300)}`);
    await sleep(jitter(1_000, 2_000));
  }
}

/** One payout of a partner, from the request to its end (or HELD); returns its final status. */
async function payoutLifecycle(stack: Stack, partner: { id: string; token: string }, index: number, deadline: () => number): Promise<string> {
  const large = index % 2 === 1;
  const amount = large ? '3000.00' : '100.00';
  lifecycles.payout.started += 1;
  const created = expectStatus(
    'POST /v1/payouts',
    await send(stack, 'POST', '/v1/payouts', {
      token: partner.token,
      key: `faults-${run}-payout-${partner.id}-${index}`,
      body: { partnerId: partner.id, amount, currency, methodId: 'PAYQUICKER', paymentDetails: { email: `${partner.id}@payee.invalid` } },
    }),
    200,
    201,
  ).body;
  record.payoutIds.push(created.id);
  // Each step of the chain by an admin of its role, with a fresh code; state-driven, so a lost answer is harmless.
  const approved = new Set<number>();
  for (;;) {
    const payout = await waitFor(
      `payout ${created.id}`,
      () => read(stack, `/v1/payouts/${created.id}`, reader()),
      (view) => terminalPayout.has(view.status) || view.status === 'AWAITING_APPROVAL' || view.status === 'HELD',
      deadline,
    );
    if (terminalPayout.has(payout.status) || payout.status === 'HELD') break;
    const approvals = (payout.approvals as { decision: string; step: number | null }[]).filter((approval) => approval.decision === 'APPROVE');
    const step = approvals.length;
    const chain = payout.requiredChain as { roles: string[] }[];
    if (step >= chain.length) {
      await sleep(1_000);
      continue;
    }
    const role = (['admin', 'senior_admin', 'finance_manager'] as const).find((candidate) => chain[step]!.roles.includes(candidate));
    if (!role) throw new Error(`payout ${created.id}: no admin of ${chain[step]!.roles.join('/')} in the run`);
    if (approved.has(step)) {
      await sleep(1_000);
      continue;
    }
    const admin = pickAdmin(role);
    const answer = await send(stack, 'POST', `/v1/payouts/${created.id}/approve`, {
      token: admin.token,
      stepUp: admin,
      key: `faults-${run}-approve-${created.id}-${step}`,
      body: { amount: payout.amount, detailsHash: payout.detailsHash },
    });
    if (answer.status === 200) approved.add(step);
    else if (answer.status !== 409) throw new Error(`approve payout ${created.id} step ${step} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  }
  const final = await waitFor(`payout ${created.id}`, () => read(stack, `/v1/payouts/${created.id}`, reader()), (view) => terminalPayout.has(view.status) || view.status === 'HELD', deadline);
  count(`payout ${final.status}${large ? ' (two approvers)' : ' (one approver)'}`);
  lifecycles.payout.finished += 1;
  return final.status;
}

async function orderLifecycle(stack: Stack, seller: string, index: number, deadline: () => number): Promise<void> {
  const orderId = `faults-${run}-order-${seller}-${index}`;
  const externalId = `faults-${run}-event-${seller}-${index}`;
  const ingester = pickAdmin('finance_manager');
  lifecycles.commission.started += 1;
  const ingested = await send(stack, 'POST', '/v1/events', {
    token: ingester.token,
    body: { externalId, kind: 'ORDER_COMPLETED', sourceId: orderId, partnerId: seller, customerId: `customer-${index}`, completedAt: new Date().toISOString(), amount: '1000.00', currency },
  });
  expectStatus(`POST /v1/events ${externalId}`, ingested, 200, 201);
  record.eventIds.push(externalId);
  lifecycles.commission.finished += 1;
  count('commission event PROCESSED');

  const choice = index % 3;
  if (choice === 0) {
    lifecycles.refund.started += 1;
    const requester = pickAdmin('financial_support');
    const created = expectStatus(
      'POST /v1/refunds',
      await send(stack, 'POST', '/v1/refunds', { token: requester.token, key: `faults-${run}-refund-${orderId}`, body: { orderId, reason: 'PRODUCT_DEFECTIVE' } }),
      200,
      202,
    ).body;
    record.refundIds.push(created.id);
    const reject = index % 5 === 0;
    for (;;) {
      const refund = await read(stack, `/v1/refunds/${created.id}`, reader());
      if (refund.status !== 'PENDING') break;
      const approver = pickAdmin('finance_manager');
      const answer = await send(stack, 'POST', `/v1/refunds/${created.id}/${reject ? 'reject' : 'approve'}`, {
        token: approver.token,
        stepUp: approver,
        key: `faults-${run}-decide-${created.id}`,
        body: reject ? { reason: 'not eligible' } : {},
      });
      if (answer.status === 200) break;
      if (answer.status !== 409) throw new Error(`deciding refund ${created.id} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      await sleep(1_000);
    }
    const final = await waitFor(`refund ${created.id}`, () => read(stack, `/v1/refunds/${created.id}`, reader()), (view) => view.status === 'PROCESSED' || view.status === 'REJECTED', deadline);
    count(`refund ${final.status}`);
    lifecycles.refund.finished += 1;
  } else if (choice === 1) {
    lifecycles.chargeback.started += 1;
    const opener = pickAdmin('admin');
    const created = expectStatus(
      'POST /v1/chargebacks',
      await send(stack, 'POST', '/v1/chargebacks', {
        token: opener.token,
        key: `faults-${run}-chargeback-${orderId}`,
        body: { orderId, amount: '1000.00', currency, providerReference: `cb-${run}-${orderId}`, reasonCode: '10.4' },
      }),
      200,
      201,
    ).body;
    record.chargebackIds.push(created.id);
    const outcome = index % 2 === 0 ? 'WON' : 'LOST';
    for (;;) {
      const chargeback = await waitFor(`chargeback ${created.id} opened`, () => read(stack, `/v1/chargebacks/${created.id}`, reader()), (view) => view.reversed?.at !== null || view.decision !== null, deadline);
      if (chargeback.decision !== null) break;
      const decider = pickAdmin('finance_manager');
      const answer = await send(stack, 'POST', `/v1/chargebacks/${created.id}/decision`, { token: decider.token, stepUp: decider, key: `faults-${run}-decide-${created.id}`, body: { outcome } });
      if (answer.status === 200) break;
      if (answer.status !== 409) throw new Error(`deciding chargeback ${created.id} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      await sleep(1_000);
    }
    const final = await waitFor(`chargeback ${created.id}`, () => read(stack, `/v1/chargebacks/${created.id}`, reader()), (view) => view.decision !== null, deadline);
    count(`chargeback ${final.status}`);
    lifecycles.chargeback.finished += 1;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Setup: partners, money, admins (through the application's modules, before any fault).

async function seed(stack: Stack): Promise<{ payoutPartners: { id: string; token: string }[][]; sellers: string[] }> {
  const owner = new pg.Client({ connectionString: stack.ownerUrl });
  await owner.connect();
  const database = await createDatabase(applicationUrl(stack.ownerUrl), { maximumPoolSize: 4 });
  try {
    // 100 RUB per USD would be 0.01; with 0.011 a 100 USD payout is ≈ 9,091 RUB (one approver) and a 3,000 USD one
    // ≈ 272,727 RUB (a finance manager, then a senior admin).
    await owner.query(`INSERT INTO fx_rates (currency, effective_at, usd_rate, created_by) VALUES ('RUB', now() - interval '1 day', 0.011, 'faults')`);
    const sellers: string[] = [];
    for (let chain = 0; chain < orderLoops; chain += 1) {
      const ids = ['5', '3', '1'].map((_, level) => `f${run}c${chain}l${level}`);
      for (const [level, rank] of ['5', '3', '1'].entries()) {
        await owner.query(
          `INSERT INTO partners (id, name, sponsor_id, rank, status, kyc_status, joined_at) VALUES ($1, $1, $2, $3, 'ACTIVE', 'APPROVED', now() - interval '1 year')`,
          [ids[level], level === 0 ? null : ids[level - 1], rank],
        );
      }
      record.chainPartners.push(...ids);
      sellers.push(ids[2]!);
    }
    const identity = new IdentityStore(database, defaultPolicy);
    const payoutPartners: { id: string; token: string }[][] = Array.from({ length: payoutLoops }, () => []);
    const ledger = new LedgerStore(database);
    const funding = '100000.00';
    for (let index = 0; index < payoutLoops * partnersPerLoop; index += 1) {
      const id = `f${run}p${index}`;
      await owner.query(`INSERT INTO partners (id, name, rank, status, kyc_status, joined_at) VALUES ($1, $1, '3', 'ACTIVE', 'APPROVED', now() - interval '60 days')`, [id]);
      const email = `${id}@faults.invalid`;
      await identity.createUser({ email, password, role: 'partner', partnerId: id });
      await ledger.postEntry({
        idempotencyKey: `faults-opening-${id}`,
        kind: 'opening_balance',
        description: 'fault run opening balance',
        metadata: { partnerId: id },
        postings: [
          { account: { ownerType: 'platform', ownerId: 'platform', bucket: 'commission_expense', currency }, amount: new Money(funding).negated().toFixed(2) },
          { account: { ownerType: 'partner', ownerId: id, bucket: 'available', currency }, amount: funding },
        ],
      });
      record.fundedPartners.set(id, funding);
      const session = await signIn(stack, email);
      payoutPartners[index % payoutLoops]!.push({ id, token: session });
    }
    // Enough admins per role that a TOTP step (two codes per admin per 30 s) is rarely waited for.
    const perRole = Math.max(6, payoutLoops + orderLoops);
    for (const role of ['admin', 'senior_admin', 'finance_manager', 'financial_support'] as const) {
      const list: Admin[] = [];
      for (let index = 0; index < perRole; index += 1) {
        const email = `${role.replaceAll('_', '-')}-${index}-${run}@faults.invalid`;
        const user = await identity.createUser({ email, password, role });
        const admin: Admin = { id: user.id, email, role, totpSecret: user.totpSecret!, token: '', lastStep: -1 };
        admin.token = await signIn(stack, email, admin);
        list.push(admin);
      }
      admins.set(role, list);
    }
    let next = 0;
    const readers = admins.get('financial_support')!;
    pickReader = () => readers[next++ % readers.length]!.token;
    return { payoutPartners, sellers };
  } finally {
    await database.end();
    await owner.end();
  }
}

async function signIn(stack: Stack, email: string, admin?: Admin): Promise<string> {
  const response = await fetch(`${stack.apiUrl}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, ...(admin ? { totp: await nextCode(admin) } : {}) }),
  });
  const body = (await response.json()) as { token?: string };
  if (response.status !== 200 || !body.token) throw new Error(`sign-in of ${email} answered ${response.status}: ${JSON.stringify(body)}`);
  return body.token;
}

// ---------------------------------------------------------------------------------------------------------------
// After the load: every workflow closed or waiting, then the invariants.

interface WorkflowCensus {
  closed: number;
  waiting: number;
  neverStarted: number;
  busy: { kind: string; id: string; why: string }[];
}

/**
 * Every payout, refund and chargeback in the database (the run's and any a retry made without the driver knowing)
 * against its workflow: a row at its end has its workflow closed (or never started, for a request undone at once);
 * a row still open has its workflow running and waiting — for a person or a timer, no activity pending. Anything
 * else (an activity still failing, a workflow closed under an open row or running under a closed one) is stuck.
 */
async function workflowCensus(stack: Stack): Promise<WorkflowCensus> {
  const owner = new pg.Client({ connectionString: stack.ownerUrl });
  await owner.connect();
  let rows: { kind: string; id: string; status: string }[];
  try {
    rows = (await owner.query<{ kind: string; id: string; status: string }>(`
      SELECT 'payout' AS kind, id::text, status FROM payouts
      UNION ALL SELECT 'refund', id::text, status FROM refunds
      UNION ALL SELECT 'chargeback', id::text, status FROM chargebacks`)).rows;
  } finally {
    await owner.end();
  }
  const ended: Record<string, Set<string>> = {
    payout: new Set(['COMPLETED', 'REJECTED', 'CANCELLED', 'FAILED']),
    refund: new Set(['PROCESSED', 'REJECTED']),
    // A decided chargeback's workflow may go on waiting for the end of the seller's monitoring period.
    chargeback: new Set(),
  };
  const workflowId: Record<string, (id: string) => string> = { payout: payoutWorkflowId, refund: refundWorkflowId, chargeback: chargebackWorkflowId };
  const connection = await Connection.connect({ address: stack.temporalAddress });
  try {
    const client = new Client({ connection });
    const census: WorkflowCensus = { closed: 0, waiting: 0, neverStarted: 0, busy: [] };
    for (const row of rows) {
      const id = workflowId[row.kind]!(row.id);
      const atItsEnd = ended[row.kind]!.has(row.status);
      let description;
      try {
        description = await client.workflow.getHandle(id).describe();
      } catch (error) {
        if (error instanceof WorkflowNotFoundError && atItsEnd) {
          census.neverStarted += 1;
          continue;
        }
        census.busy.push({ kind: row.kind, id, why: `row ${row.status}, workflow ${(error as Error).message}` });
        continue;
      }
      const status = description.status.name;
      const pending = description.raw.pendingActivities ?? [];
      if (status === 'COMPLETED' && (atItsEnd || row.kind === 'chargeback')) census.closed += 1;
      else if (status === 'RUNNING' && pending.length === 0 && !atItsEnd) census.waiting += 1;
      else {
        const activities = pending.map((activity) => `${activity.activityType?.name} attempt ${activity.attempt}: ${activity.lastFailure?.message ?? ''}`).join('; ');
        census.busy.push({ kind: row.kind, id, why: `row ${row.status}, workflow ${status}${activities ? ` (${activities})` : ''}` });
      }
    }
    return census;
  } finally {
    await connection.close();
  }
}

async function main(): Promise<number> {
  const stack = await startStack();
  let passed = false;
  // Interrupted: stop the stack (the supervisor stops its children and servers), keep the data, exit.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stopping = true;
      log(`${signal}: stopping the stack; data kept in ${stack.dataDir}`);
      void stopStack(stack, true).finally(() => process.exit(130));
    });
  }
  try {
    log('seeding partners, balances and admins');
    const { payoutPartners, sellers } = await seed(stack);
    const loadEndsAt = Date.now() + loadMinutes * 60_000;
    let faultsEndedAt: number | undefined;
    // A lifecycle may take until the drain time after the faults ended to reach its end.
    const drainDeadline = () => (faultsEndedAt ?? Number.POSITIVE_INFINITY) + drainMinutes * 60_000;
    log(`load for ${loadMinutes} min: ${payoutLoops} payout loops, ${orderLoops} order loops; kills at least ${JSON.stringify(minimumKills)}`);

    const loops: Promise<void>[] = [];
    let loopsRunning = 0;
    /** Runs `body` for index 0, 1, … while lifecycles may start; `false` from it ends the loop early. */
    const loop = (name: string, body: (index: number) => Promise<boolean | void>) => {
      loopsRunning += 1;
      loops.push(
        (async () => {
          try {
            // Lifecycles start during the load window (and while required kills are still under way).
            for (let index = 0; !stopping && (Date.now() < loadEndsAt || faultsEndedAt === undefined); index += 1) {
              if ((await body(index)) === false) break;
            }
          } catch (error) {
            failures.push(`${name}: ${(error as Error).message}`);
            log(`${name} stopped: ${(error as Error).message}`);
          } finally {
            loopsRunning -= 1;
          }
        })(),
      );
    };
    // Each loop's partners in turn, `payoutsPerPartner` payouts each (the checklist holds a partner's sixth request
    // within 7 days: VELOCITY), the next partner at once after a HELD one (one active payout per wallet).
    payoutPartners.forEach((partners, loopIndex) => {
      let current = 0;
      let done = 0;
      loop(`payout loop ${loopIndex}`, async (index) => {
        const partner = partners[current];
        if (!partner) return false;
        const status = await payoutLifecycle(stack, partner, index, drainDeadline);
        done += 1;
        if (status === 'HELD' || done >= payoutsPerPartner) {
          current += 1;
          done = 0;
        }
      });
    });
    sellers.forEach((seller) => loop(`orders of ${seller}`, (index) => orderLifecycle(stack, seller, index, drainDeadline)));

    const progress = setInterval(() => {
      log(
        `kills ${JSON.stringify(kills)}; lifecycles ${Object.entries(lifecycles).map(([kind, n]) => `${kind} ${n.finished}/${n.started}`).join(', ')}; ` +
          `requests ${stats.requests} (${stats.answers5xx} 5xx, ${stats.networkErrors} unreachable, ${stats.inProgress409} in progress, retried ${stats.retried})`,
      );
    }, 30_000);
    try {
      await injectFaults(stack, loadEndsAt, () => loopsRunning === 0);
      faultsEndedAt = Date.now();
      log('faults done; letting the lifecycles in flight finish');
      await Promise.all(loops);
    } finally {
      clearInterval(progress);
      stopping = true;
    }

    log('waiting until every workflow is closed or waiting');
    let states = await workflowCensus(stack);
    const settleDeadline = Date.now() + 5 * 60_000;
    while (states.busy.length > 0 && Date.now() < settleDeadline) {
      await sleep(5_000);
      states = await workflowCensus(stack);
    }
    log('checking the ledger');
    const results = await checkInvariants(stack.ownerUrl, record);
    const violations = results.filter((result) => result.violations.length > 0);
    passed = violations.length === 0 && failures.length === 0 && states.busy.length === 0 &&
      kills.worker >= minimumKills.worker && kills.temporal >= minimumKills.temporal && kills.postgres >= minimumKills.postgres;

    const seconds = (list: number[]) => (list.length ? `recovered in ${Math.min(...list).toFixed(1)}–${Math.max(...list).toFixed(1)} s` : '');
    const lines = [
      '',
      `# Fault-injection run ${run}: ${passed ? 'PASS' : 'FAIL'}`,
      '',
      `${new Date().toISOString()} · ${loadMinutes} min of load, ${((Date.now() - startedAt) / 60_000).toFixed(1)} min in all · ${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(2)}`,
      '',
      '| kills survived | count | |',
      '|---|---:|---|',
      `| worker (SIGKILL of its process group; restarted by the supervisor) | ${kills.worker} | ${kills.worker - workerKillsDuringStartup.count} while polling, ${workerKillsDuringStartup.count} during its start-up; ${seconds(recovery.worker)} |`,
      `| Temporal dev server (SIGKILL; restarted on its SQLite file) | ${kills.temporal} | ${seconds(recovery.temporal)} |`,
      `| PostgreSQL (SIGKILL of the postmaster; restarted on its data directory) | ${kills.postgres} | ${seconds(recovery.postgres)} |`,
      '',
      '| lifecycle | started | finished |',
      '|---|---:|---:|',
      ...Object.entries(lifecycles).map(([kind, n]) => `| ${kind} | ${n.started} | ${n.finished} |`),
      '',
      `Outcomes: ${[...outcomes.entries()].sort().map(([outcome, n]) => `${outcome} ${n}`).join(', ')}.`,
      `Workflows (every payout, refund and chargeback row against its workflow): ${states.closed} closed, ${states.waiting} waiting for a person or a timer, ${states.neverStarted} never started (request undone at once), ${states.busy.length} stuck.`,
      `Requests: ${stats.requests} sent, ${stats.retried} retries (${stats.answers5xx} 5xx answers, ${stats.networkErrors} unreachable, ${stats.inProgress409} "in progress", ${stats.refusedCodes} TOTP codes refused and resent).`,
      '',
      '| invariant (independent SQL over postings) | checked | violations |',
      '|---|---:|---:|',
      ...results.map((result) => `| ${result.name} | ${result.checked} | ${result.violations.length} |`),
      '',
      ...violations.flatMap((result) => [`${result.name}:`, ...result.violations.map((row) => `  ${JSON.stringify(row)}`)]),
      ...states.busy.map((workflow) => `stuck ${workflow.kind} ${workflow.id}: ${workflow.why}`),
      ...failures.map((failure) => `driver: ${failure}`),
      `Command: npm run bench:faults -- --minutes ${loadMinutes}`,
    ];
    console.log(lines.join('\n'));
    await mkdir(path.join(repositoryRoot, 'bench', 'results'), { recursive: true });
    await writeFile(path.join(repositoryRoot, 'bench', 'results', 'faults.md'), `${lines.join('\n').trimStart()}\n`);
    if (!passed) console.error(`faults: data kept in ${stack.dataDir}; supervisor output tail:\n${stack.output.slice(-40).join('\n')}`);
  } catch (error) {
    console.error(`faults: ${(error as Error).stack ?? String(error)}`);
    console.error(`faults: supervisor output tail:\n${stack.output.slice(-40).join('\n')}`);
  } finally {
    stopping = true;
    await stopStack(stack, flags.keep || !passed);
  }
  return passed ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`faults: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
