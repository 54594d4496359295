/**
 * Turns a validated experiment config into a checked plan: the env exists and accepts its options,
 * it belongs to a registered patient family, the reward expression uses only known quantities, the
 * hyperparameters are valid for the algorithm, and every evaluation method is either the trained
 * algorithm or a known baseline of the env's family. Every problem is a one-line UserError naming
 * the config field. Planning builds one probe env (src/evaluation/env-stack.ts) and closes it.
 */
import { UserError } from '../core/errors.ts';
import { Discrete } from '../core/spaces.ts';
import type { Family } from '../core/family.ts';
import { constraintBudget, envStackSpec, resolveEnvStack, type EnvStack } from '../evaluation/env-stack.ts';
import { methodName, methodParams, methodType, type ExperimentConfig, type MethodSpec } from '../config/experiment.ts';
import { parseDqnHyperparameters, parsePpoHyperparameters } from '../../agents/common/hyperparameters.ts';
import { parsePpoLagrangianHyperparameters } from '../../agents/ppo-lagrangian.ts';

export interface PlannedMethod {
  name: string;
  type: string;
  params: Record<string, unknown>;
  /** True for the config's trained algorithm (evaluated once per training seed). */
  trained: boolean;
  /** Evaluated behind safety.shield (named `<method>+shield`). */
  shielded: boolean;
}

export interface ExperimentPlan {
  config: ExperimentConfig;
  family: Family;
  /** The env stack, resolved to plain values (spaces, shield options, budgets, compiled reward). */
  stack: EnvStack;
  methods: PlannedMethod[];
  /** Fully resolved hyperparameters (defaults filled in), for the manifest. */
  hyperparameters: Record<string, unknown>;
  /** ppo-lagrangian: the episode cost budget (train.costLimit or the constraints' budgets). */
  costLimit?: number;
}

const TRAINED_TYPES = ['ppo', 'dqn', 'ppo-lagrangian'];

export function planExperiment(config: ExperimentConfig): ExperimentPlan {
  // Validates env.*, safety.* and env.reward with their field names.
  const spec = resolveEnvStack(envStackSpec(config));
  const { family, probe } = spec;
  if (config.evaluate.shield !== undefined && spec.shield === undefined) {
    throw new UserError(`evaluate.shield: '${config.evaluate.shield}' needs safety.shield options (e.g. safety: { shield: {} } for the defaults)`);
  }
  const algo = config.train.algo;
  let hyperparameters: Record<string, unknown> = {};
  let costLimit: number | undefined;
  if (config.train.costLimit !== undefined && algo !== 'ppo-lagrangian') throw new UserError(`train.costLimit: only used by ppo-lagrangian, but train.algo is ${algo}`);
  if (algo === 'ppo') hyperparameters = parsePpoHyperparameters(config.train.hyperparameters);
  if (algo === 'ppo-lagrangian') {
    hyperparameters = parsePpoLagrangianHyperparameters(config.train.hyperparameters);
    const fromHyperparameters = (hyperparameters as { costLimit?: number }).costLimit;
    costLimit = config.train.costLimit ?? fromHyperparameters ?? constraintBudget(spec);
    if (costLimit === undefined) throw new UserError('train.costLimit: ppo-lagrangian needs an episode cost budget; give train.costLimit or safety.constraints');
  }
  if (algo === 'dqn') {
    if (!(probe.actionSpace instanceof Discrete)) {
      throw new UserError(`train.algo: dqn needs a discrete action space, but ${config.env.id} with these options has ${probe.actionSpace.toString()}; use ppo or a discrete action option (T1D: action: discrete; chemo: levels: n)`);
    }
    hyperparameters = parseDqnHyperparameters(config.train.hyperparameters);
  }
  if (algo === 'none' && Object.keys(config.train.hyperparameters).length > 0) {
    throw new UserError('train.hyperparameters: given, but train.algo is none');
  }
  const seen = new Set<string>();
  const methods = config.evaluate.methods.map((spec: MethodSpec, i): PlannedMethod => {
    const where = `evaluate.methods[${i}]`;
    const name = methodName(spec);
    const type = methodType(spec);
    const params = methodParams(spec);
    if (seen.has(name)) throw new UserError(`${where}: method name '${name}' appears twice; give one a different name`);
    seen.add(name);
    if (TRAINED_TYPES.includes(type)) {
      if (type !== algo) throw new UserError(`${where}: '${type}' is not trained by this config (train.algo: ${algo}); allowed: ${[algo !== 'none' ? algo : null, ...family.baselineTypes].filter(Boolean).join(', ')}`);
      if (Object.keys(params).length > 0) throw new UserError(`${where}: the trained method takes no parameters`);
      return { name, type, params, trained: true, shielded: false };
    }
    // Validates the type and parameters now; the baselines' own range checks get the field path.
    try {
      family.makeBaseline(type, params, probe, where);
    } catch (err) {
      if (!(err instanceof UserError || err instanceof RangeError)) throw err;
      throw err.message.startsWith(where) ? err : new UserError(`${where}: ${err.message}`);
    }
    return { name, type, params, trained: false, shielded: false };
  });
  // With a shield, each method runs without it, with it (`<method>+shield`), or both.
  const mode = spec.shield === undefined ? 'without' : (config.evaluate.shield ?? 'both');
  const variants = methods.flatMap((m) => [
    ...(mode !== 'with' ? [m] : []),
    ...(mode !== 'without' ? [{ ...m, name: `${m.name}+shield`, shielded: true }] : []),
  ]);
  return { config, family, stack: spec, methods: variants, hyperparameters, ...(costLimit !== undefined ? { costLimit } : {}) };
}
