import test from 'ava';
import { checkEnv } from '../src/core/check-env.ts';
import { make } from '../src/core/registry.ts';
import { UserError } from '../src/core/errors.ts';
import { Box, Discrete } from '../src/core/spaces.ts';
import '../envs/glucose/register.ts';
import { T1DEnv, T1D_DEFAULTS } from '../envs/glucose/t1d-env.ts';
import { getPatient } from '../envs/glucose/patient.ts';

/** Option combinations covering every value of every option at least once. */
const COMBOS: Record<string, unknown>[] = [
  {},
  { sensor: 'GuardianRT', pump: 'Cozmo', action: 'discrete', reward: 'risk-diff' },
  { sensor: 'Navigator', sensorNoise: false, reward: 'tir', mealAnnouncement: 30, window: 4, days: 0.25 },
  { patient: 'children', scenario: [{ minute: 60, grams: 40 }, { minute: 300, grams: 20 }], days: 0.5, actionMaxUnitsPerHour: 'pump' },
  { patient: ['adult#001', 'child#002'], randomInitialBg: true, action: 'discrete', discreteLevels: [0, 1, 2], mealAnnouncement: 0 },
  { patient: 'all', days: 2, terminationPenalty: 10, terminateBelowMgDl: 60, actionMaxUnitsPerHour: 3, maxBasalMultiple: 3 },
  { patient: 'adults', reward: 'tir', sensor: 'GuardianRT', mealAnnouncement: 60 },
  { patient: 'adolescents', pump: 'Cozmo', reward: 'risk-diff', sensorNoise: false, window: 1 },
  { patient: 'all', action: 'basal-relative', mealAnnouncement: 30, therapy: { carbEstimateSd: 0.3, missedBolusFraction: 0.2, mealTimeJitterMin: 10, settingsErrorSd: 0.2, rescueCarbs: true } },
  { action: 'residual', residualController: 'pid', authorityBasalMultiple: 'pump', sensor: 'GuardianRT', therapy: { settingsErrorSd: 0.5 } },
  { patient: 'children', action: 'residual', residualController: { type: 'basal-bolus', suspendBelowMgDl: 70 }, mealAnnouncement: 0, days: 2, therapy: { rescueCarbs: { grams: 20 } } },
];

for (const options of COMBOS) {
  test(`checkEnv passes for T1D-v0 ${JSON.stringify(options)}`, (t) => {
    const env = make('T1D-v0', options);
    const report = checkEnv(env, { steps: 150, seed: 3 });
    t.is(report.id, 'T1D-v0');
    t.true(report.episodeEnds >= 1, 'an episode end was reached and step() after it threw');
    t.deepEqual(report.skipped, []);
    env.close();
  });
}

test('make rejects unknown options and bad values with one-line errors naming the option', (t) => {
  t.throws(() => make('T1D-v0', { patients: 'adults' }), { instanceOf: UserError, message: /^T1D-v0: unknown option 'patients'; allowed: patient, cohort, sensor/ });
  t.throws(() => make('T1D-v0', { patient: 'adult#011' }), { instanceOf: UserError, message: /^T1D-v0: patient: unknown patient or cohort/ });
  t.throws(() => make('T1D-v0', { patient: ['adult#001', 'nobody'] }), { instanceOf: UserError, message: /^T1D-v0: patient\[1\]: unknown patient/ });
  t.throws(() => make('T1D-v0', { sensor: 'Libre' }), { instanceOf: UserError, message: /^T1D-v0: sensor: .*got "Libre"/ });
  t.throws(() => make('T1D-v0', { pump: 'Omnipod' }), { instanceOf: UserError, message: /^T1D-v0: pump: / });
  t.throws(() => make('T1D-v0', { reward: 'survival' }), { instanceOf: UserError, message: /^T1D-v0: reward: / });
  t.throws(() => make('T1D-v0', { days: 0 }), { instanceOf: UserError, message: /^T1D-v0: days: / });
  t.throws(() => make('T1D-v0', { mealAnnouncement: -5 }), { instanceOf: UserError, message: /^T1D-v0: mealAnnouncement: / });
  t.throws(() => make('T1D-v0', { scenario: [{ minute: 10 }] }), { instanceOf: UserError, message: /^T1D-v0: scenario/ });
  t.throws(() => make('T1D-v0', { terminateBelowMgDl: 700 }), { instanceOf: UserError, message: /terminateBelowMgDl \(700\) must be below terminateAboveMgDl/ });
});

