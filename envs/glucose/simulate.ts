/**
 * `dosegym simulate <config>` for T1D-v0: one patient, open or closed loop, minute by minute.
 *
 * Config (a stable contract; keep these names):
 *   env: T1D-v0
 *   patient: adult#001                          # one of the 30 ids
 *   minutes: 1440                               # integer > 0
 *   sensor: { model: Dexcom, noise: false }     # Dexcom | GuardianRT | Navigator; noise defaults to true
 *   pump: Insulet                               # Insulet | Cozmo (default Insulet)
 *   meals: [ { minute: 420, grams: 45 } ]       # or scenario: { type: random } (or neither: no meals)
 *   therapy: { carbEstimateSd: 0.2, missedBolusFraction: 0.1 }   # optional: T1D-v0's therapy protocol
 *   controller: { type: basal-bolus }           # basal-bolus | pid | pid-bolus | constant (unitsPerHour) | schedule (steps)
 *                                               # | policy (path: <run>/policies/<seed>[/<patient id>])
 *   seed: 1                                     # default 0; seeds the sensor noise, the random scenario and the therapy draws
 *
 * Loop, for m = 0 .. minutes: bg = Gs/Vg and plasma_bg = Gp/Vg at minute m; cgm = the sensor at m
 * (a new reading when m is a multiple of its sample time, else held). For m < minutes: a meal of
 * the scenario at m is announced to the patient; the controller sees (m, cgm, meal grams at m) and
 * returns basal and bolus rates, each passed through the pump (rounding to 0.05 pmol/min, limits);
 * insulin = basal + bolus [U/min] and cho [g/min, <= 5] are the inputs over [m, m + 1). The last row
 * has empty inputs. The metrics are computed on the per-minute bg (rows 0..minutes).
 *
 * `schedule` replays recorded pump output: its rates go through the pump too. Rates that a pump
 * produced (multiples of 0.05 pmol/min = 1/120000 U/min) are fixed points of the rounding up to
 * float rounding (tested on the simglucose reference runs), so a replay is exact.
 *
 * `therapy` is T1D-v0's protocol, the same code (therapy.ts: `drawTherapy`, `RescueCarbs`) with the
 * same named streams under `new Rng(seed).child('therapy')`: the controller sees the announced
 * ESTIMATE at the announced minute as `mealGrams` (nothing for a missed bolus) and the clinic's
 * settings; the patient eats the true meal at its minute; the rescue rule runs at every new sensor
 * reading. With `therapy` the CSV gains two columns: `announced_g` (carbohydrate announced to the
 * controller at minute m) and `rescue_g` (rescue carbohydrate taken at m), and the metrics the
 * protocol's counts.
 *
 * `controller: { type: policy, path }` runs a policy a run trained (its checkpoint). A policy acts
 * on T1D-v0's observation at T1D-v0's steps (one per sensor sample), so the faithful way to run it is
 * T1D-v0 itself: the simulation IS the env's episode with reset seed `seed`, logged minute by minute
 * (T1DEnv.onMinute), with the options the policy was trained with for what it sees and commands
 * (action mode, its range and authority, the residual controller, window, meal announcement) and the
 * config's for the rest (patient, sensor, pump, meals, therapy, minutes as days; no termination, as
 * for every controller here). The env's own insulin-on-board and therapy-protocol code therefore
 * serve the policy, and the CSV is the same contract. An absolute-rate (continuous) policy keeps
 * its trained range [0, max] U/h, which must fit the pump; the patient-relative modes (basal-relative,
 * residual) and the discrete basal multiples drive any patient. A policy of another env, or whose
 * spaces the settings change, is refused with one line. The env draws its episode from `seed` as
 * evaluation does (`new Rng(seed).child('env')`), so with random meals, sensor noise or therapy
 * errors its day differs from the clinical controllers' day of the same seed; fixed `meals` and
 * `noise: false` give the same day to every controller.
 */
