import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { sql } from 'slonik';
import { expect } from 'vitest';
import { z } from 'zod';
import type { AdminRole } from '../../domain/access.ts';
import { deliverPayoutUpdates } from '../../modules/payouts/payout-delivery.ts';
import type { ApiHarness, TestAdmin } from './api.ts';

/**
 * Arranging payment-file tests quickly: many APPROVED manual payouts without a login per partner. Partners are
 * inserted and funded directly, one admin requests their payouts in one bulk request (one TOTP code), and a second
 * admin's approvals go to the payout workflows as the API's update would (the approval itself is not under test).
 */

export interface PaymentFileView {
  id: string;
  kind: string;
  rowCount: number;
  fileName: string;
  paymentFile?: { status: string; counts: { total: number; processing: number; completed: number; failed: number; other: number } };
}

const payoutRow = z.object({ id: z.string(), status: z.string(), amount: z.string(), details_hash: z.string(), partner_id: z.string() });
export type SeededPayout = z.infer<typeof payoutRow>;

export const partnerName = 'File Partner';
export const bankDetails = { accountName: partnerName, accountNumber: '12345678', routingNumber: '021000021' };

/** An admin signed in, with the next TOTP code on demand. */
export interface FileAdmin {
  admin: TestAdmin;
  token: string;
  totp: () => Promise<string>;
}

