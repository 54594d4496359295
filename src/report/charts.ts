/**
 * Vega-Lite chart builders for DoseGym reports.
 *
 * Pure functions: plain typed rows in, a Vega-Lite spec with its data inlined out. They know nothing
 * about how the rows were produced (training, evaluation, a CSV from elsewhere), so the experiment
 * runner, `dosegym report` and the tests all call them the same way. Summary statistics (bins,
 * percentiles, means) are computed here in TypeScript rather than in Vega transforms so that the
 * numbers drawn are unit-tested and the inlined data stay small.
 *
 * Clinical conventions:
 * - Time in ranges and the AGP follow the International Consensus on Time in Range (Battelino et
 *   al., Diabetes Care 2019;42:1593) and its AGP report.
 * - CVGA follows Magni et al., J Diabetes Sci Technol 2008;2(4):630 (reversed min-BG axis 110 to
 *   50 mg/dL, max-BG axis 110 to 400 mg/dL, values beyond the axes drawn on the edge).
 * - LBGI/HBGI bands follow Kovatchev et al. (LBGI > 2.5 moderate, > 5 high; HBGI > 4.5 moderate,
 *   > 9 high).
 * - Chemotherapy: de Pillis & Radunskaya 2003 states are dimensionless; N < 0.75 is the toxicity
 *   constraint used in the optimal-control literature.
 */
import type { TopLevelSpec } from 'vega-lite';
import { CVGA_COLORS, RANGE_COLORS, methodColors, methodScale } from './colors.ts';
import { groupBy, mean, quantiles, round, roundSig, sd } from './stats.ts';

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
type Obj = Record<string, unknown>;

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

