import test from 'ava';
import type { Info } from '../src/core/env.ts';
import { UserError } from '../src/core/errors.ts';
import { make } from '../src/core/registry.ts';
import { Box } from '../src/core/spaces.ts';
import { runEpisode } from '../src/core/episode.ts';
import '../envs/glucose/register.ts';
import { T1DEnv } from '../envs/glucose/t1d-env.ts';
import { COHORTS, getPatient } from '../envs/glucose/patient.ts';
import { Pump } from '../envs/glucose/pump.ts';
import { basalRelativeMultiple, basalRelativeOutput, commandedUnitsPerHour, residualOutputForRate, residualRateUPerHour, type ActionMeaning } from '../envs/glucose/action-modes.ts';
import { BasalBolusPolicy, PidBolusPolicy, PidPolicy } from '../agents/baselines/glucose/index.ts';
import type { Policy } from '../src/core/policy.ts';

const PUMP = new Pump('Insulet');
const constant = (a: number): Policy<unknown, Float32Array> => ({ name: `output ${a}`, act: () => new Float32Array([a]) });

test('basal-relative mapping: 0 at -1, 1 at 0, A at 1 exactly; linear below basal, exponential above; inverse', (t) => {
  for (const A of [300, 50, 2000]) {
    t.is(basalRelativeMultiple(-1, A), 0);
    t.is(basalRelativeMultiple(0, A), 1);
    t.is(basalRelativeMultiple(1, A), A);
    t.is(basalRelativeMultiple(-0.25, A), 0.75);
    t.true(Math.abs(basalRelativeMultiple(0.5, A) - Math.sqrt(A)) < 1e-12 * A);
    let previous = -Infinity;
    for (let a = -1; a <= 1 + 1e-9; a += 0.01) {
      const m = basalRelativeMultiple(a, A);
      t.true(m > previous, 'increasing');
      previous = m;
      t.true(Math.abs(basalRelativeOutput(m, A) - a) < 1e-9, `inverse at ${a}`);
    }
    t.true(Math.abs(basalRelativeMultiple(1e-9, A) - 1) < 1e-6, 'continuous at 0');
    t.is(basalRelativeOutput(0, A), -1);
    t.is(basalRelativeOutput(10 * A, A), 1);
  }
  // relative resolution above basal: +0.1 of output multiplies the rate by A^0.1 everywhere
  const A = 300;
  t.true(Math.abs(basalRelativeMultiple(0.7, A) / basalRelativeMultiple(0.6, A) - A ** 0.1) < 1e-9);
});

test('residual rate: a = 0 is the controller exactly, -1 cancels any dose (a bolus too), 1 adds (A - 1) basal; increasing; inverse', (t) => {
  const basal = 1.2; // U/h
  for (const A of [300, 50]) {
    for (const controller of [0, 0.6, 1.2, 450]) {
      t.is(residualRateUPerHour(0, controller, basal, A), controller);
      t.is(residualRateUPerHour(-0, controller, basal, A), controller);
      t.is(residualRateUPerHour(-1, controller, basal, A), 0, 'cancels even a bolus far above (A - 1) basal');
      t.true(Math.abs(residualRateUPerHour(1, controller, basal, A) - (controller + (A - 1) * basal)) < 1e-9 * (controller + A * basal));
      let previous = -Infinity;
      for (let a = -1; a <= 1 + 1e-9; a += 0.05) {
        const rate = residualRateUPerHour(a, controller, basal, A);
        t.true(rate >= previous, 'non-decreasing');
        previous = rate;
        // The inverse is exact wherever the map is invertible (every a when the controller doses; a >= 0 at 0 U/h).
        if (controller > 0 || a >= 0) t.true(Math.abs(residualOutputForRate(rate, controller, basal, A) - a) < 1e-9, `inverse at ${a}`);
      }
    }
    t.is(residualOutputForRate(0, 0, basal, A), 0, 'controller at 0 and rate 0: no correction needed');
    t.is(residualOutputForRate(1e9, 1, basal, A), 1, 'clipped above');
  }
});

