/**
 * Training throughput of the whole loop (env steps, acting, storage, gradient updates) on
 * CartPole-v1 with Stable-Baselines3's default hyperparameters, against SB3 (PyTorch, 2 threads)
 * measured on this machine kind (BENCHMARKS.md): PPO 898 and DQN 838 env steps/s; and PPO on
 * Pendulum-v1 with its Box-action distributions, the Beta (default) and the clipped Gaussian.
 *
 * PPO: 2 rollouts of 2048 steps (4096 steps, 640 minibatch updates of 64); DQN: 5000 steps
 * (train_freq 4, batch 32, learning_starts 100: ~1225 updates). Median of 3 repetitions each,
 * after one untimed warm-up run (module loading and JIT). Run alone: `npx tsx bench/agents.ts`.
 * SAC's throughput is bench/sac.ts.
 */
import '../envs/index.ts';
import { make } from '../src/core/registry.ts';
import { initBackend } from '../agents/common/backend.ts';
import { train as trainDqn } from '../agents/dqn.ts';
import { train as trainPpo } from '../agents/ppo.ts';

export const SB3_PPO_CARTPOLE_STEPS_PER_S = 898;
export const SB3_DQN_CARTPOLE_STEPS_PER_S = 838;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/**
 * Steps per second of wall time (the headline figure, comparable to SB3's) and of this process's
 * CPU time (user + system): on a shared machine the second is far less sensitive to other load.
 */
async function stepsPerSecond(fn: (seed: number) => Promise<{ totalSteps: number }>, repetitions: number): Promise<{ wall: number[]; cpu: number[] }> {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < repetitions; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const policy = await fn(r + 1);
    wall.push(policy.totalSteps / ((performance.now() - t0) / 1000));
    const c = process.cpuUsage(c0);
    cpu.push(policy.totalSteps / ((c.user + c.system) / 1e6));
  }
  return { wall, cpu };
}

export async function run(options: { repetitions?: number } = {}): Promise<Record<string, number>> {
  const repetitions = options.repetitions ?? 3;
  await initBackend('auto');
  const cartpole = () => make('CartPole-v1');
  const ppo = (seed: number) => trainPpo(cartpole, { totalSteps: 4096, seed });
  const dqn = (seed: number) => trainDqn(cartpole, { totalSteps: 5000, seed });

  // Warm-up (not timed): first use of every kernel and JIT compilation.
  await trainPpo(cartpole, { totalSteps: 256, seed: 0, hyperparameters: { nSteps: 256 } });
  await trainDqn(cartpole, { totalSteps: 500, seed: 0 });

  const ppoRuns = await stepsPerSecond(ppo, repetitions);
  const dqnRuns = await stepsPerSecond(dqn, repetitions);
  const pendulum = (distribution: string) => (seed: number) => trainPpo(() => make('Pendulum-v1'), { totalSteps: 4096, seed, hyperparameters: { distribution } });
  const betaRuns = await stepsPerSecond(pendulum('beta'), repetitions);
  const gaussianRuns = await stepsPerSecond(pendulum('gaussian-clip'), repetitions);
  const ppoRate = median(ppoRuns.wall);
  const dqnRate = median(dqnRuns.wall);
  return {
    ppo_cartpole_steps_per_s: ppoRate,
    dqn_cartpole_steps_per_s: dqnRate,
    sb3_ppo_cartpole_steps_per_s: SB3_PPO_CARTPOLE_STEPS_PER_S,
    sb3_dqn_cartpole_steps_per_s: SB3_DQN_CARTPOLE_STEPS_PER_S,
    ppo_cartpole_speedup_vs_sb3: ppoRate / SB3_PPO_CARTPOLE_STEPS_PER_S,
    dqn_cartpole_speedup_vs_sb3: dqnRate / SB3_DQN_CARTPOLE_STEPS_PER_S,
    ppo_cartpole_steps_per_s_min: Math.min(...ppoRuns.wall),
    ppo_cartpole_steps_per_s_max: Math.max(...ppoRuns.wall),
    dqn_cartpole_steps_per_s_min: Math.min(...dqnRuns.wall),
    dqn_cartpole_steps_per_s_max: Math.max(...dqnRuns.wall),
    ppo_cartpole_steps_per_cpu_s: median(ppoRuns.cpu),
    dqn_cartpole_steps_per_cpu_s: median(dqnRuns.cpu),
    ppo_pendulum_beta_steps_per_s: median(betaRuns.wall),
    ppo_pendulum_gaussian_clip_steps_per_s: median(gaussianRuns.wall),
    ppo_pendulum_beta_steps_per_cpu_s: median(betaRuns.cpu),
    ppo_pendulum_gaussian_clip_steps_per_cpu_s: median(gaussianRuns.cpu),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const backend = await initBackend('auto');
  const result = await run();
  console.log(JSON.stringify({ backend, ...result }, null, 2));
}
