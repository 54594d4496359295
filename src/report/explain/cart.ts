/**
 * A small CART regression tree (Breiman, Friedman, Olshen & Stone, Classification and Regression
 * Trees, 1984, ch. 8): binary splits `x[f] <= t` chosen greedily to minimise the summed squared
 * error of the two children, leaves predicting the mean of their samples. Used to distil a learned
 * policy into a readable rule table (distill.ts), so it favours exactness and determinism over
 * speed: every feature and every midpoint between consecutive distinct values is a candidate, ties
 * keep the first feature and the lowest threshold.
 *
 * (The npm package ml-cart 2.1.1 was tried and rejected: its regression tree missed an obvious
 * second-level split on a toy problem; test/report-explain.test.ts checks that this one makes it.)
 */

export interface CartOptions {
  /** Maximum depth (a root-only tree has depth 0). */
  maxDepth: number;
  /** Fewest samples in a leaf (default 1). */
  minSamplesLeaf?: number;
}

export type CartNode =
  | { kind: 'leaf'; value: number; n: number }
  | { kind: 'split'; feature: number; threshold: number; n: number; left: CartNode; right: CartNode };

/** Sum of squared deviations from the mean of y over `idx`. */
function sse(y: ArrayLike<number>, idx: readonly number[]): { sum: number; sse: number } {
  let s = 0;
  let s2 = 0;
  for (const i of idx) {
    const v = y[i] as number;
    s += v;
    s2 += v * v;
  }
  return { sum: s, sse: s2 - (s * s) / Math.max(1, idx.length) };
}

/** Fits a regression tree to rows `x` (each a feature vector) and targets `y`. */
export function fitCart(x: readonly (readonly number[])[], y: readonly number[], options: CartOptions): CartNode {
  if (x.length !== y.length) throw new RangeError(`fitCart: ${x.length} rows but ${y.length} targets`);
  if (x.length === 0) throw new RangeError('fitCart: no rows to fit');
  if (!(Number.isInteger(options.maxDepth) && options.maxDepth >= 0)) throw new RangeError(`fitCart: maxDepth must be an integer >= 0, got ${options.maxDepth}`);
  const minLeaf = options.minSamplesLeaf ?? 1;
  if (!(Number.isInteger(minLeaf) && minLeaf >= 1)) throw new RangeError(`fitCart: minSamplesLeaf must be an integer >= 1, got ${minLeaf}`);
  const features = (x[0] as readonly number[]).length;
  for (const [i, row] of x.entries()) {
    if (row.length !== features) throw new RangeError(`fitCart: row ${i} has ${row.length} features, row 0 has ${features}`);
    if (!row.every(Number.isFinite) || !Number.isFinite(y[i])) throw new RangeError(`fitCart: row ${i} has a value that is not finite`);
  }

  const grow = (idx: number[], depth: number): CartNode => {
    const here = sse(y, idx);
    const leaf: CartNode = { kind: 'leaf', value: here.sum / idx.length, n: idx.length };
    if (depth >= options.maxDepth || idx.length < 2 * minLeaf || here.sse <= 1e-12 * Math.max(1, Math.abs(here.sum))) return leaf;
    let best: { gain: number; feature: number; threshold: number } | undefined;
    for (let f = 0; f < features; f++) {
      const order = [...idx].sort((a, b) => (x[a] as readonly number[])[f]! - (x[b] as readonly number[])[f]! || a - b);
      // Prefix sums over the sorted order: the left child's sum and sum of squares after k rows.
      let sumL = 0;
      let sqL = 0;
      let sqAll = 0;
      for (const i of order) sqAll += (y[i] as number) ** 2;
      for (let k = 1; k < order.length; k++) {
        const prev = order[k - 1] as number;
        const v = y[prev] as number;
        sumL += v;
        sqL += v * v;
        const a = (x[prev] as readonly number[])[f] as number;
        const b = (x[order[k] as number] as readonly number[])[f] as number;
        if (a === b || k < minLeaf || order.length - k < minLeaf) continue;
        const sumR = here.sum - sumL;
        const nR = order.length - k;
        const childSse = sqL - (sumL * sumL) / k + (sqAll - sqL) - (sumR * sumR) / nR;
        const gain = here.sse - childSse;
        if (best === undefined || gain > best.gain + 1e-12 * Math.max(1, here.sse)) best = { gain, feature: f, threshold: a + (b - a) / 2 };
      }
    }
    if (best === undefined || !(best.gain > 1e-12 * Math.max(1, here.sse))) return leaf;
    const { feature, threshold } = best;
    const left = idx.filter((i) => ((x[i] as readonly number[])[feature] as number) <= threshold);
    const right = idx.filter((i) => ((x[i] as readonly number[])[feature] as number) > threshold);
    return { kind: 'split', feature, threshold, n: idx.length, left: grow(left, depth + 1), right: grow(right, depth + 1) };
  };
  return grow(
    x.map((_, i) => i),
    0,
  );
}

/** The tree's prediction for one feature vector. */
export function predictCart(tree: CartNode, row: readonly number[]): number {
  let node = tree;
  while (node.kind === 'split') node = (row[node.feature] as number) <= node.threshold ? node.left : node.right;
  return node.value;
}

/** Depth of a tree (0 for a single leaf). */
export function cartDepth(tree: CartNode): number {
  return tree.kind === 'leaf' ? 0 : 1 + Math.max(cartDepth(tree.left), cartDepth(tree.right));
}

/** A leaf as a rule: the conditions on the path from the root, and the leaf. */
export interface CartRule {
  conditions: { feature: number; op: '<=' | '>'; threshold: number }[];
  value: number;
  n: number;
}

/** Every leaf as a rule, left to right. */
export function cartRules(tree: CartNode): CartRule[] {
  const out: CartRule[] = [];
  const walk = (node: CartNode, path: CartRule['conditions']): void => {
    if (node.kind === 'leaf') {
      out.push({ conditions: path, value: node.value, n: node.n });
      return;
    }
    walk(node.left, [...path, { feature: node.feature, op: '<=', threshold: node.threshold }]);
    walk(node.right, [...path, { feature: node.feature, op: '>', threshold: node.threshold }]);
  };
  walk(tree, []);
  return out;
}