import { z } from 'zod';
import { UserError } from '../../src/core/errors.ts';
import { Rng } from '../../src/core/rng.ts';
import type { SavedPolicy, SimulateFlags, SimulationOutput } from '../../src/core/simulators.ts';
import { Box, spaceDifference } from '../../src/core/spaces.ts';
import { parseWithSchema, show } from '../../src/core/validate.ts';
import type { Cell } from '../../src/io/csv.ts';
import { glucoseMetrics } from '../../src/metrics/glucose.ts';
import { BasalBolusController, basalBolusOptionsSchema } from '../../agents/baselines/glucose/basal-bolus.ts';
import { ConstantController } from '../../agents/baselines/glucose/constant.ts';
import { PidController, pidOptionsSchema } from '../../agents/baselines/glucose/pid.ts';
import { PidBolusController, pidBolusOptionsSchema } from '../../agents/baselines/glucose/pid-bolus.ts';
import { ScheduleController } from '../../agents/baselines/glucose/schedule.ts';
import type { MinuteController } from '../../agents/baselines/glucose/common.ts';
import { PATIENT_NAMES, getPatient } from './patient.ts';
import { PUMP_NAMES, Pump, type PumpName } from './pump.ts';
import { CgmSensor, SENSOR_NAMES, type SensorName } from './sensor.ts';
import { randomDailyMeals, type Meal } from './scenario.ts';
import { PatientSimulator } from './simulator.ts';
import { T1DEnv, T1D_DEFAULTS, T1D_ENV_ID, type T1DMinute } from './t1d-env.ts';
import { RescueCarbs, THERAPY_DEFAULTS, drawTherapy, resolveTherapy, therapyInput, therapySchema, type ProtocolMeal, type TherapyOptions } from './therapy.ts';
import type { TherapyParams } from '../../agents/baselines/glucose/common.ts';

export const SIMULATE_COLUMNS = ['minute', 'bg', 'plasma_bg', 'cgm', 'insulin', 'cho'] as const;

/** Columns added when the config has `therapy`. */
export const THERAPY_COLUMNS = ['announced_g', 'rescue_g'] as const;

/** State column names for `--states`, in state order (as in the simglucose reference files). */
export const STATE_COLUMNS = [
  'x0_Qsto1_mg', 'x1_Qsto2_mg', 'x2_Qgut_mg', 'x3_Gp_mg_per_kg', 'x4_Gt_mg_per_kg', 'x5_Ip_pmol_per_kg',
  'x6_X_pmol_per_L', 'x7_I1_pmol_per_L', 'x8_Id_pmol_per_L', 'x9_Il_pmol_per_kg', 'x10_Isc1_pmol_per_kg',
  'x11_Isc2_pmol_per_kg', 'x12_Gs_mg_per_kg',
] as const;

export const CONTROLLER_TYPES = ['basal-bolus', 'pid', 'pid-bolus', 'constant', 'schedule', 'policy'] as const;

/** Longest simulation accepted [min] (one year), to keep memory bounded. */
const MAX_MINUTES = 525600;

const mealSchema = z.strictObject({ minute: z.number().int().min(0), grams: z.number().positive().finite() });
const finiteNonNeg = z.number().min(0).finite();

const controllerSchema = z.discriminatedUnion('type', [
  basalBolusOptionsSchema.extend({ type: z.literal('basal-bolus') }),
  pidOptionsSchema.extend({ type: z.literal('pid') }),
  pidBolusOptionsSchema.extend({ type: z.literal('pid-bolus') }),
  z.strictObject({ type: z.literal('constant'), unitsPerHour: finiteNonNeg }),
  z.strictObject({
    type: z.literal('schedule'),
    steps: z.array(z.strictObject({ minute: z.number().int().min(0), unitsPerMinute: finiteNonNeg })).min(1),
  }),
  z.strictObject({ type: z.literal('policy'), path: z.string({ error: 'expected the directory of a saved policy, e.g. results/<name>/<run-id>/policies/1' }).min(1) }),
]);

