/**
 * Rewards of T1D-v0, selectable by name. All are computed on the NEW CGM reading at the end of the
 * step (the agent sees the CGM, not the true BG) and lie in [-1, 1] per step, so one termination
 * penalty rule fits all (see t1d-env.ts):
 *
 * - 'risk' (default): -risk(CGM) / 100, in [-1, 0]; risk = Kovatchev's 10 f(BG)^2 with simglucose's
 *   cap at 100 (src/metrics/glucose.ts). 0 at about 112.5 mg/dL; -0.028 at 150; -0.136 at 60;
 *   -0.31 at 300.
 * - 'risk-diff': (risk(previous CGM) - risk(CGM)) / 100, in [-1, 1]: simglucose's default reward
 *   (`risk_diff`), divided by 100. Its sum over an episode telescopes to risk(first) - risk(last).
 * - 'tir': 0 when 70 <= CGM <= 180, else -1 (so 1 + the mean reward is the fraction of time in range).
 *
 * None of them pays a bonus for merely surviving (simglucose issue #40): with rewards <= 0, ending
 * the episode early would be attractive, which the termination penalty removes.
 */
import { risk } from '../../src/metrics/glucose.ts';

export const REWARD_NAMES = ['risk', 'risk-diff', 'tir'] as const;
export type RewardName = (typeof REWARD_NAMES)[number];

/** Reward for a step that moved the CGM from `previousCgmMgDl` to `cgmMgDl`. */
export type RewardFunction = (cgmMgDl: number, previousCgmMgDl: number) => number;

export const REWARDS: Record<RewardName, RewardFunction> = {
  risk: (cgm) => -risk(cgm) / 100,
  'risk-diff': (cgm, previous) => (risk(previous) - risk(cgm)) / 100,
  tir: (cgm) => (cgm >= 70 && cgm <= 180 ? 0 : -1),
};

/** The lowest reward one step can give (for the 'auto' termination penalty). */
export const MIN_STEP_REWARD = -1;
