/**
 * Unit tests of the agents' building blocks against hand-computed values: GAE, PPO's clipped
 * objective and its gradient, Huber, DQN targets (terminated vs truncated), replay storage of
 * vector steps, Adam, gradient clipping, initialisers, hyperparameter validation, and the
 * typed-array forward pass against the tfjs one.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import { Adam, clipGradNorm } from '../agents/common/adam.ts';
import { initBackend } from '../agents/common/backend.ts';
import { categoricalLogProb, gaussianLogProb, sampleCategorical } from '../agents/common/distributions.ts';
import { computeGae } from '../agents/common/gae.ts';
import { DQN_DEFAULTS, PPO_DEFAULTS, parseDqnHyperparameters, parsePpoHyperparameters, parsePpoLagrangianHyperparameters } from '../agents/index.ts';
import { glorotUniform, orthogonal } from '../agents/common/init.ts';
import { huberLoss, ppoClipLoss, valueLoss } from '../agents/common/losses.ts';
import { NetworksTf, NetworksTyped, initNetworks, type NetworkDescription } from '../agents/common/networks.ts';
import { NStepWriter, ReplayBuffer, storeTransitions } from '../agents/common/replay.ts';
import { HeldNoise } from '../agents/common/rollout.ts';
import { TwoArmedBandit } from '../agents/common/toy-envs.ts';
import { dqnHead, dqnTargets, epsilonAt, train as trainDqn } from '../agents/dqn.ts';
import { categoricalPpoHead, normalizeAdvantages, ppoHead } from '../agents/ppo.ts';
import { Rng } from '../src/core/rng.ts';
import { Box } from '../src/core/spaces.ts';
import type { VectorStepResult } from '../src/core/vector.ts';
import { BaseEnv, type EnvMetadata } from '../src/core/env.ts';

test.before(async () => {
  await initBackend('wasm');
});

const close = (t: { true(v: boolean, m?: string): void }, a: number, b: number, tol: number, what = '') =>
  t.true(Math.abs(a - b) <= tol, `${what} ${a} vs ${b} (tol ${tol})`);

test('initBackend selects wasm and removes the process error handlers it adds', async (t) => {
  const before = process.listeners('uncaughtException').length + process.listeners('unhandledRejection').length;
  t.is(await initBackend('wasm'), 'wasm');
  t.is(tf.getBackend(), 'wasm');
  t.is(process.listeners('uncaughtException').length + process.listeners('unhandledRejection').length, before);
  // The wasm module's own handlers (`if (!(ex instanceof ExitStatus)) throw ex`, `throw reason`) are gone.
  t.false(process.listeners('uncaughtException').some((l) => String(l).includes('ExitStatus')));
  t.false(process.listeners('unhandledRejection').some((l) => /^function\s*\(reason\)\s*\{\s*throw reason/.test(String(l))));
  await t.throwsAsync(initBackend('gpu' as 'wasm'), { message: "backend: unknown backend 'gpu'; allowed: auto, wasm, cpu, node, node-gpu" });
});

test('GAE matches a hand-computed example, cutting the recursion at episode ends', (t) => {
  // gamma 0.9, lambda 0.8; the episode ends after step 1.
  // t=2: delta = 1 + 0.9*0.2 - 0.3 = 0.88          A = 0.88
  // t=1: delta = 1 - 0.4 = 0.6 (done)              A = 0.6
  // t=0: delta = 1 + 0.9*0.4 - 0.5 = 0.86          A = 0.86 + 0.9*0.8*0.6 = 1.292
  const { advantages, returns } = computeGae({
    rewards: [1, 1, 1],
    values: [0.5, 0.4, 0.3],
    dones: [0, 1, 0],
    lastValues: [0.2],
    numSteps: 3,
    numEnvs: 1,
    gamma: 0.9,
    lambda: 0.8,
  });
  [1.292, 0.6, 0.88].forEach((v, i) => close(t, advantages[i] as number, v, 1e-12, `A[${i}]`));
  [1.792, 1.0, 1.18].forEach((v, i) => close(t, returns[i] as number, v, 1e-12, `R[${i}]`));

  // Two envs interleaved (index t * 2 + e): env 1 is the example above, env 0 a constant one.
  const two = computeGae({
    rewards: [0, 1, 0, 1, 0, 1],
    values: [0, 0.5, 0, 0.4, 0, 0.3],
    dones: [0, 0, 0, 1, 0, 0],
    lastValues: [0, 0.2],
    numSteps: 3,
    numEnvs: 2,
    gamma: 0.9,
    lambda: 0.8,
  });
  [1.292, 0.6, 0.88].forEach((v, i) => close(t, two.advantages[i * 2 + 1] as number, v, 1e-12, `A2[${i}]`));
  [0, 2, 4].forEach((i) => t.is(two.advantages[i], 0));
});

test('PPO clipped surrogate: value and gradient match a hand computation', (t) => {
  // ratios 1.5, 0.5, 1.3 with advantages 1, 1, -1 and eps 0.2:
  // min(rA, clip(r)A) = min(1.5, 1.2) = 1.2 (clipped), min(0.5, 0.8) = 0.5, min(-1.3, -1.2) = -1.3
  // loss = -(1.2 + 0.5 - 1.3) / 3 = -0.13333; d loss / d logp_i = -r_i A_i / 3 where unclipped, 0 where clipped.
  const logp = tf.tensor1d([Math.log(1.5), Math.log(0.5), Math.log(1.3)]);
  const old = tf.zeros([3]);
  const adv = tf.tensor1d([1, 1, -1]);
  const f = (lp: tf.Tensor) => ppoClipLoss(lp, old, adv, 0.2).loss;
  close(t, f(logp).dataSync()[0] as number, -0.4 / 3, 1e-6, 'loss');
  const g = tf.grad(f)(logp).dataSync();
  close(t, g[0] as number, 0, 1e-7, 'grad clipped');
  close(t, g[1] as number, -0.5 / 3, 1e-6, 'grad 1');
  close(t, g[2] as number, 1.3 / 3, 1e-6, 'grad 2');
});

test('value loss: plain MSE and SB3-style clipping around the old value', (t) => {
  const v = tf.tensor1d([1, 3]);
  const ret = tf.tensor1d([0, 0]);
  const oldV = tf.tensor1d([0.5, 2]);
  close(t, valueLoss(v, ret, null, null).dataSync()[0] as number, (1 + 9) / 2, 1e-6, 'mse');
  // clipped predictions: 0.5 + clip(0.5, +-0.2) = 0.7; 2 + clip(1, +-0.2) = 2.2
  close(t, valueLoss(v, ret, oldV, 0.2).dataSync()[0] as number, (0.49 + 4.84) / 2, 1e-6, 'clipped');
});

test('Huber loss (delta 1): value and gradient', (t) => {
  const pred = tf.tensor1d([0, 0, 0]);
  const target = tf.tensor1d([0.5, -2, 3]);
  // 0.5*0.25 = 0.125; |d| = 2 -> 1.5; |d| = 3 -> 2.5; mean = 1.375
  close(t, huberLoss(pred, target).dataSync()[0] as number, 1.375, 1e-6, 'value');
  const g = tf.grad((p: tf.Tensor) => huberLoss(p, target))(pred).dataSync();
  [-0.5 / 3, 1 / 3, -1 / 3].forEach((v, i) => close(t, g[i] as number, v, 1e-6, `grad ${i}`));
});

test('DQN targets: no bootstrap after terminated, bootstrap after truncated; double vs plain', (t) => {
  const rewards = tf.tensor1d([1, 1]);
  const terminated = tf.tensor1d([1, 0]); // row 1 was truncated by a time limit: terminated = 0
  const qNextTarget = tf.tensor2d([
    [2, 5],
    [3, 4],
  ]);
  const qNextOnline = tf.tensor2d([
    [1, 0],
    [1, 0],
  ]);
  // double: a* = argmax online = 0 -> y = [1, 1 + 0.9 * 3]; plain: a* = argmax target = 1 -> [1, 1 + 0.9 * 4]
  const yDouble = dqnTargets(rewards, terminated, qNextTarget, qNextOnline, 0.9).dataSync();
  const yPlain = dqnTargets(rewards, terminated, qNextTarget, null, 0.9).dataSync();
  close(t, yDouble[0] as number, 1, 1e-6, 'terminated');
  close(t, yDouble[1] as number, 3.7, 1e-6, 'truncated, double');
  close(t, yPlain[0] as number, 1, 1e-6, 'terminated, plain');
  close(t, yPlain[1] as number, 4.6, 1e-6, 'truncated, plain');
});

test('storeTransitions keeps the final observation and stores only terminated', (t) => {
  const replay = new ReplayBuffer(10, 2);
  const obs = new Float32Array([1, 1, 2, 2, 3, 3]);
  const result: VectorStepResult = {
    observations: new Float32Array([10, 10, 20, 20, 30, 30]), // rows 0 and 1 are already the next episodes' first observations
    rewards: new Float64Array([0.5, 1, 2]),
    terminated: new Uint8Array([0, 1, 0]),
    truncated: new Uint8Array([1, 0, 0]),
    infos: [{ finalObservation: new Float32Array([7, 7]) }, { finalObservation: new Float32Array([8, 8]) }, {}],
  };
  storeTransitions(replay, obs, [0, 1, 1], result);
  t.is(replay.size, 3);
  t.deepEqual(Array.from(replay.nextObs.subarray(0, 6)), [7, 7, 8, 8, 30, 30]);
  t.deepEqual(Array.from(replay.terminated.subarray(0, 3)), [0, 1, 0]); // truncated row 0 still bootstraps
  t.deepEqual(Array.from(replay.obs.subarray(0, 6)), [1, 1, 2, 2, 3, 3]);
  t.deepEqual(Array.from(replay.actions.subarray(0, 3)), [0, 1, 1]);
});

/** One vector step of `n` envs with observation [obs value, obs value], for the n-step writer. */
function vectorStep(next: number[], rewards: number[], terminated: number[], truncated: number[], finals: Array<number | null>): VectorStepResult {
  return {
    observations: new Float32Array(next.flatMap((v) => [v, v])),
    rewards: new Float64Array(rewards),
    terminated: new Uint8Array(terminated),
    truncated: new Uint8Array(truncated),
    infos: finals.map((f) => (f === null ? {} : { finalObservation: new Float32Array([f, f]) })),
  };
}

