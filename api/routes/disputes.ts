import { createHash } from 'node:crypto';
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { z as zod } from 'zod';
import type { AdminRole } from '../../domain/access.ts';
import { checkDocumentContent, documentContentTypes, documentMaxBytes } from '../../domain/documents.ts';
import { disputeErrorKinds, disputeResolutions, disputeStatuses, disputeTypes, type DisputeActor } from '../../domain/dispute.ts';
import { formatMoney } from '../../domain/money.ts';
import { disputeEvidence, disputeTimeline, evidenceFile, listDisputes as listDisputeRows, loadDispute, type DisputeRow, type EvidenceInput, type EvidenceRow } from '../../modules/disputes/dispute-store.ts';
import { fileDispute } from '../../modules/disputes/record-dispute.ts';
import { checkResolutionRequest, sendDisputeResolution } from '../../modules/disputes/resolve-dispute.ts';
import { disputeFourEyes, sendDisputeApprovalDecision } from '../../modules/disputes/dispute-approval.ts';
import { disputeWorkflowId } from '../../workflows/dispute-messages.ts';
import { sendDisputeAssignment, sendDisputeEscalationRequest, sendDisputeEvidence } from '../../modules/disputes/review-dispute.ts';
import type { AuthenticatedUser } from '../../modules/identity/identity.ts';
import { clientIp, createSubApp, partnerScope, requireFreshTotp, requirePermission, workflowUrl, type ApiDependencies, type ApiEnv } from '../context.ts';
import { storedFileResponse } from '../files.ts';
import { ApiError, toApiError } from '../errors.ts';
import { runIdempotent } from '../idempotency.ts';
import { decodeTimeCursor, encodeTimeCursor } from '../time-cursor.ts';
import { amountSchema, bearerSecurity, currencySchema, errorResponse, partnerIdSchema } from '../schemas.ts';

/**
 * Partner disputes (docs/rules.md#disputes): a partner disputes one of their own transactions (an
 * admin may file one on their behalf); each dispute is workflow `dispute-<id>`, which follows the decision in docs/rules.md#dispute-decision-tree
 * tree. Evidence is text and/or a file (PDF, PNG, JPEG up to 5 MB, base64 in the JSON body), kept immutable like
 * payout invoices. While a dispute holds, the partner's payouts are HELD by the payout checklist.
 */


const stepUpHeaders = z.object({
  'x-totp-code': z.string().optional().openapi({ description: 'A fresh TOTP code (step-up): required for CORRECTION and GOODWILL' }),
  'idempotency-key': z.string().optional(),
});
const idParam = z.object({ id: z.string().uuid().openapi({ param: { name: 'id', in: 'path' } }) });
const evidenceParam = z.object({
  id: z.string().uuid().openapi({ param: { name: 'id', in: 'path' } }),
  evidenceId: z.string().regex(/^\d{1,18}$/).openapi({ param: { name: 'evidenceId', in: 'path' } }),
});
const errors = {
  400: errorResponse('Malformed request'),
  401: errorResponse('Not signed in, or the TOTP code is missing or wrong'),
  403: errorResponse('Not allowed'),
};

