import { ScheduleOverlapPolicy, type ScheduleOptions, type ScheduleSpec } from '@temporalio/client';
import { auditCadences, auditKinds, type AuditKind } from '../domain/audit-schedule.ts';

/**
 * The audit schedule's Temporal Schedules (docs/rules.md#audit-schedule), one per kind: `audit-<kind>-schedule` runs
 * auditScheduleWorkflow at 02:00 UTC after its period ends (Monday for the weekly kinds, the 1st for the monthly, the
 * 1st of January, April, July and October for the quarterly access review, the 1st of January for the annual export),
 * after the night's reconciliation. A run missed while the cluster was down is caught up for up to a week; each derives
 * its period from the time it was due, and a period is audited once.
 */
export const auditScheduleId = (kind: AuditKind) => `audit-${kind}-schedule`;

const specs: Record<(typeof auditCadences)[AuditKind], ScheduleSpec> = {
  weekly: { calendars: [{ dayOfWeek: 'MONDAY', hour: 2, minute: 0, comment: 'the ISO week just ended' }], timezone: 'UTC' },
  monthly: { calendars: [{ dayOfMonth: 1, hour: 2, minute: 0, comment: 'the month just ended' }], timezone: 'UTC' },
  quarterly: { calendars: [{ month: ['JANUARY', 'APRIL', 'JULY', 'OCTOBER'], dayOfMonth: 1, hour: 2, minute: 0, comment: 'the quarter just ended' }], timezone: 'UTC' },
  annual: { calendars: [{ month: 'JANUARY', dayOfMonth: 1, hour: 2, minute: 0, comment: 'the year just ended' }], timezone: 'UTC' },
};

export function auditScheduleOptions(taskQueue: string, id: (kind: AuditKind) => string = auditScheduleId): ScheduleOptions[] {
  return auditKinds.map((kind) => ({
    scheduleId: id(kind),
    spec: specs[auditCadences[kind]],
    action: { type: 'startWorkflow', workflowType: 'auditScheduleWorkflow', workflowId: id(kind), taskQueue, args: [{ kind }] },
    policies: { overlap: ScheduleOverlapPolicy.BUFFER_ALL, catchupWindow: '7 days' },
    memo: { summary: `the ${auditCadences[kind]} ${kind} audit` },
  }));
}
