/**
 * The glucose patient family (T1D-v0): what evaluation, safety and the run pipeline need to know
 * about it, registered in one place (src/core/family.ts). Imported by register.ts, so registering
 * the env registers its family.
 *
 * - Metrics (summary.csv columns, a stable contract): src/metrics/glucose.ts on the true glucose
 *   (info.bg, Gs/Vg) at the end of every step, as simglucose reports BG; over the planned horizon
 *   (tir_planned, survived) from the env's metadata.maxEpisodeSteps. The daily profile (the AGP's
 *   histograms) records the same readings.
 * - Baselines: agents/baselines/glucose (basal-bolus, PID, constant, basal).
 * - Constraints `hypo70`, `hypo54`: 1 per step with true BG < 70 / < 54 mg/dL (level-1 / level-2
 *   hypoglycaemia). Default budgets follow the international consensus on time in range (Battelino
 *   et al., Diabetes Care 42(8):1593-1603, 2019, Table 2): at most 4 % of the time below 70 and 1 %
 *   below 54 mg/dL, i.e. that fraction of metadata.maxEpisodeSteps: T1D-v0 with a Dexcom sensor
 *   (3-minute steps) over 1 day = 480 steps -> hypo70 budget 19.2, hypo54 budget 4.8.
 * - Shield: src/safety/t1d-shield.ts (its options and defaults are described there).
 * - Evaluation: cohorts are evaluated patient by patient; meal-bolus baselines run with the pump's
 *   full range, a trained policy in the range it was trained in.
 * - Delivered dose (training.csv's dose_mean, dose_sd): the insulin the pump delivered in the step
 *   (info.insulin, U, after pump rounding, the shield and the action mode's mapping) as a rate in
 *   U/h over the step (x 60 / sampleTimeMin).
 *
 * Action semantics (e.g. the basal-relative and residual modes of the clinical-evidence work) are
 * options of T1D-v0 itself, not wrappers: the env's action space and info say what a dose means.
 */
import { z } from 'zod';
import { UserError } from '../../src/core/errors.ts';
import { stepReward } from '../../src/core/episode.ts';
import { checkNumbers, expectNoParams, numberParam, parseParams } from '../../src/core/params.ts';
import { registerFamily, type AnyPolicy, type ConstraintDefinition, type Family } from '../../src/core/family.ts';
import { Box } from '../../src/core/spaces.ts';
import { eventsPerWeek, glucoseMetrics, hypoglycaemiaEvents, tirPlannedPercent } from '../../src/metrics/glucose.ts';
import { survivedPercent } from '../../src/metrics/horizon.ts';
import { fractionOfSteps, violatedWhenCostly } from '../../src/safety/constraints.ts';
import { mgDlOrNull, nonNegativeOrNull, positiveMinutes, positiveOrNull } from '../../src/safety/shield.ts';
import { T1DShield, T1D_SHIELD_DEFAULTS, type T1DShieldConfig } from '../../src/safety/t1d-shield.ts';
import { BasalBolusPolicy, ConstantPolicy, PidBolusPolicy, PidPolicy, basalBolusOptionsSchema, pidBolusOptionsSchema, pidOptionsSchema, readsMealAnnouncements } from '../../agents/baselines/glucose/index.ts';
import { COHORTS, PATIENT_NAMES } from './patient.ts';
import { T1D_ENV_ID } from './t1d-env.ts';
import { T1D_INFO } from './info.ts';

/**
 * summary.csv's T1D columns, a stable contract, in this order. The first twelve are the original
 * ones; `tir_planned` (percent of the planned horizon in 70-180 mg/dL, time after a termination out
 * of range), `survived` (percent of the planned horizon before a termination) and
 * `hypo54_events_per_week` (level 2 hypoglycaemia events per patient-week of observed time) follow.
 */
export const GLUCOSE_METRIC_COLUMNS = ['tir', 'tbr70', 'tbr54', 'tar180', 'tar250', 'mean_bg', 'cv', 'gmi', 'lbgi', 'hbgi', 'risk_index', 'terminations', 'tir_planned', 'survived', 'hypo54_events_per_week'] as const;

