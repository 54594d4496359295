/**
 * train.checkpointEvery and --resume (agents/common/training-state.ts): a run killed after a
 * training checkpoint and resumed writes exactly the files an uninterrupted run writes (training.csv,
 * the policy's weights, episodes and summary), for PPO and for DQN (replay buffer); the latest
 * checkpoint holds the policy beside; a checkpoint of another format version is refused naming the
 * version needed.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT, tempDir, writeConfig } from './fixtures/experiments/helpers.ts';
import { oneLine, runMain } from './fixtures/experiments/in-process.ts';

const dir = tempDir('dosegym-checkpoint-');
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const CONFIGS: Record<string, { train: Record<string, unknown>; every: number }> = {
  ppo: { every: 1024, train: { algo: 'ppo', steps: 8192, seeds: [1], checkpointEvery: 1024, hyperparameters: { nSteps: 256, batchSize: 64, nEpochs: 4, numEnvs: 2, normalizeObservations: true } } },
  dqn: { every: 500, train: { algo: 'dqn', steps: 4000, seeds: [1], checkpointEvery: 500, hyperparameters: { learningStarts: 300, trainFreq: 2, targetUpdateInterval: 200, bufferSize: 1500, batchSize: 32, numEnvs: 2 } } },
};
const config = (algo: string) => ({ name: `checkpoint-${algo}`, env: { id: 'CartPole-v1' }, train: CONFIGS[algo]?.train, evaluate: { episodes: 3, methods: [algo], bootstrap: 100 } });

/** Start `dosegym run` in a child process and SIGKILL it as soon as its first training checkpoint is on disk. */
function killedAfterFirstCheckpoint(configPath: string, out: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'run', configPath, '--out', out, '--quiet'], { cwd: ROOT, stdio: 'ignore' });
    const state = join(out, 'checkpoints', '1', 'state.json');
    const timer = setInterval(() => {
      if (existsSync(state)) {
        child.kill('SIGKILL');
        clearInterval(timer);
      }
    }, 5);
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      clearInterval(timer);
      if (signal === 'SIGKILL') resolve();
      else reject(new Error('the run finished before a checkpoint appeared'));
    });
  });
}

const read = (path: string) => readFileSync(path);

for (const algo of Object.keys(CONFIGS)) {
  test.serial(`${algo}: a run killed after a checkpoint and resumed writes exactly what an uninterrupted run writes`, async (t) => {
    const path = writeConfig(dir, `${algo}.yaml`, config(algo));
    const whole = join(dir, `${algo}-whole`);
    const r = await runMain(['run', path, '--out', whole, '--quiet']);
    t.is(r.code, 0, r.stderr);
    // The latest checkpoint: the last multiple of checkpointEvery before the end, with its policy.
    const every = (CONFIGS[algo] as { every: number }).every;
    const last = JSON.parse(readFileSync(join(whole, 'checkpoints', '1', 'state.json'), 'utf8')) as { steps: number; formatVersion: number };
    const total = (CONFIGS[algo]?.train['steps'] as number);
    t.true(last.steps >= total - every && last.steps < total, `latest checkpoint at ${last.steps} steps`);
    t.true(existsSync(join(whole, 'checkpoints', '1', 'policy', 'weights.bin')));

    const resumed = join(dir, `${algo}-resumed`);
    await killedAfterFirstCheckpoint(path, resumed);
    t.false(existsSync(join(resumed, 'policies', '1')), 'killed while training');
    const steps = (JSON.parse(readFileSync(join(resumed, 'checkpoints', '1', 'state.json'), 'utf8')) as { steps: number }).steps;
    t.true(steps < total, `interrupted at the checkpoint of ${steps} steps`);
    const again = await runMain(['run', path, '--out', resumed, '--resume', '--quiet']);
    t.is(again.code, 0, again.stderr);

    for (const file of ['training.csv', 'episodes.csv', 'summary.csv']) t.is(readFileSync(join(resumed, file), 'utf8'), readFileSync(join(whole, file), 'utf8'), `${file} byte-identical`);
    for (const file of ['policies/1/weights.bin', 'checkpoints/1/state.bin']) t.true(read(join(resumed, file)).equals(read(join(whole, file))), `${file} byte-identical`);
  });
}

test.serial('a training checkpoint of another format version is refused with the version needed, and nothing is trained', async (t) => {
  const path = writeConfig(dir, 'old.yaml', config('ppo'));
  const out = join(dir, 'old');
  await killedAfterFirstCheckpoint(path, out);
  const state = join(out, 'checkpoints', '1', 'state.json');
  writeFileSync(state, readFileSync(state, 'utf8').replace('"formatVersion":1', '"formatVersion":0'));
  const line = oneLine(t, await runMain(['run', path, '--out', out, '--resume', '--quiet']));
  t.regex(line, /checkpoints\/1\/state\.json: training checkpoint version 0; this dosegym reads version 1 \(continue it with the dosegym that wrote it, or retrain the seed from its start by removing .*checkpoints\/1\)$/);
  t.false(existsSync(join(out, 'policies', '1')));
});
