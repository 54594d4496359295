/**
 * ODE integrators for the one-minute patient steps.
 *
 * `Dopri5` re-implements the step-size logic of Hairer & Wanner's DOPRI5 (Dormand-Prince 5(4),
 * E. Hairer, S.P. Norsett, G. Wanner, "Solving Ordinary Differential Equations I", 2nd ed.,
 * Springer 1993, section II.4-5 and the code dopri5.f) with the settings simglucose uses through
 * scipy.integrate.ode('dopri5'): rtol 1e-6, atol 1e-12, safety 0.9, step-ratio bounds [0.2, 10],
 * Lund stabilisation beta 0.04 (scipy passes 0, which DOPRI5 maps to 0.04), hmax = the interval,
 * automatic initial step (HINIT) on the first call and afterwards the step size predicted at the
 * end of the previous call (DOPRI5 returns it in WORK(7) and scipy keeps that work array between
 * `integrate` calls). Replaying simglucose's own step sequence is what makes the per-minute BG
 * agree with its recorded runs to ~1e-9 mg/dL, far below its own truncation error (~1e-5). Both
 * details were confirmed by measurement: with beta = 0 the max error is 2.2e-5 mg/dL, and with a
 * fresh HINIT every minute 1.8e-5 (see the table).
 *
 * `Rk4` is the classic fixed-step RK4 with n sub-steps per call, kept for the measurement below.
 *
 * Measured (adolescent#001 reference day, basal-bolus, 4 meals, fed the recorded per-minute inputs;
 * max |Gs/Vg error| over the 1440 minutes vs test/fixtures/simglucose/
 * adolescent001_1d_bb_nonoise_per_minute.csv; cost = RHS evaluations per day and ms per patient-day
 * (CPU time) on the 2-core machine kind, Node 20, median of repetitions; `npm run bench
 * t1d` prints these figures as t1d_<integrator>_*):
 *
 *   integrator                              max |dBG| mg/dL   RHS evals/day   ms/day
 *   Dopri5, simglucose settings (default)   7.7e-10            9463           1.4-1.6
 *   Dopri5, HINIT on every call             1.8e-5            27120           4.2
 *   Rk4, 1 sub-step per minute              8.7e-3             5760           0.52
 *   Rk4, 2 sub-steps                        1.0e-3            11520           1.03
 *   Rk4, 4 sub-steps                        7.8e-5            23040           2.06
 *
 * The open-loop reference day gives the same picture (Dopri5 7.9e-10, Rk4x4 8.1e-5). 7.7e-10 is
 * the print precision of the reference CSV (12 significant digits), i.e. Dopri5 reproduces
 * simglucose's trajectory; RK4 would need >= 4 sub-steps (more work than Dopri5) to beat 1e-4.
 * Hence Dopri5 is the default. (Cost split: ~40% right-hand side, ~60% stage arithmetic. Reusing
 * f(y) from the previous minute when inputs and state are unchanged saves ~1 of ~7.5 evaluations
 * per quiet minute and is exact; without it Dopri5 needs 10855 evaluations per day.)
 *
 * Both classes are allocation-free per call (preallocated stage arrays, no closures).
 */
import type { OdeSystem } from './model.ts';

export interface Integrator {
  /** Advance y in place from t0 to t1 under `system`; returns the time reached (t1 up to rounding). */
  integrate(system: OdeSystem, y: Float64Array, t0: number, t1: number): number;
  /** Forget any carried-over solver state (as after constructing a new solver). */
  reset(): void;
  /** An independent integrator of the same kind and settings, with the same carried-over state. */
  clone(): Integrator;
  /** Number of right-hand-side evaluations so far (for measurements). */
  readonly rhsEvaluations: number;
}

