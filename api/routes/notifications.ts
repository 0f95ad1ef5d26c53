import { createRoute, z } from '@hono/zod-openapi';
import { listNotifications, notificationKinds, notificationStatuses, type NotificationRow } from '../../modules/notifications/outbox.ts';
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

const listQuery = z.object({
  partnerId: partnerIdSchema.optional().openapi({ description: 'Admins: notifications addressed to this partner' }),
  kind: z.enum(notificationKinds).optional(),
  status: z.enum(notificationStatuses).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  after: z.string().regex(/^\d{1,19}$/).optional().openapi({ description: 'The `next` cursor of the previous page' }),
});

const listNotificationsRoute = createRoute({
  method: 'get',
  path: '/',
  operationId: 'listNotifications',
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

function toNotification(row: NotificationRow) {
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
  return createSubApp().openapi(listNotificationsRoute, async (c) => {
    const user = c.get('user');
    const query = c.req.valid('query');
    // Notifications are about payouts (docs/rules.md#notifications): an admin who may read every payout reads every notice.
    const partnerId = partnerScope(user, query.partnerId, 'payouts.read.any');
    const page = await listNotifications(database, {
      partnersOnly: user.role === 'partner',
      ...(partnerId ? { partnerId } : {}),
      ...(query.kind ? { kind: query.kind } : {}),
      ...(query.status ? { status: query.status } : {}),
      ...(query.after ? { after: query.after } : {}),
      limit: query.limit,
    });
    return c.json({ notifications: page.rows.map(toNotification), next: page.next }, 200);
  });
}
