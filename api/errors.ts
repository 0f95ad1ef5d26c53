import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';

/** The one error shape every route answers with: a machine code, a message, and the offending field. */
export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export function errorBody(code: string, message: string, field?: string): ErrorBody {
  return { error: field === undefined ? { code, message } : { code, message, field } };
}

export function sendError(c: Context, error: ApiError) {
  return c.json(errorBody(error.code, error.message, error.field), error.status);
}

/** The first zod issue as a 400 naming its field (`body.amount`, `query.limit`, `params.id`). */
export function validationError(error: ZodError, target: string): ApiError {
  const issue = error.issues[0];
  // An unknown key (a strict object) is reported on its parent; name the key itself.
  const unknownKey = issue?.code === 'unrecognized_keys' ? issue.keys.slice(0, 1) : [];
  const path = issue ? [target, ...issue.path, ...unknownKey].join('.') : target;
  const message = issue ? `${path}: ${issue.message}` : 'invalid request';
  return new ApiError(400, 'invalid_request', message, path);
}
