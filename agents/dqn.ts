/**
 * Deep Q-Networks (Mnih et al. 2015, "Human-level control through deep reinforcement learning",
 * Nature 518) with double-Q targets (van Hasselt et al. 2016, AAAI) and an optional dueling head
 * (Wang et al. 2016, ICML), in one file that reads top to bottom like CleanRL's dqn.py, with
 * Stable-Baselines3's defaults and schedule (hyperparameters: agents/index.ts):
 *
 *   every env step: epsilon-greedy action (uniformly random before learningStarts), store the
 *     transition in the replay buffer (the next observation of an ended episode is its final
 *     observation, and only `terminated` is stored, so a time-limit truncation still bootstraps);
 *     with nStep = n > 1 the stored transition is (s_t, a_t, sum_{k<m} gamma^k r_{t+k}, s_{t+m}),
 *     m = n or fewer at an episode end (common/replay.ts NStepWriter);
 *     every targetUpdateInterval steps: target <- tau * online + (1 - tau) * target
 *   every trainFreq steps after learningStarts: gradientSteps times
 *     y = r + gamma^m * (1 - terminated) * Q_target(s', argmax_a Q_online(s', a))   (m = 1 one-step)
 *     minimise Huber(Q_online(s, a), y); clip the global grad norm; Adam
 *
 * Discrete action spaces only. Parameters live in one flat Float32Array; tfjs computes gradients.
 * A reward, loss, gradient or weight that is not finite stops training with its likely cause
 * (common/divergence.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../src/core/errors.ts';
import { Rng } from '../src/core/rng.ts';
import { Discrete } from '../src/core/spaces.ts';
import { annealedLearningRate, clipGradNorm } from './common/adam.ts';
import { ensureBackend } from './common/backend.ts';
import { argmax } from './common/distributions.ts';
import { DivergenceGuard } from './common/divergence.ts';
import { createLearner } from './common/learner.ts';
import type { NetworksTf } from './common/networks.ts';
import { flatValueAndGrads, type ParamStore } from './common/params.ts';
import type { TrainedPolicy } from './common/policy.ts';
import { OffPolicyRun } from './common/off-policy.ts';
import { normalizeBatch, type ReplayBatch } from './common/replay.ts';
import { CheckpointSchedule, StateParts } from './common/training-state.ts';
import { checkTrainOptions, toVectorEnv, type EnvInput, type TrainOptions } from './common/training.ts';
import { parseDqnHyperparameters, type DqnHyperparameters } from './index.ts';

export type { DqnHyperparameters };

/** SB3's linear schedule: from initial to final over the first `fraction` of training, then final. */
export function epsilonAt(progress: number, hp: Pick<DqnHyperparameters, 'explorationFraction' | 'explorationInitialEps' | 'explorationFinalEps'>): number {
  if (hp.explorationFraction === 0 || progress >= hp.explorationFraction) return hp.explorationFinalEps;
  return hp.explorationInitialEps + (progress / hp.explorationFraction) * (hp.explorationFinalEps - hp.explorationInitialEps);
}

/**
 * TD targets y = r + discount * (1 - terminated) * Q_target(s', a*), with a* = argmax Q_online(s', .)
 * (double DQN) or argmax Q_target(s', .) (plain DQN when `qNextOnline` is null). [B] tensors,
 * [B, n] Q-values; `discount` is gamma, or [B] values gamma^m for n-step transitions. Exported for
 * the unit tests.
 */
export function dqnTargets(rewards: tf.Tensor, terminated: tf.Tensor, qNextTarget: tf.Tensor, qNextOnline: tf.Tensor | null, discount: number | tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const n = qNextTarget.shape[1] as number;
    const best = tf.argMax(qNextOnline ?? qNextTarget, 1);
    const nextQ = tf.sum(tf.mul(qNextTarget, oneHotFloat(best, n)), 1);
    return tf.add(rewards, tf.mul(tf.mul(tf.sub(1, terminated), discount), nextQ));
  });
}

/**
 * A float32 one-hot mask. Not `tf.oneHot(..., 'float32')`: on the wasm backend (tfjs 4.22) that
 * writes the int32 bit pattern (1 reads back as 1.4e-45), so build int32 and cast.
 */
