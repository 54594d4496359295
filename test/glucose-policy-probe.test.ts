/**
 * The T1D policy probe (envs/glucose/policy-probe.ts) shows a policy exactly the observation the
 * real env shows in the same state, in every action mode, and reads actions and baselines as the
 * env and the baselines do.
 */
import test from 'ava';
import { PidCore, pidGains, type TherapyParams } from '../agents/baselines/glucose/index.ts';
import { InsulinOnBoard } from '../envs/glucose/insulin-on-board.ts';
import { basalBolusUnitsPerMin, glucosePolicyProbe, pidUnitsPerMinAtZeroIntegral } from '../envs/glucose/policy-probe.ts';
import { T1DEnv } from '../envs/glucose/t1d-env.ts';
import { Box, Discrete } from '../src/core/spaces.ts';

const MEALS = [{ minute: 60, grams: 40 }, { minute: 200, grams: 60 }, { minute: 203, grams: 10 }];

const MODES: { name: string; options: Record<string, unknown> }[] = [
  { name: 'continuous, meals announced 30 min ahead', options: { action: 'continuous', mealAnnouncement: 30 } },
  { name: 'continuous, no announcement, window 4, GuardianRT', options: { action: 'continuous', window: 4, sensor: 'GuardianRT' } },
  { name: 'discrete', options: { action: 'discrete', mealAnnouncement: 15 } },
  { name: 'basal-relative', options: { action: 'basal-relative', mealAnnouncement: 30 } },
  { name: 'basal-relative with the pump as authority', options: { action: 'basal-relative', authorityBasalMultiple: 'pump' } },
  { name: 'residual on basal-bolus', options: { action: 'residual', mealAnnouncement: 30 } },
  { name: 'residual on PID', options: { action: 'residual', residualController: { type: 'pid', tauPMin: 240 } } },
  { name: 'residual on basal-bolus with the clinic settings observed (observeTherapy)', options: { action: 'residual', mealAnnouncement: 30, observeTherapy: true } },
  { name: 'therapy errors (the probe reads the clinic settings the env reports)', options: { action: 'continuous', mealAnnouncement: 30, therapy: { carbEstimateSd: 0.2, mealTimeJitterMin: 10 } } },
];

/** An action sweeping the action space over time (every mode sees low, basal-ish and high doses). */
function actionAt(step: number, space: Box | Discrete): Float32Array | number {
  if (space instanceof Discrete) return step % space.n;
  const frac = (Math.sin(step / 3) + 1) / 2;
  return Float32Array.of((space.low[0] as number) + frac * ((space.high[0] as number) - (space.low[0] as number)) * 0.3);
}

for (const mode of MODES) {
  test(`probe observations equal the env's, step by step: ${mode.name}`, (t) => {
    const patient = 'adult#004';
    const options = { patient, scenario: MEALS, days: 0.25, ...mode.options };
    const env = new T1DEnv(options as ConstructorParameters<typeof T1DEnv>[0]);
    const probe = glucosePolicyProbe(options, patient);
    let { observation, info } = env.reset({ seed: 11 });
    const dt = info['sampleTimeMin'] as number;
    const basal = info['patientBasalUPerMin'] as number;
    t.is(basal, probe.clinic.basalUPerMin);
    const k = probe.layout.window;
    const cgm: number[] = new Array<number>(k).fill(info['cgm'] as number);
    const insulin: number[] = new Array<number>(k).fill(basal);
    const iob = new InsulinOnBoard(dt);
    iob.fill(basal * dt);
    const lead = probe.layout.mealAnnouncementMin;
    for (let step = 0; ; step++) {
      const minute = info['minute'] as number;
      const announced = env.therapyMeals.filter((m) => !m.missed && lead !== null && m.announcedMinute >= minute && m.announcedMinute < minute + dt + lead);
      const expected = probe.observeState({
        cgmMgDl: cgm,
        insulinUPerMin: insulin,
        iobRatio: iob.units / iob.steadyStateUnits(basal * dt),
        minute,
        announcedGrams: announced.reduce((s, m) => s + m.estimateG, 0),
        minutesToMeal: announced.length > 0 ? Math.min(...announced.map((m) => m.announcedMinute)) - minute : null,
        controllerUPerHour: (info['controllerUnitsPerHour'] as number | undefined) ?? Number.NaN,
      });
      t.deepEqual(Array.from(expected), Array.from(observation as Float32Array), `step ${step}`);
      const r = env.step(actionAt(step, env.actionSpace as Box | Discrete));
      if (r.terminated || r.truncated) break;
      ({ observation, info } = r);
      cgm.push(info['cgm'] as number);
      cgm.shift();
      insulin.push((info['insulin'] as number) / dt);
      insulin.shift();
      iob.push(info['insulin'] as number);
    }
    env.close();
  });
}

