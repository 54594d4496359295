/**
 * Multi-layer perceptrons stored in a ParamStore, with two forward passes that must agree:
 * - `mlpTf`: TensorFlow.js ops (one custom-gradient node per layer), used inside the loss so tfjs
 *   can differentiate it;
 * - `MlpRunner.forward`: plain loops over the float32 weights in float64 arithmetic, used for
 *   acting (batch-1 tfjs inference costs ~30-60 us of per-op overhead; this costs a few us).
 * A test checks they agree within 1e-6.
 *
 * Layer i has weights `${prefix}.${i}.w` (shape [in, out], row-major) and bias `${prefix}.${i}.b`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../src/core/rng.ts';
import { glorotUniform, orthogonal, torchDefaultUniform } from './init.ts';
import type { ParamStore } from './params.ts';

export type Activation = 'tanh' | 'relu';

export interface MlpSpec {
  prefix: string;
  /** Layer widths including input and output, e.g. [4, 64, 64, 2]. */
  sizes: number[];
  activation: Activation;
  /** Apply the activation after the last layer too (a shared trunk feeding several heads). */
  activateLast: boolean;
}

export type InitScheme = { kind: 'orthogonal'; hiddenGain: number; outputGain: number } | { kind: 'glorot' } | { kind: 'torch' };

/** Add the layers of `spec` to `store`, drawing every weight from `rng`; biases start at 0 (except 'torch'). */
export function initMlp(store: ParamStore, spec: MlpSpec, init: InitScheme, rng: Rng): void {
  const layers = spec.sizes.length - 1;
  for (let i = 0; i < layers; i++) {
    const fanIn = spec.sizes[i] as number;
    const fanOut = spec.sizes[i + 1] as number;
    const last = i === layers - 1;
    const w =
      init.kind === 'orthogonal'
        ? orthogonal(fanIn, fanOut, last ? init.outputGain : init.hiddenGain, rng)
        : init.kind === 'glorot'
          ? glorotUniform(fanIn, fanOut, rng)
          : torchDefaultUniform(fanIn, fanIn * fanOut, rng);
    store.add(`${spec.prefix}.${i}.w`, [fanIn, fanOut], w);
    store.add(`${spec.prefix}.${i}.b`, [fanOut], init.kind === 'torch' ? torchDefaultUniform(fanIn, fanOut, rng) : new Float32Array(fanOut));
  }
}

/**
 * One dense layer y = act(x W + b) as a single differentiable node with a hand-written gradient.
 *
 * Why not plain ops: under a gradient tape tfjs clones every tensor a kernel saves for backward
 * (matMul and add each save both inputs), and per-kernel overhead dominates at RL sizes. As one
 * node the layer saves x, W and y once, and its backward pass is 5-7 kernels:
 *   dz = dy * act'(y);  dW = x^T dz;  db = sum_rows(dz);  dx = dz W^T (only when x needs a gradient)
 * using explicit transposes (the wasm backend's transposed-operand matMul is ~4x slower).
 * tanh is computed as 2 sigmoid(2z) - 1: the wasm Tanh kernel takes ~50 us on 64x64, Sigmoid ~6 us;
 * the two agree to ~1e-7.
 */
export function denseTf(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, activation: Activation | 'linear', inputNeedsGrad: boolean, weightsNeedGrad = true): tf.Tensor {
  const forward = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor, save: tf.GradSaveFunc) => {
    const z = tf.add(tf.matMul(xx, ww), bb);
    const y = activation === 'linear' ? z : activation === 'relu' ? tf.relu(z) : tf.sub(tf.mul(tf.sigmoid(tf.mul(z, 2)), 2), 1);
    save([xx, ww, y]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [sx, sw, sy] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
      const dz = activation === 'linear' ? dy : activation === 'relu' ? tf.mul(dy, tf.step(sy)) : tf.mul(dy, tf.sub(1, tf.square(sy)));
      const dx = () => tf.matMul(dz, tf.transpose(sw));
      if (!weightsNeedGrad) return [dx()];
      const dw = tf.matMul(tf.transpose(sx), dz);
      const db = tf.sum(dz, 0);
      return inputNeedsGrad ? [dx(), dw, db] : [dw, db];
    };
    return { value: y, gradFunc };
  };
  const node = (inputs: tf.Tensor[], build: (args: Array<tf.Tensor | tf.GradSaveFunc>) => ReturnType<typeof forward>) =>
    tf.customGrad(((...args: Array<tf.Tensor | tf.GradSaveFunc>) => build(args)) as never)(...inputs) as tf.Tensor;
  if (!weightsNeedGrad) {
    // Constant weights (e.g. SAC's critics inside the actor's loss): only dx, never dW and db.
    return node([x], (a) => forward(a[0] as tf.Tensor, w, b, a[1] as tf.GradSaveFunc));
  }
  if (inputNeedsGrad) return node([x, w, b], (a) => forward(a[0] as tf.Tensor, a[1] as tf.Tensor, a[2] as tf.Tensor, a[3] as tf.GradSaveFunc));
  // x is a constant input (observations): leave it out of the node's inputs so no dx is computed.
  return node([w, b], (a) => forward(x, a[0] as tf.Tensor, a[1] as tf.Tensor, a[2] as tf.GradSaveFunc));
}

