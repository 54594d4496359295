/**
 * The environment contract, modelled on Gymnasium's `Env`.
 *
 * - `reset({ seed, options })` starts an episode. With a seed the episode is fully determined by it;
 *   without one the env draws the next episode seed from its own stream (seeded once, at 0, if it
 *   was never seeded), so a sequence of resets is reproducible too.
 * - `step(action)` advances one decision step. `terminated` = the patient reached a terminal state
 *   (value bootstraps to 0); `truncated` = a time limit cut the episode (value still bootstraps).
 * - Stepping after `terminated`/`truncated` without `reset` throws, and actions outside the action
 *   space (including NaN) are rejected with an error naming the space.
 *
 * Concrete environments extend `BaseEnv` and implement only `resetModel` and `stepModel`; the base
 * class enforces the contract so no environment can forget it.
 */
import { EnvContractError } from './errors.ts';
import { Rng } from './rng.ts';
import type { Box, BoxValue, Discrete, Space } from './spaces.ts';

export type Observation = BoxValue | number;
export type Action = BoxValue | number;

/** Per-step side information. `cost` (>= 0) is the constraint cost for constrained RL. */
export interface Info {
  cost?: number;
  [key: string]: unknown;
}

export interface StepDuration {
  value: number;
  unit: 'second' | 'minute' | 'day' | 'month';
}

/** Seconds per unit of a StepDuration (a month is the mean Gregorian month, 365.2425 / 12 days). */
const SECONDS_PER_UNIT: Readonly<Record<StepDuration['unit'], number>> = { second: 1, minute: 60, day: 86400, month: (365.2425 / 12) * 86400 };

/** A step duration in seconds, so that durations in different units compare. */
export function durationSeconds(d: StepDuration): number {
  return d.value * SECONDS_PER_UNIT[d.unit];
}

export interface EnvMetadata {
  /** Registry id, e.g. 'T1D-v0'. */
  id: string;
  /** Simulated time covered by one `step`. */
  stepDuration: StepDuration;
  /** Physical units of the action, e.g. 'U/h' or 'dose fraction [0, 1]'. */
  actionUnits: string;
  /** Optional names of the observation's elements, in order. */
  observationLabels?: string[];
  /** Default episode length in steps (before any TimeLimit wrapper), when the env has one. */
  maxEpisodeSteps?: number;
  /** Names of the constraints whose costs appear in `info`, e.g. ['hypo70']. */
  constraints?: string[];
}

export interface ResetArgs {
  seed?: number;
  options?: Record<string, unknown>;
}

export interface ResetResult<Obs> {
  observation: Obs;
  info: Info;
}

export interface StepResult<Obs> {
  observation: Obs;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: Info;
}

export interface Env<Obs = Observation, Act = Action> {
  readonly observationSpace: Space;
  readonly actionSpace: Space;
  readonly metadata: EnvMetadata;
  reset(args?: ResetArgs): ResetResult<Obs>;
  step(action: Act): StepResult<Obs>;
  close(): void;
}

/** Check a seed argument: a non-negative safe integer. */
export function assertSeed(seed: unknown, where = 'seed'): asserts seed is number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    throw new EnvContractError(`${where}: expected a non-negative integer, got ${String(seed)}`);
  }
}

/** Reject an action outside `space` with a one-line error naming the space. */
export function assertAction(space: Space, action: unknown, envId: string): void {
  const why = space.explain(action);
  if (why !== undefined) throw new EnvContractError(`${envId}: action outside the action space ${space.toString()}: ${why}`);
}

export abstract class BaseEnv<Obs extends Observation = Observation, Act extends Action = Action> implements Env<Obs, Act> {
  abstract readonly observationSpace: Space;
  abstract readonly actionSpace: Space;
  abstract readonly metadata: EnvMetadata;

  /** The episode's random stream, recreated from the episode seed at every reset. */
  protected rng: Rng = new Rng(0);
  /** Draws episode seeds for resets that do not give one. */
  private seedStream: Rng | undefined;
  private needsReset = true;
  private closed = false;
  /** The seed of the current episode. */
  episodeSeed = 0;

  reset(args: ResetArgs = {}): ResetResult<Obs> {
    if (this.closed) throw new EnvContractError(`${this.metadata.id}: reset() after close()`);
    if (args.seed !== undefined) {
      assertSeed(args.seed, `${this.metadata.id}.reset: seed`);
      this.seedStream = new Rng(args.seed).child('episodes');
      this.episodeSeed = args.seed;
    } else {
      this.seedStream ??= new Rng(0).child('episodes');
      this.episodeSeed = this.seedStream.nextSeed();
    }
    this.rng = new Rng(this.episodeSeed).child('env');
    const result = this.resetModel(this.rng, args.options ?? {});
    this.needsReset = false;
    return result;
  }

  step(action: Act): StepResult<Obs> {
    if (this.closed) throw new EnvContractError(`${this.metadata.id}: step() after close()`);
    if (this.needsReset) {
      throw new EnvContractError(`${this.metadata.id}: step() called before reset() or after the episode ended; call reset() first`);
    }
    assertAction(this.actionSpace, action, this.metadata.id);
    const result = this.stepModel(action);
    if (!Number.isFinite(result.reward)) throw new Error(`${this.metadata.id}: model produced a non-finite reward ${result.reward}`);
    if (result.terminated || result.truncated) this.needsReset = true;
    return result;
  }

  close(): void {
    this.closed = true;
  }

  /** Start a new episode from `rng` (already seeded for this episode) and return the first observation. */
  protected abstract resetModel(rng: Rng, options: Record<string, unknown>): ResetResult<Obs>;
  /** Advance one step with an action already checked against the action space. */
  protected abstract stepModel(action: Act): StepResult<Obs>;
}

export type BoxEnv<Act extends Action = Action> = Env<BoxValue, Act>;
export type { Box, Discrete, Space };
