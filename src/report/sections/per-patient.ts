/**
 * The per-patient view's numbers (charts/per-patient.ts) from episodes.csv: per unit (a patient, or
 * a patient draw) and method, the mean of each metric with a 95 % CI by the evaluation's own
 * clustered bootstrap restricted to that unit (src/evaluation/stats.ts: training seeds, then the
 * unit's episodes; a baseline's episodes only), and each learned method's paired difference to
 * every baseline on the same episodes, resampled the same way.
 */
import { clusteredBootstrapMeanCI } from '../../evaluation/stats.ts';
import { differenceVerdict, perPatientChart, type PerPatientDifference, type PerPatientMetricSpec, type PerPatientPoint } from '../charts/per-patient.ts';
import type { ReportChart } from '../html.ts';
import { groupBy, mean } from '../stats.ts';
import { cell, type Row, type RunReportData } from './run-data.ts';

export interface PerPatientLayout {
  /** The unit an episode belongs to (patient id, or a patient-draw label) and its group (cohort). */
  unit(row: Row): string;
  group(row: Row): string;
  /** The index of an episode within its unit (the unit's replicates). */
  replicate(row: Row): number;
  /** What a unit is called, and the groups in display order. */
  unitName: string;
  groupOrder: readonly string[];
}

interface Cell {
  values: Map<string, number>; // `${seed}\u0000${replicate}` -> value
}

const key = (seed: string, replicate: number) => `${seed}\u0000${replicate}`;

/** Mean and clustered CI of values keyed by (seed, replicate). */
function meanCI(values: ReadonlyMap<string, number>, resamples: number, seed: number): { mean: number; lo: number; hi: number; n: number } {
  const seeds = [...new Set([...values.keys()].map((k) => k.split('\u0000')[0] as string))].sort();
  const reps = [...new Set([...values.keys()].map((k) => Number(k.split('\u0000')[1])))].sort((a, b) => a - b);
  const grid = new Float64Array(seeds.length * reps.length).fill(Number.NaN);
  seeds.forEach((s, i) => reps.forEach((r, j) => (grid[i * reps.length + j] = values.get(key(s, r)) ?? Number.NaN)));
  const finite = [...values.values()].filter(Number.isFinite);
  const [ci] = clusteredBootstrapMeanCI({ seeds: Math.max(1, seeds.length), patients: 1, episodes: Math.max(1, reps.length) }, [grid], resamples, seed);
  return { mean: mean(finite), lo: ci?.low ?? Number.NaN, hi: ci?.high ?? Number.NaN, n: finite.length };
}

