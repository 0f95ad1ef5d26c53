import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { adminRoles, type AdminRole } from '../../domain/access.ts';

/**
 * Partner and admin notifications (docs/rules.md#notifications: "the partner is notified with the reason", "partner notified",
 * "an admin notice", "each approver is notified in turn") through a transactional outbox:
 *
 * - `enqueueNotification` writes a row on the caller's connection, INSIDE the transaction of the change it
 *   reports, so a notice exists exactly when the change committed. Its dedupe key makes a retried activity
 *   (whose first attempt committed) enqueue nothing the second time.
 * - `deliverNotifications` (delivery.ts, the `notification-delivery` Schedule) claims due rows with FOR UPDATE
 *   SKIP LOCKED, sends each by SMTP and marks it sent in the transaction that claimed it, after the server accepted
 *   it. A failure records the error and waits a growing delay; after `maxDeliveryAttempts` the row is FAILED.
 *
 * Exactly once as far as SMTP allows: a crash between the server's acceptance and our commit leaves the row
 * pending and it is sent again (at least once). Each row is claimed in its own transaction, so that edge re-sends
 * at most one message, and the Message-ID is fixed per row so a receiving system can recognise the repeat.
 */

export const notificationKinds = [
  'PAYOUT_REJECTED',
  'PAYOUT_FAILED',
  'PAYOUT_COMPLETED',
  'PAYOUT_CANCELLED',
  'PAYOUT_NEEDS_REVIEW',
  'APPROVAL_REQUESTED',
  'PARTNER_VALIDATION_REQUESTED',
  // Issue #5 (migration 014).
  'REFUND_REQUESTED',
  'REFUND_DECIDED',
  'COMMISSIONS_REVERSED',
  'DEBT_LIMIT_REACHED',
  'CHARGEBACK_OPENED',
  'CHARGEBACK_DECIDED',
  'CHARGEBACK_PENALTY',
  'DISPUTE_OPENED',
  'DISPUTE_INFORMATION_REQUESTED',
  'DISPUTE_ESCALATED',
  'DISPUTE_RESOLVED',
  'ADJUSTMENT_POSTED',
  'ADJUSTMENT_APPROVAL_REQUESTED',
  'BULK_ADJUSTMENT_FINISHED',
  // Issue #16 (migration 028): every change of a partner's payment details.
  'PAYMENT_DETAILS_CHANGED',
  // Issue #17 (migration 031): a payment file's bulk close finished with failures.
  'PAYMENT_FILE_FAILURES',
  // Issue #18 (migration 033): a reconciled day with a variance or a rebuild finding.
  'RECONCILIATION_VARIANCE',
  // Issue #17 (migration 030): the finance team's notices about a pay run.
  'PAY_RUN_READY',
  'PAY_RUN_APPROVED',
  'PAY_RUN_PAID',
  'PAY_RUN_FAILURES',
  // Issue #17 (migration 032): the partner hears when their payout is approved and when it goes to review.
  'PAYOUT_APPROVED',
  'PAYOUT_IN_REVIEW',
  // Issue #18 (migration 035): a day's statement matching left exceptions.
  'STATEMENT_EXCEPTIONS',
  'AUDIT_FINDINGS',
] as const;
export type NotificationKind = (typeof notificationKinds)[number];

export const notificationStatuses = ['PENDING', 'SENT', 'FAILED'] as const;
export type NotificationStatus = (typeof notificationStatuses)[number];

/**
 * Who is told. A partner: every active login of that partner (a partner without one is recorded as undeliverable).
 * Admins: every active admin holding one of `roles`, less `excludeUserIds` (e.g. the initiator and those who already
 * approved, who may not approve again).
 */
export type NotificationRecipient =
  | { kind: 'partner'; partnerId: string }
  | { kind: 'admin_role'; roles: readonly AdminRole[]; excludeUserIds?: readonly string[] };

