import { sql } from 'slonik';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpsSwitchStore, readPayoutSwitches } from '../../modules/ops/ops-switches-store.ts';
import type { AdminRole } from '../../domain/access.ts';
import { effectiveProcessing, mayStartProcessing } from '../../domain/ops-switches.ts';
import { createApiHarness, errorOf, type ApiHarness } from '../helpers/api.ts';

/** The emergency switches in docs/rules.md#emergency-switches through the real API and Postgres, and `readPayoutSwitches` as payouts read it. */

let harness: ApiHarness;
let readerToken: string;

beforeAll(async () => {
  harness = await createApiHarness();
  readerToken = await harness.signIn(await harness.createAdmin('financial_support'));
});

afterAll(async () => {
  await harness?.close();
});

/** A step-up request as a freshly signed-in admin (each has one unused TOTP step after signing in). */
async function stepUp(method: 'PUT' | 'POST', path: string, body: unknown, role: AdminRole = 'admin') {
  const admin = await harness.createAdmin(role);
  const token = await harness.signIn(admin);
  const response = await harness.request(path, { method, token, body, headers: { 'x-totp-code': await harness.nextTotp(admin) } });
  return { response, admin };
}

const auditRow = z.object({ action: z.string(), actor: z.string(), target_id: z.string(), reason: z.string(), details: z.record(z.unknown()) });
const auditOf = (targetType: string, targetId: string) =>
  harness.owner.any(sql.type(auditRow)`
    SELECT action, actor, target_id, reason, details FROM audit_records
    WHERE target_type = ${targetType} AND target_id = ${targetId} ORDER BY id`);

interface SwitchesBody {
  processing: { paused: boolean; reason: string | null; changedBy: string | null };
  methods: { methodId: string; processing: string | null; forceManual: boolean; effectiveProcessing: string | null }[];
  frozenPartners: { partnerId: string; kind: string; reason: string }[];
}
const switches = async () => (await (await harness.request('/v1/ops/switches', { token: readerToken })).json()) as SwitchesBody;

describe('processing pause (docs/rules.md#emergency-switches: system error)', () => {
  it('pauses and resumes, audits each change with actor and reason, and repeating a state changes nothing', async () => {
    expect((await switches()).processing).toEqual({ paused: false, reason: null, changedBy: null, changedAt: null });
    expect(await readPayoutSwitches(harness.database, { methodId: 'PAYQUICKER', partnerId: 'nobody' })).toEqual({
      processingPaused: false, methodForcedManual: false, partnerFrozen: false, reasons: [],
    });

    const { response: paused, admin: pauser } = await stepUp('PUT', '/v1/ops/switches/processing', { paused: true, reason: 'ledger drift found' });
    expect(paused.status).toBe(200);
    expect(await paused.json()).toMatchObject({ paused: true, reason: 'ledger drift found', changedBy: pauser.id, changed: true });
    const { response: again } = await stepUp('PUT', '/v1/ops/switches/processing', { paused: true, reason: 'pressed twice' });
    expect(await again.json()).toMatchObject({ paused: true, reason: 'ledger drift found', changedBy: pauser.id, changed: false });

    const read = await readPayoutSwitches(harness.database, { methodId: 'BANK_TRANSFER', partnerId: 'nobody' });
    expect(read).toMatchObject({ processingPaused: true, methodForcedManual: false, partnerFrozen: false });
    expect(read.reasons).toEqual([expect.stringMatching(new RegExp(`^payout processing paused by ${pauser.id} at .+: ledger drift found$`))]);
    expect(mayStartProcessing(read)).toBe(false);

    const { response: resumed, admin: resumer } = await stepUp('PUT', '/v1/ops/switches/processing', { paused: false, reason: 'reconciled' });
    expect(await resumed.json()).toMatchObject({ paused: false, changed: true, changedBy: resumer.id });
    expect(mayStartProcessing(await readPayoutSwitches(harness.database, { methodId: 'BANK_TRANSFER', partnerId: 'nobody' }))).toBe(true);

    expect(await auditOf('ops_switch', 'processing')).toEqual([
      { action: 'POLICY_CHANGE', actor: pauser.id, target_id: 'processing', reason: 'ledger drift found', details: { switch: 'PROCESSING_PAUSED', active: true } },
      { action: 'POLICY_CHANGE', actor: resumer.id, target_id: 'processing', reason: 'reconciled', details: { switch: 'PROCESSING_PAUSED', active: false } },
    ]);
  });

  it('of concurrent identical toggles exactly one changes the switch and is audited', async () => {
    const store = new OpsSwitchStore(harness.database);
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, index) => store.setMethodForceManual({ methodId: 'CRYPTO_WALLET', forceManual: true, reason: `outage ${index}`, actor: `test-${index}` })),
    );
    expect(results.filter((result) => result.changed)).toHaveLength(1);
    expect(await auditOf('ops_switch', 'method:CRYPTO_WALLET')).toHaveLength(1);
    await store.setMethodForceManual({ methodId: 'CRYPTO_WALLET', forceManual: false, reason: 'over', actor: 'test' });
  });
});

