/**
 * The self-contained HTML report: one file a reviewer can open offline (or attach to an email)
 * that shows the summary table and every chart interactively.
 *
 * vega, vega-lite and vega-embed are inlined from node_modules (their browser builds), each chart's
 * Vega-Lite spec is embedded as JSON, and nothing is fetched from the network. After embedding,
 * the page records its outcome on <body>: data-charts-total, data-charts-rendered and
 * data-charts-failed (read by scripts/browser-check.ts); failures are logged with console.error
 * and shown in place of the chart.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '../io/atomic.ts';
import { checkChartName, writeChart, type WrittenChart } from './render.ts';

export interface ReportChart {
  /** File-name-safe chart name; also the container id `chart-<name>`. Unique within a report. */
  name: string;
  spec: TopLevelSpec;
  /** Short "how to read this chart" text shown under the chart. */
  caption: string;
}

export interface ReportSection {
  heading: string;
  text?: string;
  charts: ReportChart[];
}

/** A table cell: a value, or a text with a tooltip and an emphasis (e.g. a CI that excludes 0). */
export type TableCell = string | number | null | undefined | { text: string; title?: string; numeric?: boolean; tone?: 'better' | 'worse' | 'notable' };

export interface SummaryTable {
  columns: string[];
  rows: TableCell[][];
  /** Column headers' tooltips, by column. */
  columnTitles?: Record<string, string>;
  /**
   * The headline: columns shown first, right after the row's identity (method or difference, seed(s), episodes),
   * and set off, e.g. T1D's tir with tir_planned, survived and terminations beside it (the
   * family's headlineColumns). The other columns follow in their order.
   */
  headline?: readonly string[];
}

const IDENTITY_COLUMNS = ['method', 'difference', 'seed', 'seeds', 'episodes'];

/** The table's columns in display order: identity, headline, the rest (indices into `columns`). */
function displayOrder(table: SummaryTable): number[] {
  const headline = (table.headline ?? []).filter((c) => table.columns.includes(c));
  const identity = table.columns.filter((c) => IDENTITY_COLUMNS.includes(c) && !headline.includes(c));
  const rest = table.columns.filter((c) => !identity.includes(c) && !headline.includes(c));
  return [...identity, ...headline, ...rest].map((c) => table.columns.indexOf(c));
}

/** A further table of the Summary section, under the main one. */
export interface ReportTable {
  heading: string;
  text?: string;
  table: SummaryTable;
  /** Shown folded (a <details> element). */
  collapsed?: boolean;
}

export interface ReportInput {
  title: string;
  subtitle?: string;
  /** Lines under the title saying what was compared, on whom and how (a screenshot of the header stands alone). */
  header?: string[];
  summaryTable?: SummaryTable;
  /** Shown above the summary table (e.g. how its confidence intervals were computed). */
  summaryText?: string;
  /** More tables in the Summary section (e.g. paired differences, per-seed rows). */
  summaryTables?: ReportTable[];
  sections: ReportSection[];
  /** Shown collapsed at the end (resolved config, versions, seeds). */
  manifest?: unknown;
}

/** The browser builds we inline, relative to node_modules. */
const LIBRARIES = ['vega/build/vega.min.js', 'vega-lite/build/vega-lite.min.js', 'vega-embed/build/vega-embed.min.js'] as const;

/** Finds node_modules by walking up from this file (the packages' export maps hide build/). */
function findNodeModules(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'node_modules');
    if (existsSync(join(candidate, LIBRARIES[0]))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`report: cannot find ${LIBRARIES[0]} in any node_modules above ${fileURLToPath(import.meta.url)}; run npm install`);
    dir = parent;
  }
}

let libraryCache: string | undefined;

/** The three libraries as inline <script> elements (read once per process). */
function inlineLibraries(): string {
  if (libraryCache === undefined) {
    const root = findNodeModules();
    libraryCache = LIBRARIES.map((lib) => {
      // "</script" or "<!--" inside the code would end or confuse the HTML script element.
      const code = readFileSync(join(root, lib), 'utf8').replace(/<\/script/gi, '<\\/script').replace(/<!--/g, '<\\!--');
      return `<script data-lib="${lib.split('/')[0]}">\n${code}\n</script>`;
    }).join('\n');
  }
  return libraryCache;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** JSON safe inside <script type="application/json">: '<' only occurs inside strings, where \u003c is equivalent. */
function scriptJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'section';
}

