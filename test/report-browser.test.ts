import test from 'ava';
import { consoleErrors, inspectDom } from '../scripts/browser-check.ts';

const chart = (name: string, inner: string): string =>
  `<div class="chart-scroll"><div class="chart vega-embed" id="chart-${name}" data-chart="${name}">${inner}</div></div>\n<script type="application/json" id="spec-${name}">{}</script>`;

test('inspectDom reads the page bookkeeping and finds empty chart containers', (t) => {
  const dom = `<html lang="en" data-console-errors="1" data-console-messages="[&quot;boom&quot;]"><head><script>var s = "<body>";</script></head>
<body data-charts-total="2" data-charts-rendered="1" data-charts-failed="1" data-charts-done="true">
${chart('a', '<div class="chart-wrapper"><svg width="10"></svg></div>')}
${chart('b', 'This chart failed to render')}
</body></html>`;
  t.deepEqual(inspectDom(dom), { consoleErrors: 1, consoleMessages: ['boom'], total: 2, rendered: 1, failed: 1, done: true, empty: ['b'], containers: 2 });
});

test('inspectDom on a page whose scripts never ran reports nothing as done', (t) => {
  const v = inspectDom(`<html><body>${chart('a', '')}</body></html>`);
  t.false(v.done);
  t.true(Number.isNaN(v.total));
  t.true(Number.isNaN(v.consoleErrors));
  t.deepEqual(v.empty, ['a']);
});

test('consoleErrors picks uncaught exceptions and chart failures from the Chromium log', (t) => {
  const log = [
    '[1:1:1128/123245.227446:INFO:CONSOLE:1] "hello", source: file:///r.html (1)',
    '[1:1:1128/123245.240207:INFO:CONSOLE:1] "Uncaught TypeError: x is null", source: file:///r.html (1)',
    '[1:1:1128/123238.016023:ERROR:dbus/bus.cc:405] Failed to connect to the bus',
    '[1:1:1128/123656.278619:INFO:CONSOLE:50] "dosegym report: chart "bad" failed to render: boom", source: file:///r.html (50)',
  ].join('\n');
  const errors = consoleErrors(log);
  t.is(errors.length, 2);
  t.regex(errors[0]!, /Uncaught TypeError/);
  t.regex(errors[1]!, /chart "bad" failed/);
});
