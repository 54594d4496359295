/**
 * Policy checkpoints: a directory holding
 * - `manifest.json`: algorithm, env id, spaces, network layout and action distribution
 *   (`network.distribution`), hyperparameters, observation normalisation statistics, backend, seed
 *   and versions (dosegym, tfjs, node), and the layout of
 * - `weights.bin`: every parameter as float32 little-endian, concatenated in manifest order.
 *
 * Format version 2 added `network.distribution` (PPO's Beta shares version 1's weight layout
 * nowhere, so a version-1 reader must refuse it). Version 1 checkpoints still load: they predate the
 * field, and their Box policies are the clipped Gaussian ('gaussian-clip').
 *
 * A run's checkpoints also record where the policy came from (optional fields, ignored by
 * `loadPolicy`): `envOptions`, the options of the env it was trained on (what `dosegym simulate`
 * rebuilds its observation from), and `init`, the checkpoint training started from (`train.init`,
 * with the SHA-256 of its weights) or null.
 *
 * The directory is written atomically: into a temporary sibling, then renamed into place (an
 * existing checkpoint is moved aside first and removed after), so a reader never sees a half-written
 * checkpoint. `loadPolicy(savePolicy(dir, p))` acts and weighs exactly like `p`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeDirAtomic } from '../../src/io/atomic.ts';
import { UserError } from '../../src/core/errors.ts';
import { packageVersion } from '../../src/core/package.ts';
import { Box, spaceFromJSON, type Space, type SpaceJSON } from '../../src/core/spaces.ts';
import { RunningMeanStd } from '../../src/core/wrappers.ts';
import { ALGORITHM_NAMES, isAlgorithmName } from '../index.ts';
import { POLICY_DISTRIBUTIONS, type NetworkDescription, type PolicyDistribution } from './networks.ts';
import { ParamStore, type TensorEntry } from './params.ts';
import { OBS_CLIP, OBS_EPSILON, TrainedPolicy, type Algorithm } from './policy.ts';

export const CHECKPOINT_FORMAT = 'dosegym-policy';
export const CHECKPOINT_VERSION = 2;
/** Versions `loadPolicy` reads. */
const READABLE_VERSIONS = [1, 2];

export interface CheckpointManifest {
  format: typeof CHECKPOINT_FORMAT;
  formatVersion: number;
  algorithm: Algorithm;
  envId: string;
  /** Spaces as `Space.toJSON()` (infinite bounds as null). */
  observationSpace: SpaceJSON;
  actionSpace: SpaceJSON;
  network: NetworkDescription;
  hyperparameters: Record<string, unknown>;
  normalization: { count: number; mean: number[]; var: number[]; clip: number; epsilon: number } | null;
  backend: string;
  seed: number;
  totalSteps: number;
  /** The options of the env it was trained on (absent in checkpoints written before they were recorded). */
  envOptions?: Record<string, unknown>;
  /** The checkpoint training started from (`train.init`), null for fresh weights (absent: not recorded). */
  init?: CheckpointInit | null;
  versions: { dosegym: string; tfjs: string; node: string };
  weights: { file: string; dtype: 'float32'; byteOrder: 'little-endian'; length: number; tensors: TensorEntry[] };
}

/** The saved policy a checkpoint's training started from. */
export interface CheckpointInit {
  /** Its checkpoint directory (absolute). */
  dir: string;
  algorithm: Algorithm;
  seed: number;
  /** Environment steps it had trained (this checkpoint's `totalSteps` counts only its own). */
  totalSteps: number;
  /** SHA-256 of its weights.bin, so the exact start is known even if that directory changes later. */
  weightsSha256: string;
}

/** What a run records about a policy beyond the policy itself (see the header). */
export interface CheckpointProvenance {
  envOptions?: Record<string, unknown>;
  init?: CheckpointInit | null;
}

/** Space JSON from spaces.ts (unbounded Box bounds are written as null and read back as +-Infinity). */
function decodeSpace(json: unknown, where: string): Space {
  const j = json as { type?: string } | null;
  if (j?.type !== 'Box' && j?.type !== 'Discrete') throw new UserError(`${where}: expected a Box or Discrete space`);
  try {
    return spaceFromJSON(j as SpaceJSON);
  } catch (err) {
    throw new UserError(`${where}: invalid space: ${(err as Error).message}`);
  }
}

export function policyManifest(policy: TrainedPolicy, provenance: CheckpointProvenance = {}): CheckpointManifest {
  const rms = policy.normalization;
  return {
    format: CHECKPOINT_FORMAT,
    formatVersion: CHECKPOINT_VERSION,
    algorithm: policy.algorithm,
    envId: policy.envId,
    observationSpace: policy.observationSpace.toJSON(),
    actionSpace: policy.actionSpace.toJSON(),
    network: policy.network,
    hyperparameters: policy.hyperparameters,
    normalization: rms === null ? null : { ...rms.getState(), clip: OBS_CLIP, epsilon: OBS_EPSILON },
    backend: policy.backend,
    seed: policy.seed,
    totalSteps: policy.totalSteps,
    ...(provenance.envOptions !== undefined ? { envOptions: provenance.envOptions } : {}),
    ...(provenance.init !== undefined ? { init: provenance.init } : {}),
    versions: { dosegym: packageVersion(), tfjs: tf.version_core, node: process.version },
    weights: {
      file: 'weights.bin',
      dtype: 'float32',
      byteOrder: 'little-endian',
      length: policy.params.size,
      tensors: policy.params.entries.map((e) => ({ ...e, shape: [...e.shape] })),
    },
  };
}

