/**
 * Typed spaces, after Gymnasium's `Box` and `Discrete`.
 *
 * Box values are typed arrays (Float32Array or Float64Array) of `size` = product(shape) elements,
 * stored flat in row-major order. Discrete values are plain integers in [0, n).
 */
import type { Rng } from './rng.ts';

export type BoxDtype = 'float32' | 'float64';
export type BoxValue = Float32Array | Float64Array;

export interface BoxJSON {
  type: 'Box';
  shape: number[];
  dtype: BoxDtype;
  /** Bounds; JSON has no Infinity, so an unbounded low/high is written (and read back) as null. */
  low: (number | null)[];
  high: (number | null)[];
}
export interface DiscreteJSON {
  type: 'Discrete';
  n: number;
}
export type SpaceJSON = BoxJSON | DiscreteJSON;

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function fillBound(bound: number | ArrayLike<number>, size: number, name: string): Float64Array {
  const out = new Float64Array(size);
  if (typeof bound === 'number') {
    out.fill(bound);
  } else {
    if (bound.length !== size) throw new RangeError(`Box: ${name} has ${bound.length} elements, shape needs ${size}`);
    for (let i = 0; i < size; i++) out[i] = bound[i] as number;
  }
  for (let i = 0; i < size; i++) if (Number.isNaN(out[i])) throw new RangeError(`Box: ${name}[${i}] is NaN`);
  return out;
}

export class Box {
  readonly type = 'Box' as const;
  readonly shape: readonly number[];
  readonly size: number;
  readonly dtype: BoxDtype;
  readonly low: Float64Array;
  readonly high: Float64Array;

  constructor(low: number | ArrayLike<number>, high: number | ArrayLike<number>, shape?: readonly number[], dtype: BoxDtype = 'float32') {
    const inferred = shape ?? (typeof low !== 'number' ? [low.length] : typeof high !== 'number' ? [high.length] : [1]);
    if (inferred.length === 0 || inferred.some((d) => !Number.isInteger(d) || d <= 0)) {
      throw new RangeError(`Box: shape must be a non-empty list of positive integers, got [${inferred.join(', ')}]`);
    }
    this.shape = [...inferred];
    this.size = product(this.shape);
    this.dtype = dtype;
    this.low = fillBound(low, this.size, 'low');
    this.high = fillBound(high, this.size, 'high');
    for (let i = 0; i < this.size; i++) {
      if ((this.low[i] as number) > (this.high[i] as number)) throw new RangeError(`Box: low[${i}] > high[${i}]`);
    }
  }

  /** A new zero-filled array of this space's dtype and size. */
  zeros(): BoxValue {
    return this.dtype === 'float32' ? new Float32Array(this.size) : new Float64Array(this.size);
  }

  /** True when every bound is finite (then `sample` is uniform). */
  get bounded(): boolean {
    for (let i = 0; i < this.size; i++) if (!Number.isFinite(this.low[i]) || !Number.isFinite(this.high[i])) return false;
    return true;
  }

  /** Why `x` is not in the space, or undefined when it is. */
  explain(x: unknown): string | undefined {
    if (!(x instanceof Float32Array || x instanceof Float64Array)) {
      return `expected a Float32Array or Float64Array of ${this.size} values, got ${describe(x)}`;
    }
    if (x.length !== this.size) return `expected ${this.size} values, got ${x.length}`;
    for (let i = 0; i < this.size; i++) {
      const v = x[i] as number;
      if (Number.isNaN(v)) return `element ${i} is NaN`;
      // Compare at the space's precision: a float32 bound like 0.1 must accept Float32Array(0.1).
      const lo = this.dtype === 'float32' ? Math.fround(this.low[i] as number) : (this.low[i] as number);
      const hi = this.dtype === 'float32' ? Math.fround(this.high[i] as number) : (this.high[i] as number);
      if (v < lo || v > hi) return `element ${i} = ${v} is outside [${this.low[i]}, ${this.high[i]}]`;
    }
    return undefined;
  }

  contains(x: unknown): boolean {
    return this.explain(x) === undefined;
  }

