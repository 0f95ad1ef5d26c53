import { createRoute, z } from '@hono/zod-openapi';
import { createSubApp, type ApiDependencies, type HealthChecks } from '../context.ts';

const componentNames = ['postgres', 'temporal', 'worker'] as const satisfies readonly (keyof HealthChecks)[];

const healthSchema = z
  .object({
    status: z.enum(['ok', 'down']),
    components: z.record(z.enum(componentNames), z.object({ status: z.enum(['up', 'down']), error: z.string().optional() })),
    error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }).optional(),
  })
  .openapi('Health');

const health = createRoute({
  method: 'get',
  path: '/healthz',
  summary: 'Each component’s health; 503 names the ones that are down',
  operationId: 'getHealth',
  // Public: monitors and load balancers ask without a session.
  security: [],
  responses: {
    200: { description: 'Everything is up', content: { 'application/json': { schema: healthSchema } } },
    503: { description: 'A component is down', content: { 'application/json': { schema: healthSchema } } },
  },
});

function withTimeout(promise: Promise<void>, milliseconds: number): Promise<void> {
  return Promise.race([
    promise,
    new Promise<void>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${milliseconds} ms`)), milliseconds).unref?.()),
  ]);
}

export function healthRoutes(dependencies: ApiDependencies) {
  return createSubApp().openapi(health, async (c) => {
    const results = await Promise.all(
      componentNames.map(async (name) => {
        try {
          await withTimeout(dependencies.health[name](), 3_000);
          return [name, { status: 'up' as const }] as const;
        } catch (error) {
          return [name, { status: 'down' as const, error: (error as Error).message }] as const;
        }
      }),
    );
    const components = Object.fromEntries(results) as Record<(typeof componentNames)[number], { status: 'up' | 'down'; error?: string }>;
    const down = results.filter(([, result]) => result.status === 'down').map(([name]) => name);
    if (down.length > 0) {
      return c.json(
        { status: 'down' as const, components, error: { code: 'unavailable', message: `${down.join(', ')} ${down.length === 1 ? 'is' : 'are'} down` } },
        503,
      );
    }
    return c.json({ status: 'ok' as const, components }, 200);
  });
}
