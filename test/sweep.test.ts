/**
 * `dosegym sweep`: the variants of a grid or random sweep as ordinary runs, sweep.csv, the selection
 * on the validation seed and the test seed, resume and force, and one-line errors naming the field.
 */
import test from 'ava';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSweep } from '../src/config/sweep.ts';
import { parseCsv } from '../src/io/csv.ts';
import { TINY_PPO, runCli, snapshot, tempDir, writeConfig } from './fixtures/experiments/helpers.ts';

const dir = tempDir('dosegym-sweep-');
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const read = (path: string) => readFileSync(path, 'utf8');
let grid: { sweep: string; out: string; csv: string; manifest: object; direct: string } | undefined;
const BASE = { ...TINY_PPO, train: { ...TINY_PPO.train, seeds: [1, 2] } };

test.serial('a grid sweep: one ordinary run per variant, identical to dosegym run --set; sweep.csv; selection on validation, re-reported on test', async (t) => {
  writeConfig(dir, 'base.yaml', BASE);
  const sweep = writeConfig(dir, 'grid.yaml', {
    name: 'lr',
    base: 'base.yaml',
    set: { 'train.seeds': [1] },
    grid: { 'train.hyperparameters.learningRate': [0.0003, 0.01], 'train.hyperparameters.nEpochs': [1, 2] },
  });
  const out = join(dir, 'grid-out');
  const r = await runCli(['sweep', sweep, '--out', out, '--quiet', '--jobs', '2']);
  t.is(r.code, 0, r.stderr);
  const manifest = JSON.parse(read(join(out, 'sweep.json'))) as { kind: string; status: string; variants: { id: string; overrides: string[] }[]; selection: { variant: string; validationSeed: number; testSeed: number; validation: { mean: number }; test: { mean: number } } };
  t.is(manifest.kind, 'dosegym-sweep');
  t.is(manifest.status, 'complete');
  // The first field varies slowest.
  t.deepEqual(manifest.variants.map((v) => v.overrides), [
    ['train.seeds=[1]', 'train.hyperparameters.learningRate=0.0003', 'train.hyperparameters.nEpochs=1'],
    ['train.seeds=[1]', 'train.hyperparameters.learningRate=0.0003', 'train.hyperparameters.nEpochs=2'],
    ['train.seeds=[1]', 'train.hyperparameters.learningRate=0.01', 'train.hyperparameters.nEpochs=1'],
    ['train.seeds=[1]', 'train.hyperparameters.learningRate=0.01', 'train.hyperparameters.nEpochs=2'],
  ]);
  // A variant is the ordinary run of the base with its overrides, byte for byte.
  const direct = join(dir, 'direct-v3');
  const d = await runCli(['run', join(dir, 'base.yaml'), '--out', direct, '--quiet', ...(manifest.variants[2]?.overrides ?? []).flatMap((o) => ['--set', o])]);
  t.is(d.code, 0, d.stderr);
  for (const file of ['summary.csv', 'episodes.csv', 'aggregates.json', 'training.csv']) t.is(read(join(out, 'variants', 'v3', file)), read(join(direct, file)), file);
  t.true(existsSync(join(out, 'variants', 'v1', 'report.html')));
  // sweep.csv: a column per swept field by its dotted path, then the aggregates with CIs.
  const csv = read(join(out, 'sweep.csv'));
  t.is(csv.split('\n')[0], 'variant,train.hyperparameters.learningRate,train.hyperparameters.nEpochs,method,evaluation,evaluate_seed,selected,episodes,return,return_ci95_low,return_ci95_high,cost,cost_ci95_low,cost_ci95_high');
  const rows = parseCsv(csv);
  t.is(rows.length, 4 * 2 + 2);
  const validation = rows.filter((row) => row['evaluation'] === 'validation' && row['method'] === 'ppo');
  t.deepEqual(validation.map((row) => [row['variant'], row['train.hyperparameters.learningRate'], row['train.hyperparameters.nEpochs'], row['evaluate_seed']]), [
    ['v1', '0.0003', '1', '1000'], ['v2', '0.0003', '2', '1000'], ['v3', '0.01', '1', '1000'], ['v4', '0.01', '2', '1000'],
  ]);
  // The selected variant has the best validation return, and its test rows use another seed.
  const best = validation.reduce((a, b) => (Number(b['return']) > Number(a['return']) ? b : a));
  t.is(manifest.selection.variant, String(best['variant']));
  t.is(manifest.selection.validation.mean, Number(best['return']));
  t.is(manifest.selection.validationSeed, 1000);
  t.is(manifest.selection.testSeed, 1001);
  const testRows = rows.filter((row) => row['evaluation'] === 'test');
  t.deepEqual(testRows.map((row) => [row['variant'], row['method'], row['evaluate_seed'], row['selected']]), [[best['variant'], 'ppo', '1001', '1'], [best['variant'], 'random', '1001', '1']]);
  t.is(Number(testRows[0]?.['return']), manifest.selection.test.mean);
  // The test run evaluated the selected variant's own policy on other episodes.
  t.deepEqual(readFileSync(join(out, 'test', 'policies', '1', 'weights.bin')), readFileSync(join(out, 'variants', String(best['variant']), 'policies', '1', 'weights.bin')));
  const seeds = (run: string) => new Set(parseCsv(read(join(run, 'episodes.csv'))).map((e) => e['episode_seed']));
  const testSeeds = seeds(join(out, 'test'));
  t.false([...seeds(join(out, 'variants', String(best['variant'])))].some((s) => testSeeds.has(s)));
  t.true(read(join(out, 'report.html')).includes('sweep-selection'));
  grid = { sweep, out, csv, manifest, direct };
});

