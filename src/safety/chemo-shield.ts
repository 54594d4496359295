/**
 * Dose shield for Chemo-DePillis-v0 (doses as fractions of the maximum infusion rate, in [0, 1],
 * held for one step of `stepDays`; amounts in dose-days = dose x days). Before each step the
 * allowed dose is the minimum of:
 *
 * - `low-N` (`minN`, null = off): a PREDICTIVE rule that holds the drug only when the drug itself
 *   would take N below `minN`. From the current true state [N, T, I, B] (info; clinically a blood
 *   count and imaging before each administration) the shield integrates the de Pillis model
 *   (envs/chemo/depillis-model.ts, the env's RK4 with its default 10 sub-steps) over the next
 *   `minNHorizonDays`: first with the dose the other rules allow (the request, capped by them) held
 *   throughout; if N would fall below `minN` at some step end, again with no drug held throughout.
 *   It gives 0 instead of the dose exactly when N would fall below `minN` with the dose and stay at
 *   or above it without: the breach is the drug's doing. So by construction an intervention never
 *   lowers the predicted minimum of N over the horizon compared with the unshielded action (it
 *   raises it from below `minN` to at least `minN`). Where the tumour would take N below the line
 *   anyway, the rule lets the drug through: treating is then what protects N. The model's
 *   parameters are the patient's own (`minNModel: 'patient'`, the episode's draw from the reset
 *   info's `params`) or the published nominal ones (`'nominal'`).
 * - `max-dose-per-day`: the dose-days delivered in the 24 hours ending at the END of the coming step
 *   (earlier steps pro rata by overlap, plus dose x min(stepDays, 1) for the coming one) stay
 *   <= `maxDosePerDay` [dose-days per day]; null = none;
 * - `cumulative-cap`: info.cumulativeDose + dose x stepDays <= `maxCumulativeDose` [dose-days]; null = none.
 *
 * What the `low-N` rule guarantees, and what it cannot. With `minNModel: 'patient'` and the env's own
 * state its prediction is the env's own trajectory (the same RK4 with the env's default 10
 * sub-steps), so in simulation, settings 1-5 alike (observation noise and missing observations
 * reach only the agent; the shield reads the true state), the comparison holds exactly for the
 * held doses it compares: test/chemo-shield.test.ts checks it against the env on the nominal model
 * and on random patients of DTR-Bench setting 2. It does NOT guarantee:
 * - anything about what the policy does next: the prediction holds each dose over the horizon, the
 *   policy may not; and nothing beyond the horizon (a tumour left to grow costs N later);
 * - anything in a clinic, where N is hidden (DTR-Bench's observation has no N; a blood count comes
 *   days apart, not every 6 hours) and the patient's parameters are unknown: with a stale or noisy
 *   N, or with the nominal parameters for a patient who differs (`minNModel: 'nominal'` on setting
 *   2 patients), the predicted minima can be wrong in either direction, so an intervention may lower
 *   the true minimum of N (test/chemo-shield.test.ts finds such decisions on setting 2 patients).
 *
 * Measured (minN 0.75, horizon 1 day, patient model; DTR-Bench setting 2, 100 patients, episode
 * seeds 1000-1099; unshielded -> shielded): MTD clears 70 -> 70 tumours with 19 -> 19
 * terminations, mean minimum N 0.704 -> 0.704, drug toxicity (the `drugToxicity` cost,
 * envs/chemo/family.ts) 1.27 -> 1.04 pp-days, 4.0 interventions per episode; dose 0.5: 61 -> 61
 * cleared, 0.68 -> 0.60 pp-days; dose 0.3: 56 -> 56, 0.41 -> 0.39; 1 day on, 6 off: 46 -> 45
 * cleared. With the nominal parameters instead: 70 / 61 / 55 / 46 cleared. On the nominal patient
 * MTD's minimum N goes 0.708 -> 0.707: the two doses held back in the first days leave the tumour
 * a little longer (a cost beyond the horizon). Longer horizons stop the drug less often where it
 * matters (untreated, N falls below 0.75 within about 2.5 days) and cut less toxicity (7 days: 1.17
 * pp-days for MTD).
 *
 * Off by default (minN: null), like every rule of this shield: it changes little on any schedule
 * measured (the drug alone rarely takes N below 0.75 in this model; the tumour does), and it reads
 * what a clinic does not have (the true state every 6 hours and, by default, the patient's own
 * parameters), so a configured shield should not apply it silently; `minN: 0.75` switches it on.
 * A rule that withholds the drug whenever the predicted minimum of N over the horizon is higher
 * without it (whoever causes the breach) also never lowers that minimum, but fights the treatment:
 * with a 7-day horizon MTD cleared 43 instead of 70 of the 100 tumours, with 30 days 55.
 *
 * The first `low-N` rule (no dose whenever N < minN) harmed: withholding the drug while N is low
 * lets the tumour grow and N falls further (the competition term c4 T N); on the nominal patient it
 * killed MTD, constant 0.5 and 0.3 (terminated at steps 119 / 100 / 89, measured).
 *
 * Limits hold up to floating-point rounding (~1e-15 dose-days).
 *
 * The info record adds `N`, `cumulativeDose`, `doseLastDay` (dose-days in the 24 h before the
 * decision's window, i.e. the earlier steps' part) and, with `minN`, `predictedMinN` (with the dose)
 * and `predictedMinNHeld` (without) to the common fields.
 */
