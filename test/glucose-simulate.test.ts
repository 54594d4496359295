import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { parseCsv } from '../src/io/csv.ts';
import { UserError } from '../src/core/errors.ts';
import { simulatorFor } from '../src/core/simulators.ts';
import '../envs/glucose/register.ts';
import { parseSimulateConfig, simulateT1D, simulateT1DConfig, SIMULATE_COLUMNS, STATE_COLUMNS } from '../envs/glucose/simulate.ts';
import { PATIENT_NAMES, getPatient } from '../envs/glucose/patient.ts';
import { Pump } from '../envs/glucose/pump.ts';
import { PatientSimulator } from '../envs/glucose/simulator.ts';
import { Rng } from '../src/core/rng.ts';
import { THERAPY_DEFAULTS, drawTherapy } from '../envs/glucose/therapy.ts';
import { mealBolusUnits } from '../agents/baselines/glucose/index.ts';

function fixture(name: string): Record<string, string>[] {
  const local = `test/fixtures/simglucose/${name}`;
  const path = existsSync(local) ? local : `/work/shared/data/reference/simglucose/${name}`;
  return parseCsv(readFileSync(path, 'utf8'));
}

/** The reference run's per-minute insulin as a schedule (consecutive equal rates merged) and its meals. */
function replayConfig(rows: Record<string, string>[]): Record<string, unknown> {
  const steps: { minute: number; unitsPerMinute: number }[] = [];
  const meals: { minute: number; grams: number }[] = [];
  for (const r of rows.slice(1)) {
    const minute = Number(r.t_start_min);
    const u = Number(r.insulin_U_per_min);
    if (steps.length === 0 || steps[steps.length - 1]?.unitsPerMinute !== u) steps.push({ minute, unitsPerMinute: u });
    const g = Number(r.scenario_CHO_g);
    if (g > 0) meals.push({ minute, grams: g });
  }
  return {
    env: 'T1D-v0',
    patient: 'adolescent#001',
    minutes: 1440,
    sensor: { model: 'Dexcom', noise: false },
    pump: 'Insulet',
    meals,
    controller: { type: 'schedule', steps },
    seed: 1,
  };
}

for (const file of ['adolescent001_1d_bb_nonoise_per_minute.csv', 'adolescent001_1d_openloop_basal_dexcom_seed1_per_minute.csv']) {
  test(`dosegym simulate reproduces simglucose ${file} to 1e-3 mg/dL at every minute`, (t) => {
    const rows = fixture(file);
    t.is(rows.length, 1441);
    const config = replayConfig(rows);
    t.deepEqual((config.meals as unknown[]).length, 4);
    const out = simulatorFor('T1D-v0')(config, { states: true });
    t.deepEqual(out.columns, [...SIMULATE_COLUMNS, ...STATE_COLUMNS]);
    t.is(out.rows.length, 1441);
    let maxBg = 0;
    let maxPlasma = 0;
    let maxInsulin = 0;
    let maxCho = 0;
    let maxGs = 0;
    rows.forEach((ref, m) => {
      const row = out.rows[m] as Record<string, unknown>;
      t.is(row.minute, m);
      maxBg = Math.max(maxBg, Math.abs((row.bg as number) - Number(ref.Gsub_mg_dl)));
      maxPlasma = Math.max(maxPlasma, Math.abs((row.plasma_bg as number) - Number(ref.Gplasma_mg_dl)));
      maxGs = Math.max(maxGs, Math.abs((row.x12_Gs_mg_per_kg as number) - Number(ref.x12_Gs_mg_per_kg)));
      if (m >= 1) {
        const prev = out.rows[m - 1] as Record<string, unknown>;
        maxInsulin = Math.max(maxInsulin, Math.abs((prev.insulin as number) - Number(ref.insulin_U_per_min)));
        maxCho = Math.max(maxCho, Math.abs((prev.cho as number) - Number(ref.CHO_eaten_g_per_min)));
      }
    });
    t.true(maxBg <= 1e-3, `max |bg error| ${maxBg}`);
    t.true(maxPlasma <= 1e-3, `max |plasma bg error| ${maxPlasma}`);
    t.true(maxGs <= 1e-3, `max |Gs error| ${maxGs}`);
    // the replayed inputs are the recorded ones (the pump's rounding leaves pump output unchanged)
    t.true(maxInsulin < 1e-10, `max |insulin error| ${maxInsulin}`);
    t.is(maxCho, 0);
    // the last row has no inputs
    const last = out.rows[1440] as Record<string, unknown>;
    t.is(last.insulin, undefined);
    t.is(last.cho, undefined);
    // the day really moves BG (not a vacuous comparison)
    const bgs = out.rows.map((r) => r.bg as number);
    t.true(Math.max(...bgs) - Math.min(...bgs) > 50);
  });
}

