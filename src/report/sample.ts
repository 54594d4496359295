/**
 * Synthetic, clearly labelled sample data for every report chart. Used by the report tests, the
 * browser check and `writeSampleReport` (a demo of the report layer that needs no training run),
 * with the real report's captions (src/report/sections/).
 * The shapes are plausible (meal excursions, AGP spread, a tumour model decaying under dose) but
 * the numbers come from simple formulas, not from the simulators.
 */
import { Rng } from '../core/rng.ts';
import type { SampledState } from '../evaluation/state-sample.ts';
import { chemoTrajectories, tumourVsToxicity, type ChemoTrajectoryRow, type TumourToxicityRow } from './charts/chemo.ts';
import { returnsByMethod, type ReturnsByMethodRow } from './charts/common.ts';
import { cvga, type CvgaRow } from './charts/cvga.ts';
import { policyAttribution, policyMap, policyRules, type AttributionRow, type PolicyMapCell } from './charts/explain.ts';
import { agp, agpData, glucoseTrace, riskIndex, timeInRanges, type AgpRow, type GlucoseTraceRow, type RiskIndexRow, type TimeInRangesRow } from './charts/glucose.ts';
import { differenceVerdict, perPatientChart, type PerPatientDifference, type PerPatientPoint } from './charts/per-patient.ts';
import { learningCurves, trainingHealth, trainingHealthPanels, trainingHealthText, type LearningCurveRow, type TrainingHealthRow } from './charts/training.ts';
import { distillPolicy, readableRules } from './explain/distill.ts';
import { groupBy, mean, quantiles } from './stats.ts';
import type { ReportSection } from './html.ts';
import { methodColors } from './colors.ts';
import { chemoTrajectoriesCaption, tumourVsToxicityCaption } from './sections/chemo.ts';
import { agpCaption, cvgaCaption, glucoseTraceCaption, riskIndexCaption, TIME_IN_RANGES_CAPTION } from './sections/glucose.ts';
import { methodBarsCaption } from './sections/returns.ts';
import { learningCurvesCaption } from './sections/training.ts';

export const SAMPLE_T1D_METHODS = ['ppo', 'basal-bolus', 'pid'] as const;
export const SAMPLE_CHEMO_METHODS = ['ppo', 'mtd', 'metronomic'] as const;

const MEALS = [
  { minute: 7 * 60, grams: 45 },
  { minute: 12 * 60, grams: 70 },
  { minute: 18.5 * 60, grams: 80 },
];

/** Glucose rise (mg/dL) t minutes after a meal of g grams for a controller of given quality. */
function mealBump(t: number, grams: number, quality: number, overBolus: number): number {
  if (t < 0) return 0;
  const peak = 90; // minutes to peak
  const shape = (t / peak) * Math.exp(1 - t / peak);
  // Better control: smaller excursion, but an over-sized bolus dips below baseline afterwards.
  const late = t - 2.2 * peak;
  const dip = late > 0 ? overBolus * (late / 60) * Math.exp(1 - late / 60) : 0;
  return grams * (2.6 - 1.4 * quality) * shape - dip;
}

export function sampleGlucoseDay(method: string, quality: number, rng: Rng, days = 1): GlucoseTraceRow[] {
  const rows: GlucoseTraceRow[] = [];
  const overBolus = 120 * quality * rng.uniform();
  let cgmError = 0;
  for (let minute = 0; minute < 1440 * days; minute += 5) {
    const tod = minute % 1440;
    let bg = 125 - 10 * quality + 15 * Math.sin((2 * Math.PI * (tod - 300)) / 1440);
    for (const m of MEALS) bg += mealBump(tod - m.minute, m.grams * (0.8 + 0.4 * rng.uniform()), quality, overBolus);
    bg += rng.gaussian(0, 4);
    cgmError = 0.8 * cgmError + rng.gaussian(0, 3);
    const meal = MEALS.find((m) => m.minute === tod);
    const basal = 0.013 * (1 + 0.3 * Math.sin(tod / 200));
    const bolus = meal ? (meal.grams / 10) * (0.6 + 0.4 * quality) / 5 : 0; // U over the 5-min step, as U/min
    rows.push({ method, minute, bg, cgm: bg + cgmError, insulin: basal + bolus, cho: meal ? meal.grams : 0 });
  }
  return rows;
}

