import { ApplicationFailure } from '@temporalio/common';

/**
 * Why a request was refused, in the domain's words. The HTTP adapter maps each kind to one status in one place
 * (api/errors.ts); modules, activities and workflows never name an HTTP status.
 */
export type RefusalKind =
  | 'invalid' // the input is malformed or out of range
  | 'unauthenticated' // no valid session, or a second factor is missing or wrong
  | 'forbidden' // the actor may not do this (role, ownership, four eyes)
  | 'not_found' // the thing addressed does not exist (or the actor may not know it does)
  | 'conflict' // the thing is not in a state that allows this, or a duplicate
  | 'too_large' // the input is larger than the policy allows
  | 'unsupported_media' // an upload's type is not accepted
  | 'unprocessable' // well-formed, but the business rules refuse it (limits, missing rate, below minimum)
  | 'unavailable'; // a dependency (Temporal, the provider) cannot be reached; nothing was changed

/** What a refusal carries across a Temporal failure or up to the API: a machine code and the offending field. */
export interface Refusal {
  kind: RefusalKind;
  code: string;
  field: string | null;
}

/** A business refusal thrown by a module: a kind, a machine code, a message and the field it concerns. */
export class DomainError extends Error {
  readonly field: string | null;

  constructor(
    readonly kind: RefusalKind,
    readonly code: string,
    message: string,
    field?: string | null,
  ) {
    super(message);
    this.name = 'DomainError';
    this.field = field ?? null;
  }

  get refusal(): Refusal {
    return { kind: this.kind, code: this.code, field: this.field };
  }
}

/**
 * The ApplicationFailure a workflow or an activity throws to refuse a request: non-retryable, typed by lifecycle
 * (`PayoutRefused`, …) so callers can tell it from an infrastructure failure, with the refusal as its details.
 */
export function refusalFailure(type: string, kind: RefusalKind, code: string, message: string, field: string | null = null): ApplicationFailure {
  const refusal: Refusal = { kind, code, field };
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: [refusal] });
}

/** The same failure for a DomainError a module threw inside an activity. */
export function domainErrorFailure(type: string, error: DomainError): ApplicationFailure {
  return refusalFailure(type, error.kind, error.code, error.message, error.field);
}

const refusalKinds = new Set<string>(['invalid', 'unauthenticated', 'forbidden', 'not_found', 'conflict', 'too_large', 'unsupported_media', 'unprocessable', 'unavailable']);

/** The refusal an ApplicationFailure carries, if its details hold one. */
export function refusalOf(failure: ApplicationFailure): Refusal | null {
  const candidate = failure.details?.[0] as Partial<Refusal> | undefined;
  if (!candidate || typeof candidate !== 'object' || typeof candidate.code !== 'string') return null;
  if (typeof candidate.kind !== 'string' || !refusalKinds.has(candidate.kind)) return null;
  return { kind: candidate.kind, code: candidate.code, field: candidate.field ?? null };
}
