/**
 * The report of a run: every chart's Vega-Lite spec compiles and renders to SVG and PNG, report.html
 * holds every chart and the summary table offline, `dosegym report <run-dir>` redraws them, and
 * `dosegym evaluate <run-dir>` re-evaluates (a trained run: from its saved policies).
 */
import test from 'ava';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import '../envs/index.ts';
import { runExperiment, type RunFlags } from '../src/run/run.ts';
import { compileSpec } from '../src/report/render.ts';
import { parseCsv } from '../src/io/csv.ts';
import { evaluateMethod, type EvaluationPlan } from '../src/evaluation/evaluate.ts';
import { resolveEnvStack } from '../src/evaluation/env-stack.ts';
import { CHEMO_BASELINES, T1D_BASELINES, TINY_PPO, runCli, tempDir, writeConfig } from './fixtures/experiments/helpers.ts';

const dir = tempDir('dosegym-report-');
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const flags = (out: string): RunFlags => ({ out, jobs: 1, backend: 'auto', quiet: true, resume: false, force: false });
const read = (run: string, file: string) => readFileSync(join(run, file), 'utf8');

const EXPECTED: Record<string, string[]> = {
  t1d: ['glucose-trace', 'agp', 'time-in-ranges', 'per-patient', 'cvga', 'risk-index', 'returns-by-method'],
  // The de Pillis env reports a toxicity cost (N < 0.75), so its report has the safety cost panel.
  chemo: ['chemo-trajectories', 'tumor-vs-toxicity', 'per-patient', 'returns-by-method', 'safety-cost'],
  ppo: ['learning-curves', 'training-health', 'returns-by-method'],
};
const CONFIGS: Record<string, object> = {
  t1d: T1D_BASELINES,
  chemo: CHEMO_BASELINES,
  ppo: { ...TINY_PPO, train: { ...TINY_PPO.train, seeds: [1] } },
};

// One run per family, shared by the tests below (in this process, one after the other).
const runs: Record<string, string> = {};
test.before(async () => {
  for (const key of Object.keys(CONFIGS)) {
    runs[key] = join(dir, key);
    await runExperiment(writeConfig(dir, `${key}.yaml`, CONFIGS[key]), flags(runs[key] as string));
  }
});

