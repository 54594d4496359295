/**
 * Vega-Lite chart builders for DoseGym reports: what every chart shares (its look, title,
 * method colours) and the charts every family's report uses (a metric or the return per method).
 * The family charts are next to this file: training.ts, glucose.ts, cvga.ts, chemo.ts.
 *
 * Pure functions: plain typed rows in, a Vega-Lite spec with its data inlined out. They know nothing
 * about how the rows were produced (training, evaluation, a CSV from elsewhere), so the experiment
 * runner, `dosegym report` and the tests all call them the same way. Summary statistics (bins,
 * percentiles, means) are computed here in TypeScript rather than in Vega transforms so that the
 * numbers drawn are unit-tested and the inlined data stay small.
 */
import type { TopLevelSpec } from 'vega-lite';
import { methodColors, methodScale } from '../colors.ts';
import { groupBy, mean, round, sd } from '../stats.ts';

export type Spec = TopLevelSpec;

/** Options every builder accepts. */
export interface ChartOptions {
  /**
   * Run-wide method colours from `methodColors(allMethods)`. Pass the same map to every chart of a
   * report; by default each chart colours the methods it sees (reserved names keep their colour
   * anyway).
   */
  colors?: Record<string, string>;
  /** Overrides the chart title. */
  title?: string;
}

// Loose object type for spec fragments; the finished spec is checked by vega-lite at compile time
// (the tests compile every builder's output and fail on any vega-lite warning).
export type Obj = Record<string, unknown>;

const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';

const SUBTITLE_FONT_SIZE = 11.5;

const CONFIG: Obj = {
  font: FONT,
  background: 'white',
  padding: 8,
  title: { fontSize: 15, subtitleFontSize: SUBTITLE_FONT_SIZE, subtitleColor: '#555', anchor: 'start', offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', gridColor: '#e6e6e6' },
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', labelLimit: 320, titleLimit: 320 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  view: { stroke: '#d0d0d0' },
  concat: { spacing: 16 },
};

export function finish(spec: Obj): Spec {
  return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config: CONFIG, ...spec } as unknown as Spec;
}

/**
 * Splits text into lines of at most `maxChars` characters at spaces. Vega without a canvas
 * estimates text width generously (0.8 em per character), and a long one-line subtitle would
 * widen the whole exported SVG/PNG; wrapping keeps the image as wide as the plot.
 */
export function wrapText(text: string, maxChars: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > maxChars) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** Title with a subtitle wrapped to the plot width (px); several strings start new paragraphs. */
export function titleOf(text: string, subtitle: string | string[] | undefined, opts: ChartOptions, widthPx = 640): Obj {
  if (subtitle === undefined) return { text: opts.title ?? text };
  const maxChars = Math.max(40, Math.floor(widthPx / (0.8 * SUBTITLE_FONT_SIZE)));
  const lines = (Array.isArray(subtitle) ? subtitle : [subtitle]).flatMap((p) => wrapText(p, maxChars));
  return { text: opts.title ?? text, subtitle: lines };
}

export function colorsFor(methods: readonly string[], opts: ChartOptions): Record<string, string> {
  return opts.colors ?? methodColors(methods);
}

export function colorEncoding(present: readonly string[], opts: ChartOptions, legendTitle = 'Method'): Obj {
  return {
    field: 'method',
    type: 'nominal',
    title: legendTitle,
    scale: methodScale(present, colorsFor(present, opts)),
  };
}

/** A Vega expression colouring axis labels by method, so bar charts coloured by range still tie to methods. */
export function methodLabelColor(present: readonly string[], opts: ChartOptions): Obj {
  const { domain, range } = methodScale(present, colorsFor(present, opts));
  const expr = domain.reduceRight((acc, m, i) => `datum.value === ${JSON.stringify(m)} ? ${JSON.stringify(range[i])} : ${acc}`, "'#333'");
  return { expr };
}

export function requireRows(name: string, rows: readonly unknown[]): void {
  if (rows.length === 0) throw new RangeError(`${name}: no rows to chart`);
}

