/**
 * A run's tasks on many machines through Redis and BullMQ (issue 17): `dosegym run <config> --queue
 * redis://host:port` puts its tasks on a BullMQ queue and writes the results into the run directory;
 * `dosegym worker --queue redis://host:port` (src/run/queue-worker.ts), started on any number of
 * machines, runs them. No shared file system is assumed:
 *
 *   coordinator                                   Redis                         worker
 *   inputs of the task (an evaluation's policy, -> dosegym:in:<job id> (hash)  -> a fresh temporary run dir
 *     a training's train.init checkpoint)
 *   the task description (kind, seed, method,   -> BullMQ job <run key>-<output file>
 *     resolved config, backend, key names)                                    -> executeTask (src/run/tasks.ts)
 *   result files written into the run directory <- dosegym:out:<job id> (hash)  <- every file the task wrote
 *
 * A job's id is the run (its directory and start time) and the task's result file, so a coordinator
 * restarted with `--resume` adds the same ids: BullMQ keeps an existing job, and one that finished
 * while the coordinator was away hands over its result at once instead of being computed again.
 * Each task is seeded (the worker computes what `--jobs N` computes), so the run directory is
 * byte-identical to `--jobs 1`. Results are written atomically, the task's own result file (its
 * "done" marker) last.
 *
 * Sizes: each file travels as one Redis hash field (binary, not base64), so a file is limited by
 * Redis's proto-max-bulk-len (512 MB by default) and a task's files by Redis's memory (maxmemory);
 * the coordinator holds one task's files in memory at a time while writing them. A policy with the default networks
 * is about 50 kB, larger networks tens of MB (test/queue.test.ts moves an 11.6 MB one). Keys expire after a week if no
 * coordinator collects them.
 *
 * Security: anyone who can write to the Redis server can queue tasks, so the queue must be on a
 * trusted network (or TLS, `rediss://`, with a password in the URL: `redis://:password@host:port`).
 * A worker runs only the task kinds it knows (train, evaluate) with a validated description; the
 * config is parsed and checked exactly as on the command line (a reward expression is mathjs data,
 * never JavaScript); input and result paths are checked to stay inside the run layout.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { Job, Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { UserError } from '../core/errors.ts';
import { packageVersion } from '../core/package.ts';
import { printable } from '../core/validate.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { BACKEND_NAMES } from '../../agents/common/backend.ts';
import { fileSafe, runFiles } from './layout.ts';
import { readManifest } from './manifest.ts';
import type { Progress } from './progress.ts';
import { taskLabel, taskOutput, type Task, type TaskContext } from './tasks.ts';

/** The version of the messages below; a worker refuses others. */
export const QUEUE_PROTOCOL = 2;
export const DEFAULT_QUEUE_NAME = 'dosegym';
/** Inputs and results not collected within a week are dropped by Redis. */
const KEY_TTL_SECONDS = 7 * 24 * 3600;
/** A lost connection is retried this long (attempts x delay) before the command gives up. */
const RECONNECT_ATTEMPTS = 20;
const RECONNECT_DELAY_MS = 500;

export interface QueueTarget {
  url: string;
  /** The URL with its password hidden, for messages. */
  shown: string;
  /** The BullMQ queue name (--queue-name): several teams or studies can share one Redis. */
  name: string;
  /** The flag named in messages. */
  flag: string;
}

/** Check a --queue URL: redis:// or rediss:// (TLS), a host, optionally a user, password, port and db. */
export function parseQueueTarget(url: string, name: string = DEFAULT_QUEUE_NAME, flag = '--queue'): QueueTarget {
  const expected = 'expected redis://[:password@]host[:port][/db] or rediss://... (TLS)';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError(`${flag}: ${expected}, got ${JSON.stringify(printable(url))}`, 2);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new UserError(`${flag}: ${expected}, got the scheme ${JSON.stringify(parsed.protocol)}`, 2);
  if (parsed.hostname === '') throw new UserError(`${flag}: ${expected}; the host is missing`, 2);
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(name)) throw new UserError(`--queue-name: expected letters, digits, . _ - (at most 100), got ${JSON.stringify(printable(name))}`, 2);
  const shown = new URL(url);
  if (shown.password !== '') shown.password = '***';
  return { url, shown: shown.toString(), name, flag };
}