export function paymentFileKit(api: ApiHarness, temporal: Client = api.dependencies.temporal) {
  let reader: Promise<string> | undefined;

  const kit = {
    async readerToken(): Promise<string> {
      reader ??= api.createAdmin('financial_support').then((admin) => api.signIn(admin));
      return reader;
    },

    /** An admin of the role, signed in, with its next TOTP code ready. */
    async admin(role: AdminRole = 'admin'): Promise<FileAdmin> {
      const admin = await api.createAdmin(role);
      return { admin, token: await api.signIn(admin), totp: () => api.nextTotp(admin) };
    },

    /** `count` APPROVED BANK_TRANSFER payouts of `amount` USD, one per new partner (funded with `funds`). */
    async approvedBankPayouts(count: number, amount = '100', funds = '1000.00'): Promise<SeededPayout[]> {
      const prefix = `pf${randomBytes(4).toString('hex')}`;
      const partnerIds = Array.from({ length: count }, (_, index) => `${prefix}_${String(index).padStart(5, '0')}`);
      await api.owner.query(sql.unsafe`
        INSERT INTO partners (id, name, rank, status, kyc_status, joined_at)
        SELECT id, ${partnerName}, '3', 'ACTIVE', 'APPROVED', now() - interval '30 days' FROM unnest(${sql.array(partnerIds, 'text')}) AS id`);
      await api.dependencies.ledger.postEntries(
        partnerIds.map((partnerId) => ({
          idempotencyKey: `test-fund-${partnerId}`,
          kind: 'bonus',
          postings: [
            { account: { ownerType: 'platform' as const, ownerId: 'platform', bucket: 'bonus_expense' as const, currency: 'USD' }, amount: `-${funds}` },
            { account: { ownerType: 'partner' as const, ownerId: partnerId, bucket: 'available' as const, currency: 'USD' }, amount: funds },
          ],
        })),
      );
      for (let start = 0; start < count; start += 500) {
        const { token, totp } = await kit.admin('admin');
        const items = partnerIds.slice(start, start + 500).map((partnerId) => ({ partnerId, amount, currency: 'USD', methodId: 'BANK_TRANSFER', paymentDetails: bankDetails }));
        const response = await api.request('/v1/payouts/bulk', { token, headers: { 'x-totp-code': await totp() }, body: { items } });
        expect(response.status, await response.clone().text()).toBe(200);
        const result = (await response.json()) as { created: number; refused: number };
        expect(result).toMatchObject({ created: items.length, refused: 0 });
      }
      const awaiting = await kit.waitForPayouts(partnerIds, (rows) => rows.every((row) => row.status === 'AWAITING_APPROVAL'), 'AWAITING_APPROVAL');
      const approver = await api.createAdmin('admin');
      const outcomes = await deliverPayoutUpdates(
        temporal,
        awaiting.map((row) => ({
          payoutId: row.id,
          updateId: `test-approve-${row.id}`,
          update: 'approve' as const,
          input: { actor: { userId: approver.id, role: 'admin' }, amount: row.amount, detailsHash: row.details_hash },
        })),
        { concurrency: 16 },
      );
      expect(outcomes.filter((outcome) => outcome.outcome !== 'accepted')).toEqual([]);
      return kit.waitForPayouts(partnerIds, (rows) => rows.every((row) => row.status === 'APPROVED'), 'APPROVED');
    },

    async payoutsOf(partnerIds: readonly string[]): Promise<SeededPayout[]> {
      return [
        ...(await api.owner.any(sql.type(payoutRow)`
          SELECT id, status, amount, details_hash, partner_id FROM payouts WHERE partner_id = ANY(${sql.array([...partnerIds], 'text')}) ORDER BY partner_id`)),
      ];
    },

    async waitForPayouts(partnerIds: readonly string[], done: (rows: SeededPayout[]) => boolean, what: string, timeoutMs = 60_000): Promise<SeededPayout[]> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const rows = await kit.payoutsOf(partnerIds);
        if (rows.length === partnerIds.length && done(rows)) return rows;
        if (Date.now() > deadline) throw new Error(`payouts not ${what} in ${timeoutMs} ms: ${JSON.stringify(rows.map((row) => row.status))}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },

    async payoutStatuses(payoutIds: readonly string[]): Promise<Map<string, { status: string; failure_code: string | null; external_reference: string | null }>> {
      const rows = await api.owner.any(sql.type(z.object({ id: z.string(), status: z.string(), failure_code: z.string().nullable(), external_reference: z.string().nullable() }))`
        SELECT id, status, failure_code, external_reference FROM payouts WHERE id = ANY(${sql.array([...payoutIds], 'uuid')})`);
      return new Map(rows.map((row) => [row.id, row]));
    },

    async exportFile(body: Record<string, unknown> = { kind: 'METHOD_BATCH', methodId: 'BANK_TRANSFER' }): Promise<PaymentFileView> {
      const { token } = await kit.admin('admin');
      const response = await api.request('/v1/payout-exports', { token, body });
      expect(response.status, await response.clone().text()).toBe(201);
      return (await response.json()) as PaymentFileView;
    },

    async getFile(exportId: string): Promise<PaymentFileView> {
      const response = await api.request(`/v1/payout-exports/${exportId}`, { token: await kit.readerToken() });
      expect(response.status, await response.clone().text()).toBe(200);
      return (await response.json()) as PaymentFileView;
    },

    async waitForFile(exportId: string, status: string, timeoutMs = 60_000): Promise<PaymentFileView> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const file = await kit.getFile(exportId);
        if (file.paymentFile?.status === status) return file;
        if (Date.now() > deadline) throw new Error(`payment file ${exportId} is ${JSON.stringify(file.paymentFile)} after ${timeoutMs} ms, expected ${status}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },

    /** POST /results as a new admin (role) with a fresh TOTP code. */
    async close(
      exportId: string,
      body: Record<string, unknown>,
      role: AdminRole = 'admin',
      headers: Record<string, string> = {},
      as?: FileAdmin,
    ): Promise<Response> {
      const { token, totp } = as ?? (await kit.admin(role));
      return api.request(`/v1/payout-exports/${exportId}/results`, { token, headers: { 'x-totp-code': await totp(), ...headers }, body });
    },

    async closeProgress(exportId: string, closeId: string) {
      const response = await api.request(`/v1/payout-exports/${exportId}/results/${closeId}`, { token: await kit.readerToken() });
      expect(response.status, await response.clone().text()).toBe(200);
      return (await response.json()) as { status: string; paid: number; failed: number; alreadyDecided: number; pending: number; refused: { payoutId: string; code: string; message: string }[] };
    },

    async waitForClose(exportId: string, closeId: string, timeoutMs = 90_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const progress = await kit.closeProgress(exportId, closeId);
        if (progress.status === 'DONE') return progress;
        if (Date.now() > deadline) throw new Error(`close ${closeId} is ${JSON.stringify(progress)} after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
  };
  return kit;
}
