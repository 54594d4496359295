/**
 * `Chemo-DePillis-v0`: chemotherapy dosing on the de Pillis & Radunskaya (2003) tumour-immune model
 * (see depillis-model.ts for the equations and parameter table), in the RL setting of Ahn & Park
 * (2011), Padmanabhan et al. (Math. Biosci. 293 (2017) 11-20) and DTR-Bench's `AhnChemoEnv`
 * (Luo et al. 2024, arXiv:2405.18610).
 *
 * Each step holds the dose u in [0, 1] constant for `stepDays` (default 0.25 day); an episode lasts
 * `horizonDays` (default 150 days = 600 steps) and is then truncated.
 *
 * Options (all validated; one-line errors name the option):
 * - stepDays (0.25), horizonDays (150; a whole number of steps), subSteps (10 RK4 sub-steps per step).
 * - levels: null = continuous Box(0, 1, [1]) dose; n >= 2 = Discrete(n), action i = dose i/(n-1).
 * - observeN: false = observation [T, I, B] (N hidden, as in DTR-Bench); true = [N, T, I, B].
 * - variability: width w of patient variability; each of the 16 model parameters is drawn once per
 *   episode uniformly in value * [1 - w/2, 1 + w/2] (seeded by the episode seed).
 * - initialVariability: the same for the initial N0, T0, I0 (B0 stays 0).
 * - obsNoise: multiplicative observation noise of width w: each observed value is multiplied by a
 *   factor uniform in [1 - w/2, 1 + w/2] (DTR-Bench's form), then clipped to the observation space.
 * - missingProb: probability that a step's whole observation is missing; the agent then sees the
 *   last delivered observation again (last value carried forward). The first observation is never missing.
 * - tumorScale: 'linear' (default, DTR-Bench's observation: T itself) or 'log': the observed T (after
 *   the noise and clipping above) is shown as (log10(max(T, 1e-12)) + 12) / 12, 0 at T <= 1e-12 and
 *   1 at T = 1. Why: eradication (T < 1e-3, the `tumor_cleared` column) is decided orders of
 *   magnitude below the initial burden, where a linear T reads as 0 whether 1e-2 or 1e-9 of it is
 *   left; clinicians follow tumour burden on a log scale ("log kill", Skipper et al. 1964). The
 *   multiplicative noise becomes an additive +-0.02 at most on this scale (obsNoise 0.5).
 * - observeDay: false (default, DTR-Bench's observation) or true: a last element `day`, the days
 *   since the start of treatment over the horizon (day / horizonDays, 0 at reset, 1 at the last
 *   step). Exact: the treatment calendar is known, so it carries no noise and is current even when
 *   a step's measurements are missing. Why: the episode ends at a fixed horizon, so the best dose
 *   depends on how much of it is left, which a policy that sees only the state cannot know (Pardo
 *   et al., "Time Limits in Reinforcement Learning", ICML 2018); and a schedule such as "a low dose
 *   for the first days, then full dose" depends on the day, not on the state. On DTR-Bench setting
 *   2, "dose 0.3 for 6 days, then full dose while T > 0.1" stays within the `drugToxicity` budget
 *   for 97 of 100 patients and clears 60 tumours against MTD's 61, while every rule on the observed
 *   state alone that was tried (BENCHMARKS.md) clears at most 46 within that budget.
 * - dayScale (with observeDay): 'linear' (default, day / horizonDays) or 'log': log1p(day) /
 *   log1p(horizonDays), 0 at the start and 1 at the horizon. Why: on the linear scale the first week
 *   of a 150-day course is the first 0.05 of the range, so a network has to grow steep weights
 *   before its dose can depend on it; on the log scale day 1 reads 0.14, day 6 0.39, day 30 0.69.
 * - setting: null or 1..5, DTR-Bench's five settings (below); explicit options override a preset.
 * - reward: 'clinical' (default, below) or 'dtrbench'.
 * - terminateBelow (0.7): terminated when N < terminateBelow * N0 (0 disables); costBelow (0.75):
 *   info.cost = 1 when N < costBelow, the normal-cell constraint of the optimal-control literature.
 *
 * DTR-Bench settings (DTRGym `create_AhnChemoEnv_*_setting{1..5}`; increasing difficulty):
 *   1  deterministic, fully observed tumour state: no variability, no noise, no missing data
 *   2  + patient (PK/PD parameter) variability, width 0.1
 *   3  + observation noise 0.2 and initial-state variability 0.1
 *   4  + stronger observation noise 0.5 and initial-state variability 0.2
 *   5  as 4 + missing observations with probability 0.5
 * N stays hidden in every setting, as in DTR-Bench. DTR-Bench's `state_noise` also multiplies the
 * ODE right-hand side by fresh noise at every solver evaluation, which is not a well-defined stochastic
 * process (it depends on the solver's internal steps); DoseGym keeps its initial-state part only.
 * (DTR-Bench's discrete setting 5 uses missing rate 0.75, its continuous one 0.5; DoseGym uses 0.5.)
 *
 * Rewards:
 * - 'dtrbench' (DTR-Bench's convention): r = N/N0 - T/T0 - u on the state BEFORE the step (N0, T0 =
 *   the episode's initial state); r = -100 on the step that ends in toxicity termination. For the nominal
 *   patient its per-step range is about [-6, 1.1] (N <= 1/b2, T <= 1/b1 = 5 T0, u <= 1), plus the
 *   -100, not the (0, 4) that DTR-Bench declares.
 * - 'clinical' (DoseGym default), on the state AFTER the step:
 *     r = (1 - min(T/T0, 2)/2) - 0.25 u - 0.5 min(1, max(0, (costBelow - N)/0.1))
 *   tumour score in [0, 1] (1 = eradicated, 0.5 = initial burden, 0 = doubled or worse), minus a drug-use
 *   penalty in [0, 0.25], minus a toxicity penalty ramping from 0 at N = costBelow to 0.5 at N <= costBelow - 0.1.
 *   Per-step range [-0.75, 1]. On toxicity termination r = -0.75 * (steps left in the horizon,
 *   including this one): dying is never better than surviving with the worst per-step reward.
 *
 * info (reset and every step): cost, N, T, I, B (true post-step states), dose (this step's u; 0 at
 * reset), cumulativeDose (sum of u * stepDays, dose-days), day, step, observationMissing, and
 * untreatedN: the normal cells of the same patient left UNTREATED (same parameters and initial
 * state, u = 0 from day 0, integrated alongside with the same RK4 steps; a counterfactual course,
 * never terminated), so that what the drug did to N can be told from what the tumour did (the
 * `drugToxicity` constraint, envs/chemo/family.ts). Under no treatment untreatedN equals N bit for
 * bit. The reset info also carries the episode's `params` and `initialState`.
 */
