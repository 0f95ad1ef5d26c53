import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const scrypt = (password: string, salt: Buffer, length: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) =>
    scryptCallback(password, salt, length, options, (error, key) => (error ? reject(error) : resolve(key))),
  );

/** scrypt's cost parameters: CPU/memory cost N (a power of two), block size r, parallelism p. */
export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

/**
 * OWASP's recommended scrypt cost (Password Storage Cheat Sheet: N=2^17, r=8, p=1), 128 MiB per hash. Production
 * hashes at this cost; tests pass a cheap one to `createApiDependencies` explicitly, never through the environment.
 */
export const recommendedScryptCost: ScryptCost = { N: 2 ** 17, r: 8, p: 1 };
const keyLength = 32;
/** Hashes at once, at most: each takes 128 MiB, so a burst of sign-ins queues instead of exhausting memory. */
const defaultConcurrentHashes = 4;

function memoryBytes(cost: ScryptCost): number {
  return 128 * cost.N * cost.r * cost.p;
}

interface StoredHash {
  cost: ScryptCost;
  salt: Buffer;
  key: Buffer;
}

/** `scrypt$N$r$p$salt$key` (base64): the parameters travel with each hash, so a stronger cost can come later. */
function parseStoredHash(stored: string): StoredHash | null {
  const [scheme, n, r, p, salt, key, ...rest] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key || rest.length > 0) return null;
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  const valid = Object.values(cost).every((value) => Number.isSafeInteger(value) && value > 0) && (cost.N & (cost.N - 1)) === 0;
  // A stored cost above 4× the recommended memory is not one this code wrote; refuse it rather than allocate it.
  if (!valid || cost.N < 2 || memoryBytes(cost) > 4 * memoryBytes(recommendedScryptCost)) return null;
  return { cost, salt: Buffer.from(salt, 'base64'), key: Buffer.from(key, 'base64') };
}

export interface PasswordCheck {
  matches: boolean;
  /** The stored hash is weaker than the hasher's cost: hash the password again now that it is known. */
  needsRehash: boolean;
}

/**
 * Password hashing with scrypt. One instance per process (the API, the CLI, the demo), built with the cost to hash
 * new passwords at; verification uses the cost stored with each hash. At most `concurrentHashes` run at a time.
 */
export class PasswordHasher {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private decoy: Promise<string> | null = null;

  constructor(
    readonly cost: ScryptCost = recommendedScryptCost,
    private readonly concurrentHashes = defaultConcurrentHashes,
  ) {}

  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await this.derive(password, salt, keyLength, this.cost);
    const { N, r, p } = this.cost;
    return ['scrypt', N, r, p, salt.toString('base64'), key.toString('base64')].join('$');
  }

  /** Checks `password` against `stored`; with no stored hash (an unknown email), against a decoy, taking as long. */
  async verify(password: string, stored: string | null): Promise<PasswordCheck> {
    const parsed = parseStoredHash(stored ?? (await this.decoyHash()));
    if (!parsed || parsed.key.length === 0) return { matches: false, needsRehash: false };
    const actual = await this.derive(password, parsed.salt, parsed.key.length, parsed.cost);
    const matches = stored !== null && timingSafeEqual(actual, parsed.key);
    const weaker = parsed.cost.N < this.cost.N || parsed.cost.r < this.cost.r || parsed.cost.p < this.cost.p || parsed.key.length < keyLength;
    return { matches, needsRehash: matches && weaker };
  }

  /** A hash no password matches, made once per hasher at its own cost, so unknown emails cost what known ones do. */
  private decoyHash(): Promise<string> {
    this.decoy ??= this.hash(randomBytes(16).toString('hex'));
    return this.decoy;
  }

  private async derive(password: string, salt: Buffer, length: number, cost: ScryptCost): Promise<Buffer> {
    await this.acquire();
    try {
      return await scrypt(password, salt, length, { ...cost, maxmem: 2 * memoryBytes(cost) + 16 * 1024 * 1024 });
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.running < this.concurrentHashes) {
      this.running += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    // The slot passes straight to the next waiter, so `running` only drops when nobody waits.
    if (next) next();
    else this.running -= 1;
  }
}
