/**
 * Evaluation statistics (src/evaluation/stats.ts) and the per-method aggregates and paired
 * differences built on them (aggregateByMethod, summaryRows in src/evaluation/evaluate.ts).
 */
import test from 'ava';
import { bootstrapMeanCI, clusteredBootstrapMeanCI, interquartileMean, iqmWithStratifiedCI, mean, pairedDifferences, quantile, sd } from '../src/evaluation/stats.ts';
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

/**
 * A trained method's episodes: 3 training seeds x 4 patients x 10 episodes with day-to-day noise;
 * `seedEffect(s)` shifts everything seed s does, `patientEffect[p]` everything done to patient p.
 */
function trainedEpisodes(seedEffect: (seed: number) => number, patientEffect = [0, 0, 0, 0]): EpisodeRecord[] {
  const rng = new Rng(11);
  const out: EpisodeRecord[] = [];
  for (const seed of [1, 2, 3]) {
    for (let p = 0; p < 4; p++) {
      for (let k = 0; k < 10; k++) {
        const tir = 60 + patientEffect[p]! + seedEffect(seed) + rng.gaussian(0, 5);
        out.push({ method: 'ppo', seed, patient: `p${p}`, episode: k, episodeSeed: k, return: tir, length: 480, cost: 0, terminated: false, metrics: { tir } });
      }
    }
  }
  return out;
}

const width = (i: { low: number; high: number }) => i.high - i.low;

test('clustered bootstrap: seeds that disagree widen the CI; seeds that agree give the episode bootstrap\'s order', (t) => {
  const t1d = familyOf('T1D-v0');
  const agree = trainedEpisodes(() => 0);
  // The same pooled values, re-dealt so that seed 1 has the lowest third, seed 3 the highest.
  const sorted = [...agree].map((e) => e.metrics['tir'] as number).sort((a, b) => a - b);
  const disagree = agree.map((e, i) => ({ ...e, metrics: { tir: sorted[i] as number } }));
  t.deepEqual([...disagree.map((e) => e.metrics['tir'])].sort((a, b) => (a as number) - (b as number)), sorted, 'same pooled episodes');
  const tirOf = (episodes: EpisodeRecord[]) => aggregateByMethod(episodes, t1d, [], 2000, 5)[0]?.metrics['tir'];
  const a = tirOf(agree);
  const d = tirOf(disagree);
  if (a === undefined || d === undefined) return t.fail();
  t.is(a.scheme, 'seed>patient>episode');
  t.true(Math.abs(a.mean - d.mean) < 1e-9, 'same pooled mean');
  // The old, episode-level bootstrap cannot tell the two apart (same values, so the same width up to resampling noise).
  const flat = (episodes: EpisodeRecord[]) => bootstrapMeanCI(episodes.map((e) => e.metrics['tir'] as number), 2000, 5);
  t.true(Math.abs(width(flat(agree)) / width(flat(disagree)) - 1) < 0.1);
  // The clustered one can: the seed means now lie about 5 TIR points apart.
  t.true(width(d.ci95) > 2.5 * width(a.ci95), `disagreeing seeds ${width(d.ci95)} vs agreeing ${width(a.ci95)}`);
  t.true(d.ci95.low < mean(sorted.slice(0, 40)) + 3 && d.ci95.high > mean(sorted.slice(80)) - 3, `CI ${d.ci95.low}-${d.ci95.high} spans most of the seed means`);
  // Agreeing seeds (and patients): the episode-level CI's order; each level resamples the
  // day-to-day noise once, so about sqrt(3) times as wide.
  const ratio = width(a.ci95) / width(flat(agree));
  t.true(ratio > 1 && ratio < 2.2, `clustered / episode-level width ${ratio}`);
});

test('clustered bootstrap: levels with one unit add nothing; missing values are skipped; the layout is checked', (t) => {
  const rng = new Rng(3);
  const values = Float64Array.from({ length: 40 }, () => rng.gaussian(0, 1));
  // one seed, one patient, 40 episodes: the plain episode bootstrap's interval (same order)
  const [one] = clusteredBootstrapMeanCI({ seeds: 1, patients: 1, episodes: 40 }, [values], 2000, 1);
  const flat = bootstrapMeanCI(Array.from(values), 2000, 1);
  if (one === undefined) return t.fail();
  t.true(Math.abs(width(one) / width(flat) - 1) < 0.15, `${width(one)} vs ${width(flat)}`);
  // NaN cells are missing values, not zeros
  const withGaps = Float64Array.from([1, Number.NaN, 1, 1]);
  t.deepEqual(clusteredBootstrapMeanCI({ seeds: 2, patients: 1, episodes: 2 }, [withGaps], 200, 1), [{ low: 1, high: 1 }]);
  const none = clusteredBootstrapMeanCI({ seeds: 1, patients: 1, episodes: 2 }, [Float64Array.from([Number.NaN, Number.NaN])], 200, 1)[0];
  t.true(Number.isNaN(none?.low) && Number.isNaN(none?.high));
  t.throws(() => clusteredBootstrapMeanCI({ seeds: 2, patients: 2, episodes: 2 }, [new Float64Array(7)], 10, 1), { message: /7 values for 2 x 2 x 2/ });
  t.throws(() => clusteredBootstrapMeanCI({ seeds: 0, patients: 2, episodes: 2 }, [], 10, 1), { message: /needs at least one seed, patient and episode/ });
});

