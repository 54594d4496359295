/**
 * The classic-control family (CartPole-v1, Pendulum-v1): the agents' proving ground, with no
 * patient, no clinical metrics, no constraints and no shield. Its one baseline is a seeded
 * uniformly random policy, the floor a learning agent must clear. Imported by register.ts.
 */
import { UserError } from '../../src/core/errors.ts';
import { registerFamily, type AnyPolicy, type EnvShape, type Family } from '../../src/core/family.ts';
import { infoReader } from '../../src/core/info.ts';
import { expectNoParams, numberParam } from '../../src/core/params.ts';
import { Rng } from '../../src/core/rng.ts';

/** A seeded uniformly random policy: the same action sequence in every episode of a run. */
function randomPolicy(env: EnvShape, seed: number): AnyPolicy {
  let rng = new Rng(seed).child('random-policy');
  return {
    name: 'random',
    reset: () => {
      rng = new Rng(seed).child('random-policy');
    },
    act: () => env.actionSpace.sample(rng),
  };
}

export const CLASSIC_FAMILY: Family = {
  name: 'classic',
  envIds: ['CartPole-v1', 'Pendulum-v1'],
  // Both envs return an empty info.
  info: infoReader('classic control', { numbers: [] }),
  metricColumns: [],
  summedColumns: [],
  episodeMetrics: () => ({}),
  headlineColumns: [],
  baselineTypes: ['random'],
  makeBaseline(type, params, env, where) {
    if (type !== 'random') throw new UserError(`${where}: unknown baseline '${type}'; allowed: random, or the trained algorithm`);
    expectNoParams(params, ['seed'], where);
    return randomPolicy(env, numberParam(params, 'seed', where, 0));
  },
  constraints: [],
  patients: () => [null],
  envOptions: (options) => ({ ...options }),
  trajectoryColumns: ['step', 'reward'],
  trajectoryRows: (log) => log.rewards.map((r, k) => ({ step: k + 1, reward: r })),
};

registerFamily(CLASSIC_FAMILY);
