/**
 * Interrupted runs and `--resume`: Ctrl-C (SIGINT) leaves the run marked incomplete, `--resume`
 * finishes only the missing tasks and gives the same results as an uninterrupted run, a changed
 * config is refused; an existing --out is never overwritten without --force.
 */
import test from 'ava';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import '../envs/index.ts';
import { UserError } from '../src/core/errors.ts';
import { runExperiment, type RunFlags } from '../src/run/run.ts';
import { readManifest } from '../src/run/manifest.ts';
import { CHEMO_BASELINES, TINY_PPO, runCli, tempDir, writeConfig } from './fixtures/experiments/helpers.ts';

const dir = tempDir('dosegym-resume-');
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const flags = (out: string, more: Partial<RunFlags> = {}): RunFlags => ({ out, jobs: 1, backend: 'auto', quiet: true, resume: false, force: false, ...more });
const read = (run: string, file: string) => readFileSync(join(run, file), 'utf8');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Two baselines on all 30 patients, 10 one-day episodes each: about a second per method, so
// Ctrl-C can land while the second method is being evaluated.
const LONG_EVALUATION = {
  name: 'long-evaluation',
  env: { id: 'T1D-v0', options: { patient: 'all', days: 1 } },
  train: { algo: 'none' },
  evaluate: { episodes: 10, methods: ['basal-bolus', 'pid'], bootstrap: 200, trajectories: 0 },
};

test('Ctrl-C marks the run incomplete; --resume finishes it with the results of an uninterrupted run', async (t) => {
  const config = writeConfig(dir, 'long.yaml', LONG_EVALUATION);
  const run = join(dir, 'interrupted');
  const first = join(run, 'evaluation', 'basal-bolus.json');
  let pid = 0;
  let exited = false;
  const interrupted = runCli(['run', config, '--out', run], { onSpawn: (p) => (pid = p) }).finally(() => (exited = true));
  let sent = false;
  const watcher = (async () => {
    while (!sent && !exited) {
      if (existsSync(first)) {
        process.kill(pid, 'SIGINT');
        sent = true;
      } else await sleep(20);
    }
  })();
  const r = await interrupted;
  await watcher;
  t.true(sent, `the first task finished before the run did:\n${r.stderr}`);
  t.is(r.code, 130, r.stderr);
  t.true(r.stderr.includes(`interrupted: ${run} is marked incomplete; continue with --resume --out ${run}`), r.stderr);
  const manifest = readManifest(join(run, 'manifest.json'));
  t.is(manifest.status, 'incomplete');
  t.is(manifest.finishedAt, null);
  t.false(existsSync(join(run, 'evaluation', 'pid.json')), 'the second method was cut short');
  t.false(existsSync(join(run, 'summary.csv')));
  const firstWritten = statSync(first).mtimeMs;

  // A changed config cannot resume this run.
  const changed = writeConfig(dir, 'long-changed.yaml', { ...LONG_EVALUATION, evaluate: { ...LONG_EVALUATION.evaluate, episodes: 9 } });
  const refused = await runCli(['run', changed, '--resume', '--out', run]);
  t.is(refused.code, 1);
  t.is(refused.stderr, `dosegym: --resume: the config differs from the one ${run} was started with; start a new run (or --force to overwrite)\n`);

  const resumed = await runCli(['run', config, '--resume', '--out', run]);
  t.is(resumed.code, 0, resumed.stderr);
  t.true(resumed.stderr.includes(`resuming long-evaluation -> ${run}`));
  t.regex(resumed.stdout, /status: complete/);
  t.is(readManifest(join(run, 'manifest.json')).status, 'complete');
  t.is(statSync(first).mtimeMs, firstWritten, 'the finished task was not redone');

  const reference = join(dir, 'uninterrupted');
  await runExperiment(config, flags(reference), ['evaluate']);
  for (const file of ['summary.csv', 'summary.json', 'episodes.csv', 'aggregates.json']) t.is(read(run, file), read(reference, file), file);
  t.is(read(run, 'summary.csv').split('\n').length, 4); // header, 2 methods, final newline
});

