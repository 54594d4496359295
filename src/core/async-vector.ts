/**
 * AsyncVectorEnv: n environments of one registered id stepped in parallel by worker threads, with
 * the API and the numbers of SyncVectorEnv (vector.ts): same seeding (env i gets seed + i), same
 * same-step autoreset, same batched arrays, same infos. Only the wall-clock time differs.
 *
 * The calling thread steps the first block of envs itself while `threads - 1` workers step the
 * others, so with 2 threads on 2 cores a step of 30 patients takes about the time of 15. Workers
 * exchange actions, observations, rewards and flags through shared memory and are woken through
 * Atomics (a round trip costs well under a microsecond when the worker is polling), and infos
 * through a codec that sends only their number fields per step (async-vector-protocol.ts).
 *
 * Closures cannot cross threads, so envs are described by registry id and options; `modules` are
 * imported in each worker to register the ids (default: the module that registered the id). A
 * worker takes ~0.3-0.5 s to start (it loads the TypeScript sources), so this pays off for long
 * runs of expensive envs (T1D-v0), not for CartPole. Workers are unref'ed: a forgotten close()
 * does not keep the process alive, but close() frees the threads at once.
 *
 * One limit of the info codec: a non-number info value is re-sent only when it is a different
 * value (===), so an env that mutates one object in place and returns it in every info would show
 * its first content. DoseGym's envs build new objects (or keep constant ones) and are tested.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { assertAction, assertSeed, type Action, type Env, type EnvMetadata, type Info, type Observation } from './env.ts';
import { EnvContractError, UserError } from './errors.ts';
import { isCompiled } from './package.ts';
import { envSpec, make, type EnvOptions } from './registry.ts';
import { sharedSlab } from './slab.ts';
import { Box, spaceFromJSON, spacesEqual, type BoxValue, type Space, type SpaceJSON } from './spaces.ts';
import { allocateBatch, stepWithAutoreset, writeObservationRow, type VectorEnv, type VectorResetResult, type VectorStepResult } from './vector.ts';
import {
  ActionKind, Command, CONTROL, CONTROL_STRIDE, InfoDecoder, SharedViews, Status, spinWhileEqual,
  type ResetMessage, type SerializedError, type WorkerMessage,
} from './async-vector-protocol.ts';
import type { WorkerInit } from './async-vector-worker.ts';

export interface AsyncVectorEnvOptions {
  /** Registered environment id, e.g. 'T1D-v0'. */
  id: string;
  /** Options for every env, or one object per env (e.g. one patient each); then numEnvs is their count. */
  options?: EnvOptions | EnvOptions[];
  /** Number of envs when `options` is one object (default 1). */
  numEnvs?: number;
  /** Threads that step envs, the calling one included (default: the machine's cores, at most numEnvs). */
  threads?: number;
  /** Module URLs each worker imports to register `id` (default: the module that registered `id`, see registry.ts). */
  modules?: string[];
}

/**
 * The worker thread's module. Compiled (dist/): the worker itself. From the sources: a plain
 * JavaScript shim that registers tsx first, because a fresh thread cannot import .ts by itself.
 */
const WORKER_ENTRY = new URL(isCompiled(import.meta.url) ? './async-vector-worker.js' : './async-vector-worker.mjs', import.meta.url);
/** Worker start-up limit, and per-command limit (a step takes micro- to milliseconds). */
const START_TIMEOUT_MS = 120_000;
const COMMAND_TIMEOUT_MS = 120_000;
const READY_SEQ = 1;

interface WorkerHandle {
  worker: Worker;
  port: MessagePort;
  /** First env index and count. */
  first: number;
  count: number;
  control: number;
  /** Set (asynchronously) when the thread dies: an uncaught error or an exit. */
  death?: string;
}

export class AsyncVectorEnv implements VectorEnv {
  readonly numEnvs: number;
  readonly threads: number;
  readonly singleObservationSpace: Box;
  readonly singleActionSpace: Space;
  readonly metadata: EnvMetadata;
  /** Envs stepped by the calling thread: indices [0, local.length). */
  private readonly local: Env<Observation, Action>[];
  private readonly workers: WorkerHandle[] = [];
  private readonly views: SharedViews;
  private readonly decoder: InfoDecoder;
  private readonly obsSize: number;
  private readonly actionSize: number;
  /** Commands are numbered from 2: 1 is the workers' start-up answer. */
  private seq = READY_SEQ;
  private everReset = false;
  private needsReset = true;
  private closed = false;

  private constructor(spec: AsyncVectorEnvOptions) {
    const perEnv = resolveOptions(spec);
    this.numEnvs = perEnv.length;
    const threads = spec.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) throw new UserError(`AsyncVectorEnv: threads must be a positive integer, got ${String(spec.threads)}`);
    this.threads = Math.min(threads, this.numEnvs);
    const blocks = splitEvenly(this.numEnvs, this.threads);

