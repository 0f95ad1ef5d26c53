import { z } from 'zod';
import {
  isFailureCode,
  providerPayoutRequestSchema,
  providerPayoutStatusSchema,
  ProviderRequestRejectedError,
  ProviderUnavailableError,
  type PayoutProvider,
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

type Outcome = { kind: 'response'; response: Response; body: unknown } | { kind: 'timeout' } | { kind: 'unreachable'; message: string };

/** The sandbox provider (providers/sandbox/server.ts) behind the `PayoutProvider` interface. */
export class SandboxProvider implements PayoutProvider {
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

    const { response, body } = outcome;
    if (response.status >= 200 && response.status < 300) {
      const accepted = acceptedSchema.safeParse(body);
      // Accepted, but with an answer we cannot read: a resend under the same key returns the stored answer.
      if (!accepted.success) return { accepted: false, failureCode: 'PROVIDER_ERROR', message: `sandbox answered ${response.status} with an unreadable body` };
      return { accepted: true, providerReference: accepted.data.providerReference };
    }
    const error = errorSchema.safeParse(body);
    const message = error.success ? error.data.error.message : `sandbox answered HTTP ${response.status}`;
    if (response.status === 504) return { accepted: false, failureCode: 'TIMEOUT', message };
    if (response.status >= 500) return { accepted: false, failureCode: 'PROVIDER_ERROR', message: `HTTP ${response.status}: ${message}` };
    if (error.success && isFailureCode(error.data.error.code)) return { accepted: false, failureCode: error.data.error.code, message };
    if (response.status === 429) return { accepted: false, failureCode: 'LIMIT_EXCEEDED', message };
    throw new ProviderRequestRejectedError(response.status, error.success ? error.data.error.code : 'UNKNOWN', message, error.success ? error.data.error.field : undefined);
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
