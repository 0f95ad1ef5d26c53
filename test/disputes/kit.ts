import { randomBytes } from 'node:crypto';
import { sql } from 'slonik';
import { expect } from 'vitest';
import { z } from 'zod';
import { partnerFlags } from '../../modules/partner-flags/partner-flags-store.ts';
import type { AdminRole } from '../../domain/access.ts';
import { adjustmentKit } from '../adjustments/kit.ts';
import type { ApiHarness, TestAdmin } from '../helpers/api.ts';

export interface DisputeView {
  id: string; workflowId: string; partnerId: string; type: string; transactionRef: string; status: string; resolution: string | null;
  resolutionNote: string | null; automaticReason: string | null; assigneeId: string | null; credited: { total: string; currency: string | null };
  timeline: { sequence: number; kind: string; statusAfter: string; resolution: string | null; amount: string | null; entryId: string | null; actor: string }[];
  evidence: { id: string; text: string | null; file: { fileName: string; url: string; sha256: string } | null }[];
}

/** What the dispute tests arrange and read through one API harness (the adjustment kit's admins, polling, histories). */
export function disputeKit(api: ApiHarness) {
  const base = adjustmentKit(api);
  const unique = () => randomBytes(4).toString('hex');
  let reader: Promise<string> | undefined;
  const kit = {
    ...base,
    /** A partner (ACTIVE, KYC approved, joined 30 days ago) with a signed-in login. */
    async partnerUser(): Promise<{ partnerId: string; token: string; userId: string }> {
      const partnerId = await base.partner({ rank: '3' });
      const user = await api.createPartnerUser(partnerId);
      return { partnerId, token: await api.signIn(user), userId: user.id };
    },
    /** An order the partner sold, completed at `completedAt`: returns the partner's commission id. */
    async commission(partnerId: string, amount = '1000.00', completedAt = new Date()): Promise<string> {
      const { token } = await base.admin('finance_manager');
      const orderId = `order-${unique()}`;
      const response = await api.request('/v1/events', {
        token, body: { externalId: `ev-${unique()}`, kind: 'ORDER_COMPLETED', sourceId: orderId, partnerId, completedAt: completedAt.toISOString(), amount, currency: 'USD' },
      });
      expect(response.status, await response.clone().text()).toBe(201);
      return api.owner.oneFirst(sql.type(z.object({ id: z.string() }))`
        SELECT c.id::text AS id FROM commissions c JOIN commission_events e ON e.id = c.event_id WHERE e.source_id = ${orderId} AND c.partner_id = ${partnerId}`);
    },
    /** Cancels the order a commission came from (ORDER_CANCELLED): the commission is reversed at once. */
    async cancelOrderOf(commissionId: string): Promise<void> {
      const orderId = await api.owner.oneFirst(sql.type(z.object({ source_id: z.string() }))`
        SELECT e.source_id FROM commissions c JOIN commission_events e ON e.id = c.event_id WHERE c.id = ${commissionId}`);
      const { token } = await base.admin('finance_manager');
      const response = await api.request('/v1/events', {
        token, body: { externalId: `ev-${unique()}`, kind: 'ORDER_CANCELLED', sourceId: orderId, partnerId: null, completedAt: new Date().toISOString() },
      });
      expect(response.status, await response.clone().text()).toBe(201);
    },
    /** A rank change of the partner, effective at `effectiveAt`: returns its id. */
    async rankChange(partnerId: string, effectiveAt = new Date()): Promise<string> {
      return api.owner.oneFirst(sql.type(z.object({ id: z.string() }))`
        INSERT INTO partner_changes (partner_id, field, old_value, new_value, effective_at, recorded_by)
        VALUES (${partnerId}, 'rank', '2', '3', ${effectiveAt.toISOString()}, 'test') RETURNING id::text AS id`);
    },
    open(token: string, body: Record<string, unknown>): Promise<Response> {
      return api.request('/v1/disputes', { token, body });
    },
    async opened(token: string, body: Record<string, unknown>): Promise<DisputeView> {
      const response = await kit.open(token, body);
      expect(response.status, await response.clone().text()).toBe(202);
      return (await response.json()) as DisputeView;
    },
    async read(id: string): Promise<DisputeView> {
      reader ??= base.admin('financial_support').then(({ token }) => token);
      const response = await api.request(`/v1/disputes/${id}`, { token: await reader });
      expect(response.status, await response.clone().text()).toBe(200);
      return (await response.json()) as DisputeView;
    },
    waitForStatus(id: string, status: string, timeoutMs = 30_000): Promise<DisputeView> {
      return base.poll(() => kit.read(id), (dispute) => dispute.status === status, `dispute ${id} ${status}`, timeoutMs);
    },
    /** Resolves as `who` (a role: a new admin; or an admin already made), with a fresh TOTP unless `totp: false`. */
    /** `peer`: the client address the request comes from (docs/rules.md#audit-trail), when a test looks at it. */
    async resolve(id: string, who: AdminRole | TestAdmin, body: Record<string, unknown>, { totp = true, peer }: { totp?: boolean; peer?: string } = {}): Promise<Response> {
      const admin = typeof who === 'string' ? await api.createAdmin(who) : who;
      const token = await api.signIn(admin);
      const headers: Record<string, string> = totp ? { 'x-totp-code': await api.nextTotp(admin) } : {};
      return api.request(`/v1/disputes/${id}/resolve`, { token, headers, body, ...(peer ? { peer } : {}) });
    },
    async activeDisputeFlags(partnerId: string): Promise<number> {
      return (await partnerFlags(api.database, partnerId, { activeOnly: true })).filter((flag) => flag.kind === 'OPEN_DISPUTE').length;
    },
    notifications(kind: string, subjectLike = '%'): Promise<number> {
      return api.owner.oneFirst(sql.type(z.object({ count: z.number() }))`
        SELECT count(*)::int AS count FROM notifications WHERE kind = ${kind} AND subject LIKE ${subjectLike}`);
    },
    async auditActions(targetId: string): Promise<string[]> {
      return [...(await api.owner.anyFirst(sql.type(z.object({ action: z.string() }))`
        SELECT action FROM audit_records WHERE target_id = ${targetId} ORDER BY id`))];
    },
  };
  return kit;
}