test('basal-relative env: output 0 delivers exactly the basal rate, -1 nothing, 1 the authority; the same output is the same basal multiple for every patient', (t) => {
  for (const patient of ['adult#001', 'adolescent#008', 'child#003']) {
    const p = getPatient(patient);
    const env = new T1DEnv({ patient, action: 'basal-relative', scenario: [] });
    t.true(env.actionSpace instanceof Box);
    t.deepEqual([(env.actionSpace as Box).low[0], (env.actionSpace as Box).high[0]], [-1, 1]);
    const r = env.reset({ seed: 1 });
    t.is(r.info.actionKind, 'basal-relative');
    t.is(r.info.authorityBasalMultiple, 300);
    t.is(env.step(new Float32Array([0])).info.insulin, PUMP.basal(p.basalUPerMin) * 3);
    t.is(env.step(new Float32Array([-1])).info.insulin, 0);
    t.is(env.step(new Float32Array([1])).info.insulin, PUMP.basal(300 * p.basalUPerMin) * 3);
    t.is(env.step(new Float32Array([-0.5])).info.insulin, PUMP.basal(0.5 * p.basalUPerMin) * 3);
    const half = env.step(new Float32Array([0.5])).info.insulin as number;
    t.true(Math.abs(half / (3 * p.basalUPerMin) - Math.sqrt(300)) < 1e-3, 'same multiple of each patient basal');
  }
  // 'pump' authority: 1 = the pump's limit, for any patient
  const pump = new T1DEnv({ patient: 'child#001', action: 'basal-relative', authorityBasalMultiple: 'pump', scenario: [] });
  const r = pump.reset({ seed: 1 });
  t.is(r.info.actionMaxUnitsPerHour, 1800);
  t.is(pump.step(new Float32Array([1])).info.insulin, 30 * 3);
  // mis-set settings: centred at the CLINIC's basal
  const misSet = new T1DEnv({ patient: 'adult#006', action: 'basal-relative', scenario: [], therapy: { settingsErrorSd: 0.3 } });
  const m = misSet.reset({ seed: 5 });
  t.not(m.info.patientBasalUPerMin, getPatient('adult#006').basalUPerMin);
  t.is(misSet.step(new Float32Array([0])).info.insulin, PUMP.basal(m.info.patientBasalUPerMin as number) * 3);
});

test('basal-relative observation: insulin in the action coordinates, iob 1 at basal, meal as the clinic bolus in hours of basal / 10', (t) => {
  const p = getPatient('adolescent#002');
  const env = new T1DEnv({ patient: 'adolescent#002', action: 'basal-relative', window: 4, mealAnnouncement: 30, scenario: [{ minute: 60, grams: 50 }], sensorNoise: false });
  t.deepEqual(env.metadata.observationLabels?.slice(4), ['insulin[t-3]', 'insulin[t-2]', 'insulin[t-1]', 'insulin[t-0]', 'iob', 'tod_sin', 'tod_cos', 'meal_bolus', 'meal_in']);
  let r = env.reset({ seed: 0 });
  for (let i = 4; i < 8; i++) t.is(r.observation[i], 0, 'basal = 0');
  t.true(Math.abs((r.observation[8] as number) - 1) < 1e-6);
  for (const a of [0.3, -0.4, 0.8]) {
    r = env.step(new Float32Array([a]));
    // the pump rounds to 0.05 pmol/min (5e-4 of this basal rate): the observation shows what was delivered
    t.true(Math.abs((r.observation[7] as number) - a) < 1e-3, `insulin[t-0] ${r.observation[7]} for output ${a}`);
  }
  while ((r.info.minute as number) < 30) r = env.step(new Float32Array([0]));
  t.true(Math.abs((r.observation[11] as number) - 50 / p.CR / (p.basalUPerMin * 60) / 10) < 1e-6);
  // the observation space depends neither on the patient nor on actionMaxUnitsPerHour (which only the continuous mode uses)
  const spaces = ['adult#001', 'child#007'].flatMap((patient) => [{}, { actionMaxUnitsPerHour: 1 }].map((o) => JSON.stringify(new T1DEnv({ patient, action: 'basal-relative', ...o }).observationSpace.toJSON())));
  t.is(new Set(spaces).size, 1);
});

