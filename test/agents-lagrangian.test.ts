/**
 * PPO-Lagrangian (agents/ppo-lagrangian.ts): on the RiskyPath toy (envs/toy/risky-path.ts) plain
 * PPO takes the hazardous short route and exceeds the episode cost budget, while PPO-Lagrangian
 * with the same seed raises its multiplier, keeps its training cost at the budget and ends on the
 * safe route. Also the multiplier update, the penalised advantage and the cost GAE on hand-computed
 * numbers, determinism, reduction to PPO at lambda = 0, the checkpoint and option errors.
 */
import test from 'ava';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../envs/index.ts';
import { initBackend } from '../agents/common/backend.ts';
import { loadPolicy, savePolicy } from '../agents/common/checkpoint.ts';
import type { TrainedPolicy } from '../agents/common/policy.ts';
import type { UpdateStats } from '../agents/common/training.ts';
import { bootstrappedGae } from '../agents/common/gae.ts';
import { parsePpoLagrangianHyperparameters } from '../agents/index.ts';
import { quantile } from '../src/core/stats.ts';
import { greedyEpisodeCosts, lagrangianAdvantages, multiplierCost, pidLagrange, train as trainLagrangian, updateLagrange, type LagrangianUpdateStats, type PpoLagrangianTrainOptions } from '../agents/ppo-lagrangian.ts';
import { train as trainPpo } from '../agents/ppo.ts';
import { FORWARD, RiskyPath, SWITCH_LANE } from '../envs/toy/risky-path.ts';
import { checkEnv } from '../src/core/check-env.ts';

test.before(async () => {
  await initBackend('wasm');
});

const BUDGET = 1; // cost units (hazard steps) per episode
const SEED = 1;
/** Small, fast settings shared by both algorithms (32 updates of 2 x 256 steps). */
const HP = { nSteps: 256, numEnvs: 2, batchSize: 64, nEpochs: 4, learningRate: 1e-3, entCoef: 0.01, netArch: [32, 32] };
const TOTAL_STEPS = 16_384;
/** A larger multiplier step than the default 0.05: 32 rollouts of ~100 episodes each, not hundreds of epochs. */
const LAGRANGE = { lagrangeLr: 0.3 };

