import { DomainError, domainErrorFailure } from '../domain/errors.ts';
import { poolFailureTypes, type PoolDistributionInput, type PoolDistributionResult } from '../domain/pools.ts';
import { distributePoolsForPeriod, type PoolDependencies } from '../modules/commissions/distribute-pools.ts';

export function createPoolActivities(deps: PoolDependencies) {
  return {
    /** Every pool of the frequency for one period; idempotent per pool and period. */
    async distributePools(input: PoolDistributionInput): Promise<PoolDistributionResult> {
      try {
        return await distributePoolsForPeriod(deps, input);
      } catch (error) {
        // A refusal is final (a retry would refuse again); the workflow's retry policy knows these types.
        if (!(error instanceof DomainError)) throw error;
        throw domainErrorFailure(error.code === 'pool_policy_invalid' ? poolFailureTypes.policyInvalid : poolFailureTypes.invalidPeriod, error);
      }
    },
  };
}

export type PoolActivities = ReturnType<typeof createPoolActivities>;
