/** Dispatches training to the configured algorithm of the table (agents/index.ts). */
import { UserError } from '../core/errors.ts';
import type { Action, Env, Observation } from '../core/env.ts';
import { algorithm } from '../../agents/index.ts';
import type { BackendName } from '../../agents/common/backend.ts';
import type { TrainedPolicy } from '../../agents/common/policy.ts';
import type { InitialPolicy } from '../../agents/common/learner.ts';
import type { UpdateStats } from '../../agents/common/training.ts';
import type { CheckpointOptions } from '../../agents/common/training-state.ts';
import type { ExperimentPlan } from './plan.ts';

export interface TrainerOptions {
  seed: number;
  backend: BackendName;
  onUpdate: (stats: UpdateStats) => void;
  /** The saved policy to start from (train.init), loaded. */
  init?: InitialPolicy | undefined;
  /** Training checkpoints (train.checkpointEvery) and the one to continue from. */
  checkpoint?: CheckpointOptions | undefined;
}

export async function trainAgent(plan: ExperimentPlan, envFactory: () => Env<Observation, Action>, options: TrainerOptions): Promise<TrainedPolicy> {
  const { algo, steps, hyperparameters } = plan.config.train;
  if (algo === 'none') throw new UserError(`train.algo: '${algo}' trains nothing; evaluate baselines with dosegym evaluate`);
  const { reward } = plan.config.env;
  // The table's train loads the algorithm (and TensorFlow.js) on demand: baselines-only runs never do.
  const policy = await algorithm(algo).train(envFactory, {
    totalSteps: steps,
    seed: options.seed,
    hyperparameters,
    backend: options.backend,
    onUpdate: options.onUpdate,
    ...(plan.costLimit !== undefined ? { costLimit: plan.costLimit } : {}),
    // The family's delivered dose (src/core/family.ts), for training.csv's dose columns.
    ...(plan.family.dose !== undefined ? { deliveredDose: plan.family.dose.read } : {}),
    rewardSource: reward !== undefined ? `env.reward ${JSON.stringify(reward)}` : `the reward of ${plan.config.env.id}`,
    ...(options.init !== undefined ? { init: options.init } : {}),
    ...(options.checkpoint !== undefined ? { checkpoint: options.checkpoint } : {}),
  });
  // Every agent starts from TrainOptions.init through createLearner (agents/common/learner.ts); one
  // that did not would have trained from fresh weights while the run says otherwise.
  // (Loaded here, as the agents load TensorFlow.js: only when something trains.)
  if (options.init !== undefined && (await import('../../agents/common/learner.ts')).initialSource(policy) !== options.init.source) {
    throw new Error(`${algo}: train() did not start from TrainOptions.init (${options.init.source}); it must pass options.init to createLearner`);
  }
  return policy;
}
