/**
 * The on-policy core (agents/common/on-policy.ts) that PPO and PPO-Lagrangian share, on a hand-made
 * env whose every number is known: what a rollout records (raw rewards, costs from the ended step's
 * info, episode ends, every critic's values including V(final observation) of truncated episodes),
 * the truncation bootstrap in the GAE, the finished episodes' costs, and the minibatch epochs
 * (a permutation per epoch; breaking out draws no further permutation, as SB3's KL early stop).
 */
import test from 'ava';
import { initBackend } from '../agents/common/backend.ts';
import { DivergenceGuard } from '../agents/common/divergence.ts';
import { createLearner } from '../agents/common/learner.ts';
import { OnPolicyRun, minibatches, rolloutGae, shuffleInPlace } from '../agents/common/on-policy.ts';
import { ScriptedEpisodes } from '../agents/common/toy-envs.ts';
import { Rng } from '../src/core/rng.ts';
import { SyncVectorEnv } from '../src/core/vector.ts';

test.before(async () => {
  await initBackend('wasm');
});

/** Observation [t]; reward 10 t + e after step t of env e; cost 1 on odd t; env 0 is truncated (time limit) after 3 steps, env 1 terminates after 2. */
const counter = (e: number) => new ScriptedEpisodes({ length: e === 0 ? 3 : 2, truncate: e === 0, reward: (t) => 10 * t + e, cost: (t) => t % 2 });

function counterRun(): OnPolicyRun {
  const envs = new SyncVectorEnv([() => counter(0), () => counter(1)]);
  const rng = new Rng(1);
  const learner = createLearner({
    envs,
    algorithm: 'ppo',
    network: { kind: 'actor-critic', actionSize: 2, continuous: false, netArch: [4], activation: 'tanh', dueling: false, distribution: 'categorical' },
    init: { init: 'orthogonal' },
    rng,
    normalizeObservations: false,
    adamEps: 1e-5,
    hyperparameters: {},
    backend: 'wasm',
    seed: 1,
    from: undefined,
  });
  // Two critics with known values: 100 x the observation, and 1 minus it.
  const critics = [(x: ArrayLike<number>, rows: number) => Array.from({ length: rows }, (_, r) => 100 * (x[r] as number)), (x: ArrayLike<number>, rows: number) => Array.from({ length: rows }, (_, r) => 1 - (x[r] as number))];
  return new OnPolicyRun({ envs, learner, critics, rng: rng.child('actions'), guard: new DivergenceGuard({ learningRate: 1, rewardSource: 'test' }), seed: 0, nSteps: 4, totalSteps: 20, onUpdate: undefined });
}

test('a rollout records raw rewards, costs, episode ends and every critic, with V(final observation) where truncated', (t) => {
  const run = counterRun();
  t.is(run.numUpdates, 3, '20 steps in rollouts of 4 x 2 = 8, rounded up');
  const buf = run.collect();
  // Index t * 2 + e. Env 0: t = 1, 2, 3 (truncated), 1; env 1: t = 1, 2 (terminated), 1, 2 (terminated).
  t.deepEqual(Array.from(buf.rewards), [10, 11, 20, 21, 30, 11, 10, 21]);
  t.deepEqual(Array.from(buf.costs), [1, 1, 0, 0, 1, 1, 1, 0]);
  t.deepEqual(Array.from(buf.truncated), [0, 0, 0, 0, 1, 0, 0, 0]);
  t.deepEqual(Array.from(buf.terminated), [0, 0, 0, 1, 0, 0, 0, 1]);
  // The observations the critics saw: each step's observation before acting (0 after a reset).
  t.deepEqual(Array.from(buf.obs), [0, 0, 1, 1, 2, 0, 0, 1]);
  t.deepEqual(Array.from(buf.values[0] as Float64Array), [0, 0, 100, 100, 200, 0, 0, 100]);
  t.deepEqual(Array.from(buf.values[1] as Float64Array), [1, 1, 0, 0, -1, 1, 1, 0]);
  // V(final observation) of env 0's truncated episode: its last observation was [3].
  t.is(buf.finalValues[0]?.[4], 300);
  t.is(buf.finalValues[1]?.[4], -2);
  // V(s_T): env 0 has taken 1 step of its new episode, env 1 was just reset.
  t.deepEqual(Array.from(buf.lastValues[0] as Float64Array), [100, 0]);
  // Finished episodes in the order they ended, with their summed costs: env 1 (1 + 0), env 0 (1 + 0 + 1), env 1 again.
  t.deepEqual(buf.episodeCosts, [1, 2, 1]);
  t.is(run.totalCost, 5);
  t.is(run.steps, 8);
  t.is(run.tracker.episodes, 3);
  t.deepEqual(run.tracker.recentReturns, [32, 60, 32]);
  // The next rollout continues the running episodes (env 0's cost so far counts) and lists only its own.
  const next = run.collect();
  t.deepEqual(Array.from(next.rewards.subarray(0, 2)), [20, 11]);
  t.deepEqual(next.episodeCosts, [2, 1, 1]);
  t.is(run.steps, 16);
});

