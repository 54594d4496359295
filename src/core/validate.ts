/**
 * Validating plain option objects with zod and turning the first problem into a one-line
 * UserError that names the field path, the value and what is allowed
 * (`train.steps: expected a positive integer, got -5`). Used by every layer that validates input:
 * env options, hyperparameters, shield and constraint options, experiment configs.
 */
import type { z } from 'zod';
import { UserError } from './errors.ts';

/**
 * Characters a terminal must never receive raw: control characters (C0, DEL, C1), format
 * characters (bidi overrides, zero-width), private-use, unassigned and lone surrogate code points,
 * line and paragraph separators, and U+FFFD (what undecodable bytes become).
 */
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}\p{Zl}\p{Zp}\uFFFD]/gu;

/** `text` with every non-printable character written as an escape (\x7f, \u202e): safe to print on one line. */
export function printable(text: string): string {
  return text.replace(NON_PRINTABLE, (c) => {
    const code = c.codePointAt(0) as number;
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : code < 0x10000 ? `\\u${code.toString(16).padStart(4, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/** JSON-like text of `value`, cut once it passes `limit` characters; NaN and +-Infinity as themselves. */
function brief(value: unknown, limit: number, seen: Set<object>): string {
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > limit ? value.slice(0, limit + 1) : value);
  if (typeof value === 'boolean' || value === null) return String(value);
  if (typeof value === 'bigint') return String(value);
  if (typeof value !== 'object') return value === undefined ? 'null' : `<${typeof value}>`;
  if (seen.has(value)) return '<cycle>';
  seen.add(value);
  const isArray = Array.isArray(value);
  const parts: string[] = [];
  let length = 2;
  for (const [k, v] of Object.entries(value)) {
    if (!isArray && v === undefined) continue;
    const part = isArray ? brief(v, limit, seen) : `${JSON.stringify(k)}:${brief(v, limit, seen)}`;
    parts.push(part);
    length += part.length + 1;
    if (length > limit) break;
  }
  seen.delete(value);
  return isArray ? `[${parts.join(',')}]` : `{${parts.join(',')}}`;
}

/**
 * Format a value briefly for an error message: JSON, except that NaN, Infinity and -Infinity show
 * as themselves (JSON would say null), and non-printable characters are escaped.
 */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const s = printable(brief(value, 60, new Set()));
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
