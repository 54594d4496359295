/**
 * The de Pillis chemotherapy report: the model states and daily doses of a representative episode
 * per method, tumour against toxicity per episode, the outcome per patient draw, the return per
 * method, and for learned policies their dose over tumour x normal-cell level (or immune level, when
 * N is hidden from the policy) and their distilled rules. (The Zhao family's report is the return
 * per method alone: RETURNS_ONLY in returns.ts.)
 */
import { chemoPolicyProbe, CHEMO_INITIAL_STATE, type ChemoProbe, type ChemoState } from '../../../envs/chemo/policy-probe.ts';
import { resolveDePillisOptions } from '../../../envs/chemo/depillis-env.ts';
import { NORMAL_CELL_CONSTRAINT } from '../../metrics/chemo.ts';
import { chemoTrajectories, tumourVsToxicity } from '../charts/chemo.ts';
import { policyMap, type PolicyMapCell } from '../charts/explain.ts';
import type { ReportChart, ReportSection } from '../html.ts';
import { quantiles } from '../stats.ts';
import { policyRulesChart, sampledPolicies } from './explain.ts';
import type { FamilySections } from './family-sections.ts';
import { perPatientView } from './per-patient.ts';
import { returnsChart } from './returns.ts';
import { cell, representativeEpisode, type RunReportData } from './run-data.ts';

/** How to read the trajectories chart, for this run's episode and doses. */
export function chemoTrajectoriesCaption(o: { seed: string | null; ended: string[]; dailyDoses: boolean }): string {
  return (
    `Model states over the treatment horizon for one evaluation episode per method (episode 0${o.seed !== null ? `, training seed ${o.seed} for a learned method` : ''}: the same patient draw for every method). The aim is tumour T down while normal cells N stay above the dashed toxicity line; the bottom rows show each method's ${o.dailyDoses ? 'mean dose per day (the 0.25-day decisions averaged, so 600 steps read as 150 days)' : 'dose at every step'}.` +
    (o.ended.length > 0 ? ` The lines of ${o.ended.join(', ')} stop early: the normal cells fell below the termination level and the episode ended (the patient died).` : '')
  );
}

/** How to read tumour against toxicity, for this run's episodes. */
export function tumourVsToxicityCaption(o: { episodes: number; untreated: string[] }): string {
  return (
    `Each of the ${o.episodes} points is one evaluation episode: how much tumour is left (lower is better) against the lowest normal-cell level reached (right of the dashed line means the toxicity limit held). Larger points used more drug` +
    (o.untreated.length > 0 ? `; the smallest points (${o.untreated.join(', ')}) gave no drug at all.` : '.') +
    ' An episode that ended early by a termination shows the tumour at its end.'
  );
}

/** The median of each state over the learned policies' sampled states (N only when observed), else the initial state. */
function typicalState(data: RunReportData, probe: ChemoProbe): ChemoState {
  const states = sampledPolicies(data).flatMap((s) => s.states);
  if (states.length === 0) return { ...CHEMO_INITIAL_STATE };
  const observed = states.map((s) => probe.stateOf(s.observation, CHEMO_INITIAL_STATE));
  const median = (k: keyof ChemoState) => quantiles(observed.map((s) => s[k] ?? 0), [0.5])[0] as number;
  return { N: probe.observeN ? median('N') : CHEMO_INITIAL_STATE.N, T: median('T'), I: median('I'), B: median('B'), ...(probe.observeDay ? { day: median('day') } : {}) };
}

const T_GRID = Array.from({ length: 13 }, (_, i) => 10 ** (-4 + i / 3)); // 1e-4 .. 1
const N_GRID = Array.from({ length: 17 }, (_, i) => 0.6 + 0.025 * i); // 0.6 .. 1.0
const I_GRID = Array.from({ length: 16 }, (_, i) => 0.1 * i); // 0 .. 1.5

/** The `policy-map` chart: each learned policy's dose over tumour x normal cells (x immune cells when N is hidden). */
function chemoPolicyMap(data: RunReportData, probe: ChemoProbe): ReportChart | undefined {
  if (data.policies.length === 0) return undefined;
  const held = typicalState(data, probe);
  const xKey: 'N' | 'I' = probe.observeN ? 'N' : 'I';
  const xs = xKey === 'N' ? N_GRID : I_GRID;
  const dx = ((xs[1] as number) - (xs[0] as number)) / 2;
  const dy = 10 ** (1 / 6); // half a log step, as a factor
  const cells: PolicyMapCell[] = [];
  for (const { method, seed, policy } of data.policies) {
    for (const x of xs) {
      for (const T of T_GRID) {
        const state = { ...held, [xKey]: x, T };
        cells.push({ panel: `${method} (seed ${seed})`, method, x, y: T, dx, dy, value: probe.dose(policy.act(probe.observe(state), { deterministic: true, info: {} })) });
      }
    }
  }
  const fmt = (v: number) => Number(v.toPrecision(3));
  const fixed = (xKey === 'N' ? `I = ${fmt(held.I)}, B = ${fmt(held.B)}` : `B = ${fmt(held.B)}`) + (probe.observeDay ? `, day ${fmt(held.day ?? 0)}` : '');
  const heldText = `${fixed} (${xKey === 'N' || probe.observeDay ? 'their medians' : 'its median'} over the evaluation states)`;
  const hidden = probe.observeN ? '' : 'N is not part of this policy\'s observation (observeN: false, as in DTR-Bench), so its dose cannot depend on the normal cells: the map shows tumour against the immune cells instead. ';
  return {
    name: 'policy-map',
    spec: policyMap(cells, {
      colors: data.colors,
      title: `Policy maps: dose over tumour and ${xKey === 'N' ? 'normal cells' : 'immune cells'}`,
      subtitle: [`Dose fraction each learned policy gives at a tumour burden T (y, log) and ${xKey === 'N' ? 'normal-cell level N' : 'immune level I'} (x), noiseless observations, ${heldText}.`, ...(hidden !== '' ? [hidden.trim()] : [])],
      xTitle: xKey === 'N' ? 'Normal cells N' : 'Immune cells I',
      yTitle: 'Tumour T',
      valueTitle: 'Dose (fraction of max)',
      yLog: true,
      color: { kind: 'sequential', domain: [0, 1] },
      ...(xKey === 'N' ? { xRules: [NORMAL_CELL_CONSTRAINT] } : {}),
    }),
    caption: `${hidden}Where each learned policy (one panel per training seed) doses more or less, with ${heldText}. A clinician would expect more drug for more tumour and less as the normal cells near the dashed toxicity limit.`,
  };
}

