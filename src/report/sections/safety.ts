/**
 * The report's Safety section (when the run has constraints, a shield or a cost): episode cost and
 * shield interventions per method, the family's own panels (e.g. T1D time below 70 and 54 mg/dL),
 * and the Lagrange multiplier and cost rate over training.
 */
import { metricByMethod, type MetricByMethodRow } from '../charts/common.ts';
import { learningCurves } from '../charts/training.ts';
import type { ReportChart, ReportSection } from '../html.ts';
import type { FamilySections } from './family-sections.ts';
import { cell, type RunReportData, type SummaryRow } from './run-data.ts';

/** One value per summary row that has `column` (baselines' seed shown as 'baseline'). */
export function valuesByMethod(rows: readonly SummaryRow[], column: string): MetricByMethodRow[] {
  const seedOf = (r: SummaryRow) => (r['seed'] === null || r['seed'] === '' ? 'baseline' : String(r['seed']));
  return rows.filter((r) => r[column] !== null && r[column] !== undefined && r[column] !== '').map((r) => ({ method: String(r['method']), seed: seedOf(r), value: Number(r[column]) }));
}

export function safetySection(data: RunReportData, family: FamilySections): ReportSection | undefined {
  const { config, training } = data;
  const rows = data.summary.rows;
  const o = { colors: data.colors };
  const safetyConfigured = config.safety !== undefined || data.costLimit !== undefined;
  const hasCost = rows.some((r) => Number(r['mean_cost']) > 0);
  if (!safetyConfigured && !hasCost) return undefined;
  const budget = data.costLimit;
  const panels: ReportChart[] = [
    {
      name: 'safety-cost',
      spec: metricByMethod(valuesByMethod(rows, 'mean_cost'), { ...o, title: 'Constraint cost per episode', subtitle: 'Mean summed info.cost per evaluation episode (bars: mean over seeds; dots: seeds)' + (budget !== undefined ? '; dashed line: the training budget.' : '.'), yTitle: 'Cost per episode', valueName: 'cost', ...(budget !== undefined ? { thresholds: [{ value: budget, label: `budget ${budget}` }] } : {}) }),
      caption: 'Average constraint cost of an evaluation episode per method; lower is safer. With a budget, bars above the dashed line break the constraint on average.',
    },
  ];
  const interventions = valuesByMethod(rows, 'shield_interventions');
  if (interventions.length > 0) {
    panels.push({
      name: 'shield-interventions',
      spec: metricByMethod(interventions, { ...o, title: 'Shield interventions per episode', subtitle: 'Steps per evaluation episode at which the shield lowered the requested dose (shielded variants only).', yTitle: 'Interventions per episode', valueName: 'interventions' }),
      caption: 'How often the shield had to rewrite each method\'s action. A method that needs many interventions relies on the shield for its safety.',
    });
  }
  panels.push(...(family.safetyPanels?.(data) ?? []));
  const algo = config.train.algo;
  const lagrange = training.filter((r) => Number.isFinite(cell(r['lagrange'])));
  if (lagrange.length > 0) {
    panels.push({
      name: 'lagrange-multiplier',
      spec: learningCurves(lagrange.map((r) => ({ seed: r['seed'] as string, steps: cell(r['steps']), episodeReturn: cell(r['lagrange']), method: algo })), { ...o, title: 'Lagrange multiplier during training', subtitle: 'PPO-Lagrangian raises the multiplier while the episode cost exceeds the budget and lowers it (to 0) when within.', yTitle: 'Multiplier lambda' }),
      caption: 'The price PPO-Lagrangian puts on cost. It should settle once the training cost meets the budget.',
    });
  }
  const costRate = training.filter((r) => Number.isFinite(cell(r['cost_rate'])));
  if (costRate.length > 0 && (hasCost || safetyConfigured)) {
    panels.push({
      name: 'training-cost-rate',
      spec: learningCurves(costRate.map((r) => ({ seed: r['seed'] as string, steps: cell(r['steps']), episodeReturn: cell(r['cost_rate']), method: algo })), { ...o, title: 'Cost rate during training', subtitle: 'Constraint cost per environment step during training (PPO-Lagrangian: since the start; other algorithms: recent episodes).', yTitle: 'Cost per step' }),
      caption: 'Safety during learning: the cost the agent incurred while exploring, per environment step.',
    });
  }
  return { heading: 'Safety', text: config.safety?.constraints !== undefined ? `Costs are the configured constraints (${JSON.stringify(config.safety.constraints)}).` : 'Costs are the environment\'s own info.cost.', charts: panels };
}
