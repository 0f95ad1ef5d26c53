import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { createPayoutExport } from '../../modules/payouts/exports.ts';
import { cancelPayoutUpdate, payoutWorkflowId } from '../../workflows/payout-messages.ts';
import { createApiHarness, errorOf, someUuid, type ApiHarness } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { paymentFileKit, type SeededPayout } from '../helpers/payment-files.ts';
import { createInProcessWorker, repositoryRoot } from '../helpers/temporal.ts';

/**
 * Issue #17 "Payment files lock what they contain" (docs/rules.md#payment-files), with a real Temporal server and
 * PostgreSQL: an exported payment file's payouts can no longer be cancelled or rejected (by the API, and by the
 * database when a cancel races the export), its manual payouts go to PROCESSING, and the file is closed in bulk.
 */

let api: ApiHarness;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
let kit: ReturnType<typeof paymentFileKit>;
const workflowIds = new Set<string>();

beforeAll(async () => {
  api = await createApiHarness();
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database: api.database, taskQueue: api.taskQueue }));
  workerRun = worker.run();
  // 100 RUB per USD: the payouts below need one admin's approval.
  await api.owner.query(sql.unsafe`
    INSERT INTO fx_rates (currency, effective_at, usd_rate, created_by) VALUES ('RUB', now() - interval '1 day', 0.01, 'test')`);
  kit = paymentFileKit(api);
});

afterAll(async () => {
  const ids = await api.owner.anyFirst(sql.type(z.object({ id: z.string() }))`SELECT id FROM payouts`);
  for (const id of ids) workflowIds.add(payoutWorkflowId(id));
  await Promise.allSettled(
    [...workflowIds].map(async (id) => {
      const handle = api.dependencies.temporal.workflow.getHandle(id);
      if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('test file finished');
    }),
  );
  worker?.shutdown();
  await workerRun;
  await workerConnection?.close();
  await api?.close();
});

const countOf = (query: ReturnType<typeof sql.fragment>) => api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`SELECT (${query})::int AS count`);

async function balances(partnerId: string) {
  const row = (await api.dependencies.ledger.partnerBalances(partnerId)).find((balance) => balance.currency === 'USD');
  if (!row) throw new Error(`partner ${partnerId} has no USD accounts`);
  return row;
}

/** Every message along an error's causes (an update's refusal by an activity is two causes deep). */
function messagesOf(error: unknown): string {
  const messages: string[] = [];
  for (let current = error; current instanceof Error; current = current.cause) messages.push(current.message);
  return messages.join(' <- ');
}

async function decide(payoutId: string, action: 'cancel' | 'reject', body: Record<string, unknown>) {
  const { token, totp } = await kit.admin('admin');
  return api.request(`/v1/payouts/${payoutId}/${action}`, { token, headers: { 'x-totp-code': await totp() }, body });
}

