/**
 * What evaluation needs to know about each patient family: its metrics (the summary columns, a
 * stable contract), its clinical baselines, how to run a baseline on the same seeded episodes as a
 * trained policy, its patients (T1D cohorts are evaluated patient by patient) and the per-step
 * trajectory rows the report charts.
 */
import { UserError } from '../core/errors.ts';
import type { Action, Env, Info, Observation } from '../core/env.ts';
import type { Policy } from '../core/policy.ts';
import type { Cell } from '../io/csv.ts';
import { Rng as RngCtor } from '../core/rng.ts';
import { make } from '../core/registry.ts';
import { Box } from '../core/spaces.ts';
import { glucoseMetrics } from '../metrics/glucose.ts';
import { dePillisOutcomes, zhaoOutcomes } from '../metrics/chemo.ts';
import { COHORTS, PATIENT_NAMES } from '../../envs/glucose/patient.ts';
import { BasalBolusPolicy, ConstantPolicy, PidPolicy } from '../../agents/baselines/glucose/index.ts';
import { constant as chemoConstant, metronomic, mtd, mtdCycles, none, pulsed } from '../../agents/baselines/chemo.ts';
import type { EpisodeLog } from './episode.ts';

export type AnyEnv = Env<Observation, Action>;
export type AnyPolicy = Policy<Observation, Action>;

export interface Family {
  name: 't1d' | 'chemo-depillis' | 'chemo-zhao' | 'classic';
  /** Family-specific summary columns, in order (snake_case). */
  metricColumns: readonly string[];
  /** Metric columns summed (not averaged) across episodes. */
  summedColumns: readonly string[];
  /** Per-episode values of metricColumns (null = undefined for this episode, e.g. never cleared). */
  episodeMetrics(log: EpisodeLog): Record<string, number | null>;
  /** The patients evaluated one by one ([null] when the env has no patient option). */
  patients(options: Record<string, unknown>): (string | null)[];
  /** Env options for one patient; `baseline` widens action spaces that would clip clinical doses. */
  envOptions(options: Record<string, unknown>, patient: string | null, baseline: boolean): Record<string, unknown>;
  baselineTypes: readonly string[];
  makeBaseline(type: string, params: Record<string, unknown>, env: AnyEnv, where: string): AnyPolicy;
  /** Per-step rows for trajectory CSVs and charts. */
  trajectoryRows(log: EpisodeLog): Record<string, Cell>[];
  trajectoryColumns: readonly string[];
}

function num(info: Info, key: string): number {
  const v = info[key];
  return typeof v === 'number' ? v : Number.NaN;
}

function expectNoParams(params: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(params)) {
    if (!allowed.includes(key)) throw new UserError(`${where}.${key}: unknown parameter; allowed: ${allowed.join(', ') || '(none)'}`);
  }
}

function numberParam(params: Record<string, unknown>, key: string, where: string, fallback?: number): number {
  const v = params[key];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new UserError(`${where}.${key}: expected a number, got ${JSON.stringify(v) ?? 'nothing'}`);
  return v;
}

/**
 * Checks the optional numeric parameters of a baseline: each given one must be a number above
 * `min` (or at least `min` when `inclusive`); null allowed where `nullable` (e.g. no suspend).
 */
function checkNumbers(params: Record<string, unknown>, where: string, rules: Record<string, { min: number; inclusive?: boolean; nullable?: boolean }>): void {
  for (const [key, rule] of Object.entries(rules)) {
    const v = params[key];
    if (v === undefined || (v === null && rule.nullable)) continue;
    const ok = typeof v === 'number' && Number.isFinite(v) && (rule.inclusive ? v >= rule.min : v > rule.min);
    if (!ok) throw new UserError(`${where}.${key}: expected a number ${rule.inclusive ? '>=' : '>'} ${rule.min}${rule.nullable ? ' or null' : ''}, got ${JSON.stringify(v) ?? 'nothing'}`);
  }
}

