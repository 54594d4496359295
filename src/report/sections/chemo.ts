/**
 * The de Pillis chemotherapy report: the model states and dose schedule of a representative
 * episode per method, tumour against toxicity per episode, and the return per method. (The Zhao
 * family's report is the return per method alone: RETURNS_ONLY in returns.ts.)
 */
import { chemoTrajectories, tumorVsToxicity } from '../charts/chemo.ts';
import type { FamilySections } from './family-sections.ts';
import { returnsChart } from './returns.ts';
import { cell, representativeEpisode, type RunReportData } from './run-data.ts';

export const CHEMO_CAPTIONS = {
  chemoTrajectories:
    'Model states over the treatment horizon for one evaluation episode per method. The aim is tumour T down while normal cells N stay above the dashed toxicity line; the bottom rows show each method\'s dosing schedule.',
  tumorVsToxicity:
    'Each point is one evaluation episode: how much tumour is left (lower is better) against the lowest normal-cell level reached (right of the dashed line means the toxicity limit held). Larger points used more drug.',
} as const;

function sections(data: RunReportData) {
  const o = { colors: data.colors };
  const rep = representativeEpisode(data.trajectories);
  // Row k is the state after step k and u the dose of step k; the chart wants the dose applied
  // from each row's day until the next row, i.e. the next row's u.
  const traj = rep.map((r, i) => {
    const next = rep[i + 1];
    const u = next !== undefined && next['method'] === r['method'] ? cell(next['u']) : 0;
    return { method: r['method'] as string, day: cell(r['day']), N: cell(r['N']), T: cell(r['T']), I: cell(r['I']), B: cell(r['B']), u: Number.isFinite(u) ? u : 0 };
  });
  const tumor = data.episodes.map((r) => ({ method: r['method'] as string, finalTumor: cell(r['final_tumor']), minNormal: cell(r['min_normal']), cumulativeDose: cell(r['cumulative_dose']) }));
  return [
    {
      heading: 'Tumour, immune and normal cells',
      charts: [
        ...(traj.length > 0 ? [{ name: 'chemo-trajectories', spec: chemoTrajectories(traj, o), caption: CHEMO_CAPTIONS.chemoTrajectories }] : []),
        { name: 'tumor-vs-toxicity', spec: tumorVsToxicity(tumor, o), caption: CHEMO_CAPTIONS.tumorVsToxicity },
        returnsChart(data),
      ],
    },
  ];
}

export const DEPILLIS_SECTIONS: FamilySections = { sections };
