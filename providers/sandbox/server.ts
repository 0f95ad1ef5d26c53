import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import {
  maximumBatchItems,
  providerPayoutRequestSchema,
  type ProviderFailureCode,
  type ProviderPayoutRequest,
  type ProviderWebhookEvent,
} from '../adapter.ts';
import { signatureHeaderName, signWebhook } from '../webhooks.ts';

/**
 * A sandbox payment provider: a real HTTP server that accepts payouts idempotently, settles them after a delay
 * and reports each outcome as a signed webhook, retried until the callback accepts it. State is in memory.
 *
 *   POST /payouts                  ProviderPayoutRequest (key in `Idempotency-Key` or the body) → 202
 *                                  {providerReference, status: 'PENDING'}; the same key and body again → the same
 *                                  answer (`Idempotent-Replayed: true`) and no second payment; the same key with
 *                                  another body → 409 IDEMPOTENCY_CONFLICT
 *   GET  /payouts/:reference       the payout's status (404 NOT_FOUND when unknown)
 *   GET  /payouts?idempotencyKey=  the same, looked up by idempotency key
 *   POST /payout-batches           {batchId, method, items: ProviderPayoutRequest[]} (up to 500, all of `method`)
 *                                  → 200 {batchReference, results: [{idempotencyKey, httpStatus, body}]}: each item
 *                                  answered exactly as POST /payouts would answer it alone (202, 422, 429, 409, 400)
 *   POST /payouts/status-query     {idempotencyKeys: [...]} (up to 500) → 200 {statuses: [...]}, in order, each as
 *                                  GET /payouts?idempotencyKey= shows it, or {status: 'NOT_FOUND', idempotencyKey}
 *   POST /control/next-response    {status: 500 | 'timeout', times?: 1, afterAccepting?: false}: the next `times`
 *                                  POST /payouts or /payout-batches fail with a 500, or get no answer for `hangMs` (longer than any
 *                                  client timeout). With afterAccepting the payout is accepted (and paid) first
 *                                  and only the answer is lost — the case that makes idempotency keys necessary.
 *   DELETE /control/next-response  forgets the queued failures
 *   GET  /control/ledger           {payments: [...]}: every payment actually executed
 *   GET  /statements/:day          the settlement statement of a value date (YYYY-MM-DD): {provider: 'sandbox', day,
 *                                  lines: [{lineId, providerReference, amount, currency, valueDate, status: 'SETTLED'}]},
 *                                  one line per payment executed with that value date, in execution order — unless a
 *                                  statement fault below was queued for the day
 *   POST /control/value-date       {day: 'YYYY-MM-DD' | null}: the value date of the payments settled from now on (null:
 *                                  the UTC day they settle, the default), so a test can settle into a day that has ended
 *   POST /control/statement-faults {day, kind, ...}: make the day's statement disagree with what was settled:
 *                                  `omit` (providerReference) leaves its line out; `amount` (providerReference, amount)
 *                                  states another amount; `split` (providerReference, parts: [amounts]) states it as
 *                                  several lines; `extra` (amount, currency?, reference?) adds a line nothing settled
 *   DELETE /control/statement-faults forgets them
 *
 * Failures by payment details: any value containing `FAIL_<CODE>` (INVALID_ACCOUNT, ACCOUNT_CLOSED,
 * NAME_MISMATCH, LIMIT_EXCEEDED, PROVIDER_ERROR) is accepted with 202 and then fails by webhook with that code;
 * `REJECT_<CODE>` (INVALID_ACCOUNT, ACCOUNT_CLOSED, NAME_MISMATCH: 422; LIMIT_EXCEEDED: 429) is refused at once
 * with `{error: {code: <CODE>, message}}`.
 *
 * Run it: `SANDBOX_WEBHOOK_SECRET=… bun providers/sandbox/server.ts` (SANDBOX_PORT, default 4010;
 * SANDBOX_DELAY_MS, default 200; SANDBOX_HOST, default 127.0.0.1). In tests: `startSandboxProvider`.
 */

