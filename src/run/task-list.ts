/**
 * A run as a list of tasks any process can run from a directory on a shared file system (Slurm job
 * arrays, issue 17):
 *
 *   dosegym run <config> --plan-only --out DIR   the run directory (manifest, incomplete) + tasks.json
 *   dosegym task DIR --index I                   runs task I into DIR (I from SLURM_ARRAY_TASK_ID
 *                                                when --index is absent); a task already done is skipped
 *   dosegym collect DIR                          once every task is done: training.csv, summaries,
 *                                                aggregates, charts, report.html; status complete
 *
 * tasks.json lists the tasks in the run's own order (every training task, then every evaluation
 * task) with their index and what each needs first (an evaluation of a trained method needs its
 * seed's policy), and the index ranges of the two phases as Slurm `--array` ranges. Each task is
 * src/run/tasks.ts `executeTask`, the function `--jobs N` runs in its worker processes, and writes
 * its result files atomically, last: a task killed mid-way leaves nothing, and is simply run again.
 * Since every task is seeded, the collected files are byte-identical to `dosegym run --jobs 1`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../core/errors.ts';
import { parseExperiment } from '../config/experiment.ts';
import { writeJsonAtomic } from '../io/atomic.ts';
import type { BackendName } from '../../agents/common/backend.ts';
import { readManifest, type RunManifest } from './manifest.ts';
import { runFiles } from './layout.ts';
import type { ExperimentPlan } from './plan.ts';
import { runTasks } from './pool.ts';
import { createProgress } from './progress.ts';
import { isTaskDone, taskLabel, type Task } from './tasks.ts';

export const TASKS_FILE = 'tasks.json';
const TASKS_KIND = 'dosegym-tasks';

export interface ListedTask {
  index: number;
  label: string;
  task: Task;
  /** Indices of the tasks whose results this one reads. */
  needs: number[];
}

export interface TaskList {
  kind: typeof TASKS_KIND;
  backend: BackendName;
  tasks: ListedTask[];
  /** Slurm --array ranges of the two phases ('0-2'), null when a phase is empty. */
  arrays: { train: string | null; evaluate: string | null };
}

const range = (indices: number[]) => (indices.length === 0 ? null : `${indices[0]}-${indices[indices.length - 1]}`);

/** The task list of a plan: its training tasks, then its evaluation tasks (the order `dosegym run` runs them in). */
export function listTasks(plan: ExperimentPlan, train: readonly Task[], evaluate: readonly Task[], backend: BackendName): TaskList {
  const tasks: ListedTask[] = [...train, ...evaluate].map((task, index) => ({ index, label: taskLabel(task), task, needs: [] }));
  for (const t of tasks) {
    const task = t.task;
    if (task.kind !== 'evaluate' || task.seed === null || !plan.methods.some((m) => m.name === task.method && m.trained)) continue;
    t.needs = tasks.filter((o) => o.task.kind === 'train' && o.task.seed === task.seed).map((o) => o.index);
  }
  return { kind: TASKS_KIND, backend, tasks, arrays: { train: range(tasks.filter((t) => t.task.kind === 'train').map((t) => t.index)), evaluate: range(tasks.filter((t) => t.task.kind === 'evaluate').map((t) => t.index)) } };
}

export function writeTaskList(dir: string, list: TaskList): void {
  writeJsonAtomic(join(dir, TASKS_FILE), list);
}

/** A planned run directory: its manifest, plan and task list, checked against each other. */
export interface PlannedDir {
  dir: string;
  manifest: RunManifest;
  plan: ExperimentPlan;
  list: TaskList;
}

/**
 * Open a directory written by `run --plan-only`. The task list is planned again from the manifest's
 * config and must be the one in tasks.json (the same DoseGym on every node).
 */
export async function openPlannedDir(dirInput: string, plan: (config: RunManifest['config']) => { plan: ExperimentPlan; train: Task[]; evaluate: Task[] }): Promise<PlannedDir> {
  const dir = resolve(dirInput);
  const path = join(dir, TASKS_FILE);
  if (!existsSync(path)) throw new UserError(`${dirInput}: no ${TASKS_FILE}; write the task list first with dosegym run <config> --plan-only --out ${dirInput}`);
  const manifest = readManifest(runFiles(dir).manifest);
  let list: TaskList;
  try {
    list = JSON.parse(readFileSync(path, 'utf8')) as TaskList;
  } catch (err) {
    throw new UserError(`${path}: not valid JSON (${(err as Error).message.split('\n')[0]}); write it again with --plan-only --force`);
  }
  if (list.kind !== TASKS_KIND || !Array.isArray(list.tasks)) throw new UserError(`${path}: not a DoseGym task list (no "kind": "${TASKS_KIND}")`);
  const planned = plan(parseExperiment(manifest.config, `${runFiles(dir).manifest}: config`));
  const again = listTasks(planned.plan, planned.train, planned.evaluate, list.backend);
  if (JSON.stringify(again.tasks) !== JSON.stringify(list.tasks)) throw new UserError(`${path}: the tasks differ from what this DoseGym plans for the run's config (another DoseGym version wrote them?); plan again with --plan-only --force`);
  return { dir, manifest, plan: planned.plan, list };
}

/** The task index of `dosegym task`: --index, else SLURM_ARRAY_TASK_ID. */
export function taskIndex(flag: number | undefined, env: NodeJS.ProcessEnv, count: number): number {
  const given = flag !== undefined ? { value: String(flag), from: '--index' } : env['SLURM_ARRAY_TASK_ID'] !== undefined ? { value: env['SLURM_ARRAY_TASK_ID'], from: 'SLURM_ARRAY_TASK_ID' } : undefined;
  if (given === undefined) throw new UserError('--index: give the task index (--index N), or run inside a Slurm job array (SLURM_ARRAY_TASK_ID)', 2);
  const index = Number(given.value);
  if (given.value.trim() === '' || !Number.isSafeInteger(index) || index < 0 || index >= count) throw new UserError(`${given.from}: expected a task index in 0..${count - 1}, got ${JSON.stringify(given.value)}`, 2);
  return index;
}

/** `dosegym task DIR --index I`: run one task into DIR (skipped when its result exists). */
export async function runListedTask(planned: PlannedDir, index: number, options: { quiet: boolean }): Promise<{ label: string; skipped: boolean }> {
  const { dir, plan, list } = planned;
  const entry = list.tasks[index] as ListedTask;
  const name = (t: ListedTask) => `${t.index} (${t.label})`;
  if (isTaskDone(dir, entry.task)) return { label: name(entry), skipped: true };
  const missing = entry.needs.map((i) => list.tasks[i] as ListedTask).filter((t) => !isTaskDone(dir, t.task));
  if (missing.length > 0) throw new UserError(`task ${name(entry)} needs task ${missing.map(name).join(', ')} first (not done yet in ${dir}); run the training array before the evaluation array`);
  const progress = createProgress({ quiet: options.quiet });
  progress.log(`task ${name(entry)}: started in ${dir}`);
  try {
    await runTasks([entry.task], 1, { config: plan.config, runDir: dir, backend: list.backend }, progress, (t) => (t.kind === 'train' ? 'steps' : 'episodes'));
  } finally {
    progress.stop();
  }
  return { label: name(entry), skipped: false };
}

/** The tasks of a planned run not done yet, as `index (label)`. */
export function missingTasks(planned: PlannedDir): string[] {
  return planned.list.tasks.filter((t) => !isTaskDone(planned.dir, t.task)).map((t) => `${t.index} (${t.label})`);
}
