/**
 * `train.init`: training starts from a saved policy's weights and observation statistics (every
 * algorithm of the table, through agents/common/learner.ts), the source is recorded in the run
 * manifest and in each checkpoint, and a policy whose env, algorithm, spaces, network or
 * normalisation differ is refused with one line before anything is written.
 */
import test from 'ava';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import '../envs/index.ts';
import { initBackend } from '../agents/common/backend.ts';
import { loadPolicy, savePolicy } from '../agents/common/checkpoint.ts';
import { createLearner } from '../agents/common/learner.ts';
import { ContinuousBandit, TwoArmedBandit } from '../agents/common/toy-envs.ts';
import { ALGORITHM_NAMES, algorithm } from '../agents/index.ts';
import type { Env } from '../src/core/env.ts';
import { Rng } from '../src/core/rng.ts';
import { SyncVectorEnv } from '../src/core/vector.ts';
import { readManifest } from '../src/run/manifest.ts';
import { TINY_PPO, tempDir, writeConfig } from './fixtures/experiments/helpers.ts';
import { oneLine, runMain } from './fixtures/experiments/in-process.ts';

const dir = tempDir('dosegym-init-');
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
test.before(async () => {
  await initBackend('wasm');
});

/** Tiny budgets per algorithm: a few dozen steps with at least one gradient step. */
const TINY: Record<string, { steps: number; hyperparameters: Record<string, unknown>; costLimit?: number; env?: () => Env }> = {
  ppo: { steps: 32, hyperparameters: { nSteps: 32, batchSize: 16, nEpochs: 1, normalizeObservations: true } },
  'ppo-lagrangian': { steps: 32, hyperparameters: { nSteps: 32, batchSize: 16, nEpochs: 1, normalizeObservations: true }, costLimit: 1 },
  dqn: { steps: 64, hyperparameters: { learningStarts: 16, trainFreq: 4, targetUpdateInterval: 32, bufferSize: 64, batchSize: 8, normalizeObservations: true } },
  // SAC acts on a Box: a continuous bandit.
  sac: { steps: 64, hyperparameters: { learningStarts: 16, bufferSize: 64, batchSize: 8, netArch: [16, 16], normalizeObservations: true }, env: () => new ContinuousBandit(0.5) },
};

const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - (b[i] as number))), 0);

for (const name of ALGORITHM_NAMES) {
  test(`${name}: training starts from the saved policy's weights and observation statistics`, async (t) => {
    const tiny = TINY[name];
    if (tiny === undefined) return t.fail(`no tiny budget for ${name}: add one to TINY`);
    const spec = algorithm(name);
    const makeEnv = tiny.env ?? (() => new TwoArmedBandit());
    const options = (seed: number, learningRate: number) => ({
      totalSteps: tiny.steps,
      seed,
      hyperparameters: { ...tiny.hyperparameters, learningRate },
      ...(tiny.costLimit !== undefined ? { costLimit: tiny.costLimit } : {}),
    });
    const source = loadPolicy(savePolicy(join(dir, `${name}-source`), await spec.train(makeEnv, options(1, 1e-3))));
    // A learning rate of 1e-30 leaves every weight where training started (to ~1e-30): the saved one.
    const continued = await spec.train(makeEnv, { ...options(2, 1e-30), init: { source: 'source', policy: source } });
    const fresh = await spec.train(makeEnv, options(2, 1e-30));
    t.true(maxAbsDiff(continued.params.data, source.params.data) < 1e-20, 'the weights started as the saved ones');
    t.true(maxAbsDiff(fresh.params.data, source.params.data) > 1e-3, 'without init, seed 2 starts elsewhere');
    // The observation statistics continue from the saved ones: the count adds this run's observations.
    const saved = source.normalization?.getState();
    const now = continued.normalization?.getState();
    t.truthy(saved);
    t.true((saved?.count ?? 0) > tiny.steps, 'the source counted its own observations');
    t.true((now?.count ?? 0) > (saved?.count ?? 0) + tiny.steps / 2, 'the count went on from the saved one (fresh statistics would count about tiny.steps)');
  });
}

test('the learner refuses a saved policy whose network differs, naming what differs', async (t) => {
  const source = await algorithm('ppo').train(() => new TwoArmedBandit(), { totalSteps: 32, seed: 1, hyperparameters: { nSteps: 32, batchSize: 16, nEpochs: 1 } });
  const envs = new SyncVectorEnv([() => new TwoArmedBandit()]);
  const learner = (netArch: number[], normalizeObservations = false) =>
    createLearner({
      envs,
      algorithm: 'ppo',
      network: { kind: 'actor-critic', actionSize: 2, continuous: false, netArch, activation: 'tanh', dueling: false, distribution: 'categorical' },
      init: { init: 'orthogonal' },
      rng: new Rng(3),
      normalizeObservations,
      adamEps: 1e-5,
      hyperparameters: {},
      backend: 'wasm',
      seed: 3,
      from: { source: 'saved/1', policy: source },
    });
  t.throws(() => learner([32]), { message: 'saved/1: its network\'s netArch is [64,64], the one being trained has [32]' });
  t.throws(() => learner([64, 64], true), { message: 'saved/1: it was trained without observation normalisation; set train.hyperparameters.normalizeObservations to false to start from it' });
  t.deepEqual(learner([64, 64]).params.data, source.params.data);
});