/** The network's action distribution: the recorded one (version 2), or what version 1 policies used. */
function checkpointDistribution(m: CheckpointManifest, manifestPath: string): PolicyDistribution {
  const n = m.network;
  if (m.formatVersion === 1) return n.kind === 'q' ? 'epsilon-greedy' : n.continuous ? 'gaussian-clip' : 'categorical';
  if (!POLICY_DISTRIBUTIONS.includes(n.distribution)) {
    throw new UserError(`${manifestPath}: network.distribution: expected one of ${POLICY_DISTRIBUTIONS.join(', ')}, got ${String(n.distribution)}`);
  }
  return n.distribution;
}

function encodeWeights(data: Float32Array): Uint8Array {
  const bytes = new Uint8Array(data.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i] as number, true);
  return bytes;
}

/**
 * Write `policy` to the directory `dir` atomically; returns the absolute path. Refuses a policy
 * whose weights are not all finite (a diverged training run), writing nothing.
 */
export function savePolicy(dir: string, policy: TrainedPolicy, provenance: CheckpointProvenance = {}): string {
  const bad = policy.params.data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    const entry = policy.params.entries.find((e) => bad >= e.offset && bad < e.offset + e.length);
    throw new UserError(`policy: refusing to save ${dir}: weight ${bad - (entry?.offset ?? 0)} of '${entry?.name}' is ${policy.params.data[bad]} (training diverged)`);
  }
  return writeDirAtomic(dir, (tmp) => {
    writeFileSync(join(tmp, 'weights.bin'), encodeWeights(policy.params.data));
    writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(policyManifest(policy, provenance), null, 2) + '\n');
  });
}

/** Rebuild a policy saved by `savePolicy`. */
export function loadPolicy(dir: string): TrainedPolicy {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) throw new UserError(`policy: no checkpoint at ${dir} (manifest.json not found)`);
  let m: CheckpointManifest;
  try {
    m = JSON.parse(readFileSync(manifestPath, 'utf8')) as CheckpointManifest;
  } catch (err) {
    throw new UserError(`${manifestPath}: cannot parse JSON: ${(err as Error).message}`);
  }
  if (m.format !== CHECKPOINT_FORMAT || !READABLE_VERSIONS.includes(m.formatVersion)) {
    throw new UserError(`${manifestPath}: format: expected ${CHECKPOINT_FORMAT} version ${READABLE_VERSIONS.join(' or ')}, got ${String(m.format)} version ${String(m.formatVersion)}`);
  }
  if (!isAlgorithmName(m.algorithm)) {
    throw new UserError(`${manifestPath}: algorithm: expected one of ${ALGORITHM_NAMES.join(', ')}, got ${String(m.algorithm)}`);
  }
  const observationSpace = decodeSpace(m.observationSpace, `${manifestPath}: observationSpace`);
  if (!(observationSpace instanceof Box)) throw new UserError(`${manifestPath}: observationSpace: expected a Box`);
  const actionSpace = decodeSpace(m.actionSpace, `${manifestPath}: actionSpace`);

  const weightsPath = join(dir, m.weights.file);
  if (!existsSync(weightsPath)) throw new UserError(`policy: ${weightsPath} not found`);
  const bytes = readFileSync(weightsPath);
  if (bytes.length !== m.weights.length * 4) {
    throw new UserError(`${weightsPath}: expected ${m.weights.length * 4} bytes (${m.weights.length} float32), got ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const params = new ParamStore();
  for (const e of m.weights.tensors) {
    if (e.offset + e.length > m.weights.length) throw new UserError(`${manifestPath}: weights.tensors: '${e.name}' lies outside weights.bin`);
    const values = new Float32Array(e.length);
    for (let i = 0; i < e.length; i++) values[i] = view.getFloat32((e.offset + i) * 4, true);
    const added = params.add(e.name, e.shape, values);
    if (added.offset !== e.offset) throw new UserError(`${manifestPath}: weights.tensors: '${e.name}' is not contiguous with the previous tensor`);
  }

  let normalization: RunningMeanStd | null = null;
  if (m.normalization !== null && m.normalization !== undefined) {
    normalization = new RunningMeanStd(observationSpace.size);
    normalization.setState({ count: m.normalization.count, mean: m.normalization.mean, var: m.normalization.var });
  }
  return new TrainedPolicy({
    algorithm: m.algorithm,
    envId: m.envId,
    observationSpace,
    actionSpace,
    network: { ...m.network, distribution: checkpointDistribution(m, manifestPath) },
    params,
    hyperparameters: m.hyperparameters,
    normalization,
    backend: m.backend,
    seed: m.seed,
    totalSteps: m.totalSteps,
  });
}
