import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProviderWebhookEvent } from '../../providers/adapter.ts';
import { parseWebhook, signatureHeaderName } from '../../providers/webhooks.ts';

export interface ReceivedWebhook {
  rawBody: string;
  signatureHeader: string | null;
  /** The verified event, or null when verification failed (see `verificationError`). */
  event: ProviderWebhookEvent | null;
  verificationError: string | null;
  answeredStatus: number;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/**
 * A webhook receiver as the payout workflow's wiring will have one: it verifies every delivery's signature with
 * the shared secret and answers 204, or the statuses queued with `failNext` first (to exercise redelivery).
 */
export async function startCallbackServer(secret: string) {
  const received: ReceivedWebhook[] = [];
  const queuedStatuses: number[] = [];
  const waiters: { count: number; predicate: (webhook: ReceivedWebhook) => boolean; resolve: () => void }[] = [];

  const server = createServer(async (request, response) => {
    const rawBody = await readBody(request);
    const header = request.headers[signatureHeaderName.toLowerCase()];
    const signatureHeader = typeof header === 'string' ? header : null;
    let event: ProviderWebhookEvent | null = null;
    let verificationError: string | null = null;
    try {
      event = parseWebhook({ rawBody, header: signatureHeader, secret });
    } catch (error) {
      verificationError = (error as Error).message;
    }
    const answeredStatus = verificationError !== null ? 401 : (queuedStatuses.shift() ?? 204);
    received.push({ rawBody, signatureHeader, event, verificationError, answeredStatus });
    response.writeHead(answeredStatus).end();
    for (const waiter of [...waiters]) {
      if (received.filter(waiter.predicate).length >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/webhooks/sandbox`,
    received: () => [...received],
    /** The next deliveries are answered with these statuses, in order. */
    failNext: (...statuses: number[]) => queuedStatuses.push(...statuses),
    /** Resolves once `count` deliveries match; rejects after `timeoutMs`. */
    waitFor(count: number, predicate: (webhook: ReceivedWebhook) => boolean = () => true, timeoutMs = 5_000): Promise<ReceivedWebhook[]> {
      const matching = () => received.filter(predicate);
      if (matching().length >= count) return Promise.resolve(matching());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`expected ${count} webhooks within ${timeoutMs} ms, got ${matching().length}`)), timeoutMs);
        waiters.push({
          count,
          predicate,
          resolve: () => {
            clearTimeout(timer);
            resolve(matching());
          },
        });
      });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));
