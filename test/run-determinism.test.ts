/**
 * Reproducibility of `dosegym run`: the same config and seed give byte-identical summary.csv and
 * summary.json (and per-episode results), whether run twice, in another process, or with
 * `--jobs 2` instead of `--jobs 1`.
 */
import test from 'ava';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import '../envs/index.ts';
import { runExperiment, type RunFlags } from '../src/run/run.ts';
import { parseCsv } from '../src/io/csv.ts';
import { T1D_BASELINES, TINY_PPO, runCli, tempDir, writeConfig } from './fixtures/experiments/helpers.ts';

const dir = tempDir('dosegym-determinism-');
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const flags = (out: string): RunFlags => ({ out, jobs: 1, backend: 'auto', quiet: true, resume: false, force: false });
const read = (run: string, file: string) => readFileSync(join(run, file), 'utf8');

test('baselines: the same config run twice (another process, then in-process) gives identical files', async (t) => {
  const config = writeConfig(dir, 't1d.yaml', T1D_BASELINES);
  const a = join(dir, 't1d-a');
  const b = join(dir, 't1d-b');
  const cli = await runCli(['run', config, '--out', a, '--quiet']);
  t.is(cli.code, 0, cli.stderr);
  await runExperiment(config, flags(b));
  for (const file of ['summary.csv', 'summary.json', 'episodes.csv', 'aggregates.json', 'trajectories/pid.csv']) {
    t.is(read(a, file), read(b, file), file);
  }
  // Not vacuous: one row per method with the T1D columns, real numbers, and the methods differ.
  const rows = parseCsv(read(a, 'summary.csv'));
  t.deepEqual(rows.map((r) => r['method']), ['basal-bolus', 'pid']);
  // The original columns in their documented order, then the columns added after them.
  t.is(read(a, 'summary.csv').split('\n')[0], 'method,seed,episodes,mean_return,std_return,mean_cost,tir,tbr70,tbr54,tar180,tar250,mean_bg,cv,gmi,lbgi,hbgi,risk_index,terminations,tir_planned,survived,hypo54_events_per_week');
  for (const r of rows) {
    t.is(r['episodes'], '2');
    t.true(Number(r['mean_bg']) > 70 && Number(r['mean_bg']) < 250, `mean_bg ${r['mean_bg']}`);
  }
  t.not(rows[0]?.['mean_return'], rows[1]?.['mean_return']);
  // summary.json holds the same rows and no timestamps
  const json = JSON.parse(read(a, 'summary.json')) as { columns: string[]; rows: Record<string, unknown>[] };
  t.deepEqual(Object.keys(json), ['columns', 'rows']);
  t.is(json.rows.length, 2);
  t.false(/20\d\d-\d\d-\d\dT/.test(read(a, 'summary.json') + read(a, 'summary.csv')));
});

test('trained PPO (2 seeds): --jobs 2 equals --jobs 1, and a rerun is identical', async (t) => {
  const config = writeConfig(dir, 'ppo.yaml', TINY_PPO);
  const one = join(dir, 'ppo-jobs1');
  const two = join(dir, 'ppo-jobs2');
  const again = join(dir, 'ppo-again');
  const [r1, r2] = await Promise.all([runCli(['run', config, '--out', one, '--quiet']), runCli(['run', config, '--out', two, '--jobs', '2', '--quiet'])]);
  t.is(r1.code, 0, r1.stderr);
  t.is(r2.code, 0, r2.stderr);
  await runExperiment(config, flags(again));
  for (const file of ['summary.csv', 'summary.json', 'episodes.csv', 'training.csv', 'aggregates.json', 'trajectories/ppo.csv']) {
    t.is(read(two, file), read(one, file), `--jobs 2 vs --jobs 1: ${file}`);
    t.is(read(again, file), read(one, file), `rerun: ${file}`);
  }
  // Not vacuous: both seeds trained and were evaluated, with different policies.
  const rows = parseCsv(read(one, 'summary.csv'));
  t.deepEqual(rows.map((r) => [r['method'], r['seed']]), [['ppo', '1'], ['ppo', '2'], ['random', '']]);
  const episodes = parseCsv(read(one, 'episodes.csv'));
  const seed1 = episodes.filter((e) => e['method'] === 'ppo' && e['seed'] === '1').map((e) => e['return']);
  const seed2 = episodes.filter((e) => e['method'] === 'ppo' && e['seed'] === '2').map((e) => e['return']);
  t.is(seed1.length, 2);
  t.notDeepEqual(seed1, seed2);
  const training = parseCsv(read(one, 'training.csv'));
  t.deepEqual([...new Set(training.map((r) => r['seed']))], ['1', '2']);
  t.deepEqual(training.filter((r) => r['seed'] === '1').map((r) => r['steps']), ['64', '128']);
  t.true(training.every((r) => Number.isFinite(Number(r['loss_value']))));
  // The policies themselves are identical files too.
  t.deepEqual(readFileSync(join(two, 'policies', '2', 'weights.bin')), readFileSync(join(one, 'policies', '2', 'weights.bin')));
});
