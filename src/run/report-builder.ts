/**
 * Builds a run's charts and report.html from the files the run wrote (summary.json, episodes.csv,
 * training.csv, trajectories/*.csv), so `dosegym report <run-dir>` can redraw them at any time.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as charts from '../report/charts.ts';
import { metricByMethod } from '../report/charts.ts';
import { methodColors } from '../report/colors.ts';
import { groupBy, mean } from '../report/stats.ts';
import { writeReportWithCharts, type ReportChart, type ReportSection } from '../report/html.ts';
import { CAPTIONS } from '../report/sample.ts';
import { parseCsv } from '../io/csv.ts';
import { fileSafe, runFiles } from './layout.ts';
import { readManifest } from './manifest.ts';
import type { ExperimentPlan } from './plan.ts';

type Row = Record<string, string>;

function readRows(path: string): Row[] {
  return existsSync(path) ? parseCsv(readFileSync(path, 'utf8')) : [];
}

const num = (s: string | undefined): number => (s === undefined || s === '' ? Number.NaN : Number(s));

function meanBy<T>(rows: readonly Row[], key: (r: Row) => string, make: (key: string, group: Row[]) => T): T[] {
  return [...groupBy(rows, key).entries()].map(([k, g]) => make(k, g));
}

/** Mean of a column over the rows where it is a finite number (NaN when none is). */
function avg(rows: readonly Row[], column: string): number {
  return mean(rows.map((r) => num(r[column])).filter(Number.isFinite));
}

/** The trajectory rows of one representative episode per method: first patient, episode 0, first seed. */
function representativeEpisode(rows: readonly Row[]): Row[] {
  const out: Row[] = [];
  for (const list of groupBy(rows, (r) => r['method'] as string).values()) {
    const first = list[0] as Row;
    out.push(...list.filter((r) => r['episode'] === '0' && r['patient'] === first['patient'] && r['seed'] === first['seed']));
  }
  return out;
}