test.serial('a run from another run: seed s starts from the source\'s seed s; the manifests record the sources', async (t) => {
  const config = writeConfig(dir, 'ppo.yaml', TINY_PPO);
  const source = join(dir, 'source');
  t.is((await runMain(['train', config, '--out', source, '--quiet'])).code, 0);
  const out = join(dir, 'continued');
  const r = await runMain(['run', config, '--out', out, '--quiet', '--set', `train.init=${source}`]);
  t.is(r.code, 0, r.stderr);
  const manifest = readManifest(join(out, 'manifest.json'));
  t.deepEqual(manifest.init, { '1': join(source, 'policies', '1'), '2': join(source, 'policies', '2') });
  t.is(manifest.trainedSteps, 128);
  for (const seed of [1, 2]) {
    const checkpoint = JSON.parse(readFileSync(join(out, 'policies', String(seed), 'manifest.json'), 'utf8')) as { init: Record<string, unknown>; envOptions: Record<string, unknown> };
    const weights = readFileSync(join(source, 'policies', String(seed), 'weights.bin'));
    t.deepEqual(checkpoint.init, { dir: join(source, 'policies', String(seed)), algorithm: 'ppo', seed, totalSteps: 128, weightsSha256: createHash('sha256').update(weights).digest('hex') });
    t.deepEqual(checkpoint.envOptions, { maxEpisodeSteps: 500 });
  }
  // One checkpoint for every seed.
  const one = join(dir, 'one');
  t.is((await runMain(['train', config, '--out', one, '--quiet', '--set', `train.init=${join(source, 'policies', '2')}`])).code, 0);
  t.deepEqual(readManifest(join(one, 'manifest.json')).init, { '1': join(source, 'policies', '2'), '2': join(source, 'policies', '2') });
  const fresh = JSON.parse(readFileSync(join(source, 'policies', '1', 'manifest.json'), 'utf8')) as { init: unknown };
  t.is(fresh.init, null, 'a policy trained from fresh weights says so');
});

test.serial('incompatible policies are refused with one line before anything is written', async (t) => {
  // Two T1D sources: one adult in the continuous mode, one basal-relative.
  const t1d = (options: Record<string, unknown>, more: Record<string, unknown> = {}) => ({
    name: 't1d-init',
    env: { id: 'T1D-v0', options: { patient: 'adult#001', days: 0.05, ...options } },
    train: { algo: 'ppo', steps: 16, seeds: [1], hyperparameters: { nSteps: 16, batchSize: 16, nEpochs: 1 }, ...more },
    evaluate: { episodes: 1, methods: [more['algo'] === 'none' ? 'basal' : (more['algo'] ?? 'ppo')], bootstrap: 100 },
  });
  const continuous = join(dir, 't1d-continuous');
  t.is((await runMain(['train', writeConfig(dir, 'c.yaml', t1d({})), '--out', continuous, '--quiet'])).code, 0);
  const cartpole = join(dir, 'cartpole');
  t.is((await runMain(['train', writeConfig(dir, 'cp.yaml', { ...TINY_PPO, train: { ...TINY_PPO.train, seeds: [1] } }), '--out', cartpole, '--quiet'])).code, 0);
  const policy = join(continuous, 'policies', '1');
  const out = join(dir, 'refused');
  const cases: [Record<string, unknown>, string][] = [
    [t1d({ window: 6 }, { init: policy }), `train.init: ${policy}: its observation space`],
    [t1d({ patient: 'adult#002' }, { init: policy }), `train.init: ${policy}: its action space`],
    [t1d({}, { init: join(cartpole, 'policies') }), `train.init: ${join(cartpole, 'policies', '1')} is a policy for "CartPole-v1", but env.id is T1D-v0`],
    [t1d({ action: 'discrete' }, { algo: 'dqn', init: policy, hyperparameters: { learningStarts: 4, targetUpdateInterval: 8 } }), `train.init: ${policy} is a "ppo" policy, but train.algo is dqn; a checkpoint holds only its own algorithm's networks, so start dqn from a dqn policy`],
    [t1d({}, { init: policy, hyperparameters: { nSteps: 16, batchSize: 16, nEpochs: 1, normalizeObservations: true } }), `train.hyperparameters.normalizeObservations: true, but ${policy} was trained without observation normalisation (part of the policy); set it to false to start from it`],
    [t1d({}, { init: policy, hyperparameters: { nSteps: 16, batchSize: 16, nEpochs: 1, activation: 'relu' } }), `train.hyperparameters.activation: "relu", but ${policy} was trained with "tanh"; a policy keeps its network to start a run`],
    [t1d({}, { init: join(continuous, 'policies'), seeds: [5] }), `train.init: ${join(continuous, 'policies')} holds no saved policy for seed 5`],
    [t1d({}, { init: join(dir, 'nowhere') }), `train.init: ${join(dir, 'nowhere')} is not a directory`],
    [t1d({}, { algo: 'none', init: policy, hyperparameters: {} }), 'train.init: given, but train.algo is none (nothing is trained)'],
  ];
  for (const [config, message] of cases) {
    const r = await runMain(['run', writeConfig(dir, 'refused.yaml', config), '--out', out, '--quiet']);
    t.true(oneLine(t, r).startsWith(message), `${oneLine(t, r)}\n  should start with\n${message}`);
    t.false(existsSync(out));
  }
});
