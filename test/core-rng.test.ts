import test from 'ava';
import { Rng } from '../src/core/rng.ts';

const draw = (rng: Rng, n: number): number[] => Array.from({ length: n }, () => rng.uniform());

test('same seed, same sequence; different seed, different sequence', (t) => {
  t.deepEqual(draw(new Rng(7), 20), draw(new Rng(7), 20));
  t.notDeepEqual(draw(new Rng(7), 20), draw(new Rng(8), 20));
  for (const x of draw(new Rng(1), 1000)) if (!(x >= 0 && x < 1)) t.fail(String(x));
  t.pass();
});

test('a child stream does not depend on how much the parent has drawn', (t) => {
  const fresh = new Rng(11);
  const used = new Rng(11);
  draw(used, 57);
  used.normal();
  t.deepEqual(draw(fresh.child('agent'), 10), draw(used.child('agent'), 10));
  // and drawing from a child leaves the parent untouched
  const p1 = new Rng(11);
  const p2 = new Rng(11);
  draw(p2.child('env'), 100);
  t.deepEqual(draw(p1, 10), draw(p2, 10));
});

test('children with different names (or parents) are different streams', (t) => {
  const r = new Rng(5);
  t.notDeepEqual(draw(r.child('env'), 10), draw(r.child('agent'), 10));
  t.notDeepEqual(draw(r.child('env'), 10), draw(new Rng(6).child('env'), 10));
  t.notDeepEqual(draw(r.child('env'), 10), draw(new Rng(5), 10));
  t.is(r.child('env').child('episodes').key, '5/env/episodes');
});

test('normal() has mean ~0 and sd ~1; int/choice/truncatedNormal respect their ranges', (t) => {
  const r = new Rng(2);
  const xs = Array.from({ length: 20000 }, () => r.normal());
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
  t.true(Math.abs(mean) < 0.03, String(mean));
  t.true(Math.abs(sd - 1) < 0.03, String(sd));
  for (let i = 0; i < 500; i++) {
    const k = r.int(5);
    if (!(Number.isInteger(k) && k >= 0 && k < 5)) t.fail(String(k));
    const v = r.truncatedNormal(0, 1, 0.5, 0.7);
    if (!(v >= 0.5 && v <= 0.7)) t.fail(String(v));
  }
  t.is(r.choice(['only']), 'only');
  t.throws(() => r.int(0), { message: /n must be a positive integer/ });
  const s = new Rng(3).nextSeed();
  t.true(Number.isInteger(s) && s >= 0 && s < 2 ** 31);
});

test('getState/setState: a stream continued from its state draws what the original draws next (the cached normal too)', (t) => {
  const a = new Rng('run/actions');
  for (let i = 0; i < 37; i++) a.uniform();
  a.normal(); // leaves the pair's second normal cached
  const state = JSON.parse(JSON.stringify(a.getState())) as ReturnType<Rng['getState']>;
  const b = new Rng('another key');
  b.setState(state);
  const next = (r: Rng) => [r.normal(), r.normal(), r.uniform(), r.int(1000), r.nextSeed()];
  t.deepEqual(next(b), next(a));
  t.notDeepEqual(next(new Rng('run/actions')), next(a), 'not the start of the stream');
});
