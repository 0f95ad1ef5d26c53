import type { Database } from '../db/pool.ts';
import { summaryReportKinds, type ScheduledPeriod } from '../domain/summary-reports.ts';
import { generateSummaryReport } from '../modules/reports/summary-report-store.ts';

export function createReportActivities({ database }: { database: Database }) {
  return {
    /** Generates and stores the commission and payout summaries of a Schedule's period (each once per period). */
    async generateScheduledSummaryReports(input: { period: ScheduledPeriod; from: string; to: string }): Promise<{ kind: string; id: string; created: boolean }[]> {
      const stored = [];
      for (const kind of summaryReportKinds) {
        const { report, created } = await generateSummaryReport(database, { kind, period: input.period, from: input.from, to: input.to, requestedBy: null });
        stored.push({ kind, id: report.id, created });
      }
      return stored;
    },
  };
}

export type ReportActivities = ReturnType<typeof createReportActivities>;
