/**
 * The shield wrapper's common part: a layer between any policy and the patient that rewrites an
 * unsafe action BEFORE the env applies it, never raising the dose, and records what it did.
 *
 * A concrete shield (t1d-shield.ts, chemo-shield.ts) tracks the patient state from the infos the
 * inner env returns (`observe`) and computes, before each step, the largest dose it allows (`cap`,
 * in the action's physical unit) with the rule that binds (`reasons`). An action whose dose is at or
 * below the cap passes unchanged (the very same object or index); a larger one is replaced by the
 * largest representable dose not above the cap: for a float32/float64 Box the cap rounded DOWN to
 * the dtype, for Discrete the highest level not above the cap.
 *
 * Every step's info gets `shield = { intervened, reasons, requested, applied, unit, ... }` (doses
 * in physical units) and `shieldInterventions` (0/1, summable over an episode); reset infos get
 * `shieldInterventions: 0`; the info of the step that ends an episode also gets
 * `shieldEpisode = { interventions, steps, rate }`.
 *
 * The shield must see physical units: it wraps the raw env, before constraint costs and a custom
 * reward (src/evaluation/env-stack.ts). The agents clip actions and normalise observations on their
 * side of the env (agents/common/policy.ts), so the env they step stays in physical units.
 */
import { UserError } from '../core/errors.ts';
import { assertAction, type Action, type Env, type Info, type Observation, type ResetArgs, type ResetResult, type StepResult } from '../core/env.ts';
import { Box, type BoxValue, type Space } from '../core/spaces.ts';
import { Wrapper } from '../core/wrappers.ts';

type AnyEnv = Env<Observation, Action>;

/** What a shield records in each step's info. */
export interface ShieldRecord {
  intervened: boolean;
  /** Rules that lowered the dose (empty when the action passed unchanged). */
  reasons: string[];
  /** Dose the policy asked for, in `unit`. */
  requested: number;
  /** Dose the env received, in `unit`. */
  applied: number;
  unit: string;
  [extra: string]: unknown;
}

/** The largest allowed dose before a step and the rules behind it. */
export interface ShieldLimit {
  /** Upper limit on the dose, in the shield's unit (>= 0; Infinity = no limit). */
  cap: number;
  /** For each rule that limits: its name and its own cap. The cap is the minimum of them. */
  rules: Array<{ reason: string; cap: number }>;
  /** Extra fields for the info record (e.g. predicted glucose). */
  extra?: Record<string, unknown>;
}

/** The largest float32 value <= x (x finite). */
export function float32AtMost(x: number): number {
  const f = Math.fround(x);
  if (f <= x) return f;
  const buf = new Float32Array([f]);
  const bits = new Int32Array(buf.buffer);
  // Positive: one ulp down is bits - 1; negative: one ulp further from 0 is bits + 1.
  bits[0] = (bits[0] as number) + (f > 0 ? -1 : 1);
  return buf[0] as number;
}

/** Index of the highest level <= cap (the first such on ties), or -1 when there is none. */
export function highestLevelAtMost(levels: readonly number[], cap: number): number {
  let best = -1;
  for (let i = 0; i < levels.length; i++) {
    const v = levels[i] as number;
    if (v <= cap && (best < 0 || v > (levels[best] as number))) best = i;
  }
  return best;
}

export abstract class Shield extends Wrapper {
  /** Interventions in the current episode. */
  episodeInterventions = 0;
  /** Steps in the current episode. */
  episodeSteps = 0;
  /** Interventions since construction. */
  totalInterventions = 0;
  private ready = false;

  constructor(env: AnyEnv) {
    super(env);
    const space = env.actionSpace;
    if (space instanceof Box && space.size !== 1) {
      throw new UserError(`shield: ${env.metadata.id} has action space ${space.toString()}; the shield needs a single dose (Box of size 1) or Discrete`);
    }
  }

  /** Physical unit of doses, e.g. 'U/h'. */
  abstract readonly unit: string;
  /** Update the tracked patient state from the info of a reset (`atReset`) or a step. */
  protected abstract observe(info: Info, atReset: boolean): void;
  /** The limit for the coming step, from the tracked state. */
  protected abstract limit(): ShieldLimit;
  /** The dose an action stands for, in `unit` (discrete actions via the current levels). */
  protected abstract doseOf(action: Action): number;
  /** Dose of each discrete level, in `unit` (only called for Discrete action spaces). */
  protected abstract levels(): readonly number[];

  /** The action the env will receive for `action` and the record of the decision (no side effects). */
  shieldAction(action: Action): { action: Action; record: ShieldRecord } {
    const requested = this.doseOf(action);
    const lim = this.limit();
    const extra = lim.extra ?? {};
    if (!(requested > lim.cap)) {
      return { action, record: { intervened: false, reasons: [], requested, applied: requested, unit: this.unit, ...extra } };
    }
    const reasons = lim.rules.filter((r) => requested > r.cap).map((r) => r.reason);
    const { action: safe, applied } = this.actionAtMost(lim.cap);
    return { action: safe, record: { intervened: true, reasons, requested, applied, unit: this.unit, ...extra } };
  }

  /**
   * The action with the largest dose not above `cap` (in `unit`), and that dose. The default reads
   * the Box in physical units (the cap rounded DOWN to its dtype, never below its low bound) or
   * picks the highest Discrete level not above the cap; a shield whose env encodes doses otherwise
   * (T1D-v0's patient-relative modes) overrides it.
   */
  protected actionAtMost(cap: number): { action: Action; applied: number } {
    const space: Space = this.env.actionSpace;
    if (space instanceof Box) {
      const out = space.zeros();
      const low = space.low[0] as number;
      const capped = space.dtype === 'float32' ? float32AtMost(cap) : cap;
      out[0] = Math.max(low, capped);
      if ((out[0] as number) > cap) throw new UserError(`shield: ${this.metadata.id}: the lowest action ${low} is above the safe dose ${cap} ${this.unit}`);
      return { action: out as BoxValue, applied: out[0] as number };
    }
    const levels = this.levels();
    const i = highestLevelAtMost(levels, cap);
    if (i < 0) throw new UserError(`shield: ${this.metadata.id}: no discrete level is at or below the safe dose ${cap} ${this.unit}; levels: ${levels.join(', ')}`);
    return { action: i, applied: levels[i] as number };
  }

  override reset(args?: ResetArgs): ResetResult<Observation> {
    const r = this.env.reset(args);
    this.observe(r.info, true);
    this.ready = true;
    this.episodeInterventions = 0;
    this.episodeSteps = 0;
    return { observation: r.observation, info: { ...r.info, shieldInterventions: 0 } };
  }

  override step(action: Action): StepResult<Observation> {
    // Before the first reset there is no state to judge by: the inner env raises its own error.
    if (!this.ready) return this.env.step(action);
    assertAction(this.env.actionSpace, action, `${this.metadata.id} (Shield)`);
    const { action: safe, record } = this.shieldAction(action);
    const r = this.env.step(safe);
    this.observe(r.info, false);
    if (record.intervened) {
      this.episodeInterventions++;
      this.totalInterventions++;
    }
    this.episodeSteps++;
    const info: Info = { ...r.info, shield: record, shieldInterventions: record.intervened ? 1 : 0 };
    if (r.terminated || r.truncated) info['shieldEpisode'] = { interventions: this.episodeInterventions, steps: this.episodeSteps, rate: this.episodeInterventions / this.episodeSteps };
    return { ...r, info };
  }
}

/** Shields read the patient state from info with the typed reader's checks (src/core/info.ts). */
export { infoNumber } from '../core/info.ts';
