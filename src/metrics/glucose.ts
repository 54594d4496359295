/**
 * Clinical glucose metrics for CGM-style traces (all glucose values in mg/dL).
 *
 * Sources:
 * - Time in ranges: International Consensus on Time in Range, Battelino et al., Diabetes Care
 *   2019;42(8):1593-1603. TIR = 70-180 mg/dL inclusive; TBR < 70 and < 54; TAR > 180 and > 250;
 *   each the percentage of readings.
 * - GMI: Bergenstal et al., Diabetes Care 2018;41:2275: GMI (%) = 3.31 + 0.02392 * mean (mg/dL).
 * - Risk: Kovatchev et al., Diabetes Care 1997;20(11):1655 (and LBGI/HBGI 1998/2006):
 *   f(BG) = 1.509 * ((ln BG)^1.084 - 5.381), r = 10 f^2; the low part counts where f < 0, the
 *   high part where f > 0. LBGI / HBGI are means over ALL readings (a reading contributes 0 to the
 *   side it is not on), RI = LBGI + HBGI. Like simglucose (risk.py), a reading <= 20 mg/dL scores
 *   (100, 0, 100) and >= 600 mg/dL scores (0, 100, 100), so the risk is bounded in [0, 100].
 *   (simglucose's `risk_index` helper averages rl over the low readings only; with its horizon of 1
 *   that is the same number, over a trace it is not; we use the published definition.)
 * - CVGA: Magni et al., J Diabetes Sci Technol 2008;2(4):630-635. See `cvgaZone`.
 * - Hypoglycaemia events: see `hypoglycaemiaEvents` (Danne et al. 2017; Battelino et al. 2023).
 * - TIR over the planned horizon: see `tirPlannedPercent` (a DoseGym metric that makes deaths count).
 * - SD is the sample standard deviation (divide by n - 1, as pandas and R do); CV = SD / mean in %.
 */

/** Kovatchev's symmetrising transform f(BG); zero at about 112.5 mg/dL. */
export function riskTransform(bgMgDl: number): number {
  return 1.509 * (Math.pow(Math.log(bgMgDl), 1.084) - 5.381);
}

/** Glucose below/at which (and above/at which) the risk is capped at 100, as simglucose does. */
export const RISK_MIN_BG_MG_DL = 20;
export const RISK_MAX_BG_MG_DL = 600;

export interface RiskComponents {
  /** Low-glucose risk of this reading (0 when BG is above the f = 0 point). */
  low: number;
  /** High-glucose risk of this reading (0 when BG is below the f = 0 point). */
  high: number;
  /** low + high = 10 f(BG)^2, in [0, 100]. */
  risk: number;
}

/** Per-reading Kovatchev risk with simglucose's cap (BG <= 20 -> low 100, BG >= 600 -> high 100). */
export function riskComponents(bgMgDl: number): RiskComponents {
  if (!(bgMgDl > RISK_MIN_BG_MG_DL)) return { low: 100, high: 0, risk: 100 }; // also NaN -> worst low
  if (bgMgDl >= RISK_MAX_BG_MG_DL) return { low: 0, high: 100, risk: 100 };
  const f = riskTransform(bgMgDl);
  const r = 10 * f * f;
  return f < 0 ? { low: r, high: 0, risk: r } : { low: 0, high: r, risk: r };
}

/** Per-reading risk 10 f(BG)^2 in [0, 100] (capped as in `riskComponents`); allocation-free. */
export function risk(bgMgDl: number): number {
  if (!(bgMgDl > RISK_MIN_BG_MG_DL) || bgMgDl >= RISK_MAX_BG_MG_DL) return 100;
  const f = riskTransform(bgMgDl);
  return 10 * f * f;
}

/**
 * CVGA zones (control-variability grid analysis, Magni et al., J Diabetes Sci Technol
 * 2008;2(4):630-635). Each patient is one point (min BG, max BG) over the evaluation period, on a
 * 3 x 3 grid whose lines are min BG 90 and 70 mg/dL and max BG 180 and 300 mg/dL:
 *
 *   max BG \ min BG   |  >= 90    | 70 - 90   | < 70
 *   ------------------+-----------+-----------+---------
 *   > 300             | Upper C   | Upper D   | E
 *   180 - 300         | Upper B   | B         | Lower D
 *   <= 180            | A         | Lower B   | Lower C
 *
 * A: accurate control; Lower / Upper B: benign deviations into hypo- / hyperglycaemia; B: benign
 * control deviations; Lower C: over-correction of hyperglycaemia; Upper C: over-correction of
 * hypoglycaemia; Lower / Upper D: failure to deal with hypo- / hyperglycaemia; E: erroneous control.
 *
 * The paper draws the zones between these lines; which side a value ON a line belongs to is
 * DoseGym's rule, stated here: a value on a line belongs to the BETTER zone, i.e.
 *   min BG: 90 is in the left column (min >= 90), 70 in the middle one (70 <= min < 90);
 *   max BG: 180 is in the bottom row (max <= 180), 300 in the middle one (180 < max <= 300).
 * This follows the international consensus on time in range (Battelino et al., Diabetes Care
 * 2019;42(8):1593-1603) that TIR below uses, where 70 and 180 mg/dL are in range: a minimum of
 * exactly 70 (no reading below range) is in the middle column, not in the hypoglycaemia column
 * (C, D, E), and a maximum of exactly 180 (no reading above range) is in the bottom row; the 90
 * and 300 lines follow the same rule. The chart's outer limits (min 50, max 400 mg/dL) only clip
 * where a point is drawn (src/report/charts/cvga.ts) and do not change the zone.
 */
