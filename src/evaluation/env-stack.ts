/**
 * Builds the environment an experiment trains or evaluates on, always in the same order:
 *
 *   make(id, options) -> Shield (optional) -> ConstraintCost (optional) -> ExpressionReward (optional)
 *
 * The shield sees physical units and rewrites unsafe actions before the patient receives them;
 * the constraint costs replace info.cost by the configured constraints' sum; the custom reward reads
 * the resulting info (so it can use `cost`). Training and evaluation share this function, so a
 * policy always meets the same interface it was trained on.
 */
import type { Action, Env, Observation } from '../core/env.ts';
import type { ExperimentConfig } from '../config/experiment.ts';
import { make } from '../core/registry.ts';
import { compileRewardExpression, ExpressionReward, rewardNamesOf } from '../config/reward-expression.ts';
import { ConstraintCost, makeConstraintCost } from '../safety/constraints.ts';
import { makeShield } from '../safety/shield.ts';

export type AnyEnv = Env<Observation, Action>;

export interface EnvStackSpec {
  envId: string;
  envOptions: Record<string, unknown>;
  /** Custom reward expression (config env.reward). */
  reward?: string | undefined;
  /** Constraint choice (config safety.constraints). */
  constraints?: unknown;
  /** Shield options (config safety.shield). */
  shield?: unknown;
}

function withoutReward(spec: EnvStackSpec, shielded: boolean): AnyEnv {
  let env: AnyEnv = make(spec.envId, spec.envOptions);
  if (shielded && spec.shield !== undefined) env = makeShield(env, spec.envId, spec.shield);
  if (spec.constraints !== undefined) env = makeConstraintCost(env, spec.constraints, 'safety.constraints.');
  return env;
}

/** The env stack an experiment config describes. */
export function envStackSpec(config: ExperimentConfig): EnvStackSpec {
  return { envId: config.env.id, envOptions: config.env.options, reward: config.env.reward, constraints: config.safety?.constraints, shield: config.safety?.shield };
}

export function buildEnv(spec: EnvStackSpec, shielded: boolean): AnyEnv {
  const env = withoutReward(spec, shielded);
  if (spec.reward === undefined) return env;
  const probe = withoutReward(spec, shielded);
  const names = rewardNamesOf(probe);
  probe.close();
  return new ExpressionReward(env, compileRewardExpression(spec.reward, names));
}

/** The episode cost budget implied by the configured constraints (sum of their budgets), if any. */
export function constraintBudget(spec: EnvStackSpec): number | undefined {
  if (spec.constraints === undefined) return undefined;
  const env = withoutReward(spec, false);
  try {
    return env instanceof ConstraintCost ? env.totalBudget : undefined;
  } finally {
    env.close();
  }
}
