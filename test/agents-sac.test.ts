/**
 * Soft Actor-Critic (agents/sac.ts): its closed-form tape nodes (the squashed Gaussian's sample and
 * log-density, the critics' loss, the actor's loss) against tfjs autodiff of the same expressions
 * written op by op; the temperature update's direction; learning the best action of a continuous
 * bandit in a few hundred steps; reproducibility; the checkpoint (the actor alone) round trip;
 * the compatibility checks; and a config through `dosegym run` on T1D-v0, whose training.csv
 * carries the delivered dose in U/h and the policy's mean action.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import '../envs/index.ts';
import { initBackend } from '../agents/common/backend.ts';
import { loadPolicy, savePolicy, type CheckpointManifest } from '../agents/common/checkpoint.ts';
import { SQUASHED_LOG_STD_MAX, SQUASHED_LOG_STD_MIN } from '../agents/common/distributions.ts';
import { ContinuousBandit } from '../agents/common/toy-envs.ts';
import type { UpdateStats } from '../agents/common/training.ts';
import { SAC_DEFAULTS, algorithm, parseSacHyperparameters } from '../agents/index.ts';
import { actorHead, criticHead, squashedSample, temperatureGradient, train as trainSac } from '../agents/sac.ts';
import { parseCsv } from '../src/io/csv.ts';
import { Rng } from '../src/core/rng.ts';
import { runCli, tempDir, writeConfig } from './fixtures/experiments/helpers.ts';

test.before(async () => {
  await initBackend('wasm');
});

const dir = tempDir('dosegym-sac-');
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const close = (t: { true(v: boolean, m?: string): void }, a: number, b: number, tol: number, what = '') =>
  t.true(Math.abs(a - b) <= tol, `${what} ${a} vs ${b} (tol ${tol})`);

/** Small, fast settings for a one-step bandit. */
const SMALL = { netArch: [32, 32], batchSize: 64, learningStarts: 64, learningRate: 3e-3 };

test('squashedSample: y, log pi and their gradient match tfjs autodiff of the squashed Gaussian written op by op', (t) => {
  const rng = new Rng(31);
  const b = 24;
  const d = 2;
  // Means ~N(0, 0.8); log-std pre-activations around 0.15, i.e. log std in about [-2, 0], so that
  // |u| stays where the reference's naive log(1 - tanh(u)^2) is accurate in float32.
  const out = Float32Array.from({ length: b * 2 * d }, (_, k) => (k % (2 * d) < d ? 0.8 * rng.normal() : 0.15 + 0.15 * rng.normal()));
  const eps = Float32Array.from({ length: b * d }, () => rng.normal());
  const gy = Float32Array.from({ length: b * d }, () => rng.normal());
  const gl = Float32Array.from({ length: b }, () => rng.normal());
  const s = squashedSample(out, eps, b, d);
  const epsT = tf.tensor2d(eps, [b, d]);
  // Haarnoja et al. 2018, appendix C, with CleanRL's log-std bounds; the naive log(1 - tanh^2).
  const reference = (o: tf.Tensor) => {
    const mu = tf.slice(o, [0, 0], [b, d]);
    const logStd = tf.add(SQUASHED_LOG_STD_MIN, tf.mul(0.5 * (SQUASHED_LOG_STD_MAX - SQUASHED_LOG_STD_MIN), tf.add(tf.tanh(tf.slice(o, [0, d], [b, d])), 1)));
    const y = tf.tanh(tf.add(mu, tf.mul(tf.exp(logStd), epsT)));
    const logp = tf.sum(tf.sub(tf.sub(tf.sub(tf.mul(tf.square(epsT), -0.5), logStd), 0.5 * Math.log(2 * Math.PI)), tf.log(tf.sub(1, tf.square(y)))), 1);
    return { y, logp };
  };
  const oT = tf.tensor2d(out, [b, 2 * d]);
  const r = reference(oT);
  const y = r.y.dataSync();
  const logp = r.logp.dataSync();
  for (let k = 0; k < b * d; k++) close(t, s.y[k] as number, y[k] as number, 1e-6, `y[${k}]`);
  for (let i = 0; i < b; i++) close(t, s.logp[i] as number, logp[i] as number, 2e-4, `logp[${i}]`);
  const f = (o: tf.Tensor) => {
    const q = reference(o);
    return tf.add(tf.sum(tf.mul(q.y, tf.tensor2d(gy, [b, d]))), tf.sum(tf.mul(q.logp, tf.tensor1d(gl)))) as tf.Scalar;
  };
  const g = tf.grad(f)(oT).dataSync();
  const mine = s.backward(gy, gl);
  for (let k = 0; k < b * 2 * d; k++) close(t, mine[k] as number, g[k] as number, 2e-4 * Math.max(1, Math.abs(g[k] as number)), `d out[${k}]`);
});

