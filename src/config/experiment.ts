/**
 * The experiment config schema (`dosegym run|train|evaluate|validate <config>`).
 *
 * Every field is documented here and in README ("Experiment configs"); defaults are filled in and the
 * resolved config is written to the run's manifest.json. Errors name the field path, the value and
 * what is allowed, e.g. `train.steps: expected a positive integer, got -5`.
 */
import { z } from 'zod';
import { parseWithSchema } from '../core/validate.ts';
import { readConfigFile } from './load.ts';
import { ALGORITHM_NAMES } from '../../agents/index.ts';

export const positiveInt = z.number({ error: 'expected a positive integer' }).int({ error: 'expected a positive integer' }).positive({ error: 'expected a positive integer' });
export const nonNegativeInt = z.number({ error: 'expected a non-negative integer' }).int({ error: 'expected a non-negative integer' }).nonnegative({ error: 'expected a non-negative integer' });

/** Experiment names: one folder name under results/ (not '.' or '..'), at most 100 characters. */
export const NAME_RULE = 'a single folder name of letters, digits, - _ . (not . or .., at most 100 characters)';
export const nameSchema = z
  .string({ error: `expected ${NAME_RULE}` })
  .regex(/^[A-Za-z0-9._-]+$/, { error: `expected ${NAME_RULE}` })
  .max(100, { error: `expected ${NAME_RULE}` })
  .refine((s) => s !== '.' && s !== '..', { error: `expected ${NAME_RULE}` });

/** Each repeated entry of `list` as [its index, the index of its first occurrence]. */
function repeats(list: readonly unknown[]): [number, number][] {
  const first = new Map<string, number>();
  const out: [number, number][] = [];
  list.forEach((value, i) => {
    const key = JSON.stringify(value);
    const j = first.get(key);
    if (j === undefined) first.set(key, i);
    else out.push([i, j]);
  });
  return out;
}

/*
 * Lists whose entries must be distinct: a repeated seed trains the same policy again and a repeated
 * patient runs the same episodes again, so either would count the same episodes twice (inflating n
 * and narrowing the confidence intervals). The issue is reported at the repeated entry.
 */
function distinctSeeds(seeds: readonly number[], ctx: z.RefinementCtx): void {
  for (const [i, j] of repeats(seeds)) ctx.addIssue({ code: 'custom', path: [i], message: `repeats train.seeds[${j}]; the same seed trains the same policy and would count its episodes twice: give distinct seeds` });
}

/** env.options.patient / cohort given as a list (T1D-v0): each patient at most once. */
function distinctPatients(env: { options: Record<string, unknown> }, ctx: z.RefinementCtx): void {
  for (const key of ['patient', 'cohort']) {
    const list = env.options[key];
    if (!Array.isArray(list)) continue;
    for (const [i, j] of repeats(list)) ctx.addIssue({ code: 'custom', path: ['options', key, i], message: `repeats env.options.${key}[${j}]; the same patient would run the same episodes twice: list each patient once` });
  }
}

/** The algorithms of the table (agents/index.ts), or none (evaluate baselines only). */
export const TRAIN_ALGOS = [...ALGORITHM_NAMES, 'none'] as const;

/** Which shield variants evaluation runs: each method without it, with it, or both (`<method>+shield`). */
export const SHIELD_MODES = ['without', 'with', 'both'] as const;

/** A baseline or trained method to evaluate: a name, or an object with a type and its parameters. */
const methodSchema = z.union(
  [
    z.string({ error: 'expected a method name' }).min(1),
    z
      .object({
        type: z.string({ error: 'expected a baseline type, e.g. basal-bolus' }).min(1),
        /** Name used in results (defaults to the type). */
        name: z.string().min(1).optional(),
      })
      .catchall(z.unknown()),
  ],
  { error: 'expected a method name (e.g. ppo, basal-bolus) or { type, name?, ...parameters }' },
);