test('a probe point with a flat CGM at basal is the reset observation (every mode)', (t) => {
  for (const mode of MODES.slice(0, 7)) {
    const patient = 'child#002';
    const options = { patient, scenario: [], sensorNoise: false, ...mode.options };
    const env = new T1DEnv(options as ConstructorParameters<typeof T1DEnv>[0]);
    const { observation, info } = env.reset({ seed: 3 });
    const probe = glucosePolicyProbe(options, patient);
    t.deepEqual(Array.from(probe.observe({ cgmMgDl: info['cgm'] as number, trendMgDlPerMin: 0, minuteOfDay: 0 })), Array.from(observation as Float32Array), mode.name);
    env.close();
  }
});

test('the CGM window of a probe point is a straight line at the trend, ending at the level', (t) => {
  const probe = glucosePolicyProbe({ action: 'continuous', window: 12 }, 'adolescent#001');
  const obs = probe.observe({ cgmMgDl: 200, trendMgDlPerMin: -2 });
  const cgm = Array.from(obs.slice(0, 12), (x) => 100 * x + 140);
  for (let i = 0; i < 12; i++) t.true(Math.abs((cgm[i] as number) - (200 + 2 * 3 * (11 - i))) < 1e-4);
  const f = probe.features.values(obs);
  t.deepEqual(probe.features.names, ['CGM (mg/dL)', 'CGM trend (mg/dL/min)', 'IOB (x basal IOB)', 'last rate (x basal)', 'hour of day']);
  t.true(Math.abs((f[0] as number) - 200) < 1e-4);
  t.true(Math.abs((f[1] as number) + 2) < 1e-4);
  t.true(Math.abs((f[2] as number) - 1) < 1e-6);
  t.true(Math.abs((f[3] as number) - 1) < 1e-6); // at basal
  t.true(Math.abs((f[4] as number) - 12) < 1e-4); // noon
});

test('actions read as the env reads them: basal-relative 0 is basal, 1 is the authority; residual 0 is the controller', (t) => {
  const rel = glucosePolicyProbe({ action: 'basal-relative' }, 'adult#001');
  const basalH = rel.clinic.basalUPerMin * 60;
  t.true(Math.abs(rel.unitsPerHour(Float32Array.of(0), { cgmMgDl: 120 }) - basalH) < 1e-9);
  t.true(Math.abs(rel.unitsPerHour(Float32Array.of(1), { cgmMgDl: 120 }) - 300 * basalH) < 1e-6);
  t.is(rel.unitsPerHour(Float32Array.of(-1), { cgmMgDl: 120 }), 0);
  const res = glucosePolicyProbe({ action: 'residual', residualController: 'pid' }, 'adult#001');
  const point = { cgmMgDl: 220, trendMgDlPerMin: 1.5 };
  t.is(res.unitsPerHour(Float32Array.of(0), point), res.controllerUnitsPerHour(point));
  t.true(res.controllerUnitsPerHour(point) > basalH);
  const disc = glucosePolicyProbe({ action: 'discrete' }, 'adult#001');
  t.true(Math.abs(disc.unitsPerHour(6, point) - 5 * basalH) < 1e-9);
});

test('PID at zero integral is the PID baseline without its integral term', (t) => {
  const clinic: TherapyParams = { basalUPerMin: 0.02, CR: 10, CF: 40 };
  // First update: slope 0 and the integral stays at e x 0 = 0.
  for (const cgm of [60, 95, 140, 260]) t.is(pidUnitsPerMinAtZeroIntegral(cgm, 0, clinic), new PidCore(clinic).update(cgm, 0), `CGM ${cgm}`);
  // Second update after 3 min: the same law plus Ki x (e x 3 min), which the probe leaves out.
  const core = new PidCore(clinic);
  core.update(200, 0);
  const withIntegral = core.update(206, 3);
  const { ki } = pidGains(clinic);
  t.true(Math.abs(pidUnitsPerMinAtZeroIntegral(206, 2, clinic) + ki * (206 - 120) * 3 - withIntegral) < 1e-12);
});

test('basal-bolus at a meal is basal plus the meal bolus over the step', (t) => {
  const clinic: TherapyParams = { basalUPerMin: 0.02, CR: 10, CF: 40 };
  t.is(basalBolusUnitsPerMin(120, 0, 3, clinic), 0.02);
  t.true(Math.abs(basalBolusUnitsPerMin(120, 50, 3, clinic) - (0.02 + 5 / 3)) < 1e-12);
  // correction above 150 mg/dL: (CGM - 140) / CF
  t.true(Math.abs(basalBolusUnitsPerMin(220, 50, 3, clinic) - (0.02 + (5 + 2) / 3)) < 1e-12);
  t.is(basalBolusUnitsPerMin(60, 50, 3, clinic, { suspendBelowMgDl: 70 }), 5 / 3);
});
