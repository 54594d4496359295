/**
 * PPO's Beta policy (agents/common/distributions.ts, agents/ppo.ts) against references that do not
 * share its code: lgamma, digamma and trigamma against known values and each other's numerical
 * derivatives; the Beta's density integrating to 1, its entropy against numerical integration, its
 * mode against a grid search of the density, its sampler against its moments; a policy's
 * deterministic action against the numerical mode of the distribution it samples from, in the
 * action space's units; and `betaPpoHead` (closed-form loss and gradient) against tfjs autodiff of
 * the same loss written op by op.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../agents/common/backend.ts';
import {
  betaConcentration,
  betaConcentrations,
  betaEntropy,
  betaLogProb,
  betaMode,
  digamma,
  lgamma,
  logOneMinusTanhSquared,
  sampleBeta,
  trigamma,
} from '../agents/common/distributions.ts';
import { ppoClipLoss, valueLoss } from '../agents/common/losses.ts';
import { initNetworks, type NetworkDescription } from '../agents/common/networks.ts';
import { TrainedPolicy } from '../agents/common/policy.ts';
import { ContinuousBandit } from '../agents/common/toy-envs.ts';
import { betaPpoHead, train as trainPpo } from '../agents/ppo.ts';
import { Rng } from '../src/core/rng.ts';
import { Box } from '../src/core/spaces.ts';

test.before(async () => {
  await initBackend('wasm');
});

const close = (t: { true(v: boolean, m?: string): void }, a: number, b: number, tol: number, what = '') =>
  t.true(Math.abs(a - b) <= tol, `${what} ${a} vs ${b} (tol ${tol})`);

const EULER_GAMMA = 0.5772156649015329;

test('lgamma, digamma and trigamma match known values and each other', (t) => {
  close(t, lgamma(0.5), 0.5 * Math.log(Math.PI), 1e-14, 'lgamma(1/2)');
  close(t, lgamma(1), 0, 1e-14, 'lgamma(1)');
  close(t, lgamma(2), 0, 1e-14, 'lgamma(2)');
  close(t, lgamma(10), Math.log(362880), 1e-12, 'lgamma(10)');
  close(t, lgamma(0.1), 2.252712651734206, 1e-13, 'lgamma(0.1)');
  close(t, lgamma(171.5), 709.1431630309282, 1e-10, 'lgamma(171.5)'); // Python's math.lgamma
  close(t, lgamma(1e-3), 6.907178885383854, 1e-12, 'lgamma(0.001)');
  close(t, digamma(1), -EULER_GAMMA, 1e-13, 'psi(1)');
  close(t, digamma(0.5), -EULER_GAMMA - 2 * Math.LN2, 1e-13, 'psi(1/2)');
  close(t, digamma(10), -EULER_GAMMA + [...Array(9).keys()].reduce((s, k) => s + 1 / (k + 1), 0), 1e-13, 'psi(10)');
  close(t, trigamma(1), Math.PI ** 2 / 6, 1e-12, "psi'(1)");
  close(t, trigamma(0.5), Math.PI ** 2 / 2, 1e-12, "psi'(1/2)");
  for (const x of [1.01, 1.7, 3.3, 9.99, 10.01, 57]) {
    const h = 1e-5 * x;
    close(t, digamma(x), (lgamma(x + h) - lgamma(x - h)) / (2 * h), 1e-8, `psi(${x}) = lgamma'`);
    close(t, trigamma(x), (digamma(x + h) - digamma(x - h)) / (2 * h), 1e-7, `psi'(${x}) = psi''`);
  }
});

/** Simpson's rule over (0, 1) on n intervals, skipping the end points (where the Beta density is 0 or its log infinite). */
function integrate01(f: (x: number) => number, n = 20000): number {
  const h = 1 / n;
  let s = 0;
  for (let i = 1; i < n; i++) s += (i % 2 === 1 ? 4 : 2) * f(i * h);
  return (s * h) / 3;
}

const SHAPES: [number, number][] = [
  [1.0001, 5],
  [1.69, 1.69],
  [2, 7],
  [30, 4],
  [1.2, 1.05],
];

test('Beta density integrates to 1, its entropy is -integral p log p, its mode maximises the density', (t) => {
  for (const [a, b] of SHAPES) {
    const p = (x: number) => Math.exp(betaLogProb(a, b, x));
    close(t, integrate01(p), 1, 2e-4, `integral of Beta(${a}, ${b})`);
    close(t, integrate01((x) => -p(x) * betaLogProb(a, b, x)), betaEntropy(a, b), 2e-4, `entropy of Beta(${a}, ${b})`);
    // Grid search of the density's maximum on (0, 1).
    let best = 0;
    let bestLogp = -Infinity;
    for (let i = 1; i < 100000; i++) {
      const x = i / 100000;
      const lp = betaLogProb(a, b, x);
      if (lp > bestLogp) [best, bestLogp] = [x, lp];
    }
    close(t, betaMode(a, b), best, 1e-5, `mode of Beta(${a}, ${b})`);
  }
});

