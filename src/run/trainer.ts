/** Dispatches training to the configured algorithm (agents/ppo.ts, agents/dqn.ts). */
import { UserError } from '../core/errors.ts';
import type { Action, Env, Observation } from '../core/env.ts';
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
  const common = { totalSteps: steps, seed: options.seed, hyperparameters, backend: options.backend, onUpdate: options.onUpdate };
  switch (algo) {
    // Loaded on demand: baselines-only runs never load TensorFlow.js. The agents export `train`
    // (agents/ppo.ts, agents/dqn.ts), the same entry point their own tests use.
    case 'ppo':
      return (await import('../../agents/ppo.ts')).train(envFactory, common);
    case 'ppo-lagrangian':
      return (await import('../../agents/ppo-lagrangian.ts')).train(envFactory, { ...common, ...(plan.costLimit !== undefined ? { costLimit: plan.costLimit } : {}) });
    case 'dqn':
      return (await import('../../agents/dqn.ts')).train(envFactory, common);
    default:
      throw new UserError(`train.algo: '${algo}' trains nothing; evaluate baselines with dosegym evaluate`);
  }
}
