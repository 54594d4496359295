/**
 * A trained agent as a `Policy` (src/core/policy.ts): what `train` returns and `loadPolicy` rebuilds.
 * It acts through the typed-array forward pass over its ParamStore (no tfjs needed at evaluation),
 * normalising observations with statistics that are frozen here: only the training loop updates them.
 */
import type { Action, Observation } from '../../src/core/env.ts';
import type { ActContext, Policy } from '../../src/core/policy.ts';
import { Rng } from '../../src/core/rng.ts';
import { Box, Discrete, type Space } from '../../src/core/spaces.ts';
import { RunningMeanStd } from '../../src/core/wrappers.ts';
import { argmax, betaConcentrations, betaMode, sampleBeta, sampleCategorical, squashedLogStd } from './distributions.ts';
import { NetworksTyped, type NetworkDescription } from './networks.ts';
import type { ParamStore } from './params.ts';

/** Observation normalisation as SB3's VecNormalize / Gymnasium's NormalizeObservation: clip 10, eps 1e-8. */
export const OBS_CLIP = 10;
export const OBS_EPSILON = 1e-8;

/** An algorithm's name in the table (agents/index.ts), e.g. 'ppo'. */
export type Algorithm = string;

export interface TrainedPolicyInit {
  algorithm: Algorithm;
  envId: string;
  observationSpace: Box;
  actionSpace: Space;
  network: NetworkDescription;
  params: ParamStore;
  hyperparameters: Record<string, unknown>;
  /** Running observation statistics, or null when observations are not normalised. */
  normalization: RunningMeanStd | null;
  backend: string;
  seed: number;
  totalSteps: number;
}

export class TrainedPolicy implements Policy<Observation, Action> {
  readonly name: string;
  readonly algorithm: Algorithm;
  readonly envId: string;
  readonly observationSpace: Box;
  readonly actionSpace: Space;
  readonly network: NetworkDescription;
  readonly params: ParamStore;
  readonly hyperparameters: Record<string, unknown>;
  readonly normalization: RunningMeanStd | null;
  readonly backend: string;
  readonly seed: number;
  totalSteps: number;
  readonly nets: NetworksTyped;
  /** Stream for stochastic actions (`deterministic: false`). */
  private actRng: Rng;
  private readonly normBuffer: Float64Array;

  constructor(init: TrainedPolicyInit) {
    this.algorithm = init.algorithm;
    this.name = init.algorithm;
    this.envId = init.envId;
    this.observationSpace = init.observationSpace;
    this.actionSpace = init.actionSpace;
    this.network = init.network;
    this.params = init.params;
    this.hyperparameters = init.hyperparameters;
    this.normalization = init.normalization;
    this.backend = init.backend;
    this.seed = init.seed;
    this.totalSteps = init.totalSteps;
    this.nets = new NetworksTyped(init.params, init.network);
    this.actRng = new Rng(init.seed).child('policy-act');
    this.normBuffer = new Float64Array(init.observationSpace.size);
  }

  /** Reseed the stream used for stochastic actions. */
  seedActions(seed: number): void {
    this.actRng = new Rng(seed).child('policy-act');
  }