export const experimentSchema = z
  .object({
    /** Experiment name: results go to results/<name>/<run-id>/. Letters, digits, '-', '_', '.'. */
    name: nameSchema,
    /** Free text shown in the report. */
    description: z.string().default(''),
    env: z
      .object({
        /** Registered environment id (see `dosegym envs`). */
        id: z.string({ error: 'expected a registered environment id (see dosegym envs)' }).min(1),
        /** Options passed to make(id, options); checked against the environment's options. */
        options: z.record(z.string(), z.unknown(), { error: 'expected an object of environment options (see dosegym envs)' }).default({}),
        /**
         * Optional custom reward: a mathjs expression over the step's named quantities (numeric
         * info fields such as bg, risk, insulin, N, T, dose, plus `reward`, the env's own reward).
         * Never evaluated as JavaScript.
         */
        reward: z.string({ error: 'expected a mathjs expression, e.g. "-risk - 0.01 * insulin"' }).min(1, { error: 'expected a mathjs expression, e.g. "-risk - 0.01 * insulin"' }).optional(),
      }, { error: 'expected { id, options?, reward? }' })
      .strict()
      .superRefine(distinctPatients),
    train: z
      .object({
        /** An algorithm of agents/index.ts (ppo, dqn, ...) or none (evaluate baselines only). */
        algo: z.enum(TRAIN_ALGOS, { error: `expected one of ${TRAIN_ALGOS.join(', ')}` }).default('ppo'),
        /** Environment steps per policy: per seed, or with perPatient per seed and patient (PPO rounds up to whole rollouts). */
        steps: positiveInt.default(100000),
        /** Training seeds; each trains one policy. */
        seeds: z.array(nonNegativeInt, { error: 'expected a list of non-negative integers' }).min(1, { error: 'expected at least one seed' }).superRefine(distinctSeeds).default([1]),
        /**
         * Algorithm hyperparameters (camelCase; defaults = Stable-Baselines3's), including numEnvs
         * (parallel envs) and normalizeObservations. Validated by the algorithm table (agents/index.ts).
         */
        hyperparameters: z.record(z.string(), z.unknown(), { error: 'expected an object of hyperparameters, e.g. { learningRate: 0.0003 }' }).default({}),
        /**
         * ppo-lagrangian only: the episode cost budget d (summed info.cost per episode). Defaults to
         * the sum of the safety.constraints budgets when constraints are given.
         */
        costLimit: z.number({ error: 'expected a cost budget >= 0 per episode' }).min(0, { error: 'expected a cost budget >= 0 per episode' }).finite().optional(),
        /**
         * Start training from saved policies instead of fresh weights (fine-tuning, transfer between
         * patients or cohorts): a checkpoint directory (`<run>/policies/<seed>`, every seed starts
         * from it) or a policies directory or run (`<run>/policies`, `<run>`: seed s starts from its
         * policy of seed s). Weights and observation statistics come from the checkpoint; the
         * optimiser starts fresh. src/run/init.ts resolves and checks it.
         */
        init: z.string({ error: 'expected a directory of saved policies, e.g. results/<name>/<run-id>/policies' }).min(1, { error: 'expected a directory of saved policies, e.g. results/<name>/<run-id>/policies' }).optional(),
        /**
         * One policy per patient of the cohort (env.options.patient), each trained train.steps
         * environment steps on that patient alone (policies/<seed>/<patient>/), and evaluated on
         * that patient's episodes.
         */
        perPatient: z.boolean({ error: 'expected true or false' }).default(false),
        /**
         * Write a training checkpoint (`checkpoints/<seed>[/<patient>]/`, the latest only) after the
         * update that reaches each multiple of this many environment steps; `dosegym run --resume`
         * continues an interrupted policy from it, exactly as if it had not stopped
         * (agents/common/training-state.ts). Absent: no checkpoints, an interrupted policy retrains
         * from its start.
         */
        checkpointEvery: positiveInt.optional(),
      }, { error: 'expected { algo?, steps?, seeds?, hyperparameters?, costLimit?, init?, perPatient?, checkpointEvery? }' })
      .strict()
      .default({ algo: 'ppo', steps: 100000, seeds: [1], hyperparameters: {}, perPatient: false }),
    evaluate: z
      .object({
        /** Episodes per patient (T1D cohorts) or per method and seed. */
        episodes: positiveInt.default(10),
        /** Evaluation episodes are seeded from this, independently of training, identically for every method. */
        seed: nonNegativeInt.default(1000),
        /** Methods: the trained algorithm's name and/or baselines (see README). */
        methods: z.array(methodSchema, { error: 'expected a list of methods' }).min(1, { error: 'expected at least one method' }).default(['ppo']),
        /** Per-step trajectory CSVs for the first N episodes of each method (charts use them). */
        trajectories: nonNegativeInt.default(1),
        /** Bootstrap resamples for the 95 % confidence intervals. */
        bootstrap: positiveInt.default(2000),
        /**
         * With safety.shield: evaluate each method without the shield, with it, or both (the shielded
         * variant is named `<method>+shield`). Default: both when a shield is configured.
         */
        shield: z.enum(SHIELD_MODES, { error: `expected one of ${SHIELD_MODES.join(', ')}` }).optional(),
      }, { error: 'expected { episodes?, seed?, methods?, trajectories?, bootstrap?, shield? }' })
      .strict()
      .default({ episodes: 10, seed: 1000, methods: ['ppo'], trajectories: 1, bootstrap: 2000 }),
    /** Safety (src/safety/): constraint costs and a shield. */
    safety: z
      .object({
        /**
         * Constraints whose summed per-step cost becomes info.cost (training, PPO-Lagrangian and
         * evaluation), e.g. { names: [hypo70, hypo54], budgets: { hypo54: 2 } }; budgets in cost units
         * per episode, default from the clinical consensus (T1D: 4 % of steps below 70, 1 % below 54).
         */
        constraints: z.unknown().optional(),
        /** Shield options (src/safety/shield.ts), e.g. { suspendBelowMgDl: 80, maxIobBasalMultiple: 3 }. */
        shield: z.unknown().optional(),
        /** Apply the shield during training too (default: only at evaluation). */
        shieldTraining: z.boolean({ error: 'expected true or false' }).default(false),
      }, { error: 'expected { constraints?, shield?, shieldTraining? }' })
      .strict()
      .optional(),
  }, { error: 'expected a config object with name, env, train, evaluate' })
  .strict();