test('NStepWriter stores n-step discounted sums, flushing every pending transition at an episode end', (t) => {
  // gamma 0.5, n 3. Env 0: rewards 1, 2, 4, 8, 16 on obs 0..4, terminated at the 5th step (final obs 50).
  // Env 1: rewards 1, 1 on obs 100, 101, truncated at its 2nd step (final obs 150), then obs 200.
  const replay = new ReplayBuffer(20, 2);
  const writer = new NStepWriter(replay, 3, 0.5, 2);
  const obs = (a: number, b: number) => new Float32Array([a, a, b, b]);
  writer.write(obs(0, 100), [0, 1], vectorStep([1, 101], [1, 1], [0, 0], [0, 0], [null, null]));
  t.is(replay.size, 0, 'nothing complete after one step');
  writer.write(obs(1, 101), [1, 0], vectorStep([2, 200], [2, 1], [0, 0], [0, 1], [null, 150]));
  // Env 1 truncated: both pending transitions stored, bootstrapping from the final observation.
  t.is(replay.size, 2);
  writer.write(obs(2, 200), [0, 1], vectorStep([3, 201], [4, 3], [0, 0], [0, 0], [null, null]));
  writer.write(obs(3, 201), [1, 1], vectorStep([4, 202], [8, 3], [0, 0], [0, 0], [null, null]));
  writer.write(obs(4, 202), [0, 1], vectorStep([0, 203], [16, 3], [1, 0], [0, 0], [50, null]));
  const rows = Array.from({ length: replay.size }, (_, i) => [replay.obs[2 * i], replay.actions[i], replay.rewards[i], replay.nextObs[2 * i], replay.terminated[i], replay.steps[i]]);
  t.deepEqual(rows, [
    [100, 1, 1 + 0.5 * 1, 150, 0, 2], // truncated: gamma^2 bootstrap from the final observation
    [101, 0, 1, 150, 0, 1],
    [0, 0, 1 + 0.5 * 2 + 0.25 * 4, 3, 0, 3],
    [1, 1, 2 + 0.5 * 4 + 0.25 * 8, 4, 0, 3],
    [2, 0, 4 + 0.5 * 8 + 0.25 * 16, 50, 1, 3], // terminated: every pending transition stops the bootstrap
    [3, 1, 8 + 0.5 * 16, 50, 1, 2],
    [4, 0, 16, 50, 1, 1],
    [200, 1, 3 + 0.5 * 3 + 0.25 * 3, 203, 0, 3],
  ]);
  // The pending transitions survive a checkpoint: a restored writer completes them identically.
  const other = new ReplayBuffer(20, 2);
  const restored = new NStepWriter(other, 3, 0.5, 2);
  restored.setState(JSON.parse(JSON.stringify(writer.getState())));
  const last = vectorStep([1, 204], [0, 5], [0, 0], [0, 0], [null, null]);
  writer.write(obs(0, 203), [1, 1], last);
  restored.write(obs(0, 203), [1, 1], last);
  t.deepEqual([other.obs[0], other.rewards[0], other.steps[0]], [replay.obs[16], replay.rewards[8], replay.steps[8]]);
  t.deepEqual([other.obs[0], other.rewards[0], other.steps[0]], [201, 3 + 0.5 * 3 + 0.25 * 5, 3]);
});

