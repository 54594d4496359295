import test from 'ava';
import '../envs/chemo/register.ts';
import { make } from '../src/core/registry.ts';
import type { Action, Env, Info, Observation } from '../src/core/env.ts';
import type { Policy } from '../src/core/policy.ts';
import { chemoBaselines, constant, metronomic, mtd, mtdCycles, none, pulsed, schedule } from '../agents/baselines/chemo.ts';
import { dePillisOutcomes, zhaoOutcomes } from '../src/metrics/chemo.ts';

/** Run one episode the way evaluation code runs any policy; returns [resetInfo, ...stepInfos] and the actions. */
function rollout(env: Env<Observation, Action>, policy: Policy<unknown, Action>, seed = 0, maxSteps = Infinity, resetOptions?: Record<string, unknown>) {
  let { observation, info } = env.reset({ seed, ...(resetOptions ? { options: resetOptions } : {}) });
  policy.reset?.(info);
  const infos: Info[] = [info];
  const actions: Action[] = [];
  for (let k = 0; k < maxSteps; k++) {
    const action = policy.act(observation, { deterministic: true, info });
    actions.push(action);
    const r = env.step(action);
    observation = r.observation;
    info = r.info;
    infos.push(info);
    if (r.terminated || r.truncated) break;
  }
  return { infos, actions, doses: infos.slice(1).map((i) => i['dose'] as number) };
}

const dePillis = () => make('Chemo-DePillis-v0', { terminateBelow: 0 });
const repeat = (pattern: number[], n: number) => Array.from({ length: n }, (_, k) => pattern[k % pattern.length]!);

test('mtd gives dose 1 every step (level n-1 on a discrete space)', (t) => {
  const env = dePillis();
  t.deepEqual(rollout(env, mtd(env), 0, 20).doses, repeat([1], 20));
  const discrete = make('Chemo-DePillis-v0', { levels: 7 });
  const run = rollout(discrete, mtd(discrete), 0, 10);
  t.deepEqual(run.actions, repeat([6], 10));
  t.deepEqual(run.doses, repeat([1], 10));
});

test('mtdCycles defaults to 1 day on, 6 days off (4 and 24 steps of 0.25 day)', (t) => {
  const env = dePillis();
  const policy = mtdCycles(env);
  t.is(policy.name, 'mtd-cycles-4on-24off');
  const pattern = [...repeat([1], 4), ...repeat([0], 24)];
  t.deepEqual(rollout(env, policy, 0, 84).doses, repeat(pattern, 84));
  // Custom cycle in days, and in steps; on 1-day steps the same days mean other step counts.
  t.deepEqual(rollout(env, mtdCycles(env, { dose: 0.8, onDays: 0.5, offDays: 1 }), 0, 12).doses, repeat([0.8, 0.8, 0, 0, 0, 0], 12).map(Math.fround));
  t.deepEqual(rollout(env, mtdCycles(env, { onSteps: 1, offSteps: 2 }), 0, 9).doses, repeat([1, 0, 0], 9));
  const daily = make('Chemo-DePillis-v0', { stepDays: 1, horizonDays: 30 });
  t.deepEqual(rollout(daily, mtdCycles(daily), 0, 14).doses, repeat([1, 0, 0, 0, 0, 0, 0], 14));
});

test('metronomic (0.3 default), constant, none, pulsed and schedule produce their dose sequences', (t) => {
  const env = dePillis();
  t.deepEqual(rollout(env, metronomic(env), 0, 8).doses, repeat([Math.fround(0.3)], 8));
  t.deepEqual(rollout(env, metronomic(env, 0.1), 0, 3).doses, repeat([Math.fround(0.1)], 3));
  t.deepEqual(rollout(env, constant(env, 0.6), 0, 5).doses, repeat([Math.fround(0.6)], 5));
  t.deepEqual(rollout(env, none(env), 0, 5).doses, repeat([0], 5));
  t.deepEqual(rollout(env, pulsed(env, 0.5, 2, 3), 0, 12).doses, repeat([0.5, 0.5, 0, 0, 0], 12));
  t.deepEqual(rollout(env, schedule(env, [1, 0.5, 0, 0.25]), 0, 7).doses, [1, 0.5, 0, 0.25, 0, 0, 0]);
});

