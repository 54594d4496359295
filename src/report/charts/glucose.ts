/**
 * Type 1 diabetes charts: the glucose trace of a representative day, the Ambulatory Glucose
 * Profile, time in ranges and the Kovatchev risk indices (the CVGA is in cvga.ts). See common.ts
 * for what every chart shares.
 *
 * Clinical conventions:
 * - Time in ranges and the AGP follow the International Consensus on Time in Range (Battelino et
 *   al., Diabetes Care 2019;42:1593) and its AGP report.
 * - LBGI/HBGI bands follow Kovatchev et al. (LBGI > 2.5 moderate, > 5 high; HBGI > 4.5 moderate,
 *   > 9 high).
 */
import { RANGE_COLORS, methodScale } from '../colors.ts';
import { groupBy, mean, quantiles, round, roundSig, sd } from '../stats.ts';
import { colorEncoding, colorsFor, finish, methodLabelColor, requireRows, titleOf, type ChartOptions, type Obj, type Spec } from './common.ts';


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
  /** Methods whose day shown ended by a termination, with its minute and the true BG there: a red rule marks it. */
  terminations?: readonly { method: string; minute: number; bg: number }[];
  /** Draw the x axis to at least this many hours (the planned day), so a day cut short shows its gap. */
  plannedHours?: number;
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

/** Estimated width of a meal label in px (10.5 px text, about 0.6 em per character) plus the triangle and gap. */
export function mealLabelWidthPx(label: string): number {
  return 14 + 6.5 * label.length;
}

/**
 * Where the meal labels go so that no two overlap and none leaves the plot: each label sits right of
 * its triangle, or left of it when it would cross the plot's right edge, in the first row whose
 * previous label ends before it starts. `hour`s are measured from the plot's left edge.
 */
export function layoutMealLabels(meals: readonly { hour: number; label: string }[], pxPerHour: number, widthPx = 640): { row: number; side: 'right' | 'left' }[] {
  const rowEnds: number[] = [];
  return meals.map((m) => {
    const at = m.hour * pxPerHour;
    const w = mealLabelWidthPx(m.label);
    const side = at + w > widthPx ? 'left' : 'right';
    const start = side === 'right' ? at - 6 : at - w;
    const end = side === 'right' ? at + w : at + 6;
    let row = rowEnds.findIndex((e) => e <= start);
    if (row < 0) row = rowEnds.push(end + 4) - 1;
    else rowEnds[row] = end + 4;
    return { row, side };
  });
}

