import { DomainError, domainErrorFailure } from '../domain/errors.ts';

/**
 * Runs a module's use-case as an activity: a DomainError it throws becomes the lifecycle's non-retryable refusal
 * (`type`, e.g. `RefundRefused`), which the workflow passes on and the API answers by its kind. Anything else is
 * left as it is, for Temporal to retry.
 */
export async function refusing<T>(type: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DomainError) throw domainErrorFailure(type, error);
    throw error;
  }
}
