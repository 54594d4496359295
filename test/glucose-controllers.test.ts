import test from 'ava';
import type { Info } from '../src/core/env.ts';
import type { Policy } from '../src/core/policy.ts';
import { glucoseMetrics } from '../src/metrics/glucose.ts';
import {
  BasalBolusController,
  BasalBolusPolicy,
  ConstantController,
  ConstantPolicy,
  PidController,
  PidBolusController,
  PidBolusPolicy,
  PidCore,
  PidPolicy,
  PID_DEFAULTS,
  Schedule,
  SchedulePolicy,
  baselineInfo,
  envAction,
  mealBolusUnits,
  pidBolusOptionsSchema,
  pidGains,
} from '../agents/baselines/glucose/index.ts';
import { InsulinOnBoard } from '../envs/glucose/insulin-on-board.ts';
import { parseParams } from '../src/core/params.ts';
import { T1DEnv } from '../envs/glucose/t1d-env.ts';
import { GLUCOSE_FAMILY } from '../envs/glucose/family.ts';
import { parseSimulateConfig } from '../envs/glucose/simulate.ts';
import { getPatient } from '../envs/glucose/patient.ts';

const ADO1 = getPatient('adolescent#001');
const THERAPY = { basalUPerMin: ADO1.basalUPerMin, CR: ADO1.CR, CF: ADO1.CF };

test('meal bolus = grams / CR + correction (CGM - 140) / CF above 150 mg/dL', (t) => {
  t.is(mealBolusUnits(45, 149, THERAPY), 45 / 12);
  t.is(mealBolusUnits(45, 150, THERAPY), 45 / 12, 'no correction at exactly 150');
  t.true(Math.abs(mealBolusUnits(45, 200, THERAPY) - (3.75 + 60 / 15.0360283441)) < 1e-12);
  t.true(Math.abs(mealBolusUnits(45, 200, THERAPY, { targetMgDl: 120 }) - (3.75 + 80 / 15.0360283441)) < 1e-12);
});

test('basal-bolus minute controller: bolus in the meal minute, split at the pump limit, suspend option', (t) => {
  const c = new BasalBolusController(THERAPY, {}, 2);
  c.reset();
  const base = { minute: 0, cgmMgDl: 140, newSample: true, sampleTimeMin: 3, mealGrams: 0 };
  t.deepEqual(c.insulin(base), { basalUPerMin: THERAPY.basalUPerMin, bolusUPerMin: 0 });
  // 45 g -> 3.75 U with a 2 U/min limit: 2 then 1.75
  t.is(c.insulin({ ...base, minute: 1, mealGrams: 45 }).bolusUPerMin, 2);
  t.is(c.insulin({ ...base, minute: 2 }).bolusUPerMin, 1.75);
  t.is(c.insulin({ ...base, minute: 3 }).bolusUPerMin, 0);
  const lgs = new BasalBolusController(THERAPY, { suspendBelowMgDl: 70 });
  t.is(lgs.insulin({ ...base, cgmMgDl: 65 }).basalUPerMin, 0);
  t.is(lgs.insulin({ ...base, cgmMgDl: 75 }).basalUPerMin, THERAPY.basalUPerMin);
});

test('PID tuning rule: gains scale with 1 / CF', (t) => {
  const g = pidGains(THERAPY);
  t.true(Math.abs(g.kp - 1 / (THERAPY.CF * PID_DEFAULTS.tauPMin)) < 1e-15);
  t.true(Math.abs(g.ki - g.kp / PID_DEFAULTS.tauIMin) < 1e-15);
  t.true(Math.abs(g.kd - g.kp * PID_DEFAULTS.tauDMin) < 1e-15);
  const sensitive = pidGains({ ...THERAPY, CF: 2 * THERAPY.CF });
  t.true(Math.abs(sensitive.kp - g.kp / 2) < 1e-15);
});

