/**
 * The fuzz suite's engine (issue #16, "A fuzz suite"; docs/rules.md#fuzzing): requests generated from the API's own
 * OpenAPI document — for every operation and every field, values the schema allows and values it does not, plus a
 * corpus of hostile strings — sent through the real app as an admin with every right, a plain admin, a partner and
 * nobody. Each answer is checked: no 5xx; a 4xx in the one error shape; a 400 names its field; a refused request
 * changed no table.
 *
 * Used by the short run in `npm test` (test/api/fuzz.test.ts) and the long one (test/soak/fuzz.ts, `npm run fuzz`).
 */
import fc from 'fast-check';
import pg from 'pg';
import { totpCode, totpStep } from '../../modules/identity/totp.ts';
import { signatureHeaderName, signWebhook } from '../../providers/webhooks.ts';
import { openApiConfiguration } from '../../api/app.ts';
import type { ApiHarness, TestAdmin, TestPartnerUser } from './api.ts';
import { wrongTotp } from './api.ts';

// ---------------------------------------------------------------------------------------------------------------
// The document

type Schema = Record<string, unknown>;

export interface FuzzParameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: Schema;
}

export interface FuzzOperation {
  operationId: string;
  method: string;
  /** The OpenAPI path, `{id}` placeholders included. */
  path: string;
  /** No bearer security: login, health, the signed webhooks. */
  public: boolean;
  parameters: FuzzParameter[];
  body: { contentType: string; schema: Schema } | null;
  /** Takes `X-TOTP-Code` (step-up). */
  stepUp: boolean;
}

type OpenApiDocument = { paths: Record<string, Record<string, Schema>>; components?: Record<string, Record<string, Schema>> };

/** Every operation of the document, its parameters and body schema with every `$ref` resolved. */
/**
 * The signed webhooks read their bodies themselves (after the signature), so the document gives no schema; these
 * say what api/routes/webhooks.ts and api/routes/chargebacks.ts parse, for generating their bodies.
 */
const webhookBodies: Record<string, Schema> = {
  receiveProviderWebhook: {
    type: 'object',
    properties: {
      eventId: { type: 'string', minLength: 1 }, providerReference: { type: 'string', minLength: 1 }, idempotencyKey: { type: 'string', minLength: 1 },
      payoutId: { type: 'string', format: 'uuid' }, status: { enum: ['COMPLETED', 'FAILED'] }, failureCode: { type: 'string' },
      message: { type: 'string' }, occurredAt: { type: 'string', format: 'date-time' },
    },
    required: ['eventId', 'providerReference', 'idempotencyKey', 'payoutId', 'status', 'occurredAt'],
  },
  receiveChargebackWebhook: {
    anyOf: [
      {
        type: 'object',
        properties: {
          type: { enum: ['chargeback.opened'] }, eventId: { type: 'string', minLength: 1, maxLength: 200 }, orderId: { type: 'string', minLength: 1, maxLength: 200 },
          amount: { type: 'string', pattern: '^\\d{1,16}(\\.\\d{1,8})?$' }, currency: { type: 'string' }, providerReference: { type: 'string', pattern: '^[\\x21-\\x7e]{1,200}$' },
          reasonCode: { type: 'string', minLength: 1, maxLength: 100 }, note: { type: 'string', minLength: 1, maxLength: 2000 },
        },
        required: ['type', 'eventId', 'orderId', 'amount', 'currency', 'providerReference', 'reasonCode'],
      },
      {
        type: 'object',
        properties: {
          type: { enum: ['chargeback.decided'] }, eventId: { type: 'string', minLength: 1, maxLength: 200 },
          providerReference: { type: 'string', pattern: '^[\\x21-\\x7e]{1,200}$' }, outcome: { enum: ['WON', 'LOST', 'PARTIAL'] },
          amountWon: { type: 'string', pattern: '^\\d{1,16}(\\.\\d{1,8})?$' }, note: { type: 'string', minLength: 1, maxLength: 2000 },
        },
        required: ['type', 'eventId', 'providerReference', 'outcome'],
      },
    ],
  },
};

export function operationsOf(document: unknown): FuzzOperation[] {
  const doc = document as OpenApiDocument;
  const resolve = (value: unknown, depth = 0): unknown => {
    if (depth > 30) return {};
    if (Array.isArray(value)) return value.map((item) => resolve(item, depth + 1));
    if (value === null || typeof value !== 'object') return value;
    const ref = (value as { $ref?: unknown }).$ref;
    if (typeof ref === 'string') {
      const [, , kind, name] = ref.split('/');
      return resolve(doc.components?.[kind!]?.[name!] ?? {}, depth + 1);
    }
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolve(item, depth + 1)]));
  };
  const operations: FuzzOperation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, raw] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const operation = resolve(raw) as {
        operationId: string;
        security?: unknown[];
        parameters?: FuzzParameter[];
        requestBody?: { content: Record<string, { schema?: Schema }> };
      };
      const parameters = (operation.parameters ?? []).map((parameter) => ({
        name: parameter.name,
        in: parameter.in,
        required: Boolean(parameter.required) || parameter.in === 'path',
        schema: parameter.schema ?? { type: 'string' },
      }));
      const webhookBody = webhookBodies[operation.operationId];
      const [contentType, content] = webhookBody ? ['application/json', { schema: webhookBody }] : Object.entries(operation.requestBody?.content ?? {})[0] ?? [];
      operations.push({
        operationId: operation.operationId,
        method: method.toUpperCase(),
        path,
        public: (operation.security ?? []).length === 0,
        parameters,
        body: contentType ? { contentType, schema: content?.schema ?? {} } : null,
        stepUp: parameters.some((parameter) => parameter.in === 'header' && parameter.name.toLowerCase() === 'x-totp-code'),
      });
    }
  }
  return operations;
}

// ---------------------------------------------------------------------------------------------------------------
// Values

/** A JSON token written as it is (numbers JSON.stringify cannot produce: `1e400`, `-0`, 30 digits). */
export class RawJson {
  constructor(readonly text: string) {}
}

/** JSON text of a value that may hold RawJson tokens and own `__proto__` keys. */
export function toJsonText(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, item: unknown) => {
    if (item instanceof RawJson) {
      raws.push(item.text);
      return `__fuzz_raw_${raws.length - 1}__`;
    }
    return item;
  });
  return text === undefined ? '' : text.replace(/"__fuzz_raw_(\d+)__"/g, (_, index: string) => raws[Number(index)]!);
}

