/**
 * `T1D-v0`: insulin dosing for one virtual type-1 diabetes patient (UVA/Padova 2008 model as in
 * simglucose; Dalla Man et al., IEEE TBME 2007; Kovatchev et al., JDST 2009; Xie 2018).
 *
 * One step = one CGM sample period (Dexcom 3 min, GuardianRT 5, Navigator 1): the action is held
 * for that many one-minute patient steps, then the sensor takes its next reading.
 *
 * Options (all validated; defaults in `T1D_DEFAULTS`):
 * - `patient`: a patient id ('adolescent#001'), a cohort ('adolescents' | 'adults' | 'children' |
 *   'all') or a list of ids; with several patients each reset draws one from the episode's seed.
 * - `sensor` ('Dexcom' | 'GuardianRT' | 'Navigator'), `sensorNoise` (boolean), `pump` ('Insulet' | 'Cozmo').
 * - `scenario`: 'random' (simglucose's six daily meal slots, a new draw at EVERY reset, unlike
 *   simglucose which replays one day) or a fixed list of { minute, grams } (minutes from the
 *   episode start, used as given in every episode; not repeated per day when `days` > 1).
 * - `days`: episode length in days (truncation at ceil(days * 1440 / sample time) steps). Episodes
 *   start at midnight (simglucose draws a random start hour).
 * - `mealAnnouncement`: null (default: the agent sees no meal information) or a lead time L in
 *   minutes: the observation then holds the carbs of the meals starting within [t, t + Δ + L)
 *   (Δ = step length) and the minutes until the first of them.
 * - `window`: number of past CGM readings (and step insulin rates) in the observation.
 * - `action`: 'continuous' (default): the insulin rate in U/h, Box(0, max, [1]); 'discrete': an index
 *   into `discreteLevels`, multiples of the patient's basal rate (including 0), for DQN.
 * - `maxBasalMultiple` (default 5): the continuous action's max is this multiple of the basal rate
 *   (in U/h) of the largest-basal patient the env can draw (so, for a single patient, exactly
 *   5 x its basal; simglucose's U/min action up to 30 U/min is ~2000 x basal, issue #71).
 * - `actionMaxUnitsPerHour`: overrides that max: a number of U/h, or 'pump' for the pump's basal
 *   limit x 60 (1800 U/h Insulet, 2100 Cozmo). Use 'pump' to run meal-bolus baselines on the SAME
 *   seeded episodes as a learner (the episode's draws do not depend on the action space), and a
 *   common number to batch envs of different patients in one SyncVectorEnv (equal spaces).
 * - `reward`: 'risk' | 'risk-diff' | 'tir' (reward.ts); `terminationPenalty`: 'auto' (default: the
 *   number of steps in an episode, so that dying is never better than surviving with the worst
 *   step reward -1) or a number >= 0, subtracted from the reward of the terminating step.
 * - `terminateBelowMgDl` (40) / `terminateAboveMgDl` (600): the episode terminates when the true
 *   BG (Gs/Vg) at the end of a step leaves this range.
 * - `randomInitialBg`: draw Gp, Gt, Gs from N(x0, variance 0.1 x0) as simglucose's gym env does.
 *
 * Insulin goes through the pump's basal channel (rounding to 0.05 pmol/min, clipping). Meals of
 * the scenario are announced to the patient at their minute and eaten at 5 g/min.
 *
 * Observation (float32 Box; `metadata.observationLabels` names each element):
 * - `cgm[i]` = (CGM - 140) / 100 for the last `window` readings, oldest first;
 * - `insulin[i]` = delivered rate / (patient basal x maxBasalMultiple) for the last `window` steps
 *   (1 = the top of the default action range);
 * - `iob` = insulin on board / its value at steady basal (1 at basal). IOB model (insulin-on-board.ts):
 *   every step's delivered insulin decays LINEARLY to zero over 4 hours (240 min): a dose delivered a steps ago
 *   (a = 0 for the step just finished) still counts with weight max(0, 1 - a Δ / 240);
 * - `tod_sin`, `tod_cos`: time of day, sin/cos(2 pi minute-of-day / 1440);
 * - with meal announcement: `meal_g` = announced carbs / 100 g, `meal_in` = minutes until the first
 *   announced meal / (Δ + L) (1 when none).
 * Reset pads the windows with the first reading and the basal rate (the default initial state is
 * the basal steady state).
 *
 * `info` (reset and step): bg (true Gs/Vg at the step end, mg/dL), cgm (mg/dL), insulin (U delivered
 * in the step; 0 at reset), cho (g eaten in the step), patient (id), cost (1 if bg < 70, for
 * constrained RL), risk (of the CGM), minute (minutes since the start, the decision time), and for
 * the clinical baselines (agents/baselines/glucose): mealGrams (carbs of meals starting in the
 * coming step [minute, minute + Δ): a patient announces the meal it is about to eat, independent of
 * `mealAnnouncement`, which only controls what the AGENT observes), sampleTimeMin, patientBasalUPerMin,
 * CR, CF, actionKind, actionMaxUnitsPerHour, actionLevelsUnitsPerHour (discrete only).
 */
