/**
 * The per-patient view (`charts/per-patient.vl.json`): each metric per patient (or, without
 * patients, per patient draw) and method with its 95 % CI, patients sorted worst-served first, in
 * groups (T1D cohorts), and each learned method's paired difference to every baseline per patient,
 * with the patients where a learned method is worse than a baseline (CI entirely on the bad side)
 * named in red: a method that helps on average but harms one patient shows at a glance.
 * The numbers are computed by the caller (src/report/sections/per-patient.ts); see common.ts for
 * what every chart shares.
 */
import { colorEncoding, finish, requireRows, titleOf, type ChartOptions, type Obj, type Spec } from './common.ts';

/** One metric of one method on one patient: the mean over its episodes (and seeds) with a 95 % CI. */
export interface PerPatientPoint {
  /** Patient id or patient-draw label; `group` e.g. a cohort. */
  unit: string;
  group: string;
  method: string;
  metric: string;
  mean: number;
  lo: number;
  hi: number;
  /** Episodes (x seeds) averaged. */
  n: number;
}

/** A learned method minus a baseline on one patient (paired episodes), on the first metric. */
export interface PerPatientDifference {
  unit: string;
  group: string;
  method: string;
  baseline: string;
  mean: number;
  lo: number;
  hi: number;
  /** 'worse': the CI lies entirely on the bad side of 0; 'better': on the good side; else 'unclear'. */
  verdict: 'worse' | 'better' | 'unclear';
}

export interface PerPatientMetricSpec {
  metric: string;
  /** Axis title with unit. */
  title: string;
  better: 'higher' | 'lower';
  log?: boolean;
  /** A reference line, e.g. a consensus target. */
  threshold?: { value: number; label: string };
}

export interface PerPatientOptions extends ChartOptions {
  metrics: readonly PerPatientMetricSpec[];
  /** Units in display order per group (worst-served first), groups in display order. */
  order: readonly { group: string; units: readonly string[] }[];
  /** What a unit is, e.g. 'patient' or 'patient draw'. */
  unitName: string;
}

/**
 * The verdict of a difference CI for a metric where `better` is the good direction; 'unclear' when
 * fewer than two paired values were resampled (a single difference has no interval to judge).
 */
export function differenceVerdict(lo: number, hi: number, better: 'higher' | 'lower', n: number): PerPatientDifference['verdict'] {
  if (!(Number.isFinite(lo) && Number.isFinite(hi)) || n < 2) return 'unclear';
  const good = better === 'higher' ? lo > 0 : hi < 0;
  const bad = better === 'higher' ? hi < 0 : lo > 0;
  return bad ? 'worse' : good ? 'better' : 'unclear';
}

