/**
 * Shields per experiment: `resolveShieldOptions(envId, options)` validates a plain options object
 * against the shield of the env's patient family (`Family.shield`, src/core/family.ts: its strict
 * option schema, its defaults and its wrapper class) and `makeShield(env, envId, options)` wraps
 * the env in it. Omitted fields take the family's defaults; `null` switches a rule off. The
 * families build their option schemas from the field validators below, so every shield reports a
 * bad value in the same words.
 *
 * Example (YAML): `shield: { suspendBelowMgDl: 80, maxIobBasalMultiple: 3 }` for T1D-v0
 * (envs/glucose/family.ts, src/safety/t1d-shield.ts), `shield: { maxDosePerDay: 0.5,
 * maxCumulativeDose: 45 }` for Chemo-DePillis-v0 (envs/chemo/family.ts, src/safety/chemo-shield.ts,
 * which explains its predictive `minN` rule and why it is off by default).
 *
 * The shield wraps the raw (physical-unit) env: make(id) -> shield -> ConstraintCost -> reward
 * (src/evaluation/env-stack.ts).
 */
import { z } from 'zod';
import { parseWithSchema } from '../core/validate.ts';
import { UserError } from '../core/errors.ts';
import type { Action, Env, Observation } from '../core/env.ts';
import { familyOf, listFamilies, type ShieldSpec } from '../core/family.ts';

/** A threshold in mg/dL (>= 0), or null for off. */
export const mgDlOrNull = (what: string) =>
  z.number({ error: `expected ${what} in mg/dL (a number >= 0) or null` }).min(0, { error: `expected ${what} in mg/dL (a number >= 0) or null` }).finite().nullable();
/** A duration in minutes (> 0). */
export const positiveMinutes = z.number({ error: 'expected a number of minutes > 0' }).positive({ error: 'expected a number of minutes > 0' }).finite();
/** A limit > 0 in `unit`, or null for none. */
export const positiveOrNull = (unit: string) =>
  z.number({ error: `expected a number > 0 (${unit}) or null` }).positive({ error: `expected a number > 0 (${unit}) or null` }).finite().nullable();
/** A limit >= 0 in `unit`, or null for none. */
export const nonNegativeOrNull = (unit: string) =>
  z.number({ error: `expected a number >= 0 (${unit}) or null` }).min(0, { error: `expected a number >= 0 (${unit}) or null` }).finite().nullable();

/** Environments with a shield (their families register one). */
export function shieldedEnvIds(): string[] {
  return listFamilies().filter((f) => f.shield !== undefined).flatMap((f) => f.envIds);
}

function shieldOf(envId: string): ShieldSpec {
  const spec = familyOf(envId).shield;
  if (spec === undefined) throw new UserError(`shield: no shield for environment '${envId}'; shielded environments: ${shieldedEnvIds().join(', ')}`);
  return spec;
}

/** Validate shield options for `envId` (UserError naming the field) and return them complete (defaults filled in). */
export function resolveShieldOptions(envId: string, options: unknown = {}): Readonly<Record<string, unknown>> {
  const spec = shieldOf(envId);
  const given = parseWithSchema(spec.schema, options ?? {}, 'shield.') as Record<string, unknown>;
  const out: Record<string, unknown> = { ...spec.defaults };
  for (const [key, value] of Object.entries(given)) if (value !== undefined) out[key] = value;
  return Object.freeze(out);
}

/** Wrap `env` (in physical units) in the shield of `envId`'s family, with `options` validated. */
export function makeShield(env: Env<Observation, Action>, envId: string, options: unknown = {}): Env<Observation, Action> {
  const config = resolveShieldOptions(envId, options);
  if (env.metadata.id !== envId) throw new UserError(`shield: the env is ${env.metadata.id}, not ${envId}`);
  return shieldOf(envId).wrap(env, config);
}

export { Shield, float32AtMost, highestLevelAtMost, type ShieldRecord, type ShieldLimit } from './shield-base.ts';
export { T1DShield, T1D_SHIELD_DEFAULTS, T1D_REASONS, linearProjection, type T1DShieldConfig } from './t1d-shield.ts';
export { ChemoShield, CHEMO_SHIELD_DEFAULTS, CHEMO_REASONS, doseInWindow, type ChemoShieldConfig } from './chemo-shield.ts';
