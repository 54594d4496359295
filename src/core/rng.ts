/**
 * One seeded source of randomness for a whole run.
 *
 * Every random draw in DoseGym flows from an integer seed through seedrandom (ARC4), so one seed
 * reproduces a run. Independent streams (environment, agent, sampling, evaluation) are derived
 * deterministically by name with `child(name)`: a child's sequence depends only on its parent's
 * seed key and the name, never on how many numbers the parent has drawn.
 */
import seedrandom from 'seedrandom';

/** An Rng's position: seedrandom's ARC4 state and the cached second Box-Muller normal. */
export interface RngState {
  arc4: { i: number; j: number; S: number[] };
  spareNormal: number | null;
}

export class Rng {
  /** The string key this stream was seeded from (parent key + '/' + child name). */
  readonly key: string;
  private prng: seedrandom.StatefulPRNG<seedrandom.State.Arc4>;
  private spareNormal: number | undefined;

  constructor(seed: number | string) {
    this.key = String(seed);
    // `state: true` only adds state() (training checkpoints); the stream is the same.
    this.prng = seedrandom(this.key, { state: true });
  }

  /** Where the stream is (a training checkpoint's RNG state, agents/common/training-state.ts). */
  getState(): RngState {
    return { arc4: this.prng.state(), spareNormal: this.spareNormal ?? null };
  }

  /** Continue the stream from `getState()`'s result: the draws that follow are the ones that followed it. */
  setState(state: RngState): void {
    this.prng = seedrandom('', { state: state.arc4 });
    this.spareNormal = state.spareNormal ?? undefined;
  }

  /** A deterministic, independent stream named `name` (same parent key + name, same stream). */
  child(name: string): Rng {
    return new Rng(`${this.key}/${name}`);
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.prng();
  }

  /** Uniform in [low, high). */
  uniformRange(low: number, high: number): number {
    return low + (high - low) * this.prng();
  }

  /** Integer uniform in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`Rng.int: n must be a positive integer, got ${n}`);
    return Math.floor(this.prng() * n);
  }

  /** A fresh 31-bit integer seed, e.g. for the next episode of an environment. */
  nextSeed(): number {
    return Math.floor(this.prng() * 2147483647);
  }

  /** Standard normal N(0, 1) by the Box-Muller transform (pairs are cached). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const z = this.spareNormal;
      this.spareNormal = undefined;
      return z;
    }
    let u = 0;
    while (u === 0) u = this.prng(); // avoid log(0)
    const v = this.prng();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Normal with the given mean and standard deviation. */
  gaussian(mean: number, sd: number): number {
    return mean + sd * this.normal();
  }

  /** Normal N(mean, sd) truncated to [low, high] by rejection (the window must hold real mass). */
  truncatedNormal(mean: number, sd: number, low: number, high: number): number {
    if (!(low < high)) throw new RangeError(`Rng.truncatedNormal: need low < high, got [${low}, ${high}]`);
    if (sd === 0) return Math.min(high, Math.max(low, mean));
    for (let attempt = 0; attempt < 10000; attempt++) {
      const x = this.gaussian(mean, sd);
      if (x >= low && x <= high) return x;
    }
    throw new RangeError(`Rng.truncatedNormal: window [${low}, ${high}] holds too little mass for N(${mean}, ${sd})`);
  }

  /** Pick one element uniformly. */
  choice<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Rng.choice: empty list');
    return items[this.int(items.length)] as T;
  }
}
