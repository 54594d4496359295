import test from 'ava';
import type { Info } from '../src/core/env.ts';
import { UserError } from '../src/core/errors.ts';
import { make } from '../src/core/registry.ts';
import { Rng } from '../src/core/rng.ts';
import { runEpisode } from '../src/core/episode.ts';
import '../envs/glucose/register.ts';
import { T1DEnv } from '../envs/glucose/t1d-env.ts';
import { getPatient } from '../envs/glucose/patient.ts';
import { Pump } from '../envs/glucose/pump.ts';
import { RescueCarbs, RESCUE_CARBS_DEFAULTS, drawTherapy, relativeErrorFactor, THERAPY_DEFAULTS, type TherapyOptions } from '../envs/glucose/therapy.ts';
import { BasalBolusPolicy, ConstantPolicy, PidPolicy } from '../agents/baselines/glucose/index.ts';

const PROTOCOL = { carbEstimateSd: 0.2, missedBolusFraction: 0.1, mealTimeJitterMin: 20, settingsErrorSd: 0.15, rescueCarbs: true };

function options(therapy: Partial<TherapyOptions> | Record<string, unknown>): TherapyOptions {
  return { ...THERAPY_DEFAULTS, ...therapy } as TherapyOptions;
}

/** Mean and SD of xs. */
function moments(xs: readonly number[]): { mean: number; sd: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  return { mean, sd: Math.sqrt(v) };
}

test('defaults are off: the protocol is the ideal patient, and the env is unchanged step for step', (t) => {
  t.deepEqual({ ...THERAPY_DEFAULTS }, { carbEstimateSd: 0, missedBolusFraction: 0, mealTimeJitterMin: 0, settingsErrorSd: 0, rescueCarbs: false });
  const plain = new T1DEnv({ patient: 'adult#004', mealAnnouncement: 60 });
  const zeros = new T1DEnv({ patient: 'adult#004', mealAnnouncement: 60, therapy: { carbEstimateSd: 0, missedBolusFraction: 0, mealTimeJitterMin: 0, settingsErrorSd: 0, rescueCarbs: false } });
  const a = plain.reset({ seed: 3 });
  const b = zeros.reset({ seed: 3 });
  t.deepEqual(a.observation, b.observation);
  t.deepEqual(a.info, b.info);
  t.deepEqual(plain.therapyMeals.map((m) => ({ minute: m.announcedMinute, grams: m.estimateG, missed: m.missed })), plain.scenarioMeals.map((m) => ({ ...m, missed: false })));
  const p = getPatient('adult#004');
  t.deepEqual({ ...plain.clinicSettings }, { basalUPerMin: p.basalUPerMin, CR: p.CR, CF: p.CF });
  const policy = new BasalBolusPolicy();
  let info: Info = a.info;
  for (let s = 0; s < 480; s++) {
    const action = policy.act(undefined, { deterministic: true, info });
    const x = plain.step(action);
    const y = zeros.step(action);
    t.deepEqual(x.observation, y.observation);
    t.deepEqual(x.info, y.info);
    info = x.info;
  }
  t.false('trueCR' in info || 'rescueGrams' in info, 'analysis fields only when their option is on');
});

test('the same seed gives the same meals, estimates, missed boluses, jitter and settings whatever the actions and the action mode', (t) => {
  const runs = [
    { options: { action: 'continuous', actionMaxUnitsPerHour: 'pump' }, policy: () => new BasalBolusPolicy() },
    { options: { action: 'continuous' }, policy: () => new ConstantPolicy(0) },
    { options: { action: 'discrete' }, policy: () => new PidPolicy() },
    { options: { action: 'basal-relative' }, policy: () => ({ name: 'max', act: () => new Float32Array([1]) }) },
    { options: { action: 'residual', residualController: 'pid' }, policy: () => ({ name: 'zero', act: () => new Float32Array([0]) }) },
  ] as const;
  for (const seed of [1, 2, 3]) {
    const seen: string[] = [];
    const insulin: number[] = [];
    for (const run of runs) {
      const env = new T1DEnv({ patient: 'adolescents', days: 2, therapy: PROTOCOL, ...run.options } as never);
      const log = runEpisode(env as never, run.policy() as never, seed);
      seen.push(JSON.stringify({ patient: log.infos[0]?.patient, meals: env.therapyMeals, clinic: env.clinicSettings }));
      insulin.push(log.infos.reduce((s, i) => s + (i.insulin as number), 0));
    }
    t.is(new Set(seen).size, 1, `seed ${seed}: one set of protocol draws for five different policies`);
    t.true(new Set(insulin).size >= 4, 'the policies really delivered different insulin');
    const draw = JSON.parse(seen[0] as string) as { meals: unknown[] };
    t.true(draw.meals.length >= 6, 'two days of meals');
  }
});

