/**
 * Reports a reviewer can trust, on runs made here: tiny runs on two T1D patients of different
 * cohorts, PPO with 1 training seed and PPO-Lagrangian with 3 (in the basal-relative mode, with a
 * constraint and a shield), and a de Pillis run. Checked: no caption claims what its chart does not draw; the
 * per-patient and policy-map charts carry every learned method; the distilled trees' reported
 * fidelity is what a recount on the held-out states gives; the summary shows CIs, paired
 * differences, the IQM and the resampling scheme; the header says what was compared.
 */
import test from 'ava';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import '../envs/index.ts';
import { glucosePolicyProbe } from '../envs/glucose/policy-probe.ts';
import { runExperiment, type RunFlags } from '../src/run/run.ts';
import type { RunStateSample } from '../src/evaluation/state-sample.ts';
import { predictCart, type CartNode } from '../src/report/explain/cart.ts';
import { runCli, tempDir, writeConfig } from './fixtures/experiments/helpers.ts';

const dir = tempDir('dosegym-explain-');
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const flags = (out: string): RunFlags => ({ out, jobs: 1, backend: 'auto', quiet: true, resume: false, force: false });
const read = (run: string, file: string) => readFileSync(join(run, file), 'utf8');

const PATIENTS = ['child#001', 'adult#001'];
const tinyPpo = (seeds: number[], algo = 'ppo') => ({ algo, steps: 512, seeds, hyperparameters: { numEnvs: 2, nSteps: 128, batchSize: 64, nEpochs: 1 } });
const CONFIGS = {
  one: {
    name: 't1d-one-seed',
    env: { id: 'T1D-v0', options: { patient: PATIENTS, days: 0.25, mealAnnouncement: 30 } },
    train: tinyPpo([1]),
    evaluate: { episodes: 3, bootstrap: 200, methods: ['ppo', 'basal-bolus', 'pid', 'basal'] },
  },
  three: {
    name: 't1d-three-seeds',
    env: { id: 'T1D-v0', options: { patient: PATIENTS, days: 0.25, action: 'basal-relative', therapy: { carbEstimateSd: 0.2 } } },
    train: tinyPpo([1, 2, 3], 'ppo-lagrangian'),
    evaluate: { episodes: 3, bootstrap: 200, methods: ['ppo-lagrangian', 'basal-bolus', 'pid'] },
    safety: { constraints: { names: ['hypo70'] }, shield: {} },
  },
  chemo: {
    name: 'chemo-one-seed',
    env: { id: 'Chemo-DePillis-v0', options: { setting: 2, horizonDays: 30 } },
    train: tinyPpo([1]),
    evaluate: { episodes: 2, bootstrap: 200, methods: ['ppo', 'mtd', 'none'] },
  },
} as const;
type Key = keyof typeof CONFIGS;
const runs = {} as Record<Key, string>;
const learned = (key: Key): string => CONFIGS[key].train.algo;

test.before(async () => {
  for (const key of Object.keys(CONFIGS) as Key[]) {
    runs[key] = join(dir, key);
    await runExperiment(writeConfig(dir, `${key}.yaml`, CONFIGS[key]), flags(runs[key]));
  }
});

type Json = Record<string, unknown>;
const spec = (run: string, chart: string): Json => JSON.parse(read(run, `charts/${chart}.vl.json`)) as Json;

/** The charts of a report.html with their captions (as the page shows them). */
function chartsOf(run: string): { name: string; caption: string }[] {
  const html = read(run, 'report.html');
  const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
  return [...html.matchAll(/id="chart-([^"]+)"[\s\S]*?<strong>How to read this chart.<\/strong> ([\s\S]*?) <span class="files">/g)].map((m) => ({ name: m[1] as string, caption: unescape(m[2] as string) }));
}

