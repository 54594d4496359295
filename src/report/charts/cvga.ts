/**
 * The Control Variability Grid Analysis chart (Magni et al., J Diabetes Sci Technol
 * 2008;2(4):630): one point per patient and method at (minimum BG, maximum BG) on a reversed
 * min-BG axis from 110 to 50 mg/dL and a max-BG axis from 110 to 400 mg/dL. A point beyond the axes
 * (minimum below 50 or above 110, maximum above 400 or below 110 mg/dL) is drawn just inside the
 * edge as an open diamond, several at one place spread along the edge, so none is half-clipped or
 * hidden under another; the subtitle counts them and the tooltip gives the true values. Zones and
 * their boundary rule are the metrics' own (`cvgaZone`, src/metrics/glucose.ts), so the chart's zone
 * shares agree with the metrics module.
 */
import { cvgaZone } from '../../metrics/glucose.ts';
import { CVGA_COLORS } from '../colors.ts';
import { round } from '../stats.ts';
import { colorEncoding, finish, requireRows, titleOf, type ChartOptions, type Obj, type Spec } from './common.ts';

export interface CvgaRow {
  method: string;
  patient: string;
  /** Minimum BG over the evaluation (mg/dL). */
  minBg: number;
  /** Maximum BG over the evaluation (mg/dL). */
  maxBg: number;
}

const CVGA_X_CUTS = [110, 90, 70, 50]; // min BG (mg/dL), left to right
const CVGA_Y_CUTS = [110, 180, 300, 400]; // max BG (mg/dL), bottom to top

/** Piecewise-linear map of a value onto grid units 0..3 between cut points (clamped at the ends). */
function gridUnits(v: number, cuts: readonly number[]): number {
  const descending = cuts[0]! > cuts[cuts.length - 1]!;
  for (let i = 0; i < cuts.length - 1; i++) {
    const a = cuts[i]!;
    const b = cuts[i + 1]!;
    const inside = descending ? v >= b : v <= b;
    if (inside || i === cuts.length - 2) return Math.min(cuts.length - 1, Math.max(0, i + (v - a) / (b - a)));
  }
  return 0;
}

/**
 * Position of a (min BG, max BG) pair on the CVGA grid, in zone units 0..3 on each axis. As in
 * Magni et al. 2008 every zone is an equal square: min BG 110/90/70/50 and max BG 110/180/300/400
 * mark the grid lines; values beyond 50 or 400 mg/dL sit on the edge.
 */
export function cvgaPosition(minBg: number, maxBg: number): { x: number; y: number } {
  return { x: gridUnits(minBg, CVGA_X_CUTS), y: gridUnits(maxBg, CVGA_Y_CUTS) };
}

/** How far inside the edge (grid units) a point beyond the axes is drawn, and how far apart several at one place. */
const EDGE_INSET = 0.05;
const EDGE_SPREAD = 0.07;

/** Whether a (min, max) pair lies beyond the CVGA's axes (its position was clamped to the edge). */
export function cvgaBeyondAxes(minBg: number, maxBg: number): boolean {
  return minBg < 50 || minBg > 110 || maxBg > 400 || maxBg < 110;
}

