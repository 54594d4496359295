import test from 'ava';
import { SyncVectorEnv } from '../src/core/vector.ts';
import { Rng } from '../src/core/rng.ts';
import type { Info } from '../src/core/env.ts';
import { risk } from '../src/metrics/glucose.ts';
import { T1DEnv, IOB_DURATION_MIN } from '../envs/glucose/t1d-env.ts';
import { getPatient, COHORTS } from '../envs/glucose/patient.ts';
import { Pump } from '../envs/glucose/pump.ts';


function basalAction(env: T1DEnv): Float32Array {
  return new Float32Array([env.currentPatient.basalUPerMin * 60]);
}

test('seeded resets are reproducible; every reset draws a new scenario (unlike simglucose)', (t) => {
  const a = new T1DEnv();
  const b = new T1DEnv();
  const ra = a.reset({ seed: 11 });
  const rb = b.reset({ seed: 11 });
  t.deepEqual(ra.observation, rb.observation);
  t.deepEqual(a.scenarioMeals, b.scenarioMeals);
  const meals = new Set<string>();
  meals.add(JSON.stringify(a.scenarioMeals));
  for (let i = 0; i < 5; i++) {
    a.reset();
    b.reset();
    t.deepEqual(a.scenarioMeals, b.scenarioMeals, 'the unseeded reset sequence is reproducible too');
    meals.add(JSON.stringify(a.scenarioMeals));
  }
  t.is(meals.size, 6, 'six resets, six different meal days');
  t.true(a.scenarioMeals.length >= 1 && a.scenarioMeals.every((m) => m.minute >= 300 && m.minute < 1440));
  // multi-day random scenarios cover every day
  const two = new T1DEnv({ days: 2 });
  two.reset({ seed: 1 });
  t.true(two.scenarioMeals.some((m) => m.minute >= 1440) && two.scenarioMeals.some((m) => m.minute < 1440));
});

test('a cohort draws one patient per episode from the seed', (t) => {
  const env = new T1DEnv({ patient: 'adults' });
  const seen = new Set<string>();
  env.reset({ seed: 5 });
  const first = env.currentPatient.name;
  for (let i = 0; i < 30; i++) {
    const r = i === 0 ? env.reset({ seed: 5 }) : env.reset();
    seen.add(r.info.patient as string);
    t.true(COHORTS.adults.includes(r.info.patient as string));
    t.is(r.info.patient, env.currentPatient.name);
    t.is(r.info.patientBasalUPerMin, env.currentPatient.basalUPerMin);
  }
  t.true(seen.size >= 6, `saw ${seen.size} patients in 30 episodes`);
  env.reset({ seed: 5 });
  t.is(env.currentPatient.name, first);
});

test('episode draws do not depend on the action space, so baselines and learners share episodes', (t) => {
  const learner = new T1DEnv({ patient: 'all' });
  const baseline = new T1DEnv({ patient: 'all', actionMaxUnitsPerHour: 'pump' });
  const discrete = new T1DEnv({ patient: 'all', action: 'discrete' });
  for (const seed of [1, 2, 3]) {
    const a = learner.reset({ seed });
    const b = baseline.reset({ seed });
    const c = discrete.reset({ seed });
    t.is(a.info.patient, b.info.patient);
    t.is(a.info.patient, c.info.patient);
    t.deepEqual(learner.scenarioMeals, baseline.scenarioMeals);
    t.deepEqual(a.observation, b.observation);
    t.deepEqual(a.observation, c.observation);
  }
});