/**
 * Forward pass with tfjs ops (differentiable w.r.t. the parameters). `x` is [batch, sizes[0]];
 * set `inputNeedsGrad` when x comes from another differentiable computation (a dueling head's
 * trunk, SAC's action), and `weightsNeedGrad` false when `params` are constants of the loss (SAC's
 * critics in the actor's loss), so no weight gradient is computed.
 */
export function mlpTf(params: Record<string, tf.Tensor>, spec: MlpSpec, x: tf.Tensor, inputNeedsGrad = false, weightsNeedGrad = true): tf.Tensor {
  const layers = spec.sizes.length - 1;
  let h = x;
  for (let i = 0; i < layers; i++) {
    const w = params[`${spec.prefix}.${i}.w`];
    const b = params[`${spec.prefix}.${i}.b`];
    if (w === undefined || b === undefined) throw new Error(`mlpTf: missing parameters for ${spec.prefix}.${i}`);
    const act = i < layers - 1 || spec.activateLast ? spec.activation : 'linear';
    h = denseTf(h, w, b, act, i > 0 || inputNeedsGrad, weightsNeedGrad);
  }
  return h;
}

/** Typed-array forward pass over a ParamStore (reads the store's current values at each call). */
export class MlpRunner {
  private readonly offsets: { w: number; b: number }[] = [];
  private buffers: Float64Array[] = [];
  private rowsAllocated = 0;

  constructor(
    readonly store: ParamStore,
    readonly spec: MlpSpec,
  ) {
    const layers = spec.sizes.length - 1;
    for (let i = 0; i < layers; i++) {
      this.offsets.push({ w: store.entry(`${spec.prefix}.${i}.w`).offset, b: store.entry(`${spec.prefix}.${i}.b`).offset });
    }
  }

  get outputSize(): number {
    return this.spec.sizes[this.spec.sizes.length - 1] as number;
  }

  /**
   * Forward `rows` inputs (row-major, rows x sizes[0]); returns a Float64Array of rows x out that is
   * reused by the next call (copy it to keep it).
   */
  forward(input: ArrayLike<number>, rows: number): Float64Array {
    const sizes = this.spec.sizes;
    const layers = sizes.length - 1;
    if (rows > this.rowsAllocated) {
      this.buffers = sizes.slice(1).map((n) => new Float64Array(n * rows));
      this.rowsAllocated = rows;
    }
    const data = this.store.data;
    const relu = this.spec.activation === 'relu';
    let src: ArrayLike<number> = input;
    for (let l = 0; l < layers; l++) {
      const nIn = sizes[l] as number;
      const nOut = sizes[l + 1] as number;
      const { w, b } = this.offsets[l] as { w: number; b: number };
      const dst = this.buffers[l] as Float64Array;
      const act = l < layers - 1 || this.spec.activateLast;
      for (let r = 0; r < rows; r++) {
        const rowIn = r * nIn;
        const rowOut = r * nOut;
        for (let j = 0; j < nOut; j++) dst[rowOut + j] = data[b + j] as number;
        for (let k = 0; k < nIn; k++) {
          const x = src[rowIn + k] as number;
          if (x === 0) continue;
          const wRow = w + k * nOut;
          for (let j = 0; j < nOut; j++) dst[rowOut + j] = (dst[rowOut + j] as number) + x * (data[wRow + j] as number);
        }
        if (act) {
          for (let j = 0; j < nOut; j++) {
            const v = dst[rowOut + j] as number;
            dst[rowOut + j] = relu ? (v > 0 ? v : 0) : Math.tanh(v);
          }
        }
      }
      src = dst;
    }
    return this.buffers[layers - 1] as Float64Array;
  }
}
