/**
 * `dosegym worker --queue redis://host:port [--concurrency N]`: takes tasks from the queue until
 * stopped (the message format and what travels: src/run/queue.ts).
 *
 * Each task runs in a task process (src/run/pool.ts `TaskProcess`, the same as `--jobs N`), one per
 * concurrency slot and reused, in a fresh temporary run directory holding only the task's inputs;
 * every file the task writes is sent back through Redis. This process only talks to Redis, so its
 * event loop stays free to renew the task's lock however long training computes: a worker whose
 * lock lapses for `--lock-seconds` (SIGKILL, a machine lost, a network cut) is presumed dead, and
 * BullMQ's stalled-job check hands its task to another worker.
 *
 * Ctrl-C (or SIGTERM) finishes the tasks in progress and exits; a second Ctrl-C stops at once, and
 * the tasks go back to the queue when their lock lapses.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { UserError } from '../core/errors.ts';
import { parseExperiment } from '../config/experiment.ts';
import { TaskProcess } from './pool.ts';
import { taskLabel, type TaskContext, type TaskProgress } from './tasks.ts';
import { INIT_FOLDER, USER_ERROR_PREFIX, checkRedis, checkTaskPath, listFiles, parseTaskMessage, redisClient, type QueueTarget } from './queue.ts';

export interface WorkerOptions {
  concurrency: number;
  /** How long a task's lock lasts without renewal before the task is given to another worker. */
  lockSeconds: number;
  quiet: boolean;
}

/** Progress is sent to the coordinator at most this often. */
const PROGRESS_INTERVAL_MS = 2000;

export async function runQueueWorker(target: QueueTarget, options: WorkerOptions): Promise<void> {
  const { concurrency, lockSeconds } = options;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new UserError(`--concurrency: expected a positive integer, got ${concurrency}`, 2);
  if (!Number.isFinite(lockSeconds) || lockSeconds < 1) throw new UserError(`--lock-seconds: expected a number of seconds >= 1, got ${lockSeconds}`, 2);
  await checkRedis(target);
  const log = (line: string) => {
    if (!options.quiet) process.stderr.write(`${line}\n`);
  };
  const idle: TaskProcess[] = [];
  const busy = new Set<TaskProcess>();
  const connection = redisClient(target, { retryForever: true });

  const processJob = async (job: Job): Promise<{ files: number; bytes: number }> => {
    let message;
    try {
      message = parseTaskMessage(job.data);
    } catch (err) {
      log(`worker: job ${job.id}: ${(err as Error).message}`);
      throw new UnrecoverableError((err as Error).message);
    }
    let config;
    try {
      config = parseExperiment(message.config, 'task config');
    } catch (err) {
      throw new UnrecoverableError(USER_ERROR_PREFIX + (err as Error).message);
    }
    const label = taskLabel(message.task);
    const started = Date.now();
    log(`worker: ${label} (job ${job.id}) started`);
    const runDir = mkdtempSync(join(tmpdir(), 'dosegym-task-'));
    const process_ = idle.pop() ?? new TaskProcess();
    busy.add(process_);
    try {
      const inputs = message.inputsKey === null ? {} : await connection.hgetallBuffer(message.inputsKey);
      if (message.inputsKey !== null && Object.keys(inputs).length === 0) throw new UnrecoverableError(`the inputs of ${label} are gone from Redis (expired?); run the coordinator again with --resume`);
      for (const [path, bytes] of Object.entries(inputs)) {
        const file = join(runDir, checkTaskPath(path));
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, bytes);
      }
      let lastProgress = 0;
      const onProgress = (p: TaskProgress) => {
        const now = Date.now();
        if (now - lastProgress < PROGRESS_INTERVAL_MS && p.done < p.total) return;
        lastProgress = now;
        job.updateProgress({ done: p.done, total: p.total, ...(p.recentReturn !== undefined && Number.isFinite(p.recentReturn) ? { recentReturn: p.recentReturn } : {}) }).catch(() => {});
      };
      // train.init: train from the checkpoint's copy that came with the task (init/<seed>[/<patient>],
      // which train.init = init/ resolves to), recording the coordinator's directory as provenance.
      const ctx: TaskContext =
        message.initDir === null
          ? { config, runDir, backend: message.backend }
          : { config: { ...config, train: { ...config.train, init: join(runDir, INIT_FOLDER) } }, runDir, backend: message.backend, initRecordedAs: message.initDir };
      try {
        await process_.run(ctx, message.task, onProgress);
      } catch (err) {
        throw err instanceof UserError ? new UnrecoverableError(USER_ERROR_PREFIX + err.message) : err;
      }
      const outputs = listFiles(runDir).filter((p) => !(p in inputs));
      const multi = connection.multi().del(message.resultKey);
      let bytes = 0;
      for (const path of outputs) {
        const data = readFileSync(join(runDir, path));
        bytes += data.length;
        multi.hset(message.resultKey, checkTaskPath(path), data);
      }
      await multi.expire(message.resultKey, 7 * 24 * 3600).exec();
      log(`worker: ${label} (job ${job.id}) done in ${((Date.now() - started) / 1000).toFixed(1)} s, ${outputs.length} files, ${(bytes / 1e6).toFixed(2)} MB`);
      return { files: outputs.length, bytes };
    } finally {
      busy.delete(process_);
      if (!process_.dead) idle.push(process_);
      rmSync(runDir, { recursive: true, force: true });
    }
  };

  const worker = new Worker(target.name, processJob, {
    connection,
    concurrency,
    lockDuration: lockSeconds * 1000,
    stalledInterval: lockSeconds * 1000,
    // A task is handed over at most twice (two workers lost on it) before it fails.
    maxStalledCount: 2,
  });
  worker.on('error', () => {}); // connection problems: ioredis reconnects (retryForever)
  log(`worker ${hostname()}:${process.pid}: taking tasks from ${target.shown} (queue ${target.name}, concurrency ${concurrency}); Ctrl-C to stop`);

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = () => {
      if (!stopping) {
        stopping = true;
        log(`worker: finishing ${busy.size} task(s) in progress, then exiting; Ctrl-C again to stop now (they go back to the queue after ${lockSeconds} s)`);
        worker.close().then(resolve, resolve);
        return;
      }
      for (const p of [...busy, ...idle]) p.kill();
      process.exit(130);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  for (const p of idle) p.close();
  connection.disconnect();
}