function close(t: { true(v: boolean, m?: string): void }, actual: number, expected: number, tol: number, what: string): void {
  t.true(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected} (tol ${tol})`);
}

/** Run one episode of RiskyPath with a fixed action sequence or a policy; returns its return and cost. */
function episode(act: (obs: Float32Array, t: number) => number): { ret: number; cost: number; steps: number } {
  const env = new RiskyPath();
  let { observation } = env.reset({ seed: 0 });
  let ret = 0;
  let cost = 0;
  for (let t = 0; ; t++) {
    const r = env.step(act(observation, t));
    ret += r.reward;
    cost += r.info.cost ?? 0;
    observation = r.observation;
    if (r.terminated || r.truncated) return { ret, cost, steps: t + 1 };
  }
}

const greedyEpisode = (policy: TrainedPolicy) => episode((obs) => policy.act(obs, { deterministic: true, info: {} }) as number);

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

// ---- the toy environment ----

test('RiskyPath: the short route costs 3 hazard steps, the detour none and pays less', (t) => {
  const risky = episode(() => FORWARD);
  t.is(risky.steps, 4);
  t.is(risky.cost, 3);
  close(t, risky.ret, 0.6, 1e-12, 'risky return');
  const safe = episode((_o, step) => (step === 0 || step === 5 ? SWITCH_LANE : FORWARD));
  t.is(safe.steps, 6);
  t.is(safe.cost, 0);
  close(t, safe.ret, 0.4, 1e-12, 'safe return');
  const dithering = episode(() => SWITCH_LANE); // never reaches the goal: truncated at the time limit
  t.is(dithering.steps, 20);
  t.is(dithering.cost, 0);
  checkEnv(new RiskyPath());
});

// ---- the learning claim ----

test('plain PPO exceeds the cost budget on RiskyPath; PPO-Lagrangian evaluates within it, its training cost settling at the budget', async (t) => {
  const ppoStats: UpdateStats[] = [];
  const ppo = await trainPpo(() => new RiskyPath(), { totalSteps: TOTAL_STEPS, seed: SEED, hyperparameters: HP, onUpdate: (s) => ppoStats.push(s) });
  const lagStats: LagrangianUpdateStats[] = [];
  const lag = await trainLagrangian(() => new RiskyPath(), {
    totalSteps: TOTAL_STEPS,
    seed: SEED,
    costLimit: BUDGET,
    hyperparameters: { ...HP, ...LAGRANGE },
    onUpdate: (s) => lagStats.push(s as LagrangianUpdateStats),
  });
  t.is(lagStats.length, 32);

  // Evaluation (deterministic policy): PPO takes the hazard, PPO-Lagrangian the detour.
  const ppoEval = greedyEpisode(ppo);
  const lagEval = greedyEpisode(lag);
  t.is(ppoEval.cost, 3, 'PPO: greedy episode cost');
  t.true(ppoEval.cost > BUDGET);
  t.is(lagEval.cost, 0, 'PPO-Lagrangian: greedy episode cost');
  t.true(lagEval.cost <= BUDGET);
  close(t, lagEval.ret, 0.4, 1e-9, 'PPO-Lagrangian: greedy return (the detour)');

  // Training cost (stochastic policy): PPO's recent episodes cost ~3; PPO-Lagrangian's hover at the
  // budget over the second half of training, as the multiplier settles (the Lagrangian's fixed point).
  const ppoFinal = (ppoStats.at(-1) as UpdateStats).recentCost;
  t.true(ppoFinal > 2.5, `PPO's final mean episode cost ${ppoFinal}`);
  const secondHalf = lagStats.slice(16).map((s) => s.rolloutEpisodeCost);
  const lagSecondHalf = mean(secondHalf);
  t.true(lagSecondHalf <= 1.2 * BUDGET && lagSecondHalf >= 0.5 * BUDGET, `PPO-Lagrangian's mean episode cost over the second half ${lagSecondHalf}`);

  // The multiplier rose from 0 and is positive at the end (the constraint is active); the stats carry it.
  const lambdas = lagStats.map((s) => s.lagrange);
  t.is(parsePpoLagrangianHyperparameters({}).lagrangeInit, 0);
  t.true(Math.max(...lambdas) > 0.5, `max lambda ${Math.max(...lambdas)}`);
  t.true((lambdas.at(-1) as number) > 0);
  for (const s of lagStats) {
    t.is(s.losses.lagrange, s.lagrange);
    t.is(s.costLimit, BUDGET);
    t.true(s.costRate >= 0 && s.costRate <= 1, 'cost rate (hazard steps / env steps)');
  }
  // Cost rate = total cost / env steps: the first rollout's episodes of a near-uniform policy cost ~3 in ~10 steps.
  t.true((lagStats[0] as LagrangianUpdateStats).costRate > 0.1);
  t.true((lagStats.at(-1) as LagrangianUpdateStats).costRate < (lagStats[0] as LagrangianUpdateStats).costRate);
  t.log(
    `PPO: greedy return ${ppoEval.ret.toFixed(2)} cost ${ppoEval.cost}, final training cost ${ppoFinal.toFixed(2)}; ` +
      `PPO-Lagrangian: greedy return ${lagEval.ret.toFixed(2)} cost ${lagEval.cost}, 2nd-half training cost ${lagSecondHalf.toFixed(2)}, ` +
      `lambda max ${Math.max(...lambdas).toFixed(2)} final ${(lambdas.at(-1) as number).toFixed(2)}`,
  );
});

// ---- the pieces, on hand-computed numbers ----

test('lambda update: projected step lambda + lr (J_C - d), floored at 0', (t) => {
  close(t, updateLagrange(0, 3, 1, 0.05), 0.1, 1e-15, 'over budget raises lambda');
  close(t, updateLagrange(0.5, 0.2, 1, 0.5), 0.1, 1e-15, 'under budget lowers lambda');
  t.is(updateLagrange(0.1, 0, 1, 0.5), 0, 'projected onto lambda >= 0');
  t.is(updateLagrange(0, 0, 1, 0.05), 0, 'stays at 0 while within budget');
  t.is(updateLagrange(2, 1, 1, 0.3), 2, 'unchanged at the budget');
  t.is(updateLagrange(1.5, 7, 1, 0), 1.5, 'lr 0 freezes it');
});

