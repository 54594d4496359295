/**
 * The paired evaluation protocol.
 *
 * Every method (trained policy or clinical baseline) runs the same list of episodes: for each
 * patient p (T1D cohorts are evaluated patient by patient) and k = 0..episodes-1, the episode seed
 * is derived from (evaluate.seed, p, k) only. An episode's patient draw, meal scenario and sensor
 * noise come from that seed alone, so every method faces identical days. Trained policies act
 * deterministically.
 */
import type { Info } from '../core/env.ts';
import { runEpisode } from '../core/episode.ts';
import type { AnyEnv, AnyPolicy, EpisodeHorizon, Family } from '../core/family.ts';
import { Rng } from '../core/rng.ts';
import { yieldToEventLoop } from '../core/event-loop.ts';
import type { Cell } from '../io/csv.ts';
import { buildEnv, type EnvStack } from './env-stack.ts';
import { DailyProfileBuilder, type DailyProfile } from './profile.ts';
import { StateSampleBuilder, statesPerEpisode, type StateSample } from './state-sample.ts';
import { clusteredBootstrapMeanCI, iqmWithStratifiedCI, mean, sd, type ClusteredDesign, type Interval, type IqmEstimate } from './stats.ts';

export interface EvaluationPlan {
  /** The env stack every method runs on (its family gives patients, metrics and trajectories). */
  stack: EnvStack;
  episodes: number;
  seed: number;
  /** Keep per-step trajectories of the first N episodes (per patient). */
  trajectories: number;
  /**
   * A learned method's state sample keeps this many steps per episode; default: as many as spread
   * the sample's target over this plan's patients x episodes (state-sample.ts). Evaluating a cohort
   * one patient at a time (train.perPatient) passes the cohort's figure, so the task keeps the same
   * sample size either way.
   */
  statesPerEpisode?: number;
}

export interface MethodUnderTest {
  name: string;
  /** The training seed of a trained policy; null for a baseline. */
  trainingSeed: number | null;
  /** Evaluate behind the stack's shield (safety.shield). */
  shielded?: boolean;
  /** A baseline's type (`evaluate.methods[].type`); the family may set env options by it (family.envOptions). */
  baselineType?: string;
  makePolicy(env: AnyEnv): AnyPolicy;
}

export interface EpisodeRecord {
  method: string;
  seed: number | null;
  patient: string | null;
  episode: number;
  episodeSeed: number;
  return: number;
  length: number;
  cost: number;
  terminated: boolean;
  metrics: Record<string, number | null>;
}

export interface MethodEvaluation {
  episodes: EpisodeRecord[];
  /** Trajectory rows of the kept episodes, with method/seed/patient/episode columns prepended. */
  trajectories: Record<string, Cell>[];
  /** The family's daily profile over every episode (families with `dailyProfile` only). */
  profile?: DailyProfile;
  /** A learned policy's sampled (observation, action) pairs (state-sample.ts); none for baselines. */
  stateSample?: StateSample;
}

/** The seed of evaluation episode k of patient p: identical for every method. */
export function evaluationEpisodeSeed(evaluationSeed: number, patient: string | null, k: number): number {
  return new Rng(evaluationSeed).child(`evaluation/${patient ?? 'env'}/${k}`).nextSeed();
}

/** Build the env a method is evaluated on (baselines may get a wider action space; same dynamics). */
export function evaluationEnv(plan: EvaluationPlan, patient: string | null, baseline: boolean, shielded = false, baselineType?: string): AnyEnv {
  const { stack } = plan;
  const target = { baseline, actionSpace: stack.probe.actionSpace, ...(baselineType !== undefined ? { baselineType } : {}) };
  return buildEnv(stack, shielded, stack.family.envOptions(stack.envOptions, patient, target));
}

/**
 * Safety outcomes of an episode, when the env carries constraints or a shield: per constraint
 * whether the episode exceeded its budget (0/1) and the fraction of steps in violation, and the
 * number of shield interventions.
 */
export function safetyMetrics(last: Info): Record<string, number> {
  const out: Record<string, number> = {};
  const summary = last['constraintEpisode'] as { exceeded: Record<string, boolean>; timeInViolation: Record<string, number> } | undefined;
  if (summary !== undefined) {
    for (const [name, exceeded] of Object.entries(summary.exceeded)) out[`exceeded_${name}`] = exceeded ? 1 : 0;
    for (const [name, fraction] of Object.entries(summary.timeInViolation)) out[`violation_${name}`] = fraction;
  }
  const shield = last['shieldEpisode'] as { interventions: number } | undefined;
  if (shield !== undefined) out['shield_interventions'] = shield.interventions;
  return out;
}

/**
 * Runs every evaluation episode of one method. Async only to yield to the event loop after each
 * episode, so Ctrl-C (run.ts's SIGINT handler), worker messages and progress bars get through
 * during a long evaluation; the results do not depend on it.
 */
