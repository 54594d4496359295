/**
 * What continuing from a training checkpoint costs (agents/common/training-state.ts): the envs are
 * brought back by replaying every action since the seeded reset, an env-only pass over the steps
 * trained so far. Measured: replayed env steps per second for T1D-v0 (adolescent#001, Dexcom, one
 * env; basal-relative action 0, and 0.02 U/h in the absolute mode) and CartPole-v1, and the size of
 * the action log.
 * Run alone: `npm run bench -- resume`.
 */
import '../envs/index.ts';
import { make } from '../src/core/registry.ts';
import { Box, Discrete } from '../src/core/spaces.ts';
import { SyncVectorEnv } from '../src/core/vector.ts';
import { ActionLog, replayEnvs } from '../agents/common/training-state.ts';

const STEPS = 50_000;

function replayRate(id: string, options: Record<string, unknown>, given?: Float32Array): { stepsPerSecond: number; logBytes: number } {
  const envs = new SyncVectorEnv([() => make(id, options)]);
  const space = envs.singleActionSpace as Box | Discrete;
  const log = new ActionLog(space, 1);
  envs.reset({ seed: 1 });
  const action = given ?? (space instanceof Box ? Float32Array.from(space.low, (lo, j) => (lo + (space.high[j] as number)) / 2) : 0);
  for (let k = 0; k < STEPS; k++) {
    log.record([action]);
    envs.step([action]);
  }
  const start = performance.now();
  replayEnvs(new SyncVectorEnv([() => make(id, options)]), 1, log);
  return { stepsPerSecond: STEPS / ((performance.now() - start) / 1000), logBytes: log.snapshot().byteLength };
}

export async function run(): Promise<Record<string, number>> {
  const t1d = replayRate('T1D-v0', { patient: 'adolescent#001', action: 'basal-relative' });
  // The absolute-rate mode at 0.02 U/h, far below adolescent#001's basal: glucose rises all the way.
  const t1dLow = replayRate('T1D-v0', { patient: 'adolescent#001', action: 'continuous' }, Float32Array.of(0.02));
  const cartpole = replayRate('CartPole-v1', {});
  return {
    resume_replay_t1d_steps_per_s: Math.round(t1d.stepsPerSecond),
    resume_replay_t1d_low_insulin_steps_per_s: Math.round(t1dLow.stepsPerSecond),
    resume_replay_cartpole_steps_per_s: Math.round(cartpole.stepsPerSecond),
    resume_action_log_bytes_per_step: t1d.logBytes / STEPS,
  };
}
