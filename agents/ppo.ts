/**
 * Proximal Policy Optimization (Schulman et al. 2017, "Proximal Policy Optimization Algorithms",
 * arXiv:1707.06347) with GAE(lambda) (Schulman et al. 2016), in one file that reads top to bottom
 * like CleanRL's ppo.py, with Stable-Baselines3's defaults and loss (see common/hyperparameters.ts).
 *
 *   for each update:
 *     1. collect nSteps from every env of a SyncVectorEnv, acting in one batch through the
 *        typed-array copy of the networks (categorical for Discrete, diagonal Gaussian for Box);
 *        a truncated episode adds gamma * V(final observation) to its last reward (SB3's bootstrap)
 *     2. GAE advantages and returns
 *     3. nEpochs passes of shuffled minibatches: clipped surrogate + value loss (optionally
 *        clipped) - entropy bonus; advantages normalised per minibatch; global grad-norm clip; Adam;
 *        stop early when approx KL > 1.5 * targetKl
 *
 * Parameters live in one flat Float32Array (common/params.ts); tfjs computes the gradient of the
 * loss, Adam runs on the flat array. All randomness comes from the run's seed via `Rng`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../src/core/rng.ts';
import { Box, Discrete } from '../src/core/spaces.ts';
import { clipGradNorm } from './common/adam.ts';
import { ensureBackend } from './common/backend.ts';
import { gaussianEntropy, gaussianEntropyTf, gaussianLogProbTf } from './common/distributions.ts';
import { EpisodeTracker, costOf } from './common/episode-stats.ts';
import { computeGae } from './common/gae.ts';
import { parsePpoHyperparameters, type PpoHyperparameters } from './common/hyperparameters.ts';
import type { ParamStore } from './common/params.ts';
import type { NetworksTf } from './common/networks.ts';
import type { TrainedPolicy } from './common/policy.ts';
import { createLearner } from './common/learner.ts';
import { sampleRolloutActions } from './common/rollout.ts';
import { checkTrainOptions, shuffleInPlace, toVectorEnv, type EnvInput, type TrainOptions, type UpdateStats } from './common/training.ts';

export type { PpoHyperparameters };
export { PPO_DEFAULTS } from './common/hyperparameters.ts';

/** One minibatch, already on the JS side (advantages normalised if asked). */
export interface PpoMinibatch {
  size: number;
  obs: Float32Array; // size x obsSize
  /** Discrete: one-hot [size x n]; Box: the unclipped sampled actions [size x actionSize]. */
  actions: Float32Array;
  oldLogProbs: Float32Array;
  advantages: Float32Array;
  returns: Float32Array;
  oldValues: Float32Array;
}

export interface PpoLossStats {
  policy: number;
  value: number;
  entropy: number;
  approxKl: number;
  clipFraction: number;
}

/**
 * The clipped surrogate and the value loss of one minibatch, in closed form on the JS side:
 *
 *   L = -mean_i min(r_i A_i, clip(r_i, 1-eps, 1+eps) A_i) + vfCoef * mean_i (R_i - v^_i)^2
 *   r_i = exp(logp_i - logpOld_i);  v^_i = v_i, or oldV_i + clip(v_i - oldV_i, -c, c) with clipRangeVf
 *
 *   dL/dlogp_i = -r_i A_i / B   where the unclipped term is the minimum, else 0
 *   dL/dv_i    = vfCoef * 2 (v^_i - R_i) / B   where the value clip is inactive, else 0
 *
 * Same values and gradients as common/losses.ts's ppoClipLoss + valueLoss (a unit test checks them
 * against tfjs autodiff), but as one node of the gradient tape instead of ~20 taped kernels: at
 * batch 64 tfjs's per-kernel overhead, not arithmetic, is the cost. Also returns SB3's statistics.
 */
