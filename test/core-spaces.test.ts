import test from 'ava';
import { Box, Discrete, spaceFromJSON, spacesEqual } from '../src/core/spaces.ts';
import { Rng } from '../src/core/rng.ts';

test('Box contains/explain: type, length, NaN and bounds are each reported', (t) => {
  const box = new Box([-1, 0], [1, 5]);
  t.is(box.size, 2);
  t.deepEqual(box.shape, [2]);
  t.true(box.contains(Float32Array.of(0.5, 5)));
  t.true(box.contains(Float64Array.of(-1, 0)));
  t.regex(box.explain([0, 1]) ?? '', /got an Array of 2 \(use a Float32Array\)/);
  t.is(box.explain(Float32Array.of(0)), 'expected 2 values, got 1');
  t.is(box.explain(Float32Array.of(NaN, 1)), 'element 0 is NaN');
  t.is(box.explain(Float32Array.of(0, 6)), 'element 1 = 6 is outside [0, 5]');
  t.is(box.explain(Float32Array.of(-2, 1)), 'element 0 = -2 is outside [-1, 1]');
  t.false(box.contains(3));
});

test('Box float32 bounds compare at float32 precision; float64 boxes do not', (t) => {
  const b32 = new Box(0, 0.1, [1]);
  t.true(b32.contains(Float32Array.of(0.1))); // fround(0.1) = 0.10000000149 > 0.1 in float64
  const b64 = new Box(0, 0.1, [1], 'float64');
  t.true(b64.contains(Float64Array.of(0.1)));
  t.false(b64.contains(Float64Array.of(Math.fround(0.1))));
  t.true(b32.zeros() instanceof Float32Array);
  t.true(b64.zeros() instanceof Float64Array);
});

test('Box rejects bad construction', (t) => {
  t.throws(() => new Box(1, 0, [1]), { message: 'Box: low[0] > high[0]' });
  t.throws(() => new Box([0, 0], [1, 1, 1]), { message: /high has 3 elements, shape needs 2/ });
  t.throws(() => new Box(0, 1, [0]), { message: /shape must be a non-empty list of positive integers/ });
  t.throws(() => new Box(NaN, 1, [1]), { message: 'Box: low[0] is NaN' });
});

test('Box sample stays inside bounded and half-bounded spaces, with the right dtype', (t) => {
  const rng = new Rng(1);
  const box = new Box([-2, 0, -Infinity, -Infinity], [2, Infinity, 3, Infinity], undefined, 'float64');
  let minA = Infinity;
  let maxA = -Infinity;
  for (let i = 0; i < 2000; i++) {
    const x = box.sample(rng);
    t.true(x instanceof Float64Array);
    if (!box.contains(x)) t.fail(`sample ${Array.from(x)} outside`);
    minA = Math.min(minA, x[0] as number);
    maxA = Math.max(maxA, x[0] as number);
    if (!Number.isFinite(x[2]) || !Number.isFinite(x[3])) t.fail('unbounded dims must sample finite values');
  }
  t.true(minA < -1.9 && maxA > 1.9); // uniform over the whole interval
  t.false(box.bounded);
  t.true(new Box(0, 1, [3]).bounded);
  const b32 = new Box(0, 0.1, [8]);
  for (let i = 0; i < 500; i++) t.true(b32.contains(b32.sample(rng)));
});

test('Discrete contains/explain/sample', (t) => {
  const d = new Discrete(3);
  t.true(d.contains(0));
  t.true(d.contains(2));
  t.is(d.explain(3), 'expected an integer in [0, 2], got 3');
  t.is(d.explain(-1), 'expected an integer in [0, 2], got -1');
  t.is(d.explain(1.5), 'expected an integer in [0, 2], got 1.5');
  t.is(d.explain('1'), 'expected an integer in [0, 2], got string');
  const rng = new Rng(3);
  const seen = new Set<number>();
  for (let i = 0; i < 100; i++) seen.add(d.sample(rng));
  t.deepEqual([...seen].sort(), [0, 1, 2]);
  t.throws(() => new Discrete(0), { message: /n must be a positive integer/ });
});

test('spaces round-trip through JSON (including infinite and float32-max bounds)', (t) => {
  const spaces = [
    new Box([-4.8, -3.4028234663852886e38], [4.8, 3.4028234663852886e38]),
    new Box(-1, 1, [2, 3], 'float64'),
    new Discrete(7),
  ];
  for (const s of spaces) {
    const back = spaceFromJSON(JSON.parse(JSON.stringify(s.toJSON())));
    t.true(spacesEqual(s, back));
    t.is(back.toString(), s.toString());
  }
  t.deepEqual(new Box(-1, 1, [2, 3], 'float64').toJSON(), { type: 'Box', shape: [2, 3], dtype: 'float64', low: [-1, -1, -1, -1, -1, -1], high: [1, 1, 1, 1, 1, 1] });
  t.is(new Box(-1, 1, [2]).toString(), 'Box(-1, 1, [2], float32)');
  t.false(spacesEqual(new Box(-1, 1, [2]), new Box(-1, 1, [2], 'float64')));
});

test('an unbounded Box survives a JSON round trip (Infinity is written as null)', (t) => {
  const box = new Box([-Infinity, 0], [Infinity, 1], [2], 'float64');
  const json = JSON.parse(JSON.stringify(box.toJSON()));
  t.deepEqual(json.low, [null, 0]);
  const back = spaceFromJSON(json) as Box;
  t.deepEqual(Array.from(back.low), [-Infinity, 0]);
  t.deepEqual(Array.from(back.high), [Infinity, 1]);
  t.true(spacesEqual(box, back));
});