for (const [controller, make1] of [
  ['basal-bolus', () => new BasalBolusPolicy()],
  ['pid', () => new PidPolicy()],
  ['pid-bolus', () => new PidBolusPolicy()],
] as const) {
  test(`residual with zero correction delivers exactly what ${controller} delivers alone, bit for bit`, (t) => {
    for (const [patient, therapy, sensor] of [
      ['adult#001', {}, 'Dexcom'],
      ['adolescents', { carbEstimateSd: 0.3, missedBolusFraction: 0.2, mealTimeJitterMin: 15, settingsErrorSd: 0.2, rescueCarbs: true }, 'GuardianRT'],
      ['child#002', { settingsErrorSd: 0.1 }, 'Navigator'],
    ] as const) {
      const alone = new T1DEnv({ patient, therapy, sensor, days: 2, action: 'continuous', actionMaxUnitsPerHour: 'pump' });
      const residual = new T1DEnv({ patient, therapy, sensor, days: 2, action: 'residual', residualController: controller });
      for (const seed of [1, 2]) {
        const a = runEpisode(alone, make1() as never, seed);
        const b = runEpisode(residual, constant(0) as never, seed);
        t.is(a.length, b.length);
        t.deepEqual(a.rewards, b.rewards);
        let bolusSteps = 0;
        for (let i = 0; i < a.infos.length; i++) {
          const x = a.infos[i] as Info;
          const y = b.infos[i] as Info;
          for (const key of ['insulin', 'bg', 'cgm', 'cho', 'mealGrams', 'patientBasalUPerMin', 'CR', 'CF'] as const) t.is(y[key], x[key], `${patient} seed ${seed} step ${i} ${key}`);
          if ((x.insulin as number) > 10 * (x.patientBasalUPerMin as number) * 3) bolusSteps++;
        }
        if (controller !== 'pid') t.true(bolusSteps >= 3, 'the comparison covered meal boluses');
      }
    }
  });
}

test('residual: the correction adds or removes basal units around the controller, down to 0 U/h; the observation carries the controller', (t) => {
  const p = getPatient('adult#003');
  const env = new T1DEnv({ patient: 'adult#003', action: 'residual', scenario: [{ minute: 30, grams: 50 }], sensorNoise: false, mealAnnouncement: 60 });
  t.deepEqual(env.metadata.observationLabels?.slice(-3), ['meal_bolus', 'meal_in', 'controller']);
  let r = env.reset({ seed: 0 });
  t.is(r.info.controllerUnitsPerHour, Math.fround(p.basalUPerMin * 60));
  t.true(Math.abs((r.observation.at(-1) as number) - 0) < 1e-6, 'controller at basal = 0');
  r = env.step(new Float32Array([1]));
  t.is(r.info.insulin, PUMP.basal((Math.fround(p.basalUPerMin * 60) + p.basalUPerMin * 60 * 299) / 60) * 3);
  r = env.step(new Float32Array([-1]));
  t.is(r.info.insulin, 0);
  while ((r.info.minute as number) < 30) r = env.step(new Float32Array([0]));
  const bolusRate = r.info.controllerUnitsPerHour as number;
  t.true(bolusRate > 50 * p.basalUPerMin * 60, 'the controller boluses at the meal');
  t.true((r.observation.at(-1) as number) > 0.5);
  const cancel = env.step(new Float32Array([-1]));
  t.is(cancel.info.insulin, 0, 'a full negative correction cancels the bolus');
});

test('baselines act in the patient-relative modes too (envAction inverts the mappings)', (t) => {
  const relative = new T1DEnv({ patient: 'adolescent#005', action: 'basal-relative', authorityBasalMultiple: 'pump' });
  const absolute = new T1DEnv({ patient: 'adolescent#005', action: 'continuous', actionMaxUnitsPerHour: 'pump' });
  const a = runEpisode(absolute, new PidPolicy() as never, 3);
  const b = runEpisode(relative, new PidPolicy() as never, 3);
  let worst = 0;
  for (let i = 1; i < a.infos.length; i++) worst = Math.max(worst, Math.abs((a.infos[i]?.bg as number) - (b.infos[i]?.bg as number)));
  t.true(worst < 0.05, `PID in basal-relative coordinates follows the absolute run to ${worst} mg/dL`);
  const residual = new T1DEnv({ patient: 'adolescent#005', action: 'residual', residualController: 'pid' });
  const c = runEpisode(residual, new BasalBolusPolicy() as never, 3);
  const d = runEpisode(absolute, new BasalBolusPolicy() as never, 3);
  let worstInsulin = 0;
  for (let i = 1; i < c.infos.length; i++) worstInsulin = Math.max(worstInsulin, Math.abs((c.infos[i]?.insulin as number) - (d.infos[i]?.insulin as number)) / Math.max(1e-9, d.infos[i]?.insulin as number));
  t.true(worstInsulin < 1e-4, `basal-bolus expressed as a correction to PID delivers its own doses (relative error ${worstInsulin})`);
});

