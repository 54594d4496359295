/**
 * PPO-Lagrangian (Ray, Achiam & Amodei 2019, "Benchmarking Safe Exploration in Deep Reinforcement
 * Learning", OpenAI; the `ppo_lagrangian` of safety-starter-agents): PPO (agents/ppo.ts) on the
 * constrained MDP  max_pi J_R(pi)  subject to  J_C(pi) <= d,  where J_C is the expected episode sum
 * of `info.cost` and d = costLimit, solved through its Lagrangian
 *
 *   max_pi min_{lambda >= 0}  J_R(pi) - lambda (J_C(pi) - d).
 *
 *   for each update:
 *     1. collect nSteps from every env with PPO's rollout (common/on-policy.ts), which also records
 *        each step's cost and the cost value V_C(s) of a separate cost critic (an MLP like the
 *        value net)
 *     2. GAE on rewards (gamma, gaeLambda) and, separately, on costs (costGamma, costGaeLambda); a
 *        truncated episode adds costGamma * V_C(final observation) to its last cost, as PPO does
 *        for rewards
 *     3. lambda <- max(0, lambda + lagrangeLr (J_C - d)), J_C = mean cost of the episodes that
 *        finished in this rollout (projected gradient descent on lambda; no update when none did);
 *        with lagrangeKp or lagrangeKd > 0, the PID multiplier of Stooke, Achiam & Abbeel 2020
 *        ("Responsive Safety in Reinforcement Learning by PID Lagrangian Methods", ICML, Algorithm 2):
 *          I <- max(0, I + lagrangeLr (J_C - d)),  lambda = max(0, I + Kp (J_C - d) + Kd max(0, J_C - J_C,prev))
 *        The plain update is its integral term alone. Why the other two: an integral multiplier lags
 *        the cost by many rollouts both ways, rising too late to stop an over-budget policy and
 *        falling too late once it is within budget (which can push it on to no action at all); the
 *        proportional term moves lambda with the current excess at once, and the one-sided
 *        derivative term reacts to a cost that is climbing, before the excess has built up; both
 *        read the cost smoothed over rollouts (lagrangeEma), as Stooke et al. do.
 *        With lagrangeGreedyEpisodes = k > 0, J_C is instead the mean cost of k episodes of the
 *        DETERMINISTIC policy, run after the rollout on an env of their own (seeds from the run seed
 *        and the update number, so a resumed run replays them): evaluation acts deterministically,
 *        and a stochastic policy can meet the budget by mixing actions while its mode, the schedule
 *        evaluated, does not (Chemo-DePillis-v0 with the Beta policy: greedy cost 1.4-1.5 times the
 *        rollout's, docs/chemo-research-notes.md). The policy gradient still comes from the
 *        stochastic rollout and its cost advantages; only the multiplier reads the mode's cost.
 *        With lagrangeCostQuantile = q, J_C is not a mean but the q-quantile of the last
 *        lagrangeCostWindow episode costs (those episodes, rollout's or deterministic): the chance
 *        constraint P(C <= d) >= q, whose multiplier rises until a share q of the episodes is within
 *        budget. Why: where episode costs vary widely (chemotherapy patients, whose untreated
 *        tumours differ), a policy whose MEAN cost is d leaves about half of them over budget, and
 *        "within budget for 95 % of patients" is a quantile, not a mean
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
 * (same seed streams, same loss, same gradient step `ppoStep`); a test checks it. The cost critic
 * is not part of the policy checkpoint: acting needs only the policy network. The budget d is a
 * plain number (`costLimit`): the run plan resolves it from the config and the safety constraints.
 */

