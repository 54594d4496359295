/**
 * Soft Actor-Critic (Haarnoja et al. 2018, "Soft Actor-Critic Algorithms and Applications",
 * arXiv:1812.05905): a squashed Gaussian actor, twin Q critics with Polyak-averaged targets and
 * automatic entropy temperature tuning, in one file that reads top to bottom like CleanRL's
 * sac_continuous_action.py, with Stable-Baselines3's loss and schedule (hyperparameters:
 * agents/index.ts):
 *
 *   every env step: y ~ pi(.|s) = tanh(mu(s) + sigma(s) eps) (uniform in [-1, 1] before
 *     learningStarts); the env receives y mapped affinely onto its Box; store (s, y, r, s',
 *     terminated) in the replay buffer (the next observation of an ended episode is its final
 *     observation, and only `terminated` is stored, so a time-limit truncation still bootstraps)
 *   every trainFreq steps after learningStarts: gradientSteps times, on a uniform batch
 *     1. critics: y' ~ pi(.|s'),  target = r + gamma (1 - terminated) (min_k Q'_k(s', y') - alpha log pi(y'|s'))
 *        minimise sum_k mean (Q_k(s, y) - target)^2                                  (paper eq. 5)
 *     2. actor: y~ = tanh(mu(s) + sigma(s) eps) (reparameterised),
 *        minimise mean (alpha log pi(y~|s) - min_k Q_k(s, y~))                        (eq. 7, 9)
 *     3. temperature (entCoef 'auto'): log alpha descends -log alpha (log pi(y~|s) + targetEntropy),
 *        targetEntropy = -|A| by default                                             (eq. 18; SB3's log-alpha form)
 *     4. targets: Q'_k <- tau Q_k + (1 - tau) Q'_k
 *
 * The policy's log-density (appendix C): log pi(y|s) = sum_j log N(u_j; mu_j, sigma_j) - log(1 - y_j^2),
 * u = mu + sigma eps, y = tanh(u), with log sigma = -5 + 3.5 (tanh(z) + 1) of the network output z
 * (CleanRL's bounds). The critics and the replay buffer see y in [-1, 1] (SB3 does the same), so
 * their inputs have the same scale whatever the Box. The deterministic action is tanh(mu(s)), as
 * in the paper's evaluation and in CleanRL and SB3 (the median of the squashed Gaussian; by the
 * time SAC has learned, sigma is small and it is close to the mode).
 *
 * Order within a gradient step: SB3 updates alpha first, CleanRL last; here the critics, then the
 * actor, then alpha from the actor step's log pi, all with the alpha of the step's start. The actor
 * is updated at every gradient step (SB3; CleanRL delays it by 2 and repeats it).
 *
 * Throughput, and the defaults. The wasm backend runs one thread with ~10-20 us of overhead per
 * kernel; a gradient step here is ~250 kernels (five MLP passes forward, three backward: actor,
 * two critics, two target critics), so small networks are overhead-bound and large ones
 * arithmetic-bound. The losses' last steps (the squashing, the critics' MSE, the actor's objective)
 * are single tape nodes with closed-form gradients (checked against tfjs autodiff in
 * test/agents-sac.test.ts), and the critics inside the actor's loss compute no weight gradients.
 * Measured env steps per CPU-second on Pendulum-v1 with one gradient step per env step
 * (bench/sac.ts, two runs on the 2-core machine under heavy load; BENCHMARKS.md has the table):
 * SB3's [256, 256] x batch 256: 13-16; [128, 128] x 128: 53-61; [64, 64] x 256: 83-106;
 * [64, 64] x 128: 110-135; [64, 64] x 64: 145-214; [64, 64] x 128 with a gradient step every 2 / 4
 * env steps (trainFreq): 250-300 / 470-640. T1D-v0 at the defaults: 110 (the env costs little).
 * A T1D config's 30 minutes with 3 seeds on 2 workers leave each seed about 14 minutes of one
 * core: about 12,000 steps at SB3's sizes, too few; about 100,000 at the defaults, [64, 64] x 128
 * with one gradient step per env step (SAC's usual ratio); trainFreq 2 or 4 trades sample
 * efficiency for about 2 or 4 times as many steps.
 *
 * Acting needs only the actor: it is the policy's network (kind 'actor', distribution
 * 'squashed-gaussian') and the checkpoint; the critics, their targets and alpha live here. Parameters
 * live in flat Float32Arrays with Adam on them; tfjs computes gradients. A reward, loss or weight
 * that is not finite stops training with its likely cause (common/divergence.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Action } from '../src/core/env.ts';
import { UserError } from '../src/core/errors.ts';
import { Rng } from '../src/core/rng.ts';
import { Box } from '../src/core/spaces.ts';
import { Adam } from './common/adam.ts';
import { ensureBackend } from './common/backend.ts';
import { logOneMinusTanhSquared, sigmoid, squashedLogStd, SQUASHED_LOG_STD_MAX, SQUASHED_LOG_STD_MIN } from './common/distributions.ts';
import { DivergenceGuard } from './common/divergence.ts';
import { createLearner } from './common/learner.ts';
import { initMlp, mlpTf, type MlpSpec } from './common/mlp.ts';
import type { NetworksTf } from './common/networks.ts';
import { ParamStore, flatValueAndGrads } from './common/params.ts';
import { clipToBox, type TrainedPolicy } from './common/policy.ts';
import { OffPolicyRun } from './common/off-policy.ts';
import { normalizeBatch, type ReplayBatch } from './common/replay.ts';
import { CheckpointSchedule, StateParts } from './common/training-state.ts';
import { checkTrainOptions, toVectorEnv, type EnvInput, type TrainOptions } from './common/training.ts';
import { parseSacHyperparameters, type SacHyperparameters } from './index.ts';

export type { SacHyperparameters };

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

// ---- the squashed Gaussian, one tape node ----

/**
 * Reparameterised samples of the squashed Gaussian for a batch, in closed form: from the actor's
 * outputs `out` [B x 2d] (means, then log-std pre-activations z) and standard normal noise `eps`
 * [B x d] to y = tanh(mu + sigma eps) [B x d] and log pi(y|s) [B]:
 *   log sigma = MIN + (MAX - MIN) sigmoid(2 z);  u = mu + sigma eps
 *   log pi = sum_j -eps^2 / 2 - log sigma - log(2 pi) / 2 - log(1 - tanh(u)^2)
 * and, given upstream gradients gy [B x d] and gl [B], the gradient w.r.t. the outputs:
 *   d/dmu = gy (1 - y^2) + gl 2 y;   d/dlog sigma = gy (1 - y^2) sigma eps + gl (2 y sigma eps - 1)
 *   d log sigma / dz = (MAX - MIN) 2 sigmoid(2 z) (1 - sigmoid(2 z))
 * (eps is the noise, a constant: d(u - mu)/sigma = 0 under reparameterisation).
 */
