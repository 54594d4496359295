/**
 * The interface shared by trained agents and clinical baselines, so evaluation code runs both the
 * same way. Baselines read clinical signals (CGM, announced meals, patient parameters) from the
 * latest `info`; trained agents use only the observation.
 */
import type { Info } from './env.ts';

export interface ActContext {
  /** Trained policies act greedily / at the mean when true (evaluation). */
  deterministic: boolean;
  /** The info returned by the latest reset() or step() of the env the policy acts on. */
  info: Info;
}

export interface Policy<Obs = unknown, Act = unknown> {
  /** Name used in results, e.g. 'ppo', 'basal-bolus'. */
  readonly name: string;
  /** Called at every episode start with the reset info (clears integrators, schedules, ...). */
  reset?(info: Info): void;
  act(observation: Obs, context: ActContext): Act;
}