test('NStepWriter with n = 1 stores exactly what storeTransitions does', (t) => {
  const a = new ReplayBuffer(10, 2);
  const b = new ReplayBuffer(10, 2);
  const step = vectorStep([10, 20], [0.5, 1], [0, 1], [1, 0], [7, 8]);
  storeTransitions(a, new Float32Array([1, 1, 2, 2]), [0, 1], step);
  new NStepWriter(b, 1, 0.99, 2).write(new Float32Array([1, 1, 2, 2]), [0, 1], step);
  t.deepEqual(b.getState(), a.getState());
  t.deepEqual(Array.from(b.steps.subarray(0, 2)), [1, 1]);
});

test('DQN targets take a per-transition discount gamma^m for n-step transitions', (t) => {
  const y = dqnTargets(tf.tensor1d([1, 1]), tf.tensor1d([0, 0]), tf.tensor2d([[2, 4], [2, 4]]), null, tf.tensor1d([0.5, 0.125])).dataSync();
  t.deepEqual(Array.from(y), [1 + 0.5 * 4, 1 + 0.125 * 4]);
});

test('replay buffer wraps around and samples only stored transitions', (t) => {
  const replay = new ReplayBuffer(3, 1);
  for (let i = 0; i < 5; i++) replay.add([i], 0, i % 2, i, [i + 1], 0, false);
  t.is(replay.size, 3);
  t.deepEqual(Array.from(replay.obs), [3, 4, 2]);
  const batch = replay.sample(50, new Rng(1));
  for (const o of batch.obs) t.true([2, 3, 4].includes(o));
  for (let k = 0; k < 50; k++) t.is(batch.nextObs[k], (batch.obs[k] as number) + 1);
});

