/**
 * Reproduces simglucose's recorded adolescent#001 runs minute by minute (fixtures in
 * test/fixtures/simglucose/, see its README). Required by the issue: |Gs/Vg error| <= 1e-3 mg/dL at
 * every minute over 24 h. Because the integrator replays scipy's dopri5 step sequence, the actual
 * agreement is at the CSV's print precision (~1e-9 mg/dL), and we assert 1e-6.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseCsv } from '../src/io/csv.ts';
import { getPatient } from '../envs/glucose/patient.ts';
import { Pump } from '../envs/glucose/pump.ts';
import { PatientSimulator } from '../envs/glucose/simulator.ts';

const STATE_COLUMNS = [
  'x0_Qsto1_mg', 'x1_Qsto2_mg', 'x2_Qgut_mg', 'x3_Gp_mg_per_kg', 'x4_Gt_mg_per_kg', 'x5_Ip_pmol_per_kg', 'x6_X_pmol_per_L',
  'x7_I1_pmol_per_L', 'x8_Id_pmol_per_L', 'x9_Il_pmol_per_kg', 'x10_Isc1_pmol_per_kg', 'x11_Isc2_pmol_per_kg', 'x12_Gs_mg_per_kg',
];

function load(file: string): Record<string, number>[] {
  const text = readFileSync(new URL(`./fixtures/simglucose/${file}`, import.meta.url), 'utf8');
  return parseCsv(text).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === '' ? NaN : Number(v)])));
}

interface Replay {
  maxBgErr: number;
  maxPlasmaErr: number;
  maxStateRelErr: number;
  maxDbarRelErr: number;
  choMismatches: number;
  minutes: number;
  bgMax: number;
  bgMin: number;
}

/** Feed the recorded per-minute insulin and announced meals; compare every minute's end state. */
function replay(file: string, insulinOf: (row: Record<string, number>) => number): Replay {
  const rows = load(file);
  const sim = new PatientSimulator(getPatient('adolescent#001'));
  const r0 = rows[0]!;
  STATE_COLUMNS.forEach((c, i) => {
    if (r0[c] !== sim.state[i]) throw new Error(`initial state differs at ${c}`);
  });
  const out: Replay = { maxBgErr: 0, maxPlasmaErr: 0, maxStateRelErr: 0, maxDbarRelErr: 0, choMismatches: 0, minutes: 0, bgMax: -Infinity, bgMin: Infinity };
  for (let k = 1; k < rows.length; k++) {
    const row = rows[k]!;
    if (row.t_start_min !== sim.minute) throw new Error(`row ${k}: minute ${row.t_start_min} vs simulator ${sim.minute}`);
    if (row.scenario_CHO_g! > 0) sim.announceMeal(row.scenario_CHO_g!);
    const eaten = sim.stepMinute(insulinOf(row));
    if (eaten !== row.CHO_eaten_g_per_min) out.choMismatches++;
    const dbarRef = row.last_Qsto_mg! + 1000 * row.last_foodtaken_g!;
    out.maxDbarRelErr = Math.max(out.maxDbarRelErr, Math.abs(sim.dbarMg - dbarRef) / Math.max(1, dbarRef));
    out.maxBgErr = Math.max(out.maxBgErr, Math.abs(sim.bgMgDl - row.Gsub_mg_dl!));
    out.maxPlasmaErr = Math.max(out.maxPlasmaErr, Math.abs(sim.plasmaBgMgDl - row.Gplasma_mg_dl!));
    STATE_COLUMNS.forEach((c, i) => {
      const ref = row[c]!;
      out.maxStateRelErr = Math.max(out.maxStateRelErr, Math.abs(sim.state[i]! - ref) / Math.max(1, Math.abs(ref)));
    });
    out.bgMax = Math.max(out.bgMax, row.Gsub_mg_dl!);
    out.bgMin = Math.min(out.bgMin, row.Gsub_mg_dl!);
    out.minutes++;
  }
  return out;
}

const recordedInsulin = (row: Record<string, number>): number => row.insulin_U_per_min!;