/** Sets an own property, `__proto__` included (plain assignment would change the prototype). */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Strings that have broken parsers before: whitespace and separators around numbers, exponents, other scripts'
 * digits, NUL, signed zeros, huge numbers and lengths, lone surrogates (invalid UTF-16), prototype keys, SQL and HTML
 * specials, spreadsheet formulas, path tricks, impossible dates, near-miss UUIDs.
 */
export const hostileStrings: readonly string[] = [
  '', ' ', '   ', '\t', '\n', '\r\n', '\u00a0', '\u2028', '\u200b', '\ufeff', '\u3000',
  ' 1', '1 ', ' 1 ', '1\n', '1,000', '1 000', '1_000', "1'000", '1.000,50', '1,5',
  '1e5', '1E5', '1e-5', '1e+5', '1e309', '-1e309', '1e-400', '0x10', '0b1', '0o7', 'Infinity', '-Infinity', 'NaN',
  '-0', '+0', '-0.00', '+1', '+1.00', '.5', '5.', '1..2', '1.2.3', '--1', '0.1e1', '00012', '0000.10',
  '١٢٣', '٣', '۱۲۳', '१२३', '１２３', '𝟏𝟐𝟑', '²', '½', 'Ⅻ', '1\u0660',
  '\u0000', 'a\u0000b', '1\u0000', '%00', '\\u0000', '\u0007', '\u001b[31m',
  '9'.repeat(400), `1${'0'.repeat(30)}`, `-${'9'.repeat(40)}`, `0.${'0'.repeat(50)}1`, '9007199254740993', '18446744073709551616',
  '2147483648', '-2147483649', '99999999999999999999.99', '0.005', '1.001', '-1', '-0.01', '0', '0.00',
  'x'.repeat(256), 'x'.repeat(4_097), 'é'.repeat(10_000), 'x'.repeat(100_000),
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf',
  "'", "''", "' OR '1'='1", "'; DROP TABLE partners; --", '"', '\\', '`', '$1', '%', '_', '%%', '\\x00',
  '<script>alert(1)</script>', '&lt;b&gt;', '"><img src=x onerror=alert(1)>', '${7*7}', '{{7*7}}',
  '=cmd|\' /C calc\'!A0', '+SUM(1)', '@SUM(1)', '-2+3',
  '../../etc/passwd', '..', '.', '/', '//', '?', '#', '&', '=', ';', ',', '|', ':', '*',
  '\ud800', '\udc00', 'a\ud800b', '\udfff\ud800', '😀', 'e\u0301', '\u202eabc', 'İ', 'ß', 'ﬀ',
  'null', 'undefined', 'true', 'false', '[]', '{}', '[object Object]',
  '2026-02-30T00:00:00Z', '2026-13-01T00:00:00Z', '2026-01-01T25:00:00Z', '0000-00-00T00:00:00Z', '0001-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999Z', '+275760-09-13T00:00:00.001Z', '-000001-01-01T00:00:00Z', '2026-01-01', '2026-01-01T00:00:00',
  '2026-01-01T00:00:00+25:00', '2026-01-01 00:00:00Z', 'today', '1700000000', '-1700000000000',
  '00000000-0000-0000-0000-000000000000', 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', '{3f2504e0-4f89-11d3-9a0c-0305e82c3301}',
  '3f2504e04f8911d39a0c0305e82c3301', '3f2504e0-4f89-11d3-9a0c-0305e82c330', '3f2504e0-4f89-11d3-9a0c-0305e82c3301 ',
  'USD ', 'usd', 'US', 'USDT', 'XXX', 'RUB\u0000',
];

/** Whether a string can be sent in an HTTP header at all (the fetch API refuses the others before sending). */
function headerSafe(value: string): boolean {
  return /^[\t\x20-\x7e\x80-\xff]*$/.test(value) && value.length < 8_000;
}

const hostileString = fc.constantFrom(...hostileStrings);
/** Any UTF-16 code units, lone surrogates included. */
const anyUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)), maxLength: 40 });
const anyString = fc.oneof(hostileString, hostileString, anyUnits, fc.string({ unit: 'grapheme', maxLength: 40 }));

function nestedArray(depth: number): unknown {
  let value: unknown = [];
  for (let level = 0; level < depth; level += 1) value = [value];
  return value;
}
function nestedObject(depth: number): unknown {
  let value: unknown = {};
  for (let level = 0; level < depth; level += 1) value = { a: value };
  return value;
}

/** A JSON value of the wrong kind for almost any field. */
const wrongJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null, true, false, 0, -1, 1.5, 1e21, Number.MAX_SAFE_INTEGER, -Number.MAX_VALUE, [], {}, [1], ['a'], { value: '1' },
    new RawJson('-0'), new RawJson('1e400'), new RawJson('-1e400'), new RawJson('123456789012345678901234567890'),
    new RawJson('1.0000000000000000000000001'), new RawJson('1E2'), new RawJson('0.1e-400'),
  ),
  fc.integer({ min: 2, max: 2_000 }).map(nestedArray),
  fc.integer({ min: 2, max: 2_000 }).map(nestedObject),
  fc.constant(null).map(() => JSON.parse('{"__proto__": {"admin": true}, "constructor": {"prototype": {"admin": true}}}') as unknown),
  fc.jsonValue({ maxDepth: 3 }),
);

function typesOf(schema: Schema): string[] {
  const type = schema.type;
  if (Array.isArray(type)) return type as string[];
  if (typeof type === 'string') return [type];
  if (schema.properties) return ['object'];
  if (schema.enum) return ['string'];
  return [];
}

