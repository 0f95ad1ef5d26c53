import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { DomainError } from '../../domain/errors.ts';
import { kycStatuses, partnerStatuses, ranks, type KycStatus, type PartnerStatus, type Rank } from '../../domain/network.ts';
import type { Database } from '../../db/pool.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';

/** The partner attributes whose history `partner_changes` keeps, as the API names them. */
export const changeFields = ['rank', 'status', 'kycStatus'] as const;
export type ChangeField = (typeof changeFields)[number];

const changeColumns = { rank: 'rank', status: 'status', kycStatus: 'kyc_status' } as const satisfies Record<ChangeField, string>;
const fieldOfColumn = { rank: 'rank', status: 'status', kyc_status: 'kycStatus' } as const;
const allowedValues: Record<ChangeField, readonly string[]> = { rank: ranks, status: partnerStatuses, kycStatus: kycStatuses };

export const downlineLimitMax = 1_000;

/** The partner addressed does not exist; `field` is `partnerId`. */
export class PartnerNotFoundError extends DomainError {
  constructor(readonly partnerId: string) {
    super('not_found', 'not_found', `partner ${partnerId} does not exist`, 'partnerId');
  }
}

/**
 * A request the network refuses. `field` names the input at fault in the store's terms (`effectiveAt`, `value`,
 * `after`); `kind` tells a malformed input from one the partner's current state does not allow.
 */
export class NetworkInputError extends DomainError {
  declare readonly field: string;

  constructor(message: string, field: string, kind: 'invalid' | 'conflict', code: string = kind === 'invalid' ? 'invalid_request' : 'conflict') {
    super(kind, code, message, field);
  }
}

export interface NetworkMember {
  partnerId: string;
  /** The partner's surrogate number (`partners.num`). */
  num: number;
  /** 1 = the sponsor (upline) or a direct recruit (downline), 2 = one further, … */
  level: number;
  rank: Rank;
  status: PartnerStatus;
  kycStatus: KycStatus;
}

export interface DownlineMember extends NetworkMember {
  name: string;
  sponsorId: string;
  joinedAt: Date;
  /** How many partners this member sponsored directly. */
  childrenCount: number;
}

export interface DownlinePage {
  members: DownlineMember[];
  /** Pass as `after` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface PartnerChange {
  id: string;
  partnerId: string;
  field: ChangeField;
  oldValue: string;
  newValue: string;
  effectiveAt: Date;
  reason: string | null;
  recordedBy: string;
  recordedAt: Date;
}

export interface RecordChangeInput {
  partnerId: string;
  field: ChangeField;
  value: string;
  /** When the change took effect; the database's transaction time when absent. Never in the future. */
  effectiveAt?: Date | null;
  reason?: string | null;
  /** Who records it: a user id, or `system:<component>`. */
  actor: string;
  ip?: string | null;
}

export interface PartnerValues {
  rank: Rank;
  status: PartnerStatus;
  kycStatus: KycStatus;
}

const memberRow = z.object({
  id: z.string(),
  num: z.number(),
  rank: z.enum(ranks),
  status: z.enum(partnerStatuses),
  kyc_status: z.enum(kycStatuses),
});
const packedUplineRow = z.object({
  depth: z.number(),
  ids: z.string().nullable(),
  values: z.string().nullable(),
  numbers: z.instanceof(Buffer).nullable(),
});
const downlineRow = memberRow.extend({
  level: z.number(),
  name: z.string(),
  sponsor_id: z.string(),
  joined_at: z.date(),
  children_count: z.number(),
});
const rootRow = z.object({ num: z.number() });
const changeRow = z.object({
  id: z.string(),
  partner_id: z.string(),
  field: z.enum(['rank', 'status', 'kyc_status']),
  old_value: z.string(),
  new_value: z.string(),
  effective_at: z.date(),
  reason: z.string().nullable(),
  recorded_by: z.string(),
  recorded_at: z.date(),
});
const lockedPartnerRow = z.object({
  current_value: z.string(),
  since: z.date(),
  since_text: z.string(),
  effective_at: z.date(),
  before_since: z.boolean(),
  in_future: z.boolean().nullable(),
});
const valuesRow = z.object({ rank: z.enum(ranks), status: z.enum(partnerStatuses), kyc_status: z.enum(kycStatuses) });

const cursorSchema = z.tuple([z.number().int().min(1), z.number().int().min(0)]);

function encodeCursor(level: number, num: number): string {
  return Buffer.from(JSON.stringify([level, num])).toString('base64url');
}

function decodeCursor(cursor: string): { level: number; num: number } {
  let decoded: unknown = null;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    // Reported below as a cursor this store did not issue.
  }
  const parsed = cursorSchema.safeParse(decoded);
  if (!parsed.success) throw new NetworkInputError('after is not a cursor this API issued', 'after', 'invalid');
  return { level: parsed.data[0], num: parsed.data[1] };
}

