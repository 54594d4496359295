/**
 * Proximal Policy Optimization (Schulman et al. 2017, "Proximal Policy Optimization Algorithms",
 * arXiv:1707.06347) with GAE(lambda) (Schulman et al. 2016), in one file that reads top to bottom
 * like CleanRL's ppo.py, with Stable-Baselines3's defaults and loss (hyperparameters: agents/index.ts).
 *
 *   for each update:
 *     1. collect nSteps from every env of the vector env, acting in one batch through the
 *        typed-array copy of the networks (categorical for Discrete, Beta for Box)
 *     2. GAE advantages and returns; a truncated episode adds gamma * V(final observation) to its
 *        last reward (SB3's bootstrap)
 *     3. nEpochs passes of shuffled minibatches: clipped surrogate + value loss (optionally
 *        clipped) - entropy bonus; advantages normalised per minibatch; global grad-norm clip; Adam;
 *        stop early when approx KL > 1.5 * targetKl
 *
 * Steps 1 and 2 and the minibatch loop are the on-policy core PPO-Lagrangian shares
 * (common/on-policy.ts); the loss and the gradient step (`ppoStep`) are PPO's own, here.
 * Parameters live in one flat Float32Array (common/params.ts); tfjs computes the gradient of the
 * loss, Adam runs on the flat array. All randomness comes from the run's seed via `Rng`. A reward,
 * advantage, loss, gradient or weight that is not finite stops training with its likely cause
 * (common/divergence.ts).
 *
 * Box actions (hyperparameter `distribution`). Evaluation acts deterministically, so the action it
 * takes must be the mode of the distribution that was trained; otherwise a policy whose samples
 * deliver a dose can act with another one (SB3's clipped Gaussian: a mean below the lower bound
 * delivers insulin through its clipped samples and none at all deterministically).
 * - 'beta' (default): per action dimension Beta(alpha, beta) with alpha, beta = 1 + softplus(network
 *   outputs) > 1 (Chou, Maturana & Scherer 2017, "Improving stochastic policy gradients in continuous
 *   control with deep reinforcement learning using the Beta distribution", ICML), mapped affinely
 *   from [0, 1] onto the Box: its support is the Box, so no sample is ever clipped; it has exactly one
 *   mode, (alpha - 1) / (alpha + beta - 2), the deterministic action; its log-density and entropy
 *   and their gradients are closed-form (`betaPpoHead`). The initial policy (outputs ~0, policy head
 *   gain 0.01) is Beta(1.69, 1.69): centred in the Box with a standard deviation of 0.24 x its width.
 *   Its entropy (the bonus, training.csv's entropy) is that of the Beta on [0, 1]: -0.08 nats at the
 *   start, 0 for the uniform; the entropy in the action's units adds log(high - low) per dimension.
 *   Why not the squashed Gaussian (SAC's): its usual deterministic action tanh(mu) is the median,
 *   not the mode; the mode solves u = mu + 2 sigma^2 tanh(u), and once sigma^2 > 1/2 (PPO starts at
 *   sigma = 1) the density is bimodal with both modes near the bounds (at mu = 0, sigma = 1: +-0.96
 *   of the half-width); and its entropy has no closed form (SB3 estimates it from samples).
 * - 'beta-mode': the same Beta parametrised by its mode and a concentration (alpha = 1 + k m,
 *   beta = 1 + k (1 - m), m = sigmoid, k = 2 softplus of the two outputs; Kruschke 2015), so the
 *   deterministic action is the mode the update moves. Why: with 'beta' a policy can keep beta near 1
 *   (where softplus and its gradient are small), so that its mode stays near the upper bound while
 *   its mean and samples move down (a chemotherapy PPO-Lagrangian policy: Beta(2.6, 1.1), mean 0.70,
 *   mode 0.93; docs/chemo-research-notes.md); evaluation then acts with a schedule training did not
 *   shape. Same initial policy, Beta(1.69, 1.69). Not the default: every shipped result uses 'beta'.
 * - 'gaussian-clip': SB3's diagonal Gaussian with a state-independent log std (`logStdInit`), each
 *   sample clipped to the Box before it reaches the env, its log-density that of the unclipped
 *   sample, and the deterministic action the clipped mean (DoseGym's distribution before the Beta,
 *   for ablations). Works with unbounded Boxes, which the Beta cannot map.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Box, Discrete } from '../src/core/spaces.ts';
import type { VectorEnv } from '../src/core/vector.ts';
import { annealedLearningRate, clipGradNorm } from './common/adam.ts';
import { ensureBackend } from './common/backend.ts';
import { UserError } from '../src/core/errors.ts';
import { betaConcentrations, betaLogProb, betaEntropy, digamma, gaussianEntropy, gaussianEntropyTf, gaussianLogProbTf, isBetaDistribution, trigamma } from './common/distributions.ts';
import { DivergenceGuard } from './common/divergence.ts';
import { createLearner, type Learner, type LearnerOptions } from './common/learner.ts';
import type { NetworksTf, PolicyDistribution } from './common/networks.ts';
import { LossMeans, OnPolicyRun, gatherMinibatch, minibatches, onPolicyStreams, rolloutGae, type Minibatch } from './common/on-policy.ts';
import { flatValueAndGrads, type ParamStore } from './common/params.ts';
import type { TrainedPolicy } from './common/policy.ts';
import { checkTrainOptions, toVectorEnv, type EnvInput, type TrainOptions } from './common/training.ts';
import { CheckpointSchedule, StateParts } from './common/training-state.ts';
import { parsePpoHyperparameters, type PpoHyperparameters } from './index.ts';

export type { PpoHyperparameters };

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
export function ppoHead(mb: Minibatch, logp: ArrayLike<number>, values: ArrayLike<number>, hp: Pick<PpoHyperparameters, 'clipRange' | 'clipRangeVf' | 'vfCoef'>) {
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
export function categoricalPpoHead(mb: Minibatch, logits: ArrayLike<number>, values: ArrayLike<number>, nActions: number, hp: Pick<PpoHyperparameters, 'clipRange' | 'clipRangeVf' | 'vfCoef' | 'entCoef'>) {
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
 * `ppoHead` for the Beta policy, taking the network outputs z [B x 2d] (columns z1_1..z1_d,
 * z2_1..z2_d: the concentrations' pre-activations for 'beta', the mode's and the concentration's for
 * 'beta-mode'; distributions.ts `betaConcentrations`) and the minibatch's draws x in (0, 1) [B x d],
 * and including the entropy bonus -entCoef * mean_i H_i (the whole loss in one node):
 *   logp_i = sum_j (a - 1) log x + (b - 1) log(1 - x) - log B(a, b)
 *   H_i    = sum_j log B(a, b) - (a - 1) psi(a) - (b - 1) psi(b) + (a + b - 2) psi(a + b)
 *   dlogp/da = log x - psi(a) + psi(a + b);      dlogp/db = log(1 - x) - psi(b) + psi(a + b)
 *   dH/da = (a + b - 2) psi'(a + b) - (a - 1) psi'(a);  dH/db likewise
 *   dL/dz1 = dL/da da/dz1 + dL/db db/dz1, and likewise for z2
 * A unit test checks it against tfjs autodiff for both parametrisations.
 */
