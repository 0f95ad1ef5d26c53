// Every workflow the worker hosts. Workflow code imports only @temporalio/workflow, domain/ and workflows/.
export { bonusWorkflow } from './bonus.ts';
export { commissionReleaseWorkflow, commissionPayBatchWorkflow } from './commissions.ts';
export { poolDistributionWorkflow } from './pools.ts';
export { payoutWorkflow } from './payout.ts';
export { payoutScheduleRunWorkflow } from './payout-schedule.ts';
export { notificationDeliveryWorkflow } from './notifications.ts';
export { payoutSweepWorkflow } from './payout-sweep.ts';
export { adjustmentWorkflow } from './adjustment.ts';
export { bulkAdjustmentWorkflow } from './bulk-adjustment.ts';
export { refundWorkflow } from './refund.ts';
export { chargebackWorkflow, chargebackMonitoringWorkflow } from './chargeback.ts';
export { disputeWorkflow } from './dispute.ts';
export { paymentFileLockWorkflow, paymentFileCloseWorkflow } from './payment-file.ts';
export { reconciliationWorkflow, reconciliationScheduleWorkflow } from './reconciliation.ts';
export { payRunWorkflow } from './pay-run.ts';
export { summaryReportScheduleWorkflow } from './reports.ts';
export { auditWorkflow, auditScheduleWorkflow } from './audits.ts';
