/**
 * What every agent shares around its training loop: accepting an env in several forms, checking
 * the run options, and reporting the per-update statistics to `onUpdate` (progress bar, training.csv).
 */
import { UserError } from '../../src/core/errors.ts';
import type { Action, Env, Info, Observation } from '../../src/core/env.ts';
import { yieldToEventLoop } from '../../src/core/event-loop.ts';
import { SyncVectorEnv, type VectorEnv } from '../../src/core/vector.ts';
import type { BackendName } from './backend.ts';
import type { EpisodeTracker } from './episode-stats.ts';
import type { InitialPolicy } from './learner.ts';
import type { CheckpointOptions } from './training-state.ts';
import type { TrainedPolicy } from './policy.ts';

/**
 * An env instance, one factory (copied numEnvs times), a list of factories, or a vector env
 * (SyncVectorEnv, or an AsyncVectorEnv to step the envs in worker threads).
 */
export type EnvInput = Env<Observation, Action> | (() => Env<Observation, Action>) | Array<() => Env<Observation, Action>> | VectorEnv;

export interface UpdateStats {
  /** The algorithm's name in the table (agents/index.ts). */
  algorithm: string;
  /** Index of this report (PPO: rollout/update number; DQN, SAC: log interval number), from 1. */
  update: number;
  /** Environment steps so far (all envs). */
  steps: number;
  totalSteps: number;
  episodes: number;
  /** Means over the last 100 finished episodes (NaN before the first one ends). */
  recentReturn: number;
  recentLength: number;
  /** Mean per-episode sum of `info.cost`. */
  recentCost: number;
  /** PPO: policy, value, entropy (the loss term, -entropy), approxKl, clipFraction, explainedVariance; DQN: q (Huber); SAC: q (critics' MSE), policy (actor). */
  losses: Record<string, number>;
  /** Mean policy entropy (PPO; SAC: -mean log pi of its samples; NaN for DQN). */
  entropy: number;
  learningRate: number;
  /** DQN's epsilon (NaN for the others). */
  explorationRate: number;
  /** Gradient steps taken so far. */
  gradientSteps: number;
  /**
   * Mean and standard deviation (population) of the dose the env delivered per step, over the
   * steps since the previous report (PPO: the rollout), in the unit of `TrainOptions.deliveredDose`;
   * null when the env declares no delivered dose (classic control).
   */
  doseMean: number | null;
  doseSd: number | null;
  /**
   * Mean of the policy's deterministic action (the distribution's mode, `TrainedPolicy.deterministicAction`)
   * on the observations of the steps since the previous report, in the action space's units (a Box's
   * dimensions averaged; the action index for a Discrete space).
   */
  actionMean: number;
  stepsPerSecond: number;
  elapsedSeconds: number;
}

export interface TrainOptions {
  /** Environment steps to train for (PPO rounds up to whole rollouts). */
  totalSteps: number;
  /** Seeds the network initialisation, action sampling, minibatches and the envs (env i gets seed + i). */
  seed: number;
  /** Raw hyperparameters, validated; missing fields take Stable-Baselines3's defaults. */
  hyperparameters?: unknown;
  /** TensorFlow.js backend (default: the one already initialised, else 'auto': node-gpu, node, wasm). */
  backend?: BackendName;
  /**
   * Start from a saved policy's weights and observation statistics instead of fresh weights
   * (`train.init`); every agent passes it to `createLearner` (agents/common/learner.ts), which
   * checks that the networks match. The optimiser starts fresh.
   */
  init?: InitialPolicy;
  /**
   * Training checkpoints (`train.checkpointEvery`): hand the run's full state to `save` after the
   * update that reaches each multiple of `every` steps, and continue from `from` when given
   * (agents/common/training-state.ts); the result equals an uninterrupted run's.
   */
  checkpoint?: CheckpointOptions;
  /**
   * Called after every PPO update / every `logInterval` DQN or SAC steps with the statistics and the live
   * policy (e.g. for periodic evaluation; acting deterministically does not touch training streams).
   */
  onUpdate?: (stats: UpdateStats, policy: TrainedPolicy) => void;
  /** DQN, SAC: report every this many env steps (default 1000). */
  logInterval?: number;
  /** Episode cost budget in info.cost units, for algorithms that need one (ppo-lagrangian). */
  costLimit?: number;
  /**
   * Names where the rewards come from in divergence errors, e.g. `env.reward "exp(bg)"`
   * (default: the reward of the env's id).
   */
  rewardSource?: string;
  /**
   * The dose the env delivered in a step, read from that step's info (the patient family's `dose`,
   * src/core/family.ts: T1D insulin in U/h, chemotherapy dose fraction), for UpdateStats.doseMean
   * and doseSd; absent for envs that deliver no dose.
   */
  deliveredDose?: (info: Info) => number;
}

