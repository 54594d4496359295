/**
 * Runs one episode of a policy (trained agent or clinical baseline) on an environment and logs it.
 * The episode is fully determined by its seed, so every method sees the same patient, meals and
 * sensor noise when given the same seed (the paired protocol in src/evaluation/evaluate.ts). The
 * log is what a patient family computes its metrics and trajectory rows from (src/core/family.ts).
 */
import type { Action, Env, Info, Observation } from './env.ts';
import type { Policy } from './policy.ts';

export interface EpisodeLog {
  return: number;
  length: number;
  /** Sum of info.cost over the episode. */
  cost: number;
  terminated: boolean;
  truncated: boolean;
  /** The reset info followed by every step's info (length + 1 entries). */
  infos: Info[];
  /** Per-step rewards (length entries). */
  rewards: number[];
}

export function runEpisode(env: Env<Observation, Action>, policy: Policy<Observation, Action>, seed: number, options: { deterministic?: boolean; maxSteps?: number } = {}): EpisodeLog {
  const deterministic = options.deterministic ?? true;
  const maxSteps = options.maxSteps ?? 10_000_000;
  let { observation, info } = env.reset({ seed });
  policy.reset?.(info);
  const log: EpisodeLog = { return: 0, length: 0, cost: 0, terminated: false, truncated: false, infos: [info], rewards: [] };
  for (let t = 0; t < maxSteps; t++) {
    const action = policy.act(observation, { deterministic, info });
    const step = env.step(action);
    log.return += step.reward;
    log.length += 1;
    log.cost += typeof step.info.cost === 'number' ? step.info.cost : 0;
    log.rewards.push(step.reward);
    log.infos.push(step.info);
    observation = step.observation;
    info = step.info;
    if (step.terminated || step.truncated) {
      log.terminated = step.terminated;
      log.truncated = step.truncated;
      return log;
    }
  }
  throw new Error(`runEpisode: ${env.metadata.id} did not end within ${maxSteps} steps; give it a time limit`);
}

/** The reward of the step that ended at info k of the log (null for the reset info, k = 0). */
export function stepReward(log: EpisodeLog, k: number): number | null {
  return k === 0 ? null : (log.rewards[k - 1] ?? null);
}
