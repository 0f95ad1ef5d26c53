import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { sql } from 'slonik';
import type { Database } from '../../db/pool.ts';
import { DomainError } from '../../domain/errors.ts';
import { Money, formatMoney } from '../../domain/money.ts';
import type { PayoutActor } from '../../domain/payout.ts';
import type { PayoutPolicy } from '../../domain/payout-policy.ts';
import type { LedgerStore } from '../ledger/ledger-store.ts';
import type { PolicyStore } from '../policy/policy-store.ts';
import type { PayoutWorkflowPolicy, payoutWorkflow } from '../../workflows/payout.ts';
import { payoutWorkflowId, type PayoutRequest } from '../../workflows/payout-messages.ts';
import { payoutSearchAttributesAtStart } from '../../workflows/search-attributes.ts';
import { createPayoutSteps } from './payout-steps.ts';
import { payoutRecord, payoutRecordColumns, type PayoutRecord } from './payout-store.ts';

/**
 * Starting `payout-<id>` for a recorded request: at once from the API (`startPayoutOrUndo`), or later from the rows
 * (`startableRequests`) by the schedule's run and the sweep, whose workflows start the payouts as children.
 */

/** What starts `payout-<id>`: the request and the policy it was decided under. */
export interface PayoutStart {
  request: PayoutRequest;
  policy: PayoutWorkflowPolicy;
}

/** REQUESTED payouts ready to start: each request with its policy version, and the payouts policy of each version. */
export interface StartablePayouts {
  /** Requests of payouts still REQUESTED (their workflow may or may not have started). */
  requests: { request: PayoutRequest; policyVersion: number }[];
  /** The payouts policy of each version the requests name. */
  policies: Record<string, PayoutPolicy>;
}

/** Starts `payout-<id>` under the captured policy, with the search attributes and memo ops filter on. */
export async function startPayoutWorkflow(client: Client, taskQueue: string, request: PayoutRequest, policy: PayoutWorkflowPolicy): Promise<void> {
  await client.workflow.start<typeof payoutWorkflow>('payoutWorkflow', {
    workflowId: payoutWorkflowId(request.payoutId),
    taskQueue,
    args: [request, { version: policy.version, payouts: policy.payouts }],
    typedSearchAttributes: payoutSearchAttributesAtStart(request),
    memo: { summary: `Payout ${request.amount} ${request.currency} (fee ${request.fee}) to partner ${request.partnerId} via ${request.methodId}` }, // the status is the PayoutStatus search attribute
  });
}

/**
 * Starts `payout-<id>` from the API; tolerates one that already exists (a start whose answer was lost). When
 * Temporal cannot be reached and no workflow exists, the reservation is undone (CANCELLED, amount back) and the
 * caller is refused as `unavailable`; when Temporal's state is unknown the payout stays REQUESTED (`unavailable`
 * too) — a later start may follow.
 */
export async function startPayoutOrUndo(
  dependencies: { temporal: Client; taskQueue: string; ledger: LedgerStore },
  start: PayoutStart,
): Promise<void> {
  const { temporal, taskQueue, ledger } = dependencies;
  try {
    await startPayoutWorkflow(temporal, taskQueue, start.request, start.policy);
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return;
    try {
      await temporal.workflow.getHandle(payoutWorkflowId(start.request.payoutId)).describe();
      return;
    } catch (describeError) {
      if (!(describeError instanceof WorkflowNotFoundError)) {
        throw new DomainError('unavailable', 'temporal_unavailable', `Temporal is unreachable; payout ${start.request.payoutId} stays REQUESTED until its workflow starts`);
      }
    }
    await createPayoutSteps({ ledger }).releasePayoutReserve({
      payoutId: start.request.payoutId,
      outcome: 'CANCELLED',
      destination: 'available',
      actor: 'system:api',
      rejectionCode: null,
      failureCode: null,
      reason: 'the workflow could not be started',
    });
    throw new DomainError('unavailable', 'temporal_unavailable', 'Temporal is unreachable; the reservation was undone');
  }
}

/** The request `payout-<id>` was started with, rebuilt from its row (the schedule's run starts it later). */
export function payoutRequestFromRecord(row: PayoutRecord, processing: PayoutRequest['processing']): PayoutRequest {
  return {
    payoutId: row.id,
    partnerId: row.partner_id,
    methodId: row.method_id,
    processing,
    currency: row.currency,
    amount: formatMoney(row.amount, row.currency),
    fee: formatMoney(row.fee, row.currency),
    amountToTransfer: formatMoney(row.amount_to_transfer, row.currency),
    amountRub: row.amount_rub === null ? null : new Money(row.amount_rub).toFixed(2, Money.ROUND_UP),
    priority: row.priority,
    detailsHash: row.details_hash,
    requiredChain: row.required_chain as PayoutRequest['requiredChain'],
    initiatedBy: { userId: row.initiated_by, role: row.initiated_role } as PayoutActor,
  };
}

/** The requests `payout-<id>` is started with, rebuilt from REQUESTED rows, with the payouts policy of each version. */
export async function startableRequests(policyStore: PolicyStore, rows: PayoutRecord[]): Promise<StartablePayouts> {
  const policies: Record<string, PayoutPolicy> = {};
  const requests: StartablePayouts['requests'] = [];
  for (const row of rows) {
    const version = await policyStore.byVersion(row.policy_version);
    if (!version) throw new Error(`policy version ${row.policy_version} of payout ${row.id} does not exist`);
    policies[String(row.policy_version)] = version.policy.payouts;
    const method = version.policy.payouts.methods.find((candidate) => candidate.id === row.method_id);
    if (!method) throw new Error(`payout ${row.id}: method ${row.method_id} is not in policy version ${row.policy_version}`);
    requests.push({ request: payoutRequestFromRecord(row, method.processing), policyVersion: row.policy_version });
  }
  return { requests, policies };
}

/**
 * The payout sweep's page: payouts still REQUESTED some time after they were requested. A request is recorded
 * (reserve, row, audit) before its workflow is started; when the start's outcome is unknown (Temporal unreachable at
 * that moment, the API killed between commit and start) the row is all there is, and the sweep starts `payout-<id>`
 * from it. A payout whose workflow does run is REQUESTED only while its checklist has not finished, so
 * `olderThanSeconds` keeps the sweep off those; starting one anyway is refused by Temporal (REJECT_DUPLICATE).
 */
export async function requestedPayoutsWithoutProgress(
  dependencies: { database: Database; policies: PolicyStore },
  input: { olderThanSeconds: number; after: string | null; limit: number },
): Promise<StartablePayouts & { next: string | null }> {
  const rows = await dependencies.database.any(sql.type(payoutRecord)`
    SELECT ${payoutRecordColumns} FROM payouts
    WHERE status = 'REQUESTED' AND coalesce(requested_at, created_at) < now() - make_interval(secs => ${input.olderThanSeconds})
      AND id > ${input.after ?? '00000000-0000-0000-0000-000000000000'}::uuid
    ORDER BY id LIMIT ${input.limit + 1}`);
  const page = rows.slice(0, input.limit);
  return { ...(await startableRequests(dependencies.policies, page)), next: rows.length > input.limit ? page.at(-1)!.id : null };
}