test('basal steady state: observation features, iob = 1, time of day, and BG stays put', (t) => {
  const env = new T1DEnv({ patient: 'adult#003', scenario: [], sensorNoise: false, window: 3 });
  const p = getPatient('adult#003');
  const r = env.reset({ seed: 0 });
  const cgm0 = (p.Gpb / p.Vg - 140) / 100;
  const o = r.observation;
  for (let i = 0; i < 3; i++) t.true(Math.abs((o[i] as number) - cgm0) < 1e-6);
  for (let i = 3; i < 6; i++) t.true(Math.abs((o[i] as number) - 1 / 5) < 1e-6, 'insulin = basal / (5 basal)');
  t.true(Math.abs((o[6] as number) - 1) < 1e-6, 'iob at steady basal = 1');
  t.true(Math.abs(o[7] as number) < 1e-6 && Math.abs((o[8] as number) - 1) < 1e-6, 'midnight');
  t.is(r.info.insulin, 0);
  t.is(r.info.minute, 0);
  let last = r;
  for (let k = 0; k < 120; k++) last = env.step(basalAction(env));
  t.is(last.info.minute, 360);
  t.true(Math.abs((last.observation[7] as number) - 1) < 1e-6, 'sin at 6:00');
  t.true(Math.abs((last.info.bg as number) - p.Gpb / p.Vg) < 0.1);
  const pump = new Pump('Insulet');
  const ratio = pump.basal(p.basalUPerMin) / p.basalUPerMin;
  t.true(Math.abs((last.observation[6] as number) - ratio) < 1e-6, 'iob = delivered / nominal basal after 4 h');
  t.true(Math.abs((last.info.insulin as number) - pump.basal(p.basalUPerMin) * 3) < 1e-12, 'info.insulin = U delivered in the step');
  // zero insulin for 4 h empties the IOB (linear 240-min curve)
  for (let k = 0; k < IOB_DURATION_MIN / 3; k++) last = env.step(new Float32Array([0]));
  t.true(Math.abs(last.observation[6] as number) < 1e-9, 'IOB empty after 4 h without insulin');
});

test('meals: info.mealGrams announces the coming step, cho is eaten at 5 g/min, meal announcement in the observation', (t) => {
  const env = new T1DEnv({ patient: 'adult#001', scenario: [{ minute: 60, grams: 40 }], sensorNoise: false, mealAnnouncement: 30, days: 0.25 });
  let r = env.reset({ seed: 0 });
  const k = 12;
  let choTotal = 0;
  const annotated: Array<{ minute: number; mealG: number; mealIn: number; mealGrams: number; cho: number }> = [];
  let info: Info = r.info;
  for (let s = 0; s < 40; s++) {
    annotated.push({ minute: info.minute as number, mealG: r.observation[2 * k + 3] as number, mealIn: r.observation[2 * k + 4] as number, mealGrams: info.mealGrams as number, cho: 0 });
    const step = env.step(basalAction(env));
    choTotal += step.info.cho as number;
    (annotated[annotated.length - 1] as { cho: number }).cho = step.info.cho as number;
    r = step;
    info = step.info;
  }
  const at = (m: number) => annotated.find((a) => a.minute === m) as (typeof annotated)[number];
  t.is(at(27).mealG, 0, 'not yet visible 33 minutes ahead');
  t.is(at(27).mealIn, 1);
  t.true(Math.abs(at(30).mealG - 0.4) < 1e-6, 'visible within step + lead = 33 min');
  t.true(Math.abs(at(30).mealIn - 30 / 33) < 1e-6);
  t.true(Math.abs(at(60).mealIn) < 1e-6);
  t.is(at(57).mealGrams, 0);
  t.is(at(60).mealGrams, 40, 'baselines learn of the meal at the step it starts');
  t.is(at(63).mealGrams, 0);
  t.is(at(60).cho, 15, '3 minutes at 5 g/min');
  t.is(at(63).cho, 15);
  t.is(at(66).cho, 10, 'the last 10 g');
  t.is(at(69).cho, 0);
  t.is(choTotal, 40);
});

test('rewards: risk, risk-diff and tir on the new CGM', (t) => {
  for (const reward of ['risk', 'risk-diff', 'tir'] as const) {
    const env = new T1DEnv({ patient: 'child#001', reward, scenario: [{ minute: 30, grams: 60 }], days: 0.5 });
    const r = env.reset({ seed: 2 });
    let prev = r.info.cgm as number;
    const first = prev;
    let sum = 0;
    let outOfRange = 0;
    for (let s = 0; s < 200; s++) {
      const step = env.step(basalAction(env));
      const cgm = step.info.cgm as number;
      const expected = reward === 'risk' ? -risk(cgm) / 100 : reward === 'risk-diff' ? (risk(prev) - risk(cgm)) / 100 : cgm >= 70 && cgm <= 180 ? 0 : -1;
      t.true(Math.abs(step.reward - expected) < 1e-12, `${reward} step ${s}`);
      t.true(step.reward >= -1 && step.reward <= 1);
      t.is(step.info.risk, risk(cgm));
      if (expected === -1 && reward === 'tir') outOfRange++;
      sum += step.reward;
      prev = cgm;
      t.false(step.terminated);
    }
    if (reward === 'risk-diff') t.true(Math.abs(sum - (risk(first) - risk(prev)) / 100) < 1e-9, 'risk-diff telescopes');
    if (reward === 'tir') t.true(outOfRange > 20, 'a 60 g meal without a bolus leaves the range');
  }
});

