import { currentSession, forgetSession, saveSession, sessionRefused } from './session.ts';
import type {
  ApiPath,
  BodyOf,
  BodyOptional,
  HasPathParameters,
  Health,
  Method,
  PathParameters,
  PathsFor,
  QueryOf,
  ResponseOf,
  SessionUser,
  TakesForm,
} from './types.ts';

/**
 * The one way the pages talk to the server: fetch with the session's bearer token, JSON in and out, and the API's
 * single error shape turned into an ApiFailure the pages can show next to the field it names.
 *
 * `api.get('/v1/payouts/{id}', { params: { id } })` names the route by its OpenAPI path, so the path, its parameters,
 * the query names, the body and the answer are all checked against the generated types (types.ts).
 */

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

/**
 * A query value as the pages hold it: text from the URL or a form control, a number, or nothing (left out). The
 * names are checked against the route; the values are the user's input, which the server validates and answers
 * with a 400 naming the field.
 */
export type QueryValue = string | number | undefined | null | false;

type ParametersOption<P extends ApiPath> = HasPathParameters<P> extends true ? { params: PathParameters<P> } : { params?: undefined };
type QueryOption<P extends ApiPath, M extends Method> = [QueryOf<P, M>] extends [never] ? { query?: undefined } : { query?: { [Name in keyof QueryOf<P, M>]?: QueryValue } };
type BodyOption<P extends ApiPath, M extends Method> =
  TakesForm<P, M> extends true
    ? { form: FormData; body?: undefined }
    : [BodyOf<P, M>] extends [never]
      ? { body?: undefined; form?: undefined }
      : BodyOptional<P, M> extends true
        ? { body?: BodyOf<P, M>; form?: undefined }
        : { body: BodyOf<P, M>; form?: undefined };

/** What a call to route P with method M takes besides the path: each part typed by the route. */
export type CallOptions<P extends ApiPath, M extends Method> = ParametersOption<P> &
  QueryOption<P, M> &
  BodyOption<P, M> & {
    /** The step-up TOTP code (X-TOTP-Code) of an approval or a money-moving action. */
    totp?: string;
    idempotencyKey?: string;
  };
/** The options argument: optional when the route needs nothing (no path parameter, no required body). */
type OptionsArgument<P extends ApiPath, M extends Method> = object extends CallOptions<P, M> ? [options?: CallOptions<P, M>] : [options: CallOptions<P, M>];

interface SendOptions {
  method?: string;
  body?: unknown;
  totp?: string;
  idempotencyKey?: string;
  form?: FormData;
}

export function query(parameters: Record<string, QueryValue>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) {
    if (value === undefined || value === null || value === '' || value === false) continue;
    search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

function fill(path: string, parameters: Record<string, string> = {}, search: Record<string, QueryValue> = {}): string {
  const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = parameters[name];
    if (value === undefined) throw new Error(`${path}: no value for the path parameter ${name}`);
    return encodeURIComponent(value);
  });
  return filled + query(search);
}

/** The URL of route P with its path parameters filled in (encoded), for a download link. */
export function apiUrl<P extends PathsFor<'get'>>(path: P, parameters: PathParameters<P>): string {
  return fill(path, parameters);
}

async function call(method: string, path: ApiPath, options: { params?: Record<string, string>; query?: Record<string, QueryValue> } & SendOptions = {}): Promise<unknown> {
  const response = await send(fill(path, options.params, options.query), { ...options, method });
  if (response.status === 204) return undefined;
  return response.json();
}

/** The typed client: one function per HTTP method the console uses, each taking the route's OpenAPI path. */
export const api = {
  get<P extends PathsFor<'get'>>(path: P, ...[options]: OptionsArgument<P, 'get'>): Promise<ResponseOf<P, 'get'>> {
    return call('GET', path, options) as Promise<ResponseOf<P, 'get'>>;
  },
  post<P extends PathsFor<'post'>>(path: P, ...[options]: OptionsArgument<P, 'post'>): Promise<ResponseOf<P, 'post'>> {
    return call('POST', path, options) as Promise<ResponseOf<P, 'post'>>;
  },
  put<P extends PathsFor<'put'>>(path: P, ...[options]: OptionsArgument<P, 'put'>): Promise<ResponseOf<P, 'put'>> {
    return call('PUT', path, options) as Promise<ResponseOf<P, 'put'>>;
  },
};

/** The raw response (for file downloads), after the same error handling. */
async function send(path: string, options: SendOptions = {}): Promise<Response> {
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
    sessionRefused();
  }
  throw new ApiFailure(response.status, code, message, field);
}

export async function signIn(input: BodyOf<'/v1/auth/login', 'post'>): Promise<SessionUser> {
  const session = await api.post('/v1/auth/login', { body: input });
  saveSession(session);
  return session.user;
}

export async function signOut(): Promise<void> {
  try {
    if (currentSession()) await api.post('/v1/auth/logout');
  } catch {
    // Signing out locally is what matters; the server's session expires on its own.
  } finally {
    forgetSession();
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

/**
 * The server's health (GET /healthz, public): which components are up. It answers 503 with the same shape when one
 * is down, so both are read here; null when the server does not answer at all.
 */
export async function fetchHealth(): Promise<Health | null> {
  try {
    const response = await fetch('/healthz', { cache: 'no-store' });
    if (response.status !== 200 && response.status !== 503) return null;
    return (await response.json()) as Health;
  } catch {
    return null;
  }
}

export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}