function sections(data: RunReportData): ReportSection[] {
  const o = { colors: data.colors };
  const rep = representativeEpisode(data.trajectories);
  // Row k is the state after step k and u the dose of step k; the chart wants the dose applied
  // from each row's day until the next row, i.e. the next row's u.
  const traj = rep.map((r, i) => {
    const next = rep[i + 1];
    const u = next !== undefined && next['method'] === r['method'] ? cell(next['u']) : 0;
    return { method: r['method'] as string, day: cell(r['day']), N: cell(r['N']), T: cell(r['T']), I: cell(r['I']), B: cell(r['B']), u: Number.isFinite(u) ? u : 0 };
  });
  const tumour = data.episodes.map((r) => ({ method: r['method'] as string, finalTumour: cell(r['final_tumor']), minNormal: cell(r['min_normal']), cumulativeDose: cell(r['cumulative_dose']) }));
  const ended = [...new Set(rep.filter((r) => data.episodes.some((e) => e['method'] === r['method'] && e['seed'] === r['seed'] && e['episode'] === r['episode'] && e['patient'] === r['patient'] && e['terminated'] === '1')).map((r) => r['method'] as string))];
  const perDraw = perPatientView(
    data,
    [
      { metric: 'final_tumor', title: 'Final tumour T', better: 'lower', log: true },
      { metric: 'min_normal', title: 'Minimum normal cells N', better: 'higher', threshold: { value: NORMAL_CELL_CONSTRAINT, label: `toxicity limit ${NORMAL_CELL_CONSTRAINT}` } },
    ],
    { unit: (r) => `draw ${r['episode']}`, group: () => '', replicate: () => 0, unitName: 'patient draw', groupOrder: [] },
  );
  const stepsPerMethod = traj.length / Math.max(1, new Set(traj.map((r) => r.method)).size);
  const out: ReportSection[] = [
    {
      heading: 'Tumour, immune and normal cells',
      charts: [
        ...(traj.length > 0 ? [{ name: 'chemo-trajectories', spec: chemoTrajectories(traj, o), caption: chemoTrajectoriesCaption({ seed: data.policies.length > 0 ? String(data.policies[0]?.seed) : null, ended, dailyDoses: stepsPerMethod > 100 }) }] : []),
        { name: 'tumor-vs-toxicity', spec: tumourVsToxicity(tumour, o), caption: tumourVsToxicityCaption({ episodes: tumour.length, untreated: [...new Set(tumour.filter((t) => t.cumulativeDose === 0).map((t) => t.method))] }) },
        ...(perDraw !== undefined ? [perDraw.chart] : []),
        returnsChart(data),
      ],
    },
  ];
  if (data.policies.length > 0) {
    const probe = chemoPolicyProbe(data.config.env.options);
    const map = chemoPolicyMap(data, probe);
    const rules = policyRulesChart(data, { features: { names: probe.labels.map((l) => `${l} (dimensionless)`), values: (obs) => Array.from(obs) }, describeAction: (v) => `dose ${Number(v.toPrecision(3))}`, actionUnit: '' });
    const charts = [...(map !== undefined ? [map] : []), ...(rules !== undefined ? [rules.chart] : [])];
    if (charts.length > 0) out.push({ heading: 'Policy explanation', text: 'What the learned policies do, asked directly.', charts });
  }
  return out;
}

/** The header's protocol line for a de Pillis run: the DTR-Bench setting and what the policy observes. */
function protocol(data: RunReportData): string[] {
  const c = resolveDePillisOptions(data.config.env.options);
  const setting = data.config.env.options['setting'];
  return [
    `${typeof setting === 'number' ? `DTR-Bench setting ${setting}: ` : ''}patient variability ${c.variability}, initial-state variability ${c.initialVariability}, observation noise ${c.obsNoise}, missing observations ${c.missingProb}`,
    `the policy observes ${c.observeN ? 'N, T, I, B' : 'T, I, B (N hidden)'}; ${c.levels === null ? 'continuous dose' : `${c.levels} dose levels`} every ${c.stepDays} day over ${c.horizonSteps * c.stepDays} days`,
  ];
}

export const DEPILLIS_SECTIONS: FamilySections = { sections, doseUnit: 'dose fraction', protocol };
