import type { Database } from '../../db/pool.ts';
import { DomainError } from '../../domain/errors.ts';
import type { Policy } from '../../domain/policy.ts';
import { appendAuditRecord } from '../audit/audit-store.ts';
import { PolicyVersionError, type PolicyStore, type PolicyVersion } from './policy-store.ts';

/** The parts of the policy that set who must approve what: payout tiers, adjustment thresholds, dispute goodwill, four eyes. */
function tierSections(policy: Policy) {
  return {
    payoutApprovalChain: policy.payouts.approvalChain,
    adjustments: { seniorApprovalAboveRub: policy.adjustments.seniorApprovalAboveRub, bulkStandardBelowRub: policy.adjustments.bulkStandardBelowRub, bulkSeniorUpToRub: policy.adjustments.bulkSeniorUpToRub },
    disputeGoodwillMax: policy.disputes.goodwillMax,
    fourEyes: policy.fourEyes,
  };
}

/**
 * Adds a policy version with its POLICY_CHANGE audit record, in one transaction. An invalid document or an
 * effective time not after the latest version's is refused (unprocessable `invalid_policy`), naming the request's
 * field: `body.effectiveFrom`, or `body.policy.<path>` inside the document.
 */
export async function addPolicyVersion(
  { database, policies }: { database: Database; policies: PolicyStore },
  input: { document: unknown; effectiveFrom: string; reason: string; actor: string; ip: string | null },
): Promise<PolicyVersion> {
  try {
    // The limits a change may move (docs/rules.md#four-eyes): recorded before and after in the audit record.
    const before = tierSections((await policies.active()).policy);
    return await database.transaction(async (transaction) => {
      const version = await policies.add({ document: input.document, effectiveFrom: new Date(input.effectiveFrom), reason: input.reason, actor: input.actor }, transaction);
      await appendAuditRecord(transaction, {
        action: 'POLICY_CHANGE', actor: input.actor, targetType: 'policy', targetId: String(version.version),
        reason: input.reason, ip: input.ip,
        details: { effectiveFrom: input.effectiveFrom, tiersBefore: before, tiersAfter: tierSections(version.policy), tiersChanged: JSON.stringify(before) !== JSON.stringify(tierSections(version.policy)) },
      });
      return version;
    });
  } catch (error) {
    if (error instanceof PolicyVersionError) {
      const field = error.field === 'effectiveFrom' ? 'effectiveFrom' : error.field.replace(/^document/, 'policy');
      throw new DomainError('unprocessable', 'invalid_policy', error.message, `body.${field}`);
    }
    throw error;
  }
}
