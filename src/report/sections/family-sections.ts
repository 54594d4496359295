/** What a patient family contributes to a run's report (looked up by family name in index.ts). */
import type { ReportChart, ReportSection } from '../html.ts';
import type { RunReportData } from './run-data.ts';

export interface FamilySections {
  /** The family's outcome sections, in report order (after Training). */
  sections(data: RunReportData): ReportSection[];
  /** The family's panels in the Safety section, after the common ones. */
  safetyPanels?(data: RunReportData): ReportChart[];
  /** Unit of the dose the family's envs deliver (training.csv's dose_mean), e.g. 'U/h'. */
  doseUnit?: string;
  /** The protocol lines of the report's header: what the evaluation's patients faced (meal announcement, therapy errors, ...). */
  protocol?(data: RunReportData): string[];
}
