/**
 * The report's Summary: every compared number with its 95 % CI from aggregates.json, one row per
 * method (a learned method's IQM across seeds with its CI in a row beneath), then each learned
 * method's paired difference to every baseline with its CI, then the per-seed rows of summary.csv.
 * The text above the table says which resampling scheme produced the CIs (src/evaluation/evaluate.ts
 * `BootstrapScheme`), from the schemes the aggregates record.
 */
import type { MethodAggregate, MetricAggregate } from '../../evaluation/evaluate.ts';
import type { ReportTable, SummaryTable, TableCell } from '../html.ts';
import type { RunReportData } from './run-data.ts';

/** Metrics where a higher value is better (the others below are lower-better; the rest neutral, e.g. mean BG). */
const HIGHER_IS_BETTER = new Set(['return', 'tir', 'tir_planned', 'survived', 'survival_probability', 'cures', 'min_normal']);
const LOWER_IS_BETTER = new Set(['cost', 'tbr70', 'tbr54', 'tar180', 'tar250', 'lbgi', 'hbgi', 'risk_index', 'cv', 'terminations', 'hypo54_events_per_week', 'final_tumor', 'days_normal_below_075', 'days_to_tumor_below_1e3', 'deaths', 'months_to_cure', 'final_wellness', 'final_tumor_size', 'shield_interventions']);

function direction(metric: string): 'higher' | 'lower' | null {
  if (HIGHER_IS_BETTER.has(metric)) return 'higher';
  if (LOWER_IS_BETTER.has(metric) || metric.startsWith('exceeded_') || metric.startsWith('violation_')) return 'lower';
  return null;
}

/** Count columns are sums in summary.csv; their aggregate is the mean per episode. */
const PER_EPISODE = new Set(['terminations', 'deaths', 'cures']);

function fmt(x: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(1) : a >= 1 ? x.toFixed(2) : a === 0 ? '0' : x.toPrecision(3);
}

function estimate(value: number, ci: { low: number; high: number }, title: string, tone?: 'better' | 'worse' | 'notable'): TableCell {
  const interval = Number.isFinite(ci.low) && Number.isFinite(ci.high) ? ` [${fmt(ci.low)}, ${fmt(ci.high)}]` : '';
  return { text: `${fmt(value)}${interval}`, title, ...(tone !== undefined ? { tone } : {}) };
}

/** The metric columns in display order: the family's headline first, then return, cost and the rest. */
function metricOrder(aggregates: readonly MethodAggregate[], headline: readonly string[]): string[] {
  const all = Object.keys(aggregates[0]?.metrics ?? {});
  return [...headline.filter((c) => all.includes(c)), ...['return', 'cost'].filter((c) => all.includes(c) && !headline.includes(c)), ...all.filter((c) => !headline.includes(c) && c !== 'return' && c !== 'cost')];
}

const header = (metric: string) => (PER_EPISODE.has(metric) ? `${metric} (per episode)` : metric);

/** How the CIs were computed, from the schemes the aggregates record. */
export function schemeText(aggregates: readonly MethodAggregate[], resamples: number): string {
  const learned = aggregates.filter((a) => a.seeds.length > 0);
  const baselines = aggregates.filter((a) => a.seeds.length === 0);
  const parts = [`Each number is the mean over evaluation episodes with its 95 % confidence interval [low, high]: a percentile bootstrap (${resamples} resamples) that resamples the evaluation's clusters, never single episodes as if they were independent.`];
  if (learned.length > 0) {
    const seeds = [...new Set(learned.map((a) => a.seeds.length))];
    parts.push(
      `Learned methods (${learned.map((a) => a.method).join(', ')}): training seeds, then patients, then days (scheme seed>patient>episode)` +
        (seeds.includes(1) ? '; with one training seed the interval cannot include seed-to-seed variation, so it understates the uncertainty about the algorithm.' : `, over ${seeds.join(' / ')} seeds.`),
    );
    parts.push(
      seeds.some((n) => n > 1)
        ? 'Beneath each learned method: its interquartile mean (IQM) across seeds, the mean of the middle half of the seed x patient scores (Agarwal et al., NeurIPS 2021), with the stratified bootstrap CI of rliable (seeds resampled within each patient).'
        : 'The interquartile mean across seeds (Agarwal et al., NeurIPS 2021) needs several training seeds; with one it is the mean itself and has no interval.',
    );
  }
  if (baselines.length > 0) parts.push(`Baselines (${baselines.map((a) => a.method).join(', ')}): patients, then days (patient>episode).`);
  return parts.join(' ');
}

