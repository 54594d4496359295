/**
 * Small descriptive statistics for the report charts. Computed here in TypeScript (not in Vega
 * transforms) so that the numbers drawn are testable and the inlined chart data stay small.
 */

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
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (h - lo) * (b - a);
}

/** Quantiles of unsorted values (NaN values are dropped). */
export function quantiles(values: readonly number[], ps: readonly number[]): number[] {
  const sorted = Float64Array.from(values.filter((v) => !Number.isNaN(v))).sort();
  return ps.map((p) => quantileSorted(sorted, p));
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** Sample standard deviation (n - 1); 0 for a single value. */
export function sd(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const m = mean(values);
  let s = 0;
  for (const v of values) s += (v - m) * (v - m);
  return Math.sqrt(s / (n - 1));
}

/** Groups rows by a key, keeping first-seen key order (so chart order follows the input). */
export function groupBy<T, K>(rows: readonly T[], key: (row: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return out;
}

/** Rounds for inlined chart data: keeps specs small and diffable without visible loss. */
export function round(x: number, digits = 4): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Rounds to significant digits (for quantities spanning decades, e.g. tumour burden). */
export function roundSig(x: number, digits = 5): number {
  if (!Number.isFinite(x) || x === 0) return x;
  return Number(x.toPrecision(digits));
}

/**
 * The item whose score is the median of all scores (the lower middle one for an even count; ties
 * keep input order): a "representative" episode or day for the glucose-trace and chemotherapy
 * charts, chosen by e.g. time in range, rather than the best or the worst one.
 */
export function representative<T>(items: readonly T[], score: (item: T) => number): T {
  if (items.length === 0) throw new RangeError('representative: no items to choose from');
  const order = items.map((item, i) => ({ item, i, s: score(item) })).sort((a, b) => a.s - b.s || a.i - b.i);
  return order[Math.floor((order.length - 1) / 2)]!.item;
}
