/**
 * Training checkpoints (agents/common/training-state.ts): an agent continued from the state it
 * handed out at a checkpoint ends exactly where the uninterrupted run ends (every weight bit for
 * bit, every later training statistic), the envs brought back by replaying their actions; the
 * state survives the disk format; a state with a non-finite weight is never written; another
 * format version is refused naming the version needed.
 */
import test from 'ava';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import '../envs/index.ts';
import { initBackend } from '../agents/common/backend.ts';
import { readTrainingState, writeTrainingState, TRAINING_STATE_VERSION, type TrainingState } from '../agents/common/training-state.ts';
import type { UpdateStats } from '../agents/common/training.ts';
import { ALGORITHM_NAMES, algorithm } from '../agents/index.ts';
import { make } from '../src/core/registry.ts';
import type { Action, Env, Observation } from '../src/core/env.ts';
import { RiskyPath } from '../envs/toy/risky-path.ts';
import { tempDir } from './fixtures/experiments/helpers.ts';

const dir = tempDir('dosegym-training-state-');
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
test.before(async () => {
  await initBackend('wasm');
});

/** Small runs on real envs with autoresets (two envs; DQN and SAC past learningStarts and through a full replay buffer). */
const RUNS: Record<string, { env: string | (() => Env<Observation, Action>); steps: number; every: number; hyperparameters: Record<string, unknown>; costLimit?: number; algo?: string }> = {
  ppo: { env: 'CartPole-v1', steps: 256, every: 64, hyperparameters: { nSteps: 32, batchSize: 32, nEpochs: 2, numEnvs: 2, normalizeObservations: true } },
  'ppo-lagrangian': { env: 'CartPole-v1', steps: 256, every: 64, hyperparameters: { nSteps: 32, batchSize: 32, nEpochs: 2, numEnvs: 2 }, costLimit: 1 },
  // The PID multiplier carries the multiplier in use and the smoothed cost across a checkpoint
  // (RiskyPath's hazard costs put it over budget, and the cost rises in the rollout after the
  // checkpoint at 128 steps that the test resumes from, so every term moves).
  'ppo-lagrangian, PID multiplier': { algo: 'ppo-lagrangian', env: () => new RiskyPath(), steps: 512, every: 64, hyperparameters: { nSteps: 32, batchSize: 32, nEpochs: 2, numEnvs: 2, lagrangeLr: 0.3, lagrangeKp: 0.5, lagrangeKd: 0.5, lagrangeEma: 0.5 }, costLimit: 1 },
  // The quantile multiplier carries its window of recent episode costs across a checkpoint.
  'ppo-lagrangian, quantile multiplier': { algo: 'ppo-lagrangian', env: () => new RiskyPath(), steps: 512, every: 64, hyperparameters: { nSteps: 32, batchSize: 32, nEpochs: 2, numEnvs: 2, lagrangeLr: 0.3, lagrangeCostQuantile: 0.9, lagrangeCostWindow: 12 }, costLimit: 1 },
  // Held exploration noise (held 5 steps; a rollout of 32 steps leaves a draw half-used at the checkpoint).
  'ppo, held noise': { algo: 'ppo', env: 'Pendulum-v1', steps: 256, every: 64, hyperparameters: { nSteps: 32, batchSize: 32, nEpochs: 2, numEnvs: 2, distribution: 'gaussian-clip', noiseHoldSteps: 5 } },
  dqn: { env: 'CartPole-v1', steps: 400, every: 100, hyperparameters: { learningStarts: 50, trainFreq: 2, targetUpdateInterval: 20, bufferSize: 120, batchSize: 16, numEnvs: 2, normalizeObservations: true } },
  // n-step returns keep transitions pending across a checkpoint.
  'dqn, 3-step returns': { algo: 'dqn', env: 'CartPole-v1', steps: 400, every: 100, hyperparameters: { learningStarts: 50, trainFreq: 2, targetUpdateInterval: 20, bufferSize: 120, batchSize: 16, numEnvs: 2, nStep: 3 } },
  sac: { env: 'Pendulum-v1', steps: 300, every: 100, hyperparameters: { learningStarts: 40, bufferSize: 150, batchSize: 16, netArch: [16, 16], numEnvs: 2 } },
};

