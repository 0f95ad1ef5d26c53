import { randomUUID } from 'node:crypto';
import { sql, type CommonQueryMethods, type DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import type { Database } from '../../db/pool.ts';
import { DomainError } from '../../domain/errors.ts';
import { assertMayCheck, policyLimits, policyLimitsChanged, type FourEyesActor } from '../../domain/four-eyes.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';
import { PolicyVersionError, type PolicyStore, type PolicyVersion } from './policy-store.ts';

/**
 * Policy versions under four eyes (docs/rules.md#four-eyes). A new version that changes no limit section
 * (domain/four-eyes.ts `policyLimits`) is applied at once; one that moves a limit is stored PENDING in
 * `policy_change_requests` and applied only when a second person approves it — through the same `applyVersion`,
 * with the same POLICY_CHANGE audit record, in the transaction that marks the request APPROVED.
 */

export const policyChangeRequestStatuses = ['PENDING', 'APPROVED', 'REJECTED'] as const;

export const policyChangeRequestRow = z.object({
  id: z.string(),
  base_version: z.number(),
  effective_from: z.date(),
  document: z.record(z.string(), z.unknown()),
  reason: z.string(),
  tiers_before: z.record(z.string(), z.unknown()),
  tiers_after: z.record(z.string(), z.unknown()),
  status: z.enum(policyChangeRequestStatuses),
  applied_version: z.number().nullable(),
  created_by: z.string(),
  created_at: z.date(),
  decided_by: z.string().nullable(),
  decided_at: z.date().nullable(),
  decision_reason: z.string().nullable(),
});
export type PolicyChangeRequestRow = z.infer<typeof policyChangeRequestRow>;

const requestColumns = sql.fragment`
  id, base_version, effective_from, document, reason, tiers_before, tiers_after, status, applied_version, created_by, created_at,
  decided_by, decided_at, decision_reason`;

export type AddPolicyVersionResult = { status: 'APPLIED'; version: PolicyVersion } | { status: 'PENDING'; request: PolicyChangeRequestRow };

/** The store's refusal of a document or effective time, as the request's field names it. */
function refusal(error: unknown): unknown {
  if (error instanceof PolicyVersionError) {
    const field = error.field === 'effectiveFrom' ? 'effectiveFrom' : error.field.replace(/^document/, 'policy');
    return new DomainError('unprocessable', 'invalid_policy', error.message, `body.${field}`);
  }
  return error;
}

/** Adds the version with its POLICY_CHANGE audit record (limits before and after), inside `transaction`. */
async function applyVersion(
  transaction: DatabaseTransactionConnection,
  policies: PolicyStore,
  input: { document: unknown; effectiveFrom: string; reason: string; maker: string; actor: string; ip: string | null; extra?: Record<string, unknown> },
): Promise<PolicyVersion> {
  const { base } = await policies.check({ document: input.document, effectiveFrom: new Date(input.effectiveFrom) }, transaction);
  const before = policyLimits(base.policy);
  const version = await policies.add({ document: input.document, effectiveFrom: new Date(input.effectiveFrom), reason: input.reason, actor: input.maker }, transaction);
  const after = policyLimits(version.policy);
  await appendAuditRecord(transaction, {
    action: 'POLICY_CHANGE', actor: input.actor, targetType: 'policy', targetId: String(version.version),
    reason: input.reason, ip: input.ip,
    details: { effectiveFrom: input.effectiveFrom, tiersBefore: before, tiersAfter: after, tiersChanged: policyLimitsChanged(before, after), ...input.extra },
  });
  return version;
}

/**
 * A maker's new policy version. Invalid documents and effective times are refused (unprocessable `invalid_policy`,
 * naming `body.effectiveFrom` or `body.policy.<path>`) before anything is stored. A version that moves no limit is
 * applied (APPLIED); one that moves a limit is stored PENDING with the limits before and after, and audited
 * POLICY_CHANGE_REQUEST.
 */
export async function addPolicyVersion(
  { database, policies }: { database: Database; policies: PolicyStore },
  input: { document: unknown; effectiveFrom: string; reason: string; actor: string; ip: string | null },
): Promise<AddPolicyVersionResult> {
  try {
    return await database.transaction(async (transaction): Promise<AddPolicyVersionResult> => {
      const { base, policy } = await policies.check({ document: input.document, effectiveFrom: new Date(input.effectiveFrom) }, transaction);
      const before = policyLimits(base.policy);
      const after = policyLimits(policy);
      if (!policyLimitsChanged(before, after)) {
        return { status: 'APPLIED', version: await applyVersion(transaction, policies, { ...input, maker: input.actor }) };
      }
      const { version: _assigned, ...document } = policy;
      const request = await transaction.one(sql.type(policyChangeRequestRow)`
        INSERT INTO policy_change_requests (id, base_version, effective_from, document, reason, tiers_before, tiers_after, status, created_by)
        VALUES (${randomUUID()}, ${base.version}, ${input.effectiveFrom}, ${sql.jsonb(document as never)}, ${input.reason},
                ${sql.jsonb(before as never)}, ${sql.jsonb(after as never)}, 'PENDING', ${input.actor})
        RETURNING ${requestColumns}`);
      await appendAuditRecord(transaction, {
        action: 'POLICY_CHANGE_REQUEST', actor: input.actor, targetType: 'policy_change_request', targetId: request.id,
        reason: input.reason, ip: input.ip,
        details: { baseVersion: base.version, effectiveFrom: input.effectiveFrom, tiersBefore: before, tiersAfter: after },
      });
      return { status: 'PENDING', request };
    });
  } catch (error) {
    throw refusal(error);
  }
}

/**
 * A checker's decision on a PENDING policy change: never the maker, one of the latest version's
 * `fourEyes.moneyCheckerRoles` (the caller has checked the `policy.manage` permission and a fresh TOTP code).
 * Approving applies it as `addPolicyVersion` would have, unless another version was added after it was requested
 * (its "before" no longer holds: a stale conflict, the request stays PENDING to be rejected or left). A requested
 * effective time that has passed by the approval becomes the approval's time: history is never rewritten.
 */
export async function decidePolicyChange(
  { database, policies }: { database: Database; policies: PolicyStore },
  input: { requestId: string; decision: 'APPROVED' | 'REJECTED'; actor: FourEyesActor; reason: string | null; ip: string | null },
): Promise<PolicyChangeRequestRow> {
  try {
    return await database.transaction(async (transaction) => {
      await transaction.query(sql.unsafe`SELECT pg_advisory_xact_lock(hashtext('ledgerflow.policy_versions'))`);
      const request = await transaction.maybeOne(sql.type(policyChangeRequestRow)`
        SELECT ${requestColumns} FROM policy_change_requests WHERE id = ${input.requestId} FOR UPDATE`);
      if (!request) throw new DomainError('not_found', 'not_found', `policy change request ${input.requestId} does not exist`, 'id');
      if (request.status !== 'PENDING') throw new DomainError('conflict', 'invalid_state', `the policy change request is ${request.status}`, 'status');
      const latest = await policies.latest(transaction);
      assertMayCheck(
        { makerUserId: request.created_by, checkerRoles: latest.policy.fourEyes.moneyCheckerRoles, reason: 'a policy change that moves a limit' },
        input.actor,
      );
      let appliedVersion: number | null = null;
      if (input.decision === 'APPROVED') {
        if (latest.version !== request.base_version) {
          throw new DomainError('conflict', 'stale_request',
            `policy version ${latest.version} was added after this request (made against version ${request.base_version}); request the change again`, 'id');
        }
        const requested = request.effective_from.getTime();
        const effectiveFrom = new Date(Math.max(requested, Date.now())).toISOString();
        const version = await applyVersion(transaction, policies, {
          document: request.document, effectiveFrom, reason: request.reason, maker: request.created_by, actor: input.actor.userId, ip: input.ip,
          extra: { requestId: request.id, maker: request.created_by, requestedEffectiveFrom: request.effective_from.toISOString(), role: input.actor.role, decisionReason: input.reason },
        });
        appliedVersion = version.version;
      } else {
        await appendAuditRecord(transaction, {
          action: 'POLICY_CHANGE_REJECT', actor: input.actor.userId, targetType: 'policy_change_request', targetId: request.id,
          reason: input.reason, ip: input.ip, details: { maker: request.created_by, baseVersion: request.base_version, role: input.actor.role },
        });
      }
      return transaction.one(sql.type(policyChangeRequestRow)`
        UPDATE policy_change_requests SET status = ${input.decision}, decided_by = ${input.actor.userId}, decided_at = now(),
          decision_reason = ${input.reason}, applied_version = ${appliedVersion}
        WHERE id = ${request.id}
        RETURNING ${requestColumns}`);
    });
  } catch (error) {
    throw refusal(error);
  }
}

/** Policy change requests, newest first (at most 1000), optionally of one status. */
export async function listPolicyChangeRequests(connection: CommonQueryMethods, status?: PolicyChangeRequestRow['status']): Promise<readonly PolicyChangeRequestRow[]> {
  return connection.any(sql.type(policyChangeRequestRow)`
    SELECT ${requestColumns} FROM policy_change_requests
    WHERE ${status ? sql.fragment`status = ${status}` : sql.fragment`TRUE`}
    ORDER BY created_at DESC LIMIT 1000`);
}

export async function findPolicyChangeRequest(connection: CommonQueryMethods, id: string): Promise<PolicyChangeRequestRow | null> {
  return connection.maybeOne(sql.type(policyChangeRequestRow)`SELECT ${requestColumns} FROM policy_change_requests WHERE id = ${id}`);
}
