import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createNotificationActivities } from '../../activities/notifications.ts';
import { maxDeliveryAttempts } from '../../modules/notifications/delivery.ts';
import { enqueueNotification, type NotificationInput } from '../../modules/notifications/outbox.ts';
import { payoutNotices } from '../../modules/notifications/payout-notices.ts';
import { freePort } from '../../stack/ports.ts';
import { startMailSink } from '../../stack/mail-sink.ts';
import { createApiHarness, errorOf, type ApiHarness } from '../helpers/api.ts';
import { startSmtpCapture, type CapturedMessage, type SmtpCapture } from './smtp-capture.ts';

/**
 * The notification outbox against a real database and a real SMTP server (smtp-server, in process): enqueue inside
 * the caller's transaction, delivery by nodemailer over TCP, failures and retries, and the API's list.
 */

const from = 'ledgerflow <no-reply@ledgerflow.test>';
let api: ApiHarness;
let capture: SmtpCapture;
let delivery: ReturnType<typeof createNotificationActivities>;

beforeAll(async () => {
  api = await createApiHarness();
  capture = await startSmtpCapture();
  delivery = createNotificationActivities({ database: api.database, smtp: { url: capture.url, from } });
});

afterAll(async () => {
  await capture?.stop();
  await api?.close();
});

const rowSchema = z.object({
  status: z.string(),
  attempts: z.number(),
  last_error: z.string().nullable(),
  sent_at: z.date().nullable(),
  recipients: z.array(z.string()),
  waiting: z.boolean(),
});

async function rowOf(id: string) {
  return api.owner.one(sql.type(rowSchema)`
    SELECT status, attempts, last_error, sent_at, recipients, next_attempt_at > now() AS waiting
    FROM notifications WHERE id = ${id}`);
}

function messagesOf(id: string): CapturedMessage[] {
  return capture.messages.filter((message) => message.headers.get('x-ledgerflow-notification')?.split(' ')[1] === id);
}

/** Enqueues in a transaction of its own, as an activity's transaction would. */
function enqueue(input: NotificationInput) {
  return api.database.transaction((transaction) => enqueueNotification(transaction, input));
}

const unique = () => randomBytes(5).toString('hex');