async function train(name: string, checkpoint: { save?: (s: TrainingState) => void; from?: TrainingState }) {
  const r = RUNS[name] as (typeof RUNS)[string];
  const rows: UpdateStats[] = [];
  const env = r.env;
  const policy = await algorithm(r.algo ?? name).train(typeof env === 'string' ? () => make(env) : env, {
    totalSteps: r.steps,
    seed: 7,
    hyperparameters: r.hyperparameters,
    logInterval: 50,
    ...(r.costLimit !== undefined ? { costLimit: r.costLimit } : {}),
    onUpdate: (stats) => rows.push(stats),
    checkpoint: { every: r.every, save: checkpoint.save ?? (() => {}), from: checkpoint.from },
  });
  // Timings differ between any two runs; everything else must not.
  return { policy, rows: rows.map(({ stepsPerSecond: _s, elapsedSeconds: _e, ...rest }) => rest) };
}

for (const name of [...ALGORITHM_NAMES, 'ppo, held noise', 'dqn, 3-step returns', 'ppo-lagrangian, PID multiplier', 'ppo-lagrangian, quantile multiplier']) {
  test.serial(`${name}: continued from a checkpoint, training ends exactly where the uninterrupted run ends`, async (t) => {
    if (RUNS[name] === undefined) return t.fail(`no run for ${name}: add one to RUNS`);
    const states: TrainingState[] = [];
    const whole = await train(name, { save: (s) => states.push(s) });
    const every = (RUNS[name] as (typeof RUNS)[string]).every;
    t.true(states.length >= 2, 'checkpoints during training');
    t.deepEqual(states.map((s) => Math.floor(s.steps / every)), states.map((_, k) => k + 1), 'one after each multiple of checkpointEvery steps');

    const mid = states[1] as TrainingState;
    const path = writeTrainingState(join(dir, name), mid, { note: 'kept' }, (p) => writeFileSync(join(p + '.marker'), ''));
    const { state, extra } = readTrainingState(path);
    t.deepEqual(extra, { note: 'kept' });
    const resumed = await train(name, { from: state });

    const a = Array.from(resumed.policy.params.data), b = Array.from(whole.policy.params.data);
    const firstDiff = a.findIndex((v, i) => v !== b[i]);
    t.is(firstDiff, -1, `every weight, bit for bit (first difference at ${firstDiff})`);
    t.deepEqual(resumed.policy.normalization?.getState(), whole.policy.normalization?.getState());
    t.is(resumed.policy.totalSteps, whole.policy.totalSteps);
    t.deepEqual(resumed.rows, whole.rows.filter((row) => row.steps > mid.steps), 'the training statistics after the checkpoint');
  });
}

test.serial('a state with a non-finite weight is never written', (t) => {
  const state: TrainingState = { algorithm: 'ppo', seed: 1, steps: 10, values: {}, arrays: { params: Float32Array.of(1, NaN) } };
  const target = join(dir, 'diverged');
  const err = t.throws(() => writeTrainingState(target, state, {}, () => {}), { name: 'UserError' });
  t.regex(err?.message ?? '', /refusing to write .*diverged: params\[1\] is NaN \(training diverged\)$/);
  t.false(existsSync(target));
});

test.serial('another format version is refused, naming the version this dosegym reads', (t) => {
  const state: TrainingState = { algorithm: 'ppo', seed: 1, steps: 10, values: { x: 1 }, arrays: { params: Float32Array.of(1, 2) } };
  const path = writeTrainingState(join(dir, 'old'), state, {}, () => {});
  const json = JSON.parse(readFileSync(join(path, 'state.json'), 'utf8')) as { formatVersion: number };
  writeFileSync(join(path, 'state.json'), JSON.stringify({ ...json, formatVersion: 0 }));
  const err = t.throws(() => readTrainingState(path), { name: 'UserError' });
  t.regex(err?.message ?? '', new RegExp(`training checkpoint version 0; this dosegym reads version ${TRAINING_STATE_VERSION} `));
});