// Dormand-Prince 5(4) tableau (as in DOPRI5's CDOPRI). The nodes c_i are not needed: the systems
// here are autonomous (inputs are held constant over each call).
const A21 = 0.2;
const A31 = 3 / 40, A32 = 9 / 40;
const A41 = 44 / 45, A42 = -56 / 15, A43 = 32 / 9;
const A51 = 19372 / 6561, A52 = -25360 / 2187, A53 = 64448 / 6561, A54 = -212 / 729;
const A61 = 9017 / 3168, A62 = -355 / 33, A63 = 46732 / 5247, A64 = 49 / 176, A65 = -5103 / 18656;
const A71 = 35 / 384, A73 = 500 / 1113, A74 = 125 / 192, A75 = -2187 / 6784, A76 = 11 / 84;
const E1 = 71 / 57600, E3 = -71 / 16695, E4 = 71 / 1920, E5 = -17253 / 339200, E6 = 22 / 525, E7 = -1 / 40;

/** DOPRI5 step control: beta = 0.04 (Lund stabilisation), initial facold = 1e-4. */
const FACOLD0_POW_BETA = Math.pow(1e-4, 0.04);

interface Dopri5Scratch {
  k2: Float64Array;
  k3: Float64Array;
  k4: Float64Array;
  k5: Float64Array;
  k6: Float64Array;
  y1: Float64Array;
  ysti: Float64Array;
}

const scratchBySize = new Map<number, Dopri5Scratch>();

/** The stage buffers shared by all Dopri5 integrators of dimension n (JS runs one call at a time). */
function sharedScratch(n: number): Dopri5Scratch {
  let s = scratchBySize.get(n);
  if (s === undefined) {
    const make = () => new Float64Array(n);
    s = { k2: make(), k3: make(), k4: make(), k5: make(), k6: make(), y1: make(), ysti: make() };
    scratchBySize.set(n, s);
  }
  return s;
}

export interface Dopri5Options {
  rtol?: number;
  atol?: number;
  /** Maximum number of steps per call (scipy's nsteps). */
  maxSteps?: number;
}

export class Dopri5 implements Integrator {
  readonly rtol: number;
  readonly atol: number;
  readonly maxSteps: number;
  /** Step size carried between calls (0 = compute an initial guess, as DOPRI5 with WORK(7)=0). */
  h = 0;
  rhsEvaluations = 0;
  // First-same-as-last across calls: k1 holds f(y) at the end of the last call. It is reused only
  // for the same system, unchanged inputs (inputsVersion) and a bit-identical state, so results
  // are exactly those of re-evaluating f (DOPRI5 itself always re-evaluates; f is deterministic).
  private fsalSystem: OdeSystem | undefined;
  private fsalVersion = -1;
  private readonly fsalY: Float64Array;
  private readonly n: number;
  private readonly k1: Float64Array;
  private readonly k2: Float64Array;
  private readonly k3: Float64Array;
  private readonly k4: Float64Array;
  private readonly k5: Float64Array;
  private readonly k6: Float64Array;
  private readonly y1: Float64Array;
  private readonly ysti: Float64Array;

  constructor(n: number, options: Dopri5Options = {}) {
    this.n = n;
    this.rtol = options.rtol ?? 1e-6;
    this.atol = options.atol ?? 1e-12;
    this.maxSteps = options.maxSteps ?? 500;
    this.k1 = new Float64Array(n);
    this.fsalY = new Float64Array(n);
    // Stage buffers hold nothing between calls, so every integrator of this size shares one set:
    // a vector env of 30 patients then keeps 30 states hot instead of 30 x 7 scratch arrays.
    const scratch = sharedScratch(n);
    this.k2 = scratch.k2;
    this.k3 = scratch.k3;
    this.k4 = scratch.k4;
    this.k5 = scratch.k5;
    this.k6 = scratch.k6;
    this.y1 = scratch.y1;
    this.ysti = scratch.ysti;
  }

  reset(): void {
    this.h = 0;
    this.fsalSystem = undefined;
  }

  /** True when k1 already holds f(y) for this system's current inputs. */
  private canReuseK1(system: OdeSystem, y: Float64Array): boolean {
    if (system !== this.fsalSystem || system.inputsVersion === undefined || system.inputsVersion !== this.fsalVersion) return false;
    const last = this.fsalY;
    for (let i = 0; i < this.n; i++) if (y[i] !== last[i]) return false;
    return true;
  }

