import { randomUUID } from 'node:crypto';
import {
  maximumBatchItems,
  ProviderRequestRejectedError,
  type BatchPayoutProvider,
  type PayoutProvider,
  type ProviderBatch,
  type ProviderBatchItemResult,
  type ProviderPayoutLookup,
  type ProviderPayoutRequest,
  type ProviderPayoutStatus,
  type ProviderSendResult,
} from './adapter.ts';

/**
 * The "approved payouts are batched by payment method and sent to the method's provider adapter" in docs/rules.md#payout-batches, done where
 * the payouts meet: in the worker. Every payout's workflow still sends its own attempt (its activity, its
 * idempotency key, its retries), and this adapter gathers the sends that arrive within `maxWaitMs` of each other
 * into one batch per method (at most `maxItems`), and the status questions into one query. A payout's exactly-once
 * guarantee does not depend on the batch: each item keeps its key, and an item whose batch got no answer is asked
 * about (or resent under the same key) by its own activity's retry.
 *
 * Each batch is recorded before it is sent and again with its answer (`BatchRecorder`), so ops can see what went
 * to the provider together, including a batch whose worker died while sending.
 */
export interface BatchingOptions {
  /** A batch is sent as soon as it holds this many payouts. */
  maxItems: number;
  /** ... or this long after its first payout arrived. */
  maxWaitMs: number;
}

export const defaultBatchingOptions: BatchingOptions = { maxItems: 100, maxWaitMs: 100 };

export interface BatchRecorder {
  /** Before the batch leaves: its row and items. A failure here fails every item's send (retried by its activity). */
  sending(batch: ProviderBatch, provider: string): Promise<void>;
  /** With the provider's answer per item. A failure here is logged; the answers still reach the payouts. */
  answered(batch: ProviderBatch, results: ProviderBatchItemResult[]): Promise<void>;
}

interface Waiting<Item, Result> {
  item: Item;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

/** Collects items per key and hands each full (or timed-out) group to `flush`. */
class Coalescer<Item, Result> {
  private readonly groups = new Map<string, { waiting: Waiting<Item, Result>[]; timer: ReturnType<typeof setTimeout> }>();

  constructor(
    private readonly options: BatchingOptions,
    private readonly flush: (key: string, waiting: Waiting<Item, Result>[]) => Promise<void>,
  ) {}

  add(key: string, item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      let group = this.groups.get(key);
      if (!group) {
        group = { waiting: [], timer: setTimeout(() => this.take(key), this.options.maxWaitMs) };
        this.groups.set(key, group);
      }
      group.waiting.push({ item, resolve, reject });
      if (group.waiting.length >= this.options.maxItems) this.take(key);
    });
  }

  private take(key: string) {
    const group = this.groups.get(key);
    if (!group) return;
    this.groups.delete(key);
    clearTimeout(group.timer);
    this.flush(key, group.waiting).catch((error: unknown) => {
      for (const waiting of group.waiting) waiting.reject(error);
    });
  }
}

export class BatchingPayoutProvider implements PayoutProvider {
  readonly name: string;
  private readonly sends: Coalescer<ProviderPayoutRequest, ProviderSendResult>;
  private readonly statuses: Coalescer<string, ProviderPayoutStatus>;

  constructor(
    private readonly inner: BatchPayoutProvider,
    options: BatchingOptions = defaultBatchingOptions,
    private readonly recorder: BatchRecorder | null = null,
    private readonly log: (message: string) => void = console.error,
  ) {
    if (!Number.isInteger(options.maxItems) || options.maxItems < 1 || options.maxItems > maximumBatchItems) {
      throw new RangeError(`maxItems must be an integer from 1 to ${maximumBatchItems}, got ${options.maxItems}`);
    }
    if (!Number.isFinite(options.maxWaitMs) || options.maxWaitMs < 0) throw new RangeError(`maxWaitMs must be zero or positive, got ${options.maxWaitMs}`);
    this.name = inner.name;
    this.sends = new Coalescer(options, (method, waiting) => this.sendBatch(method, waiting));
    this.statuses = new Coalescer(options, (_key, waiting) => this.askMany(waiting));
  }

  send(request: ProviderPayoutRequest): Promise<ProviderSendResult> {
    return this.sends.add(request.method, request);
  }

  status(lookup: ProviderPayoutLookup): Promise<ProviderPayoutStatus> {
    if ('providerReference' in lookup) return this.inner.status(lookup);
    return this.statuses.add('', lookup.idempotencyKey);
  }

  private async sendBatch(method: string, waiting: Waiting<ProviderPayoutRequest, ProviderSendResult>[]): Promise<void> {
    const batch: ProviderBatch = { batchId: randomUUID(), method, requests: waiting.map(({ item }) => item) };
    await this.recorder?.sending(batch, this.inner.name);
    const results = await this.inner.sendBatch(batch);
    if (results.length !== waiting.length) throw new Error(`the provider answered ${results.length} items of a batch of ${waiting.length}`);
    await this.recorder?.answered(batch, results).catch((error: unknown) => {
      this.log(`payout batch ${batch.batchId}: could not record the provider's answer: ${(error as Error).message}`);
    });
    results.forEach((result, index) => {
      const { resolve, reject } = waiting[index]!;
      if ('rejected' in result) {
        const { httpStatus, code, message, field } = result.rejected;
        reject(new ProviderRequestRejectedError(httpStatus, code, message, field));
      } else {
        resolve(result);
      }
    });
  }

  private async askMany(waiting: Waiting<string, ProviderPayoutStatus>[]): Promise<void> {
    const statuses = await this.inner.statusMany(waiting.map(({ item }) => item));
    if (statuses.length !== waiting.length) throw new Error(`the provider answered ${statuses.length} of ${waiting.length} status questions`);
    statuses.forEach((status, index) => waiting[index]!.resolve(status));
  }
}