export async function evaluateMethod(plan: EvaluationPlan, method: MethodUnderTest, onEpisode?: (done: number) => void): Promise<MethodEvaluation> {
  const out: MethodEvaluation = { episodes: [], trajectories: [] };
  const family = plan.stack.family;
  const profile = family.dailyProfile === undefined ? undefined : new DailyProfileBuilder(family.dailyProfile);
  const patients = family.patients(plan.stack.envOptions);
  const labels = plan.stack.probe.metadata.observationLabels;
  const sample = method.trainingSeed === null ? undefined : new StateSampleBuilder(plan.statesPerEpisode ?? statesPerEpisode(patients.length * plan.episodes), labels === undefined ? null : [...labels]);
  for (const patient of patients) {
    const env = evaluationEnv(plan, patient, method.trainingSeed === null, method.shielded ?? false, method.baselineType);
    const policy = method.makePolicy(env);
    const horizon: EpisodeHorizon = { plannedSteps: env.metadata.maxEpisodeSteps, stepDuration: env.metadata.stepDuration };
    for (let k = 0; k < plan.episodes; k++) {
      const episodeSeed = evaluationEpisodeSeed(plan.seed, patient, k);
      const recorder = sample?.record(policy, { patient, episode: k, episodeSeed });
      const log = runEpisode(env, recorder?.policy ?? policy, episodeSeed, { deterministic: true });
      recorder?.finish();
      profile?.add(log, horizon);
      out.episodes.push({
        method: method.name,
        seed: method.trainingSeed,
        patient,
        episode: k,
        episodeSeed,
        return: log.return,
        length: log.length,
        cost: log.cost,
        terminated: log.terminated,
        metrics: { ...family.episodeMetrics(log, horizon), ...safetyMetrics(log.infos[log.infos.length - 1] ?? {}) },
      });
      if (k < plan.trajectories) {
        for (const row of family.trajectoryRows(log)) {
          out.trajectories.push({ method: method.name, seed: method.trainingSeed, patient, episode: k, ...row });
        }
      }
      onEpisode?.(out.episodes.length);
      await yieldToEventLoop();
    }
    env.close();
  }
  if (profile !== undefined) out.profile = profile.build();
  if (sample !== undefined) out.stateSample = sample.build();
  return out;
}

export const EPISODE_BASE_COLUMNS = ['method', 'seed', 'patient', 'episode', 'episode_seed', 'return', 'length', 'cost', 'terminated'] as const;

export function episodeRow(e: EpisodeRecord): Record<string, Cell> {
  return { method: e.method, seed: e.seed, patient: e.patient, episode: e.episode, episode_seed: e.episodeSeed, return: e.return, length: e.length, cost: e.cost, terminated: e.terminated ? 1 : 0, ...e.metrics };
}

/** Summary columns (a stable contract): the base ones, then the family's metrics. */
export const SUMMARY_BASE_COLUMNS = ['method', 'seed', 'episodes', 'mean_return', 'std_return', 'mean_cost'] as const;

function meanDefined(values: (number | null)[]): number | null {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return xs.length === 0 ? null : mean(xs);
}

/**
 * Safety columns appended to the summary when the run has constraints or a shield (after the
 * family's stable columns): `exceeded_<c>` = fraction of episodes over constraint c's budget,
 * `violation_<c>` = mean fraction of time in violation, `shield_interventions` = mean per episode.
 */
export function safetyColumns(episodes: readonly EpisodeRecord[]): string[] {
  const keys = new Set(episodes.flatMap((e) => Object.keys(e.metrics).filter((k) => /^(exceeded_|violation_|shield_interventions$)/.test(k))));
  return [...keys].sort();
}

/** One summary row per (method, seed): means over its episodes (sums for count columns). */
export function summaryRows(episodes: readonly EpisodeRecord[], family: Pick<Family, 'metricColumns' | 'summedColumns'>): Record<string, Cell>[] {
  const extraColumns = safetyColumns(episodes);
  const groups = new Map<string, EpisodeRecord[]>();
  for (const e of episodes) {
    const key = `${e.method}\u0000${e.seed ?? ''}`;
    const list = groups.get(key) ?? [];
    list.push(e);
    groups.set(key, list);
  }
  const rows: Record<string, Cell>[] = [];
  for (const list of groups.values()) {
    const first = list[0] as EpisodeRecord;
    const returns = list.map((e) => e.return);
    const row: Record<string, Cell> = {
      method: first.method,
      seed: first.seed,
      episodes: list.length,
      mean_return: mean(returns),
      std_return: sd(returns),
      mean_cost: mean(list.map((e) => e.cost)),
    };
    for (const column of family.metricColumns) {
      const values = list.map((e) => e.metrics[column] ?? null);
      row[column] = family.summedColumns.includes(column) ? values.reduce<number>((s, v) => s + (v ?? 0), 0) : meanDefined(values);
    }
    for (const column of extraColumns) row[column] = meanDefined(list.map((e) => e.metrics[column] ?? null));
    rows.push(row);
  }
  return rows;
}

