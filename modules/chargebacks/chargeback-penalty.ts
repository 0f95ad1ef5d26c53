import { sql } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import { permissions } from '../../domain/access.ts';
import { penaltyFor, type ChargebackPenalty } from '../../domain/chargeback.ts';
import type { ChargebackPolicy } from '../../domain/lifecycle-policy.ts';
import { DomainError } from '../../domain/errors.ts';
import { durationMs } from '../../domain/policy.ts';
import { NetworkInputError, NetworkStore } from '../network/network-store.ts';
import { enqueueNotification } from '../notifications/outbox.ts';
import { clearPartnerFlags, raisePartnerFlag } from '../partner-flags/partner-flags-store.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';
import { lockedChargeback } from './chargeback-store.ts';

export interface ApplyPenaltyInput {
  chargebackId: string;
  penalties: ChargebackPolicy['penalties'];
  monitoringPeriod: string;
}

export interface AppliedPenalty {
  penalty: ChargebackPenalty | null;
  partnerId: string | null;
  partnerSequence: number | null;
  /** MONITORING: when it ends (ISO); the workflow's timer clears the flag then. */
  monitoringEndsAt: string | null;
  suspended: boolean;
}

/**
 * The penalty matrix in docs/rules.md#chargeback-penalties for the seller's Nth chargeback (N counted at open), once per chargeback: WARNING
 * (CHARGEBACK_WARNING), MONITORING (CHARGEBACK_MONITORING until `monitoringPeriod` ends: the workflow's timer
 * clears it), ACCOUNT_REVIEW (a flag that holds payouts until an admin clears it: suspension pending review),
 * SUSPENSION (the partner's status becomes SUSPENDED, recorded as a partner change). The partner is told
 * (CHARGEBACK_PENALTY) and it is audited (CHARGEBACK_PENALTY) in the transaction that raises the flag; the status
 * change follows in its own (NetworkStore.recordChange), and a retry that finds the partner SUSPENDED does nothing.
 */
