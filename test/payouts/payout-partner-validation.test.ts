import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import type { AdminRole } from '../../domain/access.ts';
import type { PartnerValidationPolicy } from '../../domain/payout-policy.ts';
import { isTerminalPayoutStatus, type PayoutStatus } from '../../domain/payout.ts';
import { createApiHarness, errorOf, type ApiHarness } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { createInProcessWorker, repositoryRoot } from '../helpers/temporal.ts';

/**
 * The "Pending" step in docs/rules.md#partner-validation (AWAITING_PARTNER in docs/rules.md#payout-statuses): under a policy that asks for it, the partner validates
 * the payout (and uploads an invoice when required) before the approval chain; without a validation in time the
 * payout is cancelled and its reserve returned. Policy versions are added in the order the describes run: first the
 * default (off), then validation, then validation with an invoice, then a short wait.
 */

let api: ApiHarness;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
const payoutIds = new Set<string>();

beforeAll(async () => {
  api = await createApiHarness();
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database: api.database, taskQueue: api.taskQueue }));
  workerRun = worker.run();
  // 100 RUB per USD, so 100 USD is 10,000 RUB: one approval by any admin.
  await api.owner.query(sql.unsafe`
    INSERT INTO fx_rates (currency, effective_at, usd_rate, created_by) VALUES ('RUB', now() - interval '1 day', 0.01, 'test')`);
});

afterAll(async () => {
  await Promise.allSettled(
    [...payoutIds].map(async (id) => {
      const handle = api.dependencies.temporal.workflow.getHandle(`payout-${id}`);
      const description = await handle.describe();
      if (description.status.name === 'RUNNING') await handle.terminate('test file finished');
    }),
  );
  worker?.shutdown();
  await workerRun;
  await workerConnection?.close();
  await api?.close();
});

const bankDetails = { accountName: 'Jane Doe', accountNumber: '12345678', routingNumber: '021000021' };
const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(64)]);

interface Invoice {
  id: string;
  payoutId: string;
  fileName: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  uploadedBy: string;
  url: string;
}

interface Payout {
  id: string;
  status: PayoutStatus;
  amount: string;
  detailsHash: string;
  workflowId: string;
  approvals: { role: string; decision: string }[];
  rejection: { code: string; reason: string | null } | null;
  partnerValidation: {
    invoiceRequired: boolean;
    dueAt: string | null;
    validatedBy: string | null;
    validatedAt: string | null;
    validatedInvoiceId: string | null;
    invoice: Invoice | null;
  } | null;
}

async function setPartnerValidation(partnerValidation: PartnerValidationPolicy) {
  const { policy } = await api.dependencies.policies.active();
  await api.dependencies.policies.add({
    document: { ...policy, payouts: { ...policy.payouts, partnerValidation } },
    effectiveFrom: new Date(),
    reason: 'partner validation test',
    actor: 'test',
  });
}

async function partnerWithLogin(funds: string) {
  const partnerId = `p_${randomBytes(5).toString('hex')}`;
  await api.owner.query(sql.unsafe`
    INSERT INTO partners (id, name, rank, status, kyc_status, joined_at)
    VALUES (${partnerId}, 'Jane Doe', '3', 'ACTIVE', 'APPROVED', now() - interval '30 days')`);
  const user = await api.createPartnerUser(partnerId);
  const token = await api.signIn(user);
  await api.dependencies.ledger.postEntry({
    idempotencyKey: `test-fund-${randomBytes(6).toString('hex')}`,
    kind: 'bonus',
    postings: [
      { account: { ownerType: 'platform', ownerId: 'platform', bucket: 'bonus_expense', currency: 'USD' }, amount: `-${funds}` },
      { account: { ownerType: 'partner', ownerId: partnerId, bucket: 'available', currency: 'USD' }, amount: funds },
    ],
  });
  return { partnerId, user, token };
}

async function balances(partnerId: string) {
  return (await api.dependencies.ledger.partnerBalances(partnerId)).find((row) => row.currency === 'USD')!;
}

async function createdPayout(token: string, partnerId: string, amount = '100.00'): Promise<Payout> {
  const response = await api.request('/v1/payouts', { token, body: { partnerId, amount, currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails } });
  expect(response.status, await response.clone().text()).toBe(201);
  const payout = (await response.json()) as Payout;
  payoutIds.add(payout.id);
  return payout;
}

