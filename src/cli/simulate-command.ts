/**
 * `dosegym simulate <config>`: one patient, open- or closed-loop, written as a CSV.
 * The config's `env` picks the family's simulator; the simulator validates the whole config before
 * anything is written, and the CSV is written atomically (no half-written file on any error).
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { readConfigFile } from '../config/load.ts';
import { applyOverrides, parseOverrides, validateWithOverrides } from '../config/overrides.ts';
import { UserError } from '../core/errors.ts';
import { simulatorFor } from '../core/simulators.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { existingAncestor } from '../io/fs.ts';
import { toCsv } from '../io/csv.ts';
import { formatTable } from './output.ts';
import { savedPolicyLoader } from '../run/saved-policy.ts';

export interface SimulateArgs {
  config: string;
  out?: string;
  states: boolean;
  /** `--set dotted.path=value` overrides of the config's fields, as given. */
  set?: readonly string[];
}

/** The CSV can be written at `path`: not a directory, not inside a file. */
function checkOutputFile(path: string, flag: string): void {
  if (existsSync(path) && statSync(path).isDirectory()) throw new UserError(`${flag}: ${path} is a directory; give a file name ending in .csv`);
  try {
    existingAncestor(dirname(path));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOTDIR') throw new UserError(`${flag}: ${path} is inside ${e.path}, which is a file, not a directory`);
    throw err;
  }
}

export async function simulateCommand(args: SimulateArgs): Promise<string> {
  const overrides = parseOverrides(args.set);
  const raw = readConfigFile(args.config);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new UserError(`${args.config}: expected a mapping of fields (env, ...)`);
  const config = applyOverrides(raw, overrides) as Record<string, unknown>;
  // A saved policy as the controller: load TensorFlow.js (for the checkpoint) only then.
  const controller = config['controller'] as { type?: unknown } | undefined;
  const loadPolicy = controller !== null && typeof controller === 'object' && controller.type === 'policy' ? await savedPolicyLoader() : undefined;
  const output = validateWithOverrides(overrides, () => simulatorFor(config['env'])(config, { states: args.states, ...(loadPolicy !== undefined ? { loadPolicy } : {}) }));
  if (args.out !== undefined && !args.out.endsWith('.csv')) throw new UserError(`--out: expected a file name ending in .csv, got '${args.out}'`);
  const outPath = resolve(args.out ?? join('results', 'simulate', output.defaultFileName));
  checkOutputFile(outPath, args.out !== undefined ? '--out' : 'the output file');
  writeFileAtomic(outPath, toCsv(output.columns, output.rows));
  const metrics = Object.entries(output.metrics);
  process.stdout.write(formatTable(['metric', 'value'], metrics) + '\n');
  process.stdout.write(`wrote ${output.rows.length} rows to ${outPath}\n`);
  return outPath;
}