test('PID core: basal at target, more insulin above, suspend below 80 without integral wind-up', (t) => {
  const pid = new PidCore(THERAPY);
  const target = PID_DEFAULTS.targetMgDl;
  t.is(pid.update(target, 0), THERAPY.basalUPerMin);
  t.is(pid.update(target, 3), THERAPY.basalUPerMin);
  const g = pid.gains;
  // a 60 mg/dL error appearing over 3 minutes: P + D (slope 20 mg/dL/min) + I (60 * 3)
  const u = pid.update(target + 60, 3);
  t.true(Math.abs(u - (THERAPY.basalUPerMin + g.kp * 60 + g.kd * 20 + g.ki * 180)) < 1e-12);
  pid.reset();
  t.is(pid.update(75, 0), 0, 'suspended below 80');
  for (let k = 0; k < 100; k++) t.is(pid.update(75, 3), 0);
  // after the suspension the integral has not accumulated the negative error
  const after = pid.update(target, 3);
  t.true(Math.abs(after - (THERAPY.basalUPerMin + g.kd * ((target - 75) / 3))) < 1e-12);
  const noLgs = new PidCore(THERAPY, { suspendBelowMgDl: null, tauDMin: 0 });
  t.true(noLgs.update(75, 0) > 0, 'without suspend a mild low only reduces insulin');
  t.throws(() => new PidCore(THERAPY, { tauPMin: 0 }), { message: /tauPMin must be > 0/ });
});

test('PID minute controller updates at sensor samples and holds between them', (t) => {
  const c = new PidController(THERAPY);
  c.reset();
  const rates: number[] = [];
  for (let m = 0; m < 9; m++) {
    const cgm = 140 + 10 * Math.floor(m / 3);
    rates.push(c.insulin({ minute: m, cgmMgDl: cgm, newSample: m % 3 === 0, sampleTimeMin: 3, mealGrams: 0 }).basalUPerMin);
  }
  t.is(rates[0], rates[2]);
  t.is(rates[3], rates[5]);
  t.true((rates[3] as number) > (rates[0] as number) && (rates[6] as number) > (rates[3] as number));
});

test('schedule: piecewise-constant lookup, 0 before the first step, mean over a window', (t) => {
  const s = new Schedule([
    { minute: 10, unitsPerMinute: 0.02 },
    { minute: 20, unitsPerMinute: 0.05 },
  ]);
  t.is(s.rateAt(0), 0);
  t.is(s.rateAt(9), 0);
  t.is(s.rateAt(10), 0.02);
  t.is(s.rateAt(19), 0.02);
  t.is(s.rateAt(20), 0.05);
  t.is(s.rateAt(5000), 0.05);
  t.is(s.rateAt(15), 0.02, 'random access after moving forward');
  t.true(Math.abs(s.meanRate(18, 4) - (2 * 0.02 + 2 * 0.05) / 4) < 1e-15);
  t.throws(() => new Schedule([]), { message: /at least one step/ });
  t.throws(() => new Schedule([{ minute: 5, unitsPerMinute: 1 }, { minute: 5, unitsPerMinute: 2 }]), { message: /greater than the previous/ });
  t.is(new ConstantController(1.2).insulin().basalUPerMin, 0.02);
});

test('envAction: U/h clipped into the Box, or the nearest discrete level', (t) => {
  const info: Info = {
    cgm: 120, minute: 0, mealGrams: 0, sampleTimeMin: 3, patientBasalUPerMin: 0.02, CR: 10, CF: 20,
    actionKind: 'continuous', actionMaxUnitsPerHour: 6,
  };
  const b = baselineInfo(info);
  t.deepEqual(envAction(0.05, b), new Float32Array([3]));
  t.deepEqual(envAction(1, b), new Float32Array([6]), 'clipped to the action max');
  t.deepEqual(envAction(-1, b), new Float32Array([0]));
  const d = baselineInfo({ ...info, actionKind: 'discrete', actionLevelsUnitsPerHour: [0, 1.2, 2.4, 6] });
  t.is(envAction(0.02, d), 1);
  t.is(envAction(0.03, d), 1, 'ties go to the lower level');
  t.is(envAction(0.04, d), 2);
  t.is(envAction(10, d), 3);
  t.throws(() => baselineInfo({ cgm: 100 }), { message: /info has no 'actionKind'; run the baseline on T1D-v0/ });
});