/** The fields above, for `dosegym run|train|evaluate|validate --help` (as README "Experiment configs"); keep in step with the schema. */
export const CONFIG_HELP = `Experiment config (YAML or JSON; defaults in brackets, written back to the run's manifest.json):
  name                   results go to results/<name>/<UTC date-time>/ (letters, digits, - _ .; not . or ..)
  description            free text for the report ['']
  env.id                 a registered environment (dosegym envs)
  env.options            the environment's options, e.g. { patient: adolescents, sensor: GuardianRT } [{}]
  env.reward             optional custom reward: a mathjs expression over the step's numeric info fields,
                         reward, terminated, truncated; e.g. "-risk - 0.01 * insulin"
  train.algo             ${TRAIN_ALGOS.join(' | ')} (evaluate baselines only) [ppo]
  train.steps            environment steps per policy (per seed; with perPatient per seed and patient) [100000]
  train.seeds            one policy per seed, each seed once [[1]]
  train.hyperparameters  e.g. { learningRate: 0.0003, numEnvs: 4 }; defaults = Stable-Baselines3's [{}]
  train.init             start from saved policies: <run>/policies/<seed> (every seed) or <run>/policies
                         (seed s from its seed s); weights and observation statistics, fresh optimiser
  train.perPatient       one policy per patient of the cohort, policies/<seed>/<patient>/ [false]
  evaluate.episodes      episodes per patient (T1D cohorts) and method [10]
  evaluate.seed          seeds the evaluation episodes, the same for every method [1000]
  evaluate.methods       the trained algo and/or baselines, by name or { type, name?, ...parameters }:
                         T1D basal-bolus, pid, pid-bolus, constant, basal; chemotherapy mtd, mtd-cycles,
                         metronomic, none, constant, pulsed; classic control random [[ppo]]
  evaluate.trajectories  per-step CSVs of the first N episodes per patient [1]
  evaluate.bootstrap     resamples for the 95 % confidence intervals [2000]
  evaluate.shield        with safety.shield: without | with | both (adds <method>+shield) [both]
  train.costLimit        ppo-lagrangian: episode cost budget [sum of safety.constraints budgets]
  safety.constraints     { names: [hypo70, hypo54 | toxicity, drugToxicity, cumulativeDose], budgets?: {...},
                         chance?: 0.05 }: info.cost (with chance: 1 when an episode first goes over budget)
  safety.shield          shield options, e.g. { suspendBelowMgDl: 80, maxIobBasalMultiple: 3 } (T1D) or
                         { maxDosePerDay: 0.5, maxCumulativeDose: 45 } (chemotherapy)
  safety.shieldTraining  also shield the training env [false]`;

export type ExperimentConfig = z.infer<typeof experimentSchema>;
export type MethodSpec = ExperimentConfig['evaluate']['methods'][number];

/** Name of a method as it appears in results. */
export function methodName(method: MethodSpec): string {
  return typeof method === 'string' ? method : (method.name ?? method.type);
}

/** Type of a method (a trained algorithm or a baseline type). */
export function methodType(method: MethodSpec): string {
  return typeof method === 'string' ? method : method.type;
}

/** Parameters of a baseline method (everything but type and name). */
export function methodParams(method: MethodSpec): Record<string, unknown> {
  if (typeof method === 'string') return {};
  const { type: _type, name: _name, ...params } = method;
  return params;
}

/** Parse and validate a config object (schema only; see validateExperiment for semantic checks). */
export function parseExperiment(raw: unknown, source = ''): ExperimentConfig {
  return parseWithSchema(experimentSchema, raw, source ? `${source}: ` : '');
}

export function loadExperimentFile(path: string): ExperimentConfig {
  return parseExperiment(readConfigFile(path), path);
}
