/**
 * Proof of learning on classic control: trains PPO / DQN on CartPole-v1 and PPO / SAC on Pendulum-v1 for
 * the given seeds and steps, evaluates the policy on 20 deterministic episodes (fresh env, seeds
 * 100000 + i) every `--eval-every` steps and at the end, prints one line per run and writes a JSON
 * summary with the learning and evaluation curves. Both the final evaluation and the best one within
 * the budget (SB3 zoo's EvalCallback keeps the best model the same way) are reported; the verdict
 * says which one met the target.
 *
 *   npx tsx scripts/train-classic.ts                       # all four, seeds 1 2 3
 *   npx tsx scripts/train-classic.ts --run ppo-cartpole --seeds 1 --steps 50000
 *
 * Hyperparameters are those of rl-baselines3-zoo for these tasks (allowed for the learning
 * targets; the throughput benchmark in bench/agents.ts uses SB3's defaults); SAC uses DoseGym's
 * defaults (agents/index.ts) with the zoo's learning rate. Targets: PPO CartPole >= 475 within 100k
 * steps on 3 seeds; DQN CartPole >= 475 within 100k on 2 of 3; PPO Pendulum >= -250 within 300k on
 * 3 seeds; SAC Pendulum >= -200 on 3 seeds.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import '../envs/index.ts';
import { make } from '../src/core/registry.ts';
import { writeJsonAtomic } from '../src/io/atomic.ts';
import { initBackend, type BackendName } from '../agents/common/backend.ts';
import { savePolicy } from '../agents/common/checkpoint.ts';
import type { UpdateStats } from '../agents/common/training.ts';
import type { TrainedPolicy } from '../agents/common/policy.ts';
import { algorithm, type AlgorithmName } from '../agents/index.ts';
import type { Action, Observation } from '../src/core/env.ts';
import type { Policy } from '../src/core/policy.ts';
import { join } from 'node:path';

interface RunPreset {
  algorithm: AlgorithmName;
  envId: string;
  steps: number;
  /** Mean evaluation return to reach. */
  target: number;
  /** How many of the seeds must reach it. */
  seedsRequired: 'all' | number;
  hyperparameters: Record<string, unknown>;
}

export const PRESETS: Record<string, RunPreset> = {
  // rl-baselines3-zoo ppo.yml CartPole-v1 (its linear clip-range schedule is not implemented: constant 0.2).
  'ppo-cartpole': {
    algorithm: 'ppo',
    envId: 'CartPole-v1',
    steps: 100_000,
    target: 475,
    seedsRequired: 'all',
    hyperparameters: { numEnvs: 8, nSteps: 32, batchSize: 256, gaeLambda: 0.8, gamma: 0.98, nEpochs: 20, entCoef: 0, learningRate: 1e-3, annealLr: true, clipRange: 0.2 },
  },
  // rl-baselines3-zoo dqn.yml CartPole-v1, with its budget n_timesteps = 5e4 (within the 100k target):
  // its exploration schedule (16% of the run) is tuned for that length. doubleQ false = SB3's DQN,
  // for which these values were tuned (with double-Q targets the final policy met 475 on 1 of 3 seeds).
  'dqn-cartpole': {
    algorithm: 'dqn',
    envId: 'CartPole-v1',
    steps: 50_000,
    target: 475,
    seedsRequired: 2,
    hyperparameters: {
      learningRate: 2.3e-3,
      batchSize: 64,
      bufferSize: 100_000,
      learningStarts: 1000,
      gamma: 0.99,
      targetUpdateInterval: 10,
      trainFreq: 256,
      gradientSteps: 128,
      explorationFraction: 0.16,
      explorationFinalEps: 0.04,
      netArch: [256, 256],
      doubleQ: false,
    },
  },
  // rl-baselines3-zoo ppo.yml Pendulum-v1 without gSDE, plus linear learning-rate annealing (CleanRL's
  // default): without gSDE's state-dependent exploration the constant 1e-3 step size lets a good
  // policy drift away late in training (seed 3 ended at -726 after ~-200 for most of the run).
  'ppo-pendulum': {
    algorithm: 'ppo',
    envId: 'Pendulum-v1',
    steps: 300_000,
    target: -250,
    seedsRequired: 'all',
    hyperparameters: { numEnvs: 4, nSteps: 1024, gaeLambda: 0.95, gamma: 0.9, nEpochs: 10, entCoef: 0, learningRate: 1e-3, annealLr: true, clipRange: 0.2 },
  },
  // DoseGym's SAC defaults (chosen for throughput, agents/index.ts) with rl-baselines3-zoo's
  // sac.yml Pendulum-v1 learning rate and budget (1e-3, 20k steps).
  'sac-pendulum': {
    algorithm: 'sac',
    envId: 'Pendulum-v1',
    steps: 20_000,
    target: -200,
    seedsRequired: 'all',
    hyperparameters: { learningRate: 1e-3 },
  },
};

export interface EvalResult {
  mean: number;
  std: number;
  returns: number[];
}

