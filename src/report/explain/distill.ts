/**
 * Distilling a learned policy into a rule table: a CART regression tree (cart.ts) of depth at most
 * 4 fitted to the policy's own actions on the evaluation states it met (state-sample.json), over
 * readable features of the observation (e.g. CGM in mg/dL, its trend, insulin on board), and its
 * fidelity measured on HELD-OUT evaluation days: the share of held-out states whose action the tree
 * reproduces within 10 % of the action range. Model distillation in the sense of Bastani, Kim &
 * Bastani (Interpreting blackbox models via model extraction, 2017) and of VIPER's decision trees
 * (Bastani, Pu & Solar-Lezama, NeurIPS 2018), without their resampling: the tree imitates the
 * deterministic policy on the states it actually visited.
 *
 * Held-out split, by evaluation day: the (patient, episode) pairs in order of first appearance; every
 * fourth pair (index 3, 7, ...) is held out for all training seeds alike, or the last pair when there
 * are fewer than four; with a single pair, every fourth sampled state. No held-out state is used
 * to fit, so the fidelity is an out-of-sample number, and a low one is reported as it is.
 */
import type { SampledState } from '../../evaluation/state-sample.ts';
import { cartDepth, cartRules, fitCart, predictCart, type CartNode } from './cart.ts';

/** Depth limit of a distilled tree (at most 16 rules a reader can take in). */
export const DISTILL_MAX_DEPTH = 4;
/** A tree reproduces an action when within this share of the action range. */
export const FIDELITY_TOLERANCE = 0.1;

export interface DistilledPolicy {
  /** Feature names (with units) the tree splits on. */
  features: string[];
  tree: CartNode;
  depth: number;
  /** The action range the tolerance is taken of (Box: high - low; Discrete: n - 1). */
  actionRange: number;
  /** FIDELITY_TOLERANCE x actionRange. */
  tolerance: number;
  /** States fitted on and held out. */
  fitStates: number;
  heldOutStates: number;
  /** Held-out states whose action the tree reproduces within the tolerance, and their share. */
  reproduced: number;
  fidelity: number;
  /** How the held-out states were chosen (for the caption). */
  split: string;
}

/** Which states are held out (see the header): a mask over `states`, and a description. */
export function heldOutMask(states: readonly SampledState[]): { mask: boolean[]; split: string } {
  const keys: string[] = [];
  const index = new Map<string, number>();
  for (const s of states) {
    const k = `${s.patient ?? ''}\u0000${s.episode}`;
    if (!index.has(k)) {
      index.set(k, keys.length);
      keys.push(k);
    }
  }
  if (keys.length === 1) return { mask: states.map((_, i) => i % 4 === 3), split: 'every fourth sampled state of the single evaluation day (one day only: held-out states come from the same day)' };
  const held = new Set(keys.filter((_, i) => i % 4 === 3));
  if (held.size === 0) held.add(keys[keys.length - 1] as string);
  return {
    mask: states.map((s) => held.has(`${s.patient ?? ''}\u0000${s.episode}`)),
    split: `${held.size} of ${keys.length} evaluation days (patient, episode) held out, never fitted on`,
  };
}

/** Whether the tree reproduces `action` (within the tolerance). */
export function reproduces(tree: CartNode, features: readonly number[], action: number, tolerance: number): boolean {
  return Math.abs(predictCart(tree, features) - action) <= tolerance + 1e-12;
}

/**
 * Fits the tree to the states not held out and counts its fidelity on the held-out ones. The action
 * is the policy's first action element (every DoseGym dosing env has a one-dimensional dose).
 */
export function distillPolicy(states: readonly SampledState[], features: { names: string[]; values(observation: readonly number[]): number[] }, actionRange: number): DistilledPolicy {
  if (!(actionRange > 0 && Number.isFinite(actionRange))) throw new RangeError(`distillPolicy: action range must be a positive number, got ${actionRange}`);
  const { mask, split } = heldOutMask(states);
  const x = states.map((s) => features.values(s.observation));
  const y = states.map((s) => s.action[0] as number);
  const fitX = x.filter((_, i) => !mask[i]);
  const fitY = y.filter((_, i) => !mask[i]);
  if (fitX.length === 0) throw new RangeError('distillPolicy: no states left to fit after holding out');
  // Leaves of at least 1 % of the fitted states (and 5): no rule for a handful of states.
  const tree = fitCart(fitX, fitY, { maxDepth: DISTILL_MAX_DEPTH, minSamplesLeaf: Math.max(5, Math.ceil(fitX.length / 100)) });
  const tolerance = FIDELITY_TOLERANCE * actionRange;
  let held = 0;
  let reproduced = 0;
  for (let i = 0; i < states.length; i++) {
    if (!mask[i]) continue;
    held++;
    if (reproduces(tree, x[i] as number[], y[i] as number, tolerance)) reproduced++;
  }
  return { features: features.names, tree, depth: cartDepth(tree), actionRange, tolerance, fitStates: fitX.length, heldOutStates: held, reproduced, fidelity: held === 0 ? Number.NaN : reproduced / held, split };
}

/** A tree's leaves as readable rules: "CGM (mg/dL) > 182 and IOB (x basal IOB) <= 1.3". */
export function readableRules(d: DistilledPolicy, digits = 3): { rule: string; value: number; n: number }[] {
  const fmt = (v: number) => Number(v.toPrecision(digits)).toString();
  return cartRules(d.tree).map((r) => {
    // Merge repeated conditions on one feature into a range.
    const bounds = new Map<number, { lo?: number; hi?: number }>();
    for (const c of r.conditions) {
      const b = bounds.get(c.feature) ?? {};
      if (c.op === '<=') b.hi = b.hi === undefined ? c.threshold : Math.min(b.hi, c.threshold);
      else b.lo = b.lo === undefined ? c.threshold : Math.max(b.lo, c.threshold);
      bounds.set(c.feature, b);
    }
    const parts = [...bounds.entries()].map(([f, b]) => {
      const name = d.features[f] ?? `x${f}`;
      if (b.lo !== undefined && b.hi !== undefined) return `${fmt(b.lo)} < ${name} <= ${fmt(b.hi)}`;
      return b.lo !== undefined ? `${name} > ${fmt(b.lo)}` : `${name} <= ${fmt(b.hi as number)}`;
    });
    return { rule: parts.length > 0 ? parts.join(' and ') : 'always', value: r.value, n: r.n };
  });
}
