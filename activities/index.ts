import type { Client } from '@temporalio/client';
import type { Database } from '../db/pool.ts';
import { createBonusActivities } from './bonus.ts';
import { createPayoutActivities, type PayoutProviderDependencies } from './payout.ts';
import { createCommissionActivities } from './commission-release.ts';
import { LedgerStore } from '../modules/ledger/ledger-store.ts';
import { PolicyStore } from '../modules/policy/policy-store.ts';
import { createPoolActivities } from './pools.ts';
import { createPayoutScheduleActivities } from './payout-schedule.ts';
import { createPayoutSweepActivities } from './payout-sweep.ts';
import { createNotificationActivities, type NotificationSmtp } from './notifications.ts';
import { createPartnerFlagActivities } from './partner-flags.ts';
import { createAdjustmentActivities } from './adjustments.ts';
import { createRefundActivities } from './refunds.ts';
import { createChargebackActivities } from './chargebacks.ts';
import { createDisputeActivities } from './disputes.ts';
import { createPayoutDeliveryActivities } from './payout-delivery.ts';
import { createPaymentFileActivities } from './payment-files.ts';
import { createReconciliationActivities } from './reconciliation.ts';
import { createPayRunActivities } from './pay-runs.ts';
import { createStatementActivities } from './statements.ts';
import { createReportActivities } from './reports.ts';
import { createAuditActivities } from './audits.ts';

/**
 * Every activity the worker hosts, built from its dependencies: the database pool and, for AUTOMATIC payout
 * methods, the payment provider (null: automatic payouts wait, retrying, until a worker with one runs them), and a
 * Temporal client for the activities that deliver one decision to many payouts (null: those wait, retrying).
 */
export function createActivities({
  database,
  provider = null,
  smtp = null,
  temporal = null,
}: {
  database: Database;
  provider?: PayoutProviderDependencies | null;
  smtp?: NotificationSmtp | null;
  temporal?: Client | null;
}) {
  const ledger = new LedgerStore(database);
  const policies = new PolicyStore(database);
  return {
    ...createBonusActivities({ ledger }),
    ...createCommissionActivities({ database, ledger }),
    ...createPoolActivities({ database, ledger, policies }),
    ...createPayoutActivities({ ledger, provider }),
    ...createPayoutScheduleActivities({ database, ledger, policies }),
    ...createPayoutSweepActivities({ database, policies }),
    ...createNotificationActivities({ database, smtp }),
    ...createPartnerFlagActivities({ database }),
    ...createAdjustmentActivities({ database, ledger }),
    ...createRefundActivities({ database, ledger }),
    ...createChargebackActivities({ database, ledger }),
    ...createDisputeActivities({ database, ledger }),
    ...createPayoutDeliveryActivities({ temporal }),
    ...createPaymentFileActivities({ database }),
    ...createReconciliationActivities({ database }),
    ...createPayRunActivities({ database, policies, temporal }),
    ...createStatementActivities({ database, provider: provider?.provider ?? null }),
    ...createReportActivities({ database }),
    ...createAuditActivities({ database }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
