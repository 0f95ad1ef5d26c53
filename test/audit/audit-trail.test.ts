import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeConnection, Worker } from '@temporalio/worker';
import Decimal from 'decimal.js';
import pg from 'pg';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { appendAuditRecord, sealAuditRecords, verifyAuditLog } from '../../modules/audit/audit-store.ts';
import { createApiHarness, type ApiHarness } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { createInProcessWorker, endLifecycleTestFile } from '../helpers/temporal.ts';

/**
 * The complete audit trail (docs/rules.md#audit-trail): the audit records of actions a workflow runs carry the client
 * address the API saw and balances before and after that equal the ledger's postings; the database fills the
 * balances of any record that names its entry; the trail API shows every field and whether the checksum holds;
 * `ledgerflow audit verify` reports a tampered record and a tampered balance (the rebuild) with exit code 1.
 */

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bankDetails = { accountName: 'Jane Doe', accountNumber: '12345678', routingNumber: '021000021' };

let api: ApiHarness;
let owner: pg.Client;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
const workflowIds = new Set<string>();

beforeAll(async () => {
  api = await createApiHarness();
  owner = new pg.Client({ connectionString: api.testDatabase.ownerUrl });
  await owner.connect();
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database: api.database, taskQueue: api.taskQueue }));
  workerRun = worker.run();
  // 100 RUB per USD: the approval chain is judged in RUB.
  await api.owner.query(sql.unsafe`
    INSERT INTO fx_rates (currency, effective_at, usd_rate, created_by) VALUES ('RUB', now() - interval '1 day', 0.01, 'test')`);
});

afterAll(async () => {
  if (owner) {
    await assertLedgerInvariants(owner);
    await owner.end();
  }
  await endLifecycleTestFile({ api, workflowIds, worker, workerRun, workerConnection });
});

type TrailRecord = {
  id: string;
  action: string;
  actor: string;
  amount: string | null;
  balanceBefore: string | null;
  balanceAfter: string | null;
  balanceAccount: string | null;
  clientAddress: string | null;
  entryId: string | null;
  checksum: string;
  checksumValid: boolean;
};

async function partnerWithFunds(amount: string): Promise<{ partnerId: string; token: string }> {
  const partnerId = `p_${randomBytes(5).toString('hex')}`;
  await api.owner.query(sql.unsafe`
    INSERT INTO partners (id, name, rank, status, kyc_status, joined_at)
    VALUES (${partnerId}, 'Jane Doe', '3', 'ACTIVE', 'APPROVED', now() - interval '30 days')`);
  await fund(partnerId, amount);
  const token = await api.signIn(await api.createPartnerUser(partnerId));
  return { partnerId, token };
}

async function fund(partnerId: string, amount: string): Promise<string> {
  const posted = await api.dependencies.ledger.postEntry({
    idempotencyKey: `test-fund-${randomBytes(6).toString('hex')}`,
    kind: 'bonus',
    postings: [
      { account: { ownerType: 'platform', ownerId: 'platform', bucket: 'bonus_expense', currency: 'USD' }, amount: `-${amount}` },
      { account: { ownerType: 'partner', ownerId: partnerId, bucket: 'available', currency: 'USD' }, amount },
    ],
  });
  return posted.entryId;
}

/** A decision sent by a fresh admin of the role from a client address (the socket's peer). */
async function decide(payoutId: string, action: string, peer: string, body: Record<string, unknown> = {}): Promise<void> {
  const actor = await api.createAdmin('finance_manager');
  const token = await api.signIn(actor);
  const response = await api.request(`/v1/payouts/${payoutId}/${action}`, { token, peer, headers: { 'x-totp-code': await api.nextTotp(actor) }, body });
  expect(response.status, await response.clone().text()).toBe(200);
}

