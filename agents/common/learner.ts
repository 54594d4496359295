/**
 * What PPO, PPO-Lagrangian, DQN and SAC build before their loops: the network over the vector env's
 * spaces, its parameters (initialised from the run's `init` stream), the observation normaliser,
 * the live policy that `train` returns, its typed-array and tfjs forward passes, and Adam.
 */
import type { Rng } from '../../src/core/rng.ts';
import type { Space } from '../../src/core/spaces.ts';
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