export async function buildRunReport(dir: string, plan: ExperimentPlan): Promise<string> {
  const files = runFiles(dir);
  const manifest = readManifest(files.manifest);
  const methods = plan.methods.map((m) => m.name);
  const colors = methodColors(methods);
  const o = { colors };
  const summary = JSON.parse(readFileSync(files.summaryJson, 'utf8')) as { columns: string[]; rows: Record<string, string | number | null>[] };
  const episodes = readRows(files.episodesCsv);
  const trajectories = plan.methods.flatMap((m) => readRows(files.trajectoriesCsv(fileSafe(m.name))));
  const sections: ReportSection[] = [];

  const training = readRows(files.trainingCsv).filter((r) => Number.isFinite(num(r['episode_return'])));
  if (training.length > 0) {
    const rows = training.map((r) => ({ seed: r['seed'] as string, steps: num(r['steps']), episodeReturn: num(r['episode_return']), method: plan.config.train.algo }));
    sections.push({ heading: 'Training', text: `Mean return of the last 100 training episodes, per seed (${plan.config.train.seeds.join(', ')}), against environment steps.`, charts: [{ name: 'learning-curves', spec: charts.learningCurves(rows, o), caption: CAPTIONS.learningCurves }] });
  }

  const returns = summary.rows.map((r) => ({ method: String(r['method']), seed: String(r['seed'] ?? 'baseline'), meanReturn: Number(r['mean_return']) }));
  const returnChart: ReportChart = { name: 'returns-by-method', spec: charts.returnsByMethod(returns, o), caption: CAPTIONS.returnsByMethod };

  if (plan.family.name === 't1d') {
    const rep = representativeEpisode(trajectories);
    const trace = rep.map((r, i) => {
      // Row k holds BG/CGM at its minute and the insulin (U) and carbs (g) of the step that ENDED
      // there; pair each reading with the step that STARTS at it, insulin as a rate in U/h.
      const next = rep[i + 1];
      const sameEpisode = next !== undefined && next['method'] === r['method'];
      const span = sameEpisode ? num(next['minute']) - num(r['minute']) : 0;
      return {
        method: r['method'] as string,
        minute: num(r['minute']),
        bg: num(r['bg']),
        cgm: num(r['cgm']),
        insulin: sameEpisode && span > 0 ? (num(next['insulin']) / span) * 60 : 0,
        cho: sameEpisode ? num(next['cho']) || 0 : 0,
      };
    }).filter((r) => Number.isFinite(r.bg));
    const agpRows = trajectories.filter((r) => r['step'] !== '0').map((r) => ({ method: r['method'] as string, minuteOfDay: num(r['minute']) % 1440, bg: num(r['bg']) }));
    const tir = meanBy(episodes, (r) => r['method'] as string, (method, g) => {
      const tbr54 = avg(g, 'tbr54');
      const tbr70 = avg(g, 'tbr70');
      const tar180 = avg(g, 'tar180');
      const tar250 = avg(g, 'tar250');
      return { method, below54: tbr54, from54to70: tbr70 - tbr54, from70to180: avg(g, 'tir'), from180to250: tar180 - tar250, above250: tar250 };
    });
    const cvgaRows = meanBy(episodes, (r) => `${r['method']}\u0000${r['patient']}`, (_k, g) => ({
      method: (g[0] as Row)['method'] as string,
      patient: (g[0] as Row)['patient'] as string,
      minBg: Math.min(...g.map((r) => num(r['min_bg']))),
      maxBg: Math.max(...g.map((r) => num(r['max_bg']))),
    }));
    const risk = meanBy(episodes, (r) => r['method'] as string, (method, g) => ({ method, lbgi: avg(g, 'lbgi'), hbgi: avg(g, 'hbgi') }));
    sections.push({
      heading: 'Glucose control',
      text: `Every method faced the same patients (${plan.family.patients(plan.config.env.options).length}), meal days and sensor noise (${plan.config.evaluate.episodes} episodes each, evaluation seed ${plan.config.evaluate.seed}).`,
      charts: [
        // The trace and AGP need per-step trajectories (none when evaluate.trajectories is 0).
        ...(trace.length > 0 ? [{ name: 'glucose-trace', spec: charts.glucoseTrace(trace, { ...o, insulinUnit: 'U/h' }), caption: CAPTIONS.glucoseTrace }] : []),
        ...(agpRows.length > 0 ? [{ name: 'agp', spec: charts.agp(agpRows, o), caption: CAPTIONS.agp }] : []),
        { name: 'time-in-ranges', spec: charts.timeInRanges(tir, o), caption: CAPTIONS.timeInRanges },
        { name: 'cvga', spec: charts.cvga(cvgaRows, o), caption: CAPTIONS.cvga },
        { name: 'risk-index', spec: charts.riskIndex(risk, o), caption: CAPTIONS.riskIndex },
        returnChart,
      ],
    });
  } else if (plan.family.name === 'chemo-depillis') {
    const rep = representativeEpisode(trajectories);
    // Row k is the state after step k and u the dose of step k; the chart wants the dose applied
    // from each row's day until the next row, i.e. the next row's u.
    const traj = rep.map((r, i) => {
      const next = rep[i + 1];
      const u = next !== undefined && next['method'] === r['method'] ? num(next['u']) : 0;
      return { method: r['method'] as string, day: num(r['day']), N: num(r['N']), T: num(r['T']), I: num(r['I']), B: num(r['B']), u: Number.isFinite(u) ? u : 0 };
    });
    const tumor = episodes.map((r) => ({ method: r['method'] as string, finalTumor: num(r['final_tumor']), minNormal: num(r['min_normal']), cumulativeDose: num(r['cumulative_dose']) }));
    sections.push({
      heading: 'Tumour, immune and normal cells',
      charts: [
        ...(traj.length > 0 ? [{ name: 'chemo-trajectories', spec: charts.chemoTrajectories(traj, o), caption: CAPTIONS.chemoTrajectories }] : []),
        { name: 'tumor-vs-toxicity', spec: charts.tumorVsToxicity(tumor, o), caption: CAPTIONS.tumorVsToxicity },
        returnChart,
      ],
    });
  } else {
    sections.push({ heading: 'Evaluation returns', charts: [returnChart] });
  }

  const safety = safetySection(plan, summary.rows, training, o);
  if (safety !== undefined) sections.push(safety);

  const table = { columns: summary.columns, rows: summary.rows.map((r) => summary.columns.map((c) => r[c] ?? null)) };
  const { report } = await writeReportWithCharts(dir, {
    title: `DoseGym: ${plan.config.name}`,
    subtitle: `${plan.config.env.id} · ${plan.config.train.algo === 'none' ? 'baselines only' : `${plan.config.train.algo}, ${plan.config.train.steps} steps x ${plan.config.train.seeds.length} seed(s)`} · ${plan.config.description}`,
    summaryTable: table,
    sections,
    manifest,
  });
  return report;
}

/**
 * Safety panels (when the run has constraints, a shield or a cost): episode cost and shield
 * interventions per method; the Lagrange multiplier and cost rate over training; for T1D, time below
 * 70 and 54 mg/dL per method against the consensus targets (< 4 % and < 1 %).
 */