/** Every node of a spec (to find marks, shapes and inlined data). */
function nodes(value: unknown, out: Json[] = []): Json[] {
  if (Array.isArray(value)) value.forEach((v) => nodes(v, out));
  else if (value !== null && typeof value === 'object') {
    out.push(value as Json);
    Object.values(value).forEach((v) => nodes(v, out));
  }
  return out;
}
const rowsOf = (s: Json): Json[] => nodes(s).flatMap((n) => (Array.isArray(n['values']) ? (n['values'] as Json[]) : [])).concat(Object.values((s['datasets'] as Record<string, Json[]> | undefined) ?? {}).flat());
const markTypes = (s: Json): string[] => nodes(s).flatMap((n) => (typeof n['mark'] === 'string' ? [n['mark']] : n['mark'] !== null && typeof n['mark'] === 'object' ? [String((n['mark'] as Json)['type'])] : []));
const marks = (s: Json): Json[] => nodes(s).flatMap((n) => (n['mark'] !== null && typeof n['mark'] === 'object' ? [n['mark'] as Json] : []));

/**
 * Claims a caption may make, each with what its chart must then draw. A caption that mentions the
 * left side must be backed by the right side on the chart's own data.
 */
const CLAIMS: { claim: RegExp; drawn: (s: Json, run: string) => boolean; what: string }[] = [
  { claim: /\bband\b/i, what: 'a band (area mark)', drawn: (s) => markTypes(s).includes('area') || marks(s).some((m) => m['type'] === 'rect') },
  { claim: /thin lines|one line per (training )?seed|one line per seed/i, what: 'per-seed lines of several seeds', drawn: (s) => new Set(rowsOf(s).map((r) => r['seed']).filter((x) => x !== undefined)).size > 1 },
  { claim: /whiskers/i, what: 'whiskers (a rule with lo/hi)', drawn: (s) => rowsOf(s).some((r) => typeof r['lo'] === 'number' && typeof r['hi'] === 'number' && (r['hi'] as number) > (r['lo'] as number)) },
  { claim: /one dot per seed/i, what: 'one dot per training seed', drawn: (s) => rowsOf(s).some((r) => r['seed'] !== undefined && r['seed'] !== 'baseline' && r['value'] !== undefined) },
  { claim: /dashed ticks/i, what: '(never: risk indices draw bands)', drawn: () => false },
  { claim: /triangles mark meals/i, what: 'meal triangles', drawn: (s) => marks(s).some((m) => m['shape'] === 'triangle-down') },
  { claim: /red line marks where a day ended/i, what: 'a termination line', drawn: (s) => rowsOf(s).some((r) => typeof r['label'] === 'string' && (r['label'] as string).startsWith('terminated')) },
  { claim: /red ticks/i, what: 'termination ticks', drawn: (s) => markTypes(s).includes('tick') },
  { claim: /open diamonds/i, what: 'points beyond the axes', drawn: (s) => marks(s).some((m) => m['shape'] === 'diamond') },
  { claim: /\+shield|shield/i, what: 'a shielded method', drawn: (s) => JSON.stringify(s).includes('+shield') },
  { claim: /lines are 95 % confidence intervals/i, what: 'an interval with spread', drawn: (s) => rowsOf(s).some((r) => typeof r['lo'] === 'number' && (r['hi'] as number) > (r['lo'] as number)) },
  { claim: /Worse with the whole CI on the bad side: /, what: 'a worse verdict', drawn: (s) => rowsOf(s).some((r) => r['verdict'] === 'worse') },
  { claim: /smallest points \(([^)]+)\) gave no drug/, what: 'an episode with no drug', drawn: (s) => rowsOf(s).some((r) => r['cumulativeDose'] === 0) },
  { claim: /stop early/i, what: 'an episode that ended early', drawn: (_s, run) => read(run, 'episodes.csv').split('\n').some((l) => l.split(',')[8] === '1') },
];

/** Claims about numbers: "N seeds", "training seed S", "the N patients". */
function numericClaims(caption: string, s: Json, run: string, config: (typeof CONFIGS)[Key]): string[] {
  const problems: string[] = [];
  const seeds = config.train.seeds.length;
  for (const m of caption.matchAll(/\b(\d+) seeds\b/g)) if (Number(m[1]) !== seeds) problems.push(`says ${m[1]} seeds, the run has ${seeds}`);
  for (const m of caption.matchAll(/training seed (\d+)/g)) if (!(config.train.seeds as readonly number[]).includes(Number(m[1]))) problems.push(`names seed ${m[1]}`);
  if (/\bone training seed\b|\bthe one training seed\b|for the one/i.test(caption) && seeds !== 1) problems.push('says one seed');
  void s;
  void run;
  return problems;
}

