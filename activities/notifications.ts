import { Context } from '@temporalio/activity';
import { createTransport } from 'nodemailer';
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Database } from '../db/pool.ts';
import { adminRoles, type AdminRole } from '../domain/access.ts';
import { formatMoney } from '../domain/money.ts';

/**
 * Partner and admin notifications (SPEC 6.5 "the partner is notified with the reason", 6.6 "partner notified",
 * "an admin notice", "each approver is notified in turn") through a transactional outbox:
 *
 * - `enqueueNotification` writes a row on the caller's connection, INSIDE the transaction of the change it
 *   reports, so a notice exists exactly when the change committed. Its dedupe key makes a retried activity
 *   (whose first attempt committed) enqueue nothing the second time.
 * - `deliverNotifications` (the `notification-delivery` Schedule) claims due rows with FOR UPDATE SKIP LOCKED,
 *   sends each by SMTP and marks it sent in the transaction that claimed it, after the server accepted it. A
 *   failure records the error and waits a growing delay; after `maxDeliveryAttempts` the row is FAILED.
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
] as const;
export type NotificationKind = (typeof notificationKinds)[number];

export const notificationStatuses = ['PENDING', 'SENT', 'FAILED'] as const;
export type NotificationStatus = (typeof notificationStatuses)[number];

/** SMTP attempts per notification before it is FAILED (not policy: a property of our mail relay, not of payouts). */
export const maxDeliveryAttempts = 8;
/** The wait after the first failed attempt; it doubles with each further failure, up to `retryDelayMaxSeconds`. */
export const retryDelayBaseSeconds = 60;
export const retryDelayMaxSeconds = 3_600;
/** Notifications one activity call handles; the workflow calls again while a batch comes back full. */
export const deliveryBatchSize = 20;

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

// ---------------------------------------------------------------------------------------------------------------
// The payout notices' wording, in one place: the payout activities pass these to enqueueNotification.

export interface PayoutFacts {
  payoutId: string;
  partnerId: string;
  amount: string;
  currency: string;
  methodId?: string;
}

const money = (facts: Pick<PayoutFacts, 'amount' | 'currency'>) => `${formatMoney(facts.amount, facts.currency)} ${facts.currency}`;

