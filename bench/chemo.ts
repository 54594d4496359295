/**
 * Chemotherapy benchmarks (called by bench/run.ts):
 * - chemo_ms_per_episode: one 150-day Chemo-DePillis-v0 episode (600 steps of 0.25 day) under the
 *   MTD baseline, through reset/step and the policy, default options.
 * - chemo_env_steps_per_s: the same, as env steps per second.
 * - chemo_setting5_ms_per_episode: DTR-Bench setting 5 (variability, noise, missing observations).
 * - chemo_model_us_per_step: the bare RK4 integrator (10 sub-steps) per 0.25-day step.
 * - chemo_zhao_us_per_episode: one six-month Chemo-Zhao2009-v0 episode.
 * Each figure is the median of several timed batches after a warm-up.
 */
import '../envs/chemo/register.ts';
import { make } from '../src/core/registry.ts';
import type { Action, Env, Observation } from '../src/core/env.ts';
import { mtd } from '../agents/baselines/chemo.ts';
import { DEPILLIS_INITIAL_STATE, DEPILLIS_PARAMS, DePillisIntegrator } from '../envs/chemo/depillis-model.ts';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** Median milliseconds per call of `fn` over `batches` batches of `perBatch` calls. */
function time(fn: () => void, perBatch: number, batches = 7): number {
  for (let i = 0; i < perBatch; i++) fn(); // warm-up (JIT)
  const samples: number[] = [];
  for (let b = 0; b < batches; b++) {
    const t0 = performance.now();
    for (let i = 0; i < perBatch; i++) fn();
    samples.push((performance.now() - t0) / perBatch);
  }
  return median(samples);
}

function episode(env: Env<Observation, Action>, seed: number): number {
  const policy = mtd(env);
  let { observation, info } = env.reset({ seed });
  let steps = 0;
  for (;;) {
    const r = env.step(policy.act(observation, { deterministic: true, info }));
    observation = r.observation;
    info = r.info;
    steps++;
    if (r.terminated || r.truncated) return steps;
  }
}

export async function run(): Promise<Record<string, number>> {
  const env = make('Chemo-DePillis-v0');
  let seed = 0;
  const msPerEpisode = time(() => episode(env, seed++), 20);
  const noisy = make('Chemo-DePillis-v0', { setting: 5 });
  const msSetting5 = time(() => episode(noisy, seed++), 20);

  const integrator = new DePillisIntegrator({ ...DEPILLIS_PARAMS });
  const y = Float64Array.from(DEPILLIS_INITIAL_STATE);
  const msPer600 = time(() => {
    y.set(DEPILLIS_INITIAL_STATE);
    for (let k = 0; k < 600; k++) integrator.advance(y, 1, 0.25);
  }, 50);

  const zhao = make('Chemo-Zhao2009-v0');
  const msZhao = time(() => episode(zhao, seed++), 2000);

  return {
    chemo_ms_per_episode: msPerEpisode,
    chemo_env_steps_per_s: 600 / (msPerEpisode / 1000),
    chemo_setting5_ms_per_episode: msSetting5,
    chemo_model_us_per_step: (msPer600 * 1000) / 600,
    chemo_zhao_us_per_episode: msZhao * 1000,
  };
}
