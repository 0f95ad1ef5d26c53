import {
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { PayRunActivities } from '../activities/pay-runs.ts';
import type { createPayoutDeliveryActivities } from '../activities/payout-delivery.ts';
import { isTerminalPayRunStatus } from '../domain/pay-run.ts';
import {
  approveGroupUpdate,
  approveRunUpdate,
  excludeItemsUpdate,
  fundsDeclaredSignal,
  getPayRunQuery,
  rejectPayRunUpdate,
  type PayRunInput,
  type PayRunState,
} from './pay-run-messages.ts';
import { statusKey } from './search-attributes.ts';

type DeliveryActivities = ReturnType<typeof createPayoutDeliveryActivities>;

/** The schedule's run checks this many times (every few seconds) for payouts still in their checklist, then goes on without them. */
const maxPreparationChecks = 120;

/** Events in one run of the workflow before it continues as new. */
const maxHistoryEvents = 2_000;

/** After this many chunks in one run of the workflow it continues as new, so a 10,000-item run's history stays small. */
const chunksPerHistory = 20;

/**
 * `pay-run-<id>` (docs/rules.md#pay-runs). Waits for decisions (the API recorded them, item by item), and for the
 * run-level approval when the run's total needs one; delivers each decision to its items' `payout-<id>` in chunks
 * through `deliverPayoutUpdates` (each update keyed by run, decision and payout, so a chunk retried after a worker
 * died approves nothing twice), a method+currency group whose declared funds fall short waiting while the others go;
 * then follows its payouts' statuses on a timer until every one is closed. With the policy's `fanOut: 'signal'`
 * (design 2) one activity per decision (`approveAndWakeDecision`) approves its funded items in the database chunk by
 * chunk, each chunk in one set-based transaction whose retry approves nothing twice, and wakes each approved payout
 * with a `payRunApproved` signal; a policy without `fanOut` (runs started before it) delivers by update. All item state lives in the database, so
 * the workflow carries only its queue of decisions across continue-as-new.
 */
export async function payRunWorkflow(input: PayRunInput): Promise<PayRunState> {
  const activities = proxyActivities<PayRunActivities>({
    // Short database steps: a worker that died mid-step is noticed after 30 s at most.
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
  });
  const delivery = proxyActivities<DeliveryActivities & Pick<PayRunActivities, 'approveAndWakeDecision'>>({
    // A chunk heartbeats after every payout it reaches: a worker that died mid-chunk is noticed within 10 s, and the
    // chunk is delivered again (what was accepted answers with its first outcome).
    startToCloseTimeout: '15 minutes',
    heartbeatTimeout: '10 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
  });
  const state: PayRunState = {
    runId: input.runId,
    status: input.carried?.status ?? (input.policy ? 'AWAITING_APPROVAL' : 'PREPARING'),
    queue: [...(input.carried?.queue ?? [])],
    runApproved: input.carried?.runApproved ?? !(input.runApprovalRequired ?? true),
    waitingForFunds: [],
    chunksDelivered: input.carried?.chunksDelivered ?? 0,
    byPayoutStatus: {},
  };
  let wake = false;
  let chunksThisHistory = 0;
  let published = '';
  const publish = () => {
    const summary = `Pay run ${state.runId}: ${state.status}; ${state.queue.length} decisions to deliver; ${state.chunksDelivered} chunks delivered`
      + `${state.waitingForFunds.length > 0 ? `; waiting for funds: ${state.waitingForFunds.map((group) => `${group.methodId}/${group.currency}`).join(', ')}` : ''}`
      + `${Object.keys(state.byPayoutStatus).length > 0 ? `; payouts ${Object.entries(state.byPayoutStatus).map(([status, count]) => `${status} ${count}`).join(', ')}` : ''}`;
    if (summary === published) return;
    const statusChanged = !published.startsWith(`Pay run ${state.runId}: ${state.status};`);
    published = summary;
    if (statusChanged) upsertSearchAttributes([{ key: statusKey, value: state.status }]);
    upsertMemo({ summary });
  };
  const terminal = () => state.status !== 'PREPARING' && isTerminalPayRunStatus(state.status);

  setHandler(getPayRunQuery, () => state);
  setHandler(
    approveGroupUpdate,
    ({ decisionId }) => {
      if (!state.queue.includes(decisionId)) state.queue.push(decisionId);
      wake = true;
      return { queued: state.queue.length };
    },
    { validator: (_input) => { if (terminal()) throw new Error(`the pay run is ${state.status}`); } },
  );
  setHandler(
    approveRunUpdate,
    () => {
      state.runApproved = true;
      wake = true;
      return { runApproved: true };
    },
    { validator: (_input) => { if (terminal()) throw new Error(`the pay run is ${state.status}`); } },
  );
  setHandler(excludeItemsUpdate, ({ payoutIds }) => {
    wake = true;
    return { excluded: payoutIds.length };
  });
  setHandler(rejectPayRunUpdate, () => {
    wake = true;
    return { rejected: true };
  });
  setHandler(fundsDeclaredSignal, () => {
    wake = true;
  });

  publish();
  let policy = input.policy;
  let runApprovalRequired = input.runApprovalRequired ?? true;
  // The schedule's run: waits (bounded) for its date's payouts to leave REQUESTED, then the run row is created.
  for (let attempt = 1; policy === undefined; attempt += 1) {
    const prepared = await activities.prepareScheduledPayRun({ runId: state.runId, paymentDate: input.prepare!.paymentDate, force: attempt > maxPreparationChecks });
    if (prepared.ready) {
      policy = prepared.policy;
      runApprovalRequired = prepared.runApprovalRequired;
      state.runApproved = state.runApproved || !runApprovalRequired;
      state.status = 'AWAITING_APPROVAL';
      publish();
    } else {
      await sleep(`${prepared.pollSeconds} seconds`);
    }
  }
  for (;;) {
    // Waiting (for approvals, funds or payouts) polls on a timer: the history is handed on before it grows large.
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > maxHistoryEvents) break;
    const decisionId = state.queue[0];
    if (decisionId !== undefined && state.runApproved && policy.fanOut === 'signal') {
      // Design 2: the decision's funded items approved chunk by chunk and woken by signals, in one activity.
      if (state.status !== 'DELIVERING') {
        state.status = (await activities.syncPayRun({ runId: state.runId, delivering: true })).status;
        publish();
      }
      const result = await delivery.approveAndWakeDecision({
        runId: state.runId, decisionId, chunkSize: policy.chunkSize, concurrency: policy.concurrency, requireDeclaredFunds: policy.requireDeclaredFunds,
      });
      state.chunksDelivered += result.chunks;
      state.waitingForFunds = result.waiting;
      if (result.remaining === 0) {
        state.queue.shift();
        continue;
      }
      // What is left waits for funds: re-checked when funds are declared, or on the timer.
      publish();
      await condition(() => wake, `${policy.progressPollSeconds} seconds`);
      wake = false;
      continue;
    }
    if (decisionId !== undefined && state.runApproved) {
      const next = await activities.nextPayRunDeliveries({ runId: state.runId, decisionId, limit: policy.chunkSize, requireDeclaredFunds: policy.requireDeclaredFunds });
      state.waitingForFunds = next.waiting;
      if (next.remaining === 0) {
        state.queue.shift();
        continue;
      }
      if (next.deliveries.length > 0) {
        if (state.status !== 'DELIVERING') {
          state.status = (await activities.syncPayRun({ runId: state.runId, delivering: true })).status;
          publish();
        }
        // Design 1 (and every run started before `fanOut` existed): one `approve` update per payout.
        const outcomes = await delivery.deliverPayoutUpdates({ deliveries: next.deliveries, concurrency: policy.concurrency });
        await activities.recordPayRunDeliveries({ runId: state.runId, decisionId, outcomes });
        state.chunksDelivered += 1;
        chunksThisHistory += 1;
        publish();
        if (chunksThisHistory >= chunksPerHistory) break;
        continue;
      }
      // Everything left of this decision waits for funds: re-checked when funds are declared, or on the timer.
      publish();
      await condition(() => wake, `${policy.progressPollSeconds} seconds`);
      wake = false;
      continue;
    }
    const synced = await activities.syncPayRun({ runId: state.runId, delivering: false });
    // What the database knows and a lost message did not say: a recorded decision, a run-level approval.
    const missed = (synced.undeliveredDecisions ?? []).filter((id) => !state.queue.includes(id));
    if (missed.length > 0 || (synced.runApproved === true && !state.runApproved)) {
      state.queue.push(...missed);
      state.runApproved ||= synced.runApproved === true;
      continue;
    }
    state.status = synced.status;
    state.byPayoutStatus = synced.byPayoutStatus;
    state.waitingForFunds = [];
    publish();
    if (terminal()) break;
    // A message that arrived while the activities ran has set `wake`: it is handled at once.
    await condition(() => wake, `${policy.progressPollSeconds} seconds`);
    wake = false;
  }
  await condition(allHandlersFinished);
  if (!terminal()) {
    return continueAsNew<typeof payRunWorkflow>({
      runId: input.runId,
      policy,
      runApprovalRequired,
      carried: { queue: state.queue, runApproved: state.runApproved, status: state.status === 'PREPARING' ? 'AWAITING_APPROVAL' : state.status, chunksDelivered: state.chunksDelivered },
    });
  }
  return state;
}
