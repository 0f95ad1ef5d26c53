import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Database } from '../../db/pool.ts';
import type { BonusDecisionActor, BonusRequest } from '../../domain/bonus.ts';
import { DomainError } from '../../domain/errors.ts';
import { amountNeedsChecker } from '../../domain/four-eyes.ts';
import { Money } from '../../domain/money.ts';
import { defaultPolicy, type Policy } from '../../domain/policy.ts';
import { partnerExists } from '../partners/partner-store.ts';
import { amountInRub } from '../policy/fx-rates.ts';
import type { BonusPolicy, bonusWorkflow } from '../../workflows/bonus.ts';
import { approveBonusUpdate, bonusWorkflowId, rejectBonusUpdate, type BonusState } from '../../workflows/bonus-messages.ts';
import { amountKey, currencyKey, partnerIdKey, statusKey } from '../../workflows/search-attributes.ts';
import {
  findBonus, findBonusByIdempotencyKey, markBonusFailed, recordBonusRequest, reopenUnstartedBonus, workflowNotStarted, type BonusRow,
} from './bonus-store.ts';

/** Starts `bonus-<id>` under the given (active) policy, with the search attributes and memo ops filter and read in the Temporal UI. */
export async function startBonusWorkflow(
  client: Client,
  taskQueue: string,
  request: BonusRequest,
  policy: Pick<Policy, 'version' | 'bonuses'> & Partial<Pick<Policy, 'fourEyes'>> = defaultPolicy,
): Promise<void> {
  const captured: BonusPolicy = { version: policy.version, bonuses: policy.bonuses, ...(policy.fourEyes ? { fourEyes: policy.fourEyes } : {}) };
  await client.workflow.start<typeof bonusWorkflow>('bonusWorkflow', {
    workflowId: bonusWorkflowId(request.bonusId),
    taskQueue,
    args: [request, captured],
    typedSearchAttributes: [
      { key: partnerIdKey, value: request.partnerId },
      // A Double search attribute is for filtering in the Temporal UI only; the money is the string.
      { key: amountKey, value: new Money(request.amount).toNumber() },
      { key: currencyKey, value: request.currency },
      { key: statusKey, value: request.approval ? 'AWAITING_APPROVAL' : 'PENDING' },
    ],
    memo: { summary: `Bonus ${request.amount} ${request.currency} to partner ${request.partnerId}: ${request.reason}` },
  });
}

const notStarted = () => new DomainError('unavailable', 'temporal_unavailable', 'Temporal is unreachable; nothing was posted');

/** The request a stored bonus row was started with (the row is the source of truth on a retry). */
function requestOf(row: BonusRow, input: { ip: string | null; checkerRoles: BonusDecisionActor['role'][] }): BonusRequest {
  return {
    bonusId: row.id, partnerId: row.partner_id, amount: row.amount, currency: row.currency, reason: row.reason,
    actorUserId: row.created_by, ip: input.ip,
    ...(row.needs_approval ? { approval: { checkerRoles: input.checkerRoles, amountRub: row.amount_rub } } : {}),
  };
}

/**
 * A bonus as an admin requests it: recorded (with its audit record) for a partner that exists, then `bonus-<id>`
 * started to post it — at once below the four-eyes threshold, after a second person's approval above it
 * (docs/rules.md#four-eyes).
 *
 * With an Idempotency-Key the row decides, not the response (docs/decisions.md, "Bonus idempotency"): the key is
 * stored on the bonus, and a retry with it finds that bonus and starts `bonus-<same id>` again, which Temporal
 * refuses as a duplicate when the first start did reach it; the posting itself is keyed by the bonus. So however
 * often a client retries after a 503, one bonus exists and it posts once. The same key with another bonus is refused.
 */
export async function requestBonus(
  { database, temporal, taskQueue, policy }: { database: Database; temporal: Client; taskQueue: string; policy: BonusPolicy & Partial<Pick<Policy, 'fourEyes'>> },
  request: Omit<BonusRequest, 'approval'>,
  options: { idempotencyKey?: string | null } = {},
): Promise<BonusRow> {
  const fourEyes = policy.fourEyes ?? defaultPolicy.fourEyes;
  const checkerRoles = [...fourEyes.moneyCheckerRoles];
  const key = options.idempotencyKey ?? null;
  const existing = key ? await findBonusByIdempotencyKey(database, request.actorUserId, key) : null;
  let row: BonusRow;
  let startRequest: BonusRequest;
  if (existing) {
    const same = existing.partner_id === request.partnerId && existing.currency === request.currency
      && new Money(existing.amount).eq(request.amount) && existing.reason === request.reason;
    if (!same) throw new DomainError('unprocessable', 'idempotency_key_reused', 'this Idempotency-Key was used for another bonus', 'Idempotency-Key');
    await reopenUnstartedBonus(database, existing.id);
    row = (await findBonus(database, existing.id))!;
    startRequest = requestOf(row, { ip: request.ip, checkerRoles });
    if (row.status !== 'PENDING' && row.status !== 'AWAITING_APPROVAL') return row;
  } else {
    row = await database.transaction(async (transaction) => {
      if (!(await partnerExists(transaction, request.partnerId))) {
        throw new DomainError('unprocessable', 'partner_not_found', `partner ${request.partnerId} does not exist`, 'body.partnerId');
      }
      const amountRub = await amountInRub(transaction, request.amount, request.currency);
      const needsChecker = amountNeedsChecker({ amount: request.amount, currency: request.currency, amountRub }, fourEyes.bonusAboveRub, fourEyes);
      startRequest = { ...request, ...(needsChecker ? { approval: { checkerRoles, amountRub } } : {}) };
      return recordBonusRequest(transaction, startRequest, { idempotencyKey: key, amountRub });
    });
    startRequest = requestOf(row, { ip: request.ip, checkerRoles });
  }
  try {
    await startBonusWorkflow(temporal, taskQueue, startRequest, policy);
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return row;
    // The start may have reached the server even though its answer did not reach us.
    try {
      await temporal.workflow.getHandle(bonusWorkflowId(row.id)).describe();
      return row;
    } catch (describeError) {
      // Unknown whether it started: the row stays, and a retry with the same key settles it.
      if (!(describeError instanceof WorkflowNotFoundError)) throw notStarted();
    }
    await markBonusFailed(database, row.id, workflowNotStarted);
    throw notStarted();
  }
  return row;
}

/** Sends a checker's decision to `bonus-<id>`; it answers once the bonus is posted (approved) or recorded rejected. */
export async function decideBonus(
  temporal: Client,
  bonusId: string,
  decision: 'APPROVED' | 'REJECTED',
  input: { actor: BonusDecisionActor; reason: string | null; ip: string | null },
): Promise<BonusState> {
  const handle = temporal.workflow.getHandle<typeof bonusWorkflow>(bonusWorkflowId(bonusId));
  return handle.executeUpdate(decision === 'APPROVED' ? approveBonusUpdate : rejectBonusUpdate, { args: [input] });
}
