import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../envs/chemo/register.ts';
import { simulatorFor } from '../src/core/simulators.ts';
import { parseCsv } from '../src/io/csv.ts';

const reference = parseCsv(readFileSync(new URL('./fixtures/chemo/ahn_exact_u1.csv', import.meta.url), 'utf8'));
const simulate = (config: Record<string, unknown>) => simulatorFor(config['env'])(config, { states: false });
const base = { env: 'Chemo-DePillis-v0', days: 150, controller: { type: 'constant', dose: 1 }, seed: 1 };

test('constant dose 1 for 150 days: columns step,day,N,T,I,B,u; 601 rows matching the reference to 1e-6; metrics', (t) => {
  const out = simulate(base);
  t.deepEqual(out.columns, ['step', 'day', 'N', 'T', 'I', 'B', 'u']);
  t.is(out.rows.length, 601);
  t.deepEqual(out.rows[0], { step: 0, day: 0, N: 0.9, T: 0.2, I: 0.005, B: 0, u: null });
  out.rows.forEach((row, k) => {
    const ref = reference[k]!;
    t.is(row['step'], k);
    t.is(row['day'], Number(ref['t_day']));
    for (const name of ['N', 'T', 'I', 'B']) if (Math.abs((row[name] as number) - Number(ref[name])) > 1e-6) t.fail(`row ${k} ${name}`);
    if (k > 0) t.is(row['u'], 1);
  });
  t.like(out.metrics, {
    days_simulated: 150,
    'days_to_T_below_1e-3': 75.75,
    day_of_min_N: 5.25,
    'days_N_below_0.75': 12,
    cumulative_dose_dose_days: 150,
    toxicity_terminated: 'no',
  });
  t.is(Number((out.metrics['min_normal_N'] as number).toFixed(5)), 0.70838);
  t.is(out.defaultFileName, 'simulate-Chemo-DePillis-v0-constant1-seed1.csv');
});

test('pulsed and schedule controllers: u is the dose applied during the step ending at the row', (t) => {
  const pulsed = simulate({ ...base, days: 5, controller: { type: 'pulsed', dose: 0.5, onSteps: 2, offSteps: 3 } });
  t.deepEqual(pulsed.rows.map((r) => r['u']), [null, 0.5, 0.5, 0, 0, 0, 0.5, 0.5, 0, 0, 0, 0.5, 0.5, 0, 0, 0, 0.5, 0.5, 0, 0, 0]);
  const sched = simulate({ ...base, days: 2, controller: { type: 'schedule', steps: [{ step: 0, dose: 1 }, { step: 5, dose: 0.25 }, { step: 7, dose: 0.75 }] } });
  t.deepEqual(sched.rows.map((r) => r['u']), [null, 1, 0, 0, 0, 0, 0.25, 0, 0.75]);
  // The drug after the first step: B(0.25) = 1 - e^-0.25 under u = 1.
  t.true(Math.abs((sched.rows[1]!['B'] as number) - (1 - Math.exp(-0.25))) < 1e-8);
  // ... then decays as e^-t while u = 0.
  t.true(Math.abs((sched.rows[5]!['B'] as number) - (1 - Math.exp(-0.25)) * Math.exp(-1)) < 1e-8);
});

test('no treatment stops at the toxicity termination (day 18.25) and reports it', (t) => {
  const out = simulate({ ...base, controller: { type: 'none' } });
  t.is(out.rows.length, 74);
  t.is(out.rows[73]!['day'], 18.25);
  t.like(out.metrics, { toxicity_terminated: 'yes', 'days_to_T_below_1e-3': 'never', cumulative_dose_dose_days: 0 });
});

test('env options pass through; seeded runs reproduce', (t) => {
  const config = { ...base, days: 10, seed: 4, options: { setting: 2 } };
  t.deepEqual(simulate(config).rows, simulate(config).rows);
  t.notDeepEqual(simulate(config).rows, simulate({ ...config, seed: 5 }).rows);
  t.notDeepEqual(simulate(config).rows, simulate({ ...base, days: 10, seed: 4 }).rows);
});

