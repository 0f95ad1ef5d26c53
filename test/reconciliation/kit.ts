import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type pg from 'pg';
import { inject } from 'vitest';
import { repositoryRoot } from '../helpers/temporal.ts';

/** With LEDGERFLOW_RECORD_HISTORIES=1, writes a finished workflow's history to test/histories for replay. */
export async function recordHistory(workflowId: string, name: string): Promise<void> {
  if (process.env.LEDGERFLOW_RECORD_HISTORIES !== '1') return;
  const { stdout } = await promisify(execFile)(
    inject('temporalCli'),
    ['workflow', 'show', '--workflow-id', workflowId, '--output', 'json', '--address', inject('temporalAddress'), '--namespace', 'default'],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  await writeFile(path.join(repositoryRoot, 'test', 'histories', `${name}.json`), stdout.endsWith('\n') ? stdout : `${stdout}\n`);
}

/**
 * What the reconciliation tests arrange: entries at a chosen time, written as the owner (the application stamps every
 * entry now(), so a past day's entries can only be made this way), postings and cached balances moved together.
 */
export type TestAccount = { ownerType: 'partner' | 'platform'; ownerId: string; bucket: string };
export const partner = (ownerId: string, bucket: string): TestAccount => ({ ownerType: 'partner', ownerId, bucket });
export const platform = (bucket: string): TestAccount => ({ ownerType: 'platform', ownerId: 'platform', bucket });
export const usd = (ownerType: string, bucket: string, amount: string) => ({ ownerType, bucket, currency: 'USD', amount });

export function reconciliationKit(owner: pg.Client) {
  const kit = {
    async accountId(account: TestAccount): Promise<string> {
      const limits = account.ownerType === 'platform' ? [null, null, 16] : account.bucket === 'debt' ? [null, 0, 1] : [0, null, 1];
      await owner.query(
        `INSERT INTO accounts (owner_type, owner_id, bucket, currency, min_balance, max_balance, stripes) VALUES ($1, $2, $3, 'USD', $4, $5, $6)
         ON CONFLICT (owner_type, owner_id, bucket, currency) DO NOTHING`,
        [account.ownerType, account.ownerId, account.bucket, ...limits],
      );
      const { rows } = await owner.query(`SELECT id FROM accounts WHERE owner_type = $1 AND owner_id = $2 AND bucket = $3 AND currency = 'USD'`, [
        account.ownerType, account.ownerId, account.bucket,
      ]);
      return rows[0].id as string;
    },
    /** An entry at `at` (ISO time), in USD. */
    async postAt(at: string, key: string, kind: string, postings: [TestAccount, string][]): Promise<void> {
      await owner.query('BEGIN');
      try {
        const { rows } = await owner.query(`INSERT INTO journal_entries (idempotency_key, input_hash, kind, created_at) VALUES ($1, '\\x00', $2, $3) RETURNING id`, [key, kind, at]);
        let line = 0;
        for (const [account, amount] of postings) {
          const id = await kit.accountId(account);
          line += 1;
          await owner.query(`INSERT INTO postings (entry_id, line, account_id, currency, amount, created_at) VALUES ($1, $2, $3, 'USD', $4, $5)`, [rows[0].id, line, id, amount, at]);
          await owner.query(`UPDATE account_balances SET balance = balance + $2 WHERE account_id = $1 AND stripe = 0`, [id, amount]);
        }
        await owner.query('COMMIT');
      } catch (error) {
        await owner.query('ROLLBACK');
        throw error;
      }
    },
    /** A small day: a commission created and approved, and a payout requested. */
    async arrangeDay(day: string, tag: string): Promise<void> {
      await kit.postAt(`${day}T01:00:00Z`, `commission-event:${tag}`, 'commission', [[platform('commission_expense'), '-40.00'], [partner(`${tag}-p`, 'commission_pending'), '40.00']]);
      await kit.postAt(`${day}T02:00:00Z`, `commission-approve:${tag}`, 'commission_approval', [[partner(`${tag}-p`, 'commission_pending'), '-40.00'], [partner(`${tag}-p`, 'commission_approved'), '40.00']]);
    },
  };
  return kit;
}
