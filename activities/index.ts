import type { Database } from '../db/pool.ts';
import { createBonusActivities } from './bonus.ts';
import { LedgerStore } from './ledger-store.ts';

/** Every activity the worker hosts, built from its dependencies (the database pool). */
export function createActivities({ database }: { database: Database }) {
  const ledger = new LedgerStore(database);
  return {
    ...createBonusActivities({ ledger }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
