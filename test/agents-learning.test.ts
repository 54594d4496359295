/**
 * The agents end to end on tiny problems with known answers: PPO and DQN find the optimal action
 * of a two-armed bandit and a 5-state chain within a small budget, PPO's Gaussian policy moves to
 * the best continuous action; training is bit-for-bit reproducible from a seed, leaks no tensors,
 * and a checkpoint round-trips exactly.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../agents/common/backend.ts';
import { loadPolicy, savePolicy, type CheckpointManifest } from '../agents/common/checkpoint.ts';
import type { TrainedPolicy } from '../agents/common/policy.ts';
import { ChainMDP, ContinuousBandit, TwoArmedBandit } from '../agents/common/toy-envs.ts';
import type { UpdateStats } from '../agents/common/training.ts';
import { train as trainDqn } from '../agents/dqn.ts';
import { train as trainPpo } from '../agents/ppo.ts';
import { Rng } from '../src/core/rng.ts';

test.before(async () => {
  await initBackend('wasm');
});

const small = { nSteps: 64, batchSize: 32, nEpochs: 4, learningRate: 3e-3 };
const greedy = { deterministic: true, info: {} };
const one = new Float32Array([1]);

function chainObs(state: number): Float32Array {
  const o = new Float32Array(5);
  o[state] = 1;
  return o;
}

/** Deterministic return of one chain episode under `policy` (1 = reached the end). */
function chainEpisodeReturn(policy: TrainedPolicy): number {
  const env = new ChainMDP(5, 20);
  let { observation } = env.reset({ seed: 0 });
  let total = 0;
  for (;;) {
    const r = env.step(policy.act(observation, greedy) as number);
    total += r.reward;
    observation = r.observation;
    if (r.terminated || r.truncated) return total;
  }
}

test('PPO finds the better arm of a two-armed bandit', async (t) => {
  const policy = await trainPpo(() => new TwoArmedBandit(0.1), { totalSteps: 512, seed: 1, hyperparameters: small });
  t.is(policy.act(one, greedy), 1);
  const out = policy.nets.policy(one, 1);
  t.true((out[1] as number) - (out[0] as number) > 1, `logit gap ${(out[1] as number) - (out[0] as number)}`);
});

test('DQN finds the better arm of a two-armed bandit', async (t) => {
  const policy = await trainDqn(() => new TwoArmedBandit(0.1), {
    totalSteps: 600,
    seed: 1,
    hyperparameters: { learningRate: 1e-3, learningStarts: 50, trainFreq: 1, targetUpdateInterval: 50, explorationFraction: 0.3 },
  });
  t.is(policy.act(one, greedy), 1);
  const q = policy.nets.q(one, 1);
  close(t, q[1] as number, 1, 0.2, 'Q(arm 1)');
  close(t, q[0] as number, 0, 0.2, 'Q(arm 0)');
});

test('DQN with annealLr steps its learning rate linearly down to 0 over training and still finds the better arm', async (t) => {
  const stats: UpdateStats[] = [];
  const hyperparameters = { learningRate: 1e-3, annealLr: true, learningStarts: 50, trainFreq: 1, targetUpdateInterval: 50, explorationFraction: 0.3 };
  const policy = await trainDqn(() => new TwoArmedBandit(0.1), { totalSteps: 600, seed: 1, logInterval: 100, hyperparameters, onUpdate: (s) => stats.push(s) });
  t.is(policy.act(one, greedy), 1);
  // The rate of the gradient steps taken after env step k: lr x (1 - k / total).
  t.deepEqual(stats.map((s) => s.steps), [100, 200, 300, 400, 500, 600]);
  for (const s of stats) close(t, s.learningRate, 1e-3 * (1 - s.steps / 600), 1e-12, `learning rate at ${s.steps}`);
});