function toChange(row: z.infer<typeof changeRow>): PartnerChange {
  return {
    id: row.id,
    partnerId: row.partner_id,
    field: fieldOfColumn[row.field],
    oldValue: row.old_value,
    newValue: row.new_value,
    effectiveAt: row.effective_at,
    reason: row.reason,
    recordedBy: row.recorded_by,
    recordedAt: row.recorded_at,
  };
}

/**
 * The partner network: upline and downline reads and the history of rank, status and KYC changes (the bulk
 * import is import-partners.ts). A partner's place in the network never changes (a trigger refuses it), so reads
 * need no locks.
 */
export class NetworkStore {
  constructor(readonly database: Database) {}

  /**
   * The partner's ancestors, nearest first (level 1 is the sponsor). The stored upline array gives their numbers
   * in order; one index probe per ancestor fetches them, with no recursion however deep the chain.
   */
  async upline(partnerId: string, options: { limit?: number } = {}): Promise<NetworkMember[]> {
    const limit = options.limit ?? 2_147_483_647;
    if (!Number.isInteger(limit) || limit < 1) throw new NetworkInputError('limit must be a positive integer', 'limit', 'invalid');
    // One statement: the array's members by index probe (PostgreSQL 17+ walks a sorted array in one index
    // search), packed into one row: ids and values as delimited text (ids cannot contain ',' or ';') and numbers
    // and depths as fixed-width integers. A chain 10,000 deep is 10,000 members; shipping and parsing them as
    // rows cost twice the query itself. The three aggregates read the rows in the same order.
    const packed = await this.database.maybeOne(sql.type(packedUplineRow)`
      WITH self AS (SELECT depth, upline[1:${limit}] AS upline FROM partners WHERE id = ${partnerId})
      SELECT (SELECT depth FROM self) AS depth,
             string_agg(p.id, ',') AS ids,
             string_agg(p.rank || ',' || p.status || ',' || p.kyc_status, ';') AS "values",
             string_agg(int4send(p.num) || int4send(p.depth), ''::bytea) AS numbers
      FROM partners p WHERE p.num = ANY((SELECT upline FROM self)::integer[])
      HAVING (SELECT depth FROM self) IS NOT NULL`);
    if (!packed) throw new PartnerNotFoundError(partnerId);
    if (packed.ids === null || packed.values === null || packed.numbers === null) return [];
    const ids = packed.ids.split(',');
    const values = packed.values.split(';');
    const numbers = packed.numbers;
    const members = ids.map((id, index) => {
      const [rank, status, kycStatus] = values[index]!.split(',') as [Rank, PartnerStatus, KycStatus];
      const depth = numbers.readInt32BE(index * 8 + 4);
      return { partnerId: id, num: numbers.readInt32BE(index * 8), level: packed.depth - depth, rank, status, kycStatus };
    });
    return members.sort((left, right) => left.level - right.level);
  }

