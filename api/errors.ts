import {
  ActivityFailure,
  ApplicationFailure,
  ServiceError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  isGrpcServiceError,
} from '@temporalio/client';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import { DomainError, refusalOf, type RefusalKind } from '../domain/errors.ts';

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

/** The one place a domain refusal becomes an HTTP status. */
export const refusalStatus: Record<RefusalKind, ContentfulStatusCode> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media: 415,
  unprocessable: 422,
  unavailable: 503,
};

export function domainApiError(error: DomainError): ApiError {
  return new ApiError(refusalStatus[error.kind], error.code, error.message, error.field ?? undefined);
}

/**
 * Any error a handler meets, as the API answers it: an ApiError as it is; a module's DomainError by its kind;
 * a workflow's refusal of an update (thrown by its validator, its handler, or an activity it ran) by the refusal
 * it carries; a closed or missing workflow as a 409 on `status`; Temporal unreachable (gRPC UNAVAILABLE or
 * DEADLINE_EXCEEDED, after the client's own retries) as a 503 saying nothing was decided. Anything else is
 * returned unchanged, for the app's error handler to answer 500. `subject` names the lifecycle in messages
 * ("the payout").
 */
export function toApiError(error: unknown, subject = 'the workflow'): unknown {
  if (error instanceof ApiError) return error;
  if (error instanceof DomainError) return domainApiError(error);
  if (error instanceof WorkflowUpdateFailedError) {
    // A validator's or handler's refusal is the update's cause; an activity's arrives wrapped in its ActivityFailure.
    const cause = error.cause instanceof ActivityFailure ? error.cause.cause : error.cause;
    const refusal = cause instanceof ApplicationFailure ? refusalOf(cause) : null;
    if (refusal) return new ApiError(refusalStatus[refusal.kind], refusal.code, (cause as Error).message, refusal.field ?? undefined);
    return new ApiError(409, 'refused', cause instanceof Error ? cause.message : `${subject} refused the request`);
  }
  if (error instanceof WorkflowNotFoundError) return new ApiError(409, 'invalid_state', `${subject}’s workflow is closed or missing`, 'status');
  if (isTemporalUnavailable(error)) {
    return new ApiError(503, 'temporal_unavailable', 'Temporal is unreachable; nothing was decided, send the request again later');
  }
  return error;
}

/** Temporal could not be reached (gRPC UNAVAILABLE or DEADLINE_EXCEEDED, after the client's own retries). */
export function isTemporalUnavailable(error: unknown): boolean {
  const grpc = error instanceof ServiceError ? error.cause : error;
  return isGrpcServiceError(grpc) && (grpc.code === 14 || grpc.code === 4);
}

/**
 * Awaits a module call and names a refused field the way the client sent it: a module names its own inputs
 * (`partnerId`, `matchValue`), the route knows where each came from (`params.id`, `body.matchValue`). Fields
 * not in `fields` keep their name; anything other than a DomainError passes through unchanged.
 */
export async function withFields<T>(work: Promise<T>, fields: Record<string, string>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof DomainError && error.field !== null && fields[error.field] !== undefined) {
      throw new ApiError(refusalStatus[error.kind], error.code, error.message, fields[error.field]);
    }
    throw error;
  }
}
