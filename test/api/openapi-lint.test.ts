import { describe, expect, it } from 'vitest';
import { sessionFreeRoutes } from '../../api/app.ts';
import { lintSummary, openApiDocument } from '../../api/openapi-document.ts';
import { apiKeyScopeNames, apiKeyScopes, scopeForRoute } from '../../domain/api-keys.ts';

const methods = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

function operations() {
  return Object.entries(openApiDocument().paths ?? {}).flatMap(([path, item]) =>
    Object.entries(item ?? {})
      .filter(([method]) => methods.includes(method))
      .map(([method, operation]) => ({
        name: `${method.toUpperCase()} ${path}`,
        path,
        operation: operation as { operationId?: string; security?: unknown },
      })),
  );
}

describe('the OpenAPI document', () => {
  it("passes Redocly's recommended rules (redocly.yaml) with no error and no warning", async () => {
    const { totals, problemsByOperation } = await lintSummary();
    // Grouped by operation, a failure lists what each route has to fix.
    expect(problemsByOperation).toEqual({});
    expect(totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it('gives every operation its own camelCase operationId (docs/api.md)', () => {
    const all = operations();
    expect(all.filter(({ operation }) => !operation.operationId).map(({ name }) => name)).toEqual([]);
    const ids = all.map(({ operation }) => operation.operationId!);
    expect(ids.filter((id) => !/^[a-z][a-zA-Z0-9]*$/.test(id))).toEqual([]);
    expect(ids.filter((id, index) => ids.indexOf(id) !== index)).toEqual([]);
  });

  it('declares no security on exactly the operations the server answers without a session token, and an API key on those a scope opens', () => {
    const mismatched = operations().flatMap(({ name, path, operation }) => {
      const method = name.split(' ')[0]!;
      const scope = scopeForRoute(method, path);
      const expected = !path.startsWith('/v1/') || sessionFreeRoutes.has(path) ? [] : scope ? [{ bearer: [] }, { apiKey: [scope] }] : [{ bearer: [] }];
      const declared = JSON.stringify(operation.security);
      return declared === JSON.stringify(expected) ? [] : [`${name}: security ${declared}, expected ${JSON.stringify(expected)}`];
    });
    expect(mismatched).toEqual([]);
  });

  it('has every route an API key scope names (domain/api-keys.ts), so no scope opens nothing', () => {
    const served = new Set(operations().map(({ name }) => name));
    const named = apiKeyScopeNames.flatMap((scope) => apiKeyScopes[scope].routes.map((route) => `${route.method} ${route.path}`));
    expect(named.filter((route) => !served.has(route))).toEqual([]);
  });
});
