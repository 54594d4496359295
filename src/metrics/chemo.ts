/**
 * Outcome metrics for chemotherapy episodes, computed from the env's infos (the reset info first,
 * then one per step), so trained agents and baselines are scored identically.
 *
 * de Pillis (Chemo-DePillis-v0; states are dimensionless cell fractions, time in days):
 * - finalTumour: T at the last step.
 * - daysToTumourBelow: first day at which T < 1e-3 (checked at step boundaries), null if never.
 * - minN, dayOfMinN: lowest normal-cell level and when.
 * - daysNBelow: days with N < 0.75 (a step counts fully when its end state is below), the
 *   normal-cell constraint of the optimal-control literature.
 * - cumulativeDose: integral of the dose fraction over time (dose-days).
 * Zhao (Chemo-Zhao2009-v0; months):
 * - survivalProbability: product of the monthly survival probabilities (the model's probability
 *   of surviving the episode, not the sampled outcome); dead: the sampled outcome.
 * - monthsToCure: first month with M = 0, null if never; finalW, finalM, cumulativeDose.
 */
import type { Info } from '../core/env.ts';

export const TUMOUR_CLEARED_BELOW = 1e-3;
export const NORMAL_CELL_CONSTRAINT = 0.75;

export interface DePillisOutcomes {
  steps: number;
  days: number;
  finalTumour: number;
  daysToTumourBelow: number | null;
  minN: number;
  dayOfMinN: number;
  daysNBelow: number;
  cumulativeDose: number;
}

export interface ZhaoOutcomes {
  months: number;
  survivalProbability: number;
  dead: boolean;
  monthsToCure: number | null;
  finalW: number;
  finalM: number;
  cumulativeDose: number;
}

function num(info: Info, key: string, index: number): number {
  const v = info[key];
  if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`chemo metrics: info[${index}].${key} must be a number, got ${String(v)}`);
  return v;
}

/** Outcomes of a de Pillis episode from [resetInfo, ...stepInfos]. */
export function dePillisOutcomes(infos: readonly Info[], tumourBelow = TUMOUR_CLEARED_BELOW, nBelow = NORMAL_CELL_CONSTRAINT): DePillisOutcomes {
  const first = infos[0];
  const last = infos[infos.length - 1];
  if (first === undefined || last === undefined) throw new RangeError('chemo metrics: need at least the reset info');
  let daysToTumourBelow: number | null = null;
  let minN = Infinity;
  let dayOfMinN = 0;
  let daysNBelow = 0;
  let prevDay = num(first, 'day', 0);
  infos.forEach((info, i) => {
    const day = num(info, 'day', i);
    const N = num(info, 'N', i);
    if (daysToTumourBelow === null && num(info, 'T', i) < tumourBelow) daysToTumourBelow = day;
    if (N < minN) {
      minN = N;
      dayOfMinN = day;
    }
    if (i > 0 && N < nBelow) daysNBelow += day - prevDay;
    prevDay = day;
  });
  return {
    steps: infos.length - 1,
    days: num(last, 'day', infos.length - 1),
    finalTumour: num(last, 'T', infos.length - 1),
    daysToTumourBelow,
    minN,
    dayOfMinN,
    daysNBelow,
    cumulativeDose: num(last, 'cumulativeDose', infos.length - 1),
  };
}

/** Outcomes of a Zhao episode from [resetInfo, ...stepInfos]. */
export function zhaoOutcomes(infos: readonly Info[]): ZhaoOutcomes {
  const last = infos[infos.length - 1];
  if (last === undefined) throw new RangeError('chemo metrics: need at least the reset info');
  let monthsToCure: number | null = null;
  infos.forEach((info, i) => {
    if (monthsToCure === null && num(info, 'M', i) === 0) monthsToCure = num(info, 'month', i);
  });
  const i = infos.length - 1;
  return {
    months: num(last, 'month', i),
    survivalProbability: num(last, 'cumulativeSurvival', i),
    dead: last['dead'] === true,
    monthsToCure,
    finalW: num(last, 'W', i),
    finalM: num(last, 'M', i),
    cumulativeDose: num(last, 'cumulativeDose', i),
  };
}
