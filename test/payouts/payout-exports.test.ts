import { createHash, randomBytes } from 'node:crypto';
import type { NativeConnection, Worker } from '@temporalio/worker';
import pg from 'pg';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AdminRole } from '../../domain/access.ts';
import { isTerminalPayoutStatus, type PayoutStatus } from '../../domain/payout.ts';
import { createApiHarness, errorOf, someUuid, type ApiHarness } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { createInProcessWorker } from '../helpers/temporal.ts';

let api: ApiHarness;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
let exporterToken: string;
let readerToken: string;
const payoutIds = new Set<string>();

beforeAll(async () => {
  api = await createApiHarness();
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database: api.database, taskQueue: api.taskQueue }));
  workerRun = worker.run();
  // 100 RUB per USD, so the payouts below fall in the first approval tier.
  await api.owner.query(sql.unsafe`
    INSERT INTO fx_rates (currency, effective_at, usd_rate, created_by) VALUES ('RUB', now() - interval '1 day', 0.01, 'test')`);
  exporterToken = await api.signIn(await api.createAdmin('admin'));
  readerToken = await api.signIn(await api.createAdmin('financial_support'));
});

afterAll(async () => {
  await Promise.allSettled(
    [...payoutIds].map(async (id) => {
      const handle = api.dependencies.temporal.workflow.getHandle(`payout-${id}`);
      if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('test file finished');
    }),
  );
  worker?.shutdown();
  await workerRun;
  await workerConnection?.close();
  await api?.close();
});

interface Payout {
  id: string;
  status: PayoutStatus;
  amount: string;
  detailsHash: string;
}

interface PayoutExport {
  id: string;
  kind: string;
  methodId: string | null;
  status: string | null;
  rowCount: number;
  totals: Record<string, { count: number; amount: string; fee: string; amountToTransfer: string }>;
  fileName: string;
  checksumSha256: string;
  fileUrl: string;
}

/** A partner (joined a month ago, past the checklist's minimum) with a session and money in `available`. */
async function partner(name: string, funds: Record<string, string>) {
  const partnerId = `p_${randomBytes(5).toString('hex')}`;
  await api.owner.query(sql.unsafe`
    INSERT INTO partners (id, name, rank, status, kyc_status, joined_at)
    VALUES (${partnerId}, ${name}, '3', 'ACTIVE', 'APPROVED', now() - interval '30 days')`);
  for (const [currency, amount] of Object.entries(funds)) {
    await api.dependencies.ledger.postEntry({
      idempotencyKey: `test-fund-${randomBytes(6).toString('hex')}`,
      kind: 'bonus',
      postings: [
        { account: { ownerType: 'platform', ownerId: 'platform', bucket: 'bonus_expense', currency }, amount: `-${amount}` },
        { account: { ownerType: 'partner', ownerId: partnerId, bucket: 'available', currency }, amount },
      ],
    });
  }
  return { partnerId, token: await api.signIn(await api.createPartnerUser(partnerId)) };
}

/** A payout requested by the partner, once the workflow's checklist has put it in front of the approvers. */
async function awaitingApproval(token: string, body: Record<string, unknown>): Promise<Payout> {
  const response = await api.request('/v1/payouts', { token, body });
  expect(response.status, await response.clone().text()).toBe(201);
  const created = (await response.json()) as Payout;
  payoutIds.add(created.id);
  return waitForStatus(created.id, 'AWAITING_APPROVAL');
}

