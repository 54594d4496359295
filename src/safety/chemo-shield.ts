/**
 * Dose shield for Chemo-DePillis-v0 (doses as fractions of the maximum infusion rate, in [0, 1],
 * held for one step of `stepDays`; amounts in dose-days = dose x days). Before each step the
 * allowed dose is the minimum of:
 *
 * - `low-N`: 0 while the normal-cell population N < `minN` (null = off, the default). N is the TRUE
 *   state from info.N (clinically: a blood count before each administration, as dose holds for low
 *   neutrophil counts; the agent's observation may hide N);
 * - `max-dose-per-day`: the dose-days delivered in the 24 hours ending at the END of the coming step
 *   (earlier steps pro rata by overlap, plus dose x min(stepDays, 1) for the coming one) stay
 *   <= `maxDosePerDay` [dose-days per day]; null = none;
 * - `cumulative-cap`: info.cumulativeDose + dose x stepDays <= `maxCumulativeDose` [dose-days]; null = none.
 *
 * All rules are off by default; choose them per experiment. Why `low-N` is not on by default: in the
 * de Pillis model the tumour also depletes normal cells (competition term c4 T N), so withholding
 * the drug while N is low lets the tumour grow and N falls further. Measured on the nominal patient
 * (Chemo-DePillis-v0 defaults, seed 1, 600 steps): unshielded, MTD (dose 1), constant 0.5 and
 * constant 0.3 all survive the 150 days and clear the tumour (T < 2e-5, min N 0.708 / 0.701 / 0.693);
 * with `minN: 0.75` all three are terminated (N < 0.7 N0 = 0.63) at steps 119 / 100 / 89 after
 * receiving only 2.3 / 1.3 / 0.8 dose-days; with 0.72 MTD survives (min N 0.716, 26 interventions)
 * but constant 0.5 and 0.3 die. Use it with a policy trained under the shield, or a low threshold.
 *
 * Limits hold up to floating-point rounding (~1e-15 dose-days).
 *
 * The info record adds `N`, `cumulativeDose` and `doseLastDay` (dose-days in the 24 h before the
 * decision's window, i.e. the earlier steps' part) to the common fields.
 */
import { UserError } from '../core/errors.ts';
import type { Action, Env, Info, Observation } from '../core/env.ts';
import { Box } from '../core/spaces.ts';
import { Shield, infoNumber, type ShieldLimit } from './shield-base.ts';

export interface ChemoShieldConfig {
  /** No dose while N < this; null disables. */
  minN: number | null;
  /** Maximum dose-days in any 24 h ending at a step end; null = none. */
  maxDosePerDay: number | null;
  /** Maximum cumulative dose over the episode [dose-days]; null = none. */
  maxCumulativeDose: number | null;
}

export const CHEMO_SHIELD_DEFAULTS: Readonly<ChemoShieldConfig> = Object.freeze({
  minN: null,
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

export class ChemoShield extends Shield {
  readonly unit = 'dose fraction';
  readonly config: Readonly<ChemoShieldConfig>;
  readonly stepDays: number;
  private N = NaN;
  private cumulativeDose = 0;
  private day = 0;
  private history: Array<{ start: number; end: number; dose: number }> = [];

  constructor(env: Env<Observation, Action>, config: Partial<ChemoShieldConfig> = {}) {
    super(env);
    this.config = Object.freeze({ ...CHEMO_SHIELD_DEFAULTS, ...config });
    const d = env.metadata.stepDuration;
    if (d.unit !== 'day') throw new UserError(`shield: ${env.metadata.id} steps are in ${d.unit}s; the chemotherapy shield needs steps in days`);
    this.stepDays = d.value;
    const space = env.actionSpace;
    if (space instanceof Box && (space.low[0] !== 0 || space.high[0] !== 1)) {
      throw new UserError(`shield: ${env.metadata.id} action space ${space.toString()} is not a dose in [0, 1]; the shield wraps the raw env, whose action is the dose fraction`);
    }
  }

  protected observe(info: Info, atReset: boolean): void {
    this.N = infoNumber(info, 'N', WHO);
    this.cumulativeDose = infoNumber(info, 'cumulativeDose', WHO);
    this.day = infoNumber(info, 'day', WHO);
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

  protected limit(): ShieldLimit {
    const c = this.config;
    const s = this.stepDays;
    const rules: ShieldLimit['rules'] = [];
    if (c.minN !== null && this.N < c.minN) rules.push({ reason: 'low-N', cap: 0 });
    const end = this.day + s;
    const prior = doseInWindow(this.history, end - 1, end);
    if (c.maxDosePerDay !== null) rules.push({ reason: 'max-dose-per-day', cap: Math.max(0, c.maxDosePerDay - prior) / Math.min(s, 1) });
    if (c.maxCumulativeDose !== null) rules.push({ reason: 'cumulative-cap', cap: Math.max(0, c.maxCumulativeDose - this.cumulativeDose) / s });
    const cap = rules.reduce((m, r) => Math.min(m, r.cap), Infinity);
    return { cap, rules, extra: { N: this.N, cumulativeDose: this.cumulativeDose, doseLastDay: prior } };
  }
}