describe('a method forced to manual (docs/rules.md#emergency-switches: provider outage)', () => {
  it('turns an automatic method manual for its payouts only, and back', async () => {
    const before = (await switches()).methods.find((method) => method.methodId === 'PAYQUICKER');
    expect(before).toMatchObject({ processing: 'AUTOMATIC', forceManual: false, effectiveProcessing: 'AUTOMATIC' });

    const { response: forced, admin } = await stepUp('PUT', '/v1/ops/switches/methods/PAYQUICKER', { forceManual: true, reason: 'PayQuicker API down' });
    expect(forced.status).toBe(200);
    expect(await forced.json()).toMatchObject({ methodId: 'PAYQUICKER', processing: 'AUTOMATIC', forceManual: true, effectiveProcessing: 'MANUAL', changed: true });
    expect((await switches()).methods.find((method) => method.methodId === 'PAYQUICKER')).toMatchObject({ forceManual: true, effectiveProcessing: 'MANUAL' });

    const read = await readPayoutSwitches(harness.database, { methodId: 'PAYQUICKER', partnerId: 'nobody' });
    expect(read).toMatchObject({ processingPaused: false, methodForcedManual: true, partnerFrozen: false });
    expect(read.reasons).toEqual([expect.stringContaining(`method PAYQUICKER switched to manual processing by ${admin.id}`)]);
    expect(effectiveProcessing('AUTOMATIC', read)).toBe('MANUAL');
    // A forced method does not stop processing: the payout goes to the manual queue.
    expect(mayStartProcessing(read)).toBe(true);
    expect((await readPayoutSwitches(harness.database, { methodId: 'BANK_TRANSFER', partnerId: 'nobody' })).methodForcedManual).toBe(false);

    const { response: restored } = await stepUp('PUT', '/v1/ops/switches/methods/PAYQUICKER', { forceManual: false, reason: 'provider back' });
    expect(await restored.json()).toMatchObject({ forceManual: false, effectiveProcessing: 'AUTOMATIC', changed: true });
    expect(await auditOf('ops_switch', 'method:PAYQUICKER')).toMatchObject([
      { action: 'POLICY_CHANGE', actor: admin.id, reason: 'PayQuicker API down', details: { switch: 'METHOD_FORCE_MANUAL', methodId: 'PAYQUICKER', active: true } },
      { action: 'POLICY_CHANGE', reason: 'provider back', details: { active: false } },
    ]);
  });

  it('refuses a method the policy in force does not have (404) and a malformed id (400)', async () => {
    const unknown = await stepUp('PUT', '/v1/ops/switches/methods/CARRIER_PIGEON', { forceManual: true, reason: 'x' });
    expect(unknown.response.status).toBe(404);
    expect(await errorOf(unknown.response)).toMatchObject({ code: 'method_not_found', field: 'params.methodId' });
    const malformed = await harness.request('/v1/ops/switches/methods/pay-quicker', { method: 'PUT', token: readerToken, body: { forceManual: true, reason: 'x' } });
    expect(await errorOf(malformed)).toMatchObject({ field: 'params.methodId' });
    const noFlag = await harness.request('/v1/ops/switches/methods/PAYQUICKER', { method: 'PUT', token: readerToken, body: { reason: 'x' } });
    expect(await errorOf(noFlag)).toMatchObject({ field: 'body.forceManual' });
  });
});