test.serial('a sweep interrupted after two variants resumes to the same sweep.csv; --force replaces only a sweep', async (t) => {
  if (grid === undefined) return t.fail('the grid sweep test did not finish');
  const { sweep, out, csv, manifest, direct } = grid;

  // --resume: a sweep interrupted after two variants finishes the others and gives the same sweep.csv.
  for (const entry of ['variants/v3', 'variants/v4', 'test', 'sweep.csv', 'report.html', 'charts']) rmSync(join(out, entry), { recursive: true, force: true });
  writeFileSync(join(out, 'sweep.json'), JSON.stringify({ ...manifest, status: 'incomplete', selection: null }));
  const v1 = snapshot(join(out, 'variants', 'v1'));
  const v1Summary = read(join(out, 'variants', 'v1', 'summary.csv'));
  const resumed = await runCli(['sweep', sweep, '--out', out, '--quiet', '--resume']);
  t.is(resumed.code, 0, resumed.stderr);
  t.is(read(join(out, 'sweep.csv')), csv);
  t.deepEqual(snapshot(join(out, 'variants', 'v1')), v1, 'a complete variant is not rerun');

  // --force replaces the sweep; a directory that is not a sweep is refused, its file untouched.
  const small = writeConfig(dir, 'small.yaml', { name: 'lr', base: 'base.yaml', set: { 'train.seeds': [1] }, grid: { 'train.hyperparameters.learningRate': [0.0003] } });
  const forced = await runCli(['sweep', small, '--out', out, '--quiet', '--force']);
  t.is(forced.code, 0, forced.stderr);
  t.false(existsSync(join(out, 'variants', 'v2')), 'the old sweep was replaced');
  // The same effective config as the grid's v1 (nEpochs 1 is the base's): the same results.
  t.is(read(join(out, 'variants', 'v1', 'summary.csv')), v1Summary);
  const mine = join(dir, 'thesis');
  mkdirSync(mine);
  writeFileSync(join(mine, 'notes.txt'), 'mine');
  const refused = await runCli(['sweep', sweep, '--out', mine, '--force']);
  t.is(refused.code, 1);
  t.regex(refused.stderr, /^dosegym: --out: .*thesis is not empty and is not a DoseGym sweep \(it has no sweep\.json\), so --force does not replace it; give a new or empty directory\n$/);
  t.is(read(join(mine, 'notes.txt')), 'mine');
  // A run directory is not a sweep either.
  const asRun = await runCli(['sweep', sweep, '--out', direct, '--force']);
  t.is(asRun.code, 1);
  t.regex(asRun.stderr, /is not a DoseGym sweep/);
});

