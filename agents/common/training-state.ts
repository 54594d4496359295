/**
 * Training checkpoints (`train.checkpointEvery`, continued by `dosegym run --resume`): everything a
 * training run needs to go on exactly as if it had never stopped.
 *
 * An agent hands `TrainOptions.checkpoint.save` a `TrainingState` at the end of an update (PPO,
 * PPO-Lagrangian: a rollout and its optimisation; DQN, SAC: a vector step) once its environment
 * steps reach the next multiple of `every`, and starts from `TrainingState` `from` when given one:
 * - weights of every network (target networks, critics) and their Adam moments and step counts;
 * - observation-normalisation statistics, the divergence guard's counters, the episode statistics
 *   and the running sums of training.csv's dose and action columns;
 * - every random stream's position (`Rng.getState`), step, update and gradient-step counters;
 * - DQN and SAC: the replay buffer (its filled part).
 *
 * The environments. An env's state (ODE state, integrator step size, sensor noise, scenario,
 * insulin history, wrappers' counters; in worker threads too) is fully determined by its seed and
 * the actions it was given: BaseEnv draws every episode's seed from the seed of its first reset
 * (src/core/env.ts) and the vector env resets ended episodes itself (src/core/vector.ts). So the
 * checkpoint records the seed and every action the envs received since (`ActionLog`, 8 bytes per
 * action value), and resuming replays them through a fresh vector env of the same wrapper stack
 * (`replayEnvs`). That needs no per-env code and no snapshot in the env contract, and it is exact
 * for every env that keeps the determinism contract (test/agents-checkpoint.test.ts and
 * test/run-checkpoint.test.ts compare resumed runs with uninterrupted ones bit for bit). It costs an
 * env-only pass over the steps trained so far (bench/resume.ts: T1D-v0 replays 50,000-100,000 steps
 * per second, CartPole over 200,000; training them took far longer) and 8 bytes per action value
 * (only when checkpointing).
 *
 * On disk (`writeTrainingState`): a directory, written atomically (src/io/atomic.ts), holding
 * `state.json` (format, version, algorithm, seed, steps, the JSON values with NaN and infinities
 * kept, and the table of arrays)
 * and `state.bin` (the arrays, little-endian, concatenated), plus `policy/`, the policy as a
 * dosegym-policy checkpoint (agents/common/checkpoint.ts), so an intermediate policy can be
 * evaluated or simulated. A state holding a non-finite weight is never written.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Action } from '../../src/core/env.ts';
import { UserError } from '../../src/core/errors.ts';
import { Box, Discrete } from '../../src/core/spaces.ts';
import type { VectorEnv } from '../../src/core/vector.ts';
import type { Rng, RngState } from '../../src/core/rng.ts';
import type { RunningMeanStd, RunningMeanStdState } from '../../src/core/wrappers.ts';
import { writeDirAtomic } from '../../src/io/atomic.ts';
import type { Adam } from './adam.ts';
import type { DivergenceGuard } from './divergence.ts';
import type { Learner } from './learner.ts';
import type { TrainedPolicy } from './policy.ts';

export const TRAINING_STATE_FORMAT = 'dosegym-training-state';
/** Version 1: the first. Bump it when a field changes meaning, and load older versions when possible. */
export const TRAINING_STATE_VERSION = 1;

export type StateArray = Float32Array | Float64Array | Uint8Array;

/** A training run's state at the end of an update (see the header). */
export interface TrainingState {
  algorithm: string;
  seed: number;
  /** Environment steps trained so far (all envs). */
  steps: number;
  /** Counters, scalars and RNG states (JSON; numbers are exact doubles in JSON). */
  values: Record<string, unknown>;
  /** Weights, optimiser moments, the replay buffer, the env action log. */
  arrays: Record<string, StateArray>;
}

/** `TrainOptions.checkpoint`: when to hand the state out, and the state to start from. */
export interface CheckpointOptions {
  /** Save after the update in which the environment steps reach each multiple of this. */
  every: number;
  /** `policy`: the live policy (its weights are the state's `params`), e.g. to save it beside. */
  save: (state: TrainingState, policy: TrainedPolicy) => void | Promise<void>;
  /** Continue from this state (same algorithm, hyperparameters, seed and env). */
  from?: TrainingState | undefined;
}

