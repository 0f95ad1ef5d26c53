import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServedApp {
  server: Server;
  /** http://127.0.0.1:<port>, for peers in other processes (the sandbox provider's webhooks, a worker's callback URL). */
  url: string;
  close(): Promise<void>;
}

/**
 * A fetch handler (the harness's Hono app: `(request) => api.app.fetch(request)`) over real HTTP on a free port
 * of 127.0.0.1, so another process can call it. The same small bridge test/payouts/payout-automatic.test.ts uses.
 */
export async function serve(fetch: (request: Request) => Response | Promise<Response>): Promise<ServedApp> {
  const server = createServer(async (incoming, outgoing) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [name, value] of Object.entries(incoming.headers)) if (typeof value === 'string') headers.set(name, value);
    const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
    try {
      const response = await fetch(new Request(`http://127.0.0.1${incoming.url}`, { method: incoming.method, headers, body }));
      outgoing.writeHead(response.status, Object.fromEntries(response.headers.entries()));
      outgoing.end(Buffer.from(await response.arrayBuffer()));
    } catch (error) {
      outgoing.writeHead(500).end(String(error));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
