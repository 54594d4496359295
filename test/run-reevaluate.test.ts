/**
 * `dosegym evaluate <run-dir>` and `dosegym report <run-dir>` on a finished run build their new
 * files beside the old ones (src/run/staging.ts) and swap them in only when all are written: a
 * failed or interrupted re-evaluation leaves every file of the run as it was, and `report` never
 * changes a run's status.
 */
import test from 'ava';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import '../envs/index.ts';
import { readManifest } from '../src/run/manifest.ts';
import { runExperiment, runStagesOnDir, type RunFlags } from '../src/run/run.ts';
import { recoverStaging } from '../src/run/staging.ts';
import { TINY_PPO, runCli, snapshot, tempDir, writeConfig } from './fixtures/experiments/helpers.ts';
import { oneLine, runMain } from './fixtures/experiments/in-process.ts';

const dir = tempDir('dosegym-reevaluate-');
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const flags = (out: string): RunFlags => ({ out, jobs: 1, backend: 'auto', quiet: true, resume: false, force: false });
const read = (run: string, file: string) => readFileSync(join(run, file), 'utf8');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const RESULTS = ['summary.csv', 'summary.json', 'episodes.csv', 'aggregates.json', 'training.csv', 'report.html'];

/** A finished tiny PPO run (one seed), copied fresh for each test. */
let template = '';
test.before(async () => {
  template = join(dir, 'template');
  await runExperiment(writeConfig(dir, 'ppo.yaml', { ...TINY_PPO, train: { ...TINY_PPO.train, seeds: [1, 2] } }), flags(template));
});
function freshRun(name: string): string {
  const run = join(dir, name);
  cpSync(template, run, { recursive: true, preserveTimestamps: true });
  return run;
}

test.serial('a failed re-evaluation (truncated weights.bin) leaves every result file as it was; report then keeps the status', async (t) => {
  const run = freshRun('truncated');
  const weights = join(run, 'policies', '2', 'weights.bin');
  writeFileSync(weights, readFileSync(weights).subarray(0, 100));
  const before = snapshot(run);
  const r = await runMain(['evaluate', run, '--quiet']);
  t.is(oneLine(t, r), `${weights}: expected 36620 bytes (9155 float32), got 100`, 'names the run\'s own file, not a staging copy');
  t.deepEqual(snapshot(run), before, 'evaluation/, summaries, episodes, aggregates, trajectories, charts and the manifest are untouched');
  t.false(existsSync(join(run, '.staging')));
  t.is(readManifest(join(run, 'manifest.json')).status, 'complete', 'the old results are still complete');

  // report redraws the charts from the (old, intact) results and never touches the manifest
  const manifest = read(run, 'manifest.json');
  const redrawn = await runMain(['report', run, '--quiet']);
  t.is(redrawn.code, 0, redrawn.stderr);
  t.true(redrawn.stderr.includes('report: the policy explanation leaves out seed 2: policies/2/weights.bin: expected 36620 bytes'), redrawn.stderr);
  t.is(read(run, 'manifest.json'), manifest);
});

test.serial('report never marks an incomplete run complete', async (t) => {
  const run = freshRun('incomplete');
  const manifest = JSON.parse(read(run, 'manifest.json')) as Record<string, unknown>;
  writeFileSync(join(run, 'manifest.json'), JSON.stringify({ ...manifest, status: 'incomplete', finishedAt: null }));
  const before = read(run, 'manifest.json');
  const r = await runMain(['report', run, '--quiet']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /status: incomplete/);
  t.is(read(run, 'manifest.json'), before);
});