export const asynchronousFailureCodes = [
  'INVALID_ACCOUNT',
  'ACCOUNT_CLOSED',
  'NAME_MISMATCH',
  'LIMIT_EXCEEDED',
  'PROVIDER_ERROR',
] as const satisfies readonly ProviderFailureCode[];

export const synchronousFailureCodes = [
  'INVALID_ACCOUNT',
  'ACCOUNT_CLOSED',
  'NAME_MISMATCH',
  'LIMIT_EXCEEDED',
] as const satisfies readonly ProviderFailureCode[];

const failureMessages: Record<ProviderFailureCode, string> = {
  INVALID_ACCOUNT: 'the beneficiary account does not exist',
  ACCOUNT_CLOSED: 'the beneficiary account is closed',
  NAME_MISMATCH: 'the account holder name does not match',
  PROVIDER_ERROR: 'the payment network failed to settle the payout',
  TIMEOUT: 'the payment network did not answer in time',
  LIMIT_EXCEEDED: 'the daily limit for this account is reached',
};

export interface SandboxProviderOptions {
  /** 0 picks a free port. Default 4010. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Shared secret for webhook signatures. */
  secret: string;
  /** From acceptance to settlement and the first webhook delivery. Default 200 ms. */
  delayMs?: number;
  /** Deliveries of one webhook before giving up (the status stays readable through GET). Default 6. */
  webhookAttempts?: number;
  /** Wait before the first redelivery, doubled for each further one. Default 500 ms. */
  webhookBackoffMs?: number;
  /** Per delivery. Default 5 s. */
  webhookTimeoutMs?: number;
  /** How long a `'timeout'` answer is withheld (it is then a 504). Default 30 s. */
  hangMs?: number;
  /** Where to write one line per event; silent by default. */
  log?: (line: string) => void;
}

export interface SandboxPayment {
  providerReference: string;
  idempotencyKey: string;
  payoutId: string;
  amount: string;
  currency: string;
  method: string;
  paymentDetails: Record<string, string>;
  executedAt: string;
  /** The day the statement shows it on (YYYY-MM-DD). */
  valueDate: string;
}

/** One line of a settlement statement (GET /statements/:day). */
export interface SandboxStatementLine {
  lineId: string;
  providerReference: string;
  amount: string;
  currency: string;
  valueDate: string;
  status: 'SETTLED';
}

const statementDaySchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD').refine((text) => {
  const at = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(at.getTime()) && at.toISOString().slice(0, 10) === text;
}, 'not a calendar day');
const amountTextSchema = z.string().regex(/^(0|[1-9]\d{0,17})(\.\d{1,18})?$/, 'a positive decimal amount');

const statementFaultSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('omit'), day: statementDaySchema, providerReference: z.string().min(1) }).strict(),
  z.object({ kind: z.literal('amount'), day: statementDaySchema, providerReference: z.string().min(1), amount: amountTextSchema }).strict(),
  z.object({ kind: z.literal('split'), day: statementDaySchema, providerReference: z.string().min(1), parts: z.array(amountTextSchema).min(2).max(10) }).strict(),
  z.object({ kind: z.literal('extra'), day: statementDaySchema, amount: amountTextSchema, currency: z.string().min(3).max(5).default('USD'), reference: z.string().min(1).optional() }).strict(),
]);
type StatementFault = z.infer<typeof statementFaultSchema>;
const valueDateSchema = z.object({ day: statementDaySchema.nullable() }).strict();

export interface SandboxRequestRecord {
  method: string;
  path: string;
  idempotencyKey: string | null;
  /** POST /payout-batches: the idempotency key of each item (null for an item without a readable one). */
  itemKeys?: (string | null)[];
  /** null while the request has no answer (a withheld 'timeout' answer, or one the client gave up on). */
  responseStatus: number | null;
  receivedAt: string;
}

export interface WebhookDeliveryRecord {
  eventId: string;
  providerReference: string;
  attempt: number;
  callbackUrl: string;
  /** The callback's HTTP status, or null when it could not be reached. */
  responseStatus: number | null;
  error: string | null;
  at: string;
}

