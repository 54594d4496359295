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
import { argmax, sampleCategorical } from './distributions.ts';
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
    if (this.network.kind === 'q') {
      const n = (space as Discrete).n;
      const eps = Number(this.hyperparameters.explorationFinalEps ?? 0);
      if (!context.deterministic && this.actRng.uniform() < eps) return this.actRng.int(n);
      return argmax(this.nets.q(x, 1), 0, n);
    }
    const out = this.nets.policy(x, 1);
    if (space instanceof Discrete) {
      return context.deterministic ? argmax(out, 0, space.n) : sampleCategorical(out, 0, space.n, this.actRng);
    }
    const box = space as Box;
    const logStd = this.nets.logStd();
    const action = box.zeros();
    for (let i = 0; i < box.size; i++) {
      const mean = out[i] as number;
      action[i] = context.deterministic ? mean : mean + Math.exp(logStd[i] as number) * this.actRng.normal();
    }
    return clipToBox(action, box);
  }
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