test('PID multiplier (Stooke et al. 2020): integral, proportional and one-sided derivative terms, cost smoothing, hand-computed', (t) => {
  const gains = { lr: 0.1, kp: 2, kd: 0.5, ema: 0 };
  // Over budget: I = 1 + 0.1 (3 - 1) = 1.2; lambda = 1.2 + 2 (3 - 1) + 0.5 (3 - 1) = 6.2.
  const over = pidLagrange({ integral: 1, smoothedCost: 1 }, 3, 1, gains);
  close(t, over.lambda, 6.2, 1e-12, 'over budget, cost rising');
  t.deepEqual(over.state, { integral: 1.2, smoothedCost: 3 });
  // Under budget and falling: I = 1.2 - 0.1 x 0.8 = 1.12; lambda = max(0, 1.12 - 1.6 + 0) = 0 at once.
  const under = pidLagrange(over.state, 0.2, 1, gains);
  t.is(under.lambda, 0, 'the proportional term drops the multiplier as soon as the cost is within budget');
  close(t, under.state.integral, 1.12, 1e-12, 'while the integral only steps down');
  // No previous cost: no derivative term.
  close(t, pidLagrange({ integral: 0, smoothedCost: null }, 3, 1, gains).lambda, 0.2 + 4, 1e-12, 'first rollout');
  // The integral is floored at 0 like the plain multiplier.
  t.is(pidLagrange({ integral: 0.01, smoothedCost: 5 }, 0, 1, gains).state.integral, 0);
  // Smoothing (ema 0.75): S = 0.75 x 1 + 0.25 x 3 = 1.5 for P and D; the integral takes J_C = 3 itself.
  // lambda = (1 + 0.1 x 2) + 2 (1.5 - 1) + 0.5 (1.5 - 1) = 2.45.
  const smooth = pidLagrange({ integral: 1, smoothedCost: 1 }, 3, 1, { ...gains, ema: 0.75 });
  close(t, smooth.lambda, 2.45, 1e-12, 'smoothed P and D');
  t.deepEqual(smooth.state, { integral: 1.2, smoothedCost: 1.5 });
  // Kp = Kd = 0: the plain projected step, rollout after rollout (whatever the smoothing).
  let plain = 0.5;
  let state = { integral: 0.5, smoothedCost: null as number | null };
  for (const cost of [3, 0, 0.4, 7, 1, 0]) {
    plain = updateLagrange(plain, cost, 1, 0.3);
    const r = pidLagrange(state, cost, 1, { lr: 0.3, kp: 0, kd: 0, ema: 0.9 });
    state = r.state;
    t.is(r.lambda, plain);
  }
});

test('with the PID multiplier PPO-Lagrangian also evaluates within budget on RiskyPath; the multiplier follows the cost both ways', async (t) => {
  const stats: LagrangianUpdateStats[] = [];
  const policy = await trainLagrangian(() => new RiskyPath(), {
    totalSteps: TOTAL_STEPS,
    seed: SEED,
    costLimit: BUDGET,
    hyperparameters: { ...HP, ...LAGRANGE, lagrangeKp: 1, lagrangeKd: 0.5 },
    onUpdate: (s) => stats.push(s as LagrangianUpdateStats),
  });
  t.is(greedyEpisode(policy).cost, 0, 'greedy episode cost');
  // The multiplier in use is max(0, integral + Kp (J_C - d) + Kd rise), the integral and the rise
  // both >= 0: over budget it is at least Kp times the excess, from the first such rollout on.
  for (const s of stats) {
    if (Number.isNaN(s.rolloutEpisodeCost)) continue;
    if (s.rolloutEpisodeCost > BUDGET) t.true(s.lagrange >= 1 * (s.rolloutEpisodeCost - BUDGET) - 1e-9, `over budget (${s.rolloutEpisodeCost}) with lambda ${s.lagrange}: at least Kp times the excess`);
  }
  t.true(stats.some((s) => s.rolloutEpisodeCost < BUDGET), 'the policy came within budget during training');
});

