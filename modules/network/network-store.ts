import { randomUUID } from 'node:crypto';
import { sql, type CommonQueryMethods, type DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import { kycStatuses, partnerStatuses, ranks, type KycStatus, type PartnerStatus, type Rank } from '../../domain/network.ts';
import type { Database } from '../../db/pool.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';

/** The partner attributes whose history `partner_changes` keeps, as the API names them. */
export const changeFields = ['rank', 'status', 'kycStatus'] as const;
export type ChangeField = (typeof changeFields)[number];

const changeColumns = { rank: 'rank', status: 'status', kycStatus: 'kyc_status' } as const satisfies Record<ChangeField, string>;
const fieldOfColumn = { rank: 'rank', status: 'status', kyc_status: 'kycStatus' } as const;
const allowedValues: Record<ChangeField, readonly string[]> = { rank: ranks, status: partnerStatuses, kycStatus: kycStatuses };

/** The same rule as the `partners.id` CHECK constraint (migration 003). */
const partnerIdPattern = /^[A-Za-z0-9_.:-]{1,64}$/;

export const downlineLimitMax = 1_000;

export class PartnerNotFoundError extends Error {
  readonly code = 'not_found';
  constructor(readonly partnerId: string) {
    super(`partner ${partnerId} does not exist`);
  }
}

/**
 * A request the network refuses. `field` names the input at fault in the store's terms (`effectiveAt`, `value`,
 * `after`); `kind` tells a malformed input from one the partner's current state does not allow.
 */
export class NetworkInputError extends Error {
  constructor(
    message: string,
    readonly field: string,
    readonly kind: 'invalid' | 'conflict',
    readonly code: string = kind === 'invalid' ? 'invalid_request' : 'conflict',
  ) {
    super(message);
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
const existingRow = z.object({ id: z.string(), sponsor_id: z.string().nullable() });
const insertedRow = z.object({ id: z.string() });

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
 * The partner network: upline and downline reads, the history of rank, status and KYC changes, and the bulk
 * import. A partner's place in the network never changes (a trigger refuses it), so reads need no locks.
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

  /**
   * Imports partners in bulk (the `network import` command). Each line is validated; the good ones are inserted
   * sponsor first — a sponsor may come later in the input or already be in the database — in batches, each in
   * its own transaction with one audit record, so a bad line rejects nothing but itself and its descendants.
   */
  async importPartners(
    lines: Iterable<ImportInput> | AsyncIterable<ImportInput>,
    onProgress: (progress: ImportProgress) => void = () => {},
    options: ImportOptions = {},
  ): Promise<ImportResult> {
    const batchSize = options.batchSize ?? 5_000;
    const concurrency = options.concurrency ?? 2;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error('batchSize must be a positive integer');
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error('concurrency must be a positive integer');
    const actor = options.actor ?? 'system:network-import';
    const importId = options.importId ?? randomUUID();
    const startedAt = performance.now();
    const progressEvery = 10_000;

    // Reading and validating: the rows are kept column by column, which holds a million in little memory.
    const rows = new ImportRows();
    const rejected = new RejectionList();
    /** Ids of lines that failed validation (the first such line of each id), for their descendants' messages. */
    const invalidIdLines = new Map<string, number>();
    let read = 0;
    for await (const input of lines) {
      read += 1;
      if ('malformed' in input) {
        rejected.add(input.line, input.field ?? null, input.malformed);
      } else {
        const parsed = importRowSchema.safeParse(input);
        if (parsed.success) {
          rows.push(input.line, parsed.data);
        } else {
          const { field, message } = describeIssue(parsed.error);
          rejected.add(input.line, field, message);
          if (typeof input.id === 'string' && !invalidIdLines.has(input.id)) invalidIdLines.set(input.id, input.line);
        }
      }
      if (read % progressEvery === 0) onProgress({ phase: 'reading', done: read, total: null, imported: 0, rejected: rejected.size });
    }
    onProgress({ phase: 'reading', done: read, total: read, imported: 0, rejected: rejected.size });

    // What the database already holds of the ids and sponsors the input names.
    onProgress({ phase: 'checking', done: 0, total: rows.length, imported: 0, rejected: rejected.size });
    const existingSponsor = await this.#existingPartners(rows);
    const plan = planImport(rows, existingSponsor, invalidIdLines, rejected);

    // Inserting, sponsor first. Rows of one batch may sponsor each other: the insert keeps their order, and the
    // placing trigger sees the rows inserted before it by the same statement. Batches run on `concurrency`
    // connections at once; a batch waits until every earlier batch holding one of its sponsors has finished.
    const batchCount = Math.ceil(plan.order.length / batchSize);
    const dependsOn = batchDependencies(plan, batchSize);
    const finished: Promise<number>[] = new Array(batchCount);
    const failedIdLines = new Map<string, number>();
    const total = plan.order.length;
    let imported = 0;
    let done = 0;
    let nextBatch = 0;
    let stopped = false;
    onProgress({ phase: 'inserting', done, total, imported, rejected: rejected.size });
    const worker = async () => {
      while (!stopped && nextBatch < batchCount) {
        const batchIndex = nextBatch;
        nextBatch += 1;
        const batch = Array.from(plan.order.subarray(batchIndex * batchSize, Math.min((batchIndex + 1) * batchSize, total)));
        finished[batchIndex] = (async () => {
          // Earlier batches are all started (batches are taken in order); wait for those holding a sponsor, so
          // that their rows are committed and their refusals known.
          for (let earlier = 0; earlier <= dependsOn[batchIndex]!; earlier += 1) await finished[earlier];
          return this.#insertBatch(rows, batch, { actor, importId, batchNumber: batchIndex + 1, failedIdLines, rejected });
        })();
        let insertedCount: number;
        try {
          insertedCount = await finished[batchIndex];
        } catch (error) {
          stopped = true;
          throw error;
        }
        // Added after the await: `imported += await …` would add to the value read before it.
        imported += insertedCount;
        done += batch.length;
        onProgress({ phase: 'inserting', done, total, imported, rejected: rejected.size });
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, batchCount) }, worker));
    return {
      importId,
      read,
      imported,
      rejected: rejected.sorted(),
      elapsedSeconds: (performance.now() - startedAt) / 1_000,
    };
  }

  /** The input's ids and sponsor ids that the database already holds, with their sponsors. */
  async #existingPartners(rows: ImportRows): Promise<Map<string, string | null>> {
    const candidates = new Set<string>(rows.ids);
    for (const sponsorId of rows.sponsorIds) if (sponsorId !== null) candidates.add(sponsorId);
    const ids = [...candidates];
    const existing = new Map<string, string | null>();
    const chunk = 20_000;
    for (let start = 0; start < ids.length; start += chunk) {
      const found = await this.database.any(sql.type(existingRow)`
        SELECT id, sponsor_id FROM partners WHERE id = ANY(${sql.array(ids.slice(start, start + chunk), 'text')})`);
      for (const row of found) existing.set(row.id, row.sponsor_id);
    }
    return existing;
  }

  /**
   * Inserts the rows in order in one transaction with their audit record; returns how many were inserted. When
   * the database refuses the batch for one of its rows, the halves are retried apart until that row is alone.
   */
  async #insertBatch(rows: ImportRows, batch: number[], context: BatchContext): Promise<number> {
    // A row whose sponsor failed in an earlier batch (or half of this one) cannot be placed.
    const placeable: number[] = [];
    for (const index of batch) {
      const sponsorId = rows.sponsorIds[index]!;
      const sponsorLine = sponsorId === null ? undefined : context.failedIdLines.get(sponsorId);
      if (sponsorLine === undefined) {
        placeable.push(index);
      } else {
        context.rejected.add(rows.lines[index]!, 'sponsorId', `sponsor ${sponsorId} was rejected on line ${sponsorLine}`);
        context.failedIdLines.set(rows.ids[index]!, rows.lines[index]!);
      }
    }
    if (placeable.length === 0) return 0;
    try {
      return await this.database.transaction(async (transaction) => this.#insertRows(transaction, rows, placeable, context));
    } catch (error) {
      const sqlState = databaseErrorCode(error);
      // Only a refusal caused by the data is narrowed down; anything else (a lost connection) stops the import.
      if (!sqlState || !/^(22|23|P0)/.test(sqlState)) throw error;
      if (placeable.length === 1) {
        const index = placeable[0]!;
        context.rejected.add(rows.lines[index]!, sqlState === '23503' ? 'sponsorId' : null, `refused by the database: ${databaseErrorMessage(error)}`);
        context.failedIdLines.set(rows.ids[index]!, rows.lines[index]!);
        return 0;
      }
      const middle = Math.ceil(placeable.length / 2);
      const first = await this.#insertBatch(rows, placeable.slice(0, middle), context);
      return first + (await this.#insertBatch(rows, placeable.slice(middle), context));
    }
  }

  async #insertRows(transaction: DatabaseTransactionConnection, rows: ImportRows, batch: number[], context: BatchContext): Promise<number> {
    const column = <T>(values: readonly T[]) => batch.map((index) => values[index]!);
    const inserted = await transaction.any(sql.type(insertedRow)`
      INSERT INTO partners (id, name, sponsor_id, rank, status, kyc_status, joined_at)
      SELECT id, name, sponsor_id, rank, status, kyc_status, joined_at
      FROM unnest(
        ${sql.array(column(rows.ids), 'text')},
        ${sql.array(column(rows.names), 'text')},
        ${sql.array(column(rows.sponsorIds), 'text')},
        ${sql.array(column(rows.ranks), 'text')},
        ${sql.array(column(rows.statuses), 'text')},
        ${sql.array(column(rows.kycStatuses), 'text')},
        ${sql.array(column(rows.joinedAts), 'timestamptz')}
      ) WITH ORDINALITY AS input (id, name, sponsor_id, rank, status, kyc_status, joined_at, position)
      ORDER BY position
      ON CONFLICT (id) DO NOTHING
      RETURNING id`);
    if (inserted.length < batch.length) {
      // Created by someone else since the import checked: the same refusal as for ids found then.
      const insertedIds = new Set(inserted.map((row) => row.id));
      for (const index of batch) {
        if (!insertedIds.has(rows.ids[index]!)) context.rejected.add(rows.lines[index]!, 'id', `partner ${rows.ids[index]} already exists`);
      }
    }
    if (inserted.length > 0) {
      await appendAuditRecord(transaction, {
        action: 'PARTNER_CREATE',
        actor: context.actor,
        targetType: 'partner_import',
        targetId: context.importId,
        details: {
          batch: context.batchNumber,
          count: inserted.length,
          firstLine: rows.lines[batch[0]!],
          lastLine: rows.lines[batch.at(-1)!],
          partnerIds: inserted.map((row) => row.id),
        },
      });
    }
    return inserted.length;
  }
}

