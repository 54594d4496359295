/**
 * The units of work of a run: train one policy (one seed, or with train.perPatient one seed and
 * patient), or evaluate one method (one training seed of a trained method, or a baseline). Each task
 * reads the plan and writes its result files atomically, so it runs the same in this process or in
 * a worker process (`--jobs`), and a finished task is skipped on `--resume`.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { envSpec } from '../core/registry.ts';
import type { Action, Env, Observation } from '../core/env.ts';
import { buildEnv } from '../evaluation/env-stack.ts';
import type { ExperimentConfig } from '../config/experiment.ts';
import { evaluateMethod, type EvaluationPlan, type MethodEvaluation, type MethodUnderTest } from '../evaluation/evaluate.ts';
import { mergeProfiles, type DailyProfile } from '../evaluation/profile.ts';
import { mergeStateSamples, statesPerEpisode, type StateSample } from '../evaluation/state-sample.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { toCsv, type Cell } from '../io/csv.ts';
import { planExperiment, trainingEnvOptions, unitInit, type ExperimentPlan } from './plan.ts';
import { readCheckpointManifest, weightsDigest } from './init.ts';
import { fileSafe, runFiles } from './layout.ts';
import type { BackendName } from '../../agents/common/backend.ts';
import type { TrainedPolicy } from '../../agents/common/policy.ts';
import type { TrainingState } from '../../agents/common/training-state.ts';
import { TRAINING_COLUMNS, algorithm, trainingRow } from '../../agents/index.ts';
import { trainAgent } from './trainer.ts';

/** `patient`: with train.perPatient, the patient whose policy is trained (else null). */
export type Task = { kind: 'train'; seed: number; patient: string | null } | { kind: 'evaluate'; method: string; seed: number | null };

export interface TaskContext {
  config: ExperimentConfig;
  runDir: string;
  backend: BackendName;
  /**
   * A queue worker trains from a copy of the starting checkpoint (config.train.init points at it);
   * the policy's provenance records the coordinator's checkpoint directory, this, as a local run would.
   */
  initRecordedAs?: string;
}

export interface TaskProgress {
  done: number;
  total: number;
  recentReturn?: number;
  /** A line to tell the user once per run (the same note from several tasks is printed once). */
  note?: string;
}

export function taskLabel(task: Task): string {
  return task.kind === 'train' ? `train seed ${task.seed}${task.patient !== null ? ` ${task.patient}` : ''}` : `eval ${task.method}${task.seed === null ? '' : ` seed ${task.seed}`}`;
}

/** Where a task's result lives (its existence means the task is done). */
export function taskOutput(runDir: string, task: Task): string {
  const files = runFiles(runDir);
  return task.kind === 'train' ? files.trainingSeedCsv(task.seed, task.patient) : files.evaluationJson(fileSafe(task.method), task.seed);
}

export function isTaskDone(runDir: string, task: Task): boolean {
  return existsSync(taskOutput(runDir, task));
}

/**
 * The training env of a policy: the configured env (with train.perPatient, its patient's), with its
 * shield (if safety.shieldTraining), constraint costs and custom reward.
 */
export function trainingEnvFactory(plan: ExperimentPlan, patient: string | null = null): () => Env<Observation, Action> {
  const shielded = plan.config.safety?.shieldTraining === true && plan.stack.shield !== undefined;
  const options = trainingEnvOptions(plan, patient);
  return () => buildEnv(plan.stack, shielded, options);
}

/** training.csv's columns: the algorithm table's (agents/index.ts), a stable contract. */
export { TRAINING_COLUMNS };

/** Checkpoints load TensorFlow.js (the policy's parameter store): baselines-only runs never import them. */
const checkpoints = () => import('../../agents/common/checkpoint.ts');

