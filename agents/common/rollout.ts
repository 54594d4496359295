/**
 * Acting during an on-policy rollout, shared by PPO and PPO-Lagrangian: one sampled action per env
 * from the policy head, recorded with its log-probability in the rollout buffers.
 */
import type { Action } from '../../src/core/env.ts';
import { Box, type Space } from '../../src/core/spaces.ts';
import type { Rng } from '../../src/core/rng.ts';
import { betaConcentrations, betaLogProb, isBetaDistribution, categoricalLogProb, gaussianLogProb, sampleBeta, sampleCategorical } from './distributions.ts';
import type { PolicyDistribution } from './networks.ts';
import { clipToBox } from './policy.ts';

export interface RolloutBuffers {
  /** [T x numEnvs x actionSize] for Box (what `sampleRolloutActions` records), [T x numEnvs] for Discrete. */
  bufActions: Float32Array;
  /** [T x numEnvs]. */
  bufLogProbs: Float64Array;
}

/**
 * The Gaussian's standard-normal draws held over `holdSteps` steps of each env (PPO's
 * `noiseHoldSteps`): an env's draw is renewed on its first step, every `holdSteps` steps after, and
 * on the first step of each new episode (`episodeEnded`).
 */
export class HeldNoise {
  readonly noise: Float64Array;
  /** Steps since each env's draw was renewed (0: renew at the next step). */
  readonly age: Float64Array;

  constructor(readonly numEnvs: number, readonly actionSize: number, readonly holdSteps: number) {
    this.noise = new Float64Array(numEnvs * actionSize);
    this.age = new Float64Array(numEnvs);
  }

  /** Env `e`'s draw for dimension `k` at this step (call once per dimension, in order, then `advance(e)`). */
  draw(e: number, k: number, rng: Rng): number {
    if (this.age[e] === 0) this.noise[e * this.actionSize + k] = rng.normal();
    return this.noise[e * this.actionSize + k] as number;
  }

  advance(e: number): void {
    this.age[e] = ((this.age[e] as number) + 1) % this.holdSteps;
  }

  episodeEnded(e: number): void {
    this.age[e] = 0;
  }
}

/**
 * Samples the actions of rollout step `t` from the policy head's outputs `out` (one row per env)
 * and returns what the envs receive. The buffers keep what the loss differentiates:
 * - 'categorical': the action index;
 * - 'beta', 'beta-mode': the draw x in (0, 1) per dimension, whose action is low + (high - low) x (never
 *   clipped: the Box is the Beta's support), and log-density of its float32 copy;
 * - 'gaussian-clip': the unclipped sample around the means with `logStd` and its log-density; the
 *   env receives it clipped to the Box. With `held`, the standard-normal draws are held over steps
 *   (`HeldNoise`).
 */
export function sampleRolloutActions(
  out: ArrayLike<number>,
  distribution: PolicyDistribution,
  logStd: ArrayLike<number> | null,
  actSpace: Space,
  numEnvs: number,
  t: number,
  rng: Rng,
  buffers: RolloutBuffers,
  held?: HeldNoise,
): Action[] {
  const { bufActions, bufLogProbs } = buffers;
  const actions: Action[] = [];
  if (actSpace instanceof Box && isBetaDistribution(distribution)) {
    const d = actSpace.size;
    for (let e = 0; e < numEnvs; e++) {
      const i = t * numEnvs + e;
      const action = actSpace.zeros();
      let logp = 0;
      for (let k = 0; k < d; k++) {
        const { a, b } = betaConcentrations(distribution, out[e * 2 * d + k] as number, out[e * 2 * d + d + k] as number);
        const x = Math.fround(sampleBeta(a, b, rng));
        bufActions[i * d + k] = x;
        logp += betaLogProb(a, b, x);
        const low = actSpace.low[k] as number;
        action[k] = low + ((actSpace.high[k] as number) - low) * x;
      }
      bufLogProbs[i] = logp;
      // Rounding guard only (x < 1, so low + (high - low) x <= high up to the last bit).
      actions.push(clipToBox(action, actSpace));
    }
  } else if (actSpace instanceof Box) {
    const actionSize = actSpace.size;
    for (let e = 0; e < numEnvs; e++) {
      const i = t * numEnvs + e;
      const sample = new Float64Array(actionSize);
      for (let k = 0; k < actionSize; k++) {
        const eps = held === undefined ? rng.normal() : held.draw(e, k, rng);
        sample[k] = (out[e * actionSize + k] as number) + Math.exp((logStd as ArrayLike<number>)[k] as number) * eps;
        bufActions[i * actionSize + k] = sample[k] as number;
      }
      held?.advance(e);
      bufLogProbs[i] = gaussianLogProb(out, e * actionSize, logStd as ArrayLike<number>, sample, 0);
      const action = actSpace.zeros();
      action.set(sample);
      actions.push(clipToBox(action, actSpace));
    }
  } else {
    const n = actSpace.n;
    for (let e = 0; e < numEnvs; e++) {
      const i = t * numEnvs + e;
      const a = sampleCategorical(out, e * n, n, rng);
      bufActions[i] = a;
      bufLogProbs[i] = categoricalLogProb(out, e * n, n, a);
      actions.push(a);
    }
  }
  return actions;
}