  /** Normalise `rows` observations (row-major) into `out` (or return the input when not normalising). */
  normalize(obs: ArrayLike<number>, rows: number, out?: Float64Array): ArrayLike<number> {
    const rms = this.normalization;
    if (rms === null) return obs;
    const d = rms.size;
    const dst = out ?? new Float64Array(rows * d);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < d; j++) {
        const z = ((obs[r * d + j] as number) - (rms.mean[j] as number)) / Math.sqrt((rms.var[j] as number) + OBS_EPSILON);
        dst[r * d + j] = z > OBS_CLIP ? OBS_CLIP : z < -OBS_CLIP ? -OBS_CLIP : z;
      }
    }
    return dst;
  }

  act(observation: Observation, context: ActContext): Action {
    if (typeof observation === 'number' || observation.length !== this.observationSpace.size) {
      throw new Error(`${this.name}.act: expected an observation of ${this.observationSpace.size} values`);
    }
    const x = this.normalize(observation, 1, this.normBuffer);
    const space = this.actionSpace;
    const out = this.network.kind === 'q' ? this.nets.q(x, 1) : this.nets.policy(x, 1);
    if (context.deterministic) return this.deterministicAction(out, 0);
    if (space instanceof Discrete) {
      if (this.network.distribution === 'categorical') return sampleCategorical(out, 0, space.n, this.actRng);
      const eps = Number(this.hyperparameters.explorationFinalEps ?? 0);
      return this.actRng.uniform() < eps ? this.actRng.int(space.n) : argmax(out, 0, space.n);
    }
    return this.boxAction(out, 0, this.actRng);
  }

  /**
   * The deterministic action for row `row` of the head's outputs `out` (of `nets.policy`, or
   * `nets.q` for DQN), in the action space's units: the argmax for Discrete spaces; for a Box the
   * mode of the Beta, tanh of the squashed Gaussian's mean (its median, the convention of SAC's
   * authors and of CleanRL and SB3), or the clipped Gaussian mean ('gaussian-clip').
   */
  deterministicAction(out: ArrayLike<number>, row: number): Action {
    const space = this.actionSpace;
    if (space instanceof Discrete) return argmax(out, row * space.n, space.n);
    return this.boxAction(out, row, null);
  }

  /** The Box action of row `row` of the head's outputs: a draw from `rng`, or the deterministic action when `rng` is null. */
  private boxAction(out: ArrayLike<number>, row: number, rng: Rng | null): Action {
    const box = this.actionSpace as Box;
    const d = box.size;
    const action = box.zeros();
    for (let i = 0; i < d; i++) {
      switch (this.network.distribution) {
        case 'beta':
        case 'beta-mode': {
          const { a, b } = betaConcentrations(this.network.distribution, out[row * 2 * d + i] as number, out[row * 2 * d + d + i] as number);
          action[i] = onBox(box, i, rng === null ? betaMode(a, b) : sampleBeta(a, b, rng));
          break;
        }
        case 'squashed-gaussian': {
          const mean = out[row * 2 * d + i] as number;
          const u = rng === null ? mean : mean + Math.exp(squashedLogStd(out[row * 2 * d + d + i] as number)) * rng.normal();
          action[i] = onBox(box, i, (Math.tanh(u) + 1) / 2);
          break;
        }
        default: {
          const mean = out[row * d + i] as number;
          action[i] = rng === null ? mean : mean + Math.exp(this.nets.logStd()[i] as number) * rng.normal();
        }
      }
    }
    // The Gaussian is clipped here; for the Beta and the squashed Gaussian this only guards rounding.
    return clipToBox(action, box);
  }

  /**
   * Mean of the deterministic action (`deterministicAction`) over `rows` rows of head outputs,
   * and over the action dimensions of a Box: training.csv's action_mean.
   */
  meanDeterministicAction(out: ArrayLike<number>, rows: number): number {
    let sum = 0;
    let count = 0;
    for (let r = 0; r < rows; r++) {
      const a = this.deterministicAction(out, r);
      if (typeof a === 'number') {
        sum += a;
        count++;
      } else {
        for (const v of a) sum += v;
        count += a.length;
      }
    }
    return sum / count;
  }
}

/** A point u in [0, 1] of the Box's dimension i: low + (high - low) u. */
function onBox(box: Box, i: number, u: number): number {
  const low = box.low[i] as number;
  return low + ((box.high[i] as number) - low) * u;
}

/**
 * Clip an action into the Box. Storing into the space's own dtype rounds the clipped value exactly
 * as `Box.explain` rounds its bounds, so the result is always accepted.
 */
export function clipToBox<T extends Float32Array | Float64Array>(action: T, box: Box): T {
  for (let i = 0; i < box.size; i++) {
    const lo = box.low[i] as number;
    const hi = box.high[i] as number;
    const v = action[i] as number;
    action[i] = v < lo ? lo : v > hi ? hi : v;
  }
  return action;
}

export { RunningMeanStd };