export async function executeTask(ctx: TaskContext, task: Task, onProgress: (p: TaskProgress) => void): Promise<void> {
  const plan = planExperiment(ctx.config);
  const files = runFiles(ctx.runDir);
  if (task.kind === 'train') {
    const algo = algorithm(ctx.config.train.algo);
    const columns = trainingColumns(plan);
    onProgress({ done: 0, total: ctx.config.train.steps }); // starts the clock of the progress line
    const { loadPolicy, savePolicy } = await checkpoints();
    const initDir = unitInit(plan, task);
    const source = initDir !== undefined ? readCheckpointManifest(initDir) : undefined;
    const provenance = {
      envOptions: { ...envSpec(ctx.config.env.id).defaults, ...trainingEnvOptions(plan, task.patient) },
      init: initDir === undefined || source === undefined ? null : { dir: ctx.initRecordedAs ?? initDir, algorithm: source.algorithm, seed: source.seed, totalSteps: source.totalSteps, weightsSha256: weightsDigest(initDir) },
    };
    // train.checkpointEvery: the latest training checkpoint, continued from when a run resumes.
    const checkpoint = await trainingCheckpoint(ctx, task, (policy) => (dir) => savePolicy(dir, policy, provenance));
    const rows = checkpoint?.rows ?? [];
    for (const row of rows) appendLiveRow(files.trainingCsv, columns, row); // the resumed policy's rows so far
    const policy = await trainAgent(plan, trainingEnvFactory(plan, task.patient), {
      seed: task.seed,
      backend: ctx.backend,
      ...(initDir !== undefined ? { init: { source: initDir, policy: loadPolicy(initDir) } } : {}),
      ...(checkpoint !== undefined ? { checkpoint: { ...checkpoint.options, save: (state, live) => checkpoint.options.save(state, live, rows) } } : {}),
      onUpdate: (stats) => {
        // steps_per_s is left empty: a timing would make training.csv differ between identical runs.
        const row = { ...trainingRow(algo, task.seed, stats), ...(task.patient !== null ? { patient: task.patient } : {}), steps_per_s: null };
        rows.push(row);
        appendLiveRow(files.trainingCsv, columns, row);
        // The algorithm trains in whole units (PPO: rollouts of nSteps x numEnvs): say so once.
        const steps = ctx.config.train.steps;
        const note = rows.length === 1 && stats.totalSteps !== steps ? `train.steps: ${steps} becomes ${stats.totalSteps} environment steps per policy (${algo.name} trains whole rollouts); manifest.json records trainedSteps` : undefined;
        onProgress({ done: stats.steps, total: stats.totalSteps, recentReturn: stats.recentReturn, ...(note !== undefined ? { note } : {}) });
      },
    });
    savePolicy(files.policyDir(task.seed, task.patient), policy, provenance);
    // Written last: its existence marks the policy as trained (for --resume).
    writeFileAtomic(files.trainingSeedCsv(task.seed, task.patient), toCsv(columns, rows));
    return;
  }
  const method = plan.methods.find((m) => m.name === task.method);
  if (method === undefined) throw new Error(`executeTask: no method '${task.method}' in the plan`);
  const evaluationPlan: EvaluationPlan = {
    stack: plan.stack,
    episodes: ctx.config.evaluate.episodes,
    seed: ctx.config.evaluate.seed,
    trajectories: ctx.config.evaluate.trajectories,
  };
  const trainingSeed = method.trained ? task.seed : null;
  const total = plan.family.patients(ctx.config.env.options).length * ctx.config.evaluate.episodes;
  onProgress({ done: 0, total });
  const underTest = (makePolicy: MethodUnderTest['makePolicy']): MethodUnderTest => ({ name: method.name, trainingSeed, shielded: method.shielded, makePolicy, ...(trainingSeed === null ? { baselineType: method.type } : {}) });
  let result: MethodEvaluation;
  if (trainingSeed === null) {
    result = await evaluateMethod(evaluationPlan, underTest((env) => plan.family.makeBaseline(method.type, method.params, env, `evaluate.methods.${method.name}`)), (done) => onProgress({ done, total }));
  } else if (!plan.perPatient) {
    const policy = (await checkpoints()).loadPolicy(files.policyDir(trainingSeed));
    result = await evaluateMethod(evaluationPlan, underTest(() => policy), (done) => onProgress({ done, total }));
  } else {
    result = await evaluatePerPatient(plan, evaluationPlan, trainingSeed, files.policyDir, underTest, (done) => onProgress({ done, total }));
  }
  onProgress({ done: total, total });
  // Compact: the daily profile's histograms are thousands of [value index, count] pairs.
  writeFileAtomic(taskOutput(ctx.runDir, task), JSON.stringify(result) + '\n');
}

type Row = Record<string, number | string | null>;

/**
 * With train.checkpointEvery: where the policy's training checkpoint goes (the latest replaces the
 * one before, atomically, with the policy as a dosegym-policy checkpoint beside and training.csv's
 * rows so far), and the checkpoint to continue from if an interrupted run left one (undefined
 * without checkpointEvery).
 */
