import { inflateSync } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Database } from '../../db/pool.ts';
import { appendAuditRecord } from '../../modules/audit/audit-store.ts';
import { LedgerStore } from '../../modules/ledger/ledger-store.ts';

/**
 * Arranging summary-report fixtures with chosen times. Commissions and payouts are rows whose times (created, approved,
 * paid, requested, closed) the tests set as the owner, since the application stamps them now(); the audit records the
 * reports read (approvals, processing, reversals) go through the application's own audit store and so carry now(),
 * which is why every fixture period includes the present day.
 */

export const utcMidnight = (offsetDays: number) => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + offsetDays));
};
/** `hour`:`minute` UTC on the day `offsetDays` from today. */
export const at = (offsetDays: number, hour: number, minute = 0) => new Date(utcMidnight(offsetDays).getTime() + (hour * 60 + minute) * 60_000).toISOString();

export function reportKit(owner: pg.Client, pool: Database, tag: string) {
  let userId: string | undefined;
  let policyVersion: number | undefined;
  let reserveEntryId: string | undefined;
  const partners = new Set<string>();

  const kit = {
    async partner(id: string): Promise<string> {
      if (!partners.has(id)) {
        await owner.query(`INSERT INTO partners (id, name, rank, status, kyc_status, joined_at) VALUES ($1, $1, '3', 'ACTIVE', 'APPROVED', now() - interval '90 days')`, [id]);
        partners.add(id);
      }
      return id;
    },

    async basics(): Promise<{ userId: string; policyVersion: number; reserveEntryId: string }> {
      if (!userId) {
        userId = randomUUID();
        await owner.query(`INSERT INTO users (id, email, password_hash, role, totp_secret) VALUES ($1, $2, 'x', 'admin', 'JBSWY3DPEHPK3PXP')`, [userId, `${tag}-${userId}@example.test`]);
        const { rows } = await owner.query(`SELECT max(version) AS version FROM policy_versions`);
        policyVersion = Number(rows[0].version);
        // One real, balanced entry that the fixture payouts point at as their reserve (the reports never read it).
        const holder = await kit.partner(`${tag}-holder`);
        const entry = await new LedgerStore(pool).postEntry({
          idempotencyKey: `test-report-reserve-${tag}`,
          kind: 'bonus',
          postings: [
            { account: { ownerType: 'platform', ownerId: 'platform', bucket: 'bonus_expense', currency: 'USD' }, amount: '-1.00' },
            { account: { ownerType: 'partner', ownerId: holder, bucket: 'available', currency: 'USD' }, amount: '1.00' },
          ],
        });
        reserveEntryId = entry.entryId;
      }
      return { userId: userId!, policyVersion: policyVersion!, reserveEntryId: reserveEntryId! };
    },

    /** A commission of `amount` with its times; its trigger event is made for it. */
    async commission(input: {
      partnerId: string;
      level: number;
      sourceType: 'PRODUCT' | 'INVESTMENT' | 'INVESTMENT_PROFIT' | 'PORTFOLIO_YIELD';
      amount: string;
      currency?: string;
      createdAt: string;
      approvedAt?: string;
      paidAt?: string;
    }): Promise<string> {
      const { policyVersion } = await kit.basics();
      await kit.partner(input.partnerId);
      const kind = input.sourceType === 'PRODUCT' ? 'ORDER_COMPLETED' : input.sourceType === 'INVESTMENT' ? 'INVESTMENT_CONFIRMED' : input.sourceType === 'INVESTMENT_PROFIT' ? 'INVESTMENT_PROFIT' : 'PORTFOLIO_YIELD';
      const event = await owner.query(
        `INSERT INTO commission_events (external_id, kind, source_type, source_id, partner_id, completed_at, policy_version, input_hash)
         VALUES ($1, $2, $3, $1, $4, $5, $6, '\\x00') RETURNING id`,
        [`${tag}-${randomUUID()}`, kind, input.sourceType, input.partnerId, input.createdAt, policyVersion],
      );
      const status = input.paidAt ? 'PAID' : input.approvedAt ? 'APPROVED' : 'PENDING';
      const { rows } = await owner.query(
        `INSERT INTO commissions (event_id, partner_id, income_type, level, source_type, base, rate, amount, currency, status, release_at,
                                  breakdown, policy_version, approved_at, paid_at, created_at)
         VALUES ($1, $2, 1, $3, $4, $5, 1, $5, $6, $7, $8, '{}', $9, $10, $11, $8) RETURNING id::text AS id`,
        [event.rows[0].id, input.partnerId, input.level, input.sourceType, input.amount, input.currency ?? 'USD', status, input.createdAt, policyVersion,
          input.approvedAt ?? null, input.paidAt ?? null],
      );
      return rows[0].id as string;
    },

    /** A reversal (or partial refund) of part of a commission, recorded as the reversal path records it. */
    async reversal(commissionId: string, amount: string, currency = 'USD'): Promise<void> {
      await appendAuditRecord(pool, { action: 'COMMISSION_REVERSE', actor: 'system:test', targetType: 'commission', targetId: commissionId, amount, currency, details: {} });
    },

    async payout(input: {
      partnerId: string;
      methodId: string;
      amount: string;
      currency?: string;
      status: string;
      requestedAt: string;
      closedAt?: string;
      failureCode?: string;
    }): Promise<string> {
      const { userId, policyVersion, reserveEntryId } = await kit.basics();
      await kit.partner(input.partnerId);
      const id = randomUUID();
      await owner.query(
        `INSERT INTO payouts (id, partner_id, method_id, currency, amount, fee, amount_to_transfer, status, priority, payment_details, details_hash,
                              required_chain, policy_version, initiated_by, initiated_role, created_at, updated_at, requested_at, sla_due_at,
                              reserve_entry_id, closed_at, closed_by, failure_code)
         VALUES ($1, $2, $3, $4, $5, 0, $5, $6, 'NORMAL', '{}', 'h', '[]', $7, $8, 'admin', $9, $9, $9, $9, $10, $11, $12, $13)`,
        [id, input.partnerId, input.methodId, input.currency ?? 'USD', input.amount, input.status, policyVersion, userId, input.requestedAt, reserveEntryId,
          input.closedAt ?? null, input.closedAt ? 'system:test' : null, input.failureCode ?? null],
      );
      return id;
    },

    async approval(payoutId: string, amount: string, completesChain: boolean, currency = 'USD'): Promise<void> {
      await appendAuditRecord(pool, { action: 'PAYOUT_APPROVE', actor: 'system:test', targetType: 'payout', targetId: payoutId, amount, currency, details: { completesChain } });
    },

    async processing(payoutId: string, amount: string, currency = 'USD', needsReview = false): Promise<void> {
      await appendAuditRecord(pool, {
        action: 'PAYOUT_PROCESS', actor: 'system:test', targetType: 'payout', targetId: payoutId, amount, currency,
        details: needsReview ? { needsReview: true } : { automatic: true },
      });
    },
  };
  return kit;
}

