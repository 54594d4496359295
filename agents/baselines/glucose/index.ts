/** Clinical T1D baselines: minute-level controllers (for `dosegym simulate`) and env policies (for T1D-v0). */
import { UserError } from '../../../src/core/errors.ts';
import type { Policy } from '../../../src/core/policy.ts';
import { BasalBolusPolicy, type BasalBolusOptions } from './basal-bolus.ts';
import { PidPolicy, type PidOptions } from './pid.ts';
import { PidBolusPolicy, type PidBolusOptions } from './pid-bolus.ts';
import { ConstantPolicy } from './constant.ts';
import { SchedulePolicy, type ScheduleStep } from './schedule.ts';
export * from './common.ts';
export { BasalBolusController, BasalBolusPolicy, basalBolusOptionsSchema, mealBolusUnits, type BasalBolusOptions } from './basal-bolus.ts';
export { PidController, PidPolicy, PidCore, pidGains, PID_DEFAULTS, pidOptionsSchema, type PidOptions, type PidGains } from './pid.ts';
export { PidBolusController, PidBolusPolicy, PID_BOLUS_DEFAULTS, pidBolusOptionsSchema, heldPidRate, holdMinutes, pidOptions, type PidBolusOptions } from './pid-bolus.ts';
export { ConstantController, ConstantPolicy } from './constant.ts';
export { ScheduleController, SchedulePolicy, Schedule, checkSchedule, type ScheduleStep } from './schedule.ts';

export const GLUCOSE_BASELINES = ['basal-bolus', 'pid', 'pid-bolus', 'constant', 'basal', 'schedule'] as const;

/**
 * Whether a baseline of this type reads meal announcements (info.mealGrams): basal-bolus and
 * pid-bolus do. T1D-v0's `controllerToldOfMeals` and the evaluation's per-baseline value ask here.
 */
export function readsMealAnnouncements(type: string): boolean {
  return type === 'basal-bolus' || type === 'pid-bolus';
}

/** Options of `glucoseBaseline`, by type (same names as the `controller` of `dosegym simulate`). */
export type GlucoseBaselineSpec =
  | ({ type: 'basal-bolus' } & BasalBolusOptions)
  | ({ type: 'pid' } & PidOptions)
  | ({ type: 'pid-bolus' } & PidBolusOptions)
  | { type: 'constant'; unitsPerHour: number }
  | { type: 'basal' }
  | { type: 'schedule'; steps: ScheduleStep[] };

/**
 * A T1D-v0 policy by name, e.g. for evaluation tables. 'basal' = a constant rate at each episode's
 * patient basal. Evaluate meal-bolus baselines with `actionMaxUnitsPerHour: 'pump'` (see basal-bolus.ts).
 */
export function glucoseBaseline(spec: GlucoseBaselineSpec): Policy<unknown, Float32Array | number> {
  const { type, ...options } = spec as { type: string } & Record<string, unknown>;
  switch (type) {
    case 'basal-bolus':
      return new BasalBolusPolicy(options as BasalBolusOptions);
    case 'pid':
      return new PidPolicy(options as PidOptions);
    case 'pid-bolus':
      return new PidBolusPolicy(options as PidBolusOptions);
    case 'constant':
      if (typeof options.unitsPerHour !== 'number' || !(options.unitsPerHour >= 0)) {
        throw new UserError(`constant: unitsPerHour must be a number >= 0, got ${String(options.unitsPerHour)}`);
      }
      return new ConstantPolicy(options.unitsPerHour);
    case 'basal':
      return new ConstantPolicy('basal');
    case 'schedule':
      return new SchedulePolicy(options.steps as ScheduleStep[]);
    default:
      throw new UserError(`baseline: unknown glucose baseline '${type}'; allowed: ${GLUCOSE_BASELINES.join(', ')}`);
  }
}