export function ppoHead(mb: PpoMinibatch, logp: ArrayLike<number>, values: ArrayLike<number>, hp: Pick<PpoHyperparameters, 'clipRange' | 'clipRangeVf' | 'vfCoef'>) {
  const n = mb.size;
  const eps = hp.clipRange;
  const dLogp = new Float32Array(n);
  const dValues = new Float32Array(n);
  let policy = 0;
  let value = 0;
  let approxKl = 0;
  let clipped = 0;
  for (let i = 0; i < n; i++) {
    const logRatio = (logp[i] as number) - (mb.oldLogProbs[i] as number);
    const r = Math.exp(logRatio);
    const a = mb.advantages[i] as number;
    const unclippedTerm = r * a;
    const clippedTerm = Math.min(Math.max(r, 1 - eps), 1 + eps) * a;
    policy -= Math.min(unclippedTerm, clippedTerm);
    if (unclippedTerm <= clippedTerm) dLogp[i] = -unclippedTerm / n;
    approxKl += r - 1 - logRatio; // Schulman's low-variance KL estimator, as SB3
    if (Math.abs(r - 1) > eps) clipped++;

    const v = values[i] as number;
    const old = mb.oldValues[i] as number;
    let pred = v;
    let passes = true;
    if (hp.clipRangeVf !== null) {
      const c = hp.clipRangeVf;
      pred = old + Math.min(Math.max(v - old, -c), c);
      passes = v - old >= -c && v - old <= c;
    }
    const err = pred - (mb.returns[i] as number);
    value += err * err;
    if (passes) dValues[i] = (hp.vfCoef * 2 * err) / n;
  }
  policy /= n;
  value /= n;
  return { loss: policy + hp.vfCoef * value, dLogp, dValues, policy, value, approxKl: approxKl / n, clipFraction: clipped / n };
}

/**
 * `ppoHead` for a categorical policy, taking the logits [B x n] instead of log-probabilities, and
 * including the entropy bonus -entCoef * mean_i H_i (the whole loss in one node):
 *   logp_i = logits_i[a_i] - logsumexp(logits_i);  p_ij = softmax(logits_i)_j
 *   dL/dlogits_ij = dL/dlogp_i (onehot_ij - p_ij) + entCoef p_ij (log p_ij + H_i) / B
 * A unit test checks it against tfjs autodiff.
 */
export function categoricalPpoHead(mb: PpoMinibatch, logits: ArrayLike<number>, values: ArrayLike<number>, nActions: number, hp: Pick<PpoHyperparameters, 'clipRange' | 'clipRangeVf' | 'vfCoef' | 'entCoef'>) {
  const b = mb.size;
  const n = nActions;
  const logSoftmax = new Float64Array(b * n);
  const entropies = new Float64Array(b);
  const logp = new Float64Array(b);
  let meanEntropy = 0;
  for (let i = 0; i < b; i++) {
    let max = -Infinity;
    for (let j = 0; j < n; j++) max = Math.max(max, logits[i * n + j] as number);
    let sum = 0;
    for (let j = 0; j < n; j++) sum += Math.exp((logits[i * n + j] as number) - max);
    const lse = max + Math.log(sum);
    for (let j = 0; j < n; j++) {
      const lp = (logits[i * n + j] as number) - lse;
      logSoftmax[i * n + j] = lp;
      entropies[i] = (entropies[i] as number) - Math.exp(lp) * lp;
      logp[i] = (logp[i] as number) + (mb.actions[i * n + j] as number) * lp;
    }
    meanEntropy += (entropies[i] as number) / b;
  }
  const head = ppoHead(mb, logp, values, hp);
  const dLogits = new Float32Array(b * n);
  for (let i = 0; i < b; i++) {
    for (let j = 0; j < n; j++) {
      const lp = logSoftmax[i * n + j] as number;
      const p = Math.exp(lp);
      dLogits[i * n + j] = (head.dLogp[i] as number) * ((mb.actions[i * n + j] as number) - p) + (hp.entCoef * p * (lp + (entropies[i] as number))) / b;
    }
  }
  return { ...head, loss: head.loss - hp.entCoef * meanEntropy, dLogits, entropy: meanEntropy };
}

/**
 * The PPO loss of one minibatch as SB3 computes it, policy_loss + vfCoef * value_loss
 * - entCoef * entropy, as a differentiable function of the parameters `p`: the networks go through
 * tfjs autodiff; the step from their outputs to the loss is one node with the closed-form gradient
 * of `categoricalPpoHead` (Discrete) or `ppoHead` after a tfjs Gaussian log-density (Box).
 */