test('criticHead and actorHead match tfjs autodiff of the plain losses', (t) => {
  const rng = new Rng(32);
  const b = 30;
  const q1 = Float32Array.from({ length: b }, () => rng.normal());
  const q2 = Float32Array.from({ length: b }, () => rng.normal());
  const target = Float32Array.from({ length: b }, () => rng.normal());
  const logp = Float32Array.from({ length: b }, () => rng.normal());
  const critic = criticHead(q1, q2, target);
  const fc = (a: tf.Tensor, c: tf.Tensor) => tf.add(tf.mean(tf.square(tf.sub(a, tf.tensor1d(target)))), tf.mean(tf.square(tf.sub(c, tf.tensor1d(target))))) as tf.Scalar;
  const [q1T, q2T, lpT] = [tf.tensor1d(q1), tf.tensor1d(q2), tf.tensor1d(logp)];
  close(t, critic.loss, fc(q1T, q2T).dataSync()[0] as number, 1e-5, 'critic loss');
  const [g1, g2] = tf.grads(fc)([q1T, q2T]).map((g) => g.dataSync());
  for (let i = 0; i < b; i++) {
    close(t, critic.dq1[i] as number, g1?.[i] as number, 1e-6, `critic dq1[${i}]`);
    close(t, critic.dq2[i] as number, g2?.[i] as number, 1e-6, `critic dq2[${i}]`);
  }
  const alpha = 0.37;
  const actor = actorHead(logp, q1, q2, alpha);
  const fa = (l: tf.Tensor, a: tf.Tensor, c: tf.Tensor) => tf.mean(tf.sub(tf.mul(l, alpha), tf.minimum(a, c))) as tf.Scalar;
  close(t, actor.loss, fa(lpT, q1T, q2T).dataSync()[0] as number, 1e-5, 'actor loss');
  const [gl, ga1, ga2] = tf.grads(fa)([lpT, q1T, q2T]).map((g) => g.dataSync());
  for (let i = 0; i < b; i++) {
    close(t, actor.dLogp[i] as number, gl?.[i] as number, 1e-7, `actor dlogp[${i}]`);
    close(t, actor.dq1[i] as number, ga1?.[i] as number, 1e-7, `actor dq1[${i}]`);
    close(t, actor.dq2[i] as number, ga2?.[i] as number, 1e-7, `actor dq2[${i}]`);
  }
  close(t, actor.meanLogp, logp.reduce((a, v) => a + v, 0) / b, 1e-6, 'mean log pi');
});

test('the temperature falls when the policy is more random than the target entropy and rises when it is less', async (t) => {
  // d/dlog alpha of -log alpha (log pi + target): entropy 1 nat (log pi = -1) against a target of -1 -> +2: log alpha descends.
  t.is(temperatureGradient(-1, -1), 2);
  t.is(temperatureGradient(0.5, 0), -0.5);
  const finalAlpha = async (targetEntropy: number) => {
    const stats: UpdateStats[] = [];
    await trainSac(() => new ContinuousBandit(0.5), { totalSteps: 400, seed: 2, logInterval: 400, hyperparameters: { ...SMALL, targetEntropy }, onUpdate: (s) => stats.push(s) });
    return (stats.at(-1) as UpdateStats & { entropyCoef: number }).entropyCoef;
  };
  // A squashed Gaussian on [-1, 1] has at most log 2 nats; a target of 5 is out of reach, -20 always exceeded.
  t.true((await finalAlpha(5)) > 1, 'unreachable target: alpha grows from 1');
  t.true((await finalAlpha(-20)) < 1, 'target always met: alpha shrinks from 1');
});

test('SAC learns the best action of a continuous bandit in a few hundred steps, reproducibly', async (t) => {
  const stats: UpdateStats[] = [];
  const options = { totalSteps: 600, seed: 3, logInterval: 200, hyperparameters: SMALL, onUpdate: (s: UpdateStats) => stats.push(s) };
  const policy = await trainSac(() => new ContinuousBandit(0.5), options);
  t.is(policy.network.kind, 'actor');
  t.is(policy.network.distribution, 'squashed-gaussian');
  const a = policy.act(new Float32Array([0.2, -0.4]), { deterministic: true, info: {} }) as Float32Array;
  close(t, a[0] as number, 0.5, 0.1, 'deterministic action');
  // training.csv's action_mean: the deterministic action on the observations seen since the last report.
  close(t, (stats.at(-1) as UpdateStats).actionMean, 0.5, 0.15, 'action_mean');
  t.is((stats.at(-1) as UpdateStats).doseMean, null, 'a toy env declares no dose');
  for (let i = 0; i < 50; i++) t.true(policy.actionSpace.contains(policy.act(new Float32Array([0, 0]), { deterministic: false, info: {} })));
  const again = await trainSac(() => new ContinuousBandit(0.5), { ...options, onUpdate: undefined });
  t.deepEqual(again.params.data, policy.params.data);
});

