/**
 * Summary statistics shared by training (agents/) and evaluation (src/evaluation/stats.ts): one
 * definition of the mean and of the quantile, so a number logged during training and the same
 * number in the evaluation's files are computed alike.
 */

/** The arithmetic mean; NaN when empty. */
export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
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
