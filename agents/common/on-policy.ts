/**
 * The on-policy core shared by PPO (agents/ppo.ts) and PPO-Lagrangian (agents/ppo-lagrangian.ts):
 * Stable-Baselines3's one split (OnPolicyAlgorithm.collect_rollouts is shared, each algorithm's
 * train() is its own), and nothing more:
 *
 * - `OnPolicyRun.collect` (their step 1): nSteps from every env of the vector env, acting in one
 *   batch through the typed-array networks, recording observations, actions, log-probabilities,
 *   rewards, costs, episode ends and the value of every critic (PPO: the value net; PPO-Lagrangian
 *   also the cost critic), including V(final observation) of truncated episodes for the bootstrap;
 *   `OnPolicyRun.report` hands each update's statistics to onUpdate, with the rollout's delivered
 *   dose and mean deterministic action;
 * - `rolloutGae` (step 2): GAE of one signal (rewards or costs) with that bootstrap;
 * - `minibatches` and `gatherMinibatch` (the optimisation step): the epochs of shuffled minibatches,
 *   from which a `for` loop breaks to stop early (SB3's KL early stop);
 * - `LossMeans`: the per-update averages of the minibatch statistics.
 *
 * Rollout storage is laid out index t * numEnvs + e for step t of env e.
 */
import type { Info } from '../../src/core/env.ts';
import type { VectorEnv } from '../../src/core/vector.ts';
import { Rng } from '../../src/core/rng.ts';
import { Box, Discrete } from '../../src/core/spaces.ts';
import type { DivergenceGuard } from './divergence.ts';
import { EpisodeTracker, costOf } from './episode-stats.ts';
import { bootstrappedGae } from './gae.ts';
import type { Learner } from './learner.ts';
import { HeldNoise, sampleRolloutActions } from './rollout.ts';
import { DoseActionStats, UpdateReporter, type TrainOptions, type UpdateFields } from './training.ts';
import { ActionLog, replayEnvs, stateArray, type CheckpointOptions, type StateParts } from './training-state.ts';

/**
 * The random streams of an on-policy run, under one root so that PPO-Lagrangian draws exactly what
 * PPO draws (at lambda = 0 both train identically): `rng` (its child 'init' initialises the networks),
 * action sampling and minibatch shuffling.
 */
export function onPolicyStreams(seed: number): { rng: Rng; sampleRng: Rng; shuffleRng: Rng } {
  const rng = new Rng(seed).child('ppo');
  return { rng, sampleRng: rng.child('actions'), shuffleRng: rng.child('minibatches') };
}

/** A state-value function of normalised observations ([rows x obsSize] -> one value per row). */
export type Critic = (x: ArrayLike<number>, rows: number) => ArrayLike<number>;

export class RolloutBuffer {
  readonly size: number;
  readonly continuous: boolean;
  /** Discrete: the number of actions; Box: the action size. */
  readonly actionSize: number;
  /** The observations as the networks saw them (normalised when the policy normalises). */
  readonly obs: Float32Array;
  /** Discrete: the index; Box: the Beta draw in (0, 1), or the unclipped Gaussian sample ('gaussian-clip'). */
  readonly actions: Float32Array;
  readonly logProbs: Float64Array;
  /** The rewards as the env gave them (the truncation bootstrap is added by `rolloutGae`). */
  readonly rewards: Float64Array;
  /** info.cost of each step (of the ended step's info after an autoreset). */
  readonly costs: Float64Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  /** Per critic: V(s_t). */
  readonly values: Float64Array[];
  /** Per critic: V(final observation) where the step was truncated (read only there). */
  readonly finalValues: Float64Array[];
  /** Per critic: V(s_T) for each env after the rollout's last step. */
  readonly lastValues: Float64Array[];
  /** Summed cost of each episode that ended during the rollout. */
  episodeCosts: number[] = [];

  constructor(
    readonly numSteps: number,
    readonly numEnvs: number,
    readonly obsSize: number,
    actionSpace: Box | Discrete,
    numCritics: number,
  ) {
    const n = numSteps * numEnvs;
    this.size = n;
    this.continuous = actionSpace instanceof Box;
    this.actionSize = actionSpace instanceof Box ? actionSpace.size : actionSpace.n;
    this.obs = new Float32Array(n * obsSize);
    this.actions = new Float32Array(n * (this.continuous ? this.actionSize : 1));
    this.logProbs = new Float64Array(n);
    this.rewards = new Float64Array(n);
    this.costs = new Float64Array(n);
    this.terminated = new Uint8Array(n);
    this.truncated = new Uint8Array(n);
    this.values = Array.from({ length: numCritics }, () => new Float64Array(n));
    this.finalValues = Array.from({ length: numCritics }, () => new Float64Array(n));
    this.lastValues = Array.from({ length: numCritics }, () => new Float64Array(numEnvs));
  }
}

