import test from 'ava';
import { chemoTrajectories, tumourVsToxicity } from '../src/report/charts/chemo.ts';
import { returnsByMethod, wrapText, type Spec } from '../src/report/charts/common.ts';
import { cvga, cvgaPosition } from '../src/report/charts/cvga.ts';
import { agp, agpData, glucoseTrace, layoutMealLabels, mealLabelWidthPx, mealMarkers, riskIndex, timeInRanges } from '../src/report/charts/glucose.ts';
import { learningCurveData, learningCurves, trainingHealth } from '../src/report/charts/training.ts';
import { perPatientChart } from '../src/report/charts/per-patient.ts';
import { policyAttribution, policyMap } from '../src/report/charts/explain.ts';
import { MIN_POINT_SIZE } from '../src/report/charts/chemo.ts';
import { cvgaZone } from '../src/metrics/glucose.ts';
import { FIXED, fnv1a, HASHED, methodColors, RANGE_COLORS, TABLEAU20_PAIRS } from '../src/report/colors.ts';
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
  { name: 'cvga', spec: () => cvga(data.cvga, o), texts: ['Control Variability Grid Analysis (CVGA)', 'Minimum BG (mg/dL)', 'Maximum BG (mg/dL)', 'Upper B', '&gt;400', '&lt;50', '&gt;110'] },
  { name: 'riskIndex', spec: () => riskIndex(data.risk, o), texts: ['Blood glucose risk indices', 'LBGI (hypoglycaemia risk)', 'HBGI (hyperglycaemia risk)', 'Risk index (dimensionless)'] },
  { name: 'chemoTrajectories', spec: () => chemoTrajectories(data.chemo, o), texts: ['Chemotherapy trajectories', 'Time (days)', 'N (normal)', 'T (tumour', 'B (drug)', 'toxicity limit N = 0.75', 'Dose u'] },
  { name: 'tumourVsToxicity', spec: () => tumourVsToxicity(data.tumour, o), texts: ['Tumour burden against toxicity', 'Minimum normal cells N over the horizon (dimensionless)', 'Final tumour burden T', 'Cumulative dose'] },
  { name: 'returnsByMethod', spec: () => returnsByMethod(data.returns, o), texts: ['Evaluation return by method', 'Mean episode return (dimensionless)', 'random'] },
  { name: 'trainingHealth', spec: () => trainingHealth(data.health, { ...o, method: 'ppo', doseUnit: 'U/h', actionUnit: 'U/h' }), texts: ['Training health', 'Policy entropy (nats)', 'Value loss (log scale)', 'Delivered (U/h)', 'Mean action (U/h), dashed'] },
  {
    name: 'perPatient',
    spec: () => perPatientChart(data.perPatient.points, data.perPatient.differences, { ...o, metrics: [{ metric: 'tir', title: 'TIR 70-180 (%)', better: 'higher' }, { metric: 'tbr70', title: 'TBR < 70 (%)', better: 'lower' }], order: [{ group: 'adolescents', units: ['adolescent#001', 'adolescent#002'] }, { group: 'adults', units: ['adolescent#006'] }], unitName: 'patient' }),
    texts: ['Per patient', 'adolescents (2 patients)', 'TIR 70-180 (%) (higher is better)', 'TBR &lt; 70 (%) (lower is better)', 'TIR 70-180 (%): learned - baseline'],
  },
  { name: 'policyMap', spec: () => policyMap(data.policyMap, { ...o, title: 'Policy maps', subtitle: ['s'], xTitle: 'CGM (mg/dL)', yTitle: 'CGM trend (mg/dL/min)', valueTitle: 'Insulin (U/h)', color: { kind: 'diverging', mid: 1 }, xRules: [70, 180] }), texts: ['Policy maps', 'ppo (seed 1)', 'pid (integral at zero)', 'Insulin (U/h)', 'CGM trend (mg/dL/min)'] },
  { name: 'policyAttribution', spec: () => policyAttribution(data.attribution, { ...o, groups: ['CGM history', 'insulin history and IOB', 'time of day'], doseTitle: 'U/h', hours: [0, 24], subtitle: ['s'] }), texts: ['What moved the dose (occlusion attribution)', 'CGM history', 'Effect on dose', 'Time since start of day (h)'] },
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
    if (c.name === 'trainingHealth' || c.name === 'policyMap' || c.name === 'policyAttribution') continue; // one algorithm's lines; dose and input-group colours
    const pairs = methodColorPairs(c.spec());
    t.true(pairs.length > 0, `${c.name} assigns no method colours`);
    for (const [m, colour] of pairs) {
      t.is(colour, colors[m] ?? 'missing', `${c.name}: ${m}`);
      if (!seen.has(m)) seen.set(m, new Set());
      seen.get(m)!.add(colour);
    }
  }
  // ppo appears in training, T1D, chemotherapy and classic-control charts, always the same colour.
  t.deepEqual([...seen.get('ppo')!], [TABLEAU20_PAIRS.blue[0]]);
  t.true(JSON.stringify(trainingHealth(data.health, { ...o, method: 'ppo' })).includes(`"color":"${colors.ppo}"`), 'training health draws ppo in its colour');
  t.true(seen.size >= 6);
  const tirExpr = JSON.stringify(timeInRanges(data.tir, o));
  for (const m of ['ppo', 'basal-bolus', 'pid']) t.true(tirExpr.includes(`datum.value === \\"${m}\\" ? \\"${colors[m]}\\"`));
});

