/**
 * Validating plain option objects with zod and turning the first problem into a one-line
 * UserError that names the field path, the value and what is allowed
 * (`train.steps: expected a positive integer, got -5`). Used by every layer that validates input:
 * env options, hyperparameters, shield and constraint options, experiment configs.
 */
import type { z } from 'zod';
import { UserError } from './errors.ts';

/** Format a value briefly for an error message. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const s = JSON.stringify(value);
  if (s === undefined) return String(value);
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

function pathString(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out || '(root)';
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

/** Validate `raw` with `schema`; on failure throw a UserError for the first issue: `path: message, got value`. */
export function parseWithSchema<S extends z.ZodType>(schema: S, raw: unknown, prefix = ''): z.infer<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue === undefined) throw new UserError(`${prefix}invalid config`);
  let path = [...issue.path];
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as { keys: string[] }).keys;
    const allowed = allowedKeysAt(schema, path);
    path = [...path, keys[0] ?? '?'];
    throw new UserError(`${prefix}${pathString(path)}: unknown field${allowed ? `; allowed: ${allowed.join(', ')}` : ''}`);
  }
  const got = valueAt(raw, path);
  throw new UserError(`${prefix}${pathString(path)}: ${issue.message}, got ${show(got)}`);
}

/** Best effort: the field names a zod object schema accepts at `path` (unwrapping optional/default). */
function allowedKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] | undefined {
  let node: unknown = schema;
  const unwrap = (n: unknown): unknown => {
    for (let i = 0; i < 10; i++) {
      const def = (n as { _zod?: { def?: { innerType?: unknown; type?: string } } })?._zod?.def;
      if (def?.innerType === undefined) return n;
      n = def.innerType;
    }
    return n;
  };
  for (const key of path) {
    node = unwrap(node);
    const def = (node as { _zod?: { def?: { type?: string; element?: unknown; shape?: Record<string, unknown> } } })?._zod?.def;
    if (def?.type === 'array' && typeof key === 'number') node = def.element;
    else if (def?.type === 'object' && def.shape && typeof key === 'string') node = def.shape[key];
    else return undefined;
  }
  const def = (unwrap(node) as { _zod?: { def?: { type?: string; shape?: Record<string, unknown> } } })?._zod?.def;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : undefined;
}
