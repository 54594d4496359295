import test from 'ava';
import { readFileSync } from 'node:fs';
import '../envs/chemo/register.ts';
import { checkEnv } from '../src/core/check-env.ts';
import { SyncVectorEnv } from '../src/core/vector.ts';
import { make } from '../src/core/registry.ts';
import type { Action, Env, Info, Observation } from '../src/core/env.ts';
import type { Box } from '../src/core/spaces.ts';
import { parseCsv } from '../src/io/csv.ts';
import { DEPILLIS_PARAMS, PARAM_NAMES } from '../envs/chemo/depillis-model.ts';
import { DTRBENCH_SETTINGS, DePillisEnv, dayFromObservation, observedDay, resolveDePillisOptions } from '../envs/chemo/depillis-env.ts';

const ID = 'Chemo-DePillis-v0';
const dose = (d: number) => Float32Array.of(d);

function runConstant(env: Env<Observation, Action>, action: Action, seed = 0) {
  const reset = env.reset({ seed });
  const steps: { observation: Observation; reward: number; terminated: boolean; truncated: boolean; info: Info }[] = [];
  for (;;) {
    const r = env.step(action);
    steps.push(r);
    if (r.terminated || r.truncated) return { reset, steps };
  }
}

test('defaults: [T, I, B] observed, continuous dose, 0.25-day steps for 150 days', (t) => {
  const env = make(ID);
  t.is(env.observationSpace.toString(), 'Box([0, 0, 0], [2, 3, 2], float32)');
  t.is(env.actionSpace.toString(), 'Box(0, 1, [1], float32)');
  t.deepEqual(env.metadata.stepDuration, { value: 0.25, unit: 'day' });
  t.is(env.metadata.maxEpisodeSteps, 600);
  t.deepEqual(env.metadata.observationLabels, ['T', 'I', 'B']);
  const { observation, info } = env.reset({ seed: 3 });
  t.deepEqual(Array.from(observation as Float32Array), [0.2, 0.005, 0].map(Math.fround));
  t.like(info, { N: 0.9, T: 0.2, I: 0.005, B: 0, dose: 0, cumulativeDose: 0, day: 0, step: 0, cost: 0 });
});

const reference = parseCsv(readFileSync(new URL('./fixtures/chemo/ahn_exact_u1.csv', import.meta.url), 'utf8'));

test('through the env, dose 1 reproduces the u = 1 reference to 1e-6 at every step; truncated (not terminated) at 150 days', (t) => {
  const env = make(ID, { observeN: true });
  const { steps } = runConstant(env, dose(1));
  t.is(steps.length, 600);
  steps.forEach((s, i) => {
    const row = reference[i + 1]!;
    for (const name of ['N', 'T', 'I', 'B']) {
      if (Math.abs((s.info[name] as number) - Number(row[name])) > 1e-6) t.fail(`step ${i + 1} ${name}`);
    }
    t.is(s.info['day'], Number(row['t_day']));
    if (i < 599) t.false(s.truncated || s.terminated);
  });
  const last = steps[599]!;
  t.true(last.truncated);
  t.false(last.terminated);
  t.is(last.info['cumulativeDose'], 150);
  // observeN: the observation is the float32 true state.
  t.deepEqual(Array.from(last.observation as Float32Array), ['N', 'T', 'I', 'B'].map((k) => Math.fround(last.info[k] as number)));
});

test('info.cost = 1 exactly when N < 0.75 (and the constraint is configurable)', (t) => {
  const { steps } = runConstant(make(ID), dose(1));
  let costly = 0;
  for (const s of steps) {
    t.is(s.info.cost, (s.info['N'] as number) < 0.75 ? 1 : 0);
    costly += s.info.cost as number;
  }
  t.is(costly * 0.25, 12); // 12 days below 0.75 under MTD (min N 0.708 at day 5.25)
  const strict = runConstant(make(ID, { costBelow: 0.8 }), dose(1)).steps;
  t.true(strict.filter((s) => s.info.cost === 1).length > costly);
});

