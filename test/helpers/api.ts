import { randomBytes, randomUUID } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { sql } from 'slonik';
import { inject } from 'vitest';
import { z } from 'zod';
import { createApp } from '../../api/app.ts';
import type { ApiDependencies } from '../../api/context.ts';
import { createApiDependencies } from '../../api/dependencies.ts';
import { totpCode, totpStep, totpStepSeconds } from '../../modules/identity/totp.ts';
import type { AdminRole } from '../../domain/access.ts';
import { createDatabase, type Database } from '../../db/pool.ts';
import { createTestDatabase, type TestDatabase, type TestServer } from './database.ts';

/** The tables a refused request must leave untouched. */
export const writtenTables = ['partners', 'bonuses', 'journal_entries', 'postings', 'audit_records', 'api_idempotency'] as const;
export type WrittenTable = (typeof writtenTables)[number];

export interface TestAdmin {
  id: string;
  email: string;
  password: string;
  role: AdminRole;
  totpSecret: string;
  /**
   * The highest TOTP step handed out for this admin. The server accepts each step once only, so every code this
   * harness generates is for a later step than the last one (whether or not the server consumed it).
   */
  lastTotpStep: number | null;
}

export interface TestPartnerUser {
  id: string;
  email: string;
  password: string;
  partnerId: string;
}

export interface ApiRequestOptions {
  method?: string;
  token?: string | null;
  /** Sent as JSON unless it is a string, which is sent as it is (for malformed bodies). */
  body?: unknown;
  headers?: Record<string, string>;
  /** The socket peer the server sees (as Bun's server.requestIP would report it); none by default. */
  peer?: string;
}

export interface ApiHarness {
  app: ReturnType<typeof createApp>;
  dependencies: ApiDependencies;
  /** The application's pool (role ledgerflow_app), as the API itself uses it. */
  database: Database;
  /** A superuser pool on the same database, for arranging and asserting. */
  owner: Database;
  testDatabase: TestDatabase;
  taskQueue: string;
  request(path: string, options?: ApiRequestOptions): Promise<Response>;
  createPartner(input?: { id?: string; name?: string }): Promise<string>;
  createAdmin(role?: AdminRole): Promise<TestAdmin>;
  createPartnerUser(partnerId?: string): Promise<TestPartnerUser>;
  /** A TOTP code for a step this admin has not used yet (waits for the next step when both allowed ones are spent). */
  nextTotp(admin: TestAdmin): Promise<string>;
  signIn(user: TestAdmin | TestPartnerUser): Promise<string>;
  countRows(): Promise<Record<WrittenTable, number>>;
  /** Workflow ids the test started, terminated by close() because no worker runs them. */
  startedWorkflowIds: Set<string>;
  close(): Promise<void>;
}

const countSchema = z.object({ count: z.number() });

/**
 * The scrypt cost the harness hashes passwords at: far below production's (OWASP's N=2^17), so that creating and
 * signing in users stays fast. Passed explicitly to createApiDependencies; production never reads it.
 */
export const testPasswordCost = { N: 2 ** 10, r: 8, p: 1 };

/**
 * The real API for one test file: a fresh migrated database, the application pool, a Temporal client on the
 * shared dev server and a task queue no other file uses (and on which no worker polls).
 */