test('--resume of a trained run retrains only the missing seed and gives identical results', async (t) => {
  const config = writeConfig(dir, 'ppo.yaml', TINY_PPO);
  const run = join(dir, 'ppo');
  await runExperiment(config, flags(run));
  const before = Object.fromEntries(['summary.csv', 'summary.json', 'episodes.csv', 'training.csv'].map((f) => [f, read(run, f)]));
  const seed1Weights = statSync(join(run, 'policies', '1', 'weights.bin')).mtimeMs;
  // What a run killed while training seed 2 leaves behind.
  for (const gone of ['policies/2', 'training/seed-2.csv', 'evaluation/ppo-seed-2.json', 'evaluation/random.json', 'summary.csv', 'summary.json']) rmSync(join(run, gone), { recursive: true });
  const manifest = readManifest(join(run, 'manifest.json'));
  writeFileSync(join(run, 'manifest.json'), JSON.stringify({ ...manifest, status: 'incomplete', finishedAt: null, stages: [] }));

  const result = await runExperiment(config, flags(run, { resume: true }));
  t.is(result.manifest.status, 'complete');
  for (const [file, text] of Object.entries(before)) t.is(read(run, file), text, file);
  t.is(statSync(join(run, 'policies', '1', 'weights.bin')).mtimeMs, seed1Weights, 'seed 1 was not retrained');
  t.true(existsSync(join(run, 'policies', '2', 'weights.bin')));
});

test('an existing --out is refused without --force; --force replaces a run (only a run); --resume needs a run', async (t) => {
  const config = writeConfig(dir, 'chemo.yaml', CHEMO_BASELINES);
  const run = join(dir, 'chemo');
  await runExperiment(config, flags(run));
  const summary = read(run, 'summary.csv');
  const error = await t.throwsAsync(runExperiment(config, flags(run)), { instanceOf: UserError });
  t.is(error?.message, `--out: ${run} already holds a DoseGym run; use --force to replace it or --resume to continue it`);

  // A file DoseGym did not write makes it more than a run: --force refuses and keeps it.
  writeFileSync(join(run, 'notes.txt'), 'mine');
  const mixed = await t.throwsAsync(runExperiment(config, flags(run, { force: true })), { instanceOf: UserError });
  t.is(mixed?.message, `--out: ${run} holds a DoseGym run but also files DoseGym does not write (notes.txt), so --force does not replace it; give a new or empty directory`);
  t.is(read(run, 'notes.txt'), 'mine', 'nothing was touched');
  t.is(read(run, 'summary.csv'), summary);
  rmSync(join(run, 'notes.txt'));

  const leftover = join(run, 'evaluation', 'a-method-of-the-old-run.json');
  writeFileSync(leftover, '{}');
  await runExperiment(config, flags(run, { force: true }));
  t.false(existsSync(leftover), '--force starts from an empty run directory');
  t.is(read(run, 'summary.csv'), summary);
  t.is(readManifest(join(run, 'manifest.json')).status, 'complete');

  const file = join(dir, 'a-file');
  writeFileSync(file, '');
  const notDir = await t.throwsAsync(runExperiment(config, flags(file, { force: true })), { instanceOf: UserError });
  t.is(notDir?.message, `--out: ${file} is a file, not a directory; give a directory`);

  const missing = join(dir, 'never-ran');
  const noRun = await t.throwsAsync(runExperiment(config, flags(missing, { resume: true })), { instanceOf: UserError });
  t.regex(noRun?.message ?? '', /^--resume: no incomplete run of 'chemo-baselines' found at /);
  t.false(existsSync(missing));
});

test.serial('without --out, runs go to results/<name>/<UTC date-time>/ and never reuse a directory', async (t) => {
  const config = writeConfig(dir, 'chemo-default-dir.yaml', CHEMO_BASELINES);
  const cwd = join(dir, 'cwd');
  const base = join(cwd, 'results', 'chemo-baselines');
  // Occupy the run ids of the next seconds, as a run started in the same second would. (serial:
  // process.chdir must not overlap the other tests of this file)
  const id = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z').replace('T', '-');
  const start = Date.now();
  for (let s = -1; s <= 30; s++) {
    mkdirSync(join(base, id(start + s * 1000)), { recursive: true });
    writeFileSync(join(base, id(start + s * 1000), 'manifest.json'), '{}');
  }
  const previous = process.cwd();
  process.chdir(cwd);
  try {
    const result = await runExperiment(config, { jobs: 1, backend: 'auto', quiet: true, resume: false, force: false });
    t.regex(result.dir, new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/\\d{8}-\\d{6}Z-2$`));
    t.is(readManifest(join(result.dir, 'manifest.json')).status, 'complete');
  } finally {
    process.chdir(previous);
  }
});