import { UserError } from '../core/errors.ts';
import type { Action, Env, Info, Observation } from '../core/env.ts';
import { Box } from '../core/spaces.ts';
import { DEPILLIS_PARAMS, DePillisIntegrator, PARAM_NAMES, type DePillisParams } from '../../envs/chemo/depillis-model.ts';
import { Shield, infoNumber, type ShieldLimit, type ShieldRecord } from './shield-base.ts';

export interface ChemoShieldConfig {
  /** Hold the drug when, over the horizon, N would fall below this with the dose and stay at or above it without; null disables. */
  minN: number | null;
  /** Prediction horizon of the `low-N` rule [days]. */
  minNHorizonDays: number;
  /** Model parameters of the `low-N` prediction: the patient's own ('patient') or the nominal table ('nominal'). */
  minNModel: 'patient' | 'nominal';
  /** Maximum dose-days in any 24 h ending at a step end; null = none. */
  maxDosePerDay: number | null;
  /** Maximum cumulative dose over the episode [dose-days]; null = none. */
  maxCumulativeDose: number | null;
}

export const CHEMO_SHIELD_DEFAULTS: Readonly<ChemoShieldConfig> = Object.freeze({
  minN: null,
  minNHorizonDays: 1,
  minNModel: 'patient',
  maxDosePerDay: null,
  maxCumulativeDose: null,
});

export const CHEMO_REASONS = ['low-N', 'max-dose-per-day', 'cumulative-cap'] as const;

const WHO = 'chemo shield';

/** Dose-days of piecewise-constant doses inside the window [from, to]. */
export function doseInWindow(history: ReadonlyArray<{ start: number; end: number; dose: number }>, from: number, to: number): number {
  let s = 0;
  for (const h of history) {
    const overlap = Math.min(h.end, to) - Math.max(h.start, from);
    if (overlap > 0) s += h.dose * overlap;
  }
  return s;
}

/**
 * The lowest N at the ends of `steps` steps of `stepDays`, from `state` [N, T, I, B] with `dose`
 * held throughout (the state is not changed). The model's integrator with its sub-steps.
 */
export function predictedMinN(integrator: DePillisIntegrator, state: ArrayLike<number>, dose: number, stepDays: number, steps: number): number {
  const y = Float64Array.from(state);
  let min = Infinity;
  for (let k = 0; k < steps; k++) {
    integrator.advance(y, dose, stepDays);
    if ((y[0] as number) < min) min = y[0] as number;
  }
  return min;
}

/** The patient's parameters from a reset info's `params`, each checked. */
function paramsOf(info: Info): DePillisParams {
  const raw = info['params'];
  if (raw === null || typeof raw !== 'object') throw new Error(`${WHO}: the reset info has no params (the patient's model parameters); use minNModel: 'nominal'`);
  const out = { ...DEPILLIS_PARAMS };
  for (const name of PARAM_NAMES) out[name] = infoNumber(raw as Info, name, `${WHO} (params)`);
  return out;
}

export class ChemoShield extends Shield {
  readonly unit = 'dose fraction';
  readonly config: Readonly<ChemoShieldConfig>;
  readonly stepDays: number;
  /** Steps of the `low-N` prediction (the horizon rounded up to whole steps). */
  readonly horizonSteps: number;
  private readonly integrator = new DePillisIntegrator({ ...DEPILLIS_PARAMS });
  private readonly state = new Float64Array(4);
  private cumulativeDose = 0;
  private day = 0;
  private history: Array<{ start: number; end: number; dose: number }> = [];
  /** The dose the policy asks for in the decision being made (the `low-N` rule compares it). */
  private requested = 0;

