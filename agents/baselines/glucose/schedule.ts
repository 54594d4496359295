/**
 * Piecewise-constant insulin schedule, e.g. to replay recorded pump data: each step's rate
 * [U/min] holds from its minute until the next step's minute; before the first step the rate is 0.
 * The rate goes to the pump's basal channel (the pump still rounds it to its increment).
 */
import type { Info } from '../../../src/core/env.ts';
import type { Policy } from '../../../src/core/policy.ts';
import { baselineInfo, envAction, type InsulinRates, type MinuteController } from './common.ts';

export interface ScheduleStep {
  minute: number;
  unitsPerMinute: number;
}

/** A validated, sorted copy of the steps (minutes strictly increasing, rates finite and >= 0). */
export function checkSchedule(steps: readonly ScheduleStep[]): ScheduleStep[] {
  if (steps.length === 0) throw new RangeError('schedule: needs at least one step');
  steps.forEach((s, i) => {
    if (!Number.isInteger(s.minute) || s.minute < 0) throw new RangeError(`schedule: steps[${i}].minute must be an integer >= 0, got ${s.minute}`);
    if (!Number.isFinite(s.unitsPerMinute) || s.unitsPerMinute < 0) throw new RangeError(`schedule: steps[${i}].unitsPerMinute must be a finite number >= 0, got ${s.unitsPerMinute}`);
    if (i > 0 && s.minute <= (steps[i - 1] as ScheduleStep).minute) throw new RangeError(`schedule: steps[${i}].minute must be greater than the previous step's minute`);
  });
  return steps.map((s) => ({ minute: s.minute, unitsPerMinute: s.unitsPerMinute }));
}

/** Rate lookup with a moving cursor: O(1) per call for increasing minutes, O(log n) otherwise. */
export class Schedule {
  private readonly minutes: Float64Array;
  private readonly rates: Float64Array;
  private cursor = -1;

  constructor(steps: readonly ScheduleStep[]) {
    const s = checkSchedule(steps);
    this.minutes = Float64Array.from(s.map((x) => x.minute));
    this.rates = Float64Array.from(s.map((x) => x.unitsPerMinute));
  }

  /** Rate [U/min] in force during minute `minute`. */
  rateAt(minute: number): number {
    const m = this.minutes;
    const c = this.cursor;
    if (!(c >= 0 && (m[c] as number) <= minute && (c + 1 >= m.length || (m[c + 1] as number) > minute))) {
      // binary search for the last step with minute <= `minute`
      let lo = 0;
      let hi = m.length - 1;
      let found = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if ((m[mid] as number) <= minute) {
          found = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      this.cursor = found;
    }
    return this.cursor < 0 ? 0 : (this.rates[this.cursor] as number);
  }

  /** Mean rate [U/min] over [start, start + minutes). */
  meanRate(start: number, minutes: number): number {
    let sum = 0;
    for (let k = 0; k < minutes; k++) sum += this.rateAt(start + k);
    return sum / minutes;
  }
}

export class ScheduleController implements MinuteController {
  readonly name = 'schedule';
  private readonly schedule: Schedule;

  constructor(steps: readonly ScheduleStep[]) {
    this.schedule = new Schedule(steps);
  }

  reset(): void {}

  insulin(input: { minute: number }): InsulinRates {
    return { basalUPerMin: this.schedule.rateAt(input.minute), bolusUPerMin: 0 };
  }
}

/** The schedule in the env: each step delivers the mean scheduled rate over the step's minutes. */
export class SchedulePolicy implements Policy<unknown, Float32Array | number> {
  readonly name = 'schedule';
  private readonly schedule: Schedule;

  constructor(steps: readonly ScheduleStep[]) {
    this.schedule = new Schedule(steps);
  }

  act(_observation: unknown, context: { deterministic: boolean; info: Info }): Float32Array | number {
    const b = baselineInfo(context.info);
    return envAction(this.schedule.meanRate(b.minute, b.sampleTimeMin), b);
  }
}