/**
 * How a CI was resampled (aggregates.json's `scheme`, a stable contract):
 * - `seed>patient>episode`: a trained method: training seeds, then patients, then each patient's
 *   episodes, all with replacement (the clustered bootstrap, `clusteredBootstrapMeanCI`);
 * - `patient>episode`: a baseline (no training seed): patients, then episodes;
 * - `stratified-seed`: the IQM's CI: training seeds resampled within each patient (rliable).
 */
export type BootstrapScheme = 'seed>patient>episode' | 'patient>episode' | 'stratified-seed';

export interface MetricAggregate {
  /** Mean over the episodes where the metric is defined. */
  mean: number;
  sd: number;
  ci95: Interval;
  /** Episodes with a defined value. */
  n: number;
  scheme: BootstrapScheme;
}

export interface IqmAggregate extends IqmEstimate {
  scheme: 'stratified-seed';
}

export interface MethodAggregate {
  method: string;
  episodes: number;
  /** Training seeds of a trained method (empty for a baseline). */
  seeds: number[];
  /** The evaluation's layout: training seeds x patients x episodes per patient. */
  design: ClusteredDesign;
  /** Per metric; a trained method's also carry `iqm` (over seeds x patients, rliable). */
  metrics: Record<string, MetricAggregate & { iqm?: IqmAggregate }>;
  /**
   * Paired differences (this method - baseline) over episodes with the same patient and episode
   * index (each training seed paired with the baseline's same episode), resampled by this method's
   * scheme.
   */
  pairedDifferences: Record<string, Record<string, MetricAggregate>>;
  /** A trained method's aggregates per training seed (`patient>episode`), keyed by seed. */
  perSeed?: Record<string, { episodes: number; metrics: Record<string, MetricAggregate> }>;
}

/** Episode values of one method laid out on its design (see `ClusteredDesign`). */
interface Layout {
  design: ClusteredDesign;
  seeds: (number | null)[];
  /** Flat index of (seed, patient, episode), undefined when the design has no such cell. */
  index(seed: number | null, patient: string | null, episode: number): number | undefined;
}

function layoutOf(episodes: readonly EpisodeRecord[], patients: readonly (string | null)[]): Layout {
  const seeds = [...new Set(episodes.map((e) => e.seed))].sort((a, b) => (a ?? -1) - (b ?? -1));
  const K = Math.max(1, ...episodes.map((e) => e.episode + 1));
  const seedIndex = new Map(seeds.map((s, i) => [s, i]));
  const patientIndex = new Map(patients.map((p, i) => [p, i]));
  const design = { seeds: Math.max(1, seeds.length), patients: Math.max(1, patients.length), episodes: K };
  return {
    design,
    seeds,
    index(seed, patient, episode) {
      const s = seedIndex.get(seed);
      const p = patientIndex.get(patient);
      return s === undefined || p === undefined || episode >= K ? undefined : (s * design.patients + p) * K + episode;
    },
  };
}

const metricValue = (e: EpisodeRecord, m: string): number | null => (m === 'return' ? e.return : m === 'cost' ? e.cost : (e.metrics[m] ?? null));

/** The finite values of a variable laid out on the design, NaN elsewhere. */
function laidOut(layout: Layout, episodes: readonly EpisodeRecord[], value: (e: EpisodeRecord) => number | null): Float64Array {
  const { seeds, patients, episodes: K } = layout.design;
  const out = new Float64Array(seeds * patients * K).fill(Number.NaN);
  for (const e of episodes) {
    const i = layout.index(e.seed, e.patient, e.episode);
    const x = value(e);
    if (i !== undefined && x !== null && Number.isFinite(x)) out[i] = x;
  }
  return out;
}

function describe(values: Float64Array, ci95: Interval, scheme: BootstrapScheme): MetricAggregate {
  const xs = Array.from(values).filter(Number.isFinite);
  return { mean: mean(xs), sd: sd(xs), ci95, n: xs.length, scheme };
}

/** Mean, SD and clustered CI of every metric of one method's episodes. */
function aggregateMetrics(episodes: readonly EpisodeRecord[], patients: readonly (string | null)[], metricNames: readonly string[], scheme: BootstrapScheme, resamples: number, seed: number): { layout: Layout; values: Float64Array[]; metrics: Record<string, MetricAggregate> } {
  const layout = layoutOf(episodes, patients);
  const values = metricNames.map((m) => laidOut(layout, episodes, (e) => metricValue(e, m)));
  const cis = clusteredBootstrapMeanCI(layout.design, values, resamples, seed);
  const metrics = Object.fromEntries(metricNames.map((m, i) => [m, describe(values[i] as Float64Array, cis[i] as Interval, scheme)]));
  return { layout, values, metrics };
}