/** The 70-180 mg/dL target range behind a glucose panel: a shaded band and dashed lines at its edges. */
function targetRangeLayers(yScale: Obj, opacity: { band: number; lines?: number }): Obj[] {
  return [
    {
      data: { values: [{ lo: 70, hi: 180 }] },
      mark: { type: 'rect', color: RANGE_COLORS.from70to180, opacity: opacity.band },
      encoding: { y: { field: 'lo', type: 'quantitative', scale: yScale }, y2: { field: 'hi' } },
    },
    {
      data: { values: [{ y: 70 }, { y: 180 }] },
      mark: { type: 'rule', color: RANGE_COLORS.from70to180, strokeDash: [4, 3], ...(opacity.lines !== undefined ? { opacity: opacity.lines } : {}) },
      encoding: { y: { field: 'y', type: 'quantitative', scale: yScale } },
    },
  ];
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
  const xDomain = [Math.floor(Math.min(...hours)), Math.ceil(Math.max(...hours, Math.min(...hours) + 1, opts.plannedHours ?? 0))];
  const deaths = new Map((opts.terminations ?? []).map((d) => [d.method, d]));
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
    const markers = mealMarkers(mRows).map((m) => ({ ...m, label: `${m.grams} g` }));
    const places = layoutMealLabels(markers.map((m) => ({ ...m, hour: m.hour - xDomain[0]! })), 640 / (xDomain[1]! - xDomain[0]!));
    const meals = markers.map((m, j) => ({ ...m, y: yMax - (yMax - yMin) * (0.06 + 0.09 * places[j]!.row), side: places[j]!.side }));
    const death = deaths.get(method);
    const deathMark = death === undefined ? [] : [{ hour: round(death.minute / 60, 4), y: yMin + (yMax - yMin) * 0.5, label: `terminated: BG ${Math.round(death.bg)} mg/dL` }];
    // Only the bottom insulin panel carries the time-axis title; every insulin panel keeps its labels.
    const xAxisLast = i === methods.length - 1 ? x : { ...x, title: null };
    const glucosePanel: Obj = {
      title: { text: method, color: colour, fontSize: 13, anchor: 'start' },
      width: 640,
      height: 190,
      layer: [
        ...targetRangeLayers(yScale, { band: 0.12, lines: 0.7 }),
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
              ...(['right', 'left'] as const)
                .filter((side) => meals.some((m) => m.side === side))
                .map((side) => ({
                  data: { values: meals.filter((m) => m.side === side) },
                  mark: { type: 'text', dx: side === 'right' ? 8 : -8, align: side === 'right' ? 'left' : 'right', baseline: 'middle', fontSize: 10.5, color: '#444' },
                  encoding: { x: { field: 'hour', type: 'quantitative' }, y: { field: 'y', type: 'quantitative', scale: yScale }, text: { field: 'label' } },
                })),
            ]
          : []),
        ...(deathMark.length
          ? [
              {
                data: { values: deathMark },
                mark: { type: 'rule', color: '#a50f15', strokeWidth: 2 },
                encoding: { x: { field: 'hour', type: 'quantitative' }, tooltip: [{ field: 'label' }, { field: 'hour', title: 'time (h)', format: '.2f' }] },
              },
              {
                data: { values: deathMark },
                // The label sits on the side of the line with more room.
                mark: { type: 'text', ...((deathMark[0]?.hour ?? 0) < (xDomain[0]! + xDomain[1]!) / 2 ? { dx: 4, align: 'left' } : { dx: -4, align: 'right' }), baseline: 'middle', fontSize: 11, fontWeight: 'bold', color: '#a50f15' },
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
      `Per method: true glucose (solid) and CGM (dashed) with the 70-180 mg/dL target band shaded; insulin delivery below (each method on its own scale); triangles mark meals (g carbohydrate).${deaths.size > 0 ? ' A red line marks where the day ended by a termination (the patient died).' : ''}`,
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

/** One time-of-day bin of one method's AGP: its reading count and percentiles (mg/dL). */
export interface AgpBin {
  method: string;
  /** Bin centre, hours since midnight. */
  hour: number;
  /** Readings in the bin. */
  n: number;
  p5: number;
  p25: number;
  p50: number;
  p75: number;
  p95: number;
}

/** How many of a method's days ended early, and when (drawn on its AGP panel). */
export interface AgpEarlyEnds {
  method: string;
  /** Episodes summarised, and the patient-days they were planned to cover. */
  episodes: number;
  plannedDays: number;
  /** Hours since the episode's start of each termination. */
  terminationHours: number[];
}

export interface AgpOptions extends ChartOptions {
  /** Bin width in minutes (default 15). */
  binMinutes?: number;
  /** Per method: episodes that ended early by a termination; each is marked on its panel. */
  earlyEnds?: readonly AgpEarlyEnds[];
  /** What the glucose is, for the subtitle (default 'Glucose'). */
  quantity?: string;
}

/** AGP percentiles (5, 25, 50, 75, 95) per method and time-of-day bin, from raw readings. */
export function agpData(rows: readonly AgpRow[], binMinutes = 15): AgpBin[] {
  if (!(binMinutes > 0 && 1440 % binMinutes === 0)) throw new RangeError(`agp: binMinutes must divide 1440, got ${binMinutes}`);
  const out: AgpBin[] = [];
  for (const [method, mRows] of groupBy(rows, (r) => r.method)) {
    const bins = groupBy(
      mRows.filter((r) => Number.isFinite(r.bg)),
      (r) => Math.floor((((r.minuteOfDay % 1440) + 1440) % 1440) / binMinutes),
    );
    for (const b of [...bins.keys()].sort((x, y) => x - y)) {
      const vs = bins.get(b)!.map((r) => r.bg);
      const [p5, p25, p50, p75, p95] = quantiles(vs, [0.05, 0.25, 0.5, 0.75, 0.95]) as [number, number, number, number, number];
      out.push(agpBin(method, b, binMinutes, vs.length, [p5, p25, p50, p75, p95]));
    }
  }
  return out;
}

/** A bin's chart row: plotted at the bin centre so the curve is not shifted by half a bin. */
export function agpBin(method: string, bin: number, binMinutes: number, n: number, [p5, p25, p50, p75, p95]: readonly number[]): AgpBin {
  return { method, hour: round(((bin + 0.5) * binMinutes) / 60, 4), n, p5: round(p5 as number, 1), p25: round(p25 as number, 1), p50: round(p50 as number, 1), p75: round(p75 as number, 1), p95: round(p95 as number, 1) };
}

/** The AGP of raw readings (see `agpChart`). */
export function agp(rows: readonly AgpRow[], opts: AgpOptions = {}): Spec {
  requireRows('agp', rows);
  return agpChart(agpData(rows, opts.binMinutes ?? 15), opts);
}

/**
 * A panel's note on early ends, two lines so that every panel's plot starts at the same height:
 * e.g. ['2 of 10 patient-days ended early', 'red ticks: time of day of each termination'].
 */
export function earlyEndsNote(e: AgpEarlyEnds): [string, string] {
  const k = e.terminationHours.length;
  const days = round(e.plannedDays, 2);
  const of = days === e.episodes ? `${k} of ${days} patient-days` : `${k} of ${e.episodes} episodes (${days} patient-days planned)`;
  // (a no-break space keeps the empty second line's height)
  return k === 0 ? [`${of.replace(/^0 of /, 'none of ')} ended early`, '\u00a0'] : [`${of} ended early`, 'red ticks: time of day of each termination'];
}

/**
 * The Ambulatory Glucose Profile (Battelino et al. 2019): per method, glucose by time of day in
 * 5/25/50/75/95 % bands over the bins given (computed from every evaluation day by the caller).
 * With `earlyEnds`, each panel says how many days ended early and marks each termination's time of
 * day with a red tick at the bottom: bins after it hold fewer readings, nothing is dropped unseen.
 */
export function agpChart(data: readonly AgpBin[], opts: AgpOptions = {}): Spec {
  requireRows('agp', data);
  const binMinutes = opts.binMinutes ?? 15;
  const methods = [...new Set(data.map((r) => r.method))];
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
  // Every layer carries the same explicit scale, so the target band cannot widen it to 0.
  const yScale = { domain: [yMin, yMax], nice: false, zero: false };
  const y = { type: 'quantitative', title: 'Glucose (mg/dL)', scale: yScale };
  const early = new Map((opts.earlyEnds ?? []).map((e) => [e.method, e]));
  const panels: Obj[] = methods.map((method) => {
    const colour = colors[method] ?? methodScale([method], colors).range[0]!;
    const ends = early.get(method);
    const ticks = (ends?.terminationHours ?? []).map((h) => ({ hour: round(((h % 24) + 24) % 24, 4), y: yMin + 0.04 * (yMax - yMin), since: round(h, 2) }));
    return {
      title: { text: method, color: colour, fontSize: 13, ...(ends !== undefined ? { subtitle: earlyEndsNote(ends), subtitleColor: ticks.length > 0 ? '#a50f15' : '#5b6370', subtitleFontSize: 10.5 } : {}) },
      width: 300,
      height: 200,
      layer: [
        ...targetRangeLayers(yScale, { band: 0.1 }),
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
        ...(ticks.length > 0
          ? [
              {
                data: { values: ticks },
                mark: { type: 'tick', color: '#a50f15', thickness: 2, size: 14, orient: 'vertical' },
                encoding: { x, y: { ...y, field: 'y' }, tooltip: [{ field: 'hour', title: 'terminated at time of day (h)', format: '.2f' }, { field: 'since', title: 'hours after the episode started' }] },
              },
            ]
          : []),
      ],
    };
  });
  const quantity = opts.quantity ?? 'Glucose';
  return finish({
    title: titleOf(
      'Ambulatory Glucose Profile',
      `${quantity} by time of day over all evaluation days (${binMinutes}-min bins): median (line), 25-75 % (dark band) and 5-95 % (light band); shaded 70-180 mg/dL target.`,
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
