/**
 * Chemotherapy charts: the model states and dose schedule of one episode per method, and tumour
 * burden against toxicity per episode. de Pillis & Radunskaya 2003 states are dimensionless;
 * N < 0.75 is the toxicity constraint of the optimal-control literature. See common.ts for what
 * every chart shares.
 */
import { NORMAL_CELL_CONSTRAINT } from '../../metrics/chemo.ts';
import { groupBy, round, roundSig } from '../stats.ts';
import { colorEncoding, colorsFor, finish, requireRows, titleOf, type ChartOptions, type Obj, type Spec } from './common.ts';

/** Options of the chemotherapy charts: the normal-cell limit they draw (default the metrics' N = 0.75). */
export interface ChemoChartOptions extends ChartOptions {
  toxicityLimit?: number;
  /** Dose strips: mean dose per this many days (default 1 when steps are shorter than a day; 0 = every step). */
  doseBinDays?: number;
}

/**
 * Mean dose per method and bin of `binDays` days (each row's dose applies from its day until the
 * next row's), so a 600-step schedule of quarter days reads as 150 daily doses.
 */
export function binnedDoses(rows: readonly ChemoTrajectoryRow[], binDays: number): { method: string; day: number; u: number }[] {
  const out: { method: string; day: number; u: number }[] = [];
  for (const [method, mRows] of groupBy(rows, (r) => r.method)) {
    const sorted = [...mRows].sort((a, b) => a.day - b.day);
    const sums = new Map<number, { dose: number; time: number }>();
    for (let i = 0; i + 1 < sorted.length; i++) {
      const r = sorted[i] as ChemoTrajectoryRow;
      const span = (sorted[i + 1] as ChemoTrajectoryRow).day - r.day;
      const b = Math.floor(r.day / binDays + 1e-9);
      const acc = sums.get(b) ?? { dose: 0, time: 0 };
      acc.dose += r.u * span;
      acc.time += span;
      sums.set(b, acc);
    }
    for (const [b, acc] of [...sums.entries()].sort((x, y) => x[0] - y[0])) out.push({ method, day: round(b * binDays, 4), u: roundSig(acc.time > 0 ? acc.dose / acc.time : 0) });
    // The last bin's end, so the step area closes at the horizon.
    const last = sorted.at(-1);
    if (last !== undefined && out.length > 0) out.push({ method, day: round(last.day, 4), u: (out.at(-1) as { u: number }).u });
  }
  return out;
}

/** One evaluation episode per method (pick it with `representative` from stats.ts). */
export interface ChemoTrajectoryRow {
  method: string;
  /** Time (days). */
  day: number;
  /** Normal, tumour and immune cell populations and drug concentration (dimensionless). */
  N: number;
  T: number;
  I: number;
  B: number;
  /** Dose applied from this day until the next row (fraction of the maximum, 0-1). */
  u: number;
}

