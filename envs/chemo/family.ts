/**
 * The chemotherapy patient families, registered in one place (src/core/family.ts); imported by
 * register.ts, so registering the envs registers their families.
 *
 * `chemo-depillis` (Chemo-DePillis-v0):
 * - Metrics (summary.csv columns, a stable contract): src/metrics/chemo.ts (`dePillisOutcomes`),
 *   and over the planned horizon `survived` (src/metrics/horizon.ts) with the terminations.
 * - Baselines: agents/baselines/chemo.ts (MTD, MTD in cycles, metronomic, none, constant, pulsed).
 * - Constraint `toxicity`: 1 per step with normal cells N < 0.75, the lower bound on N in de Pillis
 *   & Radunskaya's optimal-control problem (Comput. Math. Methods Med. 3(2):79-100, 2001; J. Theor.
 *   Med. 2003). A state constraint: default budget 0 steps.
 * - Constraint `drugToxicity` (feasible for every patient): the normal-cell shortfall below the
 *   toxicity line that the DRUG causes, measured against the same patient's untreated course
 *   (info.untreatedN, simulated alongside by the env from the same parameters and initial state):
 *   per step 100 x max(0, min(0.75, untreatedN) - N) x step days, in percentage points of the
 *   carrying capacity times days (pp-days; N and untreatedN at the end of the step). The episode cost
 *   is the area between N and the lower of the toxicity line and the untreated course. Why: in this
 *   model the tumour itself depresses N (competition term c4 T N); with DTR-Bench's patient
 *   variability the untreated course falls below 0.75 within days for most patients, so `toxicity`
 *   (any step below 0.75) charges the drug for the tumour's damage and is infeasible for about a
 *   quarter of them whatever the dose, even untreated (BENCHMARKS.md). `drugToxicity` charges only
 *   what the drug adds: no treatment costs exactly 0 for every patient (untreatedN = N), so every
 *   budget >= 0 is feasible; once treatment has shrunk the tumour, N runs above the untreated course
 *   and costs nothing. Every schedule that treats early pays a little (the drug kills normal cells
 *   before the tumour shrinks), so what the budget limits is the early dose intensity: on DTR-Bench
 *   setting 2 (100 patients) continuous MTD costs 1.27 pp-days on average (95th percentile 2.78),
 *   dose 0.3 continuously 0.41. Default budget (a DoseGym choice): 1 pp-day per episode.
 * - Constraint `cumulativeDose`: cost = the dose delivered in the step in dose-days (the increase
 *   of info.cumulativeDose), so the episode cost is the cumulative dose and the constraint
 *   "cumulative dose <= budget" is violated from the first step at which the running total
 *   exceeds the budget. Default budget (a DoseGym choice, not from the literature): 0.3 dose-days
 *   per day of the horizon, the total of the metronomic baseline (constant dose 0.3, about the
 *   lowest constant dose that clears the nominal patient's tumour; agents/baselines/chemo.ts),
 *   i.e. 45 dose-days over the default 150 days.
 * - Shield: src/safety/chemo-shield.ts (dose per day, cumulative cap, no dose below an N level).
 * - Delivered dose (training.csv's dose_mean, dose_sd): info.dose, the dose fraction u in [0, 1] of
 *   the maximum infusion rate held over the step (after the shield).
 *
 * `chemo-zhao` (Chemo-Zhao2009-v0): metrics `zhaoOutcomes` and `survived`, the same dose
 * baselines; no constraints or shield; delivered dose info.dose, the month's dose fraction in [0, 1]
 * of the maximum dose.
 */
import { z } from 'zod';
import type { Info } from '../../src/core/env.ts';
import { UserError } from '../../src/core/errors.ts';
import { expectNoParams, numberParam } from '../../src/core/params.ts';
import { registerFamily, type AnyPolicy, type EnvShape, type Family } from '../../src/core/family.ts';
import { stepReward } from '../../src/core/episode.ts';
import { dePillisOutcomes, NORMAL_CELL_CONSTRAINT, zhaoOutcomes } from '../../src/metrics/chemo.ts';
import { survivedPercent } from '../../src/metrics/horizon.ts';
import { violatedWhenCostly } from '../../src/safety/constraints.ts';
import { nonNegativeOrNull, positiveOrNull } from '../../src/safety/shield.ts';
import { ChemoShield, CHEMO_SHIELD_DEFAULTS, type ChemoShieldConfig } from '../../src/safety/chemo-shield.ts';
import { constant, metronomic, mtd, mtdCycles, none, pulsed } from '../../agents/baselines/chemo.ts';
import { DEPILLIS_ENV_ID } from './depillis-env.ts';
import { ZHAO_ENV_ID } from './zhao-env.ts';
import { DEPILLIS_INFO, ZHAO_INFO } from './info.ts';

/** Default cumulative-dose budget per day of the horizon [dose-days / day]. */
export const DEFAULT_DOSE_DAYS_PER_DAY = 0.3;

/** Default `drugToxicity` budget [percentage-point-days per episode]. */
export const DRUG_TOXICITY_BUDGET = 1;

