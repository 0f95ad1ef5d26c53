import { describe, expect, it } from 'vitest';
import { sessionFreeRoutes } from '../../api/app.ts';
import { lintOpenApiDocument, openApiDocument } from '../../api/openapi-document.ts';

interface LintReport {
  totals: { errors: number; warnings: number; ignored: number };
  problems: { ruleId: string; severity: string; message: string; location: { pointer?: string }[] }[];
}

const methods = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

/** "GET /v1/payouts/{id}" for a JSON pointer into an operation; the pointer itself for the rest of the document. */
function operationOf(pointer: string | undefined): string {
  const [, encodedPath, method] = /^#\/paths\/([^/]+)\/([^/]+)/.exec(pointer ?? '') ?? [];
  if (!encodedPath || !method || !methods.includes(method)) return pointer ?? 'the document';
  return `${method.toUpperCase()} ${encodedPath.replaceAll('~1', '/').replaceAll('~0', '~')}`;
}

function operations() {
  return Object.entries(openApiDocument().paths ?? {}).flatMap(([path, item]) =>
    Object.entries(item ?? {})
      .filter(([method]) => methods.includes(method))
      .map(([method, operation]) => ({ path, method, operation: operation as { operationId?: string; security?: unknown } })),
  );
}

describe('the OpenAPI document', () => {
  it("passes Redocly's recommended rules (redocly.yaml) with no error and no warning", async () => {
    const run = await lintOpenApiDocument(['--format=json']);
    const report = JSON.parse(run.stdout) as LintReport;
    // Grouped by operation, so that a failure reads as a list of what each route file has to fix.
    const problemsByOperation: Record<string, string[]> = {};
    for (const problem of report.problems) {
      const operation = operationOf(problem.location[0]?.pointer);
      (problemsByOperation[operation] ??= []).push(`${problem.severity} ${problem.ruleId}: ${problem.message}`);
    }
    expect(problemsByOperation).toEqual({});
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    expect(run.status).toBe(0);
  });

  it('gives every operation its own camelCase operationId (docs/api.md)', () => {
    const all = operations();
    const unnamed = all.filter(({ operation }) => !operation.operationId).map(({ path, method }) => `${method.toUpperCase()} ${path}`);
    expect(unnamed).toEqual([]);
    const ids = all.map(({ operation }) => operation.operationId!);
    expect(ids.filter((id) => !/^[a-z][a-zA-Z0-9]*$/.test(id))).toEqual([]);
    expect(ids.filter((id, index) => ids.indexOf(id) !== index)).toEqual([]);
  });

  it('declares no security on exactly the operations the server answers without a session token', () => {
    const mismatched = operations().flatMap(({ path, method, operation }) => {
      const public_ = !path.startsWith('/v1/') || sessionFreeRoutes.has(path);
      const expected = public_ ? [] : [{ bearer: [] }];
      return JSON.stringify(operation.security) === JSON.stringify(expected)
        ? []
        : [`${method.toUpperCase()} ${path}: security ${JSON.stringify(operation.security)}, expected ${JSON.stringify(expected)}`];
    });
    expect(mismatched).toEqual([]);
  });
});
