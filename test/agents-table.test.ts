/**
 * The algorithm table (agents/index.ts): the names every layer accepts, training.csv's column
 * contract and each algorithm's row, lazy loading (the run plan and the config schema load no
 * TensorFlow.js), checkpoints naming the table, and the hyperparameter combinations the plan
 * rejects, checked against what training actually does.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../envs/index.ts';
import { initBackend } from '../agents/common/backend.ts';
import { loadPolicy, savePolicy } from '../agents/common/checkpoint.ts';
import { ChainMDP, ScriptedEpisodes, TwoArmedBandit } from '../agents/common/toy-envs.ts';
import type { UpdateStats } from '../agents/common/training.ts';
import { ALGORITHM_NAMES, TRAINING_COLUMNS, algorithm, parseDqnHyperparameters, parsePpoHyperparameters, trainingRow } from '../agents/index.ts';
import { train as trainDqn } from '../agents/dqn.ts';
import { train as trainPpo } from '../agents/ppo.ts';
import { CONFIG_HELP, TRAIN_ALGOS, parseExperiment } from '../src/config/experiment.ts';
import { planExperiment } from '../src/run/plan.ts';
import { toCsv } from '../src/io/csv.ts';
import { ROOT } from './fixtures/experiments/helpers.ts';

test.before(async () => {
  await initBackend('wasm');
});

// ---- names ----

test('the table names the algorithms every layer accepts; an unknown one lists them', (t) => {
  t.deepEqual([...ALGORITHM_NAMES], ['ppo', 'dqn', 'ppo-lagrangian', 'sac']);
  t.deepEqual([...TRAIN_ALGOS], ['ppo', 'dqn', 'ppo-lagrangian', 'sac', 'none']);
  t.true(CONFIG_HELP.includes('train.algo             ppo | dqn | ppo-lagrangian | sac | none (evaluate baselines only) [ppo]'));
  t.throws(() => parseExperiment({ name: 'x', env: { id: 'CartPole-v1' }, train: { algo: 'a2c' } }), {
    message: 'train.algo: expected one of ppo, dqn, ppo-lagrangian, sac, none, got "a2c"',
  });
  t.throws(() => algorithm('a2c'), { name: 'UserError', message: "train.algo: unknown algorithm 'a2c'; allowed: ppo, dqn, ppo-lagrangian, sac" });
  t.deepEqual(algorithm('dqn').actionSpaces, ['discrete']);
  t.deepEqual(algorithm('sac').actionSpaces, ['box']);
  // The plan names the algorithms that fit the env's action space.
  t.throws(() => planExperiment(parseExperiment({ name: 'x', env: { id: 'CartPole-v1' }, train: { algo: 'sac' }, evaluate: { methods: ['sac'] } })), {
    message: /^train\.algo: sac needs a box action space, but CartPole-v1 with these options has Discrete\(2\); use ppo, dqn, ppo-lagrangian$/,
  });
  t.deepEqual(algorithm('ppo-lagrangian').actionSpaces, ['discrete', 'box']);
  t.deepEqual(ALGORITHM_NAMES.filter((n) => algorithm(n).needsCostBudget), ['ppo-lagrangian']);
});

test('a checkpoint whose algorithm is not in the table is refused, naming the table', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dosegym-table-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const policy = await trainPpo(() => new TwoArmedBandit(), { totalSteps: 64, seed: 1, hyperparameters: { nSteps: 64, nEpochs: 1 } });
  const path = savePolicy(join(dir, 'p'), policy);
  const manifest = join(path, 'manifest.json');
  writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('"algorithm": "ppo"', '"algorithm": "a2c"'));
  t.throws(() => loadPolicy(path), { message: `${manifest}: algorithm: expected one of ppo, dqn, ppo-lagrangian, sac, got a2c` });
});

// ---- training.csv ----

test('training.csv keeps its columns; each algorithm fills its own and leaves the others NaN', (t) => {
  t.deepEqual(
    [...TRAINING_COLUMNS],
    [
      'seed', 'update', 'steps', 'episodes', 'episode_return', 'episode_length', 'episode_cost', 'loss_policy', 'loss_value', 'loss_entropy', 'loss_q', 'approx_kl', 'clip_fraction', 'entropy', 'learning_rate', 'exploration_rate', 'lagrange', 'cost_rate', 'steps_per_s',
      // appended by the clinical-evidence work: the delivered dose, the mean deterministic action, SAC's temperature
      'dose_mean', 'dose_sd', 'action_mean', 'entropy_coef',
    ],
  );
  for (const name of ALGORITHM_NAMES) {
    for (const column of Object.keys(algorithm(name).trainingColumns)) t.true((TRAINING_COLUMNS as readonly string[]).includes(column), `${name}: ${column}`);
  }
  const base: UpdateStats = {
    algorithm: 'x', update: 3, steps: 300, totalSteps: 1000, episodes: 7, recentReturn: 12.5, recentLength: 50, recentCost: 2,
    losses: { policy: -0.1, value: 0.5, entropy: -0.7, approxKl: 0.01, clipFraction: 0.2, q: 0.3 },
    entropy: 0.7, learningRate: 3e-4, explorationRate: 0.05, gradientSteps: 40, stepsPerSecond: 1234.4, elapsedSeconds: 1,
    doseMean: 1.25, doseSd: 0.5, actionMean: 1.1,
  };
  const ppo = trainingRow(algorithm('ppo'), 2, base);
  t.deepEqual(Object.keys(ppo), [...TRAINING_COLUMNS]);
  t.like(ppo, { seed: 2, update: 3, steps: 300, episodes: 7, episode_return: 12.5, episode_length: 50, episode_cost: 2, loss_policy: -0.1, loss_value: 0.5, loss_entropy: -0.7, approx_kl: 0.01, clip_fraction: 0.2, entropy: 0.7, learning_rate: 3e-4, cost_rate: 0.04, steps_per_s: 1234, dose_mean: 1.25, dose_sd: 0.5, action_mean: 1.1 });
  for (const c of ['loss_q', 'exploration_rate', 'lagrange', 'entropy_coef'] as const) t.true(Number.isNaN(ppo[c]), `ppo ${c}`);
  // An env without a delivered dose (classic control): empty cells, not NaN.
  const noDose = trainingRow(algorithm('ppo'), 2, { ...base, doseMean: null, doseSd: null });
  t.is(noDose.dose_mean, null);
  t.true(toCsv(TRAINING_COLUMNS, [noDose]).split('\n')[1]?.endsWith(',1234,,,1.1,NaN'));

  const dqn = trainingRow(algorithm('dqn'), 2, { ...base, entropy: NaN });
  t.like(dqn, { loss_q: 0.3, exploration_rate: 0.05, cost_rate: 0.04 });
  for (const c of ['loss_policy', 'loss_value', 'approx_kl', 'entropy', 'lagrange'] as const) t.true(Number.isNaN(dqn[c]), `dqn ${c}`);

  // PPO-Lagrangian's multiplier and its cost rate since the start of training (not the recent episodes').
  const lag = trainingRow(algorithm('ppo-lagrangian'), 2, { ...base, lagrange: 1.5, costRate: 0.01 } as UpdateStats);
  t.like(lag, { loss_policy: -0.1, lagrange: 1.5, cost_rate: 0.01 });
  t.true(Number.isNaN(lag.loss_q));

  // SAC: the critics' loss, the actor's loss, the entropy estimate and the temperature.
  const sac = trainingRow(algorithm('sac'), 2, { ...base, losses: { q: 0.3, policy: -4 }, entropy: 0.2, entropyCoef: 0.05 } as UpdateStats);
  t.like(sac, { loss_q: 0.3, loss_policy: -4, entropy: 0.2, entropy_coef: 0.05, dose_mean: 1.25, action_mean: 1.1 });
  for (const c of ['loss_value', 'loss_entropy', 'approx_kl', 'exploration_rate', 'lagrange'] as const) t.true(Number.isNaN(sac[c]), `sac ${c}`);
  // Before the first episode ends the episode columns are NaN, never a crash.
  t.true(Number.isNaN(trainingRow(algorithm('ppo'), 1, { ...base, recentReturn: NaN, recentLength: NaN, recentCost: NaN }).cost_rate));
});

test('every algorithm reports the delivered dose and its spread over exactly the steps since its last report, and the mean action', async (t) => {
  // Four-step episodes with cost 1 on odd steps: read as a dose of 10 x cost, every block of 8 steps delivers 10, 0, 10, 0, ... (mean 5, SD 5).
  const make = (name: string) => () => new ScriptedEpisodes({ length: 4, truncate: false, reward: () => 0, cost: (k) => k % 2, box: name === 'sac' });
  const small: Record<string, Record<string, unknown>> = {
    ppo: { nSteps: 8, batchSize: 8, nEpochs: 1 },
    'ppo-lagrangian': { nSteps: 8, batchSize: 8, nEpochs: 1 },
    dqn: { learningStarts: 8, batchSize: 8, targetUpdateInterval: 8 },
    sac: { learningStarts: 8, batchSize: 8, netArch: [8] },
  };
  for (const name of ALGORITHM_NAMES) {
    const stats: UpdateStats[] = [];
    const options = { totalSteps: 32, seed: 1, logInterval: 8, costLimit: 1, hyperparameters: small[name], onUpdate: (s: UpdateStats) => stats.push(s) };
    await algorithm(name).train(make(name), { ...options, deliveredDose: (info) => 10 * (info['cost'] as number) });
    t.is(stats.length, 4, name);
    for (const s of stats) {
      t.like(s, { doseMean: 5, doseSd: 5 }, name);
      // Discrete(2): the mean greedy action index; Box(-1, 1): the mean deterministic action.
      t.true(name === 'sac' ? s.actionMean > -1 && s.actionMean < 1 : s.actionMean >= 0 && s.actionMean <= 1, `${name} action_mean ${s.actionMean}`);
    }
    stats.length = 0;
    await algorithm(name).train(make(name), options);
    t.true(stats.every((s) => s.doseMean === null && s.doseSd === null && Number.isFinite(s.actionMean)), `${name} without a dose`);
  }
});

// ---- lazy loading ----

/** The TensorFlow.js globals a child process has after importing `modules` (tfjs-core sets them when loaded). */
function tfGlobalsAfterImporting(...modules: string[]): string[] {
  const script = `for (const m of ${JSON.stringify(modules)}) await import(m); console.log(JSON.stringify(Object.keys(globalThis).concat(Object.getOwnPropertyNames(globalThis)).filter((k) => k.startsWith('_tf'))));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  return [...new Set(JSON.parse(out.trim().split('\n').at(-1) as string) as string[])].sort();
}

test('importing the run plan, the config schema or the table loads no TensorFlow.js; importing an agent does', (t) => {
  t.deepEqual(tfGlobalsAfterImporting('./src/run/plan.ts', './src/config/experiment.ts', './agents/index.ts', './src/run/trainer.ts'), []);
  // The probe itself works: an agent's module loads tfjs-core, which creates its engine global.
  t.deepEqual(tfGlobalsAfterImporting('./agents/ppo.ts'), ['_tfGlobals', '_tfengine']);
});

test("the table's train loads the agent on demand and trains exactly as the agent's own train", async (t) => {
  const options = { totalSteps: 128, seed: 4, hyperparameters: { nSteps: 64, batchSize: 32, nEpochs: 2 } };
  const viaTable = await algorithm('ppo').train(() => new TwoArmedBandit(0.1), options);
  const direct = await trainPpo(() => new TwoArmedBandit(0.1), options);
  t.deepEqual(Array.from(viaTable.params.data), Array.from(direct.params.data));
  t.is(viaTable.algorithm, 'ppo');
  await t.throwsAsync(algorithm('ppo-lagrangian').train(() => new TwoArmedBandit(), options), { message: /^train\.costLimit: ppo-lagrangian needs the episode cost budget/ });
});

// ---- hyperparameters that cannot work together ----

const cartpole = (train: Record<string, unknown>) => parseExperiment({ name: 'compat', env: { id: 'CartPole-v1' }, train: { seeds: [1], ...train }, evaluate: { methods: [train['algo']] } });

test('the plan rejects a PPO minibatch larger than the rollout, naming the field and the rollout', (t) => {
  const hp = { nSteps: 512, numEnvs: 4, batchSize: 4096 };
  for (const algo of ['ppo', 'ppo-lagrangian']) {
    t.throws(() => planExperiment(cartpole({ algo, steps: 8192, ...(algo === 'ppo-lagrangian' ? { costLimit: 1 } : {}), hyperparameters: hp })), {
      name: 'UserError',
      message: 'train.hyperparameters.batchSize: 4096 is larger than the rollout (nSteps 512 x numEnvs 4 = 2048); use a batchSize of at most 2048 or raise nSteps',
    });
  }
  // A minibatch of the whole rollout is fine.
  t.is(planExperiment(cartpole({ algo: 'ppo', steps: 8192, hyperparameters: { ...hp, batchSize: 2048 } })).hyperparameters['batchSize'], 2048);
});

test('the plan rejects DQN schedules that end before learning or target updates begin', (t) => {
  const plan = (steps: number, hyperparameters: Record<string, unknown>) => planExperiment(cartpole({ algo: 'dqn', steps, hyperparameters: { targetUpdateInterval: 100, ...hyperparameters } }));
  t.throws(() => plan(1000, { learningStarts: 1000 }), {
    message: 'train.hyperparameters.learningStarts: 1000 is at or beyond train.steps (1000), so DQN would never learn; lower it or train longer',
  });
  t.throws(() => plan(5000, { targetUpdateInterval: 10000 }), {
    message: 'train.hyperparameters.targetUpdateInterval: 10000 is at or beyond train.steps (5000), so the target network would never be updated; lower it or train longer',
  });
  t.throws(() => plan(1000, { learningStarts: 900, trainFreq: 300 }), {
    message: 'train.hyperparameters.trainFreq: 300 vector steps between updates leaves no update between learningStarts (900) and train.steps (1000); lower it or train longer',
  });
  t.notThrows(() => plan(1000, { learningStarts: 999 }));
  t.notThrows(() => plan(1000, { targetUpdateInterval: 999 }));
  // SB3's defaults need a run of more than 10,000 steps (the target update interval).
  t.throws(() => planExperiment(cartpole({ algo: 'dqn', steps: 5000 })), { message: /^train\.hyperparameters\.targetUpdateInterval: 10000 is at or beyond train\.steps \(5000\)/ });
});

test('the DQN check rejects exactly the schedules under which training takes no gradient step', async (t) => {
  const totalSteps = 200;
  const cases = [
    { numEnvs: 1, learningStarts: 150, trainFreq: 50 },
    { numEnvs: 1, learningStarts: 150, trainFreq: 70 },
    { numEnvs: 1, learningStarts: 199, trainFreq: 1 },
    { numEnvs: 3, learningStarts: 150, trainFreq: 10 },
    { numEnvs: 3, learningStarts: 150, trainFreq: 40 },
    { numEnvs: 4, learningStarts: 196, trainFreq: 1 },
    { numEnvs: 4, learningStarts: 100, trainFreq: 25 },
    { numEnvs: 4, learningStarts: 100, trainFreq: 51 },
  ];
  const verdicts: boolean[] = [];
  for (const c of cases) {
    const hyperparameters = { ...c, targetUpdateInterval: 50, batchSize: 8 };
    let rejected = false;
    try {
      algorithm('dqn').checkCompatibility(parseDqnHyperparameters(hyperparameters), { totalSteps });
    } catch {
      rejected = true;
    }
    const stats: UpdateStats[] = [];
    await trainDqn(() => new ChainMDP(5, 20), { totalSteps, seed: 1, logInterval: totalSteps, hyperparameters, onUpdate: (s) => stats.push(s) });
    const gradientSteps = (stats.at(-1) as UpdateStats).gradientSteps;
    t.is(rejected, gradientSteps === 0, `${JSON.stringify(c)}: ${gradientSteps} gradient steps, ${rejected ? 'rejected' : 'accepted'}`);
    verdicts.push(rejected);
  }
  t.deepEqual(verdicts, [false, true, false, false, true, false, false, true], 'both outcomes are exercised');
  t.notThrows(() => algorithm('ppo').checkCompatibility(parsePpoHyperparameters({ nSteps: 8, numEnvs: 2, batchSize: 16 }), { totalSteps }));
});
