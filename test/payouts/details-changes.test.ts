import type { NativeConnection, Worker } from '@temporalio/worker';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { deliverNotifications } from '../../modules/notifications/delivery.ts';
import { createApiHarness, errorOf, wrongTotp, type ApiHarness, type TestAdmin } from '../helpers/api.ts';
import { payoutKit, type PayoutView } from '../helpers/payouts.ts';
import { createInProcessWorker } from '../helpers/temporal.ts';
import { startSmtpCapture, type SmtpCapture } from '../notifications/smtp-capture.ts';

/**
 * docs/rules.md#details-change-controls (issue #16, "Details changes"), against a real PostgreSQL, a real Temporal
 * dev server with the payout workflow, and a real SMTP server: every change of a partner's payment details is
 * recorded, audited masked and e-mailed; the admin who changed them may not approve the partner's payouts for the
 * policy's window; a payout to recently changed details needs at least the senior tier; partners enrol TOTP, and
 * then sign-in and details changes ask for it.
 */

let api: ApiHarness;
let kit: ReturnType<typeof payoutKit>;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
let capture: SmtpCapture;

// The kit's partners are named 'Robust Partner': the account holder name matches, so the checklist passes.
const bank = { accountName: 'Robust Partner', accountNumber: '12345678', routingNumber: '021000021' };
const otherBank = { ...bank, accountNumber: '99887766' };
const anyAdmin = ['admin', 'senior_admin', 'finance_manager', 'finance_director'];

beforeAll(async () => {
  api = await createApiHarness();
  kit = payoutKit(api);
  capture = await startSmtpCapture();
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database: api.database, taskQueue: api.taskQueue }));
  workerRun = worker.run();
  // 100 RUB per USD: 100.00 USD is 10,000 RUB, the first tier (any admin) by amount.
  await kit.insertRubRate();
});

afterAll(async () => {
  worker?.shutdown();
  await workerRun;
  await workerConnection?.close();
  await capture?.stop();
  await api?.close();
});

const save = (token: string, partnerId: string, details: Record<string, string>, headers: Record<string, string> = {}) =>
  api.request(`/v1/partners/${partnerId}/payment-methods/BANK_TRANSFER`, { method: 'PUT', token, headers, body: { details } });

const requestPayout = async (token: string, partnerId: string, paymentDetails?: Record<string, string>, headers: Record<string, string> = {}) =>
  api.request('/v1/payouts', { token, headers, body: { partnerId, amount: '100.00', currency: 'USD', methodId: 'BANK_TRANSFER', ...(paymentDetails ? { paymentDetails } : {}) } });

async function created(response: Response): Promise<PayoutView> {
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as PayoutView;
}

async function signedInAdmin(role: TestAdmin['role']) {
  const admin = await api.createAdmin(role);
  return { admin, token: await api.signIn(admin) };
}

const approve = async (actor: { admin: TestAdmin; token: string }, payout: PayoutView) =>
  api.request(`/v1/payouts/${payout.id}/approve`, {
    token: actor.token,
    headers: { 'x-totp-code': await api.nextTotp(actor.admin) },
    body: { amount: payout.amount, detailsHash: payout.detailsHash },
  });

const changeRow = z.object({
  changed_by: z.string(),
  changed_by_role: z.string(),
  source: z.string(),
  initial: z.boolean(),
  changed_fields: z.array(z.string()),
  details_before: z.record(z.string()).nullable(),
  details_after: z.record(z.string()),
});
const changesOf = (partnerId: string) =>
  api.owner.any(sql.type(changeRow)`
    SELECT changed_by, changed_by_role, source, initial, changed_fields, details_before, details_after
    FROM payment_details_changes WHERE partner_id = ${partnerId} ORDER BY changed_at, id`);