describe('partner freeze (docs/rules.md#emergency-switches: suspected fraud, balance discrepancy)', () => {
  it('freezes a partner’s payouts with a BALANCE_FREEZE record of their balances, and unfreezes', async () => {
    const partner = await harness.createPartner();
    const other = await harness.createPartner();
    await harness.dependencies.ledger.postEntry({
      idempotencyKey: `credit-${partner}`, kind: 'test_credit',
      postings: [
        { account: { ownerType: 'partner', ownerId: partner, bucket: 'available', currency: 'USD' }, amount: '120.00' },
        { account: { ownerType: 'platform', ownerId: 'platform', bucket: 'adjustments', currency: 'USD' }, amount: '-120.00' },
      ],
    });

    const { response: frozen, admin } = await stepUp('POST', `/v1/ops/partners/${partner}/freeze`, { kind: 'BALANCE_DISCREPANCY', reason: 'available does not match postings' });
    expect(frozen.status).toBe(200);
    expect(await frozen.json()).toMatchObject({ partnerId: partner, frozen: true, kind: 'BALANCE_DISCREPANCY', changedBy: admin.id, changed: true });
    const { response: again } = await stepUp('POST', `/v1/ops/partners/${partner}/freeze`, { kind: 'FRAUD_SUSPECTED', reason: 'twice' });
    expect(await again.json()).toMatchObject({ frozen: true, kind: 'BALANCE_DISCREPANCY', reason: 'available does not match postings', changed: false });

    expect((await switches()).frozenPartners).toEqual([expect.objectContaining({ partnerId: partner, kind: 'BALANCE_DISCREPANCY' })]);
    const read = await readPayoutSwitches(harness.database, { methodId: 'BANK_TRANSFER', partnerId: partner });
    expect(read).toMatchObject({ processingPaused: false, methodForcedManual: false, partnerFrozen: true });
    expect(read.reasons).toEqual([expect.stringContaining(`partner ${partner} frozen (BALANCE_DISCREPANCY) by ${admin.id}`)]);
    expect(mayStartProcessing(read)).toBe(false);
    expect((await readPayoutSwitches(harness.database, { methodId: 'BANK_TRANSFER', partnerId: other })).partnerFrozen).toBe(false);
    // The money stays where it is: a freeze is not a ledger movement.
    expect(await harness.dependencies.ledger.partnerBalances(partner)).toEqual([expect.objectContaining({ currency: 'USD', available: '120.00' })]);

    const { response: unfrozen, admin: unfreezer } = await stepUp('POST', `/v1/ops/partners/${partner}/unfreeze`, { reason: 'drift explained' });
    expect(await unfrozen.json()).toMatchObject({ frozen: false, kind: 'BALANCE_DISCREPANCY', changed: true, changedBy: unfreezer.id });
    expect((await readPayoutSwitches(harness.database, { methodId: 'BANK_TRANSFER', partnerId: partner })).partnerFrozen).toBe(false);
    const { response: unfrozenAgain } = await stepUp('POST', `/v1/ops/partners/${partner}/unfreeze`, { reason: 'twice' });
    expect(await unfrozenAgain.json()).toMatchObject({ frozen: false, changed: false, reason: 'drift explained' });

    const audit = await auditOf('partner', partner);
    expect(audit.map((record) => [record.action, record.actor, record.reason])).toEqual([
      ['BALANCE_FREEZE', admin.id, 'available does not match postings'],
      ['BALANCE_UNFREEZE', unfreezer.id, 'drift explained'],
    ]);
    expect(audit[0]!.details).toEqual({ kind: 'BALANCE_DISCREPANCY', balances: [{ bucket: 'available', currency: 'USD', balance: '120.00' }] });
    expect((await switches()).frozenPartners).toEqual([]);
  });

  it('answers 404 for an unknown partner and 400 for an unknown kind', async () => {
    const unknown = await stepUp('POST', '/v1/ops/partners/no-such-partner/freeze', { kind: 'FRAUD_SUSPECTED', reason: 'x' });
    expect(unknown.response.status).toBe(404);
    expect(await errorOf(unknown.response)).toMatchObject({ field: 'params.id' });
    const partner = await harness.createPartner();
    const badKind = await harness.request(`/v1/ops/partners/${partner}/freeze`, { token: readerToken, body: { kind: 'BORED', reason: 'x' } });
    expect(await errorOf(badKind)).toMatchObject({ field: 'body.kind' });
  });
});