export function squashedSample(out: ArrayLike<number>, eps: ArrayLike<number>, rows: number, d: number) {
  const y = new Float32Array(rows * d);
  const logp = new Float32Array(rows);
  const sigmaEps = new Float64Array(rows * d);
  for (let i = 0; i < rows; i++) {
    let lp = 0;
    for (let j = 0; j < d; j++) {
      const logStd = squashedLogStd(out[i * 2 * d + d + j] as number);
      const e = eps[i * d + j] as number;
      const se = Math.exp(logStd) * e;
      const u = (out[i * 2 * d + j] as number) + se;
      y[i * d + j] = Math.tanh(u);
      sigmaEps[i * d + j] = se;
      lp += -0.5 * e * e - logStd - HALF_LOG_2PI - logOneMinusTanhSquared(u);
    }
    logp[i] = lp;
  }
  /** d(loss)/d(out) from d(loss)/dy and d(loss)/dlogp. */
  const backward = (gy: ArrayLike<number>, gl: ArrayLike<number>): Float32Array => {
    const dOut = new Float32Array(rows * 2 * d);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < d; j++) {
        const k = i * d + j;
        const yk = y[k] as number;
        const se = sigmaEps[k] as number;
        const dy = 1 - yk * yk;
        const g = gy[k] as number;
        const l = gl[i] as number;
        const s = sigmoid(2 * (out[i * 2 * d + d + j] as number));
        dOut[i * 2 * d + j] = g * dy + l * 2 * yk;
        dOut[i * 2 * d + d + j] = (g * dy * se + l * (2 * yk * se - 1)) * (SQUASHED_LOG_STD_MAX - SQUASHED_LOG_STD_MIN) * 2 * s * (1 - s);
      }
    }
    return dOut;
  };
  return { y, logp, backward };
}

