import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import { policySchema, type Policy } from '../../domain/policy.ts';

export interface PolicyVersion {
  version: number;
  effectiveFrom: Date | null;
  reason: string;
  createdBy: string;
  createdAt: Date;
  policy: Policy;
}

const versionRow = z.object({
  version: z.number(),
  effective_from: z.date().nullable(),
  reason: z.string(),
  created_by: z.string(),
  created_at: z.date(),
  document: z.unknown(),
});

export class PolicyVersionError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

/** The default version takes effect at '-infinity', which reads back as null ("from the beginning"). */
const finiteFrom = sql.fragment`CASE WHEN isfinite(effective_from) THEN effective_from END AS effective_from`;

function toVersion(row: z.infer<typeof versionRow>): PolicyVersion {
  return {
    version: row.version,
    effectiveFrom: row.effective_from,
    reason: row.reason,
    createdBy: row.created_by,
    createdAt: new Date(row.created_at),
    policy: policySchema.parse(row.document),
  };
}

/**
 * The policy's versions (docs/rules.md#policy). Versions are immutable and few, so they are read once and cached;
 * a version added through this process, or found missing, refreshes the cache.
 */
export class PolicyStore {
  #versions: PolicyVersion[] | null = null;
  #loadedAt = 0;

  constructor(
    readonly database: Database,
    /** How long a cached list is trusted before another process's new version must be visible. */
    readonly cacheMs = 5_000,
  ) {}

  async versions(): Promise<PolicyVersion[]> {
    if (this.#versions === null || Date.now() - this.#loadedAt > this.cacheMs) {
      const rows = await this.database.any(sql.type(versionRow)`
        SELECT version, ${finiteFrom}, reason, created_by, created_at, document
        FROM policy_versions ORDER BY version`);
      this.#versions = rows.map(toVersion);
      this.#loadedAt = Date.now();
    }
    return this.#versions;
  }

  /** The version in force at a moment: the latest whose effective time is at or before it. */
  async at(moment: Date): Promise<PolicyVersion> {
    const versions = await this.versions();
    let found: PolicyVersion | undefined;
    for (const version of versions) {
      if (version.effectiveFrom === null || version.effectiveFrom.getTime() <= moment.getTime()) found = version;
    }
    if (!found) throw new Error('no policy version is in force; the migration seeds version 1');
    return found;
  }

  async active(): Promise<PolicyVersion> {
    return this.at(new Date());
  }

  async byVersion(version: number): Promise<PolicyVersion | undefined> {
    return (await this.versions()).find((candidate) => candidate.version === version);
  }

  /** The latest version (highest number) as the database has it now, read through `connection`. */
  async latest(connection: CommonQueryMethods): Promise<PolicyVersion> {
    return toVersion(await connection.one(sql.type(versionRow)`
      SELECT version, ${finiteFrom}, reason, created_by, created_at, document
      FROM policy_versions ORDER BY version DESC LIMIT 1`));
  }

  /**
   * Checks a new version against the latest, under the writers' lock (held to the end of `connection`'s
   * transaction): it takes effect now or later (history is never rewritten) and after the latest version, and the
   * document is valid whole (its `version` field is assigned here). Returns the latest version and the new policy.
   */
  async check(input: { document: unknown; effectiveFrom: Date }, connection: CommonQueryMethods): Promise<{ base: PolicyVersion; policy: Policy }> {
    if (input.effectiveFrom.getTime() < Date.now() - 1_000) {
      throw new PolicyVersionError('a new policy version cannot take effect in the past', 'effectiveFrom');
    }
    // One writer at a time: the next number and the effective order are read and written without a race.
    await connection.query(sql.unsafe`SELECT pg_advisory_xact_lock(hashtext('ledgerflow.policy_versions'))`);
    const base = await this.latest(connection);
    const latestFrom = base.effectiveFrom?.getTime() ?? -Infinity;
    if (input.effectiveFrom.getTime() <= latestFrom) {
      throw new PolicyVersionError(`version ${base.version} takes effect at that time or later; a new version must come after it`, 'effectiveFrom');
    }
    const parsed = policySchema.safeParse({ ...(input.document as object), version: base.version + 1 });
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new PolicyVersionError(issue.message, ['document', ...issue.path].join('.'));
    }
    return { base, policy: parsed.data };
  }

  /** Adds a version that takes effect at `effectiveFrom`, after `check`. */
  async add(input: { document: unknown; effectiveFrom: Date; reason: string; actor: string }, connection?: CommonQueryMethods): Promise<PolicyVersion> {
    const run = async (db: CommonQueryMethods) => {
      const { policy } = await this.check(input, db);
      const row = await db.one(sql.type(versionRow)`
        INSERT INTO policy_versions (version, effective_from, document, reason, created_by)
        VALUES (${policy.version}, ${input.effectiveFrom.toISOString()}, ${sql.jsonb(policy as never)},
                ${input.reason}, ${input.actor})
        RETURNING version, ${finiteFrom}, reason, created_by, created_at, document`);
      return toVersion(row);
    };
    const added = connection ? await run(connection) : await this.database.transaction(run);
    this.#versions = null;
    return added;
  }
}
