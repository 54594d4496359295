/**
 * `T1D-v0`: insulin dosing for one virtual type-1 diabetes patient (UVA/Padova 2008 model as in
 * simglucose; Dalla Man et al., IEEE TBME 2007; Kovatchev et al., JDST 2009; Xie 2018), optionally
 * under a realistic therapy protocol (therapy.ts: carbohydrate-counting error, Brazeau et al. 2013;
 * missed boluses, Burdick et al. 2004; meal-time jitter; mis-set settings; rescue carbohydrates).
 *
 * One step = one CGM sample period (Dexcom 3 min, GuardianRT 5, Navigator 1): the action is held
 * for that many one-minute patient steps, then the sensor takes its next reading.
 *
 * Options (all validated; defaults in `T1D_DEFAULTS`):
 * - `patient`: a patient id ('adolescent#001'), a cohort ('adolescents' | 'adults' | 'children' |
 *   'all') or a list of ids; with several patients each reset draws one from the episode's seed.
 * - `sensor` ('Dexcom' | 'GuardianRT' | 'Navigator'), `sensorNoise` (boolean), `pump` ('Insulet' | 'Cozmo').
 * - `scenario`: 'random' (simglucose's six daily meal slots, a new draw at EVERY reset and for every
 *   day of a multi-day episode, unlike simglucose which replays one day) or a fixed list of
 *   { minute, grams } (minutes from the episode start, used as given in every episode; not repeated
 *   per day when `days` > 1).
 * - `days`: episode length in days (truncation at ceil(days * 1440 / sample time) steps). Episodes
 *   start at midnight (simglucose draws a random start hour).
 * - `mealAnnouncement`: null (default: the agent sees no meal information) or a lead time L in
 *   minutes: the observation then holds the carbs of the meals ANNOUNCED within [t, t + Δ + L)
 *   (Δ = step length) and the minutes until the first of them.
 * - `therapy`: the therapy protocol (therapy.ts; everything off by default): `carbEstimateSd`,
 *   `missedBolusFraction`, `mealTimeJitterMin`, `settingsErrorSd`, `rescueCarbs`. Every
 *   announced-meal consumer (the observation's meal features, `info.mealGrams`, hence basal-bolus
 *   and the residual controller) sees the announcement: the ESTIMATE at the announced minute, and
 *   nothing for a missed bolus; the patient eats the true meal at its minute. The clinic's settings
 *   (basal, CR, CF) replace the true ones everywhere a policy or baseline can read them.
 * - `window`: number of past CGM readings (and step insulin rates) in the observation.
 * - `observeTherapy` (default false): the observation also holds the clinic's correction factor and
 *   carb ratio, each per hour of the clinic's basal (`therapy_cf`, `therapy_cr` below): two numbers
 *   that tell patients apart the way the clinic knows them, so one cohort policy can dose each
 *   patient differently (without them nothing in the observation is patient-specific). They are
 *   the clinic's settings, with the drawn errors of `therapy.settingsErrorSd`, never the truth.
 * - `action`: what the policy controls (the episode's draws never depend on it, so every mode
 *   faces the same days):
 *   - 'continuous' (default): the insulin rate in U/h, Box(0, max, [1]);
 *   - 'discrete': an index into `discreteLevels`, multiples of the (clinic) basal rate, for DQN;
 *   - 'basal-relative': Box(-1, 1, [1]), a multiple m(a) of the clinic's basal rate: 0 U/h at -1,
 *     basal at 0, `authorityBasalMultiple` x basal at 1 (linear below basal, exponential above;
 *     action-modes.ts gives the mapping and why). The same output means the same multiple of
 *     basal for every patient, so a policy trained in this mode drives any patient;
 *   - 'residual': Box(-1, 1, [1]), a correction added to a clinical controller's rate
 *     (`residualController`; Silver et al. 2018, "Residual Policy Learning"):
 *     rate = u_controller x (1 + a) for a <= 0 (-1 cancels any dose), u_controller + basal x (A^a - 1)
 *     for a > 0, A = `authorityBasalMultiple` (envs/glucose/action-modes.ts).
 *     The controller is the baseline policy of agents/baselines/glucose itself, run inside the env
 *     on the same info it would see alone on an env with `actionMaxUnitsPerHour: 'pump'`, so a zero
 *     correction delivers exactly what the baseline alone delivers.
 * - `maxBasalMultiple` (default 5; continuous mode): the continuous action's max is this multiple
 *   of the basal rate (in U/h) of the largest-basal patient the env can draw (so, for a single
 *   patient, exactly 5 x its basal; simglucose's U/min action up to 30 U/min is ~2000 x basal,
 *   issue #71).
 * - `actionMaxUnitsPerHour` (continuous mode; ignored by the others): overrides that max: a number
 *   of U/h, or 'pump' for the pump's basal limit x 60 (1800 U/h Insulet, 2100 Cozmo). Use 'pump' to
 *   run meal-bolus baselines on the SAME seeded episodes as a learner, and a common number to batch
 *   envs of different patients in one SyncVectorEnv (equal spaces).
 * - `authorityBasalMultiple` (default 300; basal-relative and residual modes): A, the largest basal
 *   multiple the policy commands (basal-relative) or adds (residual, up to (A - 1) basal), > 1; or
 *   'pump' for the pump's limit / the clinic basal (then the mapping differs between patients).
 *   300 x basal over one 3-minute step is 15 hours of basal, a 70-100 g meal bolus for most of the
 *   30 patients (the largest need 2-3 steps); rates above the pump's limit are clipped by the pump.
 * - `residualController` (residual mode): 'basal-bolus' (default), 'pid' or 'pid-bolus' (PID with
 *   meal boluses, a hybrid closed loop), or { type, ...parameters } with the baselines' parameters
 *   (basal-bolus: targetMgDl, correctAboveMgDl, suspendBelowMgDl; pid: targetMgDl, tauPMin, tauIMin,
 *   tauDMin, suspendBelowMgDl; pid-bolus: pid's and holdAfterBolusMin).
 * - `controllerToldOfMeals` (default 'auto'): whether the controller acting on the env is told of
 *   announced meals, reported as `info.controllerToldOfMeals` for the shield (src/safety/t1d-shield.ts
 *   lets an announced bolus through only then). 'auto' is true when the policy observes meals
 *   (`mealAnnouncement`) or corrects a controller that boluses for meals (residual mode on
 *   basal-bolus or pid-bolus), false otherwise (a policy in closed loop, a residual on PID). A
 *   baseline acting on the env is not known to the env: evaluation sets this option per method
 *   (envs/glucose/family.ts: true for basal-bolus and pid-bolus); a library user who runs either
 *   behind the shield sets it to true. It changes nothing else: `info.mealGrams` is reported either
 *   way (those two read it).
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
 * Observation (float32 Box; `metadata.observationLabels` names each element). "basal" is the
 * clinic's basal rate (the true one unless `therapy.settingsErrorSd` > 0):
 * - `cgm[i]` = (CGM - 140) / 100 for the last `window` readings, oldest first;
 * - `insulin[i]`, the delivered rate of each of the last `window` steps: in the continuous and
 *   discrete modes rate / (basal x maxBasalMultiple) (1 = the top of the default action range); in
 *   the basal-relative and residual modes the basal-relative output that delivers it,
 *   m^-1(rate / basal) in [-1, 1] (-1 = no insulin, 0 = basal, 1 = A x basal);
 * - `iob` = insulin on board / its value at steady basal (1 at basal), in every mode. IOB model
 *   (insulin-on-board.ts): every step's delivered insulin decays LINEARLY to zero over 4 hours
 *   (240 min): a dose delivered a steps ago (a = 0 for the step just finished) still counts with
 *   weight max(0, 1 - a Δ / 240);
 * - `tod_sin`, `tod_cos`: time of day, sin/cos(2 pi minute-of-day / 1440);
 * - with meal announcement: `meal_g` = announced carbs / 100 g (continuous, discrete) or, in the
 *   patient-relative modes, `meal_bolus` = the clinic's bolus for them in hours of basal / 10,
 *   (grams / CR) / (basal x 60) / 10 (the same meal means 2-30 hours of basal depending on the
 *   patient); `meal_in` = minutes until the first announced meal / (Δ + L) (1 when none);
 * - residual mode: `controller` = the controller's rate for the coming step in the basal-relative
 *   coordinates, m^-1(u_controller / basal) in [-1, 1];
 * - with `observeTherapy`: `therapy_cf` = ln(CF x basal x 60 / 100) + 2 and `therapy_cr` =
 *   ln(CR x basal x 60 / 10) (CF in mg/dL per U, CR in g/U, basal x 60 in U/h; the clinic's), both
 *   about -1..1 over the 30 patients; constant within an episode.
 * Reset pads the windows with the first reading and the basal rate (the default initial state is
 * the basal steady state).
 *
 * `info` (reset and step): bg (true Gs/Vg at the step end, mg/dL), cgm (mg/dL), insulin (U delivered
 * in the step; 0 at reset), cho (g eaten in the step, missed and rescue meals included), patient
 * (id), cost (1 if bg < 70, for constrained RL), risk (of the CGM), minute (minutes since the start,
 * the decision time), and for the clinical baselines (agents/baselines/glucose): mealGrams (carbs
 * ANNOUNCED for the coming step [minute, minute + Δ): a patient announces the meal it is about to
 * eat, independent of `mealAnnouncement`, which only controls what the AGENT observes),
 * sampleTimeMin, patientBasalUPerMin, CR, CF (the clinic's), actionKind, actionMaxUnitsPerHour (the
 * largest rate the action can command), actionLevelsUnitsPerHour (discrete only),
 * authorityBasalMultiple (A, basal-relative and residual), controllerUnitsPerHour (residual: the
 * controller's rate for the coming step, U/h), controllerToldOfMeals (the option, resolved). For
 * analysis only (no baseline reads them): trueBasalUPerMin, trueCR, trueCF (with
 * `therapy.settingsErrorSd` > 0) and rescueGrams (with `therapy.rescueCarbs`: rescue carbohydrate
 * taken at this decision time, g).
 */
