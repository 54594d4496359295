import test from 'ava';
import '../envs/index.ts';
import type { Info } from '../src/core/env.ts';
import { make } from '../src/core/registry.ts';
import { Rng } from '../src/core/rng.ts';
import { checkEnv } from '../src/core/check-env.ts';
import { RecordEpisodeStatistics, TimeLimit, type EpisodeStatistics } from '../src/core/wrappers.ts';
import {
  ConstraintCost,
  ConstraintEpisodeTracker,
  budgetExceeded,
  constraintsFor,
  costRate,
  getConstraint,
  makeConstraintCost,
  resolveConstraints,
  summarizeConstraintEpisode,
  timeInViolation,
  type ConstraintEpisodeSummary,
} from '../src/safety/constraints.ts';
import { makeShield } from '../src/safety/shield.ts';

test('per-step costs on hand-made infos', (t) => {
  const hypo70 = getConstraint('T1D-v0', 'hypo70');
  const hypo54 = getConstraint('T1D-v0', 'hypo54');
  t.is(hypo70.cost({ bg: 69.99 }, undefined), 1);
  t.is(hypo70.cost({ bg: 70 }, undefined), 0);
  t.is(hypo54.cost({ bg: 53.9 }, undefined), 1);
  t.is(hypo54.cost({ bg: 54 }, undefined), 0);
  t.is(hypo54.cost({ bg: 60 }, undefined), 0);
  const tox = getConstraint('Chemo-DePillis-v0', 'toxicity');
  t.is(tox.cost({ N: 0.7499 }, undefined), 1);
  t.is(tox.cost({ N: 0.75 }, undefined), 0);
  const dose = getConstraint('Chemo-DePillis-v0', 'cumulativeDose');
  t.is(dose.cost({ cumulativeDose: 0 }, undefined), 0);
  t.is(dose.cost({ cumulativeDose: 1.25 }, { cumulativeDose: 1 }), 0.25);
  t.throws(() => hypo70.cost({ cgm: 60 }, undefined), { message: 'T1D-v0: info.bg is missing' });
});

test('constraintsFor lists names with consensus default budgets', (t) => {
  // T1D-v0 default: Dexcom, 3-minute steps, 1 day = 480 steps.
  const t1d = constraintsFor('T1D-v0', { episodeSteps: 480, stepDuration: { value: 3, unit: 'minute' } });
  t.deepEqual(t1d.map((c) => c.name), ['hypo70', 'hypo54']);
  t.is(t1d[0]?.defaultBudget, 0.04 * 480); // 19.2 steps = 4 % of the time below 70 mg/dL
  t.is(t1d[1]?.defaultBudget, 0.01 * 480); // 4.8 steps = 1 % below 54 mg/dL
  const chemo = constraintsFor('Chemo-DePillis-v0', { episodeSteps: 600, stepDuration: { value: 0.25, unit: 'day' } });
  t.deepEqual(chemo.map((c) => [c.name, c.defaultBudget, c.costUnit]), [
    ['toxicity', 0, 'steps'],
    ['drugToxicity', 1, 'pp-days'],
    ['cumulativeDose', 45, 'dose-days'],
  ]);
  t.is(constraintsFor('T1D-v0')[0]?.defaultBudget, undefined);
  t.deepEqual(constraintsFor('CartPole-v1'), []);
});