for (const key of ['one', 'three', 'chemo'] as const) {
  test(`${key}: no caption mentions something absent from its chart's data`, (t) => {
    const run = runs[key];
    const charts = chartsOf(run);
    t.true(charts.length >= 8, charts.map((c) => c.name).join(', '));
    for (const { name, caption } of charts) {
      const s = spec(run, name);
      for (const c of CLAIMS) {
        if (c.claim.test(caption)) t.true(c.drawn(s, run), `${name}: the caption claims ${c.what}: "${caption}"`);
      }
      t.deepEqual(numericClaims(caption, s, run, CONFIGS[key]), [], `${name}: "${caption}"`);
    }
  });
}

test('the learning curves say what one seed and three seeds draw', (t) => {
  const one = chartsOf(runs.one).find((c) => c.name === 'learning-curves')!;
  const three = chartsOf(runs.three).find((c) => c.name === 'learning-curves')!;
  t.regex(one.caption, /one training seed/);
  t.notRegex(one.caption, /band|thin lines/i);
  t.false(markTypes(spec(runs.one, 'learning-curves')).includes('area'));
  t.regex(three.caption, /3 seeds.*band/);
  t.true(markTypes(spec(runs.three, 'learning-curves')).includes('area'));
});

test('per-patient and policy-map charts carry data for every learned method (and every seed of it)', (t) => {
  for (const key of ['one', 'three'] as const) {
    const seeds = CONFIGS[key].train.seeds;
    const per = rowsOf(spec(runs[key], 'per-patient'));
    const algo = learned(key);
    for (const patient of PATIENTS) for (const method of [algo, 'basal-bolus', 'pid']) t.true(per.some((r) => r['unit'] === patient && r['method'] === method && r['metric'] === 'tir'), `${key}: ${method} on ${patient}`);
    // a breakdown by cohort: children, then adults
    const blocks = (spec(runs[key], 'per-patient')['vconcat'] as Json[]).map((b) => String((b['title'] as Json)['text']));
    t.deepEqual(blocks, ['children (1 patient)', 'adults (1 patient)']);
    t.true(per.some((r) => r['method'] === algo && r['baseline'] === 'basal-bolus'), `${key}: the paired difference to basal-bolus`);
    const map = rowsOf(spec(runs[key], 'policy-map'));
    for (const seed of seeds) t.is(map.filter((r) => r['method'] === algo && String(r['panel']).startsWith(`${algo} (seed ${seed})`)).length, 19 * 13, `${key}: ${algo} seed ${seed} over the whole grid`);
    t.true(map.some((r) => r['method'] === 'pid') && map.some((r) => r['method'] === 'basal-bolus'));
  }
  const chemoMap = rowsOf(spec(runs.chemo, 'policy-map'));
  t.true(chemoMap.some((r) => r['panel'] === 'ppo (seed 1)'));
  t.true(rowsOf(spec(runs.chemo, 'per-patient')).some((r) => r['method'] === 'ppo' && r['unit'] === 'draw 1'));
});

test('each distilled tree\'s reported fidelity matches a recount on the held-out evaluation states', (t) => {
  for (const key of ['one', 'three'] as const) {
    const run = runs[key];
    const sample = JSON.parse(read(run, 'state-sample.json')) as RunStateSample;
    const records = ((spec(run, 'policy-rules')['usermeta'] as Json)['distilled'] as Json[]).map((r) => r as { method: string; seed: number; tree: CartNode; tolerance: number; heldOutStates: number; reproduced: number; fidelity: number; heldOutDays: [string, number][] });
    t.deepEqual(records.map((r) => r.seed), [...CONFIGS[key].train.seeds]);
    const probe = glucosePolicyProbe(CONFIGS[key].env.options, PATIENTS[0]!);
    const caption = chartsOf(run).find((c) => c.name === 'policy-rules')!.caption;
    for (const r of records) {
      const states = sample.methods[r.method]!.seeds.find((s) => s.seed === r.seed)!.states;
      const held = states.filter((s) => r.heldOutDays.some(([p, e]) => p === s.patient && e === s.episode));
      t.true(held.length > 0 && held.length < states.length, 'some states held out, the others fitted');
      const reproduced = held.filter((s) => Math.abs(predictCart(r.tree, probe.features.values(s.observation)) - s.action[0]!) <= r.tolerance + 1e-12).length;
      t.is(r.heldOutStates, held.length);
      t.is(r.reproduced, reproduced);
      t.is(r.fidelity, reproduced / held.length);
      t.true(caption.includes(`${r.method} seed ${r.seed} ${Math.round(100 * r.fidelity)} %`), caption);
    }
  }
});

