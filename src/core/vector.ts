/**
 * SyncVectorEnv: n copies of one environment stepped together in the same thread, with batched
 * observations in one typed array (row-major, numEnvs x obsSize, dtype of the single observation
 * space), rewards in a Float64Array and terminated/truncated flags in Uint8Arrays (0/1).
 *
 * Autoreset follows Gymnasium 1.x SAME_STEP mode:
 * - When env i ends at a step (terminated or truncated), it is reset inside that same `step` call.
 *   Row i of the returned `observations` is then the FIRST observation of the new episode, while
 *   `rewards[i]`, `terminated[i]` and `truncated[i]` still describe the step that ended the old one.
 * - `infos[i]` is the new episode's reset info plus `finalObservation` (a copy of the ended
 *   episode's last observation, e.g. to bootstrap the value of a truncated episode) and `finalInfo`
 *   (the ended step's info, where RecordEpisodeStatistics puts `episode`).
 * - So there is never a "dead" step: every action passed to `step` is applied to a live episode.
 *
 * Seeding: `reset({ seed })` seeds env i with `seed + i`. Later autoresets call `reset()` without a
 * seed, so each env draws its next episode seed from its own seeded stream (reproducible, and
 * different across envs). A `reset()` without a seed lets each env draw its own next seed, except
 * the very first reset of the vector env, which behaves like `seed: 0`: unseeded BaseEnvs all start
 * from the same default stream, and n identical copies would defeat the purpose of a vector env.
 */
import { EnvContractError } from './errors.ts';
import type { Action, Env, Info, Observation } from './env.ts';
import { assertSeed } from './env.ts';
import { Box, spacesEqual, type BoxValue, type Space } from './spaces.ts';
import { sharedSlab } from './slab.ts';

export interface VectorResetResult {
  observations: BoxValue;
  infos: Info[];
}

export interface VectorStepResult {
  observations: BoxValue;
  rewards: Float64Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  infos: Info[];
}

/** What agents need from a vector env: SyncVectorEnv and AsyncVectorEnv (async-vector.ts) both provide it. */
export interface VectorEnv {
  readonly numEnvs: number;
  readonly singleObservationSpace: Box;
  readonly singleActionSpace: Space;
  readonly metadata: Env['metadata'];
  reset(args?: { seed?: number; options?: Record<string, unknown> }): VectorResetResult;
  step(actions: readonly Action[]): VectorStepResult;
  close(): void;
}

export class SyncVectorEnv implements VectorEnv {
  readonly envs: Env<Observation, Action>[];
  readonly numEnvs: number;
  readonly singleObservationSpace: Box;
  readonly singleActionSpace: Space;
  private everReset = false;
  private needsReset = true;

  constructor(envFns: Array<() => Env<Observation, Action>>) {
    if (envFns.length === 0) throw new EnvContractError('SyncVectorEnv: needs at least one env factory');
    this.envs = envFns.map((fn) => fn());
    this.numEnvs = this.envs.length;
    const first = this.envs[0] as Env<Observation, Action>;
    if (!(first.observationSpace instanceof Box)) {
      throw new EnvContractError(`SyncVectorEnv: ${first.metadata.id} has observation space ${first.observationSpace.toString()}; batching needs a Box`);
    }
    this.singleObservationSpace = first.observationSpace;
    this.singleActionSpace = first.actionSpace;
    this.envs.forEach((env, i) => {
      if (!spacesEqual(env.observationSpace, this.singleObservationSpace) || !spacesEqual(env.actionSpace, this.singleActionSpace)) {
        throw new EnvContractError(`SyncVectorEnv: env ${i} (${env.metadata.id}) has different spaces than env 0 (${first.metadata.id})`);
      }
    });
  }

  /** Metadata of the first copy (all copies are built by the same kind of factory). */
  get metadata(): Env['metadata'] {
    return (this.envs[0] as Env).metadata;
  }

  reset(args: { seed?: number; options?: Record<string, unknown> } = {}): VectorResetResult {
    let seed = args.seed;
    if (seed === undefined && !this.everReset) seed = 0;
    if (seed !== undefined) assertSeed(seed, 'SyncVectorEnv.reset: seed');
    const batch = this.allocate();
    const infos: Info[] = [];
    this.envs.forEach((env, i) => {
      const r = env.reset(seed === undefined ? { options: args.options } : { seed: seed + i, options: args.options });
      writeObservationRow(batch, i, r.observation, this.singleObservationSpace.size, 'SyncVectorEnv');
      infos.push(r.info);
    });
    this.everReset = true;
    this.needsReset = false;
    return { observations: batch, infos };
  }

  step(actions: readonly Action[]): VectorStepResult {
    if (this.needsReset) throw new EnvContractError('SyncVectorEnv: step() called before reset(); call reset() first');
    if (!Array.isArray(actions) || actions.length !== this.numEnvs) {
      throw new EnvContractError(`SyncVectorEnv.step: expected ${this.numEnvs} actions (one per env), got ${Array.isArray(actions) ? actions.length : typeof actions}`);
    }
    const observations = this.allocate();
    const rewards = sharedSlab.float64(this.numEnvs);
    const terminated = sharedSlab.uint8(this.numEnvs);
    const truncated = sharedSlab.uint8(this.numEnvs);
    const batch: VectorStepResult = { observations, rewards, terminated, truncated, infos: new Array<Info>(this.numEnvs) };
    const size = this.singleObservationSpace.size;
    for (let i = 0; i < this.numEnvs; i++) {
      stepWithAutoreset(this.envs[i] as Env<Observation, Action>, actions[i] as Action, i, batch, size, 'SyncVectorEnv');
    }
    return batch;
  }

  close(): void {
    for (const env of this.envs) env.close();
  }

  private allocate(): BoxValue {
    return allocateBatch(this.singleObservationSpace, this.numEnvs);
  }

}

function copyObservation(obs: Observation): Observation {
  return typeof obs === 'number' ? obs : obs.slice();
}

/** A fresh batch of `numEnvs` rows in the space's dtype, cut from the shared slab (callers keep it). */
export function allocateBatch(space: Box, numEnvs: number): BoxValue {
  const n = space.size * numEnvs;
  return space.dtype === 'float32' ? sharedSlab.float32(n) : sharedSlab.float64(n);
}

/** Copy `obs` into row i (rows of `size` values) of a batch; `who` names the vector env in errors. */
export function writeObservationRow(batch: BoxValue, i: number, obs: Observation, size: number, who: string): void {
  if (typeof obs === 'number' || obs.length !== size) {
    throw new EnvContractError(`${who}: env ${i} returned an observation of ${typeof obs === 'number' ? 'a number' : `${obs.length} values`}, expected ${size}`);
  }
  batch.set(obs, i * size);
}

/**
 * Step env i of a batch with same-step autoreset (see the top of this file), filling row i of
 * `out`: its observation row, reward, flags and info.
 */
export function stepWithAutoreset(env: Env<Observation, Action>, action: Action, i: number, out: VectorStepResult, size: number, who: string): void {
  const r = env.step(action);
  out.rewards[i] = r.reward;
  out.terminated[i] = r.terminated ? 1 : 0;
  out.truncated[i] = r.truncated ? 1 : 0;
  if (r.terminated || r.truncated) {
    const finalObservation = copyObservation(r.observation);
    const next = env.reset();
    writeObservationRow(out.observations, i, next.observation, size, who);
    out.infos[i] = { ...next.info, finalObservation, finalInfo: r.info };
  } else {
    writeObservationRow(out.observations, i, r.observation, size, who);
    out.infos[i] = r.info;
  }
}
