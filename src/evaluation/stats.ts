/**
 * Aggregate statistics for evaluation results: mean, sample SD, percentile bootstrap 95 %
 * confidence intervals (seeded, so reruns give identical intervals) and paired differences.
 */
import { Rng } from '../core/rng.ts';

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (n - 1); 0 for a single value. */
export function sd(xs: readonly number[]): number {
  if (xs.length < 2) return xs.length === 1 ? 0 : Number.NaN;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

/** Linear-interpolated quantile (type 7, as numpy's default) of values, q in [0, 1]. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

export interface Interval {
  low: number;
  high: number;
}

/** Percentile bootstrap CI of the mean (resamples drawn from `seed`; deterministic). */
export function bootstrapMeanCI(xs: readonly number[], resamples: number, seed: number, level = 0.95): Interval {
  if (xs.length === 0) return { low: Number.NaN, high: Number.NaN };
  if (xs.length === 1) return { low: xs[0] as number, high: xs[0] as number };
  const rng = new Rng(seed).child('bootstrap');
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < xs.length; i++) s += xs[rng.int(xs.length)] as number;
    means[r] = s / xs.length;
  }
  const alpha = (1 - level) / 2;
  const arr = Array.from(means);
  return { low: quantile(arr, alpha), high: quantile(arr, 1 - alpha) };
}

/** Element-wise differences a[i] - b[i] of paired observations (same length required). */
export function pairedDifferences(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length) throw new RangeError(`pairedDifferences: ${a.length} vs ${b.length} observations`);
  return a.map((x, i) => x - (b[i] as number));
}
