import type { SessionUser, StoredSession } from './types.ts';

/**
 * The session of this tab: the bearer token and the signed-in user that POST /v1/auth/login answered, kept in
 * sessionStorage (gone when the tab closes, never shared with another tab).
 */

const storageKey = 'ledgerflow.session';

export function currentSession(): StoredSession | null {
  const raw = sessionStorage.getItem(storageKey);
  if (!raw) return null;
  try {
    const session = JSON.parse(raw) as StoredSession;
    if (new Date(session.expiresAt).getTime() <= Date.now()) {
      sessionStorage.removeItem(storageKey);
      return null;
    }
    return session;
  } catch {
    sessionStorage.removeItem(storageKey);
    return null;
  }
}

export function saveSession(session: StoredSession): void {
  sessionStorage.setItem(storageKey, JSON.stringify(session));
}

export function forgetSession(): void {
  sessionStorage.removeItem(storageKey);
}

export function isAdmin(user: SessionUser | null | undefined): boolean {
  return !!user && user.role !== 'partner';
}

let onSignedOut: () => void = () => {};

/** What to do when the server stops accepting the session (the router goes back to the sign-in page). */
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

/** The server refused the token (expired, revoked): forget it and tell the router. */
export function sessionRefused(): void {
  forgetSession();
  onSignedOut();
}
