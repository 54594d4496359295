/**
 * Runs tasks with up to `jobs` at once. jobs = 1 runs them in this process; jobs > 1 starts one
 * worker process per lane (the wasm backend is single-threaded, so processes are how seeds train
 * in parallel) and feeds it tasks one after another: a worker pays its start-up (tsx, env
 * registry, TensorFlow.js) once, not once per task. A task computes the same result in either
 * place: everything it does is seeded.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UserError } from '../core/errors.ts';
import { isCompiled } from '../core/package.ts';
import type { Progress } from './progress.ts';
import { executeTask, taskLabel, type Task, type TaskContext, type TaskProgress } from './tasks.ts';
import type { WorkerMessage, WorkerRequest } from './worker.ts';

// Compiled (dist/), plain Node runs the worker; from the sources it needs tsx, as bin/dosegym does.
const compiled = isCompiled(import.meta.url);
const workerPath = fileURLToPath(new URL(compiled ? './worker.js' : './worker.ts', import.meta.url));
const workerExecArgv = compiled ? [] : [`--import=${import.meta.resolve('tsx')}`];

/** Live worker processes, so an interrupted run can stop them (see stopWorkers). */
const liveWorkers = new Set<ChildProcess>();

/** Kill every worker process this process started (Ctrl-C: they must not keep computing). */
export function stopWorkers(): void {
  for (const child of liveWorkers) child.kill('SIGTERM');
  liveWorkers.clear();
}

/**
 * One worker process that runs the tasks it is given, one at a time (also the process a queue
 * worker runs its tasks in, src/run/queue-worker.ts, so that its own event loop stays free).
 */
export class TaskProcess {
  private readonly child: ChildProcess;
  private current: { task: Task; onProgress: (p: TaskProgress) => void; resolve: () => void; reject: (err: Error) => void } | undefined;
  private exited: Error | undefined;

  constructor() {
    this.child = fork(workerPath, [], { execArgv: workerExecArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    liveWorkers.add(this.child);
    this.child.on('message', (m: WorkerMessage) => {
      const current = this.current;
      if (current === undefined) return;
      if (m.type === 'progress') {
        current.onProgress(m);
        return;
      }
      this.current = undefined;
      if (m.type === 'done') current.resolve();
      else current.reject(m.userError ? new UserError(m.message) : Object.assign(new Error(m.message), m.stack ? { stack: m.stack } : {}));
    });
    const fail = (err: Error) => {
      liveWorkers.delete(this.child);
      this.exited ??= err;
      const current = this.current;
      this.current = undefined;
      current?.reject(new Error(`${taskLabel(current.task)}: ${err.message}`));
    };
    this.child.on('exit', (code, signal) => fail(new Error(`worker exited with ${signal ?? `code ${code}`}`)));
    this.child.on('error', fail);
  }

  run(ctx: TaskContext, task: Task, onProgress: (p: TaskProgress) => void): Promise<void> {
    if (this.exited) return Promise.reject(new Error(`${taskLabel(task)}: ${this.exited.message}`));
    return new Promise((resolve, reject) => {
      this.current = { task, onProgress, resolve, reject };
      const request: WorkerRequest = { ctx, task };
      this.child.send(request);
    });
  }

  /** True once the process has exited (killed, crashed): it takes no more tasks. */
  get dead(): boolean {
    return this.exited !== undefined;
  }

  /** Stop the process now (a task in progress is lost; its results are never half-written). */
  kill(): void {
    liveWorkers.delete(this.child);
    this.child.kill('SIGKILL');
  }

  /** Let the worker exit (it exits when its IPC channel closes). */
  close(): void {
    liveWorkers.delete(this.child);
    if (this.child.connected) this.child.disconnect();
  }
}

export async function runTasks(tasks: readonly Task[], jobs: number, ctx: TaskContext, progress: Progress, unit: (t: Task) => string): Promise<void> {
  const queue = [...tasks];
  const noted = new Set<string>();
  let failed = false;
  let firstError: unknown;
  const runOne = async (task: Task, worker: TaskProcess | undefined) => {
    let bar: ReturnType<Progress['task']> | undefined;
    const onProgress = (p: TaskProgress) => {
      if (p.note !== undefined && !noted.has(p.note)) {
        noted.add(p.note);
        progress.log(p.note);
      }
      bar ??= progress.task(taskLabel(task), p.total, unit(task));
      bar.update({ done: p.done, ...(p.recentReturn !== undefined && Number.isFinite(p.recentReturn) ? { recentReturn: p.recentReturn } : {}) });
    };
    if (worker === undefined) await executeTask(ctx, task, onProgress);
    else await worker.run(ctx, task, onProgress);
    bar?.finish();
  };
  const lanes = Array.from({ length: Math.min(jobs, queue.length) }, async () => {
    const worker = jobs === 1 ? undefined : new TaskProcess();
    try {
      // Stop taking tasks once any lane failed: the run stops with the first error.
      for (let task = queue.shift(); task !== undefined && !failed; task = queue.shift()) {
        try {
          await runOne(task, worker);
        } catch (err) {
          if (!failed) {
            failed = true;
            firstError = err;
            stopWorkers(); // the other lanes' tasks are abandoned, not left running
          }
          throw err;
        }
      }
    } finally {
      worker?.close();
    }
  });
  await Promise.allSettled(lanes);
  if (failed) throw firstError;
}
