import { randomUUID } from 'node:crypto';
import { sql, type DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import {
  batchDependencies,
  ImportRows,
  planImport,
  readImportLine,
  RejectionList,
  type ImportInput,
  type ImportProgress,
  type ImportRejection,
} from '../../domain/network-import.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';

export interface ImportOptions {
  /** Rows per INSERT (and per transaction); 5,000 by default. */
  batchSize?: number;
  /** Batches in flight at once, each on its own connection; 2 by default. */
  concurrency?: number;
  actor?: string;
  /** Names the import in its audit records; a random UUID when absent. */
  importId?: string;
}

export interface ImportResult {
  importId: string;
  read: number;
  imported: number;
  rejected: ImportRejection[];
  elapsedSeconds: number;
}

const existingRow = z.object({ id: z.string(), sponsor_id: z.string().nullable() });
const insertedRow = z.object({ id: z.string() });

interface BatchContext {
  actor: string;
  importId: string;
  batchNumber: number;
  failedIdLines: Map<string, number>;
  rejected: RejectionList;
}

/**
 * Imports partners in bulk (the `network import` command). Each line is validated; the good ones are inserted
 * sponsor first — a sponsor may come later in the input or already be in the database — in batches, each in
 * its own transaction with one audit record, so a bad line rejects nothing but itself and its descendants.
 */
export async function importPartners(
  database: Database,
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
    readImportLine(input, rows, rejected, invalidIdLines);
    if (read % progressEvery === 0) onProgress({ phase: 'reading', done: read, total: null, imported: 0, rejected: rejected.size });
  }
  onProgress({ phase: 'reading', done: read, total: read, imported: 0, rejected: rejected.size });

  // What the database already holds of the ids and sponsors the input names.
  onProgress({ phase: 'checking', done: 0, total: rows.length, imported: 0, rejected: rejected.size });
  const existingSponsor = await existingPartners(database, rows);
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
        return insertBatch(database, rows, batch, { actor, importId, batchNumber: batchIndex + 1, failedIdLines, rejected });
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
async function existingPartners(database: Database, rows: ImportRows): Promise<Map<string, string | null>> {
  const candidates = new Set<string>(rows.ids);
  for (const sponsorId of rows.sponsorIds) if (sponsorId !== null) candidates.add(sponsorId);
  const ids = [...candidates];
  const existing = new Map<string, string | null>();
  const chunk = 20_000;
  for (let start = 0; start < ids.length; start += chunk) {
    const found = await database.any(sql.type(existingRow)`
      SELECT id, sponsor_id FROM partners WHERE id = ANY(${sql.array(ids.slice(start, start + chunk), 'text')})`);
    for (const row of found) existing.set(row.id, row.sponsor_id);
  }
  return existing;
}

/**
 * Inserts the rows in order in one transaction with their audit record; returns how many were inserted. When
 * the database refuses the batch for one of its rows, the halves are retried apart until that row is alone.
 */
async function insertBatch(database: Database, rows: ImportRows, batch: number[], context: BatchContext): Promise<number> {
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
    return await database.transaction(async (transaction) => insertRows(transaction, rows, placeable, context));
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
    const first = await insertBatch(database, rows, placeable.slice(0, middle), context);
    return first + (await insertBatch(database, rows, placeable.slice(middle), context));
  }
}

async function insertRows(transaction: DatabaseTransactionConnection, rows: ImportRows, batch: number[], context: BatchContext): Promise<number> {
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
