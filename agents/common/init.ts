/**
 * Seeded weight initialisers. Every draw comes from an `Rng`, never from tf.random* (which uses
 * Math.random unless seeded) so one seed reproduces the whole network.
 *
 * - orthogonal (Saxe et al. 2014, "Exact solutions to the nonlinear dynamics of learning in deep
 *   linear neural networks"), as used by Stable-Baselines3's actor-critic policies with gains
 *   sqrt(2) (hidden), 0.01 (policy head) and 1 (value head);
 * - Glorot/Xavier uniform (Glorot & Bengio 2010): U(-a, a), a = sqrt(6 / (fanIn + fanOut));
 * - PyTorch's nn.Linear default (what SB3's DQN gets): weights and biases U(-1/sqrt(fanIn), 1/sqrt(fanIn)).
 */
import type { Rng } from '../../src/core/rng.ts';

/** A (rows x cols) row-major matrix with orthonormal rows or columns, scaled by `gain`. */
export function orthogonal(rows: number, cols: number, gain: number, rng: Rng): Float32Array {
  // Gram-Schmidt on the columns of a tall Gaussian matrix (long x short), then transpose if wide.
  const long = Math.max(rows, cols);
  const short = Math.min(rows, cols);
  const q: Float64Array[] = [];
  for (let c = 0; c < short; c++) {
    const v = new Float64Array(long);
    for (let r = 0; r < long; r++) v[r] = rng.normal();
    // Modified Gram-Schmidt, twice for numerical orthogonality.
    for (let pass = 0; pass < 2; pass++) {
      for (const u of q) {
        let dot = 0;
        for (let r = 0; r < long; r++) dot += (v[r] as number) * (u[r] as number);
        for (let r = 0; r < long; r++) v[r] = (v[r] as number) - dot * (u[r] as number);
      }
    }
    let norm = 0;
    for (let r = 0; r < long; r++) norm += (v[r] as number) ** 2;
    norm = Math.sqrt(norm);
    for (let r = 0; r < long; r++) v[r] = (v[r] as number) / norm;
    q.push(v);
  }
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      // q[k][i]: k indexes the short dimension, i the long one.
      const value = rows >= cols ? (q[c] as Float64Array)[r] : (q[r] as Float64Array)[c];
      out[r * cols + c] = gain * (value as number);
    }
  }
  return out;
}

/** Glorot/Xavier uniform (rows = fan-in, cols = fan-out). */
export function glorotUniform(rows: number, cols: number, rng: Rng): Float32Array {
  const a = Math.sqrt(6 / (rows + cols));
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < out.length; i++) out[i] = rng.uniformRange(-a, a);
  return out;
}

/** PyTorch nn.Linear's default (kaiming_uniform with a = sqrt 5): U(-1/sqrt(fanIn), 1/sqrt(fanIn)), for `count` values. */
export function torchDefaultUniform(fanIn: number, count: number, rng: Rng): Float32Array {
  const a = 1 / Math.sqrt(fanIn);
  const out = new Float32Array(count);
  for (let i = 0; i < out.length; i++) out[i] = rng.uniformRange(-a, a);
  return out;
}