test('lagrangeGreedyEpisodes: the multiplier reads the deterministic policy\'s episode cost, not the rollout\'s', async (t) => {
  // The cost of deterministic episodes on a fixed policy: the short route costs 3 per episode.
  const forward = { name: 'forward', act: () => FORWARD };
  t.deepEqual(greedyEpisodeCosts(new RiskyPath(), forward, SEED, 1, 2), [3, 3]);
  t.deepEqual(greedyEpisodeCosts(new RiskyPath(), { name: 'detour', act: (obs: unknown) => ((obs as Float32Array)[0] === 1 || (obs as Float32Array)[9] === 1 ? SWITCH_LANE : FORWARD) }, SEED, 1, 1), [0]);
  const stats: LagrangianUpdateStats[] = [];
  const policy = await trainLagrangian(() => new RiskyPath(), {
    totalSteps: TOTAL_STEPS,
    seed: SEED,
    costLimit: BUDGET,
    hyperparameters: { ...HP, ...LAGRANGE, lagrangeGreedyEpisodes: 1 },
    onUpdate: (s) => stats.push(s as LagrangianUpdateStats),
  });
  t.is(greedyEpisode(policy).cost, 0, 'greedy episode cost');
  // RiskyPath is deterministic: a deterministic episode's cost is a whole number of hazard steps,
  // while the rollout's mean over its episodes is not, whenever the sampled routes differ.
  t.true(stats.every((s) => Number.isInteger(s.multiplierCost)), `multiplier costs ${stats.map((s) => s.multiplierCost).join(' ')}`);
  t.true(stats.some((s) => !Number.isInteger(s.rolloutEpisodeCost) && !Number.isNaN(s.rolloutEpisodeCost)), 'some rollout mixed its routes');
  // The plain multiplier update, step by step, on the deterministic cost.
  let lambda = 0;
  for (const s of stats) {
    lambda = updateLagrange(lambda, s.multiplierCost, BUDGET, LAGRANGE.lagrangeLr);
    close(t, s.lagrange, lambda, 1e-12, `update ${s.update}`);
  }
  t.true(stats.some((s) => s.multiplierCost > BUDGET) || stats.every((s) => s.lagrange === 0), 'lambda rises only with an over-budget deterministic policy');
  // The deterministic episodes need an env of their own.
  await t.throwsAsync(trainLagrangian(new RiskyPath(), { totalSteps: 512, seed: SEED, costLimit: BUDGET, hyperparameters: { ...HP, numEnvs: 1, lagrangeGreedyEpisodes: 1 } }), {
    message: /^train\.hyperparameters\.lagrangeGreedyEpisodes: the deterministic cost episodes need an env of their own/,
  });
  t.throws(() => parsePpoLagrangianHyperparameters({ lagrangeGreedyEpisodes: 1.5 }), { message: /lagrangeGreedyEpisodes.*expected an integer >= 0/ });
});

