/**
 * PPO-Lagrangian (Ray, Achiam & Amodei 2019, "Benchmarking Safe Exploration in Deep Reinforcement
 * Learning", OpenAI; the `ppo_lagrangian` of safety-starter-agents): PPO (agents/ppo.ts) on the
 * constrained MDP  max_pi J_R(pi)  subject to  J_C(pi) <= d,  where J_C is the expected episode sum
 * of `info.cost` and d = costLimit, solved through its Lagrangian
 *
 *   max_pi min_{lambda >= 0}  J_R(pi) - lambda (J_C(pi) - d).
 *
 *   for each update:
 *     1. collect nSteps from every env, exactly as PPO, also recording each step's cost and the
 *        cost value V_C(s) of a separate cost critic (an MLP like the value net); a truncated
 *        episode adds costGamma * V_C(final observation) to its last cost, as PPO does for rewards
 *     2. GAE on rewards (gamma, gaeLambda) and, separately, on costs (costGamma, costGaeLambda)
 *     3. lambda <- max(0, lambda + lagrangeLr (J_C - d)), J_C = mean cost of the episodes that
 *        finished in this rollout (projected gradient descent on lambda; no update when none did)
 *     4. PPO's epochs of minibatches with the advantage  (A_R - lambda A_C) / (1 + lambda)
 *        (A_R normalised, A_C centred per minibatch, as safety-starter-agents); the (1 + lambda)
 *        keeps the step size bounded as lambda grows. The cost critic regresses the cost returns
 *        with its own Adam (same learning rate, gradient clip and vfCoef as the value net).
 *
 * What to expect: when the unconstrained optimum breaks the budget, the fixed point of this
 * min-max has J_C = d, so the TRAINING cost of the stochastic policy settles around the budget
 * (oscillating a little as lambda overshoots), while lambda settles at a positive value; the
 * deterministic policy used in evaluation is then usually on the safe side (envs/toy/risky-path.ts:
 * training cost ~1 = d, greedy cost 0). lagrangeLr is per rollout: the default 0.05 suits long runs
 * (hundreds of rollouts); a run of a few dozen rollouts needs a larger one (the CI test uses 0.3)
 * or lambda rises too late, after the policy has stopped exploring the safe alternative.
 *
 * With lagrangeInit = lagrangeLr = 0 the policy and value networks train bit for bit as PPO's
 * (same seed streams, same loss); a test checks it. The cost critic is not part of the policy
 * checkpoint: acting needs only the policy network.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { parseWithSchema } from '../src/core/validate.ts';
import type { Action, Env, Observation } from '../src/core/env.ts';
import { UserError } from '../src/core/errors.ts';
import { Rng } from '../src/core/rng.ts';
import { Box, Discrete } from '../src/core/spaces.ts';
import { SyncVectorEnv } from '../src/core/vector.ts';
import { Wrapper } from '../src/core/wrappers.ts';
import { ConstraintCost, costRate } from '../src/safety/constraints.ts';
import { Adam, clipGradNorm } from './common/adam.ts';
import { ensureBackend } from './common/backend.ts';
import { EpisodeTracker, costOf } from './common/episode-stats.ts';
import { computeGae } from './common/gae.ts';
import { HYPERPARAMETER_PREFIX, ppoSchema } from './common/hyperparameters.ts';
import { MlpRunner, initMlp, mlpTf, type MlpSpec } from './common/mlp.ts';
import { ParamStore } from './common/params.ts';
import type { TrainedPolicy } from './common/policy.ts';
import { sampleRolloutActions } from './common/rollout.ts';
import { checkTrainOptions, shuffleInPlace, toVectorEnv, type EnvInput, type TrainOptions, type UpdateStats } from './common/training.ts';
import { gatherMinibatch, lossAndGradients, normalizeAdvantages } from './ppo.ts';
import { createLearner } from './common/learner.ts';

// ---- hyperparameters: PPO's plus the constraint's ----

const unitInterval = () => z.number({ error: 'expected a number in [0, 1]' }).min(0, { error: 'expected a number in [0, 1]' }).max(1, { error: 'expected a number in [0, 1]' });
const nonNegative = (what: string) => z.number({ error: `expected ${what}` }).min(0, { error: `expected ${what}` }).finite({ error: `expected ${what}` });

export const ppoLagrangianSchema = ppoSchema.extend({
  /** Episode cost budget d, in the units of info.cost per episode (also `TrainOptions.costLimit`). */
  costLimit: nonNegative('a number >= 0 (cost per episode)').optional(),
  /** Initial Lagrange multiplier. */
  lagrangeInit: nonNegative('a number >= 0').default(0),
  /** Step size of the multiplier's update per rollout (per unit of episode cost above the limit). */
  lagrangeLr: nonNegative('a number >= 0').default(0.05),
  /** Discount of the cost returns. */
  costGamma: unitInterval().default(0.99),
  /** GAE lambda of the cost advantages. */
  costGaeLambda: unitInterval().default(0.95),
});