function assertCharts(t: import('ava').ExecutionContext, run: string, names: string[]): void {
  const files = readdirSync(join(run, 'charts')).sort();
  t.deepEqual(files, names.flatMap((n) => [`${n}.png`, `${n}.svg`, `${n}.vl.json`]).sort());
  const html = read(run, 'report.html');
  for (const name of names) {
    const spec = JSON.parse(read(run, `charts/${name}.vl.json`)) as TopLevelSpec & { title?: unknown };
    const compiled = compileSpec(spec); // throws when the spec does not compile
    t.deepEqual(compiled.warnings, [], `${name} compiles without vega-lite warnings`);
    t.truthy(spec.title, `${name} has a title`);
    const svg = read(run, `charts/${name}.svg`);
    t.true(svg.startsWith('<svg') && svg.trimEnd().endsWith('</svg>'), `${name}.svg is an SVG`);
    t.true(svg.length > 2000, `${name}.svg draws something (${svg.length} bytes)`);
    t.deepEqual([...readFileSync(join(run, 'charts', `${name}.png`)).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], `${name}.png is a PNG`);
    t.true(html.includes(`id="chart-${name}"`), `report.html shows ${name}`);
    t.true(html.includes(`id="spec-${name}"`), `report.html embeds the spec of ${name}`);
  }
  // self-contained: no script or stylesheet fetched from the network
  t.false(/<script[^>]+src=/.test(html));
  t.false(/<link[^>]+href="https?:/.test(html));
  t.true(html.includes('data-lib="vega-lite"'));
}

test('T1D run: glucose trace, AGP, time in ranges, per patient, CVGA, risk index and returns compile, render and are in report.html', (t) => {
  assertCharts(t, runs['t1d'] as string, EXPECTED['t1d'] as string[]);
  const html = read(runs['t1d'] as string, 'report.html');
  t.true(html.includes('basal-bolus') && html.includes('pid'));
  t.true(html.includes('risk_index'), 'the summary table is in the report');
});

test('chemotherapy run: N/T/I/B trajectories, tumour vs toxicity, per patient draw and returns', (t) => {
  assertCharts(t, runs['chemo'] as string, EXPECTED['chemo'] as string[]);
});

test('chemotherapy deaths are visible: survived, terminations and tumor_cleared after the de Pillis columns, and beside them in the report', async (t) => {
  const run = runs['chemo'] as string;
  t.is(read(run, 'summary.csv').split('\n')[0], 'method,seed,episodes,mean_return,std_return,mean_cost,final_tumor,min_normal,days_normal_below_075,cumulative_dose,days_to_tumor_below_1e3,survived,terminations,tumor_cleared');
  const episodes = parseCsv(read(run, 'episodes.csv'));
  for (const e of episodes) {
    t.true(Math.abs(Number(e['survived']) - (100 * Number(e['length'])) / 600) < 1e-9, `${e['method']} ${e['episode']}`);
    t.is(e['terminations'], e['terminated']);
    t.is(e['tumor_cleared'], Number(e['final_tumor']) < 1e-3 ? '1' : '0', `${e['method']} ${e['episode']}`);
  }
  // The summary's tumor_cleared is the share of each method's episodes cleared at the end.
  for (const s of parseCsv(read(run, 'summary.csv'))) {
    const mine = episodes.filter((e) => e['method'] === s['method'] && e['seed'] === s['seed']);
    t.true(Math.abs(Number(s['tumor_cleared']) - mine.filter((e) => e['tumor_cleared'] === '1').length / mine.length) < 1e-12, s['method'] as string);
  }
  // Episode 2 of the run's evaluation seed, untreated: the normal cells fall below 0.7 N0 on day 9.75.
  const plan: EvaluationPlan = { stack: resolveEnvStack({ envId: 'Chemo-DePillis-v0', envOptions: { setting: 3 } }), episodes: 3, seed: 1000, trajectories: 0 };
  const none = await evaluateMethod(plan, { name: 'none', trainingSeed: null, makePolicy: (env) => plan.stack.family.makeBaseline('none', {}, env, 'none') });
  const died = none.episodes[2];
  t.deepEqual([died?.terminated, died?.length, died?.metrics['survived'], died?.metrics['terminations']], [true, 39, (100 * 39) / 600, 1]);
  t.regex(read(run, 'report.html'), /min_normal<\/th><th scope="col"[^>]*>survived<\/th><th scope="col"[^>]*>terminations<\/th>/);
});

test('trained run: learning curves, training health and returns', (t) => {
  assertCharts(t, runs['ppo'] as string, EXPECTED['ppo'] as string[]);
  const spec = read(runs['ppo'] as string, 'charts/learning-curves.vl.json');
  t.true(spec.includes('"steps"'), 'learning curves plot environment steps');
});

test('dosegym report <run-dir> redraws the charts and report.html from the result files', async (t) => {
  const run = runs['t1d'] as string;
  const before = Object.fromEntries(EXPECTED['t1d']!.map((n) => [n, read(run, `charts/${n}.vl.json`)]));
  rmSync(join(run, 'charts'), { recursive: true });
  rmSync(join(run, 'report.html'));
  const r = await runCli(['report', run]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, new RegExp(`report: +${join(run, 'report.html').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assertCharts(t, run, EXPECTED['t1d'] as string[]);
  for (const [name, spec] of Object.entries(before)) t.is(read(run, `charts/${name}.vl.json`), spec, name);
});

test('dosegym evaluate <run-dir> re-evaluates the saved policies and reproduces the results', async (t) => {
  const run = runs['ppo'] as string;
  const before = Object.fromEntries(['summary.csv', 'summary.json', 'episodes.csv'].map((f) => [f, read(run, f)]));
  rmSync(join(run, 'evaluation'), { recursive: true });
  for (const f of Object.keys(before)) rmSync(join(run, f));
  const r = await runCli(['evaluate', run, '--quiet']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /status: complete/);
  t.true(existsSync(join(run, 'evaluation', 'ppo-seed-1.json')));
  for (const [file, text] of Object.entries(before)) t.is(read(run, file), text, file);
});

test('dosegym report on a directory without results fails with one line', async (t) => {
  const r = await runCli(['report', dir]);
  t.is(r.code, 1);
  t.is(r.stderr, `dosegym: run directory: ${dir} has no manifest.json; give a run directory made by dosegym run or dosegym train\n`);
});