export function ppoLoss(
  nets: NetworksTf,
  p: Record<string, tf.Tensor>,
  mb: PpoMinibatch,
  inputs: { obs: tf.Tensor; actions: tf.Tensor },
  hp: Pick<PpoHyperparameters, 'clipRange' | 'clipRangeVf' | 'entCoef' | 'vfCoef'>,
  statsOut: { stats?: PpoLossStats },
): tf.Scalar {
  const out = nets.policy(p, inputs.obs);
  const values = nets.value(p, inputs.obs);
  // The last step, from network outputs to the scalar loss, is one node with a closed-form gradient.
  const node = (compute: (a: Float32Array | Int32Array | Uint8Array, v: Float32Array | Int32Array | Uint8Array) => { loss: number; grads: [Float32Array, number[]][]; stats: PpoLossStats }) =>
    tf.customGrad(((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [a, v, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
      const r = compute(a.dataSync(), v.dataSync());
      statsOut.stats = r.stats;
      save(r.grads.map(([g, shape]) => tf.tensor(g, shape)));
      return { value: tf.scalar(r.loss), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => saved.map((g) => tf.mul(g, dy)) };
    }) as never) as (a: tf.Tensor, v: tf.Tensor) => tf.Scalar;

  if (!nets.d.continuous) {
    const n = nets.d.actionSize;
    return node((logits, v) => {
      const h = categoricalPpoHead(mb, logits, v, n, hp);
      return { loss: h.loss, grads: [[h.dLogits, [mb.size, n]], [h.dValues, [mb.size]]], stats: { policy: h.policy, value: h.value, entropy: -h.entropy, approxKl: h.approxKl, clipFraction: h.clipFraction } };
    })(out, values);
  }
  // Gaussian: log-densities (and the entropy bonus) through tfjs autodiff, the rest in ppoHead.
  const logStd = p.logStd as tf.Tensor;
  const logp = gaussianLogProbTf(out, logStd, inputs.actions);
  const entropyValue = gaussianEntropy(logStd.dataSync());
  let loss = node((lp, v) => {
    const h = ppoHead(mb, lp, v, hp);
    return { loss: h.loss, grads: [[h.dLogp, [mb.size]], [h.dValues, [mb.size]]], stats: { policy: h.policy, value: h.value, entropy: -entropyValue, approxKl: h.approxKl, clipFraction: h.clipFraction } };
  })(logp, values);
  if (hp.entCoef !== 0) loss = tf.sub(loss, tf.mul(gaussianEntropyTf(logStd), hp.entCoef)) as tf.Scalar;
  return loss;
}

/** Normalise advantages in place: (a - mean) / (std + 1e-8), std with Bessel's correction as torch. */
export function normalizeAdvantages(a: Float32Array): void {
  if (a.length < 2) return; // SB3 skips a minibatch of one
  let mean = 0;
  for (const v of a) mean += v;
  mean /= a.length;
  let ss = 0;
  for (const v of a) ss += (v - mean) ** 2;
  const std = Math.sqrt(ss / (a.length - 1));
  for (let i = 0; i < a.length; i++) a[i] = ((a[i] as number) - mean) / (std + 1e-8);
}

/** Train PPO; resolves to the trained policy (a `Policy`). */
export async function train(envInput: EnvInput, options: TrainOptions): Promise<TrainedPolicy> {
  checkTrainOptions(options);
  const hp = parsePpoHyperparameters(options.hyperparameters ?? {});
  const backend = await ensureBackend(options.backend);
  const { totalSteps, seed } = options;
  const rng = new Rng(seed).child('ppo');
  const sampleRng = rng.child('actions');
  const shuffleRng = rng.child('minibatches');

  // ---- environment and networks ----
  const envs = toVectorEnv(envInput, hp.numEnvs);
  const continuous = envs.singleActionSpace instanceof Box;
  const actionSize = continuous ? (envs.singleActionSpace as Box).size : (envs.singleActionSpace as Discrete).n;
  const { numEnvs, obsSize, actSpace, params, rms, policy, nets, netsTf, adam } = createLearner({
    envs,
    algorithm: 'ppo',
    network: { kind: 'actor-critic', actionSize, continuous, netArch: hp.netArch, activation: hp.activation, dueling: false },
    init: { init: hp.orthoInit ? 'orthogonal' : 'glorot', logStdInit: hp.logStdInit },
    rng,
    normalizeObservations: hp.normalizeObservations,
    adamEps: hp.adamEps,
    hyperparameters: { ...hp },
    backend,
    seed,
  });

  // ---- rollout storage: index t * numEnvs + e ----
  const T = hp.nSteps;
  const B = T * numEnvs;
  const actWidth = continuous ? actionSize : 1;
  const bufObs = new Float32Array(B * obsSize);
  const bufActions = new Float32Array(B * actWidth); // Discrete: the index; Box: the unclipped sample
  const bufLogProbs = new Float64Array(B);
  const bufRewards = new Float64Array(B);
  const bufDones = new Uint8Array(B);
  const bufValues = new Float64Array(B);
  const normObs = new Float64Array(numEnvs * obsSize);
  const finalObs = new Float64Array(obsSize);
  const tracker = new EpisodeTracker(numEnvs);

  let observations = envs.reset({ seed }).observations;
  rms?.update(observations, numEnvs);
  const numUpdates = Math.ceil(totalSteps / B);
  const start = performance.now();
  let steps = 0;
  let gradientSteps = 0;

  for (let update = 1; update <= numUpdates; update++) {
    const lr = hp.annealLr ? hp.learningRate * (1 - (update - 1) / numUpdates) : hp.learningRate;

    // ---- 1. rollout ----
    for (let t = 0; t < T; t++) {
      const x = policy.normalize(observations, numEnvs, normObs);
      for (let j = 0; j < numEnvs * obsSize; j++) bufObs[t * numEnvs * obsSize + j] = x[j] as number;
      const values = nets.value(x, numEnvs);
      for (let e = 0; e < numEnvs; e++) bufValues[t * numEnvs + e] = values[e] as number;
      const out = nets.policy(x, numEnvs);
      const actions = sampleRolloutActions(out, continuous ? nets.logStd() : null, actSpace, numEnvs, t, sampleRng, { bufActions, bufLogProbs });

      const res = envs.step(actions);
      for (let e = 0; e < numEnvs; e++) {
        const i = t * numEnvs + e;
        const terminated = res.terminated[e] === 1;
        const truncated = res.truncated[e] === 1;
        let reward = res.rewards[e] as number;
        const info = res.infos[e];
        const done = terminated || truncated;
        tracker.step(e, reward, costOf(done ? (info?.finalInfo as { cost?: unknown } | undefined) : info), done);
        if (truncated && !terminated) {
          // Time limit: the episode did not end in a terminal state, so bootstrap from V(final obs).
          const fo = info?.finalObservation as ArrayLike<number>;
          const xf = policy.normalize(fo, 1, finalObs);
          reward += hp.gamma * (nets.value(xf, 1)[0] as number);
        }
        bufRewards[i] = reward;
        bufDones[i] = done ? 1 : 0;
      }
      observations = res.observations;
      rms?.update(observations, numEnvs);
      steps += numEnvs;
    }

    // ---- 2. advantages ----
    const lastValues = Float64Array.from(nets.value(policy.normalize(observations, numEnvs, normObs), numEnvs).subarray(0, numEnvs));
    const { advantages, returns } = computeGae({
      rewards: bufRewards,
      values: bufValues,
      dones: bufDones,
      lastValues,
      numSteps: T,
      numEnvs,
      gamma: hp.gamma,
      lambda: hp.gaeLambda,
    });

    // ---- 3. optimise ----
    const order = Int32Array.from({ length: B }, (_, i) => i);
    const sums = { policy: 0, value: 0, entropy: 0, approxKl: 0, clipFraction: 0, n: 0 };
    let stop = false;
    for (let epoch = 0; epoch < hp.nEpochs && !stop; epoch++) {
      shuffleInPlace(order, shuffleRng);
      for (let s = 0; s < B; s += hp.batchSize) {
        const idx = order.subarray(s, Math.min(B, s + hp.batchSize));
        const mb = gatherMinibatch(idx, { bufObs, bufActions, bufLogProbs, bufValues, advantages, returns }, obsSize, actionSize, continuous);
        if (hp.normalizeAdvantage) normalizeAdvantages(mb.advantages);
        const { grads, stats } = lossAndGradients(netsTf, params, mb, hp);
        // SB3 checks the KL of the minibatch before stepping and stops the whole update there.
        if (hp.targetKl !== null && stats.approxKl > 1.5 * hp.targetKl) {
          stop = true;
          break;
        }
        clipGradNorm(grads, hp.maxGradNorm);
        adam.apply(params.data, grads, lr);
        gradientSteps++;
        sums.policy += stats.policy;
        sums.value += stats.value;
        sums.entropy += stats.entropy;
        sums.approxKl += stats.approxKl;
        sums.clipFraction += stats.clipFraction;
        sums.n++;
      }
    }

    policy.totalSteps = steps;
    if (options.onUpdate !== undefined) {
      const n = Math.max(sums.n, 1);
      const elapsed = (performance.now() - start) / 1000;
      const ep = tracker.summary();
      const stats: UpdateStats = {
        algorithm: 'ppo',
        update,
        steps,
        totalSteps: numUpdates * B,
        episodes: tracker.episodes,
        ...ep,
        losses: {
          policy: sums.policy / n,
          value: sums.value / n,
          entropy: sums.entropy / n,
          approxKl: sums.approxKl / n,
          clipFraction: sums.clipFraction / n,
          explainedVariance: explainedVariance(bufValues, returns),
        },
        entropy: -sums.entropy / n,
        learningRate: lr,
        explorationRate: NaN,
        gradientSteps,
        stepsPerSecond: steps / elapsed,
        elapsedSeconds: elapsed,
      };
      options.onUpdate(stats, policy);
      // Let Ctrl-C, progress bars and worker messages through during long training.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return policy;
}

/** The minibatch of rollout indices `idx` (discrete actions one-hot). */
export function gatherMinibatch(
  idx: Int32Array,
  buf: { bufObs: Float32Array; bufActions: Float32Array; bufLogProbs: Float64Array; bufValues: Float64Array; advantages: Float64Array; returns: Float64Array },
  obsSize: number,
  actionSize: number,
  continuous: boolean,
): PpoMinibatch {
  const m = idx.length;
  const mb: PpoMinibatch = {
    size: m,
    obs: new Float32Array(m * obsSize),
    actions: new Float32Array(m * actionSize),
    oldLogProbs: new Float32Array(m),
    advantages: new Float32Array(m),
    returns: new Float32Array(m),
    oldValues: new Float32Array(m),
  };
  for (let k = 0; k < m; k++) {
    const i = idx[k] as number;
    mb.obs.set(buf.bufObs.subarray(i * obsSize, (i + 1) * obsSize), k * obsSize);
    if (continuous) mb.actions.set(buf.bufActions.subarray(i * actionSize, (i + 1) * actionSize), k * actionSize);
    else mb.actions[k * actionSize + (buf.bufActions[i] as number)] = 1; // one-hot: tf.gather has no gradient on wasm
    mb.oldLogProbs[k] = buf.bufLogProbs[i] as number;
    mb.advantages[k] = buf.advantages[i] as number;
    mb.returns[k] = buf.returns[i] as number;
    mb.oldValues[k] = buf.bufValues[i] as number;
  }
  return mb;
}

/** Gradient of the PPO loss w.r.t. every parameter, as one flat array in ParamStore order. */
export function lossAndGradients(
  netsTf: NetworksTf,
  params: ParamStore,
  mb: PpoMinibatch,
  hp: Pick<PpoHyperparameters, 'clipRange' | 'clipRangeVf' | 'entCoef' | 'vfCoef'>,
): { grads: Float32Array; stats: PpoLossStats; loss: number } {
  const d = netsTf.d;
  const names = params.entries.map((e) => e.name);
  const grads = new Float32Array(params.size);
  const out: { stats?: PpoLossStats } = {};
  let loss = 0;
  tf.tidy(() => {
    const inputs = { obs: tf.tensor2d(mb.obs, [mb.size, d.obsSize]), actions: tf.tensor2d(mb.actions, [mb.size, d.actionSize]) };
    const tensors = params.toTensors();
    const { value, grads: g } = tf.valueAndGrads((...xs: tf.Tensor[]) => {
      const p: Record<string, tf.Tensor> = {};
      names.forEach((n, i) => (p[n] = xs[i] as tf.Tensor));
      return ppoLoss(netsTf, p, mb, inputs, hp, out);
    })(names.map((n) => tensors[n] as tf.Tensor));
    loss = value.dataSync()[0] as number;
    params.entries.forEach((e, i) => grads.set((g[i] as tf.Tensor).dataSync() as Float32Array, e.offset));
  });
  return { grads, loss, stats: out.stats as PpoLossStats };
}

/** 1 - Var(returns - values) / Var(returns) (SB3's explained_variance). */
function explainedVariance(values: Float64Array, returns: Float64Array): number {
  const n = values.length;
  let mr = 0;
  let md = 0;
  for (let i = 0; i < n; i++) {
    mr += returns[i] as number;
    md += (returns[i] as number) - (values[i] as number);
  }
  mr /= n;
  md /= n;
  let vr = 0;
  let vd = 0;
  for (let i = 0; i < n; i++) {
    vr += ((returns[i] as number) - mr) ** 2;
    vd += ((returns[i] as number) - (values[i] as number) - md) ** 2;
  }
  return vr === 0 ? NaN : 1 - vd / vr;
}