/** The summary tables of a run with aggregates.json; undefined without it. */
export function summaryTables(data: RunReportData, headline: readonly string[]): { main: SummaryTable; text: string; more: ReportTable[] } | undefined {
  const aggregates = data.aggregates;
  if (aggregates === undefined || aggregates.length === 0) return undefined;
  const metrics = metricOrder(aggregates, headline);
  const columns = ['method', 'seeds', 'episodes', ...metrics.map(header)];
  const columnTitles = Object.fromEntries(metrics.filter((m) => PER_EPISODE.has(m)).map((m) => [header(m), `mean of 0/1 per episode (summary.csv's ${m} is the count)`]));
  const rows: TableCell[][] = [];
  for (const a of aggregates) {
    rows.push([a.method, a.seeds.length === 0 ? '' : a.seeds.length, a.episodes, ...metrics.map((m) => {
      const agg = a.metrics[m] as MetricAggregate | undefined;
      return agg === undefined ? null : estimate(agg.mean, agg.ci95, `mean over ${agg.n} episodes, 95 % CI by ${agg.scheme}`);
    })]);
    if (a.seeds.length > 0) {
      rows.push([`${a.method} IQM`, a.seeds.length, a.episodes, ...metrics.map((m) => {
        const iqm = a.metrics[m]?.iqm;
        if (iqm === undefined) return null;
        return a.seeds.length < 2 || iqm.ci95 === null ? { text: "n/a (1 seed)", title: "the IQM across seeds needs several seeds" } : estimate(iqm.value, iqm.ci95, `IQM of ${iqm.runs} seeds x ${iqm.tasks} patients, 95 % CI by ${iqm.scheme}`);
      })]);
    }
  }
  const main: SummaryTable = { columns, rows, columnTitles, headline: headline.map(header) };
  const more: ReportTable[] = [];
  const paired: TableCell[][] = [];
  for (const a of aggregates.filter((x) => x.seeds.length > 0)) {
    for (const [baseline, byMetric] of Object.entries(a.pairedDifferences)) {
      paired.push([`${a.method} - ${baseline}`, a.seeds.length, ...metrics.map((m) => {
        const d = byMetric[m];
        if (d === undefined) return null;
        const excludes0 = d.ci95.low > 0 || d.ci95.high < 0;
        const dir = direction(m);
        const tone = !excludes0 ? undefined : dir === null ? 'notable' : (d.ci95.low > 0) === (dir === 'higher') ? 'better' : 'worse';
        return estimate(d.mean, d.ci95, `paired over ${d.n} episodes, 95 % CI by ${d.scheme}${excludes0 ? '; the CI excludes 0' : ''}`, tone);
      })]);
    }
  }
  if (paired.length > 0) {
    more.push({
      heading: 'Paired differences: learned method - baseline',
      text: 'Each learned method minus each baseline on the same patients and days (episode by episode, each training seed against the same baseline episode), resampled as the learned method. Green: the CI excludes 0 in the better direction; red: in the worse direction; bold: excludes 0 for a metric without a better direction.',
      table: { columns: ['difference', 'seeds', ...metrics.map(header)], rows: paired, columnTitles, headline: headline.map(header) },
    });
  }
  const perSeedColumns = data.summary.columns;
  more.push({
    heading: 'Per training seed (summary.csv)',
    table: { columns: perSeedColumns, rows: data.summary.rows.map((r) => perSeedColumns.map((c) => r[c] ?? null)), headline },
    collapsed: true,
  });
  return { main, text: schemeText(aggregates, data.config.evaluate.bootstrap), more };
}