test('Zhao simulate: one row per month with survival', (t) => {
  const out = simulate({ env: 'Chemo-Zhao2009-v0', controller: { type: 'constant', dose: 1 }, seed: 5, W0: 1, M0: 0.3 });
  t.deepEqual(out.columns, ['step', 'month', 'W', 'M', 'D', 'survivalProb', 'cumulativeSurvival', 'dead']);
  t.is(out.rows.length, 7);
  t.like(out.rows[0], { step: 0, month: 0, W: 1, M: 0.3, D: null, cumulativeSurvival: 1, dead: 0 });
  // mu0 = -5.5 (the env's default): the month's hazard is e^-1 times the one at mu0 = -4.5, whose
  // survival was 0.9448785043494019, so exp(ln(0.9448785043494019) / e).
  t.true(Math.abs((out.rows[1]!['survivalProb'] as number) - Math.exp(Math.log(0.9448785043494019) / Math.E)) < 1e-12);
  t.like(out.metrics, { months_simulated: 6, months_to_cure: 1, cumulative_dose: 6 });
  // Six months at full dose drive toxicity up (W6 = 1 + 0.03 * 6 + 0.6 * 6 = 4.78): death risk grows.
  t.true(Math.abs((out.rows[6]!['W'] as number) - 4.78) < 1e-9);
  t.is(out.metrics['died'], out.rows[6]!['dead'] === 1 ? 'yes' : 'no');
  const product = out.rows.slice(1).reduce((p, r) => p * (r['survivalProb'] as number), 1);
  t.true(Math.abs((out.metrics['survival_probability'] as number) - product) < 1e-15);
});