test.serial('a successful re-evaluation reproduces the results byte for byte and swaps in complete outputs', async (t) => {
  const run = freshRun('again');
  const before = Object.fromEntries(RESULTS.slice(0, 4).map((f) => [f, read(run, f)]));
  // a stale file the new evaluation does not write disappears with the old evaluation/
  writeFileSync(join(run, 'evaluation', 'stale.json'), '{}');
  const r = await runMain(['evaluate', run, '--quiet', '--jobs', '2']);
  t.is(r.code, 0, r.stderr);
  for (const [file, text] of Object.entries(before)) t.is(read(run, file), text, file);
  t.false(existsSync(join(run, 'evaluation', 'stale.json')));
  t.false(existsSync(join(run, '.staging')));
  t.is(readManifest(join(run, 'manifest.json')).status, 'complete');
});

test.serial('an interrupted swap is finished by the next command; an unfinished build is discarded', async (t) => {
  const run = freshRun('swap');
  const summary = read(run, 'summary.csv');
  // A build that never reached its swap (killed while evaluating): discarded, the run untouched.
  mkdirSync(join(run, '.staging', 'evaluation'), { recursive: true });
  writeFileSync(join(run, '.staging', 'summary.csv'), 'half');
  writeFileSync(join(run, '.staging', '.owner.json'), JSON.stringify({ pid: 2 ** 30 }));
  const before = snapshot(run);
  recoverStaging(run);
  t.false(existsSync(join(run, '.staging')));
  const { ['.staging/']: _s, ['.staging/evaluation/']: _e, ['.staging/summary.csv']: _c, ['.staging/.owner.json']: _o, ...rest } = before;
  t.deepEqual(snapshot(run), rest);

  // A swap killed half way (summary.csv moved aside, the new one not yet in place): completed.
  mkdirSync(join(run, '.staging', '.old'), { recursive: true });
  writeFileSync(join(run, '.staging', 'summary.csv'), 'new summary');
  writeFileSync(join(run, '.staging', 'summary.json'), 'new json');
  renameSync(join(run, 'summary.csv'), join(run, '.staging', '.old', 'summary.csv'));
  writeFileSync(join(run, '.staging', '.swap.json'), JSON.stringify({ entries: ['summary.csv', 'summary.json', 'trajectories'], present: ['summary.csv', 'summary.json'] }));
  const r = await runMain(['report', run, '--quiet']);
  t.not(r.code, null);
  t.is(read(run, 'summary.csv'), 'new summary');
  t.is(read(run, 'summary.json'), 'new json');
  t.false(existsSync(join(run, 'trajectories')), 'an entry the new results lack is removed');
  t.false(existsSync(join(run, '.staging')));
  t.not(summary, 'new summary');
});

test.serial('a live process building into the run makes evaluate refuse, touching nothing', async (t) => {
  const run = freshRun('busy');
  mkdirSync(join(run, '.staging'));
  writeFileSync(join(run, '.staging', '.owner.json'), JSON.stringify({ pid: process.ppid }));
  const before = snapshot(run);
  const r = await runMain(['evaluate', run, '--quiet']);
  t.is(oneLine(t, r), `${run}: another dosegym command (process ${process.ppid}) is writing new results into this run; wait for it to finish`);
  t.deepEqual(snapshot(run), before);
});

