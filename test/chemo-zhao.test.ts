import test from 'ava';
import '../envs/chemo/register.ts';
import { checkEnv } from '../src/core/check-env.ts';
import { make } from '../src/core/registry.ts';
import { Box } from '../src/core/spaces.ts';
import { ZHAO_PARAMS, zhaoMonthlySurvival, zhaoReward, zhaoTransition } from '../envs/chemo/zhao-model.ts';

const ID = 'Chemo-Zhao2009-v0';
const dose = (d: number) => Float32Array.of(d);
const close = (a: unknown, b: number, tol = 1e-12) => typeof a === 'number' && Math.abs(a - b) < tol;

test('hand-computed month: W0 = 0.5, M0 = 1, D = 1, mu0 = -4.5', (t) => {
  const params = { ...ZHAO_PARAMS, mu0: -4.5 };
  // W1 = 0.5 + 0.1 * max(1, 1) + 1.2 * (1 - 0.5) = 1.2
  // M1 = 1 + 0.15 * max(0.5, 0.5) - 1.2 * (1 - 0.5) = 0.475
  // p = exp(-exp(-4.5 + 1.2 + 0.475)) = exp(-exp(-2.825)) = 0.94241584...
  const next = zhaoTransition(params, { W: 0.5, M: 1 }, 1, { W: 0.5, M: 1 });
  t.true(close(next.W, 1.2) && close(next.M, 0.475));
  t.true(close(zhaoMonthlySurvival(params, next), 0.9424158411754052));
  // W rose 0.7 (-5), M fell 0.525 (+5).
  t.is(zhaoReward({ W: 0.5, M: 1 }, next, false), 0);
  t.is(zhaoReward({ W: 0.5, M: 1 }, next, true), -60);

  const env = make(ID, { mu0: -4.5 });
  const reset = env.reset({ seed: 1, options: { W0: 0.5, M0: 1 } });
  t.deepEqual(Array.from(reset.observation as Float32Array), [0.5, 1]);
  t.like(reset.info, { W: 0.5, M: 1, month: 0, cumulativeSurvival: 1, cured: false, dead: false, cost: 0 });
  const r = env.step(dose(1));
  t.true(close(r.info['W'], 1.2) && close(r.info['M'], 0.475));
  t.true(close(r.info['survivalProb'], 0.9424158411754052));
  t.true(close(r.info['cost'], 0.7));
  t.is(r.info['month'], 1);
  t.is(r.reward, r.info['dead'] ? -60 : 0);
  t.is(r.terminated, r.info['dead'] === true);
});

test('toxicity and tumour clip at 0; the change scores give -5 for a tumour rise of >= 0.5', (t) => {
  // W1 = 0.2 + 0.1 * 0.5 + 1.2 * (0 - 0.5) = -0.35 -> 0;  M1 = 0.5 + 0.15 * 0.2 + 0.6 = 1.13
  const next = zhaoTransition(ZHAO_PARAMS, { W: 0.2, M: 0.5 }, 0, { W: 0.2, M: 0.5 });
  t.is(next.W, 0);
  t.true(close(next.M, 1.13));
  t.is(zhaoReward({ W: 0.2, M: 0.5 }, next, false), -5); // W fell 0.2 (0), M rose 0.63 (-5)
  // max(M_t, M_0) and max(W_t, W_0) use the patient's initial values once the state falls below them.
  const later = zhaoTransition(ZHAO_PARAMS, { W: 0.1, M: 0.4 }, 0.5, { W: 1, M: 2 });
  t.true(close(later.W, 0.1 + 0.1 * 2) && close(later.M, 0.4 + 0.15 * 1));
});