/** How long closing the queue may take before its connections are dropped (Redis may be gone). */
const CLOSE_TIMEOUT_MS = 3000;

/** A Redis client for BullMQ: blocking commands allowed; a lost connection is retried for about 10 s, then the client ends. */
export function redisClient(target: QueueTarget, options: { retryForever?: boolean } = {}): Redis {
  const client = new Redis(target.url, {
    maxRetriesPerRequest: null,
    lazyConnect: true,
    connectTimeout: 5000,
    retryStrategy: (times: number) => (options.retryForever === true || times <= RECONNECT_ATTEMPTS ? RECONNECT_DELAY_MS : null),
  });
  client.on('error', () => {}); // reported by the commands that fail, or by 'end'
  return client;
}

/** Why a connection failed, briefly (ECONNREFUSED, WRONGPASS ..., a timeout). */
function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return printable(e.code ?? (e.message || String(err)).split('\n')[0] ?? '');
}

/** Connect and PING once, without retrying: Redis unreachable (or refusing the password) is one line. */
export async function checkRedis(target: QueueTarget): Promise<void> {
  const client = new Redis(target.url, { lazyConnect: true, connectTimeout: 5000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  let first: unknown;
  client.on('error', (err) => (first ??= err));
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    throw new UserError(`${target.flag}: cannot reach Redis at ${target.shown} (${reason(first ?? err)}); start redis-server there or check the URL (a password goes in it: redis://:password@host:port)`);
  } finally {
    client.disconnect();
  }
}

// --- what travels: the task message, its input and result files -------------------------------

const nonNegativeInt = z.number().int().nonnegative();
export const TASK_KINDS = ['train', 'evaluate'] as const;
const taskSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('train'), seed: nonNegativeInt, patient: z.string().min(1).nullable() }).strict(),
  z.object({ kind: z.literal('evaluate'), method: z.string().min(1), seed: nonNegativeInt.nullable() }).strict(),
]);

/** A task's description on the queue: data only, validated by the worker (`parseTaskMessage`). */
export const taskMessageSchema = z
  .object({
    protocol: z.literal(QUEUE_PROTOCOL),
    dosegymVersion: z.string(),
    task: taskSchema,
    /** The resolved experiment config (the run manifest's), parsed again by the worker. */
    config: z.record(z.string(), z.unknown()),
    backend: z.enum(BACKEND_NAMES),
    inputsKey: z.string().nullable(),
    /**
     * A training task with train.init: the coordinator's checkpoint directory. Its files travel as
     * inputs under init/; the worker trains from that copy and records this path as the policy's
     * provenance, so the results are those of a local run.
     */
    initDir: z.string().nullable(),
    resultKey: z.string(),
  })
  .strict();
export type TaskMessage = z.infer<typeof taskMessageSchema>;

/**
 * Validate a job's data. An unknown protocol, DoseGym version or task kind is refused with a message
 * saying why (a worker of another version would not compute the same results).
 */
export function parseTaskMessage(data: unknown): TaskMessage {
  const d = (data ?? {}) as { protocol?: unknown; dosegymVersion?: unknown; task?: { kind?: unknown } };
  if (d.protocol !== QUEUE_PROTOCOL) throw new Error(`refused: message protocol ${JSON.stringify(d.protocol)}, this worker speaks ${QUEUE_PROTOCOL}`);
  const kind = d.task?.kind;
  if (typeof kind !== 'string' || !(TASK_KINDS as readonly string[]).includes(kind)) throw new Error(`refused: unknown task kind ${JSON.stringify(kind)}; this worker runs ${TASK_KINDS.join(', ')}`);
  if (d.dosegymVersion !== packageVersion()) throw new Error(`refused: the coordinator runs DoseGym ${String(d.dosegymVersion)}, this worker ${packageVersion()}; results would not be reproducible`);
  const result = taskMessageSchema.safeParse(data);
  if (!result.success) throw new Error(`refused: malformed task message (${result.error.issues[0]?.path.join('.')}: ${result.error.issues[0]?.message})`);
  return result.data;
}

/**
 * The folders of a run a task reads from or writes to (src/run/layout.ts). A training checkpoint
 * (train.checkpointEvery) comes back with its task's result; a task retried on another worker
 * starts from its beginning (a lost worker's checkpoints are lost with it), with identical results.
 */
const TASK_FOLDERS = ['policies', 'training', 'evaluation', 'checkpoints', 'init'];

