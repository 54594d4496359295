/**
 * Soft Actor-Critic's training throughput (env steps per second, learning included) on the wasm
 * backend, by network width, batch size and gradient steps per env step, to choose defaults that
 * fit a T1D config's budget (agents/sac.ts, BENCHMARKS.md). Pendulum-v1 (a cheap env, so the
 * figure is SAC's own cost) for every setting, and T1D-v0 (adult#001, Dexcom) at the defaults.
 *
 * Each setting trains from seed 1 with learningStarts 100 and is timed from the first report after
 * learning has run for 50 steps to the end, over `GRADIENT_STEPS` gradient steps: wall time and this
 * process's CPU time (user + system; far less sensitive to other load on a shared machine).
 * Run alone: `npx tsx bench/sac.ts`, or `npm run bench -- sac`.
 */
import '../envs/index.ts';
import { make } from '../src/core/registry.ts';
import { initBackend } from '../agents/common/backend.ts';
import { SAC_DEFAULTS } from '../agents/index.ts';
import { train as trainSac } from '../agents/sac.ts';

const GRADIENT_STEPS = 400;
const LEARNING_STARTS = 100;

/** The settings measured: [hidden layers, batch size, trainFreq (env steps per gradient step)]. */
export const SETTINGS: [number[], number, number][] = [
  [[256, 256], 256, 1], // Stable-Baselines3's defaults
  [[256, 256], 128, 1],
  [[128, 128], 256, 1],
  [[128, 128], 128, 1],
  [[64, 64], 256, 1],
  [[64, 64], 128, 1],
  [[64, 64], 64, 1],
  [[64, 64], 128, 2],
  [[64, 64], 128, 4],
  [[128, 128], 256, 4],
];

export interface Throughput {
  wall: number;
  cpu: number;
}

/** Env steps per second of wall and CPU time while learning, for `hyperparameters` on `envId`. */
export async function sacThroughput(envId: string, hyperparameters: Record<string, unknown>, trainFreq: number): Promise<Throughput> {
  const envSteps = LEARNING_STARTS + 50 + GRADIENT_STEPS * trainFreq;
  let mark: { steps: number; wall: number; cpu: NodeJS.CpuUsage } | undefined;
  let end: { steps: number; wall: number; cpu: NodeJS.CpuUsage } | undefined;
  await trainSac(() => make(envId), {
    totalSteps: envSteps,
    seed: 1,
    logInterval: 50,
    hyperparameters: { ...hyperparameters, trainFreq, learningStarts: LEARNING_STARTS },
    onUpdate: (s) => {
      const now = { steps: s.steps, wall: performance.now(), cpu: process.cpuUsage() };
      if (mark === undefined && s.steps >= LEARNING_STARTS + 50) mark = now;
      else end = now;
    },
  });
  if (mark === undefined || end === undefined) throw new Error('bench/sac: no timed window');
  const steps = end.steps - mark.steps;
  const cpu = process.cpuUsage(mark.cpu);
  const cpuEnd = process.cpuUsage(end.cpu);
  const cpuSeconds = (cpu.user + cpu.system - (cpuEnd.user + cpuEnd.system)) / 1e6;
  return { wall: steps / ((end.wall - mark.wall) / 1000), cpu: steps / cpuSeconds };
}

const key = (net: number[], batch: number, trainFreq: number) => `sac_pendulum_${net.join('x')}_b${batch}_g${trainFreq === 1 ? '1' : `1_${trainFreq}`}`;

export async function run(): Promise<Record<string, number>> {
  await initBackend('auto');
  await sacThroughput('Pendulum-v1', { netArch: [64, 64], batchSize: 64 }, 1); // warm-up: first use of every kernel and JIT
  const figures: Record<string, number> = {};
  for (const [netArch, batchSize, trainFreq] of SETTINGS) {
    const r = await sacThroughput('Pendulum-v1', { netArch, batchSize }, trainFreq);
    figures[`${key(netArch, batchSize, trainFreq)}_steps_per_s`] = r.wall;
    figures[`${key(netArch, batchSize, trainFreq)}_steps_per_cpu_s`] = r.cpu;
  }
  const defaults = await sacThroughput('Pendulum-v1', {}, SAC_DEFAULTS.trainFreq);
  figures['sac_pendulum_defaults_steps_per_s'] = defaults.wall;
  figures['sac_pendulum_defaults_steps_per_cpu_s'] = defaults.cpu;
  const t1d = await sacThroughput('T1D-v0', {}, SAC_DEFAULTS.trainFreq);
  figures['sac_t1d_defaults_steps_per_s'] = t1d.wall;
  figures['sac_t1d_defaults_steps_per_cpu_s'] = t1d.cpu;
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const backend = await initBackend('auto');
  const result = await run();
  console.log(JSON.stringify({ backend, ...result }, null, 2));
}