test("untreated, N falls below 0.7 N0 = 0.63 at day 18.25: terminated, 'dtrbench' reward -100", (t) => {
  const { steps } = runConstant(make(ID, { reward: 'dtrbench' }), dose(0));
  const last = steps[steps.length - 1]!;
  t.is(steps.length, 73);
  t.is(last.info['day'], 18.25);
  t.true(last.terminated);
  t.false(last.truncated);
  t.is(last.reward, -100);
  t.true((last.info['N'] as number) < 0.63 && (steps[71]!.info['N'] as number) >= 0.63);
});

test("'dtrbench' reward = N/N0 - T/T0 - u on the pre-step state", (t) => {
  const env = make(ID, { reward: 'dtrbench' });
  env.reset({ seed: 0 });
  const first = env.step(dose(1));
  t.is(first.reward, 0.9 / 0.9 - 0.2 / 0.2 - 1);
  const second = env.step(dose(0.5));
  const expected = (first.info['N'] as number) / 0.9 - (first.info['T'] as number) / 0.2 - Math.fround(0.5);
  t.true(Math.abs(second.reward - expected) < 1e-12);
});

test("'clinical' reward on the post-step state, in [-0.75, 1]; toxicity termination pays -0.75 per remaining step", (t) => {
  const env = make(ID);
  env.reset({ seed: 0 });
  const r = env.step(dose(1));
  const T = r.info['T'] as number;
  const N = r.info['N'] as number;
  t.true(Math.abs(r.reward - ((1 - Math.min(T / 0.2, 2) / 2) - 0.25 - 0.5 * Math.min(1, Math.max(0, (0.75 - N) / 0.1)))) < 1e-12);
  for (const d of [0, 0.3, 1]) {
    const { steps } = runConstant(make(ID), dose(d));
    for (const s of steps.slice(0, -1)) t.true(s.reward >= -0.75 && s.reward <= 1);
  }
  const untreated = runConstant(make(ID), dose(0)).steps;
  t.is(untreated[untreated.length - 1]!.reward, -0.75 * (600 - 73 + 1));
  // MTD shrinks the tumour: reward approaches 1 - 0.25 (dose) at the end.
  const mtd = runConstant(make(ID), dose(1)).steps;
  t.true(Math.abs(mtd[599]!.reward - 0.75) < 1e-6);
});

test('terminateBelow: 0 disables termination; the untreated patient then reaches the horizon', (t) => {
  const { steps } = runConstant(make(ID, { terminateBelow: 0 }), dose(0));
  t.is(steps.length, 600);
  t.true(steps[599]!.truncated);
  t.true(Math.abs((steps[599]!.info['N'] as number) - 0.435) < 0.01);
  // Untreated N decreases monotonically to 0.435: below 0.5 * N0 = 0.45 late, never below 0.45 * N0 = 0.405.
  const late = runConstant(make(ID, { terminateBelow: 0.5 }), dose(0)).steps;
  t.true(late.length > 73 && late.length < 600 && late[late.length - 1]!.terminated);
  t.is(runConstant(make(ID, { terminateBelow: 0.45 }), dose(0)).steps.length, 600);
});

test('discrete levels: action i is dose i/(n-1); cumulative dose in dose-days', (t) => {
  const env = make(ID, { levels: 5 });
  t.is(env.actionSpace.toString(), 'Discrete(5)');
  env.reset({ seed: 1 });
  let cumulative = 0;
  for (const a of [0, 1, 2, 3, 4, 2]) {
    const r = env.step(a);
    t.is(r.info['dose'], a / 4);
    cumulative += (a / 4) * 0.25;
    t.true(Math.abs((r.info['cumulativeDose'] as number) - cumulative) < 1e-12);
  }
});

test('stepDays and horizonDays set the step and the episode length', (t) => {
  const env = make(ID, { stepDays: 1, horizonDays: 30 });
  t.deepEqual(env.metadata.stepDuration, { value: 1, unit: 'day' });
  const { steps } = runConstant(env, dose(1));
  t.is(steps.length, 30);
  // 1-day steps land on the same trajectory as 0.25-day steps (same constant dose).
  t.true(Math.abs((steps[29]!.info['N'] as number) - Number(reference[120]!['N'])) < 1e-6);
});