test('the quantile multiplier reads the q-quantile of the recent episode costs (the chance constraint P(C <= d) >= q)', async (t) => {
  // numpy.quantile's default (linear interpolation between order statistics):
  // np.quantile([3, 0, 1, 7], [0, 0.5, 0.9, 1]) = [0, 2, 5.8, 7]; np.quantile([4], 0.95) = 4.
  close(t, quantile([3, 0, 1, 7], 0), 0, 0, 'q 0: the minimum');
  close(t, quantile([3, 0, 1, 7], 0.5), 2, 1e-12, 'the median');
  close(t, quantile([3, 0, 1, 7], 0.9), 5.8, 1e-12, 'q 0.9');
  t.is(quantile([3, 0, 1, 7], 1), 7, 'q 1: the maximum');
  t.is(quantile([4], 0.95), 4);
  t.true(Number.isNaN(quantile([], 0.5)));
  // Without a quantile, the mean of this rollout's episodes (the window is not touched).
  const window: number[] = [];
  t.is(multiplierCost([1, 2, 6], window, undefined, 5), 3);
  t.deepEqual(window, []);
  // With one, the window keeps the last 5 episode costs across rollouts, and J_C is their quantile.
  // Two patients in three within budget 1, one at 4: mean 2, but the 0.9-quantile is far above it.
  t.is(multiplierCost([0.5, 0.5, 4], window, 0.9, 5), quantile([0.5, 0.5, 4], 0.9));
  t.is(multiplierCost([0, 0, 0.2], window, 0.9, 5), quantile([0.5, 4, 0, 0, 0.2], 0.9));
  t.deepEqual(window, [0.5, 4, 0, 0, 0.2], 'the oldest episode left the window');
  t.true(Number.isNaN(multiplierCost([], window, 0.9, 5)), 'no finished episode: no reading, the multiplier stays');
  t.is(window.length, 5);
  // A mean at the budget leaves lambda where it is; the 0.9-quantile of the same costs raises it.
  const costs = [0, 0, 0, 0.5, 0.5, 0.5, 1, 2, 2.5, 3];
  t.is(updateLagrange(1, mean(costs), 1, 0.5), 1);
  t.true(updateLagrange(1, multiplierCost(costs, [], 0.9, 10), 1, 0.5) > 1, 'the quantile raises lambda');

  // In training: each update's multiplier reads the 0.9-quantile of the window, step by step.
  const stats: LagrangianUpdateStats[] = [];
  const hp = { ...HP, ...LAGRANGE, lagrangeCostQuantile: 0.9, lagrangeCostWindow: 40 };
  const policy = await trainLagrangian(() => new RiskyPath(), { totalSteps: TOTAL_STEPS, seed: SEED, costLimit: BUDGET, hyperparameters: hp, onUpdate: (s) => stats.push(s as LagrangianUpdateStats) });
  let lambda = 0;
  for (const s of stats) {
    if (!Number.isNaN(s.multiplierCost)) lambda = updateLagrange(lambda, s.multiplierCost, BUDGET, LAGRANGE.lagrangeLr);
    close(t, s.lagrange, lambda, 1e-12, `update ${s.update}`);
    // RiskyPath's episodes cost whole hazard steps, so a quantile of them is >= 0.
    t.true(Number.isNaN(s.multiplierCost) || s.multiplierCost >= 0, `update ${s.update}: J_C ${s.multiplierCost}`);
  }
  t.true(stats.some((s) => s.multiplierCost > s.rolloutEpisodeCost), 'the quantile reads above the mean while costs vary');
  t.is(greedyEpisode(policy).cost, 0, 'greedy episode within budget');
  // The window without a quantile is refused, naming both fields.
  t.throws(() => parsePpoLagrangianHyperparameters({ lagrangeCostWindow: 10 }), {
    message: /^train\.hyperparameters\.lagrangeCostWindow: only read with train\.hyperparameters\.lagrangeCostQuantile/,
  });
  t.throws(() => parsePpoLagrangianHyperparameters({ lagrangeCostQuantile: 0 }), { message: /lagrangeCostQuantile.*expected a number in \(0, 1\]/ });
  t.throws(() => parsePpoLagrangianHyperparameters({ lagrangeCostQuantile: 0.9, lagrangeCostWindow: 0 }), { message: /lagrangeCostWindow.*expected a positive integer/ });
});

test('penalised advantage (A_R - lambda A_C) / (1 + lambda), A_R normalised and A_C centred', (t) => {
  // A_R = [1, 3]: mean 2, std (Bessel) sqrt 2 -> [-1/sqrt2, 1/sqrt2]; A_C = [2, 0] centred -> [1, -1].
  const a = lagrangianAdvantages(new Float32Array([1, 3]), new Float32Array([2, 0]), 1, true);
  close(t, a[0] as number, (-Math.SQRT1_2 - 1) / 2, 1e-6, 'a0');
  close(t, a[1] as number, (Math.SQRT1_2 + 1) / 2, 1e-6, 'a1');
  const raw = lagrangianAdvantages(new Float32Array([1, 3]), new Float32Array([2, 0]), 3, false);
  close(t, raw[0] as number, (1 - 6) / 4, 1e-7, 'raw a0');
  close(t, raw[1] as number, 3 / 4, 1e-7, 'raw a1');
  const zero = lagrangianAdvantages(new Float32Array([0.5, -2]), new Float32Array([9, -9]), 0, false);
  t.deepEqual(Array.from(zero), [0.5, -2], 'lambda 0: the reward advantage unchanged');
});

