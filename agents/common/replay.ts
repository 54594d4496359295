/**
 * Uniform replay buffer on typed arrays (circular; overwrites the oldest transition when full),
 * shared by DQN (one action index per transition) and SAC (`actionSize` values per transition).
 *
 * `terminated` is stored, not `done`: a transition cut by a time limit (truncated) keeps
 * terminated = 0 and its `nextObs` is the real final observation, so the target bootstraps from it;
 * only a true terminal state stops the bootstrap.
 *
 * n-step returns (Sutton 1988; the "multi-step" part of Rainbow, Hessel et al. 2018): `NStepWriter`
 * stores (s_t, a_t, R = sum_{k<m} gamma^k r_{t+k}, s_{t+m}, terminated, m) with m = n, or fewer
 * steps when the episode ended first; the target then bootstraps with gamma^m (`steps` per
 * transition; 1 for every one-step transition).
 */
import type { Rng } from '../../src/core/rng.ts';
import type { VectorStepResult } from '../../src/core/vector.ts';

export interface ReplayBatch {
  obs: Float32Array;
  nextObs: Float32Array;
  /** [size x actionSize]: DQN's action indices (exact in float32), or SAC's actions. */
  actions: Float32Array;
  rewards: Float32Array;
  terminated: Float32Array;
  /** Env steps m the reward sums and the bootstrap lies ahead (1 unless n-step). */
  steps: Float32Array;
  size: number;
}

export class ReplayBuffer {
  readonly obs: Float32Array;
  readonly nextObs: Float32Array;
  readonly actions: Float32Array;
  readonly rewards: Float32Array;
  readonly terminated: Uint8Array;
  readonly steps: Uint8Array;
  private pos = 0;
  private full = false;

  constructor(
    readonly capacity: number,
    readonly obsSize: number,
    readonly actionSize = 1,
  ) {
    this.obs = new Float32Array(capacity * obsSize);
    this.nextObs = new Float32Array(capacity * obsSize);
    this.actions = new Float32Array(capacity * actionSize);
    this.rewards = new Float32Array(capacity);
    this.terminated = new Uint8Array(capacity);
    this.steps = new Uint8Array(capacity);
  }

  /** The stored transitions and the write position, for a training checkpoint (only the filled part). */
  getState(): Record<string, Float32Array | Float64Array | Uint8Array> {
    const n = this.size;
    return {
      position: Float64Array.of(this.pos, this.full ? 1 : 0),
      obs: this.obs.slice(0, n * this.obsSize),
      nextObs: this.nextObs.slice(0, n * this.obsSize),
      actions: this.actions.slice(0, n * this.actionSize),
      rewards: this.rewards.slice(0, n),
      terminated: this.terminated.slice(0, n),
      steps: this.steps.slice(0, n),
    };
  }

  setState(a: Record<string, Float32Array | Float64Array | Uint8Array>): void {
    for (const [name, target] of [['obs', this.obs], ['nextObs', this.nextObs], ['actions', this.actions], ['rewards', this.rewards], ['terminated', this.terminated]] as const) {
      const source = a[name];
      if (source === undefined || source.length > target.length || source.constructor !== target.constructor) throw new Error(`ReplayBuffer.setState: ${name} does not fit a buffer of ${this.capacity} transitions`);
      target.set(source);
    }
    // Checkpoints written before n-step returns hold one-step transitions only.
    const steps = a['steps'];
    if (steps !== undefined && (steps.length > this.capacity || !(steps instanceof Uint8Array))) throw new Error(`ReplayBuffer.setState: steps does not fit a buffer of ${this.capacity} transitions`);
    if (steps !== undefined) this.steps.set(steps);
    else this.steps.fill(1);
    const position = a['position'];
    this.pos = position?.[0] as number;
    this.full = position?.[1] === 1;
  }

  get size(): number {
    return this.full ? this.capacity : this.pos;
  }

  /** Store one transition; `action` is an index (actionSize 1) or actionSize values; `steps` = m of an n-step transition. */
  add(obs: ArrayLike<number>, obsOffset: number, action: number | ArrayLike<number>, reward: number, nextObs: ArrayLike<number>, nextOffset: number, terminated: boolean, steps = 1): void {
    const o = this.pos * this.obsSize;
    for (let j = 0; j < this.obsSize; j++) {
      this.obs[o + j] = obs[obsOffset + j] as number;
      this.nextObs[o + j] = nextObs[nextOffset + j] as number;
    }
    if (typeof action === 'number') this.actions[this.pos] = action;
    else this.actions.set(action, this.pos * this.actionSize);
    this.rewards[this.pos] = reward;
    this.terminated[this.pos] = terminated ? 1 : 0;
    this.steps[this.pos] = steps;
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
    const m = this.actionSize;
    const b = out ?? {
      obs: new Float32Array(batchSize * d),
      nextObs: new Float32Array(batchSize * d),
      actions: new Float32Array(batchSize * m),
      rewards: new Float32Array(batchSize),
      terminated: new Float32Array(batchSize),
      steps: new Float32Array(batchSize),
      size: batchSize,
    };
    for (let k = 0; k < batchSize; k++) {
      const i = rng.int(size);
      b.obs.set(this.obs.subarray(i * d, i * d + d), k * d);
      b.nextObs.set(this.nextObs.subarray(i * d, i * d + d), k * d);
      if (m === 1) b.actions[k] = this.actions[i] as number;
      else b.actions.set(this.actions.subarray(i * m, i * m + m), k * m);
      b.rewards[k] = this.rewards[i] as number;
      b.terminated[k] = this.terminated[i] as number;
      b.steps[k] = this.steps[i] as number;
    }
    return b;
  }
}

