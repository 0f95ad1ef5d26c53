import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.ts';
import type { commissionReleaseWorkflow } from '../../workflows/commissions.ts';
import { freePort } from '../../stack/ports.ts';
import { createApiHarness, type ApiHarness } from '../helpers/api.ts';
import { startBunScript, uniqueTaskQueue, waitForExit } from '../helpers/temporal.ts';

/**
 * Both Prometheus endpoints, scraped as Prometheus would (docs/operations.md#metrics): the API's GET /metrics with
 * its request counts and latencies by route and status, and the Temporal SDK's metrics of the production worker
 * process (workers/main.ts with LEDGERFLOW_WORKER_METRICS_ADDRESS) after it ran a workflow.
 */

let api: ApiHarness;
beforeAll(async () => {
  api = await createApiHarness();
});
afterAll(async () => {
  await api?.close();
});

/** Parses the text format's samples: `name{labels} value` → [{ name, labels, value }]; comments are checked apart. */
function parseSamples(text: string) {
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: match[1]!, labels, value: match[3] === '+Inf' ? Infinity : Number(match[3]) });
  }
  return samples;
}

describe('the API’s GET /metrics', () => {
  it('counts and times requests by method, route pattern and status, in the Prometheus text format', async () => {
    const unknownId = randomUUID();
    expect((await api.request(`/v1/payouts/${unknownId}`)).status).toBe(401);
    expect((await api.request(`/v1/payouts/${randomUUID()}`)).status).toBe(401);
    expect((await api.request('/no-such-page')).status).toBe(404);

    const response = await api.request('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();
    expect(text).toContain('# TYPE ledgerflow_http_requests_total counter');
    expect(text).toContain('# TYPE ledgerflow_http_request_duration_seconds histogram');
    const samples = parseSamples(text);
    const find = (name: string, labels: Record<string, string>) => samples.filter((entry) => entry.name === name && Object.entries(labels).every(([key, value]) => entry.labels[key] === value));

    // Two requests to two ids are one series: the route's pattern, not the path.
    const payoutReads = { method: 'GET', route: '/v1/payouts/:id', status: '401' };
    expect(find('ledgerflow_http_requests_total', payoutReads).map((entry) => entry.value)).toEqual([2]);
    expect(text).not.toContain(unknownId);
    expect(find('ledgerflow_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' }).map((entry) => entry.value)).toEqual([1]);

    // The histogram is cumulative and ends in +Inf = count; the sum is the time the two requests took.
    const buckets = find('ledgerflow_http_request_duration_seconds_bucket', payoutReads);
    expect(buckets.at(-1)).toMatchObject({ labels: { le: '+Inf' }, value: 2 });
    for (let index = 1; index < buckets.length; index += 1) expect(buckets[index]!.value).toBeGreaterThanOrEqual(buckets[index - 1]!.value);
    expect(find('ledgerflow_http_request_duration_seconds_count', payoutReads).map((entry) => entry.value)).toEqual([2]);
    expect(find('ledgerflow_http_request_duration_seconds_sum', payoutReads)[0]!.value).toBeGreaterThan(0);

    // The scrape itself shows up in the next scrape.
    const again = parseSamples(await (await api.request('/metrics')).text());
    expect(again.find((entry) => entry.name === 'ledgerflow_http_requests_total' && entry.labels.route === '/metrics')?.value).toBe(1);
  });

  it('with a metrics token configured, a scrape without it is a 401 naming Authorization', async () => {
    const token = 'metrics-token-for-the-test-0123456789';
    const app = createApp(api.dependencies, { metricsToken: token });
    const refused = await app.request('/metrics');
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: { code: 'unauthenticated', field: 'Authorization' } });
    const allowed = await app.request('/metrics', { headers: { authorization: `Bearer ${token}` } });
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toContain('ledgerflow_http_requests_total{method="GET",route="/metrics",status="401"} 1');
  });
});

describe('the worker’s Temporal SDK metrics', () => {
  it('the worker process serves them in Prometheus format at LEDGERFLOW_WORKER_METRICS_ADDRESS, counting the workflows it ran', async () => {
    const port = await freePort();
    const taskQueue = uniqueTaskQueue('metrics');
    const worker = await startBunScript({
      name: 'worker',
      script: 'workers/main.ts',
      env: {
        DATABASE_URL: api.testDatabase.ownerUrl,
        TEMPORAL_ADDRESS: (await import('vitest')).inject('temporalAddress'),
        LEDGERFLOW_TASK_QUEUE: taskQueue,
        LEDGERFLOW_SCHEDULES: '0',
        LEDGERFLOW_WORKER_METRICS_ADDRESS: `127.0.0.1:${port}`,
      },
      ready: 'worker polling task queue',
    });
    try {
      const handle = await api.dependencies.temporal.workflow.start<typeof commissionReleaseWorkflow>('commissionReleaseWorkflow', {
        workflowId: `metrics-release-${randomUUID()}`, taskQueue, args: [{ asOf: new Date().toISOString() }],
      });
      await handle.result();
      // The SDK exports on its own cadence: poll until the completed workflow is counted.
      let text = '';
      await expect.poll(async () => {
        const response = await fetch(`http://127.0.0.1:${port}/metrics`);
        text = await response.text();
        return parseSamples(text).filter((entry) => entry.name === 'temporal_workflow_completed' && entry.labels.task_queue === taskQueue).reduce((sum, entry) => sum + entry.value, 0);
      }, { timeout: 20_000, interval: 500 }).toBeGreaterThanOrEqual(1);
      expect(text).toMatch(/# TYPE temporal_workflow_completed counter/);
      expect(parseSamples(text).some((entry) => entry.name.startsWith('temporal_activity_execution_latency_seconds') && entry.labels.activity_type === 'releaseDueCommissions')).toBe(true);
      expect(parseSamples(text).every((entry) => entry.labels.service === 'ledgerflow-worker')).toBe(true);
    } finally {
      worker.process.kill('SIGTERM');
      await waitForExit(worker.process);
    }
  }, 90_000);
});
