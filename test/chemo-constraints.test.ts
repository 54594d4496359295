/**
 * Chemo-DePillis-v0's feasible toxicity constraint `drugToxicity` (envs/chemo/family.ts): the env's
 * untreated course (info.untreatedN) against an independent Dormand-Prince reference, no treatment
 * costing exactly 0 for every patient of every DTR-Bench setting, and the cost of MTD on the nominal
 * patient from the two reference solutions.
 */
import test from 'ava';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import '../envs/index.ts';
import { durationSeconds, type Info } from '../src/core/env.ts';
import { make } from '../src/core/registry.ts';
import { parseCsv } from '../src/io/csv.ts';
import { ConstraintCost, getConstraint, resolveConstraints, type ConstraintEpisodeSummary } from '../src/safety/constraints.ts';
import { DRUG_TOXICITY_BUDGET, drugToxicityCost } from '../envs/chemo/family.ts';

const ID = 'Chemo-DePillis-v0';
// u = 1 and u = 0 on the nominal patient, Dormand-Prince rtol = atol = 1e-10 restarted per step
// (test/fixtures/chemo/make_untreated_reference.py writes the u = 0 file).
const treated = parseCsv(readFileSync(new URL('./fixtures/chemo/ahn_exact_u1.csv', import.meta.url), 'utf8'));
const untreated = parseCsv(readFileSync(new URL('./fixtures/chemo/ahn_exact_u0.csv', import.meta.url), 'utf8'));

/** Run a constant dose to the end; returns the step infos. */
function run(env: ReturnType<typeof make>, dose: number, seed: number): Info[] {
  env.reset({ seed });
  const infos: Info[] = [];
  for (;;) {
    const r = env.step(Float32Array.of(dose));
    infos.push(r.info);
    if (r.terminated || r.truncated) return infos;
  }
}

test('info.untreatedN follows the untreated reference to 1e-6 at every step while MTD is given', (t) => {
  const infos = run(make(ID), 1, 0);
  t.is(infos.length, 600);
  let worst = 0;
  infos.forEach((info, i) => {
    worst = Math.max(worst, Math.abs((info['untreatedN'] as number) - Number(untreated[i + 1]?.['N'])));
  });
  t.true(worst < 1e-6, `max error ${worst}`);
  // The untreated course settles near the coexisting state N = 0.436 (chemo reference notes).
  t.true(Math.abs((infos[599]?.['untreatedN'] as number) - 0.436) < 1e-3);
});

test('drugToxicity of MTD on the nominal patient is the area between N and min(0.75, untreated N), from the two references', (t) => {
  let expected = 0;
  for (let k = 1; k <= 600; k++) {
    const shortfall = Math.min(0.75, Number(untreated[k]?.['N'])) - Number(treated[k]?.['N']);
    if (shortfall > 0) expected += 100 * shortfall * 0.25;
  }
  const env = new ConstraintCost(make(ID), ['drugToxicity', 'toxicity']);
  const infos = run(env, 1, 0);
  const summary = infos[infos.length - 1]?.['constraintEpisode'] as ConstraintEpisodeSummary;
  t.true(Math.abs((summary.costs['drugToxicity'] as number) - expected) < 1e-4, `${summary.costs['drugToxicity']} vs ${expected}`);
  // 1.54 pp-days: MTD pushes N below the untreated course only in the first week; `toxicity`
  // counts 48 steps below 0.75, most of them the tumour's doing.
  t.is(Number(expected.toFixed(2)), 1.54);
  t.is(summary.costs['toxicity'], 48);
  t.true(summary.exceeded['drugToxicity'] === true && summary.budgets['drugToxicity'] === DRUG_TOXICITY_BUDGET);
});

test('no treatment costs exactly 0 drug toxicity for every patient of every DTR-Bench setting (untreatedN = N bit for bit)', (t) => {
  let toxicUntreated = 0;
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (setting, seed) => {
      const env = new ConstraintCost(make(ID, { setting }), ['drugToxicity', 'toxicity']);
      const infos = run(env, 0, seed);
      for (const info of infos) if (info['untreatedN'] !== info['N']) return false;
      const s = infos[infos.length - 1]?.['constraintEpisode'] as ConstraintEpisodeSummary;
      if ((s.costs['toxicity'] as number) > 0) toxicUntreated++;
      return s.costs['drugToxicity'] === 0 && s.exceeded['drugToxicity'] === false;
    }),
    { numRuns: 60, seed: 15 },
  );
  // The old `toxicity` constraint with its budget of 0 is broken by untreated patients.
  t.true(toxicUntreated > 30, `${toxicUntreated} of 60 untreated patients spend a step below N = 0.75`);
});

