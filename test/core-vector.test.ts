import test from 'ava';
import '../envs/classic/register.ts';
import { make } from '../src/core/registry.ts';
import { SyncVectorEnv } from '../src/core/vector.ts';
import { RecordEpisodeStatistics } from '../src/core/wrappers.ts';
import { BaseEnv, type EnvMetadata, type ResetResult, type StepResult } from '../src/core/env.ts';
import { Box, Discrete } from '../src/core/spaces.ts';
import type { Rng } from '../src/core/rng.ts';
import type { EpisodeStatistics } from '../src/core/wrappers.ts';

const row = (obs: Float32Array | Float64Array, i: number, size: number): number[] => Array.from(obs.subarray(i * size, (i + 1) * size));

test('reset({ seed }) seeds env i with seed + i and batches rows in the obs dtype', (t) => {
  const vec = new SyncVectorEnv([0, 1, 2].map(() => () => make('CartPole-v1')));
  t.is(vec.numEnvs, 3);
  t.is(vec.singleObservationSpace.size, 4);
  t.is(vec.singleActionSpace.toString(), 'Discrete(2)');
  const { observations, infos } = vec.reset({ seed: 10 });
  t.true(observations instanceof Float32Array);
  t.is(observations.length, 12);
  t.is(infos.length, 3);
  for (let i = 0; i < 3; i++) {
    t.deepEqual(row(observations, i, 4), Array.from(make('CartPole-v1').reset({ seed: 10 + i }).observation as Float32Array));
  }
  t.notDeepEqual(row(observations, 0, 4), row(observations, 1, 4));
});

test('an unseeded first reset equals seed 0 (so copies differ); later unseeded resets move on', (t) => {
  const mk = () => new SyncVectorEnv([0, 1].map(() => () => make('Pendulum-v1')));
  const a = mk().reset().observations;
  t.deepEqual(a, mk().reset({ seed: 0 }).observations);
  t.notDeepEqual(row(a, 0, 3), row(a, 1, 3));
  const v = mk();
  v.reset();
  t.notDeepEqual(v.reset().observations, a);
});

test('same-step autoreset: final observation/info preserved, row holds the new episode, stats recorded', (t) => {
  const n = 2;
  const vec = new SyncVectorEnv(Array.from({ length: n }, () => () => new RecordEpisodeStatistics(make('CartPole-v1', { maxEpisodeSteps: 3 }))));
  // reference singles stepped in lockstep
  const singles = Array.from({ length: n }, () => make('CartPole-v1', { maxEpisodeSteps: 3 }));
  vec.reset({ seed: 100 });
  singles.forEach((s, i) => s.reset({ seed: 100 + i }));
  for (let step = 1; step <= 3; step++) {
    const actions = [step % 2, 1 - (step % 2)];
    const r = vec.step(actions);
    const ref = singles.map((s, i) => s.step(actions[i] as number));
    t.true(r.rewards instanceof Float64Array);
    t.true(r.terminated instanceof Uint8Array && r.truncated instanceof Uint8Array);
    t.deepEqual(Array.from(r.rewards), [1, 1]);
    for (let i = 0; i < n; i++) {
      const info = r.infos[i] as Record<string, unknown>;
      if (step < 3) {
        t.deepEqual(row(r.observations, i, 4), Array.from(ref[i]?.observation as Float32Array));
        t.false('finalObservation' in info);
        t.is(r.truncated[i], 0);
      } else {
        t.is(r.truncated[i], 1);
        t.is(r.terminated[i], 0);
        // the ended episode's last observation and info
        t.deepEqual(Array.from(info['finalObservation'] as Float32Array), Array.from(ref[i]?.observation as Float32Array));
        const finalInfo = info['finalInfo'] as Record<string, unknown>;
        t.deepEqual(finalInfo['episode'] as EpisodeStatistics, { return: 3, length: 3, cost: 0 });
        // the row is the NEW episode's first observation: the single env's next unseeded reset
        const next = singles[i]?.reset().observation as Float32Array;
        t.deepEqual(row(r.observations, i, 4), Array.from(next));
        t.notDeepEqual(Array.from(next), Array.from(info['finalObservation'] as Float32Array));
      }
    }
  }
  // the new episodes are live: the next step is a normal step of episode 2
  const r = vec.step([0, 0]);
  t.deepEqual(Array.from(r.truncated), [0, 0]);
  t.deepEqual(row(r.observations, 0, 4), Array.from(singles[0]?.step(0).observation as Float32Array));
});