/** Values the schema allows (within reason: strings and arrays kept short). `known` supplies real ids by name. */
export function validValue(schema: Schema, name: string, known: KnownValues): fc.Arbitrary<unknown> {
  const variants = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (variants?.length) return fc.oneof(...variants.map((variant) => validValue(variant, name, known)));
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  const knownValues = known(name);
  const types = typesOf(schema);
  if (knownValues && types.includes('string')) return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...knownValues) }, { weight: 1, arbitrary: stringValue(schema) });
  if (types.length > 1) return fc.oneof(...types.map((type) => validValue({ ...schema, type }, name, known)));
  switch (types[0]) {
    case 'string':
      return stringValue(schema);
    case 'integer':
    case 'number': {
      const exclusiveMinimum = typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 1 : undefined;
      const exclusiveMaximum = typeof schema.exclusiveMaximum === 'number' ? schema.exclusiveMaximum - 1 : undefined;
      const min = (schema.minimum as number | undefined) ?? exclusiveMinimum ?? 0;
      const max = (schema.maximum as number | undefined) ?? exclusiveMaximum ?? Math.max(min, 0) + 1_000;
      return fc.integer({ min: Math.ceil(min), max: Math.floor(Math.min(max, Number.MAX_SAFE_INTEGER)) });
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const items = (schema.items ?? {}) as Schema;
      const minLength = (schema.minItems as number | undefined) ?? 0;
      const maxLength = Math.max(minLength, Math.min((schema.maxItems as number | undefined) ?? 3, minLength + 3));
      return fc.array(validValue(items, name.replace(/s$/, ''), known), { minLength, maxLength });
    }
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const required = new Set((schema.required ?? []) as string[]);
      const keys = Object.keys(properties);
      if (keys.length === 0) return fc.constant({});
      const values = Object.fromEntries(keys.map((key) => [key, validValue(properties[key]!, key, known)]));
      // Every optional field half the time: refinements across fields (an amount with its currency) need both.
      return fc.oneof(fc.record(values), fc.record(values, { requiredKeys: keys.filter((key) => required.has(key)) }));
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function stringValue(schema: Schema): fc.Arbitrary<string> {
  const minLength = (schema.minLength as number | undefined) ?? 0;
  const maxLength = Math.min((schema.maxLength as number | undefined) ?? 40, 200);
  if (schema.format === 'uuid') return fc.uuid();
  if (schema.format === 'date-time') {
    return fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-12-31T00:00:00Z'), noInvalidDate: true }).map((date) => date.toISOString());
  }
  if (schema.format === 'date') {
    return fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-12-31T00:00:00Z'), noInvalidDate: true }).map((date) => date.toISOString().slice(0, 10));
  }
  if (typeof schema.pattern === 'string') {
    try {
      const pattern = new RegExp(schema.pattern);
      const schemaMaxLength = (schema.maxLength as number | undefined) ?? Number.POSITIVE_INFINITY;
      return fc.stringMatching(pattern).filter((value) => value.length >= minLength && value.length <= schemaMaxLength);
    } catch {
      // A pattern fast-check cannot generate from: plain strings, which the route may refuse (still a fuzz case).
    }
  }
  return fc.string({ minLength, maxLength: Math.max(minLength, Math.min(maxLength, minLength + 30)) })
    .map((value) => (minLength > 0 && value.trim().length === 0 ? 'x'.repeat(minLength) : value));
}

/** Values the schema refuses, or that sit at its edges, for one field. */
export function invalidValue(schema: Schema): fc.Arbitrary<unknown> {
  const types = typesOf(schema);
  const edges: unknown[] = [];
  if (typeof schema.maxLength === 'number') edges.push('x'.repeat(schema.maxLength + 1), '9'.repeat(schema.maxLength + 1));
  if (typeof schema.minLength === 'number' && schema.minLength > 0) edges.push('x'.repeat(schema.minLength - 1));
  if (typeof schema.minimum === 'number') edges.push(schema.minimum - 1, String(schema.minimum - 1), schema.minimum - 0.5);
  if (typeof schema.maximum === 'number') edges.push(schema.maximum + 1, String(schema.maximum + 1), new RawJson(`${schema.maximum}0`));
  if (Array.isArray(schema.enum)) {
    for (const member of schema.enum.slice(0, 3)) {
      if (typeof member === 'string') edges.push(member.toLowerCase(), ` ${member}`, `${member}\u0000`, member.toUpperCase() + 'X');
    }
  }
  if (types.includes('array')) edges.push(new Array(10_001).fill('x'), [null], [[]], { 0: 'x', length: 1 });
  if (types.includes('object')) edges.push([], 'object', JSON.parse('{"__proto__": {"polluted": true}}'));
  if (types.includes('integer')) edges.push('1', 1.5, new RawJson('1e5'), new RawJson('1.0'), new RawJson('99999999999999999999'));
  if (types.includes('string')) edges.push(1, new RawJson('1e5'), ['x'], { x: 'x' });
  return fc.oneof(
    { weight: 4, arbitrary: anyString },
    { weight: 3, arbitrary: wrongJson },
    { weight: edges.length > 0 ? 3 : 0, arbitrary: edges.length > 0 ? fc.constantFrom(...edges) : fc.constant(null) },
  );
}

/** Real values for a field by its name (a seeded partner's id for `partnerId`), or null for none. */
export type KnownValues = (name: string) => readonly string[] | null;

// ---------------------------------------------------------------------------------------------------------------
// Cases

export type Persona = 'director' | 'admin' | 'partner' | 'anonymous';
export type FuzzMode = 'valid' | 'field' | 'structure';

export interface FuzzCase {
  operationId: string;
  method: string;
  /** Path with its query string, as sent. */
  url: string;
  headers: Record<string, string>;
  /** JSON or other text as sent, or bytes (invalid UTF-8). */
  body?: string | Uint8Array;
  persona: Persona;
  mode: FuzzMode;
  /** The field the case made invalid (`body.amount`, `query.limit`, `params.id`, `headers.idempotency-key`), if any. */
  target?: string;
  /** Sends a TOTP code the server would accept when one of the persona's accounts has one to spare. */
  freshTotp: boolean;
}

interface Draft {
  params: Record<string, string>;
  query: [string, string][];
  headers: Record<string, string>;
  body: unknown;
  /** Set when the body is sent as something other than the JSON of `body`. */
  rawBody?: string | Uint8Array;
  contentType?: string | null;
}

/** The paths of a generated body's fields, and of the optional ones it left out, with their schemas. */
function fieldsOf(schema: Schema, value: unknown, path: (string | number)[] = [], depth = 0): { path: (string | number)[]; schema: Schema; required: boolean }[] {
  if (depth > 6) return [];
  const fields: { path: (string | number)[]; schema: Schema; required: boolean }[] = [];
  const types = typesOf(schema);
  if (types.includes('object') && schema.properties) {
    const required = new Set((schema.required ?? []) as string[]);
    for (const [key, property] of Object.entries(schema.properties as Record<string, Schema>)) {
      const child = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
      fields.push({ path: [...path, key], schema: property, required: required.has(key) });
      fields.push(...fieldsOf(property, child, [...path, key], depth + 1));
    }
  }
  if (types.includes('array') && Array.isArray(value) && value.length > 0) {
    fields.push({ path: [...path, 0], schema: (schema.items ?? {}) as Schema, required: true });
    fields.push(...fieldsOf((schema.items ?? {}) as Schema, value[0], [...path, 0], depth + 1));
  }
  for (const variant of ((schema.anyOf ?? schema.oneOf) as Schema[] | undefined) ?? []) fields.push(...fieldsOf(variant, value, path, depth + 1));
  return fields;
}

function setAt(root: unknown, path: (string | number)[], value: unknown, remove = false): unknown {
  if (path.length === 0) return value;
  const copy = structuredCloneLoose(root);
  let cursor = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) {
    const next = cursor[key];
    if (next === null || typeof next !== 'object') setOwn(cursor as Record<string, unknown>, String(key), typeof key === 'number' ? [] : {});
    cursor = cursor[key] as Record<string | number, unknown>;
  }
  const last = path[path.length - 1]!;
  if (remove) delete cursor[last];
  else if (Array.isArray(cursor) && typeof last === 'number') cursor[last] = value;
  else setOwn(cursor as Record<string, unknown>, String(last), value);
  return copy;
}

