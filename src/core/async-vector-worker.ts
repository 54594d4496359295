/**
 * The stepping loop of one AsyncVectorEnv worker thread: it owns envs [first, first + count) of the
 * vector env, waits on the shared control block for a command, runs it on its envs and writes the
 * results into shared memory (see async-vector-protocol.ts). Same-step autoreset exactly as
 * SyncVectorEnv does it, so both give the same numbers.
 */
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { Action, Env, Observation } from './env.ts';
import { writeObservationRow } from './vector.ts';
import { make } from './registry.ts';
import {
  ActionKind, Command, CONTROL, CONTROL_STRIDE, InfoEncoder, SharedViews, Status, serializeError, spinWhileEqual,
  type ResetMessage, type SharedBuffers, type WorkerMessage,
} from './async-vector-protocol.ts';

export interface WorkerInit {
  worker: number;
  first: number;
  options: Record<string, unknown>[];
  id: string;
  modules: string[];
  numEnvs: number;
  obsSize: number;
  actionSize: number;
  buffers: SharedBuffers;
  /** This worker's end of its message channel (templates, errors and reset arguments). */
  port: MessagePort;
}

const init = workerData as WorkerInit;
/** The answer to start-up; the main thread numbers its commands from 2. */
const READY_SEQ = 1;
const port = init.port;
const views = new SharedViews(init.buffers);
const control = views.control;
const base = init.worker * CONTROL_STRIDE;
const post = (message: WorkerMessage): void => port.postMessage(message);
const encoder = new InfoEncoder(views, init.numEnvs, post);
/** A word nobody writes, to sleep on. */
const NAP = new Int32Array(new SharedArrayBuffer(4));

function answer(status: number, seq: number): void {
  Atomics.store(control, base + CONTROL.status, status);
  Atomics.store(control, base + CONTROL.doneSeq, seq);
  Atomics.notify(control, base + CONTROL.doneSeq);
}

/** Row `envIndex` of a shared float64 buffer (exact for float32 observations). */
function writeObservation(target: Float64Array, envIndex: number, obs: Observation): void {
  writeObservationRow(target, envIndex, obs, init.obsSize, 'AsyncVectorEnv');
}

function readAction(envIndex: number): Action {
  const kind = views.actionKinds[envIndex];
  const size = init.actionSize;
  const offset = envIndex * size;
  if (kind === ActionKind.Number) return views.actions[offset] as number;
  const out = kind === ActionKind.Float32 ? new Float32Array(size) : new Float64Array(size);
  for (let j = 0; j < size; j++) out[j] = views.actions[offset + j] as number;
  return out;
}

function step(envs: Env<Observation, Action>[]): void {
  envs.forEach((env, j) => {
    const i = init.first + j;
    const r = env.step(readAction(i));
    views.rewards[i] = r.reward;
    views.flags[2 * i] = r.terminated ? 1 : 0;
    views.flags[2 * i + 1] = r.truncated ? 1 : 0;
    if (r.terminated || r.truncated) {
      writeObservation(views.finalObservations, i, r.observation);
      encoder.encode(r.info, i, 1);
      const next = env.reset();
      writeObservation(views.observations, i, next.observation);
      encoder.encode(next.info, i, 0);
    } else {
      writeObservation(views.observations, i, r.observation);
      encoder.encode(r.info, i, 0);
    }
  });
}

function reset(envs: Env<Observation, Action>[]): void {
  // The main thread posts the arguments before it publishes the command; allow them a moment to land.
  let received = receiveMessageOnPort(port);
  for (let tries = 0; received === undefined && tries < 1000; tries++) {
    Atomics.wait(NAP, 0, 0, 1); // sleep 1 ms
    received = receiveMessageOnPort(port);
  }
  const message = received?.message as ResetMessage | undefined;
  if (message?.type !== 'reset') throw new Error('AsyncVectorEnv: reset command without its arguments (internal error)');
  envs.forEach((env, j) => {
    const seed = message.seeds[j];
    const r = env.reset(seed === null || seed === undefined ? { options: message.options } : { seed, options: message.options });
    writeObservation(views.observations, init.first + j, r.observation);
    encoder.encode(r.info, init.first + j, 0);
  });
}

async function main(): Promise<void> {
  let envs: Env<Observation, Action>[];
  try {
    for (const m of init.modules) await import(m);
    envs = init.options.map((o) => make(init.id, o));
    const first = envs[0] as Env<Observation, Action>;
    post({ type: 'ready', observationSpace: first.observationSpace.toJSON(), actionSpace: first.actionSpace.toJSON() });
    answer(Status.Ok, READY_SEQ);
  } catch (error) {
    post({ type: 'error', error: serializeError(error) });
    answer(Status.Failed, READY_SEQ);
    return;
  }
  let seen = READY_SEQ;
  for (;;) {
    // Poll a little first: the next command usually follows within microseconds, and waking from
    // Atomics.wait costs tens of them.
    let seq = spinWhileEqual(control, base + CONTROL.commandSeq, seen);
    while (seq === seen) {
      Atomics.wait(control, base + CONTROL.commandSeq, seen);
      seq = Atomics.load(control, base + CONTROL.commandSeq);
    }
    seen = seq;
    const command = Atomics.load(control, base + CONTROL.commandType);
    if (command === Command.Close) {
      for (const env of envs) env.close();
      answer(Status.Ok, seq);
      port.close(); // nothing left to keep this thread alive: it ends on its own
      return;
    }
    try {
      if (command === Command.Step) step(envs);
      else if (command === Command.Reset) reset(envs);
      answer(Status.Ok, seq);
    } catch (error) {
      post({ type: 'error', error: serializeError(error) });
      answer(Status.Failed, seq);
    }
  }
}

await main();
