import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'slonik';
import { inject } from 'vitest';
import { z } from 'zod';
import type { AdminRole } from '../../domain/access.ts';
import type { AdjustmentPolicy } from '../../domain/lifecycle-policy.ts';
import type { ApiHarness, TestAdmin } from '../helpers/api.ts';
import { repositoryRoot } from '../helpers/temporal.ts';

/**
 * What the adjustment tests arrange and read through one API harness. Every decision is made by a newly created
 * admin (sign-in uses the current TOTP step, the decision the next), so no test waits for a step to turn.
 */
export function adjustmentKit(api: ApiHarness) {
  const countSchema = z.object({ count: z.number() });
  const kit = {
    async admin(role: AdminRole = 'admin'): Promise<{ admin: TestAdmin; token: string }> {
      const admin = await api.createAdmin(role);
      return { admin, token: await api.signIn(admin) };
    },
    /** POST as a fresh admin of `role` with a fresh TOTP code. */
    async asNew(role: AdminRole, pathName: string, body: unknown): Promise<Response> {
      const { admin, token } = await kit.admin(role);
      return api.request(pathName, { token, headers: { 'x-totp-code': await api.nextTotp(admin) }, body });
    },
    async partner(input: { rank?: string; joinedAt?: string; available?: string; currency?: string } = {}): Promise<string> {
      const id = `p_${randomBytes(5).toString('hex')}`;
      await api.owner.query(sql.unsafe`
        INSERT INTO partners (id, name, rank, status, kyc_status, joined_at)
        VALUES (${id}, ${`Partner ${id}`}, ${input.rank ?? '3'}, 'ACTIVE', 'APPROVED', ${input.joinedAt ?? new Date(Date.now() - 30 * 86_400_000).toISOString()})`);
      if (input.available) await kit.fund(id, input.available, input.currency ?? 'USD');
      return id;
    },
    async fund(partnerId: string, amount: string, currency = 'USD'): Promise<void> {
      await api.dependencies.ledger.postEntry({
        idempotencyKey: `test-fund-${randomBytes(6).toString('hex')}`,
        kind: 'bonus',
        postings: [
          { account: { ownerType: 'platform', ownerId: 'platform', bucket: 'bonus_expense', currency }, amount: `-${amount}` },
          { account: { ownerType: 'partner', ownerId: partnerId, bucket: 'available', currency }, amount },
        ],
      });
    },
    async balances(partnerId: string, currency = 'USD') {
      const row = (await api.dependencies.ledger.partnerBalances(partnerId)).find((balance) => balance.currency === currency);
      return row ?? { currency, commission_pending: '0', commission_approved: '0', available: '0', payout_reserved: '0', held: '0', debt: '0' };
    },
    /** 100 RUB per USD, in force since yesterday. */
    async insertRubRate(): Promise<void> {
      await api.owner.query(sql.unsafe`
        INSERT INTO fx_rates (currency, effective_at, usd_rate, created_by) VALUES ('RUB', now() - interval '1 day', 0.01, 'test')`);
    },
    async setAdjustmentPolicy(changes: Partial<AdjustmentPolicy>): Promise<void> {
      const { policy } = await api.dependencies.policies.active();
      await api.dependencies.policies.add({
        document: { ...policy, adjustments: { ...policy.adjustments, ...changes } },
        effectiveFrom: new Date(),
        reason: 'adjustment tests',
        actor: 'test',
      });
    },
    auditCount(action: string, targetId: string): Promise<number> {
      return api.owner.oneFirst(sql.type(countSchema)`SELECT count(*)::int AS count FROM audit_records WHERE action = ${action} AND target_id = ${targetId}`);
    },
    entryCount(pattern: string): Promise<number> {
      return api.owner.oneFirst(sql.type(countSchema)`SELECT count(*)::int AS count FROM journal_entries WHERE idempotency_key LIKE ${pattern}`);
    },
    async poll<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await read();
        if (done(value)) return value;
        if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}; last ${JSON.stringify(value)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    /** With LEDGERFLOW_RECORD_HISTORIES=1, writes the finished workflow's history (run `runId` if given) for replay. */
    async recordHistory(workflowId: string, name: string, runId?: string): Promise<void> {
      if (process.env.LEDGERFLOW_RECORD_HISTORIES !== '1') return;
      if (!runId) await api.dependencies.temporal.workflow.getHandle(workflowId).result();
      const { stdout } = await promisify(execFile)(
        inject('temporalCli'),
        ['workflow', 'show', '--workflow-id', workflowId, ...(runId ? ['--run-id', runId] : []), '--output', 'json', '--address', inject('temporalAddress'), '--namespace', 'default'],
        { maxBuffer: 64 * 1024 * 1024 },
      );
      await writeFile(path.join(repositoryRoot, 'test', 'histories', `${name}.json`), stdout.endsWith('\n') ? stdout : `${stdout}\n`);
    },
  };
  return kit;
}