/** Each controller's fields (the discriminated union above), for one-line errors that list them. */
const CONTROLLER_FIELDS: Record<(typeof CONTROLLER_TYPES)[number], string[]> = {
  'basal-bolus': ['type', ...Object.keys(basalBolusOptionsSchema.shape)],
  pid: ['type', ...Object.keys(pidOptionsSchema.shape)],
  'pid-bolus': ['type', ...Object.keys(pidBolusOptionsSchema.shape)],
  constant: ['type', 'unitsPerHour'],
  schedule: ['type', 'steps'],
  policy: ['type', 'path'],
};

const configSchema = z.strictObject({
  env: z.literal(T1D_ENV_ID),
  patient: z.string().refine((s) => PATIENT_NAMES.includes(s), {
    message: 'unknown patient; allowed: adolescent#001..#010, adult#001..#010, child#001..#010',
  }),
  minutes: z.number().int().positive().max(MAX_MINUTES),
  sensor: z
    .preprocess(
      (v) => (typeof v === 'string' ? { model: v } : v),
      z.strictObject({ model: z.enum(SENSOR_NAMES as unknown as [SensorName, ...SensorName[]]), noise: z.boolean().default(true) }),
    )
    .default({ model: 'Dexcom', noise: true }),
  pump: z.enum(PUMP_NAMES as unknown as [PumpName, ...PumpName[]]).default('Insulet'),
  meals: z.array(mealSchema).optional(),
  scenario: z.strictObject({ type: z.literal('random') }).optional(),
  therapy: therapySchema.optional(),
  controller: controllerSchema,
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
});

/** A validated config (`therapy` resolved). */
export type SimulateConfig = Omit<z.infer<typeof configSchema>, 'therapy'> & { therapy?: TherapyOptions | undefined };

/** Validate a raw config; every problem is one UserError naming the field. */
export function parseSimulateConfig(raw: unknown): SimulateConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new UserError(`config: expected a mapping of fields, got ${show(raw)}`);
  const r = raw as Record<string, unknown>;
  // Friendlier messages than the schema's for the two most common mistakes.
  if (typeof r.patient === 'string' && !PATIENT_NAMES.includes(r.patient)) {
    throw new UserError(`patient: unknown patient '${r.patient}'; allowed: adolescent#001..#010, adult#001..#010, child#001..#010`);
  }
  const c = r.controller;
  if (c === null || typeof c !== 'object' || Array.isArray(c)) {
    throw new UserError(`controller: expected a mapping with a type (${CONTROLLER_TYPES.join(', ')}), e.g. { type: basal-bolus }, got ${show(c)}`);
  }
  const type = (c as Record<string, unknown>).type;
  if (!(CONTROLLER_TYPES as readonly unknown[]).includes(type)) {
    throw new UserError(`controller.type: unknown controller ${show(type)}; allowed: ${CONTROLLER_TYPES.join(', ')}`);
  }
  const allowed = CONTROLLER_FIELDS[type as (typeof CONTROLLER_TYPES)[number]];
  for (const key of Object.keys(c)) {
    if (!allowed.includes(key)) throw new UserError(`controller.${key}: unknown field for controller ${type as string}; allowed: ${allowed.join(', ')}`);
  }
  const parsed = parseWithSchema(configSchema, r.therapy !== undefined ? { ...r, therapy: therapyInput(r.therapy) } : raw);
  const config = (parsed.therapy !== undefined ? { ...parsed, therapy: resolveTherapy(parsed.therapy) } : parsed) as SimulateConfig;
  if (config.meals !== undefined && config.scenario !== undefined) {
    throw new UserError('scenario: give either meals or scenario, not both');
  }
  config.meals?.forEach((m, i) => {
    if (m.minute >= config.minutes) {
      throw new UserError(`meals[${i}].minute: ${m.minute} is outside the horizon; allowed: 0..${config.minutes - 1} (minutes = ${config.minutes})`);
    }
  });
  if (config.controller.type === 'schedule') {
    config.controller.steps.forEach((s, i, steps) => {
      if (i > 0 && s.minute <= (steps[i - 1] as { minute: number }).minute) {
        throw new UserError(`controller.steps[${i}].minute: ${s.minute} must be greater than the previous step's minute ${(steps[i - 1] as { minute: number }).minute}`);
      }
    });
  }
  return config;
}