const t1d: Family = {
  name: 't1d',
  metricColumns: ['tir', 'tbr70', 'tbr54', 'tar180', 'tar250', 'mean_bg', 'cv', 'gmi', 'lbgi', 'hbgi', 'risk_index', 'terminations'],
  summedColumns: ['terminations'],
  episodeMetrics(log) {
    // Clinical metrics on the true glucose (Gs/Vg) at the end of every step, as simglucose reports BG.
    const bg = log.infos.slice(1).map((i) => num(i, 'bg'));
    const m = glucoseMetrics(bg);
    return {
      tir: m.tirPercent,
      tbr70: m.tbr70Percent,
      tbr54: m.tbr54Percent,
      tar180: m.tar180Percent,
      tar250: m.tar250Percent,
      mean_bg: m.meanMgDl,
      cv: m.cvPercent,
      gmi: m.gmiPercent,
      lbgi: m.lbgi,
      hbgi: m.hbgi,
      risk_index: m.riskIndex,
      terminations: log.terminated ? 1 : 0,
      min_bg: m.minMgDl,
      max_bg: m.maxMgDl,
    };
  },
  patients(options) {
    const p = options['cohort'] ?? options['patient'];
    if (Array.isArray(p)) return p.map(String);
    if (typeof p === 'string' && p in COHORTS) return [...COHORTS[p as keyof typeof COHORTS]];
    if (typeof p === 'string') return [p];
    return [PATIENT_NAMES[0] as string];
  },
  envOptions(options, patient, baseline) {
    const out: Record<string, unknown> = { ...options };
    if (patient !== null) Object.assign(out, { patient, cohort: null });
    // A policy trained on a cohort acts in the cohort's action range (the largest patient basal x
    // maxBasalMultiple); keep that range when it is evaluated one patient at a time.
    if (!baseline && out['action'] !== 'discrete' && (out['actionMaxUnitsPerHour'] ?? null) === null) {
      const cohortEnv = make('T1D-v0', { ...options });
      const space = cohortEnv.actionSpace;
      cohortEnv.close();
      if (space instanceof Box) out['actionMaxUnitsPerHour'] = space.high[0];
    }
    // Meal boluses need more than the agent's basal-multiple range; the episode's draws do not
    // depend on the action space, so the baseline still sees the same patient, meals and noise.
    if (baseline) Object.assign(out, { action: 'continuous', actionMaxUnitsPerHour: 'pump' });
    return out;
  },
  baselineTypes: ['basal-bolus', 'pid', 'constant', 'basal'],
  makeBaseline(type, params, _env, where) {
    switch (type) {
      case 'basal-bolus':
        expectNoParams(params, ['suspendBelowMgDl', 'targetMgDl', 'correctAboveMgDl'], where);
        checkNumbers(params, where, { suspendBelowMgDl: { min: 0, inclusive: true }, targetMgDl: { min: 0 }, correctAboveMgDl: { min: 0 } });
        return new BasalBolusPolicy(params as ConstructorParameters<typeof BasalBolusPolicy>[0]) as AnyPolicy;
      case 'pid':
        expectNoParams(params, ['targetMgDl', 'tauPMin', 'tauIMin', 'tauDMin', 'suspendBelowMgDl'], where);
        checkNumbers(params, where, { targetMgDl: { min: 0 }, tauPMin: { min: 0 }, tauIMin: { min: 0 }, tauDMin: { min: 0, inclusive: true }, suspendBelowMgDl: { min: 0, inclusive: true, nullable: true } });
        return new PidPolicy(params as ConstructorParameters<typeof PidPolicy>[0]) as AnyPolicy;
      case 'constant':
        expectNoParams(params, ['unitsPerHour'], where);
        checkNumbers(params, where, { unitsPerHour: { min: 0, inclusive: true } });
        return new ConstantPolicy(numberParam(params, 'unitsPerHour', where)) as AnyPolicy;
      case 'basal':
        expectNoParams(params, [], where);
        return new ConstantPolicy('basal') as AnyPolicy;
      default:
        throw new UserError(`${where}: unknown T1D baseline '${type}'; allowed: basal-bolus, pid, constant, basal, or the trained algorithm`);
    }
  },
  // (the patient is in the method/seed/patient/episode columns evaluate.ts puts first)
  trajectoryColumns: ['step', 'minute', 'bg', 'cgm', 'insulin', 'cho', 'reward', 'cost'],
  trajectoryRows(log) {
    return log.infos.map((info, k) => ({
      step: k,
      minute: num(info, 'minute'),
      bg: num(info, 'bg'),
      cgm: num(info, 'cgm'),
      insulin: num(info, 'insulin'),
      cho: num(info, 'cho'),
      reward: k === 0 ? null : (log.rewards[k - 1] ?? null),
      cost: k === 0 ? null : num(info, 'cost'),
    }));
  },
};

function chemoBaseline(type: string, params: Record<string, unknown>, env: AnyEnv, where: string): AnyPolicy {
  switch (type) {
    case 'mtd':
      expectNoParams(params, [], where);
      return mtd(env) as AnyPolicy;
    case 'mtd-cycles':
      expectNoParams(params, ['dose', 'onDays', 'offDays', 'onSteps', 'offSteps'], where);
      return mtdCycles(env, params as Parameters<typeof mtdCycles>[1]) as AnyPolicy;
    case 'metronomic':
      expectNoParams(params, ['dose'], where);
      return metronomic(env, numberParam(params, 'dose', where, 0.3)) as AnyPolicy;
    case 'none':
      expectNoParams(params, [], where);
      return none(env) as AnyPolicy;
    case 'constant':
      expectNoParams(params, ['dose'], where);
      return chemoConstant(env, numberParam(params, 'dose', where)) as AnyPolicy;
    case 'pulsed':
      expectNoParams(params, ['dose', 'onSteps', 'offSteps'], where);
      return pulsed(env, numberParam(params, 'dose', where), numberParam(params, 'onSteps', where), numberParam(params, 'offSteps', where)) as AnyPolicy;
    default:
      throw new UserError(`${where}: unknown chemotherapy baseline '${type}'; allowed: mtd, mtd-cycles, metronomic, none, constant, pulsed, or the trained algorithm`);
  }
}