/** `squashedSample` as a differentiable tfjs node: out [B, 2d] -> [B, d + 1] (columns y_1..y_d, log pi). */
function squashedSampleTf(out: tf.Tensor, eps: Float32Array, d: number): { y: tf.Tensor; logp: tf.Tensor } {
  const rows = out.shape[0] as number;
  const node = tf.customGrad(((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [o] = args as [tf.Tensor];
    const s = squashedSample(o.dataSync(), eps, rows, d);
    const value = tf.concat([tf.tensor2d(s.y, [rows, d]), tf.tensor2d(s.logp, [rows, 1])], 1);
    const gradFunc = (dy: tf.Tensor) => {
      const g = dy.dataSync();
      const gy = new Float32Array(rows * d);
      const gl = new Float32Array(rows);
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < d; j++) gy[i * d + j] = g[i * (d + 1) + j] as number;
        gl[i] = g[i * (d + 1) + d] as number;
      }
      return tf.tensor2d(s.backward(gy, gl), [rows, 2 * d]);
    };
    return { value, gradFunc };
  }) as never) as (o: tf.Tensor) => tf.Tensor;
  const both = node(out);
  return { y: tf.slice(both, [0, 0], [rows, d]), logp: tf.reshape(tf.slice(both, [0, d], [rows, 1]), [-1]) };
}

// ---- the twin critics ----

/** The two critics' MLP layouts: Q_k(s, y) from [observation, y] to one value (CleanRL's SoftQNetwork). */
function criticSpecs(obsSize: number, d: number, hp: Pick<SacHyperparameters, 'netArch' | 'activation'>): [MlpSpec, MlpSpec] {
  const spec = (prefix: string): MlpSpec => ({ prefix, sizes: [obsSize + d, ...hp.netArch, 1], activation: hp.activation, activateLast: false });
  return [spec('qf1'), spec('qf2')];
}

/**
 * Q_k(s, y) [B] for observations [B, obsSize] and actions y [B, d]: differentiable w.r.t. the
 * critic's parameters, or (`towardsAction`, in the actor's loss) w.r.t. y only.
 */
function qValuesTf(p: Record<string, tf.Tensor>, spec: MlpSpec, obs: tf.Tensor, y: tf.Tensor, towardsAction = false): tf.Tensor {
  return tf.reshape(mlpTf(p, spec, tf.concat([obs, y], 1), towardsAction, !towardsAction), [-1]);
}

// ---- the losses' last steps, one tape node each ----

/**
 * The critics' loss sum_k mean_i (q_k,i - target_i)^2 (CleanRL's qf1_loss + qf2_loss) in closed
 * form: dL/dq_k,i = 2 (q_k,i - target_i) / B.
 */
export function criticHead(q1: ArrayLike<number>, q2: ArrayLike<number>, target: ArrayLike<number>) {
  const b = target.length;
  const dq1 = new Float32Array(b);
  const dq2 = new Float32Array(b);
  let loss1 = 0;
  let loss2 = 0;
  for (let i = 0; i < b; i++) {
    const e1 = (q1[i] as number) - (target[i] as number);
    const e2 = (q2[i] as number) - (target[i] as number);
    loss1 += e1 * e1;
    loss2 += e2 * e2;
    dq1[i] = (2 * e1) / b;
    dq2[i] = (2 * e2) / b;
  }
  return { loss: (loss1 + loss2) / b, dq1, dq2 };
}

/**
 * The actor's loss mean_i (alpha logp_i - min(q1_i, q2_i)) in closed form:
 * dL/dlogp_i = alpha / B; dL/dq_k,i = -1 / B for the smaller of the two (q1 on a tie), else 0.
 */
