/**
 * Environment wrappers, after Gymnasium's: each wraps one inner `Env` and changes one thing.
 *
 * - `Wrapper(env)`: forwards everything; the shield, constraint costs and custom rewards extend it
 *   (src/safety/, src/config/reward-expression.ts).
 * - `TimeLimit(env, maxSteps)`: sets `truncated` at the step limit; never touches `terminated`.
 * - `RecordEpisodeStatistics(env)`: the episode's return, length and summed cost in the final info.
 * - `RunningMeanStd`: running mean and variance, the observation normalisation statistics a trained
 *   policy carries (agents/common/policy.ts) and its checkpoint saves.
 *
 * Nothing here changes actions or observations on the agent's side: the agents clip their actions
 * into the action space and normalise their observations themselves (agents/common/policy.ts), so
 * the normalisation is part of the saved policy and frozen at evaluation, and every env they step
 * speaks physical units. What an action means (e.g. a rate relative to the patient's basal) is an
 * option of the env, not a wrapper.
 *
 * Wrappers pass `info` through (adding keys only) and keep `terminated` and `truncated` distinct:
 * `terminated` means the patient reached a terminal state (no bootstrap), `truncated` means a time
 * limit cut the episode (bootstrap), and both may be true on the same step.
 */
import { EnvContractError, UserError } from './errors.ts';
import type { Action, Env, EnvMetadata, Info, Observation, ResetArgs, ResetResult, StepResult } from './env.ts';
import type { Space } from './spaces.ts';

type AnyEnv = Env<Observation, Action>;

/** Forwards everything to the inner env; subclasses override what they change. */
export class Wrapper implements Env<Observation, Action> {
  readonly env: AnyEnv;

  constructor(env: AnyEnv) {
    this.env = env;
  }

  get observationSpace(): Space {
    return this.env.observationSpace;
  }

  get actionSpace(): Space {
    return this.env.actionSpace;
  }

  get metadata(): EnvMetadata {
    return this.env.metadata;
  }

  /** The innermost (unwrapped) environment. */
  get unwrapped(): AnyEnv {
    return this.env instanceof Wrapper ? this.env.unwrapped : this.env;
  }

  reset(args?: ResetArgs): ResetResult<Observation> {
    return this.env.reset(args);
  }

  step(action: Action): StepResult<Observation> {
    return this.env.step(action);
  }

  close(): void {
    this.env.close();
  }
}

/**
 * Ends episodes after `maxSteps` steps with `truncated = true`. A step that is terminal AND at the
 * limit reports `terminated = true, truncated = true` (terminal wins for bootstrapping). Stepping
 * after a truncation without `reset` throws, like stepping after any episode end.
 */
export class TimeLimit extends Wrapper {
  readonly maxSteps: number;
  private elapsed = 0;
  private ended = true;
  private readonly meta: EnvMetadata;

  constructor(env: AnyEnv, maxSteps: number) {
    super(env);
    if (!Number.isInteger(maxSteps) || maxSteps <= 0) throw new UserError(`TimeLimit: maxSteps must be a positive integer, got ${maxSteps}`);
    this.maxSteps = maxSteps;
    const inner = env.metadata.maxEpisodeSteps;
    this.meta = { ...env.metadata, maxEpisodeSteps: inner === undefined ? maxSteps : Math.min(inner, maxSteps) };
  }

  override get metadata(): EnvMetadata {
    return this.meta;
  }

  /** Steps taken in the current episode. */
  get elapsedSteps(): number {
    return this.elapsed;
  }

  override reset(args?: ResetArgs): ResetResult<Observation> {
    const r = this.env.reset(args);
    this.elapsed = 0;
    this.ended = false;
    return r;
  }

  override step(action: Action): StepResult<Observation> {
    if (this.ended) throw new EnvContractError(`${this.metadata.id}: step() called before reset() or after the episode ended; call reset() first`);
    const r = this.env.step(action);
    this.elapsed++;
    const truncated = r.truncated || this.elapsed >= this.maxSteps;
    if (r.terminated || truncated) this.ended = true;
    return { ...r, truncated };
  }
}