test('drugToxicity per step on hand-made infos: the shortfall below the lower of the line and the untreated course', (t) => {
  const def = getConstraint(ID, 'drugToxicity');
  const before = { day: 1, N: 0.8, untreatedN: 0.8 };
  t.is(def.cost({ day: 0, N: 0.9, untreatedN: 0.9 }, undefined), 0, 'reset: nothing given yet');
  // Untreated above the line: the shortfall below 0.75 counts (0.05 x 100 x 0.25 day).
  t.true(Math.abs(def.cost({ day: 1.25, N: 0.7, untreatedN: 0.8 }, before) - 1.25) < 1e-12);
  // Untreated below the line: only the part below the untreated course counts.
  t.true(Math.abs(def.cost({ day: 1.25, N: 0.69, untreatedN: 0.7 }, before) - 0.25) < 1e-12);
  // N above the untreated course (the tumour shrank), or above the line: no cost.
  t.is(def.cost({ day: 1.25, N: 0.7, untreatedN: 0.65 }, before), 0);
  t.is(def.cost({ day: 1.25, N: 0.76, untreatedN: 0.9 }, before), 0);
  t.true(Math.abs(drugToxicityCost({ day: 2, N: 0.7, untreatedN: 0.8 }, before) - 5) < 1e-12, 'a whole day at 5 percentage points below');
  t.throws(() => def.cost({ day: 1.25, N: 0.7 }, before), { message: 'Chemo-DePillis-v0: info.untreatedN is missing' });
  // Violated once the running total passes the budget.
  t.false(def.violated(0.5, 1, 1));
  t.true(def.violated(0, 1.01, 1));
});

test('drugToxicity is refused at steps longer than a day, where its end-of-step reading steps over the nadir', (t) => {
  // Why: on the nominal patient MTD's cost read at the end of weekly steps is 0, though N spends the
  // first week below the untreated course and the line (1.54 pp-days at 0.25-day steps, above).
  const weekly = make(ID, { stepDays: 7, subSteps: 280, horizonDays: 147 });
  const infos = [weekly.reset({ seed: 1 }).info, ...run(weekly, 1, 1)];
  const readAtWeekEnds = infos.slice(1).reduce((sum, info, i) => sum + drugToxicityCost(info, infos[i]), 0);
  t.is(readAtWeekEnds, 0);
  t.throws(() => new ConstraintCost(make(ID, { stepDays: 7, subSteps: 280, horizonDays: 147 }), ['drugToxicity']), {
    message: "constraints: 'drugToxicity' needs env steps of at most 1 day (it reads N at the end of each step, and a longer step steps over the drug's nadir); this Chemo-DePillis-v0 steps 7 days",
  });
  // Daily steps are accepted and still see the first week's shortfall; other constraints take any step.
  const daily = new ConstraintCost(make(ID, { stepDays: 1, subSteps: 40 }), ['drugToxicity']);
  const last = run(daily, 1, 1).at(-1) as Info;
  const cost = (last['constraintEpisode'] as ConstraintEpisodeSummary).costs['drugToxicity'] as number;
  t.true(cost > 1 && cost < 2, `MTD at daily steps: ${cost} pp-days`);
  t.notThrows(() => new ConstraintCost(make(ID, { stepDays: 7, subSteps: 280, horizonDays: 147 }), ['toxicity', 'cumulativeDose']));
  // The limit compares durations, whatever their units: 12 hours pass, 25 hours and a month do not.
  const at = (value: number, unit: 'minute' | 'day' | 'month') => () => resolveConstraints(ID, ['drugToxicity'], {}, { episodeSteps: 600, stepDuration: { value, unit } });
  t.notThrows(at(720, 'minute'));
  t.notThrows(at(1, 'day'));
  t.throws(at(1500, 'minute'), { message: /needs env steps of at most 1 day .* steps 1500 minutes$/ });
  t.throws(at(1, 'month'), { message: /steps 1 month$/ });
  t.is(durationSeconds({ value: 1, unit: 'day' }), 86400);
  t.is(durationSeconds({ value: 12, unit: 'month' }), 365.2425 * 86400);
});