test('methodColors: a method keeps its colour in every run, whatever else the run compares', (t) => {
  // Two runs with different method lists (and orders): every shared name has the same colour.
  const a = methodColors(['pid', 'my-agent', 'basal-bolus', 'ppo', 'basal']);
  const b = methodColors(['basal', 'sac', 'basal-bolus', 'ppo', 'my-agent', 'bb-suspend-80', 'ppo+shield']);
  for (const m of ['basal-bolus', 'ppo', 'my-agent', 'basal']) t.is(a[m], b[m], m);
  // Clinical baselines and DoseGym's algorithms by name: basal is never orange in one report and blue in another.
  t.is(a['basal-bolus'], '#59a14f');
  t.is(a.pid, TABLEAU20_PAIRS.purple[0]);
  t.is(b.basal, TABLEAU20_PAIRS.olive[0]);
  t.is(b.ppo, TABLEAU20_PAIRS.blue[0]);
  // Other names hash into a palette disjoint from the fixed colours.
  const fixed = new Set(Object.values(FIXED).flat());
  t.is(a['my-agent'], HASHED[fnv1a('my-agent') % HASHED.length]![0]);
  t.false(fixed.has(a['my-agent']!));
  t.false(fixed.has(b['bb-suspend-80']!));
  // Within one run, distinct methods get distinct colours.
  t.is(new Set(Object.values(b)).size, Object.keys(b).length);
  const names = Array.from({ length: 12 }, (_, i) => `m${String(i).padStart(2, '0')}`);
  const many = methodColors(names);
  t.is(new Set(names.slice(0, HASHED.length).map((n) => many[n])).size, HASHED.length);
  t.is(Object.keys(many).length, 12);
});

test('methodColors: two names of one run that hash alike differ, and the alphabetically first keeps its own colour', (t) => {
  // Find two names with the same hash slot.
  const names = Array.from({ length: 200 }, (_, i) => `agent-${i}`);
  const slot = (n: string) => fnv1a(n) % HASHED.length;
  const first = names[0]!;
  const twin = names.find((n) => n !== first && slot(n) === slot(first))!;
  const [early, late] = [first, twin].sort();
  const alone = methodColors([late!]);
  const both = methodColors([late!, early!]);
  t.is(both[early!], HASHED[slot(early!)]![0]);
  t.not(both[late!], both[early!]);
  t.is(alone[late!], HASHED[slot(late!)]![0]);
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
  const points = spec.layer.slice(2).flatMap((l) => l.data.values);
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
  const custom = HASHED.find((p) => p[0] === withShield.custom)!;
  t.is(withShield['custom+shield'], custom[1]);
  t.is(new Set(Object.values(withShield)).size, 6);
});

