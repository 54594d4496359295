/**
 * Shared pieces of the clinical T1D baselines.
 *
 * Every baseline exists in two forms over the same core logic:
 * - a `MinuteController`, called once per simulated minute by `dosegym simulate` (envs/glucose/
 *   simulate.ts), returning the pump's basal and bolus channels in U/min for [minute, minute + 1);
 * - a `Policy` for the `T1D-v0` env (one decision per sensor sample), which reads the clinical
 *   signals from the env's latest `info` (documented in the header of envs/glucose/t1d-env.ts) and
 *   returns the env's action for the rate it wants (`envAction`): a rate in U/h for the continuous
 *   action space, the index of the nearest level for the discrete one, and the output that delivers
 *   it in the patient-relative modes (basal-relative, residual).
 *
 * Baselines read the CLINIC's settings (info.patientBasalUPerMin, CR, CF) and the ANNOUNCED meals
 * (info.mealGrams), which differ from the patient's truth under T1D-v0's `therapy` protocol.
 */
import { z } from 'zod';
import type { Info } from '../../../src/core/env.ts';
import { basalRelativeOutput, residualOutputForRate } from '../../../envs/glucose/action-modes.ts';

/** A number field of a controller's options, in one wording wherever a config names it (T1D-v0's residualController, simulate's controller, evaluate.methods). */
function numberField(message: string, min: number, inclusive: boolean) {
  const n = z.number({ error: message }).finite({ error: message });
  return inclusive ? n.min(min, { error: message }) : n.gt(min, { error: message });
}

/** A glucose level [mg/dL] > 0 (set points, correction thresholds). */
export const glucoseMgDl = numberField('expected a glucose > 0 mg/dL', 0, false);
/** A glucose threshold [mg/dL] >= 0 (suspend levels; 0 never fires). */
export const glucoseThresholdMgDl = numberField('expected a glucose >= 0 mg/dL', 0, true);
/** A time constant [min] > 0. */
export const positiveMinutes = numberField('expected a number of minutes > 0', 0, false);
/** A duration [min] >= 0 (0 = off). */
export const nonNegativeMinutes = numberField('expected a number of minutes >= 0', 0, true);

/** Therapy parameters a controller may use (from Quest.csv / vpatient_params.csv). */
export interface TherapyParams {
  /** Basal rate [U/min] = u2ss * BW / 6000. */
  basalUPerMin: number;
  /** Carbohydrate ratio [g per U]. */
  CR: number;
  /** Correction factor [mg/dL per U]. */
  CF: number;
}

/** What a minute-level controller sees at the start of each minute. */
export interface MinuteInput {
  /** Minutes since the start of the simulation. */
  minute: number;
  /** Latest CGM reading [mg/dL] (held between sensor samples). */
  cgmMgDl: number;
  /** True when the sensor took a new reading at this minute. */
  newSample: boolean;
  /** Minutes between sensor samples. */
  sampleTimeMin: number;
  /** Carbohydrate announced (eaten from) this minute [g]; 0 when there is no meal. */
  mealGrams: number;
}

/** Pump channels for one minute [U/min]; the simulator passes each through the pump (rounding, limits). */
export interface InsulinRates {
  basalUPerMin: number;
  bolusUPerMin: number;
}

export interface MinuteController {
  readonly name: string;
  /** Clear the state (integrators, previous readings) before a new run. */
  reset(): void;
  insulin(input: MinuteInput): InsulinRates;
}

/** The env-info fields the baselines read (all provided by T1D-v0's reset and step infos). */
export interface BaselineInfo {
  /** Latest CGM reading [mg/dL]. */
  cgm: number;
  /** Minutes since the episode start at the decision time. */
  minute: number;
  /** Carbohydrate [g] of the meals starting during the coming step (the patient announces them). */
  mealGrams: number;
  sampleTimeMin: number;
  patientBasalUPerMin: number;
  CR: number;
  CF: number;
  /**
   * 'continuous' (U/h in [0, actionMaxUnitsPerHour]), 'discrete' (indices of
   * `actionLevelsUnitsPerHour`), 'basal-relative' or 'residual' (outputs in [-1, 1], see
   * envs/glucose/action-modes.ts).
   */
  actionKind: ActionKind;
  actionMaxUnitsPerHour: number;
  actionLevelsUnitsPerHour?: readonly number[];
  /** Authority A of the patient-relative modes (basal multiple). */
  authorityBasalMultiple?: number;
  /** Residual mode: the env's controller rate for the coming step [U/h]. */
  controllerUnitsPerHour?: number;
}

