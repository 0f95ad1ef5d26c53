import { Context } from '@temporalio/activity';
import type { Database } from '../db/pool.ts';
import { auditablePeriod } from '../domain/audit-schedule.ts';
import { DomainError, domainErrorFailure } from '../domain/errors.ts';
import { runAudit } from '../modules/audits/audit-store.ts';
import type { AuditOutcome, AuditRequest } from '../workflows/audit-messages.ts';

/** The failure type of an audit refused for its input (a malformed or unfinished period): retrying cannot cure it. */
export const auditRefused = 'AuditRefused';

export function createAuditActivities({ database }: { database: Database }) {
  return {
    /** Computes and stores the run of a kind for a period, once (docs/rules.md#audit-schedule). */
    async runAudit(input: AuditRequest): Promise<AuditOutcome> {
      const beat = setInterval(() => Context.current().heartbeat(), 5_000);
      try {
        const period = auditablePeriod(input.kind, input.period, new Date());
        const { run, created } = await runAudit(database, { kind: input.kind, period, requestedBy: input.requestedBy });
        return { runId: run.id, kind: run.kind, period: run.period, findings: run.findings.total, sha256: run.sha256, created };
      } catch (error) {
        if (error instanceof DomainError) throw domainErrorFailure(auditRefused, error);
        throw error;
      } finally {
        clearInterval(beat);
      }
    },
  };
}

export type AuditActivities = ReturnType<typeof createAuditActivities>;
