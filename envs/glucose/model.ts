/**
 * Right-hand side of the UVA/Padova T1D model (13 ODEs) exactly as simglucose implements it.
 *
 * Model: Dalla Man, Rizza & Cobelli, "Meal simulation model of the glucose-insulin system",
 * IEEE TBME 54(10):1740-1749, 2007 (eqs. for GI tract, glucose and insulin subsystems) with the
 * T1D adaptations of Kovatchev et al., J Diabetes Sci Technol 3(1):44-55, 2009 (s.c. insulin and
 * s.c. glucose compartments, no secretion); as re-implemented by simglucose (Xie 2018, a6f6777),
 * whose quirks we keep on purpose:
 *  - derivatives of Gp, Gt, Ip, Il, Isc1, Isc2, Gs are multiplied by [x >= 0] ("gated");
 *  - EGP = kp1 - kp2*Gp - kp3*Id is clamped at >= 0 before it is added (no kp4 portal term);
 *  - renal excretion ke1*(Gp - ke2) applies when the plasma glucose MASS Gp [mg/kg] exceeds ke2;
 *  - gastric emptying uses D-bar [mg] = last_Qsto + 1000*last_foodtaken (see simulator.ts), with
 *    k_empt = kmax when D-bar = 0;
 *  - Km is constant (Km0); X may go negative; U_ii = Fsnc.
 *
 * State order (index: symbol [unit]): 0 Qsto1 [mg], 1 Qsto2 [mg], 2 Qgut [mg], 3 Gp [mg/kg],
 * 4 Gt [mg/kg], 5 Ip [pmol/kg], 6 X [pmol/L], 7 I1 [pmol/L], 8 Id [pmol/L], 9 Il [pmol/kg],
 * 10 Isc1 [pmol/kg], 11 Isc2 [pmol/kg], 12 Gs [mg/kg]. BG (what simglucose reports) = Gs/Vg [mg/dL].
 *
 * The class holds the inputs of the current minute as fields so that the integrator can call
 * `derivatives(x, dx)` without closures or allocation.
 */
import type { PatientParams } from './patient.ts';

export const N_STATES = 13;

/** State indices, for readability at call sites. */
export const S = {
  Qsto1: 0, Qsto2: 1, Qgut: 2, Gp: 3, Gt: 4, Ip: 5, X: 6, I1: 7, Id: 8, Il: 9, Isc1: 10, Isc2: 11, Gs: 12,
} as const;

/** Anything an integrator can advance: dx = f(x) (autonomous; inputs are held in the system). */
export interface OdeSystem {
  derivatives(x: Float64Array, dx: Float64Array): void;
  /**
   * Optional counter that changes whenever the inputs (and so f) change. When present, an
   * integrator may reuse f(y) from the end of its previous call for the same system and state.
   */
  readonly inputsVersion?: number;
}

export class UvaPadovaModel implements OdeSystem {
  // Inputs held constant over the current minute.
  /** Meal input D(t) [mg/min] = 1000 * CHO eaten [g/min]. */
  mealMgPerMin = 0;
  /** Insulin input u(t) [pmol/kg/min] = 6000 * insulin [U/min] / BW. */
  insulinPmolPerKgMin = 0;
  /** D-bar [mg]: the reference meal size for gastric emptying. */
  dbarMg = 0;
  /** Incremented by setInputs when an input actually changes (see OdeSystem). */
  inputsVersion = 0;

  // Parameters copied to own fields (monomorphic, fast property access).
  private readonly BW: number;
  private readonly kabs: number;
  private readonly kmax: number;
  private readonly kmin: number;
  private readonly b: number;
  private readonly d: number;
  private readonly Vi: number;
  private readonly Ib: number;
  private readonly Vmx: number;
  private readonly Km0: number;
  private readonly k1: number;
  private readonly k2: number;
  private readonly p2u: number;
  private readonly m1: number;
  private readonly m2: number;
  private readonly m4: number;
  private readonly m30: number;
  private readonly ki: number;
  private readonly kp1: number;
  private readonly kp2: number;
  private readonly kp3: number;
  private readonly f: number;
  private readonly ke1: number;
  private readonly ke2: number;
  private readonly Fsnc: number;
  private readonly Vm0: number;
  private readonly kd: number;
  private readonly ksc: number;
  private readonly ka1: number;
  private readonly ka2: number;

  constructor(p: PatientParams) {
    this.BW = p.BW;
    this.kabs = p.kabs;
    this.kmax = p.kmax;
    this.kmin = p.kmin;
    this.b = p.b;
    this.d = p.d;
    this.Vi = p.Vi;
    this.Ib = p.Ib;
    this.Vmx = p.Vmx;
    this.Km0 = p.Km0;
    this.k1 = p.k1;
    this.k2 = p.k2;
    this.p2u = p.p2u;
    this.m1 = p.m1;
    this.m2 = p.m2;
    this.m4 = p.m4;
    this.m30 = p.m30;
    this.ki = p.ki;
    this.kp1 = p.kp1;
    this.kp2 = p.kp2;
    this.kp3 = p.kp3;
    this.f = p.f;
    this.ke1 = p.ke1;
    this.ke2 = p.ke2;
    this.Fsnc = p.Fsnc;
    this.Vm0 = p.Vm0;
    this.kd = p.kd;
    this.ksc = p.ksc;
    this.ka1 = p.ka1;
    this.ka2 = p.ka2;
  }

