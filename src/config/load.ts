/**
 * Loading config files (YAML or JSON) and turning zod validation errors into one-line messages
 * that name the field path, the value and what is allowed.
 */
import { readFileSync, existsSync } from 'node:fs';
import { extname } from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { UserError } from '../core/errors.ts';

/** Read and parse a .yaml/.yml/.json file; errors name the file and the problem. */
export function readConfigFile(path: string): unknown {
  if (!existsSync(path)) throw new UserError(`config file not found: ${path}`);
  const text = readFileSync(path, 'utf8');
  const ext = extname(path).toLowerCase();
  try {
    if (ext === '.json') return JSON.parse(text);
    if (ext === '.yaml' || ext === '.yml') return YAML.parse(text);
  } catch (err) {
    throw new UserError(`${path}: cannot parse ${ext.slice(1).toUpperCase()}: ${(err as Error).message.split('\n')[0]}`);
  }
  throw new UserError(`${path}: unsupported config extension '${ext}'; allowed: .yaml, .yml, .json`);
}

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