/** A deep copy that keeps RawJson tokens and own `__proto__` keys. */
function structuredCloneLoose(value: unknown): unknown {
  if (value instanceof RawJson || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(structuredCloneLoose);
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) setOwn(copy, key, structuredCloneLoose((value as Record<string, unknown>)[key]));
  return copy;
}

function multipartText(boundary: string, field: string, fileName: string, contentType: string, content: string): string {
  return `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${fileName}"\r\nContent-Type: ${contentType}\r\n\r\n${content}\r\n--${boundary}--\r\n`;
}

/** The values of a case before its mutation: the schema's, with known ids where the names say so. */
function draftArbitrary(operation: FuzzOperation, known: KnownValues): fc.Arbitrary<Draft> {
  const paramArbitraries: Record<string, fc.Arbitrary<unknown>> = {};
  const queryArbitraries: Record<string, fc.Arbitrary<unknown>> = {};
  const headerArbitraries: Record<string, fc.Arbitrary<unknown>> = {};
  for (const parameter of operation.parameters) {
    const name = parameter.in === 'path' && parameter.name === 'id' ? idNameOf(operation.path) : parameter.name;
    let arbitrary = validValue(parameter.schema, name, known);
    if (parameter.in === 'header' && parameter.name.toLowerCase() === 'idempotency-key') {
      // A few keys reused across cases reach the "same key, other body" refusal.
      arbitrary = fc.oneof(fc.constantFrom('fuzz-key-1', 'fuzz-key-2'), fc.uuid().map((uuid) => `fuzz-${uuid}`));
    }
    if (parameter.in === 'header' && parameter.name.toLowerCase() === 'x-totp-code') continue; // added when sent
    const target = parameter.in === 'path' ? paramArbitraries : parameter.in === 'query' ? queryArbitraries : headerArbitraries;
    target[parameter.name] = parameter.required || parameter.in === 'path' ? arbitrary : fc.option(arbitrary, { nil: undefined, freq: 2 });
  }
  const bodyArbitrary: fc.Arbitrary<unknown> = operation.body?.contentType === 'application/json'
    ? validValue(operation.body.schema, 'body', known)
    : fc.constant(undefined);
  return fc.record({
    params: fc.record(paramArbitraries),
    query: fc.record(queryArbitraries),
    headers: fc.record(headerArbitraries),
    body: bodyArbitrary,
  }).map(({ params, query, headers, body }) => ({
    params: Object.fromEntries(Object.entries(params).map(([key, value]) => [key, String(value)])),
    query: Object.entries(query).filter(([, value]) => value !== undefined).map(([key, value]) => [key, String(value)] as [string, string]),
    headers: Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== undefined).map(([key, value]) => [key, String(value)])),
    body,
  }));
}

/** What kind of id `{id}` is on this path, for KnownValues (`partnerId` under /v1/partners/{id}). */
function idNameOf(path: string): string {
  const resource = /^\/v1\/(?:ops\/)?([a-z-]+)\/\{id\}/.exec(path)?.[1] ?? 'id';
  return `${resource.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase()).replace(/s$/, '')}Id`;
}

function asText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (typeof value === 'string') return value;
  return toJsonText(value);
}

/** One invalid field: a path, query or header parameter, or a body field (replaced, removed, or added). */
function fieldMutation(operation: FuzzOperation, draft: Draft): fc.Arbitrary<{ draft: Draft; target: string }> {
  const options: fc.Arbitrary<{ draft: Draft; target: string }>[] = [];
  for (const parameter of operation.parameters) {
    const bad = fc.oneof(invalidValue(parameter.schema).map(asText), anyString);
    if (parameter.in === 'path') {
      options.push(bad.map((value) => ({ draft: { ...draft, params: { ...draft.params, [parameter.name]: value } }, target: `params.${parameter.name}` })));
    } else if (parameter.in === 'query') {
      options.push(bad.map((value) => ({ draft: { ...draft, query: [...draft.query.filter(([key]) => key !== parameter.name), [parameter.name, value]] }, target: `query.${parameter.name}` })));
      // The same parameter twice (`?limit=1&limit=x`).
      options.push(bad.map((value) => ({ draft: { ...draft, query: [...draft.query, [parameter.name, '1'], [parameter.name, value]] }, target: `query.${parameter.name}` })));
    } else {
      options.push(bad.filter(headerSafe).map((value) => ({ draft: { ...draft, headers: { ...draft.headers, [parameter.name]: value } }, target: `headers.${parameter.name}` })));
    }
  }
  if (operation.body?.contentType === 'application/json') {
    const fields = fieldsOf(operation.body.schema, draft.body);
    for (const field of fields) {
      const target = ['body', ...field.path].join('.');
      options.push(invalidValue(field.schema).map((value) => ({ draft: { ...draft, body: setAt(draft.body, field.path, value) }, target })));
      if (field.required) options.push(fc.constant({ draft: { ...draft, body: setAt(draft.body, field.path, undefined, true) }, target }));
    }
    // An unknown key at the top (strict bodies refuse it), prototype keys included.
    options.push(fc.constantFrom('__proto__', 'constructor', 'prototype', 'approvedBy', 'id ', '').chain((key) =>
      wrongJson.map((value) => ({ draft: { ...draft, body: setAt(draft.body ?? {}, [key], value) }, target: `body.${key}` }))));
  }
  if (options.length === 0) return fc.constant({ draft, target: 'none' });
  return fc.oneof(...options);
}