describe('delivery by SMTP', () => {
  it('a rejected payout reaches the partner’s login address with the reason code and text', async () => {
    const partner = await api.createPartnerUser();
    const payoutId = `payout-${unique()}`;
    const notice = payoutNotices.rejected({
      payoutId, partnerId: partner.partnerId, amount: '120.5', currency: 'USD',
      rejectionCode: 'INVALID_METHOD', reason: 'The IBAN belongs to another person — please re-enter it', destination: 'available',
    });
    const { id, created, status } = await enqueue({
      dedupeKey: `payout-rejected:${payoutId}`, kind: 'PAYOUT_REJECTED', recipient: { kind: 'partner', partnerId: partner.partnerId }, ...notice,
    });
    expect({ created, status }).toEqual({ created: true, status: 'PENDING' });

    const result = await delivery.deliverNotifications();

    expect(result).toMatchObject({ configured: true, sent: 1, retrying: 0, gaveUp: 0, full: false });
    const [message, ...others] = messagesOf(id);
    expect(others).toHaveLength(0);
    expect(message!.envelopeTo).toEqual([partner.email]);
    expect(message!.headers.get('to')).toBe(partner.email);
    expect(message!.headers.get('from')).toBe(from);
    expect(message!.headers.get('message-id')).toBe(`<notification-${id}@ledgerflow>`);
    expect(message!.subject).toBe('Your payout request of 120.50 USD was rejected');
    expect(message!.text).toBe([
      `Your payout request ${payoutId} of 120.50 USD was rejected.`,
      '',
      'Reason: INVALID_METHOD: The IBAN belongs to another person — please re-enter it',
      '',
      'The amount is back in your available balance; you may request a payout again.',
    ].join('\n'));
    const row = await rowOf(id);
    expect(row).toMatchObject({ status: 'SENT', attempts: 1, last_error: null });
    expect(row.sent_at).toBeInstanceOf(Date);
  });

  it('an enqueue retried with the same dedupe key writes one notification and sends one message', async () => {
    const partner = await api.createPartnerUser();
    const input: NotificationInput = {
      dedupeKey: `payout-completed:${unique()}`, kind: 'PAYOUT_COMPLETED', recipient: { kind: 'partner', partnerId: partner.partnerId },
      ...payoutNotices.completed({ payoutId: 'p-1', partnerId: partner.partnerId, amount: '100', currency: 'USD', fee: '2', amountToTransfer: '98', reference: 'ref-1', methodId: 'PAYQUICKER' }),
    };
    const first = await enqueue(input);
    // The activity's first attempt committed, its answer was lost, and Temporal ran it again.
    const second = await enqueue(input);
    expect(second).toEqual({ id: first.id, created: false, status: 'PENDING' });

    await delivery.deliverNotifications();
    const again = await delivery.deliverNotifications();

    expect(again.claimed).toBe(0);
    expect(messagesOf(first.id)).toHaveLength(1);
    expect(messagesOf(first.id)[0]!.text).toContain('Transferred: 98.00 USD by PAYQUICKER');
    expect(await api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`
      SELECT count(*)::int AS count FROM notifications WHERE dedupe_key = ${input.dedupeKey}`)).toBe(1);
  });

  it('a notification enqueued in a transaction that rolls back is never written nor sent', async () => {
    const partner = await api.createPartnerUser();
    const dedupeKey = `payout-failed:${unique()}`;
    await expect(api.database.transaction(async (transaction) => {
      await enqueueNotification(transaction, {
        dedupeKey, kind: 'PAYOUT_FAILED', recipient: { kind: 'partner', partnerId: partner.partnerId },
        ...payoutNotices.failed({ payoutId: 'p-2', partnerId: partner.partnerId, amount: '10', currency: 'USD', failureCode: 'ACCOUNT_CLOSED', reason: null }),
      });
      throw new Error('the change it reports failed');
    })).rejects.toThrow('the change it reports failed');

    expect(await api.owner.maybeOneFirst(sql.type(z.object({ id: z.string() }))`
      SELECT id FROM notifications WHERE dedupe_key = ${dedupeKey}`)).toBeNull();
  });

  it('a partner without a login is recorded as undeliverable instead of being dropped', async () => {
    const partnerId = await api.createPartner();
    const { id, status } = await enqueue({
      dedupeKey: `payout-cancelled:${unique()}`, kind: 'PAYOUT_CANCELLED', recipient: { kind: 'partner', partnerId },
      ...payoutNotices.cancelled({ payoutId: 'p-3', partnerId, amount: '5', currency: 'EUR', reason: null }),
    });

    await delivery.deliverNotifications();

    expect(status).toBe('FAILED');
    expect(await rowOf(id)).toMatchObject({ status: 'FAILED', attempts: 0, recipients: [], last_error: `undeliverable: partner ${partnerId} has no active user login with an email address` });
    expect(messagesOf(id)).toHaveLength(0);
  });

  it('an admin notice goes to every active admin of the role but the excluded ones, and to no other role', async () => {
    const [first, second] = [await api.createAdmin('finance_manager'), await api.createAdmin('finance_manager')];
    const other = await api.createAdmin('senior_admin');
    const { id } = await enqueue({
      dedupeKey: `payout-needs-review:${unique()}`, kind: 'PAYOUT_NEEDS_REVIEW',
      recipient: { kind: 'admin_role', roles: ['finance_manager'], excludeUserIds: [second!.id] },
      ...payoutNotices.needsReview({ payoutId: 'p-4', partnerId: 'p_x', amount: '700', currency: 'USD', methodId: 'PAYQUICKER', failureCode: 'TIMEOUT', reason: 'no answer after 3 attempts' }),
    });

    await delivery.deliverNotifications();

    const [message] = messagesOf(id);
    expect(message!.envelopeTo).toContain(first!.email);
    expect(message!.envelopeTo).not.toContain(second!.email);
    expect(message!.envelopeTo).not.toContain(other.email);
    expect(message!.subject).toBe('Payout p-4 needs manual review');
    expect(message!.text).toContain('The provider did not pay it: TIMEOUT: no answer after 3 attempts');
  });
});