const evidenceBody = z
  .object({
    text: z.string().trim().min(1).max(4000).optional().openapi({ description: 'What supports the dispute, in words' }),
    file: z
      .object({
        fileName: z.string().trim().min(1).max(255).regex(/^[^\x00-\x1f\x7f/\\"]*$/, 'no control characters, slashes or quotes'),
        contentType: z.enum(documentContentTypes),
        contentBase64: z.string().min(1).max(Math.ceil((documentMaxBytes * 4) / 3) + 4),
      })
      .strict()
      .optional()
      .openapi({ description: `A PDF, PNG or JPEG of at most ${documentMaxBytes} bytes whose content matches its type` }),
  })
  .strict()
  .refine((value) => value.text !== undefined || value.file !== undefined, { message: 'evidence is text, a file, or both', path: ['text'] })
  .openapi('DisputeEvidenceInput');

const createBody = z
  .object({
    type: z.enum(disputeTypes).openapi({ description: 'COMMISSION, REVERSAL (of a commission), PAYOUT, RANK' }),
    transactionRef: z.string().trim().min(1).max(100).openapi({ description: 'A commission id (COMMISSION, REVERSAL), a payout id (PAYOUT) or a rank change id (RANK) — your own' }),
    description: z.string().trim().min(1).max(4000),
    evidence: evidenceBody.optional().openapi({ description: 'Without evidence the dispute waits for it (INFORMATION_REQUESTED)' }),
    partnerId: partnerIdSchema.optional().openapi({ description: 'Admins filing on a partner’s behalf; a partner files their own' }),
  })
  .strict()
  .openapi('CreateDisputeRequest');

const resolveBody = z
  .object({
    resolution: z.enum(disputeResolutions),
    errorKind: z.enum(disputeErrorKinds).optional().openapi({ description: 'CORRECTION: CALCULATION (closed) or SYSTEM (also escalated to a senior admin)' }),
    amount: amountSchema.optional().openapi({ description: 'CORRECTION: signed (credit or debit of available); GOODWILL: positive' }),
    currency: currencySchema.optional().openapi({ description: 'Defaults to the transaction’s currency, else USD' }),
    note: z.string().trim().min(1).max(2000).openapi({ description: 'The explanation / what was corrected / the reason: shown to the partner' }),
  })
  .strict()
  .openapi('ResolveDispute');
const assignBody = z.object({ assigneeId: z.string().uuid().optional().openapi({ description: 'Omitted: claim it yourself' }) }).strict().openapi('AssignDispute');
const escalateBody = z.object({ reason: z.string().trim().min(1).max(2000) }).strict().openapi('RequestDisputeEscalation');

const evidenceSchema = z
  .object({
    id: z.string(), text: z.string().nullable(),
    file: z.object({ fileName: z.string(), contentType: z.string(), sizeBytes: z.number(), sha256: z.string(), url: z.string() }).nullable(),
    uploadedBy: z.string(), uploadedAt: z.string(),
  })
  .openapi('DisputeEvidence');
const timelineSchema = z
  .object({
    sequence: z.number(), kind: z.string(), statusAfter: z.enum(disputeStatuses), resolution: z.enum(disputeResolutions).nullable(),
    errorKind: z.enum(disputeErrorKinds).nullable(), amount: z.string().nullable(), currency: z.string().nullable(), entryId: z.string().nullable(),
    evidenceId: z.string().nullable(), note: z.string().nullable(), actor: z.string(), actorRole: z.string().nullable(), at: z.string(),
  })
  .openapi('DisputeTimelineStep');
const disputeSchema = z
  .object({
    id: z.string(), workflowId: z.string(), workflowUrl: z.string().nullable(), partnerId: z.string(), type: z.enum(disputeTypes),
    transactionRef: z.string(), transactionAt: z.string(), transactionAmount: z.string().nullable(), transactionCurrency: z.string().nullable(),
    description: z.string(), status: z.enum(disputeStatuses), resolution: z.enum(disputeResolutions).nullable(), resolutionNote: z.string().nullable(),
    automaticReason: z.enum(['OUT_OF_WINDOW', 'NO_INFORMATION']).nullable(), assigneeId: z.string().nullable(), openedBy: z.string(), openedRole: z.string(),
    openedAt: z.string(), informationDueAt: z.string().nullable(), escalatedAt: z.string().nullable(), explainedAt: z.string().nullable(), closedAt: z.string().nullable(),
    credited: z.object({ total: z.string(), currency: z.string().nullable() }),
    pendingResolution: z.object({
      makerUserId: z.string(), resolution: z.enum(disputeResolutions), errorKind: z.enum(disputeErrorKinds).nullable(), amount: z.string().nullable(),
      currency: z.string().nullable(), amountRub: z.string().nullable(), note: z.string(), checkerRoles: z.array(z.string()), requestedAt: z.string(),
    }).nullable().openapi({ description: 'A CORRECTION or GOODWILL above the four-eyes threshold, waiting for a second person (approve/reject)' }),
  })
  .openapi('Dispute');
const disputeDetailSchema = disputeSchema
  .extend({ timeline: z.array(timelineSchema), evidence: z.array(evidenceSchema) })
  .openapi('DisputeDetail');

const listQuery = z.object({
  status: z.enum(disputeStatuses).optional(),
  type: z.enum(disputeTypes).optional(),
  partnerId: partnerIdSchema.optional().openapi({ description: 'A partner always gets their own' }),
  assigneeId: z.string().uuid().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional().openapi({ description: 'nextCursor of the previous page' }),
});

const route = <T extends Parameters<typeof createRoute>[0]>(definition: T) => createRoute({ security: bearerSecurity, ...definition });
const detailResponse = (description: string) => ({ description, content: { 'application/json': { schema: disputeDetailSchema } } });

const createDispute = route({
  operationId: 'createDispute', method: 'post', path: '/disputes',
  summary: 'Open a dispute on one of your transactions (an admin: on a partner’s behalf); runs as workflow dispute-<id>',
  description: 'The transaction must be the partner’s own (404 naming `body.transactionRef` otherwise). Honours `Idempotency-Key`.',
  request: { headers: stepUpHeaders, body: { content: { 'application/json': { schema: createBody } }, required: true } },
  responses: {
    202: detailResponse('Recorded; the workflow takes the decision tree’s first step'), ...errors, 404: errorResponse('No such transaction of this partner'),
    409: errorResponse('The same Idempotency-Key is in progress'), 413: errorResponse('Evidence file too large'), 415: errorResponse('The evidence file is not what its type says'),
    422: errorResponse('Idempotency-Key reused with another request'), 503: errorResponse('Temporal unavailable'),
  },
});
const listDisputes = route({
  operationId: 'listDisputes', method: 'get', path: '/disputes', summary: 'Disputes, newest first (filters: status, type, partner, assignee); partners see their own',
  request: { query: listQuery },
  responses: { 200: { description: 'A page', content: { 'application/json': { schema: z.object({ data: z.array(disputeSchema), nextCursor: z.string().nullable() }) } } }, ...errors },
});
const getDispute = route({
  operationId: 'getDispute', method: 'get', path: '/disputes/{id}', summary: 'One dispute with its timeline and evidence', request: { params: idParam },
  responses: { 200: detailResponse('The dispute'), ...errors, 404: errorResponse('No such dispute') },
});
const addEvidence = route({
  operationId: 'createDisputeEvidence', method: 'post', path: '/disputes/{id}/evidence', summary: 'Send evidence (text and/or a file); a dispute waiting for information goes to review',
  request: { params: idParam, body: { content: { 'application/json': { schema: evidenceBody } }, required: true } },
  responses: { 200: detailResponse('Recorded'), ...errors, 404: errorResponse('No such dispute'), 409: errorResponse('The dispute is closed or explained'), 413: errorResponse('File too large'), 415: errorResponse('The file is not what its type says'), 503: errorResponse('Temporal unavailable') },
});
const getEvidenceFile = route({
  operationId: 'downloadDisputeEvidence', method: 'get', path: '/disputes/{id}/evidence/{evidenceId}', summary: 'Download an evidence file (checked against its SHA-256)', request: { params: evidenceParam },
  responses: {
    200: { description: 'The file', content: Object.fromEntries(documentContentTypes.map((type) => [type, { schema: z.string().openapi({ format: 'binary' }) }])) },
    ...errors, 404: errorResponse('No such dispute or evidence file'), 500: errorResponse('The stored file no longer matches its checksum'),
  },
});
const assignDispute = route({
  operationId: 'assignDispute', method: 'post', path: '/disputes/{id}/assign', summary: 'Assign the dispute to a reviewer, or claim it (financial support and above)',
  request: { params: idParam, body: { content: { 'application/json': { schema: assignBody } }, required: false } },
  responses: { 200: detailResponse('Assigned'), ...errors, 404: errorResponse('No such dispute'), 409: errorResponse('Not under review or escalated'), 422: errorResponse('The assignee cannot review disputes'), 503: errorResponse('Temporal unavailable') },
});
const resolveDispute = route({
  operationId: 'resolveDispute', method: 'post', path: '/disputes/{id}/resolve',
  summary: 'Resolve: CORRECTION (posted to the ledger), EXPLANATION, GOODWILL, ESCALATION, REJECTION',
  description: 'CORRECTION and GOODWILL need a fresh TOTP code in `X-TOTP-Code`. An escalated dispute, and goodwill above the policy’s `disputes.goodwillMax`, are for senior admins.',
  request: { params: idParam, headers: stepUpHeaders, body: { content: { 'application/json': { schema: resolveBody } }, required: true } },
  responses: { 200: detailResponse('Resolved'), ...errors, 404: errorResponse('No such dispute'), 409: errorResponse('Not in a state that takes a resolution, or the same Idempotency-Key is in progress'), 422: errorResponse('Amount or error kind wrong for the resolution, or the Idempotency-Key reused with another request'), 503: errorResponse('Temporal unavailable') },
});
const decisionHeaders = z.object({ 'x-totp-code': z.string().optional().openapi({ description: 'A fresh TOTP code (step-up)' }) });
const decisionBody = z.object({ reason: z.string().trim().min(1).max(500).optional() }).strict();
const decideResolution = (kind: 'approve' | 'reject') => route({
  operationId: kind === 'approve' ? 'approveDisputeResolution' : 'rejectDisputeResolution', method: 'post', path: `/disputes/{id}/resolution/${kind}`,
  summary: kind === 'approve'
    ? 'Approve the CORRECTION or GOODWILL waiting for a second person (four eyes): it is posted'
    : 'Reject the CORRECTION or GOODWILL waiting for a second person (four eyes): nothing is posted, the dispute stays open',
  description: 'A second person: never the maker, one of the policy’s `fourEyes.moneyCheckerRoles`, with a fresh TOTP code in `X-TOTP-Code`.',
  request: { params: idParam, headers: decisionHeaders, body: { content: { 'application/json': { schema: decisionBody } }, required: false } },
  responses: { 200: detailResponse('Decided'), ...errors, 404: errorResponse('No such dispute'), 409: errorResponse('No resolution is waiting'), 503: errorResponse('Temporal unavailable') },
});
const escalateDispute = route({
  operationId: 'escalateDispute', method: 'post', path: '/disputes/{id}/escalate', summary: 'The partner asks for a senior admin after an explanation',
  request: { params: idParam, body: { content: { 'application/json': { schema: escalateBody } }, required: true } },
  responses: { 200: detailResponse('Escalated'), ...errors, 404: errorResponse('No such dispute'), 409: errorResponse('Not EXPLAINED'), 503: errorResponse('Temporal unavailable') },
});

function actorOf(user: AuthenticatedUser): DisputeActor {
  return { userId: user.id, role: user.role as AdminRole | 'partner' };
}

/** Decodes and checks an evidence file: its size and that its content is what its type says. */
function evidenceOf(body: zod.infer<typeof evidenceBody>, field: string): EvidenceInput {
  if (!body.file) return { text: body.text ?? null, file: null };
  const content = Buffer.from(body.file.contentBase64, 'base64');
  checkDocumentContent(body.file.contentType, content, 'an evidence file', `${field}.file.contentBase64`);
  return {
    text: body.text ?? null,
    file: { fileName: body.file.fileName, contentType: body.file.contentType, content, sha256: createHash('sha256').update(content).digest('hex') },
  };
}


export function disputeRoutes(dependencies: ApiDependencies): OpenAPIHono<ApiEnv> {
  const { database, identity, temporal } = dependencies;

  const toDispute = (row: DisputeRow) => ({
    id: row.id, workflowId: disputeWorkflowId(row.id), workflowUrl: workflowUrl(dependencies, disputeWorkflowId(row.id)), partnerId: row.partner_id,
    type: row.type, transactionRef: row.transaction_ref, transactionAt: row.transaction_at.toISOString(),
    transactionAmount: row.transaction_amount && row.transaction_currency ? formatMoney(row.transaction_amount, row.transaction_currency) : null,
    transactionCurrency: row.transaction_currency, description: row.description, status: row.status, resolution: row.resolution,
    resolutionNote: row.resolution_note, automaticReason: row.automatic_reason, assigneeId: row.assignee_id, openedBy: row.opened_by, openedRole: row.opened_role,
    openedAt: row.opened_at.toISOString(), informationDueAt: row.information_due_at?.toISOString() ?? null, escalatedAt: row.escalated_at?.toISOString() ?? null,
    explainedAt: row.explained_at?.toISOString() ?? null, closedAt: row.closed_at?.toISOString() ?? null,
    credited: { total: row.credited_currency ? formatMoney(row.credited_total, row.credited_currency) : '0', currency: row.credited_currency },
    pendingResolution: row.pending_resolution
      ? {
          makerUserId: row.pending_resolution.maker.userId, resolution: row.pending_resolution.resolution as (typeof disputeResolutions)[number],
          errorKind: row.pending_resolution.errorKind as (typeof disputeErrorKinds)[number] | null, amount: row.pending_resolution.amount,
          currency: row.pending_resolution.currency, amountRub: row.pending_resolution.amountRub, note: row.pending_resolution.note,
          checkerRoles: row.pending_resolution.checkerRoles, requestedAt: row.pending_resolution.requestedAt,
        }
      : null,
  });
  const toEvidence = (row: EvidenceRow) => ({
    id: row.id, text: row.text,
    file: row.file_name && row.content_type && row.size_bytes !== null && row.sha256
      ? { fileName: row.file_name, contentType: row.content_type, sizeBytes: row.size_bytes, sha256: row.sha256, url: `/v1/disputes/${row.dispute_id}/evidence/${row.id}` }
      : null,
    uploadedBy: row.uploaded_by, uploadedAt: row.uploaded_at.toISOString(),
  });
  const detail = async (row: DisputeRow) => ({
    ...toDispute(row),
    timeline: (await disputeTimeline(database, row.id)).map((step) => ({
      sequence: step.sequence, kind: step.kind, statusAfter: step.status_after, resolution: step.resolution, errorKind: step.error_kind,
      amount: step.amount && step.currency ? formatMoney(step.amount, step.currency) : null, currency: step.currency, entryId: step.entry_id,
      evidenceId: step.evidence_id, note: step.note, actor: step.actor, actorRole: step.actor_role, at: step.recorded_at.toISOString(),
    })),
    evidence: (await disputeEvidence(database, row.id)).map(toEvidence),
  });
  /** A partner reads only their own disputes: another's is a 404 (its existence is not theirs to know). */
  const readable = async (id: string, user: AuthenticatedUser) => {
    const row = await loadDispute(database, id);
    if (!row || (user.role === 'partner' && row.partner_id !== user.partnerId)) throw new ApiError(404, 'not_found', `no dispute ${id}`, 'params.id');
    if (user.role !== 'partner') requirePermission(user, 'disputes.read.any');
    return row;
  };
  /** Sends an update to the dispute's workflow and answers with the dispute as it is after it. */
  const update = async (id: string, send: () => Promise<unknown>) => {
    try {
      await send();
    } catch (error) {
      throw toApiError(error, 'the dispute');
    }
    return detail((await loadDispute(database, id))!);
  };

  /** A second person's decision on a held resolution: the row refuses what it can before the TOTP code is spent. */
  const decide = async (user: AuthenticatedUser, decision: 'APPROVED' | 'REJECTED', id: string, totp: string | undefined, reason: string | null, ip: string | null) => {
    if (user.role === 'partner') throw new ApiError(403, 'forbidden', 'an admin decides');
    requirePermission(user, 'disputes.review');
    const row = await readable(id, user);
    if (!row.pending_resolution) throw new ApiError(409, 'invalid_state', 'no resolution of this dispute is waiting for a second person', 'status');
    if (row.pending_resolution.maker.userId === user.id) throw new ApiError(403, 'maker_checker', 'the maker cannot approve or reject their own resolution; a second person decides');
    await requireFreshTotp(identity, user, totp, `a ${decision === 'APPROVED' ? 'approval' : 'rejection'} of a dispute resolution`);
    return update(id, () => sendDisputeApprovalDecision(temporal, id, decision, { actor: actorOf(user), reason, ip }));
  };

  return createSubApp()
    .openapi(createDispute, async (c) => {
      const user = c.get('user');
      const body = c.req.valid('json');
      const headers = c.req.valid('header');
      let partnerId: string;
      if (user.role === 'partner') {
        if (body.partnerId !== undefined && body.partnerId !== user.partnerId) throw new ApiError(403, 'forbidden', 'partners open disputes on their own transactions', 'body.partnerId');
        partnerId = user.partnerId!;
      } else {
        requirePermission(user, 'disputes.review');
        if (body.partnerId === undefined) throw new ApiError(400, 'invalid_request', 'body.partnerId: an admin names the partner the dispute is for', 'body.partnerId');
        partnerId = body.partnerId;
      }
      const evidence = body.evidence ? evidenceOf(body.evidence, 'body.evidence') : null;
      const result = await runIdempotent(database, { userId: user.id, key: headers['idempotency-key'], fingerprint: ['POST /v1/disputes', { ...body, partnerId }] }, async () => {
        const row = await fileDispute(dependencies, {
          partnerId, type: body.type, transactionRef: body.transactionRef, description: body.description, evidence,
          openedBy: actorOf(user), ip: clientIp(c),
        });
        return { status: 202, body: await detail(row) };
      });
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as zod.infer<typeof disputeDetailSchema>, 202);
    })
    .openapi(listDisputes, async (c) => {
      const user = c.get('user');
      const query = c.req.valid('query');
      const partnerId = partnerScope(user, query.partnerId, 'disputes.read.any');
      const rows = await listDisputeRows(database, {
        partnerId, status: query.status, type: query.type, assigneeId: query.assigneeId, limit: query.limit,
        after: query.cursor ? decodeTimeCursor(query.cursor) : undefined,
      });
      const last = rows.at(-1);
      return c.json({ data: rows.map(toDispute), nextCursor: rows.length === query.limit && last ? encodeTimeCursor(last.cursor_time, last.id) : null }, 200);
    })
    .openapi(getDispute, async (c) => {
      const row = await readable(c.req.valid('param').id, c.get('user'));
      return c.json(await detail(row), 200);
    })
    .openapi(addEvidence, async (c) => {
      const user = c.get('user');
      const { id } = c.req.valid('param');
      const row = await readable(id, user);
      if (user.role !== 'partner') requirePermission(user, 'disputes.review');
      const evidence = evidenceOf(c.req.valid('json'), 'body');
      const body = await update(id, () => sendDisputeEvidence(dependencies, row, { evidence, actor: actorOf(user) }));
      return c.json(body, 200);
    })
    .openapi(getEvidenceFile, async (c) => {
      const { id, evidenceId } = c.req.valid('param');
      await readable(id, c.get('user'));
      const file = await evidenceFile(database, id, evidenceId);
      return storedFileResponse(c, file, `the stored evidence ${evidenceId} of dispute ${id}`, 'evidence_corrupted');
    })
    .openapi(assignDispute, async (c) => {
      const user = c.get('user');
      if (user.role === 'partner') throw new ApiError(403, 'forbidden', 'disputes are assigned by admins');
      requirePermission(user, 'disputes.review');
      const { id } = c.req.valid('param');
      await readable(id, user);
      const body = (await c.req.json().catch(() => ({}))) as { assigneeId?: unknown };
      const parsed = assignBody.safeParse(body);
      if (!parsed.success) throw new ApiError(400, 'invalid_request', 'body.assigneeId must be a user id', 'body.assigneeId');
      const assigneeId = parsed.data.assigneeId ?? user.id;
      const result = await update(id, () => sendDisputeAssignment(dependencies, id, { actor: actorOf(user), assigneeId }));
      return c.json(result, 200);
    })
    .openapi(resolveDispute, async (c) => {
      const user = c.get('user');
      if (user.role === 'partner') throw new ApiError(403, 'forbidden', 'disputes are resolved by admins');
      requirePermission(user, 'disputes.review');
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const headers = c.req.valid('header');
      const row = await readable(id, user);
      const result = await runIdempotent(database, { userId: user.id, key: headers['idempotency-key'], fingerprint: ['resolve-dispute', id, body] }, async () => {
        const currency = body.currency ?? row.transaction_currency ?? 'USD';
        // Refused before the TOTP is checked where the state says no: a refusal consumes no code.
        const movesMoney = checkResolutionRequest(row, body);
        if (movesMoney) await requireFreshTotp(identity, user, headers['x-totp-code'], `a ${body.resolution.toLowerCase()}`);
        const resolution = {
          resolution: body.resolution, errorKind: body.errorKind ?? null, note: body.note,
          amount: body.amount ?? null, currency: movesMoney ? currency : null,
        };
        // Four eyes (docs/rules.md#four-eyes): above the threshold the workflow holds it for a second person.
        const fourEyes = movesMoney ? await disputeFourEyes(database, resolution, (await dependencies.policies.active()).policy.fourEyes) : null;
        const detailBody = await update(id, () => sendDisputeResolution(temporal, id, {
          actor: actorOf(user), resolution, ip: clientIp(c), ...(fourEyes ? { fourEyes } : {}),
        }));
        return { status: 200, body: detailBody };
      });
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body as zod.infer<typeof disputeDetailSchema>, 200);
    })
    .openapi(decideResolution('approve'), async (c) => c.json(await decide(c.get('user'), 'APPROVED', c.req.valid('param').id, c.req.valid('header')['x-totp-code'], c.req.valid('json')?.reason ?? null, clientIp(c)), 200))
    .openapi(decideResolution('reject'), async (c) => c.json(await decide(c.get('user'), 'REJECTED', c.req.valid('param').id, c.req.valid('header')['x-totp-code'], c.req.valid('json')?.reason ?? null, clientIp(c)), 200))
    .openapi(escalateDispute, async (c) => {
      const user = c.get('user');
      const { id } = c.req.valid('param');
      const row = await readable(id, user);
      if (user.role !== 'partner') throw new ApiError(403, 'forbidden', 'the partner asks for escalation; an admin resolves with ESCALATION');
      const { reason } = c.req.valid('json');
      const body = await update(id, () => sendDisputeEscalationRequest(temporal, row, { actor: actorOf(user), reason }));
      return c.json(body, 200);
    });
}