export function actorHead(logp: ArrayLike<number>, q1: ArrayLike<number>, q2: ArrayLike<number>, alpha: number) {
  const b = logp.length;
  const dLogp = new Float32Array(b).fill(alpha / b);
  const dq1 = new Float32Array(b);
  const dq2 = new Float32Array(b);
  let loss = 0;
  let meanLogp = 0;
  for (let i = 0; i < b; i++) {
    const a = q1[i] as number;
    const c = q2[i] as number;
    loss += alpha * (logp[i] as number) - Math.min(a, c);
    meanLogp += (logp[i] as number) / b;
    if (a <= c) dq1[i] = -1 / b;
    else dq2[i] = -1 / b;
  }
  return { loss: loss / b, dLogp, dq1, dq2, meanLogp };
}

/** A scalar loss node over [B] tensors whose value and gradients `compute` returns in closed form. */
function headNode(inputs: tf.Tensor[], compute: (values: Float32Array[]) => { loss: number; grads: Float32Array[] }): tf.Scalar {
  return tf.customGrad(((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const xs = args.slice(0, inputs.length) as tf.Tensor[];
    const r = compute(xs.map((x) => x.dataSync() as Float32Array));
    return { value: tf.scalar(r.loss), gradFunc: (dy: tf.Tensor) => r.grads.map((g, k) => tf.mul(tf.tensor(g, (xs[k] as tf.Tensor).shape), dy)) };
  }) as never)(...inputs) as tf.Scalar;
}

/** The temperature's gradient d/dlog alpha of -log alpha (mean log pi + targetEntropy) (SB3's ent_coef_loss). */
export function temperatureGradient(meanLogp: number, targetEntropy: number): number {
  return -(meanLogp + targetEntropy);
}

// ---- one gradient step ----

interface SacState {
  hp: SacHyperparameters;
  d: number;
  obsSize: number;
  actor: ParamStore;
  actorTf: NetworksTf;
  actorAdam: Adam;
  critics: ParamStore;
  criticTarget: ParamStore;
  criticAdam: Adam;
  specs: [MlpSpec, MlpSpec];
  /** log alpha, updated by its own Adam when entCoef is 'auto'. */
  logAlpha: Float32Array;
  alphaAdam: Adam;
  targetEntropy: number;
  noiseRng: Rng;
  guard: DivergenceGuard;
}

export interface SacStepStats {
  /** sum_k mean (Q_k - target)^2 / 2: the mean squared error of one critic. */
  critic: number;
  actor: number;
  /** -mean log pi of the actor step's samples (an estimate of the policy entropy, nats). */
  entropy: number;
  alpha: number;
}

const normals = (n: number, rng: Rng) => Float32Array.from({ length: n }, () => rng.normal());

