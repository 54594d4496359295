/**
 * The algorithms DoseGym trains, one row each: name, description, hyperparameters (one typed,
 * documented zod object per algorithm, defaults = Stable-Baselines3 2.x so throughput and learning
 * compare like for like), the action spaces it handles, its training.csv columns, whether it needs an
 * episode cost budget, which hyperparameter combinations cannot work, and `train`.
 *
 * Everything that asks "which algorithms exist and what do they take" (the config schema, the run
 * plan, the trainer, checkpoints, training.csv) reads this table. Adding an algorithm means writing
 * agents/<name>.ts (exporting `train`) and adding its schema and row here.
 *
 * Importing this module never loads TensorFlow.js (a test checks it): the schemas are plain zod and
 * `train` imports the algorithm's file on first use, so baselines-only runs and config validation
 * start no tfjs engine.
 */
import { z } from 'zod';
import { UserError } from '../src/core/errors.ts';
import { parseWithSchema } from '../src/core/validate.ts';
import type { TrainedPolicy } from './common/policy.ts';
import type { EnvInput, TrainOptions, UpdateStats } from './common/training.ts';
import type { PpoLagrangianTrainOptions } from './ppo-lagrangian.ts';

export const HYPERPARAMETER_PREFIX = 'train.hyperparameters.';

// ---- field types: errors name what is allowed ----

const positive = (what = 'a positive number') => z.number({ error: `expected ${what}` }).positive({ error: `expected ${what}` });
const positiveInt = () =>
  z.number({ error: 'expected a positive integer' }).int({ error: 'expected a positive integer' }).positive({ error: 'expected a positive integer' });
const nonNegative = (what = 'a number >= 0') => z.number({ error: `expected ${what}` }).min(0, { error: `expected ${what}` });
const nonNegativeInt = () =>
  z.number({ error: 'expected an integer >= 0' }).int({ error: 'expected an integer >= 0' }).min(0, { error: 'expected an integer >= 0' });
const unit = (what = 'a number in [0, 1]') =>
  z.number({ error: `expected ${what}` }).min(0, { error: `expected ${what}` }).max(1, { error: `expected ${what}` });
/** A smoothing factor of an exponential moving average: in [0, 1) (0 = no smoothing). */
const smoothing = () =>
  z.number({ error: 'expected a number in [0, 1)' }).min(0, { error: 'expected a number in [0, 1)' }).lt(1, { error: 'expected a number in [0, 1)' });
/** A target-update coefficient: in (0, 1] (1 = hard copy). */
const coefficient = () =>
  z.number({ error: 'expected a number in (0, 1]' }).gt(0, { error: 'expected a number in (0, 1]' }).max(1, { error: 'expected a number in (0, 1]' });
const netArch = () => z.array(positiveInt(), { error: 'expected a list of positive integers, e.g. [64, 64]' }).min(1, { error: 'expected at least one hidden layer' });
const activation = () => z.enum(['tanh', 'relu'], { error: "expected 'tanh' or 'relu'" });
const bool = () => z.boolean({ error: 'expected true or false' });

// ---- PPO (agents/ppo.ts) ----

