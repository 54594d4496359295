/**
 * Outcome metrics for chemotherapy episodes, computed from the env's infos (the reset info first,
 * then one per step), so trained agents and baselines are scored identically.
 *
 * de Pillis (Chemo-DePillis-v0; states are dimensionless cell fractions, time in days):
 * - finalTumour: T at the last step.
 * - daysToTumourBelow: first day at which T < 1e-3 (checked at step boundaries), null if never.
 * - tumourCleared: T < 1e-3 at the END of the episode (a tumour that dipped below and regrew, or a
 *   patient terminated early, is not cleared), so eradication rates compare directly as a share.
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
import { DEPILLIS_INFO, ZHAO_INFO } from '../../envs/chemo/info.ts';

export const TUMOUR_CLEARED_BELOW = 1e-3;
export const NORMAL_CELL_CONSTRAINT = 0.75;

export interface DePillisOutcomes {
  steps: number;
  days: number;
  finalTumour: number;
  daysToTumourBelow: number | null;
  tumourCleared: boolean;
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

/** Outcomes of a de Pillis episode from [resetInfo, ...stepInfos]. */
export function dePillisOutcomes(infos: readonly Info[], tumourBelow = TUMOUR_CLEARED_BELOW, nBelow = NORMAL_CELL_CONSTRAINT): DePillisOutcomes {
  const first = infos[0];
  const last = infos[infos.length - 1];
  if (first === undefined || last === undefined) throw new RangeError('chemo metrics: need at least the reset info');
  let daysToTumourBelow: number | null = null;
  let minN = Infinity;
  let dayOfMinN = 0;
  let daysNBelow = 0;
  let prevDay = DEPILLIS_INFO.number(first, 'day');
  infos.forEach((info, i) => {
    const day = DEPILLIS_INFO.number(info, 'day');
    const N = DEPILLIS_INFO.number(info, 'N');
    if (daysToTumourBelow === null && DEPILLIS_INFO.number(info, 'T') < tumourBelow) daysToTumourBelow = day;
    if (N < minN) {
      minN = N;
      dayOfMinN = day;
    }
    if (i > 0 && N < nBelow) daysNBelow += day - prevDay;
    prevDay = day;
  });
  return {
    steps: infos.length - 1,
    days: DEPILLIS_INFO.number(last, 'day'),
    finalTumour: DEPILLIS_INFO.number(last, 'T'),
    daysToTumourBelow,
    tumourCleared: DEPILLIS_INFO.number(last, 'T') < tumourBelow,
    minN,
    dayOfMinN,
    daysNBelow,
    cumulativeDose: DEPILLIS_INFO.number(last, 'cumulativeDose'),
  };
}

/** Outcomes of a Zhao episode from [resetInfo, ...stepInfos]. */
export function zhaoOutcomes(infos: readonly Info[]): ZhaoOutcomes {
  const last = infos[infos.length - 1];
  if (last === undefined) throw new RangeError('chemo metrics: need at least the reset info');
  let monthsToCure: number | null = null;
  infos.forEach((info) => {
    if (monthsToCure === null && ZHAO_INFO.number(info, 'M') === 0) monthsToCure = ZHAO_INFO.number(info, 'month');
  });
  return {
    months: ZHAO_INFO.number(last, 'month'),
    survivalProbability: ZHAO_INFO.number(last, 'cumulativeSurvival'),
    dead: ZHAO_INFO.flag(last, 'dead'),
    monthsToCure,
    finalW: ZHAO_INFO.number(last, 'W'),
    finalM: ZHAO_INFO.number(last, 'M'),
    cumulativeDose: ZHAO_INFO.number(last, 'cumulativeDose'),
  };
}
