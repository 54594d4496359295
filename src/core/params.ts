/**
 * Checking the parameters of a method a config names, e.g. `{ type: pid, targetMgDl: 120 }` in
 * evaluate.methods: the patient families validate their baselines' parameters with these
 * (envs/<family>/family.ts), so every family reports a bad parameter in the same words, as a
 * one-line UserError naming `where.<parameter>` and what is allowed.
 */
import type { z } from 'zod';
import { UserError } from './errors.ts';
import { parseWithSchema } from './validate.ts';

/** Rejects parameters outside `allowed`. */
export function expectNoParams(params: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(params)) {
    if (!allowed.includes(key)) throw new UserError(`${where}.${key}: unknown parameter; allowed: ${allowed.join(', ') || '(none)'}`);
  }
}

/** A finite number parameter, or `fallback` when it is absent (required when no fallback is given). */
export function numberParam(params: Record<string, unknown>, key: string, where: string, fallback?: number): number {
  const v = params[key];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new UserError(`${where}.${key}: expected a number, got ${JSON.stringify(v) ?? 'nothing'}`);
  return v;
}

/**
 * Checks the optional numeric parameters: each given one must be a number above `min` (or at
 * least `min` when `inclusive`); null allowed where `nullable` (e.g. no suspend).
 */
export function checkNumbers(params: Record<string, unknown>, where: string, rules: Record<string, { min: number; inclusive?: boolean; nullable?: boolean }>): void {
  for (const [key, rule] of Object.entries(rules)) {
    const v = params[key];
    if (v === undefined || (v === null && rule.nullable)) continue;
    const ok = typeof v === 'number' && Number.isFinite(v) && (rule.inclusive ? v >= rule.min : v > rule.min);
    if (!ok) throw new UserError(`${where}.${key}: expected a number ${rule.inclusive ? '>=' : '>'} ${rule.min}${rule.nullable ? ' or null' : ''}, got ${JSON.stringify(v) ?? 'nothing'}`);
  }
}

/**
 * Parameters validated by the method's own options schema (e.g. the PID's, which T1D-v0 and
 * `dosegym simulate` use too), reported in the same words as the checks above.
 */
export function parseParams<S extends z.ZodObject>(schema: S, params: Record<string, unknown>, where: string): z.infer<S> {
  expectNoParams(params, Object.keys(schema.shape), where);
  return parseWithSchema(schema, params, `${where}.`);
}
