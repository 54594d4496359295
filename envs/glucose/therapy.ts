/**
 * A realistic therapy protocol for T1D-v0 and `dosegym simulate`: what the patient and the clinic get
 * wrong. Everything is OFF by default (the UVA/Padova simulators' ideal patient: every meal announced
 * at its minute with its exact carbohydrate, settings exactly the patient's). Options (`therapy`):
 *
 * - `carbEstimateSd` (0; [0, 1]): carbohydrate-counting error. Each meal's announced estimate is
 *   grams x (1 + e), with a relative error e drawn per meal, mean 0 and SD `carbEstimateSd`. Adults
 *   with type 1 diabetes misjudge meal carbohydrates by about 20 % on average (Brazeau et al.,
 *   "Carbohydrate counting accuracy and blood glucose variability in adults with type 1 diabetes",
 *   Diabetes Res. Clin. Pract. 99(1):19-23, 2013: 50 adults, 692 meals against a dietitian's count).
 *   Distribution: 1 + e is LOG-NORMAL, exp(s z - s^2 / 2) with z ~ N(0, 1) and s^2 = ln(1 + sd^2),
 *   so e has mean 0 and SD exactly `carbEstimateSd` for every value of the option, the estimate is
 *   always positive (a normal error would need truncation at -100 %, which biases it for large
 *   SDs), and the error is multiplicative: proportional to the meal, as the per-cent figures
 *   describe (larger meals carry larger errors in grams: Roversi et al., Diabetes Technol. Ther.
 *   2020, doi:10.1089/dia.2019.0502, on Brazeau's data). Estimates are not rounded.
 * - `missedBolusFraction` (0; [0, 1]): each meal is, with this probability, eaten without being
 *   announced: neither basal-bolus nor the policy is told (no `info.mealGrams`, no meal in the
 *   observation), but the patient eats it. Missed meal boluses are frequent, especially in youths
 *   on pumps, and raise HbA1c (Burdick et al., Pediatrics 113(3):e221-e224, 2004; 38 % of
 *   adolescents missed more than 15 % of their boluses on the day studied by Olinder et al.,
 *   Pediatr. Diabetes 10(2):142-148, 2009).
 * - `mealTimeJitterMin` (0; integer minutes, <= 240): the announcement comes at the meal's minute
 *   plus an offset drawn per meal uniformly from the whole minutes in [-J, +J] (before the meal: a
 *   pre-bolus; after it: a late bolus), never before the episode start. The patient still eats at
 *   the scenario's minute.
 * - `settingsErrorSd` (0; [0, 1]): mis-set therapy parameters. The clinic's basal rate, carbohydrate
 *   ratio CR and correction factor CF are the patient's true values (Quest.csv / vpatient_params.csv)
 *   each times an independent factor 1 + e, drawn ONCE PER EPISODE with the log-normal law above.
 *   The pump delivers the clinic's basal, basal-bolus and PID use the clinic's settings, and
 *   T1D-v0's `info.patientBasalUPerMin`, `info.CR`, `info.CF` report them (the true values are in
 *   `info.trueBasalUPerMin`, `trueCR`, `trueCF` for analysis, only when this option is on).
 * - `rescueCarbs` (false): the "rule of 15" for hypoglycaemia (American Diabetes Association,
 *   Standards of Care, section 6: 15-20 g of glucose at BG < 70 mg/dL, recheck after 15 minutes,
 *   repeat while low). `true` = { grams: 15, belowMgDl: 70, afterMin: 15, refractoryMin: 15 }, or an
 *   object overriding some of these: at each new CGM reading, when every reading of the last
 *   `afterMin` minutes (at least) has been below `belowMgDl`, the patient eats `grams` of
 *   carbohydrate (from that minute, at 5 g/min), then waits `refractoryMin` minutes before the rule
 *   may fire again. Rescue carbohydrates are not announced (nobody boluses for them) and draw no
 *   random numbers.
 *
 * Seeding: the draws come from NAMED child streams of the caller's stream (T1D-v0: the episode's
 * `therapy` stream; simulate: the config seed's): `carb-estimate` (one normal per meal), `missed-bolus`
 * (one uniform per meal), `meal-time` (one integer per meal), `settings` (basal, CR, CF factors). Each
 * stream is drawn for every meal of the scenario whatever the other options, so turning one option
 * on never shifts another's draws, and since nothing depends on the actions, every method run on the
 * same seed faces the same meals, estimates, missed boluses and settings.
 */