const bodyShapes: fc.Arbitrary<{ rawBody: string | Uint8Array; contentType: string | null }> = fc.oneof(
  fc.constantFrom(
    '', ' ', 'null', '[]', '{}', '"text"', '123', 'true', '{', '{"a":', '{"a" 1}', "{'a': 1}", '{"a": 1,}', '{"a": NaN}',
    '{"a": 01}', '{"a": 1e999}', '\ufeff{}', '{"__proto__": {"isAdmin": true}}', '{"constructor": {"prototype": {"x": 1}}}',
    '{"a": "\\ud800"}', '{"a": "\\u0000"}', '{"a": 1, "a": 2}',
  ).map((rawBody) => ({ rawBody, contentType: 'application/json' })),
  fc.constantFrom(`${'['.repeat(100_000)}${']'.repeat(100_000)}`, `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`)
    .map((rawBody) => ({ rawBody, contentType: 'application/json' })),
  fc.constantFrom(
    new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), // {"a":"<invalid UTF-8>"}
    new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]),
    new Uint8Array([0xc0, 0xaf, 0xed, 0xa0, 0x80]),
  ).map((rawBody) => ({ rawBody, contentType: 'application/json' })),
  fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', 'application/json; charset=utf-16',
    'application/xml', 'application/json, text/plain', '').map((contentType) => ({ rawBody: 'a=1&b=2', contentType })),
);

/** Over every route's body limit (api/body-limit.ts); rare, being 17 MiB. */
const oversizedBody = fc.constant(null).map(() => ({ rawBody: 'x'.repeat(17 * 1024 * 1024), contentType: 'application/json' }));

/** The whole request malformed: its body's syntax, encoding, type or size; its media type; or its path. */
function structureMutation(operation: FuzzOperation, draft: Draft): fc.Arbitrary<{ draft: Draft; target: string }> {
  return fc.oneof(
    { weight: 120, arbitrary: bodyShapes.map(({ rawBody, contentType }) => ({ draft: { ...draft, rawBody, contentType }, target: 'body' })) },
    { weight: 40, arbitrary: fc.constant({ draft: { ...draft, body: [draft.body, draft.body] }, target: 'body' }) },
    { weight: 1, arbitrary: oversizedBody.map(({ rawBody, contentType }) => ({ draft: { ...draft, rawBody, contentType }, target: 'body' })) },
    { weight: 40, arbitrary: fc.constantFrom('%', '%ZZ', '%E0%A4%A', '%ED%A0%80', '%C0%AF', '%FF', '%00', '..%2F..%2F', '%252e').map((raw) => ({
      draft: { ...draft, params: Object.fromEntries(Object.keys(draft.params).map((key) => [key, `\u0001raw${raw}`])), query: [...draft.query, ['q', `\u0001raw${raw}`] as [string, string]] },
      target: 'params',
    })) },
  );
}

export interface CaseOptions {
  known: KnownValues;
}

/** Generates the case for one operation: its persona, its mode and its request. */
export function caseArbitrary(operation: FuzzOperation, options: CaseOptions): fc.Arbitrary<FuzzCase> {
  // Signing out ends the session the other cases use; an admin's next sign-in waits for an unused TOTP step, a partner's does not.
  const persona: fc.Arbitrary<Persona> = operation.public
    ? fc.constant<Persona>('anonymous')
    : operation.operationId === 'logOut'
    ? fc.constantFrom<Persona>('partner', 'anonymous')
    : fc.constantFrom<Persona>('director', 'director', 'director', 'director', 'director', 'admin', 'partner', 'partner', 'anonymous');
  return fc.record({
    persona,
    mode: fc.constantFrom<FuzzMode>('valid', 'valid', 'field', 'field', 'field', 'field', 'field', 'structure'),
    freshTotp: fc.boolean(),
    draft: draftArbitrary(operation, options.known),
  }).chain(({ persona, mode, freshTotp, draft }) => {
    const mutated = mode === 'field' ? fieldMutation(operation, draft) : mode === 'structure' ? structureMutation(operation, draft) : fc.constant({ draft, target: undefined as string | undefined });
    return mutated.map(({ draft: final, target }) => toCase(operation, persona, mode, freshTotp, final, target));
  });
}

function encodePart(value: string): string {
  if (value.startsWith('\u0001raw')) return value.slice(4);
  try {
    return encodeURIComponent(value);
  } catch {
    // A lone surrogate cannot be encoded as UTF-8; send its bytes as they would be mis-encoded (invalid UTF-8).
    return [...value].map((character) => {
      const code = character.charCodeAt(0);
      if (code >= 0xd800 && code <= 0xdfff) return `%${(0xe0 | (code >> 12)).toString(16)}%${(0x80 | ((code >> 6) & 0x3f)).toString(16)}%${(0x80 | (code & 0x3f)).toString(16)}`.toUpperCase();
      return encodeURIComponent(character);
    }).join('');
  }
}

