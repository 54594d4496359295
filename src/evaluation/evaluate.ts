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
import type { AnyEnv, AnyPolicy, Family } from '../core/family.ts';
import { Rng } from '../core/rng.ts';
import { yieldToEventLoop } from '../core/event-loop.ts';
import type { Cell } from '../io/csv.ts';
import { buildEnv, type EnvStack } from './env-stack.ts';
import { bootstrapMeanCI, mean, pairedDifferences, sd, type Interval } from './stats.ts';

export interface EvaluationPlan {
  /** The env stack every method runs on (its family gives patients, metrics and trajectories). */
  stack: EnvStack;
  episodes: number;
  seed: number;
  /** Keep per-step trajectories of the first N episodes (per patient). */
  trajectories: number;
}

export interface MethodUnderTest {
  name: string;
  /** The training seed of a trained policy; null for a baseline. */
  trainingSeed: number | null;
  /** Evaluate behind the stack's shield (safety.shield). */
  shielded?: boolean;
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
}

/** The seed of evaluation episode k of patient p: identical for every method. */
export function evaluationEpisodeSeed(evaluationSeed: number, patient: string | null, k: number): number {
  return new Rng(evaluationSeed).child(`evaluation/${patient ?? 'env'}/${k}`).nextSeed();
}

/** Build the env a method is evaluated on (baselines may get a wider action space; same dynamics). */
export function evaluationEnv(plan: EvaluationPlan, patient: string | null, baseline: boolean, shielded = false): AnyEnv {
  const { stack } = plan;
  return buildEnv(stack, shielded, stack.family.envOptions(stack.envOptions, patient, { baseline, actionSpace: stack.probe.actionSpace }));
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
  for (const patient of family.patients(plan.stack.envOptions)) {
    const env = evaluationEnv(plan, patient, method.trainingSeed === null, method.shielded ?? false);
    const policy = method.makePolicy(env);
    for (let k = 0; k < plan.episodes; k++) {
      const episodeSeed = evaluationEpisodeSeed(plan.seed, patient, k);
      const log = runEpisode(env, policy, episodeSeed, { deterministic: true });
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
        metrics: { ...family.episodeMetrics(log), ...safetyMetrics(log.infos[log.infos.length - 1] ?? {}) },
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

export interface MetricAggregate {
  mean: number;
  sd: number;
  ci95: Interval;
  n: number;
}

export interface MethodAggregate {
  method: string;
  episodes: number;
  metrics: Record<string, MetricAggregate>;
  /** Paired differences (this method - baseline) over episodes with the same patient and seed. */
  pairedDifferences: Record<string, Record<string, MetricAggregate>>;
}

function aggregate(values: number[], resamples: number, seed: number): MetricAggregate {
  return { mean: mean(values), sd: sd(values), ci95: bootstrapMeanCI(values, resamples, seed), n: values.length };
}

/**
 * Per-method aggregates across seeds and patients (mean, SD, bootstrap 95 % CI) and the paired
 * difference of each method to each baseline. For a trained method with several seeds, each seed's
 * episode is paired with the baseline's episode of the same patient and episode index.
 */
export function aggregateByMethod(episodes: readonly EpisodeRecord[], family: Pick<Family, 'metricColumns'>, baselines: readonly string[], resamples: number, seed: number): MethodAggregate[] {
  const metricNames = ['return', 'cost', ...family.metricColumns];
  const value = (e: EpisodeRecord, m: string): number | null => (m === 'return' ? e.return : m === 'cost' ? e.cost : (e.metrics[m] ?? null));
  const methods = [...new Set(episodes.map((e) => e.method))];
  const key = (e: EpisodeRecord) => `${e.patient ?? ''}\u0000${e.episode}`;
  return methods.map((method) => {
    const mine = episodes.filter((e) => e.method === method);
    const metrics: Record<string, MetricAggregate> = {};
    for (const m of metricNames) {
      const xs = mine.map((e) => value(e, m)).filter((v): v is number => v !== null && Number.isFinite(v));
      metrics[m] = aggregate(xs, resamples, seed);
    }
    const paired: Record<string, Record<string, MetricAggregate>> = {};
    for (const baseline of baselines) {
      if (baseline === method) continue;
      const reference = new Map(episodes.filter((e) => e.method === baseline).map((e) => [key(e), e]));
      const diffs: Record<string, MetricAggregate> = {};
      for (const m of metricNames) {
        const a: number[] = [];
        const b: number[] = [];
        for (const e of mine) {
          const r = reference.get(key(e));
          const x = value(e, m);
          const y = r === undefined ? null : value(r, m);
          if (x !== null && y !== null && Number.isFinite(x) && Number.isFinite(y)) {
            a.push(x);
            b.push(y);
          }
        }
        diffs[m] = aggregate(pairedDifferences(a, b), resamples, seed);
      }
      paired[baseline] = diffs;
    }
    return { method, episodes: mine.length, metrics, pairedDifferences: paired };
  });
}
