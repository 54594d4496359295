/**
 * T1D model benchmark: milliseconds per simulated patient-day (1440 one-minute steps, single thread)
 * of the UVA/Padova patient core (envs/glucose/simulator.ts), and the accuracy/cost of the
 * integrator choices against simglucose's recorded adolescent#001 day.
 *
 * Inputs per day: the reference scenario's meals (7:00 45 g, 12:00 70 g, 18:00 80 g, 22:00 15 g),
 * pump-rounded basal, and a meal bolus grams/CR delivered over 3 minutes at each meal (basal-bolus
 * style, as in simglucose's BB controller). Times are CPU ms of this single-threaded process (see
 * cpuMs), medians of repetitions after a JIT warm-up. simglucose's figure (1.82 s per patient-day) was
 * measured once on this machine kind (BENCHMARKS.md says how), so the ratio is against a constant.
 */
import { readFileSync } from 'node:fs';
import { Dopri5, type Integrator, Rk4 } from '../envs/glucose/integrator.ts';
import { N_STATES } from '../envs/glucose/model.ts';
import { getPatient, PATIENT_NAMES, type PatientParams } from '../envs/glucose/patient.ts';
import { Pump } from '../envs/glucose/pump.ts';
import { PatientSimulator } from '../envs/glucose/simulator.ts';
import { parseCsv } from '../src/io/csv.ts';

const SIMGLUCOSE_MS_PER_PATIENT_DAY = 1820;
const MEALS: ReadonlyArray<readonly [number, number]> = [[420, 45], [720, 70], [1080, 80], [1320, 15]];

/** Per-minute insulin [U/min] for one basal-bolus day of patient p (pump-processed). */
function basalBolusDay(p: PatientParams): Float64Array {
  const pump = new Pump('Insulet');
  const u = new Float64Array(1440).fill(pump.basal(p.basalUPerMin));
  for (const [minute, grams] of MEALS) {
    const bolusRate = pump.bolus(grams / p.CR / 3);
    for (let k = 0; k < 3; k++) u[minute + k]! += bolusRate;
  }
  return u;
}

/** Dopri5 that forgets its step size between calls (HINIT every minute), for comparison only. */
class FreshStartDopri5 extends Dopri5 {
  override integrate(system: Parameters<Dopri5['integrate']>[0], y: Float64Array, t0: number, t1: number): number {
    this.h = 0;
    return super.integrate(system, y, t0, t1);
  }
}

function simulateDay(sim: PatientSimulator, insulin: Float64Array): number {
  sim.reset();
  let meal = 0;
  for (let m = 0; m < 1440; m++) {
    const next = MEALS[meal];
    if (next !== undefined && next[0] === m) {
      sim.announceMeal(next[1]);
      meal++;
    }
    sim.stepMinute(insulin[m]!);
  }
  return sim.bgMgDl;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * CPU milliseconds of this process (user + system). The benchmark machines are shared and often
 * oversubscribed; CPU time of the (single-threaded, allocation-free) loop is far more repeatable
 * than wall time, so it is the headline figure. Wall-clock medians are reported alongside.
 */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

interface Timing {
  cpu: number;
  wall: number;
}

/** Median over `reps` repetitions of the ms per patient-day, each repetition running `body` once. */
function timeReps(body: () => void, daysPerRep: number, reps: number): Timing {
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let r = 0; r < reps; r++) {
    const c0 = cpuMs();
    const w0 = performance.now();
    body();
    wall.push((performance.now() - w0) / daysPerRep);
    cpu.push((cpuMs() - c0) / daysPerRep);
  }
  return { cpu: median(cpu), wall: median(wall) };
}

function msPerDay(sim: PatientSimulator, insulin: Float64Array, reps = 15, daysPerRep = 20): Timing {
  let sink = 0;
  for (let i = 0; i < 300; i++) sink += simulateDay(sim, insulin); // warm-up (JIT tiers)
  const timing = timeReps(() => {
    for (let i = 0; i < daysPerRep; i++) sink += simulateDay(sim, insulin);
  }, daysPerRep, reps);
  if (!Number.isFinite(sink)) throw new Error('bench: non-finite BG');
  return timing;
}

/** Max |Gs/Vg - simglucose| [mg/dL] over the recorded basal-bolus day, for an integrator. */
function referenceError(integrator: Integrator): { maxErr: number; rhsPerDay: number } {
  const file = new URL('../test/fixtures/simglucose/adolescent001_1d_bb_nonoise_per_minute.csv', import.meta.url);
  const rows = parseCsv(readFileSync(file, 'utf8')).slice(1);
  const sim = new PatientSimulator(getPatient('adolescent#001'), { integrator });
  const before = integrator.rhsEvaluations;
  let maxErr = 0;
  for (const row of rows) {
    const cho = Number(row.scenario_CHO_g);
    if (cho > 0) sim.announceMeal(cho);
    sim.stepMinute(Number(row.insulin_U_per_min));
    maxErr = Math.max(maxErr, Math.abs(sim.bgMgDl - Number(row.Gsub_mg_dl)));
  }
  return { maxErr, rhsPerDay: integrator.rhsEvaluations - before };
}

export async function run(): Promise<Record<string, number>> {
  const adult = getPatient('adult#001');
  const adultInsulin = basalBolusDay(adult);
  const single = msPerDay(new PatientSimulator(adult), adultInsulin);

  // Batch: all 30 patients, one day each, per repetition.
  const sims = PATIENT_NAMES.map((n) => new PatientSimulator(getPatient(n)));
  const inputs = sims.map((s) => basalBolusDay(s.patient));
  const batchDay = (): void => sims.forEach((s, i) => void simulateDay(s, inputs[i]!));
  for (let w = 0; w < 10; w++) batchDay();
  const batch = timeReps(batchDay, sims.length, 9);

  const figures: Record<string, number> = {
    t1d_ms_per_patient_day: single.cpu,
    t1d_batch30_ms_per_patient_day: batch.cpu,
    t1d_wall_ms_per_patient_day: single.wall,
    t1d_batch30_wall_ms_per_patient_day: batch.wall,
    simglucose_ms_per_patient_day: SIMGLUCOSE_MS_PER_PATIENT_DAY,
    t1d_speedup_vs_simglucose: SIMGLUCOSE_MS_PER_PATIENT_DAY / single.cpu,
  };

  // Integrator choices: accuracy vs simglucose and cost (same inputs for the cost).
  const choices: Array<[string, () => Integrator]> = [
    ['dopri5', () => new Dopri5(N_STATES)],
    ['dopri5_hinit', () => new FreshStartDopri5(N_STATES)],
    ['rk4x1', () => new Rk4(N_STATES, 1)],
    ['rk4x2', () => new Rk4(N_STATES, 2)],
    ['rk4x4', () => new Rk4(N_STATES, 4)],
  ];
  for (const [name, make] of choices) {
    const { maxErr, rhsPerDay } = referenceError(make());
    figures[`t1d_${name}_max_bg_err_mg_dl`] = maxErr;
    figures[`t1d_${name}_rhs_evals_per_day`] = rhsPerDay;
    figures[`t1d_${name}_ms_per_patient_day`] = msPerDay(new PatientSimulator(adult, { integrator: make() }), adultInsulin, 9, 10).cpu;
  }
  return figures;
}

// Allow `node --import=tsx bench/t1d.ts` on its own.
if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [k, v] of Object.entries(await run())) process.stdout.write(`${k.padEnd(40)} ${v.toPrecision(5)}\n`);
}