  clone(): Dopri5 {
    const copy = new Dopri5(this.n, { rtol: this.rtol, atol: this.atol, maxSteps: this.maxSteps });
    copy.h = this.h;
    return copy;
  }

  /** DOPRI5's HINIT: initial step from the norms of y, f(y) and an Euler-step second derivative. */
  private initialStep(system: OdeSystem, y: Float64Array, hmax: number): number {
    const { n, k1: f0, k2: f1, y1, atol, rtol } = this;
    let dnf = 0, dny = 0;
    for (let i = 0; i < n; i++) {
      const sk = atol + rtol * Math.abs(y[i]!);
      const a = f0[i]! / sk, b = y[i]! / sk;
      dnf += a * a;
      dny += b * b;
    }
    let h = dnf <= 1e-10 || dny <= 1e-10 ? 1e-6 : Math.sqrt(dny / dnf) * 0.01;
    h = Math.min(h, hmax);
    for (let i = 0; i < n; i++) y1[i] = y[i]! + h * f0[i]!;
    system.derivatives(y1, f1);
    this.rhsEvaluations++;
    let der2 = 0;
    for (let i = 0; i < n; i++) {
      const sk = atol + rtol * Math.abs(y[i]!);
      const a = (f1[i]! - f0[i]!) / sk;
      der2 += a * a;
    }
    der2 = Math.sqrt(der2) / h;
    const der12 = Math.max(Math.abs(der2), Math.sqrt(dnf));
    const h1 = der12 <= 1e-15 ? Math.max(1e-6, Math.abs(h) * 1e-3) : Math.pow(0.01 / der12, 1 / 5);
    return Math.min(100 * Math.abs(h), h1, hmax);
  }

  integrate(system: OdeSystem, y: Float64Array, t0: number, t1: number): number {
    const { n, k1, k2, k3, k4, k5, k6, y1, ysti, atol, rtol } = this;
    if (!(t1 > t0)) throw new RangeError(`Dopri5.integrate: need t1 > t0, got [${t0}, ${t1}]`);
    const safe = 0.9, facc1 = 1 / 0.2, facc2 = 1 / 10, beta = 0.04;
    const expo1 = 0.2 - beta * 0.75;
    const uround = 2.3e-16;
    const hmax = t1 - t0;
    let facold = 1e-4;
    let x = t0;
    if (!this.canReuseK1(system, y)) {
      system.derivatives(y, k1);
      this.rhsEvaluations++;
    }
    let h = this.h === 0 ? this.initialStep(system, y, hmax) : this.h;
    let reject = false;
    let last = false;
    let nstep = 0;
    for (;;) {
      if (nstep > this.maxSteps) throw new Error(`Dopri5: more than ${this.maxSteps} steps in [${t0}, ${t1}]`);
      if (0.1 * Math.abs(h) <= Math.abs(x) * uround) throw new Error(`Dopri5: step size too small at t=${x}`);
      if (x + 1.01 * h - t1 > 0) {
        h = t1 - x;
        last = true;
      }
      nstep++;
      // Six stages (the seventh, at the new point, is FSAL and becomes k1 of the next step).
      for (let i = 0; i < n; i++) y1[i] = y[i]! + h * A21 * k1[i]!;
      system.derivatives(y1, k2);
      for (let i = 0; i < n; i++) y1[i] = y[i]! + h * (A31 * k1[i]! + A32 * k2[i]!);
      system.derivatives(y1, k3);
      for (let i = 0; i < n; i++) y1[i] = y[i]! + h * (A41 * k1[i]! + A42 * k2[i]! + A43 * k3[i]!);
      system.derivatives(y1, k4);
      for (let i = 0; i < n; i++) y1[i] = y[i]! + h * (A51 * k1[i]! + A52 * k2[i]! + A53 * k3[i]! + A54 * k4[i]!);
      system.derivatives(y1, k5);
      for (let i = 0; i < n; i++) {
        ysti[i] = y[i]! + h * (A61 * k1[i]! + A62 * k2[i]! + A63 * k3[i]! + A64 * k4[i]! + A65 * k5[i]!);
      }
      const xph = x + h;
      system.derivatives(ysti, k6);
      for (let i = 0; i < n; i++) {
        y1[i] = y[i]! + h * (A71 * k1[i]! + A73 * k3[i]! + A74 * k4[i]! + A75 * k5[i]! + A76 * k6[i]!);
      }
      system.derivatives(y1, k2);
      this.rhsEvaluations += 6;
      // Error estimate (k4 reused as the embedded-difference buffer, as DOPRI5 does).
      let err = 0;
      for (let i = 0; i < n; i++) {
        k4[i] = (E1 * k1[i]! + E3 * k3[i]! + E4 * k4[i]! + E5 * k5[i]! + E6 * k6[i]! + E7 * k2[i]!) * h;
        const yi = Math.abs(y[i]!), y1i = Math.abs(y1[i]!);
        const sk = atol + rtol * (yi > y1i ? yi : y1i);
        const r = k4[i]! / sk;
        err += r * r;
      }
      err = Math.sqrt(err / n);
      const fac11 = Math.pow(err, expo1);
      // Lund stabilisation; facold is still its initial 1e-4 on every first step (cached power).
      let fac = fac11 / (facold === 1e-4 ? FACOLD0_POW_BETA : Math.pow(facold, beta));
      fac = Math.max(facc2, Math.min(facc1, fac / safe));
      let hnew = h / fac;
      if (err <= 1) {
        facold = Math.max(err, 1e-4);
        for (let i = 0; i < n; i++) {
          k1[i] = k2[i]!;
          y[i] = y1[i]!;
        }
        x = xph;
        if (last) {
          this.h = hnew;
          // k1 = f(y) at the end point: remember for the next call.
          this.fsalSystem = system;
          this.fsalVersion = system.inputsVersion ?? -1;
          this.fsalY.set(y);
          return x;
        }
        if (Math.abs(hnew) > hmax) hnew = hmax;
        if (reject) hnew = Math.min(Math.abs(hnew), Math.abs(h));
        reject = false;
      } else {
        hnew = h / Math.min(facc1, fac11 / safe);
        reject = true;
        last = false;
      }
      h = hnew;
    }
  }
}

