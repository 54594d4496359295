/**
 * Action distributions. Sampling and the log-probabilities stored in rollouts are computed in plain
 * JS from the typed-array forward pass (seeded by `Rng`); the tf versions are used inside the loss.
 *
 * - Categorical over logits (Discrete actions).
 * - Diagonal Gaussian with a state-independent log standard deviation (PPO's 'gaussian-clip', as
 *   SB3's PPO): the sample is clipped to the action space before it reaches the env, but its
 *   log-probability is that of the unclipped sample.
 * - Beta(alpha, beta) per action dimension on [0, 1] (PPO's default 'beta', Chou, Maturana &
 *   Scherer 2017), with alpha, beta = 1 + softplus(network output) > 1, so the density is unimodal
 *   and vanishes at both ends; its mode (alpha - 1) / (alpha + beta - 2), log-density, entropy and
 *   their derivatives in closed form through lgamma, digamma and trigamma (below, float64).
 *   'beta-mode' is the same Beta parametrised by its mode m = sigmoid(z_1) and a concentration
 *   k = 2 softplus(z_2): alpha = 1 + k m, beta = 1 + k (1 - m) (Kruschke 2015, "Doing Bayesian Data
 *   Analysis", 2nd ed., section 9.2.2, with kappa - 2 = k), so the deterministic action is m itself.
 * - Gaussian squashed by tanh (SAC, Haarnoja et al. 2018, appendix C): the log-std bound and the
 *   tanh log-det correction.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../src/core/rng.ts';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** Index of the largest of `n` values starting at `offset` (first one on ties). */
export function argmax(values: ArrayLike<number>, offset: number, n: number): number {
  let best = 0;
  let bestValue = values[offset] as number;
  for (let i = 1; i < n; i++) {
    const v = values[offset + i] as number;
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

function logSumExp(logits: ArrayLike<number>, offset: number, n: number): number {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[offset + i] as number);
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.exp((logits[offset + i] as number) - max);
  return max + Math.log(s);
}

/** log softmax(logits)[action]. */
export function categoricalLogProb(logits: ArrayLike<number>, offset: number, n: number, action: number): number {
  return (logits[offset + action] as number) - logSumExp(logits, offset, n);
}

/** Draw an action from softmax(logits) by inverting the CDF with one uniform draw. */
export function sampleCategorical(logits: ArrayLike<number>, offset: number, n: number, rng: Rng): number {
  const lse = logSumExp(logits, offset, n);
  const u = rng.uniform();
  let cdf = 0;
  for (let i = 0; i < n; i++) {
    cdf += Math.exp((logits[offset + i] as number) - lse);
    if (u < cdf) return i;
  }
  return n - 1; // rounding: u just below 1 and the CDF summed to slightly less
}

/** Log-density of `x` under N(mean, exp(logStd)^2) per dimension, summed. */
export function gaussianLogProb(mean: ArrayLike<number>, offset: number, logStd: ArrayLike<number>, x: ArrayLike<number>, xOffset: number): number {
  let lp = 0;
  for (let i = 0; i < logStd.length; i++) {
    const ls = logStd[i] as number;
    const z = ((x[xOffset + i] as number) - (mean[offset + i] as number)) / Math.exp(ls);
    lp += -0.5 * z * z - ls - HALF_LOG_2PI;
  }
  return lp;
}

/** Mean over `rows` of the entropy of softmax(logits) (row-major rows x n). */
export function meanCategoricalEntropy(logits: ArrayLike<number>, rows: number, n: number): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const lse = logSumExp(logits, r * n, n);
    for (let j = 0; j < n; j++) {
      const lp = (logits[r * n + j] as number) - lse;
      total -= Math.exp(lp) * lp;
    }
  }
  return total / rows;
}

/** Entropy of a diagonal Gaussian: sum(logStd + 0.5 + 0.5 log 2 pi). */
export function gaussianEntropy(logStd: ArrayLike<number>): number {
  let h = 0;
  for (let i = 0; i < logStd.length; i++) h += (logStd[i] as number) + 0.5 + HALF_LOG_2PI;
  return h;
}

// ---- special functions (float64, for x > 0) ----

/** Lanczos coefficients for g = 7, n = 9 (relative error below 1e-15 for x > 0; Numerical Recipes 3rd ed., 6.1). */
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
];