/** Consensus targets (Battelino 2019): fraction of time below 70 and 54 mg/dL. */
export const CONSENSUS_MAX_FRACTION_BELOW_70 = 0.04;
export const CONSENSUS_MAX_FRACTION_BELOW_54 = 0.01;

const hypo = (name: string, belowMgDl: number, level: string, fraction: number): ConstraintDefinition => ({
  name,
  description: `steps with true BG < ${belowMgDl} mg/dL (${level} hypoglycaemia)`,
  costUnit: 'steps',
  budgetRule: `${fraction * 100} % of the episode steps (consensus: < ${fraction * 100} % of time below ${belowMgDl} mg/dL)`,
  defaultBudget: fractionOfSteps(fraction),
  cost: (info) => (T1D_INFO.number(info, 'bg') < belowMgDl ? 1 : 0),
  violated: violatedWhenCostly,
});

/** Shield options, in the order of T1D_SHIELD_DEFAULTS (src/safety/t1d-shield.ts explains each). */
const shieldSchema = z
  .object({
    suspendBelowMgDl: mgDlOrNull('a CGM threshold'),
    predictiveBelowMgDl: mgDlOrNull('a predicted-CGM threshold'),
    predictionHorizonMin: positiveMinutes,
    trendWindowMin: positiveMinutes,
    maxRateUnitsPerHour: positiveOrNull('U/h'),
    maxRateBasalMultiple: positiveOrNull('x basal rate'),
    maxIobUnits: nonNegativeOrNull('U'),
    maxIobBasalMultiple: nonNegativeOrNull('x steady-state basal IOB'),
    iobDurationMin: positiveMinutes,
    allowAnnouncedBolus: z.boolean({ error: 'expected true or false' }),
  })
  .partial()
  .strict();

