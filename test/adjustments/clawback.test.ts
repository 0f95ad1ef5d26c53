import { randomBytes } from 'node:crypto';
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CommissionRelease } from '../../modules/commissions/commission-release.ts';
import { Money } from '../../domain/money.ts';
import { createApiHarness, errorOf, type ApiHarness } from '../helpers/api.ts';
import { assertLedgerInvariants } from '../helpers/invariants.ts';
import { adjustmentKit } from './kit.ts';

/**
 * Clawbacks of a commission (docs/rules.md#clawbacks): `POST /v1/commissions/{id}/clawback`
 * with a senior admin's fresh TOTP. Commissions come from real order events through the commission engine.
 */

let api: ApiHarness;
let kit: ReturnType<typeof adjustmentKit>;

beforeAll(async () => {
  api = await createApiHarness();
  kit = adjustmentKit(api);
});

afterAll(async () => {
  await api?.close();
});

const commissionRow = z.object({ id: z.string(), partner_id: z.string(), amount: z.string(), reversed_amount: z.string(), status: z.string() });
const commission = (id: string) => api.owner.one(sql.type(commissionRow)`SELECT id, partner_id, amount, reversed_amount, status FROM commissions WHERE id = ${id}`);

/** A rank 3 seller's order of `amount` USD completed `daysAgo` days ago; returns the seller's commission id. */
async function orderCommission(amount: string, daysAgo = 0): Promise<{ partnerId: string; commissionId: string }> {
  const partnerId = await kit.partner({ rank: '3' });
  const externalId = `order-${randomBytes(5).toString('hex')}`;
  const [result] = await api.dependencies.engine.ingest([{
    externalId, kind: 'ORDER_COMPLETED', sourceId: externalId, partnerId, completedAt: new Date(Date.now() - daysAgo * 86_400_000).toISOString(), amount, currency: 'USD',
  }], 'test');
  if (result?.status !== 'PROCESSED' || result.commissions.length === 0) throw new Error(`no commission: ${JSON.stringify(result)}`);
  return { partnerId, commissionId: result.commissions.find((line) => line.partnerId === partnerId)!.id };
}

describe('a full clawback of a PAID commission', () => {
  it('takes what is available, records the rest as debt, marks the original REVERSED, and audits COMMISSION_CLAWBACK', async () => {
    const { partnerId, commissionId } = await orderCommission('1000.00', 30);
    const release = new CommissionRelease(api.database, api.dependencies.ledger);
    await release.releaseDue(new Date());
    await release.payBatch(`clawback-test-${commissionId}`, new Date());
    const paid = await commission(commissionId);
    expect(paid.status).toBe('PAID');
    // The partner spent part of it: move all but 10.00 of `available` away (a payout reserve would do the same).
    const available = (await kit.balances(partnerId)).available;
    const spent = new Money(available).minus(10).toFixed(2);
    await api.dependencies.ledger.postEntry({
      idempotencyKey: `test-spend-${commissionId}`, kind: 'test',
      postings: [
        { account: { ownerType: 'partner', ownerId: partnerId, bucket: 'available', currency: 'USD' }, amount: `-${spent}` },
        { account: { ownerType: 'platform', ownerId: 'platform', bucket: 'payout_clearing', currency: 'USD' }, amount: spent },
      ],
    });

    // An admin below senior is refused; the senior's clawback without an amount is the full one.
    const byAdmin = await kit.asNew('admin', `/v1/commissions/${commissionId}/clawback`, { reason: 'penalty' });
    expect(byAdmin.status).toBe(403);
    const { admin, token } = await kit.admin('senior_admin');
    const key = `clawback-${commissionId}`;
    const response = await api.request(`/v1/commissions/${commissionId}/clawback`, { token, headers: { 'x-totp-code': await api.nextTotp(admin), 'idempotency-key': key }, body: { reason: 'fraudulent order' } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { amount: string; full: boolean; statusBefore: string; commissionStatus: string; entryId: string };
    expect(body).toMatchObject({ amount: new Money(paid.amount).toFixed(2), full: true, statusBefore: 'PAID', commissionStatus: 'REVERSED' });
    const after = await commission(commissionId);
    expect(after.status).toBe('REVERSED');
    expect(after.reversed_amount).toBe(after.amount);
    const balances = await kit.balances(partnerId);
    expect(balances.available).toBe('0.00');
    // debt = commission − the 10.00 that was left (reported as what the partner owes).
    expect(new Money(balances.debt).abs().toFixed(2)).toBe(new Money(paid.amount).minus(10).toFixed(2));

    // The same Idempotency-Key replays the first answer; a second clawback of a REVERSED commission is refused.
    const replay = await api.request(`/v1/commissions/${commissionId}/clawback`, { token, headers: { 'idempotency-key': key }, body: { reason: 'fraudulent order' } });
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const again = await kit.asNew('senior_admin', `/v1/commissions/${commissionId}/clawback`, { reason: 'again' });
    expect(again.status).toBe(409);
    expect(await kit.auditCount('COMMISSION_CLAWBACK', commissionId)).toBe(1);
    const clawbacks = await api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`SELECT count(*)::int AS count FROM commission_clawbacks WHERE commission_id = ${commissionId}`);
    expect(clawbacks).toBe(1);
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });
});

describe('a partial clawback', () => {
  it('of a PENDING commission takes exactly the amount out of commission_pending and keeps the status', async () => {
    const { partnerId, commissionId } = await orderCommission('1000.00');
    const before = await commission(commissionId);
    expect(before.status).toBe('PENDING');
    const pendingBefore = (await kit.balances(partnerId)).commission_pending;

    const tooMuch = await kit.asNew('senior_admin', `/v1/commissions/${commissionId}/clawback`, { amount: new Money(before.amount).plus(1).toFixed(2), reason: 'too much' });
    expect(tooMuch.status).toBe(422);
    expect((await errorOf(tooMuch)).field).toBe('body.amount');

    const response = await kit.asNew('finance_director', `/v1/commissions/${commissionId}/clawback`, { amount: '12.34', reason: 'partial correction' });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ amount: '12.34', full: false, statusBefore: 'PENDING', commissionStatus: 'PENDING' });
    const after = await commission(commissionId);
    expect(after).toMatchObject({ status: 'PENDING', reversed_amount: '12.34' });
    expect((await kit.balances(partnerId)).commission_pending).toBe(new Money(pendingBefore).minus('12.34').toFixed(2));

    // The rest, clawed back in full, reverses the commission.
    const rest = await kit.asNew('senior_admin', `/v1/commissions/${commissionId}/clawback`, { reason: 'the rest' });
    expect(rest.status).toBe(200);
    expect(((await rest.json()) as { amount: string }).amount).toBe(new Money(before.amount).minus('12.34').toFixed(2));
    expect((await commission(commissionId)).status).toBe('REVERSED');
    expect((await kit.balances(partnerId)).commission_pending).toBe('0.00');
    // Two clawbacks of a PENDING commission: each one COMMISSION_CLAWBACK (and the reversal's COMMISSION_REVERSE).
    expect(await kit.auditCount('COMMISSION_CLAWBACK', commissionId)).toBe(2);
    expect(await kit.auditCount('COMMISSION_REVERSE', commissionId)).toBe(2);
    await assertLedgerInvariants(api.testDatabase.ownerUrl);
  });
});
