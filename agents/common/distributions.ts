/**
 * Action distributions. Sampling and the log-probabilities stored in rollouts are computed in plain
 * JS from the typed-array forward pass (seeded by `Rng`); the tf versions are used inside the loss.
 *
 * - Categorical over logits (Discrete actions).
 * - Diagonal Gaussian with a state-independent log standard deviation (Box actions), as SB3's PPO:
 *   the sample is clipped to the action space before it reaches the env, but its log-probability is
 *   that of the unclipped sample.
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