export interface RunningSandboxProvider {
  url: string;
  stop(): Promise<void>;
  /** Every request received, in order (copies). */
  requests(): SandboxRequestRecord[];
  /** Every payment executed, in order (copies): the same list as GET /control/ledger. */
  ledger(): SandboxPayment[];
  /** Every webhook delivery attempt, in order (copies). */
  webhookDeliveries(): WebhookDeliveryRecord[];
}

type PayoutStatus = 'PENDING' | 'COMPLETED' | 'FAILED';

interface Payout {
  request: ProviderPayoutRequest;
  providerReference: string;
  status: PayoutStatus;
  failureCode: ProviderFailureCode | null;
  message: string | null;
  acceptedAt: string;
  settledAt: string | null;
}

interface Answer {
  status: number;
  body: unknown;
}

interface KeyRecord {
  requestHash: string;
  answer: Answer;
}

interface QueuedFailure {
  status: 500 | 'timeout';
  remaining: number;
  afterAccepting: boolean;
}

const nextResponseSchema = z
  .object({
    status: z.union([z.literal(500), z.literal('timeout')]),
    times: z.number().int().min(1).max(1_000).default(1),
    afterAccepting: z.boolean().default(false),
  })
  .strict();

const batchSchema = z
  .object({
    batchId: z.string().min(1).max(255),
    method: z.string().min(1).max(64),
    items: z.array(z.unknown()).min(1).max(maximumBatchItems),
  })
  .strict();

const statusQuerySchema = z.object({ idempotencyKeys: z.array(z.string().min(1).max(255)).min(1).max(maximumBatchItems) }).strict();

const maximumBodyBytes = 8 * 1024 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

function errorBody(code: string, message: string, field?: string) {
  return { error: field === undefined ? { code, message } : { code, message, field } };
}

