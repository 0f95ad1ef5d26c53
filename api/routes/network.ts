import { createRoute, z } from '@hono/zod-openapi';
import {
  changeFields,
  downlineLimitMax,
  NetworkInputError,
  NetworkStore,
  PartnerNotFoundError,
  type PartnerChange,
} from '../../modules/network/network-store.ts';
import { DomainError } from '../../domain/errors.ts';
import { kycStatuses, partnerStatuses, ranks } from '../../domain/network.ts';
import { clientIp, createSubApp, requirePartnerAccess, requirePermission, type ApiDependencies } from '../context.ts';
import { bearerSecurity, errorResponse, partnerIdSchema } from '../schemas.ts';

const uplineLimitMax = 10_000;
const downlineDepthMax = 10_000;
const changesLimitMax = 1_000;

const allowedValues = { rank: ranks, status: partnerStatuses, kycStatus: kycStatuses } as const;

const idParams = z.object({ id: partnerIdSchema.openapi({ param: { name: 'id', in: 'path' } }) });
const readErrors = {
  400: errorResponse('Malformed request'),
  401: errorResponse('Not signed in'),
  403: errorResponse('Not allowed'),
  404: errorResponse('No such partner'),
};

const uplineMemberSchema = z
  .object({
    partnerId: z.string(),
    level: z.number().int().openapi({ description: '1 = the sponsor, 2 = the sponsor’s sponsor, …' }),
    rank: z.enum(ranks),
    status: z.enum(partnerStatuses),
    kycStatus: z.enum(kycStatuses),
  })
  .openapi('UplineMember');

const downlineMemberSchema = z
  .object({
    partnerId: z.string(),
    name: z.string(),
    sponsorId: z.string(),
    level: z.number().int().openapi({ description: '1 = a direct recruit, 2 = a recruit’s recruit, …' }),
    rank: z.enum(ranks),
    status: z.enum(partnerStatuses),
    kycStatus: z.enum(kycStatuses),
    joinedAt: z.string().datetime(),
    childrenCount: z.number().int().openapi({ description: 'Partners this member sponsored directly' }),
  })
  .openapi('DownlineMember');

const partnerChangeSchema = z
  .object({
    id: z.string(),
    partnerId: z.string(),
    field: z.enum(changeFields),
    oldValue: z.string(),
    newValue: z.string(),
    effectiveAt: z.string().datetime(),
    reason: z.string().nullable(),
    recordedBy: z.string(),
    recordedAt: z.string().datetime(),
  })
  .openapi('PartnerChange');

const recordChangeBody = z
  .object({
    field: z.enum(changeFields),
    value: z.string().openapi({ description: 'A rank, a partner status or a KYC status, as `field` says' }),
    effectiveAt: z
      .string()
      .datetime({ offset: true })
      .optional()
      .openapi({ description: 'When the change took effect: not before the field’s last change, not in the future. Now when absent.' }),
    reason: z.string().trim().min(1).max(500),
  })
  .strict()
  .superRefine((body, context) => {
    const allowed: readonly string[] = allowedValues[body.field];
    if (!allowed.includes(body.value)) {
      context.addIssue({ code: z.ZodIssueCode.custom, path: ['value'], message: `a ${body.field} is one of ${allowed.join(', ')}` });
    }
  })
  .openapi('RecordPartnerChangeRequest');

const getUpline = createRoute({
  method: 'get',
  path: '/{id}/upline',
  operationId: 'getPartnerUpline',
  summary: 'The partner’s sponsors, nearest first, at any depth',
  security: bearerSecurity,
  request: {
    params: idParams,
    query: z.object({ limit: z.coerce.number().int().min(1).max(uplineLimitMax).default(100) }),
  },
  responses: {
    200: {
      description: 'The upline',
      content: { 'application/json': { schema: z.object({ partnerId: z.string(), upline: z.array(uplineMemberSchema) }) } },
    },
    ...readErrors,
  },
});

const getDownline = createRoute({
  method: 'get',
  path: '/{id}/downline',
  operationId: 'getPartnerDownline',
  summary: 'The partner’s recruits level by level, down to maxDepth',
  description: 'Ordered by level, then by when each member was placed; pass `nextCursor` as `after` for the next page.',
  security: bearerSecurity,
  request: {
    params: idParams,
    query: z.object({
      maxDepth: z.coerce.number().int().min(1).max(downlineDepthMax).default(1),
      limit: z.coerce.number().int().min(1).max(downlineLimitMax).default(100),
      after: z.string().max(200).optional().openapi({ description: 'nextCursor of the previous page' }),
    }),
  },
  responses: {
    200: {
      description: 'A page of the downline',
      content: {
        'application/json': {
          schema: z.object({ partnerId: z.string(), members: z.array(downlineMemberSchema), nextCursor: z.string().nullable() }),
        },
      },
    },
    ...readErrors,
  },
});