test('turning one protocol option on never shifts another option\'s draws (named child streams)', (t) => {
  const only = (therapy: Record<string, unknown>) => {
    const env = new T1DEnv({ patient: 'adults', days: 3, therapy });
    env.reset({ seed: 17 });
    return { meals: env.therapyMeals, clinic: env.clinicSettings, scenario: env.scenarioMeals, patient: env.currentPatient.name };
  };
  const all = only(PROTOCOL);
  const carb = only({ carbEstimateSd: 0.2 });
  const missed = only({ missedBolusFraction: 0.1 });
  const jitter = only({ mealTimeJitterMin: 20 });
  const settings = only({ settingsErrorSd: 0.15 });
  const none = only({});
  t.deepEqual(all.scenario, none.scenario);
  t.is(all.patient, none.patient);
  t.deepEqual(all.meals.map((m) => m.estimateG), carb.meals.map((m) => m.estimateG));
  t.deepEqual(all.meals.map((m) => m.missed), missed.meals.map((m) => m.missed));
  t.deepEqual(all.meals.map((m) => m.announcedMinute), jitter.meals.map((m) => m.announcedMinute));
  t.deepEqual(all.clinic, settings.clinic);
  t.true(carb.meals.some((m) => m.estimateG !== m.grams) && carb.meals.every((m) => !m.missed && m.announcedMinute === m.minute));
});

test('carb estimate error: mean 0 and SD = carbEstimateSd (log-normal), never negative; missed share = missedBolusFraction; jitter uniform in [-J, J]', (t) => {
  // 24,000 meals of 50 g in 200 episodes' worth of draws (the env's own draw function and streams).
  const meals = Array.from({ length: 120 }, (_, i) => ({ minute: 300 + i * 5, grams: 50 }));
  const patient = getPatient('adult#001');
  const truth = { basalUPerMin: patient.basalUPerMin, CR: patient.CR, CF: patient.CF };
  for (const [sd, fraction] of [[0.2, 0.1], [0.3, 0.2], [0.6, 0.5]] as const) {
    const errors: number[] = [];
    let missed = 0;
    const offsets: number[] = [];
    let minEstimate = Infinity;
    for (let e = 0; e < 200; e++) {
      const d = drawTherapy(new Rng(e).child('therapy'), meals, truth, options({ carbEstimateSd: sd, missedBolusFraction: fraction, mealTimeJitterMin: 30 }));
      for (const m of d.meals) {
        errors.push(m.estimateG / m.grams - 1);
        minEstimate = Math.min(minEstimate, m.estimateG);
        if (m.missed) missed++;
        offsets.push(m.announcedMinute - m.minute);
      }
    }
    const n = errors.length;
    const { mean, sd: empiricalSd } = moments(errors);
    // Tolerances: 5 standard errors. SE(mean) = sd / sqrt(n); SE(SD) <= sd sqrt((kurtosis - 1) / (4 n)) with
    // the log-normal's kurtosis (below 8 for sd <= 0.6), so 5 SE(SD) < 0.05 sd at n = 24,000.
    t.true(Math.abs(mean) < (5 * sd) / Math.sqrt(n), `sd ${sd}: mean error ${mean}`);
    t.true(Math.abs(empiricalSd / sd - 1) < 0.05, `sd ${sd}: empirical SD ${empiricalSd}`);
    t.true(minEstimate > 0, 'estimates are positive');
    const share = missed / n;
    t.true(Math.abs(share - fraction) < 5 * Math.sqrt((fraction * (1 - fraction)) / n), `missed share ${share} for ${fraction}`);
    t.is(Math.min(...offsets), -30);
    t.is(Math.max(...offsets), 30);
    t.true(offsets.every((o) => Number.isInteger(o)));
    t.true(Math.abs(moments(offsets).mean) < (5 * Math.sqrt((61 * 61 - 1) / 12)) / Math.sqrt(n), 'jitter centred');
    t.is(new Set(offsets).size, 61, 'every whole minute in [-30, 30] occurs');
  }
  // even an SD of 1 (100 %) keeps estimates positive, with SD 1
  const rng = new Rng(5);
  const wide = Array.from({ length: 40000 }, () => relativeErrorFactor(rng, 1) - 1);
  t.true(Math.min(...wide) > -1);
  t.true(Math.abs(moments(wide).mean) < 0.05 && Math.abs(moments(wide).sd - 1) < 0.15, 'heavy tail: looser tolerance');
  t.is(relativeErrorFactor(new Rng(1), 0), 1, 'sd 0: exactly 1');
});