async function trainingCheckpoint(
  ctx: TaskContext,
  task: Extract<Task, { kind: 'train' }>,
  policyWriter: (policy: TrainedPolicy) => (dir: string) => void,
): Promise<{ rows: Row[] | undefined; options: { every: number; from: TrainingState | undefined; save: (state: TrainingState, policy: TrainedPolicy, rows: Row[]) => void } } | undefined> {
  const every = ctx.config.train.checkpointEvery;
  if (every === undefined) return undefined;
  const { readTrainingState, writeTrainingState } = await import('../../agents/common/training-state.ts');
  const dir = runFiles(ctx.runDir).checkpointDir(task.seed, task.patient);
  const saved = existsSync(join(dir, 'state.json')) ? readTrainingState(dir) : undefined;
  return {
    rows: saved !== undefined ? (saved.extra['trainingRows'] as Row[]) : undefined,
    options: { every, from: saved?.state, save: (state, policy, rows) => void writeTrainingState(dir, state, { trainingRows: rows }, policyWriter(policy)) },
  };
}

/**
 * train.perPatient: each patient's episodes with that patient's own policy. The evaluation of one
 * patient at a time is the protocol's own (src/evaluation/evaluate.ts: the same env options, episode
 * seeds and order as for a cohort), concatenated in the cohort's patient order.
 */
async function evaluatePerPatient(
  plan: ExperimentPlan,
  evaluationPlan: EvaluationPlan,
  trainingSeed: number,
  policyDir: (seed: number, patient: string | null) => string,
  underTest: (makePolicy: MethodUnderTest['makePolicy']) => MethodUnderTest,
  onEpisode: (done: number) => void,
): Promise<MethodEvaluation> {
  const { loadPolicy } = await checkpoints();
  const out: MethodEvaluation = { episodes: [], trajectories: [] };
  const profiles: DailyProfile[] = [];
  const samples: (StateSample | undefined)[] = [];
  const patients = plan.family.patients(plan.stack.envOptions) as string[];
  // The cohort's sample size per episode, so the task's state sample is as large as a cohort policy's.
  const perEpisode = statesPerEpisode(patients.length * evaluationPlan.episodes);
  for (const patient of patients) {
    const envOptions = trainingEnvOptions(plan, patient);
    const only = plan.family.patients(envOptions);
    if (only.length !== 1 || only[0] !== patient) throw new Error(`evaluatePerPatient: the options of patient ${patient} select ${only.join(', ')}`);
    const policy = loadPolicy(policyDir(trainingSeed, patient));
    const done = out.episodes.length;
    const r = await evaluateMethod({ ...evaluationPlan, stack: { ...plan.stack, envOptions }, statesPerEpisode: perEpisode }, underTest(() => policy), (n) => onEpisode(done + n));
    out.episodes.push(...r.episodes);
    out.trajectories.push(...r.trajectories);
    if (r.profile !== undefined) profiles.push(r.profile);
    samples.push(r.stateSample);
  }
  if (profiles.length > 0) out.profile = mergeProfiles(profiles);
  // Each state names its patient, so the report can ask each patient's policy about its own states.
  const stateSample = mergeStateSamples(samples);
  if (stateSample !== undefined) out.stateSample = stateSample;
  return out;
}

/**
 * Append one update's row to the run's training.csv while training runs (so `tail -f` and a
 * mid-run `dosegym report` see it): one write per row, so rows of policies training in parallel
 * processes interleave whole. Only when the run stage has started the file (with its header);
 * the stage rewrites it in training order when every policy is trained (src/run/run.ts).
 */
function appendLiveRow(path: string, columns: readonly string[], row: Record<string, Cell>): void {
  if (!existsSync(path)) return;
  const csv = toCsv(columns, [row]);
  appendFileSync(path, csv.slice(csv.indexOf('\n') + 1));
}

/** training.csv's columns for a plan: the table's, then (train.perPatient) the patient. */
export function trainingColumns(plan: Pick<ExperimentPlan, 'perPatient'>): string[] {
  return plan.perPatient ? [...TRAINING_COLUMNS, 'patient'] : [...TRAINING_COLUMNS];
}

export function readEvaluation(runDir: string, task: Task): MethodEvaluation {
  return JSON.parse(readFileSync(taskOutput(runDir, task), 'utf8')) as MethodEvaluation;
}
