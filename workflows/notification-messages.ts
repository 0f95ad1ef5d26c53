import { defineSignal } from '@temporalio/workflow';

/**
 * The notification-delivery workflow's id and messages (docs/rules.md#notification-delivery). One long-lived
 * workflow per namespace sends the outbox; writers wake it after their transaction committed.
 */
export const notificationDeliveryWorkflowId = 'notification-delivery';

/** "The outbox has new rows": sent by the worker's outbox listener after a commit (workers/notification-wake.ts). */
export const wakeNotificationDeliverySignal = defineSignal('wakeNotificationDeliverySignal');

export interface NotificationDeliveryInput {
  /**
   * The safety-net sweep: without a wake-up the workflow still looks at the outbox this often (milliseconds), so a
   * wake-up lost while no listener ran is delivered late, never lost. Default `notificationSweepIntervalMs`.
   */
  sweepIntervalMs?: number;
  /** Carried over continue-as-new: what this workflow id delivered in earlier runs, for the memo. */
  carried?: { sent: number; runs: number };
}

/** 15 minutes: a lost wake-up delays a notice at most this long; an idle outbox costs 96 cheap iterations a day. */
export const notificationSweepIntervalMs = 15 * 60 * 1_000;

/** Iterations (one wake-up or sweep each) per run before the workflow continues as new, bounding its history. */
export const notificationIterationsPerRun = 500;
