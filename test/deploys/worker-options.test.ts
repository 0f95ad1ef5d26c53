import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../stack/config.ts';
import { workerDeploymentOptions, workerTelemetryOptions } from '../../workers/worker-options.ts';

/** The worker's versioning and metrics settings, read from its environment by workers/main.ts. */
describe('worker versioning and metrics configuration', () => {
  it('without a deployment name and build id the worker is unversioned, as before', () => {
    expect(workerDeploymentOptions(loadConfig({}))).toBeUndefined();
    expect(workerTelemetryOptions(loadConfig({}))).toBeUndefined();
  });

  it('with both, the worker joins the deployment as that build, pinning its workflows by default', () => {
    const config = loadConfig({ LEDGERFLOW_DEPLOYMENT_NAME: 'ledgerflow', LEDGERFLOW_BUILD_ID: '2026-12-06.1' });
    expect(workerDeploymentOptions(config)).toEqual({
      useWorkerVersioning: true, version: { deploymentName: 'ledgerflow', buildId: '2026-12-06.1' }, defaultVersioningBehavior: 'PINNED',
    });
    expect(workerDeploymentOptions(loadConfig({ LEDGERFLOW_DEPLOYMENT_NAME: 'l', LEDGERFLOW_BUILD_ID: 'b', LEDGERFLOW_VERSIONING_BEHAVIOR: 'AUTO_UPGRADE' }))?.defaultVersioningBehavior).toBe('AUTO_UPGRADE');
  });

  it('one without the other, or a behaviour Temporal does not know, is refused naming the variable', () => {
    expect(() => workerDeploymentOptions(loadConfig({ LEDGERFLOW_BUILD_ID: 'b' }))).toThrow(/LEDGERFLOW_DEPLOYMENT_NAME and LEDGERFLOW_BUILD_ID/);
    expect(() => workerDeploymentOptions(loadConfig({ LEDGERFLOW_DEPLOYMENT_NAME: 'l' }))).toThrow(ConfigError);
    expect(() => loadConfig({ LEDGERFLOW_VERSIONING_BEHAVIOR: 'SOMETIMES' })).toThrow(/LEDGERFLOW_VERSIONING_BEHAVIOR/);
    expect(() => loadConfig({ LEDGERFLOW_WORKER_METRICS_ADDRESS: 'no-port' })).toThrow(/LEDGERFLOW_WORKER_METRICS_ADDRESS/);
  });

  it('a metrics address turns on the SDK’s Prometheus endpoint there', () => {
    expect(workerTelemetryOptions(loadConfig({ LEDGERFLOW_WORKER_METRICS_ADDRESS: '127.0.0.1:9464' }))?.metrics).toMatchObject({ prometheus: { bindAddress: '127.0.0.1:9464' } });
  });
});