import { z } from 'zod';
import type { Rng } from '../../src/core/rng.ts';
import type { TherapyParams } from '../../agents/baselines/glucose/common.ts';
import type { Meal } from './scenario.ts';

export interface RescueCarbsOptions {
  /** Carbohydrate per rescue [g]. */
  grams: number;
  /** The rule fires while CGM stays below this [mg/dL]. */
  belowMgDl: number;
  /** ... for at least this long [min]. */
  afterMin: number;
  /** Minimum time between two rescues [min]. */
  refractoryMin: number;
}

export const RESCUE_CARBS_DEFAULTS: Readonly<RescueCarbsOptions> = Object.freeze({ grams: 15, belowMgDl: 70, afterMin: 15, refractoryMin: 15 });

export interface TherapyOptions {
  carbEstimateSd: number;
  missedBolusFraction: number;
  mealTimeJitterMin: number;
  settingsErrorSd: number;
  /** false = off; otherwise the resolved rule. */
  rescueCarbs: false | RescueCarbsOptions;
}

export const THERAPY_DEFAULTS: Readonly<TherapyOptions> = Object.freeze({
  carbEstimateSd: 0,
  missedBolusFraction: 0,
  mealTimeJitterMin: 0,
  settingsErrorSd: 0,
  rescueCarbs: false,
});

/** Longest meal-time jitter [min]. */
export const MAX_MEAL_TIME_JITTER_MIN = 240;

const numberIn = (lo: number, hi: number, integer = false) => {
  const what = `expected ${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}]`;
  const n = z.number({ error: what }).min(lo, { error: what }).max(hi, { error: what });
  return integer ? n.int({ error: what }) : n;
};
const positive = (what: string) => z.number({ error: `expected ${what}` }).positive({ error: `expected ${what}` }).finite({ error: `expected ${what}` });
const nonNegative = (what: string) => z.number({ error: `expected ${what}` }).min(0, { error: `expected ${what}` }).finite({ error: `expected ${what}` });

const rescueSchema = z
  .strictObject(
    {
      grams: positive('a positive number of grams').default(RESCUE_CARBS_DEFAULTS.grams),
      belowMgDl: positive('a positive glucose in mg/dL').default(RESCUE_CARBS_DEFAULTS.belowMgDl),
      afterMin: nonNegative('a number of minutes >= 0').default(RESCUE_CARBS_DEFAULTS.afterMin),
      refractoryMin: nonNegative('a number of minutes >= 0').default(RESCUE_CARBS_DEFAULTS.refractoryMin),
    },
    { error: 'expected true, false or { grams, belowMgDl, afterMin, refractoryMin }' },
  )
  .nullable();

/**
 * The `therapy` option (T1D-v0 and simulate): every field optional, defaults as THERAPY_DEFAULTS.
 * Parse `therapyInput(raw)` with it and pass the result through `resolveTherapy` (`rescueCarbs`
 * true/false become {} / null before the schema, so that its errors name the exact field, and the
 * resolved "off" is false).
 */
export const therapySchema = z.strictObject(
  {
    carbEstimateSd: numberIn(0, 1).default(0),
    missedBolusFraction: numberIn(0, 1).default(0),
    mealTimeJitterMin: numberIn(0, MAX_MEAL_TIME_JITTER_MIN, true).default(0),
    settingsErrorSd: numberIn(0, 1).default(0),
    rescueCarbs: rescueSchema.default(null),
  },
  { error: 'expected a mapping of therapy options (carbEstimateSd, missedBolusFraction, mealTimeJitterMin, settingsErrorSd, rescueCarbs)' },
);

/** `rescueCarbs: true` = the rule's defaults ({}), false = off (null); everything else as given. */
export function therapyInput(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const r = (raw as { rescueCarbs?: unknown }).rescueCarbs;
  return r === true ? { ...raw, rescueCarbs: {} } : r === false ? { ...raw, rescueCarbs: null } : raw;
}

/** The parsed option in its resolved form (rescue off = false). */
export function resolveTherapy(parsed: z.infer<typeof therapySchema>): TherapyOptions {
  return { ...parsed, rescueCarbs: parsed.rescueCarbs ?? false };
}

/**
 * A factor 1 + e with e of mean 0 and SD `sd` (log-normal, see the header); exactly 1 without a draw
 * when sd = 0.
 */
