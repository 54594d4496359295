/**
 * Benchmark of the T1D-v0 environment (single thread):
 * - `t1d_env_steps_per_s`: env steps per second with a uniformly random policy, default options
 *   (adolescent#001, Dexcom 3-min steps, noisy CGM, random meals, 1-day episodes with resets);
 *   `simglucose_env_steps_per_s` = 141, simglucose's Gymnasium env measured once on
 *   this machine kind (BENCHMARKS.md says how), and the ratio.
 * - per-patient cost of stepping 30 patients (one env each, common action bound) one after the
 *   other (`single`) vs batched in a SyncVectorEnv (`sync30`, one thread) and in an
 *   AsyncVectorEnv (`async30`, the calling thread plus workers, one per further core), in
 *   microseconds of wall-clock time per patient-step, measured in the same run; the issue asks that
 *   vectorised stepping is not slower per patient. For the AsyncVectorEnv also the CPU time of all
 *   threads per patient-step (the price of the speed: polling threads and per-step hand-over).
 * Medians of several timed rounds after a warm-up (shared 2-core machines vary by 30-40 %).
 */
import { Rng } from '../src/core/rng.ts';
import { SyncVectorEnv } from '../src/core/vector.ts';
import { AsyncVectorEnv } from '../src/core/async-vector.ts';
import '../envs/index.ts';
import type { Action } from '../src/core/env.ts';
import { T1DEnv } from '../envs/glucose/t1d-env.ts';
import { PATIENT_NAMES } from '../envs/glucose/patient.ts';

const SIMGLUCOSE_ENV_STEPS_PER_S = 141;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Steps per second of one env under a random policy, over `steps` steps (resets included). */
function randomPolicyRate(env: T1DEnv, steps: number, seed: number): number {
  const rng = new Rng(seed).child('bench-actions');
  env.reset({ seed });
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    const r = env.step(env.actionSpace.sample(rng) as Float32Array);
    if (r.terminated || r.truncated) env.reset();
  }
  return steps / ((performance.now() - t0) / 1000);
}

export async function run(): Promise<Record<string, number>> {
  const env = new T1DEnv();
  randomPolicyRate(env, 5000, 0); // warm-up (JIT)
  const rates: number[] = [];
  for (let r = 0; r < 5; r++) rates.push(randomPolicyRate(env, 20000, r + 1));
  const stepsPerS = median(rates);

  // 30 patients: single envs stepped one after the other vs one SyncVectorEnv.
  const opts = { actionMaxUnitsPerHour: 10 };
  const singles = PATIENT_NAMES.map((patient) => new T1DEnv({ ...opts, patient }));
  const vector = new SyncVectorEnv(PATIENT_NAMES.map((patient) => () => new T1DEnv({ ...opts, patient })));
  const n = PATIENT_NAMES.length;
  const stepsEach = 480; // one simulated day per patient per round
  const single = (round: number): number => {
    const rng = new Rng(round).child('bench-single');
    const t0 = performance.now();
    singles.forEach((e, i) => {
      e.reset({ seed: round * 100 + i });
      for (let s = 0; s < stepsEach; s++) {
        const r = e.step(e.actionSpace.sample(rng) as Float32Array);
        if (r.terminated || r.truncated) e.reset();
      }
    });
    return ((performance.now() - t0) * 1000) / (n * stepsEach);
  };
  const asyncVector = await AsyncVectorEnv.create({ id: 'T1D-v0', options: PATIENT_NAMES.map((patient) => ({ ...opts, patient })) });
  let asyncCpuUs = 0;
  const batched = (env: SyncVectorEnv | AsyncVectorEnv, round: number): number => {
    const rng = new Rng(round).child('bench-vector');
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    env.reset({ seed: round * 100 });
    const actions: Action[] = new Array(n);
    for (let s = 0; s < stepsEach; s++) {
      for (let i = 0; i < n; i++) actions[i] = env.singleActionSpace.sample(rng);
      env.step(actions);
    }
    const wallUs = ((performance.now() - t0) * 1000) / (n * stepsEach);
    const cpu = process.cpuUsage(cpu0); // all threads of the process
    if (env === asyncVector) asyncCpuUs = (cpu.user + cpu.system) / (n * stepsEach);
    return wallUs;
  };
  single(0);
  batched(vector, 0);
  batched(asyncVector, 0);
  // Alternate the order within each round and take the median of the per-round ratios, so that
  // load changes on the shared machine hit both sides alike.
  const singleUs: number[] = [];
  const vectorUs: number[] = [];
  const asyncUs: number[] = [];
  const asyncCpu: number[] = [];
  const ratios: number[] = [];
  const asyncRatios: number[] = [];
  for (let r = 1; r <= 9; r++) {
    let si: number;
    let ve: number;
    let as: number;
    if (r % 2 === 0) {
      si = single(r);
      ve = batched(vector, r);
      as = batched(asyncVector, r);
    } else {
      as = batched(asyncVector, r);
      ve = batched(vector, r);
      si = single(r);
    }
    singleUs.push(si);
    vectorUs.push(ve);
    asyncUs.push(as);
    asyncCpu.push(asyncCpuUs);
    ratios.push(ve / si);
    asyncRatios.push(as / si);
  }
  asyncVector.close();
  const s = median(singleUs);
  const v = median(vectorUs);
  return {
    t1d_env_steps_per_s: Math.round(stepsPerS),
    simglucose_env_steps_per_s: SIMGLUCOSE_ENV_STEPS_PER_S,
    t1d_env_speedup_vs_simglucose: Math.round(stepsPerS / SIMGLUCOSE_ENV_STEPS_PER_S),
    t1d_env_single_us_per_patient_step: Number(s.toFixed(2)),
    t1d_env_sync30_us_per_patient_step: Number(v.toFixed(2)),
    t1d_env_sync_over_single_time_ratio: Number(median(ratios).toFixed(3)),
    t1d_env_async_threads: asyncVector.threads,
    t1d_env_async30_us_per_patient_step: Number(median(asyncUs).toFixed(2)),
    t1d_env_async_over_single_time_ratio: Number(median(asyncRatios).toFixed(3)),
    t1d_env_async30_cpu_us_per_patient_step: Number(median(asyncCpu).toFixed(2)),
  };
}

// Run directly: node --import=tsx bench/t1d-env.ts
if (import.meta.url === `file://${process.argv[1]}`) {
  run().then((r) => console.log(JSON.stringify(r, null, 2)));
}
