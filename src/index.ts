/**
 * DoseGym's public API: `import { make } from 'dosegym'` (README "Use as a library"). Everything a
 * user outside the checkout may rely on is exported here by name; anything else is internal and may
 * change. Importing this module registers the built-in environments and loads neither TensorFlow.js
 * nor vega: the algorithm table's `train` loads TensorFlow.js when training starts, `runExperiment`
 * loads the runner when called, and `dosegym/agents` (src/agents.ts) holds what needs TensorFlow.js
 * at import: each algorithm's `train` by name, trained policies (`loadPolicy`, `savePolicy`) and the
 * backend choice.
 */
import '../envs/index.ts';
import type { ExperimentConfig } from './config/experiment.ts';
import { packageVersion } from './core/package.ts';
import type { RunFlags, RunResult, Stage } from './run/run.ts';

/** This package's version (package.json). */
export const VERSION = packageVersion();

// ---- environments: the Gymnasium-style contract, the registry, spaces, wrappers, vector envs ----
export { make, register, listEnvs, describeEnv, envSpec, type EnvFactory, type EnvOptions, type EnvSpec } from './core/registry.ts';
export {
  BaseEnv,
  type Env,
  type Observation,
  type Action,
  type Info,
  type ResetArgs,
  type ResetResult,
  type StepResult,
  type EnvMetadata,
  type StepDuration,
} from './core/env.ts';
export { Box, Discrete, spaceFromJSON, spacesEqual, type Space, type SpaceJSON, type BoxValue } from './core/spaces.ts';
export { Wrapper, TimeLimit, RecordEpisodeStatistics, RunningMeanStd, type EpisodeStatistics } from './core/wrappers.ts';
export { SyncVectorEnv, type VectorEnv, type VectorResetResult, type VectorStepResult } from './core/vector.ts';
export { AsyncVectorEnv, type AsyncVectorEnvOptions } from './core/async-vector.ts';
export { checkEnv, CheckEnvError, type CheckEnvOptions, type CheckEnvReport } from './core/check-env.ts';
export { Rng } from './core/rng.ts';
export { UserError, EnvContractError } from './core/errors.ts';
export { runEpisode, type EpisodeLog } from './core/episode.ts';
export type { Policy, ActContext } from './core/policy.ts';
/** Patient families: each family's baselines (`makeBaseline`), metrics (`episodeMetrics`), constraints and shield. */
export { familyOf, listFamilies, type Family } from './core/family.ts';

// ---- the built-in patients ----
export { T1D_ENV_ID, T1D_DEFAULTS, T1D_ACTION_MODES, T1DEnv, type T1DOptions } from '../envs/glucose/t1d-env.ts';
export { PATIENT_NAMES, COHORTS, getPatient, type PatientParams } from '../envs/glucose/patient.ts';
export { THERAPY_DEFAULTS, type TherapyOptions } from '../envs/glucose/therapy.ts';
export { DEPILLIS_ENV_ID, DEPILLIS_DEFAULTS, DTRBENCH_SETTINGS, DePillisEnv } from '../envs/chemo/depillis-env.ts';
export { ZHAO_ENV_ID, ZHAO_DEFAULTS, ZhaoEnv } from '../envs/chemo/zhao-env.ts';
export { CartPoleEnv } from '../envs/classic/cartpole.ts';
export { PendulumEnv } from '../envs/classic/pendulum.ts';

// ---- clinical baselines ----
export {
  glucoseBaseline,
  GLUCOSE_BASELINES,
  BasalBolusPolicy,
  PidPolicy,
  ConstantPolicy,
  SchedulePolicy,
  type GlucoseBaselineSpec,
  type BasalBolusOptions,
  type PidOptions,
  type ScheduleStep,
} from '../agents/baselines/glucose/index.ts';
/** Chemotherapy dose schedules: `chemo.mtd(target)`, `chemo.metronomic(target, dose)`, ... (agents/baselines/chemo.ts). */
export * as chemo from '../agents/baselines/chemo.ts';

// ---- metrics ----
export {
  glucoseMetrics,
  risk,
  riskComponents,
  cvgaZone,
  gmiPercent,
  hypoglycaemiaEvents,
  eventsPerWeek,
  tirPlannedPercent,
  type GlucoseMetrics,
  type CvgaZone,
} from './metrics/glucose.ts';
export { dePillisOutcomes, zhaoOutcomes, type DePillisOutcomes, type ZhaoOutcomes } from './metrics/chemo.ts';

// ---- safety: constraint costs and shields, wrappers on the env's side ----
export { ConstraintCost, makeConstraintCost, constraintsFor, Shield, makeShield, resolveShieldOptions, T1DShield, ChemoShield } from './safety/index.ts';

// ---- agents: the algorithm table (each row's `train` loads TensorFlow.js on first use; dosegym/agents has the rest) ----
export {
  ALGORITHMS,
  ALGORITHM_NAMES,
  algorithm,
  PPO_DEFAULTS,
  DQN_DEFAULTS,
  type AlgorithmName,
  type AlgorithmSpec,
  type PpoHyperparametersInput,
  type DqnHyperparametersInput,
} from '../agents/index.ts';
export type { TrainOptions, UpdateStats, EnvInput } from '../agents/common/training.ts';
export type { TrainedPolicy } from '../agents/common/policy.ts';

// ---- experiments: what `dosegym run` does, as a function ----
export { parseExperiment, loadExperimentFile, type ExperimentConfig } from './config/experiment.ts';
export type { RunFlags, RunResult, Stage };

/** Options of `runExperiment`: the flags of `dosegym run`, each optional, with the CLI's defaults. */
export type RunOptions = Partial<RunFlags>;

/**
 * Run an experiment config (a file path or a config object) as `dosegym run` does: train every seed,
 * evaluate every method, write results and the report into a run directory (`options.out`, default
 * results/<name>/<run-id>/). `stages` limits it to e.g. ['train'] (`dosegym train`). Loads the runner
 * (and TensorFlow.js, vega) on first call. Like the CLI, it handles Ctrl-C by marking the run
 * incomplete and exiting the process with code 130.
 */
export async function runExperiment(config: string | ExperimentConfig, options: RunOptions = {}, stages?: readonly Stage[]): Promise<RunResult> {
  const runner = await import('./run/run.ts');
  return runner.runExperiment(config, { jobs: 1, backend: 'auto', quiet: false, resume: false, force: false, ...options }, stages);
}