  /**
   * The partner's descendants level by level (direct recruits first), each level ordered by partner number,
   * keyset-paginated on (level, number).
   *
   * The walk follows the sponsor index one level at a time. A sorted page needs every level up to the one where
   * the page ends, but no deeper: a first walk, which PostgreSQL runs only as far as its consumer reads, finds
   * that level (the walk emits each level whole before the next, so the row after the page in walk order lies
   * on the deepest level the page can need); a second walk stops there, sorts and cuts the page.
   */
  async downline(
    partnerId: string,
    options: { maxDepth?: number; limit?: number; after?: string | null } = {},
  ): Promise<DownlinePage> {
    const maxDepth = options.maxDepth ?? 1;
    const limit = options.limit ?? 100;
    if (!Number.isInteger(maxDepth) || maxDepth < 1) throw new NetworkInputError('maxDepth must be a positive integer', 'maxDepth', 'invalid');
    if (!Number.isInteger(limit) || limit < 1 || limit > downlineLimitMax) {
      throw new NetworkInputError(`limit must be an integer from 1 to ${downlineLimitMax}`, 'limit', 'invalid');
    }
    // Level 1 from number 0 on: numbers start at 1, and the partner itself (level 0) is never part of a page.
    const after = options.after ? decodeCursor(options.after) : { level: 1, num: 0 };
    const root = await this.database.maybeOne(sql.type(rootRow)`SELECT num FROM partners WHERE id = ${partnerId}`);
    if (!root) throw new PartnerNotFoundError(partnerId);
    if (after.level > maxDepth) return { members: [], nextCursor: null };

    const rows = await this.database.any(sql.type(downlineRow)`
      WITH RECURSIVE probe (id, num, level) AS (
        SELECT id, num, 0 FROM partners WHERE num = ${root.num}
        UNION ALL
        SELECT child.id, child.num, probe.level + 1
        FROM probe JOIN partners child ON child.sponsor_id = probe.id
        WHERE probe.level < ${maxDepth}
      ),
      horizon (level) AS (
        SELECT coalesce(
          (SELECT level FROM probe WHERE (level, num) > (${after.level}, ${after.num}) OFFSET ${limit} LIMIT 1),
          ${maxDepth})
      ),
      tree (id, num, level) AS (
        SELECT id, num, 0 FROM partners WHERE num = ${root.num}
        UNION ALL
        SELECT child.id, child.num, tree.level + 1
        FROM tree JOIN partners child ON child.sponsor_id = tree.id
        WHERE tree.level < (SELECT level FROM horizon)
      ),
      page AS (
        SELECT id, level FROM tree
        WHERE (level, num) > (${after.level}, ${after.num})
        ORDER BY level, num
        LIMIT ${limit + 1}
      )
      SELECT p.id, p.num, page.level, p.name, p.sponsor_id, p.rank, p.status, p.kyc_status, p.joined_at,
             (SELECT count(*)::int FROM partners child WHERE child.sponsor_id = p.id) AS children_count
      FROM page JOIN partners p ON p.id = page.id
      ORDER BY page.level, p.num`);
    const members = rows.slice(0, limit).map((row) => ({
      partnerId: row.id,
      num: row.num,
      level: row.level,
      name: row.name,
      sponsorId: row.sponsor_id,
      rank: row.rank,
      status: row.status,
      kycStatus: row.kyc_status,
      joinedAt: row.joined_at,
      childrenCount: row.children_count,
    }));
    const last = members.at(-1);
    return { members, nextCursor: rows.length > limit && last ? encodeCursor(last.level, last.num) : null };
  }

  /**
   * Records a change of rank, status or KYC status and applies it to the partner, with its audit record, in one
   * transaction. Changes are appended in effective order: one that took effect before the field's last change
   * (or, with none, before the partner joined) is refused, as is one in the future or one that changes nothing.
   */
  async recordChange(input: RecordChangeInput): Promise<PartnerChange> {
    if (!(changeFields as readonly string[]).includes(input.field)) {
      throw new NetworkInputError(`field must be one of ${changeFields.join(', ')}`, 'field', 'invalid');
    }
    const allowed = allowedValues[input.field];
    if (!allowed.includes(input.value)) {
      throw new NetworkInputError(`${input.field} must be one of ${allowed.join(', ')}; got "${input.value}"`, 'value', 'invalid');
    }
    if (input.effectiveAt && Number.isNaN(input.effectiveAt.getTime())) {
      throw new NetworkInputError('effectiveAt is not a valid time', 'effectiveAt', 'invalid');
    }
    if (!input.actor) throw new Error('recordChange needs an actor');
    const column = changeColumns[input.field];
    const given = input.effectiveAt ? sql.timestamp(input.effectiveAt) : null;
    // The field's last effective time: rank and status keep it on the partner row; KYC has no such column, so
    // its last change (or, with none, the joining date) stands in.
    const since =
      input.field === 'rank'
        ? sql.fragment`p.rank_since`
        : input.field === 'status'
          ? sql.fragment`p.status_since`
          : sql.fragment`coalesce((SELECT max(c.effective_at) FROM partner_changes c
                                   WHERE c.partner_id = p.id AND c.field = 'kyc_status'), p.joined_at)`;

    return this.database.transaction(async (transaction) => {
      // Lock first, then read in a statement of its own: under READ COMMITTED it sees the changes committed by
      // whoever held the lock before (a locking read would keep its older view of partner_changes).
      const found = await transaction.exists(sql.unsafe`SELECT 1 FROM partners WHERE id = ${input.partnerId} FOR UPDATE`);
      if (!found) throw new PartnerNotFoundError(input.partnerId);
      // Without a given time the change takes effect now, read after the lock (to the millisecond, which a JS
      // Date keeps whole), and never before the field's last change.
      const partner = await transaction.one(sql.type(lockedPartnerRow)`
        SELECT p.${sql.identifier([column])} AS current_value, s.since,
               to_char(s.since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS since_text,
               e.effective_at,
               e.effective_at < s.since AS before_since,
               ${given}::timestamptz > statement_timestamp() AS in_future
        FROM partners p
        CROSS JOIN LATERAL (SELECT ${since} AS since) s
        CROSS JOIN LATERAL (
          SELECT coalesce(${given}::timestamptz, greatest(
                   -- The last change's time rounded up to a whole millisecond, then the clock's.
                   date_trunc('milliseconds', s.since + interval '999 microseconds'),
                   date_trunc('milliseconds', clock_timestamp()))) AS effective_at
        ) e
        WHERE p.id = ${input.partnerId}`);
      if (partner.in_future) {
        throw new NetworkInputError('effectiveAt is in the future: record a change once it has taken effect', 'effectiveAt', 'invalid');
      }
      if (partner.before_since) {
        throw new NetworkInputError(
          `effectiveAt is before the partner's last ${input.field} change (effective ${partner.since_text}): changes are recorded in effective order`,
          'effectiveAt',
          'conflict',
          'out_of_order',
        );
      }
      if (partner.current_value === input.value) {
        throw new NetworkInputError(`${input.field} is already ${input.value}`, 'value', 'conflict', 'no_change');
      }
      const effectiveAt = sql.timestamp(partner.effective_at);
      const change = await transaction.one(sql.type(changeRow)`
        INSERT INTO partner_changes (partner_id, field, old_value, new_value, effective_at, reason, recorded_by)
        VALUES (${input.partnerId}, ${column}, ${partner.current_value}, ${input.value}, ${effectiveAt},
                ${input.reason ?? null}, ${input.actor})
        RETURNING id, partner_id, field, old_value, new_value, effective_at, reason, recorded_by, recorded_at`);
      const sinceUpdate =
        input.field === 'rank'
          ? sql.fragment`, rank_since = ${effectiveAt}`
          : input.field === 'status'
            ? sql.fragment`, status_since = ${effectiveAt}`
            : sql.fragment``;
      await transaction.query(sql.unsafe`
        UPDATE partners SET ${sql.identifier([column])} = ${input.value} ${sinceUpdate} WHERE id = ${input.partnerId}`);
      await appendAuditRecord(transaction, {
        action: 'PARTNER_CHANGE',
        actor: input.actor,
        targetType: 'partner',
        targetId: input.partnerId,
        reason: input.reason ?? null,
        ip: input.ip ?? null,
        details: {
          changeId: change.id,
          field: input.field,
          oldValue: change.old_value,
          newValue: change.new_value,
          effectiveAt: change.effective_at.toISOString(),
        },
      });
      return toChange(change);
    });
  }