export type CvgaZone = 'A' | 'Lower B' | 'Upper B' | 'B' | 'Lower C' | 'Upper C' | 'Lower D' | 'Upper D' | 'E';

/** Grid lines of the CVGA (mg/dL). */
export const CVGA_MIN_LINES = [90, 70] as const;
export const CVGA_MAX_LINES = [180, 300] as const;

const CVGA_GRID: readonly (readonly CvgaZone[])[] = [
  // rows: max band 0 (<= 180), 1 (180-300], 2 (> 300); columns: min band 0 (>= 90), 1 [70, 90), 2 (< 70)
  ['A', 'Lower B', 'Lower C'],
  ['Upper B', 'B', 'Lower D'],
  ['Upper C', 'Upper D', 'E'],
];

export function cvgaZone(minBgMgDl: number, maxBgMgDl: number): CvgaZone {
  if (Number.isNaN(minBgMgDl) || Number.isNaN(maxBgMgDl)) throw new RangeError('cvgaZone: BG is NaN');
  if (minBgMgDl > maxBgMgDl) throw new RangeError(`cvgaZone: min BG ${minBgMgDl} > max BG ${maxBgMgDl}`);
  const col = minBgMgDl >= CVGA_MIN_LINES[0] ? 0 : minBgMgDl >= CVGA_MIN_LINES[1] ? 1 : 2;
  const row = maxBgMgDl <= CVGA_MAX_LINES[0] ? 0 : maxBgMgDl <= CVGA_MAX_LINES[1] ? 1 : 2;
  return (CVGA_GRID[row] as readonly CvgaZone[])[col] as CvgaZone;
}

export interface GlucoseMetrics {
  /** Number of readings. */
  n: number;
  meanMgDl: number;
  /** Sample SD (n - 1); 0 for a single reading. */
  sdMgDl: number;
  /** Coefficient of variation SD / mean, in percent. */
  cvPercent: number;
  minMgDl: number;
  maxMgDl: number;
  /** Percent of readings with 70 <= BG <= 180. */
  tirPercent: number;
  /** Percent of readings < 70 (levels 1 + 2). */
  tbr70Percent: number;
  /** Percent of readings < 54 (level 2). */
  tbr54Percent: number;
  /** Percent of readings > 180 (levels 1 + 2). */
  tar180Percent: number;
  /** Percent of readings > 250 (level 2). */
  tar250Percent: number;
  /** Glucose management indicator, percent (HbA1c-like). */
  gmiPercent: number;
  lbgi: number;
  hbgi: number;
  /** LBGI + HBGI. */
  riskIndex: number;
  cvgaZone: CvgaZone;
}

/** Glucose management indicator (%) from the mean glucose in mg/dL. */
export function gmiPercent(meanMgDl: number): number {
  return 3.31 + 0.02392 * meanMgDl;
}

/** All metrics of one trace (at least one reading; NaN readings are rejected). */
export function glucoseMetrics(bgMgDl: ArrayLike<number>): GlucoseMetrics {
  const n = bgMgDl.length;
  if (n === 0) throw new RangeError('glucoseMetrics: no readings');
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  let inRange = 0;
  let below70 = 0;
  let below54 = 0;
  let above180 = 0;
  let above250 = 0;
  let low = 0;
  let high = 0;
  for (let i = 0; i < n; i++) {
    const g = bgMgDl[i] as number;
    if (Number.isNaN(g)) throw new RangeError(`glucoseMetrics: reading ${i} is NaN`);
    sum += g;
    if (g < min) min = g;
    if (g > max) max = g;
    if (g >= 70 && g <= 180) inRange++;
    if (g < 70) below70++;
    if (g < 54) below54++;
    if (g > 180) above180++;
    if (g > 250) above250++;
    const rc = riskComponents(g);
    low += rc.low;
    high += rc.high;
  }
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = (bgMgDl[i] as number) - mean;
    ss += d * d;
  }
  const sd = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
  const pct = (k: number): number => (100 * k) / n;
  return {
    n,
    meanMgDl: mean,
    sdMgDl: sd,
    cvPercent: (100 * sd) / mean,
    minMgDl: min,
    maxMgDl: max,
    tirPercent: pct(inRange),
    tbr70Percent: pct(below70),
    tbr54Percent: pct(below54),
    tar180Percent: pct(above180),
    tar250Percent: pct(above250),
    gmiPercent: gmiPercent(mean),
    lbgi: low / n,
    hbgi: high / n,
    riskIndex: (low + high) / n,
    cvgaZone: cvgaZone(min, max),
  };
}

