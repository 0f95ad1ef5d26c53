import { sql } from 'slonik';
import type { Database } from '../../db/pool.ts';
import { isOutOfWindow, type DisputeStatus } from '../../domain/dispute.ts';
import { durationMs } from '../../domain/policy.ts';
import { enqueueNotification } from '../notifications/outbox.ts';
import { raisePartnerFlag } from '../partner-flags/partner-flags-store.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';
import { clearDisputeFlags, describeDispute, disputeFlagSource, disputeReviewers, disputeTypeName } from './dispute-holds.ts';
import { appendEvent, disputeEvidence, lockedDispute, systemActor } from './dispute-store.ts';

/**
 * The steps `dispute-<id>` takes on its own (docs/rules.md#dispute-decision-tree, the decision tree in docs/rules.md#dispute-decision-tree): the first decision (out of
 * window, information requested, review), closing a dispute no evidence arrived for, and closing an explained one
 * whose escalation window passed. Each is recorded once, so a retried activity changes nothing twice.
 */

export interface OpenedDispute {
  decision: 'OUT_OF_WINDOW' | 'NEEDS_INFORMATION' | 'REVIEW';
  status: DisputeStatus;
  evidenceCount: number;
}

/**
 * The decision tree's first questions, once (a retry returns what was decided): a transaction older than the
 * window (measured to the filing) is rejected at once; otherwise the partner's OPEN_DISPUTE flag is raised and
 * financial support told, and the dispute waits for information (no evidence) or goes to review.
 */
export async function openDispute(database: Database, input: { disputeId: string; window: string; informationWait: string }): Promise<OpenedDispute> {
  return database.transaction(async (transaction) => {
    const row = await lockedDispute(transaction, input.disputeId);
    const evidenceCount = (await disputeEvidence(transaction, row.id)).length;
    if (row.status !== 'OPEN') {
      const decision = row.automatic_reason === 'OUT_OF_WINDOW' ? 'OUT_OF_WINDOW' : row.status === 'INFORMATION_REQUESTED' ? 'NEEDS_INFORMATION' : 'REVIEW';
      return { decision, status: row.status, evidenceCount };
    }
    if (isOutOfWindow(row.transaction_at, row.opened_at, durationMs(input.window))) {
      const note = `A dispute is accepted within ${input.window} of its transaction; this one (${row.transaction_at.toISOString()}) was filed ${row.opened_at.toISOString()}.`;
      await transaction.query(sql.unsafe`
        UPDATE disputes SET status = 'CLOSED', resolution = 'REJECTION', resolution_note = ${note}, automatic_reason = 'OUT_OF_WINDOW', closed_at = now()
        WHERE id = ${row.id}`);
      await appendEvent(transaction, { disputeId: row.id, stepKey: 'out-of-window', kind: 'RESOLUTION', statusAfter: 'CLOSED', resolution: 'REJECTION', note, actor: systemActor });
      await appendAuditRecord(transaction, {
        action: 'DISPUTE_RESOLVE', actor: systemActor.userId, targetType: 'dispute', targetId: row.id, reason: 'REJECTION: outside the dispute window',
        details: { partnerId: row.partner_id, resolution: 'REJECTION', automaticReason: 'OUT_OF_WINDOW', window: input.window, transactionAt: row.transaction_at.toISOString() },
      });
      await enqueueNotification(transaction, {
        dedupeKey: `dispute-resolved:${row.id}:out-of-window`, kind: 'DISPUTE_RESOLVED', recipient: { kind: 'partner', partnerId: row.partner_id },
        subject: 'Your dispute was rejected: outside the dispute window',
        text: `We could not accept ${describeDispute(row)}: disputes are accepted within ${input.window} of the transaction.`,
      });
      return { decision: 'OUT_OF_WINDOW', status: 'CLOSED', evidenceCount };
    }
    await raisePartnerFlag(transaction, {
      partnerId: row.partner_id, kind: 'OPEN_DISPUTE', ...disputeFlagSource(row.id), reason: `dispute ${row.id} (${row.type} ${row.transaction_ref}) is open`, actor: systemActor.userId,
    });
    const status: DisputeStatus = evidenceCount === 0 ? 'INFORMATION_REQUESTED' : 'UNDER_REVIEW';
    if (status === 'INFORMATION_REQUESTED') {
      const dueAt = new Date(Date.now() + durationMs(input.informationWait));
      await transaction.query(sql.unsafe`
        UPDATE disputes SET status = 'INFORMATION_REQUESTED', information_due_at = ${sql.timestamp(dueAt)} WHERE id = ${row.id}`);
      await appendEvent(transaction, {
        disputeId: row.id, stepKey: 'information-requested', kind: 'INFORMATION_REQUESTED', statusAfter: status, actor: systemActor,
        note: `no supporting evidence: send it within ${input.informationWait}`,
      });
      await enqueueNotification(transaction, {
        dedupeKey: `dispute-information:${row.id}`, kind: 'DISPUTE_INFORMATION_REQUESTED', recipient: { kind: 'partner', partnerId: row.partner_id },
        subject: 'Your dispute needs supporting evidence',
        text: `To review ${describeDispute(row)} we need supporting evidence (a description of what is wrong, a document or a screenshot). `
          + `Send it by ${dueAt.toISOString()}; without it the dispute closes then.`,
      });
    } else {
      await transaction.query(sql.unsafe`UPDATE disputes SET status = 'UNDER_REVIEW' WHERE id = ${row.id}`);
      await appendEvent(transaction, { disputeId: row.id, stepKey: 'under-review', kind: 'UNDER_REVIEW', statusAfter: status, actor: systemActor });
    }
    await appendAuditRecord(transaction, {
      action: 'DISPUTE_UPDATE', actor: systemActor.userId, targetType: 'dispute', targetId: row.id, reason: status,
      details: { partnerId: row.partner_id, status, evidenceCount, informationWait: status === 'INFORMATION_REQUESTED' ? input.informationWait : null },
    });
    await enqueueNotification(transaction, {
      dedupeKey: `dispute-opened:${row.id}`, kind: 'DISPUTE_OPENED', recipient: { kind: 'admin_role', roles: [...disputeReviewers] },
      subject: `Dispute opened: ${row.type} ${row.transaction_ref} of partner ${row.partner_id}`,
      text: `Partner ${row.partner_id} disputes ${disputeTypeName(row.type)} ${row.transaction_ref}: ${row.description}\n`
        + (status === 'INFORMATION_REQUESTED' ? 'No evidence yet: the partner was asked for it.' : 'Evidence attached: ready for review.'),
    });
    return { decision: status === 'INFORMATION_REQUESTED' ? 'NEEDS_INFORMATION' : 'REVIEW', status, evidenceCount };
  });
}

