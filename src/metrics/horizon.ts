/**
 * Outcomes over an episode's PLANNED horizon (the env's metadata.maxEpisodeSteps), shared by every
 * patient family whose episodes can end early by a termination (T1D: true BG outside 40-600 mg/dL;
 * de Pillis: normal cells below 0.7 N0; Zhao: death). Metrics computed over the steps taken hide a
 * patient who died early; these count the time after the termination against the method.
 */

/**
 * Percent of the planned horizon simulated before the episode ended: steps taken / planned steps
 * x 100 (100 = reached the horizon; a termination on the last planned step also gives 100, as the
 * patient lived through the whole horizon). Null when the env has no planned horizon.
 */
export function survivedPercent(stepsTaken: number, plannedSteps: number | undefined): number | null {
  if (plannedSteps === undefined) return null;
  if (!(Number.isInteger(plannedSteps) && plannedSteps > 0)) throw new RangeError(`survivedPercent: planned steps must be a positive integer, got ${plannedSteps}`);
  if (!(stepsTaken >= 0 && stepsTaken <= plannedSteps)) throw new RangeError(`survivedPercent: ${stepsTaken} steps taken of ${plannedSteps} planned`);
  return (100 * stepsTaken) / plannedSteps;
}