test('DTR-Bench presets resolve to the documented knobs; explicit options override a preset', (t) => {
  t.like(resolveDePillisOptions({}), DTRBENCH_SETTINGS[1]);
  t.like(resolveDePillisOptions({ setting: 1 }), { variability: 0, initialVariability: 0, obsNoise: 0, missingProb: 0 });
  t.like(resolveDePillisOptions({ setting: 2 }), { variability: 0.1, initialVariability: 0, obsNoise: 0, missingProb: 0 });
  t.like(resolveDePillisOptions({ setting: 3 }), { variability: 0.1, initialVariability: 0.1, obsNoise: 0.2, missingProb: 0 });
  t.like(resolveDePillisOptions({ setting: 4 }), { variability: 0.1, initialVariability: 0.2, obsNoise: 0.5, missingProb: 0 });
  t.like(resolveDePillisOptions({ setting: 5 }), { variability: 0.1, initialVariability: 0.2, obsNoise: 0.5, missingProb: 0.5 });
  t.like(resolveDePillisOptions({ setting: 5, obsNoise: 0, missingProb: 0.25 }), { variability: 0.1, obsNoise: 0, missingProb: 0.25 });
  t.false(resolveDePillisOptions({ setting: 5 }).observeN);
});

test('patient variability: each parameter uniform within +-width/2 of its value, seeded per episode', (t) => {
  const env = make(ID, { variability: 0.2, terminateBelow: 0 });
  const lo: Record<string, number> = {};
  const hi: Record<string, number> = {};
  for (let seed = 0; seed < 60; seed++) {
    const params = env.reset({ seed }).info['params'] as Record<string, number>;
    for (const name of PARAM_NAMES) {
      const rel = params[name]! / DEPILLIS_PARAMS[name];
      t.true(rel >= 0.9 && rel <= 1.1, `${name}: ${rel}`);
      lo[name] = Math.min(lo[name] ?? Infinity, rel);
      hi[name] = Math.max(hi[name] ?? -Infinity, rel);
    }
  }
  for (const name of PARAM_NAMES) t.true(lo[name]! < 0.93 && hi[name]! > 1.07, `${name} spans [${lo[name]}, ${hi[name]}]`);
  // Same seed, same patient; different seed, different patient.
  t.deepEqual(env.reset({ seed: 5 }).info['params'], env.reset({ seed: 5 }).info['params']);
  t.notDeepEqual(env.reset({ seed: 5 }).info['params'], env.reset({ seed: 6 }).info['params']);
  // Under a constant dose u, B -> u / d2 of the drawn patient.
  const d2 = (env.reset({ seed: 9 }).info['params'] as Record<string, number>)['d2']!;
  let B = 0;
  for (let k = 0; k < 160; k++) B = env.step(dose(0.5)).info['B'] as number;
  t.true(Math.abs(B - Math.fround(0.5) / d2) < 1e-9, `B ${B} vs ${0.5 / d2}`);
  t.not(Number(d2.toFixed(6)), 1);
});

test('initial-state variability: N0, T0, I0 within +-width/2, B0 = 0; N0 and T0 are the reward/termination references', (t) => {
  const env = make(ID, { initialVariability: 0.2, reward: 'dtrbench' });
  for (let seed = 0; seed < 20; seed++) {
    const init = env.reset({ seed }).info['initialState'] as Record<string, number>;
    t.true(init['N']! >= 0.81 && init['N']! <= 0.99 && init['T']! >= 0.18 && init['T']! <= 0.22 && init['I']! >= 0.0045 && init['I']! <= 0.0055);
    t.is(init['B'], 0);
    t.is(env.step(dose(0)).reward, 1 - 1 - 0);
  }
});

test('multiplicative observation noise: observed / true in [1 - w/2, 1 + w/2], varying', (t) => {
  const env = make(ID, { obsNoise: 0.5, observeN: true });
  env.reset({ seed: 2 });
  const ratios: number[] = [];
  for (let k = 0; k < 100; k++) {
    const r = env.step(dose(0.5));
    const obs = r.observation as Float32Array;
    ['N', 'T', 'I', 'B'].forEach((name, i) => ratios.push(obs[i]! / (r.info[name] as number)));
  }
  t.true(ratios.every((q) => q >= 0.75 - 1e-6 && q <= 1.25 + 1e-6));
  t.true(Math.min(...ratios) < 0.8 && Math.max(...ratios) > 1.2);
});

