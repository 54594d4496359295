/**
 * Insulin on board (IOB): the insulin delivered recently that has not acted yet, on a linear action
 * curve (the simplest of the curves behind a pump bolus calculator's "duration of insulin action"
 * setting; 4 hours is a common setting for rapid-acting insulin).
 *
 * Doses are recorded per decision step of `stepMin` minutes [U]. A dose delivered `a` steps before
 * the latest one (a = 0: the step just finished) still counts with weight
 *   w(a) = max(0, 1 - a stepMin / durationMin),
 * so IOB [U] = sum_a dose_a w(a). The ring keeps the n = ceil(durationMin / stepMin) doses with a
 * positive weight. The one curve serves T1D-v0's `iob` observation (envs/glucose/t1d-env.ts), the
 * T1D shield's maximum-IOB rule (src/safety/t1d-shield.ts) and anything else that needs IOB.
 *
 * Two read-outs, both exact up to float rounding:
 * - `units`: updated in O(1) per step when the curve ends on a step boundary (durationMin a
 *   multiple of stepMin: with w(a) = 1 - a d, d = stepMin / durationMin, ageing every dose by one
 *   step lowers IOB by d x (sum of the doses in the ring) and the oldest leaves at weight 0, so
 *   IOB' = IOB - d S + dose). Recomputed from the ring once per turn, so rounding cannot build up
 *   over long episodes. Otherwise it is recomputed in O(n) at every push.
 * - `unitsAged(k)`: the direct sum sum_a dose_a w(a + k), what stays on board k steps from now if
 *   nothing more is delivered (k = 0: the direct sum of the current IOB).
 * Which read-out a user takes decides its last bits; the env uses `units`, the shield `unitsAged`.
 */

/** Duration of insulin action of the default curve [min] (linear decay over 4 hours). */
export const IOB_DURATION_MIN = 240;

export class InsulinOnBoard {
  /** Minutes per recorded step. */
  readonly stepMin: number;
  /** Duration of the linear curve [min]. */
  readonly durationMin: number;
  /** Steps with a positive weight (the ring's length). */
  readonly steps: number;
  /** w(0) .. w(steps - 1). */
  readonly weights: Float64Array;
  /** sum_a w(a): IOB per unit of steady per-step dose. */
  readonly weightSum: number;

  private readonly doses: Float64Array; // U per step, ring; newest at `head`
  private readonly incremental: boolean;
  private head = 0;
  /** Sum of the doses in the ring [U] and the running IOB [U]. */
  private sum = 0;
  private value = 0;

  constructor(stepMin: number, durationMin = IOB_DURATION_MIN) {
    if (!(stepMin > 0 && Number.isFinite(stepMin))) throw new RangeError(`InsulinOnBoard: stepMin must be a positive number of minutes, got ${stepMin}`);
    if (!(durationMin > 0 && Number.isFinite(durationMin))) throw new RangeError(`InsulinOnBoard: durationMin must be a positive number of minutes, got ${durationMin}`);
    this.stepMin = stepMin;
    this.durationMin = durationMin;
    this.steps = Math.max(1, Math.ceil(durationMin / stepMin - 1e-12));
    this.weights = new Float64Array(this.steps);
    for (let a = 0; a < this.steps; a++) this.weights[a] = this.weight(a);
    this.weightSum = this.weights.reduce((s, w) => s + w, 0);
    this.doses = new Float64Array(this.steps);
    this.incremental = durationMin % stepMin === 0;
  }

  /** Weight of a dose delivered `age` steps before the latest one. */
  weight(age: number): number {
    return Math.max(0, 1 - (age * this.stepMin) / this.durationMin);
  }

  /** Every slot holds `doseU` (steady delivery, e.g. the basal dose per step at the basal steady state). */
  fill(doseU: number): void {
    this.doses.fill(doseU);
    this.head = 0;
    this.recompute();
  }

  /** Record the dose [U] of the step just finished. */
  push(doseU: number): void {
    const n = this.steps;
    const next = (this.head + 1) % n;
    if (this.incremental) {
      const d = this.stepMin / this.durationMin;
      this.value += doseU - d * this.sum;
      this.sum += doseU - (this.doses[next] as number);
      this.doses[next] = doseU;
      this.head = next;
      if (next === 0) this.recompute();
    } else {
      this.doses[next] = doseU;
      this.head = next;
      this.recompute();
    }
  }

  /** Insulin on board [U] (the running value, see the header). */
  get units(): number {
    return this.value;
  }

  /** sum_a dose_a w(a + k) [U], a = 0 the latest dose: the IOB left after k more steps without insulin. */
  unitsAged(k: number): number {
    const n = this.steps;
    let s = 0;
    for (let a = 0; a < n; a++) s += (this.doses[(this.head - a + n) % n] as number) * this.weight(a + k);
    return s;
  }

  /** IOB [U] at steady delivery of `doseU` per step. */
  steadyStateUnits(doseU: number): number {
    return doseU * this.weightSum;
  }

  private recompute(): void {
    const n = this.steps;
    let value = 0;
    let sum = 0;
    for (let a = 0; a < n; a++) {
      const dose = this.doses[(this.head - a + n) % n] as number;
      value += dose * (this.weights[a] as number);
      sum += dose;
    }
    this.value = value;
    this.sum = sum;
  }
}