interface BatchContext {
  actor: string;
  importId: string;
  batchNumber: number;
  failedIdLines: Map<string, number>;
  rejected: RejectionList;
}

/** One input line, as the reader parsed it (CSV columns renamed to these keys), or a line it could not parse. */
export type ImportInput =
  | ({ line: number } & Partial<Record<ImportField, unknown>>)
  | { line: number; malformed: string; field?: string | null };

export const importFields = ['id', 'name', 'sponsorId', 'rank', 'status', 'kycStatus', 'joinedAt'] as const;
export type ImportField = (typeof importFields)[number];

export interface ImportProgress {
  phase: 'reading' | 'checking' | 'inserting';
  /** Lines read (reading) or rows handled (inserting). */
  done: number;
  /** Rows to insert once known; null while reading. */
  total: number | null;
  imported: number;
  rejected: number;
}

export interface ImportOptions {
  /** Rows per INSERT (and per transaction); 5,000 by default. */
  batchSize?: number;
  /** Batches in flight at once, each on its own connection; 2 by default. */
  concurrency?: number;
  actor?: string;
  /** Names the import in its audit records; a random UUID when absent. */
  importId?: string;
}

export interface ImportRejection {
  line: number;
  /** The input field at fault (`sponsorId`, `rank`, …), or null when the line as a whole is. */
  field: string | null;
  message: string;
}

