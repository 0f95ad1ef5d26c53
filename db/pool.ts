import { createHash } from 'node:crypto';
import { createPgDriverFactory } from '@slonik/pg-driver';
import { createPool, createTypeParserPreset, sql, type DatabasePool, type DriverClient, type DriverFactory, type Interceptor, type QueryResultRow } from 'slonik';
import { SchemaValidationError } from 'slonik';
import { isDatabaseUnavailable } from './unavailable.ts';

/**
 * Rows are validated by the zod schema given to `sql.type(...)`. Slonik 47 leaves this to an interceptor.
 */
const resultParser: Interceptor = {
  name: 'ledgerflow-result-parser',
  transformRow: (context, query, row, fields) => {
    const parser = context.resultParser;
    if (!parser) return row;
    const result = parser.safeParse(row);
    if (!result.success) throw new SchemaValidationError(query, row, result.error.issues);
    return result.data as QueryResultRow;
  },
};

/**
 * NUMERIC and BIGINT arrive as strings (slonik's defaults parse them into JS numbers, which loses money and
 * ids); timestamps as Date objects.
 */
const typeParsers = [
  ...createTypeParserPreset().filter((parser) => !['numeric', 'int8', 'timestamptz', 'timestamp'].includes(parser.name)),
  { name: 'numeric', parse: (value: string) => value },
  { name: 'int8', parse: (value: string) => value },
  { name: 'timestamptz', parse: (value: string) => new Date(value) },
];

export type Database = DatabasePool;

/**
 * Marks a statement to be prepared once per connection and then only bound and executed: PostgreSQL parses,
 * analyses and plans it on its first run on a connection instead of on every run. For the hottest statements
 * only, whose text never varies (all values are parameters): the ledger's single-entry post costs about a sixth
 * less of the server's CPU this way (docs/decisions.md). Put it first in the statement. Named statements live as
 * long as their connection, which is why `resetConnection` below must never `DISCARD ALL`.
 */
export const prepared = sql.fragment`/* prepared */`;
const preparedMarker = '/* prepared */';

/**
 * Slonik's pg driver, with one addition: a statement that starts with the `prepared` marker is sent to pg as a
 * named statement (the name derives from its text), which pg parses once per connection. Everything else,
 * errors and results included, passes through unchanged.
 */
function preparingDriverFactory(): DriverFactory {
  const pgDriverFactory = createPgDriverFactory();
  const names = new Map<string, string>();
  const nameOf = (text: string) => {
    let name = names.get(text);
    if (name === undefined) {
      name = `lf_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
      names.set(text, name);
    }
    return name;
  };
  return async (configuration) => {
    const driver = await pgDriverFactory(configuration);
    return {
      ...driver,
      createClient: async () => {
        const client = await driver.createClient();
        // The pool frees a connection's slot when the connection says 'destroy'. Slonik's driver never says it for
        // a connection lost mid-query: its destroy awaits the failed query, which rejects, so the connection stays
        // "pending destroy" for ever and its slot is lost; after a few PostgreSQL restarts requests wait for ever
        // for a connection (found by bench/faults.ts; test/api/database-unavailable.test.ts). So the pool's
        // 'destroy' listeners are called once, by the driver or, for such a connection, by us.
        const destroyListeners = new Set<(...args: unknown[]) => void>();
        let destroyed = false;
        const announceDestroy = () => {
          if (destroyed) return;
          destroyed = true;
          for (const listener of [...destroyListeners]) listener();
        };
        const emitter = client.on('destroy', announceDestroy);
        const send = (text: string, values?: readonly unknown[]) =>
          // pg's client.query takes a { name, text } config where slonik passes the text; the driver hands it on.
          text.startsWith(preparedMarker)
            ? client.query({ name: nameOf(text), text } as unknown as string, values as unknown[])
            : client.query(text, values as unknown[]);
        type Listener = (...args: unknown[]) => void;
        const wrapped: DriverClient = {
          ...client,
          on: ((event: string | symbol, listener: Listener) => {
            if (event !== 'destroy') return client.on(event as never, listener);
            destroyListeners.add(listener);
            return emitter;
          }) as DriverClient['on'],
          off: ((event: string | symbol, listener: Listener) => {
            if (event !== 'destroy') return client.off(event as never, listener);
            destroyListeners.delete(listener);
            return emitter;
          }) as DriverClient['off'],
          removeListener: ((event: string | symbol, listener: Listener) => {
            if (event !== 'destroy') return client.removeListener(event as never, listener);
            destroyListeners.delete(listener);
            return emitter;
          }) as DriverClient['removeListener'],
          query: async (text, values) => {
            try {
              return await send(text, values);
            } catch (error) {
              if (isDatabaseUnavailable(error)) {
                // Past the driver's graceful termination (5 s): a connection still pending destroy will stay so.
                setTimeout(() => {
                  if (client.state() === 'PENDING_DESTROY') {
                    announceDestroy();
                    void client.destroy().catch(() => {});
                  }
                }, 6_000).unref();
              }
              throw error;
            }
          },
        };
        return wrapped;
      },
    };
  };
}

export async function createDatabase(url: string, options: { maximumPoolSize?: number } = {}): Promise<Database> {
  return createPool(url, {
    driverFactory: preparingDriverFactory(),
    interceptors: [resultParser],
    typeParsers,
    maximumPoolSize: options.maximumPoolSize ?? 10,
    // Surface a dead server quickly instead of hanging a request.
    connectionTimeout: 5_000,
    statementTimeout: 60_000,
    idleInTransactionSessionTimeout: 60_000,
    // Slonik's default runs DISCARD ALL whenever a connection returns to the pool, which throws away every
    // cached plan (the ledger functions' included) and costs a round trip: measured, it halves the ledger's
    // throughput. Our code sets no session state that could leak to the next borrower. (It would also drop the
    // statements prepared for `prepared` queries, which pg would then send by a name the server no longer knows.)
    resetConnection: async () => {},
  });
}

/**
 * The application connects as `ledgerflow_app`, which may not UPDATE or DELETE history. With only an owner
 * URL we keep one login and switch role at connection start; a deployment may give a separate login instead.
 */
export function applicationUrl(ownerUrl: string, explicitApplicationUrl?: string): string {
  if (explicitApplicationUrl) return explicitApplicationUrl;
  const url = new URL(ownerUrl);
  url.searchParams.set('options', '-c role=ledgerflow_app');
  return url.toString();
}

/** Answers when the database accepts a query (the health check's probe). */
export async function pingDatabase(database: Database): Promise<void> {
  await database.oneFirst(sql.unsafe`SELECT 1`);
}
