/** Users are partners or admins; admins have one of five roles (the approval chain in docs/rules.md#payout-approval names them). */
export const adminRoles = ['admin', 'senior_admin', 'finance_manager', 'finance_director', 'financial_support'] as const;
export const userRoles = ['partner', ...adminRoles] as const;
export type UserRole = (typeof userRoles)[number];
export type AdminRole = (typeof adminRoles)[number];

/**
 * Who calls the API: a user in one of the roles above, or a machine with an API key (`api_key`, docs/rules.md#api-keys).
 * No permission below names `api_key`: a key passes a permission check only through its scopes (domain/api-keys.ts).
 */
export type PrincipalRole = UserRole | 'api_key';

export function isAdminRole(role: PrincipalRole): role is AdminRole {
  return (adminRoles as readonly string[]).includes(role);
}

/** What each role may do. Routes name a permission; the server checks it on every request. */
export const permissions = {
  'partners.create': ['admin', 'senior_admin', 'finance_manager', 'finance_director'],
  'partners.read.any': adminRoles,
  /** Rank, status and KYC changes (`POST /v1/partners/{id}/changes`): the roles that add partners. */
  'partners.update': ['admin', 'senior_admin', 'finance_manager', 'finance_director'],
  'bonuses.create': ['admin', 'senior_admin', 'finance_manager', 'finance_director'],
  'bonuses.read.any': adminRoles,
  /** Approving or rejecting a bonus above the four-eyes threshold; the policy's checker roles narrow it (docs/rules.md#four-eyes). */
  'bonuses.decide': ['admin', 'senior_admin', 'finance_manager', 'finance_director'],
  'ledger.read.any': adminRoles,
  /** Trigger events come from the shop and investment systems through an admin (service) account. */
  'events.ingest': ['admin', 'senior_admin', 'finance_manager', 'finance_director'],
  'events.read': adminRoles,
  'fx.manage': ['finance_manager', 'finance_director'],
  'policy.manage': ['senior_admin', 'finance_director'],
  'commissions.read.any': adminRoles,
  'commissions.run': ['finance_manager', 'finance_director'],
  /** Payouts (issue #4): partners request their own; these roles act on anyone's. The chain narrows approvals. */
  'payouts.create.any': ['admin', 'senior_admin', 'finance_manager', 'finance_director'],
  'payouts.read.any': adminRoles,
  'payouts.approve': ['admin', 'senior_admin', 'finance_manager', 'finance_director'],
  'payouts.reject': ['admin', 'senior_admin', 'finance_manager', 'finance_director'],
  'payouts.cancel.any': ['admin', 'senior_admin', 'finance_manager', 'finance_director'],
  'payouts.release': ['admin', 'senior_admin', 'finance_manager', 'finance_director'],
  'payouts.process': ['admin', 'senior_admin', 'finance_manager', 'finance_director'],
  /** Export files (docs/rules.md#payout-exports): whole-queue CSVs with everyone's payment details and the files money is paid from. */
  'payouts.export': ['admin', 'senior_admin', 'finance_manager', 'finance_director'],
  /** Partner flags (issue #5): every admin reads them; clearing a review or debt flag is a senior decision. */
  'flags.read.any': adminRoles,
  'flags.clear': ['senior_admin', 'finance_manager', 'finance_director'],
  /** Refunds (docs/rules.md#refunds): requested by support or the shop's service account, approved by an admin. */
  'refunds.read.any': adminRoles,
  'refunds.request': adminRoles,
  'refunds.approve': ['admin', 'senior_admin', 'finance_manager', 'finance_director'],
  /** Chargebacks (docs/rules.md#chargebacks): opened by an admin (or the provider's signed webhook), worked and decided by admins. */
  'chargebacks.read.any': adminRoles,
  'chargebacks.manage': ['admin', 'senior_admin', 'finance_manager', 'finance_director'],
  /** Disputes (docs/rules.md#disputes): partners open their own; financial support reviews; senior admins take escalations. */
  'disputes.read.any': adminRoles,
  'disputes.review': ['financial_support', 'admin', 'senior_admin', 'finance_manager', 'finance_director'],
  'disputes.escalated': ['senior_admin', 'finance_director'],
  /** Adjustments (docs/rules.md#adjustments): created by admins; the chain by amount or total impact narrows who approves. */
  'adjustments.read.any': adminRoles,
  'adjustments.create': ['admin', 'senior_admin', 'finance_manager', 'finance_director'],
  'adjustments.approve': ['admin', 'senior_admin', 'finance_manager', 'finance_director'],
  /** Lifting a sign-in lockout (docs/rules.md#sign-in): any admin but financial support, with a fresh TOTP code. */
  'users.unlock': ['admin', 'senior_admin', 'finance_manager', 'finance_director'],
  /**
   * API keys for machines (docs/rules.md#api-keys): every admin sees the list; creating and revoking a key, which
   * lets a machine send events that earn commissions, is for the roles that change the policy.
   */
  'api_keys.read': adminRoles,
  'api_keys.manage': ['senior_admin', 'finance_director'],
  /**
   * Daily reconciliation (docs/rules.md#daily-reconciliation): admins who handle money read the days; finance runs a day
   * on demand and records findings; a finance manager or director signs (checked with the four-eyes rule on sign-off).
   */
  'reconciliations.read': ['admin', 'senior_admin', 'finance_manager', 'finance_director'],
  'reconciliations.run': ['senior_admin', 'finance_manager', 'finance_director'],
  'reconciliations.findings': ['finance_manager', 'finance_director'],
  /** Pay runs (docs/rules.md#pay-runs): every admin sees them; the roles that approve payouts create, edit and approve them (the chains narrow it). */
  'payRuns.read': adminRoles,
  'payRuns.create': ['admin', 'senior_admin', 'finance_manager', 'finance_director'],
  'payRuns.approve': ['admin', 'senior_admin', 'finance_manager', 'finance_director'],
  /** What the platform declares available per method and currency (the pay runs' funds check): finance only. */
  'platformFunds.manage': ['finance_manager', 'finance_director'],
  /**
   * Statement matching (docs/rules.md#statement-matching): finance uploads bank statements and acknowledges, resolves or
   * accepts the exceptions; the matching rules are changed by a finance director. Reading is `reconciliations.read`.
   */
  'statements.upload': ['finance_manager', 'finance_director'],
  'statements.exceptions': ['finance_manager', 'finance_director'],
  'statements.rules': ['finance_director'],
  /**
   * The audit schedule (docs/rules.md#audit-schedule): admins who handle money read the runs; finance starts one on
   * demand and resolves or accepts findings; a finance manager or director signs (four eyes on sign-off).
   */
  'audits.read': ['admin', 'senior_admin', 'finance_manager', 'finance_director'],
  'audits.run': ['senior_admin', 'finance_manager', 'finance_director'],
  'audits.findings': ['finance_manager', 'finance_director'],
} as const satisfies Record<string, readonly UserRole[]>;
export type Permission = keyof typeof permissions;

export function can(role: PrincipalRole, permission: Permission): boolean {
  return (permissions[permission] as readonly PrincipalRole[]).includes(role);
}