/** JSON with object keys sorted at every level, so the same request always hashes the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function hashRequest(request: ProviderPayoutRequest): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

function magicCode<Code extends ProviderFailureCode>(
  paymentDetails: Record<string, string>,
  prefix: 'FAIL_' | 'REJECT_',
  codes: readonly Code[],
): Code | null {
  for (const value of Object.values(paymentDetails)) {
    for (const code of codes) if (value.includes(`${prefix}${code}`)) return code;
  }
  return null;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maximumBodyBytes) {
        reject(new HttpError(413, 'BODY_TOO_LARGE', `the body exceeds ${maximumBodyBytes} bytes`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'INVALID_JSON', 'the body is not valid JSON');
  }
}

function zodFailure(error: z.ZodError): HttpError {
  const issue = error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : undefined;
  return new HttpError(400, 'INVALID_REQUEST', issue ? `${field ?? 'body'}: ${issue.message}` : 'invalid request', field);
}

function statusView(payout: Payout) {
  return {
    status: payout.status,
    providerReference: payout.providerReference,
    idempotencyKey: payout.request.idempotencyKey,
    payoutId: payout.request.payoutId,
    ...(payout.failureCode === null ? {} : { failureCode: payout.failureCode, message: payout.message ?? '' }),
    amount: payout.request.amount,
    currency: payout.request.currency,
    method: payout.request.method,
    acceptedAt: payout.acceptedAt,
    settledAt: payout.settledAt,
  };
}

export async function startSandboxProvider(options: SandboxProviderOptions): Promise<RunningSandboxProvider> {
  if (options.secret.length === 0) throw new RangeError('the sandbox provider needs a webhook secret');
  const host = options.host ?? '127.0.0.1';
  const delayMs = options.delayMs ?? 200;
  const webhookAttempts = options.webhookAttempts ?? 6;
  const webhookBackoffMs = options.webhookBackoffMs ?? 500;
  const webhookTimeoutMs = options.webhookTimeoutMs ?? 5_000;
  const hangMs = options.hangMs ?? 30_000;
  const log = options.log ?? (() => {});
  for (const [name, value] of Object.entries({ delayMs, webhookBackoffMs, webhookTimeoutMs, hangMs })) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number, got ${value}`);
  }
  if (!Number.isInteger(webhookAttempts) || webhookAttempts < 1) throw new RangeError(`webhookAttempts must be at least 1`);

  const payoutsByReference = new Map<string, Payout>();
  const referencesByKey = new Map<string, string>();
  const keyRecords = new Map<string, KeyRecord>();
  const executedPayments: SandboxPayment[] = [];
  const requestLog: SandboxRequestRecord[] = [];
  const deliveries: WebhookDeliveryRecord[] = [];
  const failureQueue: QueuedFailure[] = [];
  const statementFaults: StatementFault[] = [];
  let valueDateOverride: string | null = null;
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const inFlight = new AbortController();
  let stopped = false;

  const later = (milliseconds: number, task: () => void) => {
    if (stopped) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!stopped) task();
    }, milliseconds);
    timers.add(timer);
  };

  const takeQueuedFailure = (): QueuedFailure | null => {
    const head = failureQueue[0];
    if (!head) return null;
    head.remaining -= 1;
    if (head.remaining === 0) failureQueue.shift();
    return head;
  };

  /** Accepts a valid payout request under its key, or answers as the first request with that key was answered. */
  const acceptPayout = (request: ProviderPayoutRequest): { answer: Answer; replayed: boolean } => {
    // No await from lookup to insert: two concurrent requests with one key cannot both get past this check.
    const requestHash = hashRequest(request);
    const known = keyRecords.get(request.idempotencyKey);
    if (known) {
      if (known.requestHash !== requestHash) {
        throw new HttpError(
          409,
          'IDEMPOTENCY_CONFLICT',
          `idempotency key ${request.idempotencyKey} was used with another request body`,
          'idempotencyKey',
        );
      }
      return { answer: known.answer, replayed: true };
    }

    const rejection = magicCode(request.paymentDetails, 'REJECT_', synchronousFailureCodes);
    if (rejection !== null) {
      const answer = {
        status: rejection === 'LIMIT_EXCEEDED' ? 429 : 422,
        body: errorBody(rejection, `sandbox: ${failureMessages[rejection]}`),
      };
      keyRecords.set(request.idempotencyKey, { requestHash, answer });
      log(`rejected ${request.idempotencyKey}: ${rejection}`);
      return { answer, replayed: false };
    }

    const providerReference = `sbx_${randomBytes(12).toString('hex')}`;
    const payout: Payout = {
      request,
      providerReference,
      status: 'PENDING',
      failureCode: null,
      message: null,
      acceptedAt: new Date().toISOString(),
      settledAt: null,
    };
    const answer = { status: 202, body: { providerReference, status: 'PENDING' } };
    payoutsByReference.set(providerReference, payout);
    referencesByKey.set(request.idempotencyKey, providerReference);
    keyRecords.set(request.idempotencyKey, { requestHash, answer });
    log(`accepted ${request.idempotencyKey} as ${providerReference}: ${request.amount} ${request.currency}`);
    later(delayMs, () => settle(payout));
    return { answer, replayed: false };
  };

  const settle = (payout: Payout) => {
    if (payout.status !== 'PENDING') throw new Error(`payout ${payout.providerReference} settled twice`);
    const failure = magicCode(payout.request.paymentDetails, 'FAIL_', asynchronousFailureCodes);
    payout.settledAt = new Date().toISOString();
    if (failure === null) {
      payout.status = 'COMPLETED';
      executedPayments.push({
        providerReference: payout.providerReference,
        idempotencyKey: payout.request.idempotencyKey,
        payoutId: payout.request.payoutId,
        amount: payout.request.amount,
        currency: payout.request.currency,
        method: payout.request.method,
        paymentDetails: { ...payout.request.paymentDetails },
        executedAt: payout.settledAt,
        valueDate: valueDateOverride ?? payout.settledAt.slice(0, 10),
      });
    } else {
      payout.status = 'FAILED';
      payout.failureCode = failure;
      payout.message = `sandbox: ${failureMessages[failure]}`;
    }
    log(`settled ${payout.providerReference}: ${payout.status}${failure ? ` ${failure}` : ''}`);
    const event: ProviderWebhookEvent = {
      eventId: `evt_${payout.providerReference}`,
      providerReference: payout.providerReference,
      idempotencyKey: payout.request.idempotencyKey,
      payoutId: payout.request.payoutId,
      status: payout.status,
      ...(failure === null ? {} : { failureCode: failure, message: payout.message ?? '' }),
      occurredAt: payout.settledAt,
    };
    void deliverWebhook(payout.request.callbackUrl, event, 1);
  };

  const deliverWebhook = async (callbackUrl: string, event: ProviderWebhookEvent, attempt: number) => {
    if (stopped) return;
    const body = JSON.stringify(event);
    const record: WebhookDeliveryRecord = {
      eventId: event.eventId,
      providerReference: event.providerReference,
      attempt,
      callbackUrl,
      responseStatus: null,
      error: null,
      at: new Date().toISOString(),
    };
    try {
      // Signed at each delivery, so a late redelivery still falls inside the receiver's tolerance window.
      const response = await fetch(callbackUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [signatureHeaderName]: signWebhook(body, options.secret),
          'x-sandbox-delivery-attempt': String(attempt),
        },
        body,
        signal: AbortSignal.any([inFlight.signal, AbortSignal.timeout(webhookTimeoutMs)]),
      });
      record.responseStatus = response.status;
      await response.arrayBuffer().catch(() => undefined);
    } catch (error) {
      record.error = (error as Error).message;
    }
    if (stopped) return;
    deliveries.push(record);
    const delivered = record.responseStatus !== null && record.responseStatus >= 200 && record.responseStatus < 300;
    if (delivered) {
      log(`webhook ${event.eventId} delivered on attempt ${attempt}`);
      return;
    }
    if (attempt >= webhookAttempts) {
      log(`webhook ${event.eventId} given up after ${attempt} attempts (${record.error ?? `HTTP ${record.responseStatus}`})`);
      return;
    }
    const waitMs = webhookBackoffMs * 2 ** (attempt - 1);
    log(`webhook ${event.eventId} attempt ${attempt} failed (${record.error ?? `HTTP ${record.responseStatus}`}); retrying in ${waitMs} ms`);
    later(waitMs, () => void deliverWebhook(callbackUrl, event, attempt + 1));
  };

  const handlePostPayout = async (request: IncomingMessage, record: SandboxRequestRecord): Promise<Answer & { replayed?: boolean; hang?: boolean }> => {
    const headerKey = request.headers['idempotency-key'];
    const failure = takeQueuedFailure();
    if (failure && !failure.afterAccepting) {
      await readBody(request).catch(() => '');
      log(`injected ${failure.status} before accepting`);
      return failure.status === 500
        ? { status: 500, body: errorBody('PROVIDER_ERROR', 'sandbox: injected internal error') }
        : { status: 504, body: errorBody('TIMEOUT', 'sandbox: injected timeout'), hang: true };
    }

    const body = parseJson(await readBody(request));
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new HttpError(400, 'INVALID_REQUEST', 'the body must be a JSON object');
    }
    const bodyKey = (body as Record<string, unknown>).idempotencyKey;
    const key = typeof headerKey === 'string' && headerKey !== '' ? headerKey : bodyKey;
    if (key === undefined) throw new HttpError(400, 'INVALID_REQUEST', 'an Idempotency-Key header or body idempotencyKey is required', 'idempotencyKey');
    if (bodyKey !== undefined && bodyKey !== key) {
      throw new HttpError(400, 'INVALID_REQUEST', 'the Idempotency-Key header and the body idempotencyKey differ', 'idempotencyKey');
    }
    const parsed = providerPayoutRequestSchema.safeParse({ ...body, idempotencyKey: key });
    if (!parsed.success) throw zodFailure(parsed.error);
    record.idempotencyKey = parsed.data.idempotencyKey;

    const { answer, replayed } = acceptPayout(parsed.data);
    if (failure) {
      log(`injected ${failure.status} after accepting ${parsed.data.idempotencyKey}`);
      return failure.status === 500
        ? { status: 500, body: errorBody('PROVIDER_ERROR', 'sandbox: injected internal error') }
        : { status: 504, body: errorBody('TIMEOUT', 'sandbox: injected timeout'), hang: true };
    }
    return { ...answer, replayed };
  };

  const injected = (failure: QueuedFailure): Answer & { hang?: boolean } =>
    failure.status === 500
      ? { status: 500, body: errorBody('PROVIDER_ERROR', 'sandbox: injected internal error') }
      : { status: 504, body: errorBody('TIMEOUT', 'sandbox: injected timeout'), hang: true };

  /** Every item is judged alone, as POST /payouts would judge it; a queued failure hits the batch as a whole. */
  const handlePostBatch = async (request: IncomingMessage, record: SandboxRequestRecord): Promise<Answer & { hang?: boolean }> => {
    const failure = takeQueuedFailure();
    if (failure && !failure.afterAccepting) {
      await readBody(request).catch(() => '');
      log(`injected ${failure.status} before accepting a batch`);
      return injected(failure);
    }
    const parsed = batchSchema.safeParse(parseJson(await readBody(request)));
    if (!parsed.success) throw zodFailure(parsed.error);
    const { batchId, method, items } = parsed.data;
    record.itemKeys = items.map((item) =>
      item !== null && typeof item === 'object' && typeof (item as { idempotencyKey?: unknown }).idempotencyKey === 'string' ? (item as { idempotencyKey: string }).idempotencyKey : null,
    );
    const results = items.map((item, index) => {
      const key = record.itemKeys![index]!;
      const checked = providerPayoutRequestSchema.safeParse(item);
      const refusal = (error: HttpError) => ({
        idempotencyKey: key,
        httpStatus: error.status,
        body: errorBody(error.code, error.message, error.field === undefined ? `items.${index}` : `items.${index}.${error.field}`),
      });
      if (!checked.success) return refusal(zodFailure(checked.error));
      if (checked.data.method !== method) return refusal(new HttpError(400, 'INVALID_REQUEST', `the batch is for ${method}, not ${checked.data.method}`, 'method'));
      try {
        const { answer } = acceptPayout(checked.data);
        return { idempotencyKey: key, httpStatus: answer.status, body: answer.body };
      } catch (error) {
        if (error instanceof HttpError) return refusal(error);
        throw error;
      }
    });
    log(`batch ${batchId} (${method}): ${items.length} item(s)`);
    if (failure) {
      log(`injected ${failure.status} after accepting batch ${batchId}`);
      return injected(failure);
    }
    return { status: 200, body: { batchReference: `sbb_${randomBytes(8).toString('hex')}`, results } };
  };

  const lookupByKey = (key: string): Payout | undefined => {
    const reference = referencesByKey.get(key);
    return reference === undefined ? undefined : payoutsByReference.get(reference);
  };

  /** What the sandbox settled with that value date, as stated (with any fault queued for the day applied). */
  const statementOf = (day: string): SandboxStatementLine[] => {
    const faults = statementFaults.filter((fault) => fault.day === day);
    const lines: SandboxStatementLine[] = [];
    for (const payment of executedPayments) {
      if (payment.valueDate !== day) continue;
      const line: SandboxStatementLine = {
        lineId: `sbl_${payment.providerReference.slice(4)}`,
        providerReference: payment.providerReference,
        amount: payment.amount,
        currency: payment.currency,
        valueDate: payment.valueDate,
        status: 'SETTLED',
      };
      const fault = faults.find((candidate) => 'providerReference' in candidate && candidate.providerReference === payment.providerReference);
      if (fault?.kind === 'omit') continue;
      if (fault?.kind === 'amount') lines.push({ ...line, amount: fault.amount });
      else if (fault?.kind === 'split') fault.parts.forEach((amount, index) => lines.push({ ...line, lineId: `${line.lineId}_${index + 1}`, amount }));
      else lines.push(line);
    }
    faults.forEach((fault, index) => {
      if (fault.kind !== 'extra') return;
      lines.push({
        lineId: `sbl_extra_${day.replaceAll('-', '')}_${index + 1}`,
        providerReference: fault.reference ?? `sbx_unknown_${index + 1}`,
        amount: fault.amount,
        currency: fault.currency,
        valueDate: day,
        status: 'SETTLED',
      });
    });
    return lines;
  };

  const route = async (request: IncomingMessage, record: SandboxRequestRecord): Promise<Answer & { replayed?: boolean; hang?: boolean }> => {
    const url = new URL(request.url ?? '/', 'http://sandbox');
    const method = request.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '') || '/';

    if (path === '/payouts' && method === 'POST') return handlePostPayout(request, record);
    if (path === '/payout-batches' && method === 'POST') return handlePostBatch(request, record);
    if (path === '/payouts/status-query' && method === 'POST') {
      const parsed = statusQuerySchema.safeParse(parseJson(await readBody(request)));
      if (!parsed.success) throw zodFailure(parsed.error);
      const statuses = parsed.data.idempotencyKeys.map((key) => {
        const payout = lookupByKey(key);
        return payout ? statusView(payout) : { status: 'NOT_FOUND', idempotencyKey: key };
      });
      return { status: 200, body: { statuses } };
    }
    if (path === '/payouts' && method === 'GET') {
      const key = url.searchParams.get('idempotencyKey');
      if (!key) throw new HttpError(400, 'INVALID_REQUEST', 'idempotencyKey is required', 'idempotencyKey');
      const reference = referencesByKey.get(key);
      const payout = reference === undefined ? undefined : payoutsByReference.get(reference);
      if (!payout) throw new HttpError(404, 'NOT_FOUND', `no payout with idempotency key ${key}`);
      return { status: 200, body: statusView(payout) };
    }
    const match = /^\/payouts\/([^/]+)$/.exec(path);
    if (match && method === 'GET') {
      const reference = decodeURIComponent(match[1]!);
      const payout = payoutsByReference.get(reference);
      if (!payout) throw new HttpError(404, 'NOT_FOUND', `no payout ${reference}`);
      return { status: 200, body: statusView(payout) };
    }
    if (path === '/control/next-response' && method === 'POST') {
      const parsed = nextResponseSchema.safeParse(parseJson(await readBody(request)));
      if (!parsed.success) throw zodFailure(parsed.error);
      failureQueue.push({ status: parsed.data.status, remaining: parsed.data.times, afterAccepting: parsed.data.afterAccepting });
      return { status: 200, body: { queued: failureQueue.map(({ status, remaining, afterAccepting }) => ({ status, times: remaining, afterAccepting })) } };
    }
    if (path === '/control/next-response' && method === 'DELETE') {
      failureQueue.length = 0;
      return { status: 200, body: { queued: [] } };
    }
    if (path === '/control/ledger' && method === 'GET') {
      return { status: 200, body: { payments: executedPayments } };
    }
    const statementMatch = /^\/statements\/([^/]+)$/.exec(path);
    if (statementMatch && method === 'GET') {
      const day = statementDaySchema.safeParse(decodeURIComponent(statementMatch[1]!));
      if (!day.success) throw new HttpError(400, 'INVALID_REQUEST', `day: ${day.error.issues[0]!.message}`, 'day');
      return { status: 200, body: { provider: 'sandbox', day: day.data, lines: statementOf(day.data) } };
    }
    if (path === '/control/value-date' && method === 'POST') {
      const parsed = valueDateSchema.safeParse(parseJson(await readBody(request)));
      if (!parsed.success) throw zodFailure(parsed.error);
      valueDateOverride = parsed.data.day;
      return { status: 200, body: { day: valueDateOverride } };
    }
    if (path === '/control/statement-faults' && method === 'POST') {
      const parsed = statementFaultSchema.safeParse(parseJson(await readBody(request)));
      if (!parsed.success) throw zodFailure(parsed.error);
      statementFaults.push(parsed.data);
      return { status: 200, body: { faults: statementFaults } };
    }
    if (path === '/control/statement-faults' && method === 'DELETE') {
      statementFaults.length = 0;
      return { status: 200, body: { faults: [] } };
    }
    const known =
      ['/payouts', '/payout-batches', '/payouts/status-query', '/control/next-response', '/control/ledger', '/control/value-date', '/control/statement-faults'].includes(path) ||
      match !== null ||
      statementMatch !== null;
    throw known
      ? new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}`)
      : new HttpError(404, 'NOT_FOUND', `no route ${method} ${path}`);
  };

  const send = (response: ServerResponse, record: SandboxRequestRecord, answer: Answer, replayed = false) => {
    if (response.writableEnded || response.destroyed) return;
    record.responseStatus = answer.status;
    response.writeHead(answer.status, {
      'content-type': 'application/json',
      ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
    });
    response.end(JSON.stringify(answer.body));
  };

  const server = createServer((request, response) => {
    const record: SandboxRequestRecord = {
      method: request.method ?? 'GET',
      path: request.url ?? '/',
      idempotencyKey: typeof request.headers['idempotency-key'] === 'string' ? request.headers['idempotency-key'] : null,
      responseStatus: null,
      receivedAt: new Date().toISOString(),
    };
    requestLog.push(record);
    route(request, record).then(
      (answer) => {
        if (!answer.hang) return send(response, record, answer, answer.replayed);
        // The answer is withheld past any sensible client timeout, then sent as a gateway timeout.
        const timer = setTimeout(() => {
          timers.delete(timer);
          send(response, record, answer);
        }, hangMs);
        timers.add(timer);
        response.once('close', () => {
          clearTimeout(timer);
          timers.delete(timer);
        });
      },
      (error: unknown) => {
        if (error instanceof HttpError) return send(response, record, { status: error.status, body: errorBody(error.code, error.message, error.field) });
        log(`internal error: ${(error as Error).stack ?? String(error)}`);
        send(response, record, { status: 500, body: errorBody('INTERNAL', 'sandbox: unexpected error') });
      },
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4010, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${address.port}`,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      inFlight.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
    requests: () => requestLog.map((record) => ({ ...record, ...(record.itemKeys ? { itemKeys: [...record.itemKeys] } : {}) })),
    ledger: () => executedPayments.map((payment) => ({ ...payment, paymentDetails: { ...payment.paymentDetails } })),
    webhookDeliveries: () => deliveries.map((delivery) => ({ ...delivery })),
  };
}

const environmentSchema = z.object({
  SANDBOX_PORT: z.coerce.number().int().min(0).max(65_535).default(4010),
  SANDBOX_HOST: z.string().min(1).default('127.0.0.1'),
  SANDBOX_WEBHOOK_SECRET: z.string({ required_error: 'is required' }).min(1, 'is required'),
  SANDBOX_DELAY_MS: z.coerce.number().int().min(0).default(200),
});

async function main() {
  const parsed = environmentSchema.safeParse(process.env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    console.error(`sandbox provider: ${issue.path.join('.')} ${issue.message}`);
    process.exit(1);
  }
  const config = parsed.data;
  const sandbox = await startSandboxProvider({
    port: config.SANDBOX_PORT,
    host: config.SANDBOX_HOST,
    secret: config.SANDBOX_WEBHOOK_SECRET,
    delayMs: config.SANDBOX_DELAY_MS,
    log: (line) => console.log(`sandbox provider: ${line}`),
  });
  console.log(`sandbox provider listening on ${sandbox.url} (settles after ${config.SANDBOX_DELAY_MS} ms)`);
  const shutdown = async () => {
    await sandbox.stop();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    console.error(`sandbox provider: ${(error as Error).message}`);
    process.exit(1);
  });
}