/** Serialisable running statistics (JSON-safe). */
export interface RunningMeanStdState {
  count: number;
  mean: number[];
  var: number[];
}

/**
 * Running mean and variance by the parallel (Chan et al.) update, as Gymnasium's RunningMeanStd:
 * starts at mean 0, var 1, count 1e-4, so the first observations are not divided by a zero variance.
 */
export class RunningMeanStd {
  count = 1e-4;
  mean: Float64Array;
  var: Float64Array;

  constructor(readonly size: number) {
    this.mean = new Float64Array(size);
    this.var = new Float64Array(size).fill(1);
  }

  /** Merge a batch of `n` rows (row-major, `n * size` values). */
  update(batch: ArrayLike<number>, n = 1): void {
    const size = this.size;
    if (batch.length !== n * size) throw new RangeError(`RunningMeanStd.update: expected ${n * size} values, got ${batch.length}`);
    const total = this.count + n;
    for (let j = 0; j < size; j++) {
      let bMean = 0;
      for (let r = 0; r < n; r++) bMean += batch[r * size + j] as number;
      bMean /= n;
      let bM2 = 0;
      for (let r = 0; r < n; r++) bM2 += ((batch[r * size + j] as number) - bMean) ** 2;
      const delta = bMean - (this.mean[j] as number);
      const m2 = (this.var[j] as number) * this.count + bM2 + (delta * delta * this.count * n) / total;
      this.mean[j] = (this.mean[j] as number) + (delta * n) / total;
      this.var[j] = m2 / total;
    }
    this.count = total;
  }

  getState(): RunningMeanStdState {
    return { count: this.count, mean: Array.from(this.mean), var: Array.from(this.var) };
  }

  setState(state: RunningMeanStdState): void {
    const ok =
      state !== null &&
      typeof state === 'object' &&
      typeof state.count === 'number' &&
      state.count > 0 &&
      Array.isArray(state.mean) &&
      Array.isArray(state.var) &&
      state.mean.length === this.size &&
      state.var.length === this.size &&
      [...state.mean, ...state.var].every((v) => typeof v === 'number' && Number.isFinite(v)) &&
      state.var.every((v) => v >= 0);
    if (!ok) throw new UserError(`normalization state: expected { count > 0, mean: ${this.size} numbers, var: ${this.size} numbers >= 0 }`);
    this.count = state.count;
    this.mean = Float64Array.from(state.mean);
    this.var = Float64Array.from(state.var);
  }
}

/** The summary RecordEpisodeStatistics puts into the final step's info. */
export interface EpisodeStatistics {
  /** Sum of rewards. */
  return: number;
  /** Number of steps. */
  length: number;
  /** Sum of info.cost (0 when the env reports no cost). */
  cost: number;
}

/** Adds `episode: { return, length, cost }` to the info of the step that ends an episode. */
export class RecordEpisodeStatistics extends Wrapper {
  private episodeReturn = 0;
  private episodeLength = 0;
  private episodeCost = 0;

  override reset(args?: ResetArgs): ResetResult<Observation> {
    const r = this.env.reset(args);
    this.episodeReturn = 0;
    this.episodeLength = 0;
    this.episodeCost = 0;
    return r;
  }

  override step(action: Action): StepResult<Observation> {
    const r = this.env.step(action);
    this.episodeReturn += r.reward;
    this.episodeLength += 1;
    if (typeof r.info.cost === 'number') this.episodeCost += r.info.cost;
    if (!r.terminated && !r.truncated) return r;
    const episode: EpisodeStatistics = { return: this.episodeReturn, length: this.episodeLength, cost: this.episodeCost };
    return { ...r, info: { ...r.info, episode } };
  }
}

export type { Info };
