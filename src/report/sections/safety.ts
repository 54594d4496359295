/**
 * The report's Safety section (when the run has constraints, a shield or a cost): episode cost and
 * shield interventions per method, the family's own panels (e.g. T1D time below 70 and 54 mg/dL),
 * and the cost rate over training. (PPO-Lagrangian's multiplier is in the training-health chart,
 * against the cost it prices.)
 */
import { metricByMethod } from '../charts/common.ts';
import { learningCurves } from '../charts/training.ts';
import type { ReportChart, ReportSection } from '../html.ts';
import type { FamilySections } from './family-sections.ts';
import { methodBarsCaption } from './returns.ts';
import { cell, valuesByMethod, type RunReportData } from './run-data.ts';

export function safetySection(data: RunReportData, family: FamilySections): ReportSection | undefined {
  const { config, training } = data;
  const rows = data.summary.rows;
  const o = { colors: data.colors };
  const safetyConfigured = config.safety !== undefined || data.costLimit !== undefined;
  const hasCost = rows.some((r) => Number(r['mean_cost']) > 0);
  if (!safetyConfigured && !hasCost) return undefined;
  const budget = data.costLimit;
  const cost = valuesByMethod(rows, 'mean_cost');
  // safety.constraints.chance: info.cost is the over-budget indicator (src/safety/constraints.ts).
  const chance = (config.safety?.constraints as { chance?: unknown } | undefined)?.chance;
  const what = typeof chance === 'number' ? `Share of evaluation episodes over budget (info.cost is the over-budget indicator, safety.constraints.chance ${chance})` : 'Mean summed info.cost per evaluation episode';
  const panels: ReportChart[] = [
    {
      name: 'safety-cost',
      spec: metricByMethod(cost, { ...o, title: 'Constraint cost per episode', subtitle: what + (budget !== undefined ? '; dashed line: the training budget.' : '.'), yTitle: 'Cost per episode', valueName: 'cost', ...(budget !== undefined ? { thresholds: [{ value: budget, label: `budget ${budget}` }] } : {}) }),
      caption: methodBarsCaption(
        typeof chance === 'number'
          ? `Share of each method's evaluation episodes that ended over budget; lower is safer.${budget !== undefined ? ' Bars above the dashed line exceed the share allowed in training.' : ''} A patient who died early stops accruing cost: read it beside survived and terminations in the summary.`
          : `Average constraint cost of an evaluation episode per method; lower is safer.${budget !== undefined ? ' Bars above the dashed budget line break the constraint on average.' : ''} A patient who died early stops accruing cost: read it beside survived and terminations in the summary.`,
        cost,
      ),
    },
  ];
  const interventions = valuesByMethod(rows, 'shield_interventions');
  if (interventions.length > 0) {
    panels.push({
      name: 'shield-interventions',
      spec: metricByMethod(interventions, { ...o, title: 'Shield interventions per episode', subtitle: 'Steps per evaluation episode at which the shield lowered the requested dose (shielded variants only).', yTitle: 'Interventions per episode', valueName: 'interventions' }),
      caption: methodBarsCaption("How often the shield had to rewrite each shielded method's action. A method that needs many interventions relies on the shield for its safety.", interventions),
    });
  }
  panels.push(...(family.safetyPanels?.(data) ?? []));
  const algo = config.train.algo;
  const costRate = training.filter((r) => Number.isFinite(cell(r['cost_rate'])));
  if (costRate.length > 0) {
    const seeds = new Set(costRate.map((r) => r['seed'])).size;
    panels.push({
      name: 'training-cost-rate',
      spec: learningCurves(costRate.map((r) => ({ seed: r['seed'] as string, steps: cell(r['steps']), episodeReturn: cell(r['cost_rate']), method: algo })), { ...o, title: 'Cost rate during training', subtitle: 'Constraint cost per environment step during training (PPO-Lagrangian: since the start; other algorithms: recent episodes).', yTitle: 'Cost per step' }),
      caption: `Safety during learning: the cost the agent incurred while exploring, per environment step${seeds > 1 ? `, one line per seed (${seeds}) with their mean and min-max band` : ', for the one training seed'}.`,
    });
  }
  return { heading: 'Safety', text: config.safety?.constraints !== undefined ? `Costs are the configured constraints (${JSON.stringify(config.safety.constraints)}).` : "Costs are the environment's own info.cost.", charts: panels };
}