test('unknown constraints, bad budgets and unconstrained envs are one-line UserErrors', (t) => {
  t.throws(() => new ConstraintCost(make('T1D-v0'), ['hypo60']), { name: 'UserError', message: "constraints: unknown constraint 'hypo60' for T1D-v0; allowed: hypo70, hypo54" });
  t.throws(() => new ConstraintCost(make('Chemo-DePillis-v0'), ['hypo70']), {
    message: "constraints: unknown constraint 'hypo70' for Chemo-DePillis-v0; allowed: toxicity, drugToxicity, cumulativeDose",
  });
  t.throws(() => new ConstraintCost(make('T1D-v0'), ['hypo70'], { hypo70: -1 }), { message: 'budgets.hypo70: expected a finite number >= 0 (steps per episode), got -1' });
  t.throws(() => new ConstraintCost(make('T1D-v0'), ['hypo70'], { hypo54: 3 }), { message: 'budgets.hypo54: not a selected constraint; selected: hypo70' });
  t.throws(() => new ConstraintCost(make('T1D-v0'), ['hypo70', 'hypo70']), { message: "constraints: 'hypo70' is listed twice" });
  t.throws(() => new ConstraintCost(make('T1D-v0'), []), { message: 'constraints: expected a non-empty list of names; allowed for T1D-v0: hypo70, hypo54' });
  t.throws(() => new ConstraintCost(make('CartPole-v1'), ['hypo70']), {
    message: "constraints: environment 'CartPole-v1' declares no constraints; constrained environments: Chemo-DePillis-v0, T1D-v0",
  });
  t.throws(() => resolveConstraints('T1D-v0', ['hypo70']), {
    message: 'budgets.hypo70: no default budget without the episode length (metadata.maxEpisodeSteps); give one in steps per episode',
  });
});

test('episode helpers: cost rate, budget exceeded, time in violation', (t) => {
  t.is(costRate(12, 480), 0.025);
  t.is(costRate(0, 0), 0);
  t.false(budgetExceeded(19.2, 19.2));
  t.true(budgetExceeded(20, 19.2));
  t.is(timeInViolation([true, false, false, true]), 0.5);
  t.is(timeInViolation([1, 0, 0, 0, 0]), 0.2);
  t.is(timeInViolation([]), 0);

  // cumulativeDose: violated from the step at which the running total passes the budget.
  const cs = resolveConstraints('Chemo-DePillis-v0', ['toxicity', 'cumulativeDose'], { cumulativeDose: 0.5 });
  const tracker = new ConstraintEpisodeTracker(cs);
  const flags = [0.25, 0.25, 0.25, 0].map((d, i) => tracker.add({ toxicity: i === 3 ? 1 : 0, cumulativeDose: d }));
  t.deepEqual(flags.map((f) => f['cumulativeDose']), [false, false, true, true]);
  t.deepEqual(flags.map((f) => f['toxicity']), [false, false, false, true]);
  const s = tracker.summary();
  t.deepEqual(s, {
    steps: 4,
    costs: { toxicity: 1, cumulativeDose: 0.75 },
    budgets: { toxicity: 0, cumulativeDose: 0.5 },
    exceeded: { toxicity: true, cumulativeDose: true },
    violationSteps: { toxicity: 1, cumulativeDose: 2 },
    timeInViolation: { toxicity: 0.25, cumulativeDose: 0.5 },
    costRate: 1.75 / 4,
  });
});

test('ConstraintCost on T1D-v0: costs from the true BG replace the env cost, with an episode summary at the end', (t) => {
  // A constant high insulin rate drives this patient into hypoglycaemia within the day.
  const raw = make('T1D-v0', { patient: 'adult#001', sensorNoise: false, scenario: [], days: 0.5 });
  const env = new RecordEpisodeStatistics(new ConstraintCost(raw, ['hypo70', 'hypo54']));
  t.deepEqual(env.metadata.constraints, ['hypo70', 'hypo54']);
  let { info } = env.reset({ seed: 1 });
  t.deepEqual(info['costs'], { hypo70: 0, hypo54: 0 });
  const infos: Info[] = [];
  let below70 = 0;
  let below54 = 0;
  for (;;) {
    const r = env.step(new Float32Array([4]));
    info = r.info;
    infos.push(info);
    const bg = info['bg'] as number;
    if (bg < 70) below70++;
    if (bg < 54) below54++;
    const costs = info['costs'] as Record<string, number>;
    t.is(costs['hypo70'], bg < 70 ? 1 : 0);
    t.is(costs['hypo54'], bg < 54 ? 1 : 0);
    t.is(info.cost, (costs['hypo70'] as number) + (costs['hypo54'] as number));
    if (r.terminated || r.truncated) break;
  }
  t.true(below54 > 0 && below70 > below54, `${below70} / ${below54}`);
  const summary = info['constraintEpisode'] as ConstraintEpisodeSummary;
  const steps = infos.length;
  t.deepEqual(summary.costs, { hypo70: below70, hypo54: below54 });
  t.deepEqual(summary.budgets, { hypo70: 0.04 * 240, hypo54: 0.01 * 240 });
  t.deepEqual(summary.timeInViolation, { hypo70: below70 / steps, hypo54: below54 / steps });
  t.deepEqual(summary.exceeded, { hypo70: below70 > 9.6, hypo54: below54 > 2.4 });
  t.is(summary.costRate, (below70 + below54) / steps);
  t.is((info['episode'] as EpisodeStatistics).cost, below70 + below54);
  // The same summary from the logged infos.
  t.deepEqual(summarizeConstraintEpisode(infos, resolveConstraints('T1D-v0', ['hypo70', 'hypo54'], { hypo70: 9.6, hypo54: 2.4 })), summary);
});