test("tumorScale 'log' shows T as (log10 T + 12) / 12 (noise applied to T first); the other elements are unchanged", (t) => {
  const linear = make(ID, { setting: 1 });
  const log = make(ID, { setting: 1, tumorScale: 'log' });
  linear.reset({ seed: 3 });
  log.reset({ seed: 3 });
  let lowest = { T: Infinity, read: NaN };
  for (let k = 0; k < 600; k++) {
    const u = k < 300 ? 1 : 0; // MTD for 75 days, then nothing
    const a = linear.step(dose(u));
    const b = log.step(dose(u));
    const T = b.info['T'] as number;
    const obs = b.observation as Float32Array;
    t.true(Math.abs(obs[0]! - (Math.log10(Math.max(Math.fround(T), 1e-12)) + 12) / 12) < 1e-6, `step ${k}: T ${T} read ${obs[0]}`);
    t.deepEqual(Array.from(obs.subarray(1)), Array.from((a.observation as Float32Array).subarray(1)));
    if (T < lowest.T) lowest = { T, read: obs[0]! };
    if (b.terminated || b.truncated) break;
  }
  // MTD takes the tumour far below 1e-3, where a linear reading is ~0 and the log one still resolves it.
  t.true(lowest.T < 1e-6 && lowest.read < 0.5, `lowest T ${lowest.T} read ${lowest.read}`);
  const noisy = make(ID, { setting: 4, tumorScale: 'log' });
  noisy.reset({ seed: 5 });
  for (let k = 0; k < 100; k++) {
    const r = noisy.step(dose(0.5));
    const shift = 12 * (r.observation as Float32Array)[0]! - 12 - Math.log10(r.info['T'] as number);
    t.true(shift >= Math.log10(0.75) - 1e-5 && shift <= Math.log10(1.25) + 1e-5, `step ${k}: log10 noise factor ${shift}`);
  }
});

test('missing observations: the last delivered observation is carried forward, at the given rate', (t) => {
  const env = make(ID, { missingProb: 0.5, obsNoise: 0.2 });
  let { observation: prev } = env.reset({ seed: 4 });
  let missing = 0;
  for (let k = 0; k < 400; k++) {
    const r = env.step(dose(0.3));
    if (r.info['observationMissing'] === true) {
      missing++;
      t.deepEqual(r.observation, prev);
    } else t.notDeepEqual(r.observation, prev);
    prev = r.observation;
  }
  t.true(missing > 160 && missing < 240, `${missing} of 400 missing`);
});

test('observeDay appends the exact day over the horizon, current even when the measurements are missing; the rest is unchanged', (t) => {
  const plain = make(ID, { setting: 5 });
  const timed = make(ID, { setting: 5, observeDay: true });
  t.deepEqual(timed.metadata.observationLabels, ['T', 'I', 'B', 'day']);
  t.deepEqual(Array.from((timed.observationSpace as Box).high), [2, 3, 2, 1]);
  const a = plain.reset({ seed: 8 });
  const b = timed.reset({ seed: 8 });
  t.deepEqual(Array.from(b.observation as Float32Array), [...Array.from(a.observation as Float32Array), 0]);
  let missing = 0;
  for (let k = 1; k <= 600; k++) {
    const ra = plain.step(dose(0.4));
    const rb = timed.step(dose(0.4));
    const obs = rb.observation as Float32Array;
    t.deepEqual(Array.from(obs.subarray(0, 3)), Array.from(ra.observation as Float32Array), `step ${k}`);
    t.is(obs[3], Math.fround(k / 600), `step ${k}: day ${rb.info['day']} of 150`);
    if (rb.info['observationMissing'] === true) missing++;
    if (rb.terminated || rb.truncated) {
      t.true(rb.truncated && k === 600 && obs[3] === 1);
      break;
    }
  }
  t.true(missing > 100, `${missing} missing steps, each still showing the current day`);
});

