/**
 * Generalised advantage estimation (Schulman et al. 2016, "High-dimensional continuous control
 * using generalized advantage estimation", eq. 16), laid out like a vector-env rollout:
 * index t * numEnvs + e for step t of env e.
 *
 * `dones[t]` = the episode of env e ended at step t (terminated OR truncated). A truncated step does
 * not bootstrap in `computeGae`; `bootstrappedGae` first adds gamma * V(final observation) to its
 * reward, as Stable-Baselines3 does, so both cases cut the GAE recursion at the episode boundary.
 */
export interface GaeInput {
  rewards: ArrayLike<number>;
  values: ArrayLike<number>;
  dones: ArrayLike<number>;
  /** V(s_T) for each env: the observation after the rollout's last step. */
  lastValues: ArrayLike<number>;
  numSteps: number;
  numEnvs: number;
  gamma: number;
  lambda: number;
}

export function computeGae(input: GaeInput): { advantages: Float64Array; returns: Float64Array } {
  const { rewards, values, dones, lastValues, numSteps, numEnvs, gamma, lambda } = input;
  const n = numSteps * numEnvs;
  const advantages = new Float64Array(n);
  const returns = new Float64Array(n);
  for (let e = 0; e < numEnvs; e++) {
    let lastGae = 0;
    for (let t = numSteps - 1; t >= 0; t--) {
      const i = t * numEnvs + e;
      const nextValue = t === numSteps - 1 ? (lastValues[e] as number) : (values[i + numEnvs] as number);
      const nonTerminal = 1 - (dones[i] as number);
      const delta = (rewards[i] as number) + gamma * nextValue * nonTerminal - (values[i] as number);
      lastGae = delta + gamma * lambda * nonTerminal * lastGae;
      advantages[i] = lastGae;
      returns[i] = lastGae + (values[i] as number);
    }
  }
  return { advantages, returns };
}

/** One signal of a rollout (rewards or costs) with its critic's values and the episode ends. */
export interface BootstrappedGaeInput {
  /** The per-step signal as the env gave it (reward, or info.cost). */
  signal: ArrayLike<number>;
  /** V(s_t). */
  values: ArrayLike<number>;
  terminated: ArrayLike<number>;
  truncated: ArrayLike<number>;
  /** V(final observation) where the step was truncated (read only there). */
  finalValues: ArrayLike<number>;
  /** V(s_T) for each env after the rollout's last step. */
  lastValues: ArrayLike<number>;
  numSteps: number;
  numEnvs: number;
  gamma: number;
  lambda: number;
}

/**
 * GAE with Stable-Baselines3's time-limit bootstrap: a terminated episode's value after its last
 * step is 0; a truncated one (time limit, not a terminal state) adds gamma * V(final observation)
 * to its last signal; both then cut the recursion at the episode boundary (`computeGae`).
 */
export function bootstrappedGae(input: BootstrappedGaeInput): { advantages: Float64Array; returns: Float64Array } {
  const { signal, terminated, truncated, finalValues, numSteps, numEnvs, gamma } = input;
  const n = numSteps * numEnvs;
  const rewards = new Float64Array(n);
  const dones = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const isTerminated = terminated[i] === 1;
    const isTruncated = truncated[i] === 1;
    rewards[i] = isTruncated && !isTerminated ? (signal[i] as number) + gamma * (finalValues[i] as number) : (signal[i] as number);
    dones[i] = isTerminated || isTruncated ? 1 : 0;
  }
  return computeGae({ rewards, values: input.values, dones, lastValues: input.lastValues, numSteps, numEnvs, gamma, lambda: input.lambda });
}