import { z } from 'zod';
import { BaseEnv, type EnvMetadata, type Info, type ResetResult, type StepResult } from '../../src/core/env.ts';
import { UserError } from '../../src/core/errors.ts';
import type { Policy } from '../../src/core/policy.ts';
import type { Rng } from '../../src/core/rng.ts';
import { Box, Discrete } from '../../src/core/spaces.ts';
import { sharedSlab } from '../../src/core/slab.ts';
import { parseWithSchema, show } from '../../src/core/validate.ts';
import { risk } from '../../src/metrics/glucose.ts';
import { basalBolusOptionsSchema, glucoseBaseline, pidBolusOptionsSchema, pidOptionsSchema, readsMealAnnouncements, type GlucoseBaselineSpec, type TherapyParams } from '../../agents/baselines/glucose/index.ts';
import { basalRelativeRate, residualRateUPerHour } from './action-modes.ts';
import { IOB_DURATION_MIN, InsulinOnBoard } from './insulin-on-board.ts';
import { clampObservation, encodeT1DObservation, type T1DObservationLayout } from './observation.ts';
import { COHORTS, PATIENT_NAMES, getPatient, type PatientParams } from './patient.ts';
import { PUMP_NAMES, Pump, type PumpName } from './pump.ts';
import { CgmSensor, SENSOR_NAMES, getSensorParams, type SensorName } from './sensor.ts';
import { randomDailyMeals, type Meal } from './scenario.ts';
import { PatientSimulator } from './simulator.ts';
import { MIN_STEP_REWARD, REWARDS, REWARD_NAMES, type RewardFunction } from './reward.ts';
import { RescueCarbs, THERAPY_DEFAULTS, drawTherapy, resolveTherapy, therapyInput, therapySchema, type ProtocolMeal, type RescueCarbsOptions, type TherapyOptions } from './therapy.ts';

