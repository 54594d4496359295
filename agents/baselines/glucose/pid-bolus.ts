/**
 * PID with meal boluses: a hybrid closed loop, as today's commercial systems work (the controller
 * sets the basal rate from CGM; the patient boluses for announced meals).
 *
 *   rate [U/min] = bolus of basal-bolus for an announced meal (grams / CR + correction, basal-bolus.ts)
 *                + PID's rate (pid.ts: basal + Kp e + Ki \int e + Kd de/dt, same per-patient gains),
 *                  held at most at basal for `holdAfterBolusMin` minutes after each announced bolus.
 *
 * Why the hold: after a meal bolus glucose rises while the bolus is still acting, and a PID that
 * answers that rise stacks insulin on the bolus (the classic failure of adding a bolus to a
 * feedback loop; commercial systems limit the loop by insulin on board). The hold lets the PID
 * suspend below its threshold and reduce basal at any time, but not add insulin until the bolus has
 * mostly acted. A meal eaten without a bolus (missed bolus) starts no hold: the PID corrects it as in
 * closed loop. Its integral keeps integrating during the hold, so a bolus that was too small is
 * corrected when the hold ends.
 *
 * With `subtractPidIob` the meal bolus is reduced by the insulin the PID delivered above basal that
 * is still on board (linear 4-hour curve, envs/glucose/insulin-on-board.ts), as a pump's bolus
 * calculator subtracts active insulin (floored at 0). Why: on adult#009 the PID's extra insulin
 * between meals holds glucose 25-35 mg/dL below basal-bolus's, and the evening bolus on top of it
 * ends 4 % of its days below 40 mg/dL, where basal-bolus and PID alone end none
 * (docs/t1d-research-notes.md). Off by default (every reported pid-bolus result is without it).
 *
 * The default hold (120 min) was chosen among 0, 120 and 180 min on days that no reported or
 * validation result uses (env seeds 9000-9209 and 19000-19909, 10 adults and 10 adolescents,
 * the hybrid configs' therapy errors): without a hold the loop adds 0.2-2.4 points of time below
 * 70 mg/dL and, on adolescents, 13 terminated days of 100; 180 min gives back about 1 point of
 * TIR against 120 (BENCHMARKS.md, "pid-bolus").
 */
import { z } from 'zod';
import { IOB_DURATION_MIN, InsulinOnBoard } from '../../../envs/glucose/insulin-on-board.ts';
import type { Info } from '../../../src/core/env.ts';
import type { Policy } from '../../../src/core/policy.ts';
import { mealBolusUnits, BasalBolusController } from './basal-bolus.ts';
import { PidController, PidPolicy, pidOptionsSchema, type PidOptions } from './pid.ts';
import { baselineInfo, envAction, nonNegativeMinutes, therapyFromInfo, type InsulinRates, type MinuteController, type MinuteInput, type TherapyParams } from './common.ts';

export interface PidBolusOptions extends PidOptions {
  /** Minutes after an announced meal bolus during which the PID may not deliver more than basal. */
  holdAfterBolusMin?: number;
  /** Subtract the PID's above-basal insulin still on board from each meal bolus (default false). */
  subtractPidIob?: boolean;
}

/** The options as a config gives them: the PID's, the hold and the bolus's IOB rule. */
export const pidBolusOptionsSchema = pidOptionsSchema.extend({
  holdAfterBolusMin: nonNegativeMinutes.optional(),
  subtractPidIob: z.boolean({ error: 'expected true or false' }).optional(),
}) satisfies z.ZodType<PidBolusOptions>;

export const PID_BOLUS_DEFAULTS = { holdAfterBolusMin: 120 };

/** The PID's rate [U/min], capped at basal while a bolus hold is running. */
export function heldPidRate(pidUPerMin: number, basalUPerMin: number, minutesSinceBolus: number, holdMin: number): number {
  return minutesSinceBolus < holdMin && pidUPerMin > basalUPerMin ? basalUPerMin : pidUPerMin;
}

/** The PID's own options (all but the hold and the bolus's IOB rule). */
export function pidOptions(options: PidBolusOptions): PidOptions {
  const { holdAfterBolusMin: _hold, subtractPidIob: _iob, ...pid } = options;
  return pid;
}

/**
 * The PID's above-basal insulin on board, for `subtractPidIob`: one dose per decision step of
 * `stepMin` minutes on the linear 4-hour curve.
 */
export class PidExtraInsulin {
  private iob: InsulinOnBoard | undefined;

  reset(): void {
    this.iob = undefined;
  }