    this.local = perEnv.slice(0, blocks[0]).map((o) => make(spec.id, o)); // bad ids/options fail here, in this thread
    const first = this.local[0] as Env<Observation, Action>;
    if (!(first.observationSpace instanceof Box)) {
      throw new EnvContractError(`AsyncVectorEnv: ${first.metadata.id} has observation space ${first.observationSpace.toString()}; batching needs a Box`);
    }
    this.singleObservationSpace = first.observationSpace;
    this.singleActionSpace = first.actionSpace;
    this.metadata = first.metadata;
    this.local.forEach((env, i) => this.checkSpaces(i, env.observationSpace, env.actionSpace));
    this.obsSize = this.singleObservationSpace.size;
    this.actionSize = this.singleActionSpace instanceof Box ? this.singleActionSpace.size : 1;
    this.views = SharedViews.allocate(this.numEnvs, this.threads - 1, this.obsSize, this.actionSize);
    this.decoder = new InfoDecoder(this.views, this.numEnvs);

    let start = blocks[0] as number;
    for (let w = 0; w + 1 < this.threads; w++) {
      const count = blocks[w + 1] as number;
      this.workers.push(this.spawn(w, start, perEnv.slice(start, start + count), spec));
      start += count;
    }
  }

  /**
   * Start `threads - 1` workers for the envs described by `spec` and resolve once every env is
   * built. Awaited rather than blocked on, so this thread's event loop (timers, output) keeps
   * running while the workers load the sources (~0.3 s).
   */
  static async create(spec: AsyncVectorEnvOptions): Promise<AsyncVectorEnv> {
    const env = new AsyncVectorEnv(spec);
    try {
      await env.started();
    } catch (error) {
      env.closed = true;
      env.terminateWorkers();
      for (const e of env.local) e.close();
      throw error;
    }
    return env;
  }

  private async started(): Promise<void> {
    const control = this.views.control;
    for (const h of this.workers) {
      const index = h.control + CONTROL.doneSeq;
      const deadline = Date.now() + START_TIMEOUT_MS;
      while (Atomics.load(control, index) !== READY_SEQ) {
        if (h.death !== undefined) throw new Error(`AsyncVectorEnv: worker for envs ${h.first}..${h.first + h.count - 1} died while starting: ${h.death}`);
        if (Date.now() > deadline) throw new Error(`AsyncVectorEnv: worker for envs ${h.first}..${h.first + h.count - 1} did not start within ${START_TIMEOUT_MS / 1000} s`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      this.collect(h, (m) => {
        if (m.type === 'ready') this.checkSpaces(h.first, spaceFromJSON(m.observationSpace as SpaceJSON), spaceFromJSON(m.actionSpace as SpaceJSON));
      });
    }
  }

  reset(args: { seed?: number; options?: Record<string, unknown> } = {}): VectorResetResult {
    this.assertOpen();
    let seed = args.seed;
    if (seed === undefined && !this.everReset) seed = 0; // as SyncVectorEnv: copies must differ
    if (seed !== undefined) assertSeed(seed, 'AsyncVectorEnv.reset: seed');
    const seedOf = (i: number): number | null => (seed === undefined ? null : seed + i);
    for (const h of this.workers) {
      const message: ResetMessage = { type: 'reset', seeds: Array.from({ length: h.count }, (_, j) => seedOf(h.first + j)), options: args.options };
      h.port.postMessage(message);
    }
    const seq = this.command(Command.Reset);
    const observations = this.allocateObservations();
    const infos: Info[] = new Array<Info>(this.numEnvs);
    let failure: unknown;
    try {
      this.local.forEach((env, i) => {
        const s = seedOf(i);
        const r = env.reset(s === null ? { options: args.options } : { seed: s, options: args.options });
        writeObservationRow(observations, i, r.observation, this.obsSize, 'AsyncVectorEnv');
        infos[i] = r.info;
      });
    } catch (error) {
      failure = error;
    }
    this.finish(seq, failure);
    for (const h of this.workers) {
      for (let i = h.first; i < h.first + h.count; i++) {
        this.copySharedRow(this.views.observations, i, observations);
        infos[i] = this.decoder.decode(i, 0);
      }
    }
    this.everReset = true;
    this.needsReset = false;
    return { observations, infos };
  }

  step(actions: readonly Action[]): VectorStepResult {
    this.assertOpen();
    if (this.needsReset) throw new EnvContractError('AsyncVectorEnv: step() called before reset(); call reset() first');
    if (!Array.isArray(actions) || actions.length !== this.numEnvs) {
      throw new EnvContractError(`AsyncVectorEnv.step: expected ${this.numEnvs} actions (one per env), got ${Array.isArray(actions) ? actions.length : typeof actions}`);
    }
    for (let i = this.local.length; i < this.numEnvs; i++) {
      const action = actions[i];
      assertAction(this.singleActionSpace, action, this.metadata.id);
      this.writeAction(i, action as Action);
    }
    const seq = this.command(Command.Step);
    const n = this.numEnvs;
    const observations = this.allocateObservations();
    const rewards = sharedSlab.float64(n);
    const terminated = sharedSlab.uint8(n);
    const truncated = sharedSlab.uint8(n);
    const infos: Info[] = new Array<Info>(n);
    const batch: VectorStepResult = { observations, rewards, terminated, truncated, infos };
    let failure: unknown;
    try {
      for (let i = 0; i < this.local.length; i++) {
        stepWithAutoreset(this.local[i] as Env<Observation, Action>, actions[i] as Action, i, batch, this.obsSize, 'AsyncVectorEnv');
      }
    } catch (error) {
      failure = error;
    }
    this.finish(seq, failure);
    const v = this.views;
    for (let i = this.local.length; i < n; i++) {
      this.copySharedRow(v.observations, i, observations);
      rewards[i] = v.rewards[i] as number;
      terminated[i] = v.flags[2 * i] as number;
      truncated[i] = v.flags[2 * i + 1] as number;
      if (terminated[i] === 1 || truncated[i] === 1) {
        const row = v.finalObservations.subarray(i * this.obsSize, (i + 1) * this.obsSize);
        const finalObservation = this.singleObservationSpace.dtype === 'float32' ? Float32Array.from(row) : row.slice();
        infos[i] = { ...this.decoder.decode(i, 0), finalObservation, finalInfo: this.decoder.decode(i, 1) };
      } else {
        infos[i] = this.decoder.decode(i, 0);
      }
    }
    return batch;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.workers.length > 0) {
      const seq = this.command(Command.Close);
      for (const h of this.workers) {
        try {
          this.waitFor(h, seq, 5000);
        } catch {
          // terminate below either way
        }
      }
    }
    this.terminateWorkers();
    for (const env of this.local) env.close();
  }

  // ---- internals ----

  private spawn(w: number, first: number, options: EnvOptions[], spec: AsyncVectorEnvOptions): WorkerHandle {
    const channel = new MessageChannel();
    const init: WorkerInit = {
      worker: w,
      first,
      options,
      id: spec.id,
      modules: spec.modules ?? registeringModules(spec.id),
      numEnvs: this.numEnvs,
      obsSize: this.obsSize,
      actionSize: this.actionSize,
      buffers: this.views.buffers,
      port: channel.port2,
    };
    // The worker takes the current command number as already answered (start-up is command 1).
    Atomics.store(this.views.control, w * CONTROL_STRIDE + CONTROL.commandSeq, READY_SEQ);
    // No execArgv: the entry loads tsx itself, and V8 flags (which workers refuse) are process-wide.
    const worker = new Worker(WORKER_ENTRY, { workerData: init, transferList: [channel.port2], execArgv: [] });
    worker.unref();
    channel.port1.unref();
    const handle: WorkerHandle = { worker, port: channel.port1, first, count: options.length, control: w * CONTROL_STRIDE };
    // Listening also keeps a dying worker's error from being thrown later as an uncaught 'error' event.
    worker.on('error', (error) => (handle.death ??= error instanceof Error ? error.message : String(error)));
    worker.on('exit', (code) => (handle.death ??= `exited with code ${code}`));
    return handle;
  }

  /** Publish a command to every worker; returns its sequence number. */
  private command(type: number): number {
    const seq = ++this.seq;
    const control = this.views.control;
    for (const h of this.workers) {
      Atomics.store(control, h.control + CONTROL.commandType, type);
      Atomics.store(control, h.control + CONTROL.commandSeq, seq);
      Atomics.notify(control, h.control + CONTROL.commandSeq);
    }
    return seq;
  }

  /** Wait for every worker to finish command `seq`; then throw the first failure, local or remote. */
  private finish(seq: number, localFailure: unknown): void {
    let failure = localFailure;
    for (const h of this.workers) {
      try {
        this.waitFor(h, seq, COMMAND_TIMEOUT_MS);
        this.collect(h, () => {});
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  }

  private waitFor(h: WorkerHandle, seq: number, timeoutMs: number): void {
    const control = this.views.control;
    const index = h.control + CONTROL.doneSeq;
    let done = Atomics.load(control, index);
    if (done !== seq) done = spinWhileEqual(control, index, done);
    const deadline = Date.now() + timeoutMs;
    while (done !== seq) {
      if (Date.now() > deadline) {
        throw new Error(`AsyncVectorEnv: worker for envs ${h.first}..${h.first + h.count - 1} gave no answer within ${Math.round(timeoutMs / 1000)} s${h.death === undefined ? ' (it may have crashed)' : `: ${h.death}`}`);
      }
      Atomics.wait(control, index, done, 100);
      done = Atomics.load(control, index);
    }
  }

  /** Take the worker's messages (templates, errors, ready); throw its error if the command failed. */
  private collect(h: WorkerHandle, onOther: (m: WorkerMessage) => void): void {
    let error: SerializedError | undefined;
    for (let r = receiveMessageOnPort(h.port); r !== undefined; r = receiveMessageOnPort(h.port)) {
      const m = r.message as WorkerMessage;
      if (m.type === 'error') error = m.error;
      else if (m.type === 'template' || m.type === 'whole-info') this.decoder.receive(m);
      else onOther(m);
    }
    if (Atomics.load(this.views.control, h.control + CONTROL.status) === Status.Failed) {
      throw rebuildError(error ?? { name: 'Error', message: 'AsyncVectorEnv: a worker failed without a message' });
    }
  }

  private checkSpaces(i: number, obs: Space, act: Space): void {
    if (!spacesEqual(obs, this.singleObservationSpace) || !spacesEqual(act, this.singleActionSpace)) {
      throw new EnvContractError(`AsyncVectorEnv: env ${i} has different spaces than env 0 (${this.metadata.id})`);
    }
  }

  private writeAction(i: number, action: Action): void {
    const v = this.views;
    const offset = i * this.actionSize;
    if (typeof action === 'number') {
      v.actionKinds[i] = ActionKind.Number;
      v.actions[offset] = action;
    } else {
      v.actionKinds[i] = action instanceof Float32Array ? ActionKind.Float32 : ActionKind.Float64;
      for (let j = 0; j < this.actionSize; j++) v.actions[offset + j] = action[j] as number;
    }
  }

  private allocateObservations(): BoxValue {
    return allocateBatch(this.singleObservationSpace, this.numEnvs);
  }

  private copySharedRow(source: Float64Array, i: number, batch: BoxValue): void {
    const offset = i * this.obsSize;
    batch.set(source.subarray(offset, offset + this.obsSize), offset);
  }

  private assertOpen(): void {
    if (this.closed) throw new EnvContractError('AsyncVectorEnv: used after close()');
  }

  private terminateWorkers(): void {
    for (const h of this.workers) {
      h.port.close();
      void h.worker.terminate();
    }
  }
}

function resolveOptions(spec: AsyncVectorEnvOptions): EnvOptions[] {
  if (typeof spec.id !== 'string' || spec.id === '') throw new UserError('AsyncVectorEnv: id must be a registered environment id');
  if (Array.isArray(spec.options)) {
    if (spec.options.length === 0) throw new UserError('AsyncVectorEnv: options must list at least one env');
    if (spec.numEnvs !== undefined && spec.numEnvs !== spec.options.length) {
      throw new UserError(`AsyncVectorEnv: numEnvs (${spec.numEnvs}) differs from the ${spec.options.length} option sets given`);
    }
    return spec.options.map((o) => ({ ...o }));
  }
  const n = spec.numEnvs ?? 1;
  if (!Number.isInteger(n) || n < 1) throw new UserError(`AsyncVectorEnv: numEnvs must be a positive integer, got ${String(spec.numEnvs)}`);
  return Array.from({ length: n }, () => ({ ...(spec.options ?? {}) }));
}

/** Block sizes for `n` envs over `parts` threads, as even as possible, the larger ones first. */
export function splitEvenly(n: number, parts: number): number[] {
  const base = Math.floor(n / parts);
  return Array.from({ length: parts }, (_, p) => base + (p < n % parts ? 1 : 0));
}

/** The same error class and text as the worker's (so the CLI prints user errors as one line). */
function rebuildError(e: SerializedError): Error {
  let error: Error;
  if (e.name === 'EnvContractError') error = new EnvContractError(e.message);
  else if (e.name === 'UserError') error = new UserError(e.message, e.exitCode);
  else if (e.name === 'RangeError') error = new RangeError(e.message);
  else if (e.name === 'TypeError') error = new TypeError(e.message);
  else {
    error = new Error(e.message);
    error.name = e.name;
  }
  if (e.stack !== undefined) error.stack = `${error.name}: ${error.message}\n    (in an AsyncVectorEnv worker)\n${e.stack.split('\n').slice(1).join('\n')}`;
  return error;
}

/** The module that registered `id`, for a worker to import (custom ids registered without one need `modules`). */
function registeringModules(id: string): string[] {
  const module = envSpec(id).module;
  if (module === null) throw new UserError(`AsyncVectorEnv: '${id}' was registered without its module URL; pass register(..., import.meta.url) or give modules`);
  return [module];
}