export const ppoSchema = z.strictObject({
  /** Adam step size (SB3 learning_rate). */
  learningRate: positive().default(3e-4),
  /** Linearly anneal the learning rate to 0 over training (CleanRL's anneal_lr; SB3 default: constant). */
  annealLr: bool().default(false),
  /** Environment steps per env per rollout (SB3 n_steps); a rollout holds nSteps * numEnvs transitions. */
  nSteps: positiveInt().default(2048),
  /** Parallel environments in the SyncVectorEnv (when `train` is given one factory). */
  numEnvs: positiveInt().default(1),
  /** Minibatch size (SB3 batch_size); at most the rollout, nSteps * numEnvs. */
  batchSize: positiveInt().default(64),
  /** Passes over each rollout (SB3 n_epochs). */
  nEpochs: positiveInt().default(10),
  /** Discount factor. */
  gamma: unit().default(0.99),
  /** GAE(lambda) (Schulman et al. 2016). */
  gaeLambda: unit().default(0.95),
  /** Surrogate clipping epsilon. */
  clipRange: positive().default(0.2),
  /** Clip the value update around the old value by this much; null = no value clipping. */
  clipRangeVf: positive().nullable().default(null),
  /** Normalise advantages per minibatch. */
  normalizeAdvantage: bool().default(true),
  /** Entropy bonus coefficient. */
  entCoef: nonNegative().default(0),
  /** Value loss coefficient. */
  vfCoef: nonNegative().default(0.5),
  /** Global gradient-norm clip. */
  maxGradNorm: positive().default(0.5),
  /** Stop the epochs of an update early once approx KL > 1.5 * targetKl; null = never. */
  targetKl: positive().nullable().default(null),
  /** Hidden layers of both the policy and the value network (separate networks, as SB3's MlpPolicy). */
  netArch: netArch().default([64, 64]),
  activation: activation().default('tanh'),
  /** Orthogonal initialisation with SB3's gains (sqrt 2 hidden, 0.01 policy head, 1 value head); false = Glorot uniform. */
  orthoInit: bool().default(true),
  /**
   * Box actions: 'beta' (a Beta per dimension on the Box, deterministic action = its mode; needs
   * finite bounds), 'beta-mode' (the same Beta parametrised by its mode and concentration, so the
   * update moves the deterministic action directly) or 'gaussian-clip' (SB3's Gaussian, samples clipped to the Box, deterministic
   * action = the clipped mean; for ablations). agents/ppo.ts explains the choice. Discrete actions
   * are always categorical.
   */
  distribution: z.enum(['beta', 'beta-mode', 'gaussian-clip'], { error: "expected 'beta', 'beta-mode' or 'gaussian-clip'" }).default('beta'),
  /** Initial log standard deviation of the Gaussian; only with distribution 'gaussian-clip' (refused with the Beta, which would ignore it). */
  logStdInit: z.number({ error: 'expected a number' }).default(0),
  /**
   * Exploration noise held over this many steps of each env during rollouts (only with
   * 'gaussian-clip'): the Gaussian's standard-normal draw is kept for k steps (and redrawn when an
   * episode ends), so the sampled actions deviate from the mean in the same direction for k steps,
   * as SB3's gSDE with `sde_sample_freq` k does with state-independent features (Raffin, Kober &
   * Stulp 2021). Why: where the outcome depends on the SUM of many decisions (a week of doses),
   * independent noise averages out and a different course is never tried as a whole. Each action's
   * log-probability stays its Gaussian density; 1 = independent noise (SB3's default).
   */
  noiseHoldSteps: positiveInt().default(1),
  /** Adam epsilon (SB3 sets 1e-5 for its actor-critic policies). */
  adamEps: positive().default(1e-5),
  /** Normalise observations with running statistics (saved with the policy; SB3 parity: off). */
  normalizeObservations: bool().default(false),
});

// ---- DQN (agents/dqn.ts) ----

export const dqnSchema = z.strictObject({
  learningRate: positive().default(1e-4),
  /**
   * Linearly anneal the learning rate to 0 over training, as PPO's annealLr (SB3 default: constant).
   * Damps the late oscillation of the greedy return (chemo-dtrbench-setting1, BENCHMARKS.md).
   */
  annealLr: bool().default(false),
  /** Replay buffer capacity in transitions. */
  bufferSize: positiveInt().default(1_000_000),
  /** Environment steps with uniformly random actions before learning starts; less than train.steps. */
  learningStarts: nonNegativeInt().default(100),
  batchSize: positiveInt().default(32),
  /** Target update coefficient: 1 = hard copy, < 1 = Polyak averaging. */
  tau: coefficient().default(1.0),
  gamma: unit().default(0.99),
  /**
   * n-step returns (Rainbow's multi-step targets, Hessel et al. 2018): the target sums n discounted
   * rewards and bootstraps from the state n steps on with gamma^n (fewer at an episode end). SB3's
   * DQN uses 1.
   */
  nStep: positiveInt().max(255, { error: 'expected an integer from 1 to 255' }).default(1),
  /** Train every this many environment steps (per env). */
  trainFreq: positiveInt().default(4),
  /** Gradient steps per training round. */
  gradientSteps: positiveInt().default(1),
  /** Update the target network every this many environment steps; less than train.steps. */
  targetUpdateInterval: positiveInt().default(10_000),
  /** Fraction of training over which epsilon decays linearly. */
  explorationFraction: unit().default(0.1),
  explorationInitialEps: unit().default(1.0),
  explorationFinalEps: unit().default(0.05),
  maxGradNorm: positive().default(10),
  netArch: netArch().default([64, 64]),
  activation: activation().default('relu'),
  /** Double DQN targets (van Hasselt et al. 2016): the online net picks the next action, the target net values it. SB3's DQN uses false. */
  doubleQ: bool().default(true),
  /** Weight initialisation: PyTorch's nn.Linear default (SB3 parity), Glorot uniform, or orthogonal (gain sqrt 2, head 1). */
  init: z.enum(['torch', 'glorot', 'orthogonal'], { error: "expected 'torch', 'glorot' or 'orthogonal'" }).default('torch'),
  /** Dueling head (Wang et al. 2016): Q = V + A - mean(A). */
  dueling: bool().default(false),
  numEnvs: positiveInt().default(1),
  adamEps: positive().default(1e-8),
  normalizeObservations: bool().default(false),
});