import { z } from 'zod';
import { BaseEnv, type EnvMetadata, type Info, type ResetResult, type StepResult } from '../../src/core/env.ts';
import { UserError } from '../../src/core/errors.ts';
import type { Rng } from '../../src/core/rng.ts';
import { Box, Discrete } from '../../src/core/spaces.ts';
import { sharedSlab } from '../../src/core/slab.ts';
import { parseWithSchema } from '../../src/core/validate.ts';
import { risk } from '../../src/metrics/glucose.ts';
import { COHORTS, PATIENT_NAMES, getPatient, type PatientParams } from './patient.ts';
import { PUMP_NAMES, Pump, type PumpName } from './pump.ts';
import { CgmSensor, SENSOR_NAMES, getSensorParams, type SensorName } from './sensor.ts';
import { randomDailyMeals, type Meal } from './scenario.ts';
import { IOB_DURATION_MIN, InsulinOnBoard } from './insulin-on-board.ts';
import { PatientSimulator } from './simulator.ts';
import { MIN_STEP_REWARD, REWARDS, REWARD_NAMES, type RewardFunction } from './reward.ts';

export const T1D_ENV_ID = 'T1D-v0';

/** IOB curve duration [min] (linear decay; insulin-on-board.ts). */
export { IOB_DURATION_MIN };

export const T1D_DEFAULTS = {
  patient: 'adolescent#001' as string | string[],
  /** Alias: `cohort: adolescents` is `patient: adolescents` (a cohort name, replacing `patient`). */
  cohort: null as string | null,
  sensor: 'Dexcom',
  sensorNoise: true,
  pump: 'Insulet',
  scenario: 'random' as 'random' | Meal[],
  days: 1,
  mealAnnouncement: null as number | null,
  window: 12,
  action: 'continuous',
  maxBasalMultiple: 5,
  actionMaxUnitsPerHour: null as number | 'pump' | null,
  discreteLevels: [0, 0.5, 1, 1.5, 2, 3, 5] as number[],
  reward: 'risk',
  terminationPenalty: 'auto' as number | 'auto',
  terminateBelowMgDl: 40,
  terminateAboveMgDl: 600,
  randomInitialBg: false,
};

const COHORT_NAMES = Object.keys(COHORTS) as (keyof typeof COHORTS)[];

const patientId = z.string().refine((s) => PATIENT_NAMES.includes(s), {
  message: `unknown patient; allowed: adolescent#001..#010, adult#001..#010, child#001..#010 or a cohort (${COHORT_NAMES.join(', ')})`,
});

const optionsSchema = z
  .object({
    patient: z.union([
      z.string().refine((s) => PATIENT_NAMES.includes(s) || (COHORT_NAMES as string[]).includes(s), {
        message: `unknown patient or cohort; allowed: adolescent#001..#010, adult#001..#010, child#001..#010, ${COHORT_NAMES.join(', ')}, or a list of ids`,
      }),
      z.array(patientId).min(1),
    ]),
    cohort: z.enum(COHORT_NAMES, { error: `expected a cohort: ${COHORT_NAMES.join(', ')}` }).nullable(),
    sensor: z.enum(SENSOR_NAMES as unknown as [string, ...string[]]),
    sensorNoise: z.boolean(),
    pump: z.enum(PUMP_NAMES as unknown as [string, ...string[]]),
    scenario: z.union([
      z.literal('random'),
      z.array(z.strictObject({ minute: z.number().int().min(0), grams: z.number().positive().finite() })),
    ]),
    days: z.number().positive().max(365),
    mealAnnouncement: z.number().int().min(0).nullable(),
    window: z.number().int().min(1).max(480),
    action: z.enum(['continuous', 'discrete']),
    maxBasalMultiple: z.number().positive().finite(),
    actionMaxUnitsPerHour: z.union([z.number().positive().finite(), z.literal('pump')]).nullable(),
    discreteLevels: z.array(z.number().min(0).finite()).min(2),
    reward: z.enum(REWARD_NAMES as unknown as [string, ...string[]]),
    terminationPenalty: z.union([z.number().min(0).finite(), z.literal('auto')]),
    terminateBelowMgDl: z.number().min(0),
    terminateAboveMgDl: z.number().positive(),
    randomInitialBg: z.boolean(),
  })
  .strict();

