import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import type { DisputeActor, DisputeRequest, DisputeType } from '../../domain/dispute.ts';
import { DomainError } from '../../domain/errors.ts';
import { Money } from '../../domain/money.ts';
import type { Policy } from '../../domain/policy.ts';
import type { disputeWorkflow } from '../../workflows/dispute.ts';
import { disputeWorkflowId } from '../../workflows/dispute-messages.ts';
import { partnerIdKey, statusKey } from '../../workflows/search-attributes.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';
import type { PolicyStore } from '../policy/policy-store.ts';
import { appendEvent, disputeColumns, disputeRow, insertEvidence, loadDispute, systemActor, type DisputeRow, type EvidenceInput } from './dispute-store.ts';

/**
 * A partner's dispute of one of their own transactions (docs/rules.md#disputes), or an admin's on their behalf: recorded
 * with any evidence given with it, then its workflow `dispute-<id>` started, which takes the decision tree's first
 * step.
 */

const transactionRow = z.object({ at: z.date(), amount: z.string().nullable(), currency: z.string().nullable() });
/** A commission never reversed has no reversal time. */
const commissionTransactionRow = transactionRow.extend({ at: z.date().nullable() });

/**
 * The disputed transaction, only when it is the partner's own (null otherwise, so another partner's reference is
 * indistinguishable from one that does not exist): a commission (its event's completion, or its creation for pool
 * and manual commissions), a reversal of one of their commissions (when it was reversed), a payout (when it was
 * requested), a rank change (when it took effect).
 */
export async function findDisputedTransaction(
  connection: CommonQueryMethods,
  input: { partnerId: string; type: DisputeType; transactionRef: string },
): Promise<z.infer<typeof transactionRow> | null> {
  const ref = input.transactionRef;
  switch (input.type) {
    case 'COMMISSION':
    case 'REVERSAL': {
      if (!/^\d{1,18}$/.test(ref)) return null;
      const row = await connection.maybeOne(sql.type(commissionTransactionRow)`
        SELECT ${input.type === 'COMMISSION' ? sql.fragment`coalesce(e.completed_at, c.created_at)` : sql.fragment`c.reversed_at`} AS at,
               ${input.type === 'COMMISSION' ? sql.fragment`c.amount::text` : sql.fragment`c.reversed_amount::text`} AS amount, c.currency
        FROM commissions c LEFT JOIN commission_events e ON e.id = c.event_id
        WHERE c.id = ${ref} AND c.partner_id = ${input.partnerId}`);
      if (!row) return null;
      // A reversal dispute names a commission something reversed (in full or in part).
      if (row.at === null || (input.type === 'REVERSAL' && !new Money(row.amount ?? '0').gt(0))) return null;
      return { ...row, at: row.at };
    }
    case 'PAYOUT': {
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ref)) return null;
      return connection.maybeOne(sql.type(transactionRow)`
        SELECT created_at AS at, amount::text AS amount, currency FROM payouts
        WHERE id = ${ref} AND partner_id = ${input.partnerId} AND status <> 'DRAFT'`);
    }
    case 'RANK': {
      if (!/^\d{1,18}$/.test(ref)) return null;
      return connection.maybeOne(sql.type(transactionRow)`
        SELECT effective_at AS at, NULL::text AS amount, NULL::text AS currency FROM partner_changes
        WHERE id = ${ref} AND partner_id = ${input.partnerId} AND field = 'rank'`);
    }
  }
}

export interface RecordDisputeInput {
  disputeId: string;
  partnerId: string;
  type: DisputeType;
  transactionRef: string;
  description: string;
  evidence: EvidenceInput | null;
  openedBy: DisputeActor;
  ip: string | null;
  policyVersion: number;
}

/**
 * Records a dispute in the caller's transaction: the transaction must be the partner's own (404 naming
 * `body.transactionRef` otherwise), the evidence given with it stored, the OPENED step on the timeline, audited as
 * DISPUTE_OPEN. The workflow takes the decision tree's first step.
 */
