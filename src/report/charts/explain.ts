/**
 * Charts that explain a policy: a map of its dose over two state variables (`policy-map`), an
 * attribution of its dose over one day to input groups (`policy-attribution`), and the rule table
 * distilled from it (`policy-rules`). The probes, occlusions and trees are computed by the caller
 * (src/report/sections/explain.ts and the family sections); see common.ts for what every chart shares.
 */
import { round, roundSig } from '../stats.ts';
import { finish, requireRows, titleOf, type ChartOptions, type Obj, type Spec } from './common.ts';

/** One cell of a policy map: the dose of one panel's policy at a grid point. */
export interface PolicyMapCell {
  /** Panel title, e.g. 'ppo (seed 1)' or 'pid (integral at zero)'. */
  panel: string;
  /** The method the panel shows (a learned method, or a baseline). */
  method: string;
  /** Grid centre and half-widths on the two axes. */
  x: number;
  y: number;
  dx: number;
  dy: number;
  /** The dose there (in `valueTitle`'s unit), and an optional second reading for the tooltip. */
  value: number;
  note?: string;
}

export interface PolicyMapOptions extends ChartOptions {
  title: string;
  subtitle: string[];
  xTitle: string;
  yTitle: string;
  valueTitle: string;
  /** Log scale on y (e.g. tumour burden). */
  yLog?: boolean;
  /** Colour scale: 'diverging' around `mid` (e.g. the basal rate) on a symlog scale, or 'sequential' on [0, max]. */
  color: { kind: 'diverging'; mid: number } | { kind: 'sequential'; domain?: [number, number] };
  /** Vertical reference lines (e.g. 70 and 180 mg/dL). */
  xRules?: number[];
  /** Panels per row (default 3). */
  columns?: number;
}

/** Heat maps of a dose over a two-variable grid, one panel per policy, on one shared colour scale. */
export function policyMap(cells: readonly PolicyMapCell[], opts: PolicyMapOptions): Spec {
  requireRows('policyMap', cells);
  const panels = [...new Set(cells.map((c) => c.panel))];
  const data = cells.map((c) => ({ ...c, x0: roundSig(c.x - c.dx), x1: roundSig(c.x + c.dx), y0: roundSig(opts.yLog === true ? c.y / c.dy : c.y - c.dy), y1: roundSig(opts.yLog === true ? c.y * c.dy : c.y + c.dy), value: roundSig(c.value, 4) }));
  const max = Math.max(...data.map((d) => d.value));
  const colorScale: Obj =
    opts.color.kind === 'diverging'
      ? { type: 'symlog', constant: roundSig(opts.color.mid, 3), scheme: 'blueorange', domainMid: roundSig(opts.color.mid, 4), domain: [0, roundSig(Math.max(max, 2 * opts.color.mid), 4)] }
      : { type: 'linear', scheme: 'viridis', domain: opts.color.domain ?? [0, roundSig(Math.max(max, 1e-9), 4)] };
  const xs = data.flatMap((d) => [d.x0, d.x1]);
  const ys = data.flatMap((d) => [d.y0, d.y1]);
  const x = { field: 'x0', type: 'quantitative', title: opts.xTitle, scale: { domain: [Math.min(...xs), Math.max(...xs)], nice: false, zero: false } };
  // On a log axis, ticks at the decades only.
  const decades = (lo: number, hi: number) => Array.from({ length: Math.floor(Math.log10(hi)) - Math.ceil(Math.log10(lo)) + 1 }, (_, i) => 10 ** (Math.ceil(Math.log10(lo)) + i));
  const y = { field: 'y0', type: 'quantitative', title: opts.yTitle, scale: { domain: [Math.min(...ys), Math.max(...ys)], nice: false, zero: false, ...(opts.yLog === true ? { type: 'log' } : {}) }, ...(opts.yLog === true ? { axis: { format: '.0e', values: decades(Math.min(...ys), Math.max(...ys)) } } : {}) };
  const panelSpecs: Obj[] = panels.map((panel) => ({
    title: { text: panel, fontSize: 12.5, anchor: 'start' },
    width: 240,
    height: 200,
    layer: [
      {
        data: { values: data.filter((d) => d.panel === panel) },
        mark: { type: 'rect' },
        encoding: {
          x,
          x2: { field: 'x1' },
          y,
          y2: { field: 'y1' },
          color: { field: 'value', type: 'quantitative', title: opts.valueTitle, scale: colorScale, legend: { gradientLength: 180 } },
          tooltip: [{ field: 'method' }, { field: 'x', title: opts.xTitle, format: '.3~g' }, { field: 'y', title: opts.yTitle, format: '.3~g' }, { field: 'value', title: opts.valueTitle, format: '.3~g' }, ...(data.some((d) => d.note !== undefined) ? [{ field: 'note' }] : [])],
        },
      },
      ...((opts.xRules ?? []).length > 0 ? [{ data: { values: (opts.xRules ?? []).map((v) => ({ v })) }, mark: { type: 'rule', color: '#222', strokeDash: [3, 3], opacity: 0.6 }, encoding: { x: { field: 'v', type: 'quantitative' } } }] : []),
    ],
  }));
  const columns = Math.min(panels.length, opts.columns ?? 3);
  return finish({
    title: titleOf(opts.title, opts.subtitle, opts, Math.max(560, columns * 270)),
    concat: panelSpecs,
    columns,
    resolve: { scale: { color: 'shared' } },
  });
}