test('cost GAE (the rollout GAE on costs): hand-computed, terminated cuts without bootstrap, truncated bootstraps V_C(final obs)', (t) => {
  // 2 envs x 3 steps, index t * 2 + e; costGamma 0.9, costGaeLambda 0.5.
  // env 0: costs 1, 0, 1; V_C 2, 1, 0.5; terminated at t = 1 (also flagged truncated: terminated wins); V_C(s_3) 0.8
  // env 1: costs 0, 1, 0; V_C 1, 1.5, 0.2; truncated at t = 1 with V_C(final obs) 2; V_C(s_3) 0.4
  const { advantages, returns } = bootstrappedGae({
    signal: [1, 0, 0, 1, 1, 0],
    values: [2, 1, 1, 1.5, 0.5, 0.2],
    terminated: [0, 0, 1, 0, 0, 0],
    truncated: [0, 0, 1, 1, 0, 0],
    finalValues: [0, 0, 100, 2, 0, 0],
    lastValues: [0.8, 0.4],
    numSteps: 3,
    numEnvs: 2,
    gamma: 0.9,
    lambda: 0.5,
  });
  // env 0: t2 delta = 1 + 0.9 * 0.8 - 0.5 = 1.22; t1 delta = 0 - 1 = -1 (terminal);
  //        t0 delta = 1 + 0.9 * 1 - 2 = -0.1, A = -0.1 + 0.45 * -1 = -0.55
  // env 1: t2 delta = 0 + 0.9 * 0.4 - 0.2 = 0.16; t1: cost 1 + 0.9 * 2 = 2.8, delta = 2.8 - 1.5 = 1.3;
  //        t0 delta = 0 + 0.9 * 1.5 - 1 = 0.35, A = 0.35 + 0.45 * 1.3 = 0.935
  const expectedA = [-0.55, 0.935, -1, 1.3, 1.22, 0.16];
  const expectedR = [1.45, 1.935, 0, 2.8, 1.72, 0.36];
  expectedA.forEach((v, i) => close(t, advantages[i] as number, v, 1e-12, `A[${i}]`));
  expectedR.forEach((v, i) => close(t, returns[i] as number, v, 1e-12, `R[${i}]`));
});

// ---- reproducibility, reduction to PPO, checkpoint ----

const SHORT = { totalSteps: 2048, seed: 7 };

test('determinism: the same seed twice gives identical weights and multipliers', async (t) => {
  const run = async () => {
    const lambdas: number[] = [];
    const p = await trainLagrangian(() => new RiskyPath(), { ...SHORT, costLimit: BUDGET, hyperparameters: { ...HP, ...LAGRANGE }, onUpdate: (s) => lambdas.push((s as LagrangianUpdateStats).lagrange) });
    return { weights: Array.from(p.params.data), lambdas };
  };
  const a = await run();
  const tensors = tf.memory().numTensors;
  const b = await run();
  t.is(tf.memory().numTensors, tensors, 'no tensors leak from a training run');
  t.true(a.lambdas.some((l) => l > 0), 'the multiplier moved');
  t.deepEqual(a.lambdas, b.lambdas);
  t.deepEqual(a.weights, b.weights);
  const other = await trainLagrangian(() => new RiskyPath(), { ...SHORT, seed: 8, costLimit: BUDGET, hyperparameters: { ...HP, ...LAGRANGE } });
  t.notDeepEqual(Array.from(other.params.data), a.weights, 'another seed trains differently');
});

test('with the multiplier held at 0 PPO-Lagrangian trains exactly as PPO', async (t) => {
  const ppo = await trainPpo(() => new RiskyPath(), { ...SHORT, hyperparameters: HP });
  const lag = await trainLagrangian(() => new RiskyPath(), { ...SHORT, costLimit: BUDGET, hyperparameters: { ...HP, lagrangeInit: 0, lagrangeLr: 0 } });
  t.deepEqual(Array.from(lag.params.data), Array.from(ppo.params.data));
  const penalised = await trainLagrangian(() => new RiskyPath(), { ...SHORT, costLimit: BUDGET, hyperparameters: { ...HP, lagrangeInit: 1, lagrangeLr: 0 } });
  t.notDeepEqual(Array.from(penalised.params.data), Array.from(ppo.params.data), 'a positive multiplier changes the updates');
});