/** Steps 1-4 of the header on one batch (observations already normalised when the policy normalises). */
export function sacStep(st: SacState, batch: ReplayBatch): SacStepStats {
  const { hp, d, obsSize, specs, guard } = st;
  const b = batch.size;
  const alpha = Math.exp(st.logAlpha[0] as number);
  const epsNext = normals(b * d, st.noiseRng);
  const eps = normals(b * d, st.noiseRng);
  let stats: SacStepStats = { critic: 0, actor: 0, entropy: 0, alpha };
  tf.tidy(() => {
    const obs = tf.tensor2d(batch.obs, [b, obsSize]);
    const nextObs = tf.tensor2d(batch.nextObs, [b, obsSize]);
    const actorT = st.actor.toTensors();
    const targetT = st.criticTarget.toTensors();

    // ---- 1. critics ----
    const next = squashedSample(st.actorTf.policy(actorT, nextObs).dataSync(), epsNext, b, d);
    const nextY = tf.tensor2d(next.y, [b, d]);
    const q1Next = qValuesTf(targetT, specs[0], nextObs, nextY).dataSync();
    const q2Next = qValuesTf(targetT, specs[1], nextObs, nextY).dataSync();
    const target = new Float32Array(b);
    for (let i = 0; i < b; i++) {
      const soft = Math.min(q1Next[i] as number, q2Next[i] as number) - alpha * (next.logp[i] as number);
      target[i] = (batch.rewards[i] as number) + hp.gamma * (1 - (batch.terminated[i] as number)) * soft;
    }
    const actions = tf.tensor2d(batch.actions, [b, d]);
    const critic = flatValueAndGrads(st.critics, (p) =>
      headNode([qValuesTf(p, specs[0], obs, actions), qValuesTf(p, specs[1], obs, actions)], ([q1, q2]) => {
        const h = criticHead(q1 as Float32Array, q2 as Float32Array, target);
        return { loss: h.loss, grads: [h.dq1, h.dq2] };
      }),
    );
    guard.value('critic loss', critic.loss);
    st.criticAdam.apply(st.critics.data, critic.grads, hp.learningRate);
    guard.values('critic weight', st.critics.data);

    // ---- 2. actor, against the updated critics ----
    const criticT = st.critics.toTensors();
    let meanLogp = 0;
    const actor = flatValueAndGrads(
      st.actor,
      (p) => {
        const s = squashedSampleTf(st.actorTf.policy(p, obs), eps, d);
        return headNode([s.logp, qValuesTf(criticT, specs[0], obs, s.y, true), qValuesTf(criticT, specs[1], obs, s.y, true)], ([logp, q1, q2]) => {
          const h = actorHead(logp as Float32Array, q1 as Float32Array, q2 as Float32Array, alpha);
          meanLogp = h.meanLogp;
          return { loss: h.loss, grads: [h.dLogp, h.dq1, h.dq2] };
        });
      },
      actorT,
    );
    guard.value('actor loss', actor.loss);
    st.actorAdam.apply(st.actor.data, actor.grads, hp.learningRate);
    guard.values('actor weight', st.actor.data);

    // ---- 3. temperature ----
    if (hp.entCoef === 'auto') {
      st.alphaAdam.apply(st.logAlpha, Float32Array.of(temperatureGradient(meanLogp, st.targetEntropy)), hp.learningRate);
      guard.value('entropy temperature log alpha', st.logAlpha[0] as number);
    }
    stats = { critic: critic.loss / 2, actor: actor.loss, entropy: -meanLogp, alpha };
  });

  // ---- 4. target critics ----
  const t = st.criticTarget.data;
  const o = st.critics.data;
  for (let i = 0; i < t.length; i++) t[i] = hp.tau * (o[i] as number) + (1 - hp.tau) * (t[i] as number);
  return stats;
}

// ---- training ----