test('cure is absorbing: +15 in the month M reaches 0, then M stays 0 and only W scores', (t) => {
  const env = make(ID, { mu0: -20 }); // survival ~ 1: isolate the dynamics
  env.reset({ seed: 2, options: { W0: 1, M0: 0.3 } });
  // W1 = 1 + 0.1 * 0.3 + 0.6 = 1.63 (-5); M1 = 0.3 + 0.15 - 0.6 < 0 -> 0, cured (+15)
  const m1 = env.step(dose(1));
  t.true(close(m1.info['W'], 1.63));
  t.is(m1.info['M'], 0);
  t.is(m1.info['cured'], true);
  t.is(m1.reward, 10);
  t.false(m1.terminated || m1.truncated);
  // W2 = 1.63 + 0.1 * max(0, 0.3) - 0.6 = 1.06 (fell 0.57: +5); M stays 0 even untreated.
  const m2 = env.step(dose(0));
  t.true(close(m2.info['W'], 1.06));
  t.is(m2.info['M'], 0);
  t.is(m2.reward, 5);
  for (let k = 3; k <= 6; k++) {
    const r = env.step(dose(0));
    t.is(r.info['M'], 0);
    t.is(r.truncated, k === 6);
    t.false(r.terminated);
  }
});

test('survival probabilities with mu0 = -4.5 multiply into the cumulative survival', (t) => {
  const env = make(ID, { mu0: -4.5 });
  env.reset({ seed: 5, options: { W0: 1, M0: 0.3 } });
  const m1 = env.step(dose(1));
  const m2 = env.step(dose(0));
  // exp(-exp(-4.5 + 1.63)) and exp(-exp(-4.5 + 1.06))
  t.true(close(m1.info['survivalProb'], 0.9448785043494019));
  t.true(close(m2.info['survivalProb'], 0.9684439359395653));
  t.true(close(m2.info['cumulativeSurvival'], 0.9448785043494019 * 0.9684439359395653));
});

test('death is sampled from the seeded stream at the model probability, and terminates with -60', (t) => {
  const certain = make(ID, { mu0: 5 });
  certain.reset({ seed: 0, options: { W0: 0.5, M0: 1 } });
  const r = certain.step(dose(1));
  t.true(r.terminated);
  t.false(r.truncated);
  t.is(r.reward, -60);
  t.is(r.info['dead'], true);
  t.throws(() => certain.step(dose(1)), { message: /call reset\(\) first/ });

  // mu0 chosen so the first month's survival is exactly 1/2 after D = 1 from (0.5, 1).
  const env = make(ID, { mu0: Math.log(Math.log(2)) - 1.675, months: 1 });
  let deaths = 0;
  const outcomes: boolean[] = [];
  for (let seed = 0; seed < 2000; seed++) {
    env.reset({ seed, options: { W0: 0.5, M0: 1 } });
    const s = env.step(dose(1));
    t.true(close(s.info['survivalProb'], 0.5, 1e-12));
    outcomes.push(s.terminated);
    if (s.terminated) deaths++;
  }
  t.true(Math.abs(deaths - 1000) < 100, `${deaths} deaths of 2000 (expect 1000 +- 67 at 3 sd)`);
  // Reproducible: the same seeds give the same deaths.
  const again = outcomes.slice(0, 50).map((_, seed) => {
    env.reset({ seed, options: { W0: 0.5, M0: 1 } });
    return env.step(dose(1)).terminated;
  });
  t.deepEqual(again, outcomes.slice(0, 50));
});

test('initial state W0, M0 ~ U(0, 2) per seed; six months then truncation', (t) => {
  const env = make(ID, { mu0: -20 });
  const seen: number[] = [];
  for (let seed = 0; seed < 200; seed++) {
    const obs = env.reset({ seed }).observation as Float32Array;
    t.true(obs[0]! >= 0 && obs[0]! < 2 && obs[1]! >= 0 && obs[1]! < 2);
    seen.push(obs[0]!, obs[1]!);
  }
  t.true(Math.min(...seen) < 0.05 && Math.max(...seen) > 1.95);
  const mean = seen.reduce((a, b) => a + b, 0) / seen.length;
  t.true(Math.abs(mean - 1) < 0.1);
  env.reset({ seed: 9 });
  for (let k = 1; k <= 6; k++) t.is(env.step(dose(0.5)).truncated, k === 6);
  t.is(env.metadata.maxEpisodeSteps, 6);
  t.deepEqual(env.metadata.stepDuration, { value: 1, unit: 'month' });
});