export function betaPpoHead(mb: Minibatch, out: ArrayLike<number>, values: ArrayLike<number>, d: number, hp: Pick<PpoHyperparameters, 'clipRange' | 'clipRangeVf' | 'vfCoef' | 'entCoef'>, distribution: 'beta' | 'beta-mode' = 'beta') {
  const n = mb.size;
  const logp = new Float64Array(n);
  let meanEntropy = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const { a, b } = betaConcentrations(distribution, out[i * 2 * d + j] as number, out[i * 2 * d + d + j] as number);
      logp[i] = (logp[i] as number) + betaLogProb(a, b, mb.actions[i * d + j] as number);
      meanEntropy += betaEntropy(a, b) / n;
    }
  }
  const head = ppoHead(mb, logp, values, hp);
  const dOut = new Float32Array(n * 2 * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const c = betaConcentrations(distribution, out[i * 2 * d + j] as number, out[i * 2 * d + d + j] as number);
      const { a, b } = c;
      const x = mb.actions[i * d + j] as number;
      const psiAb = digamma(a + b);
      const triAb = (a + b - 2) * trigamma(a + b);
      const dLogp = head.dLogp[i] as number;
      const dEntropy = -hp.entCoef / n;
      const dA = dLogp * (Math.log(x) - digamma(a) + psiAb) + dEntropy * (triAb - (a - 1) * trigamma(a)); // dL/da
      const dB = dLogp * (Math.log1p(-x) - digamma(b) + psiAb) + dEntropy * (triAb - (b - 1) * trigamma(b)); // dL/db
      dOut[i * 2 * d + j] = dA * c.da1 + dB * c.db1;
      dOut[i * 2 * d + d + j] = dA * c.da2 + dB * c.db2;
    }
  }
  return { ...head, loss: head.loss - hp.entCoef * meanEntropy, dOut, entropy: meanEntropy };
}

