/**
 * Dose actions shared by the chemotherapy envs and their baselines: either a continuous
 * Box(0, 1, [1]) dose fraction, or `levels` evenly spaced doses 0, 1/(n-1), ..., 1 as Discrete(n)
 * (DTR-Bench's discrete variant maps its `n_act` actions the same way).
 */
import { UserError } from '../../src/core/errors.ts';
import type { Action } from '../../src/core/env.ts';
import { Box, Discrete, type Space } from '../../src/core/spaces.ts';

/** The action space for a dose fraction in [0, 1]: continuous when `levels` is null. */
export function doseActionSpace(levels: number | null): Box | Discrete {
  return levels === null ? new Box(0, 1, [1], 'float32') : new Discrete(levels);
}

/** The dose fraction in [0, 1] an (already validated) action stands for. */
export function actionToDose(action: Action, space: Space): number {
  if (space.type === 'Discrete') return space.n === 1 ? 0 : (action as number) / (space.n - 1);
  return (action as Float32Array | Float64Array)[0] as number;
}

/** The action giving `dose` (clamped to [0, 1]); for a discrete space, the nearest level. */
export function doseToAction(dose: number, space: Space): Action {
  if (!Number.isFinite(dose)) throw new UserError(`dose: expected a finite number in [0, 1], got ${dose}`);
  const d = Math.min(1, Math.max(0, dose));
  if (space.type === 'Discrete') return Math.round(d * (space.n - 1));
  if (space.size !== 1) throw new UserError(`action space: expected a single dose, got ${space.toString()}`);
  const out = space.zeros();
  out[0] = Math.min(space.high[0] as number, Math.max(space.low[0] as number, d));
  return out;
}
