/**
 * Which hand-written chemotherapy schedules meet the `drugToxicity` budget, and how often do they
 * clear the tumour? A feasibility check for PPO-Lagrangian's constraint target (BENCHMARKS.md,
 * "Clinical schedules on DTR-Bench settings 2 and 4"): no learning, every schedule runs on the same
 * seeded Chemo-DePillis-v0 patients through the env API, and the episode cost is the family's own
 * `drugToxicityCost` (envs/chemo/family.ts).
 *
 *   node --import=tsx scripts/chemo-schedule-search.ts [--setting 2] [--patients 100] [--seed 7000] [--budget 1]
 *
 * Prints one line per schedule, best clearing first: the share of patients whose tumour ends below
 * 1e-3 (`tumor_cleared`), the share within the budget, the mean cumulative dose [dose-days] and the
 * mean days with N < 0.75 (`days_normal_below_075`).
 * Three families: constant doses for the first k days; rules on the observed tumour T alone; and
 * calendar rules ("dose a for the first k days, then full dose while the observed T is above a
 * threshold"), which a policy can follow only if it sees the day (`observeDay: true`).
 */
import { parseArgs } from 'node:util';
import '../envs/chemo/register.ts';
import { make } from '../src/core/registry.ts';
import { DRUG_TOXICITY_BUDGET, drugToxicityCost } from '../envs/chemo/family.ts';
import type { Info } from '../src/core/env.ts';
import { NORMAL_CELL_CONSTRAINT } from '../src/metrics/chemo.ts';

const { values } = parseArgs({
  options: {
    setting: { type: 'string', default: '2' },
    patients: { type: 'string', default: '100' },
    seed: { type: 'string', default: '7000' },
    budget: { type: 'string', default: String(DRUG_TOXICITY_BUDGET) },
  },
});
const setting = Number(values.setting);
const patients = Number(values.patients);
const firstSeed = Number(values.seed);
const budget = Number(values.budget);
if (![1, 2, 3, 4, 5].includes(setting)) throw new Error(`--setting: expected 1..5, got ${values.setting}`);
if (!(Number.isInteger(patients) && patients > 0)) throw new Error(`--patients: expected a positive integer, got ${values.patients}`);
if (!Number.isInteger(firstSeed)) throw new Error(`--seed: expected an integer, got ${values.seed}`);
if (!(budget >= 0)) throw new Error(`--budget: expected a number >= 0, got ${values.budget}`);

/** A schedule: the dose in [0, 1] for the coming step, from the observed tumour and the day. */
type Schedule = (observedT: number, day: number) => number;

const env = make('Chemo-DePillis-v0', { setting, reward: 'clinical' });

function evaluate(schedule: Schedule): { cleared: number; within: number; dose: number; lowNDays: number } {
  let cleared = 0;
  let lowNDays = 0;
  let within = 0;
  let dose = 0;
  for (let p = 0; p < patients; p++) {
    let { observation, info } = env.reset({ seed: firstSeed + p });
    let cost = 0;
    for (;;) {
      const u = schedule((observation as Float32Array)[0] as number, info['day'] as number);
      const previous: Info = info;
      const r = env.step(Float32Array.of(u));
      ({ observation, info } = r);
      cost += drugToxicityCost(info, previous);
      if ((info['N'] as number) < NORMAL_CELL_CONSTRAINT) lowNDays += (info['day'] as number) - (previous['day'] as number);
      if (r.terminated || r.truncated) break;
    }
    if ((info['T'] as number) < 1e-3) cleared++;
    if (cost <= budget) within++;
    dose += info['cumulativeDose'] as number;
  }
  return { cleared: cleared / patients, within: within / patients, dose: dose / patients, lowNDays: lowNDays / patients };
}

const schedules: Array<[string, Schedule]> = [
  ['mtd (dose 1 throughout)', () => 1],
  ['none', () => 0],
];
for (const a of [0.3, 0.5, 0.7, 1]) for (const k of [10, 20, 40, 60]) schedules.push([`dose ${a} for ${k} days`, (_T, day) => (day < k ? a : 0)]);
for (const a of [0.3, 0.5, 1]) for (const th of [0.1, 0.01, 0.001]) schedules.push([`dose ${a} while T > ${th}`, (T) => (T > th ? a : 0)]);
for (const a of [0.3, 0.4]) for (const hi of [0.2, 0.15]) schedules.push([`dose ${a} while T > ${hi}, then 1 while T > 0.1`, (T) => (T > hi ? a : T > 0.1 ? 1 : 0)]);
for (const a of [0.2, 0.25, 0.3, 0.4]) {
  for (const k of [4, 6, 8, 10]) {
    schedules.push([`dose ${a} for ${k} days, then 1 while T > 0.1`, (T, day) => (day < k ? a : T > 0.1 ? 1 : 0)]);
    schedules.push([`dose ${a} for ${k} days, then 1 for 70 days`, (_T, day) => (day < k ? a : day < k + 70 ? 1 : 0)]);
  }
}

console.log(`Chemo-DePillis-v0 setting ${setting}, ${patients} patients (episode seeds ${firstSeed}..${firstSeed + patients - 1}), drugToxicity budget ${budget} pp-days`);
const rows = schedules.map(([name, schedule]) => ({ name, ...evaluate(schedule) }));
rows.sort((a, b) => b.cleared - a.cleared || b.within - a.within);
console.log('| schedule | tumour cleared | within budget | cumulative dose | days N < 0.75 |\n|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.name} | ${r.cleared.toFixed(2)} | ${r.within.toFixed(2)} | ${r.dose.toFixed(1)} | ${r.lowNDays.toFixed(1)} |`);
