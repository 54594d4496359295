/**
 * A small seeded sample of what a learned policy saw and did during evaluation: (observation,
 * action) pairs, from which the report distils a rule table (src/report/explain/) and measures its
 * fidelity on held-out states. Kept beside the daily profile (profile.ts) and merged the same way:
 * every evaluation task (one training seed of a learned method) keeps its own sample, and the run's
 * `state-sample.json` concatenates them in task order, so it is the same with any `--jobs`.
 *
 * Which steps are kept depends only on the episode seed: reservoir sampling (Vitter's algorithm R)
 * of `perEpisode` steps per episode, with a stream of its own (`state-sample`) so that sampling
 * changes no other draw. Observations are copied when recorded (envs may reuse one buffer).
 */
import type { Action, Observation } from '../core/env.ts';
import type { AnyPolicy } from '../core/family.ts';
import { Rng } from '../core/rng.ts';

/** Aim for about this many pairs per evaluation task (its patients x episodes share them). */
export const STATE_SAMPLE_TARGET = 1000;
/** ... but keep at least this many steps of every episode. */
export const STATE_SAMPLE_MIN_PER_EPISODE = 4;

/** Significant digits kept (float32 observations carry about 7; 5 keep the file small and CGM to 0.01 mg/dL). */
const DIGITS = 5;

/** One kept step. */
export interface SampledState {
  patient: string | null;
  episode: number;
  /** Decision index in the episode (0 = the reset observation). */
  step: number;
  observation: number[];
  /** The policy's action: a Box's values, or [index] for a Discrete space. */
  action: number[];
}

/** One task's sample (evaluation/<task>.json `stateSample`). */
export interface StateSample {
  /** The env's observation labels (metadata.observationLabels), when it names them. */
  labels: string[] | null;
  perEpisode: number;
  states: SampledState[];
}

/** The run's samples (state-sample.json): one per learned method, its seeds' samples concatenated in seed order. */
export interface RunStateSample {
  methods: Record<string, { labels: string[] | null; perEpisode: number; seeds: { seed: number; states: SampledState[] }[] }>;
}

/** Steps kept per episode for a task of `episodes` episodes (all patients). */
export function statesPerEpisode(episodes: number): number {
  return Math.max(STATE_SAMPLE_MIN_PER_EPISODE, Math.ceil(STATE_SAMPLE_TARGET / Math.max(1, episodes)));
}

const keep = (x: number): number => (Number.isFinite(x) && x !== 0 ? Number(x.toPrecision(DIGITS)) : x);

/** Collects the sample of one evaluation task. */
export class StateSampleBuilder {
  private readonly states: SampledState[] = [];

  constructor(
    private readonly perEpisode: number,
    private readonly labels: string[] | null,
  ) {
    if (!(Number.isInteger(perEpisode) && perEpisode > 0)) throw new RangeError(`state sample: perEpisode must be a positive integer, got ${perEpisode}`);
  }

  /**
   * `policy`, recording a reservoir sample of its (observation, action) pairs in one episode. Call
   * `finish()` on the returned recorder after the episode.
   */
  record(policy: AnyPolicy, where: { patient: string | null; episode: number; episodeSeed: number }): { policy: AnyPolicy; finish(): void } {
    const rng = new Rng(where.episodeSeed).child('state-sample');
    const reservoir: SampledState[] = [];
    let step = 0;
    const k = this.perEpisode;
    const wrapped: AnyPolicy = {
      name: policy.name,
      reset: (info) => policy.reset?.(info),
      act: (observation: Observation, context) => {
        const action: Action = policy.act(observation, context);
        const slot = step < k ? step : rng.int(step + 1);
        if (slot < k) {
          const obs = typeof observation === 'number' ? [observation] : Array.from(observation, keep);
          const act = typeof action === 'number' ? [action] : Array.from(action as ArrayLike<number>, keep);
          reservoir[slot] = { patient: where.patient, episode: where.episode, step, observation: obs, action: act };
        }
        step++;
        return action;
      },
    };
    return {
      policy: wrapped,
      finish: () => this.states.push(...reservoir.filter((s) => s !== undefined).sort((a, b) => a.step - b.step)),
    };
  }

  build(): StateSample {
    return { labels: this.labels, perEpisode: this.perEpisode, states: [...this.states] };
  }
}

/**
 * One task's sample from its parts, in order: a cohort evaluated one patient at a time (each state
 * names its patient), each part kept at the same steps per episode. Undefined when a part kept no
 * sample, as runStateSample does for a task (rather than a partial sample).
 */
export function mergeStateSamples(parts: readonly (StateSample | undefined)[]): StateSample | undefined {
  const first = parts[0];
  if (first === undefined || parts.some((p) => p === undefined)) return undefined;
  const kept = parts as readonly StateSample[];
  if (kept.some((p) => p.perEpisode !== first.perEpisode)) throw new RangeError('mergeStateSamples: the parts keep different numbers of steps per episode');
  return { labels: first.labels, perEpisode: first.perEpisode, states: kept.flatMap((p) => p.states) };
}

/**
 * The run's state sample from its learned methods' evaluation tasks (in task order), or undefined
 * when there are none or a task was evaluated by a DoseGym that kept no sample (rather than a
 * partial file).
 */
export function runStateSample(tasks: readonly { method: string; seed: number; sample: StateSample | undefined }[]): RunStateSample | undefined {
  if (tasks.length === 0 || tasks.some((t) => t.sample === undefined)) return undefined;
  const methods: RunStateSample['methods'] = {};
  for (const { method, seed, sample } of tasks) {
    const s = sample as StateSample;
    const entry = (methods[method] ??= { labels: s.labels, perEpisode: s.perEpisode, seeds: [] });
    entry.seeds.push({ seed, states: s.states });
  }
  return { methods };
}
