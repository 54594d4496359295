/**
 * Asking a T1D-v0 policy "what would you dose in this state?": the observation the env would show
 * for a stated clinical state (a CGM level and trend, insulin on board, an announced meal, a time of
 * day), in every action mode and option set, the insulin rate an action commands there, the same
 * question put to the PID and basal-bolus baselines, and readable features of any observation (for
 * rule tables). The report's policy maps and attributions (src/report/sections/glucose.ts) use it;
 * test/glucose-policy-probe.test.ts checks its observations against the ones the real env produces.
 *
 * The probe is built from a reset of the real env for one patient (sensor noise off, the clinic's
 * settings equal to the patient's true ones), so the layout, bounds, action meaning and clinic
 * settings are the env's own; observations are encoded by the env's encoder (observation.ts).
 */
import type { Action } from '../../src/core/env.ts';
import type { Box, Space } from '../../src/core/spaces.ts';
import { heldPidRate, holdMinutes, mealBolusUnits, pidGains, pidOptions, PID_DEFAULTS, type BasalBolusOptions, type PidBolusOptions, type PidOptions, type TherapyParams } from '../../agents/baselines/glucose/index.ts';
import { basalRelativeMultiple, commandedUnitsPerHour, type ActionMeaning } from './action-modes.ts';
import { clampObservation, encodeT1DObservation, t1dObservationSize, type T1DObservationLayout, type T1DObservationState } from './observation.ts';
import { T1DEnv, type ResidualControllerSpec, type T1DActionMode } from './t1d-env.ts';

/** A clinical state to probe; every field but the CGM level has a stated typical value. */
export interface ProbePoint {
  /** The latest CGM reading [mg/dL]. */
  cgmMgDl: number;
  /** CGM rate of change [mg/dL/min]: the window holds readings on this straight line (default 0). */
  trendMgDlPerMin?: number;
  /** Minute of the day (default 720, noon). */
  minuteOfDay?: number;
  /** Insulin on board as a multiple of its value at steady basal (default 1; the insulin window is at basal). */
  iobRatio?: number;
  /** Announced carbohydrate [g] (default 0, no meal) and minutes until it (default 0, now). */
  mealGrams?: number;
  minutesToMeal?: number;
}

/** The stated values of `ProbePoint`'s optional fields. */
export const PROBE_DEFAULTS = { trendMgDlPerMin: 0, minuteOfDay: 720, iobRatio: 1, mealGrams: 0, minutesToMeal: 0 } as const;

/** The grid of the policy maps: CGM 40-400 mg/dL, trend -3..+3 mg/dL/min (the range of CGM rate-of-change arrows). */
export const PROBE_GRID = {
  cgmMgDl: Array.from({ length: 19 }, (_, i) => 40 + 20 * i),
  trendMgDlPerMin: [-3, -2.5, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5, 3],
} as const;

/** A readable feature of an observation (for rule tables): its name with unit. */
export interface ProbeFeatures {
  names: string[];
  values(observation: ArrayLike<number>): number[];
}

export interface GlucoseProbe {
  patient: string;
  /** The clinic's settings the probe uses (the patient's true ones). */
  clinic: TherapyParams;
  mode: T1DActionMode;
  layout: Readonly<T1DObservationLayout>;
  observationSpace: Box;
  actionSpace: Space;
  /** Authority A of the patient-relative modes (basal multiple). */
  authority: number;
  /** The observation the env shows in `state` (the clinic's settings filled in). */
  observeState(state: Omit<T1DObservationState, 'basalUPerMin' | 'CR' | 'CF' | 'authority'>): Float32Array;
  /** The observation at a probe point (insulin history at basal, so IOB ratio 1 unless stated). */
  observe(point: ProbePoint): Float32Array;
  /** Residual mode: the controller's rate at a probe point [U/h] (its integral, if any, at zero). */
  controllerUnitsPerHour(point: ProbePoint): number;
  /** The rate an action commands at a probe point [U/h], before the pump's rounding and clipping. */
  unitsPerHour(action: Action, point: ProbePoint): number;
  /** Readable features of an observation: CGM, its trend, IOB, the last rate, time of day, announced meal, controller. */
  features: ProbeFeatures;
  /** The observation's input groups (index lists), for attributions: CGM history, insulin, time of day, meal, controller. */
  inputGroups: { name: string; indices: number[] }[];
  /** A policy output (e.g. a tree leaf's mean action) in clinical words, e.g. '2.4 U/h' or '3.1 x basal (output 0.2)'. */
  describeAction(value: number): string;
  /** One sentence: what the probe holds fixed (for captions). */
  heldFixed: string;
}

/** The CGM window of a point: readings on a straight line ending at the level, oldest first. */
function cgmWindow(point: ProbePoint, window: number, sampleTimeMin: number): number[] {
  const trend = point.trendMgDlPerMin ?? PROBE_DEFAULTS.trendMgDlPerMin;
  return Array.from({ length: window }, (_, i) => point.cgmMgDl - trend * (window - 1 - i) * sampleTimeMin);
}