function finish(spec: Obj): Spec {
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
function titleOf(text: string, subtitle: string | string[] | undefined, opts: ChartOptions, widthPx = 640): Obj {
  if (subtitle === undefined) return { text: opts.title ?? text };
  const maxChars = Math.max(40, Math.floor(widthPx / (0.8 * SUBTITLE_FONT_SIZE)));
  const lines = (Array.isArray(subtitle) ? subtitle : [subtitle]).flatMap((p) => wrapText(p, maxChars));
  return { text: opts.title ?? text, subtitle: lines };
}

function colorsFor(methods: readonly string[], opts: ChartOptions): Record<string, string> {
  return opts.colors ?? methodColors(methods);
}

function colorEncoding(present: readonly string[], opts: ChartOptions, legendTitle = 'Method'): Obj {
  return {
    field: 'method',
    type: 'nominal',
    title: legendTitle,
    scale: methodScale(present, colorsFor(present, opts)),
  };
}

/** A Vega expression colouring axis labels by method, so bar charts coloured by range still tie to methods. */
function methodLabelColor(present: readonly string[], opts: ChartOptions): Obj {
  const { domain, range } = methodScale(present, colorsFor(present, opts));
  const expr = domain.reduceRight((acc, m, i) => `datum.value === ${JSON.stringify(m)} ? ${JSON.stringify(range[i])} : ${acc}`, "'#333'");
  return { expr };
}

function requireRows(name: string, rows: readonly unknown[]): void {
  if (rows.length === 0) throw new RangeError(`${name}: no rows to chart`);
}

// ---------------------------------------------------------------------------------------------
// Training

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

// ---------------------------------------------------------------------------------------------
// Type 1 diabetes

/** One representative day per method (pick it with `representative` from stats.ts, e.g. by TIR). */
export interface GlucoseTraceRow {
  method: string;
  /** Minutes since the start of the day shown. */
  minute: number;
  /** True glucose (mg/dL; for T1D-v0 the subcutaneous Gs/Vg that simglucose calls BG). */
  bg: number;
  /** Sensor reading (mg/dL). */
  cgm: number;
  /** Insulin delivered during the step, in `insulinUnit` (default U/min). */
  insulin: number;
  /** Carbohydrate eaten during the step (g); consecutive non-zero steps form one meal marker. */
  cho: number;
}

export interface GlucoseTraceOptions extends ChartOptions {
  /** Unit label of the insulin column (default 'U/min'). */
  insulinUnit?: string;
  /** x-axis title (default 'Time since start of day (h)'). */
  timeTitle?: string;
}

/** Meals as (hour, grams): consecutive steps with carbohydrates merge into one meal. */
export function mealMarkers(rows: readonly GlucoseTraceRow[]): { hour: number; grams: number }[] {
  const sorted = [...rows].sort((a, b) => a.minute - b.minute);
  const meals: { hour: number; grams: number }[] = [];
  let open = false;
  for (const r of sorted) {
    if (r.cho > 0) {
      const last = meals[meals.length - 1];
      if (open && last) last.grams += r.cho;
      else meals.push({ hour: r.minute / 60, grams: r.cho });
      open = true;
    } else {
      open = false;
    }
  }
  return meals.map((m) => ({ hour: round(m.hour, 3), grams: round(m.grams, 1) }));
}

function medianStep(minutes: readonly number[]): number {
  const sorted = [...new Set(minutes)].sort((a, b) => a - b);
  const diffs: number[] = [];
  for (let i = 1; i < sorted.length; i++) diffs.push(sorted[i]! - sorted[i - 1]!);
  return diffs.length ? quantiles(diffs, [0.5])[0]! : 1;
}

export function glucoseTrace(rows: readonly GlucoseTraceRow[], opts: GlucoseTraceOptions = {}): Spec {
  requireRows('glucoseTrace', rows);
  const byMethod = groupBy(rows, (r) => r.method);
  const methods = [...byMethod.keys()];
  const colors = colorsFor(methods, opts);
  const insulinUnit = opts.insulinUnit ?? 'U/min';
  const hours = rows.map((r) => r.minute / 60);
  const xDomain = [Math.floor(Math.min(...hours)), Math.ceil(Math.max(...hours, Math.min(...hours) + 1))];
  const values = rows.flatMap((r) => [r.bg, r.cgm]).filter(Number.isFinite);
  const yMax = Math.max(300, Math.ceil(Math.max(...values) / 50) * 50 + 50);
  const yMin = Math.min(40, Math.floor(Math.min(...values) / 10) * 10);
  const x = {
    field: 'hour',
    type: 'quantitative',
    title: opts.timeTitle ?? 'Time since start of day (h)',
    scale: { domain: xDomain, nice: false },
    axis: { tickMinStep: 1 },
  };
  // Every glucose layer carries the same explicit scale so the band layers cannot widen it to 0.
  const yScale = { domain: [yMin, yMax], nice: false, zero: false };
  const xHidden = { ...x, title: null, axis: { labels: false, ticks: false, domain: false, title: null } };

  const panels: Obj[] = methods.map((method, i) => {
    const mRows = byMethod.get(method)!;
    const colour = colors[method] ?? methodScale([method], colors).range[0]!;
    const stepH = medianStep(mRows.map((r) => r.minute)) / 60;
    const glucose = mRows.flatMap((r) => [
      { hour: round(r.minute / 60, 4), series: 'BG (true, Gs/Vg)', value: round(r.bg, 1) },
      { hour: round(r.minute / 60, 4), series: 'CGM (sensor)', value: round(r.cgm, 1) },
    ]);
    // Each method gets its own insulin scale: meal boluses (~100 U/h) would flatten a basal-only trace.
    const insulinMax = Math.max(...mRows.map((r) => r.insulin), 1e-9);
    const insulin = mRows.map((r) => ({ hour: round(r.minute / 60, 4), hour2: round(r.minute / 60 + stepH, 4), insulin: roundSig(r.insulin, 4) }));
    const meals = mealMarkers(mRows).map((m) => ({ ...m, y: yMax - (yMax - yMin) * 0.06, label: `${m.grams} g` }));
    // Only the bottom insulin panel carries the time-axis title; every insulin panel keeps its labels.
    const xAxisLast = i === methods.length - 1 ? x : { ...x, title: null };
    const glucosePanel: Obj = {
      title: { text: method, color: colour, fontSize: 13, anchor: 'start' },
      width: 640,
      height: 190,
      layer: [
        {
          data: { values: [{ lo: 70, hi: 180 }] },
          mark: { type: 'rect', color: RANGE_COLORS.from70to180, opacity: 0.12 },
          encoding: { y: { field: 'lo', type: 'quantitative', scale: yScale }, y2: { field: 'hi' } },
        },
        {
          data: { values: [{ y: 70 }, { y: 180 }] },
          mark: { type: 'rule', color: RANGE_COLORS.from70to180, strokeDash: [4, 3], opacity: 0.7 },
          encoding: { y: { field: 'y', type: 'quantitative', scale: yScale } },
        },
        {
          data: { values: glucose },
          mark: { type: 'line', color: colour, interpolate: 'monotone' },
          encoding: {
            x: xHidden,
            y: { field: 'value', type: 'quantitative', title: 'Glucose (mg/dL)', scale: yScale },
            strokeDash: {
              field: 'series',
              type: 'nominal',
              title: 'Signal',
              scale: { domain: ['BG (true, Gs/Vg)', 'CGM (sensor)'], range: [[1, 0], [5, 3]] },
              legend: { symbolStrokeWidth: 2 },
            },
            strokeWidth: { field: 'series', type: 'ordinal', sort: ['BG (true, Gs/Vg)', 'CGM (sensor)'], scale: { domain: ['BG (true, Gs/Vg)', 'CGM (sensor)'], range: [2.2, 1.3] } },
            tooltip: [{ field: 'series' }, { field: 'hour', title: 'time (h)', format: '.2f' }, { field: 'value', title: 'mg/dL', format: '.0f' }],
          },
        },
        ...(meals.length
          ? [
              {
                data: { values: meals },
                mark: { type: 'point', shape: 'triangle-down', filled: true, size: 90, color: '#444' },
                encoding: {
                  x: { field: 'hour', type: 'quantitative' },
                  y: { field: 'y', type: 'quantitative', scale: yScale },
                  tooltip: [{ field: 'hour', title: 'meal time (h)', format: '.2f' }, { field: 'grams', title: 'carbohydrate (g)' }],
                },
              },
              {
                data: { values: meals },
                mark: { type: 'text', dx: 8, align: 'left', baseline: 'middle', fontSize: 10.5, color: '#444' },
                encoding: { x: { field: 'hour', type: 'quantitative' }, y: { field: 'y', type: 'quantitative', scale: yScale }, text: { field: 'label' } },
              },
            ]
          : []),
      ],
    };
    const insulinPanel: Obj = {
      width: 640,
      height: 70,
      data: { values: insulin },
      mark: { type: 'rect', color: colour, opacity: 0.85 },
      encoding: {
        x: xAxisLast,
        x2: { field: 'hour2' },
        y: { field: 'insulin', type: 'quantitative', title: ['Insulin', `(${insulinUnit})`], scale: { domain: [0, insulinMax], nice: true }, axis: { tickCount: 3 } },
        y2: { datum: 0 },
        tooltip: [{ field: 'hour', title: 'time (h)', format: '.2f' }, { field: 'insulin', title: insulinUnit, format: '.4~g' }],
      },
    };
    return { vconcat: [glucosePanel, insulinPanel], spacing: 4 };
  });

  return finish({
    title: titleOf(
      'Glucose trace on a representative day',
      `Per method: true glucose (solid) and CGM (dashed) with the 70-180 mg/dL target band shaded; insulin delivery below (each method on its own scale); triangles mark meals (g carbohydrate).`,
      opts,
    ),
    vconcat: panels,
    spacing: 22,
    resolve: { scale: { strokeDash: 'shared', strokeWidth: 'shared' } },
  });
}

export interface AgpRow {
  method: string;
  /** Minute of the day, 0-1439 (wraps modulo 1440). */
  minuteOfDay: number;
  /** Glucose (mg/dL): plasma BG or CGM, as the caller chooses. */
  bg: number;
}

export interface AgpOptions extends ChartOptions {
  /** Bin width in minutes (default 15). */
  binMinutes?: number;
}

/** AGP percentiles (5, 25, 50, 75, 95) per method and time-of-day bin. */
export function agpData(rows: readonly AgpRow[], binMinutes = 15): { method: string; hour: number; n: number; p5: number; p25: number; p50: number; p75: number; p95: number }[] {
  if (!(binMinutes > 0 && 1440 % binMinutes === 0)) throw new RangeError(`agp: binMinutes must divide 1440, got ${binMinutes}`);
  const out: { method: string; hour: number; n: number; p5: number; p25: number; p50: number; p75: number; p95: number }[] = [];
  for (const [method, mRows] of groupBy(rows, (r) => r.method)) {
    const bins = groupBy(
      mRows.filter((r) => Number.isFinite(r.bg)),
      (r) => Math.floor((((r.minuteOfDay % 1440) + 1440) % 1440) / binMinutes),
    );
    for (const b of [...bins.keys()].sort((x, y) => x - y)) {
      const vs = bins.get(b)!.map((r) => r.bg);
      const [p5, p25, p50, p75, p95] = quantiles(vs, [0.05, 0.25, 0.5, 0.75, 0.95]) as [number, number, number, number, number];
      // Plot at the bin centre so the curve is not shifted by half a bin.
      out.push({ method, hour: round(((b + 0.5) * binMinutes) / 60, 4), n: vs.length, p5: round(p5, 1), p25: round(p25, 1), p50: round(p50, 1), p75: round(p75, 1), p95: round(p95, 1) });
    }
  }
  return out;
}

export function agp(rows: readonly AgpRow[], opts: AgpOptions = {}): Spec {
  requireRows('agp', rows);
  const binMinutes = opts.binMinutes ?? 15;
  const data = agpData(rows, binMinutes);
  const methods = [...new Set(rows.map((r) => r.method))];
  const colors = colorsFor(methods, opts);
  const yMax = Math.max(300, Math.ceil(Math.max(...data.map((d) => d.p95)) / 50) * 50);
  const yMin = Math.min(40, Math.floor(Math.min(...data.map((d) => d.p5)) / 10) * 10);
  const x = {
    field: 'hour',
    type: 'quantitative',
    title: 'Time of day (h)',
    scale: { domain: [0, 24], nice: false },
    axis: { values: [0, 3, 6, 9, 12, 15, 18, 21, 24] },
  };
  const y = { type: 'quantitative', title: 'Glucose (mg/dL)', scale: { domain: [yMin, yMax], nice: false } };
  const panels: Obj[] = methods.map((method) => {
    const colour = colors[method] ?? methodScale([method], colors).range[0]!;
    return {
      title: { text: method, color: colour, fontSize: 13 },
      width: 300,
      height: 200,
      layer: [
        {
          data: { values: [{ lo: 70, hi: 180 }] },
          mark: { type: 'rect', color: RANGE_COLORS.from70to180, opacity: 0.1 },
          encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
        },
        {
          data: { values: [{ y: 70 }, { y: 180 }] },
          mark: { type: 'rule', color: RANGE_COLORS.from70to180, strokeDash: [4, 3] },
          encoding: { y: { field: 'y', type: 'quantitative' } },
        },
        {
          data: { values: data.filter((d) => d.method === method) },
          layer: [
            { mark: { type: 'area', color: colour, opacity: 0.18 }, encoding: { x, y: { ...y, field: 'p5' }, y2: { field: 'p95' } } },
            { mark: { type: 'area', color: colour, opacity: 0.4 }, encoding: { x, y: { ...y, field: 'p25' }, y2: { field: 'p75' } } },
            {
              mark: { type: 'line', color: colour, strokeWidth: 2.5 },
              encoding: {
                x,
                y: { ...y, field: 'p50' },
                tooltip: [
                  { field: 'hour', title: 'time of day (h)', format: '.2f' },
                  { field: 'p5', title: '5th pct (mg/dL)' },
                  { field: 'p25', title: '25th pct' },
                  { field: 'p50', title: 'median' },
                  { field: 'p75', title: '75th pct' },
                  { field: 'p95', title: '95th pct' },
                  { field: 'n', title: 'readings' },
                ],
              },
            },
          ],
        },
      ],
    };
  });
  return finish({
    title: titleOf(
      'Ambulatory Glucose Profile',
      `Glucose by time of day over all evaluation days (${binMinutes}-min bins): median (line), 25-75 % (dark band) and 5-95 % (light band); shaded 70-180 mg/dL target.`,
      opts,
      Math.min(methods.length, 3) * 320,
    ),
    concat: panels,
    columns: Math.min(methods.length, 3),
  });
}

export interface TimeInRangesRow {
  method: string;
  /** Percent of time (0-100) in each range; rows per method are averaged, then normalised to 100 %. */
  below54: number;
  from54to70: number;
  from70to180: number;
  from180to250: number;
  above250: number;
}

const RANGES = [
  { key: 'above250', label: '> 250 mg/dL (very high)', color: RANGE_COLORS.above250 },
  { key: 'from180to250', label: '180-250 mg/dL (high)', color: RANGE_COLORS.from180to250 },
  { key: 'from70to180', label: '70-180 mg/dL (in range)', color: RANGE_COLORS.from70to180 },
  { key: 'from54to70', label: '54-70 mg/dL (low)', color: RANGE_COLORS.from54to70 },
  { key: 'below54', label: '< 54 mg/dL (very low)', color: RANGE_COLORS.below54 },
] as const;

export function timeInRanges(rows: readonly TimeInRangesRow[], opts: ChartOptions = {}): Spec {
  requireRows('timeInRanges', rows);
  const byMethod = groupBy(rows, (r) => r.method);
  const methods = [...byMethod.keys()];
  const data: Obj[] = [];
  // Time below 70 mg/dL matters most clinically but is often too thin a segment to label, so it
  // is always printed above the bar.
  const below70: Obj[] = [];
  for (const [method, mRows] of byMethod) {
    const means = RANGES.map((r) => mean(mRows.map((row) => row[r.key])));
    const total = means.reduce((a, b) => a + b, 0);
    if (!(total > 0)) throw new RangeError(`timeInRanges: method '${method}' has no time in any range`);
    const low = (100 * (means[3]! + means[4]!)) / total;
    below70.push({ method, y: 100, label: `< 70: ${low.toFixed(1)} %`, pct: round(low, 2) });
    // Stack from the bottom: very low first, very high on top, as on the AGP report.
    let base = 0;
    for (let i = RANGES.length - 1; i >= 0; i--) {
      const pct = (100 * means[i]!) / total;
      data.push({
        method,
        range: RANGES[i]!.label,
        order: RANGES.length - 1 - i,
        pct: round(pct, 2),
        y0: round(base, 3),
        y1: round(base + pct, 3),
        mid: round(base + pct / 2, 3),
        label: pct >= 4 ? `${pct.toFixed(pct < 10 ? 1 : 0)} %` : '',
        n: mRows.length,
      });
      base += pct;
    }
  }
  const xEnc = { field: 'method', type: 'nominal', title: 'Method', sort: methods, axis: { labelAngle: 0, labelColor: methodLabelColor(methods, opts), labelFontWeight: 'bold' } };
  const step = Math.max(70, Math.min(130, 520 / methods.length));
  return finish({
    title: titleOf(
      'Time in ranges',
      'Share of evaluation time per glucose range (mean over patients and episodes). Consensus targets: > 70 % in 70-180, < 4 % below 70, < 1 % below 54, < 25 % above 180, < 5 % above 250.',
      opts,
      step * methods.length + 200,
    ),
    width: { step },
    height: 320,
    layer: [
      {
        data: { values: data },
        mark: { type: 'bar', stroke: 'white', strokeWidth: 0.5 },
        encoding: {
          x: xEnc,
          y: { field: 'y0', type: 'quantitative', title: 'Share of time (%)', scale: { domain: [0, 100] } },
          y2: { field: 'y1' },
          color: {
            field: 'range',
            type: 'nominal',
            title: 'Glucose range',
            scale: { domain: RANGES.map((r) => r.label), range: RANGES.map((r) => r.color) },
            legend: { orient: 'right' },
          },
          tooltip: [{ field: 'method' }, { field: 'range' }, { field: 'pct', title: '% of time', format: '.1f' }, { field: 'n', title: 'rows averaged' }],
        },
      },
      {
        data: { values: data },
        mark: { type: 'text', fontSize: 11, fontWeight: 'bold', color: '#1a1a1a' },
        encoding: { x: xEnc, y: { field: 'mid', type: 'quantitative' }, text: { field: 'label' } },
      },
      {
        data: { values: below70 },
        mark: { type: 'text', fontSize: 10.5, fontWeight: 'bold', color: RANGE_COLORS.below54, baseline: 'bottom', dy: -4 },
        encoding: { x: xEnc, y: { field: 'y', type: 'quantitative' }, text: { field: 'label' }, tooltip: [{ field: 'method' }, { field: 'pct', title: '% of time below 70 mg/dL' }] },
      },
    ],
  });
}

export interface CvgaRow {
  method: string;
  patient: string;
  /** Minimum BG over the evaluation (mg/dL). */
  minBg: number;
  /** Maximum BG over the evaluation (mg/dL). */
  maxBg: number;
}

export type CvgaZone = 'A' | 'Lower B' | 'B' | 'Upper B' | 'Lower C' | 'Upper C' | 'Lower D' | 'Upper D' | 'E';

/**
 * CVGA zone of a (min BG, max BG) pair, Magni et al. 2008: columns by min BG (> 90, 70-90, < 70),
 * rows by max BG (< 180, 180-300, > 300). Boundary values go to the better zone.
 */
export function cvgaZone(minBg: number, maxBg: number): CvgaZone {
  const col = minBg >= 90 ? 0 : minBg >= 70 ? 1 : 2;
  const row = maxBg <= 180 ? 0 : maxBg <= 300 ? 1 : 2;
  const grid: CvgaZone[][] = [
    ['A', 'Lower B', 'Lower C'],
    ['Upper B', 'B', 'Lower D'],
    ['Upper C', 'Upper D', 'E'],
  ];
  return grid[row]![col]!;
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
  const points = rows.map((r) => {
    const pos = cvgaPosition(r.minBg, r.maxBg);
    return { method: r.method, patient: r.patient, minBg: round(r.minBg, 1), maxBg: round(r.maxBg, 1), x: round(pos.x, 4), y: round(pos.y, 4), zone: cvgaZone(r.minBg, r.maxBg) };
  });
  const share = methods.map((m) => {
    const ps = points.filter((p) => p.method === m);
    const ab = ps.filter((p) => p.zone === 'A' || p.zone.endsWith('B')).length;
    return `${m} ${Math.round((100 * ab) / ps.length)} %`;
  });
  const scale = { domain: [0, 3], nice: false, zero: false };
  const xLabels = "['110', '90', '70', '<50'][datum.value]";
  const yLabels = "['110', '180', '300', '>400'][datum.value]";
  return finish({
    title: titleOf(
      'Control Variability Grid Analysis (CVGA)',
      [`One point per patient and method: minimum vs maximum BG over the evaluation; best control is bottom left (zone A).`, `Share in zones A+B: ${share.join(', ')}.`],
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
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 80, opacity: 0.9, stroke: 'white', strokeWidth: 0.8 },
        encoding: {
          x: { field: 'x', type: 'quantitative', scale },
          y: { field: 'y', type: 'quantitative', scale },
          color: colorEncoding(methods, opts),
          shape: { field: 'method', type: 'nominal', scale: { domain: methods } },
          tooltip: [{ field: 'method' }, { field: 'patient' }, { field: 'minBg', title: 'min BG (mg/dL)' }, { field: 'maxBg', title: 'max BG (mg/dL)' }, { field: 'zone' }],
        },
      },
    ],
  });
}