test('rolloutGae bootstraps a truncated episode from V(final observation) and cuts at a terminated one', (t) => {
  const run = counterRun();
  const buf = run.collect();
  const gamma = 0.5;
  const { advantages, returns } = rolloutGae(buf, buf.rewards, 0, gamma, 1, new DivergenceGuard({ learningRate: 1, rewardSource: 'test' }));
  // lambda = 1: the return is the discounted sum to the episode's end, plus the bootstrap.
  // Env 0 (t = 1, 2, 3 truncated with V(final) = 300): R_2 = 30 + 0.5 * 300 = 180; R_1 = 20 + 90 = 110; R_0 = 10 + 55 = 65.
  t.deepEqual([returns[0], returns[2], returns[4]], [65, 110, 180]);
  // Its new episode at the rollout's end bootstraps from V(s_T) = 100: R_6 = 10 + 50 = 60.
  t.is(returns[6], 60);
  // Env 1 terminates at t = 1 and 3: no bootstrap. R_1 = 11 + 0.5 * 21 = 21.5, R_3 = 21.
  t.deepEqual([returns[1], returns[3], returns[5], returns[7]], [21.5, 21, 21.5, 21]);
  for (let i = 0; i < 8; i++) t.is(advantages[i], (returns[i] as number) - (buf.values[0]?.[i] as number));
  // The cost signal with the second critic: env 0's truncated step adds 0.5 * V_C(final) = 0.5 * -2 to its cost 1.
  const cost = rolloutGae(buf, buf.costs, 1, gamma, 1, new DivergenceGuard({ learningRate: 1, rewardSource: 'test' }));
  t.is(cost.returns[4], 0);
  t.is(cost.returns[3], 0, 'a terminated step: its cost only');
});

test('minibatches: a permutation per epoch in batches; breaking out draws no further permutation', (t) => {
  const seen: number[][] = [];
  for (const idx of minibatches(10, 4, 2, new Rng(3))) seen.push(Array.from(idx));
  t.deepEqual(seen.map((b) => b.length), [4, 4, 2, 4, 4, 2]);
  t.deepEqual([...seen.slice(0, 3).flat()].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  t.deepEqual([...seen.slice(3).flat()].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  t.notDeepEqual(seen.slice(0, 3).flat(), seen.slice(3).flat(), 'each epoch reshuffles');

  // KL early stop after the first minibatch: the stream has drawn exactly one permutation.
  const rng = new Rng(3);
  for (const idx of minibatches(10, 4, 2, rng)) {
    t.is(idx.length, 4);
    break;
  }
  const reference = new Rng(3);
  shuffleInPlace(Int32Array.from({ length: 10 }, (_, i) => i), reference);
  t.is(rng.uniform(), reference.uniform());
});
