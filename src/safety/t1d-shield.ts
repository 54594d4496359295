/**
 * Insulin shield for T1D-v0 (rates in U/h). Before each step the allowed rate is the minimum of:
 *
 * - low-glucose suspend (`low-cgm`): 0 while the latest CGM < `suspendBelowMgDl` (default 80);
 * - predictive low-glucose suspend (`predicted-low`): 0 when the CGM trend, a least-squares line
 *   through the readings of the last `trendWindowMin` minutes (default 30, including the latest),
 *   evaluated `predictionHorizonMin` (default 30) minutes after the latest reading, is below
 *   `predictiveBelowMgDl` (default 80). Needs two readings at different minutes, so the first
 *   step of an episode uses the threshold rule only. This is the logic of commercial predictive
 *   low-glucose management (e.g. Medtronic SmartGuard: suspend when the sensor value is predicted to
 *   approach the low limit within 30 min; Abraham et al., Diabetes Care 41(2):303-310, 2018),
 *   simplified to a linear extrapolation;
 * - with `allowAnnouncedBolus` (default false): at a step in which the patient announces a meal
 *   (info.mealGrams > 0, the clinic's estimate under a therapy protocol) to a controller that is
 *   told of meals (info.controllerToldOfMeals, T1D-v0's option: basal-bolus, a residual on it, a
 *   policy observing announcements; not PID or a closed-loop policy), the two suspend rules cap
 *   the rate at that meal's bolus (grams / the clinic's CR, delivered over the step) instead of 0.
 *   Commercial low-glucose suspend stops basal delivery, not the boluses a patient gives for a
 *   meal (e.g. Medtronic SmartGuard; Abraham et al. 2018): in T1D-v0 basal and bolus share one
 *   channel, so without this rule a predicted low at meal time drops the bolus (it is not deferred)
 *   and the meal then drives glucose high. The IOB cap also lets the bolus through, on top of
 *   whatever room it leaves (open-source closed loops bound the insulin the algorithm adds with a
 *   maximum IOB, not the boluses the patient gives: OpenAPS's `max_iob`, oref0 documentation): the
 *   bolus still counts in the IOB after it, so automated insulin waits until the IOB is back under
 *   the cap. The rate cap still applies;
 * - maximum rate (`max-rate`): `maxRateUnitsPerHour` and/or `maxRateBasalMultiple` x the patient's
 *   basal rate (info.patientBasalUPerMin x 60);
 * - maximum insulin on board (`max-iob`): the rate is capped so that the shield's IOB estimate
 *   AFTER the step is <= `maxIobUnits` and/or `maxIobBasalMultiple` x the steady-state basal IOB.
 *
 * IOB estimate (kept here from info.insulin, the U actually delivered in each step, with T1D-v0's own
 * insulin-on-board curve, envs/glucose/insulin-on-board.ts): a dose delivered `a` steps before the
 * latest one counts with weight max(0, 1 - a Δ / D), Δ = step minutes (info.sampleTimeMin),
 * D = `iobDurationMin` (default 240, linear decay over 4 h). So after the coming step of rate r [U/min]:
 *   IOB' = r Δ + Σ_{a >= 0} dose_a · w(a + 1),   and   r <= (maxIob - Σ dose_a · w(a + 1)) / Δ.
 * When the insulin already on board exceeds the cap (e.g. a cap below the steady-state basal IOB
 * at reset), no step can meet it: the shield then suspends insulin until IOB has decayed to the cap.
 * At reset the history is filled with steady basal doses (the env starts at the basal steady state),
 * so the initial IOB is basal x Δ x Σ_a w(a) (= 1 x the steady-state basal IOB).
 *
 * Every T1D-v0 action mode is shielded: the commanded rate is read with the env's own mapping
 * (envs/glucose/action-modes.ts `commandedUnitsPerHour`), and a capped action is written back in the
 * same mode (continuous: the rate; discrete: the highest level not above the cap; basal-relative and
 * residual: the output, rounded down, whose rate is not above the cap; -1 always commands 0 U/h).
 *
 * Limits apply to the COMMANDED rate; T1D-v0's pump rounds it to its 0.05 pmol/min increment
 * (at most 4.2e-6 U/min more), so delivered insulin and the IOB estimate may exceed a cap by that
 * rounding only. A zero rate is delivered exactly.
 *
 * The info record adds `cgm`, `predictedCgm` (mg/dL, null when no trend) and `iobUnits` (the IOB
 * estimate at the decision, before the step) to the common fields.
 *
 * Rate and IOB caps are off by default: in T1D-v0 meal boluses go through the same rate channel, so
 * sensible caps are patient- and policy-specific (set them per experiment). The (predictive)
 * suspend is on by default.
 */
