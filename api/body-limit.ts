import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ApiError, sendError } from './errors.ts';

/**
 * Request body limits. A body larger than its route's limit is refused with 413 `body_too_large` naming `body`
 * before it is read: at once when its Content-Length says so, otherwise as soon as the bytes read pass the limit
 * (a chunked body is never read further). The routes then read a body that is known to fit, so a webhook's
 * signature is checked over at most its limit's bytes.
 */

export const kibibyte = 1024;
export const mebibyte = 1024 * kibibyte;

/** What a route takes unless api/app.ts gives it another limit: every JSON request of the API fits with room. */
export const defaultBodyLimitBytes = mebibyte;

export interface BodyLimitRule {
  method: 'POST' | 'PUT' | 'PATCH';
  /** The path as the router sees it, `:name` standing for one segment: '/v1/payouts/:id/invoice'. */
  path: string;
  bytes: number;
}

/** A middleware that refuses a body over `bytes` with 413 naming `body`, for a route file that needs its own limit. */
export function limitBody(bytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: bytes,
    onError: (c) =>
      sendError(c, new ApiError(413, 'body_too_large', `the request body is larger than ${describeBytes(bytes)}, the most ${c.req.method} ${c.req.path} takes`, 'body')),
  });
}

/** The limit for one request: the first rule matching its method and path, otherwise `defaultBytes`. */
export function bodyLimitFor(rules: readonly BodyLimitRule[], method: string, path: string, defaultBytes = defaultBodyLimitBytes): number {
  return rules.find((rule) => rule.method === method && pathPattern(rule.path).test(path))?.bytes ?? defaultBytes;
}

/** Every request's body limited: by the table of rules, otherwise to `defaultBytes`. */
export function limitRequestBodies(rules: readonly BodyLimitRule[], defaultBytes = defaultBodyLimitBytes): MiddlewareHandler {
  const middlewares = new Map<number, MiddlewareHandler>();
  return (c, next) => {
    const bytes = bodyLimitFor(rules, c.req.method, c.req.path, defaultBytes);
    let middleware = middlewares.get(bytes);
    if (!middleware) middlewares.set(bytes, (middleware = limitBody(bytes)));
    return middleware(c, next);
  };
}

const patterns = new Map<string, RegExp>();

function pathPattern(path: string): RegExp {
  let pattern = patterns.get(path);
  if (!pattern) {
    const source = path
      .split('/')
      .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    patterns.set(path, (pattern = new RegExp(`^${source}/?$`)));
  }
  return pattern;
}

/** 1048576 → "1 MiB", 65536 → "64 KiB", 1000 → "1000 bytes". */
function describeBytes(bytes: number): string {
  if (bytes % mebibyte === 0) return `${bytes / mebibyte} MiB`;
  if (bytes % kibibyte === 0) return `${bytes / kibibyte} KiB`;
  return `${bytes} bytes`;
}
