/**
 * Daily profiles (src/evaluation/profile.ts): exact per-bin histograms that merge across
 * evaluation tasks in any order, and percentiles within half the resolution of the raw readings'.
 */
import test from 'ava';
import type { DailyProfileSpec } from '../src/core/family.ts';
import type { EpisodeLog } from '../src/core/episode.ts';
import { Rng } from '../src/core/rng.ts';
import { DailyProfileBuilder, histogramCount, histogramQuantiles, mergeProfiles } from '../src/evaluation/profile.ts';
import { quantile } from '../src/evaluation/stats.ts';

/** A profile of info.value at info.minute, as a family would declare it. */
const spec: DailyProfileSpec = {
  quantity: 'glucose (mg/dL)',
  binMinutes: 15,
  resolution: 0.1,
  readings: (log) => log.infos.slice(1).map((i) => ({ minute: i['minute'] as number, value: i['value'] as number })),
};
const horizon = { plannedSteps: 480, stepDuration: { value: 3, unit: 'minute' as const } };

/** A day of 3-minute readings (minutes 3..1440), or fewer when it terminated. */
function day(rng: Rng, steps = 480): EpisodeLog {
  const infos = [{ minute: 0, value: 0 }, ...Array.from({ length: steps }, (_, k) => ({ minute: 3 * (k + 1), value: 40 + 300 * rng.uniform() }))];
  return { return: 0, length: steps, cost: 0, terminated: steps < 480, truncated: steps === 480, infos, rewards: [] };
}

test('per-bin counts: 5 three-minute readings per 15-minute bin and day; a termination is counted, not dropped', (t) => {
  const rng = new Rng(1);
  const builder = new DailyProfileBuilder(spec);
  for (let d = 0; d < 3; d++) builder.add(day(rng), horizon);
  builder.add(day(rng, 200), horizon); // ended at minute 600, in bin 40
  const p = builder.build();
  t.is(p.bins.length, 96);
  // bin 0 holds minutes 3, 6, 9, 12 and the full days' minute 1440 (midnight again)
  t.is(histogramCount(p.bins[0] ?? []), 3 * 5 + 4);
  t.deepEqual(p.bins.map(histogramCount).slice(1, 40), new Array(39).fill(4 * 5));
  t.is(histogramCount(p.bins[40] ?? []), 3 * 5 + 1); // minute 600 itself
  t.deepEqual(p.bins.map(histogramCount).slice(41), new Array(55).fill(3 * 5));
  t.deepEqual([p.episodes, p.terminated, p.terminationMinutes, p.plannedMinutes], [4, 1, [600], 4 * 1440]);
  t.throws(() => new DailyProfileBuilder({ ...spec, binMinutes: 7 }), { message: /binMinutes must divide 1440/ });
  t.throws(() => new DailyProfileBuilder({ ...spec, resolution: 0 }), { message: /resolution must be > 0/ });
});

test('merging is exact and order-free, and the percentiles are the raw readings\' within half the resolution', (t) => {
  const rng = new Rng(2);
  const days = Array.from({ length: 6 }, () => day(rng));
  const shard = (logs: EpisodeLog[]) => {
    const b = new DailyProfileBuilder(spec);
    for (const log of logs) b.add(log, horizon);
    return b.build();
  };
  const whole = shard(days);
  const merged = mergeProfiles([shard(days.slice(4)), shard(days.slice(0, 1)), shard(days.slice(1, 4))]);
  t.deepEqual(merged, whole);
  t.deepEqual(JSON.parse(JSON.stringify(merged)), whole, 'survives JSON');
  const ps = [0.05, 0.25, 0.5, 0.75, 0.95];
  for (const b of [0, 37, 95]) {
    const raw = days.flatMap((log) => spec.readings(log).filter((r) => Math.floor((r.minute % 1440) / 15) === b).map((r) => r.value));
    t.is(raw.length, 30);
    const fromHistogram = histogramQuantiles(whole.bins[b] ?? [], whole.resolution, ps);
    ps.forEach((p, i) => {
      const exact = quantile(raw, p);
      t.true(Math.abs((fromHistogram[i] as number) - exact) <= 0.05 + 1e-9, `bin ${b}, p${p * 100}: ${fromHistogram[i]} vs ${exact}`);
    });
  }
  t.true(Number.isNaN(histogramQuantiles([], 0.1, [0.5])[0]));
  t.throws(() => mergeProfiles([whole, { ...whole, resolution: 1 }]), { message: /cannot be merged/ });
});
