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
import { cpSync, existsSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { readCheckpointManifest } from './init.ts';
import { spaceDifference } from '../core/spaces.ts';
import { UserError } from '../core/errors.ts';
import { parseExperiment, type ExperimentConfig } from '../config/experiment.ts';
import { readConfigFile } from '../config/load.ts';
import { applyOverrides, parseOverrides, validateWithOverrides, type Override } from '../config/overrides.ts';
import { aggregateByMethod, episodeRow, EPISODE_BASE_COLUMNS, safetyColumns, summaryRows, SUMMARY_BASE_COLUMNS, type EpisodeRecord } from '../evaluation/evaluate.ts';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic.ts';
import { parseCsv, toCsv, type Cell } from '../io/csv.ts';
import type { BackendName } from '../../agents/common/backend.ts';
import { newManifest, readManifest, RUN_DIRECTORY, whyNotRunManifest, writeManifest, type RunManifest } from './manifest.ts';
import { checkOutputPath, claimNewDir, prepareOutputDir } from './output-dir.ts';
import { planExperiment, planInit, unitInit, unitKey, type ExperimentPlan } from './plan.ts';
import { runTasks, stopWorkers } from './pool.ts';
import { createProgress, type Progress } from './progress.ts';
import { fileSafe, runFiles } from './layout.ts';
import { commitStaging, discardStaging, openStaging, recoverStaging } from './staging.ts';
import { isTaskDone, readEvaluation, taskOutput, trainingColumns, type Task, type TaskContext } from './tasks.ts';
import { listTasks, missingTasks, openPlannedDir, writeTaskList } from './task-list.ts';
import { mergeProfiles, type DailyProfile, type RunDailyProfile } from '../evaluation/profile.ts';
import { runStateSample } from '../evaluation/state-sample.ts';

export interface RunFlags {
  out?: string | undefined;
  seed?: number | undefined;
  jobs: number;
  backend: BackendName;
  quiet: boolean;
  resume: boolean;
  force: boolean;
  /** `--set dotted.path=value` overrides, as given (src/config/overrides.ts). */
  set?: readonly string[] | undefined;
  /** `--queue redis://host:port`: run the tasks on BullMQ workers (src/run/queue.ts) instead of local processes. */
  queue?: string | undefined;
  /** `--queue-name`: the BullMQ queue (default dosegym). */
  queueName?: string | undefined;
  /** `--plan-only`: write the run directory and its task list (tasks.json) and run nothing (src/run/task-list.ts). */
  planOnly?: boolean | undefined;
}

export type Stage = 'train' | 'evaluate' | 'report';

export function runId(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z').replace('T', '-');
}

/** The latest run directory of `name` whose manifest says incomplete (directories that are not runs are skipped). */
function latestIncomplete(name: string): string | undefined {
  const base = resolve('results', name);
  if (!existsSync(base) || !statSync(base).isDirectory()) return undefined;
  const incomplete = (d: string): boolean => {
    try {
      const manifest = JSON.parse(readFileSync(runFiles(d).manifest, 'utf8')) as { status?: unknown };
      return whyNotRunManifest(manifest) === undefined && manifest.status === 'incomplete';
    } catch {
      return false;
    }
  };
  const dirs = readdirSync(base)
    .map((d) => join(base, d))
    .filter(incomplete)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return dirs[0];
}

/**
 * The run directory of a run/train/evaluate <config>: the one to resume, a new one under results/,
 * or --out under the rules of src/run/output-dir.ts (never a directory that is not a DoseGym run).
 */
function chooseRunDir(config: ExperimentConfig, flags: RunFlags, configFile: string | null, overrides: readonly Override[]): { dir: string; resumed: boolean } {
  if (flags.resume && flags.force) throw new UserError('--resume and --force: give one of them (--resume continues a run, --force replaces it)', 2);
  if (flags.resume) {
    const dir = flags.out !== undefined ? checkOutputPath(flags.out, { flag: '--out', configFile }) : latestIncomplete(config.name);
    if (dir === undefined || !existsSync(runFiles(dir).manifest)) {
      throw new UserError(`--resume: no incomplete run of '${config.name}' found${flags.out !== undefined ? ` at ${flags.out}` : ' under results/'}; start one without --resume`);
    }
    const manifest = readManifest(runFiles(dir).manifest);
    const given = overrides.map((o) => o.text);
    const started = manifest.overrides ?? [];
    if (JSON.stringify(started) !== JSON.stringify(given)) {
      const list = (texts: readonly string[]) => (texts.length === 0 ? 'none' : texts.map((t) => `--set ${t}`).join(' '));
      throw new UserError(`--resume: ${dir} was started with overrides ${list(started)}, but this command gives ${list(given)}; give the same --set flags (or start a new run)`);
    }
    // (Parsed again: fields added to the schema since the run started take their defaults.)
    if (JSON.stringify(parseExperiment(manifest.config)) !== JSON.stringify(config)) {
      throw new UserError(`--resume: the config differs from the one ${dir} was started with; start a new run (or --force to overwrite)`);
    }
    recoverStaging(dir);
    return { dir, resumed: true };
  }
  if (flags.out === undefined) return { dir: resolve(claimNewDir(join('results', config.name, runId()))), resumed: false };
  const { dir } = prepareOutputDir(flags.out, { flag: '--out', force: flags.force, configFile, kind: RUN_DIRECTORY });
  return { dir, resumed: false };
}

export function applySeedFlag(config: ExperimentConfig, seed: number | undefined): ExperimentConfig {
  if (seed === undefined) return config;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UserError(`--seed: expected a non-negative integer, got ${seed}`);
  return { ...config, train: { ...config.train, seeds: [seed] } };
}

function trainTasks(plan: ExperimentPlan): Task[] {
  return plan.units.map((u) => ({ kind: 'train', seed: u.seed, patient: u.patient }));
}

function evaluateTasks(plan: ExperimentPlan): Task[] {
  return plan.methods.flatMap((m): Task[] => (m.trained ? plan.config.train.seeds.map((seed) => ({ kind: 'evaluate', method: m.name, seed })) : [{ kind: 'evaluate', method: m.name, seed: null }]));
}

/**
 * Plan an experiment (src/run/plan.ts) and check what only the run layout knows: no two evaluation
 * tasks or methods may write the same file (e.g. methods 'a+b' and 'a_b', or a baseline named
 * 'ppo-seed-1' beside ppo trained with seed 1), compared case-insensitively (macOS, Windows): they
 * would overwrite each other or be counted twice.
 */
export function planRun(config: ExperimentConfig): ExperimentPlan {
  const plan = planExperiment(config);
  const check = (files: [string, string][]) => {
    const seen = new Map<string, string>();
    for (const [method, file] of files) {
      const other = seen.get(file.toLowerCase());
      if (other === method) throw new UserError(`evaluate.methods: method name '${method}' appears twice (with a shield, every method also runs as '<name>+shield'); give one a different name`);
      if (other !== undefined) throw new UserError(`evaluate.methods: '${other}' and '${method}' would write the same result file (${file}); give one of them another name`);
      seen.set(file.toLowerCase(), method);
    }
  };
  check(evaluateTasks(plan).map((t) => [t.kind === 'evaluate' ? t.method : '', relative('/', taskOutput('/', t))]));
  check(plan.methods.map((m) => [m.name, relative('/', runFiles('/').trajectoriesCsv(fileSafe(m.name)))]));
  return plan;
}

export interface RunResult {
  dir: string;
  manifest: RunManifest;
  summary: Record<string, Cell>[];
  columns: string[];
}

/** A config file (or object) with its --set overrides applied, validated and planned (--seed applied). */
export interface PlannedInput {
  config: ExperimentConfig;
  plan: ExperimentPlan;
  configFile: string | null;
  overrides: Override[];
  /** train.init resolved (when the command trains): see `planInit`. */
  init: ReadonlyMap<string, string> | undefined;
}

/**
 * Read a config (a file, or a raw config object), apply the `--set` overrides to the raw config,
 * then validate and plan it exactly as a file: an error about an overridden field names its flag.
 * `train`: the command trains, so train.init is resolved and checked too.
 */
export function planInput(configInput: string | unknown, flags: Pick<RunFlags, 'set' | 'seed'>, options: { train: boolean }): PlannedInput {
  const overrides = parseOverrides(flags.set);
  const configFile = typeof configInput === 'string' ? configInput : null;
  const raw = applyOverrides(configFile !== null ? readConfigFile(configFile) : configInput, overrides);
  const source = configFile ?? '';
  const config = applySeedFlag(validateWithOverrides(overrides, () => parseExperiment(raw, source), source ? `${source}: ` : ''), flags.seed);
  const plan = validateWithOverrides(overrides, () => planRun(config));
  const init = options.train ? validateWithOverrides(overrides, () => planInit(plan)) : undefined;
  return { config, plan, configFile, overrides, init };
}

/** Run the stages of an experiment into a run directory. */
export async function runExperiment(configInput: string | ExperimentConfig, flags: RunFlags, stages: readonly Stage[] = ['train', 'evaluate', 'report']): Promise<RunResult> {
  const { config, plan, configFile, overrides, init } = planInput(configInput, flags, { train: stages.includes('train') });
  if (!Number.isSafeInteger(flags.jobs) || flags.jobs < 1) throw new UserError(`--jobs: expected a positive integer, got ${flags.jobs}`);
  if (stages.length === 1 && stages[0] === 'train' && config.train.algo === 'none') {
    throw new UserError('train.algo: none trains nothing; evaluate its baselines with dosegym run or dosegym evaluate <config>');
  }
  if (stages.includes('evaluate') && !stages.includes('train') && plan.methods.some((m) => m.trained)) {
    throw new UserError(`evaluate.methods: '${plan.methods.find((m) => m.trained)?.name}' needs trained policies; use dosegym run, or dosegym evaluate <run-dir> after dosegym train`);
  }
  if (flags.planOnly === true) {
    if (flags.out === undefined) throw new UserError('--plan-only: give --out DIR, the run directory on the file system every node shares', 2);
    if (flags.resume) throw new UserError('--plan-only: not used with --resume (dosegym task skips the tasks already done)', 2);
    if (flags.queue !== undefined) throw new UserError('--plan-only and --queue: give one of them (a task list for Slurm, or a queue)', 2);
  }
  if (flags.queue !== undefined) await checkQueueFlags(flags);
  const { dir, resumed } = chooseRunDir(config, flags, configFile, overrides);
  const manifest = resumed ? readManifest(runFiles(dir).manifest) : newManifest(config, configFile, plan.hyperparameters, flags.jobs, overrides.map((o) => o.text), init);
  if (flags.planOnly === true) {
    writeManifest(runFiles(dir).manifest, manifest);
    writeTaskList(dir, listTasks(plan, trainTasks(plan), evaluateTasks(plan), flags.backend));
    return { dir, manifest, summary: [], columns: [] };
  }
  return runInDir(dir, plan, manifest, flags, stages, `${resumed ? 'resuming' : 'run'} ${config.name} -> ${dir}`, `continue with --resume${flags.out ? ` --out ${flags.out}` : ''}`);
}

/**
 * Run `stages` into the run directory `dir` (chosen and checked) with its manifest, marked
 * incomplete until every stage is done; Ctrl-C leaves it incomplete and says `howToContinue`.
 */
export async function runInDir(dir: string, plan: ExperimentPlan, manifest: RunManifest, flags: RunFlags, stages: readonly Stage[], label: string, howToContinue: string): Promise<RunResult> {
  const files = runFiles(dir);
  manifest.status = 'incomplete';
  manifest.finishedAt = null;
  writeManifest(files.manifest, manifest);
  const progress = createProgress({ quiet: flags.quiet });
  progress.log(label);
  const onSigint = () => {
    stopWorkers();
    progress.stop();
    process.stderr.write(`\ninterrupted: ${dir} is marked incomplete; ${howToContinue}\n`);
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

/** The tasks of a run's config, for src/run/task-list.ts (planned as `dosegym run` plans them). */
export function planTasks(config: ExperimentConfig): { plan: ExperimentPlan; train: Task[]; evaluate: Task[] } {
  const plan = planRun(config);
  return { plan, train: trainTasks(plan), evaluate: evaluateTasks(plan) };
}

/**
 * `dosegym collect DIR`: when every task of a `--plan-only` run is done, write what `dosegym run`
 * writes after its tasks (training.csv, summaries, aggregates, report) and mark it complete;
 * otherwise a one-line error listing the missing tasks.
 */
export async function collectRun(dirInput: string, flags: Pick<RunFlags, 'quiet' | 'backend'>): Promise<RunResult> {
  const planned = await openPlannedDir(dirInput, planTasks);
  const missing = missingTasks(planned);
  if (missing.length > 0) {
    throw new UserError(`collect: ${missing.length} of ${planned.list.tasks.length} tasks of ${planned.dir} are not done: ${missing.join(', ')}; run dosegym task ${dirInput} --index <i> for each`);
  }
  recoverStaging(planned.dir);
  return runInDir(planned.dir, planned.plan, planned.manifest, { jobs: 1, backend: planned.list.backend, quiet: flags.quiet, resume: false, force: false }, ['train', 'evaluate', 'report'], `collect ${planned.dir}`, `run dosegym collect ${dirInput} again`);
}

/** What `evaluate <run-dir> --out DIR` copies from the source run into the new one (the source is only read). */
const COPIED_FROM_SOURCE = ['policies', 'training', 'training.csv'];

/**
 * `dosegym evaluate <run-dir> --set ... --out DIR`: evaluate a finished run's policies under other
 * settings (evaluation seed, patients, scenario, sensor, therapy errors, shield, ...) without
 * retraining, into a NEW run directory. The source run is only read. The new run holds copies of
 * the source's policies and training record (so it is complete on its own: its report draws the
 * learning curves, and `dosegym evaluate <new run>` works even if the source is moved or deleted);
 * its manifest names the source run and the overrides. Overrides that would need retraining
 * (train.*, safety.shieldTraining, env.id, or env options that change the policies' observation or
 * action space) are refused with one line.
 */
export async function evaluateRunInto(sourceInput: string, flags: RunFlags): Promise<RunResult> {
  const source = resolve(sourceInput);
  const sourceFiles = runFiles(source);
  if (!existsSync(sourceFiles.manifest)) throw new UserError(`run directory: ${sourceInput} has no manifest.json; give a run directory made by dosegym run or dosegym train`);
  if (!Number.isSafeInteger(flags.jobs) || flags.jobs < 1) throw new UserError(`--jobs: expected a positive integer, got ${flags.jobs}`);
  const sourceManifest = readManifest(sourceFiles.manifest);
  const overrides = parseOverrides(flags.set);
  for (const o of overrides) {
    const field = o.path.join('.');
    const why =
      o.path[0] === 'train' ? 'train.* decides how the policies are trained' :
      field === 'safety.shieldTraining' ? 'it changes the training env' :
      field === 'env.id' || field === 'env' ? 'a policy acts only in the env it was trained on' : undefined;
    if (why !== undefined) throw new UserError(`--set ${o.text}: ${why}; evaluating ${sourceInput} keeps its training (to change it, train again: dosegym run <config> --set ${o.text})`);
  }
  const { config, plan } = planInput(sourceManifest.config, flags, { train: false });
  const sourceConfig = parseExperiment(sourceManifest.config, `${sourceFiles.manifest}: config`);
  const sourcePlan = planRun(sourceConfig);
  // The policies must exist and fit the env as overridden.
  const envOverrides = overrides.filter((o) => o.path[0] === 'env').map((o) => `--set ${o.text}`).join(' ');
  for (const unit of sourcePlan.units) {
    const policyDir = sourceFiles.policyDir(unit.seed, unit.patient);
    const checkpoint = readCheckpointManifest(policyDir);
    if (checkpoint === undefined) throw new UserError(`run directory: ${sourceInput} has no trained policy in policies/${unitKey(unit)}; finish training with dosegym run --resume --out ${sourceInput}`);
    for (const [kind, saved, now] of [['observation', checkpoint.observationSpace, plan.stack.probe.observationSpace], ['action', checkpoint.actionSpace, plan.stack.probe.actionSpace]] as const) {
      const difference = spaceDifference(saved, now);
      if (difference !== undefined) {
        throw new UserError(`${envOverrides || 'the overrides'}: the ${kind} space of the policies of ${sourceInput} differs from the env's with these settings (${difference}); evaluating them would need retraining`);
      }
    }
  }
  if (plan.perPatient) {
    const trained = new Set(sourcePlan.units.map(unitKey));
    const missing = plan.units.find((u) => !trained.has(unitKey(u)));
    if (missing !== undefined) throw new UserError(`${envOverrides || 'the overrides'}: patient ${missing.patient} has no policy in ${sourceInput} (train.perPatient: one policy per trained patient: ${sourcePlan.family.patients(sourcePlan.stack.envOptions).join(', ')})`);
  }
  if (flags.out === undefined) throw new UserError(`--out: evaluating ${sourceInput} under other settings writes a new run directory; give --out DIR`, 2);
  if (flags.resume) throw new UserError(`--resume: not used by dosegym evaluate <run-dir> --out`, 2);
  const outPath = checkOutputPath(flags.out, { flag: '--out' });
  const real = (p: string) => (existsSync(p) ? realpathSync(p) : p);
  const [a, b] = [real(outPath), real(source)];
  if (a === b || a.startsWith(b + sep) || b.startsWith(a + sep)) throw new UserError(`--out: ${outPath} ${a === b ? 'is' : a.startsWith(b + sep) ? 'is inside' : 'holds'} the source run ${source}; the source is never written: give another directory`);
  const { dir } = prepareOutputDir(flags.out, { flag: '--out', force: flags.force, kind: RUN_DIRECTORY });
  for (const entry of COPIED_FROM_SOURCE) {
    if (existsSync(join(source, entry))) cpSync(join(source, entry), join(dir, entry), { recursive: true });
  }
  const manifest = newManifest(config, null, plan.hyperparameters, flags.jobs, overrides.map((o) => o.text), undefined);
  manifest.source = { run: source, name: sourceManifest.name, startedAt: sourceManifest.startedAt, overrides: sourceManifest.overrides, policies: 'copied' };
  manifest.backend = sourceManifest.backend;
  manifest.trainedSteps = sourceManifest.trainedSteps ?? null;
  manifest.init = sourceManifest.init ?? null;
  if (config.train.algo !== 'none') manifest.stages = ['train'];
  const label = `evaluate ${source} with ${overrides.length === 0 ? 'its own settings' : overrides.map((o) => `--set ${o.text}`).join(' ')} -> ${dir}`;
  return runInDir(dir, plan, manifest, flags, ['evaluate', 'report'], label, `run the same command with --force to start it again`);
}

/** --queue: the URL, the flags it cannot be combined with, and Redis reachable (before anything is written). */
export async function checkQueueFlags(flags: Pick<RunFlags, 'queue' | 'queueName' | 'jobs'>): Promise<void> {
  const { parseQueueTarget, checkRedis } = await import('./queue.ts');
  const target = parseQueueTarget(flags.queue as string, flags.queueName);
  if (flags.jobs !== 1) throw new UserError('--jobs: not used with --queue (the workers\' --concurrency decides how many tasks run at once)', 2);
  await checkRedis(target);
}

/** Run tasks locally (`--jobs`) or on the queue's workers (`--queue`). */
async function executeTasks(tasks: readonly Task[], plan: ExperimentPlan, flags: Pick<RunFlags, 'jobs' | 'queue' | 'queueName'>, ctx: TaskContext, progress: Progress, unit: string): Promise<void> {
  if (flags.queue === undefined) return runTasks(tasks, flags.jobs, ctx, progress, () => unit);
  const { parseQueueTarget, runQueuedTasks } = await import('./queue.ts');
  const trained = (t: Task) => t.kind === 'evaluate' && plan.methods.some((m) => m.name === t.method && m.trained);
  // train.init: each training task's starting checkpoint travels to its worker with the task.
  return runQueuedTasks(tasks, parseQueueTarget(flags.queue, flags.queueName), ctx, progress, () => unit, trained, (t) => unitInit(plan, t));
}

/** Run the remaining stages of the run in `dir` (used by run, train, evaluate <run-dir> and report). */
export async function continueRun(dir: string, plan: ExperimentPlan, manifest: RunManifest, flags: Pick<RunFlags, 'jobs' | 'backend' | 'quiet' | 'queue' | 'queueName'>, progress: Progress, stages: readonly Stage[]): Promise<void> {
  const files = runFiles(dir);
  const ctx: TaskContext = { config: plan.config, runDir: dir, backend: flags.backend };
  if (stages.includes('train')) {
    const todo = trainTasks(plan).filter((t) => !isTaskDone(dir, t));
    // training.csv grows as the policies train (each task appends its rows, tasks.ts) from the
    // rows of the policies already trained; when all are, it is rewritten in training order.
    writeTrainingCsv(dir, plan);
    await executeTasks(todo, plan, flags, ctx, progress, 'steps');
    writeTrainingCsv(dir, plan);
    const policies = policyManifests(dir, plan);
    manifest.backend = policies[0]?.backend ?? manifest.backend;
    manifest.trainedSteps = policies[0]?.totalSteps ?? null;
    markStage(files.manifest, manifest, 'train');
  }
  if (stages.includes('evaluate')) {
    const todo = evaluateTasks(plan).filter((t) => !isTaskDone(dir, t));
    await executeTasks(todo, plan, flags, ctx, progress, 'episodes');
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

/** The manifests of the run's trained policies (those written so far), in training order. */
function policyManifests(dir: string, plan: ExperimentPlan): { backend?: string; totalSteps?: number }[] {
  return plan.units
    .map((u) => join(runFiles(dir).policyDir(u.seed, u.patient), 'manifest.json'))
    .filter((path) => existsSync(path))
    .map((path) => JSON.parse(readFileSync(path, 'utf8')) as { backend?: string; totalSteps?: number });
}

function writeTrainingCsv(dir: string, plan: ExperimentPlan): void {
  const files = runFiles(dir);
  const rows = plan.units.flatMap((u) => (existsSync(files.trainingSeedCsv(u.seed, u.patient)) ? parseCsv(readFileSync(files.trainingSeedCsv(u.seed, u.patient), 'utf8')) : []));
  writeFileAtomic(files.trainingCsv, toCsv(trainingColumns(plan), rows));
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
  const sample = runStateSample(tasks.flatMap((t) => (t.kind === 'evaluate' && t.seed !== null ? [{ method: t.method, seed: t.seed, sample: readEvaluation(dir, t).stateSample }] : [])));
  rmSync(files.stateSampleJson, { force: true });
  if (sample !== undefined) writeFileAtomic(files.stateSampleJson, JSON.stringify(sample) + '\n');
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
  let json: { columns?: unknown; rows?: unknown };
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as { columns?: unknown; rows?: unknown };
  } catch (err) {
    throw new UserError(`${path}: not valid JSON (${(err as Error).message.split('\n')[0]}); run dosegym evaluate ${dir} to rewrite it`);
  }
  if (!Array.isArray(json.columns) || !Array.isArray(json.rows)) throw new UserError(`${path}: expected { columns, rows }; run dosegym evaluate ${dir} to rewrite it`);
  return { summary: json.rows as Record<string, Cell>[], columns: json.columns as string[] };
}

/** What `dosegym evaluate <run-dir>` rewrites (with REPORT_ENTRIES), swapped in only when all are written. */
const EVALUATION_ENTRIES = ['evaluation', 'summary.csv', 'summary.json', 'episodes.csv', 'aggregates.json', 'daily-profile.json', 'state-sample.json', 'trajectories'];
/** What `dosegym report <run-dir>` rewrites. */
const REPORT_ENTRIES = ['charts', 'report.html'];

function copyInto(dir: string, staging: string, entries: readonly string[]): void {
  for (const entry of entries) {
    const from = join(dir, entry);
    if (existsSync(from)) cpSync(from, join(staging, entry), { recursive: true });
  }
}

/**
 * Stages on an existing run directory: `dosegym evaluate <run-dir>` (evaluate + report: every
 * method again, from the saved policies) and `dosegym report <run-dir>` (report). The new files are
 * built beside the old ones (src/run/staging.ts) and swapped in only when all are written, so a
 * failure or an interruption leaves the run exactly as it was. `report` never changes the
 * manifest; a successful evaluate + report marks the run complete when every stage is done.
 */
export async function runStagesOnDir(dirInput: string, flags: Pick<RunFlags, 'jobs' | 'backend' | 'quiet'>, stages: readonly Stage[]): Promise<RunResult> {
  const dir = resolve(dirInput);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`run directory: ${dirInput} is not a directory; give a run directory made by dosegym run or dosegym train`);
  const files = runFiles(dir);
  if (!existsSync(files.manifest)) throw new UserError(`run directory: ${dirInput} has no manifest.json; give a run directory made by dosegym run or dosegym train`);
  if (!Number.isSafeInteger(flags.jobs) || flags.jobs < 1) throw new UserError(`--jobs: expected a positive integer, got ${flags.jobs}`);
  const manifest = readManifest(files.manifest);
  const plan = planRun(parseExperiment(manifest.config, `${files.manifest}: config`));
  recoverStaging(dir);
  const evaluate = stages.includes('evaluate');
  const report = stages.includes('report');
  if (evaluate) {
    const missing = plan.units.filter((u) => !existsSync(join(files.policyDir(u.seed, u.patient), 'manifest.json'))).map(unitKey);
    if (missing.length > 0) throw new UserError(`run directory: no trained policy in ${missing.map((k) => `policies/${k}`).join(', ')} of ${dir}; finish training with dosegym run --resume --out ${dirInput}`);
  }
  if (report && !evaluate) {
    // A run still training (or trained only) reports its training so far; evaluation results come later.
    if (!existsSync(files.summaryJson) && !existsSync(files.trainingCsv)) throw new UserError(`run directory: ${dirInput} has no results yet (no training.csv, no evaluation); run dosegym evaluate ${dirInput} first`);
    readSummary(dir); // a damaged summary.json is a one-line error naming it
  }
  const staging = openStaging(dir);
  const progress = createProgress({ quiet: flags.quiet });
  const onSigint = () => {
    stopWorkers();
    progress.stop();
    discardStaging(dir);
    process.stderr.write(`\ninterrupted: ${dir} is unchanged\n`);
    process.exit(130);
  };
  process.once('SIGINT', onSigint);
  try {
    // The staging directory is a shadow run: it holds what the stages read.
    copyInto(dir, staging, ['manifest.json', 'training.csv', 'policies', ...(evaluate ? [] : EVALUATION_ENTRIES.filter((e) => e !== 'evaluation'))]);
    if (evaluate) {
      const ctx: TaskContext = { config: plan.config, runDir: staging, backend: flags.backend };
      await runTasks(evaluateTasks(plan), flags.jobs, ctx, progress, () => 'episodes');
      writeEvaluationOutputs(staging, plan);
    }
    if (report) {
      progress.log('writing charts and report.html');
      const { buildRunReport } = await import('./report-builder.ts');
      await buildRunReport(staging, plan);
    }
    commitStaging(dir, [...(evaluate ? EVALUATION_ENTRIES : []), ...(report ? REPORT_ENTRIES : [])]);
  } catch (err) {
    discardStaging(dir);
    // Name the run's own files, not their staging copies (e.g. a truncated policies/2/weights.bin).
    if (err instanceof UserError && err.message.includes(staging)) throw new UserError(err.message.split(staging).join(dir), err.exitCode);
    throw err;
  } finally {
    process.removeListener('SIGINT', onSigint);
    progress.stop();
  }
  if (evaluate) {
    // New results are in place: the evaluate stage is done; the report is current only if rebuilt.
    manifest.stages = manifest.stages.filter((s) => s !== 'report' || report);
    for (const s of stages) if (!manifest.stages.includes(s)) manifest.stages.push(s);
    const done = ['train', 'evaluate', 'report'].every((s) => manifest.stages.includes(s) || (s === 'train' && plan.config.train.algo === 'none'));
    manifest.status = done ? 'complete' : 'incomplete';
    manifest.finishedAt = done ? new Date().toISOString() : null;
    writeManifest(files.manifest, manifest);
  }
  const { summary, columns } = readSummary(dir);
  return { dir, manifest, summary, columns };
}