test('terminated and truncated stay distinct in the vector env', (t) => {
  const vec = new SyncVectorEnv([() => make('CartPole-v1'), () => make('CartPole-v1', { maxEpisodeSteps: 4 })]);
  vec.reset({ seed: 0 });
  const seen = { term0: false, trunc1: false };
  for (let k = 0; k < 12; k++) {
    const r = vec.step([1, k % 2]); // env 0 always pushes right and falls; env 1 alternates and hits 4 steps
    if (r.terminated[0]) {
      seen.term0 = true;
      t.is(r.truncated[0], 0);
      t.truthy(r.infos[0]?.['finalObservation']);
    }
    if (r.truncated[1]) {
      seen.trunc1 = true;
      t.is(r.terminated[1], 0);
    }
  }
  t.true(seen.term0 && seen.trunc1);
});

test('vector env runs are reproducible from the seed, across autoresets', (t) => {
  const run = (seed: number): number[] => {
    const vec = new SyncVectorEnv([0, 1, 2].map(() => () => make('CartPole-v1')));
    const out = Array.from(vec.reset({ seed }).observations);
    for (let k = 0; k < 40; k++) out.push(...vec.step([1, 0, k % 2]).observations);
    return out;
  };
  t.deepEqual(run(5), run(5));
  t.notDeepEqual(run(5), run(6));
});

class F64Env extends BaseEnv<Float64Array, number> {
  readonly observationSpace = new Box(-1, 1, [2], 'float64');
  readonly actionSpace = new Discrete(2);
  readonly metadata: EnvMetadata = { id: 'F64-v0', stepDuration: { value: 1, unit: 'day' }, actionUnits: 'none' };
  protected resetModel(rng: Rng): ResetResult<Float64Array> {
    return { observation: Float64Array.of(rng.uniform(), 1 / 3), info: {} };
  }
  protected stepModel(a: number): StepResult<Float64Array> {
    return { observation: Float64Array.of(a, 1 / 3), reward: 0, terminated: false, truncated: false, info: {} };
  }
}

test('float64 observation spaces batch into a Float64Array without rounding', (t) => {
  const vec = new SyncVectorEnv([() => new F64Env(), () => new F64Env()]);
  const { observations } = vec.reset({ seed: 1 });
  t.true(observations instanceof Float64Array);
  t.is(observations[1], 1 / 3);
  t.deepEqual(Array.from(vec.step([1, 0]).observations), [1, 1 / 3, 0, 1 / 3]);
});

test('validation: action count, step before reset, mismatched spaces, non-Box observations', (t) => {
  const vec = new SyncVectorEnv([() => make('CartPole-v1'), () => make('CartPole-v1')]);
  t.throws(() => vec.step([0, 0]), { message: /step\(\) called before reset\(\)/ });
  vec.reset({ seed: 0 });
  t.throws(() => vec.step([0]), { message: 'SyncVectorEnv.step: expected 2 actions (one per env), got 1' });
  t.throws(() => vec.step([0, 2]), { message: /CartPole-v1: action outside the action space Discrete\(2\)/ });
  t.throws(() => new SyncVectorEnv([() => make('CartPole-v1'), () => make('Pendulum-v1')]), { message: /env 1 \(Pendulum-v1\) has different spaces than env 0 \(CartPole-v1\)/ });
  t.throws(() => new SyncVectorEnv([]), { message: /at least one env/ });
  t.throws(() => vec.reset({ seed: -1 }), { message: /seed: expected a non-negative integer/ });
  vec.close();
  t.throws(() => vec.reset(), { message: /after close\(\)/ });
  const discreteObs = {
    observationSpace: new Discrete(5),
    actionSpace: new Discrete(2),
    metadata: { id: 'DiscreteObs-v0', stepDuration: { value: 1, unit: 'day' as const }, actionUnits: 'none' },
    reset: () => ({ observation: 0, info: {} }),
    step: () => ({ observation: 0, reward: 0, terminated: false, truncated: false, info: {} }),
    close: () => undefined,
  };
  t.throws(() => new SyncVectorEnv([() => discreteObs]), { message: 'SyncVectorEnv: DiscreteObs-v0 has observation space Discrete(5); batching needs a Box' });
});