export const T1D_ENV_ID = 'T1D-v0';

/** IOB curve duration [min] (linear decay; insulin-on-board.ts). */
export { IOB_DURATION_MIN };

/** What the policy's action controls (see the header). */
export const T1D_ACTION_MODES = ['continuous', 'discrete', 'basal-relative', 'residual'] as const;
export type T1DActionMode = (typeof T1D_ACTION_MODES)[number];

/** Clinical controllers the residual mode can add its correction to. */
export const RESIDUAL_CONTROLLERS = ['basal-bolus', 'pid', 'pid-bolus'] as const;
export type ResidualControllerSpec = Extract<GlucoseBaselineSpec, { type: (typeof RESIDUAL_CONTROLLERS)[number] }>;

/** The `therapy` option as given (every field optional; `rescueCarbs: true` = the rule of 15). */
export interface TherapyInput {
  carbEstimateSd?: number;
  missedBolusFraction?: number;
  mealTimeJitterMin?: number;
  settingsErrorSd?: number;
  rescueCarbs?: boolean | null | Partial<RescueCarbsOptions>;
}

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
  therapy: { ...THERAPY_DEFAULTS } as TherapyInput,
  window: 12,
  observeTherapy: false,
  action: 'continuous' as T1DActionMode,
  maxBasalMultiple: 5,
  actionMaxUnitsPerHour: null as number | 'pump' | null,
  discreteLevels: [0, 0.5, 1, 1.5, 2, 3, 5] as number[],
  authorityBasalMultiple: 300 as number | 'pump',
  residualController: 'basal-bolus' as (typeof RESIDUAL_CONTROLLERS)[number] | ResidualControllerSpec,
  controllerToldOfMeals: 'auto' as boolean | 'auto',
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

