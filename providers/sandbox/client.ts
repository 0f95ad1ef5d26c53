import { z } from 'zod';
import {
  isFailureCode,
  maximumBatchItems,
  providerPayoutRequestSchema,
  providerPayoutStatusSchema,
  ProviderRequestRejectedError,
  ProviderUnavailableError,
  type BatchPayoutProvider,
  type ProviderBatch,
  type ProviderBatchItemResult,
  type ProviderPayoutLookup,
  type ProviderPayoutRequest,
  type ProviderPayoutStatus,
  type ProviderSendResult,
} from '../adapter.ts';

export interface SandboxProviderClientOptions {
  /** The sandbox's base URL, e.g. http://127.0.0.1:4010. */
  baseUrl: string;
  /** Per request, including reading the answer. Default 10 s. */
  timeoutMs?: number;
}

const acceptedSchema = z.object({ providerReference: z.string().min(1), status: z.literal('PENDING') });
const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }) });

const batchAnswerSchema = z.object({
  batchReference: z.string(),
  results: z.array(z.object({ idempotencyKey: z.string().nullable(), httpStatus: z.number().int(), body: z.unknown() })),
});
const statusManyAnswerSchema = z.object({ statuses: z.array(providerPayoutStatusSchema) });

/** The provider's settlement statement of one value date (GET /statements/:day). */
export const settlementStatementSchema = z.object({
  provider: z.string().min(1),
  day: z.string(),
  lines: z.array(
    z.object({
      lineId: z.string().min(1).max(100),
      providerReference: z.string().min(1),
      amount: z.string().regex(/^(0|[1-9]\d{0,17})(\.\d{1,18})?$/),
      currency: z.string().min(3).max(5),
      valueDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
      status: z.literal('SETTLED'),
    }),
  ),
});
export type SettlementStatement = z.infer<typeof settlementStatementSchema>;

/**
 * What an answer to one payout request means (POST /payouts, or one item of a batch). Throws
 * ProviderRequestRejectedError for a refusal that is our bug (400, 409).
 */
function interpretSendAnswer(status: number, body: unknown): ProviderSendResult {
  if (status >= 200 && status < 300) {
    const accepted = acceptedSchema.safeParse(body);
    // Accepted, but with an answer we cannot read: a resend under the same key returns the stored answer.
    if (!accepted.success) return { accepted: false, failureCode: 'PROVIDER_ERROR', message: `sandbox answered ${status} with an unreadable body` };
    return { accepted: true, providerReference: accepted.data.providerReference };
  }
  const error = errorSchema.safeParse(body);
  const message = error.success ? error.data.error.message : `sandbox answered HTTP ${status}`;
  if (status === 504) return { accepted: false, failureCode: 'TIMEOUT', message };
  if (status >= 500) return { accepted: false, failureCode: 'PROVIDER_ERROR', message: `HTTP ${status}: ${message}` };
  if (error.success && isFailureCode(error.data.error.code)) return { accepted: false, failureCode: error.data.error.code, message };
  if (status === 429) return { accepted: false, failureCode: 'LIMIT_EXCEEDED', message };
  throw new ProviderRequestRejectedError(status, error.success ? error.data.error.code : 'UNKNOWN', message, error.success ? error.data.error.field : undefined);
}

type Outcome = { kind: 'response'; response: Response; body: unknown } | { kind: 'timeout' } | { kind: 'unreachable'; message: string };

/** The sandbox provider (providers/sandbox/server.ts) behind the `PayoutProvider` interface. */
export class SandboxProvider implements BatchPayoutProvider {
  readonly name = 'sandbox';
  private readonly baseUrl: string;
  private readonly timeoutMs: number;