export type T1DOptions = typeof T1D_DEFAULTS;

/** The patient ids an option value stands for. */
export function resolvePatients(patient: string | readonly string[]): string[] {
  if (typeof patient !== 'string') return [...patient];
  if ((COHORT_NAMES as string[]).includes(patient)) return [...COHORTS[patient as keyof typeof COHORTS]];
  return [patient];
}

export class T1DEnv extends BaseEnv<Float32Array, Float32Array | number> {
  readonly observationSpace: Box;
  readonly actionSpace: Box | Discrete;
  readonly metadata: EnvMetadata;
  readonly options: Readonly<T1DOptions>;
  readonly patientPool: readonly PatientParams[];

  private readonly sampleTimeMin: number;
  private readonly maxSteps: number;
  private readonly penalty: number;
  private readonly rewardFn: RewardFunction;
  private readonly pump: Pump;
  private readonly actionMaxUPerHour: number;
  private readonly levels: readonly number[];
  private readonly iob: InsulinOnBoard;
  private readonly sensorMinMgDl: number;
  private readonly sensorMaxMgDl: number;

  // episode state
  private patient!: PatientParams;
  private sim!: PatientSimulator;
  private readonly sims = new Map<string, PatientSimulator>();
  private sensor!: CgmSensor;
  private meals: Meal[] = [];
  private mealCursor = 0;
  private minute = 0;
  private steps = 0;
  private cgm = 0;
  private readonly cgmHist: Float64Array;
  private readonly insHist: Float64Array; // U/min per step
  /** Observation bounds rounded to float32, for the final clamp. */
  private readonly obsLowF32: Float32Array;
  private readonly obsHighF32: Float32Array;
  private levelsUPerHour: number[] = [];

  constructor(options: Partial<T1DOptions> = {}) {
    super();
    const o = parseWithSchema(optionsSchema, { ...T1D_DEFAULTS, ...options }, `${T1D_ENV_ID}: `) as T1DOptions;
    if (!(o.terminateBelowMgDl < o.terminateAboveMgDl)) {
      throw new UserError(`${T1D_ENV_ID}: terminateBelowMgDl (${o.terminateBelowMgDl}) must be below terminateAboveMgDl (${o.terminateAboveMgDl})`);
    }
    if (o.cohort !== null && o.cohort !== undefined) {
      if (JSON.stringify(o.patient) !== JSON.stringify(T1D_DEFAULTS.patient)) {
        throw new UserError(`${T1D_ENV_ID}: cohort: give patient or cohort, not both (cohort ${o.cohort} is the same as patient: ${o.cohort})`);
      }
      o.patient = o.cohort;
    }
    this.options = Object.freeze({ ...o });
    this.patientPool = Object.freeze(resolvePatients(o.patient).map((n) => getPatient(n)));
    this.pump = new Pump(o.pump as PumpName);
    const sensorParams = getSensorParams(o.sensor as SensorName);
    this.sampleTimeMin = sensorParams.sampleTimeMin;
    this.sensorMinMgDl = sensorParams.minMgDl;
    this.sensorMaxMgDl = sensorParams.maxMgDl;
    this.maxSteps = Math.ceil((o.days * 1440) / this.sampleTimeMin - 1e-9);
    this.penalty = o.terminationPenalty === 'auto' ? -MIN_STEP_REWARD * this.maxSteps : o.terminationPenalty;
    this.rewardFn = REWARDS[o.reward as keyof typeof REWARDS];
    const pumpMaxUPerHour = this.pump.maxBasalUPerMin * 60;
    const poolMaxBasalUPerHour = Math.max(...this.patientPool.map((p) => p.basalUPerMin * 60));
    this.actionMaxUPerHour =
      o.actionMaxUnitsPerHour === 'pump' ? pumpMaxUPerHour : o.actionMaxUnitsPerHour ?? Math.min(pumpMaxUPerHour, o.maxBasalMultiple * poolMaxBasalUPerHour);
    this.levels = Object.freeze([...o.discreteLevels]);
    this.actionSpace = o.action === 'continuous' ? new Box(0, this.actionMaxUPerHour, [1]) : new Discrete(this.levels.length);

    const k = o.window;
    this.cgmHist = new Float64Array(k);
    this.insHist = new Float64Array(k);
    this.iob = new InsulinOnBoard(this.sampleTimeMin, IOB_DURATION_MIN);

    // Observation bounds must not depend on the patient pool (vector envs over different patients
    // need equal spaces): the insulin features are bounded with the smallest basal of all 30 patients.
    const minBasal = Math.min(...PATIENT_NAMES.map((n) => getPatient(n).basalUPerMin));
    // (Rounded up to whole numbers: only containment matters.)
    const insHigh = Math.ceil(Math.max(pumpMaxUPerHour / 60, this.actionMaxUPerHour / 60) / (minBasal * o.maxBasalMultiple));
    const iobHigh = Math.ceil((Math.max(this.pump.maxBasalUPerMin, this.actionMaxUPerHour / 60) / minBasal) * (this.iob.steps / this.iob.weightSum));
    const labels: string[] = [];
    const low: number[] = [];
    const high: number[] = [];
    const add = (label: string, lo: number, hi: number): void => {
      labels.push(label);
      low.push(lo);
      high.push(hi);
    };
    for (let i = 0; i < k; i++) add(`cgm[t-${k - 1 - i}]`, (this.sensorMinMgDl - 140) / 100, (this.sensorMaxMgDl - 140) / 100);
    for (let i = 0; i < k; i++) add(`insulin[t-${k - 1 - i}]`, 0, insHigh);
    add('iob', 0, iobHigh);
    add('tod_sin', -1, 1);
    add('tod_cos', -1, 1);
    if (o.mealAnnouncement !== null) {
      add('meal_g', 0, Infinity);
      add('meal_in', 0, 1);
    }
    this.observationSpace = new Box(low, high);
    this.obsLowF32 = Float32Array.from(low);
    this.obsHighF32 = Float32Array.from(high);
    this.metadata = {
      id: T1D_ENV_ID,
      stepDuration: { value: this.sampleTimeMin, unit: 'minute' },
      actionUnits: o.action === 'continuous' ? 'U/h (insulin rate)' : `index into levels ${this.levels.join(', ')} x patient basal rate`,
      observationLabels: labels,
      maxEpisodeSteps: this.maxSteps,
      constraints: ['hypo70'],
    };
  }

