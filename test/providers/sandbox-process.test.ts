import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SandboxProvider } from '../../providers/sandbox/client.ts';
import { startCallbackServer } from './callback-server.ts';

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const bunBinary = createRequire(import.meta.url).resolve('bun/bin/bun.exe');
const serverScript = path.join(repositoryRoot, 'providers', 'sandbox', 'server.ts');
const secret = 'whsec_sandbox_process_test';

const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function runServer(environment: Record<string, string>) {
  const { SANDBOX_WEBHOOK_SECRET: _, ...inherited } = process.env;
  const child = spawn(bunBinary, [serverScript], { cwd: repositoryRoot, env: { ...inherited, ...environment }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const listening = new Promise<string>((resolve, reject) => {
    const onData = () => {
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => reject(new Error(`sandbox exited with ${code} before listening:\n${output}`)));
    setTimeout(() => reject(new Error(`sandbox did not listen within 20 s:\n${output}`)), 20_000).unref();
  });
  return { child, listening, exited, output: () => output };
}

describe('the sandbox provider as a process (bun providers/sandbox/server.ts)', () => {
  it('serves a payout end to end, with its webhook, and stops on SIGTERM', async () => {
    const callback = await startCallbackServer(secret);
    try {
      const server = runServer({ SANDBOX_PORT: '0', SANDBOX_WEBHOOK_SECRET: secret, SANDBOX_DELAY_MS: '20' });
      const url = await server.listening;
      const provider = new SandboxProvider({ baseUrl: url, timeoutMs: 2_000 });
      const result = await provider.send({
        idempotencyKey: 'payout-process-1:1',
        payoutId: 'payout-process-1',
        amount: '0.000150',
        currency: 'USDT',
        method: 'crypto',
        paymentDetails: { walletAddress: 'TQ1examplewallet' },
        callbackUrl: callback.url,
      });
      expect(result).toMatchObject({ accepted: true });
      const [webhook] = await callback.waitFor(1);
      expect(webhook!.event).toMatchObject({ payoutId: 'payout-process-1', status: 'COMPLETED' });
      const ledger = (await (await fetch(`${url}/control/ledger`)).json()) as { payments: unknown[] };
      expect(ledger.payments).toEqual([expect.objectContaining({ amount: '0.000150', currency: 'USDT' })]);

      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    } finally {
      await callback.stop();
    }
  });

  it('refuses to start without a webhook secret, naming the variable', async () => {
    const server = runServer({ SANDBOX_PORT: '0' });
    server.listening.catch(() => {});
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain('SANDBOX_WEBHOOK_SECRET');
  });
});