test('ConstraintCost on Chemo-DePillis-v0: cumulativeDose cost is the dose-days given; MTD exceeds the default 45', (t) => {
  const env = new ConstraintCost(make('Chemo-DePillis-v0'), ['toxicity', 'cumulativeDose']);
  t.deepEqual(env.budgets, { toxicity: 0, cumulativeDose: 45 });
  let { info } = env.reset({ seed: 1 });
  let firstViolation = -1;
  for (let k = 0; ; k++) {
    const r = env.step(new Float32Array([1]));
    info = r.info;
    t.is((info['costs'] as Record<string, number>)['cumulativeDose'], 0.25);
    if (firstViolation < 0 && (info['violations'] as Record<string, boolean>)['cumulativeDose']) firstViolation = k;
    if (r.terminated || r.truncated) break;
  }
  // 45 dose-days at 0.25 per step: exceeded from the 181st step (index 180).
  t.is(firstViolation, 180);
  const s = info['constraintEpisode'] as ConstraintEpisodeSummary;
  t.is(s.steps, 600);
  t.is(s.costs['cumulativeDose'], 150);
  t.true(s.exceeded['cumulativeDose'] === true && s.exceeded['toxicity'] === true);
  t.is(s.timeInViolation['cumulativeDose'], 420 / 600);
  // Measured: MTD keeps N below 0.75 for 48 of the 600 steps on the nominal patient.
  t.is(s.costs['toxicity'], 48);
});

test('with a chance, info.cost is the over-budget indicator: 1 on the step an episode first goes over, per-constraint costs unchanged', (t) => {
  const env = new ConstraintCost(make('Chemo-DePillis-v0'), ['toxicity', 'cumulativeDose'], { toxicity: 1000 }, 0.05);
  t.is(env.chance, 0.05);
  const run = (dose: number) => {
    const reset = env.reset({ seed: 1 });
    t.is(reset.info['cost'], 0);
    const costs: number[] = [];
    let last: Info = reset.info;
    for (;;) {
      const r = env.step(new Float32Array([dose]));
      costs.push(r.info['cost'] as number);
      t.is((r.info['costs'] as Record<string, number>)['cumulativeDose'], 0.25 * dose); // each constraint's own cost, as without a chance
      last = r.info;
      if (r.terminated || r.truncated) break;
    }
    return { costs, summary: last['constraintEpisode'] as ConstraintEpisodeSummary };
  };
  // MTD: 45 dose-days at 0.25 per step are exceeded at step index 180 (as without a chance), and once only.
  const mtd = run(1);
  t.deepEqual(mtd.costs.flatMap((c, k) => (c !== 0 ? [[k, c]] : [])), [[180, 1]]);
  t.is(mtd.summary.costs['cumulativeDose'], 150);
  t.true(mtd.summary.exceeded['cumulativeDose'] === true && mtd.summary.exceeded['toxicity'] === false);
  // Half the dose: 75 dose-days, over 45 at index 360; no dose: never over budget, summed cost 0.
  t.deepEqual(run(0.5).costs.flatMap((c, k) => (c !== 0 ? [k] : [])), [360]);
  t.is(run(0).costs.reduce((a, b) => a + b, 0), 0);
  for (const bad of [0, 1, -0.1, Number.NaN]) {
    t.throws(() => new ConstraintCost(make('Chemo-DePillis-v0'), ['cumulativeDose'], {}, bad), { message: `chance: expected a share of episodes over budget in (0, 1), e.g. 0.05, got ${String(bad)}` });
  }
  t.throws(() => makeConstraintCost(make('Chemo-DePillis-v0'), { names: ['drugToxicity'], chance: 5 }), {
    message: 'constraints.chance: expected the allowed share of episodes over budget, a number in (0, 1), e.g. 0.05, got 5',
  });
});