  /** Set the inputs for the coming minute: CHO eaten [g/min], insulin [U/min], D-bar [mg]. */
  setInputs(choGPerMin: number, insulinUPerMin: number, dbarMg: number): void {
    const meal = choGPerMin * 1000;
    const insulin = (insulinUPerMin * 6000) / this.BW;
    if (meal !== this.mealMgPerMin || insulin !== this.insulinPmolPerKgMin || dbarMg !== this.dbarMg) {
      this.mealMgPerMin = meal;
      this.insulinPmolPerKgMin = insulin;
      this.dbarMg = dbarMg;
      this.inputsVersion++;
    }
  }

  /**
   * dx = f(x). Operation order follows simglucose so results agree to rounding.
   * Equation comments follow Dalla Man et al. 2007 (eqs. 1-23) with Kovatchev et al. 2009's s.c. routes.
   */
  derivatives(x: Float64Array, dx: Float64Array): void {
    const qsto1 = x[0]!, qsto2 = x[1]!, qgut = x[2]!, gp = x[3]!, gt = x[4]!, ip = x[5]!, xi = x[6]!;
    const i1 = x[7]!, id = x[8]!, il = x[9]!, isc1 = x[10]!, isc2 = x[11]!, gs = x[12]!;
    const kmax = this.kmax;
    const dbar = this.dbarMg;
    const qsto = qsto1 + qsto2;

    // (1)-(3) GI tract: gastric emptying rate depends on the stomach content relative to D-bar.
    dx[0] = -kmax * qsto1 + this.mealMgPerMin;
    let kempt: number;
    if (dbar > 0) {
      const b = this.b, d = this.d, kmin = this.kmin;
      const alpha = 5 / (2 * dbar * (1 - b));
      const beta = 5 / (2 * dbar * d);
      // tanh(za) - tanh(zb) written as 2/(e^(2zb)+1) - 2/(e^(2za)+1): two exp instead of two tanh
      // (V8's Math.tanh costs ~3x Math.exp); the absolute error stays at rounding level (~1e-16).
      const ea = Math.exp(2 * alpha * (qsto - b * dbar));
      const eb = Math.exp(2 * beta * (qsto - d * dbar));
      kempt = kmin + ((kmax - kmin) / 2) * (2 / (eb + 1) - 2 / (ea + 1) + 2);
    } else {
      kempt = kmax;
    }
    dx[1] = kmax * qsto1 - qsto2 * kempt;
    dx[2] = kempt * qsto2 - this.kabs * qgut;

    // (4) plasma glucose mass [mg/kg/min]
    const ra = (this.f * this.kabs * qgut) / this.BW;
    const egp = this.kp1 - this.kp2 * gp - this.kp3 * id;
    const renal = gp > this.ke2 ? this.ke1 * (gp - this.ke2) : 0;
    const dgp = (egp > 0 ? egp : 0) + ra - this.Fsnc - renal - this.k1 * gp + this.k2 * gt;
    dx[3] = gp >= 0 ? dgp : 0;

    // (5) tissue glucose mass: insulin-dependent Michaelis-Menten utilisation
    const vm = this.Vm0 + this.Vmx * xi;
    const uid = (vm * gt) / (this.Km0 + gt);
    const dgt = -uid + this.k1 * gp - this.k2 * gt;
    dx[4] = gt >= 0 ? dgt : 0;

    // (6)-(10) insulin
    const dip = -(this.m2 + this.m4) * ip + this.m1 * il + this.ka1 * isc1 + this.ka2 * isc2;
    const conc = ip / this.Vi; // plasma insulin concentration I [pmol/L]
    dx[5] = ip >= 0 ? dip : 0;
    dx[6] = -this.p2u * xi + this.p2u * (conc - this.Ib);
    dx[7] = -this.ki * (i1 - conc);
    dx[8] = -this.ki * (id - i1);
    const dil = -(this.m1 + this.m30) * il + this.m2 * ip;
    dx[9] = il >= 0 ? dil : 0;

    // (11)-(12) subcutaneous insulin
    const disc1 = this.insulinPmolPerKgMin - (this.ka1 + this.kd) * isc1;
    dx[10] = isc1 >= 0 ? disc1 : 0;
    const disc2 = this.kd * isc1 - this.ka2 * isc2;
    dx[11] = isc2 >= 0 ? disc2 : 0;

    // (13) subcutaneous glucose mass
    const dgs = -this.ksc * gs + this.ksc * gp;
    dx[12] = gs >= 0 ? dgs : 0;
  }
}