export interface OnPolicyRunOptions {
  envs: VectorEnv;
  learner: Learner;
  /** The critics whose values the rollout records, in buffer order (critic 0: the value net). */
  critics: Critic[];
  /** The action-sampling stream. */
  rng: Rng;
  guard: DivergenceGuard;
  /** Seeds the envs' first reset (env i gets seed + i). */
  seed: number;
  /** Steps per env per rollout. */
  nSteps: number;
  /** Environment steps to train for, rounded up to whole rollouts. */
  totalSteps: number;
  onUpdate: TrainOptions['onUpdate'];
  /** Reads the delivered dose of a step from its info (training.csv's dose columns). */
  deliveredDose?: TrainOptions['deliveredDose'];
  /** Training checkpoints: the envs' actions are logged, and `from`'s replayed to bring the envs to its state. */
  checkpoint?: CheckpointOptions | undefined;
  /** PPO's noiseHoldSteps: the Gaussian's draws held over this many steps of each env (1 or absent: independent). */
  noiseHoldSteps?: number;
}

/**
 * An on-policy training run's rollouts: the vector env with its current observations, the rollout
 * buffer, episode statistics and progress reports (SB3's OnPolicyAlgorithm without its train()).
 */
export class OnPolicyRun {
  readonly buf: RolloutBuffer;
  readonly tracker: EpisodeTracker;
  /** Rollouts (and updates) in the run: totalSteps rounded up to whole rollouts. */
  readonly numUpdates: number;
  /** Environment steps so far (all envs). */
  steps = 0;
  /** Summed info.cost over all steps so far. */
  totalCost = 0;
  /** Gradient steps so far (the agents count them). */
  gradientSteps = 0;
  private observations: ArrayLike<number>;
  private readonly normObs: Float64Array;
  private readonly finalObs: Float64Array;
  private readonly reporter: UpdateReporter;
  private readonly doses: DoseActionStats;
  /** Every action the envs received (training checkpoints, common/training-state.ts). */
  private readonly actionLog: ActionLog;
  /** The held exploration noise (noiseHoldSteps > 1 with the Gaussian). */
  private readonly held: HeldNoise | undefined;

  constructor(private readonly o: OnPolicyRunOptions) {
    const { numEnvs, obsSize, rms, actSpace, policy } = o.learner;
    this.buf = new RolloutBuffer(o.nSteps, numEnvs, obsSize, actSpace as Box | Discrete, o.critics.length);
    this.numUpdates = Math.ceil(o.totalSteps / this.buf.size);
    this.tracker = new EpisodeTracker(numEnvs);
    this.doses = new DoseActionStats(o.deliveredDose);
    this.reporter = new UpdateReporter(o.onUpdate, this.tracker, policy, this.doses);
    this.normObs = new Float64Array(numEnvs * obsSize);
    this.finalObs = new Float64Array(obsSize);
    const hold = o.noiseHoldSteps ?? 1;
    this.held = hold > 1 && o.learner.nets.d.distribution === 'gaussian-clip' ? new HeldNoise(numEnvs, (actSpace as Box).size, hold) : undefined;
    const from = o.checkpoint?.from;
    if (from !== undefined) {
      // The rest of the run's state (the normaliser included) comes back through `stateParts`.
      this.actionLog = new ActionLog(actSpace as Box | Discrete, numEnvs, true, stateArray(from, 'env.actions', Float64Array));
      this.observations = replayEnvs(o.envs, o.seed, this.actionLog);
    } else {
      this.actionLog = new ActionLog(actSpace as Box | Discrete, numEnvs, o.checkpoint !== undefined);
      this.observations = o.envs.reset({ seed: o.seed }).observations;
      rms?.update(this.observations, numEnvs);
    }
  }

  /** What a checkpoint holds of the rollouts: counters, episode and dose statistics, the envs' actions, any held noise. */
  stateParts(parts: StateParts): StateParts {
    parts
      .value('run.counters', () => [this.steps, this.totalCost, this.gradientSteps], (v) => {
        [this.steps, this.totalCost, this.gradientSteps] = v as [number, number, number];
        this.o.learner.policy.totalSteps = this.steps;
      })
      .value('run.episodes', () => this.tracker.getState(), (v) => this.tracker.setState(v as ReturnType<EpisodeTracker['getState']>))
      .value('run.doses', () => this.doses.getState(), (v) => this.doses.setState(v as number[]))
      .arrays('env', () => ({ actions: this.actionLog.snapshot() }), () => {}); // read back in the constructor
    const held = this.held;
    // Only where noise is held, so that other checkpoints are unchanged.
    if (held !== undefined) {
      parts.arrays('run.heldNoise', () => ({ noise: held.noise.slice(), age: held.age.slice() }), (a) => {
        held.noise.set(a['noise'] as Float64Array);
        held.age.set(a['age'] as Float64Array);
      });
    }
    return parts;
  }

