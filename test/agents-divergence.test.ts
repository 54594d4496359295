/**
 * The divergence guard (agents/common/divergence.ts) in every agent: a reward beyond float32 names
 * where the reward comes from, updates that blow up name train.hyperparameters.learningRate with its
 * value, rewards whose squares overflow name the reward scale; no checkpoint with non-finite weights
 * is written; and through the CLI a diverging run ends with one line, stays incomplete and leaves
 * no policy behind.
 */
import test from 'ava';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import '../envs/index.ts';
import { initBackend } from '../agents/common/backend.ts';
import { savePolicy } from '../agents/common/checkpoint.ts';
import { ScriptedEpisodes, TwoArmedBandit } from '../agents/common/toy-envs.ts';
import type { EnvInput, TrainOptions } from '../agents/common/training.ts';
import { ALGORITHM_NAMES, algorithm } from '../agents/index.ts';
import { make } from '../src/core/registry.ts';
import { runCli, tempDir, writeConfig } from './fixtures/experiments/helpers.ts';

test.before(async () => {
  await initBackend('wasm');
});

const dir = tempDir('dosegym-divergence-');
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

/** Five-step episodes paying `reward` on their third step and 0 otherwise (Box actions for SAC). */
const rewardAtThirdStep = (reward: number, name = 'ppo') => new ScriptedEpisodes({ length: 5, truncate: false, reward: (t) => (t === 3 ? reward : 0), box: name === 'sac' });

/** Small, fast settings per algorithm. */
const SMALL: Record<string, Record<string, unknown>> = {
  ppo: { nSteps: 32, batchSize: 16, nEpochs: 2 },
  'ppo-lagrangian': { nSteps: 32, batchSize: 16, nEpochs: 2 },
  dqn: { learningStarts: 8, trainFreq: 1, batchSize: 8, targetUpdateInterval: 16 },
  sac: { learningStarts: 8, batchSize: 8, netArch: [16] },
};

/** The algorithms of the table that act in `space` actions. */
const actingIn = (space: 'discrete' | 'box') => ALGORITHM_NAMES.filter((n) => (algorithm(n).actionSpaces as readonly string[]).includes(space));

/** Train `name` through the table (PPO-Lagrangian with a budget of 1). */
const trainWith = (name: string, env: EnvInput, hyperparameters: Record<string, unknown>, extra: Partial<TrainOptions> = {}) =>
  algorithm(name).train(env, { totalSteps: 256, seed: 1, hyperparameters: { ...SMALL[name], ...hyperparameters }, costLimit: 1, ...extra });

test('a reward beyond float32 (finite in float64) stops every agent at that step, naming where rewards come from', async (t) => {
  for (const name of ALGORITHM_NAMES) {
    await t.throwsAsync(trainWith(name, () => rewardAtThirdStep(1e39, name), {}, { rewardSource: 'env.reward "exp(bg)"' }), {
      name: 'UserError',
      message: 'env.reward "exp(bg)" gave a reward of 1e+39 at env step 3 (env 0), beyond float32\'s range (about 3.4e38), in which training computes; rescale or fix the reward',
    }, name);
    // Without a named source, the env's id.
    await t.throwsAsync(trainWith(name, () => rewardAtThirdStep(-1e300, name), {}), { message: /^the reward of ScriptedEpisodes-test gave a reward of -1e\+300 at env step 3 \(env 0\)/ }, name);
  }
});

test('rewards within float32 whose squares overflow stop the on-policy agents, naming the reward scale', async (t) => {
  for (const name of ['ppo', 'ppo-lagrangian']) {
    await t.throwsAsync(trainWith(name, () => rewardAtThirdStep(1e30), {}), {
      message: /^the reward of ScriptedEpisodes-test: training diverged at env step 32: the loss is Infinity; rewards as large as 1e\+30 overflow float32 once squared in the loss: rescale the reward$/,
    }, name);
  }
  // Rewards of 1e15 square to 1e30: no divergence, no false alarm.
  await t.notThrowsAsync(trainWith('ppo', () => rewardAtThirdStep(1e15), {}));
});

