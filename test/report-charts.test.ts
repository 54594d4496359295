import test from 'ava';
import { chemoTrajectories, tumorVsToxicity } from '../src/report/charts/chemo.ts';
import { returnsByMethod, wrapText, type Spec } from '../src/report/charts/common.ts';
import { cvga, cvgaPosition } from '../src/report/charts/cvga.ts';
import { agp, agpData, glucoseTrace, mealMarkers, riskIndex, timeInRanges } from '../src/report/charts/glucose.ts';
import { learningCurveData, learningCurves } from '../src/report/charts/training.ts';
import { cvgaZone } from '../src/metrics/glucose.ts';
import { methodColors, RANGE_COLORS, TABLEAU10 } from '../src/report/colors.ts';
import { compileSpec, renderSvg } from '../src/report/render.ts';
import { sampleData } from '../src/report/sample.ts';
import { quantileSorted, quantiles, representative } from '../src/report/stats.ts';

const data = sampleData(7);
const ALL_METHODS = ['ppo', 'basal-bolus', 'pid', 'mtd', 'metronomic', 'dqn', 'random'];
const colors = methodColors(ALL_METHODS);
const o = { colors };

/** Every builder with the texts its rendered SVG must contain (title, axis titles with units). */
const CASES: { name: string; spec: () => Spec; texts: string[] }[] = [
  { name: 'learningCurves', spec: () => learningCurves(data.learning, o), texts: ['Learning curves', 'Environment steps', 'Episode return (dimensionless)'] },
  { name: 'glucoseTrace', spec: () => glucoseTrace(data.glucose, o), texts: ['Glucose trace on a representative day', 'Glucose (mg/dL)', '(U/min)', 'Time since start of day (h)', 'CGM (sensor)', '45 g'] },
  { name: 'agp', spec: () => agp(data.agp, o), texts: ['Ambulatory Glucose Profile', 'Time of day (h)', 'Glucose (mg/dL)', 'basal-bolus'] },
  { name: 'timeInRanges', spec: () => timeInRanges(data.tir, o), texts: ['Time in ranges', 'Share of time (%)', '70-180 mg/dL (in range)', '&lt; 54 mg/dL (very low)'] },
  { name: 'cvga', spec: () => cvga(data.cvga, o), texts: ['Control Variability Grid Analysis (CVGA)', 'Minimum BG (mg/dL)', 'Maximum BG (mg/dL)', 'Upper B', '&gt;400', '&lt;50'] },
  { name: 'riskIndex', spec: () => riskIndex(data.risk, o), texts: ['Blood glucose risk indices', 'LBGI (hypoglycaemia risk)', 'HBGI (hyperglycaemia risk)', 'Risk index (dimensionless)'] },
  { name: 'chemoTrajectories', spec: () => chemoTrajectories(data.chemo, o), texts: ['Chemotherapy trajectories', 'Time (days)', 'N (normal)', 'T (tumour', 'B (drug)', 'toxicity limit N = 0.75', 'Dose u'] },
  { name: 'tumorVsToxicity', spec: () => tumorVsToxicity(data.tumor, o), texts: ['Tumour burden against toxicity', 'Minimum normal cells N over the horizon (dimensionless)', 'Final tumour burden T', 'Cumulative dose'] },
  { name: 'returnsByMethod', spec: () => returnsByMethod(data.returns, o), texts: ['Evaluation return by method', 'Mean episode return (dimensionless)', 'random'] },
];

for (const c of CASES) {
  test(`${c.name}: compiles without vega-lite warnings and renders SVG with titles and units`, async (t) => {
    const spec = c.spec();
    const { warnings, vega } = compileSpec(spec);
    t.deepEqual(warnings, []);
    t.true(Array.isArray((vega as { marks?: unknown[] }).marks));
    const svg = await renderSvg(spec);
    t.true(svg.startsWith('<svg'));
    for (const text of c.texts) t.true(svg.includes(text), `missing text '${text}'`);
  });
}

