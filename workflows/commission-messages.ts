/**
 * The runs of the hold release and the pay batch (workflows/commissions.ts). The Schedules start them as
 * `commission-release` and `commission-pay-batch` (stack/commission-schedules.ts); a run started by hand gets an
 * id of its own, so it never collides with a scheduled one.
 */
export type CommissionRunKind = 'release' | 'pay-batch';

export const commissionRunWorkflowTypes = {
  release: 'commissionReleaseWorkflow',
  'pay-batch': 'commissionPayBatchWorkflow',
} as const satisfies Record<CommissionRunKind, string>;

/** The workflow id of a run started by hand; `runId` makes it unique. */
export const commissionRunWorkflowId = (kind: CommissionRunKind, runId: string) =>
  `${kind === 'release' ? 'commission-release' : 'commission-pay-batch'}-manual-${runId}`;