test('an exploding learning rate stops every agent with train.hyperparameters.learningRate and its value (Discrete and Box)', async (t) => {
  const learningRate = /; the learning rate 1e\+30 is likely too large: lower it$/;
  for (const name of actingIn('discrete')) {
    const error = await t.throwsAsync(trainWith(name, () => make('CartPole-v1'), { learningRate: 1e30 }));
    t.regex(error?.message ?? '', /^train\.hyperparameters\.learningRate: training diverged at env step \d+: /, name);
    t.regex(error?.message ?? '', learningRate, name);
  }
  // A Box action space: before the guard, the NaN actions reached the env, which was blamed.
  t.deepEqual(actingIn('box'), ['ppo', 'ppo-lagrangian', 'sac']);
  for (const name of actingIn('box')) {
    for (const distribution of name === 'sac' ? [undefined] : ['beta', 'gaussian-clip']) {
      const error = await t.throwsAsync(trainWith(name, () => make('Pendulum-v1'), { learningRate: 1e30, ...(distribution ? { distribution } : {}) }));
      t.regex(error?.message ?? '', /^train\.hyperparameters\.learningRate: training diverged/, `${name} ${distribution ?? ''}`);
      t.regex(error?.message ?? '', learningRate, name);
    }
  }
});

test('savePolicy refuses non-finite weights and writes nothing', async (t) => {
  const policy = await algorithm('ppo').train(() => new TwoArmedBandit(), { totalSteps: 32, seed: 1, hyperparameters: SMALL['ppo'] });
  const index = policy.params.entry('vf.0.b').offset + 2;
  policy.params.data[index] = Number.POSITIVE_INFINITY;
  const path = join(dir, 'diverged-policy');
  t.throws(() => savePolicy(path, policy), { name: 'UserError', message: `policy: refusing to save ${path}: weight 2 of 'vf.0.b' is Infinity (training diverged)` });
  t.false(existsSync(path));
  policy.params.data[index] = Number.NaN;
  t.throws(() => savePolicy(path, policy), { message: /weight 2 of 'vf\.0\.b' is NaN/ });
  policy.params.data[index] = 0;
  t.true(existsSync(savePolicy(path, policy)));
});

/** One line on stderr, exit 1, the run left incomplete and no policy written. */
async function assertDivergedRun(t: import('ava').ExecutionContext, name: string, config: Record<string, unknown>, message: RegExp): Promise<void> {
  const out = join(dir, name);
  const r = await runCli(['run', writeConfig(dir, `${name}.yaml`, config), '--out', out, '--quiet', '--backend', 'wasm']);
  t.is(r.code, 1, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  t.is(lines.length, 1, r.stderr);
  t.regex(lines[0] ?? '', message);
  t.is((JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { status: string }).status, 'incomplete');
  t.false(existsSync(join(out, 'policies', '1', 'weights.bin')), 'no checkpoint');
}

test('through the CLI, a reward expression beyond float32 ends the run with one line naming the expression', async (t) => {
  const config = {
    name: 'exp-reward',
    env: { id: 'CartPole-v1', reward: 'exp(100 * reward)' },
    train: { algo: 'ppo', steps: 256, hyperparameters: { nSteps: 64, batchSize: 32, nEpochs: 1 } },
    evaluate: { episodes: 1, methods: ['ppo'] },
  };
  await assertDivergedRun(t, 'exp-reward', config, /^dosegym: env\.reward "exp\(100 \* reward\)" gave a reward of 2\.68\d*e\+43 at env step 1 \(env 0\), beyond float32's range/);
});

test('through the CLI, learningRate 1e30 ends the run with one line naming the hyperparameter, not the env', async (t) => {
  const config = {
    name: 'huge-lr',
    env: { id: 'Pendulum-v1' },
    train: { algo: 'ppo', steps: 512, hyperparameters: { nSteps: 128, batchSize: 64, nEpochs: 2, learningRate: 1e30 } },
    evaluate: { episodes: 1, methods: ['ppo'] },
  };
  await assertDivergedRun(t, 'huge-lr', config, /^dosegym: train\.hyperparameters\.learningRate: training diverged at env step \d+: .*; the learning rate 1e\+30 is likely too large: lower it$/);
});
