import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { apiTypesFile, generateApiTypes } from '../../web/generate-api-types.ts';

/**
 * The console types its API calls with web/src/api-types.generated.ts (`tsc --noEmit -p web` in `npm test`). That
 * check is only as good as the file is current: regenerated here from the routes' OpenAPI document, it must equal
 * the committed file, so a route change lands together with the types (and the page fixes) it implies.
 */

describe('the console’s generated API types', () => {
  it('are the types of the current /openapi.json', async () => {
    const committed = await readFile(apiTypesFile, 'utf8');
    const current = await generateApiTypes();
    expect(committed, 'web/src/api-types.generated.ts is stale: run `npm run generate:api-types` and commit the result').toBe(current);
  });
});
