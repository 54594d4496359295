import test from 'ava';
import { Rng } from '../src/core/rng.ts';
import { Pump, PUMP_NAMES, roundHalfEven } from '../envs/glucose/pump.ts';
import { CgmNoise, CgmSensor, getSensorParams, Noise15, notAKnotSplineWeights, SENSOR_NAMES } from '../envs/glucose/sensor.ts';

// ---------------------------------------------------------------- pump

test('pump rounding: adult#001 basal 0.02112267 U/min -> 0.021125 (inc 0.05 pmol/min)', (t) => {
  const pump = new Pump('Insulet');
  t.is(pump.basal(0.02112267), 0.021125);
  t.is(pump.basal(0.0139355889).toFixed(13), '0.0139333333333'); // adolescent#001, as in the reference run
  t.is(pump.bolus(1.25), 1.25);
  // resolution 0.05/6000 U/min: values round to the nearest multiple
  const step = 0.05 / 6000;
  t.true(Math.abs(pump.basal(0.4 * step)) < 1e-18);
  t.true(Math.abs(pump.basal(0.6 * step) - step) < 1e-18);
});

test('pump ties round to even like numpy.round', (t) => {
  t.is(roundHalfEven(0.5), 0);
  t.is(roundHalfEven(1.5), 2);
  t.is(roundHalfEven(2.5), 2);
  t.is(roundHalfEven(-2.5), -2);
  t.is(roundHalfEven(2.6), 3);
});

test('pump clipping to [min, max] U/min per model', (t) => {
  t.deepEqual([...PUMP_NAMES], ['Insulet', 'Cozmo']);
  const insulet = new Pump('Insulet');
  const cozmo = new Pump('Cozmo');
  t.is(insulet.basal(100), 30);
  t.is(insulet.bolus(100), 30);
  t.is(cozmo.basal(100), 35);
  t.is(cozmo.bolus(100), 75);
  t.is(insulet.basal(-1), 0);
  t.is(cozmo.bolus(-3), 0);
  t.is(insulet.maxBasalUPerMin, 30);
  t.is(cozmo.maxBolusUPerMin, 75);
});

// ---------------------------------------------------------------- sensor (no noise)

test('sensor sample times, ranges and zero-order hold', (t) => {
  t.deepEqual([...SENSOR_NAMES], ['Dexcom', 'GuardianRT', 'Navigator']);
  const rng = new Rng(1);
  const expected = { Dexcom: [3, 39, 600], GuardianRT: [5, 39, 600], Navigator: [1, 32, 600] } as const;
  for (const name of SENSOR_NAMES) {
    const s = new CgmSensor(name, { noise: false, rng });
    t.deepEqual([s.sampleTimeMin, s.minMgDl, s.maxMgDl], [...expected[name]]);
    const readings: number[] = [];
    for (let m = 0; m < 11; m++) readings.push(s.read(100 + m, m));
    const want = Array.from({ length: 11 }, (_, m) => 100 + m - (m % s.sampleTimeMin));
    t.deepEqual(readings, want, name);
  }
  const dex = new CgmSensor('Dexcom', { noise: false, rng });
  t.is(dex.read(700, 0), 600);
  t.is(dex.read(20, 3), 39);
  t.is(dex.read(20, 4), 39); // held
  const nav = new CgmSensor('Navigator', { noise: false, rng });
  t.is(nav.read(20, 0), 32);
  t.is(nav.read(600.5, 1), 600);
});

test('noisy readings are clipped and reproducible from the seed', (t) => {
  const read = (seed: number): number[] => {
    const s = new CgmSensor('Dexcom', { noise: true, rng: new Rng(seed) });
    return Array.from({ length: 300 }, (_, m) => s.read(m < 150 ? 45 : 590, m));
  };
  const a = read(7);
  t.deepEqual(read(7), a);
  t.notDeepEqual(read(8), a);
  t.true(a.every((v) => v >= 39 && v <= 600));
  t.true(a.some((v) => v === 39) && a.some((v) => v === 600), 'clipping occurs near the range ends');
  t.true(a.some((v) => v !== 45 && v !== 590 && v !== 39 && v !== 600), 'noise is added');
});

// ---------------------------------------------------------------- noise model

test('not-a-knot spline weights reproduce any cubic exactly (a natural spline would not)', (t) => {
  const times = Array.from({ length: 50 }, (_, k) => 3 * (k + 1));
  const w = notAKnotSplineWeights(11, 15, times);
  const cubic = (x: number): number => 2 - 0.3 * x + 0.01 * x * x + 2e-4 * x * x * x;
  const knots = Array.from({ length: 11 }, (_, j) => cubic(15 * j));
  times.forEach((x, q) => {
    const s = knots.reduce((acc, y, j) => acc + w[q]![j]! * y, 0);
    t.true(Math.abs(s - cubic(x)) < 1e-9 * Math.max(1, Math.abs(cubic(x))), `t=${x}: ${s} vs ${cubic(x)}`);
  });
  // Interpolating: the weights at the knots are unit vectors.
  t.true(Math.abs(w[4]![1]! - 1) < 1e-12 && Math.abs(w[4]![0]!) < 1e-12); // t = 15
});

