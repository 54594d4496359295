/**
 * The units of work of a run: train one seed, or evaluate one method (one training seed of a
 * trained method, or a baseline). Each task reads the plan and writes its result files atomically,
 * so it runs the same in this process or in a worker process (`--jobs`), and a finished task is
 * skipped on `--resume`.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Action, Env, Observation } from '../core/env.ts';
import { buildEnv } from '../evaluation/env-stack.ts';
import type { ExperimentConfig } from '../config/experiment.ts';
import { evaluateMethod, type EvaluationPlan, type MethodEvaluation } from '../evaluation/evaluate.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { toCsv } from '../io/csv.ts';
import { planExperiment, type ExperimentPlan } from './plan.ts';
import { fileSafe, runFiles } from './layout.ts';
import type { BackendName } from '../../agents/common/backend.ts';
import { TRAINING_COLUMNS, algorithm, trainingRow } from '../../agents/index.ts';
import { trainAgent } from './trainer.ts';

export type Task = { kind: 'train'; seed: number } | { kind: 'evaluate'; method: string; seed: number | null };

export interface TaskContext {
  config: ExperimentConfig;
  runDir: string;
  backend: BackendName;
}

export interface TaskProgress {
  done: number;
  total: number;
  recentReturn?: number;
}

export function taskLabel(task: Task): string {
  return task.kind === 'train' ? `train seed ${task.seed}` : `eval ${task.method}${task.seed === null ? '' : ` seed ${task.seed}`}`;
}

/** Where a task's result lives (its existence means the task is done). */
export function taskOutput(runDir: string, task: Task): string {
  const files = runFiles(runDir);
  return task.kind === 'train' ? files.trainingSeedCsv(task.seed) : files.evaluationJson(fileSafe(task.method), task.seed);
}

export function isTaskDone(runDir: string, task: Task): boolean {
  return existsSync(taskOutput(runDir, task));
}

/** The training env: the configured env with its shield (if safety.shieldTraining), constraint costs and custom reward. */
export function trainingEnvFactory(plan: ExperimentPlan): () => Env<Observation, Action> {
  const shielded = plan.config.safety?.shieldTraining === true && plan.stack.shield !== undefined;
  return () => buildEnv(plan.stack, shielded);
}

/** training.csv's columns: the algorithm table's (agents/index.ts), a stable contract. */
export { TRAINING_COLUMNS };

/** Checkpoints load TensorFlow.js (the policy's parameter store): baselines-only runs never import them. */
const checkpoints = () => import('../../agents/common/checkpoint.ts');

export async function executeTask(ctx: TaskContext, task: Task, onProgress: (p: TaskProgress) => void): Promise<void> {
  const plan = planExperiment(ctx.config);
  const files = runFiles(ctx.runDir);
  if (task.kind === 'train') {
    const rows: Record<string, number | null>[] = [];
    const algo = algorithm(ctx.config.train.algo);
    onProgress({ done: 0, total: ctx.config.train.steps }); // starts the clock of the progress line
    const policy = await trainAgent(plan, trainingEnvFactory(plan), {
      seed: task.seed,
      backend: ctx.backend,
      onUpdate: (stats) => {
        rows.push(trainingRow(algo, task.seed, stats));
        onProgress({ done: stats.steps, total: stats.totalSteps, recentReturn: stats.recentReturn });
      },
    });
    const { savePolicy } = await checkpoints();
    savePolicy(files.policyDir(task.seed), policy);
    // Written last: its existence marks the seed as trained (for --resume).
    writeFileAtomic(files.trainingSeedCsv(task.seed), toCsv(TRAINING_COLUMNS, rows.map((r) => ({ ...r, steps_per_s: null }))));
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
  const trainingSeed = task.seed;
  const trained = method.trained && trainingSeed !== null ? (await checkpoints()).loadPolicy(files.policyDir(trainingSeed)) : undefined;
  const total = plan.family.patients(ctx.config.env.options).length * ctx.config.evaluate.episodes;
  onProgress({ done: 0, total });
  const result: MethodEvaluation = await evaluateMethod(
    evaluationPlan,
    {
      name: method.name,
      trainingSeed: method.trained ? trainingSeed : null,
      shielded: method.shielded,
      makePolicy: (env) => (trained !== undefined ? trained : plan.family.makeBaseline(method.type, method.params, env, `evaluate.methods.${method.name}`)),
    },
    (done) => onProgress({ done, total }),
  );
  onProgress({ done: total, total });
  // Compact: the daily profile's histograms are thousands of [value index, count] pairs.
  writeFileAtomic(taskOutput(ctx.runDir, task), JSON.stringify(result) + '\n');
}

export function readEvaluation(runDir: string, task: Task): MethodEvaluation {
  return JSON.parse(readFileSync(taskOutput(runDir, task), 'utf8')) as MethodEvaluation;
}
