/**
 * `dosegym sweep <sweep.yaml>`: one ordinary run per variant of an experiment config, a selection
 * on the validation evaluation seed, the selected variant re-evaluated on a separate test seed,
 * `sweep.csv` and a `report.html` comparing the variants (issue 17; the sweep file:
 * src/config/sweep.ts).
 *
 *   results/<name>/<sweep-id>/    (or --out DIR)
 *     sweep.json                  kind: dosegym-sweep, the sweep, its variants, status, the selection
 *     variants/<id>/              one run directory per variant (dosegym run <base> --set ...)
 *     test/                       the selected variant's policies evaluated on select.testSeed
 *                                 (dosegym evaluate <variant> --set evaluate.seed=<test seed> --out test)
 *     sweep.csv                   one row per variant and method (validation), then the selected
 *                                 variant's rows on the test seed
 *     report.html, charts/        the variants compared
 *
 * Every check (sweep file, base config, every variant as overridden, selection) runs before the
 * sweep directory is created. Variants run one after the other, each with `--jobs` (or `--queue`)
 * for its own tasks; `--resume` skips the variants that are complete and resumes an incomplete
 * one; `--force` replaces only a sweep directory (src/run/output-dir.ts rules).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../core/errors.ts';
import { printable } from '../core/validate.ts';
import { packageVersion } from '../core/package.ts';
import { loadSweep, overrideText, type LoadedSweep, type SweepSpec } from '../config/sweep.ts';
import { writeJsonAtomic, writeFileAtomic } from '../io/atomic.ts';
import { toCsv, type Cell } from '../io/csv.ts';
import type { MethodAggregate } from '../evaluation/evaluate.ts';
import { checkOutputPath, claimNewDir, prepareOutputDir, type OutputKind } from './output-dir.ts';
import { checkQueueFlags, evaluateRunInto, planInput, runExperiment, runId, type RunFlags } from './run.ts';
import { gitCommit, readManifest } from './manifest.ts';
import { runFiles } from './layout.ts';
import { stopWorkers } from './pool.ts';

export const SWEEP_KIND = 'dosegym-sweep';
export const SWEEP_MANIFEST = 'sweep.json';
/** Every top-level entry a sweep directory holds: what `--force` may replace. */
const SWEEP_ENTRIES = [SWEEP_MANIFEST, 'sweep.csv', 'report.html', 'charts', 'variants', 'test'];

export interface Selection {
  method: string;
  metric: string;
  goal: 'max' | 'min';
  validationSeed: number;
  testSeed: number;
  /** The selected variant and its validation score; the test score once evaluated. */
  variant: string;
  validation: { mean: number; ci95: { low: number; high: number } };
  test: { mean: number; ci95: { low: number; high: number } } | null;
}

export interface SweepManifest {
  kind: typeof SWEEP_KIND;
  name: string;
  status: 'complete' | 'incomplete';
  sweepFile: string;
  base: string;
  spec: SweepSpec;
  fields: string[];
  variants: { id: string; values: Record<string, unknown>; overrides: string[] }[];
  selection: Selection | null;
  dosegymVersion: string;
  gitCommit: string | null;
  startedAt: string;
  finishedAt: string | null;
}