/** Decides when an agent saves: after the update that reaches each multiple of `every` steps. */
export class CheckpointSchedule {
  private next: number;
  constructor(
    private readonly options: CheckpointOptions | undefined,
    steps: number,
    private readonly policy: TrainedPolicy,
  ) {
    const every = options?.every ?? Infinity;
    this.next = (Math.floor(steps / every) + 1) * every;
  }

  /** Whether to save now, with `steps` trained (and the run not finished: its policy is saved anyway). */
  due(steps: number, totalSteps: number): boolean {
    if (this.options === undefined || steps < this.next || steps >= totalSteps) return false;
    this.next = (Math.floor(steps / this.options.every) + 1) * this.options.every;
    return true;
  }

  async save(state: TrainingState): Promise<void> {
    await this.options?.save(state, this.policy);
  }
}

/** The state's array `name` (a checkpoint missing it is not this agent's). */
export function stateArray<T extends StateArray>(state: TrainingState, name: string, type: new (n: number) => T): T {
  const a = state.arrays[name];
  if (!(a instanceof type)) throw new UserError(`training checkpoint: no ${type.name} '${name}' in the ${state.algorithm} state; it was not written by this algorithm's training`);
  return a;
}

/** The state's value `name`. */
export function stateValue<T>(state: TrainingState, name: string): T {
  if (!(name in state.values)) throw new UserError(`training checkpoint: no value '${name}' in the ${state.algorithm} state; it was not written by this algorithm's training`);
  return state.values[name] as T;
}

/**
 * The named parts of a training run that its checkpoint holds: an agent lists them once (weights,
 * optimisers, random streams, counters), then `capture` reads them all into a TrainingState and
 * `restore` writes one back, so saving and loading cannot drift apart.
 */
export class StateParts {
  private readonly parts: { save(s: TrainingState): void; load(s: TrainingState): void }[] = [];

  /** An array restored in place (weights, a target network): the same length, copied. */
  array(name: string, a: Float32Array | Float64Array): this {
    const type = a instanceof Float32Array ? Float32Array : Float64Array;
    this.parts.push({
      save: (s) => (s.arrays[name] = a.slice()),
      load: (s) => {
        const saved = stateArray(s, name, type as new (n: number) => StateArray);
        if (saved.length !== a.length) throw new UserError(`training checkpoint: '${name}' holds ${saved.length} values, the network being trained ${a.length}; it was written for other hyperparameters`);
        a.set(saved);
      },
    });
    return this;
  }

  adam(name: string, adam: Adam): this {
    this.array(`${name}.m`, adam.m).array(`${name}.v`, adam.v);
    return this.value(`${name}.step`, () => adam.step, (v) => (adam.step = v as number));
  }

  rng(name: string, rng: Rng): this {
    return this.value(`rng.${name}`, () => rng.getState(), (v) => rng.setState(v as RngState));
  }

  /** The policy's weights, their optimiser and the observation statistics (common/learner.ts). */
  learner(l: Pick<Learner, 'params' | 'adam' | 'rms'>): this {
    return this.array('params', l.params.data).adam('adam', l.adam).normalizer(l.rms);
  }

  guard(guard: DivergenceGuard): this {
    return this.value('guard', () => guard.getState(), (v) => guard.setState(v as ReturnType<DivergenceGuard['getState']>));
  }

  normalizer(rms: RunningMeanStd | null): this {
    if (rms === null) return this;
    return this.value('normalization', () => rms.getState(), (v) => rms.setState(v as RunningMeanStdState));
  }

  /** A JSON value: `get` at capture, `set` at restore. */
  value(name: string, get: () => unknown, set: (v: unknown) => void): this {
    this.parts.push({ save: (s) => (s.values[name] = get()), load: (s) => set(stateValue(s, name)) });
    return this;
  }

