/**
 * One virtual patient advanced minute by minute, with simglucose's meal-eating logic.
 *
 * Model: UVA/Padova (Dalla Man et al., IEEE TBME 2007; Kovatchev et al., JDST 2009) via model.ts;
 * meal logic and integration as in simglucose's T1DPatient (Xie 2018, a6f6777,
 * simglucose/patient/t1dpatient.py):
 *  - an announced meal [g] is added to `planned_meal`; each minute the patient eats
 *    to_eat = min(5, planned_meal) g (5 g/min) and the ODE sees to_eat as a g/min rate;
 *  - a meal starts when to_eat > 0 after a minute with to_eat <= 0: last_Qsto := Qsto1 + Qsto2 [mg],
 *    last_foodtaken := 0; while eating, last_foodtaken += to_eat [g] BEFORE the minute is integrated;
 *    at the end of a meal both keep their values until the next meal starts;
 *  - D-bar [mg] = last_Qsto + 1000 * last_foodtaken (grows by 5000 mg per minute of eating).
 * The ODE is advanced over [t, t+1) by an adaptive Dormand-Prince 5(4) with simglucose's settings
 * (integrator.ts), carrying the step size from minute to minute as scipy's dopri5 does.
 */
import { Dopri5, type Integrator } from './integrator.ts';
import { N_STATES, UvaPadovaModel } from './model.ts';
import type { PatientParams } from './patient.ts';

/** simglucose's EAT_RATE [g/min]. */
export const EAT_RATE_G_PER_MIN = 5;

export interface PatientSimulatorOptions {
  /** Initial 13-state vector (default: the patient's basal steady state x0). */
  initialState?: Float64Array;
  /** Integrator to use (default: Dopri5 with simglucose's tolerances). For measurements. */
  integrator?: Integrator;
}

export class PatientSimulator {
  readonly patient: PatientParams;
  /** The live 13-state vector (see model.ts for order and units). */
  readonly state: Float64Array;
  /** Minutes since the start of the run (integer). */
  minute = 0;

  private readonly model: UvaPadovaModel;
  private readonly integrator: Integrator;
  /** Solver time (the integrator's own, can differ from `minute` by rounding as in scipy). */
  private t = 0;
  private plannedMeal = 0; // g, announced but not yet eaten
  private lastToEat = 0; // g/min eaten in the previous minute
  private lastQstoMg = 0; // stomach content at the start of the current/last meal [mg]
  private lastFoodTakenG = 0; // g eaten since the start of the current/last meal
  private eating = false;

  constructor(patient: PatientParams, options: PatientSimulatorOptions = {}) {
    this.patient = patient;
    this.model = new UvaPadovaModel(patient);
    this.integrator = options.integrator ?? new Dopri5(N_STATES);
    this.state = new Float64Array(N_STATES);
    this.resetState(options.initialState);
  }

  /** Back to minute 0 with the given (default: the patient's x0) initial state; no meal pending. */
  reset(initialState?: Float64Array): void {
    this.resetState(initialState);
    this.integrator.reset();
  }

  /** Everything but the integrator (a clone keeps its integrator's carried step). */
  private resetState(initialState: Float64Array | undefined): void {
    const x0 = initialState ?? this.patient.x0;
    if (x0.length !== N_STATES) throw new RangeError(`PatientSimulator: initialState must have ${N_STATES} values, got ${x0.length}`);
    this.state.set(x0);
    this.minute = 0;
    this.t = 0;
    this.plannedMeal = 0;
    this.lastToEat = 0;
    // simglucose resets last_Qsto to the initial stomach content (0 for the default state).
    this.lastQstoMg = this.state[0]! + this.state[1]!;
    this.lastFoodTakenG = 0;
    this.eating = false;
  }

  /** The scenario announces `grams` of CHO at the current minute (eaten at 5 g/min from this minute). */
  announceMeal(grams: number): void {
    if (!(grams >= 0) || !Number.isFinite(grams)) throw new RangeError(`announceMeal: grams must be a finite number >= 0, got ${grams}`);
    this.plannedMeal += grams;
  }

  /**
   * Integrate [minute, minute+1) with insulin `insulinUPerMin` [U/min, already pump-processed] and
   * the meal logic; returns the CHO eaten this minute [g/min].
   */
  stepMinute(insulinUPerMin: number): number {
    if (!(insulinUPerMin >= 0 && insulinUPerMin < Infinity)) {
      throw new RangeError(`stepMinute: insulin must be a finite rate >= 0 U/min, got ${insulinUPerMin}`);
    }
    // Eat from the planned meal (simglucose's _announce_meal, with the announcement done separately).
    const toEat = Math.min(EAT_RATE_G_PER_MIN, this.plannedMeal);
    this.plannedMeal = Math.max(0, this.plannedMeal - toEat);

    if (toEat > 0 && this.lastToEat <= 0) {
      // Meal starts: reference content for D-bar is what is already in the stomach.
      this.lastQstoMg = this.state[0]! + this.state[1]!;
      this.lastFoodTakenG = 0;
      this.eating = true;
    }
    if (this.eating) this.lastFoodTakenG += toEat;
    if (toEat <= 0 && this.lastToEat > 0) this.eating = false;
    this.lastToEat = toEat;

    this.model.setInputs(toEat, insulinUPerMin, this.lastQstoMg + this.lastFoodTakenG * 1000);
    this.t = this.integrator.integrate(this.model, this.state, this.t, this.t + 1);
    this.minute++;
    return toEat;
  }

  /** Subcutaneous glucose Gs/Vg [mg/dL] — simglucose's "BG", what the CGM measures. */
  get bgMgDl(): number {
    return this.state[12]! / this.patient.Vg;
  }

  /** Plasma glucose Gp/Vg [mg/dL]. */
  get plasmaBgMgDl(): number {
    return this.state[3]! / this.patient.Vg;
  }

  /** CHO announced but not yet eaten [g]. */
  get plannedMealG(): number {
    return this.plannedMeal;
  }

  /** D-bar [mg] used in the last integrated minute (for diagnostics and tests). */
  get dbarMg(): number {
    return this.lastQstoMg + this.lastFoodTakenG * 1000;
  }

  /** An independent copy with the same state, meal bookkeeping and solver step size. */
  clone(): PatientSimulator {
    const copy = new PatientSimulator(this.patient, { integrator: this.integrator.clone() });
    copy.state.set(this.state);
    copy.minute = this.minute;
    copy.t = this.t;
    copy.plannedMeal = this.plannedMeal;
    copy.lastToEat = this.lastToEat;
    copy.lastQstoMg = this.lastQstoMg;
    copy.lastFoodTakenG = this.lastFoodTakenG;
    copy.eating = this.eating;
    return copy;
  }
}