/** (method, colour) pairs a spec assigns: method colour scales and per-method panel titles. */
function methodColorPairs(spec: unknown): [string, string][] {
  const pairs: [string, string][] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const obj = node as Record<string, unknown>;
    const scale = obj.scale as { domain?: unknown; range?: unknown } | undefined;
    if (obj.field === 'method' && scale && Array.isArray(scale.domain) && Array.isArray(scale.range)) {
      scale.domain.forEach((m, i) => pairs.push([String(m), String((scale.range as unknown[])[i])]));
    }
    const title = obj.title as { text?: unknown; color?: unknown } | undefined;
    if (title && typeof title.text === 'string' && typeof title.color === 'string' && title.text in colors) pairs.push([title.text, title.color]);
    Object.values(obj).forEach(visit);
  };
  visit(spec);
  return pairs;
}

test('one colour per method across every chart', (t) => {
  const seen = new Map<string, Set<string>>();
  for (const c of CASES) {
    if (c.name === 'timeInRanges') continue; // coloured by glucose range; methods colour the axis labels (below)
    const pairs = methodColorPairs(c.spec());
    t.true(pairs.length > 0, `${c.name} assigns no method colours`);
    for (const [m, colour] of pairs) {
      t.is(colour, colors[m] ?? 'missing', `${c.name}: ${m}`);
      if (!seen.has(m)) seen.set(m, new Set());
      seen.get(m)!.add(colour);
    }
  }
  // ppo appears in training, T1D, chemotherapy and classic-control charts, always the same colour.
  t.deepEqual([...seen.get('ppo')!], [TABLEAU10[0]]);
  t.true(seen.size >= 6);
  const tirExpr = JSON.stringify(timeInRanges(data.tir, o));
  for (const m of ['ppo', 'basal-bolus', 'pid']) t.true(tirExpr.includes(`datum.value === \\"${m}\\" ? \\"${colors[m]}\\"`));
});

test('methodColors: reserved names keep their colour whatever the order; others get distinct free colours', (t) => {
  const a = methodColors(['pid', 'my-agent', 'basal-bolus']);
  const b = methodColors(['basal-bolus', 'ppo', 'pid', 'other']);
  t.is(a['basal-bolus'], '#59a14f');
  t.is(b['basal-bolus'], '#59a14f');
  t.is(a.pid, b.pid);
  t.is(b.ppo, '#4e79a7');
  t.not(a['my-agent'], a.pid);
  t.not(a['my-agent'], a['basal-bolus']);
  const many = methodColors(Array.from({ length: 25 }, (_, i) => `m${i}`));
  t.is(new Set(Object.values(many).slice(0, 20)).size, 20);
  t.is(Object.keys(many).length, 25);
  // Aliases sharing a slot still get different colours in one run.
  const aliases = methodColors(['constant', 'constant-basal']);
  t.not(aliases.constant, aliases['constant-basal']);
});

test('quantiles match numpy.percentile (linear interpolation)', (t) => {
  const oneToTen = Float64Array.from({ length: 10 }, (_, i) => i + 1);
  t.is(quantileSorted(oneToTen, 0), 1);
  t.is(quantileSorted(oneToTen, 1), 10);
  t.is(quantileSorted(oneToTen, 0.5), 5.5);
  t.is(quantileSorted(oneToTen, 0.25), 3.25);
  t.true(Math.abs(quantileSorted(oneToTen, 0.9) - 9.1) < 1e-12);
  t.deepEqual(quantiles([3, 1, 2, Number.NaN], [0, 0.5, 1]), [1, 2, 3]);
  t.true(Number.isNaN(quantileSorted([], 0.5)));
  t.throws(() => quantileSorted(oneToTen, 1.5), { message: /p must be in \[0, 1\]/ });
});