import { z } from 'zod';
import { parseWithSchema } from '../../src/core/validate.ts';
import { UserError } from '../../src/core/errors.ts';
import { BaseEnv, type Action, type Info, type EnvMetadata, type ResetResult, type StepResult } from '../../src/core/env.ts';
import type { Rng } from '../../src/core/rng.ts';
import { Box, type Discrete } from '../../src/core/spaces.ts';
import { actionToDose, doseActionSpace } from './dose-action.ts';
import {
  DEPILLIS_INITIAL_STATE,
  DEPILLIS_PARAMS,
  DePillisIntegrator,
  PARAM_NAMES,
  type DePillisParams,
} from './depillis-model.ts';

export const DEPILLIS_ENV_ID = 'Chemo-DePillis-v0';

/** The noise / variability knobs a DTR-Bench setting fixes. */
export interface DtrBenchPreset {
  variability: number;
  initialVariability: number;
  obsNoise: number;
  missingProb: number;
}

export const DTRBENCH_SETTINGS: Readonly<Record<1 | 2 | 3 | 4 | 5, Readonly<DtrBenchPreset>>> = Object.freeze({
  1: { variability: 0, initialVariability: 0, obsNoise: 0, missingProb: 0 },
  2: { variability: 0.1, initialVariability: 0, obsNoise: 0, missingProb: 0 },
  3: { variability: 0.1, initialVariability: 0.1, obsNoise: 0.2, missingProb: 0 },
  4: { variability: 0.1, initialVariability: 0.2, obsNoise: 0.5, missingProb: 0 },
  5: { variability: 0.1, initialVariability: 0.2, obsNoise: 0.5, missingProb: 0.5 },
});

/** Defaults of every option (null = taken from `setting`, or 0 without one). */
export const DEPILLIS_DEFAULTS = {
  stepDays: 0.25,
  horizonDays: 150,
  subSteps: 10,
  levels: null as number | null,
  observeN: false,
  variability: null as number | null,
  initialVariability: null as number | null,
  obsNoise: null as number | null,
  missingProb: null as number | null,
  setting: null as number | null,
  reward: 'clinical' as 'clinical' | 'dtrbench',
  terminateBelow: 0.7,
  costBelow: 0.75,
  tumorScale: 'linear' as 'linear' | 'log',
  observeDay: false,
  dayScale: 'linear' as 'linear' | 'log',
};