test("dayScale 'log' shows the day as log1p(day) / log1p(horizon): 0 at the start, 1 at the horizon, the first week spread out", (t) => {
  t.is(observedDay(0, 150, 'log'), 0);
  t.is(observedDay(150, 150, 'log'), 1);
  t.true(Math.abs(observedDay(6, 150, 'log') - Math.log(7) / Math.log(151)) < 1e-15);
  t.true(Math.abs(dayFromObservation(observedDay(37.25, 150, 'log'), 150, 'log') - 37.25) < 1e-12);
  t.is(observedDay(6, 150), 0.04); // the linear default, unchanged
  const linear = make(ID, { setting: 1, observeDay: true });
  const log = make(ID, { setting: 1, observeDay: true, dayScale: 'log' });
  linear.reset({ seed: 3 });
  t.is((log.reset({ seed: 3 }).observation as Float32Array)[3], 0);
  let k = 0;
  for (let ended = false; !ended; ) {
    k++;
    const a = linear.step(dose(1)).observation as Float32Array;
    const rb = log.step(dose(1));
    const b = rb.observation as Float32Array;
    t.deepEqual(Array.from(b.subarray(0, 3)), Array.from(a.subarray(0, 3)), `step ${k}: only the day element differs`);
    t.is(b[3], Math.fround(Math.log1p(k / 4) / Math.log1p(150)), `step ${k}`);
    ended = rb.terminated || rb.truncated;
  }
  t.is(k, 600, 'the nominal patient under full dose lives to the horizon, where the day reads 1');
});

test('seeded reproducibility under setting 5, and different seeds differ', (t) => {
  const a = runConstant(make(ID, { setting: 5 }), dose(0.4), 11);
  const b = runConstant(make(ID, { setting: 5 }), dose(0.4), 11);
  const c = runConstant(make(ID, { setting: 5 }), dose(0.4), 12);
  t.deepEqual(
    a.steps.map((s) => [Array.from(s.observation as Float32Array), s.reward]),
    b.steps.map((s) => [Array.from(s.observation as Float32Array), s.reward]),
  );
  t.notDeepEqual(
    a.steps.slice(0, 5).map((s) => Array.from(s.observation as Float32Array)),
    c.steps.slice(0, 5).map((s) => Array.from(s.observation as Float32Array)),
  );
});

const checkCases: Record<string, unknown>[] = [
  {},
  { levels: 11 },
  { observeN: true },
  { reward: 'dtrbench' },
  { setting: 1 },
  { setting: 2 },
  { setting: 3 },
  { setting: 4 },
  { setting: 5 },
  { setting: 5, levels: 5 },
  { setting: 3, observeN: true, reward: 'dtrbench' },
  { setting: 5, observeDay: true, observeN: true },
  { setting: 2, observeDay: true, dayScale: 'log' },
  { variability: 0.3, initialVariability: 0.3, obsNoise: 1, missingProb: 0.9 },
  { stepDays: 1, horizonDays: 20, terminateBelow: 0, costBelow: 0.9, subSteps: 40 },
];
for (const options of checkCases) {
  test(`checkEnv passes for ${ID} ${JSON.stringify(options)}`, (t) => {
    const report = checkEnv(make(ID, options), { steps: 150, seed: 3 });
    t.is(report.id, ID);
    t.deepEqual(report.skipped, []);
    t.true(report.episodeEnds >= 1);
  });
}