export function chemoTrajectories(rows: readonly ChemoTrajectoryRow[], opts: ChemoChartOptions = {}): Spec {
  requireRows('chemoTrajectories', rows);
  const limit = opts.toxicityLimit ?? NORMAL_CELL_CONSTRAINT;
  const methods = [...new Set(rows.map((r) => r.method))];
  const color = colorEncoding(methods, opts);
  // Sorted by time within each method: the lines and the step area connect rows in data order.
  const data: Obj[] = [];
  for (const [method, mRows] of groupBy(rows, (r) => r.method)) {
    for (const r of [...mRows].sort((a, b) => a.day - b.day)) {
      data.push({ method, day: round(r.day, 4), N: roundSig(r.N), T: roundSig(r.T), I: roundSig(r.I), B: roundSig(r.B), u: roundSig(r.u) });
    }
  }
  const days = rows.map((r) => r.day);
  const stepDays = Math.min(...[...groupBy(rows, (r) => r.method).values()].map((m) => (m.length > 1 ? Math.abs((m[1] as ChemoTrajectoryRow).day - (m[0] as ChemoTrajectoryRow).day) : 1)));
  const binDays = opts.doseBinDays ?? (stepDays < 1 && rows.length / methods.length > 100 ? 1 : 0);
  const doses = binDays > 0 ? binnedDoses(rows, binDays) : data.map((d) => ({ method: d['method'] as string, day: d['day'] as number, u: d['u'] as number }));
  const x = { field: 'day', type: 'quantitative', title: 'Time (days)', scale: { domain: [Math.min(...days), Math.max(...days)], nice: false } };
  const noX = { ...x, title: null, axis: { labels: false, ticks: false, domain: false, title: null } };
  const tPositive = rows.map((r) => r.T).filter((t) => t > 0);
  const tLog = tPositive.length === rows.length && Math.max(...tPositive) / Math.min(...tPositive) > 100;
  const unit = (field: string, title: string, xEnc: Obj, extra: Obj = {}): Obj => ({
    data: { name: 'traj' },
    mark: { type: 'line', strokeWidth: 1.8, clip: true },
    encoding: {
      x: xEnc,
      y: { field, type: 'quantitative', title, ...extra },
      color,
      tooltip: [{ field: 'method' }, { field: 'day', format: '.2f' }, { field, format: '.4~g' }],
    },
  });
  const size = { width: 640, height: 100 };
  const nPanel: Obj = {
    ...size,
    layer: [
      unit('N', 'N (normal)', noX),
      {
        data: { values: [{ y: limit, label: `toxicity limit N = ${limit}` }] },
        layer: [
          { mark: { type: 'rule', color: '#c0392b', strokeDash: [6, 4], strokeWidth: 1.5 }, encoding: { y: { field: 'y', type: 'quantitative' } } },
          {
            mark: { type: 'text', color: '#c0392b', align: 'right', dy: -7, fontSize: 10.5, x: 'width', dx: -4 },
            encoding: { y: { field: 'y', type: 'quantitative' }, text: { field: 'label' } },
          },
        ],
      },
    ],
  };
  // Doses as a step area (each dose held until the next decision), one strip per method: hundreds
  // of adjacent bars would draw anti-aliasing stripes and overlap between methods. The method name
  // sits right of its strip (a facet header would be positioned from estimated text widths).
  const doseStrips: Obj[] = methods.map((method, i) => ({
    width: 640,
    height: 26,
    layer: [
      {
        data: { name: 'doses' },
        transform: [{ filter: { field: 'method', equal: method } }],
        mark: { type: 'area', interpolate: 'step-after', opacity: 0.85, line: { strokeWidth: 1 } },
        encoding: {
          x: i === methods.length - 1 ? x : noX,
          y: { field: 'u', type: 'quantitative', title: i === 0 ? 'Dose u' : null, scale: { domain: [0, 1] }, axis: { values: [0, 1], titleAngle: 0, titleAlign: 'right', titleBaseline: 'middle', titleY: 13 } },
          color,
          tooltip: [{ field: 'method' }, { field: 'day', title: binDays > 0 ? 'from day' : 'day', format: '.2f' }, { field: 'u', title: binDays > 0 ? `mean dose over ${binDays} day(s)` : 'dose (fraction of max)', format: '.3~g' }],
        },
      },
      {
        data: { values: [{ label: method }] },
        mark: { type: 'text', x: 'width', dx: 8, y: 13, align: 'left', baseline: 'middle', fontSize: 11, fontWeight: 'bold', color: colorsFor(methods, opts)[method] ?? '#333' },
        encoding: { text: { field: 'label' } },
      },
    ],
  }));
  return finish({
    title: titleOf(
      'Chemotherapy trajectories',
      `States of the de Pillis-Radunskaya model (dimensionless): normal N, tumour T${tLog ? ' (log scale)' : ''}, immune I, drug B; dashed red line: toxicity limit N = ${limit}. Bottom: ${binDays > 0 ? `mean dose per ${binDays === 1 ? 'day' : `${binDays} days`}` : 'dose per step'} and method (fraction of the maximum).`,
      opts,
    ),
    datasets: { traj: data, doses },
    vconcat: [
      nPanel,
      { ...size, ...unit('T', tLog ? 'T (tumour, log)' : 'T (tumour)', noX, tLog ? { scale: { type: 'log' }, axis: { format: '.0e' } } : {}) },
      { ...size, ...unit('I', 'I (immune)', noX) },
      { ...size, ...unit('B', 'B (drug)', noX) },
      ...doseStrips,
    ],
    spacing: 8,
    resolve: { scale: { color: 'shared' } },
  });
}

