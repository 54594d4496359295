/**
 * The hyperparameters of each algorithm: one typed, documented object, defaults equal to
 * Stable-Baselines3 2.x (so throughput and learning comparisons are like for like), validated with
 * zod. Errors name the field: `train.hyperparameters.learningRate: expected a positive number, got -1`.
 */
import { z } from 'zod';
import { parseWithSchema } from '../../src/core/validate.ts';

const positive = (what = 'a positive number') => z.number({ error: `expected ${what}` }).positive({ error: `expected ${what}` });
const positiveInt = () =>
  z.number({ error: 'expected a positive integer' }).int({ error: 'expected a positive integer' }).positive({ error: 'expected a positive integer' });
const nonNegative = () => z.number({ error: 'expected a number >= 0' }).min(0, { error: 'expected a number >= 0' });
const nonNegativeInt = () =>
  z.number({ error: 'expected an integer >= 0' }).int({ error: 'expected an integer >= 0' }).min(0, { error: 'expected an integer >= 0' });
const unit = (what: string) =>
  z.number({ error: `expected ${what}` }).min(0, { error: `expected ${what}` }).max(1, { error: `expected ${what}` });
const netArch = () => z.array(positiveInt(), { error: 'expected a list of positive integers, e.g. [64, 64]' }).min(1, { error: 'expected at least one hidden layer' });
const activation = () => z.enum(['tanh', 'relu'], { error: "expected 'tanh' or 'relu'" });
const bool = () => z.boolean({ error: 'expected true or false' });

export const ppoSchema = z.strictObject({
  /** Adam step size (SB3 learning_rate). */
  learningRate: positive().default(3e-4),
  /** Linearly anneal the learning rate to 0 over training (CleanRL's anneal_lr; SB3 default: constant). */
  annealLr: bool().default(false),
  /** Environment steps per env per rollout (SB3 n_steps); a rollout holds nSteps * numEnvs transitions. */
  nSteps: positiveInt().default(2048),
  /** Parallel environments in the SyncVectorEnv (when `train` is given one factory). */
  numEnvs: positiveInt().default(1),
  /** Minibatch size (SB3 batch_size). */
  batchSize: positiveInt().default(64),
  /** Passes over each rollout (SB3 n_epochs). */
  nEpochs: positiveInt().default(10),
  /** Discount factor. */
  gamma: unit('a number in [0, 1]').default(0.99),
  /** GAE(lambda) (Schulman et al. 2016). */
  gaeLambda: unit('a number in [0, 1]').default(0.95),
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
  /** Initial log standard deviation of the Gaussian policy (Box actions). */
  logStdInit: z.number({ error: 'expected a number' }).default(0),
  /** Adam epsilon (SB3 sets 1e-5 for its actor-critic policies). */
  adamEps: positive().default(1e-5),
  /** Normalise observations with running statistics (saved with the policy; SB3 parity: off). */
  normalizeObservations: bool().default(false),
});

export const dqnSchema = z.strictObject({
  learningRate: positive().default(1e-4),
  /** Replay buffer capacity in transitions. */
  bufferSize: positiveInt().default(1_000_000),
  /** Environment steps with uniformly random actions before learning starts. */
  learningStarts: nonNegativeInt().default(100),
  batchSize: positiveInt().default(32),
  /** Target update coefficient: 1 = hard copy, < 1 = Polyak averaging. */
  tau: z.number({ error: 'expected a number in (0, 1]' }).gt(0, { error: 'expected a number in (0, 1]' }).max(1, { error: 'expected a number in (0, 1]' }).default(1.0),
  gamma: unit('a number in [0, 1]').default(0.99),
  /** Train every this many environment steps (per env). */
  trainFreq: positiveInt().default(4),
  /** Gradient steps per training round. */
  gradientSteps: positiveInt().default(1),
  /** Update the target network every this many environment steps. */
  targetUpdateInterval: positiveInt().default(10_000),
  /** Fraction of training over which epsilon decays linearly. */
  explorationFraction: unit('a number in [0, 1]').default(0.1),
  explorationInitialEps: unit('a number in [0, 1]').default(1.0),
  explorationFinalEps: unit('a number in [0, 1]').default(0.05),
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

export type PpoHyperparameters = z.infer<typeof ppoSchema>;
export type DqnHyperparameters = z.infer<typeof dqnSchema>;
export type PpoHyperparametersInput = z.input<typeof ppoSchema>;
export type DqnHyperparametersInput = z.input<typeof dqnSchema>;

export const HYPERPARAMETER_PREFIX = 'train.hyperparameters.';

/** Validate user hyperparameters (missing fields take SB3's defaults). */
export function parsePpoHyperparameters(raw: unknown = {}, prefix = HYPERPARAMETER_PREFIX): PpoHyperparameters {
  return parseWithSchema(ppoSchema, raw ?? {}, prefix);
}

export function parseDqnHyperparameters(raw: unknown = {}, prefix = HYPERPARAMETER_PREFIX): DqnHyperparameters {
  return parseWithSchema(dqnSchema, raw ?? {}, prefix);
}

export const PPO_DEFAULTS: Readonly<PpoHyperparameters> = Object.freeze(parsePpoHyperparameters({}));
export const DQN_DEFAULTS: Readonly<DqnHyperparameters> = Object.freeze(parseDqnHyperparameters({}));