// ---- PPO-Lagrangian (agents/ppo-lagrangian.ts): PPO's, plus the constraint's ----

export const ppoLagrangianSchema = ppoSchema.extend({
  /**
   * Episode cost budget d, in info.cost units per episode. The run plan resolves the budget from
   * train.costLimit, this field or the safety constraints' budgets, and gives `train` the number.
   */
  costLimit: nonNegative('a number >= 0 (cost per episode)').finite({ error: 'expected a number >= 0 (cost per episode)' }).optional(),
  /** Initial Lagrange multiplier. */
  lagrangeInit: nonNegative().finite({ error: 'expected a number >= 0' }).default(0),
  /** Step size of the multiplier's update per rollout (per unit of episode cost above the limit). */
  lagrangeLr: nonNegative().finite({ error: 'expected a number >= 0' }).default(0.05),
  /**
   * Proportional gain of the PID multiplier (Stooke et al. 2020): lambda moves by lagrangeKp per unit
   * of the current rollout's episode cost above the limit, at once. 0: the plain (integral) update.
   */
  lagrangeKp: nonNegative().finite({ error: 'expected a number >= 0' }).default(0),
  /** Derivative gain of the PID multiplier, on the rise of the episode cost since the previous rollout. 0: none. */
  lagrangeKd: nonNegative().finite({ error: 'expected a number >= 0' }).default(0),
  /**
   * Smoothing of the episode cost the proportional and derivative terms read: S <- ema S + (1 - ema)
   * J_C per rollout, in [0, 1) (0: the rollout's own J_C). The integral term reads J_C itself.
   */
  lagrangeEma: smoothing().default(0),
  /**
   * Episodes of the DETERMINISTIC policy run per update, on an env of their own, whose mean cost is
   * the J_C the multiplier reads instead of the rollout's (0: the rollout's finished episodes).
   * Evaluation acts deterministically, and a stochastic policy can meet the budget by mixing actions
   * while its mode does not (agents/ppo-lagrangian.ts).
   */
  lagrangeGreedyEpisodes: nonNegativeInt().default(0),
  /**
   * What the multiplier reads of the episode costs. Omitted: their mean (the constraint E[C] <= d,
   * Ray et al.'s). A number q in (0, 1]: their q-quantile over the last `lagrangeCostWindow`
   * finished episodes (or deterministic episodes), i.e. the chance constraint P(C <= d) >= q:
   * lambda rises until a share q of the episodes ends within budget, where the mean-cost multiplier
   * settles with about half of them over it when episode costs vary widely between patients.
   */
  lagrangeCostQuantile: coefficient().optional(),
  /** How many of the most recent episode costs the quantile reads (lagrangeCostQuantile only). */
  lagrangeCostWindow: positiveInt().default(20),
  /** Discount of the cost returns. */
  costGamma: unit().default(0.99),
  /** GAE lambda of the cost advantages. */
  costGaeLambda: unit().default(0.95),
});

// ---- SAC (agents/sac.ts) ----