/**
 * The longest step `drugToxicity` is measured at. The cost reads N at the END of each step, so it
 * is a Riemann sum of the area, and a long step steps over the drug's nadir: with 7-day steps
 * continuous MTD costs 0 on DTR-Bench setting 2 (N dips below 0.75 within the first week and is back
 * above by its end), against 1.41 pp-days at 0.25-day steps and 1.50 at 1-day steps on the same 50
 * patients (docs/chemo-research-notes.md, tenth session).
 */
export const DRUG_TOXICITY_MAX_STEP = { value: 1, unit: 'day', why: 'it reads N at the end of each step, and a longer step steps over the drug\'s nadir' } as const;

/**
 * The `drugToxicity` cost of a step [pp-days]: 100 x the shortfall of N below min(line, untreatedN),
 * times the step's days (from the infos' `day`), 0 at reset.
 */
export function drugToxicityCost(info: Info, previous: Info | undefined, line = NORMAL_CELL_CONSTRAINT): number {
  if (previous === undefined) return 0;
  const days = DEPILLIS_INFO.number(info, 'day') - DEPILLIS_INFO.number(previous, 'day');
  const shortfall = Math.min(line, DEPILLIS_INFO.number(info, 'untreatedN')) - DEPILLIS_INFO.number(info, 'N');
  return shortfall > 0 ? 100 * shortfall * days : 0;
}

function chemoBaseline(type: string, params: Record<string, unknown>, env: EnvShape, where: string): AnyPolicy {
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
      return constant(env, numberParam(params, 'dose', where)) as AnyPolicy;
    case 'pulsed':
      expectNoParams(params, ['dose', 'onSteps', 'offSteps'], where);
      return pulsed(env, numberParam(params, 'dose', where), numberParam(params, 'onSteps', where), numberParam(params, 'offSteps', where)) as AnyPolicy;
    default:
      throw new UserError(`${where}: unknown chemotherapy baseline '${type}'; allowed: mtd, mtd-cycles, metronomic, none, constant, pulsed, or the trained algorithm`);
  }
}

/** Shield options, in the order of CHEMO_SHIELD_DEFAULTS (src/safety/chemo-shield.ts explains each). */
const shieldSchema = z
  .object({
    minN: z.number({ error: 'expected a normal-cell level in [0, 1] or null' }).min(0, { error: 'expected a normal-cell level in [0, 1] or null' }).max(1, { error: 'expected a normal-cell level in [0, 1] or null' }).nullable(),
    minNHorizonDays: z.number({ error: 'expected a number of days in (0, 60]' }).positive({ error: 'expected a number of days in (0, 60]' }).max(60, { error: 'expected a number of days in (0, 60]' }),
    minNModel: z.enum(['patient', 'nominal'], { error: "expected 'patient' (the episode's own parameters) or 'nominal'" }),
    maxDosePerDay: positiveOrNull('dose-days per day'),
    maxCumulativeDose: nonNegativeOrNull('dose-days'),
  })
  .partial()
  .strict();

/** The chemotherapy envs have no patient option: one patient draw per episode seed. */
const onePatient = {
  patients: () => [null],
  envOptions: (options: Record<string, unknown>) => ({ ...options }),
};

