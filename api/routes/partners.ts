import { randomUUID } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import { z as zod } from 'zod';
import { Money, formatMoney } from '../../domain/money.ts';
import { kycStatuses, partnerStatuses, ranks } from '../../domain/network.ts';
import { createPartner, findPartner, searchPartners, type PartnerRow } from '../../modules/partners/partner-store.ts';
import { clientIp, createSubApp, requirePartnerAccess, requirePermission, type ApiDependencies } from '../context.ts';
import { ApiError } from '../errors.ts';
import { balancesSchema, bearerSecurity, errorResponse, partnerIdSchema, partnerSchema } from '../schemas.ts';

function toPartner(row: PartnerRow) {
  return {
    id: row.id,
    name: row.name,
    sponsorId: row.sponsor_id,
    rank: row.rank,
    status: row.status,
    kycStatus: row.kyc_status,
    joinedAt: row.joined_at.toISOString(),
  };
}

const createPartnerBody = z
  .object({
    id: partnerIdSchema.optional().openapi({ description: 'The upstream system’s id; generated when absent' }),
    name: z.string().trim().min(1).max(200),
    sponsorId: partnerIdSchema.nullable().optional(),
    rank: z.enum(ranks).default('0'),
    status: z.enum(partnerStatuses).default('ACTIVE'),
    kycStatus: z.enum(kycStatuses).default('PENDING'),
    joinedAt: z.string().datetime({ offset: true }).optional(),
  })
  .strict()
  .openapi('CreatePartnerRequest');

const idParams = z.object({ id: partnerIdSchema.openapi({ param: { name: 'id', in: 'path' } }) });
const errors = {
  400: errorResponse('Malformed request'),
  401: errorResponse('Not signed in'),
  403: errorResponse('Not allowed'),
  404: errorResponse('No such partner'),
};

const createPartnerRoute = createRoute({
  method: 'post',
  path: '/',
  operationId: 'createPartner',
  summary: 'Add a partner to the network',
  security: bearerSecurity,
  request: { body: { content: { 'application/json': { schema: createPartnerBody } }, required: true } },
  responses: {
    201: { description: 'Created', content: { 'application/json': { schema: partnerSchema } } },
    ...errors,
    409: errorResponse('The id is taken'),
    422: errorResponse('The sponsor does not exist'),
  },
});

const getPartnerRoute = createRoute({
  method: 'get',
  path: '/{id}',
  operationId: 'getPartner',
  summary: 'One partner',
  security: bearerSecurity,
  request: { params: idParams },
  responses: { 200: { description: 'The partner', content: { 'application/json': { schema: partnerSchema } } }, ...errors },
});

const searchPartnersRoute = createRoute({
  method: 'get',
  path: '/',
  operationId: 'listPartners',
  summary: 'The partner directory: partners whose name, id or login e-mail contains the text, by name then id',
  description: 'Admins only. `q` matches a substring case-insensitively, literally (`%` and `_` are not wildcards).',
  security: bearerSecurity,
  request: {
    query: z.object({
      q: z.string().trim().min(2).max(100).openapi({ description: 'Part of a name, an id or the e-mail of the partner’s login' }),
      limit: z.coerce.number().int().min(1).max(100).default(50),
      cursor: z.string().max(4000).optional().openapi({ description: 'nextCursor of the previous page' }),
    }),
  },
  responses: {
    200: {
      description: 'A page of partners',
      content: { 'application/json': { schema: z.object({ data: z.array(partnerSchema), nextCursor: z.string().nullable() }) } },
    },
    ...errors,
  },
});

const getBalances = createRoute({
  method: 'get',
  path: '/{id}/balances',
  operationId: 'getPartnerBalances',
  summary: 'Balances by bucket and currency, now or as of a past instant',
  security: bearerSecurity,
  request: {
    params: idParams,
    query: z.object({ asOf: z.string().datetime({ offset: true }).optional() }),
  },
  responses: { 200: { description: 'Balances', content: { 'application/json': { schema: balancesSchema } } }, ...errors },
});

const postingSchema = z
  .object({
    entryId: z.string(),
    line: z.number().int(),
    kind: z.string(),
    description: z.string(),
    bucket: z.string(),
    currency: z.string(),
    amount: z.string(),
    createdAt: z.string(),
  })
  .openapi('Posting');

const getLedger = createRoute({
  method: 'get',
  path: '/{id}/ledger',
  operationId: 'getPartnerLedger',
  summary: 'The partner’s postings, newest first',
  security: bearerSecurity,
  request: {
    params: idParams,
    query: z.object({
      limit: z.coerce.number().int().min(1).max(500).default(50),
      cursor: z.string().max(200).optional().openapi({ description: 'nextCursor of the previous page' }),
    }),
  },
  responses: {
    200: {
      description: 'A page of postings',
      content: { 'application/json': { schema: z.object({ postings: z.array(postingSchema), nextCursor: z.string().nullable() }) } },
    },
    ...errors,
  },
});