test('recorded pump rates are fixed points of the pump rounding', (t) => {
  const pump = new Pump('Insulet');
  const rows = fixture('adolescent001_1d_bb_nonoise_per_minute.csv').slice(1);
  const rates = new Set(rows.map((r) => Number(r.insulin_U_per_min)));
  t.true(rates.size > 3);
  for (const u of rates) t.true(Math.abs(pump.basal(u) - u) < 1e-10, `rate ${u}`);
});

test('basal-bolus: same total insulin as simglucose, bolus delivered at the meal instead of 3 minutes late', (t) => {
  const rows = fixture('adolescent001_1d_bb_nonoise_per_minute.csv').slice(1);
  const refTotal = rows.reduce((s, r) => s + Number(r.insulin_U_per_min), 0);
  const refFirstBolusMinute = rows.findIndex((r) => Number(r.ctrl_bolus_U_per_min) > 0);
  t.is(refFirstBolusMinute, 423);
  const traj = simulateT1D(
    parseSimulateConfig({
      env: 'T1D-v0',
      patient: 'adolescent#001',
      minutes: 1440,
      sensor: { model: 'Dexcom', noise: false },
      meals: [
        { minute: 420, grams: 45 },
        { minute: 720, grams: 70 },
        { minute: 1080, grams: 80 },
        { minute: 1320, grams: 15 },
      ],
      controller: { type: 'basal-bolus' },
    }),
  );
  let total = 0;
  for (let m = 0; m < 1440; m++) total += traj.insulin[m] as number;
  t.true(Math.abs(total - refTotal) < 1e-6, `total ${total} vs ${refTotal}`);
  const p = getPatient('adolescent#001');
  // 45 g / CR 12 = 3.75 U in minute 420, on top of the basal
  t.true(Math.abs((traj.insulin[420] as number) - (3.75 + p.basalUPerMin)) < 1e-4);
  t.true((traj.insulin[419] as number) < 0.02);
  t.true((traj.insulin[421] as number) < 0.02);
});

test('steady state: basal only, no meals, BG stays at the basal value for 24 h for all 30 patients', (t) => {
  for (const patient of PATIENT_NAMES) {
    const traj = simulateT1D(parseSimulateConfig({ env: 'T1D-v0', patient, minutes: 1440, sensor: { model: 'Dexcom', noise: false }, controller: { type: 'basal-bolus' } }));
    const p = getPatient(patient);
    const bg0 = traj.bg[0] as number;
    t.true(Math.abs(bg0 - p.Gpb / p.Vg) < 1e-9, `${patient} starts at Gb`);
    let drift = 0;
    for (const g of traj.bg) drift = Math.max(drift, Math.abs(g - bg0));
    // Only the pump's rounding of the basal rate (< 4.2e-6 U/min) moves it: up to 0.49 mg/dL a day
    // for child#004, whose basal is small.
    t.true(drift < 1, `${patient} drifts ${drift} mg/dL`);
    t.true(traj.cho.slice(0, 1440).every((c) => c === 0));
    // with the exact (unrounded) basal the basal state is a fixed point
    const sim = new PatientSimulator(p);
    let exactDrift = 0;
    for (let m = 0; m < 1440; m++) {
      sim.stepMinute(p.basalUPerMin);
      exactDrift = Math.max(exactDrift, Math.abs(sim.bgMgDl - bg0));
    }
    t.true(exactDrift < 1e-6, `${patient} drifts ${exactDrift} mg/dL at the exact basal`);
  }
});