test('termination below 40 mg/dL with the auto penalty; cost = 1 below 70; truncation at the episode length', (t) => {
  const env = new T1DEnv({ patient: 'adult#001', scenario: [], sensorNoise: false, actionMaxUnitsPerHour: 'pump' });
  env.reset({ seed: 0 });
  let step = env.step(new Float32Array([120])); // a 6 U bolus in 3 minutes
  let n = 1;
  let costSteps = 0;
  while (!step.terminated && !step.truncated) {
    step = env.step(new Float32Array([60]));
    n++;
    if (step.info.cost === 1) {
      costSteps++;
      t.true((step.info.bg as number) < 70);
    } else t.true((step.info.bg as number) >= 70);
  }
  t.true(step.terminated, 'hypoglycaemia terminates');
  t.false(step.truncated);
  t.true((step.info.bg as number) < 40);
  t.true(costSteps > 0);
  t.true(step.reward <= -480 && step.reward >= -481, `reward ${step.reward} = step reward - 480`);
  t.throws(() => env.step(new Float32Array([1])), { message: /call reset\(\) first/ });

  const custom = new T1DEnv({ patient: 'child#004', scenario: [{ minute: 0, grams: 100 }], sensorNoise: false, terminateAboveMgDl: 250, terminationPenalty: 7, reward: 'tir' });
  custom.reset({ seed: 0 });
  let s2 = custom.step(new Float32Array([0]));
  while (!s2.terminated && !s2.truncated) s2 = custom.step(new Float32Array([0]));
  t.true(s2.terminated && (s2.info.bg as number) > 250);
  t.is(s2.reward, -1 - 7);

  const short = new T1DEnv({ sensor: 'GuardianRT', days: 0.25 });
  short.reset({ seed: 0 });
  for (let s = 1; s <= 72; s++) {
    const r = short.step(basalAction(short));
    t.is(r.truncated, s === 72);
    t.false(r.terminated);
  }
});

test('discrete actions are multiples of the patient basal rate', (t) => {
  const env = new T1DEnv({ patient: 'adolescent#004', action: 'discrete', discreteLevels: [0, 1, 4], scenario: [] });
  const r = env.reset({ seed: 0 });
  const p = getPatient('adolescent#004');
  const levels = r.info.actionLevelsUnitsPerHour as number[];
  t.deepEqual(levels.map((u) => u / (p.basalUPerMin * 60)), [0, 1, 4]);
  const pump = new Pump('Insulet');
  t.is(env.step(0).info.insulin, 0);
  t.true(Math.abs((env.step(2).info.insulin as number) - pump.basal(4 * p.basalUPerMin) * 3) < 1e-12);
});

test('vector env over 30 patients matches single-env stepping', (t) => {
  const names = COHORTS.all;
  const opts = { actionMaxUnitsPerHour: 10, days: 0.1 };
  const vec = new SyncVectorEnv(names.map((patient) => () => new T1DEnv({ ...opts, patient })));
  const singles = names.map((patient) => new T1DEnv({ ...opts, patient }));
  const v0 = vec.reset({ seed: 100 });
  const size = vec.singleObservationSpace.size;
  singles.forEach((env, i) => {
    const r = env.reset({ seed: 100 + i });
    t.deepEqual(v0.observations.slice(i * size, (i + 1) * size), r.observation);
  });
  const rng = new Rng(9);
  for (let s = 0; s < 60; s++) {
    const actions = names.map(() => vec.singleActionSpace.sample(rng));
    const v = vec.step(actions);
    singles.forEach((env, i) => {
      const r = env.step(actions[i] as Float32Array);
      t.is(v.rewards[i], r.reward);
      if (r.terminated || r.truncated) {
        t.deepEqual(v.infos[i]?.finalObservation, r.observation);
        const again = env.reset();
        t.deepEqual(v.observations.slice(i * size, (i + 1) * size), again.observation);
      } else t.deepEqual(v.observations.slice(i * size, (i + 1) * size), r.observation);
    });
  }
});
