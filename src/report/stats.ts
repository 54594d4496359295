/**
 * Small descriptive statistics for the report charts. Computed here in TypeScript (not in Vega
 * transforms) so that the numbers drawn are testable and the inlined chart data stay small.
 * mean, sd and quantiles are the evaluation's own (src/evaluation/stats.ts), so a chart draws
 * exactly the numbers of the summary files.
 */
import { mean, quantileSorted, sd } from '../evaluation/stats.ts';

export { mean, quantileSorted, sd };

/** Quantiles of unsorted values (NaN values are dropped). */
export function quantiles(values: readonly number[], ps: readonly number[]): number[] {
  const sorted = Float64Array.from(values.filter((v) => !Number.isNaN(v))).sort();
  return ps.map((p) => quantileSorted(sorted, p));
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