/**
 * Store one vector step in the replay buffer (`actions[i]`: env i's action index, or its values).
 * For an env whose episode ended at this step the next observation is `infos[i].finalObservation`
 * (row i of `result.observations` already belongs to the next episode), and only `terminated`
 * stops the bootstrap.
 */
export function storeTransitions(replay: ReplayBuffer, obs: ArrayLike<number>, actions: readonly (number | ArrayLike<number>)[], result: VectorStepResult): void {
  const d = replay.obsSize;
  for (let i = 0; i < actions.length; i++) {
    const ended = result.terminated[i] === 1 || result.truncated[i] === 1;
    const next = ended ? (result.infos[i]?.finalObservation as ArrayLike<number>) : result.observations;
    replay.add(obs, i * d, actions[i] as number | ArrayLike<number>, result.rewards[i] as number, next, ended ? 0 : i * d, result.terminated[i] === 1);
  }
}

/** One transition waiting for its n-step return. */
interface Pending {
  obs: Float32Array;
  action: number | Float32Array;
  reward: number;
  steps: number;
}

/**
 * Writes n-step transitions into a replay buffer, one FIFO of pending transitions per env. Each
 * env step adds gamma^k r to every pending transition of that env (k = its steps so far); the oldest
 * is stored once it has n steps, and when the episode ends every pending one is stored with the
 * final observation and the episode's `terminated` (a truncated episode still bootstraps, with
 * gamma^m for its m < n steps). With n = 1 it stores exactly what `storeTransitions` does.
 */
export class NStepWriter {
  private readonly pending: Pending[][];

  constructor(
    private readonly replay: ReplayBuffer,
    readonly n: number,
    readonly gamma: number,
    numEnvs: number,
  ) {
    if (!Number.isInteger(n) || n < 1 || n > 255) throw new Error(`NStepWriter: n must be an integer in [1, 255], got ${n}`);
    this.pending = Array.from({ length: numEnvs }, () => []);
  }

  /** Store one vector step, as `storeTransitions`. */
  write(obs: ArrayLike<number>, actions: readonly (number | ArrayLike<number>)[], result: VectorStepResult): void {
    if (this.n === 1) {
      storeTransitions(this.replay, obs, actions, result);
      return;
    }
    const d = this.replay.obsSize;
    for (let i = 0; i < actions.length; i++) {
      const queue = this.pending[i] as Pending[];
      const a = actions[i] as number | ArrayLike<number>;
      queue.push({ obs: Float32Array.from({ length: d }, (_, j) => obs[i * d + j] as number), action: typeof a === 'number' ? a : Float32Array.from(a), reward: 0, steps: 0 });
      const r = result.rewards[i] as number;
      for (const p of queue) {
        p.reward += this.gamma ** p.steps * r;
        p.steps++;
      }
      const terminated = result.terminated[i] === 1;
      if (terminated || result.truncated[i] === 1) {
        const final = result.infos[i]?.finalObservation as ArrayLike<number>;
        for (const p of queue) this.replay.add(p.obs, 0, p.action, p.reward, final, 0, terminated, p.steps);
        queue.length = 0;
      } else if ((queue[0] as Pending).steps === this.n) {
        const p = queue.shift() as Pending;
        this.replay.add(p.obs, 0, p.action, p.reward, result.observations, i * d, false, p.steps);
      }
    }
  }

  /** The pending transitions, for a training checkpoint. */
  getState(): unknown {
    return this.pending.map((queue) => queue.map((p) => ({ obs: Array.from(p.obs), action: typeof p.action === 'number' ? p.action : Array.from(p.action), reward: p.reward, steps: p.steps })));
  }

  setState(state: unknown): void {
    const queues = state as Array<Array<{ obs: number[]; action: number | number[]; reward: number; steps: number }>>;
    if (!Array.isArray(queues) || queues.length !== this.pending.length) throw new Error(`NStepWriter.setState: expected ${this.pending.length} queues of pending transitions`);
    queues.forEach((queue, i) => {
      this.pending[i] = queue.map((p) => ({ obs: Float32Array.from(p.obs), action: typeof p.action === 'number' ? p.action : Float32Array.from(p.action), reward: p.reward, steps: p.steps }));
    });
  }
}

/**
 * Normalise a sampled batch in place with the policy's current statistics (the buffer holds raw
 * observations, as SB3 with VecNormalize).
 */
export function normalizeBatch(policy: { normalize(obs: ArrayLike<number>, rows: number): ArrayLike<number> }, batch: ReplayBatch): void {
  const rows = batch.size;
  batch.obs.set(policy.normalize(batch.obs, rows));
  batch.nextObs.set(policy.normalize(batch.nextObs, rows));
}