const badOptions: [Record<string, unknown>, string][] = [
  [{ setting: 6 }, "Chemo-DePillis-v0: setting: expected null or a DTR-Bench setting 1, 2, 3, 4 or 5, got 6"],
  [{ setting: '2' }, 'Chemo-DePillis-v0: setting: expected null or a DTR-Bench setting 1, 2, 3, 4 or 5, got "2"'],
  [{ levels: 1 }, 'Chemo-DePillis-v0: levels: expected null (continuous dose) or an integer number of dose levels >= 2, got 1'],
  [{ levels: 2.5 }, 'Chemo-DePillis-v0: levels: expected null (continuous dose) or an integer number of dose levels >= 2, got 2.5'],
  [{ stepDays: 0 }, 'Chemo-DePillis-v0: stepDays: expected a number of days in (0, 30], got 0'],
  [{ horizonDays: -5 }, 'Chemo-DePillis-v0: horizonDays: expected a positive number of days, got -5'],
  [{ horizonDays: 10.1 }, 'Chemo-DePillis-v0: horizonDays: must be a whole number (>= 1) of steps of 0.25 day, got 10.1'],
  [{ obsNoise: -0.1 }, 'Chemo-DePillis-v0: obsNoise: obsNoise must be in [0, 1], got -0.1'],
  [{ variability: 1.5 }, 'Chemo-DePillis-v0: variability: variability must be in [0, 1], got 1.5'],
  [{ missingProb: 1 }, 'Chemo-DePillis-v0: missingProb: expected a probability in [0, 1), got 1'],
  [{ reward: 'sparse' }, "Chemo-DePillis-v0: reward: expected 'clinical' or 'dtrbench', got \"sparse\""],
  [{ observeN: 'yes' }, 'Chemo-DePillis-v0: observeN: expected true or false, got "yes"'],
  [{ observeDay: 1 }, 'Chemo-DePillis-v0: observeDay: expected true or false, got 1'],
  [{ terminateBelow: 1 }, 'Chemo-DePillis-v0: terminateBelow: expected a fraction of N0 in [0, 1), got 1'],
  [{ costBelow: 2 }, 'Chemo-DePillis-v0: costBelow: expected a normal-cell level in [0, 1], got 2'],
  [{ subSteps: 0 }, 'Chemo-DePillis-v0: subSteps: expected an integer in [1, 1000], got 0'],
  [{ observeDay: true, dayScale: 'weeks' }, "Chemo-DePillis-v0: dayScale: expected 'linear' (day / horizon) or 'log' (log1p(day) / log1p(horizon)), got \"weeks\""],
  [{ dayScale: 'log' }, 'Chemo-DePillis-v0: dayScale: only with observeDay: true (the day is not observed)'],
  [{ tumorScale: 'ln' }, "Chemo-DePillis-v0: tumorScale: expected 'linear' (T itself) or 'log' (log10 scale), got \"ln\""],
];
for (const [options, message] of badOptions) {
  test(`bad option ${JSON.stringify(options)} -> one-line error naming it`, (t) => {
    const err = t.throws(() => make(ID, options), { name: 'UserError' });
    t.is(err?.message, message);
  });
}

test('unknown option names are rejected by the registry, listing the allowed ones', (t) => {
  t.throws(() => make(ID, { noise: 0.1 }), { message: /^Chemo-DePillis-v0: unknown option 'noise'; allowed: stepDays, horizonDays, .*setting, reward/ });
  // The env class also rejects them when built directly.
  t.throws(() => new DePillisEnv({ noise: 0.1 }), { message: /^Chemo-DePillis-v0: noise: unknown field; allowed: / });
});

test('actions outside [0, 1] are rejected', (t) => {
  const env = make(ID);
  env.reset({ seed: 0 });
  t.throws(() => env.step(dose(1.5)), { message: /action outside the action space/ });
  t.throws(() => env.step(dose(-0.1)), { message: /action outside the action space/ });
});

test('runs in SyncVectorEnv: untreated copies terminate at step 73 and autoreset with the final info kept', (t) => {
  const vec = new SyncVectorEnv([0, 1].map(() => () => make(ID, { setting: 1 })));
  const { observations } = vec.reset({ seed: 0 });
  t.is(observations.length, 6);
  let ended = -1;
  for (let k = 1; k <= 73; k++) {
    const r = vec.step([dose(0), dose(0)]);
    if (r.terminated[0] === 1) {
      ended = k;
      t.is(r.terminated[1], 1);
      t.is((r.infos[0]!['finalInfo'] as Info)['day'], 18.25);
      t.is(r.infos[0]!['step'], 0); // the new episode's reset info
      t.deepEqual(Array.from(r.observations.slice(0, 3)), [0.2, 0.005, 0].map(Math.fround));
    }
  }
  t.is(ended, 73);
  vec.close();
});