describe('an exported payment file locks what it lists', () => {
  let payouts: SeededPayout[];
  let fileId: string;

  it('cancel and reject are refused (409 in_payment_file) from the export on, and its manual payouts go to PROCESSING', async () => {
    payouts = await kit.approvedBankPayouts(3);
    const file = await kit.exportFile();
    fileId = file.id;
    workflowIds.add(`payment-file-${file.id}`);
    expect(file.rowCount).toBe(3);
    expect(file.paymentFile).toMatchObject({ counts: { total: 3 } });
    expect(['LOCKING', 'OPEN']).toContain(file.paymentFile!.status);

    // Right after the export's commit, whatever the lock workflow has done so far.
    const cancelled = await decide(payouts[0]!.id, 'cancel', { reason: 'changed my mind' });
    expect(cancelled.status).toBe(409);
    expect(await errorOf(cancelled)).toMatchObject({ code: 'in_payment_file', field: 'status' });
    const rejected = await decide(payouts[1]!.id, 'reject', { code: 'INVALID_METHOD', reason: 'too late' });
    expect(rejected.status).toBe(409);
    expect(await errorOf(rejected)).toMatchObject({ code: 'in_payment_file', field: 'status' });

    const open = await kit.waitForFile(file.id, 'OPEN');
    expect(open.paymentFile!.counts).toEqual({ total: 3, processing: 3, completed: 0, failed: 0, other: 0 });
    const rows = await kit.payoutStatuses(payouts.map((payout) => payout.id));
    // The external reference names the file and the payout's line in it (the header is line 1).
    const lines = (await (await api.request(`/v1/payout-exports/${file.id}/file`, { token: await kit.readerToken() })).text()).split('\r\n');
    for (const payout of payouts) {
      const row = rows.get(payout.id)!;
      expect(row.status).toBe('PROCESSING');
      const line = lines.findIndex((text) => text.endsWith(`,${payout.id}`)) + 1;
      expect(row.external_reference).toBe(`${file.fileName}#${line}`);
    }
    expect(await countOf(sql.fragment`SELECT count(*) FROM journal_entries WHERE idempotency_key LIKE 'payout-cancel-%' OR idempotency_key LIKE 'payout-reject-%'`)).toBe(0);

    const items = await api.request(`/v1/payout-exports/${file.id}/items?limit=2`, { token: await kit.readerToken() });
    expect(items.status).toBe(200);
    const page = (await items.json()) as { items: { payoutId: string; reference: string; payoutStatus: string; failureCode: string | null }[]; nextCursor: string | null };
    expect(page.items).toHaveLength(2);
    expect(page.items[0]).toMatchObject({ reference: page.items[0]!.payoutId, payoutStatus: 'PROCESSING', failureCode: null, currency: 'USD', amountToTransfer: '95.00', methodId: 'BANK_TRANSFER' });
    const next = (await (await api.request(`/v1/payout-exports/${file.id}/items?limit=2&cursor=${page.nextCursor}`, { token: await kit.readerToken() })).json()) as typeof page;
    expect(next.items.map((item) => item.payoutId)).toHaveLength(1);
    expect(new Set([...page.items, ...next.items].map((item) => item.payoutId))).toEqual(new Set(payouts.map((payout) => payout.id)));

    // The list answers carry the file's status too.
    const listed = (await (await api.request('/v1/payout-exports?kind=METHOD_BATCH', { token: await kit.readerToken() })).json()) as { exports: { id: string; paymentFile?: unknown }[] };
    expect(listed.exports.find((row) => row.id === file.id)?.paymentFile).toMatchObject({ status: 'OPEN' });
  });

  it('the database refuses the settle of a payout in a file that is still APPROVED (a cancel that passed the API before the export)', async () => {
    // A frozen partner's payout cannot go to PROCESSING, so it stays APPROVED in the file: exactly the window a
    // cancel racing the export falls into. The cancel is sent straight to the workflow, as if the API's own check
    // had run before the export committed.
    const [payout] = await kit.approvedBankPayouts(1);
    const { token, totp } = await kit.admin('admin');
    const frozen = await api.request(`/v1/ops/partners/${payout!.partner_id}/freeze`, {
      token, headers: { 'x-totp-code': await totp() }, body: { kind: 'BALANCE_DISCREPANCY', reason: 'test: keep the payout APPROVED' },
    });
    expect(frozen.status, await frozen.clone().text()).toBe(200);
    const file = await kit.exportFile();
    workflowIds.add(`payment-file-${file.id}`);
    const open = await kit.waitForFile(file.id, 'OPEN');
    expect(open.paymentFile!.counts).toMatchObject({ total: 1, processing: 0, other: 1 });
    expect((await kit.payoutStatuses([payout!.id])).get(payout!.id)!.status).toBe('APPROVED');

    const handle = api.dependencies.temporal.workflow.getHandle(payoutWorkflowId(payout!.id));
    const refusal = await handle
      .executeUpdate(cancelPayoutUpdate, { args: [{ actor: { userId: (await api.createAdmin('admin')).id, role: 'admin' }, reason: 'racing the export' }] })
      .then(() => null, (error: unknown) => error);
    expect(refusal).not.toBeNull();
    expect(messagesOf(refusal)).toContain('can no longer be cancelled or rejected');
    expect((await kit.payoutStatuses([payout!.id])).get(payout!.id)!.status).toBe('APPROVED');
    expect(await countOf(sql.fragment`SELECT count(*) FROM journal_entries WHERE idempotency_key = ${`payout-cancel-${payout!.id}`}`)).toBe(0);
    // And through the API, the same 409.
    const viaApi = await decide(payout!.id, 'cancel', {});
    expect(await errorOf(viaApi)).toMatchObject({ code: 'in_payment_file', field: 'status' });
  });

  it('a cancel sent at the moment of the export either wins (not in the file) or is refused (in the file, PROCESSING): never both', async () => {
    const racing = await kit.approvedBankPayouts(6);
    const [exported, ...answers] = await Promise.all([
      kit.exportFile(),
      ...racing.map(async (payout) => {
        const response = await decide(payout.id, 'cancel', { reason: 'race' });
        return { payoutId: payout.id, status: response.status, body: (await response.json()) as { error?: { code: string } } };
      }),
    ]);
    workflowIds.add(`payment-file-${exported.id}`);
    await kit.waitForFile(exported.id, 'OPEN');
    const inFile = new Set(
      await api.owner.anyFirst(sql.type(z.object({ payout_id: z.string() }))`SELECT payout_id FROM payout_export_items WHERE export_id = ${exported.id}`),
    );
    const statuses = await kit.payoutStatuses(racing.map((payout) => payout.id));
    for (const answer of answers) {
      if (inFile.has(answer.payoutId)) {
        expect(answer.status, JSON.stringify(answer)).toBe(409);
        expect(answer.body.error?.code).toBe('in_payment_file');
        expect(statuses.get(answer.payoutId)!.status).toBe('PROCESSING');
      } else {
        expect(answer.status, JSON.stringify(answer)).toBe(200);
        expect(statuses.get(answer.payoutId)!.status).toBe('CANCELLED');
      }
    }
    expect(inFile.size + answers.filter((answer) => answer.status === 200).length).toBe(racing.length);
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });

  describe('closed in bulk', () => {
    it('refuses, naming the line or field, and changes nothing: unknown reference, another file’s payout, bad code or status, a reference twice', async () => {
      const otherFilePayout = (await api.owner.oneFirst(sql.type(z.object({ payout_id: z.string() }))`
        SELECT payout_id FROM payout_export_items WHERE export_id <> ${fileId} LIMIT 1`));
      const [a, b, c] = payouts;
      const closesBefore = await countOf(sql.fragment`SELECT count(*) FROM payment_file_closes`);

      const unknown = someUuid();
      const badFile = [
        'reference,status,failureCode,reason',
        `${a!.id},PAID,,`,
        `${unknown},PAID,,`,
        `${otherFilePayout},PAID,,`,
        `${b!.id},FAILED,NOT_A_CODE,bank says no`,
        `${c!.id},MAYBE,,`,
      ].join('\r\n');
      const refused = await kit.close(fileId, { resultFile: badFile });
      expect(refused.status).toBe(422);
      const error = await errorOf(refused);
      expect(error).toMatchObject({ code: 'invalid_close', field: 'body.resultFile' });
      // The first problem found in the parse: lines 5 and 6 (code and status) come before matching references.
      expect(error.message).toContain('line 5');
      expect(error.message).toContain('line 6');

      const unmatched = await kit.close(fileId, { resultFile: ['reference,status', `${a!.id},PAID`, `${unknown},PAID`, `${otherFilePayout},paid`, `${a!.id},PAID`].join('\n') });
      expect(unmatched.status).toBe(422);
      const matchError = await errorOf(unmatched);
      expect(matchError.message).toContain(`line 3: reference "${unknown}" is unknown`);
      expect(matchError.message).toContain(`line 4: payout ${otherFilePayout} is not in this file`);
      expect(matchError.message).toContain(`line 5: reference ${a!.id} is named twice (also at line 2)`);

      const badList = await kit.close(fileId, { paid: [a!.id], failed: [{ reference: b!.id, failureCode: 'SOMETHING' }] });
      expect(badList.status).toBe(422);
      expect(await errorOf(badList)).toMatchObject({ code: 'invalid_close', field: 'body.failed[0].failureCode' });
      const twice = await kit.close(fileId, { paid: [a!.id], failed: [{ reference: a!.id, failureCode: 'INVALID_ACCOUNT' }] });
      expect(await errorOf(twice)).toMatchObject({ code: 'invalid_close', field: 'body.failed[0].reference' });
      const both = await kit.close(fileId, { resultFile: 'reference,status', paid: [a!.id] });
      expect(both.status).toBe(400);

      expect(await countOf(sql.fragment`SELECT count(*) FROM payment_file_closes`)).toBe(closesBefore);
      const statuses = await kit.payoutStatuses(payouts.map((payout) => payout.id));
      expect([...statuses.values()].map((row) => row.status)).toEqual(['PROCESSING', 'PROCESSING', 'PROCESSING']);
    });

    it('needs payouts.process and one fresh TOTP code', async () => {
      const { token } = await kit.admin('admin');
      const withoutCode = await api.request(`/v1/payout-exports/${fileId}/results`, { token, body: { paid: [payouts[0]!.id] } });
      expect(withoutCode.status).toBe(401);
      const support = await kit.close(fileId, { paid: [payouts[0]!.id] }, 'financial_support');
      expect(support.status).toBe(403);
      const notAFile = await kit.exportFile({ kind: 'CSV_ALL' });
      const csv = await kit.close(notAFile.id, { paid: [payouts[0]!.id] });
      expect(csv.status).toBe(422);
      expect(await errorOf(csv)).toMatchObject({ code: 'not_a_payment_file', field: 'params.id' });
      const missing = await kit.close(someUuid(), { paid: [payouts[0]!.id] });
      expect(missing.status).toBe(404);
    });

    it('from the bank’s result file: each payout paid or failed with its code; the ledger settles or returns the money; finance is told', async () => {
      const [a, b, c] = payouts;
      const before = await Promise.all(payouts.map((payout) => balances(payout.partner_id)));
      // A bank's file as it plausibly comes: BOM, semicolons, any header case, extra columns, lower-case status,
      // the cell we neutralised still quoted, a blank line and our control total echoed back. Only a and b.
      const resultFile =
        '\uFEFFReference;Amount;Status;Failure_Code;Reason\r\n' +
        `${a!.id};95.00;paid;;\r\n` +
        `\r\n` +
        `"${b!.id}";95.00;FAILED;account_closed;"Closed; returned by the bank"\r\n` +
        'TOTAL;2;190.00;USD\r\n';
      const closer = await kit.admin('admin');
      const response = await kit.close(fileId, { resultFile }, 'admin', { 'idempotency-key': 'close-from-file-1' }, closer);
      expect(response.status, await response.clone().text()).toBe(202);
      const accepted = (await response.json()) as { closeId: string; paid: number; failed: number; alreadyDecided: number; unknown: string[] };
      expect(accepted).toMatchObject({ paid: 1, failed: 1, alreadyDecided: 0, unknown: [] });
      workflowIds.add(`payment-file-${fileId}-close-1`);

      const progress = await kit.waitForClose(fileId, accepted.closeId);
      expect(progress).toEqual({ status: 'DONE', paid: 1, failed: 1, alreadyDecided: 0, pending: 0, refused: [] });
      const statuses = await kit.payoutStatuses(payouts.map((payout) => payout.id));
      expect(statuses.get(a!.id)).toMatchObject({ status: 'COMPLETED', failure_code: null });
      expect(statuses.get(b!.id)).toMatchObject({ status: 'FAILED', failure_code: 'ACCOUNT_CLOSED' });
      expect(statuses.get(c!.id)).toMatchObject({ status: 'PROCESSING' });
      const after = await Promise.all(payouts.map((payout) => balances(payout.partner_id)));
      // Paid: the reserve is gone and nothing came back; failed: the whole amount is available again.
      expect(after[0]!.available).toBe(before[0]!.available);
      expect(after[0]!.payout_reserved).toBe('0.00');
      expect(after[1]!.available).toBe('1000.00');
      expect(after[1]!.payout_reserved).toBe('0.00');
      expect(await countOf(sql.fragment`SELECT count(*) FROM journal_entries WHERE idempotency_key = ${`payout-complete-${a!.id}`}`)).toBe(1);
      expect(await countOf(sql.fragment`SELECT count(*) FROM journal_entries WHERE idempotency_key = ${`payout-fail-${b!.id}`}`)).toBe(1);
      expect(await countOf(sql.fragment`SELECT count(*) FROM notifications WHERE kind = 'PAYMENT_FILE_FAILURES' AND dedupe_key = ${`payment-file-failures:${accepted.closeId}`}`)).toBe(1);
      expect((await kit.getFile(fileId)).paymentFile).toEqual({ status: 'OPEN', counts: { total: 3, processing: 1, completed: 1, failed: 1, other: 0 } });

      // The same request again (same Idempotency-Key) is the same answer, not a second close.
      const replay = await kit.close(fileId, { resultFile }, 'admin', { 'idempotency-key': 'close-from-file-1' }, closer);
      expect(replay.status).toBe(202);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(await replay.json()).toEqual(accepted);
      expect(await countOf(sql.fragment`SELECT count(*) FROM payment_file_closes WHERE export_id = ${fileId}`)).toBe(1);
    });

    it('from lists of references; the ones already decided are reported as such, and the file is CLOSED', async () => {
      const [a, b, c] = payouts;
      const response = await kit.close(fileId, { paid: [a!.id, c!.id], failed: [{ reference: b!.id, failureCode: 'INVALID_ACCOUNT', reason: 'again' }] });
      expect(response.status, await response.clone().text()).toBe(202);
      const accepted = (await response.json()) as { closeId: string };
      expect(accepted).toMatchObject({ paid: 1, failed: 0, alreadyDecided: 2, unknown: [] });
      workflowIds.add(`payment-file-${fileId}-close-2`);
      expect(await kit.waitForClose(fileId, accepted.closeId)).toEqual({ status: 'DONE', paid: 1, failed: 0, alreadyDecided: 2, pending: 0, refused: [] });
      const statuses = await kit.payoutStatuses(payouts.map((payout) => payout.id));
      expect([...payouts.map((payout) => statuses.get(payout.id)!.status)]).toEqual(['COMPLETED', 'FAILED', 'COMPLETED']);
      // b stays FAILED with the bank's first code.
      expect(statuses.get(b!.id)!.failure_code).toBe('ACCOUNT_CLOSED');
      expect((await kit.getFile(fileId)).paymentFile).toEqual({ status: 'CLOSED', counts: { total: 3, processing: 0, completed: 2, failed: 1, other: 0 } });
      // No failures in this close: no notice for it.
      expect(await countOf(sql.fragment`SELECT count(*) FROM notifications WHERE dedupe_key = ${`payment-file-failures:${accepted.closeId}`}`)).toBe(0);

      // Repeated once more when every payout is decided: reported as already decided, nothing to deliver.
      const again = await kit.close(fileId, { paid: [a!.id, b!.id, c!.id] });
      expect(again.status).toBe(202);
      const repeated = (await again.json()) as { closeId: string };
      expect(repeated).toMatchObject({ paid: 0, failed: 0, alreadyDecided: 3 });
      expect(await kit.closeProgress(fileId, repeated.closeId)).toEqual({ status: 'DONE', paid: 0, failed: 0, alreadyDecided: 3, pending: 0, refused: [] });
      expect(await countOf(sql.fragment`SELECT count(*) FROM journal_entries WHERE idempotency_key = ${`payout-complete-${a!.id}`}`)).toBe(1);
    });

    it('the ledger invariants hold', async () => {
      await assertLedgerInvariants(api.testDatabase.ownerUrl);
    });

    // LEDGERFLOW_RECORD_HISTORIES=1: the file's lock and its first close become test/histories/*.json, replayed by
    // test/workflows/replay.test.ts.
    it.runIf(process.env.LEDGERFLOW_RECORD_HISTORIES === '1')('records the lock and close histories', async () => {
      for (const [workflowId, file] of [[`payment-file-${fileId}`, 'payment-file-locked'], [`payment-file-${fileId}-close-1`, 'payment-file-closed']] as const) {
        await api.dependencies.temporal.workflow.getHandle(workflowId).result();
        const { stdout } = await promisify(execFile)(
          inject('temporalCli'),
          ['workflow', 'show', '--workflow-id', workflowId, '--output', 'json', '--address', inject('temporalAddress'), '--namespace', 'default'],
          { maxBuffer: 64 * 1024 * 1024 },
        );
        await writeFile(path.join(repositoryRoot, 'test', 'histories', `${file}.json`), stdout.endsWith('\n') ? stdout : `${stdout}\n`);
      }
    });
  });
});

