/**
 * Uniform replay buffer on typed arrays (circular; overwrites the oldest transition when full).
 *
 * `terminated` is stored, not `done`: a transition cut by a time limit (truncated) keeps
 * terminated = 0 and its `nextObs` is the real final observation, so the target bootstraps from it;
 * only a true terminal state stops the bootstrap.
 */
import type { Rng } from '../../src/core/rng.ts';

export interface ReplayBatch {
  obs: Float32Array;
  nextObs: Float32Array;
  actions: Int32Array;
  rewards: Float32Array;
  terminated: Float32Array;
  size: number;
}

export class ReplayBuffer {
  readonly obs: Float32Array;
  readonly nextObs: Float32Array;
  readonly actions: Int32Array;
  readonly rewards: Float32Array;
  readonly terminated: Uint8Array;
  private pos = 0;
  private full = false;

  constructor(
    readonly capacity: number,
    readonly obsSize: number,
  ) {
    this.obs = new Float32Array(capacity * obsSize);
    this.nextObs = new Float32Array(capacity * obsSize);
    this.actions = new Int32Array(capacity);
    this.rewards = new Float32Array(capacity);
    this.terminated = new Uint8Array(capacity);
  }

  get size(): number {
    return this.full ? this.capacity : this.pos;
  }

  add(obs: ArrayLike<number>, obsOffset: number, action: number, reward: number, nextObs: ArrayLike<number>, nextOffset: number, terminated: boolean): void {
    const o = this.pos * this.obsSize;
    for (let j = 0; j < this.obsSize; j++) {
      this.obs[o + j] = obs[obsOffset + j] as number;
      this.nextObs[o + j] = nextObs[nextOffset + j] as number;
    }
    this.actions[this.pos] = action;
    this.rewards[this.pos] = reward;
    this.terminated[this.pos] = terminated ? 1 : 0;
    this.pos++;
    if (this.pos === this.capacity) {
      this.pos = 0;
      this.full = true;
    }
  }

  /** `batchSize` transitions drawn uniformly with replacement (as SB3). */
  sample(batchSize: number, rng: Rng, out?: ReplayBatch): ReplayBatch {
    const size = this.size;
    if (size === 0) throw new Error('ReplayBuffer.sample: the buffer is empty');
    const d = this.obsSize;
    const b = out ?? {
      obs: new Float32Array(batchSize * d),
      nextObs: new Float32Array(batchSize * d),
      actions: new Int32Array(batchSize),
      rewards: new Float32Array(batchSize),
      terminated: new Float32Array(batchSize),
      size: batchSize,
    };
    for (let k = 0; k < batchSize; k++) {
      const i = rng.int(size);
      b.obs.set(this.obs.subarray(i * d, i * d + d), k * d);
      b.nextObs.set(this.nextObs.subarray(i * d, i * d + d), k * d);
      b.actions[k] = this.actions[i] as number;
      b.rewards[k] = this.rewards[i] as number;
      b.terminated[k] = this.terminated[i] as number;
    }
    return b;
  }
}
