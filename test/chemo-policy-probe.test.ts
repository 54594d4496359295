/** The chemotherapy policy probe (envs/chemo/policy-probe.ts) shows the observation the env shows for the same state. */
import test from 'ava';
import { chemoPolicyProbe } from '../envs/chemo/policy-probe.ts';
import { DePillisEnv } from '../envs/chemo/depillis-env.ts';

for (const options of [{ setting: 2 }, { setting: 2, observeN: true }, { setting: 1, levels: 5 }]) {
  test(`probe observations equal the env's without noise: ${JSON.stringify(options)}`, (t) => {
    const env = new DePillisEnv(options);
    const probe = chemoPolicyProbe(options);
    t.deepEqual(probe.labels, options.observeN === true ? ['N', 'T', 'I', 'B'] : ['T', 'I', 'B']);
    let { observation, info } = env.reset({ seed: 4 });
    for (let step = 0; step < 120; step++) {
      const state = { N: info['N'] as number, T: info['T'] as number, I: info['I'] as number, B: info['B'] as number };
      t.deepEqual(Array.from(probe.observe(state)), Array.from(observation), `step ${step}`);
      t.deepEqual(probe.stateOf(observation, { N: -1, T: -1, I: -1, B: -1 }), options.observeN === true ? { N: Math.fround(state.N), T: Math.fround(state.T), I: Math.fround(state.I), B: Math.fround(state.B) } : { N: -1, T: Math.fround(state.T), I: Math.fround(state.I), B: Math.fround(state.B) });
      const action = options.levels === undefined ? Float32Array.of((step % 7) / 6) : step % 5;
      t.is(probe.dose(action), options.levels === undefined ? Math.fround((step % 7) / 6) : (step % 5) / 4);
      ({ observation, info } = env.step(action));
    }
  });
}

test("with tumorScale 'log' the probe shows the env's log reading of T and reads it back", (t) => {
  const options = { setting: 2, tumorScale: 'log' };
  const env = new DePillisEnv(options);
  const probe = chemoPolicyProbe(options);
  let { observation, info } = env.reset({ seed: 4 });
  for (let step = 0; step < 300; step++) {
    const state = { N: info['N'] as number, T: info['T'] as number, I: info['I'] as number, B: info['B'] as number };
    t.deepEqual(Array.from(probe.observe(state)), Array.from(observation), `step ${step}`);
    const back = probe.stateOf(observation, { N: -1, T: -1, I: -1, B: -1 });
    t.true(Math.abs(Math.log10(back.T) - Math.log10(Math.max(state.T, 1e-12))) < 1e-5, `step ${step}: T ${state.T} read back as ${back.T}`);
    ({ observation, info } = env.step(Float32Array.of(1)));
  }
});

test('with observeDay the probe shows the day of treatment as the env does, and reads it back', (t) => {
  const options = { setting: 2, observeDay: true };
  const env = new DePillisEnv(options);
  const probe = chemoPolicyProbe(options);
  t.true(probe.observeDay);
  t.deepEqual(probe.labels, ['T', 'I', 'B', 'day']);
  let { observation, info } = env.reset({ seed: 4 });
  for (let step = 0; step < 200; step++) {
    const state = { N: info['N'] as number, T: info['T'] as number, I: info['I'] as number, B: info['B'] as number, day: info['day'] as number };
    t.deepEqual(Array.from(probe.observe(state)), Array.from(observation), `step ${step}`);
    t.is(probe.stateOf(observation, { N: -1, T: -1, I: -1, B: -1 }).day, Math.fround(step / 600) * 150);
    ({ observation, info } = env.step(Float32Array.of(0.5)));
  }
  // A state without a day is probed at the start of treatment.
  t.is(probe.observe({ N: 0.9, T: 0.2, I: 0.005, B: 0 })[3], 0);
});

test("with dayScale 'log' the probe shows and reads back the day as the env does", (t) => {
  const options = { setting: 2, observeDay: true, dayScale: 'log' };
  const env = new DePillisEnv(options);
  const probe = chemoPolicyProbe(options);
  let { observation, info } = env.reset({ seed: 5 });
  for (let step = 0; step < 100; step++) {
    const state = { N: info['N'] as number, T: info['T'] as number, I: info['I'] as number, B: info['B'] as number, day: info['day'] as number };
    t.deepEqual(Array.from(probe.observe(state)), Array.from(observation), `step ${step}`);
    t.true(Math.abs((probe.stateOf(observation, { N: -1, T: -1, I: -1, B: -1 }).day as number) - step / 4) < 1e-4 * (1 + step), `step ${step}`);
    ({ observation, info } = env.step(Float32Array.of(0.5)));
  }
});
