import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { attachConfirmation, latestConfirmationFile, payoutOwner, type PayoutConfirmation } from '../../modules/payouts/confirmations.ts';
import { clientIp, createSubApp, requirePartnerAccess, requirePermission, type ApiDependencies } from '../context.ts';
import { ApiError, withFields } from '../errors.ts';
import { bearerSecurity, errorResponse } from '../schemas.ts';
import { readUploadedDocument, storedFileResponse } from '../files.ts';
import { documentContentTypes, documentMaxBytes } from '../../domain/documents.ts';

/**
 * A manual payout's confirmation file (issue #4 item 5): the admin who processes a payout by hand attaches the bank's
 * or provider's proof (PDF, PNG or JPEG, 5 MB at most, content checked against its type) while it is PROCESSING or
 * once COMPLETED. Files are immutable and kept with their SHA-256; a new upload becomes the current one, the same
 * file again changes nothing. The payout's partner may download it (their proof of payment).
 */

const idParams = z.object({ id: z.string().uuid().openapi({ param: { name: 'id', in: 'path' } }) });
const json = <T extends z.ZodTypeAny>(schema: T) => ({ content: { 'application/json': { schema } } });

const confirmationSchema = z
  .object({
    id: z.string(),
    payoutId: z.string(),
    fileName: z.string(),
    contentType: z.enum(documentContentTypes),
    sizeBytes: z.number(),
    sha256: z.string(),
    uploadedBy: z.string(),
    uploadedAt: z.string(),
    url: z.string(),
  })
  .openapi('PayoutConfirmation');

const upload = z
  .object({
    file: z
      .custom<File>((value) => value instanceof File, 'attach the confirmation as the multipart field "file"')
      .openapi({ type: 'string', format: 'binary', description: `PDF, PNG or JPEG, at most ${documentMaxBytes} bytes` }),
  })
  .openapi('PayoutConfirmationUpload');

const requireMultipart: MiddlewareHandler = async (c, next) => {
  if (!/^multipart\/form-data\s*;/i.test(c.req.header('content-type') ?? '')) {
    throw new ApiError(415, 'unsupported_media_type', 'send the confirmation as multipart/form-data with the file in the field "file"', 'Content-Type');
  }
  await next();
};
const limitBody = bodyLimit({
  maxSize: documentMaxBytes + 64 * 1024,
  onError: () => {
    throw new ApiError(413, 'file_too_large', `a confirmation may be at most ${documentMaxBytes} bytes (5 MB)`, 'body.file');
  },
});

const errors = {
  400: errorResponse('Malformed request; `field` names it'),
  401: errorResponse('Not signed in'),
  403: errorResponse('Not allowed'),
  404: errorResponse('No such payout (or no confirmation uploaded)'),
};

const uploadConfirmation = createRoute({
  operationId: 'uploadPayoutConfirmation',
  method: 'post',
  path: '/{id}/confirmation',
  summary: 'Attach the confirmation file of a manually processed payout (PROCESSING or COMPLETED); audited',
  security: bearerSecurity,
  middleware: [requireMultipart, limitBody] as const,
  request: { params: idParams, body: { content: { 'multipart/form-data': { schema: upload } }, required: true } },
  responses: {
    201: { description: 'Uploaded: now the current confirmation', ...json(confirmationSchema) },
    200: { description: 'The same file is already the current confirmation; nothing changed', ...json(confirmationSchema) },
    ...errors,
    409: errorResponse('The payout is neither PROCESSING nor COMPLETED'),
    413: errorResponse('The file is larger than 5 MB'),
    415: errorResponse('Not multipart/form-data, or the file is not a PDF, PNG or JPEG'),
  },
});

const getConfirmation = createRoute({
  operationId: 'downloadPayoutConfirmation',
  method: 'get',
  path: '/{id}/confirmation',
  summary: 'Download the payout’s current confirmation file (checked against its SHA-256)',
  security: bearerSecurity,
  request: { params: idParams },
  responses: {
    200: { description: 'The file (attachment)', content: Object.fromEntries(documentContentTypes.map((type) => [type, { schema: z.string().openapi({ format: 'binary' }) }])) },
    ...errors,
    500: errorResponse('The stored file no longer matches its checksum'),
  },
});

function toBody(row: PayoutConfirmation): z.infer<typeof confirmationSchema> {
  return {
    id: row.id, payoutId: row.payout_id, fileName: row.file_name, contentType: row.content_type, sizeBytes: row.size_bytes,
    sha256: row.sha256, uploadedBy: row.uploaded_by, uploadedAt: row.uploaded_at.toISOString(), url: `/v1/payouts/${row.payout_id}/confirmation`,
  };
}

export function payoutConfirmationRoutes(dependencies: ApiDependencies) {
  const { database } = dependencies;
  return createSubApp()
    .openapi(uploadConfirmation, async (c) => {
      const user = c.get('user');
      requirePermission(user, 'payouts.process');
      const { id } = c.req.valid('param');
      const { type, fileName, content } = await readUploadedDocument(c.req.valid('form').file, 'a confirmation');
      const attached = attachConfirmation(database, { payoutId: id, type, fileName, content, actor: user.id, ip: clientIp(c) });
      const result = await withFields(attached, { payoutId: 'params.id' });
      return c.json(toBody(result.confirmation), result.created ? 201 : 200);
    })
    .openapi(getConfirmation, async (c) => {
      const user = c.get('user');
      const { id } = c.req.valid('param');
      const payout = await payoutOwner(database, id);
      if (!payout || (payout.status === 'DRAFT' && user.role === 'partner')) throw new ApiError(404, 'not_found', `payout ${id} does not exist`, 'params.id');
      requirePartnerAccess(user, payout.partnerId, 'payouts.read.any');
      const file = await latestConfirmationFile(database, id);
      if (!file) throw new ApiError(404, 'not_found', `payout ${id} has no confirmation`, 'params.id');
      return storedFileResponse(c, file, `the stored confirmation ${file.id} of payout ${id}`, 'confirmation_corrupted');
    });
}