export async function applyChargebackPenalty(database: Database, input: ApplyPenaltyInput): Promise<AppliedPenalty> {
  const applied = await database.transaction(async (transaction) => {
    const chargeback = await lockedChargeback(transaction, input.chargebackId);
    if (chargeback.partner_id === null || chargeback.partner_sequence === null) {
      return { penalty: null, partnerId: null, partnerSequence: null, monitoringEndsAt: null };
    }
    if (chargeback.penalty_applied_at !== null) {
      return { penalty: chargeback.penalty, partnerId: chargeback.partner_id, partnerSequence: chargeback.partner_sequence, monitoringEndsAt: chargeback.monitoring_ends_at?.toISOString() ?? null };
    }
    const penalty = penaltyFor(chargeback.partner_sequence, input.penalties);
    const partnerId = chargeback.partner_id;
    const count = chargeback.partner_sequence;
    const about = `chargeback number ${count} (${chargeback.provider_reference} on order ${chargeback.order_id})`;
    let monitoringEndsAt: Date | null = null;
    let text: string;
    if (penalty === 'WARNING') {
      await raisePartnerFlag(transaction, { partnerId, kind: 'CHARGEBACK_WARNING', sourceType: 'chargeback', sourceId: chargeback.id, reason: `warning: ${about}`, actor: 'system:chargeback' });
      text = `This is a warning: a chargeback was opened on your order ${chargeback.order_id}. Further chargebacks lead to monitoring, an account review and suspension.`;
    } else if (penalty === 'MONITORING') {
      const now = await transaction.oneFirst(sql.type(z.object({ now: z.date() }))`SELECT now() AS now`);
      monitoringEndsAt = new Date(now.getTime() + durationMs(input.monitoringPeriod));
      await raisePartnerFlag(transaction, {
        partnerId, kind: 'CHARGEBACK_MONITORING', sourceType: 'chargeback', sourceId: chargeback.id,
        reason: `monitoring for ${input.monitoringPeriod}: ${about}`, actor: 'system:chargeback', expiresAt: monitoringEndsAt,
      });
      text = `Your account is under enhanced monitoring until ${monitoringEndsAt.toISOString()} after ${about}.`;
    } else if (penalty === 'ACCOUNT_REVIEW') {
      await raisePartnerFlag(transaction, { partnerId, kind: 'ACCOUNT_REVIEW', sourceType: 'chargeback', sourceId: chargeback.id, reason: `account review (suspension pending review): ${about}`, actor: 'system:chargeback' });
      text = `Your account is under review, with suspension pending the review, after ${about}. Your payouts are held until the review is closed.`;
      await enqueueNotification(transaction, {
        dedupeKey: `chargeback-penalty:${chargeback.id}:admins`,
        kind: 'CHARGEBACK_PENALTY',
        recipient: { kind: 'admin_role', roles: permissions['flags.clear'] },
        subject: `Partner ${partnerId}: account review after ${count} chargebacks`,
        text: `Partner ${partnerId} had ${about}. An ACCOUNT_REVIEW flag holds their payouts until an admin clears it (POST /v1/partner-flags/{id}/clear), or suspends them.`,
      });
    } else if (penalty === 'SUSPENSION') {
      text = `Your account is suspended after ${about}.`;
    } else {
      text = '';
    }
    await transaction.query(sql.unsafe`
      UPDATE chargebacks SET penalty = ${penalty}, penalty_applied_at = now(),
             monitoring_ends_at = ${monitoringEndsAt ? sql.timestamp(monitoringEndsAt) : null}
      WHERE id = ${chargeback.id}`);
    if (penalty !== null) {
      await appendAuditRecord(transaction, {
        action: 'CHARGEBACK_PENALTY', actor: 'system:chargeback', targetType: 'partner', targetId: partnerId, reason: penalty,
        details: { chargebackId: chargeback.id, count, penalty, monitoringEndsAt: monitoringEndsAt?.toISOString() ?? null },
      });
      await enqueueNotification(transaction, {
        dedupeKey: `chargeback-penalty:${chargeback.id}`,
        kind: 'CHARGEBACK_PENALTY',
        recipient: { kind: 'partner', partnerId },
        subject: `Chargeback penalty: ${penalty.replace('_', ' ').toLowerCase()}`,
        text,
      });
    }
    return { penalty, partnerId, partnerSequence: count, monitoringEndsAt: monitoringEndsAt?.toISOString() ?? null };
  });
  let suspended = false;
  if (applied.penalty === 'SUSPENSION' && applied.partnerId !== null) {
    const status = await database.maybeOneFirst(sql.type(z.object({ status: z.string() }))`SELECT status FROM partners WHERE id = ${applied.partnerId}`);
    // A TERMINATED partner stays terminated; one SUSPENDED already (a retry, or an admin) needs nothing.
    if (status !== 'SUSPENDED' && status !== 'TERMINATED') {
      try {
        await new NetworkStore(database).recordChange({
          partnerId: applied.partnerId, field: 'status', value: 'SUSPENDED', actor: 'system:chargeback',
          reason: `chargeback penalty: chargeback number ${applied.partnerSequence} (${input.chargebackId})`,
        });
      } catch (error) {
        if (!(error instanceof NetworkInputError && error.code === 'no_change')) {
          // Any other refusal of the network is not the chargeback refusing: the step fails and is tried again.
          throw error instanceof DomainError ? new Error(`the suspension could not be recorded: ${error.message}`, { cause: error }) : error;
        }
      }
    }
    suspended = true;
  }
  return { ...applied, suspended };
}

/** The monitoring period ended (the workflow's durable timer): the CHARGEBACK_MONITORING flag is cleared, once. */
export async function endChargebackMonitoring(database: Database, input: { chargebackId: string }): Promise<{ cleared: number }> {
  return database.transaction(async (transaction) => {
    const chargeback = await lockedChargeback(transaction, input.chargebackId);
    if (chargeback.monitoring_ended_at !== null || chargeback.partner_id === null) return { cleared: 0 };
    const cleared = await clearPartnerFlags(transaction, {
      sourceType: 'chargeback', sourceId: chargeback.id, kind: 'CHARGEBACK_MONITORING', actor: 'system:chargeback', reason: 'monitoring period ended',
    });
    await transaction.query(sql.unsafe`UPDATE chargebacks SET monitoring_ended_at = now() WHERE id = ${chargeback.id}`);
    await appendAuditRecord(transaction, {
      action: 'CHARGEBACK_PENALTY', actor: 'system:chargeback', targetType: 'partner', targetId: chargeback.partner_id, reason: 'MONITORING ended',
      details: { chargebackId: chargeback.id, penalty: 'MONITORING', ended: true, flagsCleared: cleared.map((flag) => flag.id) },
    });
    await enqueueNotification(transaction, {
      dedupeKey: `chargeback-monitoring-ended:${chargeback.id}`,
      kind: 'CHARGEBACK_PENALTY',
      recipient: { kind: 'partner', partnerId: chargeback.partner_id },
      subject: 'Enhanced monitoring of your account has ended',
      text: `The monitoring period that followed chargeback ${chargeback.provider_reference} on order ${chargeback.order_id} has ended.`,
    });
    return { cleared: cleared.length };
  });
}