test('agpData: percentiles per 15-min bin of the day, plotted at bin centres', (t) => {
  // Bin 0 (00:00-00:15) holds 1..100 mg/dL, spread over two days (minute 1445 wraps to bin 0).
  const rows = Array.from({ length: 100 }, (_, i) => ({ method: 'x', minuteOfDay: i % 2 === 0 ? i % 15 : 1440 + (i % 15), bg: i + 1 }));
  rows.push({ method: 'x', minuteOfDay: 12 * 60 + 7, bg: 150 });
  const out = agpData(rows, 15);
  t.is(out.length, 2);
  const b0 = out[0]!;
  t.is(b0.n, 100);
  t.is(b0.hour, 0.125);
  t.is(b0.p5, 6); // numpy: 5.95, rounded to 0.1 mg/dL
  t.is(b0.p25, 25.8); // 25.75
  t.is(b0.p50, 50.5);
  t.is(b0.p75, 75.3); // 75.25
  t.is(b0.p95, 95.1); // 95.05
  t.deepEqual({ hour: out[1]!.hour, p50: out[1]!.p50 }, { hour: 12.125, p50: 150 });
  t.throws(() => agpData(rows, 7), { message: /binMinutes must divide 1440/ });
});

test('learningCurveData: per-seed bins and mean with min-max band', (t) => {
  const rows = [
    { seed: 1, steps: 50, episodeReturn: 1 },
    { seed: 1, steps: 100, episodeReturn: 3 },
    { seed: 2, steps: 50, episodeReturn: 5 },
    { seed: 2, steps: 100, episodeReturn: 9 },
  ];
  const out = learningCurveData(rows, { bins: 2 });
  const means = out.filter((d) => d.kind === 'mean');
  t.deepEqual(means, [
    { kind: 'mean', method: 'agent', steps: 50, value: 3, lo: 1, hi: 5, seeds: 2 },
    { kind: 'mean', method: 'agent', steps: 100, value: 6, lo: 3, hi: 9, seeds: 2 },
  ]);
  const sdBand = learningCurveData(rows, { bins: 2, band: 'sd' }).filter((d) => d.kind === 'mean');
  t.is(sdBand[0]!.lo, round4(3 - Math.SQRT2 * 2));
  t.is(out.filter((d) => d.kind === 'seed').length, 4);
});

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

test('cvga: points sit on the Magni 2008 grid and carry the metrics\' zone, boundaries included', (t) => {
  t.deepEqual(cvgaPosition(110, 110), { x: 0, y: 0 });
  t.deepEqual(cvgaPosition(90, 180), { x: 1, y: 1 });
  t.deepEqual(cvgaPosition(100, 240), { x: 0.5, y: 1.5 });
  t.deepEqual(cvgaPosition(50, 400), { x: 3, y: 3 });
  t.deepEqual(cvgaPosition(30, 600), { x: 3, y: 3 }); // beyond the axes: on the edge
  t.deepEqual(cvgaPosition(140, 90), { x: 0, y: 0 });
  // Points on the grid lines: the chart's zones are src/metrics/glucose.ts's, whatever the position.
  const rows = [[90, 170], [89.9, 170], [70, 180], [69.9, 180.1], [95, 300], [95, 300.1]].map(([minBg, maxBg], i) => ({ method: 'm', patient: `p${i}`, minBg: minBg as number, maxBg: maxBg as number }));
  const spec = cvga(rows) as unknown as { layer: { data: { values: { zone?: string; patient?: string }[] } }[]; title: { subtitle: string[] } };
  const points = spec.layer[2]!.data.values;
  t.deepEqual(points.map((p) => p.zone), ['A', 'Lower B', 'Lower B', 'Lower D', 'Upper B', 'Upper C']);
  t.deepEqual(points.map((p) => p.zone), rows.map((r) => cvgaZone(r.minBg, r.maxBg)));
  // zone shares: A or a B zone for 4 of the 6 points
  t.true(spec.title.subtitle.join(' ').includes('Share in zones A+B: m 67 %'), spec.title.subtitle.join(' '));
  // the shaded squares are labelled with the metrics' zone of their centre
  const squares = spec.layer[0]!.data.values as { zone: string }[];
  t.deepEqual(squares.map((z) => z.zone).sort(), ['A', 'B', 'E', 'Lower B', 'Lower C', 'Lower D', 'Upper B', 'Upper C', 'Upper D']);
});

