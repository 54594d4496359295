/**
 * A run's Ambulatory Glucose Profile covers every evaluation day of every method, whatever
 * `evaluate.trajectories` says and however the evaluation is split over worker processes; deaths
 * are visible (tir_planned, survived, terminations; a red line on the trace; counted and marked on
 * the AGP). Runs made here: a tiny PPO (2 training seeds) with PID and a lethal insulin overdose on
 * full days of one adolescent, in this process (--jobs 1) and with --jobs 2 from the CLI.
 */
import test from 'ava';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import '../envs/index.ts';
import { runExperiment, type RunFlags } from '../src/run/run.ts';
import { parseCsv } from '../src/io/csv.ts';
import { histogramCount, histogramQuantiles, type RunDailyProfile } from '../src/evaluation/profile.ts';
import { quantile } from '../src/evaluation/stats.ts';
import type { AgpBin } from '../src/report/charts/glucose.ts';
import { compileSpec } from '../src/report/render.ts';
import type { TopLevelSpec } from 'vega-lite';
import { runCli, tempDir, writeConfig } from './fixtures/experiments/helpers.ts';

const dir = tempDir('dosegym-agp-');
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const read = (run: string, file: string) => readFileSync(join(run, file), 'utf8');

const EPISODES = 2;
const SEEDS = [1, 2];
const config = (trajectories: number) => ({
  name: 'agp-all-days',
  env: { id: 'T1D-v0', options: { patient: 'adolescent#001', days: 1 } },
  train: { algo: 'ppo', steps: 128, seeds: SEEDS, hyperparameters: { nSteps: 64, batchSize: 32, nEpochs: 1 } },
  evaluate: { episodes: EPISODES, trajectories, bootstrap: 200, methods: ['ppo', 'pid', { type: 'constant', unitsPerHour: 25, name: 'overdose' }] },
});

const one = join(dir, 'jobs1');
const two = join(dir, 'jobs2');
let cliStdout = '';
test.before(async () => {
  const flags: RunFlags = { out: one, jobs: 1, backend: 'auto', quiet: true, resume: false, force: false };
  // --jobs 1 keeps every episode's trajectory (the raw readings to check against); --jobs 2 keeps none.
  const [, cli] = await Promise.all([runExperiment(writeConfig(dir, 'all.yaml', config(EPISODES)), flags), runCli(['run', writeConfig(dir, 'none.yaml', config(0)), '--out', two, '--jobs', '2'])]);
  if (cli.code !== 0) throw new Error(cli.stderr);
  cliStdout = cli.stdout;
});

type AgpPoint = Omit<AgpBin, 'method'>;

/** The AGP chart's bins of one method, from charts/agp.vl.json. */
function agpBins(run: string, method: string): AgpPoint[] {
  const spec = JSON.parse(read(run, 'charts/agp.vl.json')) as { concat: { title: { text: string }; layer: { data?: { values: AgpPoint[] } }[] }[] };
  const panel = spec.concat.find((p) => p.title.text === method);
  return panel?.layer[2]?.data?.values ?? [];
}

test('the AGP holds every evaluation day: days x 5 readings per 15-minute bin, with --jobs 1 and --jobs 2, whatever evaluate.trajectories', (t) => {
  for (const run of [one, two]) {
    // PID: one patient x 2 one-day episodes, 3-minute readings: 5 per bin and day
    const pid = agpBins(run, 'pid');
    t.is(pid.length, 96);
    t.true(pid.every((b) => b.n === EPISODES * 5), JSON.stringify(pid.map((b) => b.n)));
    // the trained method: its two training seeds are two evaluation tasks, merged
    const ppo = agpBins(run, 'ppo');
    const terminated = parseCsv(read(run, 'episodes.csv')).filter((e) => e['method'] === 'ppo' && e['terminated'] === '1').length;
    if (terminated === 0) t.true(ppo.every((b) => b.n === SEEDS.length * EPISODES * 5));
    t.is(ppo.reduce((s, b) => s + b.n, 0), parseCsv(read(run, 'episodes.csv')).filter((e) => e['method'] === 'ppo').reduce((s, e) => s + Number(e['length']), 0));
  }
  // --jobs 2 (and no trajectories kept) gives the same profile and the same chart
  t.is(read(two, 'daily-profile.json'), read(one, 'daily-profile.json'));
  t.is(read(two, 'charts/agp.vl.json'), read(one, 'charts/agp.vl.json'));
});

test('the AGP percentiles are those of the raw pooled readings (within the 0.1 mg/dL resolution)', (t) => {
  const profile = JSON.parse(read(one, 'daily-profile.json')) as RunDailyProfile;
  t.is(profile.resolution, 0.1);
  const trajectories = ['ppo', 'pid', 'overdose'].flatMap((m) => parseCsv(read(one, `trajectories/${m}.csv`)));
  const ps = [0.05, 0.25, 0.5, 0.75, 0.95] as const;
  const checked: Record<string, number> = {};
  for (const [method, p] of Object.entries(profile.methods)) {
    const chart = agpBins(one, method);
    p.bins.forEach((bin, b) => {
      const raw = trajectories.filter((r) => r['method'] === method && r['step'] !== '0' && Math.floor((Number(r['minute']) % 1440) / 15) === b).map((r) => Number(r['bg']));
      t.is(histogramCount(bin), raw.length, `${method} bin ${b}`);
      if (raw.length === 0) return;
      const fromProfile = histogramQuantiles(bin, p.resolution, ps);
      const drawn = chart.find((c) => Math.abs(c.hour - ((b + 0.5) * 15) / 60) < 1e-9);
      ps.forEach((q, i) => {
        const exact = quantile(raw, q);
        t.true(Math.abs((fromProfile[i] as number) - exact) <= 0.05 + 1e-9, `${method} bin ${b} p${q}: ${fromProfile[i]} vs ${exact}`);
        // the chart rounds to 0.1 mg/dL
        const key = (['p5', 'p25', 'p50', 'p75', 'p95'] as const)[i] as 'p5';
        t.true(Math.abs((drawn?.[key] ?? NaN) - exact) <= 0.1 + 1e-9, `${method} bin ${b} chart ${key}`);
        checked[method] = (checked[method] ?? 0) + 1;
      });
    });
  }
  // Not vacuous: every bin of PID, and the overdose's bins up to its deaths.
  t.is(checked['pid'], 96 * 5);
  t.true((checked['overdose'] ?? 0) >= 5 * 5, JSON.stringify(checked));
  t.true((checked['ppo'] ?? 0) >= 5 * 5, JSON.stringify(checked));
});