async function waitForStatus(payoutId: string, expected: PayoutStatus): Promise<Payout> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const response = await api.request(`/v1/payouts/${payoutId}`, { token: readerToken });
    const payout = (await response.json()) as Payout;
    if (payout.status === expected) return payout;
    if (Date.now() > deadline || isTerminalPayoutStatus(payout.status)) throw new Error(`payout ${payoutId} is ${payout.status}, expected ${expected}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Approves as a newly created admin of the role, with a fresh TOTP code. */
async function approve(payout: Payout, role: AdminRole = 'admin') {
  const approver = await api.createAdmin(role);
  const token = await api.signIn(approver);
  const response = await api.request(`/v1/payouts/${payout.id}/approve`, {
    token,
    headers: { 'x-totp-code': await api.nextTotp(approver) },
    body: { amount: payout.amount, detailsHash: payout.detailsHash },
  });
  expect(response.status, await response.clone().text()).toBe(200);
}

async function createExport(body: Record<string, unknown>, token = exporterToken, headers: Record<string, string> = {}): Promise<PayoutExport> {
  const response = await api.request('/v1/payout-exports', { token, body, headers });
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as PayoutExport;
}

async function download(exported: PayoutExport): Promise<{ bytes: Buffer; text: string; response: Response }> {
  const response = await api.request(exported.fileUrl, { token: readerToken });
  expect(response.status, await response.clone().text()).toBe(200);
  const bytes = Buffer.from(await response.arrayBuffer());
  return { bytes, text: bytes.toString('utf8'), response };
}

/** Data records of a file whose fields hold no quoted line breaks (true of every file here), header first. */
function records(text: string): string[] {
  expect(text.endsWith('\r\n')).toBe(true);
  return text.slice(0, -2).split('\r\n');
}

const countSchema = z.object({ count: z.number() });
/** Backends of this test's database waiting on a lock (the owner's pool has a second connection to ask with). */
const waitingOnLocks = () =>
  api.owner.oneFirst(sql.type(countSchema)`
    SELECT count(*)::int AS count FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
const exportCount = () => api.owner.oneFirst(sql.type(countSchema)`SELECT count(*)::int AS count FROM payout_exports`);

// The checklist holds a payout whose account holder is not the partner's KYC name (word order and punctuation aside):
// the hostile name and the account name starting with "-" are the same words.
const hostileName = '=HYPERLINK("http://evil.example"), "A" Ltd';
const bankDetails = { accountName: '-A Ltd Evil Example Http Hyperlink', accountNumber: '12345678', routingNumber: '021000021' };

let hostilePartnerId: string;
let bankPayout: Payout;
let walletPayout: Payout;
let firstExport: PayoutExport;
let firstBytes: Buffer;

describe('CSV of new requests', () => {
  it('the first CSV_NEW lists the payout requested so far, money exactly as stored and every cell injection-safe', async () => {
    const { partnerId, token } = await partner(hostileName, { USD: '1000.00', USDT: '100.000000' });
    hostilePartnerId = partnerId;
    bankPayout = await awaitingApproval(token, { partnerId, amount: '100', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails });

    firstExport = await createExport({ kind: 'CSV_NEW' });
    expect(firstExport).toMatchObject({ kind: 'CSV_NEW', methodId: null, status: null, rowCount: 1 });
    // fee = max(1 % of 100.00, 5.00) = 5.00
    expect(firstExport.totals).toEqual({ USD: { count: 1, amount: '100.00', fee: '5.00', amountToTransfer: '95.00' } });

    const { bytes, text, response } = await download(firstExport);
    firstBytes = bytes;
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${firstExport.fileName}"`);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(firstExport.checksumSha256);

    const [header, row, ...rest] = records(text);
    expect(rest).toEqual([]);
    expect(header).toBe(
      'request_id,partner_id,partner_name,amount,currency,method,fee,amount_to_transfer,created_at,status,priority,' +
        'sla_due_at,external_reference,provider_reference,details.accountName,details.accountNumber,details.routingNumber',
    );
    // The partner's name is quoted (comma, quotes) and neutralised; so is the account name starting with "-".
    expect(row).toMatch(
      new RegExp(
        `^${bankPayout.id},${partnerId},"'=HYPERLINK\\(""http://evil\\.example""\\), ""A"" Ltd",100\\.00,USD,BANK_TRANSFER,5\\.00,95\\.00,` +
          `[^,]+Z,AWAITING_APPROVAL,NORMAL,[^,]+Z,,,'-A Ltd Evil Example Http Hyperlink,12345678,021000021$`,
      ),
    );

    walletPayout = await awaitingApproval(token, {
      partnerId,
      amount: '20.5',
      currency: 'USDT',
      methodId: 'CRYPTO_WALLET',
      paymentDetails: { walletAddress: 'TXYZabc123456789012345678901', network: 'TRC20' },
    });
  });

  it('a second CSV_NEW lists only what was requested after the first, at the currency’s own scale', async () => {
    const second = await createExport({ kind: 'CSV_NEW' });
    // USDT has 6 places: fee = max(0.5 % of 20.500000 = 0.1025, 1.000000) = 1.000000
    expect(second).toMatchObject({ rowCount: 1, totals: { USDT: { count: 1, amount: '20.500000', fee: '1.000000', amountToTransfer: '19.500000' } } });
    const [, row] = records((await download(second)).text);
    expect(row).toMatch(new RegExp(`^${walletPayout.id},${hostilePartnerId},"[^\\r\\n]*",20\\.500000,USDT,CRYPTO_WALLET,1\\.000000,19\\.500000,`));

    const third = await createExport({ kind: 'CSV_NEW' });
    expect(third.rowCount).toBe(0);
    expect(records((await download(third)).text)).toHaveLength(1);
  });

  it('two CSV_NEW at the same moment never list the same payout twice', async () => {
    const { partnerId, token } = await partner('Concurrent Partner', { RUB: '5000.00' });
    const rubPayout = await awaitingApproval(token, { partnerId, amount: '1234.5', currency: 'RUB', methodId: 'YOOMONEY', paymentDetails: { wallet: '410011234567' } });
    // Force the race: while the owner holds a lock that blocks inserting export items (not reading payouts), start
    // both; once both requests wait on a lock, let them go. Each must have chosen its payouts after the other's
    // commit, or both would list the new payout.
    // A plain client, not the slonik pool: requests started inside a slonik transaction would count as part of it.
    const locker = new pg.Client({ connectionString: api.testDatabase.ownerUrl });
    await locker.connect();
    let racing: Promise<PayoutExport[]>;
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE payout_export_items IN SHARE ROW EXCLUSIVE MODE');
      racing = Promise.all([createExport({ kind: 'CSV_NEW' }), createExport({ kind: 'CSV_NEW' })]);
      // Awaited below, once the lock is released; a failure meanwhile must not go unhandled.
      racing.catch(() => undefined);
      const deadline = Date.now() + 10_000;
      while ((await waitingOnLocks()) < 2) {
        if (Date.now() > deadline) throw new Error('the two exports never both waited on a lock');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await locker.query('COMMIT');
    } finally {
      await locker.end();
    }
    const both = await racing;
    expect(both.map((exported) => exported.rowCount).sort()).toEqual([0, 1]);
    // fee = max(2 % of 1234.50 = 24.69, 50.00) = 50.00
    expect(both.find((exported) => exported.rowCount === 1)!.totals).toEqual({ RUB: { count: 1, amount: '1234.50', fee: '50.00', amountToTransfer: '1184.50' } });
    const listed = await api.owner.anyFirst(sql.type(z.object({ payout_id: z.string() }))`
      SELECT i.payout_id FROM payout_export_items i JOIN payout_exports e ON e.id = i.export_id WHERE e.kind = 'CSV_NEW' ORDER BY 1`);
    expect(listed).toEqual([bankPayout.id, walletPayout.id, rubPayout.id].sort());
  });

  it('CSV_ALL lists every payout again, oldest request first, filtered by method and status when asked', async () => {
    const all = await createExport({ kind: 'CSV_ALL' });
    expect(all.rowCount).toBe(3);
    const ids = records((await download(all)).text).slice(1).map((record) => record.split(',')[0]);
    expect(ids[0]).toBe(bankPayout.id);
    expect(ids[1]).toBe(walletPayout.id);

    const filtered = await createExport({ kind: 'CSV_ALL', methodId: 'CRYPTO_WALLET', status: 'AWAITING_APPROVAL' });
    expect(filtered).toMatchObject({ rowCount: 1, methodId: 'CRYPTO_WALLET', status: 'AWAITING_APPROVAL' });
    const none = await createExport({ kind: 'CSV_ALL', to: new Date(Date.now() - 86_400_000).toISOString() });
    expect(none.rowCount).toBe(0);
  });

  it('a re-download gives the very bytes first produced, though the payout has moved on since', async () => {
    await approve(bankPayout);
    await waitForStatus(bankPayout.id, 'APPROVED');
    const again = await download(firstExport);
    expect(again.bytes.equals(firstBytes)).toBe(true);
    expect(again.text).toContain('AWAITING_APPROVAL');
    expect(again.response.headers.get('etag')).toBe(`"${firstExport.checksumSha256}"`);
  });
});

describe('batch file per method', () => {
  it('lists the APPROVED payouts of the method in its bank layout with the control total, and never the same payout in a later batch', async () => {
    const batch = await createExport({ kind: 'METHOD_BATCH', methodId: 'BANK_TRANSFER' });
    expect(batch).toMatchObject({ kind: 'METHOD_BATCH', methodId: 'BANK_TRANSFER', status: 'APPROVED', rowCount: 1 });
    expect((await download(batch)).text).toBe(
      'account_name,account_number,routing_number,amount,reference\r\n' +
        `'-A Ltd Evil Example Http Hyperlink,12345678,021000021,95.00,${bankPayout.id}\r\n` +
        'TOTAL,1,95.00,USD\r\n',
    );

    const repeated = await createExport({ kind: 'METHOD_BATCH', methodId: 'BANK_TRANSFER' });
    expect(repeated.rowCount).toBe(0);
    expect((await download(repeated)).text).toBe('account_name,account_number,routing_number,amount,reference\r\nTOTAL,0,0.00,USD\r\n');

    // The wallet payout still awaits approval: not in a batch.
    const wallets = await createExport({ kind: 'METHOD_BATCH', methodId: 'CRYPTO_WALLET' });
    expect(wallets.rowCount).toBe(0);
    expect((await download(wallets)).text).toBe('address,network,amount,reference\r\nTOTAL,0,0.000000,USDT\r\n');
  });

  it('the PayQuicker file has PayQuicker’s columns (no approved PayQuicker payout waits here: they go to the provider)', async () => {
    const payQuicker = await createExport({ kind: 'PAYQUICKER' });
    expect(payQuicker).toMatchObject({ kind: 'PAYQUICKER', methodId: 'PAYQUICKER', status: 'APPROVED', rowCount: 0 });
    expect((await download(payQuicker)).text).toBe('Email,ProgramUserId,Amount,Currency,ClientPaymentId\r\n');
  });
});

describe('records, audit and access', () => {
  it('every export is listed newest first, audited as PAYOUT_EXPORT, and cannot be rewritten', async () => {
    const listed = await api.request('/v1/payout-exports?limit=2', { token: readerToken });
    expect(listed.status).toBe(200);
    const page = (await listed.json()) as { exports: PayoutExport[]; nextCursor: string | null };
    expect(page.exports).toHaveLength(2);
    expect(page.nextCursor).not.toBeNull();
    const next = (await (await api.request(`/v1/payout-exports?limit=200&cursor=${page.nextCursor}`, { token: readerToken })).json()) as { exports: PayoutExport[] };
    const all = [...page.exports, ...next.exports];
    expect(all).toHaveLength(await exportCount());
    expect(all.at(-1)!.id).toBe(firstExport.id);

    const audits = await api.owner.any(sql.type(z.object({ target_id: z.string(), details: z.record(z.unknown()) }))`
      SELECT target_id, details FROM audit_records WHERE action = 'PAYOUT_EXPORT' AND target_type = 'payout_export'`);
    expect(audits.map((audit) => audit.target_id).sort()).toEqual(all.map((exported) => exported.id).sort());
    expect(audits.find((audit) => audit.target_id === firstExport.id)!.details).toMatchObject({
      kind: 'CSV_NEW', rowCount: 1, checksumSha256: firstExport.checksumSha256,
    });

    await expect(api.database.query(sql.unsafe`UPDATE payout_exports SET row_count = 0`)).rejects.toThrow();
    await expect(api.owner.query(sql.unsafe`DELETE FROM payout_export_items`)).rejects.toThrow(/append-only/);
  });

  it('a stored file that no longer matches its checksum is refused, not served', async () => {
    const victim = await createExport({ kind: 'CSV_ALL', status: 'FAILED' });
    // Only the owner, by switching the trigger off, can alter a stored export: what the checksum is there for.
    await api.owner.transaction(async (transaction) => {
      await transaction.query(sql.unsafe`ALTER TABLE payout_exports DISABLE TRIGGER payout_exports_immutable`);
      await transaction.query(sql.unsafe`UPDATE payout_exports SET content = content || '\\x0a'::bytea WHERE id = ${victim.id}`);
      await transaction.query(sql.unsafe`ALTER TABLE payout_exports ENABLE TRIGGER payout_exports_immutable`);
    });
    const response = await api.request(victim.fileUrl, { token: readerToken });
    expect(response.status).toBe(500);
    expect(await errorOf(response)).toMatchObject({ code: 'export_corrupted' });
  });

  it('a retried request with the same Idempotency-Key returns the export first made', async () => {
    const key = `export-${randomBytes(4).toString('hex')}`;
    const first = await createExport({ kind: 'CSV_ALL' }, exporterToken, { 'idempotency-key': key });
    const before = await exportCount();
    const response = await api.request('/v1/payout-exports', { token: exporterToken, body: { kind: 'CSV_ALL' }, headers: { 'idempotency-key': key } });
    expect(response.status).toBe(201);
    expect(response.headers.get('idempotent-replayed')).toBe('true');
    expect(((await response.json()) as PayoutExport).id).toBe(first.id);
    expect(await exportCount()).toBe(before);
  });

  it('a partner can neither export nor read exports; financial support reads but does not export', async () => {
    const { token } = await partner('Curious Partner', {});
    const before = await exportCount();
    for (const request of [
      api.request('/v1/payout-exports', { token, body: { kind: 'CSV_ALL' } }),
      api.request('/v1/payout-exports', { token }),
      api.request(firstExport.fileUrl, { token }),
      api.request('/v1/payout-exports', { token: readerToken, body: { kind: 'CSV_ALL' } }),
    ]) {
      const response = await request;
      expect(response.status).toBe(403);
      expect(await errorOf(response)).toMatchObject({ code: 'forbidden' });
    }
    expect(await exportCount()).toBe(before);
  });

  it.each([
    [{ kind: 'PDF' }, 400, 'body.kind'],
    [{ kind: 'METHOD_BATCH' }, 400, 'body.methodId'],
    [{ kind: 'METHOD_BATCH', methodId: 'BANK_TRANSFER', status: 'REQUESTED' }, 400, 'body.status'],
    [{ kind: 'PAYQUICKER', status: 'COMPLETED' }, 400, 'body.status'],
    [{ kind: 'CSV_ALL', from: '2025-02-01T00:00:00Z', to: '2025-01-01T00:00:00Z' }, 400, 'body.to'],
    [{ kind: 'CSV_ALL', format: 'xlsx' }, 400, 'body.format'],
    [{ kind: 'METHOD_BATCH', methodId: 'NO_SUCH_METHOD' }, 422, 'body.methodId'],
    [{ kind: 'PAYQUICKER', methodId: 'YOOMONEY' }, 422, 'body.methodId'],
  ])('%j is refused with %i naming %s, and records nothing', async (body, status, field) => {
    const before = await exportCount();
    const response = await api.request('/v1/payout-exports', { token: exporterToken, body });
    expect(response.status).toBe(status);
    expect((await errorOf(response)).field).toBe(field);
    expect(await exportCount()).toBe(before);
  });

  it('an unknown export is a 404', async () => {
    const response = await api.request(`/v1/payout-exports/${someUuid()}/file`, { token: readerToken });
    expect(response.status).toBe(404);
    expect((await errorOf(response)).field).toBe('params.id');
  });

  it('the ledger invariants hold', async () => {
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });
});