/** Classic fixed-step fourth-order Runge-Kutta with `substeps` equal steps per call. */
export class Rk4 implements Integrator {
  readonly substeps: number;
  rhsEvaluations = 0;
  private readonly n: number;
  private readonly k1: Float64Array;
  private readonly k2: Float64Array;
  private readonly k3: Float64Array;
  private readonly k4: Float64Array;
  private readonly tmp: Float64Array;

  constructor(n: number, substeps = 2) {
    if (!Number.isInteger(substeps) || substeps < 1) throw new RangeError(`Rk4: substeps must be a positive integer, got ${substeps}`);
    this.n = n;
    this.substeps = substeps;
    this.k1 = new Float64Array(n);
    this.k2 = new Float64Array(n);
    this.k3 = new Float64Array(n);
    this.k4 = new Float64Array(n);
    this.tmp = new Float64Array(n);
  }

  reset(): void {}

  clone(): Rk4 {
    return new Rk4(this.n, this.substeps);
  }

  integrate(system: OdeSystem, y: Float64Array, t0: number, t1: number): number {
    const { n, k1, k2, k3, k4, tmp } = this;
    const h = (t1 - t0) / this.substeps;
    const h2 = h / 2, h6 = h / 6;
    for (let s = 0; s < this.substeps; s++) {
      system.derivatives(y, k1);
      for (let i = 0; i < n; i++) tmp[i] = y[i]! + h2 * k1[i]!;
      system.derivatives(tmp, k2);
      for (let i = 0; i < n; i++) tmp[i] = y[i]! + h2 * k2[i]!;
      system.derivatives(tmp, k3);
      for (let i = 0; i < n; i++) tmp[i] = y[i]! + h * k3[i]!;
      system.derivatives(tmp, k4);
      for (let i = 0; i < n; i++) y[i] = y[i]! + h6 * (k1[i]! + 2 * k2[i]! + 2 * k3[i]! + k4[i]!);
    }
    this.rhsEvaluations += 4 * this.substeps;
    return t1;
  }
}