test('PPO with annealLr uses learningRate x (1 - finished updates / updates) in each update', async (t) => {
  const stats: UpdateStats[] = [];
  await trainPpo(() => new TwoArmedBandit(0.1), { totalSteps: 256, seed: 1, hyperparameters: { ...small, annealLr: true }, onUpdate: (s) => stats.push(s) });
  t.deepEqual(stats.map((s) => s.learningRate), [1, 0.75, 0.5, 0.25].map((f) => small.learningRate * f));
});

test('PPO walks the chain MDP to its rewarding end', async (t) => {
  const policy = await trainPpo(() => new ChainMDP(5, 20), { totalSteps: 2048, seed: 2, hyperparameters: { ...small, numEnvs: 2 } });
  for (let s = 0; s < 4; s++) t.is(policy.act(chainObs(s), greedy), 1, `state ${s}`);
  t.is(chainEpisodeReturn(policy), 1);
});

test('DQN walks the chain MDP to its rewarding end; Q-values follow gamma^distance', async (t) => {
  const policy = await trainDqn(() => new ChainMDP(5, 20), {
    totalSteps: 3000,
    seed: 3,
    hyperparameters: { learningRate: 1e-3, learningStarts: 200, trainFreq: 1, targetUpdateInterval: 100, explorationFraction: 0.5, gamma: 0.9 },
  });
  for (let s = 0; s < 4; s++) t.is(policy.act(chainObs(s), greedy), 1, `state ${s}`);
  t.is(chainEpisodeReturn(policy), 1);
  // From state 3 moving right pays 1 at once: Q(3, right) ~ 1; from state 2: ~ gamma.
  close(t, policy.nets.q(chainObs(3), 1)[1] as number, 1, 0.15, 'Q(3, right)');
  close(t, policy.nets.q(chainObs(2), 1)[1] as number, 0.9, 0.15, 'Q(2, right)');
});

test('DQN with 3-step returns walks the chain MDP; Q-values still follow gamma^distance', async (t) => {
  const policy = await trainDqn(() => new ChainMDP(5, 20), {
    totalSteps: 3000,
    seed: 3,
    hyperparameters: { learningRate: 1e-3, learningStarts: 200, trainFreq: 1, targetUpdateInterval: 100, explorationFraction: 0.5, gamma: 0.9, nStep: 3 },
  });
  for (let s = 0; s < 4; s++) t.is(policy.act(chainObs(s), greedy), 1, `state ${s}`);
  t.is(chainEpisodeReturn(policy), 1);
  close(t, policy.nets.q(chainObs(3), 1)[1] as number, 1, 0.15, 'Q(3, right)');
  close(t, policy.nets.q(chainObs(1), 1)[1] as number, 0.81, 0.15, 'Q(1, right)');
});

test("PPO's clipped Gaussian (distribution: gaussian-clip) moves its mean to the best continuous action", async (t) => {
  const policy = await trainPpo(() => new ContinuousBandit(0.5), { totalSteps: 2048, seed: 4, hyperparameters: { ...small, numEnvs: 4, nSteps: 32, distribution: 'gaussian-clip' } });
  t.is(policy.network.distribution, 'gaussian-clip');
  const a = policy.act(new Float32Array([0.1, -0.3]), greedy) as Float32Array;
  t.true(a instanceof Float32Array);
  close(t, a[0] as number, 0.5, 0.15, 'mean action');
  // Stochastic actions stay inside the Box even when the Gaussian sample falls outside.
  for (let i = 0; i < 200; i++) {
    const s = policy.act(new Float32Array([0, 0]), { deterministic: false, info: {} }) as Float32Array;
    t.true(policy.actionSpace.contains(s));
  }
});