/**
 * Level 2 hypoglycaemia, the international consensus's clinically significant level (Danne et al.,
 * Diabetes Care 2017;40(12):1631-1640; Battelino et al., Diabetes Care 2019;42(8):1593-1603).
 */
export const LEVEL2_HYPO_BELOW_MG_DL = 54;
/** Minutes an event must last to count, and minutes at or above the threshold that end it. */
export const HYPO_EVENT_MIN_MINUTES = 15;
export const HYPO_EVENT_END_MINUTES = 15;
export const MINUTES_PER_WEEK = 7 * 1440;

export interface HypoEventOptions {
  /** An event is glucose strictly below this (mg/dL); default 54 (level 2). */
  belowMgDl?: number;
  /** Consecutive minutes below the threshold that make an event (default 15). */
  minMinutes?: number;
  /** Consecutive minutes at or above the threshold that end it (default 15). */
  endMinutes?: number;
}

/**
 * Number of CGM-style hypoglycaemia events in a regularly sampled trace, by the consensus event
 * definition: an event begins with at least 15 consecutive minutes below the threshold and ends with
 * at least 15 consecutive minutes at or above it (the 15-minute CGM event of Danne et al. 2017;
 * level 2, < 54 mg/dL, with this beginning and end in Battelino et al., Lancet Diabetes Endocrinol
 * 2023;11(1):42-57). A dip that recovers for less than 15 minutes and falls again is the same event.
 *
 * Durations count readings: each reading stands for the `sampleMinutes` interval it was taken in,
 * so k consecutive readings last k x sampleMinutes (as iglu's `episode_calculation` does); 15
 * minutes are 15 readings at 1 min, 5 at 3 min, 3 at 5 min. A run of 14 one-minute readings is not
 * an event. A sample time that does not divide 15 minutes rounds the needed readings up.
 */
export function hypoglycaemiaEvents(bgMgDl: ArrayLike<number>, sampleMinutes: number, options: HypoEventOptions = {}): number {
  if (!(sampleMinutes > 0)) throw new RangeError(`hypoglycaemiaEvents: sampleMinutes must be > 0, got ${sampleMinutes}`);
  const below = options.belowMgDl ?? LEVEL2_HYPO_BELOW_MG_DL;
  const startReadings = Math.ceil((options.minMinutes ?? HYPO_EVENT_MIN_MINUTES) / sampleMinutes - 1e-9);
  const endReadings = Math.ceil((options.endMinutes ?? HYPO_EVENT_END_MINUTES) / sampleMinutes - 1e-9);
  let events = 0;
  let inEvent = false;
  let runBelow = 0;
  let runAbove = 0;
  for (let i = 0; i < bgMgDl.length; i++) {
    const g = bgMgDl[i] as number;
    if (Number.isNaN(g)) throw new RangeError(`hypoglycaemiaEvents: reading ${i} is NaN`);
    if (g < below) {
      runBelow++;
      runAbove = 0;
      if (!inEvent && runBelow >= startReadings) {
        events++;
        inEvent = true;
      }
    } else {
      runAbove++;
      runBelow = 0;
      if (inEvent && runAbove >= endReadings) inEvent = false;
    }
  }
  return events;
}

/** Events per patient-week of observed time (readings x sampleMinutes). */
export function eventsPerWeek(events: number, observedMinutes: number): number {
  if (!(observedMinutes > 0)) throw new RangeError(`eventsPerWeek: observed time must be > 0 minutes, got ${observedMinutes}`);
  return (events * MINUTES_PER_WEEK) / observedMinutes;
}

/**
 * Percent of the PLANNED horizon spent in 70-180 mg/dL: readings in range over the readings the
 * full episode would have had (one per step). Time after a termination has no reading and counts
 * as out of range, so a patient who dies at 11 h of a day scores at most 46 %, while `tir` (percent
 * of the readings taken) can still be 100 %.
 */
export function tirPlannedPercent(bgMgDl: ArrayLike<number>, plannedReadings: number): number {
  if (!(Number.isInteger(plannedReadings) && plannedReadings >= bgMgDl.length && plannedReadings > 0)) {
    throw new RangeError(`tirPlannedPercent: planned readings must be an integer >= the ${bgMgDl.length} readings taken, got ${plannedReadings}`);
  }
  let inRange = 0;
  for (let i = 0; i < bgMgDl.length; i++) {
    const g = bgMgDl[i] as number;
    if (g >= 70 && g <= 180) inRange++;
  }
  return (100 * inRange) / plannedReadings;
}