// ---------------------------------------------------------------------------------------------
// Per method

export interface ReturnsByMethodRow {
  method: string;
  seed: number | string;
  /** Mean evaluation return of that seed's policy (dimensionless). */
  meanReturn: number;
}

export function returnsByMethod(rows: readonly ReturnsByMethodRow[], opts: ChartOptions = {}): Spec {
  requireRows('returnsByMethod', rows);
  return metricByMethod(
    rows.map((r) => ({ method: r.method, seed: r.seed, value: r.meanReturn })),
    {
      ...opts,
      title: opts.title ?? 'Evaluation return by method',
      subtitle: 'Bars: mean over seeds; whiskers: +- 1 SD; dots: one per training seed (each the mean over its evaluation episodes).',
      yTitle: 'Mean episode return (dimensionless)',
      valueName: 'return',
    },
  );
}

export interface MetricByMethodRow {
  method: string;
  /** Training seed, or a label for baselines. */
  seed: number | string;
  value: number;
}

export interface MetricByMethodOptions extends ChartOptions {
  subtitle: string;
  yTitle: string;
  /** Tooltip name of the value. */
  valueName: string;
  /** Horizontal reference lines, e.g. the consensus target for time below 70 mg/dL. */
  thresholds?: { value: number; label: string }[];
}

/** One bar per method (mean over seeds) with +- 1 SD whiskers and a dot per seed; optional reference lines. */
export function metricByMethod(rows: readonly MetricByMethodRow[], opts: MetricByMethodOptions): Spec {
  requireRows('metricByMethod', rows);
  const byMethod = groupBy(rows, (r) => r.method);
  const methods = [...byMethod.keys()];
  const summary = methods.map((method) => {
    const vs = byMethod.get(method)!.map((r) => r.value);
    const m = mean(vs);
    const s = sd(vs);
    return { method, mean: round(m, 3), lo: round(m - s, 3), hi: round(m + s, 3), sd: round(s, 3), seeds: vs.length };
  });
  const points = rows.map((r) => ({ method: r.method, seed: String(r.seed), value: round(r.value, 3) }));
  const x = { field: 'method', type: 'nominal', title: 'Method', sort: methods, axis: { labelAngle: methods.length > 5 ? -30 : 0 } };
  const color = colorEncoding(methods, opts);
  const step = Math.max(60, Math.min(110, 440 / methods.length));
  const thresholds = (opts.thresholds ?? []).map((t) => ({ ...t, text: t.label }));
  return finish({
    title: titleOf(opts.title ?? opts.valueName, opts.subtitle, opts, Math.max(380, step * methods.length + 60)),
    width: { step },
    height: 300,
    layer: [
      {
        data: { values: summary },
        mark: { type: 'bar', opacity: 0.55, size: 34 },
        encoding: {
          x,
          y: { field: 'mean', type: 'quantitative', title: opts.yTitle },
          color: { ...color, legend: null },
          tooltip: [{ field: 'method' }, { field: 'mean', format: '.2f' }, { field: 'sd', title: 'SD', format: '.2f' }, { field: 'seeds' }],
        },
      },
      { data: { values: summary }, mark: { type: 'rule', color: '#333' }, encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 55, stroke: '#222', strokeWidth: 0.6, opacity: 0.95 },
        encoding: { x, y: { field: 'value', type: 'quantitative' }, color, tooltip: [{ field: 'method' }, { field: 'seed' }, { field: 'value', title: opts.valueName, format: '.2f' }] },
      },
      ...(thresholds.length
        ? [
            { data: { values: thresholds }, mark: { type: 'rule', color: '#c0392b', strokeDash: [5, 3] }, encoding: { y: { field: 'value', type: 'quantitative' } } },
            { data: { values: thresholds }, mark: { type: 'text', align: 'right', dy: -6, color: '#c0392b', fontSize: 10.5 }, encoding: { y: { field: 'value', type: 'quantitative' }, x: { value: { expr: 'width' } }, text: { field: 'text' } } },
          ]
        : []),
    ],
  });
}

