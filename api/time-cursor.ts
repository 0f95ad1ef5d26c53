import { z } from 'zod';
import { ApiError } from './errors.ts';

/**
 * The keyset cursor of lists ordered by a timestamp (microseconds, as Postgres keeps it) and then an id: the last
 * row's pair, as base64url JSON. A cursor this API did not issue is a 400 naming `query.cursor`.
 */
export function encodeTimeCursor(time: string, id: string): string {
  return Buffer.from(JSON.stringify([time, id])).toString('base64url');
}

export function decodeTimeCursor(cursor: string): { cursorTime: string; id: string } {
  let decoded: unknown = null;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    // Not JSON: refused below like any other cursor this API did not issue.
  }
  const parsed = z.tuple([z.string().datetime({ precision: 6 }), z.string().uuid()]).safeParse(decoded);
  if (!parsed.success) throw new ApiError(400, 'invalid_request', 'query.cursor is not a cursor this API issued', 'query.cursor');
  return { cursorTime: parsed.data[0], id: parsed.data[1] };
}
