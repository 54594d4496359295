import test from 'ava';
import '../envs/classic/register.ts';
import { make } from '../src/core/registry.ts';
import { checkEnv } from '../src/core/check-env.ts';
import { PendulumEnv, angleNormalize } from '../envs/classic/pendulum.ts';

/** Gymnasium Pendulum-v1, by hand: g = 10, m = 1, l = 1, dt = 0.05, max speed 8, max torque 2. */
function byHand(th: number, thdot: number, u: number): { th: number; thdot: number; cost: number } {
  let norm = (th + Math.PI) % (2 * Math.PI);
  if (norm < 0) norm += 2 * Math.PI;
  norm -= Math.PI;
  const cost = norm * norm + 0.1 * thdot * thdot + 0.001 * u * u;
  let nd = thdot + ((3 * 10) / 2 * Math.sin(th) + 3 * u) * 0.05;
  nd = Math.max(-8, Math.min(8, nd));
  return { th: th + nd * 0.05, thdot: nd, cost };
}

test('Pendulum single transitions match the equations', (t) => {
  const env = new PendulumEnv();
  for (const [th, thdot, u] of [
    [1.0, 0.5, 1.5],
    [-2.0, -3.0, -2.0],
    [3.5, 1.0, 0.25], // angle beyond pi: the cost uses the wrapped angle
    [Math.PI / 2, 7.9, 2.0], // speed clipped at 8
    [0, 0, 0],
  ] as Array<[number, number, number]>) {
    const r0 = env.reset({ seed: 0, options: { state: [th, thdot] } });
    t.deepEqual(Array.from(r0.observation), [Math.cos(th), Math.sin(th), thdot].map(Math.fround));
    const r = env.step(Float32Array.of(u));
    const want = byHand(th, thdot, Math.fround(u));
    const s = env.getState();
    t.true(Math.abs((s[0] as number) - want.th) < 1e-12);
    t.true(Math.abs((s[1] as number) - want.thdot) < 1e-12);
    t.true(Math.abs(r.reward - -want.cost) < 1e-12, `${r.reward} vs ${-want.cost}`);
    t.deepEqual(Array.from(r.observation), [Math.cos(want.th), Math.sin(want.th), want.thdot].map(Math.fround));
    t.false(r.terminated);
  }
});

test('Pendulum hand-checked numbers', (t) => {
  const env = new PendulumEnv();
  env.reset({ options: { state: [1.0, 0.5] } });
  const r = env.step(Float32Array.of(1.5));
  // cost = 1 + 0.1*0.25 + 0.001*2.25 = 1.02725
  t.true(Math.abs(r.reward + 1.02725) < 1e-12);
  // newthdot = 0.5 + (15 sin 1 + 4.5) * 0.05 = 0.5 + (12.62206 + 4.5) * 0.05 = 1.356103
  t.true(Math.abs((env.getState()[1] as number) - 1.3561030) < 1e-6);
  env.reset({ options: { state: [Math.PI / 2, 7.9] } });
  env.step(Float32Array.of(2));
  t.is(env.getState()[1], 8); // 7.9 + 21 * 0.05 = 8.95, clipped to 8
  t.true(Math.abs(angleNormalize(3.5) - (3.5 - 2 * Math.PI)) < 1e-15);
  t.true(Math.abs(angleNormalize(-3.5) - (2 * Math.PI - 3.5)) < 1e-15);
  t.is(angleNormalize(0), 0);
});

test('Pendulum spaces, 200-step truncation, never terminates', (t) => {
  const env = make('Pendulum-v1');
  t.deepEqual(env.actionSpace.toJSON(), { type: 'Box', shape: [1], dtype: 'float32', low: [-2], high: [2] });
  t.deepEqual(env.observationSpace.toJSON(), { type: 'Box', shape: [3], dtype: 'float32', low: [-1, -1, -8], high: [1, 1, 8] });
  t.is(env.metadata.maxEpisodeSteps, 200);
  env.reset({ seed: 5 });
  for (let i = 1; i <= 200; i++) {
    const r = env.step(Float32Array.of(2));
    t.false(r.terminated);
    if (r.truncated !== (i === 200)) t.fail(`truncated=${r.truncated} at step ${i}`);
    t.true(r.reward <= 0 && r.reward >= -(Math.PI ** 2 + 6.4 + 0.004));
  }
  t.throws(() => env.step(Float32Array.of(0)), { message: /call reset\(\) first/ });
  t.throws(() => env.reset().observation && env.step(Float32Array.of(2.5)), { message: /action outside the action space/ });
});

test('Pendulum initial state: theta in [-pi, pi), thetadot in [-1, 1)', (t) => {
  const env = new PendulumEnv();
  let maxSpeed = 0;
  let minCos = 1;
  for (let seed = 0; seed < 200; seed++) {
    env.reset({ seed });
    const [th, thd] = env.getState() as unknown as [number, number];
    t.true(th >= -Math.PI && th < Math.PI && thd >= -1 && thd < 1);
    maxSpeed = Math.max(maxSpeed, Math.abs(thd));
    minCos = Math.min(minCos, Math.cos(th));
  }
  t.true(maxSpeed > 0.9);
  t.true(minCos < -0.95);
});

test('Pendulum: same seed same trajectory, different seed different', (t) => {
  const run = (seed: number): number[] => {
    const env = make('Pendulum-v1');
    const out = Array.from(env.reset({ seed }).observation as Float32Array);
    for (let i = 0; i < 20; i++) out.push(env.step(Float32Array.of(Math.sin(i))).reward);
    return out;
  };
  t.deepEqual(run(9), run(9));
  t.notDeepEqual(run(9), run(10));
});

test('checkEnv passes for Pendulum-v1', (t) => {
  const report = checkEnv(make('Pendulum-v1'), { steps: 250, seed: 3 });
  t.is(report.episodeEnds, 1);
  t.deepEqual(report.skipped, []);
});
