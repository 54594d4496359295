/**
 * The Slurm entry points called as a job array calls them: `dosegym run --plan-only`, then
 * `dosegym task DIR` with SLURM_ARRAY_TASK_ID (no --index) in parallel processes, one task killed
 * and run again, `dosegym collect DIR`; and scripts/slurm/run.sbatch driven by a stand-in `sbatch`
 * that runs each array element as a process with its SLURM_ARRAY_TASK_ID. The collected files are
 * byte-identical to `dosegym run --jobs 1`.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT, TINY_PPO, runCli, tempDir, writeConfig, type CliResult } from './fixtures/experiments/helpers.ts';

const dir = tempDir('dosegym-slurm-');
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const read = (path: string) => readFileSync(path, 'utf8');
const RESULTS = ['summary.csv', 'summary.json', 'episodes.csv', 'training.csv', 'aggregates.json', 'trajectories/ppo.csv', 'policies/1/weights.bin', 'policies/2/weights.bin'];
// Long enough (32 PPO updates per seed) to be killed mid-training.
const CONFIG = { ...TINY_PPO, train: { ...TINY_PPO.train, steps: 2048 } };

let reference: Promise<string> | undefined;
/** `dosegym run --jobs 1` of CONFIG, once for both tests. */
function referenceRun(config: string): Promise<string> {
  reference ??= runCli(['run', config, '--out', join(dir, 'reference'), '--quiet']).then((r) => {
    if (r.code !== 0) throw new Error(r.stderr);
    return join(dir, 'reference');
  });
  return reference;
}

