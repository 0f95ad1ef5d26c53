import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderRequestRejectedError, ProviderUnavailableError } from '../../providers/adapter.ts';
import { SandboxProvider } from '../../providers/sandbox/client.ts';
import { startSandboxProvider, type RunningSandboxProvider } from '../../providers/sandbox/server.ts';
import { serve, type ServedApp } from '../helpers/http.ts';

/**
 * The sandbox provider's settlement statement (providers/sandbox/server.ts, docs/rules.md#statement-matching): one line
 * per payment it actually executed with that value date, never a failed one, and the faults a test asks for.
 */

let sandbox: RunningSandboxProvider;
let callback: ServedApp;
let client: SandboxProvider;

beforeAll(async () => {
  callback = await serve(() => new Response('ok'));
  sandbox = await startSandboxProvider({ port: 0, secret: 'whsec_statement', delayMs: 20 });
  client = new SandboxProvider({ baseUrl: sandbox.url, timeoutMs: 2_000 });
});

afterAll(async () => {
  await sandbox?.stop();
  await callback?.close();
});

const control = (path: string, body: unknown) =>
  fetch(`${sandbox.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function pay(key: string, amount: string, email = 'a@example.com') {
  const sent = await client.send({
    idempotencyKey: key, payoutId: key, amount, currency: 'USD', method: 'PAYQUICKER',
    paymentDetails: { email }, callbackUrl: `${callback.url}/hook`,
  });
  if (!sent.accepted) throw new Error(`not accepted: ${JSON.stringify(sent)}`);
  return sent.providerReference;
}

async function settled(count: number) {
  const deadline = Date.now() + 5_000;
  while (sandbox.ledger().length < count) {
    if (Date.now() > deadline) throw new Error('not settled');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('GET /statements/:day', () => {
  it('states what was settled with that value date, and disagrees only as asked', async () => {
    expect((await control('/control/value-date', { day: '2024-03-01' })).status).toBe(200);
    const first = await pay('stmt-key-1', '10.00');
    const second = await pay('stmt-key-2', '20.50');
    const third = await pay('stmt-key-3', '30.00');
    await pay('stmt-key-4', '5.00', 'FAIL_ACCOUNT_CLOSED@example.com');
    await settled(3);
    expect((await control('/control/value-date', { day: '2024-03-02' })).status).toBe(200);
    const later = await pay('stmt-key-5', '7.00');
    await settled(4);

    const statement = await client.settlementStatement('2024-03-01');
    expect(statement.provider).toBe('sandbox');
    expect(statement.lines.map((line) => [line.providerReference, line.amount, line.valueDate, line.status])).toEqual([
      [first, '10.00', '2024-03-01', 'SETTLED'],
      [second, '20.50', '2024-03-01', 'SETTLED'],
      [third, '30.00', '2024-03-01', 'SETTLED'],
    ]);
    expect((await client.settlementStatement('2024-03-02')).lines.map((line) => line.providerReference)).toEqual([later]);
    expect((await client.settlementStatement('2024-03-03')).lines).toEqual([]);

    await control('/control/statement-faults', { day: '2024-03-01', kind: 'omit', providerReference: first });
    await control('/control/statement-faults', { day: '2024-03-01', kind: 'split', providerReference: second, parts: ['20.00', '0.50'] });
    await control('/control/statement-faults', { day: '2024-03-01', kind: 'amount', providerReference: third, amount: '29.99' });
    await control('/control/statement-faults', { day: '2024-03-01', kind: 'extra', amount: '1.23' });
    const faulty = await client.settlementStatement('2024-03-01');
    expect(faulty.lines.map((line) => [line.providerReference, line.amount])).toEqual([
      [second, '20.00'],
      [second, '0.50'],
      [third, '29.99'],
      ['sbx_unknown_4', '1.23'],
    ]);
    expect(new Set(faulty.lines.map((line) => line.lineId)).size).toBe(4);
    // Another day is untouched, and the faults can be forgotten.
    expect((await client.settlementStatement('2024-03-02')).lines).toHaveLength(1);
    expect((await fetch(`${sandbox.url}/control/statement-faults`, { method: 'DELETE' })).status).toBe(200);
    expect((await client.settlementStatement('2024-03-01')).lines).toHaveLength(3);
  });

  it('refuses a day that is not a calendar day, and a bad fault, naming the field', async () => {
    const bad = await fetch(`${sandbox.url}/statements/2024-02-30`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'INVALID_REQUEST', field: 'day' } });
    await expect(client.settlementStatement('2024-02-30')).rejects.toBeInstanceOf(ProviderRequestRejectedError);
    const fault = await control('/control/statement-faults', { day: '2024-03-01', kind: 'split', providerReference: 'x', parts: ['1'] });
    expect(fault.status).toBe(400);
    expect(await fault.json()).toMatchObject({ error: { field: 'parts' } });
  });

  it('an unreachable provider is unavailable (retried by the caller)', async () => {
    const down = new SandboxProvider({ baseUrl: 'http://127.0.0.1:9', timeoutMs: 500 });
    await expect(down.settlementStatement('2024-03-01')).rejects.toBeInstanceOf(ProviderUnavailableError);
  });
});
