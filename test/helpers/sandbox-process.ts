import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { repositoryRoot, waitForExit } from './temporal.ts';

const bunBinary = createRequire(import.meta.url).resolve('bun/bin/bun.exe');
const serverScript = path.join(repositoryRoot, 'providers', 'sandbox', 'server.ts');

export interface SandboxPaymentRecord {
  providerReference: string;
  idempotencyKey: string;
  payoutId: string;
  amount: string;
  currency: string;
  method: string;
}

export interface SandboxProcess {
  url: string;
  process: ChildProcess;
  output(): string;
  /** POST /control/next-response: how the next POST /payouts is answered. */
  queueResponse(body: { status: 500 | 'timeout'; times?: number; afterAccepting?: boolean }): Promise<void>;
  /** GET /control/ledger: every payment the sandbox actually executed. */
  payments(): Promise<SandboxPaymentRecord[]>;
  /** SIGTERM (the server stops cleanly on it), SIGKILL after 5 s. */
  stop(): Promise<void>;
}

/**
 * The sandbox payment provider as its own process, as an operator runs it: `bun providers/sandbox/server.ts` on a
 * free port (SANDBOX_PORT=0). Resolves once it prints the URL it listens on.
 */
export async function startSandboxProcess(input: { secret: string; delayMs?: number }): Promise<SandboxProcess> {
  const { SANDBOX_WEBHOOK_SECRET: _, SANDBOX_PORT: __, ...inherited } = process.env;
  const child = spawn(bunBinary, [serverScript], {
    cwd: repositoryRoot,
    env: { ...inherited, SANDBOX_PORT: '0', SANDBOX_WEBHOOK_SECRET: input.secret, SANDBOX_DELAY_MS: String(input.delayMs ?? 50) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the sandbox provider exited with ${code} before listening:\n${output}`)));
    setTimeout(() => reject(new Error(`the sandbox provider did not listen within 20 s:\n${output}`)), 20_000).unref();
  });

  return {
    url,
    process: child,
    output: () => output,
    async queueResponse(body) {
      const response = await fetch(`${url}/control/next-response`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (response.status !== 200) throw new Error(`the sandbox refused ${JSON.stringify(body)}: ${response.status} ${await response.text()}`);
    },
    async payments() {
      const response = await fetch(`${url}/control/ledger`);
      if (response.status !== 200) throw new Error(`GET /control/ledger answered ${response.status}`);
      return ((await response.json()) as { payments: SandboxPaymentRecord[] }).payments;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await waitForExit(child);
      clearTimeout(timer);
    },
  };
}
