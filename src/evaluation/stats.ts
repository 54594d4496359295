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

/**
 * The p-quantile (p in [0, 1]) of already sorted values, by linear interpolation between closest
 * ranks (Hyndman & Fan type 7, the default of numpy.percentile and R's quantile).
 */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  if (!(p >= 0 && p <= 1)) throw new RangeError(`quantile: p must be in [0, 1], got ${p}`);
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (h - lo) * (b - a);
}

/** Linear-interpolated quantile (type 7, as numpy's default) of values, q in [0, 1]. */
export function quantile(values: readonly number[], q: number): number {
  return quantileSorted(Float64Array.from(values).sort(), q);
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
