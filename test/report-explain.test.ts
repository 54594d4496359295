/**
 * The policy-distillation pieces: the CART regressor (src/report/explain/cart.ts), the held-out
 * split and fidelity count (distill.ts) and the evaluation's state sample (src/evaluation/state-sample.ts).
 */
import test from 'ava';
import { Rng } from '../src/core/rng.ts';
import type { AnyPolicy } from '../src/core/family.ts';
import { cartDepth, cartRules, fitCart, predictCart, type CartNode } from '../src/report/explain/cart.ts';
import { distillPolicy, heldOutMask, readableRules } from '../src/report/explain/distill.ts';
import { StateSampleBuilder, runStateSample, statesPerEpisode, type SampledState } from '../src/evaluation/state-sample.ts';

function toy(n: number, seed: number, f: (a: number, b: number) => number): { x: number[][]; y: number[] } {
  const r = new Rng(seed);
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = r.uniform();
    const b = r.uniform();
    x.push([a, b]);
    y.push(f(a, b));
  }
  return { x, y };
}

test('CART makes the obvious second-level split (y = 1 only when both inputs exceed 0.5)', (t) => {
  const { x, y } = toy(400, 1, (a, b) => (a > 0.5 && b > 0.5 ? 1 : 0));
  const tree = fitCart(x, y, { maxDepth: 2 });
  t.is(cartDepth(tree), 2);
  // Every training point is reproduced exactly: the tree found both thresholds near 0.5.
  t.true(x.every((row, i) => predictCart(tree, row) === y[i]));
  const rules = cartRules(tree);
  t.is(rules.length, 3);
  for (const r of rules) for (const c of r.conditions) t.true(Math.abs(c.threshold - 0.5) < 0.03, `threshold ${c.threshold}`);
});

test('CART: leaves predict their mean, depth and leaf size limits hold, the fit is deterministic', (t) => {
  const { x, y } = toy(300, 2, (a) => (a < 0.3 ? 1 : a < 0.7 ? 5 : 2));
  const tree = fitCart(x, y, { maxDepth: 2 });
  t.true(x.every((row, i) => predictCart(tree, row) === y[i]), 'a 3-level step is reproduced at depth 2');
  const stump = fitCart(x, y, { maxDepth: 1 });
  t.is(cartDepth(stump), 1);
  for (const r of cartRules(stump)) {
    const inLeaf = x.map((row, i) => ({ row, y: y[i]! })).filter(({ row }) => r.conditions.every((c) => (c.op === '<=' ? row[c.feature]! <= c.threshold : row[c.feature]! > c.threshold)));
    t.is(inLeaf.length, r.n);
    t.true(Math.abs(r.value - inLeaf.reduce((s, p) => s + p.y, 0) / inLeaf.length) < 1e-12);
  }
  const minLeaf = fitCart(x, y, { maxDepth: 4, minSamplesLeaf: 40 });
  t.true(cartRules(minLeaf).every((r) => r.n >= 40));
  t.deepEqual(fitCart(x, y, { maxDepth: 3 }), fitCart(x, y, { maxDepth: 3 }));
  const root = fitCart(x, y, { maxDepth: 0 });
  t.deepEqual(root, { kind: 'leaf', value: y.reduce((s, v) => s + v, 0) / y.length, n: y.length });
});

test('CART rejects bad input with the reason', (t) => {
  t.throws(() => fitCart([], [], { maxDepth: 2 }), { message: 'fitCart: no rows to fit' });
  t.throws(() => fitCart([[1]], [1, 2], { maxDepth: 2 }), { message: 'fitCart: 1 rows but 2 targets' });
  t.throws(() => fitCart([[1], [Number.NaN]], [1, 2], { maxDepth: 2 }), { message: 'fitCart: row 1 has a value that is not finite' });
  t.throws(() => fitCart([[1]], [1], { maxDepth: -1 }), { message: /maxDepth must be an integer >= 0/ });
});

const state = (patient: string, episode: number, step: number, obs: number[], action: number): SampledState => ({ patient, episode, step, observation: obs, action: [action] });