export interface SampleData {
  learning: LearningCurveRow[];
  health: TrainingHealthRow[];
  attribution: AttributionRow[];
  perPatient: { points: PerPatientPoint[]; differences: PerPatientDifference[] };
  policyMap: PolicyMapCell[];
  /** Synthetic (state, action) pairs of a rule-like policy: [CGM, trend] -> U/h. */
  states: SampledState[];
  glucose: GlucoseTraceRow[];
  agp: AgpRow[];
  tir: TimeInRangesRow[];
  cvga: CvgaRow[];
  risk: RiskIndexRow[];
  chemo: ChemoTrajectoryRow[];
  tumour: TumourToxicityRow[];
  returns: ReturnsByMethodRow[];
}

export function sampleData(seed = 1): SampleData {
  const rng = new Rng(seed);
  const quality: Record<string, number> = { ppo: 0.55, 'basal-bolus': 0.7, pid: 0.4 };

  const learning: LearningCurveRow[] = [];
  const health: TrainingHealthRow[] = [];
  for (const s of [1, 2, 3]) {
    const r = rng.child(`learn-${s}`);
    let steps = 0;
    while (steps < 50_000) {
      steps += 288;
      const progress = 1 - Math.exp(-steps / (12_000 + 3_000 * s));
      learning.push({ seed: s, steps, episodeReturn: -80 + 70 * progress + r.gaussian(0, 6), method: 'ppo' });
      const dose = 1.1 + 0.4 * progress + r.gaussian(0, 0.05);
      health.push({ seed: s, steps, entropy: 1.4 - 0.9 * progress + r.gaussian(0, 0.02), valueLoss: 3 * Math.exp(-steps / 15_000) + 0.2 + Math.abs(r.gaussian(0, 0.05)), explorationRate: Number.NaN, actionMean: dose * 1.05, doseMean: dose, doseSd: 0.3 + 0.2 * progress, lagrange: Number.NaN, episodeCost: Number.NaN });
    }
  }

  const glucose: GlucoseTraceRow[] = [];
  const agp: AgpRow[] = [];
  const tir: TimeInRangesRow[] = [];
  const cvga: CvgaRow[] = [];
  const risk: RiskIndexRow[] = [];
  for (const method of SAMPLE_T1D_METHODS) {
    const q = quality[method]!;
    glucose.push(...sampleGlucoseDay(method, q, rng.child(`trace-${method}`)));
    for (let p = 1; p <= 10; p++) {
      const patient = `adolescent#${String(p).padStart(3, '0')}`;
      const pq = Math.min(1, Math.max(0, q + rng.gaussian(0, 0.15)));
      const days = sampleGlucoseDay(method, pq, rng.child(`agp-${method}-${p}`), 3);
      const bgs = days.map((d) => d.bg);
      for (const d of days) agp.push({ method, minuteOfDay: d.minute % 1440, bg: d.bg });
      const frac = (f: (bg: number) => boolean): number => (100 * bgs.filter(f).length) / bgs.length;
      tir.push({
        method,
        below54: frac((b) => b < 54),
        from54to70: frac((b) => b >= 54 && b < 70),
        from70to180: frac((b) => b >= 70 && b <= 180),
        from180to250: frac((b) => b > 180 && b <= 250),
        above250: frac((b) => b > 250),
      });
      cvga.push({ method, patient, minBg: Math.min(...bgs), maxBg: Math.max(...bgs) });
      // Kovatchev risk of the synthetic trace.
      let lb = 0;
      let hb = 0;
      for (const b of bgs) {
        const f = 1.509 * (Math.log(Math.max(b, 1)) ** 1.084 - 5.381);
        const rr = 10 * f * f;
        if (f < 0) lb += rr;
        else hb += rr;
      }
      risk.push({ method, lbgi: lb / bgs.length, hbgi: hb / bgs.length });
    }
  }

  // Per patient: the sample's TIR per patient with a normal-approximation interval over its 3 days.
  const points: PerPatientPoint[] = [];
  const differences: PerPatientDifference[] = [];
  const byPatient = groupBy(tir.map((t, i) => ({ ...t, patient: (cvga[i] as CvgaRow).patient })), (r) => `${r.method}\u0000${r.patient}`);
  for (const rows of byPatient.values()) {
    const r = rows[0] as (typeof rows)[number];
    const group = Number(r.patient.slice(-3)) <= 5 ? 'adolescents' : 'adults';
    points.push({ unit: r.patient, group, method: r.method, metric: 'tir', mean: r.from70to180, lo: r.from70to180 - 4, hi: Math.min(100, r.from70to180 + 4), n: 3 });
    points.push({ unit: r.patient, group, method: r.method, metric: 'tbr70', mean: r.below54 + r.from54to70, lo: Math.max(0, r.below54 + r.from54to70 - 1), hi: r.below54 + r.from54to70 + 1, n: 3 });
  }
  for (const p of points.filter((x) => x.method === 'ppo' && x.metric === 'tir')) {
    for (const baseline of ['basal-bolus', 'pid']) {
      const b = points.find((x) => x.method === baseline && x.metric === 'tir' && x.unit === p.unit) as PerPatientPoint;
      const d = p.mean - b.mean;
      differences.push({ unit: p.unit, group: p.group, method: 'ppo', baseline, mean: d, lo: d - 5, hi: d + 5, verdict: differenceVerdict(d - 5, d + 5, 'higher', 3) });
    }
  }
  // Policy map and attribution of a synthetic rule: more insulin above 140 mg/dL and on a rising trend.
  const rate = (cgm: number, trend: number) => Math.max(0, 1 + 0.012 * (cgm - 140) + 0.35 * trend);
  const policyMapCells: PolicyMapCell[] = [];
  for (let cgm = 40; cgm <= 400; cgm += 20) {
    for (let trend = -3; trend <= 3; trend += 0.5) {
      policyMapCells.push({ panel: 'ppo (seed 1)', method: 'ppo', x: cgm, y: trend, dx: 10, dy: 0.25, value: rate(cgm, trend) });
      policyMapCells.push({ panel: 'pid (integral at zero)', method: 'pid', x: cgm, y: trend, dx: 10, dy: 0.25, value: cgm < 80 ? 0 : Math.max(0, 1 + 0.006 * (cgm - 120) + 0.25 * trend) });
    }
  }
  const ppoDay = glucose.filter((g) => g.method === 'ppo');
  const attribution: AttributionRow[] = ppoDay.flatMap((g, i) => {
    const trend = i > 0 ? (g.cgm - (ppoDay[i - 1] as GlucoseTraceRow).cgm) / 5 : 0;
    return [
      { method: 'ppo', hour: g.minute / 60, group: 'CGM history', effect: 0.012 * (g.cgm - 150) + 0.35 * trend },
      { method: 'ppo', hour: g.minute / 60, group: 'insulin history and IOB', effect: -0.1 * Math.sin(g.minute / 180) },
      { method: 'ppo', hour: g.minute / 60, group: 'time of day', effect: 0.05 * Math.cos((2 * Math.PI * g.minute) / 1440) },
    ];
  });
  const stateRng = rng.child('states');
  const states: SampledState[] = Array.from({ length: 800 }, (_, i) => {
    const cgm = 60 + 260 * stateRng.uniform();
    const trend = -3 + 6 * stateRng.uniform();
    return { patient: 'adolescent#001', episode: Math.floor(i / 80), step: i % 80, observation: [cgm, trend], action: [rate(cgm, trend) + stateRng.gaussian(0, 0.1)] };
  });

  // de Pillis & Radunskaya 2003 with parameters like Ahn & Park 2011's (the env's own are in
  // envs/chemo/depillis-model.ts), integrated with plain Euler sub-steps: good enough for sample
  // pictures, not the environment.
  const chemo: ChemoTrajectoryRow[] = [];
  const tumour: TumourToxicityRow[] = [];
  const dosing: Record<string, (day: number) => number> = {
    ppo: (d) => (d < 60 ? (d % 7 < 1.5 ? 1 : 0.15) : d % 14 < 1 ? 1 : 0),
    mtd: () => 1,
    metronomic: () => 0.35,
  };
  for (const method of SAMPLE_CHEMO_METHODS) {
    for (let ep = 0; ep < 6; ep++) {
      const r = rng.child(`chemo-${method}-${ep}`);
      const r1 = 1.5 * (0.9 + 0.2 * r.uniform());
      const a2 = 0.3 * (0.9 + 0.2 * r.uniform());
      let N = 0.9;
      let T = 0.2;
      let I = 0.005;
      let B = 0;
      let minN = N;
      let cum = 0;
      const dt = 0.25;
      const sub = 25;
      for (let k = 0; k <= 600; k++) {
        const day = k * dt;
        const u = k < 600 ? dosing[method]!(day) : 0;
        if (ep === 0) chemo.push({ method, day, N, T, I, B, u });
        if (k === 600) break;
        for (let j = 0; j < sub; j++) {
          const h = dt / sub;
          const kill = 1 - Math.exp(-B);
          const dN = 1.0 * N * (1 - N) - T * N - 0.1 * kill * N;
          const dT = r1 * T * (1 - T) - 0.5 * I * T - T * N - a2 * kill * T;
          const dI = 0.33 + (0.01 * I * T) / (0.3 + T) - I * T - 0.2 * I - 0.2 * kill * I;
          const dB = -B + u;
          N += h * dN;
          T += h * dT;
          I += h * dI;
          B += h * dB;
          minN = Math.min(minN, N);
        }
        cum += u * dt;
      }
      tumour.push({ method, finalTumour: T, minNormal: minN, cumulativeDose: cum });
    }
  }

  const returns: ReturnsByMethodRow[] = [];
  for (const [method, base] of [['ppo', 480], ['dqn', 430], ['random', 22]] as const) {
    for (const s of [1, 2, 3, 4, 5]) returns.push({ method, seed: s, meanReturn: Math.min(500, base + rng.gaussian(0, method === 'random' ? 3 : 25)) });
  }
  return { learning, health, attribution, perPatient: { points, differences }, policyMap: policyMapCells, states, glucose, agp, tir, cvga, risk, chemo, tumour, returns };
}

