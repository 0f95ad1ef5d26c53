import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Connection } from '@temporalio/client';
import pg from 'pg';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../api/app.ts';
import { createApiDependencies } from '../../api/dependencies.ts';
import { ApiError } from '../../api/errors.ts';
import { runIdempotent } from '../../api/idempotency.ts';
import { createDatabase, type Database } from '../../db/pool.ts';
import { isDatabaseUnavailable } from '../../db/unavailable.ts';
import { freePort } from '../../stack/ports.ts';
import { errorOf } from '../helpers/api.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

/**
 * PostgreSQL down or restarting (the fault-injection run, bench/faults.ts, kills it under load): the API answers
 * 503 `database_unavailable`, not a 500 `internal` logged as an unhandled error. A database error that is the
 * request's own (a syntax error, a constraint) is not mistaken for it.
 */

let testDatabase: TestDatabase;
let database: Database;
let proxied: Database;
let proxy: DatabaseProxy;
let temporalConnection: Connection;

/**
 * A TCP relay in front of the test database: `down()` drops every connection and stops listening (the server, as
 * the pool sees it, is gone), `up()` listens again on the same port.
 */
interface DatabaseProxy {
  port: number;
  up(): Promise<void>;
  down(): Promise<void>;
}

async function startProxy(target: URL): Promise<DatabaseProxy> {
  const port = await freePort();
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  const proxy: DatabaseProxy = {
    port,
    up: () =>
      new Promise((resolve) => {
        server = net.createServer((client) => {
          const upstream = net.connect(Number(target.port), target.hostname);
          for (const socket of [client, upstream]) {
            sockets.add(socket);
            socket.on('close', () => sockets.delete(socket));
            socket.on('error', () => {});
          }
          client.pipe(upstream).pipe(client);
          client.on('close', () => upstream.destroy());
          upstream.on('close', () => client.destroy());
        });
        server.listen(port, '127.0.0.1', () => resolve());
      }),
    down: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server?.close(() => resolve());
      }),
  };
  await proxy.up();
  return proxy;
}

beforeAll(async () => {
  testDatabase = await createTestDatabase();
  database = await createDatabase(testDatabase.appUrl, { maximumPoolSize: 2 });
  const target = new URL(testDatabase.appUrl);
  proxy = await startProxy(target);
  const throughProxy = new URL(testDatabase.appUrl);
  throughProxy.port = String(proxy.port);
  throughProxy.hostname = '127.0.0.1';
  // Two connections: a slot lost with a connection that died mid-query would leave the later tests waiting for ever.
  proxied = await createDatabase(throughProxy.toString(), { maximumPoolSize: 2 });
  temporalConnection = await Connection.connect({ address: inject('temporalAddress') });
});

afterAll(async () => {
  await proxy?.down();
  await Promise.allSettled([database?.end(), proxied?.end(), temporalConnection?.close()]);
  await testDatabase?.drop();
});

describe('the API while PostgreSQL is unreachable', () => {
  it('answers 503 database_unavailable to sign-in, to an authenticated read and to a money-moving request, and answers again once it is back', async () => {
    const app = createApp(
      createApiDependencies({ database: proxied, temporalConnection, namespace: 'default', taskQueue: `db-down-${randomBytes(4).toString('hex')}`, temporalUiUrl: null }),
    );
    const token = randomBytes(32).toString('base64url');
    const me = () => app.request('/v1/auth/me', { headers: { authorization: `Bearer ${token}` } });
    // Up: an unknown session is refused as such.
    expect((await me()).status).toBe(401);

    await proxy.down();
    const answers = [
      await app.request('/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'someone@example.com', password: 'a-long-enough-password' }) }),
      await me(),
      await app.request('/v1/payouts', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': 'db-down-1' },
        body: JSON.stringify({ partnerId: 'p1', amount: '100.00', currency: 'USD', methodId: 'PAYQUICKER', paymentDetails: { email: 'p1@example.com' } }),
      }),
    ];
    for (const response of answers) {
      expect(response.status).toBe(503);
      expect(await errorOf(response)).toMatchObject({ code: 'database_unavailable' });
    }

    // Back: the pool reconnects by itself.
    await proxy.up();
    expect((await me()).status).toBe(401);
  });
});

