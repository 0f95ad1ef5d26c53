import { createHash, randomBytes } from 'node:crypto';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApiHarness, errorOf, type ApiHarness } from '../helpers/api.ts';
import { payoutKit } from '../helpers/payouts.ts';
import { createInProcessWorker } from '../helpers/temporal.ts';

/**
 * A manual payout's confirmation file (issue #4 item 5): attached by the admin who processes it, only while it is
 * PROCESSING or once COMPLETED, kept immutable with its checksum, audited, and downloadable by the payout's partner.
 */

let api: ApiHarness;
let kit: ReturnType<typeof payoutKit>;
let worker: Worker;
let workerConnection: NativeConnection;
let workerRun: Promise<void>;
const payoutIds = new Set<string>();

beforeAll(async () => {
  api = await createApiHarness();
  kit = payoutKit(api);
  ({ worker, connection: workerConnection } = await createInProcessWorker({ database: api.database, taskQueue: api.taskQueue }));
  workerRun = worker.run();
  await kit.insertRubRate();
});

afterAll(async () => {
  await Promise.allSettled(
    [...payoutIds].map(async (id) => {
      const handle = api.dependencies.temporal.workflow.getHandle(`payout-${id}`);
      if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('test file finished');
    }),
  );
  worker?.shutdown();
  await workerRun;
  await workerConnection?.close();
  await api?.close();
});

const bankDetails = { accountName: 'Robust Partner', accountNumber: '12345678', routingNumber: '021000021' };
const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n% bank confirmation\n'), randomBytes(32), Buffer.from('\n%%EOF\n')]);

async function upload(token: string, payoutId: string, file: { bytes: Buffer; type: string; name: string }) {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(file.bytes)], { type: file.type }), file.name);
  return api.app.request(`/v1/payouts/${payoutId}/confirmation`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
}

describe('confirmation file of a manual payout', () => {
  it('is refused before processing, attached while PROCESSING, kept once, audited, and downloaded by the partner', async () => {
    const partner = await kit.partnerWithLogin({ USD: '500.00' });
    const created = await api.request('/v1/payouts', {
      token: partner.token,
      body: { partnerId: partner.partnerId, amount: '100.00', currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails },
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const payout = (await created.json()) as { id: string; detailsHash: string };
    payoutIds.add(payout.id);
    await kit.waitForStatus(payout.id, 'AWAITING_APPROVAL');

    const processor = await api.createAdmin('finance_manager');
    const token = await api.signIn(processor);
    const early = await upload(token, payout.id, { bytes: pdf, type: 'application/pdf', name: 'confirmation.pdf' });
    expect(early.status).toBe(409);
    expect(await errorOf(early)).toMatchObject({ code: 'invalid_state', field: 'status' });

    expect((await kit.decide(payout.id, 'approve', 'admin', { amount: '100.00', detailsHash: payout.detailsHash })).status).toBe(200);
    expect((await kit.decide(payout.id, 'process', 'finance_manager', { externalReference: 'BANK-REF-77' })).status).toBe(200);

    // A partner may not attach one; a file that is not what it says is refused; nothing is written.
    expect((await upload(partner.token, payout.id, { bytes: pdf, type: 'application/pdf', name: 'mine.pdf' })).status).toBe(403);
    const fake = await upload(token, payout.id, { bytes: Buffer.from('not a pdf at all'), type: 'application/pdf', name: 'fake.pdf' });
    expect(fake.status).toBe(415);
    expect(await errorOf(fake)).toMatchObject({ field: 'body.file' });

    const first = await upload(token, payout.id, { bytes: pdf, type: 'application/pdf', name: 'confirmation.pdf' });
    expect(first.status, await first.clone().text()).toBe(201);
    const body = (await first.json()) as { id: string; sha256: string; uploadedBy: string; url: string };
    expect(body).toMatchObject({ sha256: createHash('sha256').update(pdf).digest('hex'), uploadedBy: processor.id, url: `/v1/payouts/${payout.id}/confirmation` });
    const again = await upload(token, payout.id, { bytes: pdf, type: 'application/pdf', name: 'confirmation.pdf' });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { id: string }).id).toBe(body.id);

    const completed = await kit.decide(payout.id, 'complete', 'finance_manager');
    expect(completed.status).toBe(200);
    expect(await completed.json()).toMatchObject({ status: 'COMPLETED', externalReference: 'BANK-REF-77', confirmation: { id: body.id, fileName: 'confirmation.pdf', sha256: body.sha256 } });
    const download = await api.request(`/v1/payouts/${payout.id}/confirmation`, { token: partner.token });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await download.arrayBuffer()).equals(pdf)).toBe(true);
    const stranger = await kit.partnerWithLogin();
    expect((await api.request(`/v1/payouts/${payout.id}/confirmation`, { token: stranger.token })).status).toBe(403);

    const audit = await api.owner.any(sql.type(z.object({ actor: z.string(), details: z.record(z.unknown()) }))`
      SELECT actor, details FROM audit_records WHERE target_type = 'payout' AND target_id = ${payout.id} AND action = 'PAYOUT_CONFIRMATION_UPLOAD'`);
    expect(audit).toEqual([{ actor: processor.id, details: expect.objectContaining({ confirmationId: body.id, fileName: 'confirmation.pdf', sha256: body.sha256 }) }]);
    await expect(api.owner.query(sql.unsafe`UPDATE payout_confirmations SET file_name = 'x.pdf' WHERE id = ${body.id}`)).rejects.toThrow();
  });
});