/** Moments of eps = xi + lambda*sinh((e - gamma)/delta) for e ~ N(0, s2), and lag-1 correlation rho. */
function johnsonSuMoments(p: { xi: number; lambda: number; gamma: number; delta: number }, s2: number, rho: number) {
  const a2s2 = s2 / (p.delta * p.delta);
  const c = -p.gamma / p.delta;
  const m = Math.sinh(c) * Math.exp(a2s2 / 2);
  const esq = (Math.cosh(2 * c) * Math.exp(2 * a2s2) - 1) / 2;
  const variance = p.lambda * p.lambda * (esq - m * m);
  const eprod = (Math.cosh(2 * c) * Math.exp(a2s2 * (1 + rho)) - Math.exp(a2s2 * (1 - rho))) / 2;
  const cov = p.lambda * p.lambda * (eprod - m * m);
  return { mean: p.xi + p.lambda * m, sd: Math.sqrt(variance), lag1: cov / variance };
}

test('15-min noise: mean, SD and lag-1 autocorrelation match the Johnson SU of the stationary AR(1)', (t) => {
  const p = getSensorParams('Dexcom');
  const s2 = (p.PACF * p.PACF) / (1 - p.PACF * p.PACF); // stationary variance of e_k = PACF*(e_{k-1}+z)
  const want = johnsonSuMoments(p, s2, p.PACF);
  // Closed forms for the Dexcom parameters: mean 0.7187 mg/dL, SD 11.728 mg/dL, lag-1 0.6901.
  t.is(want.mean.toFixed(4), '0.7187');
  t.is(want.sd.toFixed(3), '11.728');
  t.is(want.lag1.toFixed(4), '0.6901');
  const gen = new Noise15(p, new Rng('noise-stats'));
  for (let k = 0; k < 50; k++) gen.next(); // burn-in: e_0 ~ N(0,1) is not stationary
  const n = 400000;
  const x = new Float64Array(n);
  let sum = 0;
  let sumE = 0;
  let sumE2 = 0;
  for (let k = 0; k < n; k++) {
    x[k] = gen.next();
    sum += x[k]!;
    sumE += gen.lastE;
    sumE2 += gen.lastE * gen.lastE;
  }
  const mean = sum / n;
  let v = 0;
  let c1 = 0;
  for (let k = 0; k < n; k++) {
    v += (x[k]! - mean) ** 2;
    if (k > 0) c1 += (x[k]! - mean) * (x[k - 1]! - mean);
  }
  const sd = Math.sqrt(v / n);
  const lag1 = c1 / v;
  // Standard errors with autocorrelation ~0.7: se(mean) ~ sd*sqrt((1+r)/(1-r)/n) ~ 0.036 mg/dL here.
  t.true(Math.abs(sumE / n) < 0.01, `AR(1) mean ${sumE / n}`);
  t.true(Math.abs(sumE2 / n - s2) < 0.02, `AR(1) variance ${sumE2 / n} vs ${s2}`);
  t.true(Math.abs(mean - want.mean) < 0.2, `mean ${mean} vs ${want.mean}`);
  t.true(Math.abs(sd - want.sd) / want.sd < 0.03, `sd ${sd} vs ${want.sd}`);
  t.true(Math.abs(lag1 - want.lag1) < 0.02, `lag-1 ${lag1} vs ${want.lag1}`);
  t.true(want.lag1 < p.PACF, 'the sinh transform lowers the correlation of the Gaussian AR(1)');
});

test('sensor-grid noise passes through the 15-min points and keeps the mean', (t) => {
  const p = getSensorParams('Dexcom');
  const grid = new CgmNoise(p, new Rng('grid'));
  const knots = new Noise15(p, new Rng('grid')); // same stream, same draw order
  const first = knots.next(); // the initial point is drawn up front, used at t = 0 only
  t.true(Number.isFinite(first));
  let sum = 0;
  const n = 5 * 40000;
  for (let j = 1; j <= n; j++) {
    const v = grid.next(); // Dexcom sample j is at 3*j minutes
    sum += v;
    if (j % 5 === 0) {
      const k = knots.next();
      if (Math.abs(v - k) > 1e-9 * Math.max(1, Math.abs(k))) {
        t.fail(`sample ${j}: ${v} vs knot ${k}`);
        return;
      }
    }
  }
  const want = johnsonSuMoments(p, (p.PACF * p.PACF) / (1 - p.PACF * p.PACF), p.PACF);
  t.true(Math.abs(sum / n - want.mean) < 0.3, `mean ${sum / n} vs ${want.mean}`);
  // Block lengths per sensor: 150 min / sample time.
  for (const [name, len] of [['GuardianRT', 30], ['Navigator', 150]] as const) {
    const g = new CgmNoise(getSensorParams(name), new Rng('b'));
    const k15 = new Noise15(getSensorParams(name), new Rng('b'));
    k15.next();
    let v = 0;
    for (let j = 1; j <= len; j++) v = g.next();
    let k = 0;
    for (let j = 0; j < 10; j++) k = k15.next();
    t.true(Math.abs(v - k) < 1e-9 * Math.max(1, Math.abs(k)), `${name}: end of first block at 150 min`);
  }
});