export type PpoLagrangianHyperparameters = z.infer<typeof ppoLagrangianSchema>;

export function parsePpoLagrangianHyperparameters(raw: unknown = {}, prefix = HYPERPARAMETER_PREFIX): PpoLagrangianHyperparameters {
  return parseWithSchema(ppoLagrangianSchema, raw ?? {}, prefix);
}

export type PpoLagrangianTrainOptions = TrainOptions & {
  /** Episode cost budget d (overrides nothing: give it here or as hyperparameters.costLimit, not both differently). */
  costLimit?: number;
};

/** Per-update statistics: PPO's, plus the multiplier and the costs (also in `losses` for CSV logs). */
export interface LagrangianUpdateStats extends UpdateStats {
  /** The multiplier used in this update (after this rollout's update). */
  lagrange: number;
  /** Total cost / environment steps since the start of training. */
  costRate: number;
  /** Mean cost of the episodes that finished in this rollout (NaN when none did): J_C. */
  rolloutEpisodeCost: number;
  costLimit: number;
}

// ---- the pieces specific to the Lagrangian, as pure functions (unit-tested) ----

/** Projected gradient step on the multiplier: max(0, lambda + lr (J_C - d)). */
export function updateLagrange(lambda: number, meanEpisodeCost: number, costLimit: number, lr: number): number {
  return Math.max(0, lambda + lr * (meanEpisodeCost - costLimit));
}

/**
 * The policy's advantage for a minibatch, in place in `reward`: (A_R - lambda A_C) / (1 + lambda),
 * with A_R normalised and A_C centred first when `normalize` (safety-starter-agents centres but does
 * not rescale the cost advantage, so lambda keeps the meaning "reward per unit of cost").
 */
export function lagrangianAdvantages(reward: Float32Array, cost: Float32Array, lambda: number, normalize: boolean): Float32Array {
  if (normalize) {
    normalizeAdvantages(reward);
    if (cost.length >= 2) {
      let mean = 0;
      for (const c of cost) mean += c;
      mean /= cost.length;
      for (let i = 0; i < cost.length; i++) cost[i] = (cost[i] as number) - mean;
    }
  }
  for (let i = 0; i < reward.length; i++) reward[i] = ((reward[i] as number) - lambda * (cost[i] as number)) / (1 + lambda);
  return reward;
}

/** One rollout's costs, laid out like PPO's buffers (index t * numEnvs + e). */
export interface CostRollout {
  /** info.cost of each step (of the ended step's info after an autoreset). */
  costs: ArrayLike<number>;
  /** V_C(s_t) from the cost critic. */
  costValues: ArrayLike<number>;
  terminated: ArrayLike<number>;
  truncated: ArrayLike<number>;
  /** V_C(final observation) where the step was truncated (read only there). */
  finalCostValues: ArrayLike<number>;
  /** V_C(s_T) after the rollout's last step, per env. */
  lastCostValues: ArrayLike<number>;
  numSteps: number;
  numEnvs: number;
  costGamma: number;
  costGaeLambda: number;
}

/**
 * GAE(lambda) on costs, as PPO's on rewards: a terminated episode's cost-to-go is 0 after its last
 * step; a truncated one (time limit) adds costGamma * V_C(final observation) to its last cost, then
 * both cut the recursion at the episode boundary (common/gae.ts).
 */
export function costGae(r: CostRollout): { advantages: Float64Array; returns: Float64Array } {
  const n = r.numSteps * r.numEnvs;
  const rewards = new Float64Array(n);
  const dones = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const terminated = r.terminated[i] === 1;
    const truncated = r.truncated[i] === 1;
    rewards[i] = (r.costs[i] as number) + (truncated && !terminated ? r.costGamma * (r.finalCostValues[i] as number) : 0);
    dones[i] = terminated || truncated ? 1 : 0;
  }
  return computeGae({
    rewards,
    values: r.costValues,
    dones,
    lastValues: r.lastCostValues,
    numSteps: r.numSteps,
    numEnvs: r.numEnvs,
    gamma: r.costGamma,
    lambda: r.costGaeLambda,
  });
}

