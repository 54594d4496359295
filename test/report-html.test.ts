import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { returnsByMethod } from '../src/report/charts/common.ts';
import { buildReportHtml, escapeHtml, writeReport, type ReportInput } from '../src/report/html.ts';
import { sampleData, sampleSections, sampleSummaryTable } from '../src/report/sample.ts';

const data = sampleData(3);
const input: ReportInput = {
  title: 'Test report <T1D & chemo>',
  subtitle: 'run 42',
  summaryTable: sampleSummaryTable(data),
  sections: sampleSections(data),
  manifest: { seed: 1, note: '</script><script>alert(1)</script>' },
};
const html = buildReportHtml(input);

function specScript(page: string, name: string): string {
  const m = new RegExp(`<script type="application/json" id="spec-${name}">([\\s\\S]*?)</script>`).exec(page);
  if (!m) throw new Error(`no spec script for ${name}`);
  return m[1]!;
}

test('report.html is self-contained: no external scripts, stylesheets or images', (t) => {
  t.notRegex(html, /<script[^>]*\bsrc\s*=/i);
  t.notRegex(html, /<link[^>]*\bhref\s*=\s*["']?(https?:)?\/\//i);
  t.notRegex(html, /<img[^>]*\bsrc\s*=\s*["']?https?:/i);
  t.notRegex(html, /@import|url\(\s*["']?https?:/i);
  // The three libraries are inlined.
  for (const lib of ['vega', 'vega-lite', 'vega-embed']) t.true(html.includes(`<script data-lib="${lib}">`), lib);
  t.true(html.length > 800_000);
});

test('report.html embeds every chart spec verbatim with a stable container id and caption', (t) => {
  const charts = input.sections.flatMap((s) => s.charts);
  t.is(charts.length, 14);
  for (const c of charts) {
    t.true(html.includes(`<div class="chart" id="chart-${c.name}"`), c.name);
    t.deepEqual(JSON.parse(specScript(html, c.name)), JSON.parse(JSON.stringify(c.spec)), c.name);
    t.true(html.includes(escapeHtml(c.caption.slice(0, 40))), `caption of ${c.name}`);
  }
  const list = /<script type="application\/json" id="dosegym-chart-list">([^<]*)<\/script>/.exec(html)!;
  t.deepEqual(JSON.parse(list[1]!), charts.map((c) => c.name));
  t.true(html.includes('data-charts-rendered') || html.includes('chartsRendered'));
});

test('summary table, escaping and script-safe JSON', (t) => {
  t.true(html.includes('<title>Test report &lt;T1D &amp; chemo&gt;</title>'));
  t.true(html.includes('<th scope="col">method</th>'));
  t.true(html.includes('<th scope="col" class="num">tir</th>'));
  t.true(html.includes('<td>basal-bolus</td>'));
  // The manifest text cannot close a script element or inject markup.
  t.false(html.includes('<script>alert(1)'));
  t.true(html.includes('&lt;/script&gt;&lt;script&gt;alert(1)'));
  const evil = returnsByMethod([{ method: '</script><b>x', seed: 1, meanReturn: 1 }]);
  const page = buildReportHtml({ title: 't', sections: [{ heading: 'h', charts: [{ name: 'r', spec: evil, caption: 'c' }] }] });
  const json = specScript(page, 'r');
  t.false(json.includes('</script'));
  t.is((JSON.parse(json) as { layer: { data: { values: { method: string }[] } }[] }).layer[0]!.data.values[0]!.method, '</script><b>x');
});

test('bad report input is rejected with a clear message', (t) => {
  const spec = returnsByMethod([{ method: 'a', seed: 1, meanReturn: 1 }]);
  t.throws(() => buildReportHtml({ title: 't', sections: [{ heading: 'h', charts: [{ name: 'x', spec, caption: '' }, { name: 'x', spec, caption: '' }] }] }), {
    message: "report: chart name 'x' is used twice; names must be unique",
  });
  t.throws(() => buildReportHtml({ title: 't', summaryTable: { columns: ['a', 'b'], rows: [[1]] }, sections: [] }), { message: /each row needs 2 cells \(a, b\), got 1/ });
});

test('writeReport writes report.html atomically into the run directory', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dosegym-report-html-'));
  try {
    const path = writeReport(dir, input);
    t.is(path, join(dir, 'report.html'));
    t.is(readFileSync(path, 'utf8'), html);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
