/**
 * Synthetic, clearly labelled sample data for every report chart. Used by the report tests, the
 * browser check and `writeSampleReport` (a demo of the report layer that needs no training run),
 * with the real report's captions (src/report/sections/).
 * The shapes are plausible (meal excursions, AGP spread, a tumour model decaying under dose) but
 * the numbers come from simple formulas, not from the simulators.
 */
import { Rng } from '../core/rng.ts';
import { chemoTrajectories, tumorVsToxicity, type ChemoTrajectoryRow, type TumorToxicityRow } from './charts/chemo.ts';
import { returnsByMethod, type ReturnsByMethodRow } from './charts/common.ts';
import { cvga, type CvgaRow } from './charts/cvga.ts';
import { agp, glucoseTrace, riskIndex, timeInRanges, type AgpRow, type GlucoseTraceRow, type RiskIndexRow, type TimeInRangesRow } from './charts/glucose.ts';
import { learningCurves, type LearningCurveRow } from './charts/training.ts';
import { groupBy } from './stats.ts';
import type { ReportSection } from './html.ts';
import { methodColors } from './colors.ts';
import { CAPTIONS } from './sections/index.ts';

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
  glucose: GlucoseTraceRow[];
  agp: AgpRow[];
  tir: TimeInRangesRow[];
  cvga: CvgaRow[];
  risk: RiskIndexRow[];
  chemo: ChemoTrajectoryRow[];
  tumor: TumorToxicityRow[];
  returns: ReturnsByMethodRow[];
}

export function sampleData(seed = 1): SampleData {
  const rng = new Rng(seed);
  const quality: Record<string, number> = { ppo: 0.55, 'basal-bolus': 0.7, pid: 0.4 };

  const learning: LearningCurveRow[] = [];
  for (const s of [1, 2, 3]) {
    const r = rng.child(`learn-${s}`);
    let steps = 0;
    while (steps < 50_000) {
      steps += 288;
      const progress = 1 - Math.exp(-steps / (12_000 + 3_000 * s));
      learning.push({ seed: s, steps, episodeReturn: -80 + 70 * progress + r.gaussian(0, 6), method: 'ppo' });
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

  // de Pillis & Radunskaya 2003 with parameters like Ahn & Park 2011's (the env's own are in
  // envs/chemo/depillis-model.ts), integrated with plain Euler sub-steps: good enough for sample
  // pictures, not the environment.
  const chemo: ChemoTrajectoryRow[] = [];
  const tumor: TumorToxicityRow[] = [];
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
      tumor.push({ method, finalTumor: T, minNormal: minN, cumulativeDose: cum });
    }
  }

  const returns: ReturnsByMethodRow[] = [];
  for (const [method, base] of [['ppo', 480], ['dqn', 430], ['random', 22]] as const) {
    for (const s of [1, 2, 3, 4, 5]) returns.push({ method, seed: s, meanReturn: Math.min(500, base + rng.gaussian(0, method === 'random' ? 3 : 25)) });
  }
  return { learning, glucose, agp, tir, cvga, risk, chemo, tumor, returns };
}

/** Every chart of the report layer built from sample data, as report sections. */
export function sampleSections(data: SampleData = sampleData()): ReportSection[] {
  const colors = methodColors([...SAMPLE_T1D_METHODS, ...SAMPLE_CHEMO_METHODS, ...new Set(data.returns.map((r) => r.method))]);
  const o = { colors };
  return [
    {
      heading: 'Training',
      charts: [{ name: 'learning-curves', spec: learningCurves(data.learning, o), caption: CAPTIONS.learningCurves }],
    },
    {
      heading: 'Type 1 diabetes (synthetic sample data)',
      text: 'Synthetic numbers that exercise every chart; not simulator output.',
      charts: [
        { name: 'glucose-trace', spec: glucoseTrace(data.glucose, o), caption: CAPTIONS.glucoseTrace },
        { name: 'agp', spec: agp(data.agp, o), caption: CAPTIONS.agp },
        { name: 'time-in-ranges', spec: timeInRanges(data.tir, o), caption: CAPTIONS.timeInRanges },
        { name: 'cvga', spec: cvga(data.cvga, o), caption: CAPTIONS.cvga },
        { name: 'risk-index', spec: riskIndex(data.risk, o), caption: CAPTIONS.riskIndex },
      ],
    },
    {
      heading: 'Chemotherapy (synthetic sample data)',
      charts: [
        { name: 'chemo-trajectories', spec: chemoTrajectories(data.chemo, o), caption: CAPTIONS.chemoTrajectories },
        { name: 'tumor-vs-toxicity', spec: tumorVsToxicity(data.tumor, o), caption: CAPTIONS.tumorVsToxicity },
      ],
    },
    {
      heading: 'Classic control (synthetic sample data)',
      charts: [{ name: 'returns-by-method', spec: returnsByMethod(data.returns, o), caption: CAPTIONS.returnsByMethod }],
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
