import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AdminRole } from '../../domain/access.ts';
import { createApiHarness, errorOf, type ApiHarness, type TestAdmin } from '../helpers/api.ts';

/**
 * Policy changes under four eyes (docs/rules.md#four-eyes): a new version that moves a limit (payout tiers,
 * adjustment thresholds, the four-eyes settings…) is stored PENDING and applied only when a senior admin or finance
 * director other than the maker approves it with a fresh TOTP code; a version that moves no limit applies at once.
 * Real Postgres (the harness's database), every step through the API.
 */

let api: ApiHarness;

beforeAll(async () => {
  api = await createApiHarness();
});

afterAll(async () => {
  await api?.close();
});

interface Who { admin: TestAdmin; token: string }
interface PolicyDocument { version: number; payouts: { approvalChain: { maxAmountRub: string | null }[] }; bonuses: { postTimeoutSeconds: number }; [key: string]: unknown }
interface Version { version: number; policy: PolicyDocument; createdBy: string }
interface ChangeRequest { id: string; status: string; baseVersion: number; appliedVersion: number | null; createdBy: string; decidedBy: string | null; tiersBefore: Record<string, unknown>; tiersAfter: Record<string, unknown> }

async function signedIn(role: AdminRole = 'senior_admin'): Promise<Who> {
  const admin = await api.createAdmin(role);
  return { admin, token: await api.signIn(admin) };
}

async function versions(token: string): Promise<Version[]> {
  const response = await api.request('/v1/policy/versions', { token });
  expect(response.status).toBe(200);
  return ((await response.json()) as { versions: Version[] }).versions;
}

async function latest(token: string): Promise<Version> {
  return (await versions(token)).at(-1)!;
}

/** Each new version a little later than the one before (a version must come after the latest). */
let offsetMs = 0;
const nextEffectiveFrom = () => new Date(Date.now() + 2_000 + (offsetMs += 10)).toISOString();

async function postVersion(who: Who, policy: Record<string, unknown>, reason = 'test change'): Promise<Response> {
  const { version: _version, ...document } = policy;
  return api.request('/v1/policy/versions', {
    token: who.token, headers: { 'x-totp-code': await api.nextTotp(who.admin) }, body: { effectiveFrom: nextEffectiveFrom(), reason, policy: document },
  });
}

async function decide(who: Who, id: string, kind: 'approve' | 'reject', reason?: string): Promise<Response> {
  return api.request(`/v1/policy/requests/${id}/${kind}`, {
    token: who.token, headers: { 'x-totp-code': await api.nextTotp(who.admin) }, body: reason ? { reason } : {},
  });
}

/** The payout approval chain with every tier limit cut to a tenth: a big payout needs fewer approvers. */
function loweredTiers(policy: PolicyDocument): PolicyDocument {
  return {
    ...policy,
    payouts: { ...policy.payouts, approvalChain: policy.payouts.approvalChain.map((tier) => ({ ...tier, maxAmountRub: tier.maxAmountRub === null ? null : String(Number(tier.maxAmountRub) * 10) })) },
  };
}

const auditRow = z.object({ action: z.string(), actor: z.string(), target_id: z.string(), details: z.record(z.string(), z.unknown()) });
const auditSince = (id: number) =>
  api.owner.any(sql.type(auditRow)`
    SELECT action, actor, target_id, details FROM audit_records
    WHERE id > ${id} AND target_type IN ('policy', 'policy_change_request') ORDER BY id`);
const lastAuditId = () => api.owner.oneFirst(sql.type(z.object({ id: z.number() }))`SELECT coalesce(max(id), 0)::int AS id FROM audit_records`);

