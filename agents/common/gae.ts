/**
 * Generalised advantage estimation (Schulman et al. 2016, "High-dimensional continuous control
 * using generalized advantage estimation", eq. 16), laid out like a vector-env rollout:
 * index t * numEnvs + e for step t of env e.
 *
 * `dones[t]` = the episode of env e ended at step t (terminated OR truncated). A truncated step does
 * not bootstrap here; the caller has already added gamma * V(final observation) to its reward, as
 * Stable-Baselines3 does, so both cases cut the GAE recursion at the episode boundary.
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