  /** Arrays of varying length (the replay buffer's filled part): `get` at capture, `set` at restore. */
  arrays(name: string, get: () => Record<string, StateArray>, set: (a: Record<string, StateArray>) => void): this {
    this.parts.push({
      save: (s) => {
        for (const [k, a] of Object.entries(get())) s.arrays[`${name}.${k}`] = a;
      },
      load: (s) => {
        const prefix = `${name}.`;
        set(Object.fromEntries(Object.entries(s.arrays).filter(([k]) => k.startsWith(prefix)).map(([k, a]) => [k.slice(prefix.length), a])));
      },
    });
    return this;
  }

  capture(algorithm: string, seed: number, steps: number): TrainingState {
    const state: TrainingState = { algorithm, seed, steps, values: {}, arrays: {} };
    for (const p of this.parts) p.save(state);
    return state;
  }

  restore(state: TrainingState, algorithm: string): void {
    if (state.algorithm !== algorithm) throw new UserError(`training checkpoint: it holds ${state.algorithm} training, not ${algorithm}`);
    for (const p of this.parts) p.load(state);
  }
}

// ---- the environments: seed + actions ----

/** Every action the vector env received since its seeded reset, flattened (see the header). */
export class ActionLog {
  private data: Float64Array;
  private length = 0;
  /** Vector steps logged. */
  calls = 0;
  readonly width: number;

  /** `enabled`: false records nothing (a run without checkpoints); `from`: a checkpoint's log. */
  constructor(
    private readonly space: Box | Discrete,
    readonly numEnvs: number,
    private readonly enabled = true,
    from?: Float64Array,
  ) {
    this.width = numEnvs * (space instanceof Box ? space.size : 1);
    this.data = new Float64Array(enabled ? Math.max(1024, from?.length ?? 0) : 0);
    if (from !== undefined) {
      this.data.set(from);
      this.length = from.length;
      this.calls = from.length / this.width;
    }
  }

  record(actions: readonly Action[]): void {
    if (!this.enabled) return;
    if (this.length + this.width > this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    for (const a of actions) {
      if (typeof a === 'number') this.data[this.length++] = a;
      else for (let j = 0; j < a.length; j++) this.data[this.length++] = a[j] as number;
    }
    this.calls++;
  }

  /** The logged actions (a copy). */
  snapshot(): Float64Array {
    return this.data.slice(0, this.length);
  }