test('observeBaseline adds W0, M0 and observeMonth adds month / months; the dynamics and rewards are unchanged', (t) => {
  const plain = make(ID, { deaths: 'expected' });
  const full = make(ID, { deaths: 'expected', observeBaseline: true, observeMonth: true });
  t.deepEqual(full.metadata.observationLabels, ['W', 'M', 'W0', 'M0', 'month_fraction']);
  t.deepEqual((full.observationSpace as Box).shape, [5]);
  t.deepEqual(make(ID, { observeMonth: true }).metadata.observationLabels, ['W', 'M', 'month_fraction']);
  const a = plain.reset({ seed: 3 }).observation as Float32Array;
  const b = full.reset({ seed: 3 }).observation as Float32Array;
  t.deepEqual(Array.from(b), [a[0], a[1], a[0], a[1], 0]);
  for (let k = 1; k <= 6; k++) {
    const p = plain.step(dose(0.7));
    const f = full.step(dose(0.7));
    t.is(f.reward, p.reward);
    const o = f.observation as Float32Array;
    t.deepEqual(Array.from(o.subarray(0, 2)), Array.from(p.observation as Float32Array));
    // The baseline stays the enrolment values; the month fraction counts the months given.
    t.deepEqual(Array.from(o.subarray(2)), [a[0], a[1], Math.fround(k / 6)]);
    t.is(f.truncated, k === 6);
  }
  t.is(t.throws(() => make(ID, { observeMonth: 'yes' }))?.message, 'Chemo-Zhao2009-v0: observeMonth: expected true (the observation adds month / months) or false, got "yes"');
});

test('discrete levels map to doses i/(n-1)', (t) => {
  const env = make(ID, { levels: 3, mu0: -20 });
  env.reset({ seed: 0, options: { W0: 1, M0: 1 } });
  t.is(env.step(2).info['dose'], 1);
  t.is(env.step(1).info['dose'], 0.5);
  t.is(env.step(0).info['cumulativeDose'], 1.5);
});

for (const options of [{}, { levels: 5 }, { mu0: -2, months: 12 }, { observeBaseline: true, observeMonth: true }]) {
  test(`checkEnv passes for ${ID} ${JSON.stringify(options)}`, (t) => {
    const report = checkEnv(make(ID, options), { steps: 100, seed: 1 });
    t.deepEqual(report.skipped, []);
    t.true(report.episodeEnds > 5);
  });
}

test('bad Zhao options and reset options give one-line errors naming them', (t) => {
  t.is(t.throws(() => make(ID, { mu0: 'low' }))?.message, 'Chemo-Zhao2009-v0: mu0: expected a finite log-hazard intercept in [-20, 5], got "low"');
  t.is(t.throws(() => make(ID, { deaths: 'never' }))?.message, "Chemo-Zhao2009-v0: deaths: expected 'sampled' (drawn each month) or 'expected' (none drawn; rewards in expectation), got \"never\"");
  t.is(t.throws(() => make(ID, { months: 0 }))?.message, 'Chemo-Zhao2009-v0: months: expected an integer number of months in [1, 120], got 0');
  t.is(t.throws(() => make(ID, { levels: 1 }))?.message, 'Chemo-Zhao2009-v0: levels: expected null (continuous dose) or an integer number of dose levels >= 2, got 1');
  const env = make(ID);
  t.is(t.throws(() => env.reset({ seed: 0, options: { W0: -1 } }))?.message, 'Chemo-Zhao2009-v0.reset options: W0: expected a number in [0, 10], got -1');
  t.regex(t.throws(() => env.reset({ seed: 0, options: { T0: 1 } }))?.message ?? '', /^Chemo-Zhao2009-v0.reset options: T0: unknown field; allowed: W0, M0$/);
});