function runEpisode(env: T1DEnv, policy: Policy<unknown, Float32Array | number>, seed: number): { bgs: number[]; insulin: number[]; infos: Info[] } {
  let { observation, info } = env.reset({ seed });
  policy.reset?.(info);
  const bgs = [info.bg as number];
  const insulin: number[] = [];
  const infos = [info];
  for (;;) {
    const s = env.step(policy.act(observation, { deterministic: true, info }));
    observation = s.observation;
    info = s.info;
    bgs.push(info.bg as number);
    insulin.push(info.insulin as number);
    infos.push(info);
    if (s.terminated || s.truncated) return { bgs, insulin, infos };
  }
}

const FOUR_MEALS = [
  { minute: 420, grams: 45 },
  { minute: 720, grams: 70 },
  { minute: 1080, grams: 80 },
  { minute: 1320, grams: 15 },
];

test('baselines run as env policies: basal-bolus boluses in the meal step and beats basal only', (t) => {
  const env = new T1DEnv({ patient: 'adolescent#001', scenario: FOUR_MEALS, sensorNoise: false, actionMaxUnitsPerHour: 'pump' });
  const bb = runEpisode(env, new BasalBolusPolicy(), 1);
  const basal = runEpisode(env, new ConstantPolicy('basal'), 1);
  t.is(bb.bgs.length, 481);
  // the meal starting at minute 420 is reported at the step that starts at 420 (step index 140)
  t.is(bb.infos[140]?.mealGrams, 45);
  t.true(Math.abs((bb.insulin[140] as number) - (3.75 + 3 * ADO1.basalUPerMin)) < 1e-4, `bolus step delivered ${bb.insulin[140]} U`);
  const total = bb.insulin.reduce((a, b) => a + b, 0);
  t.true(Math.abs(total - (210 / 12 + 1440 * ADO1.basalUPerMin)) < 0.01, `total insulin ${total}`);
  const mBb = glucoseMetrics(bb.bgs);
  const mBasal = glucoseMetrics(basal.bgs);
  t.true(mBb.tirPercent > 95, `basal-bolus TIR ${mBb.tirPercent}`);
  t.true(mBasal.tirPercent < 75, `basal-only TIR ${mBasal.tirPercent}`);
  t.true(mBb.riskIndex < mBasal.riskIndex);
  // in the default (narrow) action space the bolus is clipped to 5 x basal
  const narrow = new T1DEnv({ patient: 'adolescent#001', scenario: FOUR_MEALS, sensorNoise: false });
  const clipped = runEpisode(narrow, new BasalBolusPolicy(), 1);
  t.true((clipped.insulin[140] as number) < 5 * 3 * ADO1.basalUPerMin + 1e-6);
});

test('PID policy in the env equals the PID minute controller on the same readings', (t) => {
  const env = new T1DEnv({ patient: 'adult#005', scenario: FOUR_MEALS, sensorNoise: true, actionMaxUnitsPerHour: 'pump' });
  const run = runEpisode(env, new PidPolicy(), 4);
  const p = getPatient('adult#005');
  const c = new PidController({ basalUPerMin: p.basalUPerMin, CR: p.CR, CF: p.CF });
  c.reset();
  run.infos.slice(0, -1).forEach((info, k) => {
    const rate = c.insulin({ minute: 3 * k, cgmMgDl: info.cgm as number, newSample: true, sampleTimeMin: 3, mealGrams: 0 }).basalUPerMin;
    const delivered = (run.insulin[k] as number) / 3;
    t.true(Math.abs(delivered - Math.fround(rate * 60) / 60) < 1e-5, `step ${k}`);
  });
  const m = glucoseMetrics(run.bgs);
  t.true(m.minMgDl > 60 && m.tirPercent > 60, `PID TIR ${m.tirPercent}, min ${m.minMgDl}`);
  // the policy restarts cleanly on a new episode (same seed -> same trajectory)
  const again = runEpisode(env, new PidPolicy(), 4);
  t.deepEqual(again.bgs, run.bgs);
});

