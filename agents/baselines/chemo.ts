/**
 * Clinical dosing baselines for the chemotherapy envs (Chemo-DePillis-v0, Chemo-Zhao2009-v0), as
 * Policy objects that evaluation code runs exactly like trained agents.
 *
 * - mtd: maximum tolerated dose, continuously (dose 1 every step).
 * - mtdCycles: MTD in cycles with rest periods for recovery, e.g. 1 day on, 6 days off (default);
 *   given in days (converted with the env's step duration) or in steps.
 * - metronomic: a low dose given continuously, without breaks (default 0.3 of the maximum: on the
 *   nominal de Pillis patient 0.3 is about the lowest constant dose that clears the tumour (T < 1e-3
 *   by day 128.5) without toxicity termination; 0.2 and below let the tumour take over and N fall
 *   below 0.7 N0, like no treatment).
 * - none: no treatment.  constant(dose).  pulsed(dose, onSteps, offSteps): dose for onSteps, then 0
 *   for offSteps, repeated from step 0.  schedule(doses): doses[k] at step k (0 after the list ends),
 *   to replay a protocol.
 *
 * Every policy works on a continuous Box(0, 1, [1]) dose or a Discrete(n) dose-level space (the dose
 * is mapped to the nearest level). The step index comes from the latest info (`step` for de Pillis,
 * `month` for Zhao), so a policy needs no episode bookkeeping; envs without either fall back to a
 * counter cleared by reset().
 */
import { UserError } from '../../src/core/errors.ts';
import type { Action, EnvMetadata, Info } from '../../src/core/env.ts';
import type { ActContext, Policy } from '../../src/core/policy.ts';
import type { Space } from '../../src/core/spaces.ts';
import { doseToAction } from '../../envs/chemo/dose-action.ts';

/** What a baseline needs from the env it doses: the action space and step duration. */
export interface DosingTarget {
  actionSpace: Space;
  metadata: Pick<EnvMetadata, 'stepDuration'>;
}

function checkDose(dose: number, where: string): number {
  if (typeof dose !== 'number' || !Number.isFinite(dose) || dose < 0 || dose > 1) {
    throw new UserError(`${where}: dose must be a number in [0, 1], got ${String(dose)}`);
  }
  return dose;
}

function checkSteps(n: number, where: string, min: number): number {
  if (!Number.isInteger(n) || n < min) throw new UserError(`${where}: expected an integer >= ${min}, got ${String(n)}`);
  return n;
}

/** A policy whose dose depends only on the step index. */
export class StepDosePolicy implements Policy<unknown, Action> {
  private counter = 0;
  constructor(
    readonly name: string,
    private readonly space: Space,
    /** Dose in [0, 1] at step k (k = 0 for the first action of an episode). */
    readonly doseAt: (step: number) => number,
  ) {}

  reset(_info?: Info): void {
    this.counter = 0;
  }

  act(_observation: unknown, context: ActContext): Action {
    const k = stepIndex(context.info) ?? this.counter;
    this.counter = k + 1;
    return doseToAction(this.doseAt(k), this.space);
  }
}

function stepIndex(info: Info | undefined): number | undefined {
  if (info === undefined) return undefined;
  if (typeof info['step'] === 'number') return info['step'];
  if (typeof info['month'] === 'number') return info['month'];
  return undefined;
}

export function constant(target: DosingTarget, dose: number): StepDosePolicy {
  checkDose(dose, 'constant');
  return new StepDosePolicy(`constant-${dose}`, target.actionSpace, () => dose);
}

export function mtd(target: DosingTarget): StepDosePolicy {
  return new StepDosePolicy('mtd', target.actionSpace, () => 1);
}

export function none(target: DosingTarget): StepDosePolicy {
  return new StepDosePolicy('none', target.actionSpace, () => 0);
}

export function metronomic(target: DosingTarget, dose = 0.3): StepDosePolicy {
  checkDose(dose, 'metronomic');
  return new StepDosePolicy(`metronomic-${dose}`, target.actionSpace, () => dose);
}

export function pulsed(target: DosingTarget, dose: number, onSteps: number, offSteps: number): StepDosePolicy {
  checkDose(dose, 'pulsed');
  checkSteps(onSteps, 'pulsed: onSteps', 1);
  checkSteps(offSteps, 'pulsed: offSteps', 0);
  const period = onSteps + offSteps;
  return new StepDosePolicy(`pulsed-${dose}-${onSteps}on-${offSteps}off`, target.actionSpace, (k) => (k % period < onSteps ? dose : 0));
}

export interface CycleOptions {
  dose?: number;
  onDays?: number;
  offDays?: number;
  onSteps?: number;
  offSteps?: number;
}

/** MTD in cycles: `dose` (1) for onDays (1), rest for offDays (6); or onSteps/offSteps. */
export function mtdCycles(target: DosingTarget, options: CycleOptions = {}): StepDosePolicy {
  const dose = options.dose ?? 1;
  const bySteps = options.onSteps !== undefined || options.offSteps !== undefined;
  if (bySteps && (options.onDays !== undefined || options.offDays !== undefined)) {
    throw new UserError('mtdCycles: give the cycle in days (onDays, offDays) or in steps (onSteps, offSteps), not both');
  }
  let onSteps: number;
  let offSteps: number;
  if (bySteps) {
    onSteps = options.onSteps ?? 1;
    offSteps = options.offSteps ?? 0;
  } else {
    const { value, unit } = target.metadata.stepDuration;
    if (unit !== 'day') throw new UserError(`mtdCycles: cycles in days need an env whose step is in days (this one: ${unit}); give onSteps/offSteps`);
    onSteps = daysToSteps(options.onDays ?? 1, value, 'mtdCycles: onDays');
    offSteps = daysToSteps(options.offDays ?? 6, value, 'mtdCycles: offDays');
  }
  const policy = pulsed(target, dose, onSteps, offSteps);
  return new StepDosePolicy(`mtd-cycles-${onSteps}on-${offSteps}off`, target.actionSpace, policy.doseAt);
}

function daysToSteps(days: number, stepDays: number, where: string): number {
  const steps = days / stepDays;
  if (!Number.isFinite(steps) || steps < 0 || Math.abs(steps - Math.round(steps)) > 1e-9) {
    throw new UserError(`${where}: expected a whole number of ${stepDays}-day steps, got ${days} days`);
  }
  return Math.round(steps);
}

/** Replays doses[k] at step k; 0 after the list ends. */
export function schedule(target: DosingTarget, doses: readonly number[]): StepDosePolicy {
  doses.forEach((d, i) => checkDose(d, `schedule[${i}]`));
  const copy = [...doses];
  return new StepDosePolicy('schedule', target.actionSpace, (k) => copy[k] ?? 0);
}

/** The named baselines with their default settings (for evaluation tables). */
export function chemoBaselines(target: DosingTarget): StepDosePolicy[] {
  const list = [mtd(target), metronomic(target), none(target)];
  if (target.metadata.stepDuration.unit === 'day') list.splice(1, 0, mtdCycles(target));
  return list;
}
