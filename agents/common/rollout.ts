/**
 * Acting during an on-policy rollout, shared by PPO and PPO-Lagrangian: one sampled action per env
 * from the policy head, recorded (unclipped) with its log-probability in the rollout buffers.
 */
import type { Action } from '../../src/core/env.ts';
import { Box, type Space } from '../../src/core/spaces.ts';
import type { Rng } from '../../src/core/rng.ts';
import { categoricalLogProb, gaussianLogProb, sampleCategorical } from './distributions.ts';
import { clipToBox } from './policy.ts';

export interface RolloutBuffers {
  /** [T x numEnvs x actionSize] for Box (the unclipped samples), [T x numEnvs] for Discrete. */
  bufActions: Float32Array;
  /** [T x numEnvs]. */
  bufLogProbs: Float64Array;
}

/**
 * Samples the actions of rollout step `t`: diagonal Gaussian around `out` (means) with `logStd` for a
 * Box space, categorical over `out` (logits) for Discrete. Returns what the envs receive: Box samples
 * clipped to the space, while the buffers keep the unclipped sample and its log-probability.
 */
export function sampleRolloutActions(out: ArrayLike<number>, logStd: ArrayLike<number> | null, actSpace: Space, numEnvs: number, t: number, rng: Rng, buffers: RolloutBuffers): Action[] {
  const { bufActions, bufLogProbs } = buffers;
  const actions: Action[] = [];
  if (actSpace instanceof Box) {
    const actionSize = actSpace.size;
    for (let e = 0; e < numEnvs; e++) {
      const i = t * numEnvs + e;
      const sample = new Float64Array(actionSize);
      for (let k = 0; k < actionSize; k++) {
        sample[k] = (out[e * actionSize + k] as number) + Math.exp((logStd as ArrayLike<number>)[k] as number) * rng.normal();
        bufActions[i * actionSize + k] = sample[k] as number;
      }
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
