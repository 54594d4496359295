/**
 * The environment an experiment trains or evaluates on, always built in the same order:
 *
 *   make(id, options) -> shield (optional) -> ConstraintCost (optional) -> ExpressionReward (optional)
 *
 * The shield sees physical units and rewrites unsafe actions before the patient receives them;
 * the constraint costs replace info.cost by the configured constraints' sum; the custom reward reads
 * the resulting info (so it can use `cost`). Training and evaluation share `buildEnv`, so a policy
 * always meets the same interface it was trained on.
 *
 * `resolveEnvStack` answers every question about the stack once, from the config and ONE probe env
 * (for what only an env can say: its spaces and metadata): the shield options complete with the
 * family's defaults, each constraint's budget as a number (default budgets from the family's
 * constraints and metadata.maxEpisodeSteps), the reward expression compiled against the family's
 * info fields. The stacks built afterwards get these plain values and build nothing to learn them.
 */
import type { Action, Env, Observation } from '../core/env.ts';
import { UserError } from '../core/errors.ts';
import { familyOf, type EnvShape, type Family } from '../core/family.ts';
import { envSpec, make } from '../core/registry.ts';
import type { ExperimentConfig } from '../config/experiment.ts';
import { compileRewardExpression, ExpressionReward, type CompiledReward } from '../config/reward-expression.ts';
import { ConstraintCost, makeConstraintCost } from '../safety/constraints.ts';
import { makeShield, resolveShieldOptions } from '../safety/shield.ts';

export type AnyEnv = Env<Observation, Action>;

/** What a config says about the env stack (raw, unvalidated values). */
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

/** The env stack, resolved to plain values (see the header). */
export interface EnvStack {
  envId: string;
  envOptions: Record<string, unknown>;
  family: Family;
  /** Spaces and metadata of the env as configured (the probe's). */
  probe: EnvShape;
  /** Complete shield options (the family's defaults overlaid with the config's); absent without safety.shield. */
  shield?: Readonly<Record<string, unknown>>;
  /** The selected constraints with their budgets in cost units per episode, in config order. */
  constraints?: Readonly<Record<string, number>>;
  /** safety.constraints.chance: info.cost is the over-budget indicator (src/safety/constraints.ts). */
  chance?: number;
  reward?: CompiledReward;
}

/** The env stack an experiment config describes. */
export function envStackSpec(config: ExperimentConfig): EnvStackSpec {
  return { envId: config.env.id, envOptions: config.env.options, reward: config.env.reward, constraints: config.safety?.constraints, shield: config.safety?.shield };
}

/** Runs `fn`, prefixing a UserError that does not name `prefix` yet. */
export function prefixed<T>(prefix: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof UserError && !err.message.startsWith(prefix)) throw new UserError(`${prefix}${err.message}`, err.exitCode);
    throw err;
  }
}

/**
 * Validates a stack spec with the config's field names (env.id, env.options, safety.constraints,
 * env.reward, shield.*) and resolves it, building one probe env.
 */
export function resolveEnvStack(spec: EnvStackSpec): EnvStack {
  prefixed('env.id: ', () => envSpec(spec.envId));
  const family = prefixed('env.id: ', () => familyOf(spec.envId));
  const env = prefixed('env.options: ', () => make(spec.envId, spec.envOptions));
  try {
    const probe: EnvShape = { observationSpace: env.observationSpace, actionSpace: env.actionSpace, metadata: env.metadata };
    const stack: EnvStack = { envId: spec.envId, envOptions: spec.envOptions, family, probe };
    if (spec.constraints !== undefined) {
      const costs = makeConstraintCost(env, spec.constraints, 'safety.constraints.');
      stack.constraints = costs.budgets;
      if (costs.chance !== undefined) stack.chance = costs.chance;
    }
    if (spec.reward !== undefined) {
      // A reward expression reads the numeric info of the stack without the shield (the costs, if
      // any, included): the family's info fields, which a constrained env already has a `cost` in.
      const names = [...new Set([...family.info.fields, ...(stack.constraints !== undefined ? ['cost'] : [])])];
      stack.reward = compileRewardExpression(spec.reward, names);
    }
    if (spec.shield !== undefined) {
      stack.shield = resolveShieldOptions(spec.envId, spec.shield);
      // The shield's own checks of the env (action space, step unit) run at construction.
      makeShield(env, spec.envId, stack.shield);
    }
    return stack;
  } finally {
    env.close();
  }
}

/**
 * The episode cost budget of the stack's constraints, if any: the sum of their budgets, or with a
 * chance the chance itself (info.cost is then the over-budget indicator, whose episode mean is the
 * share of episodes over budget).
 */
export function constraintBudget(stack: EnvStack): number | undefined {
  if (stack.constraints === undefined) return undefined;
  return stack.chance ?? Object.values(stack.constraints).reduce((s, b) => s + b, 0);
}

/**
 * Builds the stack, behind the shield when `shielded` (and one is configured), for the stack's
 * env options or `envOptions` (evaluation's per-patient options; the same budgets apply).
 */
export function buildEnv(stack: EnvStack, shielded: boolean, envOptions: Record<string, unknown> = stack.envOptions): AnyEnv {
  let env: AnyEnv = make(stack.envId, envOptions);
  if (shielded && stack.shield !== undefined) env = makeShield(env, stack.envId, stack.shield);
  if (stack.constraints !== undefined) env = new ConstraintCost(env, Object.keys(stack.constraints), stack.constraints, stack.chance);
  if (stack.reward !== undefined) env = new ExpressionReward(env, stack.reward);
  return env;
}