export interface RiskIndexRow {
  method: string;
  lbgi: number;
  hbgi: number;
}

/** Kovatchev risk bands per index (upper bounds; the last band is open). */
const RISK_BANDS: Record<'lbgi' | 'hbgi', { from: number; to: number | null; label: string; fill: string }[]> = {
  lbgi: [
    { from: 2.5, to: 5, label: 'moderate', fill: '#fde9a9' },
    { from: 5, to: null, label: 'high', fill: '#f7b9ae' },
  ],
  hbgi: [
    { from: 4.5, to: 9, label: 'moderate', fill: '#fde9a9' },
    { from: 9, to: null, label: 'high', fill: '#f7b9ae' },
  ],
};

export function riskIndex(rows: readonly RiskIndexRow[], opts: ChartOptions = {}): Spec {
  requireRows('riskIndex', rows);
  const byMethod = groupBy(rows, (r) => r.method);
  const methods = [...byMethod.keys()];
  const hasSpread = rows.length > methods.length;
  const indices = [
    { key: 'lbgi', title: 'LBGI (hypoglycaemia risk)', get: (r: RiskIndexRow) => r.lbgi },
    { key: 'hbgi', title: 'HBGI (hyperglycaemia risk)', get: (r: RiskIndexRow) => r.hbgi },
    { key: 'ri', title: 'Risk index (LBGI + HBGI)', get: (r: RiskIndexRow) => r.lbgi + r.hbgi },
  ] as const;
  const x = { field: 'method', type: 'nominal', title: null, sort: methods, axis: { labelAngle: methods.length > 4 ? -30 : 0 } };
  const color = colorEncoding(methods, opts);
  const step = Math.max(34, Math.min(60, 220 / methods.length));
  // One panel per index with its own y scale: LBGI is typically a tenth of HBGI and would vanish
  // on a shared axis. Shaded backgrounds are Kovatchev's moderate and high risk bands.
  const panels: Obj[] = indices.map((ix) => {
    const data = methods.map((method) => {
      const vs = byMethod.get(method)!.map(ix.get);
      const m = mean(vs);
      const s = sd(vs);
      return { method, value: round(m, 3), lo: round(Math.max(0, m - s), 3), hi: round(m + s, 3), sd: round(s, 3), n: vs.length };
    });
    const top = Math.max(...data.map((d) => d.hi), ix.key === 'lbgi' ? 3 : ix.key === 'hbgi' ? 5 : 0) * 1.1;
    const bands = ix.key === 'ri' ? [] : RISK_BANDS[ix.key].filter((b) => b.from < top).map((b) => ({ ...b, to: Math.min(b.to ?? top, top) }));
    const y = { type: 'quantitative', title: ix.key === 'lbgi' ? 'Risk index (dimensionless)' : null, scale: { domain: [0, round(top, 3)], nice: false } };
    return {
      title: { text: ix.title, fontSize: 12.5, fontWeight: 'normal' },
      width: { step },
      height: 260,
      layer: [
        ...(bands.length
          ? [
              {
                data: { values: bands },
                mark: { type: 'rect', opacity: 0.7 },
                encoding: { y: { ...y, field: 'from' }, y2: { field: 'to' }, fill: { field: 'fill', type: 'nominal', scale: null } },
              },
            ]
          : []),
        {
          data: { values: data },
          layer: [
            {
              mark: { type: 'bar', width: { band: 0.7 } },
              encoding: {
                x,
                y: { ...y, field: 'value' },
                color,
                tooltip: [{ field: 'method' }, { field: 'value', title: 'mean', format: '.2f' }, { field: 'sd', title: 'SD', format: '.2f' }, { field: 'n' }],
              },
            },
            ...(hasSpread ? [{ mark: { type: 'rule', color: '#333' }, encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' } } }] : []),
          ],
        },
        // Band names last, so no bar hides them.
        ...(bands.length
          ? [
              {
                data: { values: bands },
                mark: { type: 'text', align: 'right', baseline: 'top', x: 'width', dx: -3, dy: 3, fontSize: 10, fontWeight: 'bold', color: '#7a4a00' },
                encoding: { y: { ...y, field: 'to' }, text: { field: 'label' } },
              },
            ]
          : []),
      ],
    };
  });
  return finish({
    title: titleOf(
      'Blood glucose risk indices',
      `Mean per method${hasSpread ? ' (whiskers: +- 1 SD over patients and episodes)' : ''}. Shaded: Kovatchev risk bands (LBGI > 2.5 moderate, > 5 high; HBGI > 4.5 moderate, > 9 high). Lower is better.`,
      opts,
      3 * step * methods.length + 200,
    ),
    hconcat: panels,
    spacing: 24,
  });
}

// ---------------------------------------------------------------------------------------------
// Chemotherapy

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

export function chemoTrajectories(rows: readonly ChemoTrajectoryRow[], opts: ChartOptions & { toxicityLimit?: number } = {}): Spec {
  requireRows('chemoTrajectories', rows);
  const methods = [...new Set(rows.map((r) => r.method))];
  const limit = opts.toxicityLimit ?? 0.75;
  const color = colorEncoding(methods, opts);
  // Sorted by time within each method: the lines and the step area connect rows in data order.
  const data: Obj[] = [];
  for (const [method, mRows] of groupBy(rows, (r) => r.method)) {
    for (const r of [...mRows].sort((a, b) => a.day - b.day)) {
      data.push({ method, day: round(r.day, 4), N: roundSig(r.N), T: roundSig(r.T), I: roundSig(r.I), B: roundSig(r.B), u: roundSig(r.u) });
    }
  }
  const days = rows.map((r) => r.day);
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
        data: { name: 'traj' },
        transform: [{ filter: { field: 'method', equal: method } }],
        mark: { type: 'area', interpolate: 'step-after', opacity: 0.85, line: { strokeWidth: 1 } },
        encoding: {
          x: i === methods.length - 1 ? x : noX,
          y: { field: 'u', type: 'quantitative', title: i === 0 ? 'Dose u' : null, scale: { domain: [0, 1] }, axis: { values: [0, 1], titleAngle: 0, titleAlign: 'right', titleBaseline: 'middle', titleY: 13 } },
          color,
          tooltip: [{ field: 'method' }, { field: 'day', format: '.2f' }, { field: 'u', title: 'dose (fraction of max)', format: '.3~g' }],
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
      `States of the de Pillis-Radunskaya model (dimensionless): normal N, tumour T${tLog ? ' (log scale)' : ''}, immune I, drug B; dashed red line: toxicity limit N = ${limit}. Bottom: dose per method (fraction of the maximum).`,
      opts,
    ),
    datasets: { traj: data },
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

export interface TumorToxicityRow {
  method: string;
  /** Tumour burden T at the end of the horizon (dimensionless). */
  finalTumor: number;
  /** Lowest normal-cell population N over the horizon (dimensionless). */
  minNormal: number;
  /** Total dose given (sum of u x days). */
  cumulativeDose: number;
}

export function tumorVsToxicity(rows: readonly TumorToxicityRow[], opts: ChartOptions & { toxicityLimit?: number } = {}): Spec {
  requireRows('tumorVsToxicity', rows);
  const methods = [...new Set(rows.map((r) => r.method))];
  const limit = opts.toxicityLimit ?? 0.75;
  const tumors = rows.map((r) => r.finalTumor);
  const log = tumors.every((t) => t > 0) && Math.max(...tumors) / Math.min(...tumors) > 100;
  const data = rows.map((r) => ({ method: r.method, finalTumor: roundSig(r.finalTumor), minNormal: roundSig(r.minNormal), cumulativeDose: roundSig(r.cumulativeDose) }));
  const minN = Math.min(...rows.map((r) => r.minNormal), limit);
  const maxN = Math.max(...rows.map((r) => r.minNormal), limit);
  const pad = Math.max(0.02, (maxN - minN) * 0.08);
  return finish({
    title: titleOf(
      'Tumour burden against toxicity',
      `One point per evaluation episode. Right of the dashed line (min N >= ${limit}) the toxicity constraint held; lower is less tumour${log ? ' (log scale)' : ''}. Point size: cumulative dose. Best: bottom right.`,
      opts,
      600,
    ),
    width: 480,
    height: 340,
    layer: [
      {
        data: { values: data },
        mark: { type: 'point', filled: true, opacity: 0.8, stroke: 'white', strokeWidth: 0.6 },
        encoding: {
          x: { field: 'minNormal', type: 'quantitative', title: 'Minimum normal cells N over the horizon (dimensionless)', scale: { domain: [round(minN - pad, 3), round(maxN + pad, 3)], nice: false, zero: false } },
          y: { field: 'finalTumor', type: 'quantitative', title: `Final tumour burden T (dimensionless${log ? ', log' : ''})`, scale: log ? { type: 'log' } : { zero: true }, ...(log ? { axis: { format: '.0e' } } : {}) },
          size: { field: 'cumulativeDose', type: 'quantitative', title: 'Cumulative dose (u x days)', scale: { range: [30, 300], zero: true }, legend: { tickCount: 4 } },
          color: colorEncoding(methods, opts),
          shape: { field: 'method', type: 'nominal', scale: { domain: methods } },
          tooltip: [{ field: 'method' }, { field: 'finalTumor', format: '.4~g' }, { field: 'minNormal', format: '.4f' }, { field: 'cumulativeDose', format: '.3~f' }],
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

// ---------------------------------------------------------------------------------------------
// Classic control

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