/** Train SAC; resolves to the trained policy (the actor: deterministic = tanh of the mean). */
export async function train(envInput: EnvInput, options: TrainOptions): Promise<TrainedPolicy> {
  checkTrainOptions(options);
  const hp = parseSacHyperparameters(options.hyperparameters ?? {});
  const backend = await ensureBackend(options.backend);
  const { totalSteps, seed } = options;
  const rng = new Rng(seed).child('sac');
  const actRng = rng.child('actions');
  const replayRng = rng.child('replay');

  // ---- environment and networks ----
  const envs = toVectorEnv(envInput, hp.numEnvs);
  const space = envs.singleActionSpace;
  if (!(space instanceof Box)) {
    throw new UserError(`SAC: ${envs.metadata.id} has action space ${space.toString()}; SAC needs a Box action space (use ppo or dqn for Discrete actions)`);
  }
  if (![...space.low, ...space.high].every(Number.isFinite)) {
    throw new UserError(`SAC: ${envs.metadata.id} has the unbounded action space ${space.toString()}; SAC squashes its actions onto a bounded Box`);
  }
  const d = space.size;
  const learner = createLearner({
    envs,
    algorithm: 'sac',
    network: { kind: 'actor', actionSize: d, continuous: true, netArch: hp.netArch, activation: hp.activation, dueling: false, distribution: 'squashed-gaussian' },
    init: { init: 'torch' }, // PyTorch's nn.Linear default, as CleanRL and SB3
    rng,
    normalizeObservations: hp.normalizeObservations,
    adamEps: hp.adamEps,
    hyperparameters: { ...hp },
    backend,
    seed,
    from: options.init,
  });
  const { numEnvs, obsSize, rms, policy, nets } = learner;
  const specs = criticSpecs(obsSize, d, hp);
  const critics = new ParamStore();
  for (const spec of specs) initMlp(critics, spec, { kind: 'torch' }, rng.child('init').child(spec.prefix));
  const guard = new DivergenceGuard({ learningRate: hp.learningRate, rewardSource: options.rewardSource ?? `the reward of ${envs.metadata.id}` });
  const st: SacState = {
    hp,
    d,
    obsSize,
    actor: learner.params,
    actorTf: learner.netsTf,
    actorAdam: learner.adam,
    critics,
    criticTarget: critics.clone(),
    criticAdam: new Adam(critics.size, { beta1: 0.9, beta2: 0.999, eps: hp.adamEps }),
    specs,
    logAlpha: Float32Array.of(Math.log(hp.entCoef === 'auto' ? hp.entCoefInit : hp.entCoef)),
    alphaAdam: new Adam(1, { beta1: 0.9, beta2: 0.999, eps: hp.adamEps }),
    targetEntropy: hp.targetEntropy === 'auto' ? -d : hp.targetEntropy,
    noiseRng: rng.child('noise'),
    guard,
  };
  // The replay, episode statistics and schedule (common/off-policy.ts); the replay keeps y in [-1, 1].
  const run = new OffPolicyRun({ envs, learner: { numEnvs, obsSize, rms, policy }, guard, seed, totalSteps, bufferSize: hp.bufferSize, actionSize: d, options });
  const sums = { critic: 0, actor: 0, entropy: 0, n: 0 };
  // What a training checkpoint holds (common/training-state.ts); a resumed run goes on from it.
  const parts = run.stateParts(
    new StateParts()
      .learner(learner)
      .array('critics', critics.data)
      .array('criticTarget', st.criticTarget.data)
      .adam('criticAdam', st.criticAdam)
      .array('logAlpha', st.logAlpha)
      .adam('alphaAdam', st.alphaAdam)
      .rng('actions', actRng)
      .rng('replay', replayRng)
      .rng('noise', st.noiseRng)
      .guard(guard),
  );
  parts.value('losses', () => ({ ...sums }), (v) => Object.assign(sums, v));
  if (options.checkpoint?.from !== undefined) parts.restore(options.checkpoint.from, 'sac');
  const schedule = new CheckpointSchedule(options.checkpoint, run.steps, policy);

  while (run.steps < totalSteps) {
    // ---- act: uniform in [-1, 1] before learningStarts, then a sample of the squashed Gaussian ----
    const random = run.steps < hp.learningStarts;
    const out = random && !run.reporting ? null : nets.policy(run.normalizedObservations(), numEnvs);
    if (out !== null) run.recordDeterministic(out);
    const ys: Float32Array[] = [];
    const actions: Action[] = [];
    for (let e = 0; e < numEnvs; e++) {
      const y = new Float32Array(d);
      const action = space.zeros();
      for (let j = 0; j < d; j++) {
        const o = out as Float64Array;
        y[j] = random ? actRng.uniformRange(-1, 1) : Math.tanh((o[e * 2 * d + j] as number) + Math.exp(squashedLogStd(o[e * 2 * d + d + j] as number)) * actRng.normal());
        const low = space.low[j] as number;
        action[j] = low + ((space.high[j] as number) - low) * (((y[j] as number) + 1) / 2);
      }
      ys.push(y);
      actions.push(clipToBox(action, space)); // rounding guard only: y is within [-1, 1]
    }

    // ---- step and store ----
    run.step(actions, ys);

    // ---- learn ----
    if (run.learns(hp)) {
      for (let g = 0; g < hp.gradientSteps; g++) {
        const batch = run.replay.sample(hp.batchSize, replayRng);
        if (rms !== null) normalizeBatch(policy, batch);
        const s = sacStep(st, batch);
        run.gradientSteps++;
        sums.critic += s.critic;
        sums.actor += s.actor;
        sums.entropy += s.entropy;
        sums.n++;
      }
    }

    const mean = (x: number) => (sums.n > 0 ? x / sums.n : NaN);
    const fields = { algorithm: 'sac', losses: { q: mean(sums.critic), policy: mean(sums.actor) }, entropy: mean(sums.entropy), learningRate: hp.learningRate, explorationRate: NaN };
    if (await run.maybeReport(fields, { entropyCoef: Math.exp(st.logAlpha[0] as number) })) sums.critic = sums.actor = sums.entropy = sums.n = 0;
    if (schedule.due(run.steps, totalSteps)) await schedule.save(parts.capture('sac', seed, run.steps));
  }
  policy.totalSteps = run.steps;
  return policy;
}
