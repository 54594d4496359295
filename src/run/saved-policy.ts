/**
 * Loading a run's saved policy for `dosegym simulate` (`controller: { type: policy, path }`): the
 * checkpoint (agents/common/checkpoint.ts, which loads TensorFlow.js, hence imported on demand) and
 * the options of the env it was trained on, as its manifest records them; a checkpoint written
 * before they were recorded takes them from the run it belongs to.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '../core/errors.ts';
import type { SavedPolicy } from '../core/simulators.ts';
import { readCheckpointManifest } from './init.ts';
import { RUN_KIND } from './manifest.ts';

/** The loader `dosegym simulate` gives the family simulators (src/core/simulators.ts `SimulateFlags.loadPolicy`). */
export async function savedPolicyLoader(): Promise<(path: string, field: string) => SavedPolicy> {
  const { loadPolicy } = await import('../../agents/common/checkpoint.ts');
  return (path, field) => {
    const dir = resolve(path);
    const manifest = readCheckpointManifest(dir);
    if (manifest === undefined) throw new UserError(`${field}: ${path} ${whyNoPolicy(dir)}`);
    const policy = loadPolicy(dir);
    const envOptions = manifest.envOptions ?? runEnvOptions(dir);
    if (envOptions === undefined) throw new UserError(`${field}: ${path}: the env options it was trained with are not recorded (neither in its manifest.json nor in a run above it)`);
    return { policy, dir, algorithm: policy.algorithm, envId: policy.envId, observationSpace: policy.observationSpace, actionSpace: policy.actionSpace, envOptions };
  };
}

/** Why `dir` is not a policy checkpoint, as the rest of a sentence. */
function whyNoPolicy(dir: string): string {
  if (!existsSync(dir)) return 'does not exist; give a policy directory, e.g. <run>/policies/1';
  const inside = existsSync(dir) ? readdirSync(dir).filter((d) => readCheckpointManifest(join(dir, d)) !== undefined) : [];
  if (inside.length > 0) return `holds one policy per ${/^\d+$/.test(inside[0] as string) ? 'seed' : 'patient'} (${inside.slice(0, 3).join(', ')}${inside.length > 3 ? ', ...' : ''}); give one of them, e.g. ${join(dir, inside[0] as string)}`;
  return 'is not a policy checkpoint (no manifest.json of a dosegym policy); give <run>/policies/<seed>, or <run>/policies/<seed>/<patient id> for per-patient policies';
}

/** The env options of the nearest run directory above `dir` (checkpoints that predate their own record). */
function runEnvOptions(dir: string): Record<string, unknown> | undefined {
  for (let d = dirname(dir), i = 0; i < 3 && d !== dirname(d); d = dirname(d), i++) {
    try {
      const m = JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8')) as { kind?: unknown; envOptions?: Record<string, unknown> };
      if (m.kind === RUN_KIND && m.envOptions !== undefined) return m.envOptions;
    } catch {
      // not a run directory: look further up
    }
  }
  return undefined;
}