test('discrete env: baselines pick the nearest level; schedule policy delivers the window mean', (t) => {
  const env = new T1DEnv({ patient: 'child#005', action: 'discrete', scenario: [], sensorNoise: false, days: 0.1 });
  const basal = runEpisode(env, new ConstantPolicy('basal'), 0);
  const p = getPatient('child#005');
  t.true(basal.insulin.every((u) => Math.abs(u - 3 * p.basalUPerMin) < 1e-4));
  const sched = new T1DEnv({ patient: 'child#005', scenario: [], sensorNoise: false, days: 0.1, actionMaxUnitsPerHour: 'pump' });
  const run = runEpisode(sched, new SchedulePolicy([{ minute: 0, unitsPerMinute: 0 }, { minute: 7, unitsPerMinute: 0.03 }]), 0);
  t.is(run.insulin[0], 0);
  t.is(run.insulin[1], 0);
  t.true(Math.abs((run.insulin[2] as number) - 0.06) < 1e-5, 'minutes 6-8: one minute at 0, two at 0.03');
  t.true(Math.abs((run.insulin[3] as number) - 0.09) < 1e-5);
});

test('glucoseBaseline builds policies by name and rejects unknown ones', async (t) => {
  const { glucoseBaseline } = await import('../agents/baselines/glucose/index.ts');
  t.is(glucoseBaseline({ type: 'basal-bolus' }).name, 'basal-bolus');
  t.is(glucoseBaseline({ type: 'pid', targetMgDl: 130 }).name, 'pid');
  t.is(glucoseBaseline({ type: 'basal' }).name, 'basal');
  t.is(glucoseBaseline({ type: 'constant', unitsPerHour: 1 }).name, 'constant');
  t.is(glucoseBaseline({ type: 'schedule', steps: [{ minute: 0, unitsPerMinute: 0.01 }] }).name, 'schedule');
  t.is(glucoseBaseline({ type: 'pid-bolus', holdAfterBolusMin: 90 }).name, 'pid-bolus');
  t.throws(() => glucoseBaseline({ type: 'mpc' } as never), { message: "baseline: unknown glucose baseline 'mpc'; allowed: basal-bolus, pid, pid-bolus, constant, basal, schedule" });
  t.throws(() => glucoseBaseline({ type: 'pid-bolus', holdAfterBolusMin: -1 }), { message: 'pid-bolus: holdAfterBolusMin must be a number of minutes >= 0, got -1' });
  t.throws(() => glucoseBaseline({ type: 'constant', unitsPerHour: -1 }), { message: /unitsPerHour must be a number >= 0/ });
});

test('pid-bolus minute controller: the meal bolus, the PID held at basal for the hold, free after it; equal to PID without meals', (t) => {
  const hold = 120;
  const c = new PidBolusController(THERAPY, { holdAfterBolusMin: hold }, 2);
  const pid = new PidController(THERAPY);
  c.reset();
  pid.reset();
  const basal = THERAPY.basalUPerMin;
  for (let m = 0; m < 400; m++) {
    // glucose rises after the meal at minute 60 (well above the PID's target): the PID wants more than basal
    const cgmMgDl = m < 60 ? 120 : 120 + Math.min(120, m - 60);
    const input = { minute: m, cgmMgDl, newSample: m % 3 === 0, sampleTimeMin: 3, mealGrams: m === 60 ? 45 : 0 };
    const got = c.insulin(input);
    const free = pid.insulin(input).basalUPerMin;
    if (m < 60) t.deepEqual(got, { basalUPerMin: free, bolusUPerMin: 0 }, `before the meal, minute ${m}`);
    else if (m < 60 + hold) t.is(got.basalUPerMin, Math.min(free, basal), `hold, minute ${m}`);
    else t.is(got.basalUPerMin, free, `after the hold, minute ${m}`);
    if (m === 63) t.true(free > basal, 'the PID asked for more than basal during the hold');
  }
  // the bolus itself: 45 g at CGM 120 -> 3.75 U, split at the 2 U/min pump limit
  const d = new PidBolusController(THERAPY, {}, 2);
  const base = { minute: 0, cgmMgDl: 120, newSample: true, sampleTimeMin: 3, mealGrams: 45 };
  t.is(d.insulin(base).bolusUPerMin, 2);
  t.is(d.insulin({ ...base, minute: 1, mealGrams: 0, newSample: false }).bolusUPerMin, 1.75);
  // the PID's suspend below 80 mg/dL still cuts basal during a hold
  t.is(d.insulin({ ...base, minute: 3, cgmMgDl: 75, mealGrams: 0 }).basalUPerMin, 0);
  t.throws(() => new PidBolusController(THERAPY, { holdAfterBolusMin: Number.NaN }), { message: /holdAfterBolusMin must be a number of minutes >= 0, got NaN/ });
});

