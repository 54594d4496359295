/**
 * Basal-bolus therapy (the standard open-loop baseline with ideal carb counting).
 *
 * basal = the patient's basal rate u2ss * BW / 6000 [U/min], always (or 0 while the optional
 * low-glucose suspend is active); at each announced meal a bolus
 *   bolus [U] = grams / CR + [CGM > 150] * (CGM - 140) / CF
 * (CR g/U and CF mg/dL/U from Quest.csv), as simglucose's BBController (target 140 mg/dL).
 *
 * Difference from simglucose (simglucose/controller/basal_bolus_ctrller.py): simglucose's controller only sees the previous
 * env step's AVERAGE carbs, so it delivers the bolus during the step after the meal (3 minutes late
 * with Dexcom, computed from the step-averaged CGM). Here the bolus is delivered AT the meal:
 * - minute controller (`dosegym simulate`): starting in the meal's minute, at most the pump's bolus
 *   limit per minute (any rest in the following minutes);
 * - env policy (T1D-v0): spread over the env step in which the meal starts (the env's info reports
 *   `mealGrams`, the carbs starting in the coming step), so the action is basal + bolus / Δ.
 *   With the default action space (a few times basal) a bolus is clipped away: evaluate baselines
 *   with `actionMaxUnitsPerHour: 'pump'`.
 */
import { z } from 'zod';
import type { Info } from '../../../src/core/env.ts';
import type { Policy } from '../../../src/core/policy.ts';
import { baselineInfo, envAction, glucoseMgDl, glucoseThresholdMgDl, therapyFromInfo, type InsulinRates, type MinuteController, type MinuteInput, type TherapyParams } from './common.ts';

export interface BasalBolusOptions {
  /** Correction target [mg/dL] (simglucose: 140). */
  targetMgDl?: number;
  /** A correction is added only when CGM is above this [mg/dL] (simglucose: 150). */
  correctAboveMgDl?: number;
  /** Low-glucose suspend: basal is 0 while CGM < this [mg/dL]; undefined = never suspend. */
  suspendBelowMgDl?: number;
}

/** The options as a config gives them (every config that names basal-bolus validates with this). */
export const basalBolusOptionsSchema = z.strictObject({
  targetMgDl: glucoseMgDl.optional(),
  correctAboveMgDl: glucoseMgDl.optional(),
  suspendBelowMgDl: glucoseThresholdMgDl.optional(),
}) satisfies z.ZodType<BasalBolusOptions>;

const DEFAULTS = { targetMgDl: 140, correctAboveMgDl: 150 };

/** Meal bolus [U] for `grams` of carbohydrate at CGM `cgmMgDl`. */
export function mealBolusUnits(grams: number, cgmMgDl: number, therapy: TherapyParams, options: BasalBolusOptions = {}): number {
  const target = options.targetMgDl ?? DEFAULTS.targetMgDl;
  const above = options.correctAboveMgDl ?? DEFAULTS.correctAboveMgDl;
  const correction = cgmMgDl > above ? (cgmMgDl - target) / therapy.CF : 0;
  return grams / therapy.CR + correction;
}

export class BasalBolusController implements MinuteController {
  readonly name = 'basal-bolus';
  private pendingBolusU = 0;

  /**
   * `maxBolusUPerMin`: the pump's bolus limit; a larger bolus is delivered over several minutes.
   * `adjustBolus`: turns each meal's bolus [U] into the one given (pid-bolus's `subtractPidIob`).
   */
  constructor(
    private readonly therapy: TherapyParams,
    private readonly options: BasalBolusOptions = {},
    private readonly maxBolusUPerMin = Infinity,
    private readonly adjustBolus: (units: number) => number = (units) => units,
  ) {}

  reset(): void {
    this.pendingBolusU = 0;
  }

  insulin(input: MinuteInput): InsulinRates {
    if (input.mealGrams > 0) this.pendingBolusU += this.adjustBolus(mealBolusUnits(input.mealGrams, input.cgmMgDl, this.therapy, this.options));
    const bolus = Math.min(this.pendingBolusU, this.maxBolusUPerMin);
    this.pendingBolusU -= bolus;
    const suspended = this.options.suspendBelowMgDl !== undefined && input.cgmMgDl < this.options.suspendBelowMgDl;
    return { basalUPerMin: suspended ? 0 : this.therapy.basalUPerMin, bolusUPerMin: bolus };
  }
}

export class BasalBolusPolicy implements Policy<unknown, Float32Array | number> {
  readonly name = 'basal-bolus';

  constructor(private readonly options: BasalBolusOptions = {}) {}

  act(_observation: unknown, context: { deterministic: boolean; info: Info }): Float32Array | number {
    const b = baselineInfo(context.info);
    const therapy = therapyFromInfo(b);
    const suspended = this.options.suspendBelowMgDl !== undefined && b.cgm < this.options.suspendBelowMgDl;
    let rate = suspended ? 0 : therapy.basalUPerMin;
    if (b.mealGrams > 0) rate += mealBolusUnits(b.mealGrams, b.cgm, therapy, this.options) / b.sampleTimeMin;
    return envAction(rate, b);
  }
}