import { UserError } from '../core/errors.ts';
import type { Action, Env, Info, Observation } from '../core/env.ts';
import { Box } from '../core/spaces.ts';
import { InsulinOnBoard } from '../../envs/glucose/insulin-on-board.ts';
import { basalRelativeOutput, commandedUnitsPerHour, residualOutputForRate, type ActionMeaning } from '../../envs/glucose/action-modes.ts';
import { infoFlag } from '../core/info.ts';
import { Shield, float32AtMost, infoNumber, type ShieldLimit } from './shield-base.ts';

export interface T1DShieldConfig {
  /** Suspend insulin while CGM < this [mg/dL]; null disables. */
  suspendBelowMgDl: number | null;
  /** Suspend when the projected CGM is below this [mg/dL]; null disables the predictive rule. */
  predictiveBelowMgDl: number | null;
  /** How far ahead the trend is projected [min]. */
  predictionHorizonMin: number;
  /** Readings of the last this many minutes enter the trend [min]. */
  trendWindowMin: number;
  /** Maximum rate [U/h]; null = none. */
  maxRateUnitsPerHour: number | null;
  /** Maximum rate as a multiple of the patient's basal rate; null = none. */
  maxRateBasalMultiple: number | null;
  /** Maximum insulin on board after a step [U]; null = none. */
  maxIobUnits: number | null;
  /** Maximum IOB as a multiple of the steady-state basal IOB; null = none. */
  maxIobBasalMultiple: number | null;
  /** Duration of the linear IOB decay [min]. */
  iobDurationMin: number;
  /** Let an announced meal's bolus (grams / CR) through the suspend rules (see the header). */
  allowAnnouncedBolus: boolean;
}

export const T1D_SHIELD_DEFAULTS: Readonly<T1DShieldConfig> = Object.freeze({
  suspendBelowMgDl: 80,
  predictiveBelowMgDl: 80,
  predictionHorizonMin: 30,
  trendWindowMin: 30,
  maxRateUnitsPerHour: null,
  maxRateBasalMultiple: null,
  maxIobUnits: null,
  maxIobBasalMultiple: null,
  iobDurationMin: 240,
  allowAnnouncedBolus: false,
});

/** Reasons a T1D shield records. */
export const T1D_REASONS = ['low-cgm', 'predicted-low', 'max-rate', 'max-iob'] as const;

const WHO = 'T1D shield';

/** Least-squares line through (t, g), evaluated at `at`; undefined without two distinct times. */
export function linearProjection(points: ReadonlyArray<{ minute: number; cgm: number }>, at: number): number | undefined {
  const n = points.length;
  if (n < 2) return undefined;
  let tm = 0;
  let gm = 0;
  for (const p of points) {
    tm += p.minute;
    gm += p.cgm;
  }
  tm /= n;
  gm /= n;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    sxx += (p.minute - tm) ** 2;
    sxy += (p.minute - tm) * (p.cgm - gm);
  }
  if (!(sxx > 0)) return undefined;
  return gm + (sxy / sxx) * (at - tm);
}

export class T1DShield extends Shield {
  readonly unit = 'U/h';
  readonly config: Readonly<T1DShieldConfig>;
  private readings: Array<{ minute: number; cgm: number }> = [];
  /** Delivered insulin per step [U] on the IOB curve; made at each reset (the step length comes from the info). */
  private iob: InsulinOnBoard | undefined;
  private cgm = NaN;
  /** The announced meal bolus of the coming step [U/h] (0 without an announcement or the rule). */
  private announcedBolusUPerHour = 0;
  private minute = 0;
  private sampleTimeMin = 1;
  private basalUPerMin = 0;
  private levelsUPerHour: readonly number[] = [];
  /** What an action means for the coming step (T1D-v0's latest info). */
  private meaning: ActionMeaning = { actionKind: 'continuous', patientBasalUPerMin: 0 };