function oneHotFloat(indices: tf.Tensor, n: number): tf.Tensor {
  return tf.cast(tf.oneHot(indices as tf.Tensor1D, n), 'float32');
}

/** Train DQN; resolves to the trained policy (a `Policy`, greedy when deterministic). */
export async function train(envInput: EnvInput, options: TrainOptions): Promise<TrainedPolicy> {
  checkTrainOptions(options);
  const hp = parseDqnHyperparameters(options.hyperparameters ?? {});
  const backend = await ensureBackend(options.backend);
  const { totalSteps, seed } = options;
  const rng = new Rng(seed).child('dqn');
  const exploreRng = rng.child('explore');
  const replayRng = rng.child('replay');

  // ---- environment and networks ----
  const envs = toVectorEnv(envInput, hp.numEnvs);
  const actSpace = envs.singleActionSpace;
  if (!(actSpace instanceof Discrete)) {
    throw new UserError(`DQN: ${envs.metadata.id} has action space ${actSpace.toString()}; DQN needs a Discrete action space (use ppo or sac for Box actions)`);
  }
  const nActions = actSpace.n;
  const { numEnvs, obsSize, params, rms, policy, nets, netsTf, adam } = createLearner({
    envs,
    algorithm: 'dqn',
    network: { kind: 'q', actionSize: nActions, continuous: false, netArch: hp.netArch, activation: hp.activation, dueling: hp.dueling, distribution: 'epsilon-greedy' },
    init: { init: hp.init },
    rng,
    normalizeObservations: hp.normalizeObservations,
    adamEps: hp.adamEps,
    hyperparameters: { ...hp },
    backend,
    seed,
    from: options.init,
  });
  const target = params.clone();
  const guard = new DivergenceGuard({ learningRate: hp.learningRate, rewardSource: options.rewardSource ?? `the reward of ${envs.metadata.id}` });
  // The replay, episode statistics and schedule (common/off-policy.ts).
  const run = new OffPolicyRun({ envs, learner: { numEnvs, obsSize, rms, policy }, guard, seed, totalSteps, bufferSize: hp.bufferSize, actionSize: 1, nStep: { n: hp.nStep, gamma: hp.gamma }, options });
  let lossSum = 0;
  let lossCount = 0;
  let epsilon = hp.explorationInitialEps;
  const targetEvery = Math.max(Math.floor(hp.targetUpdateInterval / numEnvs), 1);
  // What a training checkpoint holds (common/training-state.ts); a resumed run goes on from it.
  const parts = run.stateParts(new StateParts().learner({ params, adam, rms }).array('target', target.data).rng('explore', exploreRng).rng('replay', replayRng).guard(guard));
  parts.value('losses', () => [lossSum, lossCount], (v) => ([lossSum, lossCount] = v as [number, number]));
  if (options.checkpoint?.from !== undefined) parts.restore(options.checkpoint.from, 'dqn');
  const schedule = new CheckpointSchedule(options.checkpoint, run.steps, policy);
  let targetTensors = target.toTensors();

  try {
    while (run.steps < totalSteps) {
      // ---- act: random before learningStarts, then epsilon-greedy on the online network ----
      epsilon = epsilonAt(run.steps / totalSteps, hp);
      const actions: number[] = [];
      const random = run.steps < hp.learningStarts;
      // The greedy actions also feed training.csv's action_mean (no random draw).
      const q = random && !run.reporting ? null : nets.q(run.normalizedObservations(), numEnvs);
      if (q !== null) run.recordDeterministic(q);
      for (let e = 0; e < numEnvs; e++) {
        if (random || exploreRng.uniform() < epsilon) actions.push(exploreRng.int(nActions));
        else actions.push(argmax(q as Float64Array, e * nActions, nActions));
      }

      // ---- step and store ----
      run.step(actions, actions);

      // ---- target network ----
      if (run.calls % targetEvery === 0) {
        const t = target.data;
        const o = params.data;
        for (let i = 0; i < t.length; i++) t[i] = hp.tau * (o[i] as number) + (1 - hp.tau) * (t[i] as number);
        tf.dispose(Object.values(targetTensors));
        targetTensors = target.toTensors();
      }

      // ---- learn ----
      const learningRate = annealedLearningRate(hp, run.steps / totalSteps);
      if (run.learns(hp)) {
        for (let g = 0; g < hp.gradientSteps; g++) {
          const batch = run.replay.sample(hp.batchSize, replayRng);
          if (rms !== null) normalizeBatch(policy, batch);
          const { grads, loss } = qLossAndGradients(netsTf, params, targetTensors, batch, hp);
          guard.value('loss', loss);
          guard.value('gradient norm', clipGradNorm(grads, hp.maxGradNorm));
          adam.apply(params.data, grads, learningRate);
          guard.values('weight', params.data);
          run.gradientSteps++;
          lossSum += loss;
          lossCount++;
        }
      }

      const fields = { algorithm: 'dqn', losses: { q: lossCount > 0 ? lossSum / lossCount : NaN }, entropy: NaN, learningRate, explorationRate: epsilon };
      if (await run.maybeReport(fields)) {
        lossSum = 0;
        lossCount = 0;
      }
      if (schedule.due(run.steps, totalSteps)) await schedule.save(parts.capture('dqn', seed, run.steps));
    }
  } finally {
    tf.dispose(Object.values(targetTensors));
  }
  policy.totalSteps = run.steps;
  return policy;
}