export const ACTION_KINDS = ['continuous', 'discrete', 'basal-relative', 'residual'] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

function field(info: Info, key: string): unknown {
  const v = info[key];
  if (v === undefined) throw new Error(`glucose baseline: the env info has no '${key}'; run the baseline on T1D-v0`);
  return v;
}

/** Read and check the fields a baseline needs from a T1D-v0 info. */
export function baselineInfo(info: Info): BaselineInfo {
  const num = (k: string): number => {
    const v = field(info, k);
    if (typeof v !== 'number' || Number.isNaN(v)) throw new Error(`glucose baseline: info.${k} is not a number`);
    return v;
  };
  const kind = field(info, 'actionKind');
  if (!(ACTION_KINDS as readonly unknown[]).includes(kind)) throw new Error(`glucose baseline: info.actionKind is ${String(kind)}`);
  const levels = info.actionLevelsUnitsPerHour as readonly number[] | undefined;
  const relative = kind === 'basal-relative' || kind === 'residual';
  return {
    cgm: num('cgm'),
    minute: num('minute'),
    mealGrams: num('mealGrams'),
    sampleTimeMin: num('sampleTimeMin'),
    patientBasalUPerMin: num('patientBasalUPerMin'),
    CR: num('CR'),
    CF: num('CF'),
    actionKind: kind as ActionKind,
    actionMaxUnitsPerHour: num('actionMaxUnitsPerHour'),
    ...(levels !== undefined ? { actionLevelsUnitsPerHour: levels } : {}),
    ...(relative ? { authorityBasalMultiple: num('authorityBasalMultiple') } : {}),
    ...(kind === 'residual' ? { controllerUnitsPerHour: num('controllerUnitsPerHour') } : {}),
  };
}

/**
 * The env action for a desired insulin rate [U/min]: continuous -> Float32Array([U/h]) clipped to
 * [0, max] (clipping is where a too-narrow action space shows: use `actionMaxUnitsPerHour: 'pump'`
 * to let boluses through); discrete -> the index of the nearest level (ties to the lower one);
 * basal-relative -> the output m^-1(rate / basal) (clipped to [-1, 1]: at most A x basal);
 * residual -> the correction that turns the env's controller rate into this rate (clipped to
 * [-1, 1]). The patient-relative outputs are float32, so the delivered rate matches to ~1e-7
 * relative, not bit for bit.
 */
export function envAction(uPerMin: number, b: BaselineInfo): Float32Array | number {
  const uPerHour = Math.max(0, uPerMin * 60);
  if (b.actionKind === 'basal-relative') {
    return new Float32Array([basalRelativeOutput(uPerHour / (b.patientBasalUPerMin * 60), b.authorityBasalMultiple as number)]);
  }
  if (b.actionKind === 'residual') {
    return new Float32Array([residualOutputForRate(uPerHour, b.controllerUnitsPerHour as number, b.patientBasalUPerMin * 60, b.authorityBasalMultiple as number)]);
  }
  if (b.actionKind === 'continuous') {
    // Round down to float32 so the value never exceeds the float32 bound of the Box.
    const clipped = Math.min(uPerHour, b.actionMaxUnitsPerHour);
    const a = new Float32Array([clipped]);
    if ((a[0] as number) > Math.fround(b.actionMaxUnitsPerHour)) a[0] = Math.fround(b.actionMaxUnitsPerHour);
    return a;
  }
  const levels = b.actionLevelsUnitsPerHour;
  if (levels === undefined || levels.length === 0) throw new Error('glucose baseline: discrete env info has no actionLevelsUnitsPerHour');
  let best = 0;
  for (let i = 1; i < levels.length; i++) {
    if (Math.abs((levels[i] as number) - uPerHour) < Math.abs((levels[best] as number) - uPerHour)) best = i;
  }
  return best;
}

/** Patient therapy parameters from a baseline info. */
export function therapyFromInfo(b: BaselineInfo): TherapyParams {
  return { basalUPerMin: b.patientBasalUPerMin, CR: b.CR, CF: b.CF };
}