export function cvga(rows: readonly CvgaRow[], opts: ChartOptions = {}): Spec {
  requireRows('cvga', rows);
  const methods = [...new Set(rows.map((r) => r.method))];
  const zones: Obj[] = [];
  for (let c = 0; c < 3; c++) {
    for (let r = 0; r < 3; r++) {
      const zone = cvgaZone((CVGA_X_CUTS[c]! + CVGA_X_CUTS[c + 1]!) / 2, (CVGA_Y_CUTS[r]! + CVGA_Y_CUTS[r + 1]!) / 2);
      const letter = zone.slice(-1) as keyof typeof CVGA_COLORS;
      // Zone names sit in the top-left corner of their square, where they hide fewest points.
      zones.push({ x: c, x2: c + 1, y: r, y2: r + 1, zone, fill: CVGA_COLORS[letter], tx: c + 0.05, ty: r + 0.95 });
    }
  }
  const taken = new Map<string, number>();
  const points = rows.map((r) => {
    const pos = cvgaPosition(r.minBg, r.maxBg);
    const beyond = cvgaBeyondAxes(r.minBg, r.maxBg);
    if (beyond) {
      // Inside the plot, and the k-th point at the same place moved k steps further in along the clamped axes.
      const k = taken.get(`${pos.x}/${pos.y}`) ?? 0;
      taken.set(`${pos.x}/${pos.y}`, k + 1);
      const inward = (v: number, clamped: boolean) => (!clamped ? v : v >= 3 ? 3 - EDGE_INSET - k * EDGE_SPREAD : EDGE_INSET + k * EDGE_SPREAD);
      pos.x = inward(pos.x, r.minBg < 50 || r.minBg > 110);
      pos.y = inward(pos.y, r.maxBg > 400 || r.maxBg < 110);
    }
    return { method: r.method, patient: r.patient, minBg: round(r.minBg, 1), maxBg: round(r.maxBg, 1), x: round(pos.x, 4), y: round(pos.y, 4), zone: cvgaZone(r.minBg, r.maxBg), position: beyond ? 'beyond the axes (drawn at the edge)' : 'on the grid' };
  });
  const beyondCount = points.filter((p) => p.position !== 'on the grid').length;
  const share = methods.map((m) => {
    const ps = points.filter((p) => p.method === m);
    const ab = ps.filter((p) => p.zone === 'A' || p.zone.endsWith('B')).length;
    return `${m} ${Math.round((100 * ab) / ps.length)} %`;
  });
  const scale = { domain: [0, 3], nice: false, zero: false };
  const xLabels = "['>110', '90', '70', '<50'][datum.value]";
  const yLabels = "['<110', '180', '300', '>400'][datum.value]";
  return finish({
    title: titleOf(
      'Control Variability Grid Analysis (CVGA)',
      [
        `One point per patient and method: minimum vs maximum BG over the evaluation; best control is bottom left (zone A).`,
        `Share in zones A+B: ${share.join(', ')}.`,
        ...(beyondCount > 0 ? [`${beyondCount} point(s) beyond the axes are drawn just inside the edge as open diamonds (true values in the tooltip).`] : []),
      ],
      opts,
      560,
    ),
    width: 420,
    height: 420,
    layer: [
      {
        data: { values: zones },
        mark: { type: 'rect', stroke: 'white', strokeWidth: 1.5, opacity: 0.55 },
        encoding: {
          x: { field: 'x', type: 'quantitative', scale, title: 'Minimum BG (mg/dL)', axis: { values: [0, 1, 2, 3], labelExpr: xLabels, grid: false } },
          x2: { field: 'x2' },
          y: { field: 'y', type: 'quantitative', scale, title: 'Maximum BG (mg/dL)', axis: { values: [0, 1, 2, 3], labelExpr: yLabels, grid: false } },
          y2: { field: 'y2' },
          fill: { field: 'fill', type: 'nominal', scale: null },
        },
      },
      {
        data: { values: zones },
        mark: { type: 'text', fontSize: 12, fontWeight: 'bold', color: '#3a3a3a', opacity: 0.75, align: 'left', baseline: 'top' },
        encoding: { x: { field: 'tx', type: 'quantitative', scale }, y: { field: 'ty', type: 'quantitative', scale }, text: { field: 'zone' } },
      },
      // Filled circles on the grid; open diamonds for points beyond the axes, drawn at the edge.
      ...[
        { where: 'on the grid', mark: { type: 'point', shape: 'circle', filled: true, size: 80, opacity: 0.9, stroke: 'white', strokeWidth: 0.8 } },
        { where: 'beyond the axes (drawn at the edge)', mark: { type: 'point', shape: 'diamond', filled: false, size: 90, strokeWidth: 2 } },
      ]
        .filter((l) => points.some((p) => p.position === l.where))
        .map((l) => ({
          data: { values: points.filter((p) => p.position === l.where) },
          mark: l.mark,
          encoding: {
            x: { field: 'x', type: 'quantitative', scale },
            y: { field: 'y', type: 'quantitative', scale },
            color: colorEncoding(methods, opts),
            tooltip: [{ field: 'method' }, { field: 'patient' }, { field: 'minBg', title: 'min BG (mg/dL)' }, { field: 'maxBg', title: 'max BG (mg/dL)' }, { field: 'zone' }, { field: 'position' }],
          },
        })),
    ],
  });
}
