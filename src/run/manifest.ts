/**
 * The run manifest: what ran, with which versions, and whether it finished.
 *
 * It is also what identifies a directory as a DoseGym run (which `--force` may replace, see
 * src/run/output-dir.ts): a `manifest.json` that is a JSON object with `kind: "dosegym-run"`, or,
 * for runs written before `kind` existed, with all of `dosegymVersion` (a string), `status`
 * (`complete` or `incomplete`), `config` (an object), `startedAt` (a string) and `stages` (a list),
 * and no `kind`. A policy checkpoint's manifest.json (policies/<seed>/) is not a run manifest.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExperimentConfig } from '../config/experiment.ts';
import { UserError } from '../core/errors.ts';
import { PACKAGE_ROOT, packageVersion as dosegymVersion } from '../core/package.ts';
import { writeJsonAtomic } from '../io/atomic.ts';
import { envSpec } from '../core/registry.ts';
import { isRunEntry, RUN_MANIFEST } from './layout.ts';
import type { OutputKind } from './output-dir.ts';

export type RunStatus = 'incomplete' | 'complete';

/** The `kind` of a run manifest. */
export const RUN_KIND = 'dosegym-run';

export interface RunManifest {
  /** Always 'dosegym-run': identifies the directory as a DoseGym run. */
  kind: typeof RUN_KIND;
  name: string;
  status: RunStatus;
  /** The resolved config (defaults filled in). */
  config: ExperimentConfig;
  configFile: string | null;
  /** The `--set` overrides applied to the config file, as given (`config` is the result). */
  overrides: string[];
  /** The env options in force: the environment's defaults overlaid with the config's options. */
  envOptions: Record<string, unknown>;
  seeds: number[];
  hyperparameters: Record<string, unknown>;
  /**
   * Environment steps each policy actually trained (train.steps rounded up as the algorithm trains,
   * e.g. PPO's whole rollouts); null until trained.
   */
  trainedSteps: number | null;
  /** train.init: the checkpoint each policy started from (absolute), by seed (`<seed>/<patient>` with train.perPatient). */
  init: Record<string, string> | null;
  dosegymVersion: string;
  gitCommit: string | null;
  nodeVersion: string;
  tfjsVersion: string;
  backend: string | null;
  jobs: number;
  startedAt: string;
  finishedAt: string | null;
  /** Stages finished so far: train, evaluate, report. */
  stages: string[];
  /**
   * `dosegym evaluate <run-dir> --set ... --out DIR`: the run whose policies this run evaluates
   * (copied into policies/), with that run's name, start time and overrides; absent otherwise.
   */
  source?: { run: string; name: string; startedAt: string; overrides: string[]; policies: 'copied' };
}

const require = createRequire(import.meta.url);