/** A relative path inside those folders, with no '..', '.', empty or absolute parts. */
export function checkTaskPath(path: string): string {
  const parts = path.split('/');
  const ok = parts.length >= 2 && TASK_FOLDERS.includes(parts[0] as string) && parts.every((p) => p !== '' && p !== '.' && p !== '..' && /^[A-Za-z0-9#._+-]+$/.test(p));
  if (!ok) throw new Error(`refused: file path ${JSON.stringify(printable(path))} is outside the run layout`);
  return path;
}

/** Every file under `root`/`sub` as a path relative to `root`, with '/' separators, in sorted order. */
export function listFiles(root: string, sub = ''): string[] {
  const dir = join(root, sub);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((e) => (e.isDirectory() ? listFiles(root, join(sub, e.name)) : e.isFile() && !/^\..+\.tmp$/.test(e.name) ? [join(sub, e.name).split(sep).join('/')] : []));
}

/** Where a worker puts the starting checkpoint of a training task (train.init is then this folder of its run dir). */
export const INIT_FOLDER = 'init';

/** The starting checkpoint's place in a worker's run dir: init/<seed>[/<patient>], which train.init = init/ resolves to (src/run/init.ts). */
export function initInputDir(task: { seed: number; patient: string | null }): string {
  return [INIT_FOLDER, String(task.seed), ...(task.patient !== null ? [task.patient] : [])].join('/');
}

/**
 * The files a task reads, each as its path in the worker's run dir and the file it is read from:
 * an evaluation of a trained method, its seed's policies; a training with train.init, its starting
 * checkpoint (`initDir`, outside the run directory).
 */
function taskInputs(runDir: string, task: Task, trained: boolean, initDir: string | undefined): { path: string; source: string }[] {
  if (task.kind === 'train') {
    if (initDir === undefined) return [];
    return listFiles(initDir).map((file) => ({ path: `${initInputDir(task)}/${file}`, source: join(initDir, file) }));
  }
  if (!trained || task.seed === null) return [];
  const policies = relative(runDir, runFiles(runDir).policyDir(task.seed)).split(sep).join('/');
  return listFiles(runDir, policies).map((path) => ({ path, source: join(runDir, path) }));
}

// --- the coordinator --------------------------------------------------------------------------

/** A run's key in job ids: its directory and start time (the same on --resume, new for a new run). */
function runKey(runDir: string): string {
  const manifest = readManifest(runFiles(runDir).manifest);
  return createHash('sha256').update(`${realpathSync(runDir)}\n${manifest.startedAt}`).digest('hex').slice(0, 16);
}

export function jobId(key: string, task: Task): string {
  return `${key}-${fileSafe(relative('/', taskOutput('/', task)).split(sep).join('/'))}`;
}

/** Failures a user can fix travel with this prefix (a config error found on the worker). */
export const USER_ERROR_PREFIX = '[user] ';

/**
 * Run `tasks` on the queue's workers and write their results into ctx.runDir. Rejects with the
 * first failure, or when Redis is lost (the run then stays incomplete; --resume continues it).
 */
export async function runQueuedTasks(
  tasks: readonly Task[],
  target: QueueTarget,
  ctx: TaskContext,
  progress: Progress,
  unit: (t: Task) => string,
  trained: (t: Task) => boolean,
  init?: (t: Extract<Task, { kind: 'train' }>) => string | undefined,
): Promise<void> {
  if (tasks.length === 0) return;
  const connection = redisClient(target);
  const eventsConnection = redisClient(target);
  const lost = new Promise<never>((_, reject) => {
    const fail = () => reject(new UserError(`${target.flag}: lost the connection to Redis at ${target.shown}; ${ctx.runDir} is marked incomplete; when Redis is back, continue with --resume --out ${ctx.runDir}`));
    connection.on('end', fail);
    eventsConnection.on('end', fail);
  });
  lost.catch(() => {});
  const queue = new Queue(target.name, { connection });
  const events = new QueueEvents(target.name, { connection: eventsConnection });
  const bars = new Map<string, ReturnType<Progress['task']>>();
  try {
    await Promise.race([Promise.all([queue.waitUntilReady(), events.waitUntilReady()]), lost]);
    const key = runKey(ctx.runDir);
    const byId = new Map(tasks.map((t) => [jobId(key, t), t]));
    events.on('progress', ({ jobId: id, data }) => {
      const task = byId.get(id);
      const p = data as { done?: number; total?: number; recentReturn?: number };
      if (task === undefined || typeof p.done !== 'number' || typeof p.total !== 'number') return;
      let bar = bars.get(id);
      if (bar === undefined) bars.set(id, (bar = progress.task(taskLabel(task), p.total, unit(task))));
      bar.update({ done: p.done, ...(typeof p.recentReturn === 'number' && Number.isFinite(p.recentReturn) ? { recentReturn: p.recentReturn } : {}) });
    });
    const jobs: { task: Task; job: Job }[] = [];
    for (const [id, task] of byId) {
      let job = await Promise.race([Job.fromId(queue, id), lost]);
      // A task that failed before (e.g. a worker of another version refused it), or finished so long
      // ago that its result expired, is run again.
      const state = job === undefined ? undefined : await job.getState();
      if (job !== undefined && (state === 'failed' || (state === 'completed' && (await connection.exists((job.data as TaskMessage).resultKey)) === 0))) {
        await job.remove();
        job = undefined;
      }
      if (job === undefined) {
        const initDir = task.kind === 'train' ? init?.(task) : undefined;
        const inputs = taskInputs(ctx.runDir, task, trained(task), initDir);
        const inputsKey = inputs.length === 0 ? null : `dosegym:in:${target.name}:${id}`;
        if (inputsKey !== null) {
          const multi = connection.multi().del(inputsKey);
          for (const { path, source } of inputs) multi.hset(inputsKey, checkTaskPath(path), readFileSync(source));
          await Promise.race([multi.expire(inputsKey, KEY_TTL_SECONDS).exec(), lost]);
        }
        const message: TaskMessage = {
          protocol: QUEUE_PROTOCOL,
          dosegymVersion: packageVersion(),
          task,
          config: ctx.config as unknown as Record<string, unknown>,
          backend: ctx.backend,
          inputsKey,
          initDir: initDir ?? null,
          resultKey: `dosegym:out:${target.name}:${id}`,
        };
        job = await Promise.race([queue.add(taskLabel(task), message, { jobId: id, attempts: 1, removeOnComplete: false, removeOnFail: false }), lost]);
      }
      jobs.push({ task, job });
    }
    // Collect the results as they come; the first failure stops the run (the other jobs stay on the queue for --resume).
    await Promise.all(
      jobs.map(async ({ task, job }) => {
        try {
          await Promise.race([job.waitUntilFinished(events), lost]);
        } catch (err) {
          if (err instanceof UserError) throw err;
          const message = (err as Error).message ?? String(err);
          throw message.startsWith(USER_ERROR_PREFIX) ? new UserError(`${taskLabel(task)}: ${message.slice(USER_ERROR_PREFIX.length)}`) : new Error(`${taskLabel(task)} failed on a queue worker: ${message}`);
        }
        const data = job.data as TaskMessage;
        const files = await Promise.race([connection.hgetallBuffer(data.resultKey), lost]);
        writeResults(ctx.runDir, task, files);
        bars.get(job.id as string)?.finish();
        await Promise.race([connection.del(data.resultKey, ...(data.inputsKey !== null ? [data.inputsKey] : [])), lost]);
        await job.remove().catch(() => {});
      }),
    );
  } finally {
    // With Redis gone, BullMQ's close() can wait for replies that never come, and with nothing else
    // pending Node would exit mid-await (code 13) instead of reporting the lost connection: bound it.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([events.close(), queue.close()]), new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS)))]);
    clearTimeout(timer);
    connection.disconnect();
    eventsConnection.disconnect();
  }
}

/** Write a task's result files into the run directory, its own result file (the done marker) last. */
function writeResults(runDir: string, task: Task, files: Record<string, Buffer>): void {
  const marker = relative(runDir, taskOutput(runDir, task)).split(sep).join('/');
  const paths = Object.keys(files).map(checkTaskPath);
  if (!paths.includes(marker)) throw new Error(`${taskLabel(task)}: the worker's result has no ${marker}`);
  for (const path of [...paths.filter((p) => p !== marker).sort(), marker]) {
    const target = join(runDir, path);
    if (existsSync(target) && statSync(target).isDirectory()) throw new Error(`${taskLabel(task)}: ${path} is a directory in ${runDir}`);
    writeFileAtomic(target, files[path] as Buffer);
  }
}
