/**
 * The chart every family's report shows (the mean evaluation return per method and seed) and the
 * sections of a family whose report is that chart alone (classic control, Zhao).
 */
import { describeMethodBars, methodBarsShape, returnsByMethod } from '../charts/common.ts';
import type { ReportChart } from '../html.ts';
import type { FamilySections } from './family-sections.ts';
import { valuesByMethod, type RunReportData } from './run-data.ts';

/** How to read a per-method bar chart of `rows` (what its bars, whiskers and dots are for this run). */
export function methodBarsCaption(what: string, rows: Parameters<typeof methodBarsShape>[0]): string {
  const shape = methodBarsShape(rows);
  const compare = shape.multiSeed.length > 0 ? ' Where the dots of two methods overlap, their difference may not be reliable; the summary table gives the confidence intervals.' : ' The summary table gives each mean with its 95 % confidence interval.';
  return `${what} ${describeMethodBars(shape)}${compare}`;
}

export function returnsChart(data: RunReportData): ReportChart {
  const rows = valuesByMethod(data.summary.rows, 'mean_return');
  return {
    name: 'returns-by-method',
    spec: returnsByMethod(rows.map((r) => ({ method: r.method, seed: r.seed, meanReturn: r.value })), { colors: data.colors }),
    caption: methodBarsCaption('Mean evaluation return per method (higher is better).', rows),
  };
}

/** A family with no outcome charts of its own: the evaluation returns only. */
export const RETURNS_ONLY: FamilySections = {
  sections: (data) => [{ heading: 'Evaluation returns', charts: [returnsChart(data)] }],
};