test('action spaces: U/h up to maxBasalMultiple x basal, the pump limit, or discrete levels', (t) => {
  const p = getPatient('adolescent#001');
  const env = new T1DEnv();
  t.true(env.actionSpace instanceof Box);
  const box = env.actionSpace as Box;
  t.deepEqual([...box.shape], [1]);
  t.is(box.low[0], 0);
  t.true(Math.abs((box.high[0] as number) - 5 * p.basalUPerMin * 60) < 1e-12);
  t.is(env.metadata.actionUnits, 'U/h (insulin rate)');
  t.is((new T1DEnv({ actionMaxUnitsPerHour: 'pump' }).actionSpace as Box).high[0], 1800);
  t.is((new T1DEnv({ actionMaxUnitsPerHour: 'pump', pump: 'Cozmo' }).actionSpace as Box).high[0], 2100);
  const cohort = new T1DEnv({ patient: 'children' }).actionSpace as Box;
  const maxChildBasal = Math.max(...Array.from({ length: 10 }, (_, i) => getPatient(`child#${String(i + 1).padStart(3, '0')}`).basalUPerMin));
  t.true(Math.abs((cohort.high[0] as number) - 5 * maxChildBasal * 60) < 1e-12);
  const discrete = new T1DEnv({ action: 'discrete' }).actionSpace;
  t.true(discrete instanceof Discrete);
  t.is((discrete as Discrete).n, T1D_DEFAULTS.discreteLevels.length);
});

test('observeTherapy: the clinic CF and CR per hour of basal end the observation, constant over the episode; the rest is unchanged', (t) => {
  const base = { patient: 'adult#007', action: 'residual', mealAnnouncement: 30, days: 0.1, therapy: { settingsErrorSd: 0.2 } } as const;
  const plain = new T1DEnv(base);
  const env = new T1DEnv({ ...base, observeTherapy: true });
  t.is(env.observationSpace.size, plain.observationSpace.size + 2);
  t.deepEqual(env.metadata.observationLabels?.slice(-3), ['controller', 'therapy_cf', 'therapy_cr']);
  let a = plain.reset({ seed: 5 });
  let b = env.reset({ seed: 5 });
  // The clinic's settings (drawn with errors), not the patient's true ones.
  const basalH = (b.info['patientBasalUPerMin'] as number) * 60;
  const cf = Math.fround(Math.log(((b.info['CF'] as number) * basalH) / 100) + 2);
  const cr = Math.fround(Math.log(((b.info['CR'] as number) * basalH) / 10));
  t.not(b.info['CF'], b.info['trueCF']);
  for (let step = 0; step < 20; step++) {
    const o = b.observation as Float32Array;
    t.deepEqual(Array.from(o.subarray(0, -2)), Array.from(a.observation as Float32Array), `step ${step}: the other features`);
    t.deepEqual(Array.from(o.subarray(-2)), [cf, cr], `step ${step}`);
    a = plain.step(Float32Array.of(0.1));
    b = env.step(Float32Array.of(0.1));
  }
  // Patients differ: adult#007 (CF 26, CR 22 at 1.37 U/h) against adult#009 (CF 7.6, CR 5 at 1.13 U/h), true settings.
  const at = (patient: string) => Array.from((new T1DEnv({ patient, observeTherapy: true }).reset({ seed: 1 }).observation as Float32Array).slice(-2));
  const [cf7, cr7] = at('adult#007') as [number, number];
  const [cf9, cr9] = at('adult#009') as [number, number];
  t.true(Math.abs(cf7 - (Math.log((26.1530845971 * 1.37) / 100) + 2)) < 0.01 && Math.abs(cr7 - Math.log((22 * 1.37) / 10)) < 0.01, `adult#007 ${cf7}, ${cr7}`);
  t.true(cf7 - cf9 > 1 && cr7 - cr9 > 1.5, `adult#009 ${cf9}, ${cr9}`);
  t.throws(() => make('T1D-v0', { observeTherapy: 'yes' }), { instanceOf: UserError, message: /^T1D-v0: observeTherapy: / });
});

test('observation space and metadata', (t) => {
  const env = new T1DEnv({ window: 6, mealAnnouncement: 30 });
  const obs = env.observationSpace as Box;
  t.is(obs.dtype, 'float32');
  t.is(obs.size, 6 + 6 + 1 + 2 + 2);
  t.deepEqual(env.metadata.observationLabels?.slice(5, 7), ['cgm[t-0]', 'insulin[t-5]']);
  t.deepEqual(env.metadata.observationLabels?.slice(12), ['iob', 'tod_sin', 'tod_cos', 'meal_g', 'meal_in']);
  t.deepEqual(env.metadata.stepDuration, { value: 3, unit: 'minute' });
  t.is(env.metadata.maxEpisodeSteps, 480);
  t.is(new T1DEnv({ sensor: 'GuardianRT', days: 2 }).metadata.maxEpisodeSteps, 576);
  t.is(new T1DEnv({ sensor: 'Navigator' }).metadata.maxEpisodeSteps, 1440);
  // Spaces do not depend on the patient, so envs of different patients batch in one vector env.
  t.deepEqual(new T1DEnv({ patient: 'child#003' }).observationSpace.toJSON(), new T1DEnv({ patient: 'adult#006' }).observationSpace.toJSON());
});