function packageVersion(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function gitCommit(): string | null {
  try {
    const root = fileURLToPath(PACKAGE_ROOT);
    if (!existsSync(`${root}/.git`)) return null;
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() || null;
  } catch {
    return null;
  }
}

export function newManifest(
  config: ExperimentConfig,
  configFile: string | null,
  hyperparameters: Record<string, unknown>,
  jobs: number,
  overrides: string[] = [],
  init: ReadonlyMap<string, string> | undefined = undefined,
): RunManifest {
  return {
    kind: RUN_KIND,
    name: config.name,
    status: 'incomplete',
    config,
    configFile,
    overrides,
    envOptions: { ...envSpec(config.env.id).defaults, ...config.env.options },
    seeds: config.train.algo === 'none' ? [] : config.train.seeds,
    hyperparameters,
    trainedSteps: null,
    init: init === undefined ? null : Object.fromEntries(init),
    dosegymVersion: dosegymVersion(),
    gitCommit: gitCommit(),
    nodeVersion: process.version,
    tfjsVersion: packageVersion('@tensorflow/tfjs-core'),
    backend: null,
    jobs,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    stages: [],
  };
}

/** Why the parsed JSON `value` is not a run manifest, or undefined when it is one. */
export function whyNotRunManifest(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const m = value as Record<string, unknown>;
  if ('kind' in m) return m['kind'] === RUN_KIND ? undefined : `kind is ${JSON.stringify(m['kind'])}, not "${RUN_KIND}"`;
  const legacy = typeof m['dosegymVersion'] === 'string' && (m['status'] === 'complete' || m['status'] === 'incomplete') &&
    m['config'] !== null && typeof m['config'] === 'object' && typeof m['startedAt'] === 'string' && Array.isArray(m['stages']);
  return legacy ? undefined : `no "kind": "${RUN_KIND}"`;
}

/**
 * Read a run manifest. Every problem (missing, unreadable, not JSON, not a run manifest, fields of
 * the wrong type) is a one-line UserError naming the file.
 */
export function readManifest(path: string): RunManifest {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `${path}: not found; give a run directory made by dosegym run or dosegym train` : `${path}: cannot read (${code ?? (err as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new UserError(`${path}: not valid JSON (${(err as Error).message.split('\n')[0]}); the run manifest is damaged`);
  }
  const why = whyNotRunManifest(value);
  if (why !== undefined) throw new UserError(`${path}: not a DoseGym run manifest (${why})`);
  const m = value as Record<string, unknown>;
  const bad = (field: string, expected: string) => new UserError(`${path}: ${field}: expected ${expected}, got ${JSON.stringify(m[field]) ?? 'nothing'}; the run manifest is damaged`);
  if (m['status'] !== 'complete' && m['status'] !== 'incomplete') throw bad('status', '"complete" or "incomplete"');
  if (m['config'] === null || typeof m['config'] !== 'object' || Array.isArray(m['config'])) throw bad('config', 'an object');
  if (!Array.isArray(m['stages']) || !m['stages'].every((s) => typeof s === 'string')) throw bad('stages', 'a list of stage names');
  if (!Array.isArray(m['seeds']) || !m['seeds'].every((s) => typeof s === 'number')) throw bad('seeds', 'a list of seeds');
  if (m['overrides'] !== undefined && !(Array.isArray(m['overrides']) && m['overrides'].every((s) => typeof s === 'string'))) throw bad('overrides', 'a list of --set arguments');
  // Runs written before --set existed have no overrides.
  return { ...(m as unknown as RunManifest), kind: RUN_KIND, overrides: (m['overrides'] as string[] | undefined) ?? [] };
}

export function writeManifest(path: string, manifest: RunManifest): void {
  writeJsonAtomic(path, manifest);
}

/**
 * Why the existing, non-empty directory `dir` may not be replaced as a DoseGym run, as the rest of
 * the sentence "<dir> ..."; undefined when it is a run holding only what DoseGym writes.
 */
export function whyNotRunDir(dir: string): string | undefined {
  const path = join(dir, RUN_MANIFEST);
  const notRun = (why: string) => `is not empty and is not a DoseGym run (${why})`;
  if (!existsSync(path)) return notRun(`it has no ${RUN_MANIFEST}`);
  let value: unknown;
  try {
    if (!statSync(path).isFile()) return notRun(`its ${RUN_MANIFEST} is not a file`);
    value = JSON.parse(readFileSync(path, 'utf8').replace(/^\uFEFF/, ''));
  } catch {
    return notRun(`its ${RUN_MANIFEST} is not valid JSON`);
  }
  const why = whyNotRunManifest(value);
  if (why !== undefined) return notRun(`its ${RUN_MANIFEST} is not a run manifest: ${why}`);
  const foreign = readdirSync(dir).filter((e) => !isRunEntry(e));
  if (foreign.length > 0) {
    const shown = foreign.slice(0, 3).join(', ') + (foreign.length > 3 ? `, ... (${foreign.length} in all)` : '');
    return `holds a DoseGym run but also files DoseGym does not write (${shown})`;
  }
  return undefined;
}

/** Run directories, for src/run/output-dir.ts: what `--force` may replace. */
export const RUN_DIRECTORY: OutputKind = {
  noun: 'a DoseGym run',
  marker: RUN_MANIFEST,
  whyNot: whyNotRunDir,
  markReplacing(dir) {
    // whyNot has just read it as a run manifest; keep every field but say it is unfinished.
    const path = join(dir, RUN_MANIFEST);
    const manifest = JSON.parse(readFileSync(path, 'utf8').replace(/^\uFEFF/, '')) as Record<string, unknown>;
    writeJsonAtomic(path, { ...manifest, status: 'incomplete', finishedAt: null, stages: [] });
  },
};