test('a forced termination: tir_planned and survived count the lost time, the CLI shows them beside TIR, the charts mark it', (t) => {
  const episodes = parseCsv(read(one, 'episodes.csv')).filter((e) => e['method'] === 'overdose');
  t.is(episodes.length, EPISODES);
  for (const e of episodes) {
    const length = Number(e['length']);
    t.is(e['terminated'], '1');
    t.true(length < 480, `died after ${length} of 480 steps`);
    t.true(Math.abs(Number(e['survived']) - (100 * length) / 480) < 1e-9);
    // the readings taken, in range, over the 480 planned
    t.true(Math.abs(Number(e['tir_planned']) - (Number(e['tir']) * length) / 480) < 1e-9);
    t.true(Number(e['tir_planned']) < Number(e['tir']));
    t.true(Number(e['hypo54_events_per_week']) > 0, 'it went below 54 mg/dL for 15 minutes before dying');
  }
  const summary = parseCsv(read(one, 'summary.csv'));
  t.is(read(one, 'summary.csv').split('\n')[0], 'method,seed,episodes,mean_return,std_return,mean_cost,tir,tbr70,tbr54,tar180,tar250,mean_bg,cv,gmi,lbgi,hbgi,risk_index,terminations,tir_planned,survived,hypo54_events_per_week');
  const overdose = summary.find((r) => r['method'] === 'overdose');
  t.is(overdose?.['terminations'], String(EPISODES));
  t.true(Number(overdose?.['survived']) < 100);
  t.is(summary.find((r) => r['method'] === 'pid')?.['survived'], '100');
  // the CLI's table: tir, then tir_planned, survived and terminations
  const header = cliStdout.split('\n').find((l) => l.startsWith('method')) ?? '';
  t.regex(header, /\btir +tir_planned +survived +terminations\b/);
  // report.html's summary table leads with the same columns
  t.regex(read(one, 'report.html'), /<th scope="col"[^>]*>tir<\/th><th scope="col"[^>]*>tir_planned<\/th><th scope="col"[^>]*>survived<\/th><th scope="col"[^>]*>terminations<\/th>/);
  // the trace marks where the representative day ended; the AGP counts and marks the early ends
  const trace = read(one, 'charts/glucose-trace.vl.json');
  t.regex(trace, /terminated: BG \d+ mg\/dL/);
  const agp = read(one, 'charts/agp.vl.json');
  t.true(agp.includes(`${EPISODES} of ${EPISODES} patient-days ended early`), 'overdose panel counts its early ends');
  t.true(agp.includes('none of 2 patient-days ended early'), 'PID panel says none ended early');
  t.true(agp.includes('terminated at time of day (h)'), 'termination ticks are drawn');
  for (const chart of ['agp', 'glucose-trace']) {
    t.deepEqual(compileSpec(JSON.parse(read(one, `charts/${chart}.vl.json`)) as TopLevelSpec).warnings, [], `${chart} compiles without vega-lite warnings`);
  }
});

test('aggregates.json: the trained method is resampled by seed, patient and episode and carries the IQM; baselines by patient and episode', (t) => {
  const aggregates = JSON.parse(read(one, 'aggregates.json')) as { method: string; seeds: number[]; metrics: Record<string, { scheme: string; iqm?: { runs: number } }>; pairedDifferences: Record<string, Record<string, { scheme: string }>> }[];
  const ppo = aggregates.find((a) => a.method === 'ppo');
  t.deepEqual(ppo?.seeds, SEEDS);
  t.is(ppo?.metrics['tir_planned']?.scheme, 'seed>patient>episode');
  t.is(ppo?.metrics['survived']?.iqm?.runs, SEEDS.length);
  t.is(ppo?.pairedDifferences['pid']?.['tir']?.scheme, 'seed>patient>episode');
  t.is(aggregates.find((a) => a.method === 'pid')?.metrics['tir']?.scheme, 'patient>episode');
  t.is(read(two, 'aggregates.json'), read(one, 'aggregates.json'));
});

test('the learned policy\'s state sample and the charts drawn from it are the same with --jobs 1 and --jobs 2', (t) => {
  const sample = JSON.parse(read(one, 'state-sample.json')) as { methods: Record<string, { seeds: { seed: number; states: unknown[] }[] }> };
  t.deepEqual(Object.keys(sample.methods), ['ppo']);
  t.deepEqual(sample.methods['ppo']?.seeds.map((s) => s.seed), SEEDS);
  t.true(sample.methods['ppo']!.seeds.every((s) => s.states.length > 0));
  t.is(read(two, 'state-sample.json'), read(one, 'state-sample.json'));
  for (const chart of ['policy-rules', 'policy-map', 'policy-attribution']) t.is(read(two, `charts/${chart}.vl.json`), read(one, `charts/${chart}.vl.json`), chart);
});
