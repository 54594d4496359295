/**
 * Benchmark of the T1D-v0 environment (single thread):
 * - `t1d_env_steps_per_s`: env steps per second with a uniformly random policy, default options
 *   (adolescent#001, Dexcom 3-min steps, noisy CGM, random meals, 1-day episodes with resets);
 *   `simglucose_env_steps_per_s` = 141, simglucose's Gymnasium env on this machine kind
 *   (../shared/reference/stack.md), and the ratio.
 * - per-patient cost of stepping 30 patients (one env each, common action bound) one after the
 *   other (`single`) vs batched in a SyncVectorEnv (`vector`), in microseconds per patient-step,
 *   measured in the same run; the issue asks that vector is not slower per patient.
 * Medians of several timed rounds after a warm-up (shared 2-core machines vary by 30-40 %).
 */
import { Rng } from '../src/core/rng.ts';
import { SyncVectorEnv } from '../src/core/vector.ts';
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
  const batched = (round: number): number => {
    const rng = new Rng(round).child('bench-vector');
    const t0 = performance.now();
    vector.reset({ seed: round * 100 });
    const actions: Action[] = new Array(n);
    for (let s = 0; s < stepsEach; s++) {
      for (let i = 0; i < n; i++) actions[i] = vector.singleActionSpace.sample(rng);
      vector.step(actions);
    }
    return ((performance.now() - t0) * 1000) / (n * stepsEach);
  };
  single(0);
  batched(0);
  // Alternate the order within each round and take the median of the per-round ratios, so that
  // load changes on the shared machine hit both sides alike.
  const singleUs: number[] = [];
  const vectorUs: number[] = [];
  const ratios: number[] = [];
  for (let r = 1; r <= 9; r++) {
    let si: number;
    let ve: number;
    if (r % 2 === 0) {
      si = single(r);
      ve = batched(r);
    } else {
      ve = batched(r);
      si = single(r);
    }
    singleUs.push(si);
    vectorUs.push(ve);
    ratios.push(ve / si);
  }
  const s = median(singleUs);
  const v = median(vectorUs);
  return {
    t1d_env_steps_per_s: Math.round(stepsPerS),
    simglucose_env_steps_per_s: SIMGLUCOSE_ENV_STEPS_PER_S,
    t1d_env_speedup_vs_simglucose: Math.round(stepsPerS / SIMGLUCOSE_ENV_STEPS_PER_S),
    t1d_env_single_us_per_patient_step: Number(s.toFixed(2)),
    t1d_env_vector30_us_per_patient_step: Number(v.toFixed(2)),
    t1d_env_vector_over_single_time_ratio: Number(median(ratios).toFixed(3)),
  };
}

// Run directly: node --import=tsx bench/t1d-env.ts
if (import.meta.url === `file://${process.argv[1]}`) {
  run().then((r) => console.log(JSON.stringify(r, null, 2)));
}