test('mis-set settings: drawn once per episode, SD = settingsErrorSd, reported as the clinic\'s values; the truth only under true* fields', (t) => {
  const env = new T1DEnv({ patient: 'adolescent#003', therapy: { settingsErrorSd: 0.25 }, scenario: [] });
  const p = getPatient('adolescent#003');
  const ratios: number[][] = [[], [], []];
  for (let e = 0; e < 3000; e++) {
    const r = env.reset({ seed: e });
    ratios[0]?.push((r.info.patientBasalUPerMin as number) / p.basalUPerMin - 1);
    ratios[1]?.push((r.info.CR as number) / p.CR - 1);
    ratios[2]?.push((r.info.CF as number) / p.CF - 1);
    t.is(r.info.trueBasalUPerMin, p.basalUPerMin);
    t.is(r.info.trueCR, p.CR);
    t.is(r.info.trueCF, p.CF);
  }
  for (const xs of ratios) {
    const { mean, sd } = moments(xs);
    // n = 3000: 5 SE(mean) = 0.023; 5 SE(SD) < 0.1 x 0.25 (log-normal kurtosis < 5 at sd 0.25)
    t.true(Math.abs(mean) < 0.023, `mean ${mean}`);
    t.true(Math.abs(sd / 0.25 - 1) < 0.1, `sd ${sd}`);
  }
  t.true(Math.abs(moments(ratios[0] as number[]).mean - moments(ratios[1] as number[]).mean) < 0.04);
  // within an episode the settings stay put; the pump delivers the clinic's basal rate
  const r = env.reset({ seed: 9 });
  const clinicBasal = r.info.patientBasalUPerMin as number;
  t.not(clinicBasal, p.basalUPerMin);
  const basal = new ConstantPolicy('basal');
  let info = r.info;
  for (let s = 0; s < 100; s++) {
    info = env.step(basal.act(undefined, { deterministic: true, info }) as Float32Array).info;
    t.is(info.patientBasalUPerMin, clinicBasal);
  }
  t.true(Math.abs((info.insulin as number) - new Pump('Insulet').basal(clinicBasal) * 3) < 1e-9);
});

test('missed meals are eaten but invisible in the observation and info.mealGrams', (t) => {
  const scenario = [{ minute: 30, grams: 40 }, { minute: 120, grams: 25 }, { minute: 240, grams: 60 }];
  const lead = 60;
  for (const fraction of [1, 0.5]) {
    const env = new T1DEnv({ patient: 'adult#002', scenario, days: 0.3, sensorNoise: false, mealAnnouncement: lead, therapy: { missedBolusFraction: fraction } });
    // with 0.5, a seed where some but not all meals are missed
    let seed = 0;
    for (; fraction < 1 && seed < 100; seed++) {
      env.reset({ seed });
      const missed = env.therapyMeals.filter((m) => m.missed).length;
      if (missed > 0 && missed < scenario.length) break;
    }
    const r = env.reset({ seed });
    const missed = env.therapyMeals.filter((m) => m.missed);
    t.true(fraction === 1 ? missed.length === 3 : missed.length === 1 || missed.length === 2);
    const announcedIn = (from: number, to: number) => env.therapyMeals.filter((m) => !m.missed && m.minute >= from && m.minute < to).reduce((g, m) => g + m.grams, 0);
    const k = 12;
    let obs = r.observation;
    let info = r.info;
    let eaten = 0;
    let hiddenSteps = 0;
    for (;;) {
      const minute = info.minute as number;
      t.is(info.mealGrams, announcedIn(minute, minute + 3));
      t.true(Math.abs((obs[2 * k + 3] as number) - announcedIn(minute, minute + 3 + lead) / 100) < 1e-6);
      if (missed.some((m) => m.minute >= minute && m.minute < minute + 3 + lead)) hiddenSteps++;
      const s = env.step(new Float32Array([(info.patientBasalUPerMin as number) * 60]));
      eaten += s.info.cho as number;
      obs = s.observation;
      info = s.info;
      if (s.truncated || s.terminated) break;
    }
    t.is(eaten, 125, 'every meal is eaten, missed or not');
    t.true(hiddenSteps >= 11 * missed.length, 'the checks above covered steps with a missed meal in the announcement window');
  }
});