/**
 * PID's rate [U/min] at a CGM level and trend with its integral state at zero: the PID baseline's
 * law (agents/baselines/glucose/pid.ts) u = basal + Kp e + Kd de/dt, clipped at 0, and 0 below its
 * suspend threshold.
 */
export function pidUnitsPerMinAtZeroIntegral(cgmMgDl: number, trendMgDlPerMin: number, clinic: TherapyParams, options: PidOptions = {}): number {
  const o = { ...PID_DEFAULTS, ...options };
  if (o.suspendBelowMgDl !== null && cgmMgDl < o.suspendBelowMgDl) return 0;
  const { kp, kd } = pidGains(clinic, o);
  return Math.max(0, clinic.basalUPerMin + kp * (cgmMgDl - o.targetMgDl) + kd * trendMgDlPerMin);
}

/** Basal-bolus's rate [U/min] over a step of `sampleTimeMin` in which `grams` are announced (agents/baselines/glucose/basal-bolus.ts). */
export function basalBolusUnitsPerMin(cgmMgDl: number, grams: number, sampleTimeMin: number, clinic: TherapyParams, options: BasalBolusOptions = {}): number {
  const suspended = options.suspendBelowMgDl !== undefined && cgmMgDl < options.suspendBelowMgDl;
  return (suspended ? 0 : clinic.basalUPerMin) + (grams > 0 ? mealBolusUnits(grams, cgmMgDl, clinic, options) / sampleTimeMin : 0);
}

