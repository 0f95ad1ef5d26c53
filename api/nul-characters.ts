import type { MiddlewareHandler } from 'hono';
import { ApiError, sendError } from './errors.ts';

/**
 * PostgreSQL's text cannot hold U+0000: a string with one reaching a query ends in "invalid byte sequence for encoding
 * UTF8: 0x00", a 500 (found by the fuzz suite: `GET /v1/payment-history?methodId=%00`). No field of the API has a use
 * for it, so a NUL anywhere in the path, the query or a JSON body is refused once, here, before any route reads the
 * request: 400 naming the field (`query.methodId`, `body.reason`, `body.items.0.note`, `path`).
 */
export function refuseNulCharacters(): MiddlewareHandler {
  return async (c, next) => {
    const url = new URL(c.req.url);
    if (decodedOrRaw(url.pathname).includes('\u0000')) return refuse(c, 'path');
    for (const [key, value] of url.searchParams) {
      if (key.includes('\u0000') || value.includes('\u0000')) return refuse(c, `query.${key.replaceAll('\u0000', '\\u0000')}`);
    }
    const contentType = c.req.header('content-type') ?? '';
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && /^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType)) {
      // Read as bytes, which the routes read again from Hono's cache unchanged (the webhooks verify them as sent).
      const text = new TextDecoder().decode(await c.req.arrayBuffer());
      // JSON can carry a NUL only escaped; a body without the escape needs no parsing.
      if (/\\u0000/i.test(text)) {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          return next(); // Not JSON: the route's validator names that.
        }
        const path = nulPath(body, ['body']);
        if (path) return refuse(c, path);
      }
    }
    return next();
  };
}

function refuse(c: Parameters<MiddlewareHandler>[0], field: string) {
  return sendError(c, new ApiError(400, 'invalid_request', `${field}: contains a NUL character (U+0000)`, field));
}

function decodedOrRaw(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The path of the first key or string holding a NUL, depth first. */
function nulPath(value: unknown, path: string[], depth = 0): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path.join('.') : null;
  if (value === null || typeof value !== 'object' || depth > 64) return null;
  for (const [key, item] of Object.entries(value)) {
    if (key.includes('\u0000')) return [...path, key.replaceAll('\u0000', '\\u0000')].join('.');
    const found = nulPath(item, [...path, key], depth + 1);
    if (found) return found;
  }
  return null;
}