async function waitForStatus(payoutId: string, token: string, status: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const payout = (await (await api.request(`/v1/payouts/${payoutId}`, { token })).json()) as { status: string };
    if (payout.status === status) return;
    if (Date.now() > deadline) throw new Error(`payout ${payoutId} is ${payout.status}, expected ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The account's balance from its postings just before and just after the entry: the ledger's own answer. */
async function ledgerBalancesAround(partnerId: string, bucket: string, entryId: string): Promise<{ before: string; after: string }> {
  const row = await api.owner.one(sql.type(z.object({ before: z.string(), after: z.string() }))`
    SELECT coalesce(sum(p.amount) FILTER (WHERE p.entry_id < ${entryId}), 0)::text AS before,
           coalesce(sum(p.amount) FILTER (WHERE p.entry_id <= ${entryId}), 0)::text AS after
    FROM postings p JOIN accounts a ON a.id = p.account_id
    WHERE a.owner_type = 'partner' AND a.owner_id = ${partnerId} AND a.bucket = ${bucket} AND a.currency = 'USD'`);
  return row;
}

const same = (left: string | null, right: string) => left !== null && new Decimal(left).eq(right);

async function trail(query: string): Promise<TrailRecord[]> {
  const reader = await api.signIn(await api.createAdmin('finance_manager'));
  const response = await api.request(`/v1/reports/audit-trail?${query}`, { token: reader });
  expect(response.status, await response.clone().text()).toBe(200);
  return ((await response.json()) as { records: TrailRecord[] }).records;
}

describe('the audit trail of actions a workflow runs', () => {
  it('records the deciding person’s client address and balances that equal the ledger’s, and the trail API shows them', async () => {
    const { partnerId, token } = await partnerWithFunds('1000.00');
    const create = async (amount: string) => {
      const response = await api.request('/v1/payouts', { token, peer: '192.0.2.44', body: { partnerId, amount, currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails } });
      expect(response.status, await response.clone().text()).toBe(201);
      const created = (await response.json()) as { id: string; detailsHash: string; workflowId: string };
      workflowIds.add(created.workflowId);
      await waitForStatus(created.id, token, 'AWAITING_APPROVAL');
      return created;
    };

    // One payout completed, one failed: approve, process and complete/fail each from its own address.
    const paid = await create('100.00');
    await decide(paid.id, 'approve', '198.51.100.7', { amount: '100.00', detailsHash: paid.detailsHash });
    await decide(paid.id, 'process', '198.51.100.8', { externalReference: 'TRAIL-1' });
    await decide(paid.id, 'complete', '2001:db8::9');
    const failed = await create('200.00');
    await decide(failed.id, 'approve', '198.51.100.10', { amount: '200.00', detailsHash: failed.detailsHash });
    await decide(failed.id, 'process', '198.51.100.11', { externalReference: 'TRAIL-2' });
    await decide(failed.id, 'fail', '203.0.113.5', { failureCode: 'ACCOUNT_CLOSED', reason: 'bank returned it' });

    const paidTrail = await trail(`targetType=payout&targetId=${paid.id}`);
    const byAction = (records: TrailRecord[], action: string) => {
      const found = records.filter((record) => record.action === action);
      expect(found, action).toHaveLength(1);
      return found[0]!;
    };
    expect(byAction(paidTrail, 'PAYOUT_REQUEST').clientAddress).toBe('192.0.2.44');
    expect(byAction(paidTrail, 'PAYOUT_APPROVE').clientAddress).toBe('198.51.100.7');
    expect(byAction(paidTrail, 'PAYOUT_PROCESS').clientAddress).toBe('198.51.100.8');
    const complete = byAction(paidTrail, 'PAYOUT_COMPLETE');
    expect(complete).toMatchObject({ clientAddress: '2001:db8::9', amount: '100.00', checksumValid: true });
    const reserved = await ledgerBalancesAround(partnerId, 'payout_reserved', complete.entryId!);
    expect(same(complete.balanceBefore, reserved.before), `${complete.balanceBefore} vs ${reserved.before}`).toBe(true);
    expect(same(complete.balanceAfter, reserved.after), `${complete.balanceAfter} vs ${reserved.after}`).toBe(true);

    const failedTrail = await trail(`targetType=payout&targetId=${failed.id}`);
    const fail = byAction(failedTrail, 'PAYOUT_FAIL');
    expect(fail).toMatchObject({ clientAddress: '203.0.113.5', amount: '200.00', checksumValid: true });
    const available = await ledgerBalancesAround(partnerId, 'available', fail.entryId!);
    expect(same(fail.balanceBefore, available.before), `${fail.balanceBefore} vs ${available.before}`).toBe(true);
    expect(same(fail.balanceAfter, available.after), `${fail.balanceAfter} vs ${available.after}`).toBe(true);
    expect(new Decimal(available.after).minus(available.before).toFixed(2)).toBe('200.00');

    // Every record's checksum is a SHA-256 of its content, and the sealed chain verifies.
    for (const record of [...paidTrail, ...failedTrail]) {
      expect(record.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(record.checksumValid).toBe(true);
    }
    await sealAuditRecords(api.database);
    expect(await verifyAuditLog(api.database)).toMatchObject({ ok: true });
    // The partner's view holds the same records.
    const partnerTrail = await trail(`partnerId=${partnerId}`);
    expect(partnerTrail.map((record) => record.id)).toEqual(expect.arrayContaining([complete.id, fail.id]));
  });
});

describe('a manual adjustment approved through its workflow', () => {
  it('records the approver’s client address on the decision and on the posting, with the commission bucket’s balances from the ledger', async () => {
    const partnerId = `p_${randomBytes(5).toString('hex')}`;
    await api.owner.query(sql.unsafe`
      INSERT INTO partners (id, name, rank, status, kyc_status, joined_at)
      VALUES (${partnerId}, 'Jane Doe', '3', 'ACTIVE', 'APPROVED', now() - interval '30 days')`);
    const maker = await api.createAdmin('senior_admin');
    const created = await api.request('/v1/adjustments', {
      token: await api.signIn(maker), peer: '192.0.2.80', headers: { 'x-totp-code': await api.nextTotp(maker) },
      body: { partnerId, type: 'ADJUSTMENT', amount: '200', currency: 'USD', reason: 'calculation error in October', status: 'PENDING' },
    });
    expect(created.status, await created.clone().text()).toBe(202);
    const adjustment = (await created.json()) as { id: string; workflowId: string };
    workflowIds.add(adjustment.workflowId);
    const senior = await api.createAdmin('senior_admin');
    const approved = await api.request(`/v1/adjustments/${adjustment.id}/approve`, {
      token: await api.signIn(senior), peer: '198.51.100.77', headers: { 'x-totp-code': await api.nextTotp(senior) }, body: { reason: 'checked' },
    });
    expect(approved.status, await approved.clone().text()).toBe(200);
    const { commissionId } = (await approved.json()) as { commissionId: string };

    const records = await api.owner.any(sql.type(z.object({ action: z.string(), ip: z.string().nullable(), entry_id: z.string().nullable(), before: z.string().nullable(), after: z.string().nullable() }))`
      SELECT action, host(ip) AS ip, entry_id::text AS entry_id, balance_before::text AS before, balance_after::text AS after
      FROM audit_records WHERE (target_type = 'adjustment' AND target_id = ${adjustment.id}) OR (target_type = 'commission' AND target_id = ${commissionId})
      ORDER BY id`);
    expect(records.find((record) => record.action === 'ADJUSTMENT_APPROVE')?.ip).toBe('198.51.100.77');
    const posting = records.find((record) => record.action === 'COMMISSION_ADJUST')!;
    expect(posting.ip).toBe('198.51.100.77');
    const ledger = await ledgerBalancesAround(partnerId, 'commission_pending', posting.entry_id!);
    expect(same(posting.before, ledger.before) && same(posting.after, ledger.after), `${posting.before}/${posting.after} vs ${ledger.before}/${ledger.after}`).toBe(true);
    expect(new Decimal(posting.after!).minus(posting.before!).toFixed(2)).toBe('200.00');
    // The trail API shows the same for the commission.
    const [shown] = await trail(`targetType=commission&targetId=${commissionId}`);
    expect(shown).toMatchObject({ action: 'COMMISSION_ADJUST', clientAddress: '198.51.100.77', balanceAccount: `partner:${partnerId}:commission_pending:USD`, checksumValid: true });
  });
});

describe('balances the database records for an entry', () => {
  it('fills balance before and after from the entry’s postings, names the account, and the checksum covers them', async () => {
    const partnerId = `p_${randomBytes(5).toString('hex')}`;
    await fund(partnerId, '10.00');
    const second = await fund(partnerId, '2.50');
    await fund(partnerId, '1.00');
    const id = await appendAuditRecord(api.database, {
      action: 'BONUS_POST', actor: 'system:test', targetType: 'partner', targetId: partnerId, amount: '2.50', currency: 'USD', entryId: second,
    });
    const record = await api.owner.one(sql.type(z.object({ before: z.string(), after: z.string(), account: z.string(), valid: z.boolean() }))`
      SELECT balance_before::text AS before, balance_after::text AS after, details ->> 'balanceAccount' AS account,
             checksum = audit_record_checksum(r) AS valid
      FROM audit_records r WHERE id = ${id}`);
    const ledger = await ledgerBalancesAround(partnerId, 'available', second);
    expect(record).toMatchObject({ account: `partner:${partnerId}:available:USD`, valid: true });
    expect(same(record.before, ledger.before) && same(record.after, ledger.after), `${record.before}/${record.after} vs ${ledger.before}/${ledger.after}`).toBe(true);
    expect([new Decimal(record.before).toFixed(2), new Decimal(record.after).toFixed(2)]).toEqual(['10.00', '12.50']);

    // Two partners in one entry and neither named: no balance is guessed.
    const other = `p_${randomBytes(5).toString('hex')}`;
    const shared = await api.dependencies.ledger.postEntry({
      idempotencyKey: `test-two-${randomBytes(6).toString('hex')}`,
      kind: 'bonus',
      postings: [
        { account: { ownerType: 'platform', ownerId: 'platform', bucket: 'bonus_expense', currency: 'USD' }, amount: '-3.00' },
        { account: { ownerType: 'partner', ownerId: partnerId, bucket: 'available', currency: 'USD' }, amount: '1.00' },
        { account: { ownerType: 'partner', ownerId: other, bucket: 'available', currency: 'USD' }, amount: '2.00' },
      ],
    });
    const unnamed = await appendAuditRecord(api.database, { action: 'BONUS_POST', actor: 'system:test', targetType: 'bonus_batch', targetId: 'b1', entryId: shared.entryId });
    const blank = await api.owner.one(sql.type(z.object({ before: z.string().nullable(), after: z.string().nullable() }))`
      SELECT balance_before::text AS before, balance_after::text AS after FROM audit_records WHERE id = ${unnamed}`);
    expect(blank).toEqual({ before: null, after: null });
  });
});

function runCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(repositoryRoot, 'bin', 'ledgerflow.mjs'), ...args],
      { cwd: repositoryRoot, env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: api.testDatabase.ownerUrl }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

describe('ledgerflow audit verify', () => {
  it('reports the balance rebuild: exit 0 when clean, 1 naming the account when a stored balance is tampered, 1 naming the record when a record’s balance is', async () => {
    const clean = await runCli('audit', 'verify');
    expect(clean.code, clean.stderr).toBe(0);
    expect(JSON.parse(clean.stdout)).toMatchObject({ ok: true, balanceRebuild: { ok: true, findings: [] } });

    // A stored (cached) balance changed behind the ledger's back: the rebuild from the postings disagrees.
    const partnerId = `p_${randomBytes(5).toString('hex')}`;
    await fund(partnerId, '5.00');
    const { rows } = await owner.query<{ id: string }>(
      `SELECT id::text FROM accounts WHERE owner_type = 'partner' AND owner_id = $1 AND bucket = 'available'`, [partnerId]);
    const accountId = rows[0]!.id;
    await owner.query(`UPDATE account_balances SET balance = balance + 7.00 WHERE account_id = $1`, [accountId]);
    try {
      const drifted = await runCli('audit', 'verify');
      expect(drifted.code, drifted.stderr).toBe(1);
      const report = JSON.parse(drifted.stdout) as { ok: boolean; balanceRebuild: { ok: boolean; findings: { check: string; subject: string; detail: Record<string, string> }[] } };
      expect(report.ok).toBe(true);
      expect(report.balanceRebuild.ok).toBe(false);
      expect(report.balanceRebuild.findings).toContainEqual(expect.objectContaining({ check: 'drifted_balance', subject: `account ${accountId}` }));
      expect(drifted.stderr).toContain(`balance rebuild: drifted_balance account ${accountId}`);
    } finally {
      await owner.query(`UPDATE account_balances SET balance = balance - 7.00 WHERE account_id = $1`, [accountId]);
    }

    // A record's balance_after rewritten (with the owner's trigger switched off): the checksum names it.
    const { rows: records } = await owner.query<{ id: string }>(
      `SELECT id::text FROM audit_records WHERE balance_after IS NOT NULL ORDER BY id DESC LIMIT 1`);
    const target = records[0]!.id;
    await owner.query('BEGIN');
    await owner.query('ALTER TABLE audit_records DISABLE TRIGGER audit_records_immutable');
    await owner.query(`UPDATE audit_records SET balance_after = balance_after + 1 WHERE id = $1`, [target]);
    await owner.query('ALTER TABLE audit_records ENABLE TRIGGER audit_records_immutable');
    await owner.query('COMMIT');
    const tampered = await runCli('audit', 'verify');
    expect(tampered.code).toBe(1);
    expect(JSON.parse(tampered.stdout)).toMatchObject({ ok: false, firstBrokenRecordId: target, balanceRebuild: { ok: true } });
    expect(tampered.stderr).toContain(`audit log broken at record ${target}`);
  });
});
