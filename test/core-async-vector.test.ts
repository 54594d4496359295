import test from 'ava';
import '../envs/index.ts';
import { AsyncVectorEnv, splitEvenly } from '../src/core/async-vector.ts';
import { make, type EnvOptions } from '../src/core/registry.ts';
import { Rng } from '../src/core/rng.ts';
import { SyncVectorEnv, type VectorEnv, type VectorStepResult } from '../src/core/vector.ts';
import type { Action } from '../src/core/env.ts';
import { EnvContractError, UserError } from '../src/core/errors.ts';

/** Everything a step returns, as plain JSON (typed arrays as lists), for exact comparison. */
function snapshot(r: VectorStepResult | { observations: ArrayLike<number>; infos: unknown[] }): string {
  const plain = (v: unknown): unknown => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v);
  return JSON.stringify(r, (_key, value: unknown) => {
    if (ArrayBuffer.isView(value)) return { typed: value.constructor.name, values: plain(value) };
    return value;
  });
}

/** Step an async and a sync vector env with the same random actions; return the first difference. */
function firstDifference(a: VectorEnv, s: VectorEnv, steps: number, seed: number): string | undefined {
  const ra = a.reset({ seed });
  const rs = s.reset({ seed });
  if (snapshot(ra) !== snapshot(rs)) return 'reset';
  const rng = new Rng(seed).child('actions');
  for (let k = 0; k < steps; k++) {
    const actions: Action[] = Array.from({ length: a.numEnvs }, () => a.singleActionSpace.sample(rng));
    if (snapshot(a.step(actions)) !== snapshot(s.step(actions))) return `step ${k}`;
  }
  return undefined;
}

test('splitEvenly: blocks differ by at most one, larger first, and cover every env', (t) => {
  t.deepEqual(splitEvenly(30, 2), [15, 15]);
  t.deepEqual(splitEvenly(7, 3), [3, 2, 2]);
  t.deepEqual(splitEvenly(2, 2), [1, 1]);
});

test('T1D-v0: 2 threads give exactly the SyncVectorEnv results, through autoresets and patient changes', async (t) => {
  // Short episodes (0.05 day = 24 steps) so 60 steps cross two autoresets; a cohort so that the
  // patient (a string field of the info) changes at resets and the info templates must follow.
  const common = { actionMaxUnitsPerHour: 10, days: 0.05, mealAnnouncement: 30 };
  const options: EnvOptions[] = ['adult#001', 'child#003', 'adolescents', 'all'].map((patient) => ({ ...common, patient }));
  const a = await AsyncVectorEnv.create({ id: 'T1D-v0', options, threads: 2 });
  t.teardown(() => a.close());
  const s = new SyncVectorEnv(options.map((o) => () => make('T1D-v0', o)));
  t.is(a.threads, 2);
  t.is(a.numEnvs, 4);
  t.is(firstDifference(a, s, 60, 11), undefined);
  // A seeded reset in the middle starts the same episodes again on both.
  t.is(firstDifference(a, s, 5, 11), undefined);
});

test('discrete actions and float32 observations: CartPole over 3 threads equals SyncVectorEnv', async (t) => {
  const a = await AsyncVectorEnv.create({ id: 'CartPole-v1', numEnvs: 5, threads: 3 });
  t.teardown(() => a.close());
  const s = new SyncVectorEnv(Array.from({ length: 5 }, () => () => make('CartPole-v1')));
  t.is(firstDifference(a, s, 80, 3), undefined); // random actions end episodes within ~20 steps
  const r = a.step([0, 1, 0, 1, 0]);
  t.true(r.observations instanceof Float32Array);
  t.true(r.rewards instanceof Float64Array);
  t.true(r.terminated instanceof Uint8Array && r.truncated instanceof Uint8Array);
});

test('chemotherapy envs (object-valued reset infos, six-month Zhao episodes) equal SyncVectorEnv too', async (t) => {
  const depillis = [1, 3, 5].map((setting) => ({ setting, horizonDays: 5 }));
  for (const [id, options] of [['Chemo-DePillis-v0', depillis], ['Chemo-Zhao2009-v0', [{}, {}, {}]]] as const) {
    const a = await AsyncVectorEnv.create({ id, options: [...options], threads: 2 });
    const s = new SyncVectorEnv(options.map((o) => () => make(id, o)));
    t.is(firstDifference(a, s, 45, 6), undefined, id); // de Pillis: 20-step episodes; Zhao: 6 steps
    a.close();
  }
});

test('an unseeded first reset behaves like seed 0, as in SyncVectorEnv', async (t) => {
  const a = await AsyncVectorEnv.create({ id: 'Pendulum-v1', numEnvs: 2, threads: 2 });
  t.teardown(() => a.close());
  const s = new SyncVectorEnv([0, 1].map(() => () => make('Pendulum-v1')));
  t.is(snapshot(a.reset()), snapshot(s.reset({ seed: 0 })));
});