function readSweepManifest(dir: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(readFileSync(join(dir, SWEEP_MANIFEST), 'utf8').replace(/^\uFEFF/, '')) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Sweep directories, for src/run/output-dir.ts: what `--force` may replace. */
export const SWEEP_DIRECTORY: OutputKind = {
  noun: 'a DoseGym sweep',
  marker: SWEEP_MANIFEST,
  whyNot(dir) {
    const notSweep = (why: string) => `is not empty and is not a DoseGym sweep (${why})`;
    if (!existsSync(join(dir, SWEEP_MANIFEST))) return notSweep(`it has no ${SWEEP_MANIFEST}`);
    const m = readSweepManifest(dir);
    if (m === undefined) return notSweep(`its ${SWEEP_MANIFEST} is not a JSON object`);
    if (m['kind'] !== SWEEP_KIND) return notSweep(`its ${SWEEP_MANIFEST} has no "kind": "${SWEEP_KIND}"`);
    const foreign = readdirSync(dir).filter((e) => !SWEEP_ENTRIES.includes(e) && !/^\..+\.\d+\.\d+\.tmp$/.test(e));
    if (foreign.length > 0) return `holds a DoseGym sweep but also files DoseGym does not write (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''})`;
    return undefined;
  },
  markReplacing(dir) {
    writeJsonAtomic(join(dir, SWEEP_MANIFEST), { ...readSweepManifest(dir), status: 'incomplete', finishedAt: null, selection: null });
  },
};

/** The `--set` arguments of a variant: the sweep's fixed overrides, then the variant's values. */
function variantOverrides(sweep: LoadedSweep, values: Record<string, unknown>): string[] {
  return [...Object.entries(sweep.spec.set), ...Object.entries(values)].map(([field, value]) => overrideText(field, value));
}

/**
 * An error planning a variant, told against the sweep file's field: `--set <field>=<value>: ...`
 * (src/config/overrides.ts attributes errors to the override) becomes
 * `<sweep file>: grid.<field> = <value>: ...` (or set.<field>).
 */
function sweepError(sweep: LoadedSweep, err: unknown, variant: string): unknown {
  if (!(err instanceof UserError)) return err;
  const m = /^--set ([^=]+)=(.*?): (.*)$/.exec(err.message);
  if (m === null) return new UserError(`${sweep.file}: base ${sweep.spec.base} (variant ${variant}): ${err.message}`, err.exitCode);
  const [, field, value, rest] = m as unknown as [string, string, string, string];
  const where = field in sweep.spec.set ? `set.${field}` : sweep.spec.grid !== undefined ? `grid.${field}` : `random.space.${field}`;
  return new UserError(`${sweep.file}: ${where} = ${value} (variant ${variant}): ${rest}`, err.exitCode);
}

interface CheckedSweep {
  sweep: LoadedSweep;
  method: string;
  validationSeed: number;
  testSeed: number;
}

/** Every check before anything is written: the sweep file, the base config, every variant, the selection. */
export function checkSweep(file: string): CheckedSweep {
  const sweep = loadSweep(file);
  if (!existsSync(sweep.base)) throw new UserError(`${file}: base: ${printable(sweep.spec.base)} not found (resolved to ${sweep.base}); give an experiment config relative to the sweep file, or absolute`);
  const { select } = sweep.spec;
  let method: string | undefined;
  let validationSeed: number | undefined;
  for (const variant of sweep.variants) {
    let planned;
    try {
      planned = planInput(sweep.base, { set: variantOverrides(sweep, variant.values) }, { train: true });
    } catch (err) {
      throw sweepError(sweep, err, variant.id);
    }
    const { config, plan } = planned;
    const names = plan.methods.map((m) => m.name);
    method ??= select.method ?? plan.methods.find((m) => m.trained)?.name ?? names[0];
    if (!names.includes(method as string)) throw new UserError(`${file}: select.method: '${method}' is not a method of variant ${variant.id} (${names.join(', ')})`);
    const metrics = ['return', 'cost', ...plan.family.metricColumns];
    if (!metrics.includes(select.metric)) throw new UserError(`${file}: select.metric: '${printable(select.metric)}' is not a metric of ${config.env.id}; allowed: ${metrics.join(', ')}`);
    if (validationSeed !== undefined && config.evaluate.seed !== validationSeed) throw new UserError(`${file}: variant ${variant.id} has evaluate.seed ${config.evaluate.seed}, the others ${validationSeed}; every variant is selected on the same validation seed`);
    validationSeed = config.evaluate.seed;
  }
  const vs = validationSeed as number;
  const testSeed = select.testSeed ?? vs + 1;
  if (testSeed === vs) throw new UserError(`${file}: select.testSeed: ${testSeed} is the validation seed (evaluate.seed); the test seed must differ, or the selected score is reported on the episodes it was selected on`);
  return { sweep, method: method as string, validationSeed: vs, testSeed };
}

export interface SweepFlags extends Pick<RunFlags, 'jobs' | 'backend' | 'quiet' | 'resume' | 'force' | 'queue' | 'queueName'> {
  out?: string | undefined;
}

export interface SweepResult {
  dir: string;
  manifest: SweepManifest;
}

/** The latest incomplete sweep of `name` under results/. */
function latestIncompleteSweep(name: string): string | undefined {
  const base = resolve('results', name);
  if (!existsSync(base) || !statSync(base).isDirectory()) return undefined;
  return readdirSync(base)
    .map((d) => join(base, d))
    .filter((d) => {
      const m = readSweepManifest(d);
      return m?.['kind'] === SWEEP_KIND && m['status'] === 'incomplete';
    })
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

function chooseSweepDir(checked: CheckedSweep, flags: SweepFlags): { dir: string; resumed: SweepManifest | undefined } {
  const { sweep } = checked;
  if (flags.resume && flags.force) throw new UserError('--resume and --force: give one of them (--resume continues a sweep, --force replaces it)', 2);
  if (flags.resume) {
    const dir = flags.out !== undefined ? checkOutputPath(flags.out, { flag: '--out', configFile: sweep.file }) : latestIncompleteSweep(sweep.spec.name);
    const m = dir === undefined ? undefined : readSweepManifest(dir);
    if (dir === undefined || m?.['kind'] !== SWEEP_KIND) throw new UserError(`--resume: no incomplete sweep '${sweep.spec.name}' found${flags.out !== undefined ? ` at ${flags.out}` : ' under results/'}; start one without --resume`);
    const started = m as unknown as SweepManifest;
    if (JSON.stringify(started.spec) !== JSON.stringify(sweep.spec) || started.base !== sweep.base) throw new UserError(`--resume: ${dir} was started from another sweep file or base config; start a new sweep (or --force to replace it)`);
    return { dir, resumed: started };
  }
  if (flags.out === undefined) return { dir: resolve(claimNewDir(join('results', sweep.spec.name, runId()))), resumed: undefined };
  return { dir: prepareOutputDir(flags.out, { flag: '--out', force: flags.force, configFile: sweep.file, kind: SWEEP_DIRECTORY }).dir, resumed: undefined };
}

function readAggregates(runDir: string): MethodAggregate[] {
  return JSON.parse(readFileSync(runFiles(runDir).aggregatesJson, 'utf8')) as MethodAggregate[];
}

function isComplete(runDir: string): boolean {
  if (!existsSync(runFiles(runDir).manifest)) return false;
  try {
    return readManifest(runFiles(runDir).manifest).status === 'complete';
  } catch {
    return false;
  }
}

export async function runSweep(file: string, flags: SweepFlags): Promise<SweepResult> {
  if (!Number.isSafeInteger(flags.jobs) || flags.jobs < 1) throw new UserError(`--jobs: expected a positive integer, got ${flags.jobs}`);
  const checked = checkSweep(file);
  const { sweep, method, validationSeed, testSeed } = checked;
  if (flags.queue !== undefined) await checkQueueFlags(flags);
  const { dir, resumed } = chooseSweepDir(checked, flags);
  const manifest: SweepManifest = resumed ?? {
    kind: SWEEP_KIND,
    name: sweep.spec.name,
    status: 'incomplete',
    sweepFile: resolve(file),
    base: sweep.base,
    spec: sweep.spec,
    fields: sweep.fields,
    variants: sweep.variants.map((v) => ({ id: v.id, values: v.values, overrides: variantOverrides(sweep, v.values) })),
    selection: null,
    dosegymVersion: packageVersion(),
    gitCommit: gitCommit(),
    startedAt: new Date().toISOString(),
    finishedAt: null,
  };
  manifest.status = 'incomplete';
  manifest.finishedAt = null;
  const manifestPath = join(dir, SWEEP_MANIFEST);
  writeJsonAtomic(manifestPath, manifest);
  const howToContinue = `dosegym sweep ${file} --resume${flags.out !== undefined ? ` --out ${flags.out}` : ''}`;
  // Registered before each run's own handler, so the message names the sweep, not a variant.
  const onSigint = () => {
    stopWorkers();
    process.stderr.write(`\ninterrupted: sweep ${dir} is marked incomplete; continue with ${howToContinue}\n`);
    process.exit(130);
  };
  process.prependListener('SIGINT', onSigint);
  try {
    const runFlags = (out: string, resume: boolean, set: string[], force = false): RunFlags => ({ out, jobs: flags.jobs, backend: flags.backend, quiet: flags.quiet, resume, force, set, queue: flags.queue, queueName: flags.queueName });
    for (const variant of manifest.variants) {
      const variantDir = join(dir, 'variants', variant.id);
      if (isComplete(variantDir)) continue;
      if (!flags.quiet) process.stderr.write(`sweep ${sweep.spec.name}: variant ${variant.id} (${variant.overrides.map((o) => `--set ${o}`).join(' ')})\n`);
      await runExperiment(sweep.base, runFlags(variantDir, existsSync(runFiles(variantDir).manifest), variant.overrides));
    }
    // Select on the validation seed (the variants' own evaluation).
    const score = (runDir: string) => {
      const entry = readAggregates(runDir).find((a) => a.method === method);
      const m = entry?.metrics[sweep.spec.select.metric];
      return m === undefined ? undefined : { mean: m.mean, ci95: m.ci95 };
    };
    let best: { id: string; s: { mean: number; ci95: { low: number; high: number } } } | undefined;
    for (const v of manifest.variants) {
      const s = score(join(dir, 'variants', v.id));
      if (s === undefined || !Number.isFinite(s.mean)) continue;
      const better = sweep.spec.select.goal === 'max' ? s.mean > (best?.s.mean ?? -Infinity) : s.mean < (best?.s.mean ?? Infinity);
      if (best === undefined || better) best = { id: v.id, s };
    }
    if (best === undefined) throw new UserError(`${file}: select.metric: ${sweep.spec.select.metric} of ${method} is undefined for every variant; choose another metric`);
    // Re-report the selected variant on the test seed: its policies, new episodes.
    const testDir = join(dir, 'test');
    const testManifest = existsSync(runFiles(testDir).manifest) ? readManifest(runFiles(testDir).manifest) : undefined;
    const testIsCurrent = testManifest?.status === 'complete' && testManifest.source?.run === join(dir, 'variants', best.id) && testManifest.config.evaluate.seed === testSeed;
    if (!testIsCurrent) {
      if (!flags.quiet) process.stderr.write(`sweep ${sweep.spec.name}: selected ${best.id} on validation seed ${validationSeed}; evaluating it on test seed ${testSeed}\n`);
      await evaluateRunInto(join(dir, 'variants', best.id), runFlags(testDir, false, [`evaluate.seed=${testSeed}`], testManifest !== undefined));
    }
    const test = score(testDir) ?? null;
    manifest.selection = { method, metric: sweep.spec.select.metric, goal: sweep.spec.select.goal, validationSeed, testSeed, variant: best.id, validation: best.s, test };
    const { columns, rows } = sweepTable(dir, manifest);
    writeFileAtomic(join(dir, 'sweep.csv'), toCsv(columns, rows));
    const { writeSweepReport } = await import('./sweep-report.ts');
    await writeSweepReport(dir, manifest, rows);
    manifest.status = 'complete';
    manifest.finishedAt = new Date().toISOString();
    writeJsonAtomic(manifestPath, manifest);
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  return { dir, manifest };
}

/**
 * sweep.csv: one row per variant and method on the validation seed, then the selected variant's
 * rows on the test seed: `variant`, a column per swept field (its dotted path), `method`,
 * `evaluation` (validation | test), `evaluate_seed`, `selected` (1 for the selected variant),
 * `episodes`, then per metric of aggregates.json its mean, `<metric>_ci95_low` and
 * `<metric>_ci95_high` (the clustered bootstrap of src/evaluation/evaluate.ts).
 */
export function sweepTable(dir: string, manifest: SweepManifest): { columns: string[]; rows: Record<string, Cell>[] } {
  const selection = manifest.selection as Selection;
  const runs = [
    ...manifest.variants.map((v) => ({ variant: v, runDir: join(dir, 'variants', v.id), evaluation: 'validation', seed: selection.validationSeed })),
    ...manifest.variants.filter((v) => v.id === selection.variant).map((v) => ({ variant: v, runDir: join(dir, 'test'), evaluation: 'test', seed: selection.testSeed })),
  ];
  const metrics: string[] = [];
  const rows: Record<string, Cell>[] = [];
  for (const run of runs) {
    for (const a of readAggregates(run.runDir)) {
      const row: Record<string, Cell> = { variant: run.variant.id };
      for (const f of manifest.fields) {
        const value = run.variant.values[f];
        row[f] = typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean' ? value : JSON.stringify(value);
      }
      Object.assign(row, { method: a.method, evaluation: run.evaluation, evaluate_seed: run.seed, selected: run.variant.id === selection.variant ? 1 : 0, episodes: a.episodes });
      for (const [metric, m] of Object.entries(a.metrics)) {
        if (!metrics.includes(metric)) metrics.push(metric);
        Object.assign(row, { [metric]: m.mean, [`${metric}_ci95_low`]: m.ci95.low, [`${metric}_ci95_high`]: m.ci95.high });
      }
      rows.push(row);
    }
  }
  const columns = ['variant', ...manifest.fields, 'method', 'evaluation', 'evaluate_seed', 'selected', 'episodes', ...metrics.flatMap((m) => [m, `${m}_ci95_low`, `${m}_ci95_high`])];
  return { columns, rows };
}
