import test from 'ava';
import { getPatient, PATIENT_NAMES } from '../envs/glucose/patient.ts';
import { Pump } from '../envs/glucose/pump.ts';
import { PatientSimulator } from '../envs/glucose/simulator.ts';

test('steady state: exact basal u2ss*BW/6000, no meals, BG stays at x0 within 1e-6 mg/dL for 24 h (all 30 patients)', (t) => {
  for (const name of PATIENT_NAMES) {
    const p = getPatient(name);
    const sim = new PatientSimulator(p);
    const bg0 = p.x0[12]! / p.Vg;
    let maxDrift = 0;
    for (let m = 0; m < 1440; m++) {
      t.is(sim.stepMinute(p.basalUPerMin), 0);
      maxDrift = Math.max(maxDrift, Math.abs(sim.bgMgDl - bg0));
    }
    t.is(sim.minute, 1440);
    t.true(maxDrift <= 1e-6, `${name}: drift ${maxDrift}`);
    for (let i = 0; i < 13; i++) t.true(Math.abs(sim.state[i]! - p.x0[i]!) <= 1e-6 * Math.max(1, Math.abs(p.x0[i]!)), `${name} state ${i}`);
  }
});

test('pump-rounded basal: adult#001 drifts slowly from 138.56 to 138.54 mg/dL in 24 h (reference notes 6.7: "about 138.55")', (t) => {
  const p = getPatient('adult#001');
  const pump = new Pump('Insulet');
  const sim = new PatientSimulator(p);
  for (let m = 0; m < 1440; m++) sim.stepMinute(pump.basal(p.basalUPerMin));
  t.is(sim.bgMgDl.toFixed(2), '138.54');
  t.true(sim.bgMgDl < 138.56 && sim.bgMgDl > 138.53);
});

test('meal logic: 5 g/min eating, D-bar grows by 5000 mg per minute and is kept after the meal', (t) => {
  const sim = new PatientSimulator(getPatient('adult#001'));
  const basal = sim.patient.basalUPerMin;
  for (let m = 0; m < 10; m++) sim.stepMinute(basal);
  t.is(sim.dbarMg, 0);
  sim.announceMeal(12);
  t.is(sim.plannedMealG, 12);
  const eaten: number[] = [];
  const dbar: number[] = [];
  for (let m = 0; m < 5; m++) {
    eaten.push(sim.stepMinute(basal));
    dbar.push(sim.dbarMg);
  }
  t.deepEqual(eaten, [5, 5, 2, 0, 0]);
  t.deepEqual(dbar, [5000, 10000, 12000, 12000, 12000]);
  t.is(sim.plannedMealG, 0);
  t.true(sim.state[0]! + sim.state[1]! > 0);
  // The next meal starts from the current stomach content (last_Qsto) plus what is eaten.
  const qsto = sim.state[0]! + sim.state[1]!;
  sim.announceMeal(5);
  t.is(sim.stepMinute(basal), 5);
  t.is(sim.dbarMg, qsto + 5000);
});

test('back-to-back announcements merge into one meal for D-bar', (t) => {
  const sim = new PatientSimulator(getPatient('child#001'));
  const u = sim.patient.basalUPerMin;
  sim.announceMeal(10);
  sim.stepMinute(u);
  sim.stepMinute(u); // planned meal now 0, but eating continued without a 0 minute
  sim.announceMeal(10);
  sim.stepMinute(u);
  sim.stepMinute(u);
  t.is(sim.dbarMg, 20000);
});

test('clone continues identically and independently; reset returns to x0', (t) => {
  const p = getPatient('adolescent#004');
  const a = new PatientSimulator(p);
  a.announceMeal(50);
  for (let m = 0; m < 100; m++) a.stepMinute(m === 3 ? 0.5 : p.basalUPerMin);
  const b = a.clone();
  t.is(b.minute, 100);
  t.deepEqual([...b.state], [...a.state]);
  for (let m = 0; m < 200; m++) {
    a.stepMinute(p.basalUPerMin);
    b.stepMinute(p.basalUPerMin);
  }
  t.deepEqual([...b.state], [...a.state]); // bit-identical, including the carried solver step
  b.stepMinute(1);
  t.notDeepEqual([...b.state], [...a.state]);
  a.reset();
  t.is(a.minute, 0);
  t.is(a.plannedMealG, 0);
  t.deepEqual([...a.state], [...p.x0]);
  const init = Float64Array.from(p.x0);
  init[3] = init[12] = 1.2 * p.Gpb;
  a.reset(init);
  t.is(a.bgMgDl, (1.2 * p.Gpb) / p.Vg);
  t.throws(() => a.reset(new Float64Array(3)), { message: /13 values/ });
  t.throws(() => a.stepMinute(Number.NaN), { message: /insulin must be a finite rate >= 0 U\/min/ });
  t.throws(() => a.stepMinute(-0.1), { message: /insulin must be/ });
  t.throws(() => a.announceMeal(-5), { message: /grams must be/ });
  t.is(a.minute, 0);
});

test('more insulin lowers BG, a meal raises it (sanity of signs over 4 h)', (t) => {
  const p = getPatient('adult#005');
  const run = (insulin: number, meal: number): number => {
    const sim = new PatientSimulator(p);
    if (meal > 0) sim.announceMeal(meal);
    for (let m = 0; m < 240; m++) sim.stepMinute(insulin);
    return sim.bgMgDl;
  };
  const base = run(p.basalUPerMin, 0);
  t.true(run(3 * p.basalUPerMin, 0) < base - 5);
  t.true(run(p.basalUPerMin, 60) > base + 20);
});
