/**
 * Loss functions (tfjs, differentiable), written as Stable-Baselines3 computes them, op by op.
 *
 * The agents evaluate the last step of their losses in closed form instead (`ppoHead`,
 * `categoricalPpoHead` in ppo.ts, `dqnHead` in dqn.ts: one tape node instead of ~20 taped kernels);
 * these straightforward versions are the reference the unit tests check those against with tfjs
 * autodiff, and are handy for experiments.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * PPO's clipped surrogate (Schulman et al. 2017, eq. 7), as a loss to minimise:
 * -mean(min(r A, clip(r, 1-eps, 1+eps) A)), with r = exp(logp - logpOld).
 */
export function ppoClipLoss(logp: tf.Tensor, logpOld: tf.Tensor, advantages: tf.Tensor, clipRange: number): { loss: tf.Scalar; ratio: tf.Tensor } {
  const ratio = tf.exp(tf.sub(logp, logpOld));
  const unclipped = tf.mul(ratio, advantages);
  const clipped = tf.mul(tf.clipByValue(ratio, 1 - clipRange, 1 + clipRange), advantages);
  return { loss: tf.neg(tf.mean(tf.minimum(unclipped, clipped))) as tf.Scalar, ratio };
}

/**
 * Value loss: mean squared error to the returns. With `clipRangeVf` the prediction is first clipped
 * to oldValue +- clipRangeVf (SB3's value clipping; CleanRL takes a max of both instead).
 */
export function valueLoss(values: tf.Tensor, returns: tf.Tensor, oldValues: tf.Tensor | null, clipRangeVf: number | null): tf.Scalar {
  let pred = values;
  if (clipRangeVf !== null && oldValues !== null) {
    pred = tf.add(oldValues, tf.clipByValue(tf.sub(values, oldValues), -clipRangeVf, clipRangeVf));
  }
  return tf.mean(tf.square(tf.sub(returns, pred))) as tf.Scalar;
}

/**
 * Huber loss (PyTorch's smooth_l1_loss with beta = delta = 1, used by SB3's DQN), averaged:
 * 0.5 d^2 for |d| <= delta, delta (|d| - 0.5 delta) beyond. Written branch-free as
 * q = min(|d|, delta): 0.5 q^2 + delta (|d| - q), which avoids tf.where inside the gradient.
 */
export function huberLoss(pred: tf.Tensor, target: tf.Tensor, delta = 1): tf.Scalar {
  const abs = tf.abs(tf.sub(pred, target));
  const quadratic = tf.minimum(abs, delta);
  const linear = tf.sub(abs, quadratic);
  return tf.mean(tf.add(tf.mul(tf.square(quadratic), 0.5), tf.mul(linear, delta))) as tf.Scalar;
}
