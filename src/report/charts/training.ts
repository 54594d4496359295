/**
 * Training charts: learning curves per seed with the mean and spread across seeds (also drawn for
 * other training series, e.g. the Lagrange multiplier). See common.ts for what every chart shares.
 */
import { groupBy, mean, round, sd } from '../stats.ts';
import { colorEncoding, finish, requireRows, titleOf, type ChartOptions, type Obj, type Spec } from './common.ts';

export interface LearningCurveRow {
  seed: number | string;
  /** Environment steps at the end of the episode. */
  steps: number;
  episodeReturn: number;
  /** Algorithm name for colour (default 'agent'); several algorithms may share one chart. */
  method?: string;
}

export interface LearningCurveOptions extends ChartOptions {
  /** Number of step bins (default: min(60, distinct step values)). */
  bins?: number;
  /** Band across seeds: 'minmax' (default; honest with 3-5 seeds) or 'sd' (mean +- one SD). */
  band?: 'minmax' | 'sd';
  /** y-axis title for other training series (e.g. the Lagrange multiplier); default episode return. */
  yTitle?: string;
  /** Subtitle replacing the default description. */
  subtitle?: string;
}

/** Per-seed binned returns and their mean with a band across seeds, at the same step bins. */
export function learningCurveData(rows: readonly LearningCurveRow[], opts: LearningCurveOptions = {}): Obj[] {
  const out: Obj[] = [];
  for (const [method, mRows] of groupBy(rows, (r) => r.method ?? 'agent')) {
    const maxSteps = Math.max(...mRows.map((r) => r.steps));
    const distinct = new Set(mRows.map((r) => r.steps)).size;
    const nBins = Math.max(1, opts.bins ?? Math.min(60, distinct));
    const width = maxSteps > 0 ? maxSteps / nBins : 1;
    const binOf = (s: number): number => Math.min(nBins - 1, Math.max(0, Math.ceil(s / width) - 1));
    // seed -> bin -> returns
    const perSeed = new Map<string, Map<number, number[]>>();
    for (const r of mRows) {
      const seed = String(r.seed);
      let bins = perSeed.get(seed);
      if (!bins) perSeed.set(seed, (bins = new Map()));
      const b = binOf(r.steps);
      const list = bins.get(b);
      if (list) list.push(r.episodeReturn);
      else bins.set(b, [r.episodeReturn]);
    }
    const acrossSeeds = new Map<number, number[]>();
    for (const [seed, bins] of perSeed) {
      for (const b of [...bins.keys()].sort((x, y) => x - y)) {
        const v = mean(bins.get(b)!);
        out.push({ kind: 'seed', method, seed, steps: round((b + 1) * width, 1), value: round(v) });
        const list = acrossSeeds.get(b);
        if (list) list.push(v);
        else acrossSeeds.set(b, [v]);
      }
    }
    for (const b of [...acrossSeeds.keys()].sort((x, y) => x - y)) {
      const vs = acrossSeeds.get(b)!;
      const m = mean(vs);
      const s = sd(vs);
      const lo = opts.band === 'sd' ? m - s : Math.min(...vs);
      const hi = opts.band === 'sd' ? m + s : Math.max(...vs);
      out.push({ kind: 'mean', method, steps: round((b + 1) * width, 1), value: round(m), lo: round(lo), hi: round(hi), seeds: vs.length });
    }
  }
  return out;
}

export function learningCurves(rows: readonly LearningCurveRow[], opts: LearningCurveOptions = {}): Spec {
  requireRows('learningCurves', rows);
  const data = learningCurveData(rows, opts);
  const methods = [...new Set(rows.map((r) => r.method ?? 'agent'))];
  const seeds = new Set(rows.map((r) => String(r.seed))).size;
  const bandText = opts.band === 'sd' ? 'mean +- 1 SD' : 'min-max';
  const maxSteps = Math.max(...data.map((d) => d.steps as number));
  const x = { field: 'steps', type: 'quantitative', title: 'Environment steps', scale: { domain: [0, maxSteps], nice: false }, axis: { format: '~s' } };
  const color = colorEncoding(methods, opts, 'Algorithm');
  return finish({
    title: titleOf('Learning curves', opts.subtitle ?? `${seeds} seed(s). Thin lines: each seed (episode return averaged per step bin); thick line: mean across seeds; band: ${bandText} across seeds.`, opts),
    width: 640,
    height: 300,
    data: { values: data },
    layer: [
      {
        transform: [{ filter: "datum.kind === 'mean'" }],
        mark: { type: 'area', opacity: 0.2 },
        encoding: { x, y: { field: 'lo', type: 'quantitative', title: opts.yTitle ?? 'Episode return (dimensionless)' }, y2: { field: 'hi' }, color },
      },
      {
        transform: [{ filter: "datum.kind === 'seed'" }],
        mark: { type: 'line', strokeWidth: 1, opacity: 0.45 },
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative' },
          color,
          detail: { field: 'seed', type: 'nominal' },
          tooltip: [{ field: 'method' }, { field: 'seed' }, { field: 'steps', format: ',' }, { field: 'value', title: 'return', format: '.2f' }],
        },
      },
      {
        transform: [{ filter: "datum.kind === 'mean'" }],
        mark: { type: 'line', strokeWidth: 2.75 },
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative' },
          color,
          tooltip: [
            { field: 'method' },
            { field: 'steps', format: ',' },
            { field: 'value', title: 'mean return', format: '.2f' },
            { field: 'lo', format: '.2f' },
            { field: 'hi', format: '.2f' },
            { field: 'seeds' },
          ],
        },
      },
    ],
  });
}