/** The per-patient chart of a run, or undefined when it has fewer than two units (or no episodes). */
export function perPatientView(data: RunReportData, metrics: readonly PerPatientMetricSpec[], layout: PerPatientLayout): { chart: ReportChart; points: PerPatientPoint[]; differences: PerPatientDifference[] } | undefined {
  const episodes = data.episodes;
  if (episodes.length === 0) return undefined;
  const resamples = data.config.evaluate.bootstrap;
  const bootSeed = data.config.evaluate.seed;
  const trained = new Set(data.methods.filter((m) => m.trained).map((m) => m.name));
  const baselines = data.methods.filter((m) => !m.trained).map((m) => m.name);
  // method -> unit -> metric -> cell
  const cells = new Map<string, Map<string, Map<string, Cell>>>();
  const groupOfUnit = new Map<string, string>();
  for (const r of episodes) {
    const method = r['method'] as string;
    const unit = layout.unit(r);
    groupOfUnit.set(unit, layout.group(r));
    const byUnit = cells.get(method) ?? new Map<string, Map<string, Cell>>();
    cells.set(method, byUnit);
    const byMetric = byUnit.get(unit) ?? new Map<string, Cell>();
    byUnit.set(unit, byMetric);
    for (const m of metrics) {
      const c = byMetric.get(m.metric) ?? { values: new Map<string, number>() };
      byMetric.set(m.metric, c);
      const v = cell(r[m.metric]);
      if (Number.isFinite(v)) c.values.set(key(r['seed'] ?? '', layout.replicate(r)), v);
    }
  }
  const points: PerPatientPoint[] = [];
  for (const [method, byUnit] of cells) {
    for (const [unit, byMetric] of byUnit) {
      for (const m of metrics) {
        const c = byMetric.get(m.metric);
        if (c === undefined || c.values.size === 0) continue;
        points.push({ unit, group: groupOfUnit.get(unit) ?? '', method, metric: m.metric, ...meanCI(c.values, resamples, bootSeed) });
      }
    }
  }
  const first = metrics[0] as PerPatientMetricSpec;
  const differences: PerPatientDifference[] = [];
  for (const method of trained) {
    for (const baseline of baselines) {
      for (const [unit, byMetric] of cells.get(method) ?? []) {
        const mine = byMetric.get(first.metric)?.values;
        const ref = cells.get(baseline)?.get(unit)?.get(first.metric)?.values;
        if (mine === undefined || ref === undefined) continue;
        const diff = new Map<string, number>();
        for (const [k, v] of mine) {
          const b = ref.get(key('', Number(k.split('\u0000')[1])));
          if (b !== undefined) diff.set(k, v - b);
        }
        if (diff.size === 0) continue;
        const d = meanCI(diff, resamples, bootSeed);
        differences.push({ unit, group: groupOfUnit.get(unit) ?? '', method, baseline, mean: d.mean, lo: d.lo, hi: d.hi, verdict: differenceVerdict(d.lo, d.hi, first.better, d.n) });
      }
    }
  }
  if (points.length === 0) return undefined;
  // Worst-served first: each unit's worst mean of the first metric over all methods.
  const worst = new Map<string, number>();
  for (const p of points.filter((x) => x.metric === first.metric)) {
    const w = worst.get(p.unit);
    worst.set(p.unit, w === undefined ? p.mean : first.better === 'higher' ? Math.min(w, p.mean) : Math.max(w, p.mean));
  }
  const units = [...worst.keys()];
  const groups = [...layout.groupOrder.filter((g) => units.some((u) => groupOfUnit.get(u) === g)), ...[...new Set(units.map((u) => groupOfUnit.get(u) ?? ''))].filter((g) => !layout.groupOrder.includes(g))];
  const order = groups.map((group) => ({
    group,
    units: units.filter((u) => (groupOfUnit.get(u) ?? '') === group).sort((a, b) => ((worst.get(a) as number) - (worst.get(b) as number)) * (first.better === 'higher' ? 1 : -1) || a.localeCompare(b)),
  }));
  const spec = perPatientChart(points, differences, { colors: data.colors, metrics, order, unitName: layout.unitName });
  return { chart: { name: 'per-patient', spec, caption: perPatientCaption(points, differences, metrics, layout.unitName, order) }, points, differences };
}

/** How to read the per-patient chart of this run (what it draws, which units a learned method served worse). */
function perPatientCaption(points: readonly PerPatientPoint[], differences: readonly PerPatientDifference[], metrics: readonly PerPatientMetricSpec[], unitName: string, order: readonly { group: string; units: readonly string[] }[]): string {
  const units = order.reduce((s, g) => s + g.units.length, 0);
  const groups = order.filter((g) => g.group !== '').map((g) => `${g.group} ${g.units.length}`);
  const withSpread = points.filter((p) => p.hi > p.lo).length;
  const parts = [
    `${metrics.map((m) => m.title.split(' (')[0]).join(' and ')} for each of the ${units} ${unitName}${units === 1 ? '' : 's'}${groups.length > 0 ? ` (${groups.join(', ')})` : ''} under each method, worst-served ${unitName} first.`,
    withSpread > 0 ? `Lines are 95 % confidence intervals from the ${unitName}'s own episodes (and training seeds for a learned method); a dot without a line had no spread to resample.` : `No ${unitName} has more than one episode per method here, so no interval can be drawn: each dot is a single episode.`,
  ];
  if (differences.length > 0) {
    const worse = [...groupBy(differences.filter((d) => d.verdict === 'worse'), (d) => `${d.method} vs ${d.baseline}`).entries()].map(([pair, ds]) => `${pair} on ${ds.map((d) => d.unit).join(', ')}`);
    parts.push(
      `Right: the learned method minus each baseline per ${unitName} (paired on the same episodes). ` +
        (worse.length > 0
          ? `Worse with the whole CI on the bad side: ${worse.join('; ')}. A method can help on average and still harm these.`
          : differences.every((d) => d.lo === d.hi)
            ? `Each difference rests on a single paired value here (one episode per ${unitName} and one seed), so none is judged better or worse.`
            : `No ${unitName} is served worse by a learned method with the whole CI on the bad side.`),
    );
  }
  return parts.join(' ');
}
