import type { Database } from '../db/pool.ts';
import { applyChargebackPenalty, endChargebackMonitoring, type ApplyPenaltyInput } from '../modules/chargebacks/chargeback-penalty.ts';
import { decideChargeback, type DecideChargebackInput } from '../modules/chargebacks/decide-chargeback.ts';
import { escalateChargeback, recordChargebackStep, type RecordStepInput } from '../modules/chargebacks/investigate-chargeback.ts';
import { openChargeback, type OpenChargebackInput } from '../modules/chargebacks/open-chargeback.ts';
import type { LedgerStore } from '../modules/ledger/ledger-store.ts';
import { chargebackRefusedType } from '../workflows/chargeback-messages.ts';
import { refusing } from './refusals.ts';

/**
 * The chargeback lifecycle's activities (workflows/chargeback.ts) over modules/chargebacks: the reversal at open,
 * the penalty, the investigation's steps, the escalation, the outcome and the end of a monitoring period. A
 * refusal of the module is the workflow's ChargebackRefused.
 */
export function createChargebackActivities({ database, ledger }: { database: Database; ledger: LedgerStore }) {
  return {
    openChargeback: (input: OpenChargebackInput) => refusing(chargebackRefusedType, () => openChargeback({ database, ledger }, input)),
    applyChargebackPenalty: (input: ApplyPenaltyInput) => refusing(chargebackRefusedType, () => applyChargebackPenalty(database, input)),
    recordChargebackStep: (input: RecordStepInput) => refusing(chargebackRefusedType, () => recordChargebackStep(database, input)),
    escalateChargeback: (input: { chargebackId: string; escalation: number; decisionWait: string }) =>
      refusing(chargebackRefusedType, () => escalateChargeback(database, input)),
    decideChargeback: (input: DecideChargebackInput) => refusing(chargebackRefusedType, () => decideChargeback({ database, ledger }, input)),
    endChargebackMonitoring: (input: { chargebackId: string }) => refusing(chargebackRefusedType, () => endChargebackMonitoring(database, input)),
  };
}

export type ChargebackActivities = ReturnType<typeof createChargebackActivities>;
