/** Dispatches training to the configured algorithm of the table (agents/index.ts). */
import { UserError } from '../core/errors.ts';
import type { Action, Env, Observation } from '../core/env.ts';
import { algorithm } from '../../agents/index.ts';
import type { BackendName } from '../../agents/common/backend.ts';
import type { TrainedPolicy } from '../../agents/common/policy.ts';
import type { UpdateStats } from '../../agents/common/training.ts';
import type { ExperimentPlan } from './plan.ts';

export interface TrainerOptions {
  seed: number;
  backend: BackendName;
  onUpdate: (stats: UpdateStats) => void;
}

export async function trainAgent(plan: ExperimentPlan, envFactory: () => Env<Observation, Action>, options: TrainerOptions): Promise<TrainedPolicy> {
  const { algo, steps, hyperparameters } = plan.config.train;
  if (algo === 'none') throw new UserError(`train.algo: '${algo}' trains nothing; evaluate baselines with dosegym evaluate`);
  const { reward } = plan.config.env;
  // The table's train loads the algorithm (and TensorFlow.js) on demand: baselines-only runs never do.
  return algorithm(algo).train(envFactory, {
    totalSteps: steps,
    seed: options.seed,
    hyperparameters,
    backend: options.backend,
    onUpdate: options.onUpdate,
    ...(plan.costLimit !== undefined ? { costLimit: plan.costLimit } : {}),
    // The family's delivered dose (src/core/family.ts), for training.csv's dose columns.
    ...(plan.family.dose !== undefined ? { deliveredDose: plan.family.dose.read } : {}),
    rewardSource: reward !== undefined ? `env.reward ${JSON.stringify(reward)}` : `the reward of ${plan.config.env.id}`,
  });
}
