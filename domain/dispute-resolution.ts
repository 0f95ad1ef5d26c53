import { permissions, type AdminRole } from './access.ts';
import type { DisputeActor, DisputeResolutionInput, DisputeStatus } from './dispute.ts';
import { DomainError } from './errors.ts';
import type { DisputePolicy } from './lifecycle-policy.ts';
import { Money, fitsScale, formatMoney } from './money.ts';

/**
 * Who may resolve a dispute and how (docs/rules.md#disputes, its decision tree and resolution types), as pure
 * rules the workflow's validators and the resolution's activity both check. Apart from domain/dispute.ts because
 * its refusals are DomainErrors (domain/errors.ts, which carries Temporal's failure type), and the console imports
 * domain/dispute.ts for its names and must not bundle Temporal's code.
 */

/** The roles that take escalated disputes and goodwill above the policy's limit (senior admins). */
export const seniorDisputeRoles: readonly AdminRole[] = permissions['disputes.escalated'];
/** The roles that review disputes (financial support, and every role above it). */
export const reviewDisputeRoles: readonly AdminRole[] = permissions['disputes.review'];

/** A goodwill credit above the policy's limit (or in another currency than the limit's, USD) needs a senior admin. */
export function goodwillNeedsSenior(amount: string, currency: string, policy: Pick<DisputePolicy, 'goodwillMax'>): boolean {
  return currency !== 'USD' || new Money(amount).gt(policy.goodwillMax);
}

/**
 * The status a resolution leads to from the current one (the decision tree in docs/rules.md#dispute-decision-tree):
 *  - CORRECTION of a calculation error closes it; of a system error it also goes to a senior admin (ESCALATED) —
 *    unless a senior admin is deciding already, which closes it.
 *  - EXPLANATION from review: EXPLAINED (the partner may ask for escalation); from a senior admin: closed.
 *  - ESCALATION: to a senior admin (not again from ESCALATED).
 *  - GOODWILL and REJECTION close it.
 */
export function statusAfterResolution(from: DisputeStatus, input: Pick<DisputeResolutionInput, 'resolution' | 'errorKind'>): DisputeStatus {
  if (from !== 'UNDER_REVIEW' && from !== 'ESCALATED') throw new Error(`a dispute that is ${from} cannot be resolved`);
  switch (input.resolution) {
    case 'CORRECTION':
      return input.errorKind === 'SYSTEM' && from === 'UNDER_REVIEW' ? 'ESCALATED' : 'CLOSED';
    case 'EXPLANATION':
      return from === 'UNDER_REVIEW' ? 'EXPLAINED' : 'CLOSED';
    case 'ESCALATION':
      if (from === 'ESCALATED') throw new Error('the dispute is with a senior admin already');
      return 'ESCALATED';
    case 'GOODWILL':
    case 'REJECTION':
      return 'CLOSED';
  }
}

/**
 * Checks a resolution before anything is recorded: the state allows it, the actor may give it, and its amount is
 * right for its kind. Throws a DomainError naming the field.
 */
export function checkResolution(
  input: { status: DisputeStatus; assigneeId: string | null; actor: DisputeActor; resolution: DisputeResolutionInput; policy: Pick<DisputePolicy, 'goodwillMax'> },
): { amount: string | null; currency: string | null; statusAfter: DisputeStatus } {
  const { status, actor, resolution } = input;
  if (status !== 'UNDER_REVIEW' && status !== 'ESCALATED') {
    throw new DomainError('conflict', 'invalid_state', `the dispute is ${status}; it is resolved while UNDER_REVIEW or ESCALATED`, 'status');
  }
  if (actor.role === 'partner' || !reviewDisputeRoles.includes(actor.role)) {
    throw new DomainError('forbidden', 'forbidden', `role ${actor.role} may not resolve disputes`);
  }
  const senior = seniorDisputeRoles.includes(actor.role);
  if (status === 'ESCALATED' && !senior) {
    throw new DomainError('forbidden', 'senior_required', 'an escalated dispute is resolved by a senior admin');
  }
  if (status === 'UNDER_REVIEW' && input.assigneeId !== null && input.assigneeId !== actor.userId && !senior) {
    throw new DomainError('forbidden', 'not_assignee', 'the dispute is assigned to another reviewer');
  }
  if (resolution.note.trim().length === 0) {
    throw new DomainError('unprocessable', 'invalid_request', 'a resolution needs a note for the partner', 'body.note');
  }
  if (resolution.resolution === 'CORRECTION' && !resolution.errorKind) {
    throw new DomainError('unprocessable', 'invalid_request', 'a correction names its error: CALCULATION or SYSTEM', 'body.errorKind');
  }
  if (resolution.resolution !== 'CORRECTION' && resolution.errorKind) {
    throw new DomainError('unprocessable', 'invalid_request', 'only a correction names an error kind', 'body.errorKind');
  }
  let statusAfter: DisputeStatus;
  try {
    statusAfter = statusAfterResolution(status, resolution);
  } catch (error) {
    throw new DomainError('conflict', 'invalid_state', (error as Error).message, 'body.resolution');
  }
  const moves = resolution.resolution === 'CORRECTION' || resolution.resolution === 'GOODWILL';
  if (!moves) {
    if (resolution.amount) throw new DomainError('unprocessable', 'invalid_request', `a ${resolution.resolution} moves no money`, 'body.amount');
    return { amount: null, currency: null, statusAfter };
  }
  if (!resolution.amount || !resolution.currency) {
    throw new DomainError('unprocessable', 'invalid_request', `a ${resolution.resolution} needs an amount and its currency`, 'body.amount');
  }
  const amount = new Money(resolution.amount);
  if (amount.isZero() || (resolution.resolution === 'GOODWILL' && amount.isNegative())) {
    throw new DomainError('unprocessable', 'invalid_amount', resolution.resolution === 'GOODWILL' ? 'a goodwill credit is positive' : 'a correction is not zero', 'body.amount');
  }
  if (!fitsScale(amount, resolution.currency)) {
    throw new DomainError('unprocessable', 'invalid_amount', `more decimal places than ${resolution.currency} allows`, 'body.amount');
  }
  if (resolution.resolution === 'GOODWILL' && !senior && goodwillNeedsSenior(resolution.amount, resolution.currency, input.policy)) {
    throw new DomainError('forbidden', 'senior_required', `a goodwill credit above ${input.policy.goodwillMax} USD (or in another currency) is granted by a senior admin`, 'body.amount');
  }
  return { amount: formatMoney(amount, resolution.currency), currency: resolution.currency, statusAfter };
}