test('paired differences: a method against an identical copy has CI [0, 0], for a baseline and for every training seed', (t) => {
  const t1d = familyOf('T1D-v0');
  const rng = new Rng(8);
  const pid: EpisodeRecord[] = [];
  for (let p = 0; p < 3; p++) {
    for (let k = 0; k < 4; k++) {
      const e = episode('pid', null, `p${p}`, k, rng.gaussian(-20, 5), rng.uniform() * 100);
      pid.push({ ...e, cost: rng.uniform(), metrics: { ...e.metrics, shield_interventions: rng.int(5) } });
    }
  }
  const copy = pid.map((e) => ({ ...e, method: 'pid-again' }));
  // a trained method whose every seed acts as PID does
  const trained = [1, 2, 3].flatMap((seed) => pid.map((e) => ({ ...e, method: 'ppo', seed })));
  const aggregates = aggregateByMethod([...pid, ...copy, ...trained], t1d, ['pid'], 500, 2);
  for (const method of ['pid-again', 'ppo']) {
    const diffs = aggregates.find((a) => a.method === method)?.pairedDifferences['pid'];
    // every compared number, the safety columns included
    for (const m of ['return', 'cost', 'tir', 'terminations', 'shield_interventions']) {
      t.deepEqual(diffs?.[m]?.ci95, { low: 0, high: 0 }, `${method} - pid: ${m}`);
      t.is(diffs?.[m]?.mean, 0);
    }
    t.is(diffs?.['tir']?.scheme, method === 'ppo' ? 'seed>patient>episode' : 'patient>episode');
  }
});

test('aggregates record the scheme of every CI, the design, per-seed aggregates and the IQM across seeds', (t) => {
  const t1d = familyOf('T1D-v0');
  const trained = trainedEpisodes((s) => s, [0, 4, -3, 2]);
  const pid = trained.filter((e) => e.seed === 1).map((e) => ({ ...e, method: 'pid', seed: null }));
  const [ppo, base] = aggregateByMethod([...trained, ...pid], t1d, ['pid'], 300, 4);
  if (ppo === undefined || base === undefined) return t.fail();
  t.deepEqual(ppo.seeds, [1, 2, 3]);
  t.deepEqual(ppo.design, { seeds: 3, patients: 4, episodes: 10 });
  t.deepEqual(base.seeds, []);
  t.deepEqual(base.design, { seeds: 1, patients: 4, episodes: 10 });
  t.is(base.metrics['tir']?.scheme, 'patient>episode');
  t.is(base.metrics['tir']?.iqm, undefined, 'no IQM across seeds for a baseline');
  t.is(base.perSeed, undefined);
  // per seed: that seed's episodes, resampled by patient and episode
  t.deepEqual(Object.keys(ppo.perSeed ?? {}), ['1', '2', '3']);
  const seed2 = ppo.perSeed?.['2']?.metrics['tir'];
  t.is(seed2?.scheme, 'patient>episode');
  t.is(seed2?.n, 40);
  t.true(Math.abs((seed2?.mean ?? NaN) - mean(trained.filter((e) => e.seed === 2).map((e) => e.metrics['tir'] as number))) < 1e-9);
  // IQM over the 3 x 4 (seed, patient) means: cut 3 from each end, average the middle 6
  const scores = [1, 2, 3].flatMap((s) => [0, 1, 2, 3].map((p) => mean(trained.filter((e) => e.seed === s && e.patient === `p${p}`).map((e) => e.metrics['tir'] as number))));
  const iqm = ppo.metrics['tir']?.iqm;
  t.is(iqm?.scheme, 'stratified-seed');
  t.deepEqual([iqm?.runs, iqm?.tasks], [3, 4]);
  t.true(Math.abs((iqm?.value ?? NaN) - mean([...scores].sort((a, b) => a - b).slice(3, 9))) < 1e-9);
  t.true((iqm?.ci95?.low ?? NaN) <= (iqm?.value ?? NaN) && (iqm?.value ?? NaN) <= (iqm?.ci95?.high ?? NaN));
});

test('interquartile mean matches scipy.stats.trim_mean(x, 0.25); the stratified bootstrap resamples runs within tasks', (t) => {
  // scipy.stats.trim_mean(range(1, 11), 0.25) = 5.5; trim_mean([1, 2, 3, 4, 100, 5, 6, 7], 0.25) = 4.5
  t.is(interquartileMean([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 5.5);
  t.is(interquartileMean([1, 2, 3, 4, 100, 5, 6, 7]), 4.5);
  // fewer than 4 values: nothing is cut (as scipy: int(0.25 * 3) = 0)
  t.is(interquartileMean([1, 2, 30]), 11);
  t.true(Number.isNaN(interquartileMean([])));
  // one run per task: no CI (nothing to resample across seeds)
  t.deepEqual(iqmWithStratifiedCI(Float64Array.from([1, 2, 3]), 1, 3, 100, 1), { value: 2, ci95: null, runs: 1, tasks: 3 });
  // runs that agree within every task: the CI collapses onto the IQM even though tasks differ
  const same = Float64Array.from([10, 50, 90, 10, 50, 90]); // 2 runs x 3 tasks
  t.deepEqual(iqmWithStratifiedCI(same, 2, 3, 200, 1).ci95, { low: 50, high: 50 });
  t.throws(() => iqmWithStratifiedCI(same, 4, 3, 10, 1), { message: /6 scores for 4 runs x 3 tasks/ });
});
