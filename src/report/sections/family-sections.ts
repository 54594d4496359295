/** What a patient family contributes to a run's report (looked up by family name in index.ts). */
import type { ReportChart, ReportSection } from '../html.ts';
import type { RunReportData } from './run-data.ts';

export interface FamilySections {
  /** The family's outcome sections, in report order (after Training). */
  sections(data: RunReportData): ReportSection[];
  /** The family's panels in the Safety section, after the common ones. */
  safetyPanels?(data: RunReportData): ReportChart[];
}