test('pid-bolus subtractPidIob: the meal bolus less the PID\'s above-basal insulin on board (4-hour linear curve), floored at 0; off by default', (t) => {
  const basal = THERAPY.basalUPerMin;
  const run = (options: { subtractPidIob?: boolean }, mealGrams: number, mealCgm = 220) => {
    const c = new PidBolusController(THERAPY, options, Infinity);
    c.reset();
    const iob = new InsulinOnBoard(1, 240);
    let pidExtra = 0;
    // 90 minutes high (the PID adds insulin above basal), then the meal
    for (let m = 0; m < 90; m++) {
      const r = c.insulin({ minute: m, cgmMgDl: 220, newSample: m % 3 === 0, sampleTimeMin: 3, mealGrams: 0 });
      iob.push(Math.max(0, r.basalUPerMin - basal));
      pidExtra += r.basalUPerMin - basal;
    }
    const meal = c.insulin({ minute: 90, cgmMgDl: mealCgm, newSample: true, sampleTimeMin: 3, mealGrams });
    return { bolus: meal.bolusUPerMin, iob: iob.units, pidExtra };
  };
  const full = mealBolusUnits(60, 220, THERAPY);
  const plain = run({}, 60);
  t.true(plain.pidExtra > 0, 'the PID added insulin above basal before the meal');
  t.is(plain.bolus, full, 'off by default: the whole bolus');
  const sub = run({ subtractPidIob: true }, 60);
  t.true(sub.iob > 0.1 && sub.iob < full, `IOB ${sub.iob} U`);
  t.true(Math.abs(sub.bolus - (full - sub.iob)) < 1e-9, `bolus ${sub.bolus} = ${full} - ${sub.iob}`);
  t.is(run({ subtractPidIob: true }, 1, 110).bolus, 0, 'a small meal (no correction) after much extra insulin: no bolus, never a negative one');
  // the option is checked by the controller's schema, as every surface reads it
  t.throws(() => parseParams(pidBolusOptionsSchema, { subtractPidIob: 'yes' }, 'evaluate.methods[0]'), { message: 'evaluate.methods[0].subtractPidIob: expected true or false, got "yes"' });
});

test('pid-bolus subtractPidIob in the env: never more insulin per bolus than without, less on a day the PID added insulin', (t) => {
  const env = () => new T1DEnv({ patient: 'adult#009', scenario: FOUR_MEALS, sensorNoise: true, actionMaxUnitsPerHour: 'pump' });
  const plain = runEpisode(env(), new PidBolusPolicy(), 4);
  const sub = runEpisode(env(), new PidBolusPolicy({ subtractPidIob: true }), 4);
  const mealSteps = plain.infos.slice(0, -1).flatMap((info, k) => ((info.mealGrams as number) > 0 ? [k] : []));
  t.is(mealSteps.length, 4);
  const first = mealSteps[0] as number;
  t.deepEqual(sub.insulin.slice(0, first + 1).slice(0, first), plain.insulin.slice(0, first), 'identical until the first bolus');
  t.true((sub.insulin[first] as number) <= (plain.insulin[first] as number) + 1e-9);
  const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  t.true(total(sub.insulin) < total(plain.insulin), `less insulin over the day: ${total(sub.insulin)} against ${total(plain.insulin)}`);
});

test('pid-bolus policy in the env equals the minute controller on the same readings and meals', (t) => {
  const env = new T1DEnv({ patient: 'adult#005', scenario: FOUR_MEALS, sensorNoise: true, actionMaxUnitsPerHour: 'pump' });
  const run = runEpisode(env, new PidBolusPolicy(), 4);
  const p = getPatient('adult#005');
  const c = new PidBolusController({ basalUPerMin: p.basalUPerMin, CR: p.CR, CF: p.CF });
  c.reset();
  let boluses = 0;
  run.infos.slice(0, -1).forEach((info, k) => {
    const r = c.insulin({ minute: 3 * k, cgmMgDl: info.cgm as number, newSample: true, sampleTimeMin: 3, mealGrams: info.mealGrams as number });
    if (r.bolusUPerMin > 0) boluses++;
    // the policy spreads the bolus over the step: the step's insulin is the same
    const expected = Math.fround((r.bolusUPerMin / 3 + r.basalUPerMin) * 60) / 60;
    t.true(Math.abs((run.insulin[k] as number) / 3 - expected) < 1e-5, `step ${k}: ${(run.insulin[k] as number) / 3} U/min against ${expected}`);
  });
  t.is(boluses, 4);
  const again = runEpisode(env, new PidBolusPolicy(), 4);
  t.deepEqual(again.bgs, run.bgs, 'a new episode starts over');
});