/**
 * Defaults: Stable-Baselines3's SAC except the network width ([64, 64], SB3 [256, 256]) and the
 * batch (128, SB3 256), chosen for throughput on the wasm backend, where SB3's sizes train at
 * 13-16 env steps per CPU-second against 110-135 for these (bench/sac.ts; agents/sac.ts and
 * BENCHMARKS.md give the measurements).
 */
export const sacSchema = z.strictObject({
  /** Adam step size of the actor, the critics and the entropy temperature (SB3 learning_rate). */
  learningRate: positive().default(3e-4),
  /** Replay buffer capacity in transitions (at most train.steps are ever stored). */
  bufferSize: positiveInt().default(1_000_000),
  /** Environment steps with uniformly random actions before learning starts; less than train.steps. */
  learningStarts: nonNegativeInt().default(100),
  /** Transitions per gradient step, drawn uniformly with replacement; at most bufferSize. */
  batchSize: positiveInt().default(128),
  /** Polyak coefficient of the target critics, updated after every gradient step: target <- tau * online + (1 - tau) * target. */
  tau: coefficient().default(0.005),
  gamma: unit().default(0.99),
  /** Train every this many environment steps (per env). */
  trainFreq: positiveInt().default(1),
  /** Gradient steps per training round (SB3 gradient_steps). */
  gradientSteps: positiveInt().default(1),
  /** Entropy temperature alpha: 'auto' tunes it towards targetEntropy (Haarnoja et al. 2018, section 5), or a fixed number > 0. */
  entCoef: z.union([z.literal('auto'), positive()], { error: "expected 'auto' or a positive number" }).default('auto'),
  /** Initial alpha when entCoef is 'auto' (SB3: 1). */
  entCoefInit: positive().default(1),
  /** Target entropy of the policy in nats: 'auto' = -(action dimensions) (Haarnoja et al. 2018), or a number. */
  targetEntropy: z.union([z.literal('auto'), z.number({ error: "expected 'auto' or a number" })], { error: "expected 'auto' or a number" }).default('auto'),
  /** Hidden layers of the actor and of each of the two critics. */
  netArch: netArch().default([64, 64]),
  activation: activation().default('relu'),
  numEnvs: positiveInt().default(1),
  adamEps: positive().default(1e-8),
  normalizeObservations: bool().default(false),
});

export type PpoHyperparameters = z.infer<typeof ppoSchema>;
export type DqnHyperparameters = z.infer<typeof dqnSchema>;
export type PpoLagrangianHyperparameters = z.infer<typeof ppoLagrangianSchema>;
export type SacHyperparameters = z.infer<typeof sacSchema>;
export type PpoHyperparametersInput = z.input<typeof ppoSchema>;
export type DqnHyperparametersInput = z.input<typeof dqnSchema>;

/**
 * `logStdInit` sets the clipped Gaussian's initial spread and `noiseHoldSteps` holds its draws; the
 * Betas (PPO's default 'beta' and 'beta-mode') have neither, so giving one without `distribution:
 * gaussian-clip` would be silently ignored: refused instead. Checked on what the user wrote, before
 * defaults fill in (a default is not the user's).
 */
function refuseGaussianOnlyFields(raw: unknown, prefix: string): void {
  if (raw === null || typeof raw !== 'object') return;
  const field = (['logStdInit', 'noiseHoldSteps'] as const).find((f) => f in raw);
  if (field === undefined) return;
  const distribution = (raw as Record<string, unknown>)['distribution'];
  if (distribution === 'gaussian-clip' || (distribution !== undefined && distribution !== 'beta' && distribution !== 'beta-mode')) return; // a bad value is the schema's to report
  const what = field === 'logStdInit' ? 'has no log-std' : 'has no Gaussian noise to hold';
  throw new UserError(`${prefix}${field}: only used with ${prefix}distribution: gaussian-clip (${distribution === 'beta-mode' ? 'beta-mode' : 'the default, beta,'} ${what}); set the distribution to gaussian-clip or remove ${field}`);
}

/** Validate user hyperparameters (missing fields take SB3's defaults); errors name the field. */
export function parsePpoHyperparameters(raw: unknown = {}, prefix = HYPERPARAMETER_PREFIX): PpoHyperparameters {
  refuseGaussianOnlyFields(raw, prefix);
  return parseWithSchema(ppoSchema, raw ?? {}, prefix);
}