test('Beta draws have the distribution moments and stay strictly inside (0, 1)', (t) => {
  const rng = new Rng(4);
  for (const [a, b] of SHAPES) {
    const n = 20000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const x = sampleBeta(a, b, rng);
      t.true(x > 0 && x < 1);
      sum += x;
      sq += x * x;
    }
    const mean = a / (a + b);
    const variance = (a * b) / ((a + b) ** 2 * (a + b + 1));
    close(t, sum / n, mean, 4 * Math.sqrt(variance / n), `mean of Beta(${a}, ${b})`);
    close(t, sq / n - (sum / n) ** 2, variance, 0.05 * variance, `variance of Beta(${a}, ${b})`);
  }
});

test('log(1 - tanh(u)^2) is exact where the naive form is and finite where it underflows', (t) => {
  for (const u of [-3, -0.5, 0, 0.1, 2.5]) close(t, logOneMinusTanhSquared(u), Math.log(1 - Math.tanh(u) ** 2), 1e-12, `u = ${u}`);
  close(t, logOneMinusTanhSquared(30), 2 * (Math.LN2 - 30), 1e-9, 'u = 30 (1 - tanh^2 rounds to 0)');
  close(t, logOneMinusTanhSquared(-30), 2 * (Math.LN2 - 30), 1e-9, 'u = -30');
});

/** The density of the policy's action in the Box's units: Beta((a - low) / w) / w per dimension. */
function actionLogDensity(out: ArrayLike<number>, box: Box, action: ArrayLike<number>): number {
  const d = box.size;
  let lp = 0;
  for (let i = 0; i < d; i++) {
    const w = (box.high[i] as number) - (box.low[i] as number);
    const x = ((action[i] as number) - (box.low[i] as number)) / w;
    lp += betaLogProb(betaConcentration(out[i] as number), betaConcentration(out[d + i] as number), x) - Math.log(w);
  }
  return lp;
}

test("a Beta policy's deterministic action is the mode of the distribution it samples from, in the Box's units, never at a bound", (t) => {
  // Asymmetric bounds, like an insulin rate in U/h, and outputs perturbed far from their initial ~0.
  const box = new Box([0, -3], [7.5, 1], [2]);
  const network: NetworkDescription = { kind: 'actor-critic', obsSize: 3, actionSize: 2, continuous: true, netArch: [16], activation: 'tanh', dueling: false, distribution: 'beta' };
  const rng = new Rng(8);
  const params = initNetworks(network, rng.child('init'), { init: 'orthogonal' });
  for (let i = 0; i < params.data.length; i++) params.data[i] = (params.data[i] as number) + rng.normal();
  const policy = new TrainedPolicy({ algorithm: 'ppo', envId: 'test', observationSpace: new Box(-5, 5, [3]), actionSpace: box, network, params, hyperparameters: {}, normalization: null, backend: 'wasm', seed: 1, totalSteps: 0 });
  for (let k = 0; k < 12; k++) {
    const obs = Float32Array.from({ length: 3 }, () => rng.uniformRange(-2, 2));
    const out = policy.nets.policy(obs, 1).slice();
    const mode = policy.act(obs, { deterministic: true, info: {} }) as Float32Array;
    // Grid search per dimension (the density factorises), 20,000 points across the Box.
    for (let i = 0; i < 2; i++) {
      const lo = box.low[i] as number;
      const w = (box.high[i] as number) - lo;
      let best = lo;
      let bestLp = -Infinity;
      for (let g = 1; g < 20000; g++) {
        const a = Float64Array.from(mode);
        a[i] = lo + (w * g) / 20000;
        const lp = actionLogDensity(out, box, a);
        if (lp > bestLp) [best, bestLp] = [a[i] as number, lp];
      }
      close(t, mode[i] as number, best, w / 20000 + 1e-5, `observation ${k}, dimension ${i}`);
      t.true((mode[i] as number) > lo && (mode[i] as number) < lo + w, 'strictly inside the Box');
    }
    // Stochastic actions come from that density: always inside, never clipped onto a bound.
    for (let s = 0; s < 20; s++) {
      const a = policy.act(obs, { deterministic: false, info: {} }) as Float32Array;
      t.true(box.contains(a) && a.every((v, i) => v !== box.low[i] && v !== box.high[i]));
    }
  }
});