export interface ImportResult {
  importId: string;
  read: number;
  imported: number;
  rejected: ImportRejection[];
  elapsedSeconds: number;
}

const enumMessage = (name: string, values: readonly string[]) => ({
  errorMap: (issue: z.ZodIssueOptionalMessage, context: z.ErrorMapCtx) =>
    issue.code === 'invalid_enum_value' || issue.code === 'invalid_type'
      ? { message: `${name} must be one of ${values.join(', ')}; got ${JSON.stringify(context.data) ?? 'nothing'}` }
      : { message: context.defaultError },
});

const isoDateTime = z.string().datetime({ offset: true });
const isoDate = /^\d{4}-\d{2}-\d{2}$/;

/**
 * One import line. Everything is required but the sponsor (empty or absent: a root of the network); a joining
 * date without a time is midnight UTC.
 */
const importRowSchema = z
  .object({
    line: z.number().int(),
    id: z.string({ required_error: 'id is required' }).regex(partnerIdPattern, 'id: letters, digits and _.:- only, at most 64'),
    name: z.string({ required_error: 'name is required' }).trim().min(1, 'name is required').max(200, 'name is longer than 200 characters'),
    sponsorId: z.preprocess(
      (value) => (value === '' || value === undefined ? null : value),
      z.string().regex(partnerIdPattern, 'sponsorId: letters, digits and _.:- only, at most 64').nullable(),
    ),
    rank: z.enum(ranks, enumMessage('rank', ranks)),
    status: z.enum(partnerStatuses, enumMessage('status', partnerStatuses)),
    kycStatus: z.enum(kycStatuses, enumMessage('kycStatus', kycStatuses)),
    joinedAt: z
      .string({ required_error: 'joinedAt is required' })
      .refine((value) => isoDate.test(value) || isoDateTime.safeParse(value).success, {
        message: 'joinedAt must be an ISO 8601 date or date-time with offset, such as 2024-05-01 or 2024-05-01T09:30:00Z',
      })
      .transform((value) => (isoDate.test(value) ? `${value}T00:00:00Z` : value))
      .refine(isCalendarDate, { message: 'joinedAt is not a calendar date' }),
  })
  .strict();