  /** Uniform for bounded dimensions; N(0,1) / shifted exponential for unbounded ones, as Gymnasium does. */
  sample(rng: Rng): BoxValue {
    const out = this.zeros();
    for (let i = 0; i < this.size; i++) {
      const lo = this.low[i] as number;
      const hi = this.high[i] as number;
      let v: number;
      if (Number.isFinite(lo) && Number.isFinite(hi)) v = rng.uniformRange(lo, hi);
      else if (Number.isFinite(lo)) v = lo - Math.log(1 - rng.uniform());
      else if (Number.isFinite(hi)) v = hi + Math.log(1 - rng.uniform());
      else v = rng.normal();
      out[i] = v;
    }
    // float32 rounding may push a value just past a bound: clamp.
    for (let i = 0; i < this.size; i++) {
      const lo = this.low[i] as number;
      const hi = this.high[i] as number;
      if ((out[i] as number) < lo) out[i] = lo;
      if ((out[i] as number) > hi) out[i] = hi;
    }
    return out;
  }

  toJSON(): BoxJSON {
    const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);
    return { type: 'Box', shape: [...this.shape], dtype: this.dtype, low: Array.from(this.low, finiteOrNull), high: Array.from(this.high, finiteOrNull) };
  }

  toString(): string {
    const lo = uniformBound(this.low);
    const hi = uniformBound(this.high);
    return lo !== undefined && hi !== undefined
      ? `Box(${lo}, ${hi}, [${this.shape.join(', ')}], ${this.dtype})`
      : `Box([${Array.from(this.low).join(', ')}], [${Array.from(this.high).join(', ')}], ${this.dtype})`;
  }
}

export class Discrete {
  readonly type = 'Discrete' as const;
  readonly n: number;

  constructor(n: number) {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`Discrete: n must be a positive integer, got ${n}`);
    this.n = n;
  }

  explain(x: unknown): string | undefined {
    if (typeof x !== 'number' || !Number.isInteger(x)) return `expected an integer in [0, ${this.n - 1}], got ${describe(x)}`;
    if (x < 0 || x >= this.n) return `expected an integer in [0, ${this.n - 1}], got ${x}`;
    return undefined;
  }

  contains(x: unknown): boolean {
    return this.explain(x) === undefined;
  }

  sample(rng: Rng): number {
    return rng.int(this.n);
  }

  toJSON(): DiscreteJSON {
    return { type: 'Discrete', n: this.n };
  }

  toString(): string {
    return `Discrete(${this.n})`;
  }
}

export type Space = Box | Discrete;

/** Rebuild a space from its JSON description (used by policy checkpoints). */
export function spaceFromJSON(json: SpaceJSON): Space {
  if (json.type === 'Discrete') return new Discrete(json.n);
  const low = json.low.map((v) => (v === null ? -Infinity : v));
  const high = json.high.map((v) => (v === null ? Infinity : v));
  return new Box(low, high, json.shape, json.dtype);
}

/** Structural equality of two spaces (type, shape, dtype, bounds). */
export function spacesEqual(a: Space, b: Space): boolean {
  return JSON.stringify(a.toJSON()) === JSON.stringify(b.toJSON());
}

/**
 * How space `a` differs from space `b`, briefly, for messages ("shape [27] vs [15]", "element 0's
 * bounds [0, 2.1] vs [0, 1.3]", "Discrete(7) vs Box"); undefined when they are equal.
 */
export function spaceDifference(a: Space | SpaceJSON, b: Space | SpaceJSON): string | undefined {
  const x = 'toJSON' in a ? a.toJSON() : a;
  const y = 'toJSON' in b ? b.toJSON() : b;
  if (JSON.stringify(x) === JSON.stringify(y)) return undefined;
  if (x.type === 'Discrete' || y.type === 'Discrete') return `${x.type === 'Discrete' ? `Discrete(${x.n})` : x.type} vs ${y.type === 'Discrete' ? `Discrete(${y.n})` : y.type}`;
  if (JSON.stringify(x.shape) !== JSON.stringify(y.shape)) return `shape [${x.shape.join(', ')}] vs [${y.shape.join(', ')}]`;
  if (x.dtype !== y.dtype) return `dtype ${x.dtype} vs ${y.dtype}`;
  const i = x.low.findIndex((lo, k) => lo !== y.low[k] || x.high[k] !== y.high[k]);
  const bounds = (j: BoxJSON) => `[${j.low[i] ?? '-inf'}, ${j.high[i] ?? 'inf'}]`;
  return `element ${i}'s bounds ${bounds(x)} vs ${bounds(y)}`;
}

function uniformBound(a: Float64Array): number | undefined {
  const first = a[0] as number;
  return a.every((v) => v === first) ? first : undefined;
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return `an Array of ${x.length} (use a Float32Array)`;
  if (ArrayBuffer.isView(x)) return `${x.constructor.name}`;
  if (typeof x === 'number') return String(x);
  return typeof x;
}