test("'beta-mode': the mode is sigmoid of the first output whatever the concentration, and outputs 0 give the Beta's Beta(1.69, 1.69)", (t) => {
  for (const z1 of [-4, -1, 0, 0.7, 3]) {
    for (const z2 of [-6, -1, 0, 2, 8]) {
      const { a, b } = betaConcentrations('beta-mode', z1, z2);
      t.true(a > 1 && b > 1);
      close(t, betaMode(a, b), 1 / (1 + Math.exp(-z1)), 1e-9, `mode at z = (${z1}, ${z2})`);
    }
  }
  const plain = betaConcentrations('beta', 0, 0);
  const moded = betaConcentrations('beta-mode', 0, 0);
  close(t, moded.a, plain.a, 1e-12, 'alpha at 0');
  close(t, moded.b, plain.b, 1e-12, 'beta at 0');
  close(t, plain.a, 1 + Math.LN2, 1e-12, '1 + softplus(0)');
  // The case that motivated it: 'beta' with beta near 1 keeps its mode near 1 while its mean is 0.70.
  const stuck = betaConcentrations('beta', Math.log(Math.expm1(1.6)), Math.log(Math.expm1(0.1)));
  close(t, stuck.a / (stuck.a + stuck.b), 0.703, 1e-3, 'mean of Beta(2.6, 1.1)');
  close(t, betaMode(stuck.a, stuck.b), 0.941, 1e-3, 'mode of Beta(2.6, 1.1)');
});

test('PPO with the mode-parametrised Beta learns the best action of a continuous bandit, deterministically at the mode', async (t) => {
  const policy = await trainPpo(() => new ContinuousBandit(0.5), { totalSteps: 2048, seed: 4, hyperparameters: { nSteps: 32, numEnvs: 4, batchSize: 32, nEpochs: 4, learningRate: 3e-3, distribution: 'beta-mode' } });
  t.is(policy.network.distribution, 'beta-mode');
  const obs = new Float32Array([0.1, -0.3]);
  const a = policy.act(obs, { deterministic: true, info: {} }) as Float32Array;
  close(t, a[0] as number, 0.5, 0.1, 'mode');
  const out = policy.nets.policy(obs, 1);
  close(t, a[0] as number, -1 + 2 / (1 + Math.exp(-(out[0] as number))), 1e-6, 'sigmoid of the mode output, on the Box');
});

test('PPO with the Beta learns the best action of a continuous bandit, deterministically at the mode', async (t) => {
  const policy = await trainPpo(() => new ContinuousBandit(0.5), { totalSteps: 2048, seed: 4, hyperparameters: { nSteps: 32, numEnvs: 4, batchSize: 32, nEpochs: 4, learningRate: 3e-3 } });
  t.is(policy.network.distribution, 'beta');
  t.false(policy.params.has('logStd'));
  const obs = new Float32Array([0.1, -0.3]);
  const a = policy.act(obs, { deterministic: true, info: {} }) as Float32Array;
  close(t, a[0] as number, 0.5, 0.1, 'mode');
  const out = policy.nets.policy(obs, 1);
  close(t, a[0] as number, -1 + 2 * betaMode(betaConcentration(out[0] as number), betaConcentration(out[1] as number)), 1e-6, 'the mode of the trained Beta');
});

// ---- betaPpoHead against autodiff ----

/** log Gamma(x) for x >= 1 as tfjs ops (the Lanczos series, g = 7), differentiable by tfjs. */
function lgammaTf(x: tf.Tensor): tf.Tensor {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  const z = tf.sub(x, 1);
  let a: tf.Tensor = tf.fill(x.shape, c[0] as number);
  for (let i = 1; i < 9; i++) a = tf.add(a, tf.div(c[i] as number, tf.add(z, i)));
  const tt = tf.add(z, 7.5);
  return tf.add(tf.sub(tf.add(0.5 * Math.log(2 * Math.PI), tf.mul(tf.add(z, 0.5), tf.log(tt))), tt), tf.log(a));
}

/** digamma(x) for x > 0 as tfjs ops: ten recurrence steps, then the asymptotic series. */
function digammaTf(x: tf.Tensor): tf.Tensor {
  let shift: tf.Tensor = tf.zerosLike(x);
  for (let k = 0; k < 10; k++) shift = tf.sub(shift, tf.reciprocal(tf.add(x, k)));
  const y = tf.add(x, 10);
  const r = tf.reciprocal(tf.square(y));
  const series = tf.mul(r, tf.sub(1 / 12, tf.mul(r, tf.sub(1 / 120, tf.mul(r, 1 / 252)))));
  return tf.add(shift, tf.sub(tf.sub(tf.log(y), tf.div(0.5, y)), series));
}