type ImportRowValues = z.infer<typeof importRowSchema>;

/** Date.parse takes 2024-02-30 for 2024-03-01; PostgreSQL refuses it. */
function isCalendarDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
  if (!match || Number.isNaN(Date.parse(value))) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function describeIssue(error: z.ZodError): { field: string | null; message: string } {
  const issue = error.issues[0];
  if (!issue) return { field: null, message: 'invalid line' };
  if (issue.code === 'unrecognized_keys') {
    return { field: issue.keys[0] ?? null, message: `unknown field ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}` };
  }
  const field = issue.path.length > 0 ? issue.path.join('.') : null;
  const message = issue.code === 'invalid_type' && issue.received === 'undefined' ? `${field} is required` : issue.message;
  return { field, message };
}

/** The valid rows, column by column; a row is its index. */
export class ImportRows {
  readonly lines: number[] = [];
  readonly ids: string[] = [];
  readonly names: string[] = [];
  readonly sponsorIds: (string | null)[] = [];
  readonly ranks: string[] = [];
  readonly statuses: string[] = [];
  readonly kycStatuses: string[] = [];
  readonly joinedAts: string[] = [];

  get length(): number {
    return this.ids.length;
  }

  push(line: number, row: Omit<ImportRowValues, 'line'>): void {
    this.lines.push(line);
    this.ids.push(row.id);
    this.names.push(row.name);
    this.sponsorIds.push(row.sponsorId);
    // The shared constants rather than a copy per row: a million rows repeat a few strings.
    this.ranks.push(ranks[ranks.indexOf(row.rank)]!);
    this.statuses.push(partnerStatuses[partnerStatuses.indexOf(row.status)]!);
    this.kycStatuses.push(kycStatuses[kycStatuses.indexOf(row.kycStatus)]!);
    this.joinedAts.push(row.joinedAt);
  }
}

