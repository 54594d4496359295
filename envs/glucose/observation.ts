/**
 * T1D-v0's observation, in one place: the env (t1d-env.ts) encodes every observation with
 * `encodeT1DObservation`, and the policy probe (policy-probe.ts) encodes the states a report asks a
 * learned policy about (e.g. a CGM level and trend at noon) with the same function, so a probed
 * observation is exactly what the env would show in that state. The layout is documented in the
 * header of t1d-env.ts ("Observation"); in short, for a window of k readings:
 *
 *   [0, k)       cgm[i] = (CGM - 140) / 100, oldest first
 *   [k, 2k)      insulin[i]: rate / (basal x maxBasalMultiple) in the continuous and discrete modes,
 *                the basal-relative output m^-1(rate / basal) in the basal-relative and residual modes
 *   2k           iob = insulin on board / its value at steady basal (insulin-on-board.ts)
 *   2k+1, 2k+2   tod_sin, tod_cos of the minute of the day
 *   (meal announcement) meal_g = grams / 100 (or meal_bolus = (grams / CR) / (basal U/h) / 10 in the
 *                patient-relative modes), meal_in = minutes to the first announced meal / (Δ + L), 1 when none
 *   (residual)   controller = m^-1(u_controller / basal)
 *   (therapy)    therapy_cf = ln(CF x basal U/h / 100) + 2, therapy_cr = ln(CR x basal U/h / 10):
 *                the clinic's correction factor and carb ratio, each per hour of the clinic's basal
 *                (how far an hour of basal moves glucose, how many grams it covers), on a log scale
 */
import { basalRelativeOutput } from './action-modes.ts';

/** The parts of the layout the env's options fix. */
export interface T1DObservationLayout {
  /** Readings (and insulin rates) in the windows. */
  window: number;
  /** basal-relative or residual mode: insulin in basal-relative coordinates. */
  relative: boolean;
  /** Continuous and discrete modes: the insulin scale, rate / (basal x this). */
  maxBasalMultiple: number;
  /** Lead time L of the meal announcement [min], or null when the agent sees no meals. */
  mealAnnouncementMin: number | null;
  /** residual mode: the controller's rate follows the meal features. */
  residual: boolean;
  /** `observeTherapy`: the clinic's CF and CR relative to its basal are the last two elements. */
  therapy: boolean;
  /** Δ, minutes per step (the sensor's sample time). */
  sampleTimeMin: number;
}

/** What one observation is made of (the clinic's settings: what the pump is programmed with). */
export interface T1DObservationState {
  /** The last `window` CGM readings [mg/dL], oldest first. */
  cgmMgDl: ArrayLike<number>;
  /** The rates delivered in the last `window` steps [U/min], oldest first. */
  insulinUPerMin: ArrayLike<number>;
  /** Insulin on board / insulin on board at steady basal. */
  iobRatio: number;
  /** Minutes since the episode started (at midnight). */
  minute: number;
  /** The clinic's basal rate [U/min], carbohydrate ratio [g/U] and correction factor [mg/dL per U]. */
  basalUPerMin: number;
  CR: number;
  CF: number;
  /** Authority A of the patient-relative modes (basal multiple). */
  authority: number;
  /** Announced carbohydrate within [t, t + Δ + L) [g], and minutes until the first such meal (null when none). */
  announcedGrams: number;
  minutesToMeal: number | null;
  /** residual mode: the controller's rate for the coming step [U/h]. */
  controllerUPerHour: number;
}

/** Observation length for a layout. */
export function t1dObservationSize(layout: T1DObservationLayout): number {
  return 2 * layout.window + 3 + (layout.mealAnnouncementMin !== null ? 2 : 0) + (layout.residual ? 1 : 0) + (layout.therapy ? 2 : 0);
}

/** Writes the observation of `s` into `out` (length `t1dObservationSize`), before clamping to the space's bounds. */
export function encodeT1DObservation(out: Float32Array, layout: T1DObservationLayout, s: T1DObservationState): void {
  const k = layout.window;
  const basal = s.basalUPerMin;
  const insScale = 1 / (basal * layout.maxBasalMultiple);
  for (let i = 0; i < k; i++) {
    out[i] = ((s.cgmMgDl[i] as number) - 140) / 100;
    out[k + i] = layout.relative ? basalRelativeOutput((s.insulinUPerMin[i] as number) / basal, s.authority) : (s.insulinUPerMin[i] as number) * insScale;
  }
  out[2 * k] = s.iobRatio;
  const phase = (2 * Math.PI * (s.minute % 1440)) / 1440;
  out[2 * k + 1] = Math.sin(phase);
  out[2 * k + 2] = Math.cos(phase);
  let next = 2 * k + 3;
  if (layout.mealAnnouncementMin !== null) {
    const horizon = layout.sampleTimeMin + layout.mealAnnouncementMin;
    out[next++] = layout.relative ? s.announcedGrams / s.CR / (basal * 60) / 10 : s.announcedGrams / 100;
    out[next++] = s.minutesToMeal === null ? 1 : s.minutesToMeal / horizon;
  }
  if (layout.residual) out[next++] = basalRelativeOutput(s.controllerUPerHour / (basal * 60), s.authority);
  if (layout.therapy) {
    // Centred for the 30 patients: ln(CF x basal / 100) spans -2.7..-1.0, ln(CR x basal / 10) -1.5..1.1.
    out[next++] = Math.log((s.CF * basal * 60) / 100) + 2;
    out[next] = Math.log((s.CR * basal * 60) / 10);
  }
}

/** Clamps `obs` into [lo, hi] elementwise (float32 rounding, or the IOB's running sums, may step just past a bound). */
export function clampObservation(obs: Float32Array, lo: Float32Array, hi: Float32Array): void {
  for (let i = 0; i < obs.length; i++) {
    const v = obs[i] as number;
    if (v < (lo[i] as number)) obs[i] = lo[i] as number;
    else if (v > (hi[i] as number)) obs[i] = hi[i] as number;
  }
}
