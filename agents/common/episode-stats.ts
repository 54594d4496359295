/**
 * Per-env episode bookkeeping for progress reports: return, length and constraint cost (`info.cost`)
 * of every finished episode, and means over the most recent ones (SB3 reports the last 100).
 */
import { mean } from '../../src/core/stats.ts';
export interface EpisodeTrackerState {
  returns: number[];
  lengths: number[];
  costs: number[];
  recentReturns: number[];
  recentLengths: number[];
  recentCosts: number[];
  episodes: number;
}

export class EpisodeTracker {
  private readonly returns: Float64Array;
  private readonly lengths: Float64Array;
  private readonly costs: Float64Array;
  readonly recentReturns: number[] = [];
  readonly recentLengths: number[] = [];
  readonly recentCosts: number[] = [];
  episodes = 0;

  constructor(
    numEnvs: number,
    readonly window = 100,
  ) {
    this.returns = new Float64Array(numEnvs);
    this.lengths = new Float64Array(numEnvs);
    this.costs = new Float64Array(numEnvs);
  }

  /** Record one env step of env `i`; `done` = terminated or truncated. */
  step(i: number, reward: number, cost: number, done: boolean): void {
    this.returns[i] = (this.returns[i] as number) + reward;
    this.lengths[i] = (this.lengths[i] as number) + 1;
    this.costs[i] = (this.costs[i] as number) + cost;
    if (!done) return;
    pushRecent(this.recentReturns, this.returns[i] as number, this.window);
    pushRecent(this.recentLengths, this.lengths[i] as number, this.window);
    pushRecent(this.recentCosts, this.costs[i] as number, this.window);
    this.returns[i] = 0;
    this.lengths[i] = 0;
    this.costs[i] = 0;
    this.episodes++;
  }

  /** Everything it holds, for a training checkpoint (agents/common/training-state.ts). */
  getState(): EpisodeTrackerState {
    return {
      returns: Array.from(this.returns),
      lengths: Array.from(this.lengths),
      costs: Array.from(this.costs),
      recentReturns: [...this.recentReturns],
      recentLengths: [...this.recentLengths],
      recentCosts: [...this.recentCosts],
      episodes: this.episodes,
    };
  }

  setState(s: EpisodeTrackerState): void {
    this.returns.set(s.returns);
    this.lengths.set(s.lengths);
    this.costs.set(s.costs);
    this.recentReturns.splice(0, Infinity, ...s.recentReturns);
    this.recentLengths.splice(0, Infinity, ...s.recentLengths);
    this.recentCosts.splice(0, Infinity, ...s.recentCosts);
    this.episodes = s.episodes;
  }

  summary(): { recentReturn: number; recentLength: number; recentCost: number } {
    return { recentReturn: mean(this.recentReturns), recentLength: mean(this.recentLengths), recentCost: mean(this.recentCosts) };
  }
}

/** Appends `v` to `list`, keeping only the last `window` values (the oldest leaves first). */
export function pushRecent(list: number[], v: number, window: number): void {
  list.push(v);
  if (list.length > window) list.shift();
}


/** The numeric constraint cost of a step's info (0 when absent). */
export function costOf(info: { cost?: unknown } | undefined): number {
  const c = info?.cost;
  return typeof c === 'number' && Number.isFinite(c) ? c : 0;
}