function toCase(operation: FuzzOperation, persona: Persona, mode: FuzzMode, freshTotp: boolean, draft: Draft, target: string | undefined): FuzzCase {
  const path = operation.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodePart(draft.params[name] ?? 'x'));
  const query = draft.query.map(([key, value]) => `${encodeURIComponent(key)}=${encodePart(value)}`).join('&');
  const headers: Record<string, string> = { ...draft.headers };
  let body: string | Uint8Array | undefined;
  // A GET cannot carry a body (the fetch API refuses to build one); its structural cases keep their path ones.
  if (draft.rawBody !== undefined && operation.method !== 'GET') {
    body = draft.rawBody;
    if (draft.contentType) headers['content-type'] = draft.contentType;
  } else if (operation.body?.contentType === 'multipart/form-data') {
    const boundary = `fuzz${Math.abs(hashOf(toJsonText(draft.body ?? target ?? ''))).toString(16)}`;
    body = multipartText(boundary, 'file', 'invoice.pdf', 'application/pdf', `%PDF-1.4\n${toJsonText(draft.body ?? '')}`);
    headers['content-type'] = `multipart/form-data; boundary=${boundary}`;
  } else if (draft.body !== undefined && operation.method !== 'GET') {
    body = toJsonText(draft.body);
    headers['content-type'] = 'application/json';
  }
  if (webhookBodies[operation.operationId] && freshTotp) {
    // Signed when sent (the signature covers the time); the other half keeps whatever signature the case has, if any.
    headers[signatureHeaderName.toLowerCase()] ??= signLater;
  }
  return {
    operationId: operation.operationId,
    method: operation.method,
    url: query ? `${path}?${query}` : path,
    headers,
    ...(body !== undefined ? { body } : {}),
    persona,
    mode,
    ...(target !== undefined ? { target } : {}),
    freshTotp,
  };
}

/** Replaced by a valid signature of the body when the case is sent. */
export const signLater = 'sign-when-sent';

function hashOf(text: string): number {
  let hash = 0;
  for (let index = 0; index < text.length; index += 1) hash = (Math.imul(hash, 31) + text.charCodeAt(index)) | 0;
  return hash;
}

// ---------------------------------------------------------------------------------------------------------------
// Running

export interface FuzzFailure {
  kind: 'server_error' | 'error_shape' | 'unnamed_field' | 'write_on_refusal' | 'exception';
  detail: string;
  /** The request as sent, to reproduce it (the persona's token and TOTP code left out). */
  request: ReproducibleRequest;
  status?: number;
  responseBody?: string;
}

export interface ReproducibleRequest {
  operationId: string;
  persona: Persona;
  mode: FuzzMode;
  target?: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  /** Text as sent; bytes as `base64:<...>`; longer than 2,000 characters: its first 200 and its length. */
  body?: string;
}

export interface FuzzReport {
  seed: number;
  requests: number;
  byStatus: Record<string, number>;
  byOperation: Record<string, number>;
  byPersona: Record<string, number>;
  failures: FuzzFailure[];
  /** 400s naming a field other than the one the case made invalid (kept for reading, not failures). */
  otherFieldNamed: number;
  /** 503s of GET /healthz, which names the worker no one runs for the harness's task queue (not failures). */
  healthWithoutWorker: number;
  /** A few of them, to read. */
  otherFieldExamples: string[];
  elapsedMilliseconds: number;
  /** Milliseconds the app took per operation (the snapshots around it not included). */
  millisecondsByOperation: Record<string, number>;
}

interface Account {
  user: TestAdmin | TestPartnerUser;
  token: string;
}

/**
 * Tables a refused request may change, each for a reason: a session's last-seen time moves on every authenticated
 * request, and a TOTP code is spent (users.last_totp_step) before the route decides.
 */
const changedOnRefusal = new Set(['sessions', 'users']);

/**
 * Tables whose purpose is to record refused attempts (docs/rules.md#sign-in, docs/rules.md#api-keys): failed sign-ins
 * and their throttle counters, and every call made with an API key (its bucket and last use on the key's row).
 */
const recordsRefusals = new Set(['sign_in_attempts', 'sign_in_throttles', 'api_key_calls', 'api_keys']);

export interface FuzzerOptions {
  seed: number;
  /** Several directors, so that a fresh TOTP code is usually at hand (each accepts one per 30-s step). */
  directors?: number;
  /** The harness's providerWebhookSecret, to sign webhook bodies (half of the webhook cases are signed). */
  webhookSecret: string;
  log?: (line: string) => void;
}

export class Fuzzer {
  readonly operations: FuzzOperation[];
  private readonly accounts = new Map<Persona, Account[]>();
  private readonly arbitraries = new Map<string, fc.Arbitrary<FuzzCase>>();
  private partnerIds: string[] = [];
  private snapshotClient: pg.Client | null = null;
  private snapshotQuery = '';
  private lastSnapshot: Record<string, string> | null = null;
  readonly report: FuzzReport;

  constructor(private readonly api: ApiHarness, private readonly options: FuzzerOptions) {
    this.operations = operationsOf(api.app.getOpenAPI31Document(openApiConfiguration));
    this.report = { seed: options.seed, requests: 0, byStatus: {}, byOperation: {}, byPersona: {}, failures: [], otherFieldNamed: 0, healthWithoutWorker: 0, otherFieldExamples: [], elapsedMilliseconds: 0, millisecondsByOperation: {} };
  }