/**
 * The text a PDF shows, in drawing order: each content stream (inflated when it is compressed) is scanned for the
 * strings of its text operators (`(…) Tj` and `[<hex> kern <hex>] TJ`), and consecutive strings of one TJ are joined.
 * Enough for the single-byte WinAnsi text pdfkit writes with its built-in fonts.
 */
export function pdfText(pdf: Buffer): string {
  const raw = pdf.toString('latin1');
  const pieces: string[] = [];
  const streamPattern = /<<([^]*?)>>\s*stream\r?\n([^]*?)\r?\nendstream/g;
  for (const match of raw.matchAll(streamPattern)) {
    const dictionary = match[1]!;
    let content = match[2]!;
    if (dictionary.includes('/FlateDecode')) {
      // latin1 maps bytes to characters one to one, so the stream's bytes are its text's.
      content = inflateSync(Buffer.from(content, 'latin1')).toString('latin1');
    }
    for (const operator of content.matchAll(/\[((?:[^\]\\]|\\.)*)\]\s*TJ|<([0-9a-fA-F]*)>\s*Tj|\(((?:[^)\\]|\\.)*)\)\s*Tj/g)) {
      if (operator[1] !== undefined) {
        let text = '';
        for (const part of operator[1].matchAll(/<([0-9a-fA-F]*)>|\(((?:[^)\\]|\\.)*)\)/g)) {
          text += part[1] !== undefined ? Buffer.from(part[1], 'hex').toString('latin1') : part[2]!.replace(/\\(.)/g, '$1');
        }
        pieces.push(text);
      } else if (operator[2] !== undefined) pieces.push(Buffer.from(operator[2], 'hex').toString('latin1'));
      else pieces.push(operator[3]!.replace(/\\(.)/g, '$1'));
    }
  }
  return pieces.join('\n');
}

/** Records of a CSV file (RFC 4180: quoted fields, doubled quotes, CRLF), enough for the files ledgerflow writes. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index]!;
    if (quoted) {
      if (character === '"' && text[index + 1] === '"') {
        field += '"';
        index += 1;
      } else if (character === '"') quoted = false;
      else field += character;
    } else if (character === '"') quoted = true;
    else if (character === ',') {
      record.push(field);
      field = '';
    } else if (character === '\r' && text[index + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      index += 1;
    } else field += character;
  }
  if (field !== '' || record.length > 0) records.push([...record, field]);
  return records;
}