/** Every chart of the report layer built from sample data, as report sections, captioned as a run's would be. */
export function sampleSections(data: SampleData = sampleData()): ReportSection[] {
  const colors = methodColors([...SAMPLE_T1D_METHODS, ...SAMPLE_CHEMO_METHODS, ...new Set(data.returns.map((r) => r.method))]);
  const o = { colors };
  const healthPanels = trainingHealthPanels(data.health);
  const distilled = distillPolicy(data.states, { names: ['CGM (mg/dL)', 'CGM trend (mg/dL/min)'], values: (x) => [...x] }, 10);
  const agpBins = agpData(data.agp);
  const cvgaBeyond = data.cvga.filter((r) => r.minBg < 50 || r.maxBg > 400).length;
  const returnsRows = data.returns.map((r) => ({ method: r.method, seed: r.seed, value: r.meanReturn }));
  const tumourUntreated = [...new Set(data.tumour.filter((t) => t.cumulativeDose === 0).map((t) => t.method))];
  const basal = quantiles(data.policyMap.filter((c) => c.method === 'ppo' && c.x === 140 && c.y === 0).map((c) => c.value), [0.5])[0] ?? 1;
  return [
    {
      heading: 'Training',
      charts: [
        { name: 'learning-curves', spec: learningCurves(data.learning, o), caption: learningCurvesCaption(3) },
        { name: 'training-health', spec: trainingHealth(data.health, { ...o, method: 'ppo', doseUnit: 'U/h', actionUnit: 'U/h' }), caption: trainingHealthText(healthPanels, 3, false) },
      ],
    },
    {
      heading: 'Type 1 diabetes (synthetic sample data)',
      text: 'Synthetic numbers that exercise every chart; not simulator output.',
      charts: [
        { name: 'glucose-trace', spec: glucoseTrace(data.glucose, o), caption: glucoseTraceCaption({ methods: SAMPLE_T1D_METHODS.length, meals: true, terminations: false, seed: '1', patient: null }) },
        { name: 'policy-attribution', spec: policyAttribution(data.attribution, { ...o, groups: ['CGM history', 'insulin history and IOB', 'time of day'], doseTitle: 'U/h', hours: [0, 24], subtitle: ['Synthetic effects of each input group on the dose.'] }), caption: 'Which inputs moved the synthetic policy\'s dose over the day shown above (occlusion attribution).' },
        { name: 'agp', spec: agp(data.agp, o), caption: agpCaption({ days: 30, earlyEnds: false, minReadings: Math.min(...agpBins.map((b) => b.n)) }) },
        { name: 'time-in-ranges', spec: timeInRanges(data.tir, o), caption: TIME_IN_RANGES_CAPTION },
        {
          name: 'per-patient',
          spec: perPatientChart(data.perPatient.points, data.perPatient.differences, {
            ...o,
            metrics: [{ metric: 'tir', title: 'TIR 70-180 (%)', better: 'higher', threshold: { value: 70, label: 'target' } }, { metric: 'tbr70', title: 'TBR < 70 (%)', better: 'lower' }],
            order: ['adolescents', 'adults'].map((group) => ({ group, units: [...new Set(data.perPatient.points.filter((p) => p.group === group).map((p) => p.unit))] })),
            unitName: 'patient',
          }),
          caption: 'Synthetic per-patient TIR and TBR < 70 with intervals, and the learned method minus each baseline per patient.',
        },
        { name: 'cvga', spec: cvga(data.cvga, o), caption: cvgaCaption({ beyond: cvgaBeyond, points: data.cvga.length }) },
        { name: 'risk-index', spec: riskIndex(data.risk, o), caption: riskIndexCaption(true) },
      ],
    },
    {
      heading: 'Policy explanation (synthetic sample data)',
      charts: [
        { name: 'policy-map', spec: policyMap(data.policyMap, { ...o, title: 'Policy maps: insulin rate over CGM level and trend', subtitle: ['A synthetic rule beside a PID-like one.'], xTitle: 'CGM (mg/dL)', yTitle: 'CGM trend (mg/dL/min)', valueTitle: 'Insulin (U/h)', color: { kind: 'diverging', mid: basal }, xRules: [70, 180] }), caption: 'Where each synthetic policy gives more or less insulin than basal.' },
        {
          name: 'policy-rules',
          spec: policyRules([{ title: 'ppo, seed 1', fidelity: `held-out fidelity ${Math.round(100 * distilled.fidelity)} %`, rules: readableRules(distilled).map((r) => ({ rule: `if ${r.rule}`, action: `-> ${r.value.toFixed(2)} U/h`, share: `${r.n} states` })), record: { fidelity: distilled.fidelity, meanAction: mean(data.states.map((s) => s.action[0] as number)) } }], { ...o, subtitle: ['A depth-4 tree distilled from the synthetic rule.'] }),
          caption: `A decision tree distilled from a synthetic policy; held-out fidelity ${Math.round(100 * distilled.fidelity)} %.`,
        },
      ],
    },
    {
      heading: 'Chemotherapy (synthetic sample data)',
      charts: [
        { name: 'chemo-trajectories', spec: chemoTrajectories(data.chemo, o), caption: chemoTrajectoriesCaption({ seed: null, ended: [], dailyDoses: true }) },
        { name: 'tumor-vs-toxicity', spec: tumourVsToxicity(data.tumour, o), caption: tumourVsToxicityCaption({ episodes: data.tumour.length, untreated: tumourUntreated }) },
      ],
    },
    {
      heading: 'Classic control (synthetic sample data)',
      charts: [{ name: 'returns-by-method', spec: returnsByMethod(data.returns, o), caption: methodBarsCaption('Mean evaluation return per method (higher is better).', returnsRows) }],
    },
  ];
}