/** Smallest tumour the log scale tells apart from 0 (tumorScale 'log'). */
const LOG_TUMOR_FLOOR = 1e-12;

/** The observed tumour value for a (noisy, clipped) T: T itself, or its log-scale reading. */
export function observedTumor(T: number, scale: 'linear' | 'log'): number {
  return scale === 'linear' ? T : (Math.log10(Math.max(T, LOG_TUMOR_FLOOR)) + 12) / 12;
}

/** The T an observed tumour value shows (the inverse of `observedTumor`; 1e-12 for any log reading of 0). */
export function tumorFromObservation(value: number, scale: 'linear' | 'log'): number {
  return scale === 'linear' ? value : 10 ** (12 * value - 12);
}

/** The observed day element (observeDay): days of treatment over the horizon ('linear') or log1p(day) over log1p(horizon) ('log'), clipped to [0, 1]. */
export function observedDay(day: number, horizonDays: number, scale: 'linear' | 'log' = 'linear'): number {
  const x = scale === 'linear' ? day / horizonDays : Math.log1p(Math.max(0, day)) / Math.log1p(horizonDays);
  return Math.min(1, Math.max(0, x));
}

/** The day an observed day element shows (the inverse of `observedDay` within the horizon). */
export function dayFromObservation(value: number, horizonDays: number, scale: 'linear' | 'log' = 'linear'): number {
  return scale === 'linear' ? value * horizonDays : Math.expm1(value * Math.log1p(horizonDays));
}

const width = (name: string) =>
  z.number({ error: `expected a width in [0, 1] or null` }).min(0, { error: `${name} must be in [0, 1]` }).max(1, { error: `${name} must be in [0, 1]` }).nullable();

const optionsSchema = z
  .object({
    stepDays: z.number({ error: 'expected a number of days in (0, 30]' }).positive({ error: 'expected a number of days in (0, 30]' }).max(30, { error: 'expected a number of days in (0, 30]' }),
    horizonDays: z.number({ error: 'expected a positive number of days' }).positive({ error: 'expected a positive number of days' }).max(36500, { error: 'expected at most 36500 days' }),
    subSteps: z.int({ error: 'expected an integer in [1, 1000]' }).min(1, { error: 'expected an integer in [1, 1000]' }).max(1000, { error: 'expected an integer in [1, 1000]' }),
    levels: z.int({ error: 'expected null (continuous dose) or an integer number of dose levels >= 2' }).min(2, { error: 'expected null (continuous dose) or an integer number of dose levels >= 2' }).max(1001, { error: 'expected at most 1001 dose levels' }).nullable(),
    observeN: z.boolean({ error: 'expected true or false' }),
    variability: width('variability'),
    initialVariability: width('initialVariability'),
    obsNoise: width('obsNoise'),
    missingProb: z.number({ error: 'expected a probability in [0, 1) or null' }).min(0, { error: 'expected a probability in [0, 1)' }).lt(1, { error: 'expected a probability in [0, 1)' }).nullable(),
    setting: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal(5)], { error: 'expected null or a DTR-Bench setting 1, 2, 3, 4 or 5' }).nullable(),
    reward: z.enum(['clinical', 'dtrbench'], { error: "expected 'clinical' or 'dtrbench'" }),
    terminateBelow: z.number({ error: 'expected a fraction of N0 in [0, 1)' }).min(0, { error: 'expected a fraction of N0 in [0, 1)' }).lt(1, { error: 'expected a fraction of N0 in [0, 1)' }),
    costBelow: z.number({ error: 'expected a normal-cell level in [0, 1]' }).min(0, { error: 'expected a normal-cell level in [0, 1]' }).max(1, { error: 'expected a normal-cell level in [0, 1]' }),
    tumorScale: z.enum(['linear', 'log'], { error: "expected 'linear' (T itself) or 'log' (log10 scale)" }),
    observeDay: z.boolean({ error: 'expected true or false' }),
    dayScale: z.enum(['linear', 'log'], { error: "expected 'linear' (day / horizon) or 'log' (log1p(day) / log1p(horizon))" }),
  })
  .strict();

export type DePillisOptions = z.infer<typeof optionsSchema>;