test('a SAC checkpoint holds the actor alone and acts exactly as the trained policy', async (t) => {
  const policy = await trainSac(() => new ContinuousBandit(0.5), { totalSteps: 200, seed: 5, hyperparameters: { ...SMALL, normalizeObservations: true } });
  const path = savePolicy(join(dir, 'sac'), policy);
  const manifest = JSON.parse(readFileSync(join(path, 'manifest.json'), 'utf8')) as CheckpointManifest;
  t.like(manifest, { algorithm: 'sac', formatVersion: 2 });
  t.like(manifest.network, { kind: 'actor', distribution: 'squashed-gaussian', actionSize: 1 });
  t.deepEqual(manifest.weights.tensors.map((e) => e.name), ['pi.0.w', 'pi.0.b', 'pi.1.w', 'pi.1.b', 'pi.2.w', 'pi.2.b']);
  const loaded = loadPolicy(path);
  t.deepEqual(loaded.params.data, policy.params.data);
  const rng = new Rng(6);
  policy.seedActions(4);
  loaded.seedActions(4);
  for (let i = 0; i < 20; i++) {
    const obs = new Float32Array([rng.uniformRange(-1, 1), rng.uniformRange(-1, 1)]);
    t.deepEqual(loaded.act(obs, { deterministic: true, info: {} }), policy.act(obs, { deterministic: true, info: {} }));
    t.deepEqual(loaded.act(obs, { deterministic: false, info: {} }), policy.act(obs, { deterministic: false, info: {} }));
  }
});

test('the table rejects SAC schedules that cannot learn, and Discrete action spaces', async (t) => {
  const check = (hp: Record<string, unknown>, totalSteps: number) => algorithm('sac').checkCompatibility(parseSacHyperparameters(hp), { totalSteps });
  t.throws(() => check({ learningStarts: 1000 }, 1000), { message: 'train.hyperparameters.learningStarts: 1000 is at or beyond train.steps (1000), so SAC would never learn; lower it or train longer' });
  t.throws(() => check({ batchSize: 512, bufferSize: 256 }, 5000), { message: 'train.hyperparameters.batchSize: 512 is larger than bufferSize (256); use a batchSize of at most 256 or a larger buffer' });
  t.throws(() => check({ learningStarts: 900, trainFreq: 300 }, 1000), { message: /^train\.hyperparameters\.trainFreq: 300 vector steps between updates leaves no update/ });
  t.notThrows(() => check({}, 5000));
  t.deepEqual(algorithm('sac').actionSpaces, ['box']);
  t.false(algorithm('sac').needsCostBudget);
  t.like(SAC_DEFAULTS, { entCoef: 'auto', targetEntropy: 'auto', tau: 0.005, gamma: 0.99, trainFreq: 1, gradientSteps: 1, activation: 'relu' });
  t.throws(() => parseSacHyperparameters({ entCoef: 'sometimes' }), { message: /^train\.hyperparameters\.entCoef: expected 'auto' or a positive number/ });
  const { TwoArmedBandit } = await import('../agents/common/toy-envs.ts');
  await t.throwsAsync(trainSac(() => new TwoArmedBandit(), { totalSteps: 10, seed: 0 }), {
    message: 'SAC: TwoArmedBandit-test has action space Discrete(2); SAC needs a Box action space (use ppo or dqn for Discrete actions)',
  });
});

test('dosegym run trains SAC on T1D-v0; training.csv reports the delivered insulin in U/h and the mean action', async (t) => {
  const config = {
    name: 'sac-t1d',
    env: { id: 'T1D-v0', options: { patient: 'adolescent#001', days: 0.25 } },
    train: { algo: 'sac', steps: 400, seeds: [1], hyperparameters: { netArch: [32, 32], batchSize: 32, learningStarts: 100 } },
    evaluate: { episodes: 1, methods: ['sac', 'basal'], bootstrap: 100 },
  };
  const out = join(dir, 'run');
  const r = await runCli(['run', writeConfig(dir, 'sac.yaml', config), '--out', out, '--quiet', '--backend', 'wasm']);
  t.is(r.code, 0, r.stderr);
  const rows = parseCsv(readFileSync(join(out, 'training.csv'), 'utf8'));
  t.true(rows.length >= 1);
  for (const row of rows) {
    const dose = Number(row['dose_mean']);
    const action = Number(row['action_mean']);
    // adolescent#001's basal is about 1 U/h; the action range is [0, 5 x basal] U/h and the pump delivers what it is told.
    t.true(dose > 0 && dose < 6, `dose_mean ${row['dose_mean']}`);
    t.true(Number(row['dose_sd']) >= 0);
    t.true(action > 0 && action < 6, `action_mean ${row['action_mean']}`);
    t.true(Number(row['entropy_coef']) > 0);
    t.true(Number.isFinite(Number(row['loss_q'])));
  }
  const summary = parseCsv(readFileSync(join(out, 'summary.csv'), 'utf8'));
  t.deepEqual(summary.map((s) => s['method']), ['sac', 'basal']);
});
