/**
 * T1D-v0's patient-relative action modes: how a policy output in [-1, 1] becomes an insulin rate.
 * Pure functions, shared by the env (envs/glucose/t1d-env.ts), the clinical baselines' action
 * encoding (agents/baselines/glucose/common.ts) and anyone replaying a policy.
 *
 * `basal-relative`: the output a in [-1, 1] is a multiple m(a) of the (clinic-programmed) basal
 * rate, with authority A (the largest multiple, `authorityBasalMultiple`):
 *   m(a) = 1 + a      for a <= 0  (linear: 0 U/h at a = -1, basal at a = 0)
 *   m(a) = A^a        for a > 0   (exponential: A x basal at a = 1)
 * Why this shape: below basal the useful range is bounded (0 to 1 x basal), so a linear map gives
 * uniform resolution and reaches 0 exactly (an exponential never does). Above basal the doses that
 * matter span more than two decades, from a slightly raised basal to a meal bolus (100 g for the
 * 30 patients is 130-1200 x basal over one 3-minute step): a linear map would squeeze everything
 * up to 5 x basal into about 1 % of the output range, while the exponential gives the same
 * RELATIVE resolution at every dose (each +0.1 of output multiplies the rate by A^0.1, 1.77 for
 * A = 300), which is how dose errors matter (a 10 % error is a 10 % error at any dose). m is
 * continuous and increasing, m(0) = 1 exactly, and m(-1) = 0, m(1) = A exactly.
 *
 * `residual` (Silver et al. 2018, "Residual Policy Learning", arXiv:1812.06298): the output is a
 * correction to a clinical controller's rate u_c:
 *   rate = u_c (1 + a)                  for a <= 0  (scales the controller's dose down: 0 U/h at -1)
 *   rate = u_c + basal x (A^a - 1)      for a > 0   (adds up to (A - 1) x basal at a = 1)
 * a = 0 delivers exactly the controller's rate. Below zero the correction is a FRACTION of the
 * controller's own dose, so -1 cancels any dose, a meal bolus included (a correction in basal units
 * could not cancel a bolus larger than (A - 1) x basal): a safety layer can always reach 0 U/h, and
 * the policy can trim an over-estimated bolus by a share. Above zero it adds insulin with the same
 * relative resolution as the basal-relative mode (each +0.1 multiplies the added basal multiple
 * by about A^0.1). The rate is continuous and increasing in a.
 *
 * The inverse maps (clipped to [-1, 1]) express a rate in the same coordinates; the env uses them to
 * normalise the insulin in the observation in these modes.
 */

/** Basal multiple m(a) of the basal-relative mode (see the header). */
export function basalRelativeMultiple(output: number, authority: number): number {
  return output <= 0 ? 1 + output : authority ** output;
}

/** Inverse of `basalRelativeMultiple`, clipped to [-1, 1] (multiples <= 0 give -1, >= A give 1). */
export function basalRelativeOutput(multiple: number, authority: number): number {
  if (!(multiple > 0)) return -1;
  if (multiple <= 1) return multiple - 1;
  if (multiple >= authority) return 1;
  return Math.log(multiple) / Math.log(authority);
}

/** Rate [U/min] of a basal-relative output for a basal rate [U/min] (before the pump). */
export function basalRelativeRate(output: number, basalUPerMin: number, authority: number): number {
  return basalUPerMin * basalRelativeMultiple(output, authority);
}

/** Rate [U/h] of a residual output on top of a controller rate [U/h], basal in U/h (before the pump). */
export function residualRateUPerHour(output: number, controllerUPerHour: number, basalUPerHour: number, authority: number): number {
  if (output <= 0) return controllerUPerHour * (1 + output);
  return controllerUPerHour + basalUPerHour * (authority ** output - 1);
}

/**
 * Inverse of `residualRateUPerHour`: the output in [-1, 1] that commands `rateUPerHour` on top of
 * the controller's rate (clipped: rates above the authority give 1; with the controller at 0 U/h
 * every output <= 0 gives 0 U/h, and 0 is returned).
 */
export function residualOutputForRate(rateUPerHour: number, controllerUPerHour: number, basalUPerHour: number, authority: number): number {
  if (rateUPerHour >= controllerUPerHour) {
    const a = Math.log1p((rateUPerHour - controllerUPerHour) / basalUPerHour) / Math.log(authority);
    return a > 1 ? 1 : a;
  }
  const a = rateUPerHour / controllerUPerHour - 1;
  return a < -1 ? -1 : a;
}

/** The T1D-v0 info fields that say what an action means (set at every reset and step). */
export interface ActionMeaning {
  actionKind: string;
  /** The clinic's basal rate [U/min]. */
  patientBasalUPerMin: number;
  actionLevelsUnitsPerHour?: readonly number[];
  authorityBasalMultiple?: number;
  controllerUnitsPerHour?: number;
}

/**
 * The insulin rate [U/h] an action commands in any T1D-v0 action mode, before the pump's rounding
 * and clipping, read from the latest info (e.g. for a safety layer that caps rates in U/h; the
 * baselines' `envAction` is the inverse).
 */
export function commandedUnitsPerHour(action: Float32Array | number, info: ActionMeaning): number {
  const output = typeof action === 'number' ? action : (action[0] as number);
  switch (info.actionKind) {
    case 'continuous':
      return output;
    case 'discrete': {
      const rate = info.actionLevelsUnitsPerHour?.[output];
      if (rate === undefined) throw new RangeError(`commandedUnitsPerHour: no level ${output} in info.actionLevelsUnitsPerHour`);
      return rate;
    }
    case 'basal-relative':
      return basalRelativeRate(output, info.patientBasalUPerMin, info.authorityBasalMultiple as number) * 60;
    case 'residual':
      return residualRateUPerHour(output, info.controllerUnitsPerHour as number, info.patientBasalUPerMin * 60, info.authorityBasalMultiple as number);
    default:
      throw new RangeError(`commandedUnitsPerHour: unknown action kind '${info.actionKind}'`);
  }
}
