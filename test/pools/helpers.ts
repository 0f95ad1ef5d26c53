import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { LedgerStore } from '../../modules/ledger/ledger-store.ts';
import { PolicyStore } from '../../modules/policy/policy-store.ts';
import type { PoolDependencies } from '../../modules/commissions/distribute-pools.ts';
import { createDatabase, type Database } from '../../db/pool.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

/** A fresh database per scenario: pools see every partner and event, so scenarios must not share data. */
export interface PoolScenario {
  testDatabase: TestDatabase;
  database: Database;
  owner: pg.Client;
  deps: PoolDependencies;
  partner(input: PartnerInput): Promise<string>;
  event(input: EventInput): Promise<string>;
  change(input: { partnerId: string; field: 'rank' | 'status'; oldValue: string; newValue: string; effectiveAt: string }): Promise<void>;
  close(): Promise<void>;
}

export interface PartnerInput {
  id: string;
  sponsor?: string | null;
  rank?: string;
  status?: string;
  joinedAt?: string;
}

export interface EventInput {
  partnerId: string | null;
  baseUsd: string;
  completedAt: string;
  kind?: 'ORDER_COMPLETED' | 'INVESTMENT_CONFIRMED' | 'INVESTMENT_PROFIT';
  cancelled?: boolean;
}

export async function createPoolScenario(): Promise<PoolScenario> {
  const testDatabase = await createTestDatabase();
  const database = await createDatabase(testDatabase.appUrl, { maximumPoolSize: 4 });
  const owner = new pg.Client({ connectionString: testDatabase.ownerUrl });
  await owner.connect();
  const deps: PoolDependencies = { database, ledger: new LedgerStore(database), policies: new PolicyStore(database) };
  return {
    testDatabase,
    database,
    owner,
    deps,
    ...poolSeeder(owner),
    async close() {
      await owner.end();
      await database.end();
      await testDatabase.drop();
    },
  };
}

/** Amount credited to each partner's commission_pending, by partner id. */
export async function pendingBalances(owner: pg.Client): Promise<Record<string, string>> {
  const { rows } = await owner.query<{ owner_id: string; balance: string }>(`
    SELECT a.owner_id, sum(p.amount)::text AS balance
    FROM accounts a JOIN postings p ON p.account_id = a.id
    WHERE a.owner_type = 'partner' AND a.bucket = 'commission_pending'
    GROUP BY a.owner_id`);
  return Object.fromEntries(rows.map((row) => [row.owner_id, row.balance]));
}

export async function platformBalance(owner: pg.Client, bucket: string): Promise<string> {
  const { rows } = await owner.query<{ balance: string | null }>(
    `SELECT sum(p.amount)::text AS balance FROM accounts a JOIN postings p ON p.account_id = a.id
     WHERE a.owner_type = 'platform' AND a.bucket = $1`,
    [bucket],
  );
  return rows[0]!.balance ?? '0';
}

/** Partners, events and rank/status changes written straight into a database (the owner's connection). */
export function poolSeeder(owner: pg.Client): Pick<PoolScenario, 'partner' | 'event' | 'change'> {
  return {
    async partner(input) {
      await owner.query(
        `INSERT INTO partners (id, name, sponsor_id, rank, status, kyc_status, joined_at) VALUES ($1, $1, $2, $3, $4, 'APPROVED', $5)`,
        [input.id, input.sponsor ?? null, input.rank ?? '1', input.status ?? 'ACTIVE', input.joinedAt ?? '2024-01-01T00:00:00Z'],
      );
      return input.id;
    },
    async event(input) {
      const kind = input.kind ?? 'ORDER_COMPLETED';
      const sourceType = { ORDER_COMPLETED: 'PRODUCT', INVESTMENT_CONFIRMED: 'INVESTMENT', INVESTMENT_PROFIT: 'INVESTMENT_PROFIT' }[kind];
      const sourceId = randomUUID();
      const { rows } = await owner.query<{ id: string }>(
        `INSERT INTO commission_events (external_id, kind, source_type, source_id, partner_id, completed_at, original_amount,
                                        original_currency, fx_rate, base_usd, policy_version, input_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'USD', 1, $7, 1, '\\x00') RETURNING id`,
        [`event-${sourceId}`, kind, sourceType, sourceId, input.partnerId, input.completedAt, input.baseUsd],
      );
      const id = rows[0]!.id;
      if (input.cancelled) {
        const cancel = await owner.query<{ id: string }>(
          `INSERT INTO commission_events (external_id, kind, source_id, partner_id, completed_at, input_hash)
           VALUES ($1, 'ORDER_CANCELLED', $2, $3, $4, '\\x00') RETURNING id`,
          [`cancel-${sourceId}`, sourceId, input.partnerId, input.completedAt],
        );
        await owner.query(`UPDATE commission_events SET cancelled_by = $1 WHERE id = $2`, [cancel.rows[0]!.id, id]);
      }
      return id;
    },
    async change(input) {
      await owner.query(
        `INSERT INTO partner_changes (partner_id, field, old_value, new_value, effective_at, recorded_by) VALUES ($1, $2, $3, $4, $5, 'test')`,
        [input.partnerId, input.field, input.oldValue, input.newValue, input.effectiveAt],
      );
      await owner.query(`UPDATE partners SET ${input.field} = $1 WHERE id = $2`, [input.newValue, input.partnerId]);
    },
  };
}