test('timeInRanges: averages rows per method and normalises to 100 %', (t) => {
  const frac = { below54: 0.01, from54to70: 0.03, from70to180: 0.7, from180to250: 0.2, above250: 0.06 };
  const pct = { below54: 1, from54to70: 3, from70to180: 70, from180to250: 20, above250: 6 };
  const values = (s: Spec): { method: string; range: string; pct: number; y1: number }[] =>
    (s as unknown as { layer: { data: { values: { method: string; range: string; pct: number; y1: number }[] } }[] }).layer[0]!.data.values;
  const a = values(timeInRanges([{ method: 'a', ...frac }]));
  const b = values(timeInRanges([{ method: 'a', ...pct }, { method: 'a', ...pct }]));
  t.deepEqual(a.map((d) => d.pct), [1, 3, 70, 20, 6]);
  t.deepEqual(b.map((d) => d.pct), [1, 3, 70, 20, 6]);
  t.is(a[a.length - 1]!.y1, 100);
  t.is(a[0]!.range, '< 54 mg/dL (very low)');
  const above = (timeInRanges([{ method: 'a', ...pct }]) as unknown as { layer: { data: { values: { label?: string }[] } }[] }).layer[2]!.data.values;
  t.deepEqual(above.map((d) => d.label), ['< 70: 4.0 %']);
  const spec = JSON.stringify(timeInRanges([{ method: 'a', ...pct }]));
  for (const c of Object.values(RANGE_COLORS)) t.true(spec.includes(c));
  t.throws(() => timeInRanges([{ method: 'z', below54: 0, from54to70: 0, from70to180: 0, from180to250: 0, above250: 0 }]), { message: /method 'z' has no time/ });
});

test('mealMarkers merges consecutive carbohydrate steps into one meal', (t) => {
  const row = (minute: number, cho: number) => ({ method: 'm', minute, bg: 100, cgm: 100, insulin: 0, cho });
  const meals = mealMarkers([row(0, 0), row(3, 10), row(6, 10), row(9, 0), row(600, 50)]);
  t.deepEqual(meals, [
    { hour: 0.05, grams: 20 },
    { hour: 10, grams: 50 },
  ]);
});

test('builders reject empty input with the builder name', (t) => {
  t.throws(() => cvga([]), { message: 'cvga: no rows to chart' });
  t.throws(() => learningCurves([]), { message: 'learningCurves: no rows to chart' });
});

test('wrapText keeps lines within the limit and loses no words', (t) => {
  const text = 'one two three four five six seven eight nine ten eleven twelve';
  const lines = wrapText(text, 14);
  t.true(lines.every((l) => l.length <= 14));
  t.is(lines.join(' '), text);
});

test('representative picks the median-scoring item', (t) => {
  const days = [{ id: 'a', tir: 90 }, { id: 'b', tir: 40 }, { id: 'c', tir: 65 }, { id: 'd', tir: 70 }];
  t.is(representative(days, (d) => d.tir).id, 'c'); // lower middle of 40, 65, 70, 90
  t.is(representative(days.slice(0, 3), (d) => d.tir).id, 'c');
  t.throws(() => representative([], () => 0), { message: /no items/ });
});

test('a shielded variant takes the light partner of its method colour; the methods keep theirs', (t) => {
  const plain = methodColors(['ppo', 'pid', 'custom']);
  const withShield = methodColors(['ppo', 'ppo+shield', 'pid', 'pid+shield', 'custom', 'custom+shield']);
  for (const m of ['ppo', 'pid', 'custom']) t.is(withShield[m], plain[m], m);
  t.is(withShield['ppo+shield'], '#a0cbe8'); // light blue beside PPO's blue
  t.is(withShield['pid+shield'], '#d4a6c8'); // light purple beside PID's purple
  t.is(new Set(Object.values(withShield)).size, 6);
});