export interface TumourToxicityRow {
  method: string;
  /** Tumour burden T at the end of the horizon (dimensionless). */
  finalTumour: number;
  /** Lowest normal-cell population N over the horizon (dimensionless). */
  minNormal: number;
  /** Total dose given (sum of u x days). */
  cumulativeDose: number;
}

/** Area (px^2) of a point with no drug given: visible, about a 7-pixel disc. */
export const MIN_POINT_SIZE = 40;

export function tumourVsToxicity(rows: readonly TumourToxicityRow[], opts: ChemoChartOptions = {}): Spec {
  requireRows('tumourVsToxicity', rows);
  const methods = [...new Set(rows.map((r) => r.method))];
  const limit = opts.toxicityLimit ?? NORMAL_CELL_CONSTRAINT;
  const tumours = rows.map((r) => r.finalTumour);
  const log = tumours.every((t) => t > 0) && Math.max(...tumours) / Math.min(...tumours) > 100;
  const data = rows.map((r) => ({ method: r.method, finalTumour: roundSig(r.finalTumour), minNormal: roundSig(r.minNormal), cumulativeDose: roundSig(r.cumulativeDose) }));
  const minN = Math.min(...rows.map((r) => r.minNormal), limit);
  const maxN = Math.max(...rows.map((r) => r.minNormal), limit);
  const pad = Math.max(0.02, (maxN - minN) * 0.08);
  return finish({
    title: titleOf(
      'Tumour burden against toxicity',
      `One point per evaluation episode. Right of the dashed line (min N >= ${limit}) the toxicity constraint held; lower is less tumour${log ? ' (log scale)' : ''}. Point size: cumulative dose (the smallest points: no drug). Best: bottom right.`,
      opts,
      600,
    ),
    width: 480,
    height: 340,
    layer: [
      {
        data: { values: data },
        mark: { type: 'point', filled: true, opacity: 0.8, stroke: '#333', strokeWidth: 0.6 },
        encoding: {
          x: { field: 'minNormal', type: 'quantitative', title: 'Minimum normal cells N over the horizon (dimensionless)', scale: { domain: [round(minN - pad, 3), round(maxN + pad, 3)], nice: false, zero: false } },
          y: { field: 'finalTumour', type: 'quantitative', title: `Final tumour burden T (dimensionless${log ? ', log' : ''})`, scale: log ? { type: 'log' } : { zero: true }, ...(log ? { axis: { format: '.0e' } } : {}) },
          // Never smaller than a visible point: an untreated patient (dose 0) must still show.
          size: { field: 'cumulativeDose', type: 'quantitative', title: 'Cumulative dose (u x days)', scale: { domain: [0, roundSig(Math.max(1e-9, ...data.map((d) => d.cumulativeDose)))], range: [MIN_POINT_SIZE, 360], zero: true }, legend: { tickCount: 4 } },
          color: colorEncoding(methods, opts),
          shape: { field: 'method', type: 'nominal', scale: { domain: methods } },
          tooltip: [{ field: 'method' }, { field: 'finalTumour', format: '.4~g' }, { field: 'minNormal', format: '.4f' }, { field: 'cumulativeDose', format: '.3~f' }],
        },
      },
      {
        data: { values: [{ x: limit }] },
        mark: { type: 'rule', color: '#c0392b', strokeDash: [6, 4], strokeWidth: 1.5 },
        encoding: { x: { field: 'x', type: 'quantitative' } },
      },
    ],
  });
}
