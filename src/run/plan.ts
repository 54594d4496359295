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
import { ALGORITHMS, algorithm, isAlgorithmName } from '../../agents/index.ts';
import { checkInitCheckpoint, initCheckpointDir } from './init.ts';

/** One policy a run trains: per training seed, or with train.perPatient per seed and patient. */
export interface PolicyUnit {
  seed: number;
  /** The patient it trains on alone (train.perPatient), or null (the configured env). */
  patient: string | null;
}

/** A patient id used as a directory name (policies/<seed>/<patient id>/): one safe path segment. */
const PATIENT_DIR = /^[A-Za-z0-9#._-]+$/;

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
  /** The policies trained, in training order (none for train.algo none). */
  units: PolicyUnit[];
  /** train.perPatient: every patient is trained, and evaluated, with its own policy. */
  perPatient: boolean;
}

/** A unit's key: the seed, or `<seed>/<patient>`. */
export function unitKey(unit: PolicyUnit): string {
  return unit.patient === null ? String(unit.seed) : `${unit.seed}/${unit.patient}`;
}

/**
 * The env options a unit trains on: the configured env's, or with train.perPatient the options its
 * patient is evaluated with (src/core/family.ts `envOptions` for a trained policy: T1D keeps the
 * cohort's action range in the continuous mode), so every patient's policy has the spaces of the
 * configured env, and a cohort policy can start it (train.init).
 */
export function trainingEnvOptions(plan: Pick<ExperimentPlan, 'stack' | 'family'>, patient: string | null): Record<string, unknown> {
  const { stack } = plan;
  return patient === null ? stack.envOptions : plan.family.envOptions(stack.envOptions, patient, { baseline: false, actionSpace: stack.probe.actionSpace });
}

/** The units of a config: seeds x (patients with train.perPatient). */
function planUnits(config: ExperimentConfig, family: Family, envOptions: Record<string, unknown>): PolicyUnit[] {
  const { algo, seeds, perPatient } = config.train;
  if (!perPatient) return algo === 'none' ? [] : seeds.map((seed) => ({ seed, patient: null }));
  if (algo === 'none') throw new UserError('train.perPatient: true trains one policy per patient, but train.algo is none');
  const patients = family.patients(envOptions);
  if (patients.some((p) => p === null)) throw new UserError(`train.perPatient: ${config.env.id} has no patients to train one policy each for; it applies to envs with patients (T1D-v0)`);
  for (const p of patients as string[]) {
    if (!PATIENT_DIR.test(p) || p === '.' || p === '..') throw new UserError(`train.perPatient: patient id ${JSON.stringify(p)} cannot name its policy's directory`);
  }
  return seeds.flatMap((seed) => (patients as string[]).map((patient) => ({ seed, patient })));
}

export function planExperiment(config: ExperimentConfig): ExperimentPlan {
  // Validates env.*, safety.* and env.reward with their field names.
  const spec = resolveEnvStack(envStackSpec(config));
  const { family, probe } = spec;
  if (config.evaluate.shield !== undefined && spec.shield === undefined) {
    throw new UserError(`evaluate.shield: '${config.evaluate.shield}' needs safety.shield options (e.g. safety: { shield: {} } for the defaults)`);
  }
  // The algorithm (agents/index.ts): its action spaces, hyperparameters, their compatibility and its cost budget.
  const algo = config.train.algo;
  const trained = algo === 'none' ? undefined : algorithm(algo);
  let hyperparameters: Record<string, unknown> = {};
  let costLimit: number | undefined;
  if (config.train.costLimit !== undefined && trained?.needsCostBudget !== true) {
    throw new UserError(`train.costLimit: only used by ${ALGORITHMS.filter((a) => a.needsCostBudget).map((a) => a.name).join(', ')}, but train.algo is ${algo}`);
  }
  if (trained !== undefined) {
    const space = probe.actionSpace instanceof Discrete ? 'discrete' : 'box';
    if (!trained.actionSpaces.includes(space)) {
      const others = ALGORITHMS.filter((a) => (a.actionSpaces as readonly string[]).includes(space)).map((a) => a.name).join(', ');
      const hint = space === 'box' ? ' or a discrete action option (T1D: action: discrete; chemo: levels: n)' : '';
      throw new UserError(`train.algo: ${algo} needs a ${trained.actionSpaces.join(' or ')} action space, but ${config.env.id} with these options has ${probe.actionSpace.toString()}; use ${others}${hint}`);
    }
    hyperparameters = trained.parseHyperparameters(config.train.hyperparameters);
    trained.checkCompatibility(hyperparameters, { totalSteps: config.train.steps });
    if (trained.needsCostBudget) {
      costLimit = config.train.costLimit ?? (hyperparameters as { costLimit?: number }).costLimit ?? constraintBudget(spec);
      if (costLimit === undefined) throw new UserError(`train.costLimit: ${algo} needs an episode cost budget; give train.costLimit or safety.constraints`);
    }
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
    if (isAlgorithmName(type)) {
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
  const units = planUnits(config, family, spec.envOptions);
  if (config.train.init !== undefined && algo === 'none') throw new UserError('train.init: given, but train.algo is none (nothing is trained)');
  return { config, family, stack: spec, methods: variants, hyperparameters, ...(costLimit !== undefined ? { costLimit } : {}), units, perPatient: config.train.perPatient };
}

/**
 * train.init resolved and checked (src/run/init.ts): the checkpoint directory (absolute) each unit
 * starts from, by `unitKey`; undefined without train.init. Only training needs it (a run trained
 * from a source that has moved since can still be evaluated), so it is not part of the plan.
 */
export function planInit(plan: ExperimentPlan): ReadonlyMap<string, string> | undefined {
  if (plan.config.train.init === undefined) return undefined;
  return new Map(plan.units.map((unit) => [unitKey(unit), unitInit(plan, unit) as string]));
}

/** train.init resolved and checked for one unit only (a queue worker holds only its task's checkpoint); undefined without train.init. */
export function unitInit(plan: ExperimentPlan, unit: PolicyUnit): string | undefined {
  const { config } = plan;
  if (config.train.init === undefined) return undefined;
  const dir = initCheckpointDir(config.train.init, unit.seed, unit.patient);
  checkInitCheckpoint(dir, { envId: config.env.id, algo: config.train.algo, hyperparameters: plan.hyperparameters, probe: plan.stack.probe });
  return dir;
}