export function relativeErrorFactor(rng: Rng, sd: number): number {
  if (sd === 0) return 1;
  const s2 = Math.log1p(sd * sd);
  return Math.exp(Math.sqrt(s2) * rng.normal() - s2 / 2);
}

/** One meal of the scenario as the protocol plays it. */
export interface ProtocolMeal {
  /** Minute the patient starts eating (the scenario's). */
  minute: number;
  /** Carbohydrate eaten [g] (the truth). */
  grams: number;
  /** Carbohydrate announced [g] (the patient's estimate; = grams when counting is exact). */
  estimateG: number;
  /** Minute of the announcement (>= 0; = minute without jitter). */
  announcedMinute: number;
  /** Eaten without any announcement (no bolus). */
  missed: boolean;
}

export interface TherapyDraw {
  meals: ProtocolMeal[];
  /** What every announced-meal consumer sees: { minute: announcedMinute, grams: estimate } of the meals not missed, by minute. */
  announcements: Meal[];
  /** The settings the clinic programmed (= the true ones when settingsErrorSd is 0). */
  clinic: TherapyParams;
}

/**
 * Draw the protocol for a scenario's `meals` (sorted by minute) and a patient's true settings from
 * `rng` (see the header for the named streams). With every option off, the announcements are the
 * meals themselves and the clinic's settings the true ones, bit for bit.
 */
export function drawTherapy(rng: Rng, meals: readonly Meal[], truth: TherapyParams, o: TherapyOptions): TherapyDraw {
  const carb = o.carbEstimateSd > 0 ? rng.child('carb-estimate') : undefined;
  const missedRng = o.missedBolusFraction > 0 ? rng.child('missed-bolus') : undefined;
  const timeRng = o.mealTimeJitterMin > 0 ? rng.child('meal-time') : undefined;
  const J = o.mealTimeJitterMin;
  const out: ProtocolMeal[] = meals.map((m) => {
    const factor = carb !== undefined ? relativeErrorFactor(carb, o.carbEstimateSd) : 1;
    const missed = missedRng !== undefined ? missedRng.uniform() < o.missedBolusFraction : false;
    const offset = timeRng !== undefined ? timeRng.int(2 * J + 1) - J : 0;
    return {
      minute: m.minute,
      grams: m.grams,
      estimateG: carb !== undefined ? m.grams * factor : m.grams,
      announcedMinute: Math.max(0, m.minute + offset),
      missed,
    };
  });
  const announcements = out.filter((m) => !m.missed).map((m) => ({ minute: m.announcedMinute, grams: m.estimateG }));
  if (J > 0) announcements.sort((a, b) => a.minute - b.minute); // stable: equal minutes keep meal order
  let clinic: TherapyParams = { basalUPerMin: truth.basalUPerMin, CR: truth.CR, CF: truth.CF };
  if (o.settingsErrorSd > 0) {
    const s = rng.child('settings');
    const basal = relativeErrorFactor(s, o.settingsErrorSd);
    const cr = relativeErrorFactor(s, o.settingsErrorSd);
    const cf = relativeErrorFactor(s, o.settingsErrorSd);
    clinic = { basalUPerMin: truth.basalUPerMin * basal, CR: truth.CR * cr, CF: truth.CF * cf };
  }
  return { meals: out, announcements, clinic };
}

/**
 * The rescue-carbohydrate rule (see the header), fed every new CGM reading in time order. Needs no
 * random numbers; its state is the start of the current run of low readings and the last rescue.
 */
export class RescueCarbs {
  private lowSince = NaN;
  private lastRescue = -Infinity;

  constructor(readonly options: Readonly<RescueCarbsOptions>) {}

  reset(): void {
    this.lowSince = NaN;
    this.lastRescue = -Infinity;
  }

  /** A new reading at `minute`; returns the grams eaten from this minute (0 when the rule does not fire). */
  reading(minute: number, cgmMgDl: number): number {
    const o = this.options;
    if (!(cgmMgDl < o.belowMgDl)) {
      this.lowSince = NaN;
      return 0;
    }
    if (Number.isNaN(this.lowSince)) this.lowSince = minute;
    if (minute - this.lowSince >= o.afterMin && minute - this.lastRescue >= o.refractoryMin) {
      this.lastRescue = minute;
      return o.grams;
    }
    return 0;
  }
}