describe('a lock workflow that was never started', () => {
  it('is started by the next close request, which answers 409 payment_file_locking until the file is OPEN', async () => {
    const payouts = await kit.approvedBankPayouts(2);
    // The export committed, and the API died before it started payment-file-<id>.
    const exporter = await api.createAdmin('admin');
    const { policy } = await api.dependencies.policies.active();
    const row = await createPayoutExport(api.database, { kind: 'METHOD_BATCH', methodId: 'BANK_TRANSFER', policy: policy.payouts, actor: exporter.id, ip: null });
    workflowIds.add(`payment-file-${row.id}`);
    expect((await kit.getFile(row.id)).paymentFile).toEqual({ status: 'LOCKING', counts: { total: 2, processing: 0, completed: 0, failed: 0, other: 2 } });
    const cancel = await decide(payouts[0]!.id, 'cancel', {});
    expect(await errorOf(cancel)).toMatchObject({ code: 'in_payment_file' });

    const early = await kit.close(row.id, { paid: payouts.map((payout) => payout.id) });
    expect(early.status).toBe(409);
    expect(await errorOf(early)).toMatchObject({ code: 'payment_file_locking', field: 'status' });
    expect(await countOf(sql.fragment`SELECT count(*) FROM payment_file_closes WHERE export_id = ${row.id}`)).toBe(0);
    await kit.waitForFile(row.id, 'OPEN');

    const response = await kit.close(row.id, { paid: payouts.map((payout) => payout.id) });
    expect(response.status, await response.clone().text()).toBe(202);
    const { closeId } = (await response.json()) as { closeId: string };
    workflowIds.add(`payment-file-${row.id}-close-1`);
    expect(await kit.waitForClose(row.id, closeId)).toMatchObject({ status: 'DONE', paid: 2, refused: [] });
    expect((await kit.getFile(row.id)).paymentFile).toMatchObject({ status: 'CLOSED' });
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });
});