export const GLUCOSE_FAMILY: Family = {
  name: 't1d',
  envIds: [T1D_ENV_ID],
  info: T1D_INFO,
  metricColumns: [...GLUCOSE_METRIC_COLUMNS],
  summedColumns: ['terminations'],
  episodeMetrics(log, horizon) {
    const bg = log.infos.slice(1).map((i) => T1D_INFO.number(i, 'bg'));
    const m = glucoseMetrics(bg);
    const sampleMin = T1D_INFO.number(log.infos[0] ?? {}, 'sampleTimeMin');
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
      tir_planned: horizon.plannedSteps === undefined ? null : tirPlannedPercent(bg, horizon.plannedSteps),
      survived: survivedPercent(log.length, horizon.plannedSteps),
      hypo54_events_per_week: eventsPerWeek(hypoglycaemiaEvents(bg, sampleMin), bg.length * sampleMin),
      // episodes.csv only: the CVGA chart's per-patient extremes
      min_bg: m.minMgDl,
      max_bg: m.maxMgDl,
    };
  },
  dose: {
    field: 'insulin',
    unit: 'U/h',
    read: (info) => (T1D_INFO.number(info, 'insulin') * 60) / T1D_INFO.number(info, 'sampleTimeMin'),
  },
  // TIR with what deaths cost it: tir_planned, survived and terminations beside it.
  headlineColumns: ['tir', 'tir_planned', 'survived', 'terminations', 'tbr70', 'tar180', 'risk_index'],
  baselineTypes: ['basal-bolus', 'pid', 'pid-bolus', 'constant', 'basal'],
  makeBaseline(type, params, _env, where) {
    switch (type) {
      case 'basal-bolus':
        return new BasalBolusPolicy(parseParams(basalBolusOptionsSchema, params, where)) as AnyPolicy;
      case 'pid':
        return new PidPolicy(parseParams(pidOptionsSchema, params, where)) as AnyPolicy;
      case 'pid-bolus':
        return new PidBolusPolicy(parseParams(pidBolusOptionsSchema, params, where)) as AnyPolicy;
      case 'constant':
        expectNoParams(params, ['unitsPerHour'], where);
        checkNumbers(params, where, { unitsPerHour: { min: 0, inclusive: true } });
        return new ConstantPolicy(numberParam(params, 'unitsPerHour', where)) as AnyPolicy;
      case 'basal':
        expectNoParams(params, [], where);
        return new ConstantPolicy('basal') as AnyPolicy;
      default:
        throw new UserError(`${where}: unknown T1D baseline '${type}'; allowed: basal-bolus, pid, pid-bolus, constant, basal, or the trained algorithm`);
    }
  },
  constraints: [
    hypo('hypo70', 70, 'level-1', CONSENSUS_MAX_FRACTION_BELOW_70),
    hypo('hypo54', 54, 'level-2', CONSENSUS_MAX_FRACTION_BELOW_54),
  ],
  shield: {
    defaults: T1D_SHIELD_DEFAULTS,
    schema: shieldSchema,
    wrap: (env, options) => new T1DShield(env, options as Partial<T1DShieldConfig>),
  },
  patients(options) {
    const p = options['cohort'] ?? options['patient'];
    if (Array.isArray(p)) return p.map(String);
    if (typeof p === 'string' && p in COHORTS) return [...COHORTS[p as keyof typeof COHORTS]];
    if (typeof p === 'string') return [p];
    return [PATIENT_NAMES[0] as string];
  },
  envOptions(options, patient, target) {
    const out: Record<string, unknown> = { ...options };
    if (patient !== null) Object.assign(out, { patient, cohort: null });
    // A policy trained on a cohort acts in the cohort's action range (the largest patient basal x
    // maxBasalMultiple, the configured env's action space); keep that range when it is evaluated
    // one patient at a time. (Discrete levels and the patient-relative modes are per patient already.)
    if (!target.baseline && (out['action'] ?? 'continuous') === 'continuous' && (out['actionMaxUnitsPerHour'] ?? null) === null && target.actionSpace instanceof Box) {
      out['actionMaxUnitsPerHour'] = target.actionSpace.high[0];
    }
    // Meal boluses need more than the agent's basal-multiple range; the episode's draws do not
    // depend on the action space, so the baseline still sees the same patient, meals and noise.
    if (target.baseline) Object.assign(out, { action: 'continuous', actionMaxUnitsPerHour: 'pump' });
    // Only a baseline that reads announcements is told of meals: the shield's announced-bolus
    // allowance (src/safety/t1d-shield.ts) must not reach PID or basal insulin through its env.
    if (target.baseline && target.baselineType !== undefined) out['controllerToldOfMeals'] = readsMealAnnouncements(target.baselineType);
    return out;
  },
  // (the patient is in the method/seed/patient/episode columns src/evaluation/evaluate.ts puts first)
  trajectoryColumns: ['step', 'minute', 'bg', 'cgm', 'insulin', 'cho', 'reward', 'cost'],
  trajectoryRows(log) {
    return log.infos.map((info, k) => ({
      step: k,
      minute: T1D_INFO.number(info, 'minute'),
      bg: T1D_INFO.number(info, 'bg'),
      cgm: T1D_INFO.number(info, 'cgm'),
      insulin: T1D_INFO.number(info, 'insulin'),
      cho: T1D_INFO.number(info, 'cho'),
      reward: stepReward(log, k),
      cost: k === 0 ? null : T1D_INFO.number(info, 'cost'),
    }));
  },
  // The Ambulatory Glucose Profile: true BG of every reading (not the reset's), 15-minute bins of
  // the day (Battelino et al. 2019), at 0.1 mg/dL (the report's charts round to it).
  dailyProfile: {
    quantity: 'true BG (mg/dL)',
    binMinutes: 15,
    resolution: 0.1,
    readings: (log) => log.infos.slice(1).map((info) => ({ minute: T1D_INFO.number(info, 'minute'), value: T1D_INFO.number(info, 'bg') })),
  },
};

registerFamily(GLUCOSE_FAMILY);
