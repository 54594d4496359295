/**
 * The chart every family's report shows (the mean evaluation return per method and seed) and the
 * sections of a family whose report is that chart alone (classic control, Zhao).
 */
import { returnsByMethod } from '../charts/common.ts';
import type { ReportChart } from '../html.ts';
import type { FamilySections } from './family-sections.ts';
import type { RunReportData } from './run-data.ts';

export const RETURNS_CAPTION =
  'Mean evaluation return per method: bars are the mean over training seeds, whiskers one standard deviation and dots the individual seeds. Overlapping dots mean the difference may not be reliable.';

export function returnsChart(data: RunReportData): ReportChart {
  const rows = data.summary.rows.map((r) => ({ method: String(r['method']), seed: String(r['seed'] ?? 'baseline'), meanReturn: Number(r['mean_return']) }));
  return { name: 'returns-by-method', spec: returnsByMethod(rows, { colors: data.colors }), caption: RETURNS_CAPTION };
}

/** A family with no outcome charts of its own: the evaluation returns only. */
export const RETURNS_ONLY: FamilySections = {
  sections: (data) => [{ heading: 'Evaluation returns', charts: [returnsChart(data)] }],
};
