/**
 * Loading config files (YAML or JSON). Validation of the parsed objects is src/core/validate.ts.
 *
 * Every problem is a one-line UserError naming the file: not found, a directory or a device, too
 * large, not text (binary bytes are never echoed), or not parseable. A UTF-8 byte-order mark is
 * accepted (editors on Windows write one).
 */
import { readFileSync, statSync, type Stats } from 'node:fs';
import { extname } from 'node:path';
import YAML from 'yaml';
import { UserError } from '../core/errors.ts';
import { printable } from '../core/validate.ts';

/** Configs are small text files; anything larger is a wrong path. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

const EXTENSIONS = ['.yaml', '.yml', '.json'];

/** Why `bytes` are not a text file (a NUL or another control character than tab, newline, CR and form feed; or invalid UTF-8), or undefined. */
function whyNotText(bytes: Uint8Array): string | undefined {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) || b === 0x7f) return `byte ${i} is 0x${b.toString(16).padStart(2, '0')}`;
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return 'it is not valid UTF-8';
  }
  return undefined;
}

/** Read a config file's text; errors name the file and the problem. */
export function readConfigText(path: string): string {
  const shown = path === '' ? "''" : printable(path);
  if (path.trim() === '') throw new UserError(`config file: the path is empty; give a .yaml, .yml or .json file`);
  let st: Stats;
  try {
    st = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new UserError(`config file not found: ${shown}`);
    throw new UserError(`${shown}: cannot read the config file (${code ?? (err as Error).message})`);
  }
  if (st.isDirectory()) throw new UserError(`${shown}: is a directory; give a config file (.yaml, .yml or .json)`);
  if (!st.isFile()) throw new UserError(`${shown}: is not a regular file; give a config file (.yaml, .yml or .json)`);
  const ext = extname(path).toLowerCase();
  if (!EXTENSIONS.includes(ext)) throw new UserError(`${shown}: unsupported config extension '${printable(ext)}'; allowed: ${EXTENSIONS.join(', ')}`);
  if (st.size > MAX_CONFIG_BYTES) throw new UserError(`${shown}: ${st.size} bytes is too large for a config file (at most ${MAX_CONFIG_BYTES})`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new UserError(`${shown}: cannot read the config file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const why = whyNotText(bytes);
  if (why !== undefined) throw new UserError(`${shown}: not a text file (${why}); give a YAML or JSON config`);
  return bytes.toString('utf8').replace(/^\uFEFF/, '');
}

/** Read and parse a .yaml/.yml/.json file; errors name the file and the problem. */
export function readConfigFile(path: string): unknown {
  const text = readConfigText(path);
  const ext = extname(path).toLowerCase();
  try {
    return ext === '.json' ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    throw new UserError(`${printable(path)}: cannot parse ${ext === '.json' ? 'JSON' : 'YAML'}: ${printable((err as Error).message.split('\n')[0] ?? '')}`);
  }
}
