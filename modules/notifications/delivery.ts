import { createTransport } from 'nodemailer';
import { sql } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';

/**
 * Delivery of the notification outbox (outbox.ts) by SMTP: the `notification-delivery` Schedule's activity claims
 * due rows with FOR UPDATE SKIP LOCKED, sends each and marks it sent in the transaction that claimed it, after the
 * server accepted it. A failure records the error and waits a growing delay; after `maxDeliveryAttempts` the row is
 * FAILED.
 */

/** SMTP attempts per notification before it is FAILED (not policy: a property of our mail relay, not of payouts). */
export const maxDeliveryAttempts = 8;
/** The wait after the first failed attempt; it doubles with each further failure, up to `retryDelayMaxSeconds`. */
export const retryDelayBaseSeconds = 60;
export const retryDelayMaxSeconds = 3_600;
/** Notifications one activity call handles; the workflow calls again while a batch comes back full. */
export const deliveryBatchSize = 20;

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

/**
 * Sends up to `batchSize` due notifications, each claimed, sent and marked in its own transaction. `smtp` null:
 * delivery is off, nothing is claimed and the outbox fills. `progress` is told after each row (the activity
 * heartbeats with it).
 */
export async function deliverNotifications(
  database: Database,
  smtp: NotificationSmtp | null,
  { batchSize = deliveryBatchSize, progress = () => {} }: { batchSize?: number; progress?: (details: { claimed: number }) => void } = {},
): Promise<DeliveryResult> {
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
      progress({ claimed: result.claimed });
    }
  } finally {
    transporter.close();
  }
  result.full = result.claimed >= batchSize;
  return result;
}