/**
 * The PPO loss of one minibatch as SB3 computes it, policy_loss + vfCoef * value_loss
 * - entCoef * entropy, as a differentiable function of the parameters `p`: the networks go through
 * tfjs autodiff; the step from their outputs to the loss is one node with the closed-form gradient
 * of `categoricalPpoHead` (Discrete), `betaPpoHead` (Beta) or `ppoHead` after a tfjs Gaussian
 * log-density ('gaussian-clip').
 */
export function ppoLoss(
  nets: NetworksTf,
  p: Record<string, tf.Tensor>,
  mb: Minibatch,
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

  if (nets.d.distribution === 'categorical') {
    const n = nets.d.actionSize;
    return node((logits, v) => {
      const h = categoricalPpoHead(mb, logits, v, n, hp);
      return { loss: h.loss, grads: [[h.dLogits, [mb.size, n]], [h.dValues, [mb.size]]], stats: { policy: h.policy, value: h.value, entropy: -h.entropy, approxKl: h.approxKl, clipFraction: h.clipFraction } };
    })(out, values);
  }
  const distribution = nets.d.distribution;
  if (isBetaDistribution(distribution)) {
    const d = nets.d.actionSize;
    return node((z, v) => {
      const h = betaPpoHead(mb, z, v, d, hp, distribution);
      return { loss: h.loss, grads: [[h.dOut, [mb.size, 2 * d]], [h.dValues, [mb.size]]], stats: { policy: h.policy, value: h.value, entropy: -h.entropy, approxKl: h.approxKl, clipFraction: h.clipFraction } };
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
  const { rng, sampleRng, shuffleRng } = onPolicyStreams(seed);

  // ---- environment and networks ----
  const envs = toVectorEnv(envInput, hp.numEnvs);
  const learner = createLearner({ envs, algorithm: 'ppo', ...actorCritic(envs, hp), rng, hyperparameters: { ...hp }, backend, seed, from: options.init });
  const guard = new DivergenceGuard({ learningRate: hp.learningRate, rewardSource: options.rewardSource ?? `the reward of ${envs.metadata.id}` });
  // The rollouts (common/on-policy.ts), with the value net as their one critic.
  const critic = (x: ArrayLike<number>, rows: number) => learner.nets.value(x, rows);
  const from = options.checkpoint?.from;
  const run = new OnPolicyRun({ envs, learner, critics: [critic], rng: sampleRng, guard, seed, nSteps: hp.nSteps, totalSteps, onUpdate: options.onUpdate, deliveredDose: options.deliveredDose, checkpoint: options.checkpoint, noiseHoldSteps: hp.noiseHoldSteps });
  // What a training checkpoint holds (common/training-state.ts), and where a resumed run goes on.
  let update = 1;
  const parts = run.stateParts(new StateParts().learner(learner).rng('actions', sampleRng).rng('minibatches', shuffleRng).guard(guard));
  parts.value('update', () => update, (v) => (update = (v as number) + 1));
  if (from !== undefined) parts.restore(from, 'ppo');
  const schedule = new CheckpointSchedule(options.checkpoint, run.steps, learner.policy);

  for (; update <= run.numUpdates; update++) {
    const lr = annealedLearningRate(hp, (update - 1) / run.numUpdates);

    // ---- 1. rollout ----
    const buf = run.collect();

    // ---- 2. advantages ----
    const { advantages, returns } = rolloutGae(buf, buf.rewards, 0, hp.gamma, hp.gaeLambda, guard);

    // ---- 3. optimise ----
    const means = new LossMeans();
    for (const idx of minibatches(buf.size, hp.batchSize, hp.nEpochs, shuffleRng)) {
      const mb = gatherMinibatch(idx, buf, advantages, returns);
      if (hp.normalizeAdvantage) normalizeAdvantages(mb.advantages);
      const stats = ppoStep(learner, mb, hp, lr, guard);
      if (stats === undefined) break; // approx KL above 1.5 * targetKl: this update stops here
      run.gradientSteps++;
      means.add({ ...stats });
    }

    if (run.reporting) {
      const losses = { ...means.of('policy', 'value', 'entropy', 'approxKl', 'clipFraction'), explainedVariance: explainedVariance(buf.values[0] as Float64Array, returns) };
      await run.report('ppo', update, losses, lr);
    }
    if (schedule.due(run.steps, run.numUpdates * buf.size)) await schedule.save(parts.capture('ppo', seed, run.steps));
  }
  return learner.policy;
}

/**
 * The actor-critic network and optimiser settings of PPO's `createLearner` (shared with
 * PPO-Lagrangian). A Beta needs a bounded Box to map its [0, 1] onto.
 */
export function actorCritic(envs: VectorEnv, hp: PpoHyperparameters): Pick<LearnerOptions, 'network' | 'init' | 'normalizeObservations' | 'adamEps'> {
  const space = envs.singleActionSpace;
  const continuous = space instanceof Box;
  const distribution: PolicyDistribution = continuous ? hp.distribution : 'categorical';
  if (isBetaDistribution(distribution) && ![...(space as Box).low, ...(space as Box).high].every(Number.isFinite)) {
    throw new UserError(
      `train.hyperparameters.distribution: '${distribution}' maps [0, 1] onto the action space, but ${envs.metadata.id} has the unbounded ${space.toString()}; use distribution: gaussian-clip`,
    );
  }
  return {
    network: { kind: 'actor-critic', actionSize: continuous ? space.size : (space as Discrete).n, continuous, netArch: hp.netArch, activation: hp.activation, dueling: false, distribution },
    init: { init: hp.orthoInit ? 'orthogonal' : 'glorot', logStdInit: hp.logStdInit },
    normalizeObservations: hp.normalizeObservations,
    adamEps: hp.adamEps,
  };
}

/**
 * One PPO gradient step on a minibatch: loss and gradient, then (unless the minibatch's approx KL
 * exceeds 1.5 * targetKl: SB3 checks before stepping and stops the whole update, signalled by
 * `undefined`) the global grad-norm clip and Adam. A non-finite loss, gradient or weight stops
 * training with its likely cause.
 */
export function ppoStep(learner: Pick<Learner, 'netsTf' | 'params' | 'adam'>, mb: Minibatch, hp: PpoHyperparameters, lr: number, guard: DivergenceGuard): PpoLossStats | undefined {
  const { grads, stats, loss } = lossAndGradients(learner.netsTf, learner.params, mb, hp);
  guard.value('loss', loss);
  if (hp.targetKl !== null && stats.approxKl > 1.5 * hp.targetKl) return undefined;
  guard.value('gradient norm', clipGradNorm(grads, hp.maxGradNorm));
  learner.adam.apply(learner.params.data, grads, lr);
  guard.values('weight', learner.params.data);
  return stats;
}

/** Gradient of the PPO loss w.r.t. every parameter, as one flat array in ParamStore order. */
export function lossAndGradients(
  netsTf: NetworksTf,
  params: ParamStore,
  mb: Minibatch,
  hp: Pick<PpoHyperparameters, 'clipRange' | 'clipRangeVf' | 'entCoef' | 'vfCoef'>,
): { grads: Float32Array; stats: PpoLossStats; loss: number } {
  const d = netsTf.d;
  const out: { stats?: PpoLossStats } = {};
  let result: { loss: number; grads: Float32Array } = { loss: 0, grads: new Float32Array(0) };
  tf.tidy(() => {
    const inputs = { obs: tf.tensor2d(mb.obs, [mb.size, d.obsSize]), actions: tf.tensor2d(mb.actions, [mb.size, d.actionSize]) };
    result = flatValueAndGrads(params, (p) => ppoLoss(netsTf, p, mb, inputs, hp, out));
  });
  return { ...result, stats: out.stats as PpoLossStats };
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