function formatCell(v: TableCell): { text: string; numeric: boolean; title?: string; tone?: string } {
  if (v === null || v === undefined) return { text: '', numeric: false };
  if (typeof v === 'object') return { text: v.text, numeric: v.numeric ?? true, ...(v.title !== undefined ? { title: v.title } : {}), ...(v.tone !== undefined ? { tone: v.tone } : {}) };
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return { text: String(v), numeric: true };
    const text = Number.isInteger(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(1) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
    return { text, numeric: true };
  }
  return { text: v, numeric: /^[-+]?\d[\d.,eE+-]*%?$/.test(v.trim()) };
}

function summaryTableHtml(table: SummaryTable): string {
  // A column whose cells are all numbers is right-aligned, header included, so digits line up.
  const numericColumn = table.columns.map((_, j) => table.rows.length > 0 && table.rows.every((row) => row[j] === null || row[j] === undefined || formatCell(row[j]).numeric));
  const order = displayOrder(table);
  const headline = new Set(table.headline ?? []);
  const classes = (j: number, numeric: boolean, tone?: string) => {
    const list = [...(numeric ? ['num'] : []), ...(headline.has(table.columns[j] as string) ? ['headline'] : []), ...(tone !== undefined ? [tone] : [])];
    return list.length > 0 ? ` class="${list.join(' ')}"` : '';
  };
  const titleAttr = (title: string | undefined) => (title !== undefined ? ` title="${escapeHtml(title)}"` : '');
  const head = order.map((j) => `<th scope="col"${classes(j, numericColumn[j] === true)}${titleAttr(table.columnTitles?.[table.columns[j] as string])}>${escapeHtml(table.columns[j] as string)}</th>`).join('');
  const body = table.rows
    .map((row) => {
      if (row.length !== table.columns.length) {
        throw new RangeError(`summaryTable: each row needs ${table.columns.length} cells (${table.columns.join(', ')}), got ${row.length}`);
      }
      const cells = order.map((j) => {
        const { text, numeric, title, tone } = formatCell(row[j]);
        return `<td${classes(j, numeric, tone)}${titleAttr(title)}>${escapeHtml(text)}</td>`;
      });
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('\n');
  return `<div class="table-wrap"><table class="summary"><thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table></div>`;
}

const CSS = `
:root { --ink: #1f2328; --muted: #5b6370; --line: #d8dde3; --bg: #f6f7f9; --accent: #2f5d8a; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif; }
header { background: #fff; border-bottom: 1px solid var(--line); padding: 24px 32px 16px; }
header h1 { margin: 0 0 4px; font-size: 26px; }
header p.subtitle { margin: 0; color: var(--muted); }
nav { margin-top: 12px; font-size: 14px; }
nav a { color: var(--accent); margin-right: 16px; text-decoration: none; }
main { max-width: 1120px; margin: 0 auto; padding: 16px 32px 48px; }
section { margin-top: 28px; }
h2 { font-size: 20px; border-bottom: 2px solid var(--line); padding-bottom: 4px; }
.section-text { color: var(--muted); margin-top: -4px; }
figure { background: #fff; border: 1px solid var(--line); border-radius: 8px; margin: 18px 0; padding: 16px; }
.chart-scroll { overflow-x: auto; }
.chart { min-height: 60px; }
.chart-error { color: #a50f15; font-weight: 600; }
figcaption { margin-top: 10px; color: var(--muted); font-size: 14px; border-top: 1px solid #eef0f2; padding-top: 8px; }
figcaption strong { color: var(--ink); }
.table-wrap { overflow-x: auto; background: #fff; border: 1px solid var(--line); border-radius: 8px; }
table.summary { border-collapse: collapse; width: 100%; font-size: 14px; }
table.summary th, table.summary td { padding: 6px 10px; border-bottom: 1px solid #eef0f2; text-align: left; white-space: nowrap; }
table.summary th { background: #f0f2f5; font-weight: 600; }
table.summary .num { text-align: right; font-variant-numeric: tabular-nums; }
table.summary th.headline { background: #e3ebf4; }
table.summary td.headline { font-weight: 600; }
table.summary tbody tr:hover { background: #f7f9fc; }
table.summary td.better { color: #1e6b2a; font-weight: 600; }
table.summary td.worse { color: #a50f15; font-weight: 600; }
table.summary td.notable { font-weight: 600; }
header ul.about { margin: 10px 0 0; padding-left: 18px; font-size: 14px; }
header ul.about li { margin: 2px 0; }
.summary-text { color: var(--muted); font-size: 14px; }
details.table-details summary { cursor: pointer; color: var(--accent); margin: 14px 0 6px; }
h3.table-heading { font-size: 16px; margin: 22px 0 6px; }
#manifest details { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; }
#manifest details pre { overflow-x: auto; font-size: 12.5px; }
footer { color: var(--muted); font-size: 13px; text-align: center; padding: 24px; }
`;

/**
 * Runs first in <head>: counts console errors, uncaught exceptions and unhandled rejections on
 * <html data-console-errors> (and keeps the first messages in data-console-messages). Headless
 * Chromium logs every console level alike, so the page itself must tell errors apart.
 */
const ERROR_TRAP_SCRIPT = `
(function () {
  var root = document.documentElement, count = 0, messages = [];
  function record(text) {
    count++;
    if (messages.length < 10) messages.push(String(text).slice(0, 300));
    root.setAttribute('data-console-errors', String(count));
    root.setAttribute('data-console-messages', JSON.stringify(messages));
  }
  root.setAttribute('data-console-errors', '0');
  var original = console.error;
  console.error = function () {
    record(Array.prototype.map.call(arguments, String).join(' '));
    return original.apply(console, arguments);
  };
  window.addEventListener('error', function (e) { record('uncaught: ' + (e.message || e)); });
  window.addEventListener('unhandledrejection', function (e) { record('unhandled rejection: ' + (e.reason && e.reason.message ? e.reason.message : e.reason)); });
})();
`;

/** Runs in the page: embeds every chart and records the outcome on <body>. */
const EMBED_SCRIPT = `
(function () {
  var list = JSON.parse(document.getElementById('dosegym-chart-list').textContent);
  var body = document.body;
  var rendered = 0, failed = 0;
  body.dataset.chartsTotal = String(list.length);
  function fail(name, el, err) {
    failed++;
    console.error('dosegym report: chart "' + name + '" failed to render: ' + (err && err.message ? err.message : err));
    if (el) { el.textContent = 'This chart failed to render: ' + (err && err.message ? err.message : err); el.className += ' chart-error'; }
  }
  var jobs = list.map(function (name) {
    var el = document.getElementById('chart-' + name);
    try {
      var spec = JSON.parse(document.getElementById('spec-' + name).textContent);
      return vegaEmbed(el, spec, { renderer: 'svg', actions: { export: true, source: true, compiled: false, editor: false } })
        .then(function (result) {
          if (el.querySelector('svg, canvas')) { rendered++; el.dataset.rendered = 'true'; }
          else fail(name, el, new Error('no svg produced'));
          return result;
        }, function (err) { fail(name, el, err); });
    } catch (err) { fail(name, el, err); return Promise.resolve(); }
  });
  Promise.all(jobs).then(function () {
    body.dataset.chartsRendered = String(rendered);
    body.dataset.chartsFailed = String(failed);
    body.dataset.chartsDone = 'true';
  });
})();
`;

/** Builds the report HTML (no file I/O apart from reading the inlined libraries once). */
export function buildReportHtml(input: ReportInput): string {
  const names = new Set<string>();
  for (const s of input.sections) {
    for (const c of s.charts) {
      checkChartName(c.name);
      if (names.has(c.name)) throw new RangeError(`report: chart name '${c.name}' is used twice; names must be unique`);
      names.add(c.name);
    }
  }
  const sectionIds = input.sections.map((s, i) => `section-${i + 1}-${slug(s.heading)}`);
  const nav = [
    ...(input.summaryTable ? ['<a href="#summary">Summary</a>'] : []),
    ...input.sections.map((s, i) => `<a href="#${sectionIds[i]}">${escapeHtml(s.heading)}</a>`),
    ...(input.manifest !== undefined ? ['<a href="#manifest">Manifest</a>'] : []),
  ].join('');
  const sections = input.sections
    .map((s, i) => {
      const figures = s.charts
        .map(
          (c) => `<figure>
<div class="chart-scroll"><div class="chart" id="chart-${c.name}" data-chart="${c.name}"></div></div>
<script type="application/json" id="spec-${c.name}">${scriptJson(c.spec)}</script>
<figcaption><strong>How to read this chart.</strong> ${escapeHtml(c.caption)} <span class="files">Files: charts/${c.name}.vl.json, .svg, .png</span></figcaption>
</figure>`,
        )
        .join('\n');
      const text = s.text ? `<p class="section-text">${escapeHtml(s.text)}</p>` : '';
      return `<section id="${sectionIds[i]}">\n<h2>${escapeHtml(s.heading)}</h2>\n${text}\n${figures}\n</section>`;
    })
    .join('\n');
  const extra = (input.summaryTables ?? [])
    .map((t) => {
      const body = `${t.text !== undefined ? `<p class="summary-text">${escapeHtml(t.text)}</p>\n` : ''}${summaryTableHtml(t.table)}`;
      return t.collapsed === true ? `<details class="table-details"><summary>${escapeHtml(t.heading)}</summary>\n${body}\n</details>` : `<h3 class="table-heading">${escapeHtml(t.heading)}</h3>\n${body}`;
    })
    .join('\n');
  const summaryText = input.summaryText !== undefined ? `<p class="summary-text">${escapeHtml(input.summaryText)}</p>\n` : '';
  const summary = input.summaryTable ? `<section id="summary">\n<h2>Summary</h2>\n${summaryText}${summaryTableHtml(input.summaryTable)}\n${extra}\n</section>` : '';
  const about = input.header !== undefined && input.header.length > 0 ? `<ul class="about">${input.header.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>` : '';
  const manifest =
    input.manifest !== undefined
      ? `<section id="manifest">\n<h2>Manifest</h2>\n<details><summary>Resolved configuration, seeds and versions</summary><pre>${escapeHtml(JSON.stringify(input.manifest, null, 2))}</pre></details>\n</section>`
      : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.title)}</title>
<style>${CSS}</style>
<script>${ERROR_TRAP_SCRIPT}</script>
${inlineLibraries()}
</head>
<body>
<header>
<h1>${escapeHtml(input.title)}</h1>
${input.subtitle ? `<p class="subtitle">${escapeHtml(input.subtitle)}</p>` : ''}
${about}
<nav>${nav}</nav>
</header>
<main>
${summary}
${sections}
${manifest}
</main>
<footer>Generated by DoseGym. Self-contained: vega, vega-lite and vega-embed are inlined; the page works offline.</footer>
<script type="application/json" id="dosegym-chart-list">${scriptJson([...names])}</script>
<script>${EMBED_SCRIPT}</script>
</body>
</html>
`;
}

/** Writes <dir>/report.html atomically and returns its path. */
export function writeReport(dir: string, input: ReportInput): string {
  const path = join(dir, 'report.html');
  writeFileAtomic(path, buildReportHtml(input));
  return path;
}

/** Writes every chart (charts/<name>.vl.json, .svg, .png) and then report.html. */
export async function writeReportWithCharts(dir: string, input: ReportInput): Promise<{ report: string; charts: WrittenChart[] }> {
  const charts: WrittenChart[] = [];
  for (const s of input.sections) for (const c of s.charts) charts.push(await writeChart(dir, c.name, c.spec));
  return { report: writeReport(dir, input), charts };
}
