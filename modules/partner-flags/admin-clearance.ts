import type { Client } from '@temporalio/client';
import { sql } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import { DomainError } from '../../domain/errors.ts';
import type { PartnerFlag } from '../../domain/partner-flags.ts';
import { holdCauseClearedSignal, payoutWorkflowId } from '../../workflows/payout-messages.ts';
import { requirePartnerExists } from '../partners/partner-store.ts';
import { clearPartnerFlagById, heldPayoutIds, partnerFlags } from './partner-flags-store.ts';

/** Kinds an admin may clear by hand; the others end with the lifecycle that raised them. */
const clearableByAdmin = new Set<PartnerFlag['kind']>(['DEBT_LIMIT', 'ACCOUNT_REVIEW', 'CHARGEBACK_WARNING']);

const existingFlagRow = z.object({ kind: z.string(), cleared_at: z.date().nullable() });

/** A partner's flags, refused as not_found (`partnerId`) when there is no such partner. */
export async function listPartnerFlags(database: Database, partnerId: string, options: { activeOnly: boolean }): Promise<PartnerFlag[]> {
  await requirePartnerExists(database, partnerId);
  return partnerFlags(database, partnerId, options);
}

/**
 * Checks that an admin may clear this flag before anything is asked of them: it exists, is active, and is of a
 * kind no lifecycle owns (refusals name `flagId`).
 */
export async function checkFlagClearable(database: Database, flagId: string): Promise<void> {
  const existing = await database.maybeOne(sql.type(existingFlagRow)`SELECT kind, cleared_at FROM partner_flags WHERE id = ${flagId}`);
  if (!existing) throw new DomainError('not_found', 'not_found', `partner flag ${flagId} does not exist`, 'flagId');
  if (existing.cleared_at !== null) throw new DomainError('conflict', 'invalid_state', `partner flag ${flagId} was cleared already`, 'flagId');
  if (!clearableByAdmin.has(existing.kind as PartnerFlag['kind'])) {
    throw new DomainError('conflict', 'owned_by_lifecycle', `a ${existing.kind} flag ends with the lifecycle that raised it`, 'flagId');
  }
}

/**
 * Clears the flag (audited as PARTNER_UNFLAG) and tells each of the partner's HELD payouts to re-run its checklist
 * at once. The nudge is not a promise: a payout whose workflow closed meanwhile is skipped, and its timer re-check
 * remains. Answers the cleared flag and the payouts nudged.
 */
export async function clearFlagByAdmin(
  dependencies: { database: Database; temporal: Client },
  input: { flagId: string; actor: string; reason: string; ip: string | null },
): Promise<{ flag: PartnerFlag; nudgedPayouts: string[] }> {
  const { database, temporal } = dependencies;
  const flag = await database.transaction((transaction) => clearPartnerFlagById(transaction, input));
  if (!flag) throw new DomainError('conflict', 'invalid_state', `partner flag ${input.flagId} was cleared already`, 'flagId');
  const nudgedPayouts: string[] = [];
  for (const payoutId of await heldPayoutIds(database, flag.partnerId)) {
    try {
      await temporal.workflow.getHandle(payoutWorkflowId(payoutId)).signal(holdCauseClearedSignal, { reason: `flag ${flag.id} (${flag.kind}) cleared` });
      nudgedPayouts.push(payoutId);
    } catch {
      // closed or unknown: nothing to nudge
    }
  }
  return { flag, nudgedPayouts };
}
