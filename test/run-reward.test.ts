/**
 * Custom rewards (`env.reward`, a mathjs expression over a step's named quantities): checked when
 * the config loads, applied to both training and evaluation envs, never evaluated as JavaScript.
 */
import test from 'ava';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import '../envs/index.ts';
import { UserError } from '../src/core/errors.ts';
import { make } from '../src/core/registry.ts';
import { compileRewardExpression, ExpressionReward } from '../src/config/reward-expression.ts';
import { parseExperiment } from '../src/config/experiment.ts';
import { runEpisode } from '../src/core/episode.ts';
import { familyOf, type AnyPolicy } from '../src/core/family.ts';
import { runExperiment, type RunFlags } from '../src/run/run.ts';
import { planExperiment } from '../src/run/plan.ts';
import { trainingEnvFactory } from '../src/run/tasks.ts';
import { parseCsv } from '../src/io/csv.ts';
import { BasalBolusPolicy } from '../agents/baselines/glucose/index.ts';
import { T1D_BASELINES, tempDir, writeConfig } from './fixtures/experiments/helpers.ts';

const dir = tempDir('dosegym-reward-');
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const flags = (out: string): RunFlags => ({ out, jobs: 1, backend: 'auto', quiet: true, resume: false, force: false });

test('expressions evaluate arithmetic, comparisons, ?: and whitelisted functions', (t) => {
  const names = ['risk', 'insulin', 'bg'];
  t.is(compileRewardExpression('-risk - 0.01 * insulin', names).evaluate({ risk: 3, insulin: 2 }), -3.02);
  t.is(compileRewardExpression('bg < 70 ? -10 : -risk', names).evaluate({ bg: 60, risk: 5 }), -10);
  t.is(compileRewardExpression('bg < 70 ? -10 : -risk', names).evaluate({ bg: 90, risk: 5 }), -5);
  t.is(compileRewardExpression('(bg >= 70) - max(0, abs(bg - 112.5) / 100)', names).evaluate({ bg: 212.5 }), 0);
  t.is(compileRewardExpression('2 * reward + terminated', names).evaluate({ reward: -0.5, terminated: 1 }), 0);
  t.deepEqual(compileRewardExpression('-risk - 0.01 * insulin + pi * 0', names).names.sort(), ['insulin', 'pi', 'risk']);
});

test('unknown names, other functions and non-arithmetic nodes are config errors', (t) => {
  const names = ['risk', 'insulin'];
  const error = (source: string) => t.throws(() => compileRewardExpression(source, names), { instanceOf: UserError })?.message;
  t.is(error('-risk - glucose'), "env.reward: unknown name 'glucose'; allowed: e, insulin, pi, reward, risk, terminated, truncated");
  t.is(error('cos(risk)'), "env.reward: function 'cos' is not allowed; allowed: abs, min, max, exp, log, sqrt, pow, square, sign, tanh");
  t.regex(error('evaluate("1")') ?? '', /^env\.reward: function 'evaluate' is not allowed/);
  t.regex(error('risk.constructor') ?? '', /^env\.reward: 'risk.constructor' \(AccessorNode\) is not allowed/);
  t.regex(error('f(x) = x') ?? '', /^env\.reward: .*\(FunctionAssignmentNode\) is not allowed/);
  t.regex(error('[risk, insulin]') ?? '', /\(ArrayNode\) is not allowed/);
  t.regex(error('-risk +') ?? '', /^env\.reward: cannot parse expression '-risk \+': /);
  // a value that is not a finite number is a runtime error naming the expression
  t.throws(() => compileRewardExpression('log(risk)', names).evaluate({ risk: 0 }), { message: /expression 'log\(risk\)' gave -Infinity/ });
});

test('the names a T1D expression may use are the family\'s numeric info fields', (t) => {
  const names = familyOf('T1D-v0').info.fields;
  for (const n of ['bg', 'cgm', 'insulin', 'cho', 'risk', 'cost', 'minute']) t.true(names.includes(n), n);
  t.false(names.includes('patient'), 'strings are not quantities');
  t.throws(() => planExperiment(parseExperiment({ ...T1D_BASELINES, env: { ...T1D_BASELINES.env, reward: '-patient' } })), {
    message: /^env\.reward: unknown name 'patient'; allowed: .*\bactionMaxUnitsPerHour\b.*\bbg\b/,
  });
});

test('-risk on T1D: each step reward is -info.risk, i.e. 100 x the default reward, in evaluation and training envs', (t) => {
  const reward = compileRewardExpression('-risk', familyOf('T1D-v0').info.fields);
  const plain = runEpisode(make('T1D-v0', { days: 0.25, actionMaxUnitsPerHour: 'pump' }), new BasalBolusPolicy() as AnyPolicy, 5);
  const custom = runEpisode(new ExpressionReward(make('T1D-v0', { days: 0.25, actionMaxUnitsPerHour: 'pump' }), reward), new BasalBolusPolicy() as AnyPolicy, 5);
  t.is(custom.length, plain.length);
  t.false(custom.terminated);
  custom.rewards.forEach((r, i) => {
    t.is(r, -(custom.infos[i + 1]?.['risk'] as number));
    t.is(custom.infos[i + 1]?.['envReward'], plain.rewards[i]);
  });
  t.true(Math.abs(custom.return - 100 * plain.return) < 1e-9 * Math.abs(custom.return));
  t.true(custom.return < -1, `a real signal (${custom.return})`);

  const config = parseExperiment({ ...T1D_BASELINES, env: { ...T1D_BASELINES.env, reward: '-risk - 0.01 * insulin' } });
  const env = trainingEnvFactory(planExperiment(config))();
  env.reset({ seed: 1 });
  const step = env.step(Float32Array.of(1));
  t.is(step.reward, -(step.info['risk'] as number) - 0.01 * (step.info['insulin'] as number));
  t.true((step.info['insulin'] as number) > 0);
});

test('a run with env.reward "-risk" reports returns 100 x those of the default reward, other metrics unchanged', async (t) => {
  const plain = join(dir, 'plain');
  const custom = join(dir, 'custom');
  await runExperiment(writeConfig(dir, 'plain.yaml', T1D_BASELINES), flags(plain), ['evaluate']);
  await runExperiment(writeConfig(dir, 'custom.yaml', { ...T1D_BASELINES, env: { ...T1D_BASELINES.env, reward: '-risk' } }), flags(custom), ['evaluate']);
  const a = parseCsv(readFileSync(join(plain, 'summary.csv'), 'utf8'));
  const b = parseCsv(readFileSync(join(custom, 'summary.csv'), 'utf8'));
  t.is(b.length, 2);
  b.forEach((row, i) => {
    const before = a[i] as Record<string, string>;
    const ratio = Number(row['mean_return']) / Number(before['mean_return']);
    t.true(Math.abs(ratio - 100) < 1e-9, `${row['method']}: ratio ${ratio}`);
    for (const column of ['tir', 'mean_bg', 'risk_index', 'mean_cost']) t.is(row[column], before[column], column);
  });
});
