import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Hono } from 'hono';
import type { ApiEnv } from '../context.ts';

/**
 * The web console (issue #6): the admin console and the partner portal, one single-page application served by the
 * API server itself. These pages are public HTML, CSS and JavaScript; every piece of data they show comes through
 * the authenticated /v1 API with the bearer token the page keeps in sessionStorage, so the server's authorization
 * is the only authorization.
 *
 * The TypeScript under web/src is bundled by Bun once per process, on the first request for the script, and kept in
 * memory. Under Bun (the API server) that is `Bun.build`; under Node (the tests serve the app from vitest's Node)
 * it is the same bundler run as the `bun` binary of node_modules. Nothing is fetched from anywhere else: the
 * Content-Security-Policy allows this origin only.
 */

const execFileAsync = promisify(execFile);
const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const webDirectory = path.join(repositoryRoot, 'web');
const entryPoint = path.join(webDirectory, 'src', 'main.ts');

/** This origin only: no CDN, no remote font, no inline script; inline styles for the SVG charts' attributes. */
const contentSecurityPolicy =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

const securityHeaders = {
  'content-security-policy': contentSecurityPolicy,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

let bundle: Promise<string> | undefined;

/** The application bundle: built on first use, then served from memory; a failed build is retried next time. */
export function webBundle(): Promise<string> {
  bundle ??= buildBundle().catch((error: unknown) => {
    bundle = undefined;
    throw error;
  });
  return bundle;
}

async function buildBundle(): Promise<string> {
  if (typeof Bun !== 'undefined') {
    const result = await Bun.build({ entrypoints: [entryPoint], target: 'browser', minify: true, format: 'esm' });
    if (!result.success || !result.outputs[0]) throw new Error(`web bundle failed: ${result.logs.map(String).join('\n')}`);
    return result.outputs[0].text();
  }
  const bunBinary = createRequire(import.meta.url).resolve('bun/bin/bun.exe');
  const { stdout } = await execFileAsync(bunBinary, ['build', entryPoint, '--target=browser', '--minify', '--format=esm'], {
    cwd: repositoryRoot,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (!stdout.trim()) throw new Error('web bundle failed: bun build printed nothing');
  return stdout;
}


const staticFiles: Record<string, { file: string; type: string }> = {
  'app.css': { file: path.join(webDirectory, 'styles.css'), type: 'text/css; charset=utf-8' },
  'favicon.svg': { file: path.join(webDirectory, 'favicon.svg'), type: 'image/svg+xml' },
};

/** GET /app and everything under it: the page shell (the router in the bundle picks the page), and its assets. */
export function webRoutes() {
  const app = new Hono<ApiEnv>();
  const shell = () => readFile(path.join(webDirectory, 'index.html'), 'utf8');

  app.get('/', (c) => c.redirect('/app/', 302));
  app.get('/app/assets/app.js', async (c) => {
    const script = await webBundle();
    return c.body(script, 200, { ...securityHeaders, 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' });
  });
  app.get('/app/assets/:file', async (c) => {
    const asset = staticFiles[c.req.param('file')];
    if (!asset) return c.text('not found', 404);
    return c.body(await readFile(asset.file), 200, { ...securityHeaders, 'content-type': asset.type, 'cache-control': 'no-cache' });
  });
  // Every other path under /app is a page of the application (history-API routing): the same shell.
  app.get('/app', async (c) => c.html(await shell(), 200, { ...securityHeaders, 'cache-control': 'no-cache' }));
  app.get('/app/*', async (c) => c.html(await shell(), 200, { ...securityHeaders, 'cache-control': 'no-cache' }));
  return app;
}
