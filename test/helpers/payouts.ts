import { randomBytes } from 'node:crypto';
import { sql } from 'slonik';
import { z } from 'zod';
import type { AdminRole } from '../../domain/access.ts';
import type { PayoutStatus } from '../../domain/payout.ts';
import type { ApiHarness } from './api.ts';

/** GET /v1/payouts/{id} as the tests read it. */
export interface PayoutView {
  id: string;
  workflowId: string;
  status: PayoutStatus;
  partnerId: string;
  methodId: string;
  currency: string;
  amount: string;
  fee: string;
  amountToTransfer: string;
  amountRub: string | null;
  detailsHash: string;
  requiredChain: { roles: string[] }[];
  approvals: { userId: string; role: string; decision: string; step: number | null }[];
  externalReference: string | null;
  failure: { code: string; reason: string | null } | null;
  settleEntryId: string | null;
  provider: { attempt: number; reference: string | null; needsReview: boolean };
}

const countSchema = z.object({ count: z.number() });

/**
 * The arranging and reading a payout test does through one API harness: partners with money and a session,
 * admins with a fresh TOTP code per decision, reads and bounded polls. Each decision is made by a newly created
 * admin, whose sign-in used the current TOTP step and whose decision uses the next one, so no test waits for the
 * 30-second step to turn.
 */
export function payoutKit(api: ApiHarness) {
  let reader: Promise<string> | undefined;

  const kit = {
    /** An ACTIVE, KYC-approved partner who joined 30 days ago (past the checklist's minimum), signed in. */
    async partnerWithLogin(funds: Record<string, string> = {}): Promise<{ partnerId: string; token: string; userId: string }> {
      const partnerId = `p_${randomBytes(5).toString('hex')}`;
      await api.owner.query(sql.unsafe`
        INSERT INTO partners (id, name, rank, status, kyc_status, joined_at)
        VALUES (${partnerId}, 'Robust Partner', '3', 'ACTIVE', 'APPROVED', now() - interval '30 days')`);
      const user = await api.createPartnerUser(partnerId);
      const token = await api.signIn(user);
      for (const [currency, amount] of Object.entries(funds)) await kit.fund(partnerId, amount, currency);
      return { partnerId, token, userId: user.id };
    },

    /** Money in the partner's `available` (a bonus from the platform's expense account). */
    async fund(partnerId: string, amount: string, currency: string): Promise<void> {
      await api.dependencies.ledger.postEntry({
        idempotencyKey: `test-fund-${randomBytes(6).toString('hex')}`,
        kind: 'bonus',
        postings: [
          { account: { ownerType: 'platform', ownerId: 'platform', bucket: 'bonus_expense', currency }, amount: `-${amount}` },
          { account: { ownerType: 'partner', ownerId: partnerId, bucket: 'available', currency }, amount },
        ],
      });
    },

    async balances(partnerId: string, currency: string) {
      const row = (await api.dependencies.ledger.partnerBalances(partnerId)).find((balance) => balance.currency === currency);
      if (!row) throw new Error(`partner ${partnerId} has no ${currency} accounts`);
      return row;
    },

    /** Sends a decision as a new admin of the role with a fresh TOTP code. */
    async decide(payoutId: string, action: string, role: AdminRole, body: Record<string, unknown> = {}): Promise<Response> {
      const actor = await api.createAdmin(role);
      const token = await api.signIn(actor);
      return api.request(`/v1/payouts/${payoutId}/${action}`, { token, headers: { 'x-totp-code': await api.nextTotp(actor) }, body });
    },

    async read(payoutId: string): Promise<PayoutView> {
      reader ??= api.createAdmin('financial_support').then((created) => api.signIn(created));
      const response = await api.request(`/v1/payouts/${payoutId}`, { token: await reader });
      if (response.status !== 200) throw new Error(`GET /v1/payouts/${payoutId} answered ${response.status}: ${await response.text()}`);
      return (await response.json()) as PayoutView;
    },

    /** Polls the payout (the database mirror of the workflow) every 100 ms until `done`, for at most `timeoutMs`. */
    async waitFor(payoutId: string, done: (payout: PayoutView) => boolean, what: string, timeoutMs = 30_000): Promise<PayoutView> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const payout = await kit.read(payoutId);
        if (done(payout)) return payout;
        if (Date.now() > deadline) {
          throw new Error(`payout ${payoutId} is ${payout.status} (provider ${JSON.stringify(payout.provider)}) after ${timeoutMs} ms, expected ${what}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },

    waitForStatus(payoutId: string, status: PayoutStatus, timeoutMs?: number): Promise<PayoutView> {
      return kit.waitFor(payoutId, (payout) => payout.status === status, status, timeoutMs);
    },

    auditCount(payoutId: string, action: string): Promise<number> {
      return api.owner.oneFirst(sql.type(countSchema)`
        SELECT count(*)::int AS count FROM audit_records WHERE target_type = 'payout' AND target_id = ${payoutId} AND action = ${action}`);
    },

    /** Journal entries with exactly this idempotency key (ledger steps are keyed `payout-<step>-<id>`). */
    entryCount(idempotencyKey: string): Promise<number> {
      return api.owner.oneFirst(sql.type(countSchema)`
        SELECT count(*)::int AS count FROM journal_entries WHERE idempotency_key = ${idempotencyKey}`);
    },

    /** 100 RUB per USD, in force since yesterday: the approval chain and priorities are judged in RUB. */
    async insertRubRate(): Promise<void> {
      await api.owner.query(sql.unsafe`
        INSERT INTO fx_rates (currency, effective_at, usd_rate, created_by) VALUES ('RUB', now() - interval '1 day', 0.01, 'test')`);
    },
  };
  return kit;
}