  /** The actions of vector step `k`, as the envs received them. */
  actionsAt(k: number): Action[] {
    const out: Action[] = [];
    const space = this.space;
    const size = space instanceof Box ? space.size : 1;
    for (let e = 0; e < this.numEnvs; e++) {
      const at = k * this.width + e * size;
      if (space instanceof Discrete) {
        out.push(this.data[at] as number);
      } else {
        const a = space.zeros();
        for (let j = 0; j < size; j++) a[j] = this.data[at + j] as number;
        out.push(a);
      }
    }
    return out;
  }
}

/**
 * Bring fresh envs to where a checkpoint left them: the seeded reset, then every logged action.
 * Returns the observations the envs returned last (the state the agent acts on next).
 */
export function replayEnvs(envs: VectorEnv, seed: number, log: ActionLog): ArrayLike<number> {
  let observations = envs.reset({ seed }).observations;
  for (let k = 0; k < log.calls; k++) observations = envs.step(log.actionsAt(k)).observations;
  return observations;
}

// ---- on disk ----

interface StateFile {
  format: typeof TRAINING_STATE_FORMAT;
  formatVersion: number;
  algorithm: string;
  seed: number;
  steps: number;
  values: Record<string, unknown>;
  arrays: { name: string; dtype: 'float32' | 'float64' | 'uint8'; byteOffset: number; length: number }[];
  /** Whatever the caller records beside (the run: training.csv's rows so far). */
  extra: Record<string, unknown>;
}

/** JSON that keeps NaN and infinities (training statistics are NaN before their first value). */
const NON_FINITE = '$nonFinite';
const encodeNonFinite = (_key: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? { [NON_FINITE]: String(v) } : v);
const decodeNonFinite = (_key: string, v: unknown) => (v !== null && typeof v === 'object' && NON_FINITE in v ? Number((v as Record<string, string>)[NON_FINITE]) : v);

const DTYPES = { float32: Float32Array, float64: Float64Array, uint8: Uint8Array } as const;
const dtypeOf = (a: StateArray): StateFile['arrays'][number]['dtype'] => (a instanceof Float32Array ? 'float32' : a instanceof Float64Array ? 'float64' : 'uint8');

/**
 * Write `state` (and `extra`, JSON) into the directory `dir` atomically; `fillPolicy` writes the
 * policy checkpoint into the given directory. Refuses (writing nothing) a state with a value
 * that is not finite: a diverged run must not become the point others continue from.
 */
export function writeTrainingState(dir: string, state: TrainingState, extra: Record<string, unknown>, fillPolicy: (policyDir: string) => void): string {
  for (const [name, a] of Object.entries(state.arrays)) {
    if (a instanceof Uint8Array) continue;
    const bad = a.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new UserError(`training checkpoint: refusing to write ${dir}: ${name}[${bad}] is ${a[bad]} (training diverged)`);
  }
  const table: StateFile['arrays'] = [];
  let bytes = 0;
  for (const [name, a] of Object.entries(state.arrays)) {
    bytes = Math.ceil(bytes / 8) * 8; // aligned, so each array can be a view of the file
    table.push({ name, dtype: dtypeOf(a), byteOffset: bytes, length: a.length });
    bytes += a.byteLength;
  }
  const bin = new Uint8Array(bytes);
  Object.values(state.arrays).forEach((a, i) => bin.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), (table[i] as StateFile['arrays'][number]).byteOffset));
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('writeTrainingState: a big-endian machine (state.bin is little-endian)');
  const file: StateFile = { format: TRAINING_STATE_FORMAT, formatVersion: TRAINING_STATE_VERSION, algorithm: state.algorithm, seed: state.seed, steps: state.steps, values: state.values, arrays: table, extra };
  return writeDirAtomic(dir, (tmp) => {
    writeFileSync(join(tmp, 'state.bin'), bin);
    fillPolicy(join(tmp, 'policy'));
    writeFileSync(join(tmp, 'state.json'), JSON.stringify(file, encodeNonFinite) + '\n');
  });
}

/** Read a directory written by `writeTrainingState`; an unreadable or other-version one is one UserError. */
export function readTrainingState(dir: string): { state: TrainingState; extra: Record<string, unknown> } {
  const path = join(dir, 'state.json');
  if (!existsSync(path)) throw new UserError(`training checkpoint: ${path} not found`);
  let file: StateFile;
  try {
    file = JSON.parse(readFileSync(path, 'utf8'), decodeNonFinite) as StateFile;
  } catch (err) {
    throw new UserError(`${path}: cannot parse JSON: ${(err as Error).message}`);
  }
  if (file.format !== TRAINING_STATE_FORMAT) throw new UserError(`${path}: format: expected ${TRAINING_STATE_FORMAT}, got ${String(file.format)}`);
  if (file.formatVersion !== TRAINING_STATE_VERSION) {
    throw new UserError(
      `${path}: training checkpoint version ${String(file.formatVersion)}; this dosegym reads version ${TRAINING_STATE_VERSION} ` +
        `(continue it with the dosegym that wrote it, or retrain the seed from its start by removing ${dir})`,
    );
  }
  const bin = readFileSync(join(dir, 'state.bin'));
  const arrays: Record<string, StateArray> = {};
  for (const { name, dtype, byteOffset, length } of file.arrays) {
    const type = DTYPES[dtype];
    if (type === undefined || byteOffset + length * type.BYTES_PER_ELEMENT > bin.length) throw new UserError(`${path}: arrays: '${name}' lies outside state.bin`);
    const copy = new Uint8Array(bin.subarray(byteOffset, byteOffset + length * type.BYTES_PER_ELEMENT));
    arrays[name] = new type(copy.buffer);
  }
  return { state: { algorithm: file.algorithm, seed: file.seed, steps: file.steps, values: file.values, arrays }, extra: file.extra };
}
