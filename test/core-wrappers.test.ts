import test from 'ava';
import '../envs/classic/register.ts';
import { make } from '../src/core/registry.ts';
import { BaseEnv, type EnvMetadata, type ResetResult, type StepResult } from '../src/core/env.ts';
import { Box } from '../src/core/spaces.ts';
import type { Rng } from '../src/core/rng.ts';
import { checkEnv } from '../src/core/check-env.ts';
import {
  ClipAction,
  NormalizeObservation,
  ObservationHistory,
  RecordEpisodeStatistics,
  RescaleAction,
  RunningMeanStd,
  TimeLimit,
  Wrapper,
  standardWrappers,
  type EpisodeStatistics,
} from '../src/core/wrappers.ts';
import type { CartPoleEnv } from '../envs/classic/cartpole.ts';

/**
 * A scripted toy env: observation at step t is `obsAt(t)` (2 values), reward t + 1, cost 0.5 on odd
 * steps, terminates at `terminateAt` (if set), truncates itself at `truncateAt` (if set).
 * Records every action it receives.
 */
class Scripted extends BaseEnv<Float64Array, Float64Array> {
  readonly observationSpace = new Box([-100, -1000], [100, 1000], undefined, 'float64');
  readonly actionSpace = new Box([0, -4], [10, 4], undefined, 'float64');
  readonly metadata: EnvMetadata = { id: 'Scripted-v0', stepDuration: { value: 1, unit: 'minute' }, actionUnits: 'none' };
  received: number[][] = [];
  private t = 0;
  constructor(
    private readonly terminateAt?: number,
    private readonly truncateAt?: number,
    private readonly obsAt: (t: number) => number[] = (t) => [t, 10 * t],
  ) {
    super();
  }
  protected resetModel(_rng: Rng): ResetResult<Float64Array> {
    this.t = 0;
    return { observation: Float64Array.from(this.obsAt(0)), info: { start: true } };
  }
  protected stepModel(action: Float64Array): StepResult<Float64Array> {
    this.received.push(Array.from(action));
    this.t++;
    return {
      observation: Float64Array.from(this.obsAt(this.t)),
      reward: this.t,
      terminated: this.t === this.terminateAt,
      truncated: this.t === this.truncateAt,
      info: { cost: this.t % 2 === 1 ? 0.5 : 0, t: this.t },
    };
  }
}
const zero = () => Float64Array.of(0, 0);

test('Wrapper forwards spaces, metadata, reset, step and close', (t) => {
  const inner = new Scripted();
  const w = new Wrapper(inner);
  t.is(w.observationSpace, inner.observationSpace);
  t.is(w.actionSpace, inner.actionSpace);
  t.is(w.metadata, inner.metadata);
  t.is(new Wrapper(w).unwrapped, inner);
  t.deepEqual(w.reset({ seed: 1 }).info, { start: true });
  t.deepEqual(w.step(Float64Array.of(1, 2)).info, { cost: 0.5, t: 1 });
  t.deepEqual(inner.received, [[1, 2]]);
  w.close();
  t.throws(() => inner.reset(), { message: /reset\(\) after close\(\)/ });
});

test('TimeLimit truncates at the limit and keeps terminated distinct', (t) => {
  // limit reached, not terminal: truncated only
  let env = new TimeLimit(new Scripted(), 3);
  env.reset();
  t.deepEqual([env.step(zero()).truncated, env.step(zero()).truncated], [false, false]);
  let r = env.step(zero());
  t.deepEqual([r.terminated, r.truncated], [false, true]);
  t.is(env.elapsedSteps, 3);
  t.throws(() => env.step(zero()), { message: /call reset\(\) first/ });
  env.reset();
  t.is(env.elapsedSteps, 0);
  t.false(env.step(zero()).truncated);

  // terminal exactly at the limit: terminated AND truncated (terminated is never overridden)
  env = new TimeLimit(new Scripted(3), 3);
  env.reset();
  env.step(zero());
  env.step(zero());
  r = env.step(zero());
  t.deepEqual([r.terminated, r.truncated], [true, true]);

  // terminal before the limit: terminated only
  env = new TimeLimit(new Scripted(2), 3);
  env.reset();
  env.step(zero());
  r = env.step(zero());
  t.deepEqual([r.terminated, r.truncated], [true, false]);

  // the inner env's own truncation passes through
  env = new TimeLimit(new Scripted(undefined, 2), 10);
  env.reset();
  env.step(zero());
  t.true(env.step(zero()).truncated);
  t.throws(() => new TimeLimit(new Scripted(), 0), { message: 'TimeLimit: maxSteps must be a positive integer, got 0' });
});