import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../src/core/errors.ts';
import { Adam, annealedLearningRate, clipGradNorm } from './common/adam.ts';
import { ensureBackend } from './common/backend.ts';
import { DivergenceGuard } from './common/divergence.ts';
import { pushRecent } from './common/episode-stats.ts';
import { createLearner } from './common/learner.ts';
import { MlpRunner, initMlp, mlpTf, type MlpSpec } from './common/mlp.ts';
import { LossMeans, OnPolicyRun, gather, gatherMinibatch, minibatches, onPolicyStreams, rolloutGae } from './common/on-policy.ts';
import { ParamStore, flatValueAndGrads } from './common/params.ts';
import type { TrainedPolicy } from './common/policy.ts';
import { CheckpointSchedule, StateParts } from './common/training-state.ts';
import { checkTrainOptions, toVectorEnv, type EnvInput, type TrainOptions, type UpdateStats } from './common/training.ts';
import type { Action, Env, Observation } from '../src/core/env.ts';
import { runEpisode } from '../src/core/episode.ts';
import type { Policy } from '../src/core/policy.ts';
import { Rng } from '../src/core/rng.ts';
import { mean, quantile } from '../src/core/stats.ts';
import { parsePpoLagrangianHyperparameters, type PpoLagrangianHyperparameters } from './index.ts';
import { actorCritic, normalizeAdvantages, ppoStep } from './ppo.ts';

export type { PpoLagrangianHyperparameters };

export type PpoLagrangianTrainOptions = TrainOptions & {
  /** Episode cost budget d in info.cost units (if hyperparameters.costLimit is also given, the same number). */
  costLimit: number;
};

/** Per-update statistics: PPO's, plus the multiplier and the costs (also in `losses` for CSV logs). */
export interface LagrangianUpdateStats extends UpdateStats {
  /** The multiplier used in this update (after this rollout's update). */
  lagrange: number;
  /** Total cost / environment steps since the start of training. */
  costRate: number;
  /** Mean cost of the episodes that finished in this rollout (NaN when none did). */
  rolloutEpisodeCost: number;
  /** The J_C the multiplier read: the mean (or, with lagrangeCostQuantile, the quantile over the window) of the rollout's episode costs or of the deterministic episodes' (lagrangeGreedyEpisodes). */
  multiplierCost: number;
  costLimit: number;
}

// ---- the pieces specific to the Lagrangian, as pure functions (unit-tested) ----

/** Projected gradient step on the multiplier: max(0, lambda + lr (J_C - d)). */
export function updateLagrange(lambda: number, meanEpisodeCost: number, costLimit: number, lr: number): number {
  return Math.max(0, lambda + lr * (meanEpisodeCost - costLimit));
}

/** What the PID multiplier carries from one rollout to the next. */
export interface PidMultiplierState {
  /** The integral term I (the plain multiplier when Kp = Kd = 0); starts at lagrangeInit. */
  integral: number;
  /** The smoothed J_C after the previous rollout with finished episodes; null before the first (no derivative then). */
  smoothedCost: number | null;
}

/**
 * One rollout's PID multiplier (Stooke et al. 2020, Algorithm 2). Ki = `lr`; the integral takes the
 * rollout's J_C as it is, while the proportional and derivative terms read an exponential moving
 * average of it, S <- ema S + (1 - ema) J_C, as Stooke et al.'s experiments smooth them: a rollout
 * holds only a few episodes, and Kp would pass their noise straight into the multiplier. With
 * kp = kd = 0 the multiplier is the integral, i.e. `updateLagrange`; with ema = 0, S = J_C.
 * Returns the multiplier for this update and the state to carry.
 */