  constructor(env: Env<Observation, Action>, config: Partial<T1DShieldConfig> = {}) {
    super(env);
    this.config = Object.freeze({ ...T1D_SHIELD_DEFAULTS, ...config });
  }

  /** The shield's current IOB estimate [U] (the latest step's dose at weight 1; 0 before a reset). */
  get iobUnits(): number {
    return this.iob?.unitsAged(0) ?? 0;
  }

  /** IOB at steady basal delivery [U]. */
  get steadyStateIobUnits(): number {
    return this.iob?.steadyStateUnits(this.basalUPerMin * this.sampleTimeMin) ?? 0;
  }

  /** CGM projected `predictionHorizonMin` ahead from the recent trend, or undefined. */
  get predictedCgmMgDl(): number | undefined {
    return linearProjection(this.readings, this.minute + this.config.predictionHorizonMin);
  }

  protected observe(info: Info, atReset: boolean): void {
    this.meaning = info as unknown as ActionMeaning;
    this.cgm = infoNumber(info, 'cgm', WHO);
    // Only a controller told of the meal gives its bolus: for one that is not (PID, a policy in
    // closed loop) the announcement is not information it acts on, and letting insulin through at
    // that step would hand it the meal it was not told of.
    if (this.config.allowAnnouncedBolus && infoFlag(info, 'controllerToldOfMeals', WHO)) {
      const grams = infoNumber(info, 'mealGrams', WHO);
      this.announcedBolusUPerHour = grams > 0 ? (grams / infoNumber(info, 'CR', WHO) / infoNumber(info, 'sampleTimeMin', WHO)) * 60 : 0;
    }
    this.minute = infoNumber(info, 'minute', WHO);
    if (atReset) {
      this.sampleTimeMin = infoNumber(info, 'sampleTimeMin', WHO);
      this.basalUPerMin = infoNumber(info, 'patientBasalUPerMin', WHO);
      this.checkActionSpace(info);
      this.readings = [];
      this.iob = new InsulinOnBoard(this.sampleTimeMin, this.config.iobDurationMin);
      this.iob.fill(this.basalUPerMin * this.sampleTimeMin);
    } else {
      this.iob?.push(infoNumber(info, 'insulin', WHO));
    }
    this.readings.push({ minute: this.minute, cgm: this.cgm });
    const from = this.minute - this.config.trendWindowMin;
    while (this.readings.length > 0 && (this.readings[0] as { minute: number }).minute < from) this.readings.shift();
  }

  /** The shield reads doses in U/h through T1D-v0's action modes; any other Box is refused. */
  private checkActionSpace(info: Info): void {
    const space = this.env.actionSpace;
    const kind = info['actionKind'];
    if (space instanceof Box) {
      if (kind === 'basal-relative' || kind === 'residual') {
        if (space.low[0] !== -1 || space.high[0] !== 1) throw new UserError(`shield: ${this.metadata.id} ${kind} action space ${space.toString()} is not Box(-1, 1)`);
      } else {
        const max = infoNumber(info, 'actionMaxUnitsPerHour', WHO);
        if (kind !== 'continuous' || space.low[0] !== 0 || Math.abs((space.high[0] as number) - max) > 1e-6 * max) {
          throw new UserError(`shield: ${this.metadata.id} action space ${space.toString()} is not a T1D-v0 action mode (insulin rate in U/h [0, ${max}], basal-relative or residual)`);
        }
      }
      this.levelsUPerHour = [];
    } else {
      const levels = info['actionLevelsUnitsPerHour'];
      if (!Array.isArray(levels) || levels.length !== space.n || levels.some((v) => typeof v !== 'number')) {
        throw new UserError(`shield: ${this.metadata.id} is discrete but its info has no actionLevelsUnitsPerHour for ${space.n} levels`);
      }
      if (!levels.some((v: number) => v <= 0)) {
        throw new UserError(`shield: ${this.metadata.id} discreteLevels must include 0 so the shield can suspend insulin; got ${levels.join(', ')} U/h`);
      }
      this.levelsUPerHour = [...(levels as number[])];
    }
  }

