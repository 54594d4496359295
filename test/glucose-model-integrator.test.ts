import test from 'ava';
import { Dopri5, Rk4 } from '../envs/glucose/integrator.ts';
import { type OdeSystem, UvaPadovaModel } from '../envs/glucose/model.ts';
import { getPatient } from '../envs/glucose/patient.ts';

/** y0' = -k y0 ; y1' = y0 - y1 (two-stage linear chain with a closed-form solution). */
class Chain implements OdeSystem {
  constructor(public k: number) {}
  derivatives(x: Float64Array, dx: Float64Array): void {
    dx[0] = -this.k * x[0]!;
    dx[1] = x[0]! - x[1]!;
  }
}
const exact = (k: number, t: number): [number, number] => [Math.exp(-k * t), (Math.exp(-k * t) - Math.exp(-t)) / (1 - k)];

test('Dopri5 with simglucose tolerances: 60 one-minute calls stay within ~rtol of the exact solution', (t) => {
  const sys = new Chain(0.3);
  const y = Float64Array.of(1, 0);
  const d = new Dopri5(2);
  let time = 0;
  for (let m = 0; m < 60; m++) time = d.integrate(sys, y, time, time + 1);
  const [e0, e1] = exact(0.3, 60);
  t.true(Math.abs(time - 60) < 1e-12);
  t.true(Math.abs(y[0]! - e0) <= 1e-5 * Math.abs(e0), `${y[0]} vs ${e0}`);
  t.true(Math.abs(y[1]! - e1) <= 1e-5 * Math.abs(e1), `${y[1]} vs ${e1}`);
  t.true(d.h > 0, 'the predicted step is carried to the next call (scipy keeps DOPRI5 WORK(7))');
  const tight = new Dopri5(2, { rtol: 1e-12, atol: 1e-14, maxSteps: 100000 });
  const z = Float64Array.of(1, 0);
  tight.integrate(sys, z, 0, 10);
  const [, f1] = exact(0.3, 10);
  t.true(Math.abs(z[1]! - f1) <= 1e-10 * Math.abs(f1), `${z[1]} vs ${f1}`);
});

test('Dopri5 carried step: a fresh solver (h = 0) uses HINIT and costs more evaluations per call', (t) => {
  const sys = new Chain(0.05);
  const carried = new Dopri5(2);
  const fresh = new Dopri5(2);
  const a = Float64Array.of(1, 0);
  const b = Float64Array.of(1, 0);
  for (let m = 0; m < 100; m++) {
    carried.integrate(sys, a, m, m + 1);
    fresh.reset();
    fresh.integrate(sys, b, m, m + 1);
  }
  t.true(fresh.rhsEvaluations > carried.rhsEvaluations, `${fresh.rhsEvaluations} vs ${carried.rhsEvaluations}`);
  const c = carried.clone();
  t.is(c.h, carried.h);
  t.throws(() => carried.integrate(sys, a, 5, 5), { message: /t1 > t0/ });
});

test('Rk4 is fourth order: halving the step cuts the error by about 16', (t) => {
  const sys = new Chain(0.5);
  const err = (n: number): number => {
    const y = Float64Array.of(1, 0);
    new Rk4(2, n).integrate(sys, y, 0, 4);
    return Math.abs(y[1]! - exact(0.5, 4)[1]);
  };
  const ratio = err(16) / err(32);
  t.true(ratio > 14 && ratio < 19, `ratio ${ratio}`);
  t.throws(() => new Rk4(2, 0), { message: /substeps/ });
});

test('reusing f(y) across calls (unchanged inputs and state) is bit-identical to re-evaluating it', (t) => {
  const p = getPatient('adult#002');
  const model = new UvaPadovaModel(p);
  // Same model, but hides inputsVersion so the integrator must re-evaluate f at every call.
  const plain: OdeSystem = { derivatives: (x, dx) => model.derivatives(x, dx) };
  const a = Float64Array.from(p.x0);
  const b = Float64Array.from(p.x0);
  const da = new Dopri5(13);
  const db = new Dopri5(13);
  for (let m = 0; m < 600; m++) {
    // a meal at 60-70 min with D-bar growing, a bolus at 61-63, otherwise basal
    const cho = m >= 60 && m < 70 ? 5 : 0;
    model.setInputs(cho, m >= 61 && m < 64 ? 1 : p.basalUPerMin, m >= 60 ? 5000 * Math.min(10, m - 59) : 0);
    da.integrate(model, a, m, m + 1);
    db.integrate(plain, b, m, m + 1);
    if (m === 300) {
      a[6] = a[6]! + 1e-3; // an external write to the state must disable the reuse
      b[6] = b[6]! + 1e-3;
    }
  }
  t.deepEqual([...a], [...b]);
  t.true(da.rhsEvaluations < db.rhsEvaluations - 400, `${da.rhsEvaluations} vs ${db.rhsEvaluations}`);
});