const badConfigs: [Record<string, unknown>, string][] = [
  [{ controller: { type: 'foo' } }, 'controller.type: unknown controller "foo"; allowed: constant, pulsed, schedule, none, policy'],
  [{ controller: undefined }, 'controller: expected a mapping with a type (constant, pulsed, schedule, none, policy), got nothing'],
  [{ controller: 'constant' }, 'controller: expected a mapping with a type (constant, pulsed, schedule, none, policy), got "constant"'],
  [{ days: -5 }, 'days: expected a positive number of days, got -5'],
  [{ days: 0 }, 'days: expected a positive number of days, got 0'],
  [{ days: '150' }, 'days: expected a positive number of days, got "150"'],
  [{ days: undefined }, 'days: expected a positive number of days, got nothing'],
  [{ days: 10.1 }, 'days: expected a whole number of 0.25-day steps, got 10.1'],
  [{ controller: { type: 'constant', dose: 1.5 } }, 'controller.dose: expected a dose fraction in [0, 1], got 1.5'],
  [{ controller: { type: 'constant' } }, 'controller.dose: expected a dose fraction in [0, 1], got nothing'],
  [{ controller: { type: 'constant', doze: 1 } }, 'controller.doze: unknown field for type constant; allowed: type, dose'],
  [{ dayz: 3 }, 'dayz: unknown field; allowed: env, days, controller, seed, options'],
  [{ controller: { type: 'pulsed', dose: 1, offSteps: 3 } }, 'controller.onSteps: expected an integer >= 1, got nothing'],
  [{ controller: { type: 'pulsed', dose: 1, onSteps: 2, offSteps: -1 } }, 'controller.offSteps: expected an integer >= 0, got -1'],
  [{ controller: { type: 'schedule', steps: [{ step: 0, dose: 1 }, { step: 600, dose: 1 }] } }, 'controller.steps[1].step: step 600 is outside 0..599 (the run has 600 steps)'],
  [{ controller: { type: 'schedule', steps: [{ step: 3, dose: 1 }, { step: 3, dose: 0.5 }] } }, 'controller.steps[1].step: step 3 is listed twice'],
  [{ controller: { type: 'schedule', steps: [{ step: -1, dose: 1 }] } }, 'controller.steps[0].step: expected an integer >= 0, got -1'],
  [{ controller: { type: 'schedule', steps: [{ step: 2, dose: 2 }] } }, 'controller.steps[0].dose: expected a dose fraction in [0, 1], got 2'],
  [{ controller: { type: 'schedule', steps: [] } }, 'controller.steps: expected at least one { step, dose }, got []'],
  [{ controller: { type: 'schedule', steps: 'all' } }, 'controller.steps: expected a list of { step, dose }, got "all"'],
  [{ seed: -1 }, 'seed: expected a non-negative integer, got -1'],
  [{ seed: 1.5 }, 'seed: expected a non-negative integer, got 1.5'],
  [{ options: { horizonDays: 3 } }, 'options.horizonDays: set by the simulate config; remove it from options'],
  [{ options: { setting: 7 } }, 'options: Chemo-DePillis-v0: setting: expected null or a DTR-Bench setting 1, 2, 3, 4 or 5, got 7'],
  [{ options: 5 }, 'options: expected a mapping of env options, got 5'],
  [{ env: 'Chemo-Zhao2009-v0', days: undefined, months: 0 }, 'months: expected an integer number of months in [1, 120], got 0'],
  [{ env: 'Chemo-Zhao2009-v0', days: undefined, W0: -1 }, 'W0: expected a number in [0, 10], got -1'],
  [{ env: 'Chemo-Zhao2009-v0' }, 'days: unknown field; allowed: env, months, controller, seed, W0, M0, options'],
  [{ env: 'Chemo-Zhao2009-v0', days: undefined, controller: { type: 'schedule', steps: [{ step: 6, dose: 1 }] } }, 'controller.steps[0].step: step 6 is outside 0..5 (the run has 6 months)'],
];
for (const [change, message] of badConfigs) {
  test(`bad simulate config ${JSON.stringify(change)} -> ${message.split(':')[0]}`, (t) => {
    const config: Record<string, unknown> = { ...base, ...change };
    for (const key of Object.keys(config)) if (config[key] === undefined) delete config[key];
    const err = t.throws(() => simulate(config), { name: 'UserError' });
    t.is(err?.message, message);
    t.false(message.includes('\n'));
  });
}

test('the CLI writes the CSV for a good config and exits 1 without a file for a bad one', async (t) => {
  const { main } = await import('../src/cli.ts');
  const dir = mkdtempSync(join(tmpdir(), 'dosegym-chemo-'));
  try {
    const good = join(dir, 'good.yaml');
    writeFileSync(good, 'env: Chemo-DePillis-v0\ndays: 2\ncontroller: { type: pulsed, dose: 1, onSteps: 1, offSteps: 1 }\nseed: 1\n');
    const out = join(dir, 'good.csv');
    const write = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    let code: number;
    try {
      code = await main(['simulate', good, '--out', out]);
    } finally {
      process.stdout.write = write;
    }
    t.is(code, 0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    t.is(lines[0], 'step,day,N,T,I,B,u');
    t.is(lines.length, 10);
    t.regex(lines[1]!, /^0,0,0\.9,0\.2,0\.005,0,$/);
    t.regex(lines[2]!, /^1,0\.25,.*,1$/);

    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'env: Chemo-DePillis-v0\ndays: 2\ncontroller: { type: bolus, dose: 1 }\n');
    const badOut = join(dir, 'bad.csv');
    const errWrite = process.stderr.write;
    let stderr = '';
    process.stderr.write = ((s: string) => ((stderr += s), true)) as typeof process.stderr.write;
    try {
      code = await main(['simulate', bad, '--out', badOut]);
    } finally {
      process.stderr.write = errWrite;
    }
    t.is(code, 1);
    t.is(stderr, 'dosegym: controller.type: unknown controller "bolus"; allowed: constant, pulsed, schedule, none, policy\n');
    t.false(existsSync(badOut));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
