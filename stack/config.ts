import path from 'node:path';
import { z } from 'zod';

/**
 * Every setting ledgerflow reads from the environment, validated once at start.
 * The README's configuration table is the user-facing copy of this schema.
 */
const booleanFlag = z
  .enum(['0', '1', 'true', 'false'])
  .transform((value) => value === '1' || value === 'true');

const port = z.coerce.number().int().min(1).max(65_535);

/** Where the embedded PostgreSQL runs from, as root, when its user cannot reach where it was asked to run. */
export const defaultPostgresFallbackDirectory = '/var/lib/ledgerflow';

export const configSchema = z.object({
  LEDGERFLOW_DATA_DIR: z.string().min(1).default('.data'),
  PORT: port.default(3000),
  DATABASE_URL: z.string().url().optional(),
  DATABASE_APP_URL: z.string().url().optional(),
  LEDGERFLOW_PG_PORT: port.default(54_329),
  /**
   * As root, where the embedded PostgreSQL runs from when its `postgres` user cannot reach the data directory or
   * node_modules (a private directory such as root's home): stack/postgres-location.ts.
   */
  LEDGERFLOW_PG_FALLBACK_DIR: z.string().min(1).default(defaultPostgresFallbackDirectory),
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS: booleanFlag.default('0'),
  TEMPORAL_TLS_CERT: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS_CA: z.string().min(1).optional(),
  TEMPORAL_CLI: z.string().min(1).optional(),
  TEMPORAL_DEV_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_UI_URL: z.string().url().optional(),
  LEDGERFLOW_TASK_QUEUE: z.string().min(1).default('ledgerflow'),
  LEDGERFLOW_DEMO: booleanFlag.default('1'),
  LEDGERFLOW_WORKER_LOG_LEVEL: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']).default('WARN'),
  /** `0`: this worker does not create or update the Temporal Schedules (tests; a second region). */
  LEDGERFLOW_SCHEDULES: booleanFlag.default('1'),
  /** The payment provider AUTOMATIC payout methods are paid through (the sandbox: `npm run sandbox-provider`). */
  LEDGERFLOW_PROVIDER_URL: z.string().url().optional(),
  /** The shared secret the provider signs its webhooks with (X-Sandbox-Signature). */
  LEDGERFLOW_PROVIDER_WEBHOOK_SECRET: z.string().min(1).optional(),
  /**
   * The reverse proxies in front of the API, comma-separated IPs or CIDR blocks (`127.0.0.1, 10.0.0.0/8`): only a
   * request from one of them has its X-Forwarded-For believed (api/client-address.ts). Unset: none.
   */
  LEDGERFLOW_TRUSTED_PROXIES: z.string().optional(),
  /**
   * Automatic payouts go to the provider in batches per method (providers/batcher.ts): a batch leaves when it holds
   * this many payouts or this many milliseconds after its first; a size of 1 sends each payout alone.
   */
  LEDGERFLOW_PROVIDER_BATCH_SIZE: z.coerce.number().int().min(1).max(500).default(100),
  LEDGERFLOW_PROVIDER_BATCH_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(100),
  /** The API's base URL as the provider reaches it, for webhook callbacks; default http://localhost:${PORT}. */
  LEDGERFLOW_PUBLIC_URL: z.string().url().optional(),
  /** The SMTP relay notifications are sent through, e.g. smtp://127.0.0.1:2525 (unset: they wait in the outbox). */
  LEDGERFLOW_SMTP_URL: z.string().url().optional(),
  /** The From address of notifications. */
  LEDGERFLOW_MAIL_FROM: z.string().min(1).default('ledgerflow <no-reply@localhost>'),
  /**
   * Without TEMPORAL_ADDRESS, what `npm start` runs Temporal as: `dev` (the CLI's dev server, one process, SQLite) or
   * `cluster` (stack/cluster.ts: the server's four services as processes, PostgreSQL persistence and SQL visibility),
   * with two workers and two API processes (PORT and PORT + 1).
   */
  LEDGERFLOW_TEMPORAL: z.enum(['dev', 'cluster']).default('dev'),
  /**
   * Worker versioning (docs/operations.md#safe-deploys): with both set, the worker joins the Worker Deployment
   * `LEDGERFLOW_DEPLOYMENT_NAME` as version `LEDGERFLOW_BUILD_ID`, and workflows it starts stay on that version
   * (PINNED) unless LEDGERFLOW_VERSIONING_BEHAVIOR says AUTO_UPGRADE. Unset: unversioned, as before.
   */
  LEDGERFLOW_DEPLOYMENT_NAME: z.string().min(1).max(200).optional(),
  LEDGERFLOW_BUILD_ID: z.string().min(1).max(200).optional(),
  LEDGERFLOW_VERSIONING_BEHAVIOR: z.enum(['PINNED', 'AUTO_UPGRADE']).default('PINNED'),
  /** host:port where the worker serves the Temporal SDK's metrics in Prometheus format (unset: not served). */
  LEDGERFLOW_WORKER_METRICS_ADDRESS: z.string().regex(/^[^:\s]+:\d{1,5}$/, 'host:port').optional(),
  /** When set, GET /metrics on the API answers only `Authorization: Bearer <this token>` (unset: open). */
  LEDGERFLOW_METRICS_TOKEN: z.string().min(16).optional(),
});

export type Config = z.infer<typeof configSchema> & { dataDir: string; publicUrl: string };

export class ConfigError extends Error {}

export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "unset", as they do in most shells' `FOO= cmd`.
  const present = Object.fromEntries(Object.entries(environment).filter(([, value]) => value !== ''));
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`invalid configuration: ${issue.path.join('.')}: ${issue.message}`);
  }
  return {
    ...parsed.data,
    dataDir: path.resolve(parsed.data.LEDGERFLOW_DATA_DIR),
    publicUrl: (parsed.data.LEDGERFLOW_PUBLIC_URL ?? `http://localhost:${parsed.data.PORT}`).replace(/\/+$/, ''),
  };
}

/** Paths inside the data directory; every embedded default keeps its state here. */
export function dataPaths(config: Pick<Config, 'dataDir'>) {
  return {
    postgres: path.join(config.dataDir, 'postgres'),
    temporalDatabase: path.join(config.dataDir, 'temporal.sqlite'),
    stackState: path.join(config.dataDir, 'stack.json'),
    logs: path.join(config.dataDir, 'logs'),
  };
}