test('basal-bolus boluses for the ESTIMATE at the ANNOUNCED minute with the clinic\'s CR; the patient eats the truth at the meal minute', (t) => {
  const scenario = [{ minute: 300, grams: 60 }];
  const env = new T1DEnv({ patient: 'adult#005', scenario, days: 0.5, sensorNoise: false, actionMaxUnitsPerHour: 'pump', therapy: { carbEstimateSd: 0.3, mealTimeJitterMin: 30, settingsErrorSd: 0.2 } });
  let seed = 0;
  for (; seed < 50; seed++) {
    env.reset({ seed });
    if (Math.abs((env.therapyMeals[0]?.announcedMinute ?? 300) - 300) >= 6) break;
  }
  const log = runEpisode(env, new BasalBolusPolicy() as never, seed);
  const meal = env.therapyMeals[0] as NonNullable<(typeof env.therapyMeals)[number]>;
  t.not(meal.estimateG, meal.grams);
  const announced = Math.floor(meal.announcedMinute / 3) * 3; // the step whose [minute, minute + 3) holds the announcement
  const clinic = env.clinicSettings;
  for (let i = 0; i < log.infos.length - 1; i++) {
    const at = log.infos[i] as Info;
    const next = log.infos[i + 1] as Info;
    t.is(at.mealGrams, at.minute === announced ? meal.estimateG : 0);
    if (at.minute === announced) {
      const bolusU = (next.insulin as number) - new Pump('Insulet').basal(clinic.basalUPerMin) * 3;
      const expected = meal.estimateG / clinic.CR + ((at.cgm as number) > 150 ? ((at.cgm as number) - 140) / clinic.CF : 0);
      t.true(Math.abs(bolusU - expected) < 1e-3, `bolus ${bolusU} U for an estimate of ${meal.estimateG} g (expected ${expected})`);
    }
    const eatingStep = at.minute === 300 || at.minute === 303 || at.minute === 306 || at.minute === 309;
    t.is((next.cho as number) > 0, eatingStep, `eating only from minute 300 (step at ${at.minute})`);
  }
});

test('rescue carbohydrates: the rule of 15 on the CGM readings, with a refractory period', (t) => {
  const rule = new RescueCarbs(RESCUE_CARBS_DEFAULTS);
  const seq: Array<[number, number, number]> = [
    [0, 80, 0], [3, 69, 0], [6, 65, 0], [9, 60, 0], [12, 58, 0], [15, 55, 0], [18, 54, 15], // low since 3, 15 min at 18
    [21, 56, 0], [24, 60, 0], [30, 62, 0], [33, 64, 15], // refractory 15 min: next at 33
    [36, 72, 0], [39, 69, 0], [51, 65, 0], [54, 66, 15], // back above resets the low run: 39 + 15
  ];
  for (const [minute, cgm, grams] of seq) t.is(rule.reading(minute, cgm), grams, `minute ${minute}`);
  const custom = new RescueCarbs({ grams: 20, belowMgDl: 80, afterMin: 0, refractoryMin: 30 });
  t.is(custom.reading(0, 79), 20);
  t.is(custom.reading(15, 70), 0);
  t.is(custom.reading(30, 70), 20);

  // In the env: an insulin overdose without meals drives the CGM low; the rule fires exactly when
  // the readings of the last 15 minutes were all below 70, and the patient eats 15 g.
  const make1 = (rescueCarbs: unknown) => new T1DEnv({ patient: 'adult#001', scenario: [], sensorNoise: false, actionMaxUnitsPerHour: 'pump', days: 0.5, therapy: { rescueCarbs } as never });
  const env = make1(true);
  const r = env.reset({ seed: 0 });
  const infos: Info[] = [r.info];
  for (let s = 0; s < 240; s++) {
    const step = env.step(new Float32Array([s < 3 ? 120 : 0])); // 18 U in 9 minutes, then nothing
    infos.push(step.info);
    if (step.terminated || step.truncated) break;
  }
  let lowSince = NaN;
  let last = -Infinity;
  let rescues = 0;
  for (let i = 0; i < infos.length; i++) {
    const info = infos[i] as Info;
    const m = info.minute as number;
    if ((info.cgm as number) < 70) {
      if (Number.isNaN(lowSince)) lowSince = m;
    } else lowSince = NaN;
    const fires = !Number.isNaN(lowSince) && m - lowSince >= 15 && m - last >= 15;
    if (fires) last = m;
    t.is(info.rescueGrams, fires ? 15 : 0, `minute ${m}`);
    if (fires) {
      rescues++;
      const eaten = infos.slice(i + 1, i + 3).reduce((s, x) => s + (x.cho as number), 0);
      t.is(eaten, 15, 'eaten over the next 3 minutes at 5 g/min');
    }
  }
  t.true(rescues >= 2, `${rescues} rescues`);
  t.true(infos.every((i) => i.mealGrams === 0), 'rescue carbohydrates are not announced');
  // without the rule the same overdose goes deeper
  const off = make1(false);
  off.reset({ seed: 0 });
  let minOff = Infinity;
  for (let s = 0; s < 240; s++) {
    const step = off.step(new Float32Array([s < 3 ? 120 : 0]));
    minOff = Math.min(minOff, step.info.bg as number);
    t.false('rescueGrams' in step.info);
    if (step.terminated || step.truncated) break;
  }
  t.true(minOff < Math.min(...infos.map((i) => i.bg as number)), 'rescues raise the nadir');
});