test('meal labels on the glucose trace never overlap and never leave the plot: close meals go to separate rows', (t) => {
  const meals = [{ hour: 7, label: '45 g' }, { hour: 7.3, label: '20.5 g' }, { hour: 7.6, label: '10 g' }, { hour: 12, label: '70 g' }, { hour: 12.1, label: '5 g' }, { hour: 23.8, label: '80 g' }];
  const pxPerHour = 640 / 24;
  const places = layoutMealLabels(meals, pxPerHour, 640);
  t.deepEqual(places.map((p) => p.row), [0, 1, 2, 0, 1, 0]);
  t.deepEqual(places.map((p) => p.side), ['right', 'right', 'right', 'right', 'right', 'left']);
  // The extent of each label in px; within a row, none overlaps another, and all stay in [0, 640].
  const extent = (i: number): [number, number] => {
    const at = meals[i]!.hour * pxPerHour;
    const w = mealLabelWidthPx(meals[i]!.label);
    return places[i]!.side === 'right' ? [at, at + w] : [at - w, at];
  };
  for (let i = 0; i < meals.length; i++) {
    t.true(extent(i)[0] >= 0 && extent(i)[1] <= 640, `label ${i} inside the plot`);
    for (let j = i + 1; j < meals.length; j++) {
      if (places[i]!.row !== places[j]!.row) continue;
      t.true(extent(i)[1] < extent(j)[0] || extent(j)[1] < extent(i)[0], `${i} and ${j}`);
    }
  }
  // On the chart: two meals 10 minutes apart get labels at different heights.
  const day = [0, 3, 6, 9, 12].flatMap((m) => [{ method: 'm', minute: 420 + m, bg: 120, cgm: 120, insulin: 0.01, cho: m === 0 || m === 12 ? 20 : 0 }]);
  const spec = JSON.stringify(glucoseTrace([...day, { method: 'm', minute: 1440, bg: 120, cgm: 120, insulin: 0, cho: 0 }]));
  const heights = new Set([...spec.matchAll(/"label":"20 g","y":([\d.]+)/g)].map((m) => Number(m[1])));
  t.is(heights.size, 2);
});

test('CVGA points beyond the axes are drawn inside the plot as open diamonds, spread, and counted in the subtitle', (t) => {
  const rows = [
    { method: 'a', patient: 'p1', minBg: 30, maxBg: 650 },
    { method: 'a', patient: 'p2', minBg: 25, maxBg: 700 },
    { method: 'b', patient: 'p3', minBg: 100, maxBg: 150 },
  ];
  const spec = cvga(rows) as unknown as { layer: { data: { values: { x: number; y: number; position: string; patient: string }[] }; mark: { shape: string; filled: boolean } }[]; title: { subtitle: string[] } };
  const beyond = spec.layer.find((l) => l.mark.shape === 'diamond')!;
  t.false(beyond.mark.filled);
  const pts = beyond.data.values;
  t.deepEqual(pts.map((p) => p.patient), ['p1', 'p2']);
  for (const p of pts) t.true(p.x > 0 && p.x < 3 && p.y > 0 && p.y < 3, `${p.patient} inside the plot`);
  t.not(`${pts[0]!.x}/${pts[0]!.y}`, `${pts[1]!.x}/${pts[1]!.y}`, 'two points at the same corner do not hide each other');
  t.true(spec.title.subtitle.join(' ').includes('2 point(s) beyond the axes'));
  const inside = spec.layer.find((l) => l.mark.shape === 'circle')!;
  t.deepEqual(inside.data.values.map((p) => p.patient), ['p3']);
});

test('tumour against toxicity: an untreated episode (dose 0) is drawn at a visible minimum size', (t) => {
  const spec = tumourVsToxicity([{ method: 'none', finalTumour: 0.3, minNormal: 0.66, cumulativeDose: 0 }, { method: 'mtd', finalTumour: 1e-6, minNormal: 0.72, cumulativeDose: 150 }]) as unknown as { layer: { encoding?: { size?: { scale: { domain: number[]; range: number[] } } } }[] };
  const size = spec.layer[0]!.encoding!.size!.scale;
  t.is(size.domain[0], 0);
  t.is(size.range[0], MIN_POINT_SIZE);
  t.true(MIN_POINT_SIZE >= 30);
  // Only untreated episodes: the scale still has a positive extent.
  const alone = tumourVsToxicity([{ method: 'none', finalTumour: 0.3, minNormal: 0.66, cumulativeDose: 0 }]) as unknown as typeof spec;
  t.true(alone.layer[0]!.encoding!.size!.scale.domain[1]! > 0);
});

test('learning curves with one seed draw no band and no per-seed lines, and say so', (t) => {
  const one = learningCurves(data.learning.filter((r) => r.seed === 1), o) as unknown as { data: { values: { kind: string; lo?: number }[] }; layer: { mark: { type: string } }[]; title: { subtitle: string | string[] } };
  t.deepEqual(one.layer.map((l) => l.mark.type), ['line']);
  t.true(one.data.values.every((d) => d.kind === 'mean' && d.lo === undefined));
  t.regex(String(one.title.subtitle), /1 seed/);
  t.notRegex(String(one.title.subtitle), /band|thin lines/i);
  const three = learningCurves(data.learning, o) as unknown as typeof one;
  t.deepEqual(three.layer.map((l) => l.mark.type), ['area', 'line', 'line']);
});