  /** Step 1 of both agents: fill the buffer with the next nSteps steps of every env. */
  collect(): RolloutBuffer {
    const { envs, critics, rng, guard } = this.o;
    const { numEnvs, obsSize, policy, nets, rms, actSpace } = this.o.learner;
    const buf = this.buf;
    buf.episodeCosts = [];
    for (let t = 0; t < buf.numSteps; t++) {
      const x = policy.normalize(this.observations, numEnvs, this.normObs);
      for (let j = 0; j < numEnvs * obsSize; j++) buf.obs[t * numEnvs * obsSize + j] = x[j] as number;
      critics.forEach((critic, k) => {
        const v = critic(x, numEnvs);
        for (let e = 0; e < numEnvs; e++) (buf.values[k] as Float64Array)[t * numEnvs + e] = v[e] as number;
      });
      const out = nets.policy(x, numEnvs);
      if (this.reporter.active) this.doses.action(policy.meanDeterministicAction(out, numEnvs), numEnvs);
      const distribution = nets.d.distribution;
      const logStd = distribution === 'gaussian-clip' ? nets.logStd() : null;
      const actions = sampleRolloutActions(out, distribution, logStd, actSpace, numEnvs, t, rng, { bufActions: buf.actions, bufLogProbs: buf.logProbs }, this.held);
      // A non-finite log-probability means the policy network's outputs are no longer finite.
      for (let e = 0; e < numEnvs; e++) guard.value('log-probability of a sampled action', buf.logProbs[t * numEnvs + e] as number);

      this.actionLog.record(actions);
      const res = envs.step(actions);
      for (let e = 0; e < numEnvs; e++) {
        const i = t * numEnvs + e;
        const terminated = res.terminated[e] === 1;
        const truncated = res.truncated[e] === 1;
        const reward = res.rewards[e] as number;
        guard.reward(reward, e);
        const info = res.infos[e];
        const done = terminated || truncated;
        if (done) this.held?.episodeEnded(e);
        // After an autoreset, infos[e] is the new episode's; the ended step's cost and dose are in finalInfo.
        const stepInfo = done ? (info?.finalInfo as Info | undefined) : info;
        const cost = costOf(stepInfo);
        if (this.reporter.active) this.doses.step(stepInfo);
        this.tracker.step(e, reward, cost, done);
        if (done) buf.episodeCosts.push(this.tracker.recentCosts.at(-1) as number);
        this.totalCost += cost;
        if (truncated && !terminated) {
          // Time limit: the episode did not end in a terminal state; rolloutGae bootstraps from V(final obs).
          const xf = policy.normalize(info?.finalObservation as ArrayLike<number>, 1, this.finalObs);
          critics.forEach((critic, k) => ((buf.finalValues[k] as Float64Array)[i] = critic(xf, 1)[0] as number));
        }
        buf.rewards[i] = reward;
        buf.costs[i] = cost;
        buf.terminated[i] = terminated ? 1 : 0;
        buf.truncated[i] = truncated ? 1 : 0;
      }
      this.observations = res.observations;
      rms?.update(this.observations, numEnvs);
      this.steps += numEnvs;
    }
    const xLast = policy.normalize(this.observations, numEnvs, this.normObs);
    critics.forEach((critic, k) => {
      const v = critic(xLast, numEnvs);
      for (let e = 0; e < numEnvs; e++) (buf.lastValues[k] as Float64Array)[e] = v[e] as number;
    });
    policy.totalSteps = this.steps;
    return buf;
  }

  /** Whether anyone listens to `report` (statistics need not be computed otherwise). */
  get reporting(): boolean {
    return this.reporter.active;
  }

  /**
   * Report update `update`: steps so far, the rollout-rounded budget, the agent's `losses` (with an
   * `entropy` loss: the policy entropy is its negative) and `extra` fields (PPO-Lagrangian's multiplier).
   */
  report(algorithm: string, update: number, losses: Record<string, number>, learningRate: number, extra: Record<string, unknown> = {}): Promise<void> {
    const fields: UpdateFields = {
      algorithm,
      update,
      steps: this.steps,
      totalSteps: this.numUpdates * this.buf.size,
      losses,
      entropy: -(losses['entropy'] as number),
      learningRate,
      explorationRate: NaN,
      gradientSteps: this.gradientSteps,
    };
    return this.reporter.report(fields, extra);
  }
}