export const DEPILLIS_FAMILY: Family = {
  name: 'chemo-depillis',
  envIds: [DEPILLIS_ENV_ID],
  info: DEPILLIS_INFO,
  // The first five are the original columns; `survived` (percent of the planned horizon before a
  // termination, N < 0.7 N0) and `terminations` (episodes so ended, summed) follow, then
  // `tumor_cleared` (1 when T < 1e-3 at the end of the episode; its mean is the share cleared).
  metricColumns: ['final_tumor', 'min_normal', 'days_normal_below_075', 'cumulative_dose', 'days_to_tumor_below_1e3', 'survived', 'terminations', 'tumor_cleared'],
  summedColumns: ['terminations'],
  episodeMetrics(log, horizon) {
    const o = dePillisOutcomes(log.infos);
    return {
      final_tumor: o.finalTumour,
      min_normal: o.minN,
      days_normal_below_075: o.daysNBelow,
      cumulative_dose: o.cumulativeDose,
      days_to_tumor_below_1e3: o.daysToTumourBelow,
      survived: survivedPercent(log.length, horizon.plannedSteps),
      terminations: log.terminated ? 1 : 0,
      tumor_cleared: o.tumourCleared ? 1 : 0,
    };
  },
  dose: { field: 'dose', unit: 'dose fraction', read: (info) => DEPILLIS_INFO.number(info, 'dose') },
  headlineColumns: ['tumor_cleared', 'final_tumor', 'min_normal', 'survived', 'terminations'],
  baselineTypes: ['mtd', 'mtd-cycles', 'metronomic', 'none', 'constant', 'pulsed'],
  makeBaseline: chemoBaseline,
  constraints: [
    {
      name: 'toxicity',
      description: `steps with normal cells N < ${NORMAL_CELL_CONSTRAINT}`,
      costUnit: 'steps',
      budgetRule: '0 steps (a state constraint in the optimal-control literature)',
      defaultBudget: () => 0,
      cost: (info) => (DEPILLIS_INFO.number(info, 'N') < NORMAL_CELL_CONSTRAINT ? 1 : 0),
      violated: violatedWhenCostly,
    },
    {
      name: 'drugToxicity',
      description: `normal cells the drug holds below the toxicity line: 100 x max(0, min(${NORMAL_CELL_CONSTRAINT}, untreated N) - N) x step days [pp-days]`,
      costUnit: 'pp-days',
      budgetRule: `${DRUG_TOXICITY_BUDGET} pp-day (no treatment costs 0 for every patient; continuous MTD about 1.3 on DTR-Bench setting 2)`,
      defaultBudget: () => DRUG_TOXICITY_BUDGET,
      maxStepDuration: DRUG_TOXICITY_MAX_STEP,
      cost: (info, previous) => drugToxicityCost(info, previous),
      violated: (_stepCost, episodeCost, budget) => episodeCost > budget,
    },
    {
      name: 'cumulativeDose',
      description: 'dose delivered in the step [dose-days]; the episode cost is the cumulative dose',
      costUnit: 'dose-days',
      budgetRule: `${DEFAULT_DOSE_DAYS_PER_DAY} dose-days per day of the horizon (the metronomic baseline's total)`,
      defaultBudget: (ctx) => {
        const d = ctx.stepDuration;
        if (ctx.episodeSteps === undefined || d === undefined || d.unit !== 'day') return undefined;
        return DEFAULT_DOSE_DAYS_PER_DAY * ctx.episodeSteps * d.value;
      },
      cost: (info, previous) => {
        if (previous === undefined) return 0;
        // The env's own running total, so the cost matches its accounting exactly (>= 0 by construction).
        return Math.max(0, DEPILLIS_INFO.number(info, 'cumulativeDose') - DEPILLIS_INFO.number(previous, 'cumulativeDose'));
      },
      violated: (_stepCost, episodeCost, budget) => episodeCost > budget,
    },
  ],
  shield: {
    defaults: CHEMO_SHIELD_DEFAULTS,
    schema: shieldSchema,
    wrap: (env, options) => new ChemoShield(env, options as Partial<ChemoShieldConfig>),
  },
  ...onePatient,
  trajectoryColumns: ['step', 'day', 'N', 'T', 'I', 'B', 'u', 'reward', 'cost'],
  trajectoryRows(log) {
    return log.infos.map((info, k) => ({
      step: k,
      day: DEPILLIS_INFO.number(info, 'day'),
      N: DEPILLIS_INFO.number(info, 'N'),
      T: DEPILLIS_INFO.number(info, 'T'),
      I: DEPILLIS_INFO.number(info, 'I'),
      B: DEPILLIS_INFO.number(info, 'B'),
      u: k === 0 ? null : DEPILLIS_INFO.number(info, 'dose'),
      reward: stepReward(log, k),
      cost: k === 0 ? null : DEPILLIS_INFO.number(info, 'cost'),
    }));
  },
};

export const ZHAO_FAMILY: Family = {
  name: 'chemo-zhao',
  envIds: [ZHAO_ENV_ID],
  info: ZHAO_INFO,
  // The first seven are the original columns; `survived` (percent of the planned months lived) follows.
  metricColumns: ['survival_probability', 'deaths', 'cures', 'months_to_cure', 'final_wellness', 'final_tumor_size', 'cumulative_dose', 'survived'],
  summedColumns: ['deaths', 'cures'],
  episodeMetrics(log, horizon) {
    const o = zhaoOutcomes(log.infos);
    return {
      survival_probability: o.survivalProbability,
      deaths: o.dead ? 1 : 0,
      cures: o.monthsToCure === null ? 0 : 1,
      months_to_cure: o.monthsToCure,
      final_wellness: o.finalW,
      final_tumor_size: o.finalM,
      cumulative_dose: o.cumulativeDose,
      survived: survivedPercent(log.length, horizon.plannedSteps),
    };
  },
  dose: { field: 'dose', unit: 'dose fraction', read: (info) => ZHAO_INFO.number(info, 'dose') },
  headlineColumns: ['survival_probability', 'survived', 'deaths'],
  baselineTypes: ['mtd', 'metronomic', 'none', 'constant', 'pulsed'],
  makeBaseline: chemoBaseline,
  constraints: [],
  ...onePatient,
  trajectoryColumns: ['month', 'W', 'M', 'dose', 'survival', 'reward'],
  trajectoryRows(log) {
    return log.infos.map((info, k) => ({
      month: k,
      W: ZHAO_INFO.number(info, 'W'),
      M: ZHAO_INFO.number(info, 'M'),
      dose: k === 0 ? null : ZHAO_INFO.number(info, 'dose'),
      survival: ZHAO_INFO.number(info, 'cumulativeSurvival'),
      reward: stepReward(log, k),
    }));
  },
};

registerFamily(DEPILLIS_FAMILY);
registerFamily(ZHAO_FAMILY);