test('noise-free CGM equals bg at sensor samples and holds in between; noisy CGM is seeded', (t) => {
  const base = { env: 'T1D-v0', patient: 'adult#001', minutes: 60, meals: [{ minute: 5, grams: 50 }], controller: { type: 'constant', unitsPerHour: 1 } };
  const clean = simulateT1D(parseSimulateConfig({ ...base, sensor: { model: 'GuardianRT', noise: false } }));
  for (let m = 0; m <= 60; m++) t.is(clean.cgm[m], clean.bg[m - (m % 5)]);
  const a = simulateT1D(parseSimulateConfig({ ...base, sensor: 'Navigator', seed: 7 }));
  const b = simulateT1D(parseSimulateConfig({ ...base, sensor: 'Navigator', seed: 7 }));
  const c = simulateT1D(parseSimulateConfig({ ...base, sensor: { model: 'Navigator' }, seed: 8 }));
  t.deepEqual(a.cgm, b.cgm);
  t.notDeepEqual(a.cgm, c.cgm);
  t.deepEqual(a.bg, c.bg, 'sensor noise does not touch the patient');
  t.true(a.cgm.some((v, m) => Math.abs(v - (a.bg[m] as number)) > 1), 'noise is on by default');
});

test('random scenario: seeded meals, eaten at 5 g/min, metrics printed', (t) => {
  const cfg = { env: 'T1D-v0', patient: 'adult#002', minutes: 2880, scenario: { type: 'random' }, sensor: { model: 'Dexcom', noise: false }, controller: { type: 'pid' }, seed: 3 };
  const out = simulateT1DConfig(cfg, { states: false });
  const again = simulateT1DConfig(cfg, { states: false });
  t.deepEqual(out.rows, again.rows);
  t.deepEqual(out.columns, ['minute', 'bg', 'plasma_bg', 'cgm', 'insulin', 'cho']);
  const cho = out.rows.slice(0, 2880).map((r) => r.cho as number);
  const eaten = cho.reduce((s, c) => s + c, 0);
  t.true(eaten > 200, `two days of meals, eaten ${eaten} g`);
  t.true(cho.every((c) => c >= 0 && c <= 5));
  t.is(out.metrics.total_cho_g, Math.round(eaten * 1000) / 1000);
  for (const k of ['tir_70_180_percent', 'tbr_70_percent', 'tbr_54_percent', 'tar_180_percent', 'tar_250_percent', 'mean_bg_mg_dl', 'cv_percent', 'gmi_percent', 'lbgi', 'hbgi', 'risk_index', 'cvga_zone']) {
    t.true(k in out.metrics, k);
  }
  t.is(out.defaultFileName, 'simulate-T1D-v0-adult002-pid-seed3.csv');
});

const good = {
  env: 'T1D-v0',
  patient: 'adult#001',
  minutes: 1440,
  sensor: { model: 'Dexcom', noise: false },
  pump: 'Insulet',
  meals: [{ minute: 420, grams: 45 }],
  controller: { type: 'basal-bolus' },
  seed: 1,
};