describe('an Idempotency-Key whose request lost the database after its claim', () => {
  const keyRow = async (userId: string, key: string) =>
    (await database.maybeOne(sql.unsafe`SELECT status_code, response FROM api_idempotency WHERE user_id = ${userId} AND key = ${key}`)) as
      | { status_code: number | null; response: unknown }
      | null;
  const until = async (what: string, condition: () => Promise<boolean>) => {
    const deadline = Date.now() + 30_000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`not within 30 s: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  let userId: string;

  beforeAll(async () => {
    const owner = new pg.Client({ connectionString: testDatabase.ownerUrl });
    await owner.connect();
    try {
      const { rows } = await owner.query<{ id: string }>(`
        INSERT INTO users (id, email, password_hash, role, totp_secret)
        VALUES (gen_random_uuid(), 'idempotency-${randomBytes(3).toString('hex')}@example.com', 'not-a-login', 'admin', 'JBSWY3DPEHPK3PXP') RETURNING id`);
      userId = rows[0]!.id;
    } finally {
      await owner.end();
    }
  });

  it('gets its answer once the database is back: the client was answered, and a retry is replayed, not "in progress" for ever', async () => {
    const key = `answered-${randomBytes(4).toString('hex')}`;
    // The work is done (the row committed), then the database goes away before the answer is written.
    const first = await runIdempotent(proxied, { userId, key, fingerprint: ['test', 1] }, async () => {
      await proxy.down();
      return { status: 201, body: { id: 'the-created-thing' } };
    });
    expect(first).toEqual({ status: 201, body: { id: 'the-created-thing' }, replayed: false });
    await proxy.up();
    await until('the answer written', async () => (await keyRow(userId, key))?.status_code === 201);
    const retry = await runIdempotent(proxied, { userId, key, fingerprint: ['test', 1] }, async () => {
      throw new Error('a replayed request must not run again');
    });
    expect(retry).toEqual({ status: 201, body: { id: 'the-created-thing' }, replayed: true });
  });

  it('is released once the database is back when the request failed, so a retry runs it again', async () => {
    const key = `released-${randomBytes(4).toString('hex')}`;
    const failed = await runIdempotent(proxied, { userId, key, fingerprint: ['test', 2] }, async () => {
      await proxy.down();
      throw new Error('the database went away mid-request');
    }).catch((error: unknown) => error);
    expect((failed as Error).message).toBe('the database went away mid-request');
    // While it is away, a retry is told the first is still in progress (and never runs twice at once).
    await proxy.up();
    await until('the key released', async () => (await keyRow(userId, key)) === null);
    const retry = await runIdempotent(proxied, { userId, key, fingerprint: ['test', 2] }, async () => ({ status: 201, body: { ran: 'again' } }));
    expect(retry).toEqual({ status: 201, body: { ran: 'again' }, replayed: false });
    const again = await runIdempotent(proxied, { userId, key, fingerprint: ['test', 2] }, async () => ({ status: 500, body: null }));
    expect(again.replayed).toBe(true);
    await expect(runIdempotent(proxied, { userId, key, fingerprint: ['test', 3] }, async () => ({ status: 201, body: null }))).rejects.toBeInstanceOf(ApiError);
  });
});

describe('isDatabaseUnavailable', () => {
  it('is true for a connection refused and for a backend terminated mid-query', async () => {
    const refused = await createDatabase(`postgres://postgres:ledgerflow@127.0.0.1:${await freePort()}/ledgerflow`).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(Error);
    expect(isDatabaseUnavailable(refused)).toBe(true);

    // A server shutting down terminates its backends (57P01): here one backend, terminated by the owner.
    const owner = new pg.Client({ connectionString: testDatabase.ownerUrl });
    await owner.connect();
    try {
      const sleeping = database.query(sql.unsafe`SELECT pg_sleep(30), 'faults-terminate-me'`).catch((error: unknown) => error);
      for (let attempt = 0; ; attempt += 1) {
        const { rowCount } = await owner.query(`
          SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE query LIKE '%faults-terminate-me%' AND pid <> pg_backend_pid() AND query NOT LIKE '%pg_stat_activity%'`);
        if (rowCount) break;
        if (attempt > 100) throw new Error('the sleeping query never showed up');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(isDatabaseUnavailable(await sleeping)).toBe(true);
    } finally {
      await owner.end();
    }
  });

  it('is false for errors of the request itself, and for anything that is not a database error', async () => {
    const syntax = await database.query(sql.unsafe`SELEC 1`).catch((error: unknown) => error);
    expect(syntax).toBeInstanceOf(Error);
    expect(isDatabaseUnavailable(syntax)).toBe(false);
    const division = await database.query(sql.unsafe`SELECT 1 / 0`).catch((error: unknown) => error);
    expect(isDatabaseUnavailable(division)).toBe(false);
    expect(isDatabaseUnavailable(new Error('boom'))).toBe(false);
    expect(isDatabaseUnavailable('ECONNREFUSED')).toBe(false);
  });
});