  /** Seeds partners and accounts (directors, an admin, a partner user) and prepares the snapshot query. */
  async prepare(): Promise<void> {
    this.partnerIds = [await this.api.createPartner(), await this.api.createPartner()];
    const directors: Account[] = [];
    for (let index = 0; index < (this.options.directors ?? 3); index += 1) {
      const user = await this.api.createAdmin('finance_director');
      directors.push({ user, token: await this.api.signIn(user) });
    }
    this.accounts.set('director', directors);
    const admin = await this.api.createAdmin('admin');
    this.accounts.set('admin', [{ user: admin, token: await this.api.signIn(admin) }]);
    const partnerUser = await this.api.createPartnerUser(this.partnerIds[0]);
    this.accounts.set('partner', [{ user: partnerUser, token: await this.api.signIn(partnerUser) }]);

    this.snapshotClient = new pg.Client({ connectionString: this.api.testDatabase.ownerUrl });
    await this.snapshotClient.connect();
    const { rows } = await this.snapshotClient.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
    );
    // One prepared statement: each table's row count and, unless a refusal may change it, the newest transaction
    // that wrote one of its rows (an INSERT or UPDATE gives the row a new xmin; a DELETE lowers the count).
    this.snapshotQuery = `SELECT ${rows.filter(({ table_name: table }) => !recordsRefusals.has(table)).map(({ table_name: table }) => {
      const name = this.snapshotClient!.escapeIdentifier(table);
      const newest = changedOnRefusal.has(table) ? `''` : `coalesce(max(xmin::text::bigint), 0)`;
      return `(SELECT count(*) || ':' || ${newest} FROM ${name}) AS ${this.snapshotClient!.escapeIdentifier(table)}`;
    }).join(', ')}`;
  }

  private known: KnownValues = (name) => {
    if (/^(partnerId|sponsorId|partner|targetId)$/.test(name)) return this.partnerIds;
    if (name === 'currency') return ['USD', 'RUB', 'EUR'];
    return null;
  };

  async snapshot(): Promise<Record<string, string>> {
    const { rows } = await this.snapshotClient!.query<Record<string, string>>({ name: 'fuzz-snapshot', text: this.snapshotQuery });
    return rows[0]!;
  }

  /** The case for request number `index` of this seed: operations in turn, everything else from the seed. */
  caseAt(index: number): FuzzCase {
    const operation = this.operations[index % this.operations.length]!;
    let arbitrary = this.arbitraries.get(operation.operationId);
    if (!arbitrary) {
      arbitrary = caseArbitrary(operation, { known: this.known });
      this.arbitraries.set(operation.operationId, arbitrary);
    }
    return fc.sample(arbitrary, { seed: (this.options.seed + index * 7_919) | 0, numRuns: 1 })[0]!;
  }

  /** Runs cases `from`..`from + count - 1`, or until `deadline` (ms since the epoch). */
  async run(from: number, count: number, deadline = Number.POSITIVE_INFINITY): Promise<FuzzReport> {
    const startedAt = Date.now();
    for (let index = from; index < from + count && Date.now() < deadline; index += 1) {
      await this.send(this.caseAt(index));
    }
    this.report.elapsedMilliseconds += Date.now() - startedAt;
    return this.report;
  }

  /** Sends one case, checks the answer, and records it. */
  async send(fuzzCase: FuzzCase): Promise<{ status: number; body: string }> {
    const headers = new Headers();
    for (const [name, value] of Object.entries(fuzzCase.headers)) headers.set(name, value);
    const account = await this.accountFor(fuzzCase);
    if (account) headers.set('authorization', `Bearer ${account.token}`);
    const operation = this.operations.find((candidate) => candidate.operationId === fuzzCase.operationId);
    if (operation?.stepUp && !headers.has('x-totp-code') && account && 'totpSecret' in account.user) {
      headers.set('x-totp-code', fuzzCase.freshTotp ? this.spareTotp(account.user) ?? wrongTotp(account.user.totpSecret) : wrongTotp(account.user.totpSecret));
    }
    if (headers.get(signatureHeaderName) === signLater) {
      const rawBody = typeof fuzzCase.body === 'string' ? Buffer.from(fuzzCase.body, 'utf8') : fuzzCase.body ?? new Uint8Array();
      headers.set(signatureHeaderName, signWebhook(rawBody, this.options.webhookSecret));
    }
    const request = reproducible(fuzzCase);
    // The snapshot after the last request is this one's "before": nothing else writes (no worker polls the queue).
    const before = this.lastSnapshot ?? (await this.snapshot());
    let status = 0;
    let text = '';
    const sentAt = performance.now();
    try {
      const response = await this.api.app.request(fuzzCase.url, { method: fuzzCase.method, headers, body: fuzzCase.body });
      status = response.status;
      text = await response.text();
      this.report.millisecondsByOperation[fuzzCase.operationId] = (this.report.millisecondsByOperation[fuzzCase.operationId] ?? 0) + performance.now() - sentAt;
    } catch (error) {
      this.fail({ kind: 'exception', detail: String((error as Error)?.stack ?? error), request });
      this.lastSnapshot = null;
      return { status, body: text };
    }
    this.report.requests += 1;
    this.report.byStatus[status] = (this.report.byStatus[status] ?? 0) + 1;
    this.report.byOperation[fuzzCase.operationId] = (this.report.byOperation[fuzzCase.operationId] ?? 0) + 1;
    this.report.byPersona[fuzzCase.persona] = (this.report.byPersona[fuzzCase.persona] ?? 0) + 1;
    const responseBody = text.slice(0, 500);

    // /healthz answers 503 naming the worker: no worker polls this task queue, which is what it should say.
    if (fuzzCase.operationId === 'getHealth' && status === 503) this.report.healthWithoutWorker += 1;
    else if (status >= 500) {
      this.fail({ kind: 'server_error', detail: `answered ${status}`, request, status, responseBody });
    }
    if (status >= 400 && status < 500) {
      const problem = errorShapeProblem(text);
      if (problem) this.fail({ kind: 'error_shape', detail: problem, request, status, responseBody });
      else if (status === 400) {
        const field = (JSON.parse(text) as { error: { field?: string } }).error.field;
        if (!field) this.fail({ kind: 'unnamed_field', detail: 'a 400 without a field', request, status, responseBody });
        else if (fuzzCase.target && fuzzCase.target !== 'body' && fuzzCase.target !== 'params' && !sameField(field, fuzzCase.target)) {
          this.report.otherFieldNamed += 1;
          if (this.report.otherFieldExamples.length < 30) this.report.otherFieldExamples.push(`${fuzzCase.target} -> ${field}: ${JSON.stringify(request).slice(0, 400)} -> ${responseBody.slice(0, 200)}`);
        }
      }
    }
    this.lastSnapshot = await this.snapshot();
    if (status >= 400) {
      const after = this.lastSnapshot;
      const changed = Object.keys(before).filter((table) => before[table] !== after[table]);
      if (changed.length === 1 && changed[0] === 'audit_records' && (await this.revokedForStepUp(before, after))) changed.pop();
      if (changed.length > 0) this.fail({ kind: 'write_on_refusal', detail: `refused with ${status} but changed ${changed.join(', ')}`, request, status, responseBody });
    }
    if (status === 401 && account && /"field":"Authorization"/.test(text)) {
      await this.renew(fuzzCase.persona, account);
      this.lastSnapshot = await this.snapshot();
    }
    return { status, body: text };
  }

  /**
   * The one write a refusal must make: the step-up code that reaches the session's limit revokes the session and
   * audits it (docs/rules.md#identity), so exactly one new audit record, a SESSION_REVOKE.
   */
  private async revokedForStepUp(before: Record<string, string>, after: Record<string, string>): Promise<boolean> {
    const count = (snapshot: Record<string, string>) => Number(snapshot.audit_records!.split(':')[0]);
    if (count(after) !== count(before) + 1) return false;
    const { rows } = await this.snapshotClient!.query<{ action: string }>('SELECT action FROM audit_records ORDER BY id DESC LIMIT 1');
    return rows[0]?.action === 'SESSION_REVOKE';
  }

  private fail(failure: FuzzFailure): void {
    this.report.failures.push(failure);
    this.options.log?.(`FAILURE ${failure.kind}: ${failure.detail}\n  ${JSON.stringify(failure.request)}${failure.responseBody ? `\n  -> ${failure.responseBody}` : ''}`);
  }

  private async accountFor(fuzzCase: FuzzCase): Promise<Account | null> {
    if (fuzzCase.persona === 'anonymous') return null;
    const accounts = this.accounts.get(fuzzCase.persona) ?? [];
    if (fuzzCase.persona === 'director' && fuzzCase.freshTotp) {
      return accounts.find((account) => 'totpSecret' in account.user && this.hasSpareTotp(account.user)) ?? accounts[0] ?? null;
    }
    return accounts[this.report.requests % Math.max(accounts.length, 1)] ?? null;
  }

  private hasSpareTotp(admin: TestAdmin): boolean {
    const current = totpStep(new Date());
    return admin.lastTotpStep === null || admin.lastTotpStep < current + 1;
  }

  /** A code for a step this admin has not used, without waiting; null when both usable steps are spent. */
  private spareTotp(admin: TestAdmin): string | null {
    if (!this.hasSpareTotp(admin)) return null;
    const current = totpStep(new Date());
    const step = admin.lastTotpStep === null ? current : Math.max(current, admin.lastTotpStep + 1);
    admin.lastTotpStep = step;
    return totpCode(admin.totpSecret, step);
  }

  /** A session the server no longer knows (logged out by a fuzzed request, say): sign in again. */
  private async renew(persona: Persona, account: Account): Promise<void> {
    const check = await this.api.app.request('/v1/auth/me', { headers: { authorization: `Bearer ${account.token}` } });
    if (check.status === 401) {
      this.options.log?.(`the ${persona} session ended; signing in again`);
      account.token = await this.api.signIn(account.user);
    }
  }

  async close(): Promise<void> {
    await this.snapshotClient?.end();
  }
}

