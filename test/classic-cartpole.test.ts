import test from 'ava';
import '../envs/classic/register.ts';
import { make } from '../src/core/registry.ts';
import { checkEnv } from '../src/core/check-env.ts';
import { CartPoleEnv } from '../envs/classic/cartpole.ts';

// Gymnasium CartPole-v1 constants, restated here so the test does not trust the module's table.
const g = 9.8;
const mc = 1.0;
const mp = 0.1;
const l = 0.5; // half pole length (m)
const F = 10.0;
const tau = 0.02;

/**
 * One Euler step from Barto, Sutton & Anderson (1983), frictionless, written in the paper's form:
 *   theta'' = [g sin th + cos th (-F - mp l th'^2 sin th) / (mc + mp)] / [l (4/3 - mp cos^2 th / (mc + mp))]
 *   x''     = [F + mp l (th'^2 sin th - theta'' cos th)] / (mc + mp)
 */
function byHand(state: number[], action: number): number[] {
  const [x, xd, th, thd] = state as [number, number, number, number];
  const f = action === 1 ? F : -F;
  const thdd = (g * Math.sin(th) + (Math.cos(th) * (-f - mp * l * thd * thd * Math.sin(th))) / (mc + mp)) / (l * (4 / 3 - (mp * Math.cos(th) ** 2) / (mc + mp)));
  const xdd = (f + mp * l * (thd * thd * Math.sin(th) - thdd * Math.cos(th))) / (mc + mp);
  return [x + tau * xd, xd + tau * xdd, th + tau * thd, thd + tau * thdd];
}

test('CartPole single transitions match the equations of motion (both actions)', (t) => {
  const env = new CartPoleEnv();
  for (const [state, action] of [
    [[0.01, -0.02, 0.03, 0.04], 1],
    [[0.01, -0.02, 0.03, 0.04], 0],
    [[-1.2, 0.7, -0.15, -1.3], 1],
    [[2.0, -1.5, 0.1, 2.2], 0],
  ] as Array<[number[], number]>) {
    const r0 = env.reset({ seed: 1, options: { state } });
    t.deepEqual(Array.from(r0.observation), state.map(Math.fround));
    const r = env.step(action);
    const want = byHand(state, action);
    const got = env.getState();
    for (let i = 0; i < 4; i++) {
      t.true(Math.abs((got[i] as number) - (want[i] as number)) <= 1e-12 * Math.max(1, Math.abs(want[i] as number)), `state[${i}] ${got[i]} vs ${want[i]}`);
      t.is(r.observation[i], Math.fround(want[i] as number));
    }
    t.is(r.reward, 1);
    t.false(r.terminated);
    t.false(r.truncated);
  }
});

test('CartPole: a hand-checked number (theta acceleration at rest, tilted 0.1 rad, push right)', (t) => {
  const env = new CartPoleEnv();
  env.reset({ options: { state: [0, 0, 0.1, 0] } });
  env.step(1);
  // sin(0.1) = 0.0998334, cos(0.1) = 0.9950042; temp = 10/1.1 = 9.0909091
  // theta'' = (9.8*0.0998334 - 0.9950042*9.0909091) / (0.5*(4/3 - 0.1*0.9900333/1.1))
  //         = (0.978367 - 9.045493) / 0.6216652 = -8.067126 / 0.6216652 = -12.97664
  const thdd = (9.8 * Math.sin(0.1) - Math.cos(0.1) * (10 / 1.1)) / (0.5 * (4 / 3 - (0.1 * Math.cos(0.1) ** 2) / 1.1));
  t.true(Math.abs(thdd - -12.97664) < 1e-4, String(thdd));
  const s = env.getState();
  t.true(Math.abs((s[3] as number) - 0.02 * thdd) < 1e-12);
  t.is(s[2], 0.1); // Euler: the angle moves with the OLD angular velocity (0)
  t.is(s[0], 0);
});