function decodeCursor(cursor: string) {
  const parsed = zod
    .tuple([zod.string().datetime({ precision: 6 }), zod.string().regex(/^\d+$/), zod.number().int()])
    .safeParse((() => {
      try {
        return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
      } catch {
        return null;
      }
    })());
  if (!parsed.success) throw new ApiError(400, 'invalid_request', 'query.cursor is not a cursor this API issued', 'query.cursor');
  const [cursorTime, entryId, line] = parsed.data;
  return { cursorTime, entryId, line };
}

/** The keyset cursor of the directory: the last row's name and id, as base64url JSON. */
function encodeNameCursor(name: string, id: string): string {
  return Buffer.from(JSON.stringify([name, id])).toString('base64url');
}

function decodeNameCursor(cursor: string): { name: string; id: string } {
  let decoded: unknown = null;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    // Not JSON: refused below like any other cursor this API did not issue.
  }
  const parsed = zod.tuple([zod.string(), zod.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/)]).safeParse(decoded);
  if (!parsed.success) throw new ApiError(400, 'invalid_request', 'query.cursor is not a cursor this API issued', 'query.cursor');
  return { name: parsed.data[0], id: parsed.data[1] };
}

export function partnerRoutes(dependencies: ApiDependencies) {
  const { database, ledger } = dependencies;
  const loadPartner = async (id: string) => {
    const row = await findPartner(database, id);
    if (!row) throw new ApiError(404, 'not_found', `partner ${id} does not exist`, 'id');
    return row;
  };

  return createSubApp()
    .openapi(createPartnerRoute, async (c) => {
      const user = c.get('user');
      requirePermission(user, 'partners.create');
      const body = c.req.valid('json');
      const row = await createPartner(database, {
        id: body.id ?? `p_${randomUUID()}`, name: body.name, sponsorId: body.sponsorId ?? null, rank: body.rank, status: body.status,
        kycStatus: body.kycStatus, ...(body.joinedAt ? { joinedAt: new Date(body.joinedAt) } : {}), actor: user.id, ip: clientIp(c),
      });
      return c.json(toPartner(row), 201);
    })
    .openapi(searchPartnersRoute, async (c) => {
      const user = c.get('user');
      if (user.role === 'partner') throw new ApiError(403, 'forbidden', 'partners may only read their own data');
      requirePermission(user, 'partners.read.any');
      const { q, limit, cursor } = c.req.valid('query');
      const rows = await searchPartners(database, { text: q, after: cursor ? decodeNameCursor(cursor) : null, limit });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return c.json({ data: page.map(toPartner), nextCursor: rows.length > limit && last ? encodeNameCursor(last.name, last.id) : null }, 200);
    })
    .openapi(getPartnerRoute, async (c) => {
      const { id } = c.req.valid('param');
      requirePartnerAccess(c.get('user'), id, 'partners.read.any');
      return c.json(toPartner(await loadPartner(id)), 200);
    })
    .openapi(getBalances, async (c) => {
      const { id } = c.req.valid('param');
      const { asOf } = c.req.valid('query');
      requirePartnerAccess(c.get('user'), id, 'ledger.read.any');
      await loadPartner(id);
      const rows = asOf ? await ledger.partnerBalancesAsOf(id, new Date(asOf)) : await ledger.partnerBalances(id);
      return c.json(
        {
          balances: rows.map((row) => ({
            currency: row.currency,
            commissionPending: row.commission_pending,
            commissionApproved: row.commission_approved,
            available: row.available,
            payoutReserved: row.payout_reserved,
            held: row.held,
            // Stored as a balance running below zero; shown as the positive amount owed.
            debt: formatMoney(new Money(row.debt).negated(), row.currency),
          })),
          asOf: asOf ? new Date(asOf).toISOString() : null,
        },
        200,
      );
    })
    .openapi(getLedger, async (c) => {
      const { id } = c.req.valid('param');
      const { limit, cursor } = c.req.valid('query');
      requirePartnerAccess(c.get('user'), id, 'ledger.read.any');
      await loadPartner(id);
      const rows = await ledger.partnerPostings(id, { limit, before: cursor ? decodeCursor(cursor) : undefined });
      const last = rows.at(-1);
      const nextCursor =
        rows.length === limit && last
          ? Buffer.from(JSON.stringify([last.cursor_time, last.entry_id, last.line])).toString('base64url')
          : null;
      return c.json(
        {
          postings: rows.map((row) => ({
            entryId: row.entry_id,
            line: row.line,
            kind: row.kind,
            description: row.description,
            bucket: row.bucket,
            currency: row.currency,
            amount: row.amount,
            createdAt: row.created_at.toISOString(),
          })),
          nextCursor,
        },
        200,
      );
    });
}
