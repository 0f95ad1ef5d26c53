import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import { createApp } from '../api/app.ts';

/**
 * The console's API types, generated from the same OpenAPI 3.1 document the API serves at /openapi.json: the pages
 * type their requests and responses with them (web/src/api.ts), so a route whose shape changes under a page fails
 * `tsc --noEmit -p web` instead of the page at run time. test/web/api-types.test.ts regenerates them and fails when
 * the committed file is stale; `npm run generate:api-types` (this file, run by Bun) rewrites it.
 */

export const apiTypesFile = path.join(path.dirname(fileURLToPath(import.meta.url)), 'src', 'api-types.generated.ts');

const header = `/**
 * Generated from the API's OpenAPI document (/openapi.json) by openapi-typescript: do not edit by hand.
 * Regenerate with \`npm run generate:api-types\` after changing a route; test/web/api-types.test.ts fails while this
 * file is stale.
 */

`;

/**
 * The document as GET /openapi.json serves it. Building it reads only the routes' schemas, never the dependencies,
 * so the app is created without a database or a Temporal connection.
 */
export async function openApiDocument(): Promise<OpenAPI3> {
  const app = createApp({} as Parameters<typeof createApp>[0]);
  const response = await app.request('/openapi.json');
  if (response.status !== 200) throw new Error(`GET /openapi.json answered ${response.status}`);
  return (await response.json()) as OpenAPI3;
}

/** The text of web/src/api-types.generated.ts for the current routes. */
export async function generateApiTypes(): Promise<string> {
  const nodes = await openapiTS(await openApiDocument(), {
    // A field with a default is optional in a request body (the server fills it in); openapi-typescript's default
    // would make it required, and every page would have to send what the server already assumes.
    defaultNonNullable: false,
    silent: true,
  });
  return header + astToString(nodes);
}

if (import.meta.main) {
  await writeFile(apiTypesFile, await generateApiTypes());
  console.log(`wrote ${path.relative(process.cwd(), apiTypesFile)}`);
}
