/**
 * What a run's report sections are drawn from: the files the run wrote (summary.json,
 * episodes.csv, training.csv, trajectories/*.csv), read once by src/run/report-builder.ts, and
 * small readers of their rows. CSV rows are strings; `cell` reads a number (NaN when empty).
 */
import type { ExperimentConfig } from '../../config/experiment.ts';
import type { Family } from '../../core/family.ts';
import type { RunDailyProfile } from '../../evaluation/profile.ts';
import { groupBy, mean } from '../stats.ts';

export type Row = Record<string, string>;
export type SummaryRow = Record<string, string | number | null>;

export interface RunReportData {
  config: ExperimentConfig;
  family: Family;
  /** Run-wide method colours (every chart of the report uses the same map). */
  colors: Record<string, string>;
  summary: { columns: string[]; rows: SummaryRow[] };
  episodes: Row[];
  /** The trajectory rows of every method, in the plan's method order. */
  trajectories: Row[];
  /** The rows of training.csv with a finite episode return (updates after the first finished episode). */
  training: Row[];
  /** ppo-lagrangian's episode cost budget, if any. */
  costLimit?: number;
  /** daily-profile.json (families with a daily profile; absent for runs evaluated before it existed). */
  dailyProfile?: RunDailyProfile;
}

/** A CSV cell as a number (NaN when empty or absent). */
export const cell = (s: string | undefined): number => (s === undefined || s === '' ? Number.NaN : Number(s));

/** One value per group of rows, groups in first-seen order. */
export function meanBy<T>(rows: readonly Row[], key: (r: Row) => string, make: (key: string, group: Row[]) => T): T[] {
  return [...groupBy(rows, key).entries()].map(([k, g]) => make(k, g));
}

/** Mean of a column over the rows where it is a finite number (NaN when none is). */
export function avg(rows: readonly Row[], column: string): number {
  return mean(rows.map((r) => cell(r[column])).filter(Number.isFinite));
}

/** The trajectory rows of one representative episode per method: first patient, episode 0, first seed. */
export function representativeEpisode(rows: readonly Row[]): Row[] {
  const out: Row[] = [];
  for (const list of groupBy(rows, (r) => r['method'] as string).values()) {
    const first = list[0] as Row;
    out.push(...list.filter((r) => r['episode'] === '0' && r['patient'] === first['patient'] && r['seed'] === first['seed']));
  }
  return out;
}