/** A clinical controller's config (every controller but a saved policy). */
type ClinicalController = Exclude<SimulateConfig['controller'], { type: 'policy' }>;

/** The controller for a config, with the clinic's `therapy` settings. */
function makeController(c: ClinicalController, pump: Pump, therapy: TherapyParams): MinuteController {
  switch (c.type) {
    case 'basal-bolus': {
      const { type: _t, ...options } = c;
      return new BasalBolusController(therapy, options, pump.maxBolusUPerMin);
    }
    case 'pid': {
      const { type: _t, ...options } = c;
      return new PidController(therapy, options);
    }
    case 'pid-bolus': {
      const { type: _t, ...options } = c;
      return new PidBolusController(therapy, options, pump.maxBolusUPerMin);
    }
    case 'constant':
      return new ConstantController(c.unitsPerHour);
    case 'schedule':
      return new ScheduleController(c.steps);
  }
}

/** The per-minute trajectory as typed arrays (length minutes + 1; insulin/cho NaN in the last slot). */
export interface T1DTrajectory {
  minute: Float64Array;
  bg: Float64Array;
  plasmaBg: Float64Array;
  cgm: Float64Array;
  insulin: Float64Array;
  cho: Float64Array;
  /** 13 x (minutes + 1) states, state-major, only with `states: true`. */
  states?: Float64Array[];
  /** The meals eaten (the scenario's). */
  meals: Meal[];
  /** With `therapy`: each meal as the protocol played it, the carbohydrate announced to the controller [g] and the rescue carbohydrate taken [g] at each minute (length minutes + 1), and the clinic's settings. */
  therapy?: { meals: ProtocolMeal[]; announcedG: Float64Array; rescueG: Float64Array; clinic: TherapyParams };
}

