import { BackendTerminatedError, BackendTerminatedUnexpectedlyError, ConnectionError } from 'slonik';

/**
 * SQLSTATEs of a server that is not there for us: class 08 (connection exception), and a server shutting down
 * (57P01 admin_shutdown, 57P02 crash_shutdown) or still starting or recovering (57P03 cannot_connect_now).
 */
const unavailableStates = /^(08...|57P0[123])$/;
/** What the socket says when nothing listens or the server went away. */
const unavailableSocketCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

/**
 * Whether an error means PostgreSQL could not be reached or is restarting — not that a statement was wrong: a
 * connection refused, lost mid-query or timed out, or a server starting up or shutting down. The API answers those
 * 503 naming the database (docs/decisions.md, "The fault-injection run"), as it answers Temporal's absence.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth += 1) {
    if (current instanceof ConnectionError || current instanceof BackendTerminatedError || current instanceof BackendTerminatedUnexpectedlyError) {
      return true;
    }
    const { code } = current as { code?: unknown };
    if (typeof code === 'string' && (unavailableStates.test(code) || unavailableSocketCodes.has(code))) return true;
    if (/^Connection terminated/.test(current.message)) return true;
    current = current.cause;
  }
  return false;
}