/** Mean return of `episodes` deterministic episodes on a fresh env (seeds 100000 + i). */
export function evaluate(policy: Policy<Observation, Action>, envId: string, episodes = 20): EvalResult {
  const env = make(envId);
  const returns: number[] = [];
  for (let i = 0; i < episodes; i++) {
    let { observation, info } = env.reset({ seed: 100_000 + i });
    policy.reset?.(info);
    let total = 0;
    for (;;) {
      const r = env.step(policy.act(observation as Observation, { deterministic: true, info }) as Action);
      total += r.reward;
      observation = r.observation;
      info = r.info;
      if (r.terminated || r.truncated) break;
    }
    returns.push(total);
  }
  env.close();
  const mean = returns.reduce((a, b) => a + b, 0) / episodes;
  const std = Math.sqrt(returns.reduce((a, b) => a + (b - mean) ** 2, 0) / episodes);
  return { mean, std, returns };
}

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .option('run', { type: 'array', string: true, choices: Object.keys(PRESETS), default: Object.keys(PRESETS), describe: 'presets to train' })
    .option('seeds', { type: 'array', number: true, default: [1, 2, 3] })
    .option('steps', { type: 'number', describe: 'override the preset step budget' })
    .option('episodes', { type: 'number', default: 20 })
    .option('backend', { type: 'string', choices: ['auto', 'wasm', 'cpu', 'node', 'node-gpu'], default: 'auto' })
    .option('out', { type: 'string', default: 'results/agents-classic.json' })
    .option('save-dir', { type: 'string', describe: 'also save each final policy checkpoint under this directory' })
    .option('eval-every', { type: 'number', default: 10_000, describe: 'evaluate every this many env steps (0 = only at the end)' })
    .strict()
    .parse();
  const backend = await initBackend(argv.backend as BackendName);
  const runs: Record<string, unknown>[] = [];
  const verdicts: Record<string, unknown> = {};
  for (const name of argv.run as string[]) {
    const preset = PRESETS[name] as RunPreset;
    const steps = argv.steps ?? preset.steps;
    const finals: number[] = [];
    const bests: number[] = [];
    for (const seed of argv.seeds as number[]) {
      const curve: { steps: number; recentReturn: number; stepsPerSecond: number }[] = [];
      const evalCurve: { steps: number; mean: number; std: number }[] = [];
      let nextEval = argv['eval-every'] > 0 ? argv['eval-every'] : Infinity;
      const onUpdate = (s: UpdateStats, live: TrainedPolicy) => {
        curve.push({ steps: s.steps, recentReturn: s.recentReturn, stepsPerSecond: s.stepsPerSecond });
        if (s.steps >= nextEval && s.steps < s.totalSteps) {
          nextEval += argv['eval-every'];
          const ev = evaluate(live, preset.envId, argv.episodes);
          evalCurve.push({ steps: s.steps, mean: ev.mean, std: ev.std });
        }
      };
      const t0 = performance.now();
      const policy = await algorithm(preset.algorithm).train(() => make(preset.envId), { totalSteps: steps, seed, hyperparameters: preset.hyperparameters, backend: argv.backend as BackendName, onUpdate, logInterval: 2500 });
      const seconds = (performance.now() - t0) / 1000;
      const ev = evaluate(policy, preset.envId, argv.episodes);
      evalCurve.push({ steps: policy.totalSteps, mean: ev.mean, std: ev.std });
      const best = evalCurve.reduce((a, b) => (b.mean > a.mean ? b : a));
      finals.push(ev.mean);
      bests.push(best.mean);
      if (argv['save-dir'] !== undefined) savePolicy(join(argv['save-dir'], `${name}-seed${seed}`), policy);
      runs.push({ run: name, algorithm: preset.algorithm, envId: preset.envId, seed, steps: policy.totalSteps, trainSeconds: seconds, stepsPerSecond: policy.totalSteps / seconds, evalMean: ev.mean, evalStd: ev.std, evalReturns: ev.returns, bestEval: best, evalCurve, curve });
      console.log(
        `${name} seed ${seed}: ${policy.totalSteps} steps in ${seconds.toFixed(1)} s (${(policy.totalSteps / seconds).toFixed(0)} steps/s, incl. evaluation); ` +
          `final eval ${ev.mean.toFixed(1)} +- ${ev.std.toFixed(1)}, best ${best.mean.toFixed(1)} at ${best.steps} steps (${argv.episodes} episodes; target ${preset.target})`,
      );
    }
    const required = preset.seedsRequired === 'all' ? finals.length : Math.min(preset.seedsRequired, finals.length);
    const reachedFinal = finals.filter((m) => m >= preset.target).length;
    const reachedBest = bests.filter((m) => m >= preset.target).length;
    verdicts[name] = { target: preset.target, steps, seeds: argv.seeds, required, finalMeans: finals, bestMeans: bests, reachedFinal, reachedBest, metFinal: reachedFinal >= required, metBest: reachedBest >= required };
    console.log(`${name}: final policy ${reachedFinal}/${finals.length} seeds >= ${preset.target}, best evaluation ${reachedBest}/${bests.length} (need ${required}) -> final ${reachedFinal >= required ? 'MET' : 'NOT MET'}, best ${reachedBest >= required ? 'MET' : 'NOT MET'}`);
    writeJsonAtomic(argv.out, { backend, node: process.version, presets: PRESETS, verdicts, runs });
  }
  writeJsonAtomic(argv.out, { backend, node: process.version, presets: PRESETS, verdicts, runs });
  console.log(`wrote ${argv.out}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: Error) => {
    console.error(err.name === 'UserError' ? err.message : err.stack);
    process.exit(1);
  });
}
