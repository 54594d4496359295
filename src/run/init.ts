/**
 * `train.init`: which saved policy each policy of a run starts from, checked when the run is
 * planned (before any directory is written).
 *
 * `train.init` names a directory; for the policy of training seed s (and, with train.perPatient,
 * patient p) the first of these that is a policy checkpoint (a manifest.json with format
 * dosegym-policy) is used:
 *
 *   1. the directory itself         (`<run>/policies/<seed>`: every seed starts from that policy)
 *   2. <dir>/<s>                    (`<run>/policies`: seed s starts from the source's seed s)
 *   3. <dir>/<s>/<p>                (a per-patient source: patient p of seed s from its own policy)
 *   4. <dir>/<p>                    (a per-patient source's `policies/<seed>`: patient p from it)
 *
 * A run directory stands for its `policies/`. So a cohort policy fine-tuned per patient is
 * `train: { perPatient: true, init: <cohort run>/policies }`: seed s's patients all start from the
 * cohort policy of seed s.
 *
 * What can be checked from the checkpoint's manifest.json is checked here, naming `train.init`:
 * the env id, the algorithm, the observation and action spaces (against the configured env's), the
 * observation normalisation and the hyperparameters that shape the network. The learner checks the
 * rest (every tensor's name and shape) when it loads the weights (agents/common/learner.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../core/errors.ts';
import type { EnvShape } from '../core/family.ts';
import { spaceDifference } from '../core/spaces.ts';
import { show } from '../core/validate.ts';
import type { CheckpointManifest } from '../../agents/common/checkpoint.ts';
import { RUN_KIND } from './manifest.ts';

/** The checkpoint format of agents/common/checkpoint.ts (read here without loading TensorFlow.js). */
const CHECKPOINT_FORMAT = 'dosegym-policy';

/** Hyperparameters that shape a policy's network: a policy can only start a run that keeps them. */
const NETWORK_HYPERPARAMETERS = ['netArch', 'activation', 'dueling', 'distribution'];

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8').replace(/^\uFEFF/, ''));
  } catch {
    return undefined;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The checkpoint manifest in `dir`, or undefined when `dir` holds no policy checkpoint. */
export function readCheckpointManifest(dir: string): CheckpointManifest | undefined {
  const m = readJson(join(dir, 'manifest.json')) as Partial<CheckpointManifest> | undefined;
  return m !== undefined && m !== null && m.format === CHECKPOINT_FORMAT ? (m as CheckpointManifest) : undefined;
}

/** The checkpoint directory (absolute) the policy of (seed, patient) starts from; see the header. */
export function initCheckpointDir(initPath: string, seed: number, patient: string | null): string {
  let base = resolve(initPath);
  if (!isDirectory(base)) throw new UserError(`train.init: ${initPath} is not a directory; give a policy checkpoint (<run>/policies/<seed>), a policies directory (<run>/policies) or a run directory`);
  const manifest = readJson(join(base, 'manifest.json')) as { kind?: unknown } | undefined;
  if (manifest?.kind === RUN_KIND) base = join(base, 'policies');
  const candidates = [base, join(base, String(seed)), ...(patient !== null ? [join(base, String(seed), patient), join(base, patient)] : [])];
  const found = candidates.find((d) => readCheckpointManifest(d) !== undefined);
  if (found !== undefined) return found;
  const what = `seed ${seed}${patient !== null ? ` and patient ${patient}` : ''}`;
  throw new UserError(`train.init: ${initPath} holds no saved policy for ${what} (looked for a policy checkpoint's manifest.json in ${candidates.join(', ')})`);
}

export interface InitTarget {
  envId: string;
  algo: string;
  /** The resolved hyperparameters of the run. */
  hyperparameters: Record<string, unknown>;
  /** The spaces of the env the policy trains on. */
  probe: EnvShape;
}

/** Check what the checkpoint in `dir` says against the run it would start; every mismatch names train.init. */
export function checkInitCheckpoint(dir: string, target: InitTarget): void {
  const m = readCheckpointManifest(dir) as CheckpointManifest;
  const where = `train.init: ${dir}`;
  if (m.envId !== target.envId) throw new UserError(`${where} is a policy for ${show(m.envId)}, but env.id is ${target.envId}`);
  if (m.algorithm !== target.algo) {
    throw new UserError(`${where} is a ${show(m.algorithm)} policy, but train.algo is ${target.algo}; a checkpoint holds only its own algorithm's networks, so start ${target.algo} from a ${target.algo} policy`);
  }
  const spaces = [['observation', m.observationSpace, target.probe.observationSpace], ['action', m.actionSpace, target.probe.actionSpace]] as const;
  for (const [kind, saved, env] of spaces) {
    const difference = spaceDifference(saved, env);
    if (difference !== undefined) {
      throw new UserError(`${where}: its ${kind} space differs from the env's (${difference}); env.options (e.g. action, window, mealAnnouncement, the patients of a continuous range) must give the spaces it was trained with`);
    }
  }
  if ('normalizeObservations' in target.hyperparameters && (m.normalization !== null) !== target.hyperparameters['normalizeObservations']) {
    const saved = m.normalization !== null;
    throw new UserError(`train.hyperparameters.normalizeObservations: ${String(!saved)}, but ${dir} was trained ${saved ? 'with' : 'without'} observation normalisation (part of the policy); set it to ${saved} to start from it`);
  }
  for (const key of NETWORK_HYPERPARAMETERS) {
    if (!(key in target.hyperparameters) || !(key in (m.hyperparameters ?? {}))) continue;
    const saved = m.hyperparameters[key];
    if (JSON.stringify(saved) !== JSON.stringify(target.hyperparameters[key])) {
      throw new UserError(`train.hyperparameters.${key}: ${show(target.hyperparameters[key])}, but ${dir} was trained with ${show(saved)}; a policy keeps its network to start a run`);
    }
  }
}

/** SHA-256 of a checkpoint's weights (for the provenance recorded in the new checkpoint). */
export function weightsDigest(dir: string): string {
  const m = readCheckpointManifest(dir);
  const file = join(dir, m?.weights.file ?? 'weights.bin');
  return existsSync(file) ? createHash('sha256').update(readFileSync(file)).digest('hex') : '';
}
