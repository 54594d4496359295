/**
 * Daily profiles: a quantity by time of day over EVERY evaluation day (T1D: the Ambulatory Glucose
 * Profile of true BG, Battelino et al., Diabetes Care 2019;42(8):1593-1603), kept during evaluation
 * without writing any per-step file.
 *
 * Each time-of-day bin holds an exact histogram of the readings in it, at a fixed resolution r:
 * a reading v is counted at the integer index round(v / r). Counts add, so the histograms of
 * evaluation tasks (one per method and training seed, run in any worker process and any order)
 * merge exactly into the run's profile. Percentiles are read off the merged histogram by the same
 * rule as `quantileSorted` (type 7) over the readings rounded to r; rounding is monotone, so each
 * percentile is within r / 2 of the percentile of the raw readings.
 *
 * Nothing is left out silently: readings up to a termination are counted (none exist after it),
 * and the profile records how many episodes ended early, when, and how much time they had planned.
 */
import type { DailyProfileSpec, EpisodeHorizon } from '../core/family.ts';
import type { EpisodeLog } from '../core/episode.ts';

const MINUTES_PER_DAY = 1440;

/** A method's daily profile (JSON as stored in evaluation/<task>.json and daily-profile.json). */
export interface DailyProfile {
  binMinutes: number;
  resolution: number;
  /** Per time-of-day bin from midnight (1440 / binMinutes bins): [value index, count] pairs, sorted by index. */
  bins: [number, number][][];
  /** Episodes recorded, and those ended by a termination. */
  episodes: number;
  terminated: number;
  /** Minutes since the episode's start of each termination (the last reading), sorted. */
  terminationMinutes: number[];
  /** Planned time of all episodes (planned steps x step duration), in minutes. */
  plannedMinutes: number;
}

/** The profiles of a run (daily-profile.json): the quantity and one profile per method. */
export interface RunDailyProfile {
  quantity: string;
  binMinutes: number;
  resolution: number;
  methods: Record<string, DailyProfile>;
}

function checkSpec(spec: Pick<DailyProfileSpec, 'binMinutes' | 'resolution'>): void {
  if (!(Number.isInteger(spec.binMinutes) && spec.binMinutes > 0 && MINUTES_PER_DAY % spec.binMinutes === 0)) {
    throw new RangeError(`daily profile: binMinutes must divide 1440, got ${spec.binMinutes}`);
  }
  if (!(spec.resolution > 0)) throw new RangeError(`daily profile: resolution must be > 0, got ${spec.resolution}`);
}

/** Minutes of a step, when the step duration is in minutes or seconds (the profile is by time of day). */
function stepMinutes(horizon: EpisodeHorizon): number {
  const { value, unit } = horizon.stepDuration;
  if (unit === 'minute') return value;
  if (unit === 'second') return value / 60;
  throw new RangeError(`daily profile: steps of one ${unit} have no time of day`);
}

/** Accumulates the readings of episodes into exact per-bin histograms. */
export class DailyProfileBuilder {
  private readonly bins: Map<number, number>[];
  private episodes = 0;
  private terminated = 0;
  private readonly terminationMinutes: number[] = [];
  private plannedMinutes = 0;

  constructor(private readonly spec: DailyProfileSpec) {
    checkSpec(spec);
    this.bins = Array.from({ length: MINUTES_PER_DAY / spec.binMinutes }, () => new Map<number, number>());
  }

  add(log: EpisodeLog, horizon: EpisodeHorizon): void {
    const readings = this.spec.readings(log);
    for (const { minute, value } of readings) {
      if (!Number.isFinite(value) || !Number.isFinite(minute)) throw new RangeError(`daily profile: reading (${minute} min, ${value}) is not finite`);
      const bin = this.bins[Math.floor((((minute % MINUTES_PER_DAY) + MINUTES_PER_DAY) % MINUTES_PER_DAY) / this.spec.binMinutes)] as Map<number, number>;
      const index = Math.round(value / this.spec.resolution);
      bin.set(index, (bin.get(index) ?? 0) + 1);
    }
    this.episodes++;
    if (log.terminated) {
      this.terminated++;
      this.terminationMinutes.push(readings[readings.length - 1]?.minute ?? 0);
    }
    this.plannedMinutes += (horizon.plannedSteps ?? log.length) * stepMinutes(horizon);
  }

  build(): DailyProfile {
    return {
      binMinutes: this.spec.binMinutes,
      resolution: this.spec.resolution,
      bins: this.bins.map((bin) => [...bin.entries()].sort((a, b) => a[0] - b[0])),
      episodes: this.episodes,
      terminated: this.terminated,
      terminationMinutes: [...this.terminationMinutes].sort((a, b) => a - b),
      plannedMinutes: this.plannedMinutes,
    };
  }
}

/** The exact sum of profiles of the same bins and resolution (order does not matter). */
export function mergeProfiles(profiles: readonly DailyProfile[]): DailyProfile {
  const first = profiles[0];
  if (first === undefined) throw new RangeError('mergeProfiles: no profiles');
  for (const p of profiles) {
    if (p.binMinutes !== first.binMinutes || p.resolution !== first.resolution || p.bins.length !== first.bins.length) {
      throw new RangeError(`mergeProfiles: profiles of ${first.binMinutes}-min bins at ${first.resolution} and ${p.binMinutes}-min bins at ${p.resolution} cannot be merged`);
    }
  }
  const bins = first.bins.map((_, b) => {
    const merged = new Map<number, number>();
    for (const p of profiles) for (const [index, count] of p.bins[b] ?? []) merged.set(index, (merged.get(index) ?? 0) + count);
    return [...merged.entries()].sort((x, y) => x[0] - y[0]);
  });
  return {
    binMinutes: first.binMinutes,
    resolution: first.resolution,
    bins,
    episodes: profiles.reduce((s, p) => s + p.episodes, 0),
    terminated: profiles.reduce((s, p) => s + p.terminated, 0),
    terminationMinutes: profiles.flatMap((p) => p.terminationMinutes).sort((a, b) => a - b),
    plannedMinutes: profiles.reduce((s, p) => s + p.plannedMinutes, 0),
  };
}

/** Number of readings in a histogram. */
export function histogramCount(bin: readonly (readonly [number, number])[]): number {
  let n = 0;
  for (const [, count] of bin) n += count;
  return n;
}

/**
 * The p-quantiles (p in [0, 1], ascending or not) of a histogram's readings, as `quantileSorted`
 * (type 7) computes them on the sorted readings rounded to the resolution; NaN when empty.
 */
export function histogramQuantiles(bin: readonly (readonly [number, number])[], resolution: number, ps: readonly number[]): number[] {
  const n = histogramCount(bin);
  // The k-th smallest reading (0-based): walk the cumulative counts.
  const kth = (k: number): number => {
    let seen = 0;
    for (const [index, count] of bin) {
      seen += count;
      if (k < seen) return index * resolution;
    }
    throw new RangeError(`histogramQuantiles: rank ${k} beyond ${n} readings`);
  };
  return ps.map((p) => {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`histogramQuantiles: p must be in [0, 1], got ${p}`);
    if (n === 0) return Number.NaN;
    const h = (n - 1) * p;
    const lo = Math.floor(h);
    const a = kth(lo);
    const b = kth(Math.min(lo + 1, n - 1));
    return a + (h - lo) * (b - a);
  });
}