for (const distribution of ['beta', 'beta-mode'] as const) {
test(`betaPpoHead (outputs -> clipped surrogate + value loss - entropy bonus) matches tfjs autodiff: ${distribution}`, (t) => {
  const rng = new Rng(24);
  const b = 40;
  const d = 2;
  const z = Float32Array.from({ length: b * 2 * d }, () => 1.5 * rng.normal());
  const x = Float32Array.from({ length: b * d }, () => rng.uniformRange(0.02, 0.98));
  const logpNow = Float64Array.from({ length: b }, (_, i) => {
    let lp = 0;
    for (let j = 0; j < d; j++) {
      const { a, b: bb } = betaConcentrations(distribution, z[i * 2 * d + j] as number, z[i * 2 * d + d + j] as number);
      lp += betaLogProb(a, bb, x[i * d + j] as number);
    }
    return lp;
  });
  const mb = {
    size: b,
    obs: new Float32Array(0),
    actions: x,
    oldLogProbs: Float32Array.from(logpNow, (v) => v + 0.3 * rng.normal()), // ratios on both sides of the clip range
    advantages: Float32Array.from({ length: b }, () => rng.normal()),
    returns: Float32Array.from({ length: b }, () => rng.normal()),
    oldValues: Float32Array.from({ length: b }, () => rng.normal()),
  };
  const values = Float32Array.from({ length: b }, () => rng.normal());
  const hp = { clipRange: 0.2, clipRangeVf: null, vfCoef: 0.5, entCoef: 0.05 };
  const head = betaPpoHead(mb, z, values, d, hp, distribution);

  const xT = tf.tensor2d(x, [b, d]);
  const f = (zt: tf.Tensor, v: tf.Tensor) => {
    const z1 = tf.slice(zt, [0, 0], [b, d]);
    const z2 = tf.slice(zt, [0, d], [b, d]);
    // 'beta': 1 + softplus of each; 'beta-mode': mode m = sigmoid(z1), k = 2 softplus(z2), 1 + k m and 1 + k (1 - m)
    const m = tf.sigmoid(z1);
    const k = tf.mul(2, tf.softplus(z2));
    const alpha = distribution === 'beta' ? tf.add(1, tf.softplus(z1)) : tf.add(1, tf.mul(k, m));
    const beta = distribution === 'beta' ? tf.add(1, tf.softplus(z2)) : tf.add(1, tf.mul(k, tf.sub(1, m)));
    const logB = tf.sub(tf.add(lgammaTf(alpha), lgammaTf(beta)), lgammaTf(tf.add(alpha, beta)));
    const logp = tf.sum(tf.sub(tf.add(tf.mul(tf.sub(alpha, 1), tf.log(xT)), tf.mul(tf.sub(beta, 1), tf.log(tf.sub(1, xT)))), logB), 1);
    const entropy = tf.sum(
      tf.add(tf.sub(tf.sub(logB, tf.mul(tf.sub(alpha, 1), digammaTf(alpha))), tf.mul(tf.sub(beta, 1), digammaTf(beta))), tf.mul(tf.sub(tf.add(alpha, beta), 2), digammaTf(tf.add(alpha, beta)))),
      1,
    );
    const pg = ppoClipLoss(logp, tf.tensor1d(mb.oldLogProbs), tf.tensor1d(mb.advantages), 0.2).loss;
    return tf.sub(tf.add(pg, tf.mul(valueLoss(v, tf.tensor1d(mb.returns), null, null), 0.5)), tf.mul(tf.mean(entropy), 0.05)) as tf.Scalar;
  };
  const zT = tf.tensor2d(z, [b, 2 * d]);
  const vT = tf.tensor1d(values);
  close(t, head.loss, f(zT, vT).dataSync()[0] as number, 1e-4, 'loss');
  const [gz, gv] = tf.grads(f)([zT, vT]).map((g) => g.dataSync());
  let maxGrad = 0;
  for (let k = 0; k < b * 2 * d; k++) {
    close(t, head.dOut[k] as number, gz?.[k] as number, 2e-5, `dz[${k}]`);
    maxGrad = Math.max(maxGrad, Math.abs(gz?.[k] as number));
  }
  for (let i = 0; i < b; i++) close(t, head.dValues[i] as number, gv?.[i] as number, 1e-6, `dv[${i}]`);
  t.true(maxGrad > 1e-3, `the gradients are not all ~0 (max ${maxGrad})`);
  t.true(head.clipFraction > 0 && head.clipFraction < 1, `some ratios clipped (${head.clipFraction})`);
});
}