/** The probe of a T1D-v0 policy trained with `envOptions`, for one patient. */
export function glucosePolicyProbe(envOptions: Record<string, unknown>, patient: string): GlucoseProbe {
  const therapy = typeof envOptions['therapy'] === 'object' && envOptions['therapy'] !== null ? envOptions['therapy'] : {};
  const env = new T1DEnv({ ...envOptions, patient, cohort: null, sensorNoise: false, therapy: { ...therapy, settingsErrorSd: 0 } } as ConstructorParameters<typeof T1DEnv>[0]);
  const { info } = env.reset({ seed: 0 });
  env.close();
  const clinic: TherapyParams = { basalUPerMin: info['patientBasalUPerMin'] as number, CR: info['CR'] as number, CF: info['CF'] as number };
  const layout = env.observationLayout;
  const mode = env.options.action;
  const authority = (info['authorityBasalMultiple'] as number | undefined) ?? 1;
  const space = env.observationSpace;
  const lo = Float32Array.from(space.low);
  const hi = Float32Array.from(space.high);
  const dt = layout.sampleTimeMin;
  const controller: ResidualControllerSpec = env.options.residualController;
  const meaning: Omit<ActionMeaning, 'controllerUnitsPerHour'> = {
    actionKind: mode,
    patientBasalUPerMin: clinic.basalUPerMin,
    ...(mode === 'discrete' ? { actionLevelsUnitsPerHour: env.options.discreteLevels.map((m) => m * clinic.basalUPerMin * 60) } : {}),
    ...(layout.relative ? { authorityBasalMultiple: authority } : {}),
  };

  // The env's residual controller is the baseline policy, whose continuous action is a float32 U/h.
  const controllerUnitsPerHour = (point: ProbePoint): number => {
    if (!layout.residual) return Number.NaN;
    const { type, ...params } = controller;
    const trend = point.trendMgDlPerMin ?? PROBE_DEFAULTS.trendMgDlPerMin;
    if (type === 'pid') return Math.fround(60 * pidUnitsPerMinAtZeroIntegral(point.cgmMgDl, trend, clinic, params as PidOptions));
    // basal-bolus and pid-bolus: the meal the controller is told of is the one announced for the coming step.
    const grams = (point.minutesToMeal ?? PROBE_DEFAULTS.minutesToMeal) < dt ? (point.mealGrams ?? PROBE_DEFAULTS.mealGrams) : 0;
    // pid-bolus: no earlier bolus is running at the probe's state (no hold), so its PID acts freely.
    if (type === 'pid-bolus') {
      const options = params as PidBolusOptions;
      const pid = pidUnitsPerMinAtZeroIntegral(point.cgmMgDl, trend, clinic, pidOptions(options));
      // A bolus in this very step starts the hold (0 minutes since it); without one no hold runs.
      const held = heldPidRate(pid, clinic.basalUPerMin, grams > 0 ? 0 : Infinity, holdMinutes(options));
      return Math.fround(60 * ((grams > 0 ? mealBolusUnits(grams, point.cgmMgDl, clinic) / dt : 0) + held));
    }
    return Math.fround(60 * basalBolusUnitsPerMin(point.cgmMgDl, grams, dt, clinic, params as BasalBolusOptions));
  };

  const observeState: GlucoseProbe['observeState'] = (state) => {
    const obs = new Float32Array(t1dObservationSize(layout));
    encodeT1DObservation(obs, layout, { ...state, basalUPerMin: clinic.basalUPerMin, CR: clinic.CR, CF: clinic.CF, authority });
    clampObservation(obs, lo, hi);
    return obs;
  };

  const observe = (point: ProbePoint): Float32Array => {
    const grams = point.mealGrams ?? PROBE_DEFAULTS.mealGrams;
    return observeState({
      cgmMgDl: cgmWindow(point, layout.window, dt),
      insulinUPerMin: new Array<number>(layout.window).fill(clinic.basalUPerMin),
      iobRatio: point.iobRatio ?? PROBE_DEFAULTS.iobRatio,
      minute: point.minuteOfDay ?? PROBE_DEFAULTS.minuteOfDay,
      announcedGrams: grams,
      minutesToMeal: grams > 0 ? (point.minutesToMeal ?? PROBE_DEFAULTS.minutesToMeal) : null,
      controllerUPerHour: controllerUnitsPerHour(point),
    });
  };

  const meal = layout.mealAnnouncementMin !== null;
  const mealHorizon = dt + (layout.mealAnnouncementMin ?? 0);
  const k = layout.window;
  // Trend over the last 15 minutes of readings (or the whole window when shorter).
  const lag = Math.max(1, Math.min(k - 1, Math.round(15 / dt)));
  const multiple = (x: number): number => (layout.relative ? basalRelativeMultiple(x, authority) : x * layout.maxBasalMultiple);
  const names = [
    'CGM (mg/dL)',
    ...(k > 1 ? ['CGM trend (mg/dL/min)'] : []),
    'IOB (x basal IOB)',
    'last rate (x basal)',
    'hour of day',
    ...(meal ? [layout.relative ? 'announced bolus (h of basal)' : 'announced meal (g)', 'minutes to meal'] : []),
    ...(layout.residual ? ['controller (x basal)'] : []),
  ];
  const features: ProbeFeatures = {
    names,
    values: (o) => {
      const cgm = (i: number) => 100 * (o[i] as number) + 140;
      const hour = ((Math.atan2(o[2 * k + 1] as number, o[2 * k + 2] as number) / (2 * Math.PI)) * 24 + 24) % 24;
      const out = [cgm(k - 1), ...(k > 1 ? [(cgm(k - 1) - cgm(k - 1 - lag)) / (lag * dt)] : []), o[2 * k] as number, multiple(o[2 * k - 1] as number), hour];
      if (meal) out.push((layout.relative ? 10 : 100) * (o[2 * k + 3] as number), (o[2 * k + 4] as number) * mealHorizon);
      if (layout.residual) out.push(basalRelativeMultiple(o[o.length - 1] as number, authority));
      return out;
    },
  };

  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
  const inputGroups = [
    { name: 'CGM history', indices: range(0, k) },
    { name: 'insulin history and IOB', indices: range(k, 2 * k + 1) },
    { name: 'time of day', indices: [2 * k + 1, 2 * k + 2] },
    ...(meal ? [{ name: 'announced meal', indices: [2 * k + 3, 2 * k + 4] }] : []),
    ...(layout.residual ? [{ name: `${controller.type} controller`, indices: [t1dObservationSize(layout) - 1] }] : []),
  ];
  const basalH = clinic.basalUPerMin * 60;
  const sig = (x: number) => Number(x.toPrecision(3)).toString();
  const describeAction = (value: number): string => {
    switch (mode) {
      case 'continuous':
        return `${sig(value)} U/h`;
      case 'discrete': {
        // A leaf's mean index between two levels: read the level multiple by linear interpolation.
        const levels = env.options.discreteLevels;
        const i = Math.max(0, Math.min(levels.length - 1, value));
        const lo = Math.floor(i);
        const m = (levels[lo] as number) + (i - lo) * ((levels[Math.min(lo + 1, levels.length - 1)] as number) - (levels[lo] as number));
        return `level ${sig(value)} (${sig(m)} x basal)`;
      }
      case 'basal-relative':
        return `${sig(basalRelativeMultiple(value, authority))} x basal (output ${sig(value)})`;
      case 'residual':
        return value <= 0 ? `controller x ${sig(1 + value)} (output ${sig(value)})` : `controller + ${sig(authority ** value - 1)} x basal (output ${sig(value)})`;
    }
  };

  return {
    patient,
    clinic,
    mode,
    layout,
    observationSpace: space,
    actionSpace: env.actionSpace,
    authority,
    observeState,
    observe,
    controllerUnitsPerHour,
    unitsPerHour: (action, point) => commandedUnitsPerHour(action as Float32Array | number, { ...meaning, ...(layout.residual ? { controllerUnitsPerHour: controllerUnitsPerHour(point) } : {}) }),
    features,
    inputGroups,
    describeAction,
    heldFixed:
      `${patient} at its own settings (basal ${round2(basalH)} U/h, CR ${round2(clinic.CR)} g/U, CF ${round2(clinic.CF)} mg/dL/U); ` +
      `the CGM window a straight line at the given trend, insulin delivered at basal (insulin on board = its basal value), noon` +
      (meal ? ', no meal announced' : '') +
      (layout.residual ? `, the residual controller (${controller.type}) at that state${controller.type === 'pid' ? ' with its integral at zero' : controller.type === 'pid-bolus' ? ' with its integral at zero and no earlier bolus running' : ''}` : '') +
      '.',
  };
}

const round2 = (x: number): number => Math.round(x * 100) / 100;