/** Sends a decision as a fresh admin of the role, with a fresh TOTP code. */
async function decide(payoutId: string, action: string, role: AdminRole, body: Record<string, unknown> = {}) {
  const actor = await api.createAdmin(role);
  const token = await api.signIn(actor);
  return api.request(`/v1/payouts/${payoutId}/${action}`, { token, headers: { 'x-totp-code': await api.nextTotp(actor) }, body });
}

let reader: Promise<string> | undefined;
const readerToken = () => (reader ??= api.createAdmin('financial_support').then((admin) => api.signIn(admin)));

async function read(payoutId: string): Promise<Payout> {
  const response = await api.request(`/v1/payouts/${payoutId}`, { token: await readerToken() });
  expect(response.status).toBe(200);
  return (await response.json()) as Payout;
}

async function waitForStatus(payoutId: string, expected: PayoutStatus): Promise<Payout> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const payout = await read(payoutId);
    if (payout.status === expected) return payout;
    if (Date.now() > deadline || isTerminalPayoutStatus(payout.status)) throw new Error(`payout ${payoutId} is ${payout.status}, expected ${expected}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const validate = (token: string, payoutId: string, body: Record<string, unknown>) => api.request(`/v1/payouts/${payoutId}/validate`, { token, body });

/** A multipart upload, as a browser's form sends it. */
function uploadInvoice(token: string, payoutId: string, file: { bytes: Buffer; type: string; name: string }) {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(file.bytes)], { type: file.type }), file.name);
  return api.app.request(`/v1/payouts/${payoutId}/invoice`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
}

const countSchema = z.object({ count: z.number() });
const auditCount = (payoutId: string, action: string) =>
  api.owner.oneFirst(sql.type(countSchema)`
    SELECT count(*)::int AS count FROM audit_records WHERE target_type = 'payout' AND target_id = ${payoutId} AND action = ${action}`);
const noticeKinds = async (payoutId: string) =>
  (await api.owner.anyFirst(sql.type(z.object({ kind: z.string() }))`
    SELECT kind FROM notifications WHERE dedupe_key LIKE ${`%:${payoutId}%`} ORDER BY id`)) as string[];

/** With LEDGERFLOW_RECORD_HISTORIES=1, keeps the finished workflow's history in test/histories/<name>.json for replay. */
async function recordHistory(workflowId: string, name: string) {
  if (process.env.LEDGERFLOW_RECORD_HISTORIES !== '1') return;
  await api.dependencies.temporal.workflow.getHandle(workflowId).result();
  const { stdout } = await promisify(execFile)(
    inject('temporalCli'),
    ['workflow', 'show', '--workflow-id', workflowId, '--output', 'json', '--address', inject('temporalAddress'), '--namespace', 'default'],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  await writeFile(path.join(repositoryRoot, 'test', 'histories', `${name}.json`), stdout.endsWith('\n') ? stdout : `${stdout}\n`);
}

describe('with partner validation off (the default policy)', () => {
  it('when the checklist passes, the payout goes straight to AWAITING_APPROVAL and the partner has nothing to validate or upload', async () => {
    const { partnerId, token } = await partnerWithLogin('500.00');
    const created = await createdPayout(token, partnerId);
    const awaiting = await waitForStatus(created.id, 'AWAITING_APPROVAL');
    expect(awaiting.partnerValidation).toBeNull();

    const validated = await validate(token, created.id, { amount: '100.00', detailsHash: created.detailsHash });
    expect(validated.status).toBe(409);
    expect(await errorOf(validated)).toMatchObject({ code: 'invalid_state', field: 'status' });
    const uploaded = await uploadInvoice(token, created.id, { bytes: pdf, type: 'application/pdf', name: 'invoice.pdf' });
    expect(uploaded.status).toBe(409);
    expect(await errorOf(uploaded)).toMatchObject({ code: 'invoice_not_expected' });
    expect((await decide(created.id, 'cancel', 'admin')).status).toBe(200);
  });
});

describe('with partner validation required', () => {
  beforeAll(() => setPartnerValidation({ required: true, invoiceRequired: false, waitDays: 14 }));

  it('when the partner validates what they saw, the payout goes on to the approval chain and is paid as usual', async () => {
    const { partnerId, token } = await partnerWithLogin('500.00');
    const created = await createdPayout(token, partnerId);
    const pending = await waitForStatus(created.id, 'AWAITING_PARTNER');
    expect(pending.partnerValidation).toMatchObject({ invoiceRequired: false, validatedAt: null, invoice: null });
    // About 14 days from now (the row's deadline is set by the checklist's transaction).
    const dueInDays = (Date.parse(pending.partnerValidation!.dueAt!) - Date.now()) / 86_400_000;
    expect(dueInDays).toBeGreaterThan(13.9);
    expect(dueInDays).toBeLessThanOrEqual(14);
    // The partner is asked, with the deadline.
    const notices = await api.owner.any(sql.type(z.object({ kind: z.string(), partner_id: z.string().nullable(), body: z.string() }))`
      SELECT kind, partner_id, body FROM notifications WHERE dedupe_key = ${`payout-validation-requested:${created.id}`}`);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ kind: 'PARTNER_VALIDATION_REQUESTED', partner_id: partnerId });
    expect(notices[0]!.body).toContain(pending.partnerValidation!.dueAt!);
    const listed = await api.request('/v1/payouts?status=AWAITING_PARTNER', { token });
    expect(((await listed.json()) as { payouts: Payout[] }).payouts.map((payout) => payout.id)).toEqual([created.id]);
    // Nobody is asked to approve yet; only the partner is asked to validate.
    expect(await noticeKinds(created.id)).toEqual(['PARTNER_VALIDATION_REQUESTED']);

    const early = await decide(created.id, 'approve', 'admin', { amount: '100.00', detailsHash: created.detailsHash });
    expect(early.status).toBe(409);
    expect(await errorOf(early)).toMatchObject({ code: 'awaiting_partner', field: 'status' });

    const stranger = await partnerWithLogin('10.00');
    const foreign = await validate(stranger.token, created.id, { amount: '100.00', detailsHash: created.detailsHash });
    expect(foreign.status).toBe(403);
    const admin = await api.createAdmin('senior_admin');
    const byAdmin = await validate(await api.signIn(admin), created.id, { amount: '100.00', detailsHash: created.detailsHash });
    expect(byAdmin.status).toBe(403);

    const wrongHash = await validate(token, created.id, { amount: '100.00', detailsHash: 'f'.repeat(64) });
    expect(wrongHash.status).toBe(409);
    expect(await errorOf(wrongHash)).toMatchObject({ code: 'details_changed', field: 'body.detailsHash' });
    const wrongAmount = await validate(token, created.id, { amount: '90.00', detailsHash: created.detailsHash });
    expect(wrongAmount.status).toBe(409);
    expect(await errorOf(wrongAmount)).toMatchObject({ code: 'amount_mismatch', field: 'body.amount' });
    expect(await auditCount(created.id, 'PAYOUT_PARTNER_VALIDATE')).toBe(0);

    const validated = await validate(token, created.id, { amount: '100', detailsHash: created.detailsHash });
    expect(validated.status, await validated.clone().text()).toBe(200);
    const body = (await validated.json()) as Payout;
    expect(body).toMatchObject({ status: 'AWAITING_APPROVAL', partnerValidation: { validatedInvoiceId: null, invoice: null } });
    expect(body.partnerValidation!.validatedAt).not.toBeNull();
    expect(await auditCount(created.id, 'PAYOUT_PARTNER_VALIDATE')).toBe(1);
    expect(await noticeKinds(created.id)).toEqual(['PARTNER_VALIDATION_REQUESTED', 'APPROVAL_REQUESTED']);
    const again = await validate(token, created.id, { amount: '100.00', detailsHash: created.detailsHash });
    expect(again.status).toBe(409);

    expect((await decide(created.id, 'approve', 'admin', { amount: '100.00', detailsHash: created.detailsHash })).status).toBe(200);
    expect((await decide(created.id, 'process', 'admin', { externalReference: 'REF-VALIDATED' })).status).toBe(200);
    const completed = await decide(created.id, 'complete', 'admin');
    expect(completed.status, await completed.clone().text()).toBe(200);
    expect(await completed.json()).toMatchObject({ status: 'COMPLETED' });
    expect(await balances(partnerId)).toMatchObject({ available: '400.00', payout_reserved: '0.00' });
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
    await recordHistory(created.workflowId, 'payout-partner-validated-lean');
  });

  it('while the payout waits for its partner, an admin may reject it and the partner may cancel it; the reserve returns', async () => {
    const first = await partnerWithLogin('300.00');
    const rejected = await createdPayout(first.token, first.partnerId, '120.00');
    await waitForStatus(rejected.id, 'AWAITING_PARTNER');
    const rejection = await decide(rejected.id, 'reject', 'admin', { code: 'INVALID_METHOD', reason: 'the bank does not accept the account' });
    expect(rejection.status, await rejection.clone().text()).toBe(200);
    expect(await rejection.json()).toMatchObject({ status: 'REJECTED', rejection: { code: 'INVALID_METHOD' } });
    expect(await balances(first.partnerId)).toMatchObject({ available: '300.00', payout_reserved: '0.00' });

    const second = await partnerWithLogin('300.00');
    const cancelled = await createdPayout(second.token, second.partnerId, '150.00');
    await waitForStatus(cancelled.id, 'AWAITING_PARTNER');
    const cancel = await api.request(`/v1/payouts/${cancelled.id}/cancel`, { token: second.token, body: { reason: 'the amount is wrong' } });
    expect(cancel.status, await cancel.clone().text()).toBe(200);
    expect(await cancel.json()).toMatchObject({ status: 'CANCELLED' });
    expect(await balances(second.partnerId)).toMatchObject({ available: '300.00', payout_reserved: '0.00' });
    const late = await validate(second.token, cancelled.id, { amount: '150.00', detailsHash: cancelled.detailsHash });
    expect(late.status).toBe(409);
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });
});

describe('with partner validation and an invoice required', () => {
  beforeAll(() => setPartnerValidation({ required: true, invoiceRequired: true, waitDays: 14 }));

  it('the partner must upload a PDF, PNG or JPEG invoice before validating; the validated invoice is fixed and readable by admins', async () => {
    const { partnerId, user, token } = await partnerWithLogin('500.00');
    const created = await createdPayout(token, partnerId);
    await waitForStatus(created.id, 'AWAITING_PARTNER');
    const approval = { amount: '100.00', detailsHash: created.detailsHash };

    const withoutInvoice = await validate(token, created.id, approval);
    expect(withoutInvoice.status).toBe(409);
    expect(await errorOf(withoutInvoice)).toMatchObject({ code: 'invoice_required', field: 'invoice' });

    const wrongType = await uploadInvoice(token, created.id, { bytes: Buffer.from('plain text'), type: 'text/plain', name: 'invoice.txt' });
    expect(wrongType.status).toBe(415);
    expect(await errorOf(wrongType)).toMatchObject({ code: 'unsupported_media_type', field: 'body.file' });
    const disguised = await uploadInvoice(token, created.id, { bytes: Buffer.from('<html>not a pdf</html>'), type: 'application/pdf', name: 'invoice.pdf' });
    expect(disguised.status).toBe(415);
    expect(await errorOf(disguised)).toMatchObject({ code: 'unsupported_media_type', field: 'body.file' });
    const asJson = await api.request(`/v1/payouts/${created.id}/invoice`, { token, body: { file: pdf.toString('base64') } });
    expect(asJson.status).toBe(415);
    expect(await errorOf(asJson)).toMatchObject({ field: 'Content-Type' });
    const justTooLarge = await uploadInvoice(token, created.id, { bytes: Buffer.concat([pdf, Buffer.alloc(5 * 1024 * 1024 + 1 - pdf.length)]), type: 'application/pdf', name: 'big.pdf' });
    expect(justTooLarge.status).toBe(413);
    expect(await errorOf(justTooLarge)).toMatchObject({ code: 'file_too_large', field: 'body.file' });
    const farTooLarge = await uploadInvoice(token, created.id, { bytes: Buffer.concat([pdf, Buffer.alloc(6 * 1024 * 1024)]), type: 'application/pdf', name: 'huge.pdf' });
    expect(farTooLarge.status).toBe(413);
    expect(await errorOf(farTooLarge)).toMatchObject({ code: 'file_too_large', field: 'body.file' });
    const noFile = new FormData();
    noFile.append('document', new Blob([new Uint8Array(pdf)], { type: 'application/pdf' }), 'invoice.pdf');
    const misnamed = await api.app.request(`/v1/payouts/${created.id}/invoice`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: noFile });
    expect(misnamed.status).toBe(400);
    expect(await errorOf(misnamed)).toMatchObject({ code: 'invalid_request', field: 'body.file' });
    const stranger = await partnerWithLogin('10.00');
    const foreign = await uploadInvoice(stranger.token, created.id, { bytes: pdf, type: 'application/pdf', name: 'invoice.pdf' });
    expect(foreign.status).toBe(403);
    expect(await auditCount(created.id, 'PAYOUT_INVOICE_UPLOAD')).toBe(0);

    const first = await uploadInvoice(token, created.id, { bytes: png, type: 'image/png', name: 'scan.png' });
    expect(first.status, await first.clone().text()).toBe(201);
    const replaced = await uploadInvoice(token, created.id, { bytes: pdf, type: 'application/pdf', name: 'Счёт №7.pdf' });
    expect(replaced.status, await replaced.clone().text()).toBe(201);
    const invoice = (await replaced.json()) as Invoice;
    expect(invoice).toMatchObject({ payoutId: created.id, fileName: 'Счёт №7.pdf', contentType: 'application/pdf', sizeBytes: pdf.length, uploadedBy: user.id });
    const same = await uploadInvoice(token, created.id, { bytes: pdf, type: 'application/pdf', name: 'Счёт №7.pdf' });
    expect(same.status).toBe(200);
    expect(((await same.json()) as Invoice).id).toBe(invoice.id);
    expect(await auditCount(created.id, 'PAYOUT_INVOICE_UPLOAD')).toBe(2);

    for (const reader of [token, await readerToken()]) {
      const download = await api.request(`/v1/payouts/${created.id}/invoice`, { token: reader });
      expect(download.status).toBe(200);
      expect(download.headers.get('content-type')).toBe('application/pdf');
      expect(download.headers.get('content-disposition')).toContain("filename*=UTF-8''%D0%A1%D1%87%D1%91%D1%82");
      expect(Buffer.from(await download.arrayBuffer()).equals(pdf)).toBe(true);
    }
    expect((await api.request(`/v1/payouts/${created.id}/invoice`, { token: stranger.token })).status).toBe(403);

    const validated = await validate(token, created.id, approval);
    expect(validated.status, await validated.clone().text()).toBe(200);
    expect(await validated.json()).toMatchObject({
      status: 'AWAITING_APPROVAL',
      partnerValidation: { invoiceRequired: true, validatedInvoiceId: invoice.id, invoice: { id: invoice.id } },
    });
    const afterValidation = await uploadInvoice(token, created.id, { bytes: png, type: 'image/png', name: 'late.png' });
    expect(afterValidation.status).toBe(409);
    expect(await errorOf(afterValidation)).toMatchObject({ code: 'invalid_state' });

    const approved = await decide(created.id, 'approve', 'admin', approval);
    expect(approved.status, await approved.clone().text()).toBe(200);
    expect(await approved.json()).toMatchObject({ status: 'APPROVED' });
    // The stored file is history: not even the database owner may change it without disabling the trigger.
    await expect(api.owner.query(sql.unsafe`UPDATE payout_invoices SET file_name = 'x.pdf' WHERE payout_id = ${created.id}`)).rejects.toThrow();
    expect((await decide(created.id, 'cancel', 'admin')).status).toBe(200);
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });
});

describe('when the partner does not validate in time', () => {
  beforeAll(() => setPartnerValidation({ required: true, invoiceRequired: false, waitDays: 14, waitSeconds: 2 }));

  it('the payout is cancelled by the lifecycle and its amount returns to available', async () => {
    const { partnerId, token } = await partnerWithLogin('250.00');
    const created = await createdPayout(token, partnerId, '200.00');
    expect(await balances(partnerId)).toMatchObject({ available: '50.00', payout_reserved: '200.00' });
    await waitForStatus(created.id, 'CANCELLED');
    expect(await balances(partnerId)).toMatchObject({ available: '250.00', payout_reserved: '0.00' });
    const closed = await api.owner.one(sql.type(z.object({ closed_by: z.string(), rejection_reason: z.string() }))`
      SELECT closed_by, rejection_reason FROM payouts WHERE id = ${created.id}`);
    expect(closed).toEqual({ closed_by: 'system:partner-validation', rejection_reason: 'not validated by the partner in 2 seconds' });
    expect(await auditCount(created.id, 'PAYOUT_CANCEL')).toBe(1);
    expect(await noticeKinds(created.id)).toEqual(['PARTNER_VALIDATION_REQUESTED', 'PAYOUT_CANCELLED']);
    const late = await validate(token, created.id, { amount: '200.00', detailsHash: created.detailsHash });
    expect(late.status).toBe(409);
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
    await recordHistory(created.workflowId, 'payout-partner-timeout-cancelled-lean');
  });
});
