import type { Database } from '../db/pool.ts';
import { createBonusActivities } from './bonus.ts';
import { createPayoutActivities } from './payout.ts';
import { createCommissionActivities } from './commission-release.ts';
import { LedgerStore } from './ledger-store.ts';
import { PolicyStore } from './policy-store.ts';
import { createPoolActivities } from './pools.ts';

/** Every activity the worker hosts, built from its dependencies (the database pool). */
export function createActivities({ database }: { database: Database }) {
  const ledger = new LedgerStore(database);
  const policies = new PolicyStore(database);
  return {
    ...createBonusActivities({ ledger }),
    ...createCommissionActivities({ database, ledger }),
    ...createPoolActivities({ database, ledger, policies }),
    ...createPayoutActivities({ ledger }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
