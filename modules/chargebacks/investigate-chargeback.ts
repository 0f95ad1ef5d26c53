import type { Client } from '@temporalio/client';
import { sql } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import { isDecided, type ChargebackActor, type ChargebackState, type ChargebackStep } from '../../domain/chargeback.ts';
import type { chargebackWorkflow } from '../../workflows/chargeback.ts';
import { chargebackWorkflowId, recordChargebackStepUpdate, type ChargebackStepInput } from '../../workflows/chargeback-messages.ts';
import { enqueueNotification } from '../notifications/outbox.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';
import { chargebackManagers, lockedChargeback, money } from './chargeback-store.ts';

/**
 * The investigation of a chargeback (docs/rules.md#chargebacks): its steps (evidence gathered, submitted to the provider,
 * awaiting decision), sent by an admin to `chargeback-<id>` and recorded once by its activity, and the escalation
 * of a decision overdue.
 */

/** Sends an admin's step to the chargeback's workflow, which checks it against the current stage. */
export async function sendChargebackStep(temporal: Client, chargebackId: string, step: ChargebackStepInput): Promise<ChargebackState> {
  const handle = temporal.workflow.getHandle<typeof chargebackWorkflow>(chargebackWorkflowId(chargebackId));
  return handle.executeUpdate(recordChargebackStepUpdate, { args: [step] });
}

export interface RecordStepInput {
  chargebackId: string;
  sequence: number;
  step: ChargebackStep;
  note: string | null;
  actor: ChargebackActor;
}

/** An investigation step, once per (chargeback, sequence): the workflow numbers them. Audited CHARGEBACK_UPDATE. */
export async function recordChargebackStep(database: Database, input: RecordStepInput): Promise<{ recordedAt: string }> {
  return database.transaction(async (transaction) => {
    const chargeback = await lockedChargeback(transaction, input.chargebackId);
    const inserted = await transaction.maybeOne(sql.type(z.object({ recorded_at: z.date() }))`
      INSERT INTO chargeback_steps (chargeback_id, sequence, step, note, recorded_by)
      VALUES (${chargeback.id}, ${input.sequence}, ${input.step}, ${input.note}, ${input.actor.userId})
      ON CONFLICT (chargeback_id, sequence) DO NOTHING RETURNING recorded_at`);
    if (!inserted) {
      const recordedAt = await transaction.oneFirst(sql.type(z.object({ recorded_at: z.date() }))`
        SELECT recorded_at FROM chargeback_steps WHERE chargeback_id = ${chargeback.id} AND sequence = ${input.sequence}`);
      return { recordedAt: recordedAt.toISOString() };
    }
    if (!isDecided(chargeback.status)) await transaction.query(sql.unsafe`UPDATE chargebacks SET status = ${input.step} WHERE id = ${chargeback.id}`);
    await appendAuditRecord(transaction, {
      action: 'CHARGEBACK_UPDATE', actor: input.actor.userId, targetType: 'chargeback', targetId: chargeback.id, reason: input.step,
      ip: input.actor.ip ?? null,
      details: { sequence: input.sequence, step: input.step, note: input.note, role: input.actor.role },
    });
    return { recordedAt: inserted.recorded_at.toISOString() };
  });
}

/** No decision within policy.chargebacks.decisionWait: the admins are told again (once per escalation). */
export async function escalateChargeback(database: Database, input: { chargebackId: string; escalation: number; decisionWait: string }): Promise<void> {
  await database.transaction(async (transaction) => {
    const chargeback = await lockedChargeback(transaction, input.chargebackId);
    if (chargeback.escalations >= input.escalation || isDecided(chargeback.status)) return;
    await transaction.query(sql.unsafe`
      UPDATE chargebacks SET escalations = ${input.escalation}, last_escalated_at = now() WHERE id = ${chargeback.id}`);
    await appendAuditRecord(transaction, {
      action: 'CHARGEBACK_UPDATE', actor: 'system:chargeback', targetType: 'chargeback', targetId: chargeback.id, reason: 'escalated: no decision',
      details: { escalation: input.escalation, decisionWait: input.decisionWait, status: chargeback.status },
    });
    await enqueueNotification(transaction, {
      dedupeKey: `chargeback-escalated:${chargeback.id}:${input.escalation}`,
      kind: 'CHARGEBACK_OPENED',
      recipient: { kind: 'admin_role', roles: chargebackManagers },
      subject: `Escalated: chargeback ${chargeback.provider_reference} on order ${chargeback.order_id} has no decision`,
      text: `Chargeback ${chargeback.id} (${money(chargeback.amount, chargeback.currency)}, opened ${chargeback.opened_at.toISOString()}) is ${chargeback.status} `
        + `and has had no decision for ${input.escalation} × ${input.decisionWait}. Follow it up with the provider and record the outcome.`,
    });
  });
}