test('basal-bolus run (4 meals, boluses): every minute of Gs/Vg within 1e-6 mg/dL of simglucose', (t) => {
  const r = replay('adolescent001_1d_bb_nonoise_per_minute.csv', recordedInsulin);
  t.is(r.minutes, 1440);
  t.is(r.choMismatches, 0);
  t.true(r.bgMax > 155 && r.bgMin < 100, `the run must be non-trivial (BG ${r.bgMin}..${r.bgMax})`);
  t.true(r.maxBgErr <= 1e-6, `max |dBG| ${r.maxBgErr}`);
  t.true(r.maxPlasmaErr <= 1e-6, `max |dGp/Vg| ${r.maxPlasmaErr}`);
  t.true(r.maxStateRelErr <= 1e-8, `max state error ${r.maxStateRelErr}`);
  t.true(r.maxDbarRelErr <= 1e-10, `max D-bar error ${r.maxDbarRelErr}`);
});

test('open-loop basal run (meals, no bolus, renal excretion active): every minute within 1e-6 mg/dL', (t) => {
  const r = replay('adolescent001_1d_openloop_basal_dexcom_seed1_per_minute.csv', recordedInsulin);
  t.is(r.minutes, 1440);
  t.is(r.choMismatches, 0);
  // BG above the renal threshold ke2/Vg = 339/1.6818 = 201.6 mg/dL, so E(t) is exercised.
  t.true(r.bgMax > 220, `BG max ${r.bgMax}`);
  t.true(r.maxBgErr <= 1e-6, `max |dBG| ${r.maxBgErr}`);
  t.true(r.maxPlasmaErr <= 1e-6, `max |dGp/Vg| ${r.maxPlasmaErr}`);
  t.true(r.maxStateRelErr <= 1e-8, `max state error ${r.maxStateRelErr}`);
  t.true(r.maxDbarRelErr <= 1e-10, `max D-bar error ${r.maxDbarRelErr}`);
});

test('the pump reproduces the recorded insulin from the controller outputs', (t) => {
  const pump = new Pump('Insulet');
  const p = getPatient('adolescent#001');
  let boluses = 0;
  for (const row of load('adolescent001_1d_bb_nonoise_per_minute.csv').slice(1)) {
    const u = pump.basal(p.basalUPerMin) + pump.bolus(row.ctrl_bolus_U_per_min!);
    t.true(Math.abs(u - row.insulin_U_per_min!) <= 1e-11 * u, `minute ${row.t_start_min}: ${u} vs ${row.insulin_U_per_min}`);
    if (row.ctrl_bolus_U_per_min! > 0) boluses++;
  }
  t.is(boluses, 12); // 4 meals x 3 minutes
  // And driving the model with the pump output gives the same trajectory.
  const r = replay('adolescent001_1d_bb_nonoise_per_minute.csv', (row) => pump.basal(p.basalUPerMin) + pump.bolus(row.ctrl_bolus_U_per_min!));
  t.true(r.maxBgErr <= 1e-6, `max |dBG| ${r.maxBgErr}`);
});

test('3-minute env file: BG_avg is the mean of the per-minute Gs/Vg at t-2, t-1, t (our trajectory)', (t) => {
  const perMinute = load('adolescent001_1d_bb_nonoise_per_minute.csv');
  const sim = new PatientSimulator(getPatient('adolescent#001'));
  const bg = [sim.bgMgDl];
  for (const row of perMinute.slice(1)) {
    if (row.scenario_CHO_g! > 0) sim.announceMeal(row.scenario_CHO_g!);
    sim.stepMinute(row.insulin_U_per_min!);
    bg.push(sim.bgMgDl);
  }
  const steps = load('adolescent001_1d_bb_nonoise.csv');
  t.is(steps.length, 481);
  let maxAvg = 0;
  let maxInstant = 0;
  for (const row of steps) {
    const m = row.t_min!;
    if (m < 3) continue;
    const avg = (bg[m - 2]! + bg[m - 1]! + bg[m]!) / 3;
    maxAvg = Math.max(maxAvg, Math.abs(avg - row.BG_avg_mg_dl!));
    maxInstant = Math.max(maxInstant, Math.abs(bg[m]! - row.Gsub_instant_mg_dl!));
  }
  // The 3-minute file is printed with 10 significant digits (~1e-7 mg/dL).
  t.true(maxAvg <= 1e-6, `BG_avg ${maxAvg}`);
  t.true(maxInstant <= 1e-6, `Gsub_instant ${maxInstant}`);
});