test('TimeLimit before ConstraintCost scales the default budgets to the shorter episode', (t) => {
  const env = new ConstraintCost(new TimeLimit(make('T1D-v0', { sensorNoise: false }), 100), ['hypo70']);
  t.is(env.budgets['hypo70'], 4);
  t.is(env.totalBudget, 4);
});

test('checkEnv passes on cost-wrapped envs, alone and over a shield', (t) => {
  const t1d = { patient: 'adolescent#001', sensorNoise: false, days: 0.25 };
  const envs = [
    new ConstraintCost(make('T1D-v0', t1d), ['hypo70', 'hypo54']),
    new ConstraintCost(make('Chemo-DePillis-v0', { horizonDays: 50 }), ['toxicity', 'cumulativeDose'], { cumulativeDose: 10 }),
    new ConstraintCost(makeShield(make('T1D-v0', { ...t1d, action: 'discrete' }), 'T1D-v0'), ['hypo54']),
  ];
  for (const env of envs) t.true(checkEnv(env).episodeEnds >= 1);
});

test('random policy on T1D-v0: the shield cuts the hypo70 cost (same seeds, same actions)', (t) => {
  const run = (shielded: boolean) => {
    const raw = make('T1D-v0', { patient: 'adolescent#001', sensorNoise: false });
    const env = new ConstraintCost(shielded ? makeShield(raw, 'T1D-v0') : raw, ['hypo70', 'hypo54']);
    const rng = new Rng(7);
    env.reset({ seed: 3 });
    for (;;) {
      const r = env.step(env.actionSpace.sample(rng));
      if (r.terminated || r.truncated) return r.info['constraintEpisode'] as ConstraintEpisodeSummary;
    }
  };
  const plain = run(false);
  const shielded = run(true);
  // Measured: 43 of 480 steps below 70 mg/dL without the shield (9 %, budget 19.2 exceeded), none with it.
  t.is(plain.costs['hypo70'], 43);
  t.true(plain.exceeded['hypo70'] === true);
  t.is(shielded.costs['hypo70'], 0);
  t.true(shielded.exceeded['hypo70'] === false);
});

test('makeConstraintCost validates a config choice and names the field', (t) => {
  const env = makeConstraintCost(make('T1D-v0', { sensorNoise: false }), { names: ['hypo54'], budgets: { hypo54: 2 } });
  t.deepEqual(env.budgets, { hypo54: 2 });
  t.throws(() => makeConstraintCost(make('T1D-v0'), { names: [] }), { message: 'constraints.names: expected at least one constraint name, got []' });
  t.throws(() => makeConstraintCost(make('T1D-v0'), { names: ['hypo70'], budgets: { hypo70: -1 } }), {
    message: 'constraints.budgets.hypo70: expected a budget >= 0 (cost units per episode), got -1',
  });
  t.throws(() => makeConstraintCost(make('T1D-v0'), { names: ['hypo70'], budget: 3 }), { message: 'constraints.budget: unknown field; allowed: names, budgets, chance' });
  t.throws(() => makeConstraintCost(make('T1D-v0'), { names: ['tox'] }), { message: "constraints: unknown constraint 'tox' for T1D-v0; allowed: hypo70, hypo54" });
});