/** Run a validated config with a clinical controller (a saved policy: `simulateT1DPolicy`). */
export function simulateT1D(config: SimulateConfig, options: { states?: boolean } = {}): T1DTrajectory {
  if (config.controller.type === 'policy') throw new Error('simulateT1D: a saved policy runs through simulateT1DPolicy');
  const n = config.minutes + 1;
  const rng = new Rng(config.seed);
  const patient = getPatient(config.patient);
  const sim = new PatientSimulator(patient);
  const pump = new Pump(config.pump);
  const sensor = new CgmSensor(config.sensor.model, { noise: config.sensor.noise, rng: rng.child('sensor') });
  const meals =
    config.scenario !== undefined
      ? randomDailyMeals(rng.child('scenario'), Math.ceil(config.minutes / 1440)).filter((m) => m.minute < config.minutes)
      : [...(config.meals ?? [])];
  // The protocol (ideal without `therapy`: announcements = the meals, settings = the patient's).
  const truth = { basalUPerMin: patient.basalUPerMin, CR: patient.CR, CF: patient.CF };
  const sorted = [...meals].sort((a, b) => a.minute - b.minute);
  const draw = config.therapy !== undefined ? drawTherapy(rng.child('therapy'), sorted, truth, config.therapy) : undefined;
  const clinic = draw?.clinic ?? truth;
  const rescue = config.therapy !== undefined && config.therapy.rescueCarbs !== false ? new RescueCarbs(config.therapy.rescueCarbs) : undefined;
  const controller = makeController(config.controller, pump, clinic);
  controller.reset();
  const gramsAt = new Float64Array(config.minutes);
  for (const m of meals) gramsAt[m.minute] = (gramsAt[m.minute] as number) + m.grams;
  // What the controller is told at each minute.
  let announcedAt = gramsAt;
  if (draw !== undefined) {
    announcedAt = new Float64Array(config.minutes);
    for (const a of draw.announcements) if (a.minute < config.minutes) announcedAt[a.minute] = (announcedAt[a.minute] as number) + a.grams;
  }

  const out: T1DTrajectory = {
    minute: new Float64Array(n),
    bg: new Float64Array(n),
    plasmaBg: new Float64Array(n),
    cgm: new Float64Array(n),
    insulin: new Float64Array(n),
    cho: new Float64Array(n),
    meals,
  };
  const states = options.states ? Array.from({ length: 13 }, () => new Float64Array(n)) : undefined;
  if (states !== undefined) out.states = states;
  const rescueG = draw !== undefined ? new Float64Array(n) : undefined;
  if (draw !== undefined) out.therapy = { meals: draw.meals, announcedG: Float64Array.from({ length: n }, (_, m) => (m < config.minutes ? (announcedAt[m] as number) : 0)), rescueG: rescueG as Float64Array, clinic };
  const input = { minute: 0, cgmMgDl: 0, newSample: false, sampleTimeMin: sensor.sampleTimeMin, mealGrams: 0 };
  for (let m = 0; m < n; m++) {
    const bg = sim.bgMgDl;
    const cgm = sensor.read(bg, m);
    out.minute[m] = m;
    out.bg[m] = bg;
    out.plasmaBg[m] = sim.plasmaBgMgDl;
    out.cgm[m] = cgm;
    if (states !== undefined) for (let s = 0; s < 13; s++) (states[s] as Float64Array)[m] = sim.state[s] as number;
    if (m === n - 1) {
      out.insulin[m] = NaN;
      out.cho[m] = NaN;
      break;
    }
    const grams = gramsAt[m] as number;
    if (grams > 0) sim.announceMeal(grams);
    input.minute = m;
    input.cgmMgDl = cgm;
    input.newSample = m % sensor.sampleTimeMin === 0;
    if (rescue !== undefined && input.newSample) {
      const g = rescue.reading(m, cgm);
      if (g > 0) {
        sim.announceMeal(g);
        (rescueG as Float64Array)[m] = g;
      }
    }
    input.mealGrams = announcedAt[m] as number;
    const rates = controller.insulin(input);
    const insulin = pump.basal(rates.basalUPerMin) + pump.bolus(rates.bolusUPerMin);
    out.insulin[m] = insulin;
    out.cho[m] = sim.stepMinute(insulin);
  }
  return out;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** What a policy sees and commands: taken from the options it was trained with (see the header). */
const POLICY_INTERFACE_OPTIONS = ['action', 'maxBasalMultiple', 'actionMaxUnitsPerHour', 'discreteLevels', 'authorityBasalMultiple', 'residualController', 'window', 'mealAnnouncement'];

/** T1D-v0's options for simulating `config` with the saved policy `saved` (see the header). */
export function policyEnvOptions(config: SimulateConfig, saved: SavedPolicy): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const key of POLICY_INTERFACE_OPTIONS) if (key in saved.envOptions) options[key] = saved.envOptions[key];
  if ((options['action'] ?? T1D_DEFAULTS.action) === 'continuous' && saved.actionSpace instanceof Box) {
    // An absolute rate keeps the range it was trained in (a cohort's is set by its largest basal).
    options['actionMaxUnitsPerHour'] = saved.actionSpace.high[0];
  }
  return {
    ...options,
    patient: config.patient,
    sensor: config.sensor.model,
    sensorNoise: config.sensor.noise,
    pump: config.pump,
    scenario: config.scenario !== undefined ? 'random' : [...(config.meals ?? [])],
    days: config.minutes / 1440,
    therapy: config.therapy ?? THERAPY_DEFAULTS,
    // simulate never ends a run early (true BG outside the model's range only: negative or NaN)
    terminateBelowMgDl: 0,
    terminateAboveMgDl: Number.MAX_VALUE,
    randomInitialBg: false,
  };
}

