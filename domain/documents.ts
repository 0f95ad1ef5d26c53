import { DomainError } from './errors.ts';

/**
 * Documents people attach (payout invoices and confirmations, dispute evidence): what they may be and how large.
 * Migration 012 and its followers check the type and the size again in the database.
 */
export const documentContentTypes = ['application/pdf', 'image/png', 'image/jpeg'] as const;
export type DocumentContentType = (typeof documentContentTypes)[number];
export const documentMaxBytes = 5 * 1024 * 1024;

/** The first bytes each accepted type starts with: a file is what it says it is, or it is refused. */
const signatures: Record<DocumentContentType, { bytes: number[]; name: string }> = {
  'application/pdf': { bytes: [0x25, 0x50, 0x44, 0x46, 0x2d], name: 'PDF' },
  'image/png': { bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], name: 'PNG' },
  'image/jpeg': { bytes: [0xff, 0xd8, 0xff], name: 'JPEG' },
};

export function isDocumentContentType(type: string): type is DocumentContentType {
  return (documentContentTypes as readonly string[]).includes(type);
}

/**
 * Refuses a document that is empty, larger than `documentMaxBytes`, or whose content does not start the way its
 * type does. `what` completes the size message ("an invoice"); refusals name `field`.
 */
export function checkDocumentContent(type: DocumentContentType, content: Uint8Array, what: string, field: string): void {
  if (content.length === 0) throw new DomainError('invalid', 'invalid_request', `${field}: the file is empty`, field);
  if (content.length > documentMaxBytes) throw new DomainError('too_large', 'file_too_large', `${what} may be at most ${documentMaxBytes} bytes (5 MB)`, field);
  const signature = signatures[type];
  if (content.length < signature.bytes.length || signature.bytes.some((byte, index) => content[index] !== byte)) {
    throw new DomainError('unsupported_media', 'unsupported_media_type', `the file's content is not a ${signature.name}`, field);
  }
}

/** A file name kept with a document: 1 to 255 characters without control characters, slashes or quotes. */
export function checkDocumentFileName(fileName: string, field: string): string {
  const trimmed = fileName.trim();
  if (trimmed.length === 0 || trimmed.length > 255 || /[\p{Cc}/\\"]/u.test(trimmed)) {
    throw new DomainError('invalid', 'invalid_request', `${field}: the file name must be 1 to 255 characters without control characters, slashes or quotes`, field);
  }
  return trimmed;
}