export function perPatientChart(points: readonly PerPatientPoint[], differences: readonly PerPatientDifference[], opts: PerPatientOptions): Spec {
  requireRows('perPatient', points);
  const methods = [...new Set(points.map((p) => p.method))];
  const methodColor = colorEncoding(methods, opts);
  const first = opts.metrics[0] as PerPatientMetricSpec;
  // Room for every method's dot in a patient's row.
  const rowHeight = Math.max(17, 7 * methods.length);
  const worseByUnit = new Map<string, string[]>();
  for (const d of differences) if (d.verdict === 'worse') worseByUnit.set(`${d.group}\u0000${d.unit}`, [...(worseByUnit.get(`${d.group}\u0000${d.unit}`) ?? []), differences.some((x) => x.method !== d.method) ? `${d.method} vs ${d.baseline}` : d.baseline]);
  // One x domain per panel, the same in every group, so the groups' dots compare at a glance.
  const domainOf = (rows: readonly { lo: number; hi: number; mean: number }[], log: boolean, withZero: boolean): [number, number] => {
    const vs = rows.flatMap((r) => [r.lo, r.hi, r.mean]).filter((v) => Number.isFinite(v) && (!log || v > 0));
    let lo = Math.min(...vs, ...(withZero ? [0] : []));
    let hi = Math.max(...vs, ...(withZero ? [0] : []));
    if (!(lo < hi)) [lo, hi] = log ? [lo / 2, hi * 2] : [lo - 1, hi + 1];
    const pad = log ? 1 : 0.04 * (hi - lo);
    return log ? [lo, hi] : [lo - pad, hi + pad];
  };
  const blocks: Obj[] = opts.order.map(({ group, units }, blockIndex) => {
    const height = Math.max(rowHeight * 2, rowHeight * units.length);
    const y = { field: 'unit', type: 'nominal', title: null, sort: [...units], axis: { labelLimit: 160 } };
    const inGroup = <T extends { group: string }>(rows: readonly T[]): T[] => rows.filter((r) => r.group === group);
    // One legend (on the first group's first panel); the difference panels are coloured by baseline, as their dots.
    const legendFor = (panel: number) => (blockIndex === 0 && panel === 0 ? { ...methodColor, legend: { orient: 'top', direction: 'horizontal', title: null } } : { ...methodColor, legend: null });
    const metricPanel = (spec: PerPatientMetricSpec, withY: boolean, color: Obj): Obj => {
      const rows = inGroup(points).filter((p) => p.metric === spec.metric);
      const all = points.filter((p) => p.metric === spec.metric);
      const x = { type: 'quantitative', title: `${spec.title} (${spec.better} is better)`, scale: { domain: domainOf(all, spec.log === true, false), nice: false, ...(spec.log === true ? { type: 'log' } : { zero: false }) } };
      return {
        width: 230,
        height,
        layer: [
          { data: { values: rows }, mark: { type: 'rule', strokeWidth: 1.5, opacity: 0.8 }, encoding: { y: { ...y, axis: withY ? y.axis : null }, x: { ...x, field: 'lo' }, x2: { field: 'hi' }, color, yOffset: { field: 'method', type: 'nominal', sort: methods } } },
          {
            data: { values: rows },
            mark: { type: 'point', filled: true, size: 42, stroke: '#222', strokeWidth: 0.5 },
            encoding: {
              y: { ...y, axis: withY ? y.axis : null },
              x: { ...x, field: 'mean' },
              color,
              yOffset: { field: 'method', type: 'nominal', sort: methods },
              tooltip: [{ field: 'unit', title: opts.unitName }, { field: 'method' }, { field: 'mean', title: spec.title, format: '.3~g' }, { field: 'lo', title: '95 % CI low', format: '.3~g' }, { field: 'hi', title: '95 % CI high', format: '.3~g' }, { field: 'n', title: 'episodes' }],
            },
          },
          ...(spec.threshold !== undefined ? [{ data: { values: [spec.threshold] }, mark: { type: 'rule', color: '#c0392b', strokeDash: [4, 3] }, encoding: { x: { field: 'value', type: 'quantitative' } } }] : []),
        ],
      };
    };
    const panels: Obj[] = opts.metrics.map((m, i) => metricPanel(m, i === 0, legendFor(i)));
    const diffs = inGroup(differences);
    if (diffs.length > 0) {
      const baselines = [...new Set(diffs.map((d) => d.baseline))];
      const diffColor = { ...colorEncoding(baselines, opts, 'Baseline'), legend: null };
      const learned = [...new Set(diffs.map((d) => d.method))];
      const x = { type: 'quantitative', title: `${first.title}: learned - baseline`, scale: { domain: domainOf(differences, false, true), nice: false } };
      const rows = diffs.map((d) => ({ ...d, pair: `${d.method} - ${d.baseline}` }));
      const offset = { field: 'pair', type: 'nominal', sort: [...new Set(rows.map((r) => r.pair))] };
      panels.push({
        width: 230,
        height,
        layer: [
          { data: { values: [{ zero: 0 }] }, mark: { type: 'rule', color: '#555' }, encoding: { x: { field: 'zero', type: 'quantitative' } } },
          { data: { values: rows }, mark: { type: 'rule', strokeWidth: 1.5 }, encoding: { y: { ...y, axis: null }, x: { ...x, field: 'lo' }, x2: { field: 'hi' }, color: { ...diffColor, field: 'baseline' }, yOffset: offset } },
          {
            data: { values: rows },
            mark: { type: 'point', filled: true, size: 42, stroke: '#222', strokeWidth: 0.5 },
            encoding: {
              y: { ...y, axis: null },
              x: { ...x, field: 'mean' },
              color: { ...diffColor, field: 'baseline' },
              ...(learned.length > 1 ? { shape: { field: 'method', type: 'nominal', title: 'Learned method' } } : {}),
              yOffset: offset,
              tooltip: [{ field: 'unit', title: opts.unitName }, { field: 'method' }, { field: 'baseline' }, { field: 'mean', title: 'difference', format: '.3~g' }, { field: 'lo', title: '95 % CI low', format: '.3~g' }, { field: 'hi', title: '95 % CI high', format: '.3~g' }, { field: 'verdict' }],
            },
          },
        ],
      });
      const flagged = units.map((u) => ({ unit: u, text: worseByUnit.has(`${group}\u0000${u}`) ? `worse than ${worseByUnit.get(`${group}\u0000${u}`)!.join(', ')}` : '' }));
      panels.push({
        width: 260,
        height,
        data: { values: flagged },
        mark: { type: 'text', align: 'left', color: '#a50f15', fontWeight: 'bold', fontSize: 10.5, limit: 260 },
        encoding: { y: { ...y, axis: null }, x: { value: 0 }, text: { field: 'text' } },
        view: { stroke: null },
      });
    }
    return { resolve: { scale: { color: 'independent', x: 'independent', yOffset: 'independent' } }, title: { text: group === '' ? `${units.length} ${opts.unitName}${units.length === 1 ? '' : 's'}` : `${group} (${units.length} ${opts.unitName}${units.length === 1 ? '' : 's'})`, fontSize: 13, anchor: 'start' }, hconcat: panels, spacing: 10 };
  });
  const anyDiff = differences.length > 0;
  const worse = differences.filter((d) => d.verdict === 'worse').length;
  return finish({
    title: titleOf(
      `Per ${opts.unitName}`,
      [
        `Dots: mean per ${opts.unitName} and method, lines: 95 % CI; ${opts.unitName}s sorted worst-served first (${first.better === 'higher' ? 'lowest' : 'highest'} ${first.title.split(' (')[0]} of any method at the top).` +
          (anyDiff ? ` Right: each learned method minus each baseline on the same ${opts.unitName}'s episodes (paired), with its 95 % CI.` : ''),
        ...(anyDiff ? [worse > 0 ? `${worse} (${opts.unitName}, baseline) pair(s) where a learned method is worse, CI entirely on the bad side: named in red.` : `No ${opts.unitName} on which a learned method is worse than a baseline with the CI entirely on the bad side.`] : []),
      ],
      opts,
      230 * (opts.metrics.length + (anyDiff ? 1 : 0)) + 320,
    ),
    vconcat: blocks,
    spacing: 18,
    resolve: { scale: { x: 'independent', color: 'independent', yOffset: 'independent' } },
  });
}
