/**
 * `--set dotted.path=value` (run, train, evaluate, validate, simulate): overrides applied to the raw
 * config before it is validated, so an overridden config is checked exactly like a file would be.
 *
 * - The path is dotted field names from the config's root (`train.steps`,
 *   `env.options.therapy.carbEstimateSd`); a segment that is a whole number indexes a list
 *   (`evaluate.methods.1`, at most one past its end). Missing mappings on the way are created.
 * - The value is parsed as YAML, as if written in the file: `--set train.seeds=[1,2]`,
 *   `--set env.options.patient=adult#001`, `--set env.options.mealAnnouncement=null`.
 * - Overrides apply in the order given; a later one wins over an earlier one on the same field.
 *
 * A validation error about an overridden field (or a field inside or around one) is reported
 * against the flag: `--set train.stepz=5: unknown field train.stepz; allowed: algo, steps, ...`,
 * `--set train.steps=-5: train.steps: expected a positive integer, got -5`. Errors about fields no
 * override touched keep naming the file.
 */
import YAML from 'yaml';
import { UserError } from '../core/errors.ts';
import { printable, show } from '../core/validate.ts';

export interface Override {
  /** The flag's argument as given (`train.steps=5000`): what the run manifest lists. */
  text: string;
  path: string[];
  value: unknown;
}

const flag = (text: string) => `--set ${printable(text)}`;

/** Parse one `--set` argument; a malformed one is a usage error naming it. */
export function parseOverride(text: string): Override {
  const eq = text.indexOf('=');
  if (eq < 0) throw new UserError(`${flag(text)}: expected <dotted.path>=<value>, e.g. --set train.steps=50000`, 2);
  const pathText = text.slice(0, eq).trim();
  const valueText = text.slice(eq + 1);
  const path = pathText.split('.');
  if (pathText === '' || path.some((s) => s.trim() === '' || s !== s.trim())) {
    throw new UserError(`${flag(text)}: '${printable(pathText)}' is not a dotted field path; expected e.g. train.steps or env.options.patient`, 2);
  }
  if (valueText.trim() === '') throw new UserError(`${flag(text)}: no value after '='; give one (null for none), e.g. ${printable(pathText)}=null`, 2);
  let value: unknown;
  try {
    value = YAML.parse(valueText);
  } catch (err) {
    throw new UserError(`${flag(text)}: cannot parse the value as YAML: ${printable((err as Error).message.split('\n')[0] ?? '')}`, 2);
  }
  return { text, path, value };
}

/** Parse the `--set` arguments of a command (none: an empty list). */
export function parseOverrides(texts: readonly string[] | undefined): Override[] {
  return (texts ?? []).map(parseOverride);
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `raw` (unchanged) with the overrides applied, in order, to a deep copy. */
export function applyOverrides(raw: unknown, overrides: readonly Override[]): unknown {
  if (overrides.length === 0) return raw;
  const root: unknown = raw === undefined || raw === null ? {} : structuredClone(raw);
  if (!isMapping(root)) throw new UserError(`${flag(overrides[0]?.text ?? '')}: the config is not a mapping of fields, so it has no fields to set`);
  for (const o of overrides) {
    let node: Record<string, unknown> | unknown[] = root;
    for (let i = 0; i < o.path.length; i++) {
      const key = o.path[i] as string;
      const last = i === o.path.length - 1;
      const where = o.path.slice(0, i).join('.');
      if (Array.isArray(node)) {
        const index = /^\d+$/.test(key) ? Number(key) : NaN;
        if (!(index <= node.length)) throw new UserError(`${flag(o.text)}: ${where} is a list of ${node.length}; '${printable(key)}' is not an index in 0..${node.length}`);
        if (last) node[index] = o.value;
        else node = child(node, index, o, i);
      } else if (last) {
        node[key] = o.value;
      } else {
        node = child(node, key, o, i);
      }
    }
  }
  return root;
}

/** The mapping or list at `container[key]`, created (as a mapping) when missing. */
function child(container: Record<string, unknown> | unknown[], key: string | number, o: Override, depth: number): Record<string, unknown> | unknown[] {
  const c = container as Record<string | number, unknown>;
  const value = c[key];
  if (value === undefined || value === null) {
    const created: Record<string, unknown> = {};
    c[key] = created;
    return created;
  }
  if (isMapping(value) || Array.isArray(value)) return value;
  const field = o.path.slice(0, depth + 1).join('.');
  throw new UserError(`${flag(o.text)}: ${field} is ${show(value)}, not a mapping of fields, so it has no field '${printable(o.path[depth + 1] ?? '')}'`);
}

/** The field path an error message starts with (`train.steps: ...`, `evaluate.methods[0].type: ...`) as segments. */
function messagePath(message: string): string[] | undefined {
  const m = /^([A-Za-z_$][\w$#-]*(?:(?:\.[\w$#-]+)|\[\d+\])*): /.exec(message);
  return m === null ? undefined : (m[1] as string).replace(/\[(\d+)\]/g, '.$1').split('.');
}

/** True when one of the paths starts with the other. */
function related(a: readonly string[], b: readonly string[]): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Run `validate` (which checks a config the overrides were applied to) and report an error about an
 * overridden field against the `--set` flag that set it. `source` is the prefix the validation puts
 * before field paths (e.g. the config file's `experiments/x.yaml: `), dropped from such messages.
 */
export function validateWithOverrides<T>(overrides: readonly Override[], validate: () => T, source = ''): T {
  try {
    return validate();
  } catch (err) {
    if (!(err instanceof UserError) || overrides.length === 0) throw err;
    throw attribute(err, overrides, source);
  }
}

function attribute(err: UserError, overrides: readonly Override[], source: string): UserError {
  const message = source !== '' && err.message.startsWith(source) ? err.message.slice(source.length) : err.message;
  const path = messagePath(message);
  if (path === undefined) return err;
  // The override sharing the longest prefix with the field named (the last one given on a tie).
  let best: Override | undefined;
  let bestShared = 0;
  for (const o of overrides) {
    if (!related(o.path, path)) continue;
    const shared = Math.min(o.path.length, path.length);
    if (shared >= bestShared) {
      best = o;
      bestShared = shared;
    }
  }
  if (best === undefined) return err;
  const field = path.join('.');
  const unknown = /^[^:]+: unknown field(.*)$/.exec(message);
  if (unknown !== null) return new UserError(`${flag(best.text)}: unknown field ${field}${unknown[1]}`, err.exitCode);
  return new UserError(`${flag(best.text)}: ${message}${yamlMappingHint(best)}`, err.exitCode);
}

/**
 * A value written without braces that YAML read as a mapping (`a ? b : c`, `x: y`: ': ' starts one)
 * was almost surely meant as text, e.g. a reward expression; say how to quote it.
 */
function yamlMappingHint(o: Override): string {
  const valueText = o.text.slice(o.text.indexOf('=') + 1).trim();
  if (!isMapping(o.value) || valueText.startsWith('{')) return '';
  return ` (the value is read as YAML, where ': ' starts a mapping; to give it as text, quote it: --set '${printable(o.path.join('.'))}="..."')`;
}