/** Sample summary table in the shape of summary.csv. */
export function sampleSummaryTable(data: SampleData = sampleData()): { columns: string[]; rows: (string | number)[][] } {
  const columns = ['method', 'episodes', 'tir', 'tbr70', 'tar180', 'lbgi', 'hbgi'];
  const rows: (string | number)[][] = [];
  const risk = groupBy(data.risk, (r) => r.method);
  for (const [method, tRows] of groupBy(data.tir, (r) => r.method)) {
    const avg = (f: (r: TimeInRangesRow) => number): number => tRows.reduce((a, r) => a + f(r), 0) / tRows.length;
    const rr = risk.get(method) ?? [];
    const ravg = (f: (r: RiskIndexRow) => number): number => rr.reduce((a, r) => a + f(r), 0) / Math.max(1, rr.length);
    rows.push([
      method,
      tRows.length,
      avg((r) => r.from70to180).toFixed(1),
      avg((r) => r.below54 + r.from54to70).toFixed(1),
      avg((r) => r.from180to250 + r.above250).toFixed(1),
      ravg((r) => r.lbgi).toFixed(2),
      ravg((r) => r.hbgi).toFixed(2),
    ]);
  }
  return { columns, rows };
}

/** Writes a complete sample report (charts and report.html) into `dir`; returns the report path. */
export async function writeSampleReport(dir: string): Promise<string> {
  const { writeReportWithCharts } = await import('./html.ts');
  const data = sampleData();
  const { report } = await writeReportWithCharts(dir, {
    title: 'DoseGym report (sample data)',
    subtitle: 'Every chart of the report layer, drawn from synthetic data',
    summaryTable: sampleSummaryTable(data),
    sections: sampleSections(data),
    manifest: { name: 'sample', note: 'synthetic data, no training run' },
  });
  return report;
}