test('training is bit-for-bit reproducible from the seed (PPO and DQN)', async (t) => {
  const ppo = () => trainPpo(() => new ContinuousBandit(0.5), { totalSteps: 256, seed: 7, hyperparameters: { ...small, numEnvs: 2 } });
  const a = await ppo();
  const b = await ppo();
  t.deepEqual(a.params.data, b.params.data);
  const c = await trainPpo(() => new ContinuousBandit(0.5), { totalSteps: 256, seed: 8, hyperparameters: { ...small, numEnvs: 2 } });
  t.notDeepEqual(a.params.data, c.params.data);

  const dqn = () => trainDqn(() => new ChainMDP(5, 20), { totalSteps: 400, seed: 7, hyperparameters: { learningStarts: 50, trainFreq: 1, dueling: true } });
  t.deepEqual((await dqn()).params.data, (await dqn()).params.data);
});

test('no tensor leaks over a few hundred updates', async (t) => {
  const counts: number[] = [];
  await trainPpo(() => new TwoArmedBandit(), {
    totalSteps: 16 * 300,
    seed: 1,
    hyperparameters: { nSteps: 16, batchSize: 16, nEpochs: 1, targetKl: 1 },
    onUpdate: (s) => {
      if (s.update % 50 === 0) counts.push(tf.memory().numTensors);
    },
  });
  t.is(counts.length, 6);
  t.true(counts.every((c) => c === counts[0]), `PPO numTensors ${counts.join(', ')}`);

  const dqnCounts: number[] = [];
  const before = tf.memory().numTensors;
  await trainDqn(() => new ChainMDP(5, 20), {
    totalSteps: 600,
    seed: 1,
    logInterval: 100,
    hyperparameters: { learningStarts: 50, trainFreq: 1, targetUpdateInterval: 20 },
    onUpdate: () => dqnCounts.push(tf.memory().numTensors),
  });
  t.true(dqnCounts.length >= 5 && dqnCounts.every((c) => c === dqnCounts[0]), `DQN numTensors ${dqnCounts.join(', ')}`);
  t.is(tf.memory().numTensors, before);
});

test('onUpdate reports steps, returns, costs, losses and throughput', async (t) => {
  const stats: UpdateStats[] = [];
  await trainPpo(() => new TwoArmedBandit(), { totalSteps: 128, seed: 1, hyperparameters: small, onUpdate: (s) => stats.push(s) });
  t.is(stats.length, 2);
  const last = stats[1] as UpdateStats;
  t.like(last, { algorithm: 'ppo', update: 2, steps: 128, episodes: 128, gradientSteps: 16 });
  t.true(last.recentReturn >= 0 && last.recentReturn <= 1);
  // cost 1 per pull of arm 0: the mean episode cost is the fraction of arm-0 pulls
  close(t, last.recentCost, 1 - last.recentReturn, 1e-9, 'cost = 1 - return');
  for (const k of ['policy', 'value', 'entropy', 'approxKl', 'clipFraction']) t.true(Number.isFinite(last.losses[k]), k);
  t.true(last.entropy > 0 && last.entropy <= Math.log(2) + 1e-6);
  t.true(last.stepsPerSecond > 0);
});