test('TimeLimit on CartPole: a terminal step at the limit reports terminated=true', (t) => {
  const thetaThreshold = (12 * 2 * Math.PI) / 360;
  const env = new TimeLimit(make('CartPole-v1'), 1);
  t.is(env.metadata.maxEpisodeSteps, 1);
  t.is(new TimeLimit(make('CartPole-v1'), 900).metadata.maxEpisodeSteps, 500);
  env.reset({ options: { state: [0, 0, thetaThreshold, 1] } });
  const r = env.step(1);
  t.true(r.terminated);
  t.true(r.truncated);
  env.reset({ options: { state: [0, 0, 0, 0] } });
  const r2 = env.step(1);
  t.false(r2.terminated);
  t.true(r2.truncated);
});

test('ClipAction clips into the inner bounds; its own space is unbounded but rejects NaN', (t) => {
  const inner = new Scripted();
  const env = new ClipAction(inner);
  t.is(env.actionSpace.toString(), 'Box(-Infinity, Infinity, [2], float64)');
  env.reset();
  env.step(Float64Array.of(12, -7));
  env.step(Float64Array.of(-3, 2.5));
  env.step(Float64Array.of(Infinity, -Infinity));
  t.deepEqual(inner.received, [[10, -4], [0, 2.5], [10, -4]]);
  t.throws(() => env.step(Float64Array.of(NaN, 0)), { message: /\(ClipAction\): action outside the action space .*element 0 is NaN/ });
  t.throws(() => env.step(Float64Array.of(1)), { message: /expected 2 values, got 1/ });
  t.throws(() => new ClipAction(make('CartPole-v1')), { message: /ClipAction: CartPole-v1 has action space Discrete\(2\); ClipAction needs a Box/ });
  // Same physics as the clipped action on Pendulum
  const p1 = new ClipAction(make('Pendulum-v1'));
  const p2 = make('Pendulum-v1');
  p1.reset({ seed: 4 });
  p2.reset({ seed: 4 });
  t.deepEqual(p1.step(Float32Array.of(5)).observation, p2.step(Float32Array.of(2)).observation);
});

test('RescaleAction maps [-1, 1] to [low, high] and rejects actions outside [-1, 1]', (t) => {
  const inner = new Scripted();
  const env = new RescaleAction(inner);
  t.deepEqual(env.actionSpace.toJSON(), { type: 'Box', shape: [2], dtype: 'float64', low: [-1, -1], high: [1, 1] });
  env.reset();
  env.step(Float64Array.of(-1, -1));
  env.step(Float64Array.of(1, 1));
  env.step(Float64Array.of(0, 0));
  env.step(Float64Array.of(0.5, 0.25));
  // low + (a + 1) / 2 * (high - low): x in [0, 10], y in [-4, 4]
  t.deepEqual(inner.received, [[0, -4], [10, 4], [5, 0], [7.5, 1]]);
  t.throws(() => env.step(Float64Array.of(1.5, 0)), { message: /\(RescaleAction\): action outside the action space Box\(-1, 1, \[2\], float64\): element 0 = 1.5 is outside \[-1, 1\]/ });
  t.throws(() => new RescaleAction(new ClipAction(new Scripted())), { message: /unbounded action space/ });
  // Pendulum: agent 0.5 -> torque 1
  const p = new RescaleAction(make('Pendulum-v1'));
  t.deepEqual(Array.from(p.toPhysical([0.5])), [1]);
});