test('epsilon schedule is linear over explorationFraction, then flat', (t) => {
  const hp = { explorationFraction: 0.1, explorationInitialEps: 1, explorationFinalEps: 0.05 };
  t.is(epsilonAt(0, hp), 1);
  close(t, epsilonAt(0.05, hp), 0.525, 1e-12);
  t.is(epsilonAt(0.1, hp), 0.05);
  t.is(epsilonAt(0.7, hp), 0.05);
});

test('Adam step and gradient clipping follow PyTorch', (t) => {
  const p = new Float32Array([1, -1]);
  const adam = new Adam(2, { beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  adam.apply(p, new Float32Array([0.5, -2]), 0.1);
  // first step: m_hat = g, v_hat = g^2 -> update = lr * sign(g)
  close(t, p[0] as number, 0.9, 1e-6);
  close(t, p[1] as number, -0.9, 1e-6);
  const g = new Float32Array([3, 4]);
  t.is(clipGradNorm(g, 1), 5);
  close(t, g[0] as number, 0.6, 1e-6);
  close(t, g[1] as number, 0.8, 1e-6);
  const small = new Float32Array([0.3, 0.4]);
  clipGradNorm(small, 1);
  t.deepEqual(Array.from(small), [Math.fround(0.3), Math.fround(0.4)]);
});

test('advantage normalisation uses the unbiased std (as torch)', (t) => {
  const a = new Float32Array([1, 2, 3]);
  normalizeAdvantages(a);
  // mean 2, std (n-1) = 1
  [-1, 0, 1].forEach((v, i) => close(t, a[i] as number, v, 1e-6));
});

test('orthogonal init: columns (tall) or rows (wide) are orthonormal times the gain; seeded', (t) => {
  const rng = new Rng(3);
  for (const [r, c] of [
    [8, 3],
    [3, 8],
  ] as const) {
    const w = orthogonal(r, c, 2, rng);
    const k = Math.min(r, c);
    for (let a = 0; a < k; a++) {
      for (let b = 0; b < k; b++) {
        let dot = 0;
        for (let i = 0; i < Math.max(r, c); i++) {
          dot += r >= c ? (w[i * c + a] as number) * (w[i * c + b] as number) : (w[a * c + i] as number) * (w[b * c + i] as number);
        }
        close(t, dot, a === b ? 4 : 0, 1e-5, `gram ${a},${b}`);
      }
    }
  }
  t.deepEqual(orthogonal(4, 4, 1, new Rng(9)), orthogonal(4, 4, 1, new Rng(9)));
  const g = glorotUniform(10, 6, new Rng(1));
  t.true(g.every((v) => Math.abs(v) <= Math.sqrt(6 / 16)));
});

test('distributions: categorical log-prob/sampling and Gaussian log-density', (t) => {
  const logits = [0, Math.log(3)]; // probabilities 0.25, 0.75
  close(t, categoricalLogProb(logits, 0, 2, 1), Math.log(0.75), 1e-12);
  const rng = new Rng(5);
  let ones = 0;
  for (let i = 0; i < 4000; i++) ones += sampleCategorical(logits, 0, 2, rng);
  close(t, ones / 4000, 0.75, 0.03, 'frequency of action 1');
  // N(1, 2^2) at x = 2: -0.5*(0.5)^2 - log 2 - 0.5 log 2pi
  close(t, gaussianLogProb([1], 0, [Math.log(2)], [2], 0), -0.125 - Math.log(2) - 0.5 * Math.log(2 * Math.PI), 1e-12);
});

test('logStdInit is refused unless the distribution is gaussian-clip (the Beta would ignore it silently)', (t) => {
  const message = 'train.hyperparameters.logStdInit: only used with train.hyperparameters.distribution: gaussian-clip (the default, beta, has no log-std); set the distribution to gaussian-clip or remove logStdInit';
  t.throws(() => parsePpoHyperparameters({ logStdInit: -1.5 }), { message });
  t.throws(() => parsePpoHyperparameters({ logStdInit: -1.5, distribution: 'beta' }), { message });
  t.throws(() => parsePpoLagrangianHyperparameters({ logStdInit: -1.5 }), { message });
  t.throws(() => parsePpoHyperparameters({ logStdInit: -1.5, distribution: 'beta-mode' }), {
    message: 'train.hyperparameters.logStdInit: only used with train.hyperparameters.distribution: gaussian-clip (beta-mode has no log-std); set the distribution to gaussian-clip or remove logStdInit',
  });
  t.is(parsePpoHyperparameters({ logStdInit: -1.5, distribution: 'gaussian-clip' }).logStdInit, -1.5);
  t.is(parsePpoHyperparameters({}).logStdInit, 0, 'the default is not the user\'s and passes');
  t.throws(() => parsePpoHyperparameters({ logStdInit: -1.5, distribution: 'normal' }), { message: /distribution: expected 'beta', 'beta-mode' or 'gaussian-clip'/ });
});

test('noiseHoldSteps: the Gaussian draw is held for k steps of each env and renewed when an episode ends; refused without the Gaussian', (t) => {
  const held = new HeldNoise(2, 1, 3);
  const rng = new Rng(5);
  const seq: number[][] = [];
  for (let step = 0; step < 7; step++) {
    seq.push([0, 1].map((e) => {
      const v = held.draw(e, 0, rng);
      held.advance(e);
      return v;
    }));
    if (step === 3) held.episodeEnded(1); // env 1's episode ends after its 4th step
  }
  const env0 = seq.map((r) => r[0]);
  const env1 = seq.map((r) => r[1]);
  t.true(env0[0] === env0[1] && env0[1] === env0[2] && env0[2] !== env0[3] && env0[3] === env0[5] && env0[5] !== env0[6]);
  t.true(env1[0] === env1[2] && env1[3] !== env1[2] && env1[4] !== env1[3] && env1[4] === env1[6], 'renewed at the new episode, then held again');
  t.is(new Set([...env0, ...env1]).size, 6, 'distinct draws otherwise');
  t.is(parsePpoHyperparameters({ distribution: 'gaussian-clip', noiseHoldSteps: 28 }).noiseHoldSteps, 28);
  t.is(parsePpoHyperparameters({}).noiseHoldSteps, 1);
  t.throws(() => parsePpoHyperparameters({ noiseHoldSteps: 28 }), {
    message: 'train.hyperparameters.noiseHoldSteps: only used with train.hyperparameters.distribution: gaussian-clip (the default, beta, has no Gaussian noise to hold); set the distribution to gaussian-clip or remove noiseHoldSteps',
  });
  t.throws(() => parsePpoHyperparameters({ distribution: 'gaussian-clip', noiseHoldSteps: 0 }), { message: /^train\.hyperparameters\.noiseHoldSteps: / });
});

test('hyperparameters: SB3 defaults and errors that name the field', (t) => {
  t.like(PPO_DEFAULTS, { learningRate: 3e-4, nSteps: 2048, batchSize: 64, nEpochs: 10, gamma: 0.99, gaeLambda: 0.95, clipRange: 0.2, clipRangeVf: null, entCoef: 0, vfCoef: 0.5, maxGradNorm: 0.5, targetKl: null, normalizeAdvantage: true, activation: 'tanh', orthoInit: true, logStdInit: 0 });
  t.deepEqual(PPO_DEFAULTS.netArch, [64, 64]);
  t.like(DQN_DEFAULTS, { learningRate: 1e-4, bufferSize: 1e6, learningStarts: 100, batchSize: 32, tau: 1, gamma: 0.99, trainFreq: 4, gradientSteps: 1, targetUpdateInterval: 1e4, explorationFraction: 0.1, explorationInitialEps: 1, explorationFinalEps: 0.05, maxGradNorm: 10, activation: 'relu' });
  t.throws(() => parsePpoHyperparameters({ learningRate: -1 }), { message: 'train.hyperparameters.learningRate: expected a positive number, got -1' });
  t.throws(() => parseDqnHyperparameters({ batchSize: 0.5 }), { message: 'train.hyperparameters.batchSize: expected a positive integer, got 0.5' });
  t.throws(() => parsePpoHyperparameters({ gamma: 1.5 }), { message: 'train.hyperparameters.gamma: expected a number in [0, 1], got 1.5' });
  t.throws(() => parsePpoHyperparameters({ netArch: [64, 0] }), { message: 'train.hyperparameters.netArch[1]: expected a positive integer, got 0' });
  t.throws(() => parseDqnHyperparameters({ nSteps: 5 }), { message: /^train\.hyperparameters\.nSteps: unknown field/ });
});

test('DQN rejects a Box action space with a clear error', async (t) => {
  class BoxActionEnv extends BaseEnv<Float32Array, Float32Array> {
    readonly observationSpace = new Box(0, 1, [1]);
    readonly actionSpace = new Box(-1, 1, [1]);
    readonly metadata: EnvMetadata = { id: 'BoxAction-test', stepDuration: { value: 1, unit: 'second' }, actionUnits: '' };
    protected resetModel() {
      return { observation: new Float32Array(1), info: {} };
    }
    protected stepModel() {
      return { observation: new Float32Array(1), reward: 0, terminated: true, truncated: false, info: {} };
    }
  }
  await t.throwsAsync(trainDqn(() => new BoxActionEnv(), { totalSteps: 10, seed: 0 }), {
    message: 'DQN: BoxAction-test has action space Box(-1, 1, [1], float32); DQN needs a Discrete action space (use ppo or sac for Box actions)',
  });
  await t.throwsAsync(trainDqn(() => new TwoArmedBandit(), { totalSteps: -5, seed: 0 }), { message: 'train.totalSteps: expected a positive integer, got -5' });
});

test('typed-array forward pass equals the tfjs forward pass within 1e-6', (t) => {
  const cases: NetworkDescription[] = [
    { kind: 'actor-critic', obsSize: 4, actionSize: 2, continuous: false, netArch: [64, 64], activation: 'tanh', dueling: false, distribution: 'categorical' },
    { kind: 'actor-critic', obsSize: 3, actionSize: 1, continuous: true, netArch: [32, 16], activation: 'relu', dueling: false, distribution: 'gaussian-clip' },
    { kind: 'actor-critic', obsSize: 3, actionSize: 2, continuous: true, netArch: [16], activation: 'tanh', dueling: false, distribution: 'beta' },
    { kind: 'actor', obsSize: 5, actionSize: 2, continuous: true, netArch: [32, 32], activation: 'relu', dueling: false, distribution: 'squashed-gaussian' },
    { kind: 'q', obsSize: 4, actionSize: 3, continuous: false, netArch: [64, 64], activation: 'relu', dueling: false, distribution: 'epsilon-greedy' },
    { kind: 'q', obsSize: 5, actionSize: 4, continuous: false, netArch: [32], activation: 'tanh', dueling: true, distribution: 'epsilon-greedy' },
  ];
  const rng = new Rng(11);
  for (const d of cases) {
    const store = initNetworks(d, rng.child(`${d.kind}-${d.obsSize}`), { init: d.kind === 'actor-critic' ? 'orthogonal' : 'torch' });
    // Perturb the zero-initialised biases so they take part in the comparison.
    for (let i = 0; i < store.data.length; i++) store.data[i] = (store.data[i] as number) + 0.05 * rng.normal();
    const rows = 17;
    const x = Float32Array.from({ length: rows * d.obsSize }, () => 2 * rng.normal());
    const typed = new NetworksTyped(store, d);
    const tfNets = new NetworksTf(d);
    const p = store.toTensors();
    const xt = tf.tensor2d(x, [rows, d.obsSize]);
    const pairs: [Float64Array, tf.Tensor][] =
      d.kind === 'q'
        ? [[typed.q(x, rows).slice(), tfNets.q(p, xt)]]
        : [
            [typed.policy(x, rows).slice(), tfNets.policy(p, xt)],
            ...(d.kind === 'actor-critic' ? [[typed.value(x, rows).slice(), tfNets.value(p, xt)] as [Float64Array, tf.Tensor]] : []),
          ];
    // Two outputs per action dimension for the Beta and the squashed Gaussian.
    if (d.kind !== 'q') t.is(pairs[0]?.[0].length, rows * (d.distribution === 'beta' || d.distribution === 'squashed-gaussian' ? 2 : 1) * d.actionSize);
    for (const [a, bt] of pairs) {
      const b = bt.dataSync();
      t.is(a.length, b.length);
      let maxDiff = 0;
      for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs((a[i] as number) - (b[i] as number)));
      t.true(maxDiff < 1e-6, `${d.kind} ${d.activation}${d.dueling ? ' dueling' : ''}: max |typed - tf| = ${maxDiff}`);
    }
    tf.dispose([...Object.values(p), xt, ...pairs.map((q) => q[1])]);
  }
});

test('ppoHead (closed-form surrogate + value loss) matches tfjs autodiff of ppoClipLoss + valueLoss', (t) => {
  const rng = new Rng(21);
  const n = 48;
  const mb = {
    size: n,
    obs: new Float32Array(0),
    actions: new Float32Array(0),
    oldLogProbs: Float32Array.from({ length: n }, () => -1 + 0.3 * rng.normal()),
    advantages: Float32Array.from({ length: n }, () => rng.normal()),
    returns: Float32Array.from({ length: n }, () => rng.normal()),
    oldValues: Float32Array.from({ length: n }, () => rng.normal()),
  };
  const logp = Float32Array.from(mb.oldLogProbs, (v) => v + 0.4 * rng.normal()); // many ratios outside [0.8, 1.2]
  const values = Float32Array.from(mb.oldValues, (v) => v + 0.5 * rng.normal());
  for (const clipRangeVf of [null, 0.2]) {
    const hp = { clipRange: 0.2, clipRangeVf, vfCoef: 0.5 };
    const head = ppoHead(mb, logp, values, hp);
    const f = (lp: tf.Tensor, v: tf.Tensor) =>
      tf.add(ppoClipLoss(lp, tf.tensor1d(mb.oldLogProbs), tf.tensor1d(mb.advantages), 0.2).loss, tf.mul(valueLoss(v, tf.tensor1d(mb.returns), tf.tensor1d(mb.oldValues), clipRangeVf), 0.5)) as tf.Scalar;
    const lpT = tf.tensor1d(logp);
    const vT = tf.tensor1d(values);
    close(t, head.loss, f(lpT, vT).dataSync()[0] as number, 1e-5, 'loss');
    const [gLogp, gValues] = tf.grads(f)([lpT, vT]).map((g) => g.dataSync());
    for (let i = 0; i < n; i++) {
      close(t, head.dLogp[i] as number, gLogp?.[i] as number, 1e-6, `dlogp[${i}]`);
      close(t, head.dValues[i] as number, gValues?.[i] as number, 1e-6, `dv[${i}] (clipRangeVf ${clipRangeVf})`);
    }
    t.true(head.clipFraction > 0.2 && head.clipFraction < 0.9, `clip fraction ${head.clipFraction}`);
  }
});

test('dqnHead (closed-form Huber TD loss) matches tfjs autodiff of huberLoss on the taken actions', (t) => {
  const rng = new Rng(22);
  const b = 40;
  const n = 3;
  const q = Float32Array.from({ length: b * n }, () => 2 * rng.normal());
  const actions = Int32Array.from({ length: b }, () => rng.int(n));
  const y = Float32Array.from({ length: b }, () => 2 * rng.normal());
  const head = dqnHead(q, actions, y, n);
  const mask = tf.tensor2d(Float32Array.from({ length: b * n }, (_, k) => (actions[Math.floor(k / n)] === k % n ? 1 : 0)), [b, n]);
  const f = (qt: tf.Tensor) => huberLoss(tf.sum(tf.mul(qt, mask), 1), tf.tensor1d(y));
  const qT = tf.tensor2d(q, [b, n]);
  close(t, head.loss, f(qT).dataSync()[0] as number, 1e-5, 'loss');
  const g = tf.grad(f)(qT).dataSync();
  for (let k = 0; k < b * n; k++) close(t, head.dq[k] as number, g[k] as number, 1e-6, `dq[${k}]`);
  t.true(head.dq.some((v) => Math.abs(v) === Math.fround(1 / b)), 'some |d| > 1 (linear region) exercised');
});

test('categoricalPpoHead (logits -> loss incl. entropy bonus) matches tfjs autodiff', (t) => {
  const rng = new Rng(23);
  const b = 32;
  const n = 3;
  const actions = Int32Array.from({ length: b }, () => rng.int(n));
  const oneHot = Float32Array.from({ length: b * n }, (_, k) => (actions[Math.floor(k / n)] === k % n ? 1 : 0));
  const logits = Float32Array.from({ length: b * n }, () => rng.normal());
  const values = Float32Array.from({ length: b }, () => rng.normal());
  const lsm0 = tf.logSoftmax(tf.tensor2d(logits, [b, n])).arraySync() as number[][];
  const mb = {
    size: b,
    obs: new Float32Array(0),
    actions: oneHot,
    oldLogProbs: Float32Array.from({ length: b }, (_, i) => (lsm0[i]?.[actions[i] as number] as number) + 0.3 * rng.normal()),
    advantages: Float32Array.from({ length: b }, () => rng.normal()),
    returns: Float32Array.from({ length: b }, () => rng.normal()),
    oldValues: Float32Array.from({ length: b }, () => rng.normal()),
  };
  const hp = { clipRange: 0.2, clipRangeVf: null, vfCoef: 0.5, entCoef: 0.05 };
  const head = categoricalPpoHead(mb, logits, values, n, hp);
  const f = (lg: tf.Tensor, v: tf.Tensor) => {
    const lsm = tf.logSoftmax(lg);
    const logp = tf.sum(tf.mul(lsm, tf.tensor2d(oneHot, [b, n])), 1);
    const entropy = tf.mean(tf.neg(tf.sum(tf.mul(tf.exp(lsm), lsm), 1)));
    const pg = ppoClipLoss(logp, tf.tensor1d(mb.oldLogProbs), tf.tensor1d(mb.advantages), 0.2).loss;
    return tf.sub(tf.add(pg, tf.mul(valueLoss(v, tf.tensor1d(mb.returns), null, null), 0.5)), tf.mul(entropy, 0.05)) as tf.Scalar;
  };
  const lgT = tf.tensor2d(logits, [b, n]);
  const vT = tf.tensor1d(values);
  close(t, head.loss, f(lgT, vT).dataSync()[0] as number, 1e-5, 'loss');
  const [gl, gv] = tf.grads(f)([lgT, vT]).map((g) => g.dataSync());
  for (let k = 0; k < b * n; k++) close(t, head.dLogits[k] as number, gl?.[k] as number, 1e-6, `dlogits[${k}]`);
  for (let i = 0; i < b; i++) close(t, head.dValues[i] as number, gv?.[i] as number, 1e-6, `dv[${i}]`);
  t.true(head.clipFraction > 0, 'some ratios clipped');
});