export async function recordDispute(transaction: CommonQueryMethods, input: RecordDisputeInput): Promise<DisputeRow> {
  const found = await findDisputedTransaction(transaction, input);
  if (!found) {
    throw new DomainError('not_found', 'unknown_transaction', `partner ${input.partnerId} has no ${input.type.toLowerCase()} transaction ${input.transactionRef}`, 'body.transactionRef');
  }
  const row = await transaction.one(sql.type(disputeRow)`
    INSERT INTO disputes (id, partner_id, type, transaction_ref, transaction_at, transaction_amount, transaction_currency, description,
                          status, opened_by, opened_role, policy_version)
    VALUES (${input.disputeId}, ${input.partnerId}, ${input.type}, ${input.transactionRef}, ${sql.timestamp(found.at)}, ${found.amount},
            ${found.amount === null ? null : found.currency}, ${input.description}, 'OPEN', ${input.openedBy.userId}, ${input.openedBy.role},
            ${input.policyVersion})
    RETURNING ${disputeColumns}`);
  const evidence = input.evidence ? await insertEvidence(transaction, { disputeId: input.disputeId, evidence: input.evidence, userId: input.openedBy.userId }) : null;
  await appendEvent(transaction, {
    disputeId: input.disputeId, stepKey: 'opened', kind: 'OPENED', statusAfter: 'OPEN', note: input.description, actor: input.openedBy, evidenceId: evidence?.id ?? null,
  });
  await appendAuditRecord(transaction, {
    action: 'DISPUTE_OPEN', actor: input.openedBy.userId, targetType: 'dispute', targetId: input.disputeId,
    amount: found.amount, currency: found.amount === null ? null : found.currency, reason: input.description.slice(0, 500), ip: input.ip,
    details: {
      partnerId: input.partnerId, type: input.type, transactionRef: input.transactionRef, transactionAt: found.at.toISOString(),
      openedRole: input.openedBy.role, evidenceId: evidence?.id ?? null,
    },
  });
  return row;
}

/** A dispute whose workflow could not be started is closed at once (REJECTION, saying why): nothing else happened. */
export async function abandonDispute(transaction: CommonQueryMethods, disputeId: string, reason: string): Promise<void> {
  const row = await loadDispute(transaction, disputeId, { forUpdate: true });
  if (!row || row.status !== 'OPEN') return;
  await transaction.query(sql.unsafe`
    UPDATE disputes SET status = 'CLOSED', resolution = 'REJECTION', resolution_note = ${reason}, closed_at = now() WHERE id = ${disputeId}`);
  await appendEvent(transaction, { disputeId, stepKey: 'abandoned', kind: 'CLOSED', statusAfter: 'CLOSED', resolution: 'REJECTION', note: reason, actor: systemActor });
  await appendAuditRecord(transaction, {
    action: 'DISPUTE_UPDATE', actor: 'system:dispute', targetType: 'dispute', targetId: disputeId, reason, details: { abandoned: true },
  });
}

/** Starts `dispute-<id>` for a recorded dispute, as fileDispute does and the demo data set does. */
export async function startDisputeWorkflow(temporal: Client, taskQueue: string, row: DisputeRow, policy: Policy, openedBy: string): Promise<void> {
  const request: DisputeRequest = { disputeId: row.id, partnerId: row.partner_id, type: row.type, transactionRef: row.transaction_ref, openedBy };
  await temporal.workflow.start<typeof disputeWorkflow>('disputeWorkflow', {
    workflowId: disputeWorkflowId(row.id), taskQueue,
    args: [request, { version: policy.version, disputes: policy.disputes }],
    typedSearchAttributes: [{ key: partnerIdKey, value: row.partner_id }, { key: statusKey, value: 'OPEN' }],
    memo: { summary: `Dispute ${row.type} ${row.transaction_ref} of ${row.partner_id}` },
  });
}

/**
 * Records a dispute under the active policy and starts its workflow. When Temporal cannot take it, the dispute is
 * closed at once (abandonDispute) and the refusal says it was not opened.
 */
export async function fileDispute(
  dependencies: { database: Database; policies: PolicyStore; temporal: Client; taskQueue: string },
  input: Omit<RecordDisputeInput, 'disputeId' | 'policyVersion'>,
): Promise<DisputeRow> {
  const { database, policies, temporal, taskQueue } = dependencies;
  const { policy } = await policies.active();
  const disputeId = randomUUID();
  const row = await database.transaction((transaction) => recordDispute(transaction, { ...input, disputeId, policyVersion: policy.version }));
  try {
    await startDisputeWorkflow(temporal, taskQueue, row, policy, input.openedBy.userId);
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) {
      await database.transaction((transaction) => abandonDispute(transaction, disputeId, 'the workflow could not be started'));
      throw new DomainError('unavailable', 'temporal_unavailable', 'Temporal is unreachable; the dispute was not opened');
    }
  }
  return row;
}