test('checkpoint round trip: identical weights, statistics and actions; atomic overwrite', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dosegym-ckpt-'));
  try {
    const policy = await trainPpo(() => new ContinuousBandit(0.5), {
      totalSteps: 256,
      seed: 5,
      hyperparameters: { ...small, normalizeObservations: true, numEnvs: 2 },
    });
    const path = join(dir, 'ppo');
    savePolicy(path, policy);
    savePolicy(path, policy); // overwriting an existing checkpoint works and leaves no temp dirs
    const manifest = JSON.parse(readFileSync(join(path, 'manifest.json'), 'utf8')) as CheckpointManifest;
    t.like(manifest, { format: 'dosegym-policy', algorithm: 'ppo', envId: 'ContinuousBandit-test', backend: 'wasm', seed: 5, totalSteps: 256 });
    t.like(manifest.weights, { file: 'weights.bin', dtype: 'float32', byteOrder: 'little-endian', length: policy.params.size });
    t.is(manifest.versions.node, process.version);
    t.is(manifest.versions.tfjs, tf.version_core);
    t.is(readFileSync(join(path, 'weights.bin')).length, policy.params.size * 4);

    const loaded = loadPolicy(path);
    t.deepEqual(loaded.params.data, policy.params.data);
    t.deepEqual(loaded.params.entries, policy.params.entries);
    t.deepEqual(loaded.normalization?.getState(), policy.normalization?.getState());
    t.true((policy.normalization?.count ?? 0) > 256);
    t.deepEqual(loaded.hyperparameters, policy.hyperparameters);
    t.deepEqual(loaded.actionSpace.toJSON(), policy.actionSpace.toJSON());

    const rng = new Rng(9);
    policy.seedActions(3);
    loaded.seedActions(3);
    for (let i = 0; i < 20; i++) {
      const obs = new Float32Array([rng.uniformRange(-1, 1), rng.uniformRange(-1, 1)]);
      t.deepEqual(loaded.act(obs, greedy), policy.act(obs, greedy));
      t.deepEqual(loaded.act(obs, { deterministic: false, info: {} }), policy.act(obs, { deterministic: false, info: {} }));
    }

    // A DQN checkpoint with a dueling head and an infinite-bounds observation space.
    const dqn = await trainDqn(() => new ChainMDP(5, 20), { totalSteps: 200, seed: 1, hyperparameters: { learningStarts: 50, dueling: true } });
    savePolicy(join(dir, 'dqn'), dqn);
    const dqnLoaded = loadPolicy(join(dir, 'dqn'));
    t.deepEqual(dqnLoaded.params.data, dqn.params.data);
    for (let s = 0; s < 5; s++) t.is(dqnLoaded.act(chainObs(s), greedy), dqn.act(chainObs(s), greedy));

    t.throws(() => loadPolicy(join(dir, 'missing')), { message: `policy: no checkpoint at ${join(dir, 'missing')} (manifest.json not found)` });
    t.like(manifest.network, { distribution: 'beta' });
    t.is(manifest.formatVersion, 2);
    t.false(existsSync(join(dir, 'ppo.old')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a version-1 checkpoint (before network.distribution) loads as the clipped Gaussian it was; bad versions and distributions are refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dosegym-ckpt-v1-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const policy = await trainPpo(() => new ContinuousBandit(0.5), { totalSteps: 128, seed: 6, hyperparameters: { ...small, distribution: 'gaussian-clip' } });
  const path = savePolicy(join(dir, 'v1'), policy);
  const manifestPath = join(path, 'manifest.json');
  const v2 = JSON.parse(readFileSync(manifestPath, 'utf8')) as CheckpointManifest & { network: Record<string, unknown> };
  // What DoseGym wrote before the Beta: version 1, no distribution, and no such hyperparameter.
  const v1 = { ...v2, formatVersion: 1, network: { ...v2.network } as Record<string, unknown>, hyperparameters: { ...v2.hyperparameters } };
  delete v1.network['distribution'];
  delete v1.hyperparameters['distribution'];
  writeFileSync(manifestPath, JSON.stringify(v1));
  const loaded = loadPolicy(path);
  t.is(loaded.network.distribution, 'gaussian-clip');
  for (const x of [-0.8, 0, 0.6]) {
    const obs = new Float32Array([x, -x]);
    t.deepEqual(loaded.act(obs, greedy), policy.act(obs, greedy));
  }
  writeFileSync(manifestPath, JSON.stringify({ ...v2, formatVersion: 3 }));
  t.throws(() => loadPolicy(path), { message: `${manifestPath}: format: expected dosegym-policy version 1 or 2, got dosegym-policy version 3` });
  writeFileSync(manifestPath, JSON.stringify({ ...v2, network: { ...v2.network, distribution: 'cauchy' } }));
  t.throws(() => loadPolicy(path), { message: `${manifestPath}: network.distribution: expected one of categorical, epsilon-greedy, gaussian-clip, beta, beta-mode, squashed-gaussian, got cauchy` });
});

function close(t: { true(v: boolean, m?: string): void }, a: number, b: number, tol: number, what = ''): void {
  t.true(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`);
}