/**
 * The Huber TD loss in closed form on the JS side (SB3: smooth_l1_loss, delta 1, mean over the batch):
 *   d_i = Q(s_i, a_i) - y_i;  L = mean_i huber(d_i);  dL/dQ(s_i, a) = [a = a_i] clamp(d_i, -1, 1) / B
 * Same value and gradient as common/losses.ts's huberLoss on the gathered Q-values (a unit test
 * checks it against tfjs autodiff), as one tape node instead of ~12 taped kernels.
 */
export function dqnHead(q: ArrayLike<number>, actions: ArrayLike<number>, targets: ArrayLike<number>, nActions: number): { loss: number; dq: Float32Array } {
  const b = actions.length;
  const dq = new Float32Array(b * nActions);
  let loss = 0;
  for (let i = 0; i < b; i++) {
    const a = actions[i] as number;
    const d = (q[i * nActions + a] as number) - (targets[i] as number);
    const ad = Math.abs(d);
    loss += ad <= 1 ? 0.5 * d * d : ad - 0.5;
    dq[i * nActions + a] = Math.max(-1, Math.min(1, d)) / b;
  }
  return { loss: loss / b, dq };
}

/** Huber TD loss of one batch and its gradient as one flat array in ParamStore order. */
export function qLossAndGradients(
  netsTf: NetworksTf,
  params: ParamStore,
  targetTensors: Record<string, tf.Tensor>,
  batch: ReplayBatch,
  hp: Pick<DqnHyperparameters, 'gamma' | 'doubleQ' | 'nStep'>,
): { grads: Float32Array; loss: number } {
  const d = netsTf.d;
  let result: { loss: number; grads: Float32Array } = { loss: 0, grads: new Float32Array(0) };
  tf.tidy(() => {
    const m = batch.size;
    const obs = tf.tensor2d(batch.obs, [m, d.obsSize]);
    const nextObs = tf.tensor2d(batch.nextObs, [m, d.obsSize]);
    const online = params.toTensors();
    // Targets are computed outside the gradient closure: no gradient flows into them.
    const y = dqnTargets(
      tf.tensor1d(batch.rewards),
      tf.tensor1d(batch.terminated),
      netsTf.q(targetTensors, nextObs),
      hp.doubleQ ? netsTf.q(online, nextObs) : null,
      hp.nStep === 1 ? hp.gamma : tf.tensor1d(Float32Array.from(batch.steps, (m) => hp.gamma ** m)),
    ).dataSync();
    const head = tf.customGrad(((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [q, save] = args as [tf.Tensor, tf.GradSaveFunc];
      const h = dqnHead(q.dataSync(), batch.actions, y, d.actionSize);
      save([tf.tensor2d(h.dq, [m, d.actionSize])]);
      return { value: tf.scalar(h.loss), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(saved[0] as tf.Tensor, dy) };
    }) as never) as (q: tf.Tensor) => tf.Scalar;
    result = flatValueAndGrads(params, (p) => head(netsTf.q(p, obs)), online);
  });
  return result;
}
