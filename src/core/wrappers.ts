/**
 * Environment wrappers, after Gymnasium's: each wraps one inner `Env` and changes one thing.
 *
 * - `TimeLimit(env, maxSteps)`: sets `truncated` at the step limit; never touches `terminated`.
 * - `ClipAction(env)`: clips Box actions into the inner action space.
 * - `RescaleAction(env)`: the agent acts in [-1, 1]^n; the env receives physical units.
 * - `NormalizeObservation(env)`: running mean/variance normalisation (freezable, serialisable).
 * - `RecordEpisodeStatistics(env)`: the episode's return, length and summed cost in the final info.
 * - `ObservationHistory(env, k)`: stacks the last k observations.
 * - `standardWrappers(env, options)`: the usual stack in the usual order.
 *
 * Wrappers pass `info` through (adding keys only) and keep `terminated` and `truncated` distinct:
 * `terminated` means the patient reached a terminal state (no bootstrap), `truncated` means a time
 * limit cut the episode (bootstrap), and both may be true on the same step.
 */
import { EnvContractError, UserError } from './errors.ts';
import { assertAction, type Action, type Env, type EnvMetadata, type Info, type Observation, type ResetArgs, type ResetResult, type StepResult } from './env.ts';
import { Box, type BoxValue, type Space } from './spaces.ts';

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

function requireBox(space: Space, what: string, wrapper: string, envId: string): Box {
  if (!(space instanceof Box)) throw new UserError(`${wrapper}: ${envId} has ${what} space ${space.toString()}; ${wrapper} needs a Box`);
  return space;
}