const residualControllerSchema = z.preprocess(
  (v) => (typeof v === 'string' ? { type: v } : v),
  z.discriminatedUnion(
    'type',
    [
      basalBolusOptionsSchema.extend({ type: z.literal('basal-bolus') }),
      pidOptionsSchema.extend({ type: z.literal('pid') }),
      pidBolusOptionsSchema.extend({ type: z.literal('pid-bolus') }),
    ],
    { error: `expected ${RESIDUAL_CONTROLLERS.join(' or ')}, or { type, ...parameters }` },
  ),
);

const AUTHORITY_ERROR = "expected a basal multiple > 1 or 'pump'";

const optionsSchema = z
  .object({
    patient: z.union([
      z.string().refine((s) => PATIENT_NAMES.includes(s) || (COHORT_NAMES as string[]).includes(s), {
        message: `unknown patient or cohort; allowed: adolescent#001..#010, adult#001..#010, child#001..#010, ${COHORT_NAMES.join(', ')}, or a list of ids`,
      }),
      z.array(patientId).min(1).refine((ids) => new Set(ids).size === ids.length, { message: 'each patient at most once: a repeated patient would run the same episodes twice' }),
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
    therapy: therapySchema,
    window: z.number().int().min(1).max(480),
    observeTherapy: z.boolean(),
    action: z.enum(T1D_ACTION_MODES, { error: `expected one of ${T1D_ACTION_MODES.join(', ')}` }),
    maxBasalMultiple: z.number().positive().finite(),
    actionMaxUnitsPerHour: z.union([z.number().positive().finite(), z.literal('pump')]).nullable(),
    discreteLevels: z.array(z.number().min(0).finite()).min(2),
    authorityBasalMultiple: z.union([z.number().gt(1, { error: AUTHORITY_ERROR }).finite({ error: AUTHORITY_ERROR }), z.literal('pump')], { error: AUTHORITY_ERROR }),
    residualController: residualControllerSchema,
    controllerToldOfMeals: z.union([z.boolean(), z.literal('auto')], { error: "expected true, false or 'auto'" }),
    reward: z.enum(REWARD_NAMES as unknown as [string, ...string[]]),
    terminationPenalty: z.union([z.number().min(0).finite(), z.literal('auto')]),
    terminateBelowMgDl: z.number().min(0),
    terminateAboveMgDl: z.number().positive(),
    randomInitialBg: z.boolean(),
  })
  .strict();

/** The resolved options (`env.options`): `therapy` and `residualController` in their full form. */
export type T1DOptions = Omit<typeof T1D_DEFAULTS, 'therapy' | 'residualController'> & { therapy: TherapyOptions; residualController: ResidualControllerSpec };

/** The patient ids an option value stands for. */
export function resolvePatients(patient: string | readonly string[]): string[] {
  if (typeof patient !== 'string') return [...patient];
  if ((COHORT_NAMES as string[]).includes(patient)) return [...COHORTS[patient as keyof typeof COHORTS]];
  return [patient];
}

/** The patient at the start of a simulated minute (dosegym simulate's per-minute rows). */
export interface T1DPatientNow {
  /** Minutes since the episode started. */
  minute: number;
  /** True glucose Gs/Vg and plasma glucose Gp/Vg [mg/dL]. */
  bgMgDl: number;
  plasmaBgMgDl: number;
  /** The sensor's latest reading (held between samples) [mg/dL]. */
  cgmMgDl: number;
  /** The 13 model states (a copy). */
  state: Float64Array;
}

/** One simulated minute: the patient at its start and its inputs over it. */
export interface T1DMinute extends T1DPatientNow {
  /** Insulin delivered over the minute [U/min] (after the pump) and carbohydrate eaten [g]. */
  insulinUPerMin: number;
  choG: number;
}

export class T1DEnv extends BaseEnv<Float32Array, Float32Array | number> {
  /**
   * When set, called for every simulated minute (dosegym simulate drives the env minute-logged
   * with a saved policy, envs/glucose/simulate.ts); costs nothing when unset.
   */
  onMinute: ((minute: T1DMinute) => void) | undefined = undefined;

  readonly observationSpace: Box;
  readonly actionSpace: Box | Discrete;
  readonly metadata: EnvMetadata;
  readonly options: Readonly<T1DOptions>;
  readonly patientPool: readonly PatientParams[];

  private readonly mode: T1DActionMode;
  /** basal-relative or residual: insulin in the observation in basal-relative coordinates. */
  private readonly relative: boolean;
  private readonly sampleTimeMin: number;
  private readonly maxSteps: number;
  private readonly penalty: number;
  private readonly rewardFn: RewardFunction;
  private readonly pump: Pump;
  private readonly pumpMaxUPerHour: number;
  private readonly actionMaxUPerHour: number;
  private readonly levels: readonly number[];
  private readonly iob: InsulinOnBoard;
  private readonly sensorMinMgDl: number;
  private readonly sensorMaxMgDl: number;
  /** The clinical controller of the residual mode (a baseline policy of agents/baselines/glucose). */
  private readonly controller: Policy<unknown, Float32Array | number> | undefined;
  private readonly rescue: RescueCarbs | undefined;

  // episode state
  private patient!: PatientParams;
  /** The settings the clinic programmed for this episode (the patient's own unless mis-set). */
  private clinic!: TherapyParams;
  /** Authority A of the patient-relative modes for this episode (basal multiple). */
  private authority = 1;
  private sim!: PatientSimulator;
  private readonly sims = new Map<string, PatientSimulator>();
  private sensor!: CgmSensor;
  private meals: Meal[] = [];
  private mealCursor = 0;
  private protocolMeals: ProtocolMeal[] = [];
  /** What announced-meal consumers see: { minute: announced minute, grams: estimate }, by minute. */
  private announcements: Meal[] = [];
  private announcementCursor = 0;
  private rescueGrams = 0;
  private controllerUPerHour = 0;
  private minute = 0;
  private steps = 0;
  private cgm = 0;
  private readonly cgmHist: Float64Array;
  private readonly insHist: Float64Array; // U/min per step
  /** Observation bounds rounded to float32, for the final clamp. */
  private readonly obsLowF32: Float32Array;
  private readonly obsHighF32: Float32Array;
  /** What the observation holds (observation.ts encodes it; the policy probe reads it). */
  readonly observationLayout: Readonly<T1DObservationLayout>;
  private levelsUPerHour: number[] = [];
  /** Whether what acts on this env is told of announced meals (`controllerToldOfMeals`, resolved). */
  readonly controllerToldOfMeals: boolean;

  constructor(options: Partial<typeof T1D_DEFAULTS> = {}) {
    super();
    const raw = { ...T1D_DEFAULTS, ...options };
    const rc = raw.residualController as unknown;
    const rcType = typeof rc === 'string' ? rc : rc !== null && typeof rc === 'object' ? (rc as { type?: unknown }).type : undefined;
    if (rcType !== undefined && !(RESIDUAL_CONTROLLERS as readonly unknown[]).includes(rcType)) {
      throw new UserError(`${T1D_ENV_ID}: residualController: unknown controller ${show(rcType)}; allowed: ${RESIDUAL_CONTROLLERS.join(', ')}`);
    }
    const parsed = parseWithSchema(optionsSchema, { ...raw, therapy: therapyInput(raw.therapy) }, `${T1D_ENV_ID}: `);
    const o = { ...parsed, therapy: resolveTherapy(parsed.therapy) } as T1DOptions;
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
    this.mode = o.action;
    this.relative = o.action === 'basal-relative' || o.action === 'residual';
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
    this.pumpMaxUPerHour = pumpMaxUPerHour;
    const poolMaxBasalUPerHour = Math.max(...this.patientPool.map((p) => p.basalUPerMin * 60));
    // The relative modes' range is set by authorityBasalMultiple; actionMaxUnitsPerHour is for the
    // continuous mode (ignored otherwise, as for the discrete mode's levels).
    this.actionMaxUPerHour = this.relative
      ? pumpMaxUPerHour
      : o.actionMaxUnitsPerHour === 'pump'
        ? pumpMaxUPerHour
        : o.actionMaxUnitsPerHour ?? Math.min(pumpMaxUPerHour, o.maxBasalMultiple * poolMaxBasalUPerHour);
    this.levels = Object.freeze([...o.discreteLevels]);
    this.actionSpace = o.action === 'continuous' ? new Box(0, this.actionMaxUPerHour, [1]) : o.action === 'discrete' ? new Discrete(this.levels.length) : new Box(-1, 1, [1]);
    this.controller = o.action === 'residual' ? glucoseBaseline(o.residualController) : undefined;
    this.controllerToldOfMeals = o.controllerToldOfMeals === 'auto' ? (o.mealAnnouncement !== null || (o.action === 'residual' && readsMealAnnouncements(o.residualController.type))) : o.controllerToldOfMeals;
    this.rescue = o.therapy.rescueCarbs !== false ? new RescueCarbs(o.therapy.rescueCarbs) : undefined;

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
    for (let i = 0; i < k; i++) add(`insulin[t-${k - 1 - i}]`, this.relative ? -1 : 0, this.relative ? 1 : insHigh);
    add('iob', 0, iobHigh);
    add('tod_sin', -1, 1);
    add('tod_cos', -1, 1);
    if (o.mealAnnouncement !== null) {
      add(this.relative ? 'meal_bolus' : 'meal_g', 0, Infinity);
      add('meal_in', 0, 1);
    }
    if (o.action === 'residual') add('controller', -1, 1);
    if (o.observeTherapy) {
      // Bounds far outside any clinic's settings (the 30 patients span about -1..1; a x10 error is +-2.3).
      add('therapy_cf', -10, 10);
      add('therapy_cr', -10, 10);
    }
    this.observationSpace = new Box(low, high);
    this.observationLayout = Object.freeze({ window: k, relative: this.relative, maxBasalMultiple: o.maxBasalMultiple, mealAnnouncementMin: o.mealAnnouncement, residual: o.action === 'residual', therapy: o.observeTherapy, sampleTimeMin: this.sampleTimeMin });
    this.obsLowF32 = Float32Array.from(low);
    this.obsHighF32 = Float32Array.from(high);
    const authority = o.authorityBasalMultiple === 'pump' ? "the pump's limit" : `${o.authorityBasalMultiple}`;
    const actionUnits: Record<T1DActionMode, string> = {
      continuous: 'U/h (insulin rate)',
      discrete: `index into levels ${this.levels.join(', ')} x patient basal rate`,
      'basal-relative': `basal-relative output in [-1, 1]: 0 U/h at -1, basal at 0, ${authority} x basal at 1`,
      residual: `correction in [-1, 1] to ${o.residualController.type}: rate = controller x (1 + a) for a <= 0, controller + basal x (A^a - 1) for a > 0, A = ${authority}`,
    };
    this.metadata = {
      id: T1D_ENV_ID,
      stepDuration: { value: this.sampleTimeMin, unit: 'minute' },
      actionUnits: actionUnits[o.action],
      observationLabels: labels,
      maxEpisodeSteps: this.maxSteps,
      constraints: ['hypo70'],
    };
  }

  /** The patient now (valid after reset). */
  patientNow(): T1DPatientNow {
    const sim = this.sim;
    return { minute: this.minute, bgMgDl: sim.bgMgDl, plasmaBgMgDl: sim.plasmaBgMgDl, cgmMgDl: this.cgm, state: Float64Array.from(sim.state) };
  }

  /** The current patient (valid after reset). */
  get currentPatient(): PatientParams {
    return this.patient;
  }

  /** The current episode's meals as eaten (valid after reset). */
  get scenarioMeals(): readonly Meal[] {
    return this.meals;
  }

  /** The current episode's meals as the therapy protocol plays them: estimate, announcement minute, missed (valid after reset). */
  get therapyMeals(): readonly ProtocolMeal[] {
    return this.protocolMeals;
  }

  /** The settings the clinic programmed for the current episode (valid after reset). */
  get clinicSettings(): Readonly<TherapyParams> {
    return this.clinic;
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
    const p = this.patient;
    const therapy = drawTherapy(rng.child('therapy'), this.meals, { basalUPerMin: p.basalUPerMin, CR: p.CR, CF: p.CF }, o.therapy);
    this.protocolMeals = therapy.meals;
    this.announcements = therapy.announcements;
    this.announcementCursor = 0;
    this.clinic = therapy.clinic;
    const basal = this.clinic.basalUPerMin;
    this.authority = o.authorityBasalMultiple === 'pump' ? this.pump.maxBasalUPerMin / basal : o.authorityBasalMultiple;
    this.minute = 0;
    this.steps = 0;
    this.levelsUPerHour = this.levels.map((m) => m * basal * 60);

    this.cgm = this.sensor.read(sim.bgMgDl, 0);
    this.rescue?.reset();
    this.takeRescue();
    this.cgmHist.fill(this.cgm);
    this.insHist.fill(basal);
    this.iob.fill(basal * this.sampleTimeMin);
    const info = this.info(0, 0);
    if (this.controller !== undefined) this.consultController(info, true);
    return { observation: this.observe(), info };
  }

  protected stepModel(action: Float32Array | number): StepResult<Float32Array> {
    let delivered: number; // U/min after the pump's rounding and clipping
    switch (this.mode) {
      case 'continuous':
        delivered = this.pump.basal(((action as Float32Array)[0] as number) / 60);
        break;
      case 'discrete':
        delivered = this.pump.basal((this.levelsUPerHour[action as number] as number) / 60);
        break;
      case 'basal-relative':
        delivered = this.pump.basal(basalRelativeRate((action as Float32Array)[0] as number, this.clinic.basalUPerMin, this.authority));
        break;
      case 'residual':
        delivered = this.pump.basal(residualRateUPerHour((action as Float32Array)[0] as number, this.controllerUPerHour, this.clinic.basalUPerMin * 60, this.authority) / 60);
        break;
    }
    const sim = this.sim;
    const meals = this.meals;
    let cho = 0;
    for (let k = 0; k < this.sampleTimeMin; k++) {
      while (this.mealCursor < meals.length && (meals[this.mealCursor] as Meal).minute <= this.minute) {
        const meal = meals[this.mealCursor++] as Meal;
        // A fixed meal at a minute already passed cannot happen (cursor order); equal minutes merge.
        sim.announceMeal(meal.grams);
      }
      const start = this.onMinute !== undefined ? this.patientNow() : undefined;
      const choG = sim.stepMinute(delivered);
      cho += choG;
      if (start !== undefined) this.onMinute?.({ ...start, insulinUPerMin: delivered, choG });
      this.minute++;
    }
    const ann = this.announcements;
    while (this.announcementCursor < ann.length && (ann[this.announcementCursor] as Meal).minute < this.minute) this.announcementCursor++;
    this.steps++;
    const bg = sim.bgMgDl;
    const previous = this.cgm;
    this.cgm = this.sensor.read(bg, this.minute);
    this.takeRescue();
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
    const info = this.info(delivered * this.sampleTimeMin, cho);
    if (this.controller !== undefined) this.consultController(info, false);
    return { observation: this.observe(), reward, terminated, truncated, info };
  }

  /** The rescue rule on the reading just taken: the patient eats its carbohydrate from this minute on. */
  private takeRescue(): void {
    if (this.rescue === undefined) return;
    this.rescueGrams = this.rescue.reading(this.minute, this.cgm);
    if (this.rescueGrams > 0) this.sim.announceMeal(this.rescueGrams);
  }

  /**
   * Residual mode: the controller's rate [U/h] for the coming step, from the baseline policy acting
   * exactly as it would alone on this env with `action: 'continuous', actionMaxUnitsPerHour: 'pump'`
   * (same info fields, reset at the episode start, one act per step).
   */
  private consultController(info: Info, atReset: boolean): void {
    const controller = this.controller as Policy<unknown, Float32Array | number>;
    const view: Info = { ...info, actionKind: 'continuous', actionMaxUnitsPerHour: this.pumpMaxUPerHour };
    if (atReset) controller.reset?.(view);
    const action = controller.act(undefined, { deterministic: true, info: view });
    this.controllerUPerHour = typeof action === 'number' ? NaN : (action[0] as number);
    info.controllerUnitsPerHour = this.controllerUPerHour;
  }

  /** Carbs [g] of the announcements in [from, to) minutes, and the first such minute (or -1). */
  private announcedBetween(from: number, to: number): { grams: number; first: number } {
    let grams = 0;
    let first = -1;
    const ann = this.announcements;
    for (let i = this.announcementCursor; i < ann.length; i++) {
      const m = ann[i] as Meal;
      if (m.minute >= to) break;
      if (m.minute >= from) {
        grams += m.grams;
        if (first < 0) first = m.minute;
      }
    }
    return { grams, first };
  }

  private observe(): Float32Array {
    const obs = sharedSlab.float32(this.observationSpace.size);
    const horizon = this.sampleTimeMin + (this.options.mealAnnouncement ?? 0);
    const meal = this.options.mealAnnouncement === null ? { grams: 0, first: -1 } : this.announcedBetween(this.minute, this.minute + horizon);
    const basal = this.clinic.basalUPerMin;
    encodeT1DObservation(obs, this.observationLayout, {
      cgmMgDl: this.cgmHist,
      insulinUPerMin: this.insHist,
      iobRatio: this.iob.units / this.iob.steadyStateUnits(basal * this.sampleTimeMin),
      minute: this.minute,
      basalUPerMin: basal,
      CR: this.clinic.CR,
      CF: this.clinic.CF,
      authority: this.authority,
      announcedGrams: meal.grams,
      minutesToMeal: meal.first < 0 ? null : meal.first - this.minute,
      controllerUPerHour: this.controllerUPerHour,
    });
    clampObservation(obs, this.obsLowF32, this.obsHighF32);
    return obs;
  }

  private info(insulinU: number, choG: number): Info {
    const p = this.patient;
    const c = this.clinic;
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
      mealGrams: this.announcedBetween(this.minute, this.minute + this.sampleTimeMin).grams,
      controllerToldOfMeals: this.controllerToldOfMeals,
      sampleTimeMin: this.sampleTimeMin,
      patientBasalUPerMin: c.basalUPerMin,
      CR: c.CR,
      CF: c.CF,
      actionKind: this.options.action,
      actionMaxUnitsPerHour: this.mode === 'basal-relative' && this.options.authorityBasalMultiple !== 'pump' ? Math.min(this.pumpMaxUPerHour, this.authority * c.basalUPerMin * 60) : this.actionMaxUPerHour,
    };
    if (this.mode === 'discrete') info.actionLevelsUnitsPerHour = this.levelsUPerHour;
    if (this.relative) info.authorityBasalMultiple = this.authority;
    if (this.options.therapy.settingsErrorSd > 0) {
      info.trueBasalUPerMin = p.basalUPerMin;
      info.trueCR = p.CR;
      info.trueCF = p.CF;
    }
    if (this.rescue !== undefined) info.rescueGrams = this.rescueGrams;
    return info;
  }
}