/** The resolved configuration an env runs with. */
export interface DePillisConfig extends DtrBenchPreset {
  stepDays: number;
  horizonSteps: number;
  subSteps: number;
  levels: number | null;
  observeN: boolean;
  reward: 'clinical' | 'dtrbench';
  terminateBelow: number;
  costBelow: number;
  tumorScale: 'linear' | 'log';
  observeDay: boolean;
  dayScale: 'linear' | 'log';
}

/** Validate options (merged over the defaults) and resolve the preset. Throws UserError naming the option. */
export function resolveDePillisOptions(options: Record<string, unknown>): DePillisConfig {
  const o = parseWithSchema(optionsSchema, { ...DEPILLIS_DEFAULTS, ...options }, `${DEPILLIS_ENV_ID}: `);
  const steps = o.horizonDays / o.stepDays;
  const horizonSteps = Math.round(steps);
  if (horizonSteps < 1 || Math.abs(steps - horizonSteps) > 1e-9 * Math.max(1, steps)) {
    throw new UserError(`${DEPILLIS_ENV_ID}: horizonDays: must be a whole number (>= 1) of steps of ${o.stepDays} day, got ${o.horizonDays}`);
  }
  if (o.dayScale !== 'linear' && !o.observeDay) {
    throw new UserError(`${DEPILLIS_ENV_ID}: dayScale: only with observeDay: true (the day is not observed)`);
  }
  const preset: DtrBenchPreset = o.setting === null ? DTRBENCH_SETTINGS[1] : DTRBENCH_SETTINGS[o.setting];
  return {
    stepDays: o.stepDays,
    horizonSteps,
    subSteps: o.subSteps,
    levels: o.levels,
    observeN: o.observeN,
    reward: o.reward,
    terminateBelow: o.terminateBelow,
    costBelow: o.costBelow,
    tumorScale: o.tumorScale,
    observeDay: o.observeDay,
    dayScale: o.dayScale,
    variability: o.variability ?? preset.variability,
    initialVariability: o.initialVariability ?? preset.initialVariability,
    obsNoise: o.obsNoise ?? preset.obsNoise,
    missingProb: o.missingProb ?? preset.missingProb,
  };
}

/** Upper bounds of the observed [N, T, I, B]; generous, only noisy observations can reach them. */
const OBS_HIGH = [2, 2, 3, 2];
/** Worst per-step clinical reward (tumour score 0, full dose, full toxicity penalty). */
const CLINICAL_MIN_REWARD = -0.75;

export class DePillisEnv extends BaseEnv<Float32Array, Action> {
  readonly observationSpace: Box;
  readonly actionSpace: Box | Discrete;
  readonly metadata: EnvMetadata;
  readonly config: DePillisConfig;

  private readonly params: DePillisParams = { ...DEPILLIS_PARAMS };
  private readonly integrator: DePillisIntegrator;
  /** True state [N, T, I, B]. */
  private readonly y = new Float64Array(4);
  private readonly y0 = new Float64Array(4);
  /** The same patient's untreated course [N, T, I, B] (u = 0 from day 0). */
  private readonly yUntreated = new Float64Array(4);
  private stepIndex = 0;
  private cumulativeDose = 0;
  private lastObservation: Float32Array | undefined;
  private obsRng: Rng | undefined;
  private missingRng: Rng | undefined;

  constructor(options: Record<string, unknown> = {}) {
    super();
    this.config = resolveDePillisOptions(options);
    const c = this.config;
    this.integrator = new DePillisIntegrator(this.params, c.subSteps);
    const high = [...(c.observeN ? OBS_HIGH : OBS_HIGH.slice(1)), ...(c.observeDay ? [1] : [])];
    this.observationSpace = new Box(0, high, [high.length], 'float32');
    this.actionSpace = doseActionSpace(c.levels);
    this.metadata = {
      id: DEPILLIS_ENV_ID,
      stepDuration: { value: c.stepDays, unit: 'day' },
      actionUnits: 'dose fraction [0, 1] of the maximum infusion rate, held over the step',
      observationLabels: [...(c.observeN ? ['N', 'T', 'I', 'B'] : ['T', 'I', 'B']), ...(c.observeDay ? ['day'] : [])],
      maxEpisodeSteps: c.horizonSteps,
      constraints: [`N<${c.costBelow}`],
    };
  }