describe('delivery failures', () => {
  it('when the SMTP server refuses (451, then 550) or is down, the notification stays pending with the error, and a later run delivers it', async () => {
    const partner = await api.createPartnerUser();
    const { id } = await enqueue({
      dedupeKey: `payout-failed:${unique()}`, kind: 'PAYOUT_FAILED', recipient: { kind: 'partner', partnerId: partner.partnerId },
      ...payoutNotices.failed({ payoutId: 'p-5', partnerId: partner.partnerId, amount: '42', currency: 'USD', failureCode: 'INVALID_ACCOUNT', reason: 'unknown account' }),
    });
    const timePasses = () => api.owner.query(sql.unsafe`UPDATE notifications SET next_attempt_at = now() WHERE id = ${id}`);

    capture.refuse = { code: 451, message: 'try again later' };
    const busy = await delivery.deliverNotifications();
    expect(busy).toMatchObject({ sent: 0, retrying: 1 });
    expect(await rowOf(id)).toMatchObject({ status: 'PENDING', attempts: 1, waiting: true, last_error: expect.stringContaining('451') });
    // Not due yet: the next run leaves it alone.
    expect((await delivery.deliverNotifications()).claimed).toBe(0);

    capture.refuse = { code: 550, message: 'mailbox unavailable' };
    await timePasses();
    await delivery.deliverNotifications();
    expect(await rowOf(id)).toMatchObject({ status: 'PENDING', attempts: 2, last_error: expect.stringContaining('550') });

    const port = await freePort();
    const down = createNotificationActivities({ database: api.database, smtp: { url: `smtp://127.0.0.1:${port}`, from } });
    await timePasses();
    await down.deliverNotifications();
    expect(await rowOf(id)).toMatchObject({ status: 'PENDING', attempts: 3, last_error: expect.stringMatching(/ECONNECTION|ECONNREFUSED/) });
    expect(messagesOf(id)).toHaveLength(0);

    capture.refuse = null;
    await timePasses();
    const recovered = await delivery.deliverNotifications();

    expect(recovered).toMatchObject({ sent: 1, retrying: 0 });
    expect(await rowOf(id)).toMatchObject({ status: 'SENT', attempts: 4 });
    expect(messagesOf(id)).toHaveLength(1);
    expect(messagesOf(id)[0]!.subject).toBe('Your payout of 42.00 USD failed');
  });

  it(`after the ${maxDeliveryAttempts}th failed attempt the notification is FAILED and no longer tried`, async () => {
    const partner = await api.createPartnerUser();
    const { id } = await enqueue({
      dedupeKey: `payout-rejected:${unique()}`, kind: 'PAYOUT_REJECTED', recipient: { kind: 'partner', partnerId: partner.partnerId },
      ...payoutNotices.rejected({ payoutId: 'p-6', partnerId: partner.partnerId, amount: '1', currency: 'USD', rejectionCode: 'FRAUD_SUSPECTED', reason: 'under investigation', destination: 'held' }),
    });
    await api.owner.query(sql.unsafe`UPDATE notifications SET attempts = ${maxDeliveryAttempts - 1} WHERE id = ${id}`);

    capture.refuse = { code: 550, message: 'no such user' };
    try {
      const result = await delivery.deliverNotifications();
      expect(result).toMatchObject({ gaveUp: 1, retrying: 0 });
    } finally {
      capture.refuse = null;
    }
    await api.owner.query(sql.unsafe`UPDATE notifications SET next_attempt_at = now() WHERE id = ${id}`);
    await delivery.deliverNotifications();

    expect(await rowOf(id)).toMatchObject({ status: 'FAILED', attempts: maxDeliveryAttempts, last_error: expect.stringContaining('550') });
    expect(messagesOf(id)).toHaveLength(0);
  });

  it('without an SMTP relay delivery claims nothing and the notifications wait in the outbox', async () => {
    const partner = await api.createPartnerUser();
    const { id } = await enqueue({
      dedupeKey: `payout-completed:${unique()}`, kind: 'PAYOUT_COMPLETED', recipient: { kind: 'partner', partnerId: partner.partnerId },
      ...payoutNotices.completed({ payoutId: 'p-7', partnerId: partner.partnerId, amount: '3', currency: 'USD', fee: '0', amountToTransfer: '3', reference: null }),
    });
    const unconfigured = createNotificationActivities({ database: api.database, smtp: null });

    const result = await unconfigured.deliverNotifications();

    expect(result).toEqual({ configured: false, claimed: 0, sent: 0, retrying: 0, gaveUp: 0, full: false });
    expect(await rowOf(id)).toMatchObject({ status: 'PENDING', attempts: 0, last_error: null });
    // Once a relay is there, it goes out.
    await delivery.deliverNotifications();
    expect(messagesOf(id)).toHaveLength(1);
  });

  it('the local mail sink of `npm start` appends each accepted message to its file', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'ledgerflow-mail-'));
    const sink = await startMailSink({ port: 0, file: path.join(directory, 'mail.mbox') });
    try {
      const partner = await api.createPartnerUser();
      const { id } = await enqueue({
        dedupeKey: `payout-cancelled:${unique()}`, kind: 'PAYOUT_CANCELLED', recipient: { kind: 'partner', partnerId: partner.partnerId },
        ...payoutNotices.cancelled({ payoutId: 'p-8', partnerId: partner.partnerId, amount: '9.99', currency: 'USD', reason: 'requested by the partner' }),
      });

      await createNotificationActivities({ database: api.database, smtp: { url: sink.url, from } }).deliverNotifications();

      const mailbox = await readFile(sink.file, 'utf8');
      expect(mailbox).toMatch(/^From no-reply@ledgerflow\.test /);
      expect(mailbox).toContain(`X-Envelope-To: ${partner.email}`);
      expect(mailbox).toContain('Subject: Your payout request of 9.99 USD was cancelled');
      expect(mailbox).toContain('Reason: requested by the partner');
      expect(await rowOf(id)).toMatchObject({ status: 'SENT' });
    } finally {
      await sink.stop();
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe('GET /v1/notifications', () => {
  it('a partner sees only the notifications addressed to them; an admin sees all, filtered and paged', async () => {
    const partner = await api.createPartnerUser();
    const otherPartner = await api.createPartnerUser();
    const admin = await api.createAdmin('financial_support');
    const mine = await enqueue({
      dedupeKey: `payout-rejected:${unique()}`, kind: 'PAYOUT_REJECTED', recipient: { kind: 'partner', partnerId: partner.partnerId },
      ...payoutNotices.rejected({ payoutId: 'p-9', partnerId: partner.partnerId, amount: '50', currency: 'USD', rejectionCode: 'KYC_REQUIRED', reason: 'KYC pending', destination: 'available' }),
    });
    const theirs = await enqueue({
      dedupeKey: `payout-rejected:${unique()}`, kind: 'PAYOUT_REJECTED', recipient: { kind: 'partner', partnerId: otherPartner.partnerId },
      ...payoutNotices.rejected({ payoutId: 'p-10', partnerId: otherPartner.partnerId, amount: '60', currency: 'USD', rejectionCode: 'KYC_REQUIRED', reason: 'KYC pending', destination: 'available' }),
    });
    const adminNotice = await enqueue({
      dedupeKey: `approval-requested:${unique()}`, kind: 'APPROVAL_REQUESTED', recipient: { kind: 'admin_role', roles: ['senior_admin'] },
      ...payoutNotices.approvalRequested({ payoutId: 'p-9', partnerId: partner.partnerId, amount: '50', currency: 'USD', roles: ['senior_admin'], approvedSoFar: 0, stepsInChain: 1 }),
    });
    const partnerToken = await api.signIn(partner);
    const adminToken = await api.signIn(admin);
    type Page = { notifications: { id: string; kind: string; status: string; partnerId: string | null; text: string; recipients: string[] }[]; next: string | null };

    const own = (await (await api.request('/v1/notifications', { token: partnerToken })).json()) as Page;
    expect(own.notifications.map((notification) => notification.id)).toEqual([mine.id]);
    expect(own.notifications[0]).toMatchObject({ kind: 'PAYOUT_REJECTED', status: 'PENDING', partnerId: partner.partnerId, recipients: [partner.email] });
    expect(own.notifications[0]!.text).toContain('Reason: KYC_REQUIRED: KYC pending');
    const forbidden = await api.request(`/v1/notifications?partnerId=${otherPartner.partnerId}`, { token: partnerToken });
    expect(forbidden.status).toBe(403);
    expect((await errorOf(forbidden)).field).toBe('query.partnerId');

    const filtered = (await (await api.request(`/v1/notifications?partnerId=${otherPartner.partnerId}&kind=PAYOUT_REJECTED&status=PENDING`, { token: adminToken })).json()) as Page;
    expect(filtered.notifications.map((notification) => notification.id)).toEqual([theirs.id]);
    const approvals = (await (await api.request('/v1/notifications?kind=APPROVAL_REQUESTED', { token: adminToken })).json()) as Page;
    expect(approvals.notifications.map((notification) => notification.id)).toContain(adminNotice.id);

    const firstPage = (await (await api.request('/v1/notifications?limit=2', { token: adminToken })).json()) as Page;
    expect(firstPage.notifications.map((notification) => notification.id)).toEqual([adminNotice.id, theirs.id]);
    const secondPage = (await (await api.request(`/v1/notifications?limit=2&after=${firstPage.next}`, { token: adminToken })).json()) as Page;
    expect(secondPage.notifications[0]!.id).toBe(mine.id);

    const badStatus = await api.request('/v1/notifications?status=DELIVERED', { token: adminToken });
    expect(badStatus.status).toBe(400);
    expect((await errorOf(badStatus)).field).toBe('query.status');
    // Delivered for the file's later readers' sake: nothing stays pending behind this test.
    await delivery.deliverNotifications();
  });

  it('is documented in the OpenAPI document and needs a session', async () => {
    const document = (await (await api.request('/openapi.json')).json()) as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    expect(document.paths['/v1/notifications']!.get!.security).toEqual([{ bearer: [] }]);
    expect((await api.request('/v1/notifications')).status).toBe(401);
  });
});