test('held-out split: every fourth evaluation day for all seeds, else the last day, else every fourth state', (t) => {
  const days = [0, 1, 2, 3, 4, 5, 6, 7].flatMap((e) => [0, 1].map((s) => state('p', e, s, [e], e)));
  const { mask, split } = heldOutMask(days);
  t.deepEqual([...new Set(days.filter((_, i) => mask[i]).map((s) => s.episode))], [3, 7]);
  t.regex(split, /2 of 8 evaluation days/);
  const two = [0, 1].flatMap((e) => [0, 1, 2].map((s) => state('p', e, s, [e], e)));
  t.deepEqual(two.filter((_, i) => heldOutMask(two).mask[i]).map((s) => s.episode), [1, 1, 1]);
  const one = [0, 1, 2, 3, 4, 5, 6, 7].map((s) => state('p', 0, s, [s], s));
  t.deepEqual(one.filter((_, i) => heldOutMask(one).mask[i]).map((s) => s.step), [3, 7]);
});

test('distillPolicy: fidelity is the share of held-out states reproduced within 10 % of the action range, and a noisy policy gets a low one', (t) => {
  const r = new Rng(5);
  const rule = (cgm: number) => (cgm > 180 ? 3 : cgm > 120 ? 1.5 : 0.2);
  const states = Array.from({ length: 400 }, (_, i) => {
    const cgm = 60 + 300 * r.uniform();
    return state('p', Math.floor(i / 40), i % 40, [cgm], rule(cgm));
  });
  const features = { names: ['CGM (mg/dL)'], values: (o: readonly number[]) => [...o] };
  const clean = distillPolicy(states, features, 5);
  t.is(clean.fidelity, 1);
  t.is(clean.heldOutStates, 80); // days 3 and 7 of 10
  t.is(clean.tolerance, 0.5);
  // The same states with actions uniformly random over the range: a tree cannot imitate them.
  const noisy = states.map((s) => ({ ...s, action: [5 * r.uniform()] }));
  const d = distillPolicy(noisy, features, 5);
  // Recount: the reported fidelity is exactly the share reproduced on the held-out states.
  const { mask } = heldOutMask(noisy);
  const held = noisy.filter((_, i) => mask[i]);
  const reproduced = held.filter((s) => Math.abs(predictCart(d.tree, s.observation) - s.action[0]!) <= 0.5).length;
  t.is(d.reproduced, reproduced);
  t.is(d.fidelity, reproduced / held.length);
  t.true(d.fidelity < 0.5, `fidelity ${d.fidelity}`);
  t.true(d.depth <= 4);
  const rules = readableRules(clean);
  t.true(rules.some((x) => /CGM \(mg\/dL\) > 18\d/.test(x.rule)), JSON.stringify(rules));
});

test('state sample: a seeded reservoir of each episode, copies of what the policy saw and did', (t) => {
  t.is(statesPerEpisode(10), 100);
  t.is(statesPerEpisode(2000), 4);
  const buffer = new Float32Array(2);
  const policy: AnyPolicy = { name: 'p', act: (o) => Float32Array.of((o as Float32Array)[0]! * 2) };
  const sampleOnce = () => {
    const b = new StateSampleBuilder(5, ['a', 'b']);
    for (const episode of [0, 1]) {
      const rec = b.record(policy, { patient: 'x', episode, episodeSeed: 100 + episode });
      for (let step = 0; step < 50; step++) {
        buffer[0] = step;
        buffer[1] = episode;
        rec.policy.act(buffer, { deterministic: true, info: {} });
      }
      rec.finish();
    }
    return b.build();
  };
  const s = sampleOnce();
  t.is(s.states.length, 10);
  t.deepEqual(s, sampleOnce(), 'the same episode seeds keep the same steps');
  for (const st of s.states) {
    t.deepEqual(st.observation, [st.step, st.episode], 'the observation as it was at that step (copied)');
    t.deepEqual(st.action, [2 * st.step]);
  }
  t.true(s.states.slice(0, 5).every((x, i, a) => i === 0 || a[i - 1]!.step < x.step), 'sorted by step within an episode');
  t.true(s.states.some((x) => x.step >= 5), 'later steps are kept too');
  const run = runStateSample([{ method: 'ppo', seed: 2, sample: s }, { method: 'ppo', seed: 1, sample: s }]);
  t.deepEqual(run?.methods['ppo']?.seeds.map((x) => x.seed), [2, 1]);
  t.is(runStateSample([{ method: 'ppo', seed: 1, sample: undefined }]), undefined);
});

test('a tree is a plain object: its JSON predicts as the tree does', (t) => {
  const { x, y } = toy(200, 9, (a, b) => a + 2 * b);
  const tree = fitCart(x, y, { maxDepth: 4, minSamplesLeaf: 5 });
  const copy = JSON.parse(JSON.stringify(tree)) as CartNode;
  t.true(x.every((row) => predictCart(copy, row) === predictCart(tree, row)));
});
