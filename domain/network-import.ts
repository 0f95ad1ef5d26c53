import { z } from 'zod';
import { kycStatuses, partnerStatuses, ranks } from './network.ts';

/**
 * The bulk import of partners (the `network import` command), the part that needs no database: each line checked
 * and kept column by column, then the rows ordered sponsor first, with every line that cannot be placed rejected
 * (a duplicate id, an unknown sponsor, a sponsor cycle, and everything below a rejected row).
 */

/** The same rule as the `partners.id` CHECK constraint (migration 003). */
const partnerIdPattern = /^[A-Za-z0-9_.:-]{1,64}$/;

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

export interface ImportRejection {
  line: number;
  /** The input field at fault (`sponsorId`, `rank`, …), or null when the line as a whole is. */
  field: string | null;
  message: string;
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

/**
 * Checks one input line: a valid one joins `rows`, any other is rejected naming its field. `invalidIdLines` keeps
 * the first invalid line of each id, for the messages of the lines that name it as their sponsor.
 */
export function readImportLine(input: ImportInput, rows: ImportRows, rejected: RejectionList, invalidIdLines: Map<string, number>): void {
  if ('malformed' in input) {
    rejected.add(input.line, input.field ?? null, input.malformed);
    return;
  }
  const parsed = importRowSchema.safeParse(input);
  if (parsed.success) {
    rows.push(input.line, parsed.data);
    return;
  }
  const { field, message } = describeIssue(parsed.error);
  rejected.add(input.line, field, message);
  if (typeof input.id === 'string' && !invalidIdLines.has(input.id)) invalidIdLines.set(input.id, input.line);
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

/** The rejected lines, in any order; reported sorted by line. */
export class RejectionList {
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