describe('an admin who changed a partner’s payment details', () => {
  it('cannot approve that partner’s payout within the window; another admin of the tier can', async () => {
    const { partnerId, token } = await kit.partnerWithLogin({ USD: '500.00' });
    expect((await save(token, partnerId, bank)).status).toBe(200);
    const changer = await signedInAdmin('senior_admin');
    const changed = await save(changer.token, partnerId, otherBank, { 'x-totp-code': await api.nextTotp(changer.admin) });
    expect(changed.status, await changed.clone().text()).toBe(200);

    const payout = await created(await requestPayout(token, partnerId));
    await kit.waitForStatus(payout.id, 'AWAITING_APPROVAL');

    const refused = await approve(changer, payout);
    expect(refused.status).toBe(403);
    expect((await errorOf(refused)).code).toBe('details_changed_by_approver');
    const afterRefusal = await kit.read(payout.id);
    expect(afterRefusal.status).toBe('AWAITING_APPROVAL');
    expect(afterRefusal.approvals).toEqual([]);
    expect(await kit.auditCount(payout.id, 'PAYOUT_APPROVE')).toBe(0);

    const other = await signedInAdmin('senior_admin');
    const accepted = await approve(other, payout);
    expect(accepted.status, await accepted.clone().text()).toBe(200);
    expect((await kit.waitForStatus(payout.id, 'APPROVED')).approvals.map((approval) => approval.userId)).toEqual([other.admin.id]);
  });

  it('setting details with a payout request counts too: the admin who sent them is the maker and may not approve later payouts', async () => {
    const { partnerId } = await kit.partnerWithLogin({ USD: '500.00' });
    const maker = await signedInAdmin('admin');
    const first = await created(
      await api.request('/v1/payouts', {
        token: maker.token,
        headers: { 'x-totp-code': await api.nextTotp(maker.admin) },
        body: { partnerId, amount: '100.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bank },
      }),
    );
    const [change] = await changesOf(partnerId);
    expect(change).toMatchObject({ changed_by: maker.admin.id, changed_by_role: 'admin', source: 'PAYOUT_REQUEST', initial: true });
    await kit.waitForStatus(first.id, 'AWAITING_APPROVAL');
    // First details are a setup, not a change: the chain stays the amount's.
    expect(first.requiredChain).toEqual([{ roles: anyAdmin }]);
    expect((await kit.decide(first.id, 'reject', 'admin', { code: 'INVALID_METHOD', reason: 'test' })).status).toBe(200);
    await kit.waitForStatus(first.id, 'REJECTED');

    // A second payout, requested by the partner with the saved details: the maker of the details still may not approve.
    const { token } = { token: await api.signIn(await partnerUserOf(partnerId)) };
    const second = await created(await requestPayout(token, partnerId));
    await kit.waitForStatus(second.id, 'AWAITING_APPROVAL');
    const refused = await approve(maker, second);
    expect(refused.status).toBe(403);
    expect((await errorOf(refused)).code).toBe('details_changed_by_approver');
  });
});

/** A new login for an existing partner (the kit's own user's password is not kept). */
async function partnerUserOf(partnerId: string) {
  return api.createPartnerUser(partnerId);
}

describe('a payout to details changed within the window', () => {
  it('needs at least the senior tier, whoever changed them and however', async () => {
    // Changed through the saved method.
    const viaSave = await kit.partnerWithLogin({ USD: '500.00' });
    expect((await save(viaSave.token, viaSave.partnerId, bank)).status).toBe(200);
    expect((await save(viaSave.token, viaSave.partnerId, otherBank)).status).toBe(200);
    const toChanged = await created(await requestPayout(viaSave.token, viaSave.partnerId));
    expect(toChanged.requiredChain).toEqual([{ roles: ['senior_admin'] }]);
    await kit.waitForStatus(toChanged.id, 'AWAITING_APPROVAL');
    const standard = await kit.decide(toChanged.id, 'approve', 'admin', { amount: toChanged.amount, detailsHash: toChanged.detailsHash });
    expect(standard.status).toBe(403);
    expect((await errorOf(standard)).code).toBe('role_not_in_chain');
    expect((await kit.decide(toChanged.id, 'approve', 'senior_admin', { amount: toChanged.amount, detailsHash: toChanged.detailsHash })).status).toBe(200);

    // Changed by the request itself.
    const viaRequest = await kit.partnerWithLogin({ USD: '500.00' });
    expect((await save(viaRequest.token, viaRequest.partnerId, bank)).status).toBe(200);
    const withNewDetails = await created(await requestPayout(viaRequest.token, viaRequest.partnerId, otherBank));
    expect(withNewDetails.requiredChain).toEqual([{ roles: ['senior_admin'] }]);
    expect((await changesOf(viaRequest.partnerId)).map((change) => [change.source, change.initial, change.changed_fields])).toEqual([
      ['SAVED_METHOD', true, ['accountName', 'accountNumber', 'routingNumber']],
      ['PAYOUT_REQUEST', false, ['accountNumber']],
    ]);

    // Unchanged details keep the amount's tier.
    const unchanged = await kit.partnerWithLogin({ USD: '500.00' });
    expect((await save(unchanged.token, unchanged.partnerId, bank)).status).toBe(200);
    expect((await save(unchanged.token, unchanged.partnerId, bank)).status).toBe(200);
    const same = await created(await requestPayout(unchanged.token, unchanged.partnerId, bank));
    expect(same.requiredChain).toEqual([{ roles: anyAdmin }]);
    expect(await changesOf(unchanged.partnerId)).toHaveLength(1);
  });
});

describe('every change', () => {
  it('is recorded with who, role and fields, audited with masked values and e-mailed to the partner', async () => {
    const { partnerId, token } = await kit.partnerWithLogin();
    expect((await save(token, partnerId, bank)).status).toBe(200);
    const admin = await signedInAdmin('admin');
    expect((await save(admin.token, partnerId, otherBank, { 'x-totp-code': await api.nextTotp(admin.admin) })).status).toBe(200);

    const changes = await changesOf(partnerId);
    expect(changes).toHaveLength(2);
    expect(changes[1]).toMatchObject({
      changed_by: admin.admin.id,
      changed_by_role: 'admin',
      source: 'SAVED_METHOD',
      initial: false,
      changed_fields: ['accountNumber'],
      details_before: { accountNumber: '****5678' },
      details_after: { accountNumber: '****7766' },
    });
    const audit = await api.owner.any(sql.type(z.object({ actor: z.string(), details: z.record(z.unknown()) }))`
      SELECT actor, details FROM audit_records WHERE action = 'PARTNER_CHANGE' AND target_id = ${partnerId} ORDER BY id`);
    expect(audit.at(-1)).toMatchObject({ actor: admin.admin.id, details: { changedFields: ['accountNumber'], role: 'admin', before: { accountNumber: '****5678' } } });
    expect(JSON.stringify([changes, audit])).not.toContain(bank.accountNumber);
    expect(JSON.stringify([changes, audit])).not.toContain(otherBank.accountNumber);

    const listed = await api.request(`/v1/partners/${partnerId}/payment-details-changes`, { token });
    expect(listed.status).toBe(200);
    const { changes: shown } = (await listed.json()) as { changes: { changedBy: string; changedByRole: string; changedFields: string[]; after: Record<string, string> }[] };
    expect(shown[0]).toMatchObject({ changedBy: admin.admin.id, changedByRole: 'admin', changedFields: ['accountNumber'], after: { accountNumber: '****7766' } });
    expect(shown).toHaveLength(2);
    const stranger = await kit.partnerWithLogin();
    expect((await api.request(`/v1/partners/${partnerId}/payment-details-changes`, { token: stranger.token })).status).toBe(403);

    const partnerEmails = await api.owner.anyFirst(sql.type(z.object({ email: z.string() }))`
      SELECT email FROM users WHERE partner_id = ${partnerId}`);
    await deliverNotifications(api.database, { url: capture.url, from: 'ledgerflow <no-reply@ledgerflow.test>' });
    const mine = capture.messages.filter((message) => message.envelopeTo.some((to) => partnerEmails.includes(to)));
    expect(mine.map((message) => message.subject)).toEqual(['Your BANK_TRANSFER payment details were changed', 'Your BANK_TRANSFER payment details were changed']);
    expect(mine[1]!.text).toContain('by an administrator');
    expect(mine[1]!.text).toContain('accountNumber: ****5678 -> ****7766');
    expect(mine.map((message) => message.text).join('\n')).not.toContain(otherBank.accountNumber);
  });
});

describe('a partner’s TOTP', () => {
  it('is enrolled with the password and a code, and then sign-in and every details change ask for it', async () => {
    const { partnerId } = await kit.partnerWithLogin({ USD: '500.00' });
    const user = await api.createPartnerUser(partnerId);
    const token = await api.signIn(user);
    expect((await save(token, partnerId, bank)).status).toBe(200);

    const wrongPassword = await api.request('/v1/me/totp', { token, body: { password: 'not-the-password' } });
    expect(wrongPassword.status).toBe(403);
    expect((await errorOf(wrongPassword)).field).toBe('body.password');
    const started = await api.request('/v1/me/totp', { token, body: { password: user.password } });
    expect(started.status).toBe(200);
    const { secret, otpauthUri } = (await started.json()) as { secret: string; otpauthUri: string };
    expect(otpauthUri).toContain(`secret=${secret}`);
    // Until confirmed, nothing asks for it.
    expect((await api.request('/v1/me/totp', { token }).then((response) => response.json()))).toEqual({ enrolled: false, pending: true, required: false });
    expect((await save(token, partnerId, bank)).status).toBe(200);

    const withTotp = { ...user, totpSecret: secret, lastTotpStep: null as number | null, role: 'admin' as const };
    const wrongCode = await api.request('/v1/me/totp/confirm', { token, body: { code: wrongTotp(secret) } });
    expect(wrongCode.status).toBe(400);
    expect((await errorOf(wrongCode)).field).toBe('body.code');
    const confirmed = await api.request('/v1/me/totp/confirm', { token, body: { code: await api.nextTotp(withTotp) } });
    expect(confirmed.status, await confirmed.clone().text()).toBe(200);
    expect(await confirmed.json()).toEqual({ enrolled: true, pending: false, required: false });

    const withoutCode = await save(token, partnerId, otherBank);
    expect(withoutCode.status).toBe(401);
    expect(await errorOf(withoutCode)).toMatchObject({ code: 'totp_required', field: 'X-TOTP-Code' });
    expect(await changesOf(partnerId)).toHaveLength(1);
    const payoutWithoutCode = await requestPayout(token, partnerId, otherBank);
    expect(payoutWithoutCode.status).toBe(401);
    expect((await errorOf(payoutWithoutCode)).code).toBe('totp_required');
    expect((await save(token, partnerId, otherBank, { 'x-totp-code': await api.nextTotp(withTotp) })).status).toBe(200);

    const passwordOnly = await api.request('/v1/auth/login', { body: { email: user.email, password: user.password } });
    expect(passwordOnly.status).toBe(401);
    // Sign-in answers every failure alike (docs/rules.md#sign-in), a missing code included.
    expect((await errorOf(passwordOnly)).code).toBe('invalid_credentials');
    expect((await api.request('/v1/auth/login', { body: { email: user.email, password: user.password, totp: await api.nextTotp(withTotp) } })).status).toBe(200);
  });

  it('is required by the policy above a balance: without it, no details change and no payout request', async () => {
    const { policy } = await api.dependencies.policies.active();
    const { partnerId, token } = await kit.partnerWithLogin({ USD: '500.00' });
    const small = await kit.partnerWithLogin({ USD: '5.00' });
    await api.dependencies.policies.add({
      document: { ...policy, payouts: { ...policy.payouts, detailsChange: { ...policy.payouts.detailsChange, partnerTotpRequiredAboveRub: '10000' } } },
      effectiveFrom: new Date(),
      reason: 'partner TOTP above 10,000 RUB',
      actor: 'test',
    });
    // 500 USD is 50,000 RUB.
    const refused = await save(token, partnerId, bank);
    expect(refused.status).toBe(403);
    expect(await errorOf(refused)).toMatchObject({ code: 'totp_enrolment_required', field: 'X-TOTP-Code' });
    const payout = await requestPayout(token, partnerId, bank);
    expect(payout.status).toBe(403);
    expect((await errorOf(payout)).code).toBe('totp_enrolment_required');
    expect(await changesOf(partnerId)).toHaveLength(0);
    expect(await api.request('/v1/me/totp', { token }).then((response) => response.json())).toEqual({ enrolled: false, pending: false, required: true });
    // 5 USD (500 RUB) is below it.
    expect((await save(small.token, small.partnerId, bank)).status).toBe(200);
  });
});