export function parseDqnHyperparameters(raw: unknown = {}, prefix = HYPERPARAMETER_PREFIX): DqnHyperparameters {
  return parseWithSchema(dqnSchema, raw ?? {}, prefix);
}

export function parsePpoLagrangianHyperparameters(raw: unknown = {}, prefix = HYPERPARAMETER_PREFIX): PpoLagrangianHyperparameters {
  refuseGaussianOnlyFields(raw, prefix);
  if (raw !== null && typeof raw === 'object' && 'lagrangeCostWindow' in raw && !('lagrangeCostQuantile' in raw)) {
    throw new UserError(`${prefix}lagrangeCostWindow: only read with ${prefix}lagrangeCostQuantile (the mean-cost multiplier reads each rollout's episodes); set a quantile or remove the window`);
  }
  return parseWithSchema(ppoLagrangianSchema, raw ?? {}, prefix);
}

export function parseSacHyperparameters(raw: unknown = {}, prefix = HYPERPARAMETER_PREFIX): SacHyperparameters {
  return parseWithSchema(sacSchema, raw ?? {}, prefix);
}

export const PPO_DEFAULTS: Readonly<PpoHyperparameters> = Object.freeze(parsePpoHyperparameters({}));
export const DQN_DEFAULTS: Readonly<DqnHyperparameters> = Object.freeze(parseDqnHyperparameters({}));
export const SAC_DEFAULTS: Readonly<SacHyperparameters> = Object.freeze(parseSacHyperparameters({}));

// ---- hyperparameters that cannot work together ----

/** What a compatibility check may compare the hyperparameters with. */
export interface TrainingBudget {
  /** Environment steps per seed (train.steps). */
  totalSteps: number;
}

const field = (name: string) => `${HYPERPARAMETER_PREFIX}${name}`;

/** A PPO minibatch is drawn from one rollout, so it cannot be larger than the rollout. */
function checkPpoCompatibility(hp: Pick<PpoHyperparameters, 'batchSize' | 'nSteps' | 'numEnvs'>): void {
  const rollout = hp.nSteps * hp.numEnvs;
  if (hp.batchSize > rollout) {
    throw new UserError(
      `${field('batchSize')}: ${hp.batchSize} is larger than the rollout (nSteps ${hp.nSteps} x numEnvs ${hp.numEnvs} = ${rollout}); ` +
        `use a batchSize of at most ${rollout} or raise nSteps`,
    );
  }
}

/**
 * DQN and SAC learn only after learningStarts steps, on calls (vector steps) that are multiples of
 * trainFreq, from batches of a buffer of bufferSize transitions: each must be possible within
 * train.steps, or training silently does nothing (no update).
 */
function checkOffPolicySchedule(algo: string, hp: Pick<DqnHyperparameters, 'learningStarts' | 'numEnvs' | 'trainFreq' | 'batchSize' | 'bufferSize'>, budget: TrainingBudget): void {
  const { totalSteps } = budget;
  if (hp.learningStarts >= totalSteps) {
    throw new UserError(`${field('learningStarts')}: ${hp.learningStarts} is at or beyond train.steps (${totalSteps}), so ${algo} would never learn; lower it or train longer`);
  }
  // Learning happens on call c (after c * numEnvs steps) when c * numEnvs > learningStarts and c % trainFreq == 0.
  const calls = Math.ceil(totalSteps / hp.numEnvs);
  const firstLearningCall = Math.ceil((Math.floor(hp.learningStarts / hp.numEnvs) + 1) / hp.trainFreq) * hp.trainFreq;
  if (firstLearningCall > calls) {
    throw new UserError(
      `${field('trainFreq')}: ${hp.trainFreq} vector steps between updates leaves no update between learningStarts (${hp.learningStarts}) and train.steps (${totalSteps}); lower it or train longer`,
    );
  }
  if (hp.batchSize > hp.bufferSize) {
    throw new UserError(`${field('batchSize')}: ${hp.batchSize} is larger than bufferSize (${hp.bufferSize}); use a batchSize of at most ${hp.bufferSize} or a larger buffer`);
  }
}