  /** The current patient (valid after reset). */
  get currentPatient(): PatientParams {
    return this.patient;
  }

  /** The current episode's meals (valid after reset). */
  get scenarioMeals(): readonly Meal[] {
    return this.meals;
  }

  protected resetModel(rng: Rng): ResetResult<Float32Array> {
    const o = this.options;
    // Independent named streams: changing one option (e.g. the action space) never changes the
    // other draws, so baselines and learners can be compared on identical seeded episodes.
    const pool = this.patientPool;
    this.patient = pool.length === 1 ? (pool[0] as PatientParams) : rng.child('patient').choice(pool);
    let initial: Float64Array | undefined;
    if (o.randomInitialBg) {
      const r = rng.child('initial-state');
      initial = Float64Array.from(this.patient.x0);
      for (const i of [3, 4, 12]) {
        const mean = initial[i] as number;
        initial[i] = Math.max(0, r.gaussian(mean, Math.sqrt(0.1 * mean)));
      }
    }
    let sim = this.sims.get(this.patient.name);
    if (sim === undefined) {
      sim = new PatientSimulator(this.patient, initial !== undefined ? { initialState: initial } : {});
      this.sims.set(this.patient.name, sim);
    } else sim.reset(initial);
    this.sim = sim;
    this.sensor = new CgmSensor(o.sensor as SensorName, { noise: o.sensorNoise, rng: rng.child('sensor') });
    const days = Math.ceil(o.days - 1e-9);
    this.meals = o.scenario === 'random' ? randomDailyMeals(rng.child('scenario'), days) : [...o.scenario].sort((a, b) => a.minute - b.minute);
    this.mealCursor = 0;
    this.minute = 0;
    this.steps = 0;
    this.levelsUPerHour = this.levels.map((m) => m * this.patient.basalUPerMin * 60);

    this.cgm = this.sensor.read(sim.bgMgDl, 0);
    this.cgmHist.fill(this.cgm);
    this.insHist.fill(this.patient.basalUPerMin);
    this.iob.fill(this.patient.basalUPerMin * this.sampleTimeMin);
    return { observation: this.observe(), info: this.info(0, 0) };
  }

