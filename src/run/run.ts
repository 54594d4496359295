/**
 * `dosegym run|train|evaluate|report`: the experiment pipeline.
 *
 *   train     every seed of train.seeds (skipped when train.algo is none)
 *   evaluate  every method on the same seeded episodes (trained methods once per seed)
 *   report    summary.csv/json, episodes.csv, training.csv, trajectories, charts, report.html
 *
 * The manifest says `incomplete` from the start and `complete` only at the end, so an interrupted
 * run (Ctrl-C, crash) is always marked incomplete; `--resume` skips the tasks whose result files
 * exist (each is written atomically, last) and continues with the rest.
 */
import { existsSync, readdirSync, readFileSync, rmSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../core/errors.ts';
import { loadExperimentFile, parseExperiment, type ExperimentConfig } from '../config/experiment.ts';
import { aggregateByMethod, episodeRow, EPISODE_BASE_COLUMNS, safetyColumns, summaryRows, SUMMARY_BASE_COLUMNS, type EpisodeRecord } from '../evaluation/evaluate.ts';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic.ts';
import { parseCsv, toCsv, type Cell } from '../io/csv.ts';
import type { BackendName } from '../../agents/common/backend.ts';
import { newManifest, readManifest, writeManifest, type RunManifest } from './manifest.ts';
import { planExperiment, type ExperimentPlan } from './plan.ts';
import { runTasks, stopWorkers } from './pool.ts';
import { createProgress, type Progress } from './progress.ts';
import { fileSafe, runFiles } from './layout.ts';
import { isTaskDone, readEvaluation, TRAINING_COLUMNS, type Task, type TaskContext } from './tasks.ts';
import { mergeProfiles, type DailyProfile, type RunDailyProfile } from '../evaluation/profile.ts';

export interface RunFlags {
  out?: string | undefined;
  seed?: number | undefined;
  jobs: number;
  backend: BackendName;
  quiet: boolean;
  resume: boolean;
  force: boolean;
}

export type Stage = 'train' | 'evaluate' | 'report';

function runId(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z').replace('T', '-');
}

/** results/<name>/<UTC date-time>/, with -2, -3, ... when a run of the same second exists. */
function uniqueRunDir(name: string): string {
  const base = join('results', name, runId());
  let dir = base;
  for (let i = 2; existsSync(dir); i++) dir = `${base}-${i}`;
  return dir;
}

/** The latest run directory of `name` whose manifest says incomplete. */
function latestIncomplete(name: string): string | undefined {
  const base = resolve('results', name);
  if (!existsSync(base)) return undefined;
  const dirs = readdirSync(base)
    .map((d) => join(base, d))
    .filter((d) => existsSync(runFiles(d).manifest) && readManifest(runFiles(d).manifest).status === 'incomplete')
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return dirs[0];
}

function chooseRunDir(config: ExperimentConfig, flags: RunFlags): { dir: string; resumed: boolean } {
  if (flags.resume) {
    const dir = flags.out !== undefined ? resolve(flags.out) : latestIncomplete(config.name);
    if (dir === undefined || !existsSync(runFiles(dir).manifest)) {
      throw new UserError(`--resume: no incomplete run of '${config.name}' found${flags.out ? ` at ${flags.out}` : ' under results/'}; start one without --resume`);
    }
    const manifest = readManifest(runFiles(dir).manifest);
    if (JSON.stringify(manifest.config) !== JSON.stringify(config)) {
      throw new UserError(`--resume: the config differs from the one ${dir} was started with; start a new run (or --force to overwrite)`);
    }
    return { dir, resumed: true };
  }
  const dir = resolve(flags.out ?? uniqueRunDir(config.name));
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UserError(`--out: ${dir} is a file, not a directory; give a directory`);
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    if (!flags.force) throw new UserError(`--out: ${dir} already exists; use --force to overwrite it or --resume to continue it`);
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  return { dir, resumed: false };
}

export function applySeedFlag(config: ExperimentConfig, seed: number | undefined): ExperimentConfig {
  if (seed === undefined) return config;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UserError(`--seed: expected a non-negative integer, got ${seed}`);
  return { ...config, train: { ...config.train, seeds: [seed] } };
}

function trainTasks(plan: ExperimentPlan): Task[] {
  return plan.config.train.algo === 'none' ? [] : plan.config.train.seeds.map((seed) => ({ kind: 'train', seed }));
}

function evaluateTasks(plan: ExperimentPlan): Task[] {
  return plan.methods.flatMap((m): Task[] => (m.trained ? plan.config.train.seeds.map((seed) => ({ kind: 'evaluate', method: m.name, seed })) : [{ kind: 'evaluate', method: m.name, seed: null }]));
}

export interface RunResult {
  dir: string;
  manifest: RunManifest;
  summary: Record<string, Cell>[];
  columns: string[];
}

/** Run the stages of an experiment into a run directory. */
export async function runExperiment(configInput: string | ExperimentConfig, flags: RunFlags, stages: readonly Stage[] = ['train', 'evaluate', 'report']): Promise<RunResult> {
  const configFile = typeof configInput === 'string' ? configInput : null;
  const config = applySeedFlag(typeof configInput === 'string' ? loadExperimentFile(configInput) : parseExperiment(configInput), flags.seed);
  if (!Number.isSafeInteger(flags.jobs) || flags.jobs < 1) throw new UserError(`--jobs: expected a positive integer, got ${flags.jobs}`);
  const plan = planExperiment(config);
  if (stages.length === 1 && stages[0] === 'train' && config.train.algo === 'none') {
    throw new UserError('train.algo: none trains nothing; evaluate its baselines with dosegym run or dosegym evaluate <config>');
  }
  if (stages.includes('evaluate') && !stages.includes('train') && plan.methods.some((m) => m.trained)) {
    throw new UserError(`evaluate.methods: '${plan.methods.find((m) => m.trained)?.name}' needs trained policies; use dosegym run, or dosegym evaluate <run-dir> after dosegym train`);
  }
  const { dir, resumed } = chooseRunDir(config, flags);
  const files = runFiles(dir);
  const manifest = resumed ? readManifest(files.manifest) : newManifest(config, configFile, plan.hyperparameters, flags.jobs);
  manifest.status = 'incomplete';
  manifest.finishedAt = null;
  writeManifest(files.manifest, manifest);
  const progress = createProgress({ quiet: flags.quiet });
  progress.log(`${resumed ? 'resuming' : 'run'} ${config.name} -> ${dir}`);
  const onSigint = () => {
    stopWorkers();
    progress.stop();
    process.stderr.write(`\ninterrupted: ${dir} is marked incomplete; continue with --resume${flags.out ? ` --out ${flags.out}` : ''}\n`);
    process.exit(130);
  };
  process.once('SIGINT', onSigint);
  try {
    await continueRun(dir, plan, manifest, flags, progress, stages);
  } finally {
    process.removeListener('SIGINT', onSigint);
    progress.stop();
  }
  const { summary, columns } = readSummary(dir);
  return { dir, manifest, summary, columns };
}

/** Run the remaining stages of the run in `dir` (used by run, train, evaluate <run-dir> and report). */
export async function continueRun(dir: string, plan: ExperimentPlan, manifest: RunManifest, flags: Pick<RunFlags, 'jobs' | 'backend' | 'quiet'>, progress: Progress, stages: readonly Stage[]): Promise<void> {
  const files = runFiles(dir);
  const ctx: TaskContext = { config: plan.config, runDir: dir, backend: flags.backend };
  if (stages.includes('train')) {
    const todo = trainTasks(plan).filter((t) => !isTaskDone(dir, t));
    await runTasks(todo, flags.jobs, ctx, progress, () => 'steps');
    writeTrainingCsv(dir, plan);
    manifest.backend = recordedBackend(dir, plan) ?? manifest.backend;
    markStage(files.manifest, manifest, 'train');
  }
  if (stages.includes('evaluate')) {
    const todo = evaluateTasks(plan).filter((t) => !isTaskDone(dir, t));
    await runTasks(todo, flags.jobs, ctx, progress, () => 'episodes');
    writeEvaluationOutputs(dir, plan);
    markStage(files.manifest, manifest, 'evaluate');
  }
  if (stages.includes('report')) {
    progress.log('writing charts and report.html');
    // Loaded here: vega, vega-lite and resvg take a while to load and only this stage needs them.
    const { buildRunReport } = await import('./report-builder.ts');
    await buildRunReport(dir, plan);
    markStage(files.manifest, manifest, 'report');
  }
  if (['train', 'evaluate', 'report'].every((s) => manifest.stages.includes(s) || (s === 'train' && plan.config.train.algo === 'none'))) {
    manifest.status = 'complete';
    manifest.finishedAt = new Date().toISOString();
    writeManifest(files.manifest, manifest);
  }
}

function markStage(path: string, manifest: RunManifest, stage: Stage): void {
  if (!manifest.stages.includes(stage)) manifest.stages.push(stage);
  writeManifest(path, manifest);
}

function recordedBackend(dir: string, plan: ExperimentPlan): string | undefined {
  for (const seed of plan.config.train.algo === 'none' ? [] : plan.config.train.seeds) {
    const path = join(runFiles(dir).policyDir(seed), 'manifest.json');
    if (existsSync(path)) return (JSON.parse(readFileSync(path, 'utf8')) as { backend?: string }).backend;
  }
  return undefined;
}

function writeTrainingCsv(dir: string, plan: ExperimentPlan): void {
  const files = runFiles(dir);
  const rows = trainTasks(plan).flatMap((t) => (t.kind === 'train' && existsSync(files.trainingSeedCsv(t.seed)) ? parseCsv(readFileSync(files.trainingSeedCsv(t.seed), 'utf8')) : []));
  writeFileAtomic(files.trainingCsv, toCsv(TRAINING_COLUMNS, rows));
}

/** All evaluation episodes of a run, in the plan's method order. */
export function collectEpisodes(dir: string, plan: ExperimentPlan): EpisodeRecord[] {
  return evaluateTasks(plan).flatMap((t) => readEvaluation(dir, t).episodes);
}

function writeEvaluationOutputs(dir: string, plan: ExperimentPlan): void {
  const files = runFiles(dir);
  const tasks = evaluateTasks(plan);
  const episodes = collectEpisodes(dir, plan);
  const family = plan.family;
  const extraEpisodeColumns = [...new Set(episodes.flatMap((e) => Object.keys(e.metrics)))].filter((c) => !family.metricColumns.includes(c));
  writeFileAtomic(files.episodesCsv, toCsv([...EPISODE_BASE_COLUMNS, ...family.metricColumns, ...extraEpisodeColumns], episodes.map(episodeRow)));
  const columns = [...SUMMARY_BASE_COLUMNS, ...family.metricColumns, ...safetyColumns(episodes)];
  const rows = summaryRows(episodes, family);
  // summary.csv and summary.json hold no timestamps: the same config and seed give identical bytes.
  writeFileAtomic(files.summaryCsv, toCsv(columns, rows));
  writeJsonAtomic(files.summaryJson, { columns, rows });
  const baselines = plan.methods.filter((m) => !m.trained).map((m) => m.name);
  writeJsonAtomic(files.aggregatesJson, aggregateByMethod(episodes, family, baselines, plan.config.evaluate.bootstrap, plan.config.evaluate.seed));
  writeDailyProfile(dir, plan, tasks);
  for (const method of plan.methods) {
    const rows = tasks.filter((t) => t.kind === 'evaluate' && t.method === method.name).flatMap((t) => readEvaluation(dir, t).trajectories);
    if (rows.length === 0) continue;
    writeFileAtomic(files.trajectoriesCsv(fileSafe(method.name)), toCsv(['method', 'seed', 'patient', 'episode', ...family.trajectoryColumns], rows));
  }
}

/**
 * daily-profile.json: each method's daily profile, the exact merge of its evaluation tasks' (one per
 * training seed), for a family with a daily profile. Tasks evaluated by a DoseGym that kept no
 * profile leave the file out (the report then says to re-evaluate) rather than write a partial one.
 */
function writeDailyProfile(dir: string, plan: ExperimentPlan, tasks: readonly Task[]): void {
  const files = runFiles(dir);
  const spec = plan.family.dailyProfile;
  rmSync(files.dailyProfileJson, { force: true });
  if (spec === undefined) return;
  const methods: RunDailyProfile['methods'] = {};
  for (const method of plan.methods) {
    const profiles = tasks.filter((t) => t.kind === 'evaluate' && t.method === method.name).map((t) => readEvaluation(dir, t).profile);
    if (profiles.length === 0) continue;
    if (profiles.some((p) => p === undefined)) return;
    methods[method.name] = mergeProfiles(profiles as DailyProfile[]);
  }
  const profile: RunDailyProfile = { quantity: spec.quantity, binMinutes: spec.binMinutes, resolution: spec.resolution, methods };
  // One line: the histograms are thousands of [value index, count] pairs.
  writeFileAtomic(files.dailyProfileJson, JSON.stringify(profile) + '\n');
}

export function readSummary(dir: string): { summary: Record<string, Cell>[]; columns: string[] } {
  const path = runFiles(dir).summaryJson;
  if (!existsSync(path)) return { summary: [], columns: [] };
  const json = JSON.parse(readFileSync(path, 'utf8')) as { columns: string[]; rows: Record<string, Cell>[] };
  return { summary: json.rows, columns: json.columns };
}

/** Continue stages on an existing run directory (dosegym evaluate <run-dir>, dosegym report <run-dir>). */
export async function runStagesOnDir(dirInput: string, flags: Pick<RunFlags, 'jobs' | 'backend' | 'quiet'>, stages: readonly Stage[], options: { redo?: boolean } = {}): Promise<RunResult> {
  const dir = resolve(dirInput);
  const files = runFiles(dir);
  if (!existsSync(files.manifest)) throw new UserError(`run directory: ${dirInput} has no manifest.json; give a run directory made by dosegym run or dosegym train`);
  const manifest = readManifest(files.manifest);
  const plan = planExperiment(parseExperiment(manifest.config, `${files.manifest}: config`));
  if (stages.includes('evaluate') && plan.config.train.algo !== 'none') {
    const missing = plan.config.train.seeds.filter((s) => !existsSync(join(files.policyDir(s), 'manifest.json')));
    if (missing.length > 0) throw new UserError(`run directory: no trained policy for seed(s) ${missing.join(', ')} in ${dir}; finish training with dosegym run --resume --out ${dirInput}`);
  }
  if (options.redo && stages.includes('evaluate')) {
    // Until the new evaluation is written, the run's results are not complete.
    manifest.status = 'incomplete';
    manifest.finishedAt = null;
    writeManifest(files.manifest, manifest);
    rmSync(join(dir, 'evaluation'), { recursive: true, force: true });
  }
  if (stages.includes('report') && !stages.includes('evaluate') && !existsSync(files.summaryJson)) {
    throw new UserError(`run directory: ${dirInput} has no evaluation results yet; run dosegym evaluate ${dirInput} first`);
  }
  const progress = createProgress({ quiet: flags.quiet });
  try {
    await continueRun(dir, plan, manifest, flags, progress, stages);
  } finally {
    progress.stop();
  }
  const { summary, columns } = readSummary(dir);
  return { dir, manifest, summary, columns };
}