/** The budget of a ConstraintCost wrapper anywhere in `env`'s wrapper chain, if there is one. */
export function constraintBudgetOf(env: Env<Observation, Action>): number | undefined {
  let e: Env<Observation, Action> = env;
  for (;;) {
    if (e instanceof ConstraintCost) return e.totalBudget;
    if (!(e instanceof Wrapper)) return undefined;
    e = e.env;
  }
}

/** d from the options, else the hyperparameters, else the env's ConstraintCost budget. */
function resolveCostLimit(options: PpoLagrangianTrainOptions, hp: PpoLagrangianHyperparameters, env: Env<Observation, Action> | undefined): number {
  const given = options.costLimit;
  if (given !== undefined && (typeof given !== 'number' || !Number.isFinite(given) || given < 0)) {
    throw new UserError(`train.costLimit: expected a number >= 0 (cost per episode), got ${String(given)}`);
  }
  if (given !== undefined && hp.costLimit !== undefined && given !== hp.costLimit) {
    throw new UserError(`train.costLimit: ${given} differs from train.hyperparameters.costLimit ${hp.costLimit}; give the budget once`);
  }
  const limit = given ?? hp.costLimit ?? (env === undefined ? undefined : constraintBudgetOf(env));
  if (limit === undefined) {
    throw new UserError('train.costLimit: ppo-lagrangian needs the episode cost budget (a number >= 0 in info.cost units), or an env wrapped in ConstraintCost');
  }
  return limit;
}