function asBoxValue(obs: Observation, wrapper: string): BoxValue {
  if (typeof obs === 'number') throw new EnvContractError(`${wrapper}: expected a typed-array observation, got a number`);
  return obs;
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

/**
 * Clips Box actions into the inner action space, so an agent sampling from an unbounded Gaussian
 * can act directly. The wrapper's own action space is therefore Box(-inf, inf) of the same shape
 * and dtype (as in Gymnasium): any finite or infinite value is accepted and clipped; NaN and a
 * wrong length are still rejected, since no clipping can repair them.
 */
export class ClipAction extends Wrapper {
  private readonly inner: Box;
  private readonly space: Box;

  constructor(env: AnyEnv) {
    super(env);
    this.inner = requireBox(env.actionSpace, 'action', 'ClipAction', env.metadata.id);
    this.space = new Box(-Infinity, Infinity, this.inner.shape, this.inner.dtype);
  }

  override get actionSpace(): Space {
    return this.space;
  }

  override step(action: Action): StepResult<Observation> {
    assertAction(this.space, action, `${this.metadata.id} (ClipAction)`);
    const a = action as BoxValue;
    const out = this.inner.zeros();
    for (let i = 0; i < out.length; i++) {
      out[i] = Math.min(this.inner.high[i] as number, Math.max(this.inner.low[i] as number, a[i] as number));
    }
    return this.env.step(out);
  }
}

/**
 * The agent acts in [-1, 1]^n; the env receives `low + (a + 1) / 2 * (high - low)` elementwise, in
 * its physical units. The inner action space must be a Box with finite bounds. Actions outside
 * [-1, 1] are rejected (wrap in ClipAction outside this wrapper to clip them first).
 */
export class RescaleAction extends Wrapper {
  private readonly inner: Box;
  private readonly space: Box;

  constructor(env: AnyEnv) {
    super(env);
    this.inner = requireBox(env.actionSpace, 'action', 'RescaleAction', env.metadata.id);
    if (!this.inner.bounded) throw new UserError(`RescaleAction: ${env.metadata.id} has unbounded action space ${this.inner.toString()}; rescaling needs finite bounds`);
    this.space = new Box(-1, 1, this.inner.shape, this.inner.dtype);
  }

  override get actionSpace(): Space {
    return this.space;
  }

  /** The physical action the env receives for agent action `a` in [-1, 1]^n. */
  toPhysical(a: ArrayLike<number>): BoxValue {
    const out = this.inner.zeros();
    for (let i = 0; i < out.length; i++) {
      const lo = this.inner.low[i] as number;
      const hi = this.inner.high[i] as number;
      const v = lo + (((a[i] as number) + 1) / 2) * (hi - lo);
      out[i] = Math.min(hi, Math.max(lo, v)); // guard against rounding just past a bound
    }
    return out;
  }

  override step(action: Action): StepResult<Observation> {
    assertAction(this.space, action, `${this.metadata.id} (RescaleAction)`);
    return this.env.step(this.toPhysical(action as BoxValue));
  }
}

/** Serialisable running statistics of NormalizeObservation (JSON-safe). */
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

export interface NormalizeObservationOptions {
  /** Clip normalised values to [-clip, clip]; `null` or Infinity disables clipping. Default 10. */
  clip?: number | null;
  /** Added to the variance before the square root. Default 1e-8. */
  epsilon?: number;
  /**
   * Statistics to use (and update) instead of fresh ones. Pass one RunningMeanStd to every copy in
   * a SyncVectorEnv so all copies normalise alike and one state is saved with the policy.
   */
  rms?: RunningMeanStd;
}

/**
 * Normalises Box observations to `(obs - mean) / sqrt(var + epsilon)` with running statistics
 * updated from every observation (reset and step) before it is normalised, as Gymnasium does.
 * Set `frozen = true` for evaluation so the statistics stop moving; `getState()` / `setState()`
 * save and restore them with a trained policy.
 *
 * While not frozen, the same seed does not give the same normalised trajectory twice (the
 * statistics moved in between), so checkEnv applies to a frozen instance only.
 */
export class NormalizeObservation extends Wrapper {
  frozen = false;
  readonly rms: RunningMeanStd;
  readonly clip: number;
  readonly epsilon: number;
  private readonly space: Box;
  private readonly inner: Box;

  constructor(env: AnyEnv, options: NormalizeObservationOptions = {}) {
    super(env);
    this.inner = requireBox(env.observationSpace, 'observation', 'NormalizeObservation', env.metadata.id);
    const clip = options.clip === null ? Infinity : (options.clip ?? 10);
    if (!(clip > 0)) throw new UserError(`NormalizeObservation: clip must be a positive number or null, got ${clip}`);
    this.clip = clip;
    this.epsilon = options.epsilon ?? 1e-8;
    if (options.rms !== undefined && options.rms.size !== this.inner.size) {
      throw new UserError(`NormalizeObservation: shared statistics have size ${options.rms.size}, observations have ${this.inner.size}`);
    }
    this.rms = options.rms ?? new RunningMeanStd(this.inner.size);
    this.space = new Box(-clip, clip, this.inner.shape, this.inner.dtype);
  }

  override get observationSpace(): Space {
    return this.space;
  }

  getState(): RunningMeanStdState {
    return this.rms.getState();
  }

  setState(state: RunningMeanStdState): void {
    this.rms.setState(state);
  }

  /** Normalise one observation with the current statistics (no update). */
  normalize(obs: ArrayLike<number>): BoxValue {
    const out = this.inner.zeros();
    for (let i = 0; i < out.length; i++) {
      const z = ((obs[i] as number) - (this.rms.mean[i] as number)) / Math.sqrt((this.rms.var[i] as number) + this.epsilon);
      out[i] = Math.min(this.clip, Math.max(-this.clip, z));
    }
    return out;
  }

  private process(obs: Observation): BoxValue {
    const o = asBoxValue(obs, 'NormalizeObservation');
    if (!this.frozen) this.rms.update(o, 1);
    return this.normalize(o);
  }

  override reset(args?: ResetArgs): ResetResult<Observation> {
    const r = this.env.reset(args);
    return { observation: this.process(r.observation), info: r.info };
  }

  override step(action: Action): StepResult<Observation> {
    const r = this.env.step(action);
    return { ...r, observation: this.process(r.observation) };
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

/**
 * Stacks the last `k` Box observations into one flat observation of k * size values, oldest first.
 * At reset the history is padded with copies of the first observation. The space tiles the inner
 * bounds k times (shape [k * size]).
 */
export class ObservationHistory extends Wrapper {
  readonly k: number;
  private readonly inner: Box;
  private readonly space: Box;
  private history: BoxValue;

  constructor(env: AnyEnv, k: number) {
    super(env);
    if (!Number.isInteger(k) || k <= 0) throw new UserError(`ObservationHistory: k must be a positive integer, got ${k}`);
    this.k = k;
    this.inner = requireBox(env.observationSpace, 'observation', 'ObservationHistory', env.metadata.id);
    const n = this.inner.size;
    const low = new Float64Array(k * n);
    const high = new Float64Array(k * n);
    for (let j = 0; j < k; j++) {
      low.set(this.inner.low, j * n);
      high.set(this.inner.high, j * n);
    }
    this.space = new Box(low, high, [k * n], this.inner.dtype);
    this.history = this.space.zeros();
  }

  override get observationSpace(): Space {
    return this.space;
  }

  override reset(args?: ResetArgs): ResetResult<Observation> {
    const r = this.env.reset(args);
    const o = asBoxValue(r.observation, 'ObservationHistory');
    for (let j = 0; j < this.k; j++) this.history.set(o, j * this.inner.size);
    return { observation: this.history.slice(), info: r.info };
  }

  override step(action: Action): StepResult<Observation> {
    const r = this.env.step(action);
    const o = asBoxValue(r.observation, 'ObservationHistory');
    const n = this.inner.size;
    this.history.copyWithin(0, n); // drop the oldest
    this.history.set(o, (this.k - 1) * n);
    return { ...r, observation: this.history.slice() };
  }
}

export interface StandardWrapperOptions {
  /** Wrap in TimeLimit with this many steps (default: none; envs carry their own limit). */
  maxSteps?: number;
  /** For Box action spaces: agent acts in [-1, 1] (RescaleAction), clipped first (ClipAction). Default true. */
  rescaleActions?: boolean;
  /** Running observation normalisation (Box observations). Default false. */
  normalizeObservations?: boolean | NormalizeObservationOptions;
  /** Stack the last k observations (default 1 = no stacking). */
  history?: number;
}

export interface StandardStack {
  env: Env<Observation, Action>;
  /** The NormalizeObservation layer, to freeze it or save its state; undefined when not used. */
  normalizer?: NormalizeObservation;
}

/**
 * The usual stack, inner to outer: TimeLimit -> RecordEpisodeStatistics (on raw rewards and the
 * episode's real length) -> RescaleAction -> ClipAction (so an unbounded Gaussian policy output is
 * clipped to [-1, 1], then mapped to physical units) -> NormalizeObservation -> ObservationHistory
 * (stacks normalised observations, so the normaliser keeps per-feature statistics).
 */
export function standardWrappers(env: AnyEnv, options: StandardWrapperOptions = {}): StandardStack {
  let e: AnyEnv = env;
  if (options.maxSteps !== undefined) e = new TimeLimit(e, options.maxSteps);
  e = new RecordEpisodeStatistics(e);
  if ((options.rescaleActions ?? true) && e.actionSpace instanceof Box) e = new ClipAction(new RescaleAction(e));
  let normalizer: NormalizeObservation | undefined;
  if (options.normalizeObservations) {
    normalizer = new NormalizeObservation(e, options.normalizeObservations === true ? {} : options.normalizeObservations);
    e = normalizer;
  }
  if ((options.history ?? 1) > 1) e = new ObservationHistory(e, options.history as number);
  return normalizer ? { env: e, normalizer } : { env: e };
}

export type { Info };