export interface NotificationInput {
  /** A business key, e.g. `payout-rejected:<payoutId>`: the same key enqueues once. */
  dedupeKey: string;
  kind: NotificationKind;
  recipient: NotificationRecipient;
  subject: string;
  text: string;
}

export interface EnqueuedNotification {
  id: string;
  /** False when a notification with this dedupe key already existed (nothing was written). */
  created: boolean;
  /** FAILED at once when nobody could be addressed. */
  status: NotificationStatus;
}

const inputSchema = z.object({
  dedupeKey: z.string().min(1).max(200),
  kind: z.enum(notificationKinds),
  recipient: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('partner'), partnerId: z.string().min(1) }),
    z.object({
      kind: z.literal('admin_role'),
      roles: z.array(z.enum(adminRoles)).min(1),
      excludeUserIds: z.array(z.string().uuid()).optional(),
    }),
  ]),
  // A line break in a subject would be a header injection; the database refuses it too.
  subject: z.string().min(1).max(300).regex(/^[^\r\n]*$/, 'one line'),
  text: z.string().min(1),
});

const emailRow = z.object({ email: z.string() });
const insertedRow = z.object({ id: z.string(), status: z.enum(notificationStatuses) });

/**
 * Writes one notification into the outbox on `connection`: call it inside the transaction of the change it
 * reports. The recipients' addresses are resolved now, from `users`, so the row records whom it was for. With no
 * address (a partner without a login, a role nobody holds) the row is kept as FAILED with the reason, never dropped.
 * Throws on malformed input (a programming error: a zod error naming the field).
 */
export async function enqueueNotification(connection: CommonQueryMethods, input: NotificationInput): Promise<EnqueuedNotification> {
  const notice = inputSchema.parse(input);
  const recipient = notice.recipient;
  const emails =
    recipient.kind === 'partner'
      ? await connection.anyFirst(sql.type(emailRow)`
          SELECT email FROM users
          WHERE partner_id = ${recipient.partnerId} AND role = 'partner' AND disabled_at IS NULL
          ORDER BY email`)
      : await connection.anyFirst(sql.type(emailRow)`
          SELECT email FROM users
          WHERE role = ANY(${sql.array(recipient.roles, 'text')}) AND disabled_at IS NULL
            AND NOT (id = ANY(${sql.array(recipient.excludeUserIds ?? [], 'uuid')}))
          ORDER BY email`);
  const undeliverable =
    emails.length > 0
      ? null
      : recipient.kind === 'partner'
        ? `undeliverable: partner ${recipient.partnerId} has no active user login with an email address`
        : `undeliverable: no active admin with role ${recipient.roles.join(' or ')}`;
  const inserted = await connection.maybeOne(sql.type(insertedRow)`
    INSERT INTO notifications (dedupe_key, kind, recipient_kind, partner_id, recipient_roles, recipients, subject, body,
                               status, last_error)
    VALUES (${notice.dedupeKey}, ${notice.kind}, ${recipient.kind},
            ${recipient.kind === 'partner' ? recipient.partnerId : null},
            ${recipient.kind === 'admin_role' ? sql.array(recipient.roles, 'text') : null},
            ${sql.array(emails, 'text')}, ${notice.subject}, ${notice.text},
            ${undeliverable ? 'FAILED' : 'PENDING'}, ${undeliverable})
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id, status`);
  if (inserted) return { id: inserted.id, created: true, status: inserted.status };
  const existing = await connection.one(sql.type(insertedRow)`
    SELECT id, status FROM notifications WHERE dedupe_key = ${notice.dedupeKey}`);
  return { id: existing.id, created: false, status: existing.status };
}

/** One partner's notice of a batch (enqueuePartnerNotifications). */
export interface PartnerNotice {
  /** A business key, as `NotificationInput.dedupeKey`. */
  dedupeKey: string;
  partnerId: string;
  subject: string;
  text: string;
}

/**
 * Many partner notices of one kind in one statement (a bulk adjustment's chunk tells every partner it moved): the
 * rows enqueueNotification would write, each addressed to its partner's active logins (none: kept as FAILED,
 * undeliverable), a dedupe key already present skipped.
 */
