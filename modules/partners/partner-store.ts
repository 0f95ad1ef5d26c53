import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import { DomainError } from '../../domain/errors.ts';
import { kycStatuses, partnerStatuses, ranks, type KycStatus, type PartnerStatus, type Rank } from '../../domain/network.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';

/** The `partners` table as the directory sees it: adding a partner, reading one, and searching by name, id or e-mail. */

export const partnerRow = z.object({
  id: z.string(),
  name: z.string(),
  sponsor_id: z.string().nullable(),
  rank: z.enum(ranks),
  status: z.enum(partnerStatuses),
  kyc_status: z.enum(kycStatuses),
  joined_at: z.date(),
});
export type PartnerRow = z.infer<typeof partnerRow>;

export async function partnerExists(connection: CommonQueryMethods, partnerId: string): Promise<boolean> {
  return connection.exists(sql.unsafe`SELECT 1 FROM partners WHERE id = ${partnerId}`);
}

/** Refuses as not_found (`partnerId`) when there is no partner with this id. */
export async function requirePartnerExists(connection: CommonQueryMethods, partnerId: string): Promise<void> {
  if (!(await partnerExists(connection, partnerId))) {
    throw new DomainError('not_found', 'not_found', `partner ${partnerId} does not exist`, 'partnerId');
  }
}

export async function findPartner(connection: CommonQueryMethods, partnerId: string): Promise<PartnerRow | null> {
  return connection.maybeOne(sql.type(partnerRow)`
    SELECT id, name, sponsor_id, rank, status, kyc_status, joined_at FROM partners WHERE id = ${partnerId}`);
}

export interface NewPartner {
  id: string;
  name: string;
  sponsorId: string | null;
  rank: Rank;
  status: PartnerStatus;
  kycStatus: KycStatus;
  /** Absent: now. */
  joinedAt?: Date;
  actor: string;
  ip: string | null;
}

/**
 * Adds a partner (audited PARTNER_CREATE) under a sponsor that exists (refused unprocessable `sponsor_not_found`);
 * an id taken already is refused as a conflict.
 */
export async function createPartner(database: Database, partner: NewPartner): Promise<PartnerRow> {
  return database.transaction(async (transaction) => {
    if (partner.sponsorId && !(await partnerExists(transaction, partner.sponsorId))) {
      throw new DomainError('unprocessable', 'sponsor_not_found', `sponsor ${partner.sponsorId} does not exist`, 'body.sponsorId');
    }
    const inserted = await transaction.maybeOne(sql.type(partnerRow)`
      INSERT INTO partners (id, name, sponsor_id, rank, status, kyc_status, joined_at)
      VALUES (${partner.id}, ${partner.name}, ${partner.sponsorId}, ${partner.rank}, ${partner.status}, ${partner.kycStatus},
              ${partner.joinedAt ? sql.timestamp(partner.joinedAt) : sql.fragment`now()`})
      ON CONFLICT (id) DO NOTHING
      RETURNING id, name, sponsor_id, rank, status, kyc_status, joined_at`);
    if (!inserted) throw new DomainError('conflict', 'conflict', `partner ${partner.id} already exists`, 'body.id');
    await appendAuditRecord(transaction, {
      action: 'PARTNER_CREATE',
      actor: partner.actor,
      targetType: 'partner',
      targetId: partner.id,
      ip: partner.ip,
      details: { sponsorId: partner.sponsorId, rank: partner.rank },
    });
    return inserted;
  });
}

/** A LIKE pattern matching `text` anywhere, literally: `\` (LIKE's default escape), `%` and `_` are escaped. */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

/**
 * Partners whose name, id or login e-mail contains `text` (case-insensitively, literally), by name then id, after
 * the (name, id) of the previous page's last row; one row more than `limit` when another page follows.
 */
export async function searchPartners(
  connection: CommonQueryMethods,
  search: { text: string; after: { name: string; id: string } | null; limit: number },
): Promise<readonly PartnerRow[]> {
  const pattern = containsPattern(search.text);
  const after = search.after;
  // One branch per indexed expression (migration 022's trigram indexes on lower(name) and lower(id)), so each can
  // use its index; e-mails are stored lower-case. One row more than the page tells whether another page follows.
  return connection.any(sql.type(partnerRow)`
    WITH matched AS (
      SELECT id FROM partners WHERE lower(name) LIKE lower(${pattern})
      UNION
      SELECT id FROM partners WHERE lower(id) LIKE lower(${pattern})
      UNION
      SELECT partner_id FROM users WHERE partner_id IS NOT NULL AND email LIKE lower(${pattern})
    )
    SELECT p.id, p.name, p.sponsor_id, p.rank, p.status, p.kyc_status, p.joined_at
    FROM partners p JOIN matched m ON m.id = p.id
    WHERE ${after ? sql.fragment`(p.name, p.id) > (${after.name}, ${after.id})` : sql.fragment`TRUE`}
    ORDER BY p.name, p.id
    LIMIT ${search.limit + 1}`);
}