/** log Gamma(x) for x > 0. */
export function lgamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lgamma(1 - x); // reflection
  const z = x - 1;
  let a = LANCZOS[0] as number;
  const t = z + LANCZOS_G + 0.5;
  for (let i = 1; i < 9; i++) a += (LANCZOS[i] as number) / (z + i);
  return HALF_LOG_2PI + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** digamma psi(x) = d/dx log Gamma(x) for x > 0: the recurrence psi(x) = psi(x + 1) - 1/x up to x >= 10, then the asymptotic series. */
export function digamma(x: number): number {
  let shift = 0;
  while (x < 10) {
    shift -= 1 / x;
    x += 1;
  }
  const r = 1 / (x * x);
  return shift + Math.log(x) - 0.5 / x - r * (1 / 12 - r * (1 / 120 - r * (1 / 252 - r * (1 / 240 - r / 132))));
}

/** trigamma psi'(x) for x > 0: psi'(x) = psi'(x + 1) + 1/x^2 up to x >= 10, then the asymptotic series. */
export function trigamma(x: number): number {
  let shift = 0;
  while (x < 10) {
    shift += 1 / (x * x);
    x += 1;
  }
  const r = 1 / (x * x);
  return shift + 1 / x + r / 2 + (r / x) * (1 / 6 - r * (1 / 30 - r * (1 / 42 - r / 30)));
}

/** log(1 + e^z) without overflow. */
export function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

/** The logistic function, d softplus / dz. */
export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

// ---- Beta on [0, 1] ----

/** Concentration of a Beta from a network output: 1 + softplus(z) > 1 (Chou et al. 2017). */
export function betaConcentration(z: number): number {
  return 1 + softplus(z);
}

/**
 * The Beta's concentrations from the two network outputs of one action dimension, with their
 * derivatives (for the loss's chain rule):
 * - 'beta': alpha = 1 + softplus(z1), beta = 1 + softplus(z2) (Chou et al. 2017).
 * - 'beta-mode': mode m = sigmoid(z1), concentration k = 2 softplus(z2), alpha = 1 + k m,
 *   beta = 1 + k (1 - m). Why: with 'beta', a policy whose beta has drifted to about 1 (softplus(z2)
 *   near 0, where its gradient sigmoid(z2) is small too) keeps its mode near the upper bound while
 *   its mean and its samples move down: measured on a chemotherapy PPO-Lagrangian policy, Beta(2.6,
 *   1.1), mean dose 0.70 and mode 0.93 (docs/chemo-research-notes.md), so the schedule evaluated is
 *   not the one the constraint shaped. Here the update moves the mode directly. Both start at
 *   Beta(1.69, 1.69) for outputs 0.
 */
export interface BetaConcentrations {
  a: number;
  b: number;
  /** d alpha / d z1, d beta / d z1, d alpha / d z2, d beta / d z2. */
  da1: number;
  db1: number;
  da2: number;
  db2: number;
}

export function betaConcentrations(distribution: 'beta' | 'beta-mode', z1: number, z2: number): BetaConcentrations {
  if (distribution === 'beta') return { a: betaConcentration(z1), b: betaConcentration(z2), da1: sigmoid(z1), db1: 0, da2: 0, db2: sigmoid(z2) };
  const m = sigmoid(z1);
  const k = 2 * softplus(z2);
  const dm = k * m * (1 - m); // k dm/dz1
  const dk = 2 * sigmoid(z2);
  return { a: 1 + k * m, b: 1 + k * (1 - m), da1: dm, db1: -dm, da2: dk * m, db2: dk * (1 - m) };
}

/** The Beta-family distributions (two network outputs per action dimension, mapped onto the Box). */
export function isBetaDistribution(distribution: string): distribution is 'beta' | 'beta-mode' {
  return distribution === 'beta' || distribution === 'beta-mode';
}

/** log B(a, b) = lgamma(a) + lgamma(b) - lgamma(a + b). */
export function logBetaFunction(a: number, b: number): number {
  return lgamma(a) + lgamma(b) - lgamma(a + b);
}

/** Log-density of Beta(a, b) at x in (0, 1). */
export function betaLogProb(a: number, b: number, x: number): number {
  return (a - 1) * Math.log(x) + (b - 1) * Math.log1p(-x) - logBetaFunction(a, b);
}