/**
 * The IQM across training seeds (runs) and patients (tasks): each score is one seed's mean over
 * one patient's episodes (Agarwal et al. 2021's runs x tasks), with rliable's stratified bootstrap.
 */
function iqmOf(values: Float64Array, design: ClusteredDesign, resamples: number, seed: number): IqmAggregate {
  const { seeds: S, patients: P, episodes: K } = design;
  const scores = new Float64Array(S * P);
  for (let s = 0; s < S; s++) {
    for (let p = 0; p < P; p++) {
      let sum = 0;
      let n = 0;
      for (let k = 0; k < K; k++) {
        const x = values[(s * P + p) * K + k] as number;
        if (Number.isFinite(x)) {
          sum += x;
          n++;
        }
      }
      scores[s * P + p] = n === 0 ? Number.NaN : sum / n;
    }
  }
  return { ...iqmWithStratifiedCI(scores, S, P, resamples, seed), scheme: 'stratified-seed' };
}

/**
 * Per-method aggregates of the return, cost, the family's metrics and the safety columns (mean,
 * SD, 95 % CI by the clustered bootstrap, see `BootstrapScheme`), the IQM across seeds for trained
 * methods, per-seed aggregates, and the paired difference of each method to each baseline. A
 * trained method's episode of seed s is paired with the baseline's episode of the same patient and
 * episode index, so the differences keep the method's seed x patient x episode layout and are
 * resampled the same way. A metric undefined in an episode (null) is left out of its mean and CI.
 */
export function aggregateByMethod(episodes: readonly EpisodeRecord[], family: Pick<Family, 'metricColumns'>, baselines: readonly string[], resamples: number, seed: number): MethodAggregate[] {
  // Every number the summary compares: the family's metrics and the safety columns, if any.
  const metricNames = ['return', 'cost', ...family.metricColumns, ...safetyColumns(episodes)];
  const patients = [...new Set(episodes.map((e) => e.patient))];
  const methods = [...new Set(episodes.map((e) => e.method))];
  const key = (e: EpisodeRecord) => `${e.patient ?? ''}\u0000${e.episode}`;
  return methods.map((method) => {
    const mine = episodes.filter((e) => e.method === method);
    const trained = mine.some((e) => e.seed !== null);
    const scheme: BootstrapScheme = trained ? 'seed>patient>episode' : 'patient>episode';
    const { layout, values, metrics } = aggregateMetrics(mine, patients, metricNames, scheme, resamples, seed);
    const withIqm: MethodAggregate['metrics'] = trained ? Object.fromEntries(metricNames.map((m, i) => [m, { ...(metrics[m] as MetricAggregate), iqm: iqmOf(values[i] as Float64Array, layout.design, resamples, seed) }])) : metrics;
    const paired: Record<string, Record<string, MetricAggregate>> = {};
    for (const baseline of baselines) {
      if (baseline === method) continue;
      const reference = new Map(episodes.filter((e) => e.method === baseline).map((e) => [key(e), e]));
      paired[baseline] = pairedAggregates(mine, reference, key, layout, metricNames, scheme, resamples, seed);
    }
    const out: MethodAggregate = { method, episodes: mine.length, seeds: layout.seeds.filter((s): s is number => s !== null), design: layout.design, metrics: withIqm, pairedDifferences: paired };
    if (trained) {
      out.perSeed = Object.fromEntries(
        out.seeds.map((s) => {
          const ofSeed = mine.filter((e) => e.seed === s);
          return [String(s), { episodes: ofSeed.length, metrics: aggregateMetrics(ofSeed, patients, metricNames, 'patient>episode', resamples, seed).metrics }];
        }),
      );
    }
    return out;
  });
}

/** Differences (method - baseline) of every metric on the method's layout, with their clustered CIs. */
function pairedAggregates(mine: readonly EpisodeRecord[], reference: ReadonlyMap<string, EpisodeRecord>, key: (e: EpisodeRecord) => string, layout: Layout, metricNames: readonly string[], scheme: BootstrapScheme, resamples: number, seed: number): Record<string, MetricAggregate> {
  const diffs = metricNames.map((m) =>
    laidOut(layout, mine, (e) => {
      const r = reference.get(key(e));
      const x = metricValue(e, m);
      const y = r === undefined ? null : metricValue(r, m);
      return x === null || y === null ? null : x - y;
    }),
  );
  const cis = clusteredBootstrapMeanCI(layout.design, diffs, resamples, seed);
  return Object.fromEntries(metricNames.map((m, i) => [m, describe(diffs[i] as Float64Array, cis[i] as Interval, scheme)]));
}