test('errors: one line naming what is wrong, raised in the calling thread', async (t) => {
  await t.throwsAsync(() => AsyncVectorEnv.create({ id: 'Nope-v0', numEnvs: 2 }), { instanceOf: UserError, message: /unknown environment 'Nope-v0'; registered: .*T1D-v0/ });
  await t.throwsAsync(() => AsyncVectorEnv.create({ id: 'T1D-v0', options: { patient: 'adult#099' }, numEnvs: 2 }), { message: /patient: unknown patient or cohort/ });
  await t.throwsAsync(() => AsyncVectorEnv.create({ id: 'CartPole-v1', numEnvs: 2, threads: 0 }), { message: 'AsyncVectorEnv: threads must be a positive integer, got 0' });
  await t.throwsAsync(() => AsyncVectorEnv.create({ id: 'CartPole-v1', options: [], numEnvs: 2 }), { message: /at least one env/ });
  await t.throwsAsync(() => AsyncVectorEnv.create({ id: 'CartPole-v1', options: [{}, {}], numEnvs: 3 }), { message: /numEnvs \(3\) differs from the 2 option sets/ });
  // Envs whose spaces differ cannot be batched (caught when the worker reports its spaces).
  await t.throwsAsync(
    () => AsyncVectorEnv.create({ id: 'T1D-v0', options: [{ patient: 'adult#001' }, { patient: 'child#001' }], threads: 2 }),
    { instanceOf: EnvContractError, message: /env 1 has different spaces than env 0 \(T1D-v0\)/ },
  );
  // A worker that cannot register the id fails start-up with the worker's own message.
  await t.throwsAsync(() => AsyncVectorEnv.create({ id: 'CartPole-v1', numEnvs: 2, threads: 2, modules: [] }), { instanceOf: UserError, message: /unknown environment 'CartPole-v1'/ });

  const a = await AsyncVectorEnv.create({ id: 'CartPole-v1', numEnvs: 2, threads: 2 });
  t.throws(() => a.step([0, 0]), { message: /step\(\) called before reset\(\)/ });
  a.reset({ seed: 0 });
  t.throws(() => a.step([0]), { message: 'AsyncVectorEnv.step: expected 2 actions (one per env), got 1' });
  // Env 1 lives in the worker: its bad action is rejected before anything moves, with BaseEnv's text.
  t.throws(() => a.step([0, 2]), { instanceOf: EnvContractError, message: 'CartPole-v1: action outside the action space Discrete(2): expected an integer in [0, 1], got 2' });
  t.throws(() => a.reset({ seed: -1 }), { message: /seed: expected a non-negative integer/ });
  a.close();
  a.close(); // idempotent
  t.throws(() => a.reset(), { message: 'AsyncVectorEnv: used after close()' });
});

const WIDE_INFO_ENV = new URL('./fixtures/wide-info-env.ts', import.meta.url).href;

test('an error thrown inside a worker env reaches the caller with its class and text', async (t) => {
  await import(WIDE_INFO_ENV);
  const a = await AsyncVectorEnv.create({ id: 'WideInfo-v0', options: [{}, { failAtStep: 3 }], threads: 2, modules: [WIDE_INFO_ENV] });
  t.teardown(() => a.close());
  a.reset({ seed: 0 });
  a.step([0, 0]);
  a.step([0, 0]);
  t.throws(() => a.step([0, 0]), { instanceOf: RangeError, message: 'WideInfo-v0: failing at step 3 as asked' });
  // The vector env stays usable: a reset starts new episodes in every thread.
  t.is(a.reset({ seed: 4 }).observations.length, 4);
  t.is(a.step([1, 1]).rewards.length, 2);
});

test('threads: 1 steps everything in the calling thread, with the same results', async (t) => {
  const a = await AsyncVectorEnv.create({ id: 'CartPole-v1', numEnvs: 3, threads: 1 });
  t.teardown(() => a.close());
  t.is(a.threads, 1);
  const s = new SyncVectorEnv([0, 1, 2].map(() => () => make('CartPole-v1')));
  t.is(firstDifference(a, s, 40, 8), undefined);
});

test('infos with more number fields than the shared slots travel whole and arrive intact', async (t) => {
  await import(WIDE_INFO_ENV); // registers WideInfo-v0 here; the workers import it too
  const a = await AsyncVectorEnv.create({ id: 'WideInfo-v0', numEnvs: 3, threads: 2, modules: [WIDE_INFO_ENV] });
  t.teardown(() => a.close());
  const s = new SyncVectorEnv([0, 1, 2].map(() => () => make('WideInfo-v0')));
  t.is(firstDifference(a, s, 12, 2), undefined); // episodes of 5 steps: autoresets with whole final infos
  const info = a.step([1, 0, 1]).infos[2] as Record<string, unknown>;
  t.is(Object.keys(info).length, 61);
  t.is(info['label'], 'wide');
});

test('PPO trained on an AsyncVectorEnv ends with exactly the weights of training on a SyncVectorEnv', async (t) => {
  const { train } = await import('../agents/ppo.ts');
  const hyperparameters = { numEnvs: 4, nSteps: 32, batchSize: 64, nEpochs: 2, netArch: [16] };
  const options = { totalSteps: 256, seed: 9, hyperparameters, backend: 'wasm' as const };
  const viaSync = await train(new SyncVectorEnv(Array.from({ length: 4 }, () => () => make('CartPole-v1'))), options);
  const async = await AsyncVectorEnv.create({ id: 'CartPole-v1', numEnvs: 4, threads: 2 });
  t.teardown(() => async.close());
  const viaAsync = await train(async, options);
  t.true(viaSync.params.data.length > 100);
  t.deepEqual(Array.from(viaAsync.params.data), Array.from(viaSync.params.data));
});