/** DQN's schedule, and its target network must be refreshed within train.steps or it regresses on the initial network. */
function checkDqnCompatibility(hp: DqnHyperparameters, budget: TrainingBudget): void {
  checkOffPolicySchedule('DQN', hp, budget);
  if (hp.targetUpdateInterval >= budget.totalSteps) {
    throw new UserError(`${field('targetUpdateInterval')}: ${hp.targetUpdateInterval} is at or beyond train.steps (${budget.totalSteps}), so the target network would never be updated; lower it or train longer`);
  }
}

// ---- training.csv ----

/**
 * training.csv's columns, in this order: a stable contract (README "Results"). Every algorithm
 * writes all of them; a column it does not fill is NaN (the dose columns: empty for an env that
 * delivers no dose). An algorithm with new quantities adds its columns at the end of this list.
 */
export const TRAINING_COLUMNS = [
  'seed', 'update', 'steps', 'episodes', 'episode_return', 'episode_length', 'episode_cost',
  'loss_policy', 'loss_value', 'loss_entropy', 'loss_q', 'approx_kl', 'clip_fraction', 'entropy',
  'learning_rate', 'exploration_rate', 'lagrange', 'cost_rate', 'steps_per_s',
  'dose_mean', 'dose_sd', 'action_mean', 'entropy_coef',
] as const;

export type TrainingColumn = (typeof TRAINING_COLUMNS)[number];

/** NaN for a missing or non-finite number (an empty mean, e.g. before the first episode ends). */
const finite = (x: number | undefined): number => (x === undefined || !Number.isFinite(x) ? Number.NaN : x);

const PPO_COLUMNS = {
  loss_policy: (s) => finite(s.losses['policy']),
  loss_value: (s) => finite(s.losses['value']),
  loss_entropy: (s) => finite(s.losses['entropy']),
  approx_kl: (s) => finite(s.losses['approxKl']),
  clip_fraction: (s) => finite(s.losses['clipFraction']),
  entropy: (s) => finite(s.entropy),
} satisfies TrainingColumns;

type TrainingColumns = Partial<Record<TrainingColumn, (stats: UpdateStats) => number>>;

// ---- the table ----

export type ActionSpaceKind = 'discrete' | 'box';

export interface AlgorithmSpec<H = Record<string, unknown>> {
  /** The `train.algo` value, the method name in results and `algorithm` in checkpoints. */
  name: string;
  description: string;
  /** The hyperparameters: one documented zod object, defaults filled in by `parseHyperparameters`. */
  schema: z.ZodType;
  /** Validate `train.hyperparameters` (defaults filled in); errors name the field. */
  parseHyperparameters(raw: unknown): H;
  /** The action spaces it can act in. */
  actionSpaces: readonly ActionSpaceKind[];
  /** Needs an episode cost budget (`TrainOptions.costLimit`, resolved by the run plan). */
  needsCostBudget: boolean;
  /** Its training.csv columns beyond the common ones (seed, steps, episode statistics, learning rate, cost rate). */
  trainingColumns: TrainingColumns;
  /** Throws a UserError naming the field when hyperparameters cannot work together or with the budget. */
  checkCompatibility(hp: H, budget: TrainingBudget): void;
  /** Train on `env`; imports the algorithm's module (and TensorFlow.js) on first use. */
  train(env: EnvInput, options: TrainOptions): Promise<TrainedPolicy>;
}

function row<const N extends string, S extends z.ZodType<Record<string, unknown>>>(
  spec: Omit<AlgorithmSpec<z.infer<S>>, 'name' | 'schema' | 'parseHyperparameters'> & { name: N; schema: S },
): AlgorithmSpec<z.infer<S>> & { name: N } {
  return { ...spec, parseHyperparameters: (raw) => parseWithSchema(spec.schema, raw ?? {}, HYPERPARAMETER_PREFIX) };
}

