/**
 * Asking a Chemo-DePillis-v0 policy "what dose in this state?": the observation the env shows for a
 * stated model state (N, T, I, B) without observation noise or missing data, and the dose fraction
 * an action stands for. The report's chemotherapy policy map (src/report/sections/chemo.ts) uses
 * it; test/chemo-policy-probe.test.ts checks it against the env's own observations. Built from the
 * real env, so the observed elements and their bounds are the env's (N is observed only with
 * `observeN: true`, as in DTR-Bench; the day of treatment only with `observeDay: true`).
 */
import type { Action } from '../../src/core/env.ts';
import type { Box, Space } from '../../src/core/spaces.ts';
import { DePillisEnv, dayFromObservation, observedDay, observedTumor, tumorFromObservation } from './depillis-env.ts';
import { DEPILLIS_INITIAL_STATE } from './depillis-model.ts';
import { actionToDose } from './dose-action.ts';

/** A de Pillis model state (dimensionless populations and drug concentration). */
export interface ChemoState {
  N: number;
  T: number;
  I: number;
  B: number;
  /** Days since the start of treatment (observed only with `observeDay: true`; 0 when absent). */
  day?: number;
}

export interface ChemoProbe {
  /** Whether N is part of the observation. */
  observeN: boolean;
  /** Whether the day of treatment is part of the observation. */
  observeDay: boolean;
  /** The observation's labels (the env's metadata). */
  labels: string[];
  observationSpace: Box;
  actionSpace: Space;
  /** The noiseless observation of a state (clipped to the observation space, as the env clips). */
  observe(state: ChemoState): Float32Array;
  /** The state an observation shows (unobserved N from `fallback`). */
  stateOf(observation: ArrayLike<number>, fallback: ChemoState): ChemoState;
  /** The dose fraction in [0, 1] an action stands for. */
  dose(action: Action): number;
}

/** The model's initial state (Ahn & Park 2011's case 2, depillis-model.ts). */
export const CHEMO_INITIAL_STATE: ChemoState = { N: DEPILLIS_INITIAL_STATE[0] as number, T: DEPILLIS_INITIAL_STATE[1] as number, I: DEPILLIS_INITIAL_STATE[2] as number, B: DEPILLIS_INITIAL_STATE[3] as number };

const STATE_KEYS = ['N', 'T', 'I', 'B'] as const;

/** The probe of a Chemo-DePillis-v0 policy trained with `envOptions`. */
export function chemoPolicyProbe(envOptions: Record<string, unknown>): ChemoProbe {
  const env = new DePillisEnv(envOptions);
  const space = env.observationSpace;
  const observeN = env.config.observeN;
  const scale = env.config.tumorScale;
  const observeDay = env.config.observeDay;
  const dayScale = env.config.dayScale;
  const horizonDays = env.config.horizonSteps * env.config.stepDays;
  const keys = observeN ? STATE_KEYS : STATE_KEYS.slice(1);
  const labels = [...(env.metadata.observationLabels ?? keys)];
  env.close();
  return {
    observeN,
    observeDay,
    labels,
    observationSpace: space,
    actionSpace: env.actionSpace,
    observe: (state) => {
      const out = new Float32Array(space.size);
      keys.forEach((key, i) => {
        const v = Math.min(space.high[i] as number, Math.max(space.low[i] as number, state[key]));
        out[i] = key === 'T' ? observedTumor(Math.fround(v), scale) : v; // the env takes the log of the float32 reading
      });
      if (observeDay) out[keys.length] = observedDay(state.day ?? 0, horizonDays, dayScale);
      return out;
    },
    stateOf: (o, fallback) => {
      const out = { ...fallback };
      keys.forEach((key, i) => (out[key] = key === 'T' ? tumorFromObservation(o[i] as number, scale) : (o[i] as number)));
      if (observeDay) out.day = dayFromObservation(o[keys.length] as number, horizonDays, dayScale);
      return out;
    },
    dose: (action) => actionToDose(action, env.actionSpace),
  };
}
