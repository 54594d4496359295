/**
 * Reading an env's `info` by field name. An env family declares its info fields once (e.g.
 * envs/glucose/info.ts for T1D-v0) as an `InfoReader`: metrics, constraints, trajectories and
 * shields read through it, a misspelt field name is a type error, and a field the env did not
 * write is a one-line error naming it instead of a silent NaN. The declared fields are also the
 * names a custom reward expression may use (src/config/reward-expression.ts), so no env has to be
 * stepped to learn them.
 */
import type { Info } from './env.ts';

/** A numeric info field, or a one-line error naming it (`T1D shield: info.cgm is missing`). */
export function infoNumber(info: Info, key: string, who: string): number {
  const v = info[key];
  if (typeof v !== 'number' || Number.isNaN(v)) throw new Error(`${who}: info.${key} is ${v === undefined ? 'missing' : `not a number (${String(v)})`}`);
  return v;
}

/** A boolean info field, or a one-line error naming it. */
export function infoFlag(info: Info, key: string, who: string): boolean {
  const v = info[key];
  if (typeof v !== 'boolean') throw new Error(`${who}: info.${key} is ${v === undefined ? 'missing' : `not true or false (${String(v)})`}`);
  return v;
}

/** The typed reader of one env's info: numeric fields `N`, boolean fields `F`. */
export interface InfoReader<N extends string = string, F extends string = string> {
  /** Who reads, for error messages (the env id). */
  readonly who: string;
  /**
   * Every numeric and boolean field the env writes into each reset and step info, sorted: the
   * quantities a reward expression may use (booleans count as 0/1 there).
   */
  readonly fields: readonly string[];
  number(info: Info, field: N): number;
  flag(info: Info, field: F): boolean;
}

export function infoReader<N extends string, F extends string = never>(who: string, spec: { numbers: readonly N[]; flags?: readonly F[] }): InfoReader<N, F> {
  const fields = Object.freeze([...spec.numbers, ...(spec.flags ?? [])].sort());
  if (new Set(fields).size !== fields.length) throw new Error(`infoReader(${who}): a field is declared twice: ${fields.join(', ')}`);
  return {
    who,
    fields,
    number: (info, field) => infoNumber(info, field, who),
    flag: (info, field) => infoFlag(info, field, who),
  };
}