test('default mu0 = -5.5: six-month survival of no treatment, fixed doses and MTD until cured (the numbers in zhao-model.ts)', (t) => {
  t.is(ZHAO_PARAMS.mu0, -5.5);
  // The model's probability of living six months (all six factors, whatever a sampled death would
  // have done), averaged over the patients of 4,000 episode seeds of the env.
  const env = make(ID);
  const survival = (doseOf: (M: number) => number): number => {
    let total = 0;
    for (let seed = 0; seed < 4000; seed++) {
      const { info } = env.reset({ seed });
      const initial = { W: info['W'] as number, M: info['M'] as number };
      let state = initial;
      let s = 1;
      for (let month = 0; month < 6; month++) {
        state = zhaoTransition(ZHAO_PARAMS, state, doseOf(state.M), initial);
        s *= zhaoMonthlySurvival(ZHAO_PARAMS, state);
      }
      total += s;
    }
    return total / 4000;
  };
  const none = survival(() => 0);
  const best = survival(() => 0.4);
  const mtd = survival(() => 1);
  const adaptive = survival((M) => (M > 0 ? 1 : 0));
  t.log({ none, best, mtd, adaptive });
  for (const [got, documented] of [[none, 0.2], [best, 0.5], [mtd, 0.24], [adaptive, 0.53]] as const) t.true(Math.abs(got - documented) < 0.015, `${got} vs ${documented}`);
  t.true(adaptive > best + 0.02, 'adapting to the tumour beats the best fixed dose');
});

test("deaths: 'expected' runs every month and pays the sampled trial's reward in expectation (equal expected returns)", (t) => {
  const doses = [1, 1, 0.5, 0, 0.3, 0.6];
  const reset = { W0: 0.8, M0: 1.4 };
  const expectedEnv = make(ID, { deaths: 'expected' });
  expectedEnv.reset({ seed: 3, options: reset });
  let expectedReturn = 0;
  let survival = 1;
  const rewards: number[] = [];
  for (const [month, d] of doses.entries()) {
    const r = expectedEnv.step(dose(d));
    t.false(r.terminated);
    t.is(r.truncated, month === 5);
    t.is(r.info['dead'], false);
    const p = r.info['survivalProb'] as number;
    rewards.push(r.reward);
    expectedReturn += r.reward;
    survival *= p;
    t.true(close(r.info['cumulativeSurvival'], survival));
  }
  // The sampled trial on the same patient, deaths drawn from 20,000 episode seeds.
  const sampledEnv = make(ID);
  let total = 0;
  let sumSq = 0;
  const n = 20000;
  for (let seed = 0; seed < n; seed++) {
    sampledEnv.reset({ seed, options: reset });
    let ret = 0;
    for (const d of doses) {
      const r = sampledEnv.step(dose(d));
      ret += r.reward;
      if (r.terminated) break;
    }
    total += ret;
    sumSq += ret * ret;
  }
  const mean = total / n;
  const se = Math.sqrt((sumSq / n - mean * mean) / n);
  t.log({ expectedReturn, sampledMean: mean, se, rewards });
  t.true(Math.abs(mean - expectedReturn) < 4 * se, `${mean} vs ${expectedReturn} (se ${se})`);
  // The first month: alive at the start for sure, so -60 (1 - p1) + p1 (R2 + R3).
  expectedEnv.reset({ seed: 3, options: reset });
  const first = expectedEnv.step(dose(1));
  const p1 = first.info['survivalProb'] as number;
  const scored = zhaoReward({ W: 0.8, M: 1.4 }, { W: first.info['W'] as number, M: first.info['M'] as number }, false);
  t.true(close(first.reward, -60 * (1 - p1) + p1 * scored));
});
