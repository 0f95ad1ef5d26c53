import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { documentContentTypes, documentMaxBytes } from '../../../domain/documents.ts';
import type { AuthenticatedUser } from '../../../modules/identity/identity.ts';
import { currentInvoiceFile, uploadPayoutInvoice } from '../../../modules/payouts/invoices.ts';
import { clientIp, createSubApp, requirePartnerAccess, type ApiDependencies } from '../../context.ts';
import { ApiError } from '../../errors.ts';
import { readUploadedDocument, storedFileResponse } from '../../files.ts';
import { bearerSecurity, errorResponse } from '../../schemas.ts';
import { errors, hideDraftFromPartner, idParams, invoiceSchema, payoutViews, toInvoice } from './views.ts';

/** The partner's invoice for their payout (docs/rules.md#partner-validation): uploaded before they validate it, downloaded by both sides. */

/** Room for the multipart envelope around the largest invoice. */
const invoiceEnvelopeBytes = 64 * 1024;

const invoiceUpload = z
  .object({
    file: z
      .custom<File>((value) => value instanceof File, 'attach the invoice as the multipart field "file"')
      .openapi({ type: 'string', format: 'binary', description: `PDF, PNG or JPEG, at most ${documentMaxBytes} bytes; the part’s Content-Type must be the file’s` }),
  })
  .openapi('PayoutInvoiceUpload');

/** 415 for anything but multipart/form-data, before the body is read. */
const requireMultipart: MiddlewareHandler = async (c, next) => {
  const contentType = c.req.header('content-type') ?? '';
  if (!/^multipart\/form-data\s*;/i.test(contentType)) {
    throw new ApiError(415, 'unsupported_media_type', 'send the invoice as multipart/form-data with the file in the field "file"', 'Content-Type');
  }
  await next();
};
const limitInvoiceBody = bodyLimit({
  maxSize: documentMaxBytes + invoiceEnvelopeBytes,
  onError: () => {
    throw new ApiError(413, 'file_too_large', `an invoice may be at most ${documentMaxBytes} bytes (5 MB)`, 'body.file');
  },
});

const uploadInvoice = createRoute({
  method: 'post',
  path: '/{id}/invoice',
  operationId: 'uploadPayoutInvoice',
  summary: 'The partner uploads the invoice for their payout (docs/rules.md#partner-validation), before validating it',
  description:
    'multipart/form-data with one field, `file`: a PDF, PNG or JPEG of at most 5 MB whose content matches its type. Allowed while the payout waits for its partner (REQUESTED, HELD or AWAITING_PARTNER, not yet validated) under a policy version that asks for partner validation. A new upload replaces the current invoice (earlier ones are kept); the same file again changes nothing (200). 413 `file_too_large`, 415 `unsupported_media_type` (field `body.file`, or `Content-Type` when the request is not multipart), 400 naming `body.file`.',
  security: bearerSecurity,
  middleware: [requireMultipart, limitInvoiceBody] as const,
  request: { params: idParams, body: { content: { 'multipart/form-data': { schema: invoiceUpload } }, required: true } },
  responses: {
    201: { description: 'Uploaded: now the current invoice', content: { 'application/json': { schema: invoiceSchema } } },
    200: { description: 'The same file is already the current invoice; nothing changed', content: { 'application/json': { schema: invoiceSchema } } },
    ...errors,
    404: errorResponse('No such payout'),
    409: errorResponse('The payout does not wait for its partner, or the partner validated it already'),
    413: errorResponse('The file is larger than 5 MB'),
    415: errorResponse('Not multipart/form-data, or the file is not a PDF, PNG or JPEG'),
  },
});

const getInvoice = createRoute({
  method: 'get',
  path: '/{id}/invoice',
  operationId: 'downloadPayoutInvoice',
  summary: 'Download the payout’s current invoice (checked against its SHA-256)',
  security: bearerSecurity,
  request: { params: idParams },
  responses: {
    200: {
      description: 'The file (attachment)',
      content: Object.fromEntries(documentContentTypes.map((type) => [type, { schema: z.string().openapi({ format: 'binary' }) }])),
    },
    ...errors,
    404: errorResponse('No such payout, or no invoice uploaded'),
    500: errorResponse('The stored file no longer matches its checksum'),
  },
});

export function payoutInvoiceRoutes(dependencies: ApiDependencies) {
  const { database } = dependencies;
  const { loadPayout } = payoutViews(dependencies);

  return createSubApp()
    .openapi(uploadInvoice, async (c) => {
      const { id } = c.req.valid('param');
      const user: AuthenticatedUser = c.get('user');
      const row = await loadPayout(id);
      if (user.role !== 'partner') throw new ApiError(403, 'forbidden', 'only the payout’s partner uploads its invoice');
      hideDraftFromPartner(user, row);
      if (user.partnerId !== row.partner_id) throw new ApiError(403, 'forbidden', 'partners may only upload invoices for their own payouts');

      const file = await readUploadedDocument(c.req.valid('form').file, 'an invoice');
      const result = await uploadPayoutInvoice(dependencies, row, file, { uploadedBy: user.id, ip: clientIp(c) });
      return c.json(toInvoice(result.invoice), result.created ? 201 : 200);
    })
    .openapi(getInvoice, async (c) => {
      const { id } = c.req.valid('param');
      const user: AuthenticatedUser = c.get('user');
      const row = await loadPayout(id);
      requirePartnerAccess(user, row.partner_id, 'payouts.read.any');
      hideDraftFromPartner(user, row);
      const file = await currentInvoiceFile(database, id);
      if (!file) throw new ApiError(404, 'not_found', `payout ${id} has no invoice`, 'params.id');
      return storedFileResponse(c, file, `the stored invoice ${file.id} of payout ${id}`, 'invoice_corrupted');
    });
}