function safetySection(plan: ExperimentPlan, rows: Record<string, string | number | null>[], training: Row[], o: { colors: Record<string, string> }): ReportSection | undefined {
  const safetyConfigured = plan.config.safety !== undefined || plan.costLimit !== undefined;
  const hasCost = rows.some((r) => Number(r['mean_cost']) > 0);
  if (!safetyConfigured && !hasCost) return undefined;
  const seedOf = (r: Record<string, string | number | null>) => (r['seed'] === null || r['seed'] === '' ? 'baseline' : String(r['seed']));
  const byMethod = (column: string) => rows.filter((r) => r[column] !== null && r[column] !== undefined && r[column] !== '').map((r) => ({ method: String(r['method']), seed: seedOf(r), value: Number(r[column]) }));
  const budget = plan.costLimit;
  const panels: ReportChart[] = [
    {
      name: 'safety-cost',
      spec: metricByMethod(byMethod('mean_cost'), { ...o, title: 'Constraint cost per episode', subtitle: 'Mean summed info.cost per evaluation episode (bars: mean over seeds; dots: seeds)' + (budget !== undefined ? '; dashed line: the training budget.' : '.'), yTitle: 'Cost per episode', valueName: 'cost', ...(budget !== undefined ? { thresholds: [{ value: budget, label: `budget ${budget}` }] } : {}) }),
      caption: 'Average constraint cost of an evaluation episode per method; lower is safer. With a budget, bars above the dashed line break the constraint on average.',
    },
  ];
  const interventions = byMethod('shield_interventions');
  if (interventions.length > 0) {
    panels.push({
      name: 'shield-interventions',
      spec: metricByMethod(interventions, { ...o, title: 'Shield interventions per episode', subtitle: 'Steps per evaluation episode at which the shield lowered the requested dose (shielded variants only).', yTitle: 'Interventions per episode', valueName: 'interventions' }),
      caption: 'How often the shield had to rewrite each method\'s action. A method that needs many interventions relies on the shield for its safety.',
    });
  }
  if (plan.family.name === 't1d') {
    panels.push(
      {
        name: 'time-below-70',
        spec: metricByMethod(byMethod('tbr70'), { ...o, title: 'Time below 70 mg/dL', subtitle: 'Percent of readings below 70 mg/dL per method; dashed line: consensus target (< 4 %).', yTitle: 'Time below 70 mg/dL (%)', valueName: 'TBR<70 %', thresholds: [{ value: 4, label: 'target < 4 %' }] }),
        caption: 'Level 1+2 hypoglycaemia exposure; the International Consensus on Time in Range asks for less than 4 %.',
      },
      {
        name: 'time-below-54',
        spec: metricByMethod(byMethod('tbr54'), { ...o, title: 'Time below 54 mg/dL', subtitle: 'Percent of readings below 54 mg/dL per method; dashed line: consensus target (< 1 %).', yTitle: 'Time below 54 mg/dL (%)', valueName: 'TBR<54 %', thresholds: [{ value: 1, label: 'target < 1 %' }] }),
        caption: 'Level 2 (clinically significant) hypoglycaemia; the consensus target is less than 1 %.',
      },
    );
  }
  const lagrange = training.filter((r) => Number.isFinite(num(r['lagrange'])));
  if (lagrange.length > 0) {
    panels.push({
      name: 'lagrange-multiplier',
      spec: charts.learningCurves(lagrange.map((r) => ({ seed: r['seed'] as string, steps: num(r['steps']), episodeReturn: num(r['lagrange']), method: plan.config.train.algo })), { ...o, title: 'Lagrange multiplier during training', subtitle: 'PPO-Lagrangian raises the multiplier while the episode cost exceeds the budget and lowers it (to 0) when within.', yTitle: 'Multiplier lambda' }),
      caption: 'The price PPO-Lagrangian puts on cost. It should settle once the training cost meets the budget.',
    });
  }
  const costRate = training.filter((r) => Number.isFinite(num(r['cost_rate'])));
  if (costRate.length > 0 && (hasCost || safetyConfigured)) {
    panels.push({
      name: 'training-cost-rate',
      spec: charts.learningCurves(costRate.map((r) => ({ seed: r['seed'] as string, steps: num(r['steps']), episodeReturn: num(r['cost_rate']), method: plan.config.train.algo })), { ...o, title: 'Cost rate during training', subtitle: 'Constraint cost per environment step during training (PPO-Lagrangian: since the start; other algorithms: recent episodes).', yTitle: 'Cost per step' }),
      caption: 'Safety during learning: the cost the agent incurred while exploring, per environment step.',
    });
  }
  return { heading: 'Safety', text: plan.config.safety?.constraints !== undefined ? `Costs are the configured constraints (${JSON.stringify(plan.config.safety.constraints)}).` : 'Costs are the environment\'s own info.cost.', charts: panels };
}