test('CartPole terminates beyond 12 degrees or 2.4 m, with reward 1 on the terminating step', (t) => {
  const env = new CartPoleEnv();
  const thetaThreshold = (12 * 2 * Math.PI) / 360;
  env.reset({ options: { state: [0, 0, thetaThreshold - 0.001, 1.0] } }); // theta grows by 0.02
  let r = env.step(0);
  t.true(r.terminated);
  t.false(r.truncated);
  t.is(r.reward, 1);
  t.throws(() => env.step(0), { message: /after the episode ended/ });
  env.reset({ options: { state: [2.39, 1.0, 0, 0] } }); // x grows by 0.02 past 2.4
  r = env.step(1);
  t.true(r.terminated);
  env.reset({ options: { state: [-2.39, 0.4, 0, 0] } }); // moving inward: x = -2.382
  r = env.step(1);
  t.false(r.terminated);
  env.reset({ options: { state: [0, 0, thetaThreshold - 0.001, 0] } }); // exactly at rest near the limit: still alive
  t.false(env.step(0).terminated);
});

test('CartPole spaces and metadata are Gymnasium CartPole-v1', (t) => {
  const env = make('CartPole-v1') as CartPoleEnv;
  t.deepEqual(env.actionSpace.toJSON(), { type: 'Discrete', n: 2 });
  const obs = env.observationSpace.toJSON();
  t.is(obs.type, 'Box');
  if (obs.type !== 'Box') return;
  t.is(obs.dtype, 'float32');
  t.deepEqual(obs.shape, [4]);
  t.is(obs.high[0], 4.8);
  t.is(obs.high[1], 3.4028234663852886e38);
  t.true(Math.abs((obs.high[2] as number) - 0.418879) < 1e-6);
  t.is(obs.high[3], 3.4028234663852886e38);
  t.deepEqual(obs.low, obs.high.map((v) => -(v as number)));
  t.is(env.metadata.maxEpisodeSteps, 500);
  t.deepEqual(env.metadata.stepDuration, { value: 0.02, unit: 'second' });
});

test('CartPole truncates at 500 steps under a stabilising controller (not terminated)', (t) => {
  const env = make('CartPole-v1');
  let o = env.reset({ seed: 3 }).observation as Float32Array;
  let steps = 0;
  for (;;) {
    const a = (o[2] as number) + 0.5 * (o[3] as number) + 0.01 * (o[0] as number) + 0.1 * (o[1] as number) > 0 ? 1 : 0;
    const r = env.step(a);
    steps++;
    o = r.observation as Float32Array;
    if (r.terminated || r.truncated) {
      t.is(steps, 500);
      t.true(r.truncated);
      t.false(r.terminated);
      break;
    }
  }
  t.throws(() => env.step(0), { message: /call reset\(\) first/ });
});

test('CartPole maxEpisodeSteps option and its validation', (t) => {
  const env = make('CartPole-v1', { maxEpisodeSteps: 3 });
  env.reset({ options: { state: [0, 0, 0, 0] } });
  t.false(env.step(0).truncated);
  t.false(env.step(1).truncated);
  const r = env.step(0);
  t.true(r.truncated);
  t.false(r.terminated);
  t.throws(() => make('CartPole-v1', { maxEpisodeSteps: 0 }), { message: /CartPole-v1: maxEpisodeSteps: must be a positive integer, got 0/ });
  t.throws(() => env.reset({ options: { state: [0, 0] } }), { message: /reset option 'state' must be 4 finite numbers/ });
});

test('CartPole initial state is uniform in [-0.05, 0.05) and seeded', (t) => {
  const env = make('CartPole-v1');
  let maxAbs = 0;
  for (let seed = 0; seed < 200; seed++) {
    for (const v of env.reset({ seed }).observation as Float32Array) maxAbs = Math.max(maxAbs, Math.abs(v));
  }
  t.true(maxAbs <= 0.05);
  t.true(maxAbs > 0.045); // the draws do spread over the interval
});

function trajectory(seed: number): number[] {
  const env = make('CartPole-v1');
  const out = Array.from(env.reset({ seed }).observation as Float32Array);
  for (let i = 0; i < 30; i++) {
    const r = env.step(i % 3 === 0 ? 0 : 1);
    out.push(...(r.observation as Float32Array), r.reward, Number(r.terminated));
    if (r.terminated || r.truncated) out.push(...(env.reset().observation as Float32Array));
  }
  return out;
}

test('CartPole: same seed same trajectory, different seed different trajectory', (t) => {
  t.deepEqual(trajectory(42), trajectory(42));
  t.notDeepEqual(trajectory(42), trajectory(43));
});

test('checkEnv passes for CartPole-v1', (t) => {
  const report = checkEnv(make('CartPole-v1'), { steps: 300, seed: 7 });
  t.true(report.episodeEnds > 5);
  t.deepEqual(report.skipped, []);
});