  protected stepModel(action: Float32Array | number): StepResult<Float32Array> {
    const uPerHour = typeof action === 'number' ? (this.levelsUPerHour[action] as number) : (action[0] as number);
    const delivered = this.pump.basal(uPerHour / 60); // U/min after rounding and clipping
    const sim = this.sim;
    const meals = this.meals;
    let cho = 0;
    for (let k = 0; k < this.sampleTimeMin; k++) {
      while (this.mealCursor < meals.length && (meals[this.mealCursor] as Meal).minute <= this.minute) {
        const meal = meals[this.mealCursor++] as Meal;
        // A fixed meal at a minute already passed cannot happen (cursor order); equal minutes merge.
        sim.announceMeal(meal.grams);
      }
      cho += sim.stepMinute(delivered);
      this.minute++;
    }
    this.steps++;
    const bg = sim.bgMgDl;
    const previous = this.cgm;
    this.cgm = this.sensor.read(bg, this.minute);
    // windows
    this.cgmHist.copyWithin(0, 1);
    this.cgmHist[this.cgmHist.length - 1] = this.cgm;
    this.insHist.copyWithin(0, 1);
    this.insHist[this.insHist.length - 1] = delivered;
    this.iob.push(delivered * this.sampleTimeMin);

    const terminated = !(bg >= this.options.terminateBelowMgDl && bg <= this.options.terminateAboveMgDl);
    const truncated = this.steps >= this.maxSteps;
    let reward = this.rewardFn(this.cgm, previous);
    if (terminated) reward -= this.penalty;
    return { observation: this.observe(), reward, terminated, truncated, info: this.info(delivered * this.sampleTimeMin, cho) };
  }

  /** Carbs [g] of meals starting in [from, to) minutes, and the first such minute (or -1). */
  private mealsBetween(from: number, to: number): { grams: number; first: number } {
    let grams = 0;
    let first = -1;
    for (let i = this.mealCursor; i < this.meals.length; i++) {
      const m = this.meals[i] as Meal;
      if (m.minute >= to) break;
      if (m.minute >= from) {
        grams += m.grams;
        if (first < 0) first = m.minute;
      }
    }
    return { grams, first };
  }

  private observe(): Float32Array {
    const o = this.options;
    const k = o.window;
    const obs = sharedSlab.float32(this.observationSpace.size);
    const insScale = 1 / (this.patient.basalUPerMin * o.maxBasalMultiple);
    for (let i = 0; i < k; i++) {
      obs[i] = ((this.cgmHist[i] as number) - 140) / 100;
      obs[k + i] = (this.insHist[i] as number) * insScale;
    }
    obs[2 * k] = this.iob.units / this.iob.steadyStateUnits(this.patient.basalUPerMin * this.sampleTimeMin);
    const phase = (2 * Math.PI * (this.minute % 1440)) / 1440;
    obs[2 * k + 1] = Math.sin(phase);
    obs[2 * k + 2] = Math.cos(phase);
    if (o.mealAnnouncement !== null) {
      const horizon = this.sampleTimeMin + o.mealAnnouncement;
      const { grams, first } = this.mealsBetween(this.minute, this.minute + horizon);
      obs[2 * k + 3] = grams / 100;
      obs[2 * k + 4] = first < 0 ? 1 : (first - this.minute) / horizon;
    }
    // float32 rounding (or the IOB's running sums, ~1e-16 below 0) may step just past a bound: clamp.
    const lo = this.obsLowF32;
    const hi = this.obsHighF32;
    for (let i = 0; i < obs.length; i++) {
      const v = obs[i] as number;
      if (v < (lo[i] as number)) obs[i] = lo[i] as number;
      else if (v > (hi[i] as number)) obs[i] = hi[i] as number;
    }
    return obs;
  }

  private info(insulinU: number, choG: number): Info {
    const p = this.patient;
    const bg = this.sim.bgMgDl;
    const info: Info = {
      bg,
      cgm: this.cgm,
      insulin: insulinU,
      cho: choG,
      patient: p.name,
      cost: bg < 70 ? 1 : 0,
      risk: risk(this.cgm),
      minute: this.minute,
      mealGrams: this.mealsBetween(this.minute, this.minute + this.sampleTimeMin).grams,
      sampleTimeMin: this.sampleTimeMin,
      patientBasalUPerMin: p.basalUPerMin,
      CR: p.CR,
      CF: p.CF,
      actionKind: this.options.action,
      actionMaxUnitsPerHour: this.actionMaxUPerHour,
    };
    if (this.options.action === 'discrete') info.actionLevelsUnitsPerHour = this.levelsUPerHour;
    return info;
  }
}