  /** The partner's recorded changes in the order they were recorded (per field, that is effective order). */
  async changes(
    partnerId: string,
    options: { field?: ChangeField; limit?: number; afterId?: string | null } = {},
  ): Promise<{ changes: PartnerChange[]; nextAfterId: string | null }> {
    const limit = options.limit ?? 100;
    const exists = await this.database.exists(sql.unsafe`SELECT 1 FROM partners WHERE id = ${partnerId}`);
    if (!exists) throw new PartnerNotFoundError(partnerId);
    const rows = await this.database.any(sql.type(changeRow)`
      SELECT id, partner_id, field, old_value, new_value, effective_at, reason, recorded_by, recorded_at
      FROM partner_changes
      WHERE partner_id = ${partnerId}
        ${options.field ? sql.fragment`AND field = ${changeColumns[options.field]}` : sql.fragment``}
        ${options.afterId ? sql.fragment`AND id > ${options.afterId}` : sql.fragment``}
      ORDER BY id
      LIMIT ${limit + 1}`);
    const changes = rows.slice(0, limit).map(toChange);
    return { changes, nextAfterId: rows.length > limit ? (changes.at(-1)?.id ?? null) : null };
  }

  /**
   * The partner's rank, status and KYC status as they were at an instant: for each field, the old value of the
   * first change that took effect after it, else the current value. As for balances, a JS time names a whole
   * millisecond: a change effective at 12:00:00.123456 is in effect "as of 12:00:00.123".
   */
  async valuesAsOf(partnerId: string, at: Date, connection: CommonQueryMethods = this.database): Promise<PartnerValues> {
    const after = sql.fragment`${sql.timestamp(at)} + interval '1 millisecond'`;
    const valueAt = (column: string) => sql.fragment`coalesce(
      (SELECT c.old_value FROM partner_changes c
       WHERE c.partner_id = p.id AND c.field = ${column} AND c.effective_at >= ${after}
       ORDER BY c.effective_at, c.id LIMIT 1),
      p.${sql.identifier([column])})`;
    const row = await connection.maybeOne(sql.type(valuesRow)`
      SELECT ${valueAt('rank')} AS rank, ${valueAt('status')} AS status, ${valueAt('kyc_status')} AS kyc_status
      FROM partners p WHERE p.id = ${partnerId}`);
    if (!row) throw new PartnerNotFoundError(partnerId);
    return { rank: row.rank, status: row.status, kycStatus: row.kyc_status };
  }
}