/**
 * GAE(lambda) of one signal of the rollout (`buf.rewards` or `buf.costs`) with critic `critic`'s
 * values; a truncated episode adds gamma * V(final observation) to its last signal (SB3's bootstrap).
 * Checks that the advantages and returns are finite in float32, the precision of the minibatches.
 */
export function rolloutGae(buf: RolloutBuffer, signal: Float64Array, critic: number, gamma: number, lambda: number, guard: DivergenceGuard, what = 'advantage'): { advantages: Float64Array; returns: Float64Array } {
  const result = bootstrappedGae({
    signal,
    values: buf.values[critic] as Float64Array,
    terminated: buf.terminated,
    truncated: buf.truncated,
    finalValues: buf.finalValues[critic] as Float64Array,
    lastValues: buf.lastValues[critic] as Float64Array,
    numSteps: buf.numSteps,
    numEnvs: buf.numEnvs,
    gamma,
    lambda,
  });
  guard.values(what, result.advantages);
  guard.values(`${what} return`, result.returns);
  return result;
}

/** Fisher-Yates shuffle in place with a seeded stream. */
export function shuffleInPlace(a: Int32Array, rng: { int(n: number): number }): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = a[i] as number;
    a[i] = a[j] as number;
    a[j] = t;
  }
}

/**
 * The minibatches of `epochs` passes over a rollout of `size` transitions: a fresh seeded
 * permutation per epoch, cut into batches of `batchSize` (the last one of an epoch may be smaller).
 * Breaking out of the `for` loop ends the update (no further permutation is drawn).
 */
export function* minibatches(size: number, batchSize: number, epochs: number, rng: Rng): Generator<Int32Array> {
  const order = Int32Array.from({ length: size }, (_, i) => i);
  for (let epoch = 0; epoch < epochs; epoch++) {
    shuffleInPlace(order, rng);
    for (let s = 0; s < size; s += batchSize) yield order.subarray(s, Math.min(size, s + batchSize));
  }
}

/** One minibatch, on the JS side. */
export interface Minibatch {
  size: number;
  obs: Float32Array; // size x obsSize
  /** Discrete: one-hot [size x n]; Box: the unclipped sampled actions [size x actionSize]. */
  actions: Float32Array;
  oldLogProbs: Float32Array;
  advantages: Float32Array;
  returns: Float32Array;
  /** V(s) of critic 0 (the value net) at collection. */
  oldValues: Float32Array;
}

/** The minibatch of rollout indices `idx` (discrete actions one-hot: tf.gather has no gradient on wasm). */
export function gatherMinibatch(idx: Int32Array, buf: RolloutBuffer, advantages: Float64Array, returns: Float64Array): Minibatch {
  const m = idx.length;
  const { obsSize, actionSize } = buf;
  const values = buf.values[0] as Float64Array;
  const mb: Minibatch = {
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
    mb.obs.set(buf.obs.subarray(i * obsSize, (i + 1) * obsSize), k * obsSize);
    if (buf.continuous) mb.actions.set(buf.actions.subarray(i * actionSize, (i + 1) * actionSize), k * actionSize);
    else mb.actions[k * actionSize + (buf.actions[i] as number)] = 1;
    mb.oldLogProbs[k] = buf.logProbs[i] as number;
    mb.advantages[k] = advantages[i] as number;
    mb.returns[k] = returns[i] as number;
    mb.oldValues[k] = values[i] as number;
  }
  return mb;
}

/** `source` at the rollout indices `idx`, as float32 (e.g. PPO-Lagrangian's cost advantages). */
export function gather(idx: Int32Array, source: Float64Array): Float32Array {
  const out = new Float32Array(idx.length);
  for (let k = 0; k < idx.length; k++) out[k] = source[idx[k] as number] as number;
  return out;
}

/** Means of the minibatch statistics of one update (0 when the update took no step, as SB3 logs). */
export class LossMeans {
  private readonly sums = new Map<string, number>();
  /** Minibatches added. */
  n = 0;

  add(stats: Readonly<Record<string, number>>): void {
    for (const [k, v] of Object.entries(stats)) this.sums.set(k, (this.sums.get(k) ?? 0) + v);
    this.n++;
  }

  mean(key: string): number {
    return (this.sums.get(key) ?? 0) / Math.max(this.n, 1);
  }

  /** The means of `keys`, in that order. */
  of(...keys: string[]): Record<string, number> {
    return Object.fromEntries(keys.map((k) => [k, this.mean(k)]));
  }
}