/** The effect of one input group on the dose at one decision of the day. */
export interface AttributionRow {
  method: string;
  /** Hours since the start of the day. */
  hour: number;
  /** The input group, e.g. 'CGM history'. */
  group: string;
  /** Dose with every input as seen minus dose with this group replaced by its reference (dose units). */
  effect: number;
}

export interface AttributionOptions extends ChartOptions {
  /** The groups in legend order. */
  groups: readonly string[];
  doseTitle: string;
  /** x domain (hours), e.g. the glucose trace's. */
  hours: [number, number];
  subtitle: string[];
}

/** Group colours: not method colours (the panels are per method already). */
const GROUP_COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#8c564b', '#e377c2'];

/**
 * Per learned method, the effect of each input group on its dose at every decision of one day
 * (occlusion): lines above 0 mean that input raised the dose at that time, below 0 lowered it.
 */
export function policyAttribution(rows: readonly AttributionRow[], opts: AttributionOptions): Spec {
  requireRows('policyAttribution', rows);
  const methods = [...new Set(rows.map((r) => r.method))];
  const data = rows.map((r) => ({ ...r, hour: round(r.hour, 4), effect: roundSig(r.effect, 4) }));
  const x = { field: 'hour', type: 'quantitative', title: 'Time since start of day (h)', scale: { domain: opts.hours, nice: false }, axis: { tickMinStep: 1 } };
  const color = { field: 'group', type: 'nominal', title: 'Input group', scale: { domain: [...opts.groups], range: GROUP_COLORS.slice(0, opts.groups.length) } };
  return finish({
    title: titleOf('What moved the dose (occlusion attribution)', opts.subtitle, opts, 700),
    vconcat: methods.map((method) => ({
      title: { text: method, fontSize: 13, anchor: 'start' },
      width: 640,
      height: 130,
      layer: [
        { data: { values: [{ zero: 0 }] }, mark: { type: 'rule', color: '#888' }, encoding: { y: { field: 'zero', type: 'quantitative' } } },
        {
          data: { values: data.filter((d) => d.method === method) },
          mark: { type: 'line', strokeWidth: 1.6, interpolate: 'step-after' },
          encoding: {
            x,
            y: { field: 'effect', type: 'quantitative', title: ['Effect on dose', `(${opts.doseTitle})`] },
            color,
            tooltip: [{ field: 'group' }, { field: 'hour', title: 'time (h)', format: '.2f' }, { field: 'effect', title: opts.doseTitle, format: '.3~g' }],
          },
        },
      ],
    })),
    spacing: 14,
  });
}

/** One distilled tree's rules, with its fidelity. */
export interface RuleTable {
  /** e.g. 'ppo, seed 1' */
  title: string;
  /** Fidelity line, e.g. 'held-out fidelity 83 % (415 of 500 states within +-0.5 U/h)'. */
  fidelity: string;
  rules: { rule: string; action: string; share: string }[];
  /** The tree and its bookkeeping, kept in the chart data for checking (src/report/explain/distill.ts). */
  record: Obj;
}

/** The distilled rule tables as a chart (text rows), one block per learned policy. */
export function policyRules(tables: readonly RuleTable[], opts: ChartOptions & { subtitle: string[] }): Spec {
  requireRows('policyRules', tables);
  const rowHeight = 17;
  // The rule column as wide as the longest rule (about 6.4 px per character at 11 px), up to 1,000 px.
  const ruleWidth = Math.min(1000, Math.max(300, 6.4 * Math.max(...tables.flatMap((t) => t.rules.map((r) => r.rule.length))) + 10));
  const width = ruleWidth + 300;
  return finish({
    title: titleOf('Distilled rules (decision tree of depth <= 4)', opts.subtitle, opts, Math.min(width, 900)),
    vconcat: tables.map((t) => {
      const rows = t.rules.map((r, i) => ({ ...r, row: i }));
      const y = { field: 'row', type: 'ordinal', axis: null };
      return {
        title: { text: t.title, subtitle: t.fidelity, fontSize: 13, subtitleFontSize: 11, anchor: 'start' },
        data: { values: rows },
        width,
        height: rowHeight * Math.max(1, rows.length),
        layer: [
          { mark: { type: 'text', align: 'left', fontSize: 11, limit: ruleWidth }, encoding: { y, x: { value: 4 }, text: { field: 'rule' } } },
          { mark: { type: 'text', align: 'left', fontSize: 11, fontWeight: 'bold', limit: 190 }, encoding: { y, x: { value: ruleWidth + 10 }, text: { field: 'action' } } },
          { mark: { type: 'text', align: 'right', fontSize: 11, color: '#555' }, encoding: { y, x: { value: width - 4 }, text: { field: 'share' } } },
        ],
      };
    }),
    spacing: 16,
    // The trees themselves ride along (not drawn), so the chart's numbers can be rechecked.
    usermeta: { distilled: tables.map((t) => t.record) },
  });
}
