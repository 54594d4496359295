import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseCsv } from '../src/io/csv.ts';
import { DEPILLIS_INITIAL_STATE, DEPILLIS_PARAMS, DePillisIntegrator, dePillisRhs } from '../envs/chemo/depillis-model.ts';

const reference = parseCsv(readFileSync(new URL('./fixtures/chemo/ahn_exact_u1.csv', import.meta.url), 'utf8'));
const STATES = ['N', 'T', 'I', 'B'] as const;

test('the u = 1 reference (DP rtol=atol=1e-10) is matched to 1e-6 in every state at every 0.25-day step over 150 days', (t) => {
  t.is(reference.length, 601);
  const integrator = new DePillisIntegrator({ ...DEPILLIS_PARAMS });
  const y = Float64Array.from(DEPILLIS_INITIAL_STATE);
  let maxErr = 0;
  for (let k = 0; k < reference.length; k++) {
    const row = reference[k]!;
    t.is(Number(row['step']), k);
    if (k > 0) integrator.advance(y, Number(row['u']), 0.25);
    STATES.forEach((name, i) => {
      const err = Math.abs(y[i]! - Number(row[name]));
      maxErr = Math.max(maxErr, err);
      if (err > 1e-6) t.fail(`step ${k} ${name}: ${y[i]} vs reference ${row[name]} (error ${err})`);
    });
  }
  // The integrator is documented at ~1.2e-9; a regression to a coarser scheme shows here first.
  t.true(maxErr < 1e-8, `max error ${maxErr}`);
  t.true(maxErr > 0, 'the comparison must not be vacuous');
});

test('reference landmarks of the de Pillis & Radunskaya 2003 model (from the reference solution in test/fixtures): min N = 0.70838 at day 5.25, T < 1e-3 from day 75.75 under u = 1', (t) => {
  const integrator = new DePillisIntegrator({ ...DEPILLIS_PARAMS });
  const y = Float64Array.from(DEPILLIS_INITIAL_STATE);
  let minN = Infinity;
  let dayMin = 0;
  let firstClear: number | undefined;
  for (let k = 1; k <= 600; k++) {
    integrator.advance(y, 1, 0.25);
    if (y[0]! < minN) {
      minN = y[0]!;
      dayMin = k * 0.25;
    }
    if (firstClear === undefined && y[1]! < 1e-3) firstClear = k * 0.25;
  }
  t.is(Number(minN.toFixed(5)), 0.70838);
  t.is(dayMin, 5.25);
  t.is(firstClear, 75.75);
});

/** The untreated interior equilibrium: with B = 0, dN = 0 and dT = 0 give N = I = 1 - T, and dI = 0 gives g(T) = 0. */
function untreatedEquilibrium(): { N: number; T: number; I: number } {
  const p = DEPILLIS_PARAMS;
  // Valid for the published parameters (r2 = b2 = c4 = c3 = 1, r1 = 1.5, b1 = 1, c2 = 0.5).
  const g = (T: number) => {
    const I = 1 - T;
    return p.s + (p.rho * I * T) / (p.alpha + T) - p.c1 * I * T - p.d1 * I;
  };
  let lo = 0.4;
  let hi = 0.9; // g(0.4) < 0 < g(0.9): the upper (stable) root
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (g(lo) * g(mid) <= 0) hi = mid;
    else lo = mid;
  }
  const T = (lo + hi) / 2;
  return { N: 1 - T, T, I: 1 - T };
}

test('untreated, the system settles at the coexistence state N ~ 0.435, T ~ 0.565 (root-found) and not at T = 1', (t) => {
  const eq = untreatedEquilibrium();
  t.is(Number(eq.N.toFixed(3)), 0.435);
  t.is(Number(eq.T.toFixed(3)), 0.565);
  // The root is a true equilibrium of the full right-hand side.
  const dy = new Float64Array(4);
  dePillisRhs(DEPILLIS_PARAMS, Float64Array.of(eq.N, eq.T, eq.I, 0), 0, dy);
  for (const v of dy) t.true(Math.abs(v) < 1e-12);
  // Integrating the untreated model from the case-2 initial state converges to it.
  const integrator = new DePillisIntegrator({ ...DEPILLIS_PARAMS });
  const y = Float64Array.from(DEPILLIS_INITIAL_STATE);
  for (let k = 0; k < 4 * 1000; k++) integrator.advance(y, 0, 0.25);
  t.true(Math.abs(y[0]! - eq.N) < 1e-6, `N ${y[0]} vs ${eq.N}`);
  t.true(Math.abs(y[1]! - eq.T) < 1e-6, `T ${y[1]} vs ${eq.T}`);
  t.true(Math.abs(y[2]! - eq.I) < 1e-6, `I ${y[2]} vs ${eq.I}`);
  t.is(y[3], 0);
});

test('with u = 0 the drug decays exponentially: B(t) = B0 exp(-d2 t)', (t) => {
  for (const d2 of [1, 0.7]) {
    const integrator = new DePillisIntegrator({ ...DEPILLIS_PARAMS, d2 });
    const y = Float64Array.of(0.9, 0.2, 0.005, 2);
    for (let k = 1; k <= 80; k++) {
      integrator.advance(y, 0, 0.25);
      const exact = 2 * Math.exp(-d2 * k * 0.25);
      if (Math.abs(y[3]! - exact) > 1e-8 * Math.max(1, exact)) t.fail(`d2=${d2} step ${k}: B=${y[3]} vs ${exact}`);
    }
    t.true(y[3]! < 2 * Math.exp(-d2 * 19.9));
  }
  t.pass();
});

test('under a constant dose u, B(t) = u/d2 + (B0 - u/d2) exp(-d2 t) -> u/d2', (t) => {
  for (const [u, d2] of [
    [0.3, 1],
    [1, 1.2],
    [0.55, 0.8],
  ] as const) {
    const integrator = new DePillisIntegrator({ ...DEPILLIS_PARAMS, d2 });
    const y = Float64Array.of(0.9, 0.2, 0.005, 0);
    for (let k = 1; k <= 160; k++) {
      integrator.advance(y, u, 0.25);
      const exact = u / d2 - (u / d2) * Math.exp(-d2 * k * 0.25);
      if (Math.abs(y[3]! - exact) > 1e-8) t.fail(`u=${u} d2=${d2} step ${k}: B=${y[3]} vs ${exact}`);
    }
    t.true(Math.abs(y[3]! - u / d2) < 1e-12 + (u / d2) * Math.exp(-d2 * 40), `u=${u}: B(40 days)=${y[3]}`);
  }
});

test('the integrator rejects a bad sub-step count and more sub-steps converge at 4th order', (t) => {
  t.throws(() => new DePillisIntegrator({ ...DEPILLIS_PARAMS }, 0), { message: /subSteps must be a positive integer/ });
  const errorWith = (subSteps: number) => {
    const integrator = new DePillisIntegrator({ ...DEPILLIS_PARAMS }, subSteps);
    const y = Float64Array.from(DEPILLIS_INITIAL_STATE);
    let err = 0;
    for (let k = 1; k <= 40; k++) {
      integrator.advance(y, 1, 0.25);
      err = Math.max(err, Math.abs(y[0]! - Number(reference[k]!['N'])));
    }
    return err;
  };
  const ratio = errorWith(2) / errorWith(4);
  t.true(ratio > 10 && ratio < 24, `halving h divided the error by ${ratio} (RK4: ~16)`);
});