  /** The meal bolus [U] less the PID's extra insulin on board, at least 0. */
  bolus(units: number): number {
    return Math.max(0, units - (this.iob?.units ?? 0));
  }

  /** Record a step of `stepMin` minutes at the PID's rate [U/min] against basal [U/min]. */
  record(pidUPerMin: number, basalUPerMin: number, stepMin: number): void {
    this.iob ??= new InsulinOnBoard(stepMin, IOB_DURATION_MIN);
    this.iob.push(Math.max(0, pidUPerMin - basalUPerMin) * stepMin);
  }
}

/** The hold [min] of these options (the default when unset), checked. */
export function holdMinutes(options: PidBolusOptions): number {
  const hold = options.holdAfterBolusMin ?? PID_BOLUS_DEFAULTS.holdAfterBolusMin;
  if (!(hold >= 0 && Number.isFinite(hold))) throw new RangeError(`pid-bolus: holdAfterBolusMin must be a number of minutes >= 0, got ${hold}`);
  return hold;
}

/** Minute controller (`dosegym simulate`): basal-bolus's bolus (at most the pump's limit per minute) + the held PID. */
export class PidBolusController implements MinuteController {
  readonly name = 'pid-bolus';
  private readonly bolus: BasalBolusController;
  private readonly pid: PidController;
  private readonly holdMin: number;
  private lastBolusMinute = -Infinity;
  private readonly extra: PidExtraInsulin | undefined;

  constructor(
    private readonly therapy: TherapyParams,
    options: PidBolusOptions = {},
    maxBolusUPerMin = Infinity,
  ) {
    this.holdMin = holdMinutes(options);
    this.extra = options.subtractPidIob === true ? new PidExtraInsulin() : undefined;
    const extra = this.extra;
    this.bolus = new BasalBolusController(therapy, {}, maxBolusUPerMin, extra === undefined ? undefined : (units: number) => extra.bolus(units));
    this.pid = new PidController(therapy, pidOptions(options));
  }

  reset(): void {
    this.bolus.reset();
    this.pid.reset();
    this.extra?.reset();
    this.lastBolusMinute = -Infinity;
  }

  insulin(input: MinuteInput): InsulinRates {
    if (input.mealGrams > 0) this.lastBolusMinute = input.minute;
    const { bolusUPerMin } = this.bolus.insulin(input);
    const { basalUPerMin: pid } = this.pid.insulin(input);
    const held = heldPidRate(pid, this.therapy.basalUPerMin, input.minute - this.lastBolusMinute, this.holdMin);
    this.extra?.record(held, this.therapy.basalUPerMin, 1);
    return { basalUPerMin: held, bolusUPerMin };
  }
}

/** T1D-v0 policy: the bolus spread over the env step in which the announced meal starts, as BasalBolusPolicy. */
export class PidBolusPolicy implements Policy<unknown, Float32Array | number> {
  readonly name = 'pid-bolus';
  private readonly pid: PidPolicy;
  private readonly holdMin: number;
  private lastBolusMinute = -Infinity;
  private lastMinute = Number.NaN;
  private readonly extra: PidExtraInsulin | undefined;

  constructor(options: PidBolusOptions = {}) {
    this.holdMin = holdMinutes(options);
    this.pid = new PidPolicy(pidOptions(options));
    this.extra = options.subtractPidIob === true ? new PidExtraInsulin() : undefined;
  }

  reset(): void {
    this.pid.reset();
    this.extra?.reset();
    this.lastBolusMinute = -Infinity;
    this.lastMinute = Number.NaN;
  }

  act(_observation: unknown, context: { deterministic: boolean; info: Info }): Float32Array | number {
    const b = baselineInfo(context.info);
    // A new episode (minute went back) without reset(): no bolus is running (PidPolicy restarts itself).
    if (!Number.isNaN(this.lastMinute) && b.minute <= this.lastMinute) {
      this.lastBolusMinute = -Infinity;
      this.extra?.reset();
    }
    this.lastMinute = b.minute;
    const therapy = therapyFromInfo(b);
    let bolusUPerMin = 0;
    if (b.mealGrams > 0) {
      this.lastBolusMinute = b.minute;
      const units = mealBolusUnits(b.mealGrams, b.cgm, therapy);
      bolusUPerMin = (this.extra === undefined ? units : this.extra.bolus(units)) / b.sampleTimeMin;
    }
    const held = heldPidRate(this.pid.rateUPerMin(b), therapy.basalUPerMin, b.minute - this.lastBolusMinute, this.holdMin);
    this.extra?.record(held, therapy.basalUPerMin, b.sampleTimeMin);
    return envAction(bolusUPerMin + held, b);
  }
}