/** Subject and text of each payout notice (SPEC 6.5/6.6). Pure: the same facts give the same message. */
export const payoutNotices = {
  /** SPEC 6.5: "the partner is notified with the reason". FRAUD_SUSPECTED moves the amount to `held`. */
  rejected(facts: PayoutFacts & { rejectionCode: string; reason: string; destination: 'available' | 'held' }) {
    return {
      subject: `Your payout request of ${money(facts)} was rejected`,
      text: [
        `Your payout request ${facts.payoutId} of ${money(facts)} was rejected.`,
        '',
        `Reason: ${facts.rejectionCode}: ${facts.reason}`,
        '',
        facts.destination === 'held'
          ? 'The amount is held while the request is investigated.'
          : 'The amount is back in your available balance; you may request a payout again.',
      ].join('\n'),
    };
  },
  /** SPEC 6.6: a permanent failure returns the full amount; the partner may request again. */
  failed(facts: PayoutFacts & { failureCode: string | null; reason: string | null }) {
    return {
      subject: `Your payout of ${money(facts)} failed`,
      text: [
        `Your payout ${facts.payoutId} of ${money(facts)} could not be paid.`,
        '',
        `Reason: ${[facts.failureCode, facts.reason].filter(Boolean).join(': ') || 'not given'}`,
        '',
        'The full amount is back in your available balance; check your payment details and request a payout again.',
      ].join('\n'),
    };
  },
  completed(facts: PayoutFacts & { fee: string; amountToTransfer: string; reference: string | null }) {
    return {
      subject: `Your payout of ${money(facts)} was paid`,
      text: [
        `Your payout ${facts.payoutId} was paid.`,
        '',
        `Amount: ${money(facts)}`,
        `Fee: ${formatMoney(facts.fee, facts.currency)} ${facts.currency}`,
        `Transferred: ${formatMoney(facts.amountToTransfer, facts.currency)} ${facts.currency}${facts.methodId ? ` by ${facts.methodId}` : ''}`,
        ...(facts.reference ? [`Reference: ${facts.reference}`] : []),
      ].join('\n'),
    };
  },
  cancelled(facts: PayoutFacts & { reason: string | null }) {
    return {
      subject: `Your payout request of ${money(facts)} was cancelled`,
      text: [
        `Your payout request ${facts.payoutId} of ${money(facts)} was cancelled.`,
        ...(facts.reason ? ['', `Reason: ${facts.reason}`] : []),
        '',
        'The amount is back in your available balance.',
      ].join('\n'),
    };
  },
  /** SPEC 6.6: attempts ran out, "then the manual-review queue and an admin notice". */
  needsReview(facts: PayoutFacts & { failureCode: string | null; reason: string }) {
    return {
      subject: `Payout ${facts.payoutId} needs manual review`,
      text: [
        `Payout ${facts.payoutId} of partner ${facts.partnerId}, ${money(facts)}${facts.methodId ? ` by ${facts.methodId}` : ''}, needs manual review.`,
        '',
        `The provider did not pay it: ${[facts.failureCode, facts.reason].filter(Boolean).join(': ')}`,
        'It stays PROCESSING until an admin completes or fails it (queue: GET /v1/payouts?needsReview=true).',
      ].join('\n'),
    };
  },
  /** SPEC 6.5: "each approver is notified in turn". `roles`: who may take the open step(s). */
  /** Source 003: the payout waits for the partner to confirm it (and upload an invoice when the policy asks). */
  validationRequested(facts: PayoutFacts & { dueAt: string }) {
    return {
      subject: `Please confirm your payout of ${money(facts)}`,
      text: [
        `Your payout ${facts.payoutId} of ${money(facts)} waits for you to confirm the amount and the payment details`,
        '(and to upload an invoice, if your program asks for one) before it goes to approval.',
        '',
        `Confirm it by ${facts.dueAt}: after that it is cancelled and the amount returns to your available balance.`,
      ].join('\n'),
    };
  },

  approvalRequested(facts: PayoutFacts & { roles: readonly string[]; approvedSoFar: number; stepsInChain: number }) {
    return {
      subject: `Payout ${facts.payoutId} of ${money(facts)} awaits your approval`,
      text: [
        `Payout ${facts.payoutId} of partner ${facts.partnerId}, ${money(facts)}${facts.methodId ? ` by ${facts.methodId}` : ''}, awaits approval.`,
        '',
        `Approvals: ${facts.approvedSoFar} of ${facts.stepsInChain}; the next may come from: ${facts.roles.join(', ')}.`,
        `Approve or reject it with a fresh TOTP code: POST /v1/payouts/${facts.payoutId}/approve or /reject.`,
      ].join('\n'),
    };
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Delivery.

/** The mail relay (LEDGERFLOW_SMTP_URL, LEDGERFLOW_MAIL_FROM). */
export interface NotificationSmtp {
  /** e.g. smtp://127.0.0.1:2525, smtps://user:pass@mail.example.com */
  url: string;
  /** The From header, e.g. `ledgerflow <no-reply@example.com>`. */
  from: string;
}

export interface DeliveryResult {
  /** False when no SMTP relay is configured: nothing was claimed, the outbox keeps everything. */
  configured: boolean;
  claimed: number;
  sent: number;
  /** Failed this time, to be tried again later. */
  retrying: number;
  /** Failed for the last allowed time: now FAILED. */
  gaveUp: number;
  /** The batch was full: more may be due now. */
  full: boolean;
}

const claimedRow = z.object({ id: z.string(), kind: z.string(), recipients: z.array(z.string()), subject: z.string(), body: z.string(), attempts: z.number() });

/** The wait before attempt n+1 after n failed attempts: base × 2^(n−1), at most the maximum. */
export function retryDelaySeconds(failedAttempts: number): number {
  return Math.min(retryDelayBaseSeconds * 2 ** Math.max(0, failedAttempts - 1), retryDelayMaxSeconds);
}

function heartbeat(details: unknown) {
  // Called outside an activity (a test, the CLI) there is no context to report to.
  try {
    Context.current().heartbeat(details);
  } catch {
    /* not in an activity */
  }
}

/** What an SMTP failure was, for `last_error`: nodemailer's code, the server's reply code, and its message. */
function describeError(error: unknown): string {
  const failure = error as { code?: unknown; responseCode?: unknown; message?: unknown };
  const parts = [
    typeof failure.code === 'string' ? failure.code : null,
    typeof failure.responseCode === 'number' ? String(failure.responseCode) : null,
    typeof failure.message === 'string' ? failure.message : String(error),
  ].filter((part): part is string => part !== null);
  return parts.join(' ').slice(0, 1_000);
}

const addressOf = (entry: string | { address: string }) => (typeof entry === 'string' ? entry : entry.address);

/** The activities of the notification-delivery workflow. `smtp` null: delivery is off, the outbox fills. */
export function createNotificationActivities({ database, smtp = null }: { database: Database; smtp?: NotificationSmtp | null }) {
  return {
    async deliverNotifications(input: { batchSize?: number } = {}): Promise<DeliveryResult> {
      const batchSize = input.batchSize ?? deliveryBatchSize;
      const result: DeliveryResult = { configured: smtp !== null, claimed: 0, sent: 0, retrying: 0, gaveUp: 0, full: false };
      if (!smtp) return result;
      // One connection for the whole batch, closed after it; timeouts well inside the database's 60 s limit on a
      // transaction left idle, so a stalled server fails the attempt rather than the claim.
      const transporter = createTransport({
        url: smtp.url,
        pool: true,
        maxConnections: 1,
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 30_000,
      });
      try {
        while (result.claimed < batchSize) {
          const outcome = await database.transaction(async (transaction) => {
            const row = await transaction.maybeOne(sql.type(claimedRow)`
              SELECT id, kind, recipients, subject, body, attempts FROM notifications
              WHERE status = 'PENDING' AND next_attempt_at <= now()
              ORDER BY next_attempt_at, id
              LIMIT 1
              FOR UPDATE SKIP LOCKED`);
            if (!row) return 'none' as const;
            let refused: string | null = null;
            try {
              const info = await transporter.sendMail({
                from: smtp.from,
                to: row.recipients,
                subject: row.subject,
                text: row.body,
                // Fixed per row: a message sent twice (the at-least-once edge) carries the same id.
                messageId: `<notification-${row.id}@ledgerflow>`,
                headers: { 'X-Ledgerflow-Notification': `${row.kind} ${row.id}` },
              });
              const rejected = (info.rejected ?? []).map(addressOf);
              if (rejected.length > 0) refused = `accepted for some recipients; refused: ${rejected.join(', ')}`;
            } catch (error) {
              const attempts = row.attempts + 1;
              const giveUp = attempts >= maxDeliveryAttempts;
              await transaction.query(sql.unsafe`
                UPDATE notifications
                SET attempts = ${attempts}, last_error = ${describeError(error)}, last_attempt_at = now(),
                    status = ${giveUp ? 'FAILED' : 'PENDING'},
                    next_attempt_at = now() + make_interval(secs => ${retryDelaySeconds(attempts)})
                WHERE id = ${row.id}`);
              return giveUp ? ('gave_up' as const) : ('retrying' as const);
            }
            await transaction.query(sql.unsafe`
              UPDATE notifications
              SET status = 'SENT', sent_at = now(), attempts = attempts + 1, last_attempt_at = now(), last_error = ${refused}
              WHERE id = ${row.id}`);
            return 'sent' as const;
          });
          if (outcome === 'none') break;
          result.claimed += 1;
          if (outcome === 'sent') result.sent += 1;
          else if (outcome === 'retrying') result.retrying += 1;
          else result.gaveUp += 1;
          heartbeat({ claimed: result.claimed });
        }
      } finally {
        transporter.close();
      }
      result.full = result.claimed >= batchSize;
      return result;
    },
  };
}

export type NotificationActivities = ReturnType<typeof createNotificationActivities>;