export function checkTrainOptions(options: TrainOptions): void {
  const { totalSteps, seed } = options;
  if (typeof totalSteps !== 'number' || !Number.isSafeInteger(totalSteps) || totalSteps <= 0) {
    throw new UserError(`train.totalSteps: expected a positive integer, got ${String(totalSteps)}`);
  }
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    throw new UserError(`train.seed: expected a non-negative integer, got ${String(seed)}`);
  }
}

/** Build the vector env the agent trains on. */
export function toVectorEnv(input: EnvInput, numEnvs: number): VectorEnv {
  if (isVectorEnv(input)) return input;
  if (Array.isArray(input)) return new SyncVectorEnv(input);
  if (typeof input === 'function') return new SyncVectorEnv(Array.from({ length: numEnvs }, () => input));
  if (numEnvs !== 1) throw new UserError(`train.hyperparameters.numEnvs: ${numEnvs} envs need an env factory, not one env instance`);
  return new SyncVectorEnv([() => input]);
}

function isVectorEnv(input: EnvInput): input is VectorEnv {
  return typeof input === 'object' && !Array.isArray(input) && 'numEnvs' in input && 'singleObservationSpace' in input;
}

/** The statistics an agent reports per update; the tracker, the dose statistics and the clock fill in the rest of `UpdateStats`. */
export type UpdateFields = Omit<UpdateStats, 'episodes' | 'recentReturn' | 'recentLength' | 'recentCost' | 'doseMean' | 'doseSd' | 'actionMean' | 'stepsPerSecond' | 'elapsedSeconds'>;

/**
 * The delivered dose and the policy's deterministic action over the steps since the last report
 * (UpdateStats.doseMean, doseSd, actionMean), so that a policy that collapsed to one dose, or whose
 * actions sit at a bound, shows in training.csv. Reading them consumes no random draw.
 */
export class DoseActionStats {
  private doses = 0;
  private doseMean = 0;
  private doseM2 = 0;
  private actionSum = 0;
  private actions = 0;

  constructor(private readonly readDose: TrainOptions['deliveredDose']) {}

  /** Its sums since the last report, for a training checkpoint. */
  getState(): number[] {
    return [this.doses, this.doseMean, this.doseM2, this.actionSum, this.actions];
  }

  setState(s: readonly number[]): void {
    [this.doses, this.doseMean, this.doseM2, this.actionSum, this.actions] = s as [number, number, number, number, number];
  }

  /** One env step's info (after an autoreset, the ended step's `finalInfo`). */
  step(info: Info | undefined): void {
    if (this.readDose === undefined || info === undefined) return;
    // Welford's running mean and sum of squared deviations.
    const x = this.readDose(info);
    this.doses++;
    const delta = x - this.doseMean;
    this.doseMean += delta / this.doses;
    this.doseM2 += delta * (x - this.doseMean);
  }

  /** The mean deterministic action over `rows` observations (`TrainedPolicy.meanDeterministicAction`). */
  action(mean: number, rows: number): void {
    this.actionSum += mean * rows;
    this.actions += rows;
  }

  /** The statistics since the previous call, then start over. */
  take(): Pick<UpdateStats, 'doseMean' | 'doseSd' | 'actionMean'> {
    const dosed = this.readDose !== undefined && this.doses > 0;
    const out = {
      doseMean: dosed ? this.doseMean : null,
      doseSd: dosed ? Math.sqrt(this.doseM2 / this.doses) : null,
      actionMean: this.actions > 0 ? this.actionSum / this.actions : NaN,
    };
    this.doses = this.doseMean = this.doseM2 = this.actionSum = this.actions = 0;
    return out;
  }
}

/**
 * Hands each update's statistics to `onUpdate` with the live policy, then yields to the event loop
 * so Ctrl-C, progress bars and worker messages get through during long training.
 */
export class UpdateReporter {
  private readonly start = performance.now();
  constructor(
    private readonly onUpdate: TrainOptions['onUpdate'],
    private readonly tracker: EpisodeTracker,
    private readonly policy: TrainedPolicy,
    private readonly doses: DoseActionStats,
  ) {}

  get active(): boolean {
    return this.onUpdate !== undefined;
  }

  /** `extra`: an algorithm's own fields (e.g. PPO-Lagrangian's multiplier), after the common ones. */
  async report(fields: UpdateFields, extra: Record<string, unknown> = {}): Promise<void> {
    if (this.onUpdate === undefined) return;
    const elapsed = (performance.now() - this.start) / 1000;
    const { algorithm, update, steps, totalSteps, ...rest } = fields;
    const stats: UpdateStats = {
      algorithm,
      update,
      steps,
      totalSteps,
      episodes: this.tracker.episodes,
      ...this.tracker.summary(),
      ...rest,
      ...this.doses.take(),
      stepsPerSecond: steps / elapsed,
      elapsedSeconds: elapsed,
      ...extra,
    };
    this.onUpdate(stats, this.policy);
    await yieldToEventLoop();
  }
}
