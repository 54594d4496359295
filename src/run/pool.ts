/**
 * Runs tasks with up to `jobs` at once. jobs = 1 runs them in this process; jobs > 1 forks one
 * worker process per task (the wasm backend is single-threaded, so processes are how seeds train
 * in parallel). A task computes the same result in either place: everything it does is seeded.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UserError } from '../core/errors.ts';
import type { Progress } from './progress.ts';
import { executeTask, taskLabel, type Task, type TaskContext } from './tasks.ts';
import type { WorkerMessage } from './worker.ts';

const workerPath = fileURLToPath(new URL('./worker.ts', import.meta.url));
const tsxLoader = import.meta.resolve('tsx');

function runInWorker(ctx: TaskContext, task: Task, onProgress: (m: { done: number; total: number; recentReturn?: number }) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = fork(workerPath, [], { execArgv: [`--import=${tsxLoader}`], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let settled = false;
    const settle = (err?: Error) => {
      if (settled) return;
      settled = true;
      if (err) reject(err);
      else resolve();
    };
    child.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') onProgress(m);
      else if (m.type === 'done') settle();
      else settle(m.userError ? new UserError(m.message) : Object.assign(new Error(m.message), { stack: m.stack }));
    });
    child.on('exit', (code, signal) => settle(code === 0 ? undefined : new Error(`${taskLabel(task)}: worker exited with ${signal ?? `code ${code}`}`)));
    child.on('error', (err) => settle(err));
    child.send({ ctx, task });
  });
}

export async function runTasks(tasks: readonly Task[], jobs: number, ctx: TaskContext, progress: Progress, unit: (t: Task) => string): Promise<void> {
  const queue = [...tasks];
  const runOne = async (task: Task) => {
    let bar: ReturnType<Progress['task']> | undefined;
    const onProgress = (p: { done: number; total: number; recentReturn?: number }) => {
      bar ??= progress.task(taskLabel(task), p.total, unit(task));
      bar.update({ done: p.done, ...(p.recentReturn !== undefined && Number.isFinite(p.recentReturn) ? { recentReturn: p.recentReturn } : {}) });
    };
    if (jobs === 1) await executeTask(ctx, task, onProgress);
    else await runInWorker(ctx, task, onProgress);
    bar?.finish();
  };
  const lanes = Array.from({ length: Math.min(jobs, queue.length) }, async () => {
    for (let task = queue.shift(); task !== undefined; task = queue.shift()) await runOne(task);
  });
  await Promise.all(lanes);
}