export async function enqueuePartnerNotifications(connection: CommonQueryMethods, kind: NotificationKind, notices: readonly PartnerNotice[]): Promise<void> {
  if (notices.length === 0) return;
  const partnerIds = notices.map((notice) => notice.partnerId);
  await connection.query(sql.unsafe`
    INSERT INTO notifications (dedupe_key, kind, recipient_kind, partner_id, recipients, subject, body, status, last_error)
    SELECT u.dedupe_key, ${kind}, 'partner', u.partner_id,
           coalesce(e.emails, '{}'), u.subject, u.body,
           CASE WHEN e.emails IS NULL THEN 'FAILED' ELSE 'PENDING' END,
           CASE WHEN e.emails IS NULL THEN 'undeliverable: partner ' || u.partner_id || ' has no active user login with an email address' END
    FROM unnest(${sql.array(notices.map((notice) => notice.dedupeKey), 'text')}, ${sql.array(partnerIds, 'text')},
                ${sql.array(notices.map((notice) => notice.subject), 'text')}, ${sql.array(notices.map((notice) => notice.text), 'text')})
         AS u(dedupe_key, partner_id, subject, body)
    LEFT JOIN (SELECT partner_id, array_agg(email ORDER BY email) AS emails FROM users
               WHERE partner_id = ANY(${sql.array(partnerIds, 'text')}) AND role = 'partner' AND disabled_at IS NULL
               GROUP BY partner_id) e ON e.partner_id = u.partner_id
    ON CONFLICT (dedupe_key) DO NOTHING`);
}

export const notificationRow = z.object({
  id: z.string(),
  kind: z.enum(notificationKinds),
  recipient_kind: z.enum(['partner', 'admin_role']),
  partner_id: z.string().nullable(),
  recipient_roles: z.array(z.string()).nullable(),
  recipients: z.array(z.string()),
  subject: z.string(),
  body: z.string(),
  status: z.enum(notificationStatuses),
  attempts: z.number(),
  last_error: z.string().nullable(),
  created_at: z.date(),
  next_attempt_at: z.date(),
  last_attempt_at: z.date().nullable(),
  sent_at: z.date().nullable(),
});
export type NotificationRow = z.infer<typeof notificationRow>;

export interface NotificationFilter {
  /** Only notices addressed to a partner (what a partner may read), not those for admin roles. */
  partnersOnly: boolean;
  partnerId?: string;
  kind?: NotificationKind;
  status?: NotificationStatus;
  /** The `next` of the previous page: ids below it. */
  after?: string;
  limit: number;
}

/** A page of the outbox, newest first; `next` is the cursor of the following page (null: this is the last). */
export async function listNotifications(connection: CommonQueryMethods, filter: NotificationFilter): Promise<{ rows: NotificationRow[]; next: string | null }> {
  const conditions = [sql.fragment`TRUE`];
  if (filter.partnersOnly) conditions.push(sql.fragment`recipient_kind = 'partner'`);
  if (filter.partnerId) conditions.push(sql.fragment`partner_id = ${filter.partnerId}`);
  if (filter.kind) conditions.push(sql.fragment`kind = ${filter.kind}`);
  if (filter.status) conditions.push(sql.fragment`status = ${filter.status}`);
  if (filter.after) conditions.push(sql.fragment`id < ${filter.after}`);
  const rows = await connection.any(sql.type(notificationRow)`
    SELECT id, kind, recipient_kind, partner_id, recipient_roles, recipients, subject, body, status, attempts,
           last_error, created_at, next_attempt_at, last_attempt_at, sent_at
    FROM notifications
    WHERE ${sql.join(conditions, sql.fragment` AND `)}
    ORDER BY id DESC LIMIT ${filter.limit + 1}`);
  const page = rows.slice(0, filter.limit);
  return { rows: page, next: rows.length > filter.limit ? page.at(-1)!.id : null };
}