test('NormalizeObservation: running mean/var like Gymnasium, clip, freeze and state round trip', (t) => {
  const seq = [[1, 100], [3, -20], [2, 40], [6, 0], [-4, 10]];
  const env = new NormalizeObservation(new Scripted(undefined, undefined, (k) => seq[k] as number[]), { clip: null });
  const outs: number[][] = [Array.from(env.reset().observation as Float64Array)];
  for (let k = 1; k < seq.length; k++) outs.push(Array.from(env.step(zero()).observation as Float64Array));

  // Reference: the parallel update from a prior of count 1e-4, mean 0, var 1, one sample at a time.
  let count = 1e-4;
  const mean = [0, 0];
  const vr = [1, 1];
  seq.forEach((x, k) => {
    const total = count + 1;
    for (let j = 0; j < 2; j++) {
      const d = (x[j] as number) - (mean[j] as number);
      const m2 = (vr[j] as number) * count + (d * d * count) / total;
      mean[j] = (mean[j] as number) + d / total;
      vr[j] = m2 / total;
    }
    count = total;
    for (let j = 0; j < 2; j++) {
      const want = ((x[j] as number) - (mean[j] as number)) / Math.sqrt((vr[j] as number) + 1e-8);
      t.true(Math.abs((outs[k]?.[j] as number) - want) < 1e-12, `obs ${k}[${j}]`);
    }
  });
  const state = env.getState();
  t.true(Math.abs(state.count - 5.0001) < 1e-12);
  // with the tiny prior, mean/var are (almost) the sample mean and population variance
  t.true(Math.abs((state.mean[0] as number) - 1.6) < 1e-3);
  t.true(Math.abs((state.var[0] as number) - 10.64) < 1e-2);

  // frozen: statistics do not move and the output uses them
  env.frozen = true;
  const before = JSON.stringify(env.getState());
  const o = env.reset().observation as Float64Array;
  env.step(zero());
  t.is(JSON.stringify(env.getState()), before);
  t.true(Math.abs((o[0] as number) - (1 - (state.mean[0] as number)) / Math.sqrt((state.var[0] as number) + 1e-8)) < 1e-12);

  // JSON round trip into a fresh wrapper gives the same normalised observations
  const restored = new NormalizeObservation(new Scripted(undefined, undefined, (k) => seq[k] as number[]), { clip: null });
  restored.setState(JSON.parse(JSON.stringify(env.getState())));
  restored.frozen = true;
  t.deepEqual(restored.reset().observation, env.reset().observation);
  t.throws(() => restored.setState({ count: 1, mean: [0], var: [1] }), { message: /normalization state: expected \{ count > 0, mean: 2 numbers/ });

  // default clip 10
  const clipped = new NormalizeObservation(new Scripted(undefined, undefined, (k) => (k === 0 ? [0, 0] : [1e6, -1e6])));
  t.is(clipped.observationSpace.toString(), 'Box(-10, 10, [2], float64)');
  clipped.reset();
  clipped.frozen = true;
  t.deepEqual(Array.from(clipped.step(zero()).observation as Float64Array), [10, -10]);
});

test('NormalizeObservation can share one RunningMeanStd between copies', (t) => {
  const rms = new RunningMeanStd(2);
  const a = new NormalizeObservation(new Scripted(), { rms });
  const b = new NormalizeObservation(new Scripted(undefined, undefined, (k) => [-k, 0]), { rms });
  a.reset();
  b.reset();
  a.step(zero());
  b.step(zero());
  t.true(Math.abs(rms.count - 4.0001) < 1e-12);
  t.true(Math.abs((rms.mean[0] as number) - 0) < 1e-4); // 0, 0, 1, -1
  t.deepEqual(a.getState(), b.getState());
  t.throws(() => new NormalizeObservation(make('CartPole-v1'), { rms }), { message: /shared statistics have size 2, observations have 4/ });
});

test('RecordEpisodeStatistics puts return, length and summed cost in the final info only', (t) => {
  const env = new RecordEpisodeStatistics(new TimeLimit(new Scripted(), 4));
  for (let episode = 0; episode < 2; episode++) {
    env.reset();
    for (let k = 1; k <= 3; k++) t.false('episode' in env.step(zero()).info);
    const last = env.step(zero());
    t.true(last.truncated);
    // rewards 1 + 2 + 3 + 4; costs 0.5 on steps 1 and 3
    t.deepEqual(last.info['episode'] as EpisodeStatistics, { return: 10, length: 4, cost: 1 });
    t.is(last.info['t'], 4); // the step's own info is kept
  }
  const cp = new RecordEpisodeStatistics(make('CartPole-v1'));
  cp.reset({ seed: 0 });
  let r;
  do r = cp.step(1);
  while (!r.terminated && !r.truncated);
  const ep = r.info['episode'] as EpisodeStatistics;
  t.true(ep.length > 5 && ep.length < 20);
  t.is(ep.return, ep.length);
  t.is(ep.cost, 0);
});

test('ObservationHistory stacks the last k observations, oldest first, padded at reset', (t) => {
  const env = new ObservationHistory(new Scripted(), 3);
  t.deepEqual(env.observationSpace.toJSON(), {
    type: 'Box',
    shape: [6],
    dtype: 'float64',
    low: [-100, -1000, -100, -1000, -100, -1000],
    high: [100, 1000, 100, 1000, 100, 1000],
  });
  t.deepEqual(Array.from(env.reset().observation as Float64Array), [0, 0, 0, 0, 0, 0]);
  t.deepEqual(Array.from(env.step(zero()).observation as Float64Array), [0, 0, 0, 0, 1, 10]);
  t.deepEqual(Array.from(env.step(zero()).observation as Float64Array), [0, 0, 1, 10, 2, 20]);
  const keep = env.step(zero()).observation as Float64Array;
  t.deepEqual(Array.from(keep), [1, 10, 2, 20, 3, 30]);
  env.step(zero());
  t.deepEqual(Array.from(keep), [1, 10, 2, 20, 3, 30]); // returned arrays are copies
  // reset pads with the new first observation
  const shifted = new ObservationHistory(new Scripted(undefined, undefined, (k) => [k + 5, 0]), 2);
  t.deepEqual(Array.from(shifted.reset().observation as Float64Array), [5, 0, 5, 0]);
  t.throws(() => new ObservationHistory(new Scripted(), 0), { message: /k must be a positive integer/ });
});

test('standardWrappers builds the usual stack', (t) => {
  const { env, normalizer } = standardWrappers(make('Pendulum-v1'), { maxSteps: 5, normalizeObservations: true, history: 2 });
  t.truthy(normalizer);
  t.is(env.actionSpace.toString(), 'Box(-Infinity, Infinity, [1], float32)');
  t.is((env.observationSpace as Box).size, 6);
  env.reset({ seed: 0 });
  let r;
  for (let i = 0; i < 5; i++) r = env.step(Float32Array.of(i === 0 ? 50 : -0.3));
  t.true(r?.truncated);
  const ep = r?.info['episode'] as EpisodeStatistics;
  t.is(ep.length, 5);
  t.true(ep.return < 0);
  const cp = standardWrappers(make('CartPole-v1'));
  t.is(cp.env.actionSpace.toString(), 'Discrete(2)');
  t.is(cp.normalizer, undefined);
});

test('checkEnv passes on wrapped classic envs', (t) => {
  const reports = [
    checkEnv(new TimeLimit(make('CartPole-v1'), 20), { steps: 100 }),
    checkEnv(new ClipAction(make('Pendulum-v1')), { steps: 60 }),
    checkEnv(new RescaleAction(make('Pendulum-v1')), { steps: 60 }),
    checkEnv(new RecordEpisodeStatistics(make('CartPole-v1')), { steps: 100 }),
    checkEnv(new ObservationHistory(make('CartPole-v1'), 4), { steps: 100 }),
  ];
  for (const r of reports) {
    t.true(r.episodeEnds >= 1);
    t.deepEqual(r.skipped, []);
  }
  const frozen = new NormalizeObservation(make('CartPole-v1'));
  frozen.reset({ seed: 1 });
  for (let i = 0; i < 50; i++) if (frozen.step(i % 2).terminated) frozen.reset();
  frozen.frozen = true;
  t.true(checkEnv(frozen, { steps: 100 }).episodeEnds >= 1);
  // while learning its statistics, the same seed does not reproduce the normalised observation
  t.throws(() => checkEnv(new NormalizeObservation(make('CartPole-v1'))), { message: /reset\(\{ seed: 0 \}\) twice gave different observations/ });
  const stack = standardWrappers(make('Pendulum-v1'), { normalizeObservations: true, history: 3 });
  (stack.normalizer as NormalizeObservation).frozen = true;
  t.deepEqual(checkEnv(stack.env, { steps: 50 }).skipped, []);
  t.is((new TimeLimit(make('CartPole-v1'), 3).unwrapped as CartPoleEnv).maxEpisodeSteps, 500);
});