/** Differential entropy of Beta(a, b). */
export function betaEntropy(a: number, b: number): number {
  return logBetaFunction(a, b) - (a - 1) * digamma(a) - (b - 1) * digamma(b) + (a + b - 2) * digamma(a + b);
}

/** The mode of Beta(a, b) with a, b > 1: (a - 1) / (a + b - 2) (0.5 if both round to 1). */
export function betaMode(a: number, b: number): number {
  const den = a + b - 2;
  return den > 0 ? (a - 1) / den : 0.5;
}

/**
 * Draws in (0, 1) are kept at least this far from 0 and 1, so that their float32 copy in the
 * rollout buffer has a finite log-density (float32's spacing below 1 is 6e-8). With a, b > 1 the
 * density vanishes at both ends; a draw this close to one means a dose within 1e-6 of the Box's bound.
 */
export const BETA_EDGE = 1e-6;

/** Gamma(shape, 1) for shape >= 1 (Marsaglia & Tsang 2000, ACM TOMS 26(3):363-372). */
export function sampleGamma(shape: number, rng: Rng): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = rng.normal();
    const v0 = 1 + c * x;
    if (v0 <= 0) continue;
    const v = v0 * v0 * v0;
    const u = rng.uniform();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** Beta(a, b) for a, b >= 1 as X / (X + Y), X ~ Gamma(a), Y ~ Gamma(b); kept within [BETA_EDGE, 1 - BETA_EDGE]. */
export function sampleBeta(a: number, b: number, rng: Rng): number {
  const x = sampleGamma(a, rng);
  const y = sampleGamma(b, rng);
  const s = x / (x + y);
  return s < BETA_EDGE ? BETA_EDGE : s > 1 - BETA_EDGE ? 1 - BETA_EDGE : s;
}

// ---- Gaussian squashed by tanh (SAC) ----

/** SAC's log-std bounds (CleanRL's, from Spinning Up): log std = MIN + (MAX - MIN) (tanh(z) + 1) / 2 of the network output z. */
export const SQUASHED_LOG_STD_MIN = -5;
export const SQUASHED_LOG_STD_MAX = 2;

export function squashedLogStd(z: number): number {
  return SQUASHED_LOG_STD_MIN + 0.5 * (SQUASHED_LOG_STD_MAX - SQUASHED_LOG_STD_MIN) * (Math.tanh(z) + 1);
}

/** log(1 - tanh(u)^2) = 2 (log 2 - u - softplus(-2u)), exact and stable for any u (the tanh log-det). */
export function logOneMinusTanhSquared(u: number): number {
  return 2 * (Math.LN2 - u - softplus(-2 * u));
}

// ---- tf versions (differentiable) ----

/** log pi(a|s) for a batch: logSoftmax [B, n] (of the logits), oneHot [B, n] built outside the gradient closure. */
export function categoricalLogProbTf(logSoftmax: tf.Tensor, oneHot: tf.Tensor): tf.Tensor {
  return tf.sum(tf.mul(logSoftmax, oneHot), 1);
}

/** Entropy per row, -sum p log p, from logSoftmax [B, n]. */
export function categoricalEntropyTf(logSoftmax: tf.Tensor): tf.Tensor {
  return tf.neg(tf.sum(tf.mul(tf.exp(logSoftmax), logSoftmax), 1));
}

/** Diagonal Gaussian log-density summed over action dims: mean [B, d], logStd [d], actions [B, d]. */
export function gaussianLogProbTf(mean: tf.Tensor, logStd: tf.Tensor, actions: tf.Tensor): tf.Tensor {
  const z = tf.div(tf.sub(actions, mean), tf.exp(logStd));
  const perDim = tf.sub(tf.sub(tf.mul(tf.square(z), -0.5), logStd), HALF_LOG_2PI);
  return tf.sum(perDim, 1);
}

/** Entropy of a diagonal Gaussian (the same for every state): sum(logStd + 0.5 + 0.5 log 2 pi). */
export function gaussianEntropyTf(logStd: tf.Tensor): tf.Tensor {
  return tf.sum(tf.add(logStd, 0.5 + HALF_LOG_2PI));
}
