import type { components, paths } from './api-types.generated.ts';

/**
 * The console's view of the API, derived from the types generated from /openapi.json (api-types.generated.ts): what
 * each route takes and answers, and the names the pages share for the records they show. Nothing here is written by
 * hand but the derivations, so a route that changes under a page fails the type check of the page.
 */

export type Method = 'get' | 'post' | 'put' | 'delete' | 'patch';
export type ApiPath = keyof paths;

/** The paths that answer `method`. */
export type PathsFor<M extends Method> = { [P in ApiPath]: paths[P] extends { [K in M]: object } ? P : never }[ApiPath];

export type Operation<P extends ApiPath, M extends Method> = paths[P] extends { [K in M]: infer O } ? O : never;

type JsonContent<T> = T extends { content: { 'application/json': infer Body } } ? Body : never;
type MultipartContent<T> = T extends { content: { 'multipart/form-data': infer Body } } ? Body : never;
type SuccessStatus = 200 | 201 | 202 | 203 | 206;
type Responses<P extends ApiPath, M extends Method> = Operation<P, M> extends { responses: infer R } ? R : never;

/** The JSON a route answers with when it succeeds (undefined for 204 No Content); one of several when it has several. */
export type ResponseOf<P extends ApiPath, M extends Method> = {
  [S in keyof Responses<P, M>]: S extends SuccessStatus ? JsonContent<Responses<P, M>[S]> : S extends 204 ? undefined : never;
}[keyof Responses<P, M>];

type RequestBody<P extends ApiPath, M extends Method> = Operation<P, M> extends { requestBody?: infer B } ? B : never;
/** The JSON body a route takes (never when it takes none). */
export type BodyOf<P extends ApiPath, M extends Method> = JsonContent<NonNullable<RequestBody<P, M>>>;
/** True when the route takes a multipart form (file uploads). */
export type TakesForm<P extends ApiPath, M extends Method> = [MultipartContent<NonNullable<RequestBody<P, M>>>] extends [never] ? false : true;
/** True when the route's body may be left out. */
export type BodyOptional<P extends ApiPath, M extends Method> = undefined extends RequestBody<P, M> ? true : false;

/** The query parameters a route reads (never when it reads none). */
export type QueryOf<P extends ApiPath, M extends Method> = Operation<P, M> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

type ParameterNames<P extends string> = P extends `${string}{${infer Name}}${infer Rest}` ? Name | ParameterNames<Rest> : never;
/** The path parameters of a route, by the names in its template ('/v1/payouts/{id}' → { id }). */
export type PathParameters<P extends string> = { [Name in ParameterNames<P>]: string };
export type HasPathParameters<P extends string> = [ParameterNames<P>] extends [never] ? false : true;

type Schemas = components['schemas'];

// The records several pages show.
export type Payout = Schemas['Payout'];
export type PaymentMethod = Schemas['PaymentMethod'];
/** One currency's buckets. */
export type Balances = Schemas['Balances']['balances'][number];
export type Commission = Schemas['Commission'];
export type AuditRecord = Schemas['AuditTrailRecord'];
/** What GET /healthz answers, 200 and 503 alike: each component up or down. */
export type Health = Schemas['Health'];

/** What POST /v1/auth/login answers, kept in sessionStorage. */
export type StoredSession = ResponseOf<'/v1/auth/login', 'post'>;
export type SessionUser = StoredSession['user'];
export type UserRole = SessionUser['role'];
