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
    { ...opts, title: opts.title ?? 'Evaluation return by method', yTitle: 'Mean episode return (dimensionless)', valueName: 'return' },
  );
}

export interface MetricByMethodRow {
  method: string;
  /** Training seed, or BASELINE_SEED for a method without one (one evaluation). */
  seed: number | string;
  value: number;
}

/** The `seed` of a row of a method evaluated once, without a training seed (a clinical baseline). */
export const BASELINE_SEED = 'baseline';

export interface MetricByMethodOptions extends ChartOptions {
  /** What the value is, put before the generated description of bars, whiskers and dots. */
  subtitle?: string;
  yTitle: string;
  /** Tooltip name of the value. */
  valueName: string;
  /** Horizontal reference lines, e.g. the consensus target for time below 70 mg/dL. */
  thresholds?: { value: number; label: string }[];
}

/** What a per-method bar chart draws, from its rows (its subtitle and the report's caption say this and nothing more). */
export interface MethodBarsShape {
  /** Methods with several training seeds that differ (bar = mean, whiskers +- 1 SD, a dot per seed), with their seed counts. */
  multiSeed: { method: string; seeds: number }[];
  /** Methods with several training seeds that all gave the same value (bar only). */
  agreeing: { method: string; seeds: number }[];
  /** Methods with one training seed (bar only). */
  oneSeed: string[];
  /** Methods evaluated once without a seed (bar only). */
  baselines: string[];
}

export function methodBarsShape(rows: readonly MetricByMethodRow[]): MethodBarsShape {
  const out: MethodBarsShape = { multiSeed: [], agreeing: [], oneSeed: [], baselines: [] };
  for (const [method, list] of groupBy(rows, (r) => r.method)) {
    if (list.every((r) => String(r.seed) === BASELINE_SEED)) out.baselines.push(method);
    else if (list.length > 1) (list.every((r) => r.value === list[0]?.value) ? out.agreeing : out.multiSeed).push({ method, seeds: list.length });
    else out.oneSeed.push(method);
  }
  return out;
}

/** One sentence per kind of bar in the chart (shared by the chart subtitle and the report caption). */
export function describeMethodBars(shape: MethodBarsShape): string {
  const parts: string[] = [];
  if (shape.multiSeed.length > 0) {
    const seeds = [...new Set(shape.multiSeed.map((m) => m.seeds))];
    parts.push(`${shape.multiSeed.map((m) => m.method).join(', ')}: bar = mean over ${seeds.join(' / ')} training seeds, whiskers +- 1 SD across seeds, one dot per seed.`);
  }
  if (shape.agreeing.length > 0) parts.push(`${shape.agreeing.map((m) => m.method).join(', ')}: all ${[...new Set(shape.agreeing.map((m) => m.seeds))].join(' / ')} training seeds gave the same value, a bar without spread.`);
  if (shape.oneSeed.length > 0) parts.push(`${shape.oneSeed.join(', ')}: one training seed, so a bar without spread.`);
  if (shape.baselines.length > 0) parts.push(`${shape.baselines.join(', ')}: evaluated once (no training seed), a bar without spread.`);
  return parts.join(' ');
}

/** One bar per method; for methods with several seeds, the mean with +- 1 SD whiskers and a dot per seed; optional reference lines. */
export function metricByMethod(rows: readonly MetricByMethodRow[], opts: MetricByMethodOptions): Spec {
  requireRows('metricByMethod', rows);
  const byMethod = groupBy(rows, (r) => r.method);
  const methods = [...byMethod.keys()];
  const summary = methods.map((method) => {
    const vs = byMethod.get(method)!.map((r) => r.value);
    const m = mean(vs);
    return { method, mean: round(m, 3), seeds: vs.length, ...(vs.length > 1 && sd(vs) > 0 ? { lo: round(m - sd(vs), 3), hi: round(m + sd(vs), 3), sd: round(sd(vs), 3) } : {}) };
  });
  // Whiskers and per-seed dots only where the seeds differ (methodBarsShape's multiSeed).
  const differing = new Set(methodBarsShape(rows).multiSeed.map((m) => m.method));
  const spread = summary.filter((s) => differing.has(s.method));
  const points = rows.filter((r) => differing.has(r.method)).map((r) => ({ method: r.method, seed: String(r.seed), value: round(r.value, 3) }));
  const x = { field: 'method', type: 'nominal', title: 'Method', sort: methods, axis: { labelAngle: methods.length > 5 ? -30 : 0 } };
  const color = colorEncoding(methods, opts);
  const step = Math.max(60, Math.min(110, 440 / methods.length));
  const thresholds = (opts.thresholds ?? []).map((t) => ({ ...t, text: t.label }));
  const description = describeMethodBars(methodBarsShape(rows));
  return finish({
    title: titleOf(opts.title ?? opts.valueName, opts.subtitle !== undefined ? [opts.subtitle, description] : description, opts, Math.max(380, step * methods.length + 60)),
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
          tooltip: [{ field: 'method' }, { field: 'mean', format: '.2f' }, { field: 'sd', title: 'SD across seeds', format: '.2f' }, { field: 'seeds', title: 'rows (seeds)' }],
        },
      },
      ...(spread.length > 0 ? [{ data: { values: spread }, mark: { type: 'rule', color: '#333' }, encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } }] : []),
      ...(points.length > 0
        ? [
            {
              data: { values: points },
              mark: { type: 'point', filled: true, size: 55, stroke: '#222', strokeWidth: 0.6, opacity: 0.95 },
              encoding: { x, y: { field: 'value', type: 'quantitative' }, color, tooltip: [{ field: 'method' }, { field: 'seed' }, { field: 'value', title: opts.valueName, format: '.2f' }] },
            },
          ]
        : []),
      ...(thresholds.length
        ? [
            { data: { values: thresholds }, mark: { type: 'rule', color: '#c0392b', strokeDash: [5, 3] }, encoding: { y: { field: 'value', type: 'quantitative' } } },
            { data: { values: thresholds }, mark: { type: 'text', align: 'right', dy: -6, color: '#c0392b', fontSize: 10.5 }, encoding: { y: { field: 'value', type: 'quantitative' }, x: { value: { expr: 'width' } }, text: { field: 'text' } } },
          ]
        : []),
    ],
  });
}