  constructor(env: Env<Observation, Action>, config: Partial<ChemoShieldConfig> = {}) {
    super(env);
    this.config = Object.freeze({ ...CHEMO_SHIELD_DEFAULTS, ...config });
    const d = env.metadata.stepDuration;
    if (d.unit !== 'day') throw new UserError(`shield: ${env.metadata.id} steps are in ${d.unit}s; the chemotherapy shield needs steps in days`);
    this.stepDays = d.value;
    this.horizonSteps = Math.max(1, Math.ceil(this.config.minNHorizonDays / this.stepDays - 1e-9));
    const space = env.actionSpace;
    if (space instanceof Box && (space.low[0] !== 0 || space.high[0] !== 1)) {
      throw new UserError(`shield: ${env.metadata.id} action space ${space.toString()} is not a dose in [0, 1]; the shield wraps the raw env, whose action is the dose fraction`);
    }
  }

  protected observe(info: Info, atReset: boolean): void {
    this.cumulativeDose = infoNumber(info, 'cumulativeDose', WHO);
    this.day = infoNumber(info, 'day', WHO);
    this.state[0] = infoNumber(info, 'N', WHO);
    if (this.config.minN !== null) {
      this.state[1] = infoNumber(info, 'T', WHO);
      this.state[2] = infoNumber(info, 'I', WHO);
      this.state[3] = infoNumber(info, 'B', WHO);
      if (atReset) this.integrator.params = this.config.minNModel === 'patient' ? paramsOf(info) : { ...DEPILLIS_PARAMS };
    }
    if (atReset) {
      this.history = [];
      return;
    }
    this.history.push({ start: this.day - this.stepDays, end: this.day, dose: infoNumber(info, 'dose', WHO) });
    // Keep only steps that can overlap the next 24-hour window [day + stepDays - 1, day + stepDays].
    const from = this.day + this.stepDays - 1;
    this.history = this.history.filter((h) => h.end > from);
  }

  protected doseOf(action: Action): number {
    if (typeof action !== 'number') return action[0] as number;
    const n = (this.env.actionSpace as { n: number }).n;
    return n === 1 ? 0 : action / (n - 1);
  }

  protected levels(): readonly number[] {
    const n = (this.env.actionSpace as { n: number }).n;
    return Array.from({ length: n }, (_, i) => (n === 1 ? 0 : i / (n - 1)));
  }

  /** The `low-N` rule compares the requested dose, so remember it for `limit()`. */
  override shieldAction(action: Action): { action: Action; record: ShieldRecord } {
    this.requested = this.doseOf(action);
    return super.shieldAction(action);
  }

  protected limit(): ShieldLimit {
    const c = this.config;
    const s = this.stepDays;
    const rules: ShieldLimit['rules'] = [];
    const end = this.day + s;
    const prior = doseInWindow(this.history, end - 1, end);
    if (c.maxDosePerDay !== null) rules.push({ reason: 'max-dose-per-day', cap: Math.max(0, c.maxDosePerDay - prior) / Math.min(s, 1) });
    if (c.maxCumulativeDose !== null) rules.push({ reason: 'cumulative-cap', cap: Math.max(0, c.maxCumulativeDose - this.cumulativeDose) / s });
    const extra: Record<string, unknown> = { N: this.state[0], cumulativeDose: this.cumulativeDose, doseLastDay: prior };
    if (c.minN !== null) {
      // The dose the other rules would let through, held over the horizon, against no drug held.
      const dose = rules.reduce((m, r) => Math.min(m, r.cap), this.requested);
      const withDose = dose > 0 ? predictedMinN(this.integrator, this.state, dose, s, this.horizonSteps) : NaN;
      const held = withDose < c.minN ? predictedMinN(this.integrator, this.state, 0, s, this.horizonSteps) : NaN;
      // The drug, not the tumour, would take N below minN: without it N stays at or above the line.
      if (held >= c.minN) rules.push({ reason: 'low-N', cap: 0 });
      extra['predictedMinN'] = Number.isNaN(withDose) ? null : withDose;
      extra['predictedMinNHeld'] = Number.isNaN(held) ? null : held;
    }
    const cap = rules.reduce((m, r) => Math.min(m, r.cap), Infinity);
    return { cap, rules, extra };
  }
}
