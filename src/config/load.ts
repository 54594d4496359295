/**
 * Loading config files (YAML or JSON). Validation of the parsed objects is src/core/validate.ts.
 */
import { readFileSync, existsSync } from 'node:fs';
import { extname } from 'node:path';
import YAML from 'yaml';
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