test('random: reproducible from its seed, each field within its distribution', (t) => {
  writeConfig(dir, 'base.yaml', BASE);
  const spec = (seed: number) => ({
    name: 'rnd',
    base: 'base.yaml',
    random: { samples: 20, seed, space: { 'train.hyperparameters.learningRate': { logUniform: [1e-5, 1e-2] }, 'train.hyperparameters.gamma': { uniform: [0.9, 0.99] }, 'train.hyperparameters.nEpochs': { choice: [1, 2, 4] } } },
  });
  const a = loadSweep(writeConfig(dir, 'rnd-a.yaml', spec(1)));
  const b = loadSweep(writeConfig(dir, 'rnd-b.yaml', spec(1)));
  const c = loadSweep(writeConfig(dir, 'rnd-c.yaml', spec(2)));
  t.deepEqual(a.variants, b.variants);
  t.notDeepEqual(a.variants, c.variants);
  t.is(a.variants.length, 20);
  t.is(a.variants[0]?.id, 'v01');
  const lrs = a.variants.map((v) => v.values['train.hyperparameters.learningRate'] as number);
  t.true(lrs.every((x) => x >= 1e-5 && x < 1e-2));
  // log-uniform: about as many draws below 1e-3.5 as above (the geometric midpoint), not 2 %.
  const low = lrs.filter((x) => x < 10 ** -3.5).length;
  t.true(low >= 4 && low <= 16, `${low} of 20 below the geometric midpoint`);
  t.true(a.variants.every((v) => [1, 2, 4].includes(v.values['train.hyperparameters.nEpochs'] as number)));
  t.true(a.variants.every((v) => (v.values['train.hyperparameters.gamma'] as number) >= 0.9 && (v.values['train.hyperparameters.gamma'] as number) < 0.99));
  t.deepEqual(a.fields, ['train.hyperparameters.learningRate', 'train.hyperparameters.gamma', 'train.hyperparameters.nEpochs']);
});

test('bad sweep files: one line naming the field, exit 1, nothing written', async (t) => {
  const cwd = join(dir, 'errors');
  mkdirSync(cwd, { recursive: true });
  writeConfig(cwd, 'base.yaml', BASE);
  const cases: [unknown, RegExp][] = [
    [{ name: 'x', base: 'base.yaml', grid: { 'train.hyperparameters.lernRate': [0.1] } }, /grid\.train\.hyperparameters\.lernRate = 0\.1 \(variant v1\): .*unknown.*lernRate/],
    [{ name: 'x', base: 'base.yaml', grid: { 'train.steps': [100, -5] } }, /grid\.train\.steps = -5 \(variant v2\): train\.steps: expected a positive integer, got -5/],
    [{ name: 'x', base: 'base.yaml' }, /: grid: give exactly one of grid and random/],
    [{ name: 'x', base: 'base.yaml', grid: { 'train.steps': [100] }, random: { samples: 2, seed: 1, space: { 'train.steps': { choice: [1] } } } }, /: grid: give exactly one of grid and random/],
    [{ name: 'x', base: 'base.yaml', grid: { 'evaluate.seed': [1, 2] } }, /grid\.evaluate\.seed: evaluate\.seed cannot be swept \(it is the validation seed/],
    [{ name: 'x', base: 'base.yaml', random: { samples: 2, seed: 1, space: { 'train.hyperparameters.learningRate': { logUniform: [0, 1] } } } }, /random\.space\.train\.hyperparameters\.learningRate/],
    [{ name: 'x', base: 'base.yaml', grid: { 'train.steps': [100] }, select: { testSeed: 1000 } }, /select\.testSeed: 1000 is the validation seed/],
    [{ name: 'x', base: 'base.yaml', grid: { 'train.steps': [100] }, select: { metric: 'tir' } }, /select\.metric: 'tir' is not a metric of CartPole-v1; allowed: return, cost/],
    [{ name: 'x', base: 'missing.yaml', grid: { 'train.steps': [100] } }, /base: missing\.yaml not found/],
    [{ name: 'x', base: 'base.yaml', grid: { 'train.steps': [100, 100] } }, /grid: variants 1 and 2 are the same/],
    [{ name: 'x', base: 'base.yaml', grid: { 'train.steps': [100] }, sets: {} }, /unknown field|unrecognized|sets/],
  ];
  for (const [i, [spec, pattern]] of cases.entries()) {
    const file = writeConfig(cwd, `bad-${i}.yaml`, spec);
    const before = snapshot(cwd);
    const r = await runCli(['sweep', file], { cwd });
    t.is(r.code, 1, `case ${i}: ${r.stderr}`);
    t.regex(r.stderr, pattern, `case ${i}`);
    t.is(r.stderr.trim().split('\n').length, 1, `case ${i}: one line`);
    t.deepEqual(snapshot(cwd), before, `case ${i}: nothing written`);
  }
});