test('pid-bolus corrects what basal-bolus leaves: higher TIR under missed boluses and carb-counting errors, no more hypoglycaemia', (t) => {
  // A third of the meals eaten without a bolus, carb estimates 20 % off, clinic settings 20 % off:
  // three adults, three seeded days each (the same days for both controllers).
  const therapy = { carbEstimateSd: 0.2, missedBolusFraction: 0.3, mealTimeJitterMin: 15, settingsErrorSd: 0.2, rescueCarbs: true };
  const pooled = (make1: () => Policy<unknown, Float32Array | number>) => {
    const bgs: number[] = [];
    for (const patient of ['adult#002', 'adult#006', 'adult#009']) {
      const env = new T1DEnv({ patient, scenario: 'random', therapy, actionMaxUnitsPerHour: 'pump', controllerToldOfMeals: true });
      for (const seed of [31, 32, 33]) bgs.push(...runEpisode(env, make1(), seed).bgs);
    }
    return glucoseMetrics(bgs);
  };
  const bb = pooled(() => new BasalBolusPolicy());
  const hcl = pooled(() => new PidBolusPolicy());
  t.log(`pid-bolus ${hcl.tirPercent} / ${hcl.tbr70Percent}, basal-bolus ${bb.tirPercent} / ${bb.tbr70Percent}`);
  t.true(hcl.tirPercent > bb.tirPercent + 3, `pid-bolus TIR ${hcl.tirPercent} against basal-bolus ${bb.tirPercent}`);
  t.true(hcl.tbr70Percent <= bb.tbr70Percent + 0.5, `TBR<70 ${hcl.tbr70Percent} against ${bb.tbr70Percent}`);
});

test('a controller parameter is checked by one schema: T1D-v0, dosegym simulate and evaluate.methods reject it in the same words', (t) => {
  const env = new T1DEnv({ patient: 'adult#001', scenario: [] });
  const cases: [string, Record<string, unknown>, string][] = [
    ['pid', { tauPMin: 0 }, 'tauPMin: expected a number of minutes > 0, got 0'],
    ['pid', { suspendBelowMgDl: -1 }, 'suspendBelowMgDl: expected a glucose >= 0 mg/dL, got -1'],
    ['pid-bolus', { holdAfterBolusMin: Number.NaN }, 'holdAfterBolusMin: expected a number of minutes >= 0, got NaN'],
    ['basal-bolus', { targetMgDl: 'high' }, 'targetMgDl: expected a glucose > 0 mg/dL, got "high"'],
  ];
  for (const [type, params, message] of cases) {
    t.throws(() => new T1DEnv({ patient: 'adult#001', action: 'residual', residualController: { type, ...params } as never, scenario: [] }), { message: `T1D-v0: residualController.${message}` });
    t.throws(() => parseSimulateConfig({ env: 'T1D-v0', patient: 'adult#001', minutes: 60, controller: { type, ...params } }), { message: `controller.${message}` });
    t.throws(() => GLUCOSE_FAMILY.makeBaseline(type, params, env, 'evaluate.methods[1]'), { message: `evaluate.methods[1].${message}` });
  }
  // null turns the PID's suspend off in all three; 0 is a threshold no reading is below
  t.notThrows(() => GLUCOSE_FAMILY.makeBaseline('pid', { suspendBelowMgDl: null, tauDMin: 0 }, env, 'evaluate.methods[1]'));
  t.notThrows(() => parseSimulateConfig({ env: 'T1D-v0', patient: 'adult#001', minutes: 60, controller: { type: 'pid', suspendBelowMgDl: 0 } }));
});