/** Run a validated config whose controller is a saved policy: T1D-v0's episode from `seed`, minute by minute. */
export function simulateT1DPolicy(config: SimulateConfig, saved: SavedPolicy, options: { states?: boolean } = {}): T1DTrajectory {
  const field = 'controller.path';
  if (saved.envId !== T1D_ENV_ID) throw new UserError(`${field}: ${saved.dir} is a policy for ${saved.envId}, not ${T1D_ENV_ID} (another family); simulate it with env: ${saved.envId}`);
  const envOptions = policyEnvOptions(config, saved);
  const pumpMaxUPerHour = new Pump(config.pump).maxBasalUPerMin * 60;
  const range = envOptions['actionMaxUnitsPerHour'];
  if (typeof range === 'number' && range > pumpMaxUPerHour) {
    throw new UserError(`${field}: ${saved.dir} commands up to ${range} U/h, more than the ${config.pump} pump delivers (${pumpMaxUPerHour} U/h)`);
  }
  let env: T1DEnv;
  try {
    env = new T1DEnv(envOptions);
  } catch (err) {
    if (err instanceof UserError) throw new UserError(`${field}: ${saved.dir}: the options it was trained with do not apply here (${err.message})`);
    throw err;
  }
  for (const [kind, policySpace, envSpace] of [['observation', saved.observationSpace, env.observationSpace], ['action', saved.actionSpace, env.actionSpace]] as const) {
    const difference = spaceDifference(policySpace, envSpace);
    if (difference !== undefined) throw new UserError(`${field}: ${saved.dir}: its ${kind} space differs from ${T1D_ENV_ID}'s with these settings (${difference}; pump, sensor and the trained options shape it)`);
  }
  const n = config.minutes + 1;
  const minutes: T1DMinute[] = [];
  env.onMinute = (m) => {
    if (m.minute < n) minutes.push(m);
  };
  const rescueG = new Float64Array(n);
  const recordRescue = (info: Record<string, unknown>) => {
    const m = info['minute'] as number;
    if (m < n) rescueG[m] = (info['rescueGrams'] as number | undefined) ?? 0;
  };
  let { observation, info } = env.reset({ seed: config.seed });
  saved.policy.reset?.(info);
  recordRescue(info);
  while (env.patientNow().minute < config.minutes) {
    const step = env.step(saved.policy.act(observation, { deterministic: true, info }) as Float32Array | number);
    ({ observation, info } = step);
    recordRescue(info);
    if (step.terminated) throw new UserError(`${field}: the model left its range at minute ${info['minute'] as number} (true BG ${info['bg'] as number} mg/dL); the simulation cannot go on`);
    if (step.truncated) break;
  }
  // The last row: the patient at minute `minutes` (inside the last step when it ends later).
  minutes.push(minutes.length === config.minutes + 1 ? (minutes.pop() as T1DMinute) : { ...env.patientNow(), insulinUPerMin: NaN, choG: NaN });
  env.close();

  const out: T1DTrajectory = {
    minute: Float64Array.from(minutes, (m) => m.minute),
    bg: Float64Array.from(minutes, (m) => m.bgMgDl),
    plasmaBg: Float64Array.from(minutes, (m) => m.plasmaBgMgDl),
    cgm: Float64Array.from(minutes, (m) => m.cgmMgDl),
    insulin: Float64Array.from(minutes, (m, i) => (i === config.minutes ? NaN : m.insulinUPerMin)),
    cho: Float64Array.from(minutes, (m, i) => (i === config.minutes ? NaN : m.choG)),
    meals: env.scenarioMeals.filter((m) => m.minute < config.minutes),
  };
  if (options.states) out.states = Array.from({ length: 13 }, (_, s) => Float64Array.from(minutes, (m) => m.state[s] as number));
  if (config.therapy !== undefined) {
    const announcedG = new Float64Array(n);
    for (const meal of env.therapyMeals) if (!meal.missed && meal.announcedMinute < config.minutes) announcedG[meal.announcedMinute] = (announcedG[meal.announcedMinute] as number) + meal.estimateG;
    out.therapy = { meals: [...env.therapyMeals], announcedG, rescueG, clinic: { ...env.clinicSettings } };
  }
  return out;
}