const recordChange = createRoute({
  method: 'post',
  path: '/{id}/changes',
  operationId: 'createPartnerChange',
  summary: 'Record a change of rank, status or KYC status',
  description: 'Changes of a field are recorded in effective order; the partner takes the new value at once.',
  security: bearerSecurity,
  request: {
    params: idParams,
    body: { content: { 'application/json': { schema: recordChangeBody } }, required: true },
  },
  responses: {
    201: { description: 'Recorded', content: { 'application/json': { schema: partnerChangeSchema } } },
    ...readErrors,
    409: errorResponse('Effective before the field’s last change (out_of_order), or the value is already current (no_change)'),
  },
});

const listChanges = createRoute({
  method: 'get',
  path: '/{id}/changes',
  operationId: 'listPartnerChanges',
  summary: 'The partner’s rank, status and KYC history, oldest first',
  security: bearerSecurity,
  request: {
    params: idParams,
    query: z.object({
      field: z.enum(changeFields).optional(),
      limit: z.coerce.number().int().min(1).max(changesLimitMax).default(100),
      cursor: z.string().regex(/^\d{1,19}$/, 'nextCursor of the previous page').optional(),
    }),
  },
  responses: {
    200: {
      description: 'A page of changes',
      content: {
        'application/json': { schema: z.object({ changes: z.array(partnerChangeSchema), nextCursor: z.string().nullable() }) },
      },
    },
    ...readErrors,
  },
});

function toChangeBody(change: PartnerChange) {
  return {
    id: change.id,
    partnerId: change.partnerId,
    field: change.field,
    oldValue: change.oldValue,
    newValue: change.newValue,
    effectiveAt: change.effectiveAt.toISOString(),
    reason: change.reason,
    recordedBy: change.recordedBy,
    recordedAt: change.recordedAt.toISOString(),
  };
}

/**
 * The store names the input at fault as it takes it (`effectiveAt`, `after`, the partner); the client reads it as
 * it sent it (`body.effectiveAt`, `query.after`, `params.id`). The refusal's kind, and so its status, stays.
 */
async function refusingAs<T>(target: 'body' | 'query', action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof PartnerNotFoundError) throw new DomainError(error.kind, error.code, error.message, 'params.id');
    if (error instanceof NetworkInputError) {
      const field = `${target}.${error.field}`;
      throw new DomainError(error.kind, error.code, error.kind === 'invalid' ? `${field}: ${error.message}` : error.message, field);
    }
    throw error;
  }
}

/** The network under /v1/partners/{id}: upline, downline, and the history of rank, status and KYC changes. */
export function networkRoutes(dependencies: ApiDependencies) {
  const network = new NetworkStore(dependencies.database);

  return createSubApp()
    .openapi(getUpline, async (c) => {
      const { id } = c.req.valid('param');
      const { limit } = c.req.valid('query');
      requirePartnerAccess(c.get('user'), id, 'partners.read.any');
      const upline = await refusingAs('query', () => network.upline(id, { limit }));
      return c.json(
        {
          partnerId: id,
          upline: upline.map((member) => ({
            partnerId: member.partnerId,
            level: member.level,
            rank: member.rank,
            status: member.status,
            kycStatus: member.kycStatus,
          })),
        },
        200,
      );
    })
    .openapi(getDownline, async (c) => {
      const { id } = c.req.valid('param');
      const { maxDepth, limit, after } = c.req.valid('query');
      requirePartnerAccess(c.get('user'), id, 'partners.read.any');
      const page = await refusingAs('query', () => network.downline(id, { maxDepth, limit, after }));
      return c.json(
        {
          partnerId: id,
          members: page.members.map((member) => ({
            partnerId: member.partnerId,
            name: member.name,
            sponsorId: member.sponsorId,
            level: member.level,
            rank: member.rank,
            status: member.status,
            kycStatus: member.kycStatus,
            joinedAt: member.joinedAt.toISOString(),
            childrenCount: member.childrenCount,
          })),
          nextCursor: page.nextCursor,
        },
        200,
      );
    })
    .openapi(recordChange, async (c) => {
      const user = c.get('user');
      requirePermission(user, 'partners.update');
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const change = await refusingAs('body', () =>
        network.recordChange({
          partnerId: id,
          field: body.field,
          value: body.value,
          effectiveAt: body.effectiveAt ? new Date(body.effectiveAt) : null,
          reason: body.reason,
          actor: user.id,
          ip: clientIp(c),
        }),
      );
      return c.json(toChangeBody(change), 201);
    })
    .openapi(listChanges, async (c) => {
      const { id } = c.req.valid('param');
      const { field, limit, cursor } = c.req.valid('query');
      requirePartnerAccess(c.get('user'), id, 'partners.read.any');
      const page = await refusingAs('query', () => network.changes(id, { field, limit, afterId: cursor }));
      return c.json({ changes: page.changes.map(toChangeBody), nextCursor: page.nextAfterId }, 200);
    });
}
