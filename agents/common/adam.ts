/**
 * Adam (Kingma & Ba 2015) and global-norm gradient clipping on flat Float32Arrays, with PyTorch's
 * semantics (what Stable-Baselines3 uses): bias-corrected moments, eps added to sqrt(v_hat), and
 * `clip_grad_norm_`'s coefficient max_norm / (norm + 1e-6) capped at 1.
 *
 * Why not tf.train.adam: on 12 small tensors its ~120 tfjs ops (plus ~40 for clipping) cost ~1.3 ms
 * per update on the wasm backend, as much as the whole forward + backward pass; this loop over
 * ~10k floats costs ~40 us and is bit-for-bit deterministic.
 */
export interface AdamOptions {
  beta1: number;
  beta2: number;
  eps: number;
}

export class Adam {
  readonly m: Float32Array;
  readonly v: Float32Array;
  step = 0;
  constructor(
    readonly size: number,
    readonly options: AdamOptions = { beta1: 0.9, beta2: 0.999, eps: 1e-8 },
  ) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }

  /** params -= lr * m_hat / (sqrt(v_hat) + eps), in place. */
  apply(params: Float32Array, grads: Float32Array, lr: number): void {
    const { beta1, beta2, eps } = this.options;
    this.step++;
    const c1 = 1 - beta1 ** this.step;
    const c2 = 1 - beta2 ** this.step;
    const m = this.m;
    const v = this.v;
    for (let i = 0; i < params.length; i++) {
      const g = grads[i] as number;
      const mi = beta1 * (m[i] as number) + (1 - beta1) * g;
      const vi = beta2 * (v[i] as number) + (1 - beta2) * g * g;
      m[i] = mi;
      v[i] = vi;
      params[i] = (params[i] as number) - (lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
    }
  }
}

/**
 * The step size at `progress` in [0, 1) of training: with `annealLr`, decayed linearly from
 * `learningRate` towards 0 (CleanRL's anneal_lr), else constant. One schedule for PPO,
 * PPO-Lagrangian (progress = finished updates / updates) and DQN (env steps / train.steps).
 */
export function annealedLearningRate(hp: { learningRate: number; annealLr: boolean }, progress: number): number {
  return hp.annealLr ? hp.learningRate * (1 - progress) : hp.learningRate;
}

/** Scale `grads` in place so their global L2 norm is at most `maxNorm`; returns the norm before clipping. */
export function clipGradNorm(grads: Float32Array, maxNorm: number): number {
  let sq = 0;
  for (let i = 0; i < grads.length; i++) sq += (grads[i] as number) * (grads[i] as number);
  const norm = Math.sqrt(sq);
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) for (let i = 0; i < grads.length; i++) grads[i] = (grads[i] as number) * coef;
  return norm;
}
