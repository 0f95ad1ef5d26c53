import { accountKey, accountLimits, validateEntry, type EntryInput } from '../../domain/ledger.ts';
import type { LedgerStore, PostedEntry } from './ledger-store.ts';

export interface LedgerWriterOptions {
  /** Batches posted at the same time, each on its own pool connection (default 4). */
  concurrency?: number;
  /** Most entries in one batch (default 500). */
  maximumBatch?: number;
}

interface Pending {
  entry: EntryInput;
  /** Keys of the entry's accounts that have one balance row (every constrained account): what batches must not share. */
  singleRowAccounts: string[];
  resolve: (posted: PostedEntry) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for entries posted on their own, outside any transaction of the caller's. Each `post` answers for
 * its own entry, exactly as `LedgerStore.postEntry` would: the entry, the same entry again for a replayed key,
 * or that entry's refusal (limits, idempotency conflict, bad input). While every batch slot is busy, entries that
 * arrive wait and leave together in the next batch: one `post_entries` call, one transaction, one commit for all
 * of them. Under light load nothing waits, so an entry goes alone as soon as it arrives.
 *
 * A batch is atomic in the database, so one refused entry would refuse its neighbours. A refused batch is halved and
 * each half posted again, down to single entries, so each caller gets the outcome of its own entry (the refused
 * batch rolled back whole, so nothing of it was posted before). Two entries with the same idempotency key never
 * share a batch: the later one waits for the next, and then replays or conflicts like a second `postEntry` would.
 *
 * Batches in flight at the same time never share an account with a single balance row (a partner's account, any
 * account with a limit): an entry for an account a running batch holds waits for the next batch. Otherwise the second
 * batch would wait on the first one's row locks until it commits, and concurrent batches would run one after the
 * other. Striped accounts (a hot platform account) are shared freely: each batch locks one random stripe of them.
 *
 * For writers of standalone entries, as many concurrent callers make: an entry that must commit together with
 * other writes of its caller (an audit record, a payout row) is posted with `LedgerStore.postEntry` on the
 * caller's transaction instead.
 */
export class LedgerWriter {
  readonly #queue: Pending[] = [];
  readonly #concurrency: number;
  readonly #maximumBatch: number;
  #busy = 0;
  #idle: (() => void)[] = [];
  /** Single-row accounts held by the batches in flight. */
  readonly #held = new Set<string>();

  constructor(
    readonly store: LedgerStore,
    options: LedgerWriterOptions = {},
  ) {
    this.#concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
    this.#maximumBatch = Math.max(1, Math.floor(options.maximumBatch ?? 500));
  }

  /** Posts one entry through the next batch; resolves or rejects with that entry's own outcome. */
  post(entry: EntryInput): Promise<PostedEntry> {
    try {
      // Bad input is refused now, alone, and never joins a batch.
      validateEntry(entry);
    } catch (error) {
      return Promise.reject(error);
    }
    const singleRowAccounts = [
      ...new Set(entry.postings.filter((posting) => accountLimits(posting.account).stripes === 1).map((posting) => accountKey(posting.account))),
    ];
    return new Promise<PostedEntry>((resolve, reject) => {
      this.#queue.push({ entry, singleRowAccounts, resolve, reject });
      this.#pump();
    });
  }

  /** Entries waiting for a batch slot (not counting those being posted). */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Resolves once every entry handed over so far has its outcome. */
  async drain(): Promise<void> {
    if (this.#busy === 0 && this.#queue.length === 0) return;
    await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  #pump(): void {
    while (this.#busy < this.#concurrency && this.#queue.length > 0) {
      const { batch, accounts } = this.#takeBatch();
      // Everything waiting needs an account a running batch holds: its end pumps again.
      if (batch.length === 0) return;
      this.#busy += 1;
      void this.#post(batch).finally(() => {
        for (const account of accounts) this.#held.delete(account);
        this.#busy -= 1;
        this.#pump();
        if (this.#busy === 0 && this.#queue.length === 0) for (const resolve of this.#idle.splice(0)) resolve();
      });
    }
  }

  /**
   * The oldest waiting entries, up to the maximum, at most one per idempotency key and none needing a single-row
   * account a running batch holds; the rest keep their order (so entries for one account keep theirs). The batch's
   * single-row accounts are held until it ends.
   */
  #takeBatch(): { batch: Pending[]; accounts: Set<string> } {
    const batch: Pending[] = [];
    const keys = new Set<string>();
    const accounts = new Set<string>();
    const left: Pending[] = [];
    for (const pending of this.#queue) {
      const free =
        batch.length < this.#maximumBatch &&
        !keys.has(pending.entry.idempotencyKey) &&
        !pending.singleRowAccounts.some((account) => this.#held.has(account));
      if (free) {
        keys.add(pending.entry.idempotencyKey);
        for (const account of pending.singleRowAccounts) accounts.add(account);
        batch.push(pending);
      } else {
        left.push(pending);
      }
    }
    this.#queue.splice(0, this.#queue.length, ...left);
    for (const account of accounts) this.#held.add(account);
    return { batch, accounts };
  }

  async #post(batch: Pending[]): Promise<void> {
    if (batch.length === 1) {
      const [pending] = batch as [Pending];
      try {
        pending.resolve(await this.store.postEntry(pending.entry));
      } catch (error) {
        pending.reject(error);
      }
      return;
    }
    let posted: PostedEntry[];
    try {
      posted = await this.store.postEntries(batch.map((pending) => pending.entry));
    } catch {
      // Some entry refused the whole batch, which rolled back whole: halve it until every entry has its own
      // outcome. One refusal among n entries costs about 2·log2(n) more calls, not n.
      const half = Math.ceil(batch.length / 2);
      await this.#post(batch.slice(0, half));
      await this.#post(batch.slice(half));
      return;
    }
    batch.forEach((pending, index) => pending.resolve(posted[index]!));
  }
}