test('the trained policy saves and loads with the PPO checkpoint format', async (t) => {
  const policy = await trainLagrangian(() => new RiskyPath(), { totalSteps: 512, seed: 3, costLimit: 0.5, hyperparameters: { ...HP, ...LAGRANGE } });
  const dir = mkdtempSync(join(tmpdir(), 'dosegym-lagrangian-'));
  try {
    const loaded = loadPolicy(savePolicy(join(dir, 'policy'), policy));
    t.deepEqual(Array.from(loaded.params.data), Array.from(policy.params.data));
    t.is(loaded.hyperparameters.algorithm, 'ppo-lagrangian');
    t.is(loaded.hyperparameters.costLimit, 0.5);
    t.is(loaded.hyperparameters.lagrangeLr, 0.3);
    for (let cell = 0; cell < 10; cell++) {
      const obs = new Float32Array(10);
      obs[cell] = 1;
      t.is(loaded.act(obs, { deterministic: true, info: {} }), policy.act(obs, { deterministic: true, info: {} }));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---- options ----

test('costLimit: a required plain number, validated and given once', async (t) => {
  const opts = { totalSteps: 256, seed: 0, hyperparameters: { nSteps: 64 } };
  // Without the option there is no budget: the agent inspects no env wrapper (the run plan resolves it).
  await t.throwsAsync(trainLagrangian(() => new RiskyPath(), opts as PpoLagrangianTrainOptions), {
    name: 'UserError',
    message: 'train.costLimit: ppo-lagrangian needs the episode cost budget (a number >= 0 in info.cost units per episode)',
  });
  await t.throwsAsync(trainLagrangian(() => new RiskyPath(), { ...opts, hyperparameters: { nSteps: 64, costLimit: 2 } } as PpoLagrangianTrainOptions), {
    message: 'train.costLimit: ppo-lagrangian needs the episode cost budget (a number >= 0 in info.cost units per episode)',
  });
  await t.throwsAsync(trainLagrangian(() => new RiskyPath(), { ...opts, costLimit: -1 }), { message: 'train.costLimit: expected a number >= 0 (cost per episode), got -1' });
  await t.throwsAsync(trainLagrangian(() => new RiskyPath(), { ...opts, costLimit: 1, hyperparameters: { nSteps: 64, costLimit: 2 } }), {
    message: 'train.costLimit: 1 differs from train.hyperparameters.costLimit 2; give the budget once',
  });
  await t.throwsAsync(trainLagrangian(() => new RiskyPath(), { ...opts, costLimit: 1, hyperparameters: { lagrangeLr: -0.1 } }), { message: /^train\.hyperparameters\.lagrangeLr: expected a number >= 0/ });
  await t.throwsAsync(trainLagrangian(() => new RiskyPath(), { ...opts, costLimit: 1, hyperparameters: { costGamma: 2 } }), { message: /^train\.hyperparameters\.costGamma: expected a number in \[0, 1\]/ });
  await t.throwsAsync(trainLagrangian(() => new RiskyPath(), { ...opts, costLimit: 1, hyperparameters: { lagrangeKp: -1 } }), { message: /^train\.hyperparameters\.lagrangeKp: expected a number >= 0/ });
  await t.throwsAsync(trainLagrangian(() => new RiskyPath(), { ...opts, costLimit: 1, hyperparameters: { lagrangeEma: 1 } }), { message: /^train\.hyperparameters\.lagrangeEma: expected a number in \[0, 1\)/ });
  await t.throwsAsync(trainLagrangian(() => new RiskyPath(), { ...opts, costLimit: 1, hyperparameters: { lagrangeRate: 1 } }), { message: /^train\.hyperparameters\.lagrangeRate: unknown field; allowed: .*lagrangeLr/ });
  await t.throwsAsync(trainLagrangian(() => new RiskyPath(), { ...opts, costLimit: Number.NaN }), { message: 'train.costLimit: expected a number >= 0 (cost per episode), got NaN' });
  // An equal hyperparameters.costLimit is the same budget given twice, not a conflict.
  const policy = await trainLagrangian(() => new RiskyPath(), { ...opts, totalSteps: 64, costLimit: 2, hyperparameters: { nSteps: 64, costLimit: 2 } });
  t.is(policy.hyperparameters.costLimit, 2);
});