/** `dosegym task DIR` as an array element: the index only in SLURM_ARRAY_TASK_ID. */
function arrayElement(run: string, index: number, onStderr?: (text: string, kill: () => void) => void): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'task', run], { cwd: ROOT, env: { ...process.env, SLURM_ARRAY_TASK_ID: String(index), SLURM_ARRAY_JOB_ID: '4242' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      onStderr?.(stderr, () => child.kill('SIGKILL'));
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

test('plan-only, array elements in parallel processes from SLURM_ARRAY_TASK_ID, a killed task run again, collect: identical to --jobs 1', async (t) => {
  const config = writeConfig(dir, 'ppo.yaml', CONFIG);
  const ref = referenceRun(config);
  const run = join(dir, 'planned');
  const plan = await runCli(['run', config, '--plan-only', '--out', run]);
  t.is(plan.code, 0, plan.stderr);
  t.regex(plan.stdout, /planned 5 task\(s\) in .*tasks\.json: training 0-1, evaluation 2-4/);
  const list = JSON.parse(read(join(run, 'tasks.json'))) as { tasks: { index: number; label: string; needs: number[] }[] };
  t.deepEqual(list.tasks.map((x) => [x.index, x.label, x.needs]), [[0, 'train seed 1', []], [1, 'train seed 2', []], [2, 'eval ppo seed 1', [0]], [3, 'eval ppo seed 2', [1]], [4, 'eval random', []]]);
  t.is(JSON.parse(read(join(run, 'manifest.json'))).status, 'incomplete');

  // collect and an evaluation before their tasks: one line naming what is missing.
  const early = await runCli(['collect', run]);
  t.is(early.code, 1);
  t.is(early.stderr, `dosegym: collect: 5 of 5 tasks of ${run} are not done: 0 (train seed 1), 1 (train seed 2), 2 (eval ppo seed 1), 3 (eval ppo seed 2), 4 (eval random); run dosegym task ${run} --index <i> for each\n`);
  const needs = await arrayElement(run, 2);
  t.is(needs.code, 1);
  t.regex(needs.stderr, /task 2 \(eval ppo seed 1\) needs task 0 \(train seed 1\) first/);

  // The training array: element 0 is killed mid-task (SIGKILL: a node lost), element 1 finishes.
  const [killed, one] = await Promise.all([
    arrayElement(run, 0, (text, kill) => {
      if (text.includes('started')) setTimeout(kill, 1500);
    }),
    arrayElement(run, 1),
  ]);
  t.is(killed.signal, 'SIGKILL', 'killed before it finished');
  t.is(one.code, 0, one.stderr);
  t.false(existsSync(join(run, 'training', 'seed-1.csv')), 'a killed task leaves no result');
  const missing = await runCli(['collect', run]);
  t.regex(missing.stderr, /collect: 4 of 5 tasks .* are not done: 0 \(train seed 1\), 2 \(eval ppo seed 1\)/);
  // Run again (as Slurm requeues it), then the evaluation array in parallel.
  const again = await arrayElement(run, 0);
  t.is(again.code, 0, again.stderr);
  const evals = await Promise.all([2, 3, 4].map((i) => arrayElement(run, i)));
  for (const e of evals) t.is(e.code, 0, e.stderr);
  // An element already done is skipped (a resubmitted array).
  const skipped = await runCli(['task', run, '--index', '4']);
  t.is(skipped.stdout, 'task 4 (eval random): already done, skipped\n');
  const collected = await runCli(['collect', run, '--quiet']);
  t.is(collected.code, 0, collected.stderr);
  t.is(JSON.parse(read(join(run, 'manifest.json'))).status, 'complete');
  t.true(existsSync(join(run, 'report.html')));
  const refDir = await ref;
  for (const file of RESULTS) t.deepEqual(readFileSync(join(run, file)), readFileSync(join(refDir, file)), file);
});

test('bad task indices and a missing SLURM_ARRAY_TASK_ID: one line, usage exit code', async (t) => {
  const config = writeConfig(dir, 'baselines.yaml', { ...TINY_PPO, name: 'b', train: { algo: 'none' }, evaluate: { episodes: 1, methods: ['random'], bootstrap: 100 } });
  const run = join(dir, 'bad-index');
  t.is((await runCli(['run', config, '--plan-only', '--out', run])).code, 0);
  const env = { ...process.env };
  delete env['SLURM_ARRAY_TASK_ID'];
  const none = await runCli(['task', run], { env });
  t.is(none.code, 2);
  t.is(none.stderr, 'dosegym: --index: give the task index (--index N), or run inside a Slurm job array (SLURM_ARRAY_TASK_ID)\n');
  const out = await runCli(['task', run], { env: { ...env, SLURM_ARRAY_TASK_ID: '7' } });
  t.is(out.stderr, 'dosegym: SLURM_ARRAY_TASK_ID: expected a task index in 0..0, got "7"\n');
  const neg = await runCli(['task', run, '--index', '-1']);
  t.is(neg.stderr, 'dosegym: --index: expected a task index in 0..0, got "-1"\n');
  const noPlan = await runCli(['run', config, '--plan-only']);
  t.is(noPlan.code, 2);
  t.regex(noPlan.stderr, /--plan-only: give --out DIR/);
  const notPlanned = await runCli(['task', dir, '--index', '0']);
  t.regex(notPlanned.stderr, /no tasks\.json; write the task list first with dosegym run <config> --plan-only/);
});

test('scripts/slurm/run.sbatch submits a training array, a dependent evaluation array and a dependent collect job', async (t) => {
  const config = writeConfig(dir, 'ppo.yaml', CONFIG);
  const ref = referenceRun(config);
  // A stand-in sbatch: records its arguments, runs the job (an array's elements as parallel processes
  // with SLURM_ARRAY_TASK_ID), prints a job id. Submissions arrive in dependency order.
  const bin = join(dir, 'fake-bin');
  mkdirSync(bin, { recursive: true });
  const log = join(dir, 'sbatch.log');
  writeFileSync(join(bin, 'sbatch'), `#!/usr/bin/env bash
array=""; for a in "$@"; do case $a in --array=*) array=\${a#--array=};; esac; done
script="\${@: -1}"
echo "$*" >> "${log}"
id=$(( $(wc -l < "${log}") + 100 ))
if [ -n "$array" ]; then
  for i in $(seq "\${array%-*}" "\${array#*-}"); do SLURM_ARRAY_TASK_ID=$i SLURM_ARRAY_JOB_ID=$id bash "$script" > "${dir}/job-$id-$i.out" 2>&1 & done
  wait
else
  bash "$script" > "${dir}/job-$id.out" 2>&1
fi
echo $id
`);
  chmodSync(join(bin, 'sbatch'), 0o755);
  const run = join(dir, 'sbatch-run');
  const r = await new Promise<CliResult>((resolve) => {
    const child = spawn('bash', [join(ROOT, 'scripts', 'slurm', 'run.sbatch'), config, run, '--set', 'evaluate.trajectories=1'], {
      cwd: ROOT,
      env: { ...process.env, PATH: `${bin}:${process.env['PATH']}`, DOSEGYM: `${process.execPath} ${BIN}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  t.is(r.code, 0, r.stderr + r.stdout);
  const calls = read(log).trim().split('\n');
  t.is(calls.length, 3);
  t.regex(calls[0] ?? '', /^--parsable --array=0-1 --export=ALL .*run\.sbatch$/);
  t.regex(calls[1] ?? '', /^--parsable --array=2-4 --dependency=afterok:101 --export=ALL .*run\.sbatch$/);
  t.regex(calls[2] ?? '', /^--parsable --dependency=afterok:102 --export=ALL .*run\.sbatch$/);
  t.regex(r.stdout, /collect: job 103/);
  t.is(JSON.parse(read(join(run, 'manifest.json'))).status, 'complete', read(join(dir, 'job-103.out')));
  const refDir = await ref;
  for (const file of RESULTS) t.deepEqual(readFileSync(join(run, file)), readFileSync(join(refDir, file)), file);
});
