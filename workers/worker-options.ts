import type { RuntimeOptions, WorkerOptions } from '@temporalio/worker';
import { ConfigError, type Config } from '../stack/config.ts';

/**
 * The worker's versioning and telemetry settings from its environment (docs/operations.md#safe-deploys,
 * docs/operations.md#metrics). Both are off unless configured, so a plain worker behaves as it always did.
 */

/**
 * Worker Deployment versioning: LEDGERFLOW_DEPLOYMENT_NAME and LEDGERFLOW_BUILD_ID together (one without the other
 * is a configuration error). The default behaviour PINNED keeps a workflow on the build that started it until it
 * closes, so a payout waiting days for an approval finishes on the code it began with, whatever was deployed since.
 */
export function workerDeploymentOptions(config: Pick<Config, 'LEDGERFLOW_DEPLOYMENT_NAME' | 'LEDGERFLOW_BUILD_ID' | 'LEDGERFLOW_VERSIONING_BEHAVIOR'>): WorkerOptions['workerDeploymentOptions'] {
  const deploymentName = config.LEDGERFLOW_DEPLOYMENT_NAME;
  const buildId = config.LEDGERFLOW_BUILD_ID;
  if (deploymentName === undefined && buildId === undefined) return undefined;
  if (deploymentName === undefined || buildId === undefined) {
    throw new ConfigError('LEDGERFLOW_DEPLOYMENT_NAME and LEDGERFLOW_BUILD_ID go together: set both for a versioned worker, or neither');
  }
  return { useWorkerVersioning: true, version: { deploymentName, buildId }, defaultVersioningBehavior: config.LEDGERFLOW_VERSIONING_BEHAVIOR };
}

/** The SDK's metrics in Prometheus format on LEDGERFLOW_WORKER_METRICS_ADDRESS (host:port), if set. */
export function workerTelemetryOptions(config: Pick<Config, 'LEDGERFLOW_WORKER_METRICS_ADDRESS'>): RuntimeOptions['telemetryOptions'] {
  if (!config.LEDGERFLOW_WORKER_METRICS_ADDRESS) return undefined;
  return {
    metrics: {
      prometheus: { bindAddress: config.LEDGERFLOW_WORKER_METRICS_ADDRESS, unitSuffix: true, useSecondsForDurations: true },
      globalTags: { service: 'ledgerflow-worker' },
    },
  };
}