const depillis: Family = {
  name: 'chemo-depillis',
  metricColumns: ['final_tumor', 'min_normal', 'days_normal_below_075', 'cumulative_dose', 'days_to_tumor_below_1e3'],
  summedColumns: [],
  episodeMetrics(log) {
    const o = dePillisOutcomes(log.infos);
    return {
      final_tumor: o.finalTumour,
      min_normal: o.minN,
      days_normal_below_075: o.daysNBelow,
      cumulative_dose: o.cumulativeDose,
      days_to_tumor_below_1e3: o.daysToTumourBelow,
    };
  },
  patients: () => [null],
  envOptions: (options) => ({ ...options }),
  baselineTypes: ['mtd', 'mtd-cycles', 'metronomic', 'none', 'constant', 'pulsed'],
  makeBaseline: chemoBaseline,
  trajectoryColumns: ['step', 'day', 'N', 'T', 'I', 'B', 'u', 'reward', 'cost'],
  trajectoryRows(log) {
    return log.infos.map((info, k) => ({
      step: k,
      day: num(info, 'day'),
      N: num(info, 'N'),
      T: num(info, 'T'),
      I: num(info, 'I'),
      B: num(info, 'B'),
      u: k === 0 ? null : num(info, 'dose'),
      reward: k === 0 ? null : (log.rewards[k - 1] ?? null),
      cost: k === 0 ? null : num(info, 'cost'),
    }));
  },
};

const zhao: Family = {
  name: 'chemo-zhao',
  metricColumns: ['survival_probability', 'deaths', 'cures', 'months_to_cure', 'final_wellness', 'final_tumor_size', 'cumulative_dose'],
  summedColumns: ['deaths', 'cures'],
  episodeMetrics(log) {
    const o = zhaoOutcomes(log.infos);
    return {
      survival_probability: o.survivalProbability,
      deaths: o.dead ? 1 : 0,
      cures: o.monthsToCure === null ? 0 : 1,
      months_to_cure: o.monthsToCure,
      final_wellness: o.finalW,
      final_tumor_size: o.finalM,
      cumulative_dose: o.cumulativeDose,
    };
  },
  patients: () => [null],
  envOptions: (options) => ({ ...options }),
  baselineTypes: ['mtd', 'metronomic', 'none', 'constant', 'pulsed'],
  makeBaseline: chemoBaseline,
  trajectoryColumns: ['month', 'W', 'M', 'dose', 'survival', 'reward'],
  trajectoryRows(log) {
    return log.infos.map((info, k) => ({
      month: k,
      W: num(info, 'W'),
      M: num(info, 'M'),
      dose: k === 0 ? null : num(info, 'dose'),
      survival: num(info, 'cumulativeSurvival'),
      reward: k === 0 ? null : (log.rewards[k - 1] ?? null),
    }));
  },
};

/** A seeded uniformly random policy (for classic control comparisons). */
function randomPolicy(env: AnyEnv, seed: number): AnyPolicy {
  let rng = new RngCtor(seed).child('random-policy');
  return {
    name: 'random',
    reset: () => {
      rng = new RngCtor(seed).child('random-policy');
    },
    act: () => env.actionSpace.sample(rng),
  };
}
const classic: Family = {
  name: 'classic',
  metricColumns: [],
  summedColumns: [],
  episodeMetrics: () => ({}),
  patients: () => [null],
  envOptions: (options) => ({ ...options }),
  baselineTypes: ['random'],
  makeBaseline(type, params, env, where) {
    if (type !== 'random') throw new UserError(`${where}: unknown baseline '${type}'; allowed: random, or the trained algorithm`);
    expectNoParams(params, ['seed'], where);
    return randomPolicy(env, numberParam(params, 'seed', where, 0));
  },
  trajectoryColumns: ['step', 'reward'],
  trajectoryRows: (log) => log.rewards.map((r, k) => ({ step: k + 1, reward: r })),
};

export function familyOf(envId: string): Family {
  if (envId.startsWith('T1D-')) return t1d;
  if (envId.startsWith('Chemo-DePillis')) return depillis;
  if (envId.startsWith('Chemo-Zhao')) return zhao;
  return classic;
}
