/** The report's Training section: learning curves and training health from training.csv. */
import { learningCurves, trainingHealth, trainingHealthPanels, trainingHealthText, type TrainingHealthRow } from '../charts/training.ts';
import type { ReportChart, ReportSection } from '../html.ts';
import { cell, type RunReportData } from './run-data.ts';

/** How to read the learning curves of a run with `seeds` training seeds. */
export function learningCurvesCaption(seeds: number): string {
  return seeds > 1
    ? `Mean return of the recent training episodes against environment steps, ${seeds} seeds. Thin lines are the seeds, the thick line their mean and the band their min-max range; a rising, narrowing band means learning that is reliable across seeds.`
    : 'Mean return of the recent training episodes against environment steps, for the one training seed of this run. One seed shows no seed-to-seed variation: run several seeds before trusting a curve.';
}

/** Learning curves and training health per seed; none for a baselines-only run. */
export function trainingSection(data: RunReportData, doseUnit: string | undefined): ReportSection | undefined {
  if (data.training.length === 0) return undefined;
  const { algo, seeds } = data.config.train;
  const withReturn = data.training.filter((r) => Number.isFinite(cell(r['episode_return'])));
  const charts: ReportChart[] = [];
  if (withReturn.length > 0) {
    const rows = withReturn.map((r) => ({ seed: r['seed'] as string, steps: cell(r['steps']), episodeReturn: cell(r['episode_return']), method: algo }));
    charts.push({ name: 'learning-curves', spec: learningCurves(rows, { colors: data.colors }), caption: learningCurvesCaption(new Set(rows.map((r) => r.seed)).size) });
  }
  const health = healthRows(data);
  const has = trainingHealthPanels(health);
  if (Object.values(has).some(Boolean)) {
    const seedCount = new Set(health.map((r) => String(r.seed))).size;
    const budget = has.lagrange ? data.costLimit : undefined;
    charts.push({
      name: 'training-health',
      spec: trainingHealth(health, { colors: data.colors, method: algo, actionUnit: shortUnit(data.actionUnits), ...(doseUnit !== undefined ? { doseUnit } : {}), ...(budget !== undefined ? { costLimit: budget } : {}) }),
      caption: trainingHealthText(has, seedCount, budget !== undefined),
    });
  }
  return {
    heading: 'Training',
    text: `${algo}, ${data.config.train.steps.toLocaleString('en-US')} environment steps per seed, ${seeds.length} seed(s) (${seeds.join(', ')}).`,
    charts,
  };
}

/** The first phrase of an env's action description (metadata.actionUnits), e.g. 'U/h' of 'U/h (insulin rate)'. */
function shortUnit(actionUnits: string): string {
  return actionUnits.split(/ \(|:/)[0]?.trim() || 'action';
}

/** training.csv's health columns (absent columns, e.g. of runs made before they existed, are NaN). */
function healthRows(data: RunReportData): TrainingHealthRow[] {
  return data.training.map((r) => ({
    seed: r['seed'] as string,
    steps: cell(r['steps']),
    entropy: cell(r['entropy']),
    valueLoss: Number.isFinite(cell(r['loss_value'])) ? cell(r['loss_value']) : cell(r['loss_q']),
    explorationRate: cell(r['exploration_rate']),
    actionMean: cell(r['action_mean']),
    doseMean: cell(r['dose_mean']),
    doseSd: cell(r['dose_sd']),
    lagrange: cell(r['lagrange']),
    episodeCost: cell(r['episode_cost']),
  }));
}
