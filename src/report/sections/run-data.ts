/**
 * What a run's report sections are drawn from: the files the run wrote (summary.json,
 * aggregates.json, episodes.csv, training.csv, trajectories/*.csv, daily-profile.json,
 * state-sample.json) and its saved policies, read once by src/run/report-builder.ts, and small
 * readers of their rows. CSV rows are strings; `cell` reads a number (NaN when empty).
 */
import type { ExperimentConfig } from '../../config/experiment.ts';
import type { Action, Info, Observation } from '../../core/env.ts';
import type { AnyPolicy, Family } from '../../core/family.ts';
import type { Space } from '../../core/spaces.ts';
import type { MethodAggregate } from '../../evaluation/evaluate.ts';
import type { RunDailyProfile } from '../../evaluation/profile.ts';
import type { RunStateSample } from '../../evaluation/state-sample.ts';
import { BASELINE_SEED, type MetricByMethodRow } from '../charts/common.ts';
import { groupBy, mean } from '../stats.ts';

export type Row = Record<string, string>;
export type SummaryRow = Record<string, string | number | null>;

/** A method as the run evaluated it (src/run/plan.ts). */
export interface ReportMethod {
  name: string;
  type: string;
  params: Record<string, unknown>;
  /** The config's trained algorithm (evaluated once per training seed). */
  trained: boolean;
  /** Evaluated behind the shield (`<method>+shield`). */
  shielded: boolean;
}

/** A learned method's saved policy for one training seed (with train.perPatient: for one seed and patient). */
export interface ReportPolicy {
  /** The method's name without a `+shield` suffix (the shielded variant acts with the same policy). */
  method: string;
  seed: number;
  /** The patient this policy was trained on and acts for (train.perPatient), or null for one policy for all. */
  patient: string | null;
  policy: AnyPolicy;
  /** The action space the policy acts in. */
  actionSpace: Space;
}

/** One evaluation episode replayed with its policy: what it saw, did and was told at each decision. */
export interface ReplayedEpisode {
  observations: Observation[];
  actions: Action[];
  /** The info each decision was taken on (reset info first). */
  infos: Info[];
}

export interface RunReportData {
  config: ExperimentConfig;
  family: Family;
  /** Every method evaluated, in the plan's order. */
  methods: ReportMethod[];
  /** Run-wide method colours (every chart of the report uses the same map). */
  colors: Record<string, string>;
  summary: { columns: string[]; rows: SummaryRow[] };
  episodes: Row[];
  /** The trajectory rows of every method, in the plan's method order. */
  trajectories: Row[];
  /** The rows of training.csv. */
  training: Row[];
  /** ppo-lagrangian's episode cost budget, if any. */
  costLimit?: number;
  /** daily-profile.json (families with a daily profile; absent for runs evaluated before it existed). */
  dailyProfile?: RunDailyProfile;
  /** aggregates.json: means with clustered-bootstrap CIs, IQMs and paired differences (absent for older runs). */
  aggregates?: MethodAggregate[];
  /** state-sample.json: the learned policies' sampled evaluation states (absent for older runs). */
  stateSample?: RunStateSample;
  /**
   * The saved policies of the learned methods, one per training seed, or with train.perPatient one
   * per training seed and patient (none for a baselines-only run).
   */
  policies: ReportPolicy[];
  /** The env's description of its action (metadata.actionUnits). */
  actionUnits: string;
  /**
   * Replays evaluation episode `episode` of `patient` with the learned `method`'s policy of training
   * `seed` (with train.perPatient, that patient's own policy): the same seeded episode the
   * evaluation ran, so identical observations and actions.
   */
  replay(method: string, seed: number, patient: string | null, episode: number): ReplayedEpisode;
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


/** One value per summary row that has `column` (a baseline's seed is BASELINE_SEED). */
export function valuesByMethod(rows: readonly SummaryRow[], column: string): MetricByMethodRow[] {
  const seedOf = (r: SummaryRow) => (r['seed'] === null || r['seed'] === '' ? BASELINE_SEED : String(r['seed']));
  return rows.filter((r) => r[column] !== null && r[column] !== undefined && r[column] !== '').map((r) => ({ method: String(r['method']), seed: seedOf(r), value: Number(r[column]) }));
}

/**
 * The policies that act for `patient`: every policy of a run with one policy per seed, or only that
 * patient's own with train.perPatient (the explanation asks the policy the evaluation used).
 */
export function policiesFor(data: Pick<RunReportData, 'policies'>, patient: string | null): ReportPolicy[] {
  return data.policies.filter((p) => p.patient === null || p.patient === patient);
}
