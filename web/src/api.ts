/**
 * The one way the pages talk to the server: fetch with the session's bearer token, JSON in and out, and the API's
 * single error shape turned into an ApiFailure the pages can show next to the field it names.
 */

export type UserRole = 'partner' | 'admin' | 'senior_admin' | 'finance_manager' | 'finance_director' | 'financial_support';

export interface SessionUser {
  id: string;
  email: string;
  role: UserRole;
  partnerId: string | null;
}

interface StoredSession {
  token: string;
  expiresAt: string;
  user: SessionUser;
}

const storageKey = 'ledgerflow.session';

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field: string | undefined,
  ) {
    super(message);
  }
}

/** The session of this tab (sessionStorage: gone when the tab closes, never shared with another tab). */
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

export function isAdmin(user: SessionUser | null | undefined): boolean {
  return !!user && user.role !== 'partner';
}

let onUnauthenticated: () => void = () => {};
export function whenSignedOut(handler: () => void): void {
  onUnauthenticated = handler;
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  totp?: string;
  idempotencyKey?: string;
  form?: FormData;
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await send(path, options);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** The raw response (for file downloads), after the same error handling. */
export async function send(path: string, options: RequestOptions = {}): Promise<Response> {
  const headers = new Headers();
  const session = currentSession();
  if (session) headers.set('authorization', `Bearer ${session.token}`);
  if (options.totp) headers.set('x-totp-code', options.totp);
  if (options.idempotencyKey) headers.set('idempotency-key', options.idempotencyKey);
  let body: BodyInit | undefined;
  if (options.form) body = options.form;
  else if (options.body !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(options.body);
  }
  const method = options.method ?? (body === undefined ? 'GET' : 'POST');
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body });
  } catch {
    throw new ApiFailure(0, 'network', 'The server did not answer. Check your connection and try again.', undefined);
  }
  if (response.ok) return response;
  let code = 'error';
  let message = `The server answered ${response.status}`;
  let field: string | undefined;
  try {
    const parsed = (await response.json()) as { error?: { code?: string; message?: string; field?: string } };
    if (parsed.error) {
      code = parsed.error.code ?? code;
      message = parsed.error.message ?? message;
      field = parsed.error.field;
    }
  } catch {
    // Not the API's error shape; the status says enough.
  }
  // A session the server no longer accepts (expired, revoked): back to the sign-in page. A wrong step-up TOTP code
  // is also a 401, but it names the X-TOTP-Code header and must stay on the page.
  if (response.status === 401 && field !== 'X-TOTP-Code' && path !== '/v1/auth/login') {
    sessionStorage.removeItem(storageKey);
    onUnauthenticated();
  }
  throw new ApiFailure(response.status, code, message, field);
}

export async function signIn(input: { email: string; password: string; totp?: string }): Promise<SessionUser> {
  const session = await request<StoredSession>('/v1/auth/login', { body: input });
  sessionStorage.setItem(storageKey, JSON.stringify(session));
  return session.user;
}

export async function signOut(): Promise<void> {
  try {
    if (currentSession()) await send('/v1/auth/logout', { method: 'POST' });
  } catch {
    // Signing out locally is what matters; the server's session expires on its own.
  } finally {
    sessionStorage.removeItem(storageKey);
  }
}

/** Saves a download the API serves behind the bearer token (exports, invoices) under the server's file name. */
export async function download(path: string, fallbackName: string): Promise<void> {
  const response = await send(path);
  const disposition = response.headers.get('content-disposition') ?? '';
  const match = /filename="?([^";]+)"?/.exec(disposition);
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = match?.[1] ?? fallbackName;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function query(parameters: Record<string, string | number | undefined | null | false>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) {
    if (value === undefined || value === null || value === '' || value === false) continue;
    search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}