  protected doseOf(action: Action): number {
    if (typeof action === 'number') return this.levelsUPerHour[action] as number;
    return commandedUnitsPerHour(action as Float32Array, this.meaning);
  }

  /** In the patient-relative modes, the largest output (float32, rounded down) whose rate is <= cap. */
  protected override actionAtMost(cap: number): { action: Action; applied: number } {
    const m = this.meaning;
    if (m.actionKind !== 'basal-relative' && m.actionKind !== 'residual') return super.actionAtMost(cap);
    const basalUPerHour = m.patientBasalUPerMin * 60;
    const authority = m.authorityBasalMultiple as number;
    const exact = m.actionKind === 'basal-relative' ? basalRelativeOutput(cap / basalUPerHour, authority) : residualOutputForRate(cap, m.controllerUnitsPerHour as number, basalUPerHour, authority);
    const out = new Float32Array([Math.max(-1, float32AtMost(exact))]);
    // The float32 output may still command a hair more than the cap (rounding in A^a): step down.
    for (let i = 0; i < 64 && (out[0] as number) > -1 && commandedUnitsPerHour(out, m) > cap; i++) out[0] = float32AtMost((out[0] as number) - Number.EPSILON * 8);
    if (commandedUnitsPerHour(out, m) > cap) out[0] = -1;
    return { action: out, applied: commandedUnitsPerHour(out, m) };
  }

  protected levels(): readonly number[] {
    return this.levelsUPerHour;
  }

  protected limit(): ShieldLimit {
    const c = this.config;
    const rules: ShieldLimit['rules'] = [];
    const suspendCap = this.announcedBolusUPerHour; // 0 unless allowAnnouncedBolus and a meal is announced
    if (c.suspendBelowMgDl !== null && this.cgm < c.suspendBelowMgDl) rules.push({ reason: 'low-cgm', cap: suspendCap });
    const predicted = c.predictiveBelowMgDl !== null ? this.predictedCgmMgDl : undefined;
    if (predicted !== undefined && c.predictiveBelowMgDl !== null && predicted < c.predictiveBelowMgDl) rules.push({ reason: 'predicted-low', cap: suspendCap });
    const basalUPerHour = this.basalUPerMin * 60;
    const rateCaps = [c.maxRateUnitsPerHour, c.maxRateBasalMultiple === null ? null : c.maxRateBasalMultiple * basalUPerHour].filter((v): v is number => v !== null);
    if (rateCaps.length > 0) rules.push({ reason: 'max-rate', cap: Math.min(...rateCaps) });
    const maxIob = this.maxIobUnits;
    let iobCapUPerHour: number | undefined;
    if (maxIob !== undefined) {
      const carried = this.iob?.unitsAged(1) ?? 0; // the current doses one step older, after the coming step
      // An announced meal bolus passes on top of the room left (0 unless allowAnnouncedBolus; see the header).
      iobCapUPerHour = (Math.max(0, maxIob - carried) / this.sampleTimeMin) * 60 + this.announcedBolusUPerHour;
      rules.push({ reason: 'max-iob', cap: iobCapUPerHour });
    }
    const cap = rules.reduce((m, r) => Math.min(m, r.cap), Infinity);
    return { cap, rules, extra: { cgm: this.cgm, predictedCgm: predicted ?? null, iobUnits: this.iobUnits } };
  }

  /** The effective IOB limit [U], or undefined when none is set. */
  get maxIobUnits(): number | undefined {
    const c = this.config;
    const caps = [c.maxIobUnits, c.maxIobBasalMultiple === null ? null : c.maxIobBasalMultiple * this.steadyStateIobUnits].filter((v): v is number => v !== null);
    return caps.length > 0 ? Math.min(...caps) : undefined;
  }
}
