/** The report's Training section: learning curves from training.csv. */
import { learningCurves } from '../charts/training.ts';
import type { ReportSection } from '../html.ts';
import { cell, type RunReportData } from './run-data.ts';

export const TRAINING_CAPTIONS = {
  learningCurves:
    'Episode return during training against environment steps. Thin lines are individual seeds, the thick line their mean and the band the spread across seeds; a rising, narrowing band means learning that is reliable across seeds.',
} as const;

/** Learning curves per seed; none for a baselines-only run. */
export function trainingSection(data: RunReportData): ReportSection | undefined {
  if (data.training.length === 0) return undefined;
  const { algo, seeds } = data.config.train;
  const rows = data.training.map((r) => ({ seed: r['seed'] as string, steps: cell(r['steps']), episodeReturn: cell(r['episode_return']), method: algo }));
  return {
    heading: 'Training',
    text: `Mean return of the last 100 training episodes, per seed (${seeds.join(', ')}), against environment steps.`,
    charts: [{ name: 'learning-curves', spec: learningCurves(rows, { colors: data.colors }), caption: TRAINING_CAPTIONS.learningCurves }],
  };
}
