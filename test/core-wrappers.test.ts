import test from 'ava';
import '../envs/classic/register.ts';
import { make } from '../src/core/registry.ts';
import { BaseEnv, type EnvMetadata, type ResetResult, type StepResult } from '../src/core/env.ts';
import { Box } from '../src/core/spaces.ts';
import type { Rng } from '../src/core/rng.ts';
import { checkEnv } from '../src/core/check-env.ts';
import { RecordEpisodeStatistics, RunningMeanStd, TimeLimit, Wrapper, type EpisodeStatistics } from '../src/core/wrappers.ts';
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

test('RunningMeanStd: the parallel update of Gymnasium, one sample or a batch at a time, and its state round trip', (t) => {
  const seq = [[1, 100], [3, -20], [2, 40], [6, 0], [-4, 10]];
  const rms = new RunningMeanStd(2);
  // Reference: the parallel update from a prior of count 1e-4, mean 0, var 1, one sample at a time.
  let count = 1e-4;
  const mean = [0, 0];
  const vr = [1, 1];
  for (const x of seq) {
    rms.update(x, 1);
    const total = count + 1;
    for (let j = 0; j < 2; j++) {
      const d = (x[j] as number) - (mean[j] as number);
      const m2 = (vr[j] as number) * count + (d * d * count) / total;
      mean[j] = (mean[j] as number) + d / total;
      vr[j] = m2 / total;
    }
    count = total;
    for (let j = 0; j < 2; j++) {
      t.true(Math.abs((rms.mean[j] as number) - (mean[j] as number)) < 1e-12, `mean[${j}]`);
      t.true(Math.abs((rms.var[j] as number) - (vr[j] as number)) < 1e-9, `var[${j}]`);
    }
  }
  const state = rms.getState();
  t.true(Math.abs(state.count - 5.0001) < 1e-12);
  // with the tiny prior, mean/var are (almost) the sample mean and population variance
  t.true(Math.abs((state.mean[0] as number) - 1.6) < 1e-3);
  t.true(Math.abs((state.var[0] as number) - 10.64) < 1e-2);

  // one batch of all five rows gives the same statistics as five single updates
  const batch = new RunningMeanStd(2);
  batch.update(seq.flat(), seq.length);
  t.true(Math.abs(batch.count - state.count) < 1e-12);
  for (let j = 0; j < 2; j++) {
    t.true(Math.abs((batch.mean[j] as number) - (state.mean[j] as number)) < 1e-9);
    t.true(Math.abs((batch.var[j] as number) - (state.var[j] as number)) < 1e-6 * (state.var[j] as number));
  }
  t.throws(() => batch.update([1, 2, 3], 2), { message: 'RunningMeanStd.update: expected 4 values, got 3' });

  // JSON round trip
  const restored = new RunningMeanStd(2);
  restored.setState(JSON.parse(JSON.stringify(state)));
  t.deepEqual(restored.getState(), state);
  t.throws(() => restored.setState({ count: 1, mean: [0], var: [1] }), { message: /normalization state: expected \{ count > 0, mean: 2 numbers/ });
  t.throws(() => restored.setState({ count: 1, mean: [0, 0], var: [1, -1] }), { message: /var: 2 numbers >= 0/ });
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

test('checkEnv passes on wrapped classic envs', (t) => {
  const reports = [
    checkEnv(new TimeLimit(make('CartPole-v1'), 20), { steps: 100 }),
    checkEnv(new TimeLimit(make('Pendulum-v1'), 30), { steps: 60 }),
    checkEnv(new RecordEpisodeStatistics(make('CartPole-v1')), { steps: 100 }),
  ];
  for (const r of reports) {
    t.true(r.episodeEnds >= 1);
    t.deepEqual(r.skipped, []);
  }
  t.is((new TimeLimit(make('CartPole-v1'), 3).unwrapped as CartPoleEnv).maxEpisodeSteps, 500);
});