/** The `Simulator` registered for T1D-v0. */
export function simulateT1DConfig(raw: Record<string, unknown>, flags: SimulateFlags): SimulationOutput {
  const config = parseSimulateConfig(raw);
  let traj: T1DTrajectory;
  if (config.controller.type === 'policy') {
    if (flags.loadPolicy === undefined) throw new Error('simulateT1DConfig: controller type policy needs SimulateFlags.loadPolicy');
    traj = simulateT1DPolicy(config, flags.loadPolicy(config.controller.path, 'controller.path'), { states: flags.states });
  } else {
    traj = simulateT1D(config, { states: flags.states });
  }
  const columns: string[] = [...SIMULATE_COLUMNS, ...(traj.therapy !== undefined ? THERAPY_COLUMNS : []), ...(flags.states ? STATE_COLUMNS : [])];
  const rows: Record<string, Cell>[] = [];
  for (let m = 0; m <= config.minutes; m++) {
    const last = m === config.minutes;
    const row: Record<string, Cell> = {
      minute: m,
      bg: traj.bg[m],
      plasma_bg: traj.plasmaBg[m],
      cgm: traj.cgm[m],
      insulin: last ? undefined : traj.insulin[m],
      cho: last ? undefined : traj.cho[m],
    };
    if (traj.therapy !== undefined) {
      row.announced_g = last ? undefined : traj.therapy.announcedG[m];
      row.rescue_g = traj.therapy.rescueG[m];
    }
    if (traj.states !== undefined) STATE_COLUMNS.forEach((name, s) => (row[name] = (traj.states as Float64Array[])[s]?.[m]));
    rows.push(row);
  }
  const g = glucoseMetrics(traj.bg);
  let insulinU = 0;
  let choG = 0;
  for (let m = 0; m < config.minutes; m++) {
    insulinU += traj.insulin[m] as number;
    choG += traj.cho[m] as number;
  }
  const metrics: Record<string, number | string> = {
    patient: config.patient,
    controller: config.controller.type,
    minutes: config.minutes,
    mean_bg_mg_dl: round(g.meanMgDl, 2),
    sd_bg_mg_dl: round(g.sdMgDl, 2),
    cv_percent: round(g.cvPercent, 2),
    min_bg_mg_dl: round(g.minMgDl, 2),
    max_bg_mg_dl: round(g.maxMgDl, 2),
    tir_70_180_percent: round(g.tirPercent, 2),
    tbr_70_percent: round(g.tbr70Percent, 2),
    tbr_54_percent: round(g.tbr54Percent, 2),
    tar_180_percent: round(g.tar180Percent, 2),
    tar_250_percent: round(g.tar250Percent, 2),
    gmi_percent: round(g.gmiPercent, 3),
    lbgi: round(g.lbgi, 3),
    hbgi: round(g.hbgi, 3),
    risk_index: round(g.riskIndex, 3),
    cvga_zone: g.cvgaZone,
    total_insulin_u: round(insulinU, 3),
    total_cho_g: round(choG, 3),
  };
  if (traj.therapy !== undefined) {
    const t = traj.therapy;
    const eaten = t.meals.filter((x) => x.minute < config.minutes);
    metrics.meals = eaten.length;
    metrics.missed_boluses = eaten.filter((x) => x.missed).length;
    metrics.announced_cho_g = round(t.announcedG.reduce((a, b) => a + b, 0), 3);
    metrics.rescues = t.rescueG.reduce((a, g) => a + (g > 0 ? 1 : 0), 0);
    metrics.rescue_cho_g = round(t.rescueG.reduce((a, b) => a + b, 0), 3);
    metrics.clinic_basal_u_per_h = round(t.clinic.basalUPerMin * 60, 4);
    metrics.clinic_cr_g_per_u = round(t.clinic.CR, 3);
    metrics.clinic_cf_mg_dl_per_u = round(t.clinic.CF, 3);
  }
  return {
    columns,
    rows,
    metrics,
    defaultFileName: `simulate-${T1D_ENV_ID}-${config.patient.replace('#', '')}-${config.controller.type}-seed${config.seed}.csv`,
  };
}
