/**
 * RiskyPath: a tiny constrained MDP (a DoseGym test problem, not from the literature, and not in the
 * registry) where the quickest way to the goal crosses a hazard. It exists so a CI test can show
 * plain PPO exceeding a cost budget while PPO-Lagrangian (Ray, Achiam & Amodei 2019, "Benchmarking
 * Safe Exploration in Deep RL") keeps within it, in a few seconds of training.
 *
 * Two lanes of `length` cells; the agent starts at the left end of lane 0, the goal is at the right
 * end of lane 0:
 *
 *   lane 0:  S  H  H  H  G      S start, G goal, H hazard (cost 1 per step spent there)
 *   lane 1:  .  .  .  .  .      the detour lane: no cost
 *
 * Actions (Discrete(2)): 0 = move forward one cell (a wall at the right end), 1 = switch lane.
 * - Risky route: forward x (length-1): length-1 steps, cost length-2 (3 with length 5).
 * - Safe route: switch, forward x (length-1), switch: length+1 steps, cost 0.
 * Reward: -stepPenalty every step, +goalReward on the step that reaches G (terminated). With the
 * defaults the risky route returns 1 - 4 x 0.1 = 0.6 and the safe route 1 - 6 x 0.1 = 0.4, so an
 * unconstrained agent prefers the hazard. Episodes are truncated after maxEpisodeSteps (a time limit:
 * bootstrap). Observation: one-hot of the cell (lane * length + column). Deterministic dynamics.
 *
 * `info.cost` = 1 when the step ends in a hazard cell, else 0; `info.hazard` the same as a boolean.
 */
import { BaseEnv, type EnvMetadata, type ResetResult, type StepResult } from '../../src/core/env.ts';
import { UserError } from '../../src/core/errors.ts';
import { Box, Discrete } from '../../src/core/spaces.ts';

export interface RiskyPathOptions {
  /** Cells per lane (>= 3): the hazard covers columns 1..length-2 of lane 0. */
  length?: number;
  /** Reward subtracted every step (favours the short route). */
  stepPenalty?: number;
  /** Reward added on reaching the goal. */
  goalReward?: number;
  /** Time limit in steps (truncation). */
  maxEpisodeSteps?: number;
}

export const RISKY_PATH_DEFAULTS: Required<RiskyPathOptions> = { length: 5, stepPenalty: 0.1, goalReward: 1, maxEpisodeSteps: 20 };

export const FORWARD = 0;
export const SWITCH_LANE = 1;

type Obs = Float32Array;

export class RiskyPath extends BaseEnv<Obs, number> {
  readonly observationSpace: Box;
  readonly actionSpace = new Discrete(2);
  readonly metadata: EnvMetadata;
  readonly options: Required<RiskyPathOptions>;
  private lane = 0;
  private column = 0;
  private t = 0;

  constructor(options: RiskyPathOptions = {}) {
    super();
    const o = { ...RISKY_PATH_DEFAULTS, ...options };
    if (!Number.isInteger(o.length) || o.length < 3) throw new UserError(`RiskyPath.length: expected an integer >= 3, got ${o.length}`);
    if (!Number.isInteger(o.maxEpisodeSteps) || o.maxEpisodeSteps < 1) {
      throw new UserError(`RiskyPath.maxEpisodeSteps: expected a positive integer, got ${o.maxEpisodeSteps}`);
    }
    this.options = o;
    this.observationSpace = new Box(0, 1, [2 * o.length]);
    this.metadata = {
      id: 'RiskyPath-toy',
      stepDuration: { value: 1, unit: 'second' },
      actionUnits: '0 = forward, 1 = switch lane',
      maxEpisodeSteps: o.maxEpisodeSteps,
      constraints: ['hazard'],
    };
  }

  /** True when (lane, column) is a hazard cell. */
  isHazard(lane: number, column: number): boolean {
    return lane === 0 && column >= 1 && column <= this.options.length - 2;
  }

  private observation(): Obs {
    const o = new Float32Array(2 * this.options.length);
    o[this.lane * this.options.length + this.column] = 1;
    return o;
  }

  protected resetModel(): ResetResult<Obs> {
    this.lane = 0;
    this.column = 0;
    this.t = 0;
    return { observation: this.observation(), info: { cost: 0, hazard: false, lane: 0, column: 0 } };
  }

  protected stepModel(action: number): StepResult<Obs> {
    const { length, stepPenalty, goalReward, maxEpisodeSteps } = this.options;
    if (action === FORWARD) this.column = Math.min(this.column + 1, length - 1);
    else this.lane = 1 - this.lane;
    this.t++;
    const terminated = this.lane === 0 && this.column === length - 1;
    const hazard = this.isHazard(this.lane, this.column);
    return {
      observation: this.observation(),
      reward: -stepPenalty + (terminated ? goalReward : 0),
      terminated,
      truncated: !terminated && this.t >= maxEpisodeSteps,
      info: { cost: hazard ? 1 : 0, hazard, lane: this.lane, column: this.column },
    };
  }
}