  constructor(options: SandboxProviderClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    if (!(this.timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive, got ${options.timeoutMs}`);
    new URL(this.baseUrl);
  }

  async send(request: ProviderPayoutRequest): Promise<ProviderSendResult> {
    // Checked here as well as by the provider: a wrong amount or key must not leave this process.
    const checked = providerPayoutRequestSchema.parse(request);
    const outcome = await this.call('/payouts', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': checked.idempotencyKey },
      body: JSON.stringify(checked),
    });
    if (outcome.kind === 'timeout') {
      return { accepted: false, failureCode: 'TIMEOUT', message: `sandbox did not answer within ${this.timeoutMs} ms; the payout may have been accepted` };
    }
    if (outcome.kind === 'unreachable') return { accepted: false, failureCode: 'PROVIDER_ERROR', message: outcome.message };

    return interpretSendAnswer(outcome.response.status, outcome.body);
  }

  async sendBatch(batch: ProviderBatch): Promise<ProviderBatchItemResult[]> {
    const requests = batch.requests.map((request) => providerPayoutRequestSchema.parse(request));
    if (requests.length === 0) return [];
    if (requests.length > maximumBatchItems) throw new RangeError(`a batch holds at most ${maximumBatchItems} payouts, got ${requests.length}`);
    const outcome = await this.call('/payout-batches', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ batchId: batch.batchId, method: batch.method, items: requests }),
    });
    const everyItem = (result: ProviderSendResult) => requests.map(() => result);
    if (outcome.kind === 'timeout') {
      return everyItem({ accepted: false, failureCode: 'TIMEOUT', message: `sandbox did not answer batch ${batch.batchId} within ${this.timeoutMs} ms; its payouts may have been accepted` });
    }
    if (outcome.kind === 'unreachable') return everyItem({ accepted: false, failureCode: 'PROVIDER_ERROR', message: outcome.message });
    const { response, body } = outcome;
    if (response.status !== 200) {
      // The batch as a whole: a 5xx may have been accepted (ask before resending); a 4xx is our bug.
      const single = (() => {
        try {
          return interpretSendAnswer(response.status, body);
        } catch (error) {
          if (!(error instanceof ProviderRequestRejectedError)) throw error;
          return { accepted: false as const, rejected: { httpStatus: error.httpStatus, code: error.code, message: error.message, ...(error.field === undefined ? {} : { field: error.field }) } };
        }
      })();
      return requests.map(() => single);
    }
    const parsed = batchAnswerSchema.safeParse(body);
    if (!parsed.success || parsed.data.results.length !== requests.length) {
      return everyItem({ accepted: false, failureCode: 'PROVIDER_ERROR', message: `sandbox answered batch ${batch.batchId} with an unreadable body` });
    }
    return parsed.data.results.map((item, index): ProviderBatchItemResult => {
      if (item.idempotencyKey !== null && item.idempotencyKey !== requests[index]!.idempotencyKey) {
        return { accepted: false, failureCode: 'PROVIDER_ERROR', message: `sandbox answered item ${index} of batch ${batch.batchId} for another key` };
      }
      try {
        return interpretSendAnswer(item.httpStatus, item.body);
      } catch (error) {
        if (!(error instanceof ProviderRequestRejectedError)) throw error;
        return { accepted: false, rejected: { httpStatus: error.httpStatus, code: error.code, message: error.message, ...(error.field === undefined ? {} : { field: error.field }) } };
      }
    });
  }

  async statusMany(idempotencyKeys: string[]): Promise<ProviderPayoutStatus[]> {
    if (idempotencyKeys.length === 0) return [];
    const outcome = await this.call('/payouts/status-query', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ idempotencyKeys }),
    });
    if (outcome.kind === 'timeout') throw new ProviderUnavailableError('TIMEOUT', `sandbox did not answer within ${this.timeoutMs} ms`);
    if (outcome.kind === 'unreachable') throw new ProviderUnavailableError('PROVIDER_ERROR', outcome.message);
    const { response, body } = outcome;
    if (response.status >= 500) throw new ProviderUnavailableError(response.status === 504 ? 'TIMEOUT' : 'PROVIDER_ERROR', `sandbox answered HTTP ${response.status}`);
    if (response.status !== 200) {
      const error = errorSchema.safeParse(body);
      throw new ProviderRequestRejectedError(response.status, error.success ? error.data.error.code : 'UNKNOWN', error.success ? error.data.error.message : `sandbox answered HTTP ${response.status}`);
    }
    const parsed = statusManyAnswerSchema.safeParse(body);
    if (!parsed.success || parsed.data.statuses.length !== idempotencyKeys.length) {
      throw new ProviderUnavailableError('PROVIDER_ERROR', 'sandbox answered a status query with an unreadable body');
    }
    return parsed.data.statuses;
  }

  async status(lookup: ProviderPayoutLookup): Promise<ProviderPayoutStatus> {
    const path =
      'providerReference' in lookup
        ? `/payouts/${encodeURIComponent(lookup.providerReference)}`
        : `/payouts?idempotencyKey=${encodeURIComponent(lookup.idempotencyKey)}`;
    const outcome = await this.call(path, { method: 'GET' });
    if (outcome.kind === 'timeout') throw new ProviderUnavailableError('TIMEOUT', `sandbox did not answer within ${this.timeoutMs} ms`);
    if (outcome.kind === 'unreachable') throw new ProviderUnavailableError('PROVIDER_ERROR', outcome.message);
    const { response, body } = outcome;
    if (response.status === 404) return { status: 'NOT_FOUND' };
    if (response.status === 200) {
      const parsed = providerPayoutStatusSchema.safeParse(body);
      if (parsed.success) return parsed.data;
      throw new ProviderUnavailableError('PROVIDER_ERROR', `sandbox answered a status with an unreadable body: ${parsed.error.issues[0]?.message}`);
    }
    if (response.status >= 500) throw new ProviderUnavailableError(response.status === 504 ? 'TIMEOUT' : 'PROVIDER_ERROR', `sandbox answered HTTP ${response.status}`);
    const error = errorSchema.safeParse(body);
    throw new ProviderRequestRejectedError(
      response.status,
      error.success ? error.data.error.code : 'UNKNOWN',
      error.success ? error.data.error.message : `sandbox answered HTTP ${response.status}`,
    );
  }

  /**
   * The settlement statement of a value date (YYYY-MM-DD). Throws ProviderUnavailableError when the sandbox cannot be
   * reached or answers 5xx or unreadably (the caller retries), ProviderRequestRejectedError for a 4xx.
   */
  async settlementStatement(day: string): Promise<SettlementStatement> {
    const outcome = await this.call(`/statements/${encodeURIComponent(day)}`, { method: 'GET' });
    if (outcome.kind === 'timeout') throw new ProviderUnavailableError('TIMEOUT', `sandbox did not answer within ${this.timeoutMs} ms`);
    if (outcome.kind === 'unreachable') throw new ProviderUnavailableError('PROVIDER_ERROR', outcome.message);
    const { response, body } = outcome;
    if (response.status >= 500) throw new ProviderUnavailableError(response.status === 504 ? 'TIMEOUT' : 'PROVIDER_ERROR', `sandbox answered HTTP ${response.status}`);
    if (response.status !== 200) {
      const error = errorSchema.safeParse(body);
      throw new ProviderRequestRejectedError(response.status, error.success ? error.data.error.code : 'UNKNOWN', error.success ? error.data.error.message : `sandbox answered HTTP ${response.status}`);
    }
    const parsed = settlementStatementSchema.safeParse(body);
    if (!parsed.success || parsed.data.day !== day) throw new ProviderUnavailableError('PROVIDER_ERROR', 'sandbox answered a statement with an unreadable body');
    return parsed.data;
  }

  /** One request with the timeout covering the answer's body too. */
  private async call(path: string, init: RequestInit): Promise<Outcome> {
    try {
      const response = await fetch(`${this.baseUrl}${path}`, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
      const text = await response.text();
      let body: unknown = null;
      try {
        body = text === '' ? null : JSON.parse(text);
      } catch {
        body = null;
      }
      return { kind: 'response', response, body };
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') return { kind: 'timeout' };
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      return { kind: 'unreachable', message: `sandbox unreachable: ${cause?.code ?? cause?.message ?? (error as Error).message}` };
    }
  }
}
