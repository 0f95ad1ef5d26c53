import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import { checkDocumentContent, checkDocumentFileName, isDocumentContentType, type DocumentContentType } from '../domain/documents.ts';
import { ApiError } from './errors.ts';

/**
 * An uploaded PDF, PNG or JPEG (a multipart `file` field: an invoice, a confirmation) checked as the database will
 * check it again: a type we accept, 1 byte to 5 MB, a clean file name, and content that starts the way its type
 * does. Refusals name `body.file`. `what` is the document with its article ("an invoice").
 */
export async function readUploadedDocument(file: File, what: string): Promise<{ type: DocumentContentType; fileName: string; content: Buffer }> {
  const type = file.type.split(';')[0]!.trim().toLowerCase();
  const noun = what.replace(/^(an?|the) /, '');
  if (!isDocumentContentType(type)) {
    throw new ApiError(415, 'unsupported_media_type', `the ${noun} must be a PDF, PNG or JPEG, not ${type || 'an untyped file'}`, 'body.file');
  }
  const fileName = checkDocumentFileName(file.name, 'body.file');
  const content = Buffer.from(await file.arrayBuffer());
  checkDocumentContent(type, content, what, 'body.file');
  return { type, fileName, content };
}

/** RFC 6266: an ASCII fallback and the UTF-8 name, so any file name a partner gave survives the header. */
export function attachmentDisposition(fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

export interface StoredFile {
  file_name: string;
  content_type: string;
  content: Buffer;
  sha256: string;
}

/**
 * A stored document as a download, after checking it still matches the checksum recorded with it (a mismatch is
 * logged and answered 500 `<code>`, never served). `label` names it in the messages ("the stored invoice of
 * payout 42"); `disposition` defaults to an attachment under the file's own name.
 */
export function storedFileResponse(c: Context, file: StoredFile, label: string, corruptedCode: string, disposition = attachmentDisposition(file.file_name)) {
  if (createHash('sha256').update(file.content).digest('hex') !== file.sha256) {
    console.error(`${label} does not match its checksum`);
    throw new ApiError(500, corruptedCode, `${label} does not match its checksum`);
  }
  return c.body(new Uint8Array(file.content), 200, {
    'content-type': file.content_type,
    'content-disposition': disposition,
    'x-content-type-options': 'nosniff',
    etag: `"${file.sha256}"`,
    'repr-digest': `sha-256=:${Buffer.from(file.sha256, 'hex').toString('base64')}:`,
    'cache-control': 'private, no-store',
  });
}