export const ALGORITHMS = [
  row({
    name: 'ppo',
    description: 'Proximal Policy Optimization with GAE (Schulman et al. 2017), Stable-Baselines3 defaults',
    schema: ppoSchema,
    actionSpaces: ['discrete', 'box'],
    needsCostBudget: false,
    trainingColumns: PPO_COLUMNS,
    checkCompatibility: (hp) => checkPpoCompatibility(hp),
    train: async (env, options) => (await import('./ppo.ts')).train(env, options),
  }),
  row({
    name: 'dqn',
    description: 'Deep Q-Network (Mnih et al. 2015), double-Q targets and an optional dueling head',
    schema: dqnSchema,
    actionSpaces: ['discrete'],
    needsCostBudget: false,
    trainingColumns: {
      loss_q: (s) => finite(s.losses['q']),
      exploration_rate: (s) => finite(s.explorationRate),
    },
    checkCompatibility: checkDqnCompatibility,
    train: async (env, options) => (await import('./dqn.ts')).train(env, options),
  }),
  row({
    name: 'ppo-lagrangian',
    description: 'PPO on the Lagrangian of an episode cost budget (Ray, Achiam & Amodei 2019)',
    schema: ppoLagrangianSchema,
    actionSpaces: ['discrete', 'box'],
    needsCostBudget: true,
    trainingColumns: {
      ...PPO_COLUMNS,
      lagrange: (s) => finite((s as { lagrange?: number }).lagrange),
      // The cost rate since the start of training (the common column: of the recent episodes).
      cost_rate: (s) => finite((s as { costRate?: number }).costRate),
    },
    checkCompatibility: (hp) => checkPpoCompatibility(hp),
    // The trainer gives the budget the plan resolved; train() checks it is there.
    train: async (env, options) => (await import('./ppo-lagrangian.ts')).train(env, options as PpoLagrangianTrainOptions),
  }),
  row({
    name: 'sac',
    description: 'Soft Actor-Critic (Haarnoja et al. 2018): squashed Gaussian actor, twin critics, automatic entropy tuning',
    schema: sacSchema,
    actionSpaces: ['box'],
    needsCostBudget: false,
    trainingColumns: {
      loss_q: (s) => finite(s.losses['q']),
      loss_policy: (s) => finite(s.losses['policy']),
      entropy: (s) => finite(s.entropy),
      entropy_coef: (s) => finite((s as { entropyCoef?: number }).entropyCoef),
    },
    checkCompatibility: (hp, budget) => checkOffPolicySchedule('SAC', hp, budget),
    train: async (env, options) => (await import('./sac.ts')).train(env, options),
  }),
] as const;

export type AlgorithmName = (typeof ALGORITHMS)[number]['name'];

export const ALGORITHM_NAMES: readonly [AlgorithmName, ...AlgorithmName[]] = [ALGORITHMS[0].name, ...ALGORITHMS.slice(1).map((a) => a.name)];

export function isAlgorithmName(name: unknown): name is AlgorithmName {
  return typeof name === 'string' && (ALGORITHM_NAMES as readonly string[]).includes(name);
}

/** The table's row for `name`; an unknown name is a UserError listing the algorithms. */
export function algorithm(name: string, where = 'train.algo'): AlgorithmSpec {
  const spec = ALGORITHMS.find((a) => a.name === name);
  if (spec === undefined) throw new UserError(`${where}: unknown algorithm '${name}'; allowed: ${ALGORITHM_NAMES.join(', ')}`);
  return spec as AlgorithmSpec;
}

/**
 * One training.csv row: the common columns, then the algorithm's own (NaN where it has none; the
 * dose columns null, an empty cell, where the env delivers no dose).
 */
export function trainingRow(algo: AlgorithmSpec, seed: number, s: UpdateStats): Record<TrainingColumn, number | null> {
  const out = Object.fromEntries(TRAINING_COLUMNS.map((c) => [c, Number.NaN])) as Record<TrainingColumn, number | null>;
  Object.assign(out, {
    seed,
    update: s.update,
    steps: s.steps,
    episodes: s.episodes,
    episode_return: finite(s.recentReturn),
    episode_length: finite(s.recentLength),
    episode_cost: finite(s.recentCost),
    learning_rate: s.learningRate,
    // Mean episode cost / mean episode length of the recent episodes.
    cost_rate: finite(s.recentCost / s.recentLength),
    steps_per_s: Math.round(s.stepsPerSecond),
    dose_mean: s.doseMean,
    dose_sd: s.doseSd,
    action_mean: finite(s.actionMean),
  });
  for (const [column, value] of Object.entries(algo.trainingColumns)) out[column as TrainingColumn] = (value as (s: UpdateStats) => number)(s);
  return out;
}