/** `body.items.0.amount` names `body.items` too; a header's name is case-insensitive. */
function sameField(named: string, target: string): boolean {
  const a = named.toLowerCase();
  const b = target.toLowerCase().replace(/^headers\./, '');
  return a === target.toLowerCase() || a === b || a.startsWith(`${target.toLowerCase()}.`) || target.toLowerCase().startsWith(`${a}.`) || a === `headers.${b}`;
}

/** What is wrong with an error answer's body, or null when it has the one error shape. */
export function errorShapeProblem(text: string): string | null {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `not JSON: ${text.slice(0, 80)}`;
  }
  const error = (body as { error?: Record<string, unknown> } | null)?.error;
  if (!error || typeof error !== 'object') return 'no `error` object';
  if (typeof error.code !== 'string' || typeof error.message !== 'string') return 'no string `code` and `message`';
  if (error.field !== undefined && (typeof error.field !== 'string' || error.field.length === 0)) return '`field` is not a name';
  const extra = Object.keys(error).filter((key) => !['code', 'message', 'field'].includes(key));
  if (extra.length > 0) return `extra keys ${extra.join(', ')}`;
  if (Object.keys(body as object).length !== 1) return 'keys beside `error`';
  return null;
}

export function reproducible(fuzzCase: FuzzCase): ReproducibleRequest {
  let body: string | undefined;
  if (fuzzCase.body instanceof Uint8Array) body = `base64:${Buffer.from(fuzzCase.body).toString('base64')}`;
  else if (typeof fuzzCase.body === 'string') body = fuzzCase.body.length > 2_000 ? `${fuzzCase.body.slice(0, 200)}… (${fuzzCase.body.length} characters)` : fuzzCase.body;
  return {
    operationId: fuzzCase.operationId,
    persona: fuzzCase.persona,
    mode: fuzzCase.mode,
    ...(fuzzCase.target ? { target: fuzzCase.target } : {}),
    method: fuzzCase.method,
    url: fuzzCase.url,
    headers: fuzzCase.headers,
    ...(body !== undefined ? { body } : {}),
  };
}

/** The report as text: requests, statuses, personas, operations never answered below 400, and each failure. */
export function formatReport(report: FuzzReport, operations: FuzzOperation[]): string {
  const lines = [
    `fuzz: seed ${report.seed}, ${report.requests} requests in ${(report.elapsedMilliseconds / 1_000).toFixed(1)} s over ${Object.keys(report.byOperation).length} of ${operations.length} operations`,
    `  statuses: ${Object.entries(report.byStatus).sort(([a], [b]) => Number(a) - Number(b)).map(([status, count]) => `${status}×${count}`).join(' ')}`,
    `  personas: ${Object.entries(report.byPersona).map(([persona, count]) => `${persona}×${count}`).join(' ')}`,
    `  5xx: ${report.failures.filter((failure) => failure.kind === 'server_error').length}` +
      ` (besides /healthz's 503 naming the worker, which no one runs for the harness's queue: ${report.healthWithoutWorker})`,
    `  400s naming another field than the one made invalid: ${report.otherFieldNamed}`,
    `  slowest operations (ms in the app, requests): ${Object.entries(report.millisecondsByOperation).sort(([, a], [, b]) => b - a).slice(0, 5)
      .map(([operationId, milliseconds]) => `${operationId} ${milliseconds.toFixed(0)}/${report.byOperation[operationId]}`).join(', ')}`,
    `  failures: ${report.failures.length}` +
      ` (${['server_error', 'error_shape', 'unnamed_field', 'write_on_refusal', 'exception'].map((kind) => `${kind} ${report.failures.filter((failure) => failure.kind === kind).length}`).join(', ')})`,
  ];
  for (const failure of report.failures.slice(0, 50)) {
    lines.push(`  - ${failure.kind} (${failure.status ?? '-'}): ${failure.detail}`, `    request: ${JSON.stringify(failure.request)}`);
    if (failure.responseBody) lines.push(`    answer: ${failure.responseBody.slice(0, 300)}`);
  }
  if (report.failures.length > 50) lines.push(`  … and ${report.failures.length - 50} more`);
  return lines.join('\n');
}