test('bad action options are one-line errors naming the option and what is allowed', (t) => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ action: 'relative' }, /^T1D-v0: action: expected one of continuous, discrete, basal-relative, residual, got "relative"$/],
    [{ action: 'basal-relative', authorityBasalMultiple: 1 }, /^T1D-v0: authorityBasalMultiple: expected a basal multiple > 1 or 'pump', got 1$/],
    [{ action: 'basal-relative', authorityBasalMultiple: 'max' }, /^T1D-v0: authorityBasalMultiple: expected a basal multiple > 1 or 'pump', got "max"$/],
    [{ action: 'residual', residualController: 'mpc' }, /^T1D-v0: residualController: unknown controller "mpc"; allowed: basal-bolus, pid, pid-bolus$/],
    [{ action: 'residual', residualController: { type: 'pid', kp: 1 } }, /^T1D-v0: residualController\.kp: unknown field/],
    [{ action: 'residual', residualController: { type: 'pid', tauPMin: 0 } }, /^T1D-v0: residualController\.tauPMin: expected a number of minutes > 0, got 0$/],
    [{ action: 'residual', residualController: { type: 'pid-bolus', holdAfterBolusMin: -5 } }, /^T1D-v0: residualController\.holdAfterBolusMin: expected a number of minutes >= 0, got -5$/],
    [{ action: 'residual', residualController: { type: 'basal-bolus', targetMgDl: -1 } }, /^T1D-v0: residualController\.targetMgDl: expected a glucose > 0 mg\/dL, got -1$/],
  ];
  for (const [options, message] of cases) t.throws(() => make('T1D-v0', options), { instanceOf: UserError, message });
  // parameters reach the controller: a low-glucose suspend at 200 mg/dL suspends basal-bolus from the start
  const env = new T1DEnv({ patient: 'adult#001', action: 'residual', residualController: { type: 'basal-bolus', suspendBelowMgDl: 200 }, scenario: [] });
  t.is(env.reset({ seed: 0 }).info.controllerUnitsPerHour, 0);
  t.deepEqual(env.options.residualController, { type: 'basal-bolus', suspendBelowMgDl: 200 });
  // the action-mode options of other modes are accepted and unused (evaluation runs baselines on a
  // continuous copy of a learner's options)
  const continuous = new T1DEnv({ action: 'continuous', residualController: 'pid', authorityBasalMultiple: 50 });
  t.deepEqual((continuous.actionSpace as Box).low[0], 0);
  t.is(continuous.reset({ seed: 0 }).info.authorityBasalMultiple, undefined);
});

test('every patient of the cohorts: basal-relative output 0 is each one\'s basal', (t) => {
  const env = new T1DEnv({ patient: 'all', action: 'basal-relative', scenario: [] });
  const seen = new Set<string>();
  for (let seed = 0; seed < 200 && seen.size < COHORTS.all.length; seed++) {
    const r = env.reset({ seed });
    const name = r.info.patient as string;
    if (seen.has(name)) continue;
    seen.add(name);
    t.is(env.step(new Float32Array([0])).info.insulin, PUMP.basal(getPatient(name).basalUPerMin) * 3, name);
  }
  t.is(seen.size, 30);
});

test('commandedUnitsPerHour reads what an action means from the info, in every mode (what a rate-capping safety layer needs)', (t) => {
  for (const action of ['continuous', 'discrete', 'basal-relative', 'residual'] as const) {
    const env = new T1DEnv({ patient: 'adolescent#007', action, therapy: { settingsErrorSd: 0.2 } });
    let info = env.reset({ seed: 2 }).info;
    for (let s = 0; s < 300; s++) {
      const a = action === 'discrete' ? s % 7 : new Float32Array([action === 'continuous' ? (s % 9) * 0.3 : Math.sin(s) * 0.8]);
      const rate = commandedUnitsPerHour(a, info as unknown as ActionMeaning);
      const r = env.step(a);
      t.true(Math.abs(PUMP.basal(rate / 60) * 3 - (r.info.insulin as number)) < 1e-12, `${action} step ${s}`);
      info = r.terminated || r.truncated ? env.reset().info : r.info;
    }
  }
});