export function pidLagrange(state: PidMultiplierState, meanEpisodeCost: number, costLimit: number, gains: { lr: number; kp: number; kd: number; ema: number }): { lambda: number; state: PidMultiplierState } {
  const integral = updateLagrange(state.integral, meanEpisodeCost, costLimit, gains.lr);
  const smoothed = state.smoothedCost === null ? meanEpisodeCost : gains.ema * state.smoothedCost + (1 - gains.ema) * meanEpisodeCost;
  const rising = state.smoothedCost === null ? 0 : Math.max(0, smoothed - state.smoothedCost);
  const lambda = Math.max(0, integral + gains.kp * (smoothed - costLimit) + gains.kd * rising);
  return { lambda, state: { integral, smoothedCost: smoothed } };
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

/** The seed of deterministic cost episode k of update u (lagrangeGreedyEpisodes): a stream of its own. */
export function greedyCostEpisodeSeed(runSeed: number, update: number, k: number): number {
  return new Rng(runSeed).child(`ppo-lagrangian/greedy-cost/${update}/${k}`).nextSeed();
}

/** The costs (sums of info.cost) of `episodes` deterministic episodes of `policy` on `env`. */
export function greedyEpisodeCosts(env: Env<Observation, Action>, policy: Policy<Observation, Action>, runSeed: number, update: number, episodes: number): number[] {
  const costs: number[] = [];
  for (let k = 0; k < episodes; k++) costs.push(runEpisode(env, policy, greedyCostEpisodeSeed(runSeed, update, k), { deterministic: true }).cost);
  return costs;
}

/**
 * The J_C the multiplier reads after a rollout whose finished (or deterministic) episodes cost
 * `costs`: their mean, or, with a quantile q, the q-quantile of the last `windowSize` episode costs,
 * these included (`window` is updated in place: it carries the costs from one rollout to the next,
 * since a rollout holds only a few episodes). NaN when no episode finished in this rollout (then
 * the multiplier does not move).
 */
export function multiplierCost(costs: readonly number[], window: number[], quantileQ: number | undefined, windowSize: number): number {
  if (costs.length === 0) return NaN;
  if (quantileQ === undefined) return mean(costs);
  for (const c of costs) pushRecent(window, c, windowSize);
  return quantile(window, quantileQ);
}

/** One more env like the training envs, for the deterministic cost episodes: needs a factory. */
function greedyCostEnv(input: EnvInput): Env<Observation, Action> {
  if (typeof input === 'function') return input();
  if (Array.isArray(input) && input.length > 0) return (input[0] as () => Env<Observation, Action>)();
  throw new UserError('train.hyperparameters.lagrangeGreedyEpisodes: the deterministic cost episodes need an env of their own; pass an env factory, not env instances');
}

/** The budget d: given as a number >= 0, and once (an equal hyperparameters.costLimit is fine). */
function checkCostLimit(given: unknown, hp: PpoLagrangianHyperparameters): number {
  if (given === undefined) throw new UserError('train.costLimit: ppo-lagrangian needs the episode cost budget (a number >= 0 in info.cost units per episode)');
  if (typeof given !== 'number' || !Number.isFinite(given) || given < 0) {
    throw new UserError(`train.costLimit: expected a number >= 0 (cost per episode), got ${String(given)}`);
  }
  if (hp.costLimit !== undefined && given !== hp.costLimit) {
    throw new UserError(`train.costLimit: ${given} differs from train.hyperparameters.costLimit ${hp.costLimit}; give the budget once`);
  }
  return given;
}

/** Train PPO-Lagrangian; resolves to the trained policy (a `Policy`, saved like PPO's). */
export async function train(envInput: EnvInput, options: PpoLagrangianTrainOptions): Promise<TrainedPolicy> {
  checkTrainOptions(options);
  const hp = parsePpoLagrangianHyperparameters(options.hyperparameters ?? {});
  const costLimit = checkCostLimit(options.costLimit, hp);
  const backend = await ensureBackend(options.backend);
  const { totalSteps, seed } = options;
  const { rng, sampleRng, shuffleRng } = onPolicyStreams(seed); // PPO's: with lambda fixed at 0 both train identically

  // ---- environment and networks: PPO's, plus the cost critic ----
  const envs = toVectorEnv(envInput, hp.numEnvs);
  const greedyEnv = hp.lagrangeGreedyEpisodes > 0 ? greedyCostEnv(envInput) : undefined;
  const learner = createLearner({ envs, algorithm: 'ppo-lagrangian', ...actorCritic(envs, hp), rng, hyperparameters: { ...hp, costLimit, algorithm: 'ppo-lagrangian' }, backend, seed, from: options.init });
  // The cost critic V_C: its own MLP (value-head layout and gains), parameters and optimiser.
  const costSpec: MlpSpec = { prefix: 'cvf', sizes: [learner.obsSize, ...hp.netArch, 1], activation: hp.activation, activateLast: false };
  const costParams = new ParamStore();
  initMlp(costParams, costSpec, hp.orthoInit ? { kind: 'orthogonal', hiddenGain: Math.SQRT2, outputGain: 1 } : { kind: 'glorot' }, rng.child('cost-critic'));
  const costCritic = new MlpRunner(costParams, costSpec);
  const costAdam = new Adam(costParams.size, { beta1: 0.9, beta2: 0.999, eps: hp.adamEps });
  let lambda = hp.lagrangeInit;
  let multiplier: PidMultiplierState = { integral: hp.lagrangeInit, smoothedCost: null };
  const gains = { lr: hp.lagrangeLr, kp: hp.lagrangeKp, kd: hp.lagrangeKd, ema: hp.lagrangeEma };
  const costWindow: number[] = []; // the most recent episode costs (lagrangeCostQuantile)
  const guard = new DivergenceGuard({ learningRate: hp.learningRate, rewardSource: options.rewardSource ?? `the reward of ${envs.metadata.id}` });

  // The rollouts (common/on-policy.ts) record two critics: 0 the value net, 1 the cost critic.
  const critics = [(x: ArrayLike<number>, rows: number) => learner.nets.value(x, rows), (x: ArrayLike<number>, rows: number) => costCritic.forward(x, rows)];
  const from = options.checkpoint?.from;
  const run = new OnPolicyRun({ envs, learner, critics, rng: sampleRng, guard, seed, nSteps: hp.nSteps, totalSteps, onUpdate: options.onUpdate, deliveredDose: options.deliveredDose, checkpoint: options.checkpoint, noiseHoldSteps: hp.noiseHoldSteps });
  // What a training checkpoint holds (common/training-state.ts): PPO's, plus the cost critic and the multiplier.
  let update = 1;
  const parts = run.stateParts(new StateParts().learner(learner).array('costParams', costParams.data).adam('costAdam', costAdam).rng('actions', sampleRng).rng('minibatches', shuffleRng).guard(guard));
  // 'lambda' is the integral term (the multiplier itself when Kp = Kd = 0, as checkpoints before the
  // PID terms held it); the multiplier in use is recomputed from it at the next rollout.
  parts.value('lambda', () => multiplier.integral, (v) => (lambda = multiplier.integral = v as number)).value('update', () => update, (v) => (update = (v as number) + 1));
  // The PID terms' state, only where they exist (a checkpoint from a plain run has no such value):
  // the multiplier in use (a rollout with no finished episode keeps it) and the smoothed cost.
  if (hp.lagrangeKp > 0 || hp.lagrangeKd > 0) {
    parts.value('lagrangePid', () => ({ lambda, smoothedCost: multiplier.smoothedCost }), (v) => {
      const pid = v as { lambda: number; smoothedCost: number | null };
      lambda = pid.lambda;
      multiplier.smoothedCost = pid.smoothedCost;
    });
  }
  if (hp.lagrangeCostQuantile !== undefined) parts.value('costWindow', () => [...costWindow], (v) => costWindow.splice(0, costWindow.length, ...(v as number[])));
  if (from !== undefined) parts.restore(from, 'ppo-lagrangian');
  const schedule = new CheckpointSchedule(options.checkpoint, run.steps, learner.policy);

  for (; update <= run.numUpdates; update++) {
    const lr = annealedLearningRate(hp, (update - 1) / run.numUpdates);

    // ---- 1. rollout (PPO's, with costs and cost values) ----
    const buf = run.collect();

    // ---- 2. advantages: rewards and costs ----
    const reward = rolloutGae(buf, buf.rewards, 0, hp.gamma, hp.gaeLambda, guard);
    const cost = rolloutGae(buf, buf.costs, 1, hp.costGamma, hp.costGaeLambda, guard, 'cost advantage');

    // ---- 3. the multiplier, from this rollout's finished episodes or the deterministic policy's ----
    const meanEpisodeCost = mean(buf.episodeCosts);
    const episodeCosts = greedyEnv !== undefined ? greedyEpisodeCosts(greedyEnv, learner.policy, seed, update, hp.lagrangeGreedyEpisodes) : buf.episodeCosts;
    const jc = multiplierCost(episodeCosts, costWindow, hp.lagrangeCostQuantile, hp.lagrangeCostWindow); // J_C
    if (!Number.isNaN(jc)) ({ lambda, state: multiplier } = pidLagrange(multiplier, jc, costLimit, gains));

    // ---- 4. optimise: PPO's step on the penalised advantage; the cost critic regresses the cost returns ----
    const means = new LossMeans();
    for (const idx of minibatches(buf.size, hp.batchSize, hp.nEpochs, shuffleRng)) {
      const mb = gatherMinibatch(idx, buf, reward.advantages, reward.returns);
      lagrangianAdvantages(mb.advantages, gather(idx, cost.advantages), lambda, hp.normalizeAdvantage);
      const stats = ppoStep(learner, mb, hp, lr, guard);
      if (stats === undefined) break; // approx KL above 1.5 * targetKl: this update stops here
      const critic = costCriticGradients(costParams, costSpec, mb.obs, gather(idx, cost.returns), hp.vfCoef);
      guard.value('cost critic gradient norm', clipGradNorm(critic.grads, hp.maxGradNorm));
      costAdam.apply(costParams.data, critic.grads, lr);
      guard.values('cost critic weight', costParams.data);
      run.gradientSteps++;
      means.add({ ...stats, costValue: critic.mse });
    }

    if (run.reporting) {
      const costRate = run.totalCost / run.steps;
      const losses = { ...means.of('policy', 'value', 'costValue', 'entropy', 'approxKl', 'clipFraction'), lagrange: lambda, costRate, episodeCost: meanEpisodeCost, multiplierCost: jc };
      const extra: Omit<LagrangianUpdateStats, keyof UpdateStats> = { lagrange: lambda, costRate, rolloutEpisodeCost: meanEpisodeCost, multiplierCost: jc, costLimit };
      await run.report('ppo-lagrangian', update, losses, lr, extra);
    }
    if (schedule.due(run.steps, run.numUpdates * buf.size)) await schedule.save(parts.capture('ppo-lagrangian', seed, run.steps));
  }
  greedyEnv?.close();
  return learner.policy;
}

/**
 * Gradient of the cost critic's loss vfCoef * mean (V_C(s) - R_C)^2 w.r.t. its parameters, flat in
 * ParamStore order (the same loss PPO's value net gets, without value clipping).
 */
export function costCriticGradients(store: ParamStore, spec: MlpSpec, obs: Float32Array, costReturns: Float32Array, vfCoef: number): { grads: Float32Array; mse: number } {
  let result: { loss: number; grads: Float32Array } = { loss: 0, grads: new Float32Array(0) };
  tf.tidy(() => {
    const x = tf.tensor2d(obs, [costReturns.length, spec.sizes[0] as number]);
    const target = tf.tensor1d(costReturns);
    result = flatValueAndGrads(store, (p) => {
      const v = tf.reshape(mlpTf(p, spec, x), [-1]);
      return tf.mul(tf.mean(tf.square(tf.sub(v, target))), vfCoef) as tf.Scalar;
    });
  });
  return { grads: result.grads, mse: vfCoef === 0 ? NaN : result.loss / vfCoef };
}