const badConfigs: Array<[string, Record<string, unknown>, RegExp]> = [
  ['unknown patient', { ...good, patient: 'adult#099' }, /^patient: unknown patient 'adult#099'; allowed: adolescent#001\.\.#010/],
  ['negative minutes', { ...good, minutes: -5 }, /^minutes: .*got -5$/],
  ['fractional minutes', { ...good, minutes: 1.5 }, /^minutes: .*got 1\.5$/],
  ['meal outside the horizon', { ...good, meals: [{ minute: 1440, grams: 45 }] }, /^meals\[0\]\.minute: 1440 is outside the horizon; allowed: 0\.\.1439/],
  ['negative meal grams', { ...good, meals: [{ minute: 10, grams: -4 }] }, /^meals\[0\]\.grams: .*got -4$/],
  ['unknown controller', { ...good, controller: { type: 'mpc' } }, /^controller\.type: unknown controller "mpc"; allowed: basal-bolus, pid, pid-bolus, constant, schedule, policy$/],
  ['missing controller', { ...good, controller: undefined }, /^controller: /],
  ['unknown field', { ...good, insulinType: 'fast' }, /^insulinType: unknown field/],
  ['unknown controller field', { ...good, controller: { type: 'constant', unitsPerHour: 1, gain: 2 } }, /^controller\.gain: unknown field/],
  ['bad sensor', { ...good, sensor: { model: 'Libre' } }, /^sensor\.model: .*Dexcom.*got "Libre"$/],
  ['bad pump', { ...good, pump: 'Omnipod' }, /^pump: .*Insulet.*got "Omnipod"$/],
  ['bad env', { ...good, env: 'CartPole-v1' }, /^env: /],
  ['negative constant rate', { ...good, controller: { type: 'constant', unitsPerHour: -1 } }, /^controller\.unitsPerHour: .*got -1$/],
  ['unsorted schedule', { ...good, controller: { type: 'schedule', steps: [{ minute: 10, unitsPerMinute: 0.01 }, { minute: 5, unitsPerMinute: 0.02 }] } }, /^controller\.steps\[1\]\.minute: 5 must be greater/],
  ['empty schedule', { ...good, controller: { type: 'schedule', steps: [] } }, /^controller\.steps: /],
  ['meals and scenario', { ...good, scenario: { type: 'random' } }, /^scenario: give either meals or scenario/],
  ['bad scenario type', { ...good, meals: undefined, scenario: { type: 'fixed' } }, /^scenario\.type: /],
  ['negative seed', { ...good, seed: -1 }, /^seed: .*got -1$/],
  ['not a mapping', [] as unknown as Record<string, unknown>, /^config: expected a mapping/],
  ['therapy error out of range', { ...good, therapy: { carbEstimateSd: 2 } }, /^therapy\.carbEstimateSd: expected a number in \[0, 1\], got 2$/],
  ['unknown therapy field', { ...good, therapy: { missedMeals: 0.1 } }, /^therapy\.missedMeals: unknown field; allowed: carbEstimateSd, missedBolusFraction/],
];

for (const [what, config, message] of badConfigs) {
  test(`bad config (${what}) is one UserError naming the field`, (t) => {
    const cleaned = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
    const err = t.throws(() => simulateT1DConfig(cleaned, { states: false }), { instanceOf: UserError });
    t.regex(err?.message ?? '', message);
    t.false((err?.message ?? '').includes('\n'), 'one line');
  });
}

/** A simulate CSV row with the therapy columns. */
interface TherapyRow {
  minute: number;
  cgm: number;
  insulin: number;
  cho: number;
  announced_g: number;
  rescue_g: number;
}

test('therapy protocol in simulate: the same draws as T1D-v0\'s protocol code, the controller told the estimate at the announced minute with the clinic\'s settings, the patient eating the truth', (t) => {
  const meals = [{ minute: 200, grams: 45 }, { minute: 500, grams: 70 }, { minute: 800, grams: 80 }, { minute: 1100, grams: 20 }];
  const therapy = { carbEstimateSd: 0.3, missedBolusFraction: 0.4, mealTimeJitterMin: 20, settingsErrorSd: 0.2 };
  const config = { env: 'T1D-v0', patient: 'adult#007', minutes: 1440, sensor: { model: 'Dexcom', noise: false }, meals, therapy, controller: { type: 'basal-bolus' }, seed: 11 };
  const out = simulateT1DConfig(config, { states: false });
  t.deepEqual(out.columns, [...SIMULATE_COLUMNS, 'announced_g', 'rescue_g']);
  const p = getPatient('adult#007');
  const draw = drawTherapy(new Rng(11).child('therapy'), meals, { basalUPerMin: p.basalUPerMin, CR: p.CR, CF: p.CF }, { ...THERAPY_DEFAULTS, ...therapy });
  t.true(draw.meals.some((m) => m.missed) && draw.meals.some((m) => !m.missed), 'seed 11 misses some boluses but not all');
  const announced = new Map<number, number>();
  for (const a of draw.announcements) announced.set(a.minute, (announced.get(a.minute) ?? 0) + a.grams);
  const pump = new Pump('Insulet');
  const basal = pump.basal(draw.clinic.basalUPerMin);
  for (let m = 0; m < 1440; m++) {
    const row = out.rows[m] as unknown as TherapyRow;
    t.is(row.announced_g, announced.get(m) ?? 0, `minute ${m}`);
    const bolus = row.insulin - basal;
    if (announced.has(m)) {
      const cgm = row.cgm;
      const expected = (announced.get(m) as number) / draw.clinic.CR + (cgm > 150 ? (cgm - 140) / draw.clinic.CF : 0);
      t.true(Math.abs(bolus - expected) < 1e-4, `bolus at ${m}: ${bolus} vs ${expected}`);
    } else t.true(Math.abs(bolus) < 1e-9, `no bolus at ${m}`);
    t.is(row.rescue_g, 0);
  }
  const eaten = out.rows.slice(0, 1440).reduce((s, r) => s + (r.cho as number), 0);
  t.is(eaten, 215, 'every meal eaten, announced or not');
  for (const m of meals) t.true((out.rows[m.minute] as unknown as TherapyRow).cho > 0, 'eaten at the scenario minute');
  t.is(out.metrics.missed_boluses, draw.meals.filter((m) => m.missed).length);
  t.is(out.metrics.clinic_cr_g_per_u, Math.round(draw.clinic.CR * 1000) / 1000);
  // without therapy: the contract's six columns, the true settings
  const plain = simulateT1DConfig({ ...config, therapy: undefined }, { states: false });
  t.deepEqual(plain.columns, [...SIMULATE_COLUMNS]);
  t.false('missed_boluses' in plain.metrics);
});

test('rescue carbohydrates in simulate: taken at sensor readings after 15 minutes below 70 mg/dL', (t) => {
  const config = { env: 'T1D-v0', patient: 'adult#001', minutes: 720, sensor: { model: 'Dexcom', noise: false }, therapy: { rescueCarbs: true }, controller: { type: 'schedule', steps: [{ minute: 0, unitsPerMinute: 2 }, { minute: 9, unitsPerMinute: 0 }] }, seed: 1 };
  const out = simulateT1DConfig(config, { states: false });
  const rows = out.rows as unknown as TherapyRow[];
  const rescues = rows.map((r, m) => ({ m, g: r.rescue_g })).filter((x) => x.g > 0);
  t.true(rescues.length >= 2, `${rescues.length} rescues`);
  for (const { m } of rescues) {
    t.is(m % 3, 0, 'at a sensor reading');
    for (let x = m - 15; x <= m; x += 3) t.true((rows[x] as TherapyRow).cgm < 70, `low from ${m - 15} to ${m}`);
    t.is(rows.slice(m, m + 3).reduce((s, r) => s + r.cho, 0), 15);
  }
  t.is(out.metrics.rescues, rescues.length);
  t.is(out.metrics.total_cho_g, 15 * rescues.length);
});

test('simulate: pid-bolus boluses for the announced meal and holds the PID; with a missed bolus it corrects where basal-bolus does not', (t) => {
  const base = { env: 'T1D-v0', patient: 'adult#004', minutes: 1440, sensor: { model: 'Dexcom', noise: false }, meals: [{ minute: 420, grams: 60 }], seed: 2 };
  const hcl = simulateT1DConfig({ ...base, controller: { type: 'pid-bolus' } }, { states: false });
  const bb = simulateT1DConfig({ ...base, controller: { type: 'basal-bolus' } }, { states: false });
  // both deliver the meal bolus in the meal's minute; pid-bolus adds its PID, held at most at basal
  const basal = bb.rows[0]?.insulin as number;
  const p = getPatient('adult#004');
  const bolus = mealBolusUnits(60, hcl.rows[420]?.cgm as number, { basalUPerMin: p.basalUPerMin, CR: p.CR, CF: p.CF });
  const atMeal = hcl.rows[420]?.insulin as number;
  t.true(bolus > 1 && atMeal >= bolus - 1e-9 && atMeal <= bolus + basal + 1e-9, `pid-bolus at the meal: ${atMeal} U/min, bolus ${bolus}, basal ${basal}`);
  for (let m = 421; m < 420 + 120; m++) t.true((hcl.rows[m]?.insulin as number) <= basal + 1e-9, `held at minute ${m}`);
  t.is(hcl.defaultFileName, 'simulate-T1D-v0-adult004-pid-bolus-seed2.csv');
  // Every meal eaten without a bolus: pid-bolus is then PID alone, and beats basal-bolus's basal.
  const missed = { ...base, therapy: { missedBolusFraction: 1 } };
  const hclMissed = simulateT1DConfig({ ...missed, controller: { type: 'pid-bolus' } }, { states: false });
  const pidMissed = simulateT1DConfig({ ...missed, controller: { type: 'pid' } }, { states: false });
  const bbMissed = simulateT1DConfig({ ...missed, controller: { type: 'basal-bolus' } }, { states: false });
  t.deepEqual(hclMissed.rows, pidMissed.rows);
  t.true((hclMissed.metrics.tir_70_180_percent as number) > (bbMissed.metrics.tir_70_180_percent as number));
  t.throws(() => parseSimulateConfig({ ...base, controller: { type: 'pid-bolus', holdAfterBolusMin: -1 } }), { message: /^controller\.holdAfterBolusMin/ });
});
