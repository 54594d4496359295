/**
 * Shields per experiment: `shieldOptionsSchema` validates a plain options object (one flat, strict
 * object: the T1D fields and the chemotherapy fields; each env accepts only its own), and
 * `makeShield(env, envId, options)` wraps the env in the shield of its family. Omitted fields take
 * the family's defaults (T1D_SHIELD_DEFAULTS, CHEMO_SHIELD_DEFAULTS); `null` switches a rule off.
 *
 * Example (YAML): `shield: { suspendBelowMgDl: 80, maxIobBasalMultiple: 3 }` for T1D-v0,
 * `shield: { maxDosePerDay: 0.5, maxCumulativeDose: 45 }` for Chemo-DePillis-v0 (see chemo-shield.ts on
 * why `minN` is off by default).
 *
 * Wrap the raw (physical-unit) env, then the agent-side wrappers:
 *   standardWrappers(makeShield(make(id, envOptions), id, shieldOptions), wrapperOptions)
 */
import { z } from 'zod';
import { parseWithSchema } from '../core/validate.ts';
import { UserError } from '../core/errors.ts';
import type { Action, Env, Observation } from '../core/env.ts';
import { ChemoShield, CHEMO_SHIELD_DEFAULTS, type ChemoShieldConfig } from './chemo-shield.ts';
import { DEPILLIS_ENV, T1D_ENV } from './constraints.ts';
import { T1DShield, T1D_SHIELD_DEFAULTS, type T1DShieldConfig } from './t1d-shield.ts';
import type { Shield } from './shield-base.ts';

const mgDl = (what: string) => z.number({ error: `expected ${what} in mg/dL (a number >= 0) or null` }).min(0, { error: `expected ${what} in mg/dL (a number >= 0) or null` }).finite().nullable();
const positiveMinutes = z.number({ error: 'expected a number of minutes > 0' }).positive({ error: 'expected a number of minutes > 0' }).finite();
const positiveOrNull = (unit: string) =>
  z.number({ error: `expected a number > 0 (${unit}) or null` }).positive({ error: `expected a number > 0 (${unit}) or null` }).finite().nullable();
const nonNegativeOrNull = (unit: string) =>
  z.number({ error: `expected a number >= 0 (${unit}) or null` }).min(0, { error: `expected a number >= 0 (${unit}) or null` }).finite().nullable();

/** Option fields per env family (used to reject another family's fields by name). */
export const T1D_SHIELD_FIELDS = Object.keys(T1D_SHIELD_DEFAULTS) as (keyof T1DShieldConfig)[];
export const CHEMO_SHIELD_FIELDS = Object.keys(CHEMO_SHIELD_DEFAULTS) as (keyof ChemoShieldConfig)[];

export const shieldOptionsSchema = z
  .object({
    // T1D-v0
    suspendBelowMgDl: mgDl('a CGM threshold'),
    predictiveBelowMgDl: mgDl('a predicted-CGM threshold'),
    predictionHorizonMin: positiveMinutes,
    trendWindowMin: positiveMinutes,
    maxRateUnitsPerHour: positiveOrNull('U/h'),
    maxRateBasalMultiple: positiveOrNull('x basal rate'),
    maxIobUnits: nonNegativeOrNull('U'),
    maxIobBasalMultiple: nonNegativeOrNull('x steady-state basal IOB'),
    iobDurationMin: positiveMinutes,
    // Chemo-DePillis-v0
    minN: z.number({ error: 'expected a normal-cell level in [0, 1] or null' }).min(0, { error: 'expected a normal-cell level in [0, 1] or null' }).max(1, { error: 'expected a normal-cell level in [0, 1] or null' }).nullable(),
    maxDosePerDay: positiveOrNull('dose-days per day'),
    maxCumulativeDose: nonNegativeOrNull('dose-days'),
  })
  .partial()
  .strict();

export type ShieldOptions = z.infer<typeof shieldOptionsSchema>;

/** Environments with a shield. */
export const SHIELDED_ENVS = [T1D_ENV, DEPILLIS_ENV] as const;

/** The given fields, all of which must belong to the env's family. */
function pick(options: Record<string, unknown>, fields: readonly string[], envId: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) {
    if (v === undefined) continue;
    if (!fields.includes(k)) throw new UserError(`shield.${k}: not a shield option for ${envId}; allowed: ${fields.join(', ')}`);
    out[k] = v;
  }
  return out;
}

/** Validate shield options for `envId` (UserError naming the field) and return the full config. */
export function resolveShieldOptions(envId: string, options: unknown = {}): T1DShieldConfig | ChemoShieldConfig {
  const o = parseWithSchema(shieldOptionsSchema, options ?? {}, 'shield.') as Record<string, unknown>;
  if (envId === T1D_ENV) {
    return { ...T1D_SHIELD_DEFAULTS, ...pick(o, T1D_SHIELD_FIELDS, envId) } as T1DShieldConfig;
  }
  if (envId === DEPILLIS_ENV) return { ...CHEMO_SHIELD_DEFAULTS, ...pick(o, CHEMO_SHIELD_FIELDS, envId) } as ChemoShieldConfig;
  throw new UserError(`shield: no shield for environment '${envId}'; shielded environments: ${SHIELDED_ENVS.join(', ')}`);
}

/** Wrap `env` (in physical units, i.e. before RescaleAction) in the shield for `envId`. */
export function makeShield(env: Env<Observation, Action>, envId: string, options: unknown = {}): Shield {
  const config = resolveShieldOptions(envId, options);
  if (env.metadata.id !== envId) throw new UserError(`shield: the env is ${env.metadata.id}, not ${envId}`);
  return envId === T1D_ENV ? new T1DShield(env, config as T1DShieldConfig) : new ChemoShield(env, config as ChemoShieldConfig);
}

export { Shield, float32AtMost, highestLevelAtMost, type ShieldRecord, type ShieldLimit } from './shield-base.ts';
export { T1DShield, T1D_SHIELD_DEFAULTS, T1D_REASONS, linearProjection, type T1DShieldConfig } from './t1d-shield.ts';
export { ChemoShield, CHEMO_SHIELD_DEFAULTS, CHEMO_REASONS, doseInWindow, type ChemoShieldConfig } from './chemo-shield.ts';