test('the summary shows every number with its CI, the paired differences, the IQM and the resampling scheme', (t) => {
  const one = read(runs.one, 'report.html');
  const three = read(runs.three, 'report.html');
  for (const [html, algo] of [[one, 'ppo'], [three, 'ppo-lagrangian']] as const) {
    t.regex(html, /<td class="num headline" title="mean over \d+ episodes, 95 % CI by seed&gt;patient&gt;episode">[-\d.]+ \[[-\d.]+, [-\d.]+\]<\/td>/);
    t.regex(html, /title="mean over \d+ episodes, 95 % CI by patient&gt;episode">/);
    t.true(html.includes('Paired differences: learned method - baseline'));
    t.true(html.includes(`<td>${algo} - basal-bolus</td>`));
    t.true(html.includes('training seeds, then patients, then days (scheme seed&gt;patient&gt;episode)'));
  }
  t.true(one.includes('n/a (1 seed)'));
  t.true(one.includes('with one training seed the interval cannot include seed-to-seed variation'));
  t.regex(three, /title="IQM of 3 seeds x 2 patients, 95 % CI by stratified-seed">/);
  t.true(three.includes('<td>ppo-lagrangian+shield - basal-bolus+shield</td>'));
});

test('the header says what was compared, on which patients and days, with which protocol', (t) => {
  const header = (run: string) => /<ul class="about">([\s\S]*?)<\/ul>/.exec(read(run, 'report.html'))?.[1] ?? '';
  const one = header(runs.one);
  t.true(one.includes('Compared: ppo (learned), basal-bolus, pid, basal.'));
  t.true(one.includes('Evaluated on 2 patients (child#001, adult#001) x 3 days each'));
  t.true(one.includes('Trained: ppo, 512 environment steps x 1 seed (1)'));
  t.true(one.includes('meals announced to the learned policy 30 min ahead'));
  t.true(one.includes('ideal therapy'));
  const three = header(runs.three);
  t.true(three.includes('Compared: ppo-lagrangian (learned), basal-bolus, pid; behind the safety shield: ppo-lagrangian+shield, basal-bolus+shield, pid+shield.'));
  t.true(three.includes('the learned policy is not told of meals'));
  t.true(three.includes('therapy errors: carbEstimateSd 0.2'));
  t.true(three.includes('basal-relative action'));
  t.true(three.includes('constraints {&quot;names&quot;:[&quot;hypo70&quot;]}; shield {}'));
  t.true(header(runs.chemo).includes('DTR-Bench setting 2'));
});

test('training health: PPO-Lagrangian\'s multiplier against the episode cost and its budget', (t) => {
  const s = spec(runs.three, 'training-health');
  const panels = (s['concat'] as Json[]).map((p) => String((p['title'] as Json)['text']));
  t.deepEqual(panels, ['Policy entropy (nats)', 'Value loss (log scale)', 'Delivered dose (band: +- 1 SD) against the mean action (dashed)', 'Lagrange multiplier against the episode cost (dashed)']);
  t.true(rowsOf(s).some((r) => typeof r['lagrange'] === 'number'));
  t.true(rowsOf(s).some((r) => typeof r['budget'] === 'number'), 'the budget line');
  t.regex(chartsOf(runs.three).find((c) => c.name === 'training-health')!.caption, /multiplier rises while the episode cost \(dashed\) exceeds its budget \(red\)/);
});

test('dosegym report <run-dir> redraws the policy explanation from the saved policies', async (t) => {
  const run = runs.one;
  const charts = ['policy-map', 'policy-rules', 'policy-attribution', 'per-patient'];
  const before = Object.fromEntries(charts.map((c) => [c, read(run, `charts/${c}.vl.json`)]));
  rmSync(join(run, 'charts'), { recursive: true });
  const r = await runCli(['report', run]);
  t.is(r.code, 0, r.stderr);
  for (const c of charts) t.is(read(run, `charts/${c}.vl.json`), before[c] ?? "", c);
});
