/**
 * The network families the agents use, each with a differentiable tfjs forward pass and a
 * typed-array forward pass over the same ParamStore:
 *
 * - 'actor-critic' (PPO): separate MLPs `pi` (the policy head's outputs, see `PolicyDistribution`)
 *   and `vf` (state value), plus `logStd` for the 'gaussian-clip' distribution - Stable-Baselines3's
 *   MlpPolicy layout.
 * - 'actor' (SAC): the MLP `pi` alone (SAC's critics take the action as input and stay in
 *   agents/sac.ts; acting needs only the actor).
 * - 'q' (DQN): an MLP `q` to one Q-value per action, or with `dueling` a trunk `q` (activated
 *   output) feeding an advantage head `adv` and a value head `val`: Q = V + A - mean(A).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../src/core/rng.ts';
import { MlpRunner, initMlp, mlpTf, type Activation, type InitScheme, type MlpSpec } from './mlp.ts';
import { ParamStore } from './params.ts';
import { isBetaDistribution } from './distributions.ts';

/**
 * How a policy turns the outputs of `pi` (or `q`) into actions; recorded in checkpoints.
 * - 'categorical': logits, one per Discrete action (PPO); deterministic = argmax.
 * - 'epsilon-greedy': Q-values (DQN); deterministic = argmax, stochastic = epsilon-greedy.
 * - 'gaussian-clip': diagonal Gaussian means plus the state-independent `logStd`, each sample
 *   clipped to the Box (PPO's distribution before the Beta, kept for ablations); deterministic =
 *   the clipped mean.
 * - 'beta': per action dimension the pre-activations of a Beta's two concentrations, columns
 *   [alpha_1..alpha_d, beta_1..beta_d], alpha = 1 + softplus(.), mapped affinely onto the Box
 *   (PPO's default; agents/ppo.ts says why); deterministic = the mode.
 * - 'beta-mode': the same Beta with columns [mode_1..mode_d, concentration_1..concentration_d]
 *   pre-activations, mode = sigmoid(.), alpha = 1 + k mode, beta = 1 + k (1 - mode), k =
 *   2 softplus(.) (distributions.ts `betaConcentrations`); deterministic = the mode.
 * - 'squashed-gaussian': columns [mean_1..mean_d, logStd_1..logStd_d] (log-std pre-activation) of
 *   a Gaussian squashed by tanh onto the Box (SAC); deterministic = tanh(mean).
 */
export type PolicyDistribution = 'categorical' | 'epsilon-greedy' | 'gaussian-clip' | 'beta' | 'beta-mode' | 'squashed-gaussian';

export const POLICY_DISTRIBUTIONS: readonly PolicyDistribution[] = ['categorical', 'epsilon-greedy', 'gaussian-clip', 'beta', 'beta-mode', 'squashed-gaussian'];

export interface NetworkDescription {
  kind: 'actor-critic' | 'actor' | 'q';
  obsSize: number;
  /** Number of discrete actions, or the Box action size. */
  actionSize: number;
  /** True for Box actions. */
  continuous: boolean;
  netArch: number[];
  activation: Activation;
  dueling: boolean;
  distribution: PolicyDistribution;
}

/** Outputs of `pi` per observation: two per action dimension for the Beta and the squashed Gaussian. */
export function policyOutputSize(d: Pick<NetworkDescription, 'actionSize' | 'distribution'>): number {
  return isBetaDistribution(d.distribution) || d.distribution === 'squashed-gaussian' ? 2 * d.actionSize : d.actionSize;
}

export function networkSpecs(d: NetworkDescription): Record<string, MlpSpec> {
  const hidden = d.netArch;
  const act = d.activation;
  const pi: MlpSpec = { prefix: 'pi', sizes: [d.obsSize, ...hidden, policyOutputSize(d)], activation: act, activateLast: false };
  if (d.kind === 'actor') return { pi };
  if (d.kind === 'actor-critic') return { pi, vf: { prefix: 'vf', sizes: [d.obsSize, ...hidden, 1], activation: act, activateLast: false } };
  if (!d.dueling) return { q: { prefix: 'q', sizes: [d.obsSize, ...hidden, d.actionSize], activation: act, activateLast: false } };
  const last = hidden[hidden.length - 1] as number;
  return {
    q: { prefix: 'q', sizes: [d.obsSize, ...hidden], activation: act, activateLast: true },
    adv: { prefix: 'adv', sizes: [last, d.actionSize], activation: act, activateLast: false },
    val: { prefix: 'val', sizes: [last, 1], activation: act, activateLast: false },
  };
}