describe('who may switch', () => {
  it('refuses partners, roles without the permission and missing or spent TOTP codes, changing nothing', async () => {
    const partner = await harness.createPartner();
    const partnerUser = await harness.createPartnerUser(partner);
    const partnerToken = await harness.signIn(partnerUser);
    const support = await harness.createAdmin('financial_support');
    const supportToken = await harness.signIn(support);
    const admin = await harness.createAdmin('admin');
    const adminToken = await harness.signIn(admin);
    const before = await harness.countRows();
    const rowsBefore = await harness.owner.oneFirst(sql.type(z.object({ count: z.number() }))`
      SELECT ((SELECT count(*) FROM ops_switches) + (SELECT count(*) FROM partner_freezes))::int AS count`);

    const asPartner = { token: partnerToken, headers: { 'x-totp-code': '123456' } };
    expect((await harness.request('/v1/ops/switches', { token: partnerToken })).status).toBe(403);
    expect((await harness.request('/v1/ops/switches/processing', { ...asPartner, method: 'PUT', body: { paused: true, reason: 'x' } })).status).toBe(403);
    expect((await harness.request('/v1/ops/switches/methods/PAYQUICKER', { ...asPartner, method: 'PUT', body: { forceManual: true, reason: 'x' } })).status).toBe(403);
    expect((await harness.request(`/v1/ops/partners/${partner}/freeze`, { ...asPartner, body: { kind: 'FRAUD_SUSPECTED', reason: 'x' } })).status).toBe(403);
    expect((await harness.request(`/v1/ops/partners/${partner}/unfreeze`, { ...asPartner, body: { reason: 'x' } })).status).toBe(403);
    // financial_support reads the switches but may not move them.
    const bySupport = await harness.request('/v1/ops/switches/processing', { method: 'PUT', token: supportToken, body: { paused: true, reason: 'x' }, headers: { 'x-totp-code': await harness.nextTotp(support) } });
    expect(bySupport.status).toBe(403);
    expect(await errorOf(bySupport)).toMatchObject({ code: 'forbidden' });

    const missing = await harness.request('/v1/ops/switches/processing', { method: 'PUT', token: adminToken, body: { paused: true, reason: 'x' } });
    expect(missing.status).toBe(401);
    expect(await errorOf(missing)).toMatchObject({ code: 'totp_required', field: 'X-TOTP-Code' });
    // The admin's last fresh code, spent on a request that changed nothing, is refused the second time.
    const code = await harness.nextTotp(admin);
    const first = await harness.request(`/v1/ops/partners/${partner}/unfreeze`, { token: adminToken, body: { reason: 'not frozen' }, headers: { 'x-totp-code': code } });
    expect(await first.json()).toMatchObject({ frozen: false, changed: false });
    const spent = await harness.request(`/v1/ops/partners/${partner}/freeze`, { token: adminToken, body: { kind: 'FRAUD_SUSPECTED', reason: 'x' }, headers: { 'x-totp-code': code } });
    expect(spent.status).toBe(401);
    expect(await errorOf(spent)).toMatchObject({ code: 'invalid_totp', field: 'X-TOTP-Code' });

    expect(await harness.countRows()).toEqual(before);
    expect(await harness.owner.oneFirst(sql.type(z.object({ count: z.number() }))`
      SELECT ((SELECT count(*) FROM ops_switches) + (SELECT count(*) FROM partner_freezes))::int AS count`)).toBe(rowsBefore);
    expect(await readPayoutSwitches(harness.database, { methodId: 'PAYQUICKER', partnerId: partner })).toMatchObject({ processingPaused: false, partnerFrozen: false });
  });
});