test('multi-day episodes draw a new meal day for every day and the protocol covers all of them', (t) => {
  const env = new T1DEnv({ patient: 'adult#003', days: 3, therapy: { carbEstimateSd: 0.2, missedBolusFraction: 0.3 } });
  env.reset({ seed: 4 });
  const days = [0, 1, 2].map((d) => env.scenarioMeals.filter((m) => m.minute >= d * 1440 && m.minute < (d + 1) * 1440));
  t.true(days.every((d) => d.length >= 3));
  t.notDeepEqual(days[0]?.map((m) => m.minute % 1440), days[1]?.map((m) => m.minute % 1440));
  t.is(env.therapyMeals.length, env.scenarioMeals.length);
  t.true(env.therapyMeals.some((m) => m.minute >= 2880 && m.estimateG !== m.grams));
  t.is(env.metadata.maxEpisodeSteps, 1440);
});

test('bad therapy options are one-line errors naming the option and what is allowed', (t) => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ carbEstimateSd: 2 }, /^T1D-v0: therapy\.carbEstimateSd: expected a number in \[0, 1\], got 2$/],
    [{ carbEstimateSd: 'big' }, /^T1D-v0: therapy\.carbEstimateSd: expected a number in \[0, 1\], got "big"$/],
    [{ missedBolusFraction: -0.1 }, /^T1D-v0: therapy\.missedBolusFraction: expected a number in \[0, 1\], got -0\.1$/],
    [{ mealTimeJitterMin: 2.5 }, /^T1D-v0: therapy\.mealTimeJitterMin: expected an integer in \[0, 240\], got 2\.5$/],
    [{ settingsErrorSd: 1.5 }, /^T1D-v0: therapy\.settingsErrorSd: expected a number in \[0, 1\], got 1\.5$/],
    [{ carbSd: 0.2 }, /^T1D-v0: therapy\.carbSd: unknown field; allowed: carbEstimateSd, missedBolusFraction, mealTimeJitterMin, settingsErrorSd, rescueCarbs$/],
    [{ rescueCarbs: { grams: 0 } }, /^T1D-v0: therapy\.rescueCarbs\.grams: expected a positive number of grams, got 0$/],
    [{ rescueCarbs: { grams: 15, after: 10 } }, /^T1D-v0: therapy\.rescueCarbs\.after: unknown field; allowed: grams, belowMgDl, afterMin, refractoryMin$/],
    [{ rescueCarbs: 15 }, /^T1D-v0: therapy\.rescueCarbs: expected true, false or \{ grams, belowMgDl, afterMin, refractoryMin \}, got 15$/],
  ];
  for (const [therapy, message] of cases) {
    const error = t.throws(() => make('T1D-v0', { therapy }), { instanceOf: UserError, message });
    t.false(error?.message.includes('\n'));
  }
  t.throws(() => make('T1D-v0', { therapy: 0.2 }), { instanceOf: UserError, message: /^T1D-v0: therapy: expected a mapping of therapy options/ });
  // partial objects take the defaults for the rest
  const env = make('T1D-v0', { therapy: { rescueCarbs: { grams: 20 } } }) as T1DEnv;
  t.deepEqual(env.options.therapy, { ...THERAPY_DEFAULTS, rescueCarbs: { ...RESCUE_CARBS_DEFAULTS, grams: 20 } });
});
