import { createRoute, z } from '@hono/zod-openapi';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import { pastPoolPeriod, poolFrequencies } from '../../domain/pools.ts';
import { previewPoolPeriod } from '../../modules/commissions/pool-preview.ts';
import { scheduledPoolWorkflowId } from '../../stack/schedules.ts';
import type { PoolDistributionRequest } from '../../workflows/pools.ts';
import { createSubApp, requirePermission, workflowUrl, type ApiDependencies } from '../context.ts';
import { withFields } from '../errors.ts';
import { bearerSecurity, errorResponse } from '../schemas.ts';

/**
 * Pools on demand (docs/rules.md#pools-on-demand), mounted at /v1/pools: a finance manager previews a pool period
 * (who qualifies, their volumes, the share and the remainder; nothing written) and runs a period that is over. A run
 * is the workflow the pool Schedule would start for that period, under the same id, so a period runs once.
 */

const periodFields = {
  frequency: z.enum(poolFrequencies).openapi({ description: 'WEEKLY (Monday to Sunday) or MONTHLY (the calendar month)' }),
  periodStart: z
    .string()
    .datetime({ offset: true })
    .openapi({ description: 'The period’s first instant: a Monday (weekly) or the 1st (monthly), 00:00 UTC', example: '2025-03-03T00:00:00.000Z' }),
};

const volumeSchema = z.object({
  requirement: z.string(),
  legCap: z.string(),
  personal: z.string(),
  structure: z.string(),
  counted: z.string(),
  legs: z.number(),
  largestLeg: z.string(),
});
const previewSchema = z
  .object({
    frequency: z.enum(poolFrequencies),
    periodStart: z.string(),
    periodEnd: z.string(),
    policyVersion: z.number(),
    currency: z.string(),
    rounding: z.object({ poolAmount: z.string(), share: z.string(), remainder: z.string() }).openapi({ description: 'How each amount is rounded' }),
    pools: z.array(
      z.object({
        pool: z.string(),
        turnover: z.string(),
        turnoverShare: z.string(),
        poolAmount: z.string(),
        candidates: z.number(),
        qualifiedCount: z.number(),
        share: z.string(),
        remainder: z.string(),
        qualified: z.array(z.object({ partnerId: z.string(), rank: z.string(), share: z.string(), volume: volumeSchema.nullable() })),
        run: z
          .object({ runId: z.string(), entryId: z.string().nullable(), poolAmount: z.string(), qualified: z.number(), share: z.string(), remainder: z.string(), policyVersion: z.number() })
          .nullable()
          .openapi({ description: 'The run already recorded for the period, or null' }),
      }),
    ),
  })
  .openapi('PoolPeriodPreview');

const errors = { 400: errorResponse('Malformed request, or a period that is not over'), 401: errorResponse('Not signed in'), 403: errorResponse('Not allowed') };

const previewRoute = createRoute({
  operationId: 'previewPoolPeriod',
  method: 'get',
  path: '/preview',
  summary: 'Preview a pool period: qualified partners, volumes, pool amount, share and remainder (nothing is written)',
  security: bearerSecurity,
  request: {
    query: z.object({
      ...periodFields,
      partnerLimit: z.coerce.number().int().min(1).max(10_000).default(1_000).openapi({ description: 'At most this many qualified partners per pool are listed' }),
    }),
  },
  responses: { 200: { description: 'The preview', content: { 'application/json': { schema: previewSchema } } }, ...errors },
});

const runRoute = createRoute({
  operationId: 'runPoolPeriod',
  method: 'post',
  path: '/runs',
  summary: 'Run every pool of a frequency for one past period (idempotent per period)',
  description:
    'Starts, or joins, the workflow the pool Schedule starts for that period (same workflow id); a period already run ' +
    'is not run again. Read the result with GET /v1/pools/preview (its `run` fields).',
  security: bearerSecurity,
  request: { body: { content: { 'application/json': { schema: z.object(periodFields).strict() } }, required: true } },
  responses: {
    202: {
      description: 'Running, or already run',
      content: {
        'application/json': {
          schema: z.object({
            frequency: z.enum(poolFrequencies),
            periodStart: z.string(),
            periodEnd: z.string(),
            workflowId: z.string(),
            runId: z.string().openapi({ description: 'The Temporal run: the same one for every request of the period' }),
            workflowUrl: z.string().nullable(),
          }),
        },
      },
    },
    ...errors,
  },
});

export function poolRoutes(dependencies: ApiDependencies) {
  const { database, ledger, policies, temporal } = dependencies;
  return createSubApp()
    .openapi(previewRoute, async (c) => {
      requirePermission(c.get('user'), 'commissions.run');
      const query = c.req.valid('query');
      const preview = await withFields(previewPoolPeriod({ database, ledger, policies }, query), { periodStart: 'query.periodStart' });
      return c.json(preview, 200);
    })
    .openapi(runRoute, async (c) => {
      requirePermission(c.get('user'), 'commissions.run');
      const body = c.req.valid('json');
      const period = await withFields(Promise.resolve().then(() => pastPoolPeriod(body.frequency, body.periodStart, new Date())), { periodStart: 'body.periodStart' });
      const workflowId = scheduledPoolWorkflowId(body.frequency, period.end);
      const request: PoolDistributionRequest = { frequency: body.frequency, periodStart: period.start.toISOString() };
      let runId: string;
      try {
        // Running: joined. Completed: refused by the reuse policy, and the completed run answers. Failed: run again.
        const handle = await temporal.workflow.start('poolDistributionWorkflow', {
          workflowId,
          taskQueue: dependencies.taskQueue,
          args: [request],
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        });
        runId = handle.firstExecutionRunId;
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
        runId = (await temporal.workflow.getHandle(workflowId).describe()).runId;
      }
      return c.json(
        {
          frequency: body.frequency,
          periodStart: period.start.toISOString(),
          periodEnd: period.end.toISOString(),
          workflowId,
          runId,
          workflowUrl: workflowUrl(dependencies, workflowId),
        },
        202,
      );
    });
}
