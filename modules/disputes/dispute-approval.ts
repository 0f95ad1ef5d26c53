import type { Client } from '@temporalio/client';
import { sql } from 'slonik';
import type { Database } from '../../db/pool.ts';
import type { DisputeActor, DisputeResolutionInput, DisputeState } from '../../domain/dispute.ts';
import type { disputeWorkflow } from '../../workflows/dispute.ts';
import { approveDisputeResolutionUpdate, disputeWorkflowId, rejectDisputeResolutionUpdate, type DecideDisputeResolutionInput } from '../../workflows/dispute-messages.ts';
import { amountNeedsChecker, type CheckerNeeded } from '../../domain/four-eyes.ts';
import type { FourEyesPolicy } from '../../domain/lifecycle-policy.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';
import { amountInRub } from '../policy/fx-rates.ts';
import { lockedDispute } from './dispute-store.ts';

/**
 * Four eyes on dispute credits (docs/rules.md#four-eyes): a CORRECTION or GOODWILL above the policy's threshold is
 * not posted on its maker's word. The dispute's workflow keeps it pending until a second person of the listed roles
 * (never the maker; financial support resolving on a partner's behalf is the maker) approves or rejects it; these
 * steps record that on the dispute's row and in the audit log.
 */

/** What the dispute's workflow needs to hold a resolution for a second person. */
export type DisputeFourEyes = CheckerNeeded;

/** Whether a money-moving resolution needs a second person, judged at the rates in force now; null when it does not. */
export async function disputeFourEyes(
  database: Database,
  resolution: Pick<DisputeResolutionInput, 'resolution' | 'amount' | 'currency'>,
  policy: Pick<FourEyesPolicy, 'disputeCreditAboveRub' | 'aboveByCurrency' | 'moneyCheckerRoles'>,
): Promise<DisputeFourEyes | null> {
  if ((resolution.resolution !== 'CORRECTION' && resolution.resolution !== 'GOODWILL') || !resolution.amount || !resolution.currency) return null;
  const amountRub = await amountInRub(database, resolution.amount, resolution.currency);
  if (!amountNeedsChecker({ amount: resolution.amount, currency: resolution.currency, amountRub }, policy.disputeCreditAboveRub, policy)) return null;
  return { amountRub, checkerRoles: [...policy.moneyCheckerRoles] };
}

/** The resolution is held for a second person: on the row (what the API shows) and in the audit log. */
export async function holdDisputeResolution(
  database: Database,
  input: { disputeId: string; maker: DisputeActor; resolution: DisputeResolutionInput; fourEyes: DisputeFourEyes; ip: string | null },
): Promise<void> {
  await database.transaction(async (transaction) => {
    const row = await lockedDispute(transaction, input.disputeId);
    if (row.pending_resolution) return;
    const pending = {
      maker: { userId: input.maker.userId, role: input.maker.role }, resolution: input.resolution.resolution, errorKind: input.resolution.errorKind ?? null,
      amount: input.resolution.amount ?? null, currency: input.resolution.currency ?? null, amountRub: input.fourEyes.amountRub,
      note: input.resolution.note, checkerRoles: input.fourEyes.checkerRoles, requestedAt: new Date().toISOString(),
    };
    await transaction.query(sql.unsafe`UPDATE disputes SET pending_resolution = ${sql.jsonb(pending)} WHERE id = ${row.id}`);
    await appendAuditRecord(transaction, {
      action: 'DISPUTE_UPDATE', actor: input.maker.userId, targetType: 'dispute', targetId: row.id,
      amount: pending.amount, currency: pending.currency, reason: `${pending.resolution} waits for a second person`, ip: input.ip,
      details: { partnerId: row.partner_id, fourEyes: 'REQUESTED', amountRub: pending.amountRub, checkerRoles: pending.checkerRoles, role: input.maker.role },
    });
  });
}

/** A checker's decision on the held resolution: the row forgets it (an approval is then posted by the resolution step). */
export async function recordDisputeApprovalDecision(
  database: Database,
  input: { disputeId: string; decision: 'APPROVED' | 'REJECTED'; actor: DisputeActor; reason: string | null; ip: string | null },
): Promise<void> {
  await database.transaction(async (transaction) => {
    const row = await lockedDispute(transaction, input.disputeId);
    const pending = row.pending_resolution;
    if (!pending) return;
    await transaction.query(sql.unsafe`UPDATE disputes SET pending_resolution = NULL WHERE id = ${row.id}`);
    await appendAuditRecord(transaction, {
      action: input.decision === 'APPROVED' ? 'DISPUTE_APPROVE' : 'DISPUTE_REJECT', actor: input.actor.userId, targetType: 'dispute', targetId: row.id,
      amount: pending.amount, currency: pending.currency, reason: input.reason, ip: input.ip,
      details: { partnerId: row.partner_id, maker: pending.maker.userId, resolution: pending.resolution, amountRub: pending.amountRub, role: input.actor.role },
    });
  });
}

/** Sends a second person's decision to `dispute-<id>`; it answers once an approved resolution is posted. */
export async function sendDisputeApprovalDecision(
  temporal: Client, disputeId: string, decision: 'APPROVED' | 'REJECTED', input: DecideDisputeResolutionInput,
): Promise<DisputeState> {
  const handle = temporal.workflow.getHandle<typeof disputeWorkflow>(disputeWorkflowId(disputeId));
  return handle.executeUpdate(decision === 'APPROVED' ? approveDisputeResolutionUpdate : rejectDisputeResolutionUpdate, { args: [input] });
}
