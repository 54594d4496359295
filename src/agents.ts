/**
 * `dosegym/agents`: each algorithm's `train` by name, trained policies and the TensorFlow.js backend
 * choice. Importing it loads TensorFlow.js (a trained policy acts on a typed-array copy of its
 * weights, but its module shares the network code); the main entry (src/index.ts) does not, and
 * reaches the same `train` functions lazily through the algorithm table
 * (`algorithm('ppo').train(env, options)`).
 */
export { train as trainPpo } from '../agents/ppo.ts';
export { train as trainDqn } from '../agents/dqn.ts';
export { train as trainPpoLagrangian, type PpoLagrangianTrainOptions } from '../agents/ppo-lagrangian.ts';
export { initBackend, backendName, BACKEND_NAMES, type BackendName } from '../agents/common/backend.ts';
export type { TrainOptions, UpdateStats, EnvInput } from '../agents/common/training.ts';
export { TrainedPolicy } from '../agents/common/policy.ts';
export { loadPolicy, savePolicy } from '../agents/common/checkpoint.ts';
