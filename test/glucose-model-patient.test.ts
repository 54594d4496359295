import test from 'ava';
import { UserError } from '../src/core/errors.ts';
import { COHORTS, getPatient, PATIENT_NAMES } from '../envs/glucose/patient.ts';

test('30 patients in table order, cohorts of 10', (t) => {
  t.is(PATIENT_NAMES.length, 30);
  t.is(PATIENT_NAMES[0], 'adolescent#001');
  t.is(PATIENT_NAMES[10], 'adult#001');
  t.is(PATIENT_NAMES[29], 'child#010');
  t.deepEqual([...COHORTS.adolescents], Array.from({ length: 10 }, (_, i) => `adolescent#${String(i + 1).padStart(3, '0')}`));
  t.is(COHORTS.adults.length, 10);
  t.is(COHORTS.children.length, 10);
  t.deepEqual([...COHORTS.all], [...PATIENT_NAMES]);
});

test('published values of adolescent#001 and adult#001 (vpatient_params.csv, Quest.csv)', (t) => {
  const a = getPatient('adolescent#001');
  t.is(a.BW, 68.706);
  t.is(a.Vg, 1.6818);
  t.is(a.kp1, 11.5048231338);
  t.is(a.u2ss, 1.21697571391);
  t.is(a.CR, 12);
  t.is(a.CF, 15.0360283441);
  t.is(a.age, 18);
  t.is(a.x0[3], 250.621836);
  const b = getPatient('adult#001');
  t.is(b.basalUPerMin.toFixed(8), '0.02112267');
  t.is((b.x0[12]! / b.Vg).toFixed(2), '138.56');
});

test('every patient: basal = u2ss*BW/6000 and the table relations hold', (t) => {
  for (const name of PATIENT_NAMES) {
    const p = getPatient(name);
    const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(1e-12, Math.abs(b));
    t.is(p.x0.length, 13, name);
    t.is(p.basalUPerMin, (p.u2ss * p.BW) / 6000, name);
    t.true(p.basalUPerMin > 0.002 && p.basalUPerMin < 0.05, `${name} basal ${p.basalUPerMin}`);
    t.is(p.x0[3], p.Gpb, name);
    t.is(p.x0[12], p.Gpb, name);
    t.is(p.x0[4], p.Gtb, name);
    t.is(p.x0[5], p.Ipb, name);
    t.is(p.x0[7], p.Ib, name);
    t.is(p.x0[8], p.Ib, name);
    t.is(p.x0[9], p.Ilb, name);
    for (const i of [0, 1, 2, 6]) t.is(p.x0[i], 0, `${name} x0[${i}]`);
    t.true(rel(p.x0[10]!, p.u2ss / (p.ka1 + p.kd)) < 1e-9, `${name} isc1ss`);
    t.true(rel(p.x0[11]!, (p.kd * p.x0[10]!) / p.ka2) < 1e-9, `${name} isc2ss`);
    t.true(rel(p.Gb, p.Gpb / p.Vg) < 1e-6, `${name} Gb`);
    t.true(rel(p.Ib, p.Ipb / p.Vi) < 1e-6, `${name} Ib`);
    t.true(rel(p.EGPb, p.kp1 - p.kp2 * p.Gpb - p.kp3 * p.Ib) < 1e-6, `${name} EGPb`);
    t.true(rel(p.Vm0, ((p.EGPb - p.Fsnc) * (p.Km0 + p.Gtb)) / p.Gtb) < 1e-6, `${name} Vm0`);
    t.true(p.CR > 0 && p.CF > 0 && p.TDI > 0 && p.age > 0, name);
  }
});

test('getPatient returns an independent copy', (t) => {
  const a = getPatient('child#003');
  a.x0[3] = -1;
  a.BW = 0;
  const b = getPatient('child#003');
  t.not(b.x0[3], -1);
  t.not(b.BW, 0);
});

test('unknown patient: one-line UserError naming the field and the allowed ids', (t) => {
  const err = t.throws(() => getPatient('adult#099'), { instanceOf: UserError });
  t.is(err?.message, "patient: unknown patient 'adult#099'; allowed: adolescent#001..#010, adult#001..#010, child#001..#010");
});
