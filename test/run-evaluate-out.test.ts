/**
 * `dosegym evaluate <run-dir> --set ... --out DIR`: a finished run's policies evaluated under other
 * settings into a NEW run directory (policies copied, manifest naming the source and the overrides),
 * the source run byte-identical afterwards; overrides that need retraining are refused with one line.
 */
import test from 'ava';
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import '../envs/index.ts';
import { parseCsv } from '../src/io/csv.ts';
import { readManifest } from '../src/run/manifest.ts';
import { TINY_PPO, snapshot, tempDir, writeConfig } from './fixtures/experiments/helpers.ts';
import { oneLine, runMain } from './fixtures/experiments/in-process.ts';

const dir = tempDir('dosegym-evaluate-out-');
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const read = (run: string, file: string) => readFileSync(join(run, file), 'utf8');

const source = join(dir, 'source');
const t1dSource = join(dir, 't1d');
test.before(async () => {
  const r = await runMain(['run', writeConfig(dir, 'ppo.yaml', TINY_PPO), '--out', source, '--quiet']);
  if (r.code !== 0) throw new Error(r.stderr);
  const t1d = {
    name: 't1d-source',
    env: { id: 'T1D-v0', options: { patient: ['adult#001', 'adult#002'], days: 0.05, action: 'basal-relative' } },
    train: { algo: 'ppo', steps: 16, seeds: [1], perPatient: true, hyperparameters: { nSteps: 16, batchSize: 16, nEpochs: 1 } },
    evaluate: { episodes: 1, methods: ['ppo', 'basal-bolus'], bootstrap: 100 },
  };
  const s = await runMain(['train', writeConfig(dir, 't1d.yaml', t1d), '--out', t1dSource, '--quiet']);
  if (s.code !== 0) throw new Error(s.stderr);
});

test.serial('the policies under another evaluation seed go to a new run; the source run is untouched', async (t) => {
  const before = snapshot(source);
  const out = join(dir, 'seed-2000');
  const r = await runMain(['evaluate', source, '--set', 'evaluate.seed=2000', '--set', 'evaluate.episodes=3', '--out', out, '--quiet']);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(snapshot(source), before, 'every file of the source run is byte-identical, with the same times');

  const manifest = readManifest(join(out, 'manifest.json'));
  const sourceManifest = readManifest(join(source, 'manifest.json'));
  t.is(manifest.status, 'complete');
  t.deepEqual(manifest.overrides, ['evaluate.seed=2000', 'evaluate.episodes=3']);
  t.deepEqual(manifest.source, { run: source, name: 'tiny-ppo', startedAt: sourceManifest.startedAt, overrides: [], policies: 'copied' });
  t.is(manifest.config.evaluate.seed, 2000);
  t.deepEqual(manifest.config.train, sourceManifest.config.train);
  for (const seed of ['1', '2']) t.is(read(out, `policies/${seed}/weights.bin`), read(source, `policies/${seed}/weights.bin`));
  t.is(read(out, 'training.csv'), read(source, 'training.csv'));
  const episodes = parseCsv(read(out, 'episodes.csv'));
  t.is(episodes.filter((e) => e['method'] === 'ppo' && e['seed'] === '1').length, 3);
  const sourceSeeds = new Set(parseCsv(read(source, 'episodes.csv')).map((e) => e['episode_seed']));
  t.false(episodes.some((e) => sourceSeeds.has(e['episode_seed'])), 'other days than the source evaluated');
  t.true(existsSync(join(out, 'report.html')));

  // The new run is a run of its own: re-evaluated in place, it reproduces itself.
  const summary = read(out, 'summary.csv');
  t.is((await runMain(['evaluate', out, '--quiet'])).code, 0);
  t.is(read(out, 'summary.csv'), summary);
});

test.serial('without overrides the new run reproduces the source evaluation byte for byte', async (t) => {
  const out = join(dir, 'same');
  t.is((await runMain(['evaluate', source, '--out', out, '--quiet'])).code, 0);
  for (const file of ['summary.csv', 'episodes.csv', 'aggregates.json']) t.is(read(out, file), read(source, file), file);
});

test.serial('per-patient policies on a worse protocol for one of their patients; unseen patients and changed spaces are refused', async (t) => {
  const out = join(dir, 't1d-carbs');
  const r = await runMain(['evaluate', t1dSource, '--set', 'env.options.patient=adult#002', '--set', 'env.options.therapy.carbEstimateSd=0.3', '--out', out, '--quiet']);
  t.is(r.code, 0, r.stderr);
  t.deepEqual([...new Set(parseCsv(read(out, 'episodes.csv')).map((e) => e['patient']))], ['adult#002']);
  t.is(readManifest(join(out, 'manifest.json')).config.env.options['therapy'] !== undefined, true);

  const refused = join(dir, 'refused');
  const cases: [string[], string][] = [
    [['--set', 'env.options.patient=[adult#001,adult#003]'], `--set env.options.patient=[adult#001,adult#003]: patient adult#003 has no policy in ${t1dSource} (train.perPatient: one policy per trained patient: adult#001, adult#002)`],
    [['--set', 'env.options.window=6'], `--set env.options.window=6: the observation space of the policies of ${t1dSource} differs from the env's with these settings (shape [27] vs [15]); evaluating them would need retraining`],
    [['--set', 'env.options.action=discrete'], `--set env.options.action=discrete: the observation space of the policies of ${t1dSource} differs from the env's with these settings (element 12's bounds [-1, 1] vs [0, 1247]); evaluating them would need retraining`],
    [['--set', 'train.steps=32'], `--set train.steps=32: train.* decides how the policies are trained; evaluating ${t1dSource} keeps its training (to change it, train again: dosegym run <config> --set train.steps=32)`],
    [['--set', 'env.id=CartPole-v1'], `--set env.id=CartPole-v1: a policy acts only in the env it was trained on; evaluating ${t1dSource} keeps its training (to change it, train again: dosegym run <config> --set env.id=CartPole-v1)`],
    [['--set', 'env.options.therapy.carbEstimateSd=2'], '--set env.options.therapy.carbEstimateSd=2: env.options: T1D-v0: therapy.carbEstimateSd: expected a number in [0, 1], got 2'],
  ];
  for (const [flags, message] of cases) {
    const before = snapshot(t1dSource);
    t.is(oneLine(t, await runMain(['evaluate', t1dSource, ...flags, '--out', refused, '--quiet'])), message);
    t.false(existsSync(refused));
    t.deepEqual(snapshot(t1dSource), before);
  }
});

test.serial('--out must be a new place: not the source, not inside it; --set without --out is refused', async (t) => {
  const copy = join(dir, 'copy');
  cpSync(source, copy, { recursive: true });
  const before = snapshot(copy);
  t.is(oneLine(t, await runMain(['evaluate', copy, '--set', 'evaluate.seed=3', '--out', copy, '--force'])), `--out: ${copy} is the source run ${copy}; the source is never written: give another directory`);
  t.is(oneLine(t, await runMain(['evaluate', copy, '--set', 'evaluate.seed=3', '--out', join(copy, 'x')])), `--out: ${join(copy, 'x')} is inside the source run ${copy}; the source is never written: give another directory`);
  t.is(oneLine(t, await runMain(['evaluate', copy, '--set', 'evaluate.seed=3']), 2), `--set: evaluating ${copy} under other settings writes a new run directory (the source run is never changed); give --out DIR`);
  t.deepEqual(snapshot(copy), before);
});
