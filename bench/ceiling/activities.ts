import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { deliverPayoutUpdates, signalPayRunApprovals } from '../../modules/payouts/payout-delivery.ts';

/** The id of the i-th ceiling workflow of a run: `payout-<…>`, so the real delivery module addresses it as a payout. */
export function ceilingPayoutId(run: string, index: number): string {
  return `ceiling-${run}-${index}`;
}

/**
 * The ceiling's activities. `noop` returns at once. With `signalOnSend` (bench/pay-runs.ts), the `send` step also
 * signals its own workflow's provider result just after it returns — what the sandbox provider's webhook does
 * through the API in the real lifecycle, without the delay. `deliverApprovals` is a pay run's fan-out with the work
 * taken out: the real `deliverPayoutUpdates` (one `approve` update per workflow, bounded concurrency, an update id
 * per decision and workflow) to a range of ceiling workflows, heartbeating like the real activity.
 */
export function createCeilingActivities(options: { client: Client | null; signalOnSend: boolean }) {
  const { client } = options;
  return {
    async noop(step: string): Promise<string> {
      if (step === 'send' && options.signalOnSend && client) {
        const workflowId = Context.current().info.workflowExecution.workflowId;
        setImmediate(() => {
          client.workflow.getHandle(workflowId).signal('providerResult', 'COMPLETED').catch((error: unknown) => {
            console.error(`ceiling: signal to ${workflowId} failed: ${String(error)}`);
          });
        });
      }
      return step;
    },
    async deliverApprovals(input: { run: string; from: number; to: number; concurrency: number }): Promise<number> {
      if (!client) throw new Error('the ceiling worker has no Temporal client');
      const deliveries = Array.from({ length: input.to - input.from }, (_, offset) => {
        const payoutId = ceilingPayoutId(input.run, input.from + offset);
        return { payoutId, updateId: `ceiling-run-${input.run}-${payoutId}`, update: 'approve' as const, input: 'bench' };
      });
      const outcomes = await deliverPayoutUpdates(client, deliveries, {
        concurrency: input.concurrency,
        onDelivered: (delivered) => Context.current().heartbeat({ delivered }),
      });
      return outcomes.filter((outcome) => outcome.outcome === 'accepted').length;
    },
    /** Design 2's fan-out with the work taken out: the real `signalPayRunApprovals` to a range of ceiling workflows. */
    async signalApprovals(input: { run: string; from: number; to: number; concurrency: number }): Promise<number> {
      if (!client) throw new Error('the ceiling worker has no Temporal client');
      const signals = Array.from({ length: input.to - input.from }, (_, offset) => ({ payoutId: ceilingPayoutId(input.run, input.from + offset), input: 'bench' }));
      const { signalled } = await signalPayRunApprovals(client, signals, {
        concurrency: input.concurrency,
        onDelivered: (delivered) => Context.current().heartbeat({ delivered }),
      });
      return signalled;
    },
  };
}

export type CeilingActivities = ReturnType<typeof createCeilingActivities>;