test.serial('evaluate <run-dir> refuses the flags that replace a run directory or only training uses', async (t) => {
  const run = freshRun('flags');
  const before = snapshot(run);
  t.regex(oneLine(t, await runMain(['evaluate', run, '--force']), 2), /^--force: not used by dosegym evaluate <run-dir> without --out \(it re-evaluates /);
  for (const flag of [['--resume'], ['--seed', '3']]) {
    t.regex(oneLine(t, await runMain(['evaluate', run, ...flag]), 2), new RegExp(`^Unknown argument: ${flag[0]?.slice(2)}`));
  }
  t.deepEqual(snapshot(run), before);
});

test.serial('a corrupt manifest.json is one line naming the file (evaluate, report, --resume)', async (t) => {
  const run = freshRun('corrupt');
  const config = writeConfig(dir, 'corrupt.yaml', { ...TINY_PPO, train: { ...TINY_PPO.train, seeds: [1, 2] } });
  writeFileSync(join(run, 'manifest.json'), '{"kind": "dosegym-run", "status": "compl');
  const before = snapshot(run);
  const path = join(run, 'manifest.json');
  for (const args of [['evaluate', run], ['report', run], ['run', config, '--resume', '--out', run]]) {
    const r = await runMain([...args, '--quiet']);
    t.regex(oneLine(t, r), new RegExp(`^${path}: not valid JSON \\(.*\\); the run manifest is damaged$`), args[0]);
  }
  writeFileSync(path, JSON.stringify({ kind: 'dosegym-run', status: 'done', config: {}, stages: [], seeds: [] }));
  t.is(oneLine(t, await runMain(['report', run, '--quiet'])), `${path}: status: expected "complete" or "incomplete", got "done"; the run manifest is damaged`);
  writeFileSync(path, JSON.stringify({ name: 'x' }));
  t.is(oneLine(t, await runMain(['report', run, '--quiet'])), `${path}: not a DoseGym run manifest (no "kind": "dosegym-run")`);
  writeFileSync(path, readFileSync(join(template, 'manifest.json')));
  writeFileSync(join(run, 'summary.json'), '{"columns": [');
  t.regex(oneLine(t, await runMain(['report', run, '--quiet'])), new RegExp(`^${join(run, 'summary.json')}: not valid JSON`));
  t.truthy(before);
});

/** Two baselines on all 30 patients, 10 one-day episodes each: a few seconds of evaluation. */
const LONG_EVALUATION = {
  name: 'long-evaluation',
  env: { id: 'T1D-v0', options: { patient: 'all', days: 1 } },
  train: { algo: 'none' },
  evaluate: { episodes: 10, methods: ['basal-bolus', 'pid'], bootstrap: 200, trajectories: 0 },
};

test('Ctrl-C or SIGKILL during a re-evaluation leaves the run as it was', async (t) => {
  const run = join(dir, 'long');
  const config = writeConfig(dir, 'long.yaml', LONG_EVALUATION);
  const first = await runCli(['run', config, '--out', run, '--quiet']);
  t.is(first.code, 0, first.stderr);
  const before = snapshot(run);
  const results = Object.fromEntries(['summary.csv', 'summary.json', 'episodes.csv', 'aggregates.json'].map((f) => [f, read(run, f)]));
  const withoutStaging = (s: Record<string, string>) => Object.fromEntries(Object.entries(s).filter(([k]) => !k.startsWith('.staging')));
  for (const signal of ['SIGINT', 'SIGKILL'] as const) {
    let pid = 0;
    let exited = false;
    const child = runCli(['evaluate', run, '--quiet'], { onSpawn: (p) => (pid = p) }).finally(() => (exited = true));
    // interrupt once the staged evaluation has written its first task
    while (!exited && !existsSync(join(run, '.staging', 'evaluation', 'basal-bolus.json'))) await sleep(20);
    t.false(exited, 'interrupted before the end');
    process.kill(pid, signal);
    const r = await child;
    if (signal === 'SIGINT') {
      t.is(r.code, 130, r.stderr);
      t.true(r.stderr.includes(`interrupted: ${run} is unchanged`), r.stderr);
      t.false(existsSync(join(run, '.staging')), 'Ctrl-C removes its unfinished build');
    } else {
      t.is(r.signal, 'SIGKILL');
      t.true(existsSync(join(run, '.staging')), 'a killed build is left behind for the next command to discard');
    }
    t.deepEqual(withoutStaging(snapshot(run)), before, `${signal}: every file of the run as it was`);
  }
  // The next command discards the killed build and re-evaluates to the same bytes.
  const again = await runCli(['evaluate', run, '--quiet']);
  t.is(again.code, 0, again.stderr);
  t.false(existsSync(join(run, '.staging')));
  for (const [file, text] of Object.entries(results)) t.is(read(run, file), text, file);
  t.is(readManifest(join(run, 'manifest.json')).status, 'complete');
});