test('doses map to the nearest level of a discrete space', (t) => {
  const env = make('Chemo-DePillis-v0', { levels: 5 }); // doses 0, 0.25, 0.5, 0.75, 1
  t.deepEqual(rollout(env, metronomic(env), 0, 3).actions, [1, 1, 1]); // 0.3 -> 0.25
  t.deepEqual(rollout(env, constant(env, 0.6), 0, 2).actions, [2, 2]); // 0.6 -> 0.5
  t.deepEqual(rollout(env, schedule(env, [0.9, 0.1, 0.7]), 0, 4).actions, [4, 0, 3, 0]);
  t.deepEqual(rollout(env, pulsed(env, 1, 1, 1), 0, 4).doses, [1, 0, 1, 0]);
});

test('the baselines run on the Zhao env by month (continuous and discrete)', (t) => {
  const env = make('Chemo-Zhao2009-v0', { mu0: -20 });
  t.deepEqual(rollout(env, mtd(env), 3).doses, repeat([1], 6));
  t.deepEqual(rollout(env, mtdCycles(env, { onSteps: 1, offSteps: 2 }), 3).doses, [1, 0, 0, 1, 0, 0]);
  t.deepEqual(rollout(env, schedule(env, [0.5, 0.5, 1]), 3).doses, [0.5, 0.5, 1, 0, 0, 0]);
  t.throws(() => mtdCycles(env), { message: /cycles in days need an env whose step is in days \(this one: month\); give onSteps\/offSteps/ });
  const discrete = make('Chemo-Zhao2009-v0', { mu0: -20, levels: 3 });
  t.deepEqual(rollout(discrete, metronomic(discrete, 0.4), 3).actions, [1, 1, 1, 1, 1, 1]);
  t.deepEqual(chemoBaselines(env).map((p) => p.name), ['mtd', 'metronomic-0.3', 'none']);
  t.deepEqual(chemoBaselines(dePillis()).map((p) => p.name), ['mtd', 'mtd-cycles-4on-24off', 'metronomic-0.3', 'none']);
});

test('without a step index in info, a policy counts its own steps from reset()', (t) => {
  const env = dePillis();
  const p = pulsed(env, 1, 1, 1);
  p.reset();
  const doses = [0, 1, 2, 3].map(() => (p.act(null, { deterministic: true, info: {} }) as Float32Array)[0]);
  t.deepEqual(doses, [1, 0, 1, 0]);
  p.reset();
  t.is((p.act(null, { deterministic: true, info: {} }) as Float32Array)[0], 1);
});

test('bad baseline settings give one-line errors', (t) => {
  const env = dePillis();
  t.is(t.throws(() => constant(env, 1.5))?.message, 'constant: dose must be a number in [0, 1], got 1.5');
  t.is(t.throws(() => metronomic(env, -0.1))?.message, 'metronomic: dose must be a number in [0, 1], got -0.1');
  t.is(t.throws(() => pulsed(env, 1, 0, 2))?.message, 'pulsed: onSteps: expected an integer >= 1, got 0');
  t.is(t.throws(() => pulsed(env, 1, 1, 1.5))?.message, 'pulsed: offSteps: expected an integer >= 0, got 1.5');
  t.is(t.throws(() => schedule(env, [0.5, 2]))?.message, 'schedule[1]: dose must be a number in [0, 1], got 2');
  t.is(t.throws(() => mtdCycles(env, { onDays: 0.3 }))?.message, 'mtdCycles: onDays: expected a whole number of 0.25-day steps, got 0.3 days');
  t.regex(t.throws(() => mtdCycles(env, { onDays: 1, onSteps: 2 }))?.message ?? '', /not both/);
});

