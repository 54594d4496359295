/**
 * Evaluation statistics (src/evaluation/stats.ts) and the per-method aggregates and paired
 * differences built on them (aggregateByMethod, summaryRows in src/evaluation/evaluate.ts).
 */
import test from 'ava';
import { bootstrapMeanCI, mean, pairedDifferences, quantile, sd } from '../src/evaluation/stats.ts';
import { aggregateByMethod, summaryRows, type EpisodeRecord } from '../src/evaluation/evaluate.ts';
import '../envs/index.ts';
import { familyOf } from '../src/core/family.ts';
import { Rng } from '../src/core/rng.ts';

test('mean, sample SD and type-7 quantiles match reference values (numpy)', (t) => {
  t.is(mean([1, 2, 3, 4]), 2.5);
  t.true(Number.isNaN(mean([])));
  // numpy.std([2, 4, 4, 4, 5, 5, 7, 9], ddof=1) = 2.138089935299395
  t.true(Math.abs(sd([2, 4, 4, 4, 5, 5, 7, 9]) - 2.138089935299395) < 1e-12);
  t.is(sd([5]), 0);
  // numpy.quantile([1, 2, 3, 4], [0.25, 0.5, 0.9]) = [1.75, 2.5, 3.7]
  t.is(quantile([4, 1, 3, 2], 0.25), 1.75);
  t.is(quantile([4, 1, 3, 2], 0.5), 2.5);
  t.true(Math.abs(quantile([4, 1, 3, 2], 0.9) - 3.7) < 1e-12);
  t.is(quantile([4, 1, 3, 2], 0), 1);
  t.is(quantile([4, 1, 3, 2], 1), 4);
});

test('bootstrap CI: deterministic for a seed, contains the mean, narrows with more data', (t) => {
  const rng = new Rng(5);
  const xs = Array.from({ length: 30 }, () => rng.gaussian(10, 2));
  const a = bootstrapMeanCI(xs, 2000, 1);
  t.deepEqual(bootstrapMeanCI(xs, 2000, 1), a);
  t.notDeepEqual(bootstrapMeanCI(xs, 2000, 2), a); // the seed is used
  const m = mean(xs);
  t.true(a.low < m && m < a.high, `${a.low} < ${m} < ${a.high}`);
  // width close to the normal-theory 95 % interval 2 * 1.96 * sd / sqrt(n)
  const normalWidth = (2 * 1.96 * sd(xs)) / Math.sqrt(xs.length);
  t.true(Math.abs(a.high - a.low - normalWidth) / normalWidth < 0.15, `width ${a.high - a.low} vs ${normalWidth}`);
  const more = Array.from({ length: 300 }, () => rng.gaussian(10, 2));
  const b = bootstrapMeanCI(more, 2000, 1);
  t.true(b.high - b.low < (a.high - a.low) / 2);
  // degenerate inputs
  t.deepEqual(bootstrapMeanCI([3], 100, 1), { low: 3, high: 3 });
  t.deepEqual(bootstrapMeanCI([2, 2, 2], 100, 1), { low: 2, high: 2 });
  const empty = bootstrapMeanCI([], 100, 1);
  t.true(Number.isNaN(empty.low) && Number.isNaN(empty.high));
});

test('paired differences are element-wise and reject unequal lengths', (t) => {
  t.deepEqual(pairedDifferences([5, 7, 9], [1, 7, 10]), [4, 0, -1]);
  t.throws(() => pairedDifferences([1, 2], [1]), { instanceOf: RangeError });
});

function episode(method: string, seed: number | null, patient: string, k: number, ret: number, tir: number): EpisodeRecord {
  return { method, seed, patient, episode: k, episodeSeed: 100 + k, return: ret, length: 10, cost: k, terminated: false, metrics: { tir, terminations: k === 1 ? 1 : 0 } };
}

test('aggregateByMethod pairs each episode with the baseline episode of the same patient and index', (t) => {
  const t1d = familyOf('T1D-v0');
  const episodes: EpisodeRecord[] = [
    episode('pid', null, 'p1', 0, -10, 60),
    episode('pid', null, 'p1', 1, -20, 70),
    episode('pid', null, 'p2', 0, -30, 80),
    // a trained method with two seeds, listed in a different order than the baseline
    episode('ppo', 1, 'p2', 0, -25, 85),
    episode('ppo', 1, 'p1', 1, -12, 72),
    episode('ppo', 1, 'p1', 0, -9, 61),
    episode('ppo', 2, 'p1', 0, -11, 62),
    episode('ppo', 2, 'p1', 1, -14, 75),
    episode('ppo', 2, 'p2', 0, -31, 79),
  ];
  const aggregates = aggregateByMethod(episodes, t1d, ['pid'], 500, 3);
  t.deepEqual(aggregates.map((a) => [a.method, a.episodes]), [['pid', 3], ['ppo', 6]]);
  const ppo = aggregates[1];
  if (ppo === undefined) return t.fail();
  t.is(ppo.metrics['return']?.mean, (-25 - 12 - 9 - 11 - 14 - 31) / 6);
  t.is(ppo.metrics['return']?.n, 6);
  // differences ppo - pid: seed 1: p2/0 +5, p1/1 +8, p1/0 +1; seed 2: p1/0 -1, p1/1 +6, p2/0 -1
  const diff = ppo.pairedDifferences['pid']?.['return'];
  t.is(diff?.n, 6);
  t.true(Math.abs((diff?.mean ?? NaN) - (5 + 8 + 1 - 1 + 6 - 1) / 6) < 1e-12);
  t.true((diff?.ci95.low ?? NaN) <= (diff?.mean ?? NaN) && (diff?.mean ?? NaN) <= (diff?.ci95.high ?? NaN));
  t.true(Math.abs((ppo.pairedDifferences['pid']?.['tir']?.mean ?? NaN) - (5 + 2 + 1 + 2 + 5 - 1) / 6) < 1e-12);
  // the baseline is not compared with itself; aggregates are reproducible
  t.deepEqual(aggregates[0]?.pairedDifferences, {});
  t.deepEqual(aggregateByMethod(episodes, t1d, ['pid'], 500, 3), aggregates);
});

test('summaryRows: one row per method and seed, means over episodes, sums for count columns', (t) => {
  const t1d = familyOf('T1D-v0');
  const rows = summaryRows([episode('pid', null, 'p1', 0, -10, 60), episode('pid', null, 'p1', 1, -20, 70), episode('ppo', 4, 'p1', 0, -9, 50), episode('ppo', 4, 'p1', 1, -13, 52)], t1d);
  t.deepEqual(rows.map((r) => [r['method'], r['seed'], r['episodes']]), [['pid', null, 2], ['ppo', 4, 2]]);
  t.is(rows[0]?.['mean_return'], -15);
  t.is(rows[0]?.['std_return'], Math.sqrt(50));
  t.is(rows[0]?.['mean_cost'], 0.5);
  t.is(rows[0]?.['tir'], 65);
  t.is(rows[0]?.['terminations'], 1); // summed
  t.is(rows[1]?.['tir'], 51);
  t.is(rows[0]?.['mean_bg'], null); // no values: null, not NaN
});