/** Fresh parameters for `d`, every weight drawn from `rng`. */
export function initNetworks(d: NetworkDescription, rng: Rng, opts: { init: 'orthogonal' | 'glorot' | 'torch'; logStdInit?: number }): ParamStore {
  const store = new ParamStore();
  const specs = networkSpecs(d);
  const scheme = (outputGain: number): InitScheme =>
    opts.init === 'orthogonal' ? { kind: 'orthogonal', hiddenGain: Math.SQRT2, outputGain } : { kind: opts.init };
  if (d.kind === 'actor-critic') {
    // SB3's gains: sqrt(2) for hidden layers, 0.01 for the policy head (near-uniform initial policy), 1 for the value head.
    initMlp(store, specs.pi as MlpSpec, scheme(0.01), rng.child('pi'));
    initMlp(store, specs.vf as MlpSpec, scheme(1), rng.child('vf'));
    if (d.distribution === 'gaussian-clip') store.add('logStd', [d.actionSize], new Float32Array(d.actionSize).fill(opts.logStdInit ?? 0));
  } else if (d.kind === 'actor') {
    initMlp(store, specs.pi as MlpSpec, scheme(1), rng.child('pi'));
  } else {
    for (const [name, spec] of Object.entries(specs)) initMlp(store, spec, scheme(1), rng.child(name));
  }
  return store;
}

/** tfjs forward passes (differentiable) given tensors for every parameter. */
export class NetworksTf {
  private readonly specs: Record<string, MlpSpec>;
  constructor(readonly d: NetworkDescription) {
    this.specs = networkSpecs(d);
  }

  /** The policy head's outputs [B, policyOutputSize(d)]: logits, Gaussian means or Beta / squashed-Gaussian parameters. */
  policy(p: Record<string, tf.Tensor>, x: tf.Tensor): tf.Tensor {
    return mlpTf(p, this.specs.pi as MlpSpec, x);
  }

  /** State values [B]. */
  value(p: Record<string, tf.Tensor>, x: tf.Tensor): tf.Tensor {
    return tf.reshape(mlpTf(p, this.specs.vf as MlpSpec, x), [-1]);
  }

  /** Q-values [B, nActions]. */
  q(p: Record<string, tf.Tensor>, x: tf.Tensor): tf.Tensor {
    const trunk = mlpTf(p, this.specs.q as MlpSpec, x);
    if (!this.d.dueling) return trunk;
    const adv = mlpTf(p, this.specs.adv as MlpSpec, trunk, true);
    const val = mlpTf(p, this.specs.val as MlpSpec, trunk, true);
    return tf.add(val, tf.sub(adv, tf.mean(adv, 1, true)));
  }
}

/** Typed-array forward passes (acting, targets). Outputs are reused buffers: copy to keep. */
export class NetworksTyped {
  private readonly runners: Record<string, MlpRunner> = {};
  private qOut = new Float64Array(0);

  constructor(
    readonly store: ParamStore,
    readonly d: NetworkDescription,
  ) {
    for (const [name, spec] of Object.entries(networkSpecs(d))) this.runners[name] = new MlpRunner(store, spec);
  }

  policy(obs: ArrayLike<number>, rows: number): Float64Array {
    return (this.runners.pi as MlpRunner).forward(obs, rows);
  }

  value(obs: ArrayLike<number>, rows: number): Float64Array {
    return (this.runners.vf as MlpRunner).forward(obs, rows);
  }

  logStd(): Float32Array {
    return this.store.view('logStd');
  }

  q(obs: ArrayLike<number>, rows: number): Float64Array {
    const trunk = (this.runners.q as MlpRunner).forward(obs, rows);
    if (!this.d.dueling) return trunk;
    const n = this.d.actionSize;
    const adv = (this.runners.adv as MlpRunner).forward(trunk, rows);
    const val = (this.runners.val as MlpRunner).forward(trunk, rows);
    if (this.qOut.length < rows * n) this.qOut = new Float64Array(rows * n);
    for (let r = 0; r < rows; r++) {
      let meanAdv = 0;
      for (let j = 0; j < n; j++) meanAdv += adv[r * n + j] as number;
      meanAdv /= n;
      for (let j = 0; j < n; j++) this.qOut[r * n + j] = (val[r] as number) + (adv[r * n + j] as number) - meanAdv;
    }
    return this.qOut;
  }
}
