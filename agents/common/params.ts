/**
 * All trainable parameters of an agent in ONE flat Float32Array, with a layout of named tensors.
 *
 * Why flat: the flat array is the single source of truth. Acting reads it directly (typed-array
 * forward pass, no tfjs per-op overhead), Adam and gradient clipping update it in one loop, and a
 * checkpoint writes it as one little-endian float32 blob described by the layout. TensorFlow.js
 * only computes gradients: each update wraps views of this array as tensors (`toTensors`).
 */
import * as tf from '@tensorflow/tfjs-core';

export interface TensorEntry {
  name: string;
  shape: number[];
  /** Offset in the flat array, in elements. */
  offset: number;
  length: number;
}

export class ParamStore {
  readonly entries: TensorEntry[] = [];
  private readonly byName = new Map<string, TensorEntry>();
  data: Float32Array = new Float32Array(0);

  /** Append a tensor initialised with `values` (copied). Call before training starts. */
  add(name: string, shape: number[], values: ArrayLike<number>): TensorEntry {
    if (this.byName.has(name)) throw new Error(`ParamStore: duplicate tensor '${name}'`);
    const length = shape.reduce((a, b) => a * b, 1);
    if (values.length !== length) throw new Error(`ParamStore: '${name}' needs ${length} values, got ${values.length}`);
    const entry: TensorEntry = { name, shape: [...shape], offset: this.data.length, length };
    const grown = new Float32Array(this.data.length + length);
    grown.set(this.data);
    grown.set(values as ArrayLike<number>, entry.offset);
    this.data = grown;
    this.entries.push(entry);
    this.byName.set(name, entry);
    return entry;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  entry(name: string): TensorEntry {
    const e = this.byName.get(name);
    if (e === undefined) throw new Error(`ParamStore: no tensor '${name}'`);
    return e;
  }

  /** A live view (no copy) of one tensor's values. */
  view(name: string): Float32Array {
    const e = this.entry(name);
    return this.data.subarray(e.offset, e.offset + e.length);
  }

  get size(): number {
    return this.data.length;
  }

  /** One tf tensor per entry (copies of the current values); the caller disposes them. */
  toTensors(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const e of this.entries) out[e.name] = tf.tensor(this.data.subarray(e.offset, e.offset + e.length), e.shape, 'float32');
    return out;
  }

  /** Copy of the layout and values (e.g. a DQN target network). */
  clone(): ParamStore {
    const p = new ParamStore();
    for (const e of this.entries) p.add(e.name, e.shape, this.view(e.name));
    return p;
  }
}

/**
 * The value of `loss` and its gradient w.r.t. every parameter of `store`, the gradient as one flat
 * array in the store's layout (what Adam and gradient clipping update). `loss` receives one tensor
 * per parameter name; `tensors` are the store's values as tensors (default: fresh copies), for a
 * caller that also needs them outside the loss (e.g. DQN's double-Q targets). Call it inside a
 * `tf.tidy` that owns the caller's input tensors.
 */
export function flatValueAndGrads(
  store: ParamStore,
  loss: (p: Record<string, tf.Tensor>) => tf.Scalar,
  tensors: Record<string, tf.Tensor> = store.toTensors(),
): { loss: number; grads: Float32Array } {
  const names = store.entries.map((e) => e.name);
  const grads = new Float32Array(store.size);
  const { value, grads: g } = tf.valueAndGrads((...xs: tf.Tensor[]) => {
    const p: Record<string, tf.Tensor> = {};
    names.forEach((n, i) => (p[n] = xs[i] as tf.Tensor));
    return loss(p);
  })(names.map((n) => tensors[n] as tf.Tensor));
  store.entries.forEach((e, i) => grads.set((g[i] as tf.Tensor).dataSync() as Float32Array, e.offset));
  return { loss: value.dataSync()[0] as number, grads };
}
