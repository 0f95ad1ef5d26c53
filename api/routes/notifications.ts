import { createRoute, z } from '@hono/zod-openapi';
import { sql } from 'slonik';
import { z as zod } from 'zod';
import { notificationKinds, notificationStatuses } from '../../activities/notifications.ts';
import { createSubApp, partnerScope, type ApiDependencies } from '../context.ts';
import { bearerSecurity, errorResponse, partnerIdSchema } from '../schemas.ts';

/**
 * The notification outbox, read-only: what was (or will be) sent to partners and admins, and how delivery went.
 * Admins see every notification; a partner sees only those addressed to them. Without an SMTP relay the rows stay
 * PENDING here, so nothing is lost and an operator can see what is waiting.
 */

const notificationSchema = z
  .object({
    id: z.string(),
    kind: z.enum(notificationKinds),
    recipientKind: z.enum(['partner', 'admin_role']),
    partnerId: z.string().nullable().openapi({ description: 'The partner it is addressed to (recipientKind partner)' }),
    recipientRoles: z.array(z.string()).nullable().openapi({ description: 'The admin roles it is addressed to (recipientKind admin_role)' }),
    recipients: z.array(z.string()).openapi({ description: 'The addresses resolved when it was written; empty: undeliverable' }),
    subject: z.string(),
    text: z.string(),
    status: z.enum(notificationStatuses),
    attempts: z.number().openapi({ description: 'SMTP attempts so far' }),
    lastError: z.string().nullable(),
    createdAt: z.string(),
    nextAttemptAt: z.string().nullable().openapi({ description: 'PENDING only: when delivery tries next' }),
    lastAttemptAt: z.string().nullable(),
    sentAt: z.string().nullable(),
  })
  .openapi('Notification');

const notificationRow = zod.object({
  id: zod.string(),
  kind: zod.enum(notificationKinds),
  recipient_kind: zod.enum(['partner', 'admin_role']),
  partner_id: zod.string().nullable(),
  recipient_roles: zod.array(zod.string()).nullable(),
  recipients: zod.array(zod.string()),
  subject: zod.string(),
  body: zod.string(),
  status: zod.enum(notificationStatuses),
  attempts: zod.number(),
  last_error: zod.string().nullable(),
  created_at: zod.date(),
  next_attempt_at: zod.date(),
  last_attempt_at: zod.date().nullable(),
  sent_at: zod.date().nullable(),
});

const listQuery = z.object({
  partnerId: partnerIdSchema.optional().openapi({ description: 'Admins: notifications addressed to this partner' }),
  kind: z.enum(notificationKinds).optional(),
  status: z.enum(notificationStatuses).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  after: z.string().regex(/^\d{1,19}$/).optional().openapi({ description: 'The `next` cursor of the previous page' }),
});

const listNotifications = createRoute({
  method: 'get',
  path: '/',
  summary: 'Notifications, newest first (partners see only their own)',
  security: bearerSecurity,
  request: { query: listQuery },
  responses: {
    200: {
      description: 'A page',
      content: { 'application/json': { schema: z.object({ notifications: z.array(notificationSchema), next: z.string().nullable() }) } },
    },
    400: errorResponse('Malformed request'),
    401: errorResponse('Not signed in'),
    403: errorResponse('Not allowed'),
  },
});

function toNotification(row: zod.infer<typeof notificationRow>) {
  return {
    id: row.id,
    kind: row.kind,
    recipientKind: row.recipient_kind,
    partnerId: row.partner_id,
    recipientRoles: row.recipient_roles,
    recipients: row.recipients,
    subject: row.subject,
    text: row.body,
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
    createdAt: row.created_at.toISOString(),
    nextAttemptAt: row.status === 'PENDING' ? row.next_attempt_at.toISOString() : null,
    lastAttemptAt: row.last_attempt_at?.toISOString() ?? null,
    sentAt: row.sent_at?.toISOString() ?? null,
  };
}

export function notificationRoutes(dependencies: ApiDependencies) {
  const { database } = dependencies;
  return createSubApp().openapi(listNotifications, async (c) => {
    const user = c.get('user');
    const query = c.req.valid('query');
    // Notifications are about payouts (SPEC 6.5/6.6): an admin who may read every payout reads every notice.
    const partnerId = partnerScope(user, query.partnerId, 'payouts.read.any');
    const conditions = [sql.fragment`TRUE`];
    if (user.role === 'partner') conditions.push(sql.fragment`recipient_kind = 'partner'`);
    if (partnerId) conditions.push(sql.fragment`partner_id = ${partnerId}`);
    if (query.kind) conditions.push(sql.fragment`kind = ${query.kind}`);
    if (query.status) conditions.push(sql.fragment`status = ${query.status}`);
    if (query.after) conditions.push(sql.fragment`id < ${query.after}`);
    const rows = await database.any(sql.type(notificationRow)`
      SELECT id, kind, recipient_kind, partner_id, recipient_roles, recipients, subject, body, status, attempts,
             last_error, created_at, next_attempt_at, last_attempt_at, sent_at
      FROM notifications
      WHERE ${sql.join(conditions, sql.fragment` AND `)}
      ORDER BY id DESC LIMIT ${query.limit + 1}`);
    const page = rows.slice(0, query.limit);
    return c.json({ notifications: page.map(toNotification), next: rows.length > query.limit ? page.at(-1)!.id : null }, 200);
  });
}