describe('a policy version that moves a limit', () => {
  it('when one senior admin loosens the payout tiers alone, it is stored PENDING (202) and the policy is unchanged; the maker cannot approve it', async () => {
    const maker = await signedIn('senior_admin');
    const before = await versions(maker.token);
    const auditFrom = await lastAuditId();

    const response = await postVersion(maker, loweredTiers(before.at(-1)!.policy), 'fewer approvers for big payouts');
    expect(response.status).toBe(202);
    const request = (await response.json()) as ChangeRequest;
    expect(request).toMatchObject({ status: 'PENDING', baseVersion: before.at(-1)!.version, appliedVersion: null, createdBy: maker.admin.id, decidedBy: null });
    expect(request.tiersBefore).toMatchObject({ payoutApprovalChain: before.at(-1)!.policy.payouts.approvalChain });
    expect(request.tiersAfter).not.toEqual(request.tiersBefore);
    // Nothing applied: the versions are those before.
    expect(await versions(maker.token)).toEqual(before);
    const listed = await api.request('/v1/policy/requests?status=PENDING', { token: maker.token });
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { requests: ChangeRequest[] }).requests.map((row) => row.id)).toContain(request.id);
    expect((await auditSince(auditFrom)).map((record) => [record.action, record.actor, record.target_id])).toEqual([
      ['POLICY_CHANGE_REQUEST', maker.admin.id, request.id],
    ]);

    const own = await decide(maker, request.id, 'approve');
    expect(own.status).toBe(403);
    expect(await errorOf(own)).toMatchObject({ code: 'maker_checker' });
    const manager = await signedIn('finance_manager');
    const notAllowed = await decide(manager, request.id, 'approve');
    expect(notAllowed.status).toBe(403);
    expect(await versions(maker.token)).toEqual(before);

    // Clean up for the next tests: a second person rejects it.
    const checker = await signedIn('finance_director');
    const rejected = await decide(checker, request.id, 'reject', 'no');
    expect(rejected.status).toBe(200);
    expect(await rejected.json()).toMatchObject({ status: 'REJECTED', decidedBy: checker.admin.id, appliedVersion: null });
    expect(await versions(maker.token)).toEqual(before);
    const again = await decide(checker, request.id, 'approve');
    expect(again.status).toBe(409);
    expect((await auditSince(auditFrom)).map((record) => record.action)).toEqual(['POLICY_CHANGE_REQUEST', 'POLICY_CHANGE_REJECT']);
  }, 180_000);

  it('a finance director other than the maker approves it: the version is applied as the maker\'s and audited POLICY_CHANGE with the tiers before and after; a second approval is a conflict', async () => {
    const maker = await signedIn('senior_admin');
    const base = await latest(maker.token);
    const wanted = loweredTiers(base.policy);
    const response = await postVersion(maker, wanted);
    expect(response.status).toBe(202);
    const request = (await response.json()) as ChangeRequest;
    const noCode = await api.request(`/v1/policy/requests/${request.id}/approve`, { token: (await signedIn('finance_director')).token, body: {} });
    expect(noCode.status).toBe(401);
    const auditFrom = await lastAuditId();

    const checker = await signedIn('finance_director');
    const approved = await decide(checker, request.id, 'approve', 'agreed');
    expect(approved.status).toBe(200);
    const decided = (await approved.json()) as ChangeRequest;
    expect(decided).toMatchObject({ status: 'APPROVED', decidedBy: checker.admin.id, appliedVersion: base.version + 1 });
    const applied = await latest(maker.token);
    expect(applied).toMatchObject({ version: base.version + 1, createdBy: maker.admin.id });
    expect(applied.policy.payouts.approvalChain).toEqual(wanted.payouts.approvalChain);
    const audit = await auditSince(auditFrom);
    expect(audit.map((record) => [record.action, record.actor, record.target_id])).toEqual([['POLICY_CHANGE', checker.admin.id, String(base.version + 1)]]);
    expect(audit[0]!.details).toMatchObject({
      requestId: request.id, maker: maker.admin.id, tiersChanged: true,
      tiersBefore: { payoutApprovalChain: base.policy.payouts.approvalChain }, tiersAfter: { payoutApprovalChain: wanted.payouts.approvalChain },
    });

    const second = await decide(await signedIn('senior_admin'), request.id, 'approve');
    expect(second.status).toBe(409);
    expect(await errorOf(second)).toMatchObject({ code: 'invalid_state' });
    expect((await latest(maker.token)).version).toBe(base.version + 1);
  }, 180_000);

  it('a request made before another version was applied is stale: approving it is a conflict and applies nothing', async () => {
    const maker = await signedIn('finance_director');
    const base = await latest(maker.token);
    const pending = await postVersion(maker, { ...base.policy, fourEyes: { ...(base.policy.fourEyes as object), bonusAboveRub: '1000000' } });
    expect(pending.status).toBe(202);
    const request = (await pending.json()) as ChangeRequest;

    // Someone else applies a version that moves no limit in the meantime.
    const other = await signedIn('senior_admin');
    const applied = await postVersion(other, { ...base.policy, bonuses: { postTimeoutSeconds: base.policy.bonuses.postTimeoutSeconds + 1 } });
    expect(applied.status).toBe(201);

    const checker = await signedIn('senior_admin');
    const stale = await decide(checker, request.id, 'approve');
    expect(stale.status).toBe(409);
    expect(await errorOf(stale)).toMatchObject({ code: 'stale_request' });
    expect((await latest(maker.token)).version).toBe(base.version + 1);
    expect((await latest(maker.token)).policy.fourEyes).toEqual(base.policy.fourEyes);
    const listed = await api.request('/v1/policy/requests?status=PENDING', { token: maker.token });
    expect(((await listed.json()) as { requests: ChangeRequest[] }).requests.map((row) => row.id)).toContain(request.id);
  }, 180_000);
});

describe('a policy version that moves no limit', () => {
  it('applies at once (201), audited POLICY_CHANGE with tiersChanged false', async () => {
    const maker = await signedIn('senior_admin');
    const base = await latest(maker.token);
    const auditFrom = await lastAuditId();
    const response = await postVersion(maker, { ...base.policy, bonuses: { postTimeoutSeconds: base.policy.bonuses.postTimeoutSeconds + 5 } });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ version: base.version + 1, createdBy: maker.admin.id });
    expect((await latest(maker.token)).policy.bonuses.postTimeoutSeconds).toBe(base.policy.bonuses.postTimeoutSeconds + 5);
    const audit = await auditSince(auditFrom);
    expect(audit.map((record) => [record.action, record.actor, record.details.tiersChanged])).toEqual([['POLICY_CHANGE', maker.admin.id, false]]);
  }, 180_000);

  it('an invalid document is refused 422 naming the field, and nothing is stored', async () => {
    const maker = await signedIn('senior_admin');
    const before = await versions(maker.token);
    const response = await postVersion(maker, { ...loweredTiers(before.at(-1)!.policy), fourEyes: { fxRateBand: 'lots' } });
    expect(response.status).toBe(422);
    expect(await errorOf(response)).toMatchObject({ code: 'invalid_policy', field: 'body.policy.fourEyes.fxRateBand' });
    expect(await versions(maker.token)).toEqual(before);
    const count = await api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`SELECT count(*)::int AS count FROM policy_change_requests WHERE created_by = ${maker.admin.id}`);
    expect(count).toBe(0);
  }, 180_000);
});
