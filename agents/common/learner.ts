/**
 * What PPO, PPO-Lagrangian, DQN and SAC build before their loops: the network over the vector env's
 * spaces, its parameters (initialised from the run's `init` stream), the observation normaliser,
 * the live policy that `train` returns, its typed-array and tfjs forward passes, and Adam.
 *
 * Starting from a saved policy (`TrainOptions.init`, the config's `train.init`: fine-tuning,
 * transfer between patients or cohorts) happens here, so every agent honours it the same way: the
 * network is built as usual (same draws from the `init` stream), then checked against the saved
 * one (spaces, network description, every tensor's name and shape, normalisation on or off) and
 * overwritten with its weights and observation statistics. The optimiser (Adam's moments) starts
 * fresh; so does anything the checkpoint does not hold (a DQN target network is copied from the
 * loaded weights by the agent, as from fresh ones; PPO-Lagrangian's cost critic starts fresh).
 * `LearnerOptions.from` is required so that an agent cannot forget to pass it on.
 */
import { UserError } from '../../src/core/errors.ts';
import type { Rng } from '../../src/core/rng.ts';
import { spacesEqual, type Space } from '../../src/core/spaces.ts';
import type { VectorEnv } from '../../src/core/vector.ts';
import { Adam } from './adam.ts';
import { NetworksTf, NetworksTyped, initNetworks, type NetworkDescription } from './networks.ts';
import type { ParamStore } from './params.ts';
import { RunningMeanStd, TrainedPolicy, type Algorithm } from './policy.ts';

export interface LearnerOptions {
  envs: VectorEnv;
  algorithm: Algorithm;
  /** The network's kind and layout; its obsSize comes from the env. */
  network: Omit<NetworkDescription, 'obsSize'>;
  /** Weight initialisation (and the initial log std of PPO's 'gaussian-clip'). */
  init: Parameters<typeof initNetworks>[2];
  /** The run's stream: parameters are drawn from its child 'init'. */
  rng: Rng;
  normalizeObservations: boolean;
  adamEps: number;
  /** Recorded in the policy (and its checkpoint). */
  hyperparameters: Record<string, unknown>;
  backend: string;
  seed: number;
  /** The saved policy to start from (`TrainOptions.init`), or undefined for fresh weights. */
  from: InitialPolicy | undefined;
}

/** A saved policy training starts from (`TrainOptions.init`). */
export interface InitialPolicy {
  /** Where it was loaded from (its checkpoint directory), for messages and provenance. */
  source: string;
  policy: TrainedPolicy;
}

/** The source each policy created by `createLearner` started from (see `initialSource`). */
const startedFrom = new WeakMap<TrainedPolicy, string>();

/** The `InitialPolicy.source` a trained policy started from, or undefined (fresh weights). */
export function initialSource(policy: TrainedPolicy): string | undefined {
  return startedFrom.get(policy);
}

export interface Learner {
  numEnvs: number;
  actSpace: Space;
  obsSize: number;
  params: ParamStore;
  rms: RunningMeanStd | null;
  policy: TrainedPolicy;
  /** Typed-array forward passes over `params` (rollouts). */
  nets: NetworksTyped;
  /** tfjs forward passes (gradients). */
  netsTf: NetworksTf;
  adam: Adam;
}

export function createLearner(o: LearnerOptions): Learner {
  const obsSpace = o.envs.singleObservationSpace;
  const obsSize = obsSpace.size;
  const n = o.network;
  // Field order as written to policy checkpoints.
  const network: NetworkDescription = { kind: n.kind, obsSize, actionSize: n.actionSize, continuous: n.continuous, netArch: n.netArch, activation: n.activation, dueling: n.dueling, distribution: n.distribution };
  const params = initNetworks(network, o.rng.child('init'), o.init);
  const rms = o.normalizeObservations ? new RunningMeanStd(obsSize) : null;
  if (o.from !== undefined) startFrom(o.from, { network, params, rms, observationSpace: obsSpace, actionSpace: o.envs.singleActionSpace, algorithm: o.algorithm });
  const policy = new TrainedPolicy({
    algorithm: o.algorithm,
    envId: o.envs.metadata.id,
    observationSpace: obsSpace,
    actionSpace: o.envs.singleActionSpace,
    network,
    params,
    hyperparameters: o.hyperparameters,
    normalization: rms,
    backend: o.backend,
    seed: o.seed,
    totalSteps: 0,
  });
  if (o.from !== undefined) startedFrom.set(policy, o.from.source);
  return {
    numEnvs: o.envs.numEnvs,
    actSpace: o.envs.singleActionSpace,
    obsSize,
    params,
    rms,
    policy,
    nets: policy.nets,
    netsTf: new NetworksTf(network),
    adam: new Adam(params.size, { beta1: 0.9, beta2: 0.999, eps: o.adamEps }),
  };
}

/**
 * Check that the saved policy `from` has exactly the network being built (same spaces, description,
 * tensors and normalisation), then copy its weights and observation statistics into it. Every
 * mismatch is a UserError naming the checkpoint and what differs.
 */
function startFrom(
  from: InitialPolicy,
  target: { network: NetworkDescription; params: ParamStore; rms: RunningMeanStd | null; observationSpace: Space; actionSpace: Space; algorithm: Algorithm },
): void {
  const saved = from.policy;
  const where = `${from.source}`;
  if (saved.algorithm !== target.algorithm) throw new UserError(`${where}: a ${saved.algorithm} policy cannot start ${target.algorithm} training (its networks are ${saved.algorithm}'s); start from a ${target.algorithm} policy`);
  if (!spacesEqual(saved.observationSpace, target.observationSpace)) throw new UserError(`${where}: its observation space ${saved.observationSpace.toString()} differs from the env's ${target.observationSpace.toString()}`);
  if (!spacesEqual(saved.actionSpace, target.actionSpace)) throw new UserError(`${where}: its action space ${saved.actionSpace.toString()} differs from the env's ${target.actionSpace.toString()}`);
  for (const key of Object.keys(target.network) as (keyof NetworkDescription)[]) {
    if (JSON.stringify(saved.network[key]) !== JSON.stringify(target.network[key])) {
      throw new UserError(`${where}: its network's ${key} is ${JSON.stringify(saved.network[key])}, the one being trained has ${JSON.stringify(target.network[key])}`);
    }
  }
  const savedEntries = saved.params.entries;
  target.params.entries.forEach((e, i) => {
    const s = savedEntries[i];
    if (s === undefined || s.name !== e.name || JSON.stringify(s.shape) !== JSON.stringify(e.shape)) {
      throw new UserError(`${where}: layer ${e.name} [${e.shape.join(', ')}] ${s === undefined ? 'is missing from it' : `is ${s.name} [${s.shape.join(', ')}] in it`}`);
    }
  });
  if (savedEntries.length !== target.params.entries.length) throw new UserError(`${where}: it has ${savedEntries.length} tensors, the network being trained ${target.params.entries.length}`);
  if ((saved.normalization === null) !== (target.rms === null)) {
    throw new UserError(`${where}: it was trained ${saved.normalization === null ? 'without' : 'with'} observation normalisation; set train.hyperparameters.normalizeObservations to ${saved.normalization !== null} to start from it`);
  }
  target.params.data.set(saved.params.data);
  if (target.rms !== null && saved.normalization !== null) target.rms.setState(saved.normalization.getState());
}