/** Train PPO-Lagrangian; resolves to the trained policy (a `Policy`, saved like PPO's). */
export async function train(envInput: EnvInput, options: PpoLagrangianTrainOptions): Promise<TrainedPolicy> {
  checkTrainOptions(options);
  const hp = parsePpoLagrangianHyperparameters(options.hyperparameters ?? {});
  const backend = await ensureBackend(options.backend);
  const { totalSteps, seed } = options;
  // The same stream names as PPO: with lambda fixed at 0 both train identically.
  const rng = new Rng(seed).child('ppo');
  const sampleRng = rng.child('actions');
  const shuffleRng = rng.child('minibatches');

  // ---- environment and networks ----
  const envs = toVectorEnv(envInput, hp.numEnvs);
  // The budget can be read off a ConstraintCost wrapper of a SyncVectorEnv's envs; other vector envs need it given.
  const costLimit = resolveCostLimit(options, hp, envs instanceof SyncVectorEnv ? envs.envs[0] : undefined);
  const continuous = envs.singleActionSpace instanceof Box;
  const actionSize = continuous ? (envs.singleActionSpace as Box).size : (envs.singleActionSpace as Discrete).n;
  const { numEnvs, obsSize, actSpace, params, rms, policy, nets, netsTf, adam } = createLearner({
    envs,
    algorithm: 'ppo-lagrangian',
    network: { kind: 'actor-critic', actionSize, continuous, netArch: hp.netArch, activation: hp.activation, dueling: false },
    init: { init: hp.orthoInit ? 'orthogonal' : 'glorot', logStdInit: hp.logStdInit },
    rng,
    normalizeObservations: hp.normalizeObservations,
    adamEps: hp.adamEps,
    hyperparameters: { ...hp, costLimit, algorithm: 'ppo-lagrangian' },
    backend,
    seed,
  });

  // The cost critic V_C: its own MLP (value-head layout and gains), parameters and optimiser.
  const costSpec: MlpSpec = { prefix: 'cvf', sizes: [obsSize, ...hp.netArch, 1], activation: hp.activation, activateLast: false };
  const costParams = new ParamStore();
  initMlp(costParams, costSpec, hp.orthoInit ? { kind: 'orthogonal', hiddenGain: Math.SQRT2, outputGain: 1 } : { kind: 'glorot' }, rng.child('cost-critic'));
  const costCritic = new MlpRunner(costParams, costSpec);
  const costAdam = new Adam(costParams.size, { beta1: 0.9, beta2: 0.999, eps: hp.adamEps });
  let lambda = hp.lagrangeInit;

  // ---- rollout storage: index t * numEnvs + e ----
  const T = hp.nSteps;
  const B = T * numEnvs;
  const actWidth = continuous ? actionSize : 1;
  const bufObs = new Float32Array(B * obsSize);
  const bufActions = new Float32Array(B * actWidth);
  const bufLogProbs = new Float64Array(B);
  const bufRewards = new Float64Array(B);
  const bufCosts = new Float64Array(B); // info.cost as observed
  const bufDones = new Uint8Array(B);
  const bufTerminated = new Uint8Array(B);
  const bufTruncated = new Uint8Array(B);
  const bufFinalCostValues = new Float64Array(B);
  const bufValues = new Float64Array(B);
  const bufCostValues = new Float64Array(B);
  const normObs = new Float64Array(numEnvs * obsSize);
  const finalObs = new Float64Array(obsSize);
  const tracker = new EpisodeTracker(numEnvs);
  const episodeCost = new Float64Array(numEnvs); // running cost of each env's current episode

  let observations = envs.reset({ seed }).observations;
  rms?.update(observations, numEnvs);
  const numUpdates = Math.ceil(totalSteps / B);
  const start = performance.now();
  let steps = 0;
  let gradientSteps = 0;
  let totalCost = 0;

  for (let update = 1; update <= numUpdates; update++) {
    const lr = hp.annealLr ? hp.learningRate * (1 - (update - 1) / numUpdates) : hp.learningRate;
    const finishedCosts: number[] = [];

    // ---- 1. rollout (PPO's, plus costs and cost values) ----
    for (let t = 0; t < T; t++) {
      const x = policy.normalize(observations, numEnvs, normObs);
      for (let j = 0; j < numEnvs * obsSize; j++) bufObs[t * numEnvs * obsSize + j] = x[j] as number;
      const values = nets.value(x, numEnvs);
      for (let e = 0; e < numEnvs; e++) bufValues[t * numEnvs + e] = values[e] as number;
      const costValues = costCritic.forward(x, numEnvs);
      for (let e = 0; e < numEnvs; e++) bufCostValues[t * numEnvs + e] = costValues[e] as number;
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
        // After an autoreset, infos[e] is the new episode's; the ended step's cost is in finalInfo.
        const cost = costOf(done ? (info?.finalInfo as { cost?: unknown } | undefined) : info);
        tracker.step(e, reward, cost, done);
        totalCost += cost;
        episodeCost[e] = (episodeCost[e] as number) + cost;
        if (done) {
          finishedCosts.push(episodeCost[e] as number);
          episodeCost[e] = 0;
        }
        if (truncated && !terminated) {
          // Time limit: bootstrap both the value and the cost value from the final observation.
          const fo = info?.finalObservation as ArrayLike<number>;
          const xf = policy.normalize(fo, 1, finalObs);
          reward += hp.gamma * (nets.value(xf, 1)[0] as number);
          bufFinalCostValues[i] = costCritic.forward(xf, 1)[0] as number; // costGae adds costGamma x this
        }
        bufRewards[i] = reward;
        bufCosts[i] = cost;
        bufDones[i] = done ? 1 : 0;
        bufTerminated[i] = terminated ? 1 : 0;
        bufTruncated[i] = truncated ? 1 : 0;
      }
      observations = res.observations;
      rms?.update(observations, numEnvs);
      steps += numEnvs;
    }

    // ---- 2. advantages: rewards and costs ----
    const xLast = policy.normalize(observations, numEnvs, normObs);
    const lastValues = Float64Array.from(nets.value(xLast, numEnvs).subarray(0, numEnvs));
    const lastCostValues = Float64Array.from(costCritic.forward(xLast, numEnvs).subarray(0, numEnvs));
    const { advantages, returns } = computeGae({ rewards: bufRewards, values: bufValues, dones: bufDones, lastValues, numSteps: T, numEnvs, gamma: hp.gamma, lambda: hp.gaeLambda });
    const cost = costGae({
      costs: bufCosts,
      costValues: bufCostValues,
      terminated: bufTerminated,
      truncated: bufTruncated,
      finalCostValues: bufFinalCostValues,
      lastCostValues,
      numSteps: T,
      numEnvs,
      costGamma: hp.costGamma,
      costGaeLambda: hp.costGaeLambda,
    });

    // ---- 3. the multiplier, from this rollout's finished episodes ----
    const meanEpisodeCost = finishedCosts.length === 0 ? NaN : finishedCosts.reduce((a, b) => a + b, 0) / finishedCosts.length;
    if (finishedCosts.length > 0) lambda = updateLagrange(lambda, meanEpisodeCost, costLimit, hp.lagrangeLr);

    // ---- 4. optimise ----
    const order = Int32Array.from({ length: B }, (_, i) => i);
    const sums = { policy: 0, value: 0, costValue: 0, entropy: 0, approxKl: 0, clipFraction: 0, n: 0 };
    let stop = false;
    for (let epoch = 0; epoch < hp.nEpochs && !stop; epoch++) {
      shuffleInPlace(order, shuffleRng);
      for (let s = 0; s < B; s += hp.batchSize) {
        const idx = order.subarray(s, Math.min(B, s + hp.batchSize));
        const mb = gatherMinibatch(idx, { bufObs, bufActions, bufLogProbs, bufValues, advantages, returns }, obsSize, actionSize, continuous);
        const costAdvantages = gather(idx, cost.advantages);
        lagrangianAdvantages(mb.advantages, costAdvantages, lambda, hp.normalizeAdvantage);
        const { grads, stats } = lossAndGradients(netsTf, params, mb, hp);
        if (hp.targetKl !== null && stats.approxKl > 1.5 * hp.targetKl) {
          stop = true;
          break;
        }
        clipGradNorm(grads, hp.maxGradNorm);
        adam.apply(params.data, grads, lr);
        const critic = costCriticGradients(costParams, costSpec, mb.obs, gather(idx, cost.returns), hp.vfCoef);
        clipGradNorm(critic.grads, hp.maxGradNorm);
        costAdam.apply(costParams.data, critic.grads, lr);
        gradientSteps++;
        sums.policy += stats.policy;
        sums.value += stats.value;
        sums.costValue += critic.mse;
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
      const rate = costRate(totalCost, steps);
      const stats: LagrangianUpdateStats = {
        algorithm: 'ppo-lagrangian',
        update,
        steps,
        totalSteps: numUpdates * B,
        episodes: tracker.episodes,
        ...tracker.summary(),
        losses: {
          policy: sums.policy / n,
          value: sums.value / n,
          costValue: sums.costValue / n,
          entropy: sums.entropy / n,
          approxKl: sums.approxKl / n,
          clipFraction: sums.clipFraction / n,
          lagrange: lambda,
          costRate: rate,
          episodeCost: meanEpisodeCost,
        },
        entropy: -sums.entropy / n,
        learningRate: lr,
        explorationRate: NaN,
        gradientSteps,
        stepsPerSecond: steps / elapsed,
        elapsedSeconds: elapsed,
        lagrange: lambda,
        costRate: rate,
        rolloutEpisodeCost: meanEpisodeCost,
        costLimit,
      };
      options.onUpdate(stats, policy);
      // Let Ctrl-C, progress bars and worker messages through during long training.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return policy;
}

function gather(idx: Int32Array, source: Float64Array): Float32Array {
  const out = new Float32Array(idx.length);
  for (let k = 0; k < idx.length; k++) out[k] = source[idx[k] as number] as number;
  return out;
}

/**
 * Gradient of the cost critic's loss vfCoef * mean (V_C(s) - R_C)^2 w.r.t. its parameters, flat in
 * ParamStore order (the same loss PPO's value net gets, without value clipping).
 */
export function costCriticGradients(store: ParamStore, spec: MlpSpec, obs: Float32Array, costReturns: Float32Array, vfCoef: number): { grads: Float32Array; mse: number } {
  const names = store.entries.map((e) => e.name);
  const grads = new Float32Array(store.size);
  let loss = 0;
  tf.tidy(() => {
    const x = tf.tensor2d(obs, [costReturns.length, spec.sizes[0] as number]);
    const target = tf.tensor1d(costReturns);
    const tensors = store.toTensors();
    const { value, grads: g } = tf.valueAndGrads((...xs: tf.Tensor[]) => {
      const p: Record<string, tf.Tensor> = {};
      names.forEach((n, i) => (p[n] = xs[i] as tf.Tensor));
      const v = tf.reshape(mlpTf(p, spec, x), [-1]);
      return tf.mul(tf.mean(tf.square(tf.sub(v, target))), vfCoef) as tf.Scalar;
    })(names.map((n) => tensors[n] as tf.Tensor));
    loss = value.dataSync()[0] as number;
    store.entries.forEach((e, i) => grads.set((g[i] as tf.Tensor).dataSync() as Float32Array, e.offset));
  });
  return { grads, mse: vfCoef === 0 ? NaN : loss / vfCoef };
}