/** No evidence by the deadline: the dispute closes itself (REJECTION, no information) and the hold ends. */
export async function closeDisputeWithoutInformation(database: Database, input: { disputeId: string; informationWait: string }): Promise<{ status: DisputeStatus; closed: boolean }> {
  return database.transaction(async (transaction) => {
    const row = await lockedDispute(transaction, input.disputeId);
    if (row.status !== 'INFORMATION_REQUESTED') return { status: row.status, closed: row.automatic_reason === 'NO_INFORMATION' };
    const note = `No supporting evidence arrived within ${input.informationWait}.`;
    await transaction.query(sql.unsafe`
      UPDATE disputes SET status = 'CLOSED', resolution = 'REJECTION', resolution_note = ${note}, automatic_reason = 'NO_INFORMATION', closed_at = now()
      WHERE id = ${row.id}`);
    await appendEvent(transaction, { disputeId: row.id, stepKey: 'no-information', kind: 'RESOLUTION', statusAfter: 'CLOSED', resolution: 'REJECTION', note, actor: systemActor });
    await appendAuditRecord(transaction, {
      action: 'DISPUTE_RESOLVE', actor: systemActor.userId, targetType: 'dispute', targetId: row.id, reason: 'REJECTION: no information',
      details: { partnerId: row.partner_id, resolution: 'REJECTION', automaticReason: 'NO_INFORMATION', informationWait: input.informationWait },
    });
    await clearDisputeFlags(transaction, row, systemActor.userId, 'dispute closed: no information');
    await enqueueNotification(transaction, {
      dedupeKey: `dispute-resolved:${row.id}:no-information`, kind: 'DISPUTE_RESOLVED', recipient: { kind: 'partner', partnerId: row.partner_id },
      subject: 'Your dispute was closed: no information',
      text: `${describeDispute(row)[0]!.toUpperCase()}${describeDispute(row).slice(1)} was closed: ${note}`,
    });
    return { status: 'CLOSED', closed: true };
  });
}

/** The escalation window after an explanation ended without a request: the dispute closes (EXPLANATION). */
export async function closeExplainedDispute(database: Database, input: { disputeId: string; escalationWindow: string }): Promise<{ status: DisputeStatus }> {
  return database.transaction(async (transaction) => {
    const row = await lockedDispute(transaction, input.disputeId);
    if (row.status !== 'EXPLAINED') return { status: row.status };
    await transaction.query(sql.unsafe`UPDATE disputes SET status = 'CLOSED', closed_at = now() WHERE id = ${row.id}`);
    await appendEvent(transaction, {
      disputeId: row.id, stepKey: 'explanation-accepted', kind: 'CLOSED', statusAfter: 'CLOSED', resolution: 'EXPLANATION', actor: systemActor,
      note: `no escalation asked for within ${input.escalationWindow}`,
    });
    await appendAuditRecord(transaction, {
      action: 'DISPUTE_UPDATE', actor: systemActor.userId, targetType: 'dispute', targetId: row.id, reason: 'closed: explanation stands',
      details: { partnerId: row.partner_id, resolution: 'EXPLANATION', escalationWindow: input.escalationWindow },
    });
    return { status: 'CLOSED' };
  });
}