  protected resetModel(rng: Rng): ResetResult<Float32Array> {
    const c = this.config;
    // Separate named streams, so e.g. turning observation noise on does not change the patient drawn.
    const patientRng = rng.child('patient');
    for (const name of PARAM_NAMES) {
      this.params[name] = c.variability > 0 ? DEPILLIS_PARAMS[name] * patientRng.uniformRange(1 - c.variability / 2, 1 + c.variability / 2) : DEPILLIS_PARAMS[name];
    }
    const initRng = rng.child('initial');
    for (let i = 0; i < 4; i++) {
      const nominal = DEPILLIS_INITIAL_STATE[i] as number;
      this.y0[i] = c.initialVariability > 0 ? nominal * initRng.uniformRange(1 - c.initialVariability / 2, 1 + c.initialVariability / 2) : nominal;
    }
    this.y.set(this.y0);
    this.yUntreated.set(this.y0);
    this.obsRng = rng.child('observation');
    this.missingRng = rng.child('missing');
    this.stepIndex = 0;
    this.cumulativeDose = 0;
    this.lastObservation = undefined;
    const observation = this.observe(false);
    const info = this.info(0, false);
    info['params'] = { ...this.params };
    info['initialState'] = { N: this.y0[0], T: this.y0[1], I: this.y0[2], B: this.y0[3] };
    return { observation, info };
  }

  protected stepModel(action: Action): StepResult<Float32Array> {
    const c = this.config;
    const u = actionToDose(action, this.actionSpace);
    const N0 = this.y0[0] as number;
    const T0 = this.y0[1] as number;
    const preN = this.y[0] as number;
    const preT = this.y[1] as number;

    this.integrator.advance(this.y, u, c.stepDays);
    this.integrator.advance(this.yUntreated, 0, c.stepDays);
    this.stepIndex += 1;
    this.cumulativeDose += u * c.stepDays;

    const N = this.y[0] as number;
    const T = this.y[1] as number;
    const terminated = c.terminateBelow > 0 && N < c.terminateBelow * N0;
    const truncated = !terminated && this.stepIndex >= c.horizonSteps;

    let reward: number;
    if (c.reward === 'dtrbench') {
      reward = terminated ? -100 : preN / N0 - preT / T0 - u;
    } else if (terminated) {
      reward = CLINICAL_MIN_REWARD * (c.horizonSteps - this.stepIndex + 1);
    } else {
      const tumourScore = 1 - Math.min(T / T0, 2) / 2;
      const toxicity = Math.min(1, Math.max(0, (c.costBelow - N) / 0.1));
      reward = tumourScore - 0.25 * u - 0.5 * toxicity;
    }

    const missing = c.missingProb > 0 && (this.missingRng as Rng).uniform() < c.missingProb;
    const observation = this.observe(missing);
    return { observation, reward, terminated, truncated, info: this.info(u, missing) };
  }

  /** Noisy (optionally missing) observation of the current true state, then the exact day when observed. */
  private observe(missing: boolean): Float32Array {
    const c = this.config;
    const state = missing && this.lastObservation !== undefined ? this.lastObservation : this.measure();
    if (!c.observeDay) return Float32Array.from(state);
    const out = new Float32Array(state.length + 1);
    out.set(state);
    out[state.length] = observedDay(this.stepIndex * c.stepDays, c.horizonSteps * c.stepDays, c.dayScale);
    return out;
  }

  /** A fresh measurement of [N,] T, I, B: noise, clipping and the tumour scale; kept for missing steps. */
  private measure(): Float32Array {
    const c = this.config;
    const first = c.observeN ? 0 : 1;
    const out = new Float32Array(4 - first);
    for (let i = first; i < 4; i++) {
      let v = this.y[i] as number;
      if (c.obsNoise > 0) v *= (this.obsRng as Rng).uniformRange(1 - c.obsNoise / 2, 1 + c.obsNoise / 2);
      out[i - first] = Math.min(OBS_HIGH[i] as number, Math.max(0, v));
    }
    if (c.tumorScale === 'log') out[1 - first] = observedTumor(out[1 - first] as number, 'log');
    this.lastObservation = out;
    return out;
  }

  private info(dose: number, missing: boolean): Info {
    const y = this.y;
    return {
      cost: (y[0] as number) < this.config.costBelow ? 1 : 0,
      N: y[0],
      T: y[1],
      I: y[2],
      B: y[3],
      dose,
      cumulativeDose: this.cumulativeDose,
      day: this.stepIndex * this.config.stepDays,
      step: this.stepIndex,
      observationMissing: missing,
      untreatedN: this.yUntreated[0],
    };
  }
}
