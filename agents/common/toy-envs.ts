/**
 * Tiny deterministic problems with known optimal actions, for the agents' CI tests (learning in a
 * few hundred steps) and for debugging: a two-armed bandit, a short chain MDP, a continuous
 * bandit, and scripted episodes whose rewards, costs and ends are given. Each is a proper `BaseEnv`.
 */
import { BaseEnv, type EnvMetadata, type ResetResult, type StepResult } from '../../src/core/env.ts';
import type { Rng } from '../../src/core/rng.ts';
import { Box, Discrete } from '../../src/core/spaces.ts';

type Obs = Float32Array;

/** One-step episodes; arm 1 pays 1, arm 0 pays 0 (plus optional Gaussian noise). Optimal: 1. */
export class TwoArmedBandit extends BaseEnv<Obs, number> {
  readonly observationSpace = new Box(0, 1, [1]);
  readonly actionSpace = new Discrete(2);
  readonly metadata: EnvMetadata = { id: 'TwoArmedBandit-test', stepDuration: { value: 1, unit: 'second' }, actionUnits: 'arm index' };
  constructor(private readonly noise = 0) {
    super();
  }
  protected resetModel(): ResetResult<Obs> {
    return { observation: new Float32Array([1]), info: {} };
  }
  protected stepModel(action: number): StepResult<Obs> {
    const reward = (action === 1 ? 1 : 0) + this.noise * this.rng.normal();
    return { observation: new Float32Array([1]), reward, terminated: true, truncated: false, info: { cost: action === 0 ? 1 : 0 } };
  }
}

/**
 * A chain of `n` states, one-hot observations, start at state 0. Action 1 moves right, 0 moves
 * left (floor at 0). Reaching state n-1 pays 1 and terminates; every other step pays 0. Episodes
 * are truncated after `limit` steps. Optimal: always 1.
 */
export class ChainMDP extends BaseEnv<Obs, number> {
  readonly observationSpace: Box;
  readonly actionSpace = new Discrete(2);
  readonly metadata: EnvMetadata;
  private state = 0;
  private t = 0;
  constructor(
    readonly n = 5,
    readonly limit = 20,
  ) {
    super();
    this.observationSpace = new Box(0, 1, [n]);
    this.metadata = { id: 'ChainMDP-test', stepDuration: { value: 1, unit: 'second' }, actionUnits: 'direction', maxEpisodeSteps: limit };
  }
  private obs(): Obs {
    const o = new Float32Array(this.n);
    o[this.state] = 1;
    return o;
  }
  protected resetModel(): ResetResult<Obs> {
    this.state = 0;
    this.t = 0;
    return { observation: this.obs(), info: {} };
  }
  protected stepModel(action: number): StepResult<Obs> {
    this.state = action === 1 ? this.state + 1 : Math.max(0, this.state - 1);
    this.t++;
    const terminated = this.state === this.n - 1;
    return { observation: this.obs(), reward: terminated ? 1 : 0, terminated, truncated: !terminated && this.t >= this.limit, info: {} };
  }
}

/** One-step episodes with a Box(-1, 1) action; reward -(a - target)^2. Optimal: a = target. */
export class ContinuousBandit extends BaseEnv<Obs, Obs> {
  readonly observationSpace = new Box(-1, 1, [2]);
  readonly actionSpace = new Box(-1, 1, [1]);
  readonly metadata: EnvMetadata = { id: 'ContinuousBandit-test', stepDuration: { value: 1, unit: 'second' }, actionUnits: 'unitless' };
  constructor(readonly target = 0.5) {
    super();
  }
  protected resetModel(rng: Rng): ResetResult<Obs> {
    return { observation: new Float32Array([rng.uniformRange(-1, 1), rng.uniformRange(-1, 1)]), info: {} };
  }
  protected stepModel(action: Obs): StepResult<Obs> {
    const a = action[0] as number;
    return { observation: new Float32Array(2), reward: -((a - this.target) ** 2), terminated: true, truncated: false, info: {} };
  }
}

export interface ScriptedEpisodesOptions {
  /** Steps per episode. */
  length: number;
  /** End by a time limit (truncated) instead of a terminal state. */
  truncate: boolean;
  /** The reward of the step that reaches count t (1, 2, ...). */
  reward: (t: number) => number;
  /** info.cost of that step (default 0). */
  cost?: (t: number) => number;
  /** A Box(-1, 1, [1]) action space instead of Discrete(2) (for agents of Box actions; ignored all the same). */
  box?: boolean;
}

/**
 * Episodes whose every number is known in advance, for checking what agents record: the
 * observation is [t], the steps taken in the episode; actions (Discrete(2), or Box(-1, 1, [1])) are ignored.
 */
export class ScriptedEpisodes extends BaseEnv<Obs, number | Obs> {
  /** Unbounded above, so that episodes of different lengths share one space (one vector env). */
  readonly observationSpace = new Box(0, Infinity, [1]);
  readonly actionSpace: Discrete | Box;
  readonly metadata: EnvMetadata = { id: 'ScriptedEpisodes-test', stepDuration: { value: 1, unit: 'second' }, actionUnits: 'ignored' };
  private t = 0;
  constructor(readonly options: ScriptedEpisodesOptions) {
    super();
    this.actionSpace = options.box === true ? new Box(-1, 1, [1]) : new Discrete(2);
  }
  protected resetModel(): ResetResult<Obs> {
    this.t = 0;
    return { observation: new Float32Array([0]), info: {} };
  }
  protected stepModel(): StepResult<Obs> {
    this.t++;
    const { length, truncate, reward, cost } = this.options;
    const end = this.t === length;
    return { observation: new Float32Array([this.t]), reward: reward(this.t), terminated: end && !truncate, truncated: end && truncate, info: { cost: cost?.(this.t) ?? 0 } };
  }
}