test('outcome metrics of MTD match the reference landmarks (min N 0.70838 at day 5.25, T < 1e-3 from day 75.75)', (t) => {
  const env = make('Chemo-DePillis-v0');
  const o = dePillisOutcomes(rollout(env, mtd(env)).infos);
  t.is(o.steps, 600);
  t.is(o.days, 150);
  t.true(Math.abs(o.finalTumour - 5.6609609904041282e-8) < 1e-9);
  t.is(o.daysToTumourBelow, 75.75);
  t.true(o.tumourCleared);
  t.is(Number(o.minN.toFixed(5)), 0.70838);
  t.is(o.dayOfMinN, 5.25);
  t.is(o.daysNBelow, 12);
  t.is(o.cumulativeDose, 150);
});

test('outcome metrics compare the clinical baselines on the nominal patient', (t) => {
  const env = make('Chemo-DePillis-v0');
  const untreated = dePillisOutcomes(rollout(env, none(env)).infos);
  t.is(untreated.days, 18.25); // toxicity termination: N < 0.7 N0
  t.is(untreated.daysToTumourBelow, null);
  t.false(untreated.tumourCleared);
  t.is(untreated.cumulativeDose, 0);
  const metro = dePillisOutcomes(rollout(env, metronomic(env)).infos);
  t.is(metro.days, 150);
  t.true(metro.daysToTumourBelow !== null && metro.daysToTumourBelow > 75.75);
  t.true(metro.cumulativeDose < 150 * 0.31);
  const cycles = dePillisOutcomes(rollout(env, mtdCycles(env)).infos);
  t.true(cycles.days < 150, 'weekly 1-day MTD pulses do not hold this tumour');
});

test('metrics on hand-made infos: step-resolution counting, first crossing, null when never', (t) => {
  const infos: Info[] = [
    { day: 0, N: 0.9, T: 0.2, cumulativeDose: 0 },
    { day: 1, N: 0.74, T: 0.01, cumulativeDose: 1 },
    { day: 2, N: 0.76, T: 0.0009, cumulativeDose: 1.5 },
    { day: 3, N: 0.7, T: 0.002, cumulativeDose: 1.5 },
  ];
  // The tumour dipped below 1e-3 on day 2 and regrew: reached, but not cleared at the end.
  t.deepEqual(dePillisOutcomes(infos), { steps: 3, days: 3, finalTumour: 0.002, daysToTumourBelow: 2, tumourCleared: false, minN: 0.7, dayOfMinN: 3, daysNBelow: 2, cumulativeDose: 1.5 });
  t.is(dePillisOutcomes(infos.slice(0, 2)).daysToTumourBelow, null);
  t.is(dePillisOutcomes(infos.slice(0, 3)).tumourCleared, true);
  t.throws(() => dePillisOutcomes([{ day: 0, N: 'x', T: 0.2, cumulativeDose: 0 }]), { message: 'Chemo-DePillis-v0: info.N is not a number (x)' });
});

test('Zhao metrics: survival probability and months to cure', (t) => {
  const env = make('Chemo-Zhao2009-v0', { mu0: -4.5 });
  const { infos } = rollout(env, schedule(env, [1]), 5, Infinity, { W0: 1, M0: 0.3 });
  const o = zhaoOutcomes(infos);
  t.is(o.monthsToCure, 1);
  t.is(o.dead, false);
  t.is(o.months, 6);
  const product = infos.slice(1).reduce((p, i) => p * (i['survivalProb'] as number), 1);
  t.true(Math.abs(o.survivalProbability - product) < 1e-15);
  t.true(o.survivalProbability > 0.5 && o.survivalProbability < 0.95);
  t.is(o.cumulativeDose, 1);
  t.is(zhaoOutcomes(rollout(env, none(env), 5, Infinity, { W0: 1, M0: 0.3 }).infos).monthsToCure, null);
});