class RejectionList {
  readonly #items: ImportRejection[] = [];
  add(line: number, field: string | null, message: string): void {
    this.#items.push({ line, field, message });
  }
  get size(): number {
    return this.#items.length;
  }
  sorted(): ImportRejection[] {
    return [...this.#items].sort((left, right) => left.line - right.line);
  }
}

/**
 * Orders the rows sponsor first and rejects those that cannot be placed: a duplicate id, an id the database
 * holds, an unknown sponsor, a sponsor cycle, and every descendant of a rejected row. Pure: `existingSponsor`
 * is what the database holds of the ids involved (id → its sponsor).
 */
export function planImport(
  rows: ImportRows,
  existingSponsor: ReadonlyMap<string, string | null>,
  invalidIdLines: ReadonlyMap<string, number>,
  rejected: { add(line: number, field: string | null, message: string): void },
): ImportPlan {
  const count = rows.length;
  const firstIndexOfId = new Map<string, number>();
  /** Why each row cannot be placed: 0 placeable, 1 rejected (its descendants follow), 2 exists as it is. */
  const state = new Uint8Array(count);
  const placeable = 0;
  const refused = 1;
  const alreadyThere = 2;

  for (let index = 0; index < count; index += 1) {
    const id = rows.ids[index]!;
    const line = rows.lines[index]!;
    const first = firstIndexOfId.get(id);
    if (first !== undefined) {
      // The first line with this id is the partner; its descendants hang on it.
      state[index] = alreadyThere;
      rejected.add(line, 'id', `id ${id} already appears on line ${rows.lines[first]}`);
      continue;
    }
    firstIndexOfId.set(id, index);
    if (existingSponsor.has(id)) {
      const sponsorThere = existingSponsor.get(id) ?? null;
      if (sponsorThere === rows.sponsorIds[index]) {
        // The same partner, imported before (a re-run): its descendants in the input are placed under it.
        state[index] = alreadyThere;
        rejected.add(line, 'id', `partner ${id} already exists`);
      } else {
        state[index] = refused;
        rejected.add(line, 'id', `partner ${id} already exists with sponsor ${sponsorThere ?? '(none)'}`);
      }
    }
  }

  // Children lists as linked lists in typed arrays: firstChild[sponsor row], nextSibling[row].
  const firstChild = new Int32Array(count).fill(-1);
  const nextSibling = new Int32Array(count).fill(-1);
  const sponsorRow = new Int32Array(count).fill(-1);
  const order = new Int32Array(count);
  let orderLength = 0;
  for (let index = 0; index < count; index += 1) {
    if (state[index] !== placeable) continue;
    const sponsorId = rows.sponsorIds[index]!;
    if (sponsorId === null) {
      order[orderLength++] = index;
      continue;
    }
    if (sponsorId === rows.ids[index]) {
      state[index] = refused;
      rejected.add(rows.lines[index]!, 'sponsorId', `a partner cannot sponsor itself (sponsor cycle ${sponsorId} → ${sponsorId})`);
      continue;
    }
    const sponsorIndex = firstIndexOfId.get(sponsorId);
    if (sponsorIndex !== undefined && state[sponsorIndex] !== alreadyThere) {
      sponsorRow[index] = sponsorIndex;
      nextSibling[index] = firstChild[sponsorIndex]!;
      firstChild[sponsorIndex] = index;
    } else if (sponsorIndex !== undefined || existingSponsor.has(sponsorId)) {
      order[orderLength++] = index;
    } else {
      state[index] = refused;
      const invalidLine = invalidIdLines.get(sponsorId);
      rejected.add(
        rows.lines[index]!,
        'sponsorId',
        invalidLine === undefined
          ? `sponsor ${sponsorId} does not exist (neither in the input nor in the database)`
          : `sponsor ${sponsorId} was rejected on line ${invalidLine}`,
      );
    }
  }
  // Sibling lists were built by prepending; the walk below reverses them back to input order.

  // Breadth first from the placeable roots: every row comes after its sponsor.
  const visited = new Uint8Array(count);
  for (let position = 0; position < orderLength; position += 1) visited[order[position]!] = 1;
  const childrenInOrder: number[] = [];
  for (let position = 0; position < orderLength; position += 1) {
    const parent = order[position]!;
    childrenInOrder.length = 0;
    for (let child = firstChild[parent]!; child !== -1; child = nextSibling[child]!) childrenInOrder.push(child);
    for (let child = childrenInOrder.length - 1; child >= 0; child -= 1) {
      const index = childrenInOrder[child]!;
      visited[index] = 1;
      order[orderLength++] = index;
    }
  }

  // What is left hangs, through its sponsors, on a rejected row or on a cycle. Cycles first, then everything
  // below a rejected row (cycle members included) is rejected naming its sponsor's line.
  const onCycle = new Uint8Array(count);
  const walkMark = new Int32Array(count).fill(-1);
  for (let start = 0; start < count; start += 1) {
    if (visited[start] || state[start] !== placeable || walkMark[start] !== -1) continue;
    let index = start;
    while (index !== -1 && walkMark[index] === -1 && !visited[index] && state[index] === placeable) {
      walkMark[index] = start;
      index = sponsorRow[index]!;
    }
    if (index !== -1 && walkMark[index] === start && !onCycle[index]) {
      const members: number[] = [];
      let member = index;
      do {
        members.push(member);
        member = sponsorRow[member]!;
      } while (member !== index);
      // Shown sponsor after child, as the input declares them: a → its sponsor → … → a.
      const description = [...members, index].map((row) => `${rows.ids[row]} (line ${rows.lines[row]})`).join(' → ');
      for (const row of members) {
        onCycle[row] = 1;
        state[row] = refused;
        rejected.add(rows.lines[row]!, 'sponsorId', `sponsor cycle: ${description}`);
      }
    }
  }
  const stack: number[] = [];
  for (let index = 0; index < count; index += 1) if (state[index] === refused) stack.push(index);
  while (stack.length > 0) {
    const parent = stack.pop()!;
    for (let child = firstChild[parent]!; child !== -1; child = nextSibling[child]!) {
      if (state[child] !== placeable || visited[child]) continue;
      state[child] = refused;
      rejected.add(rows.lines[child]!, 'sponsorId', `sponsor ${rows.ids[parent]} was rejected on line ${rows.lines[parent]}`);
      stack.push(child);
    }
  }
  return { order: order.subarray(0, orderLength), sponsorRow };
}

export interface ImportPlan {
  /** Row indexes, every row after its sponsor. */
  order: Int32Array;
  /** The row index of each row's sponsor when the sponsor is inserted by the same import, else -1. */
  sponsorRow: Int32Array;
}

/** For each batch of the plan's order, the last earlier batch that holds a sponsor of one of its rows (or -1). */
export function batchDependencies(plan: ImportPlan, batchSize: number): Int32Array {
  const position = new Int32Array(plan.sponsorRow.length).fill(-1);
  plan.order.forEach((row, index) => {
    position[row] = index;
  });
  const batchCount = Math.ceil(plan.order.length / batchSize);
  const dependsOn = new Int32Array(batchCount).fill(-1);
  plan.order.forEach((row, index) => {
    const batch = Math.floor(index / batchSize);
    const sponsor = plan.sponsorRow[row]!;
    if (sponsor === -1) return;
    const sponsorBatch = Math.floor(position[sponsor]! / batchSize);
    if (sponsorBatch < batch && sponsorBatch > dependsOn[batch]!) dependsOn[batch] = sponsorBatch;
  });
  return dependsOn;
}

function databaseErrorCode(error: unknown): string | undefined {
  for (let candidate: unknown = error; candidate; candidate = (candidate as { cause?: unknown }).cause) {
    const code = (candidate as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

function databaseErrorMessage(error: unknown): string {
  for (let candidate: unknown = error; candidate; candidate = (candidate as { cause?: unknown }).cause) {
    if (typeof (candidate as { code?: unknown }).code === 'string' && candidate instanceof Error) return candidate.message;
  }
  return error instanceof Error ? error.message : String(error);
}