export async function createApiHarness(
  options: { providerWebhookSecret?: string; temporalAddress?: string; trustedProxies?: string; server?: TestServer } = {},
): Promise<ApiHarness> {
  const testDatabase = await createTestDatabase(options.server);
  const database = await createDatabase(testDatabase.appUrl, { maximumPoolSize: 5 });
  const owner = await createDatabase(testDatabase.ownerUrl, { maximumPoolSize: 2 });
  // Another dev server than the shared one only for a test that kills its own (test/payouts/payout-crash.test.ts).
  const temporalConnection = await Connection.connect({ address: options.temporalAddress ?? inject('temporalAddress') });
  const taskQueue = `api-test-${randomBytes(6).toString('hex')}`;
  const dependencies = createApiDependencies({
    database,
    temporalConnection,
    namespace: 'default',
    taskQueue,
    temporalUiUrl: 'http://localhost:8233',
    providerWebhookSecret: options.providerWebhookSecret ?? null,
    trustedProxies: options.trustedProxies ?? null,
    passwordCost: testPasswordCost,
  });
  const app = createApp(dependencies);
  const startedWorkflowIds = new Set<string>();
  const unique = () => randomBytes(5).toString('hex');

  const harness: ApiHarness = {
    app,
    dependencies,
    database,
    owner,
    testDatabase,
    taskQueue,
    startedWorkflowIds,

    async request(path, options = {}) {
      const headers = new Headers(options.headers);
      if (options.token) headers.set('authorization', `Bearer ${options.token}`);
      let body: string | undefined;
      if (options.body !== undefined) {
        body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
        if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      }
      // Hono passes the third argument as the app's env, where Bun's server would be (api/client-address.ts).
      const server = options.peer === undefined ? undefined : { requestIP: () => ({ address: options.peer }) };
      const response = await app.request(path, { method: options.method ?? (body === undefined ? 'GET' : 'POST'), headers, body }, server);
      if (response.status === 202 && path === '/v1/bonuses') {
        const accepted = (await response.clone().json()) as { workflowId?: string };
        if (accepted.workflowId) startedWorkflowIds.add(accepted.workflowId);
      }
      return response;
    },

    async createPartner(input = {}) {
      const id = input.id ?? `p_${unique()}`;
      await owner.query(sql.unsafe`
        INSERT INTO partners (id, name, rank, status, kyc_status, joined_at)
        VALUES (${id}, ${input.name ?? `Partner ${id}`}, '0', 'ACTIVE', 'APPROVED', now())`);
      return id;
    },

    async createAdmin(role = 'admin') {
      const email = `${role.replaceAll('_', '-')}-${unique()}@example.com`;
      const password = `password-${unique()}`;
      const user = await dependencies.identity.createUser({ email, password, role });
      if (!user.totpSecret) throw new Error(`an ${role} was created without a TOTP secret`);
      return { id: user.id, email, password, role, totpSecret: user.totpSecret, lastTotpStep: null };
    },

    async createPartnerUser(partnerId) {
      const partner = partnerId ?? (await harness.createPartner());
      const email = `partner-${unique()}@example.com`;
      const password = `password-${unique()}`;
      const user = await dependencies.identity.createUser({ email, password, role: 'partner', partnerId: partner });
      return { id: user.id, email, password, partnerId: partner };
    },

    async nextTotp(admin) {
      for (;;) {
        const current = totpStep(new Date());
        // The server accepts the current step and one either side; the next step leaves the current one for later.
        const step = admin.lastTotpStep === null ? current : Math.max(current, admin.lastTotpStep + 1);
        if (step <= current + 1) {
          admin.lastTotpStep = step;
          return totpCode(admin.totpSecret, step);
        }
        const nextStepAtMilliseconds = (current + 1) * totpStepSeconds * 1_000;
        await new Promise((resolve) => setTimeout(resolve, nextStepAtMilliseconds - Date.now() + 50));
      }
    },

    async signIn(user) {
      const totp = 'totpSecret' in user ? await harness.nextTotp(user) : undefined;
      const response = await app.request('/v1/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: user.email, password: user.password, ...(totp ? { totp } : {}) }),
      });
      if (response.status !== 200) throw new Error(`sign-in of ${user.email} answered ${response.status}: ${await response.text()}`);
      const session = (await response.json()) as { token: string };
      return session.token;
    },

    async countRows() {
      const counts = {} as Record<WrittenTable, number>;
      for (const table of writtenTables) {
        counts[table] = await owner.oneFirst(sql.type(countSchema)`SELECT count(*)::int AS count FROM ${sql.identifier([table])}`);
      }
      return counts;
    },

    async close() {
      const client = dependencies.temporal;
      await Promise.allSettled(
        [...startedWorkflowIds].map((workflowId) => client.workflow.getHandle(workflowId).terminate('test file finished')),
      );
      await Promise.allSettled([database.end(), owner.end(), temporalConnection.close()]);
      await testDatabase.drop();
    },
  };
  return harness;
}

/** A random token of the right form that no session has. */
export function unknownToken(): string {
  return randomBytes(32).toString('base64url');
}

/** A six-digit code that matches none of the steps the server would accept now (or in the next 30 s). */
export function wrongTotp(secret: string): string {
  const current = totpStep(new Date());
  const valid = new Set([-2, -1, 0, 1, 2].map((offset) => totpCode(secret, current + offset)));
  for (let candidate = 0; ; candidate += 1) {
    const code = String((Number(totpCode(secret, current)) + 1 + candidate) % 1_000_000).padStart(6, '0');
    if (!valid.has(code)) return code;
  }
}

/** Any UUID, for routes that take one. */
export const someUuid = () => randomUUID();

/** The body of an error answer, after checking it has the one error shape. */
export async function errorOf(response: Response): Promise<{ code: string; message: string; field?: string }> {
  const body = (await response.json()) as { error?: { code?: unknown; message?: unknown; field?: unknown } };
  if (typeof body.error?.code !== 'string' || typeof body.error.message !== 'string') {
    throw new Error(`not the error shape: ${JSON.stringify(body)}`);
  }
  const keys = Object.keys(body.error).sort();
  if (!keys.every((key) => ['code', 'field', 'message'].includes(key))) throw new Error(`extra error keys: ${keys.join(', ')}`);
  return body.error as { code: string; message: string; field?: string };
}
