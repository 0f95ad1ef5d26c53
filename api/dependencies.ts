import { Client, Connection } from '@temporalio/client';
import { CommissionEngine } from '../modules/commissions/ingest-events.ts';
import { LedgerStore } from '../modules/ledger/ledger-store.ts';
import { PolicyStore } from '../modules/policy/policy-store.ts';
import { defaultPolicy } from '../domain/policy.ts';
import { pingDatabase, type Database } from '../db/pool.ts';
import { IdentityStore } from '../modules/identity/identity.ts';
import { PasswordHasher, type ScryptCost } from '../modules/identity/password.ts';
import type { ApiDependencies } from './context.ts';
import { parseTrustedProxies } from './client-address.ts';

/** A worker counts as up when it has polled the task queue this recently (long polls last about a minute). */
const workerPollWindowMilliseconds = 75_000;

export function createApiDependencies(input: {
  database: Database;
  temporalConnection: Connection;
  namespace: string;
  taskQueue: string;
  temporalUiUrl: string | null;
  /** The provider's webhook signing secret; null: POST /v1/webhooks/provider refuses every delivery. */
  providerWebhookSecret?: string | null;
  /** LEDGERFLOW_TRUSTED_PROXIES: addresses and CIDR blocks whose X-Forwarded-For is believed; none by default. */
  trustedProxies?: string | null;
  /** The scrypt cost of new password hashes; OWASP's recommended one unless a test passes a cheap one. */
  passwordCost?: ScryptCost;
}): ApiDependencies {
  const { database, temporalConnection, namespace, taskQueue } = input;
  const temporal = new Client({ connection: temporalConnection, namespace });
  const ledger = new LedgerStore(database);
  const policies = new PolicyStore(database);
  return {
    database,
    identity: new IdentityStore(database, defaultPolicy, { passwords: new PasswordHasher(input.passwordCost) }),
    ledger,
    policies,
    engine: new CommissionEngine(database, ledger, policies),
    temporal,
    policy: defaultPolicy,
    taskQueue,
    namespace,
    temporalUiUrl: input.temporalUiUrl,
    providerWebhookSecret: input.providerWebhookSecret ?? null,
    trustedProxies: parseTrustedProxies(input.trustedProxies),
    health: {
      async postgres() {
        await pingDatabase(database);
      },
      async temporal() {
        await temporalConnection.workflowService.getSystemInfo({});
      },
      async worker() {
        const response = await temporalConnection.workflowService.describeTaskQueue({
          namespace,
          taskQueue: { name: taskQueue, kind: 1 },
          taskQueueType: 1,
        });
        const now = Date.now();
        const recent = (response.pollers ?? []).some((poller) => {
          const seconds = Number(poller.lastAccessTime?.seconds ?? 0);
          return now - seconds * 1_000 < workerPollWindowMilliseconds;
        });
        if (!recent) throw new Error(`no worker is polling task queue ${taskQueue}`);
      },
    },
  };
}
