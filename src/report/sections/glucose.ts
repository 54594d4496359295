/**
 * The T1D report: glucose trace of a representative day (a red line where it ended by a
 * termination), the AGP of every evaluation day (from daily-profile.json, with the days that ended
 * early counted and marked), time in ranges, CVGA, risk indices and the return per method; in the Safety section, time below 70 and 54 mg/dL against the
 * consensus targets (< 4 % and < 1 %, Battelino et al., Diabetes Care 2019;42:1593).
 */
import { metricByMethod } from '../charts/common.ts';
import { cvga } from '../charts/cvga.ts';
import { agpBin, agpChart, glucoseTrace, riskIndex, timeInRanges, type AgpBin, type AgpEarlyEnds } from '../charts/glucose.ts';
import { histogramCount, histogramQuantiles, type RunDailyProfile } from '../../evaluation/profile.ts';
import { THERAPY_DEFAULTS } from '../../../envs/glucose/therapy.ts';
import type { ReportChart, ReportSection } from '../html.ts';
import { glucoseAttribution, glucosePolicyCharts, runProbe } from './glucose-explain.ts';
import { perPatientView } from './per-patient.ts';
import type { FamilySections } from './family-sections.ts';
import { returnsChart } from './returns.ts';
import { avg, cell, meanBy, representativeEpisode, valuesByMethod, type Row, type RunReportData } from './run-data.ts';

/** How to read the glucose trace, for what it draws in this run. */
export function glucoseTraceCaption(o: { methods: number; meals: boolean; terminations: boolean; seed: string | null; patient: string | null }): string {
  const which = `${o.patient !== null ? `patient ${o.patient}, ` : ''}evaluation episode 0${o.seed !== null ? `, training seed ${o.seed} for a learned method` : ''}`;
  return (
    `One evaluation day per method (${which}: the same day for every method). The green band is the 70-180 mg/dL target; solid line = true blood glucose, dashed = what the sensor (CGM) reported; the bars below are the insulin delivered (U/h, each method on its own scale)` +
    (o.meals ? '; triangles mark meals with their carbohydrate (g)' : '; this day has no meals') +
    '. Look for high post-meal peaks and for dips below 70 mg/dL.' +
    (o.terminations ? ' A red line marks where a day ended early: true glucose left 40-600 mg/dL and the episode terminated (the patient died); nothing is drawn after it.' : '')
  );
}

/** How to read the AGP, for the days and early ends of this run. */
export function agpCaption(o: { days: number; earlyEnds: boolean; minReadings: number }): string {
  return (
    `Ambulatory Glucose Profile: all ${o.days} evaluation days of every patient folded onto one 24-hour clock (the tooltip gives the readings per 15-minute bin; at least ${o.minReadings} per bin here). The line is the median true glucose, the dark band holds the middle 50 % of readings and the light band 90 %. A narrow profile inside the green band is good control; wide bands mean day-to-day variability.` +
    (o.earlyEnds ? ' Above each panel: how many days ended early by a termination; red ticks mark the time of day of each. Their readings up to the termination are counted, so later bins hold fewer readings.' : '')
  );
}

export const TIME_IN_RANGES_CAPTION =
  'Share of time in each glucose range per method (mean over patients and episodes, readings up to any termination). More green is better; red segments (below 70 mg/dL) are hypoglycaemia and matter most clinically; consensus targets are > 70 % in range and < 4 % below 70. The summary table gives each share with its 95 % CI.';

/** How to read the CVGA, for the points of this run. */
export function cvgaCaption(o: { beyond: number; points: number }): string {
  return (
    `Control Variability Grid Analysis: each of the ${o.points} points is one patient under one method, placed by the lowest and highest true glucose over its evaluation days. Zone A (bottom left) is tight control, B benign excursions, C over-correction, D failure to manage, E erroneous control. More points in A and B is better.` +
    (o.beyond > 0 ? ` ${o.beyond} point(s) lie beyond the axes (minimum below 50 or maximum above 400 mg/dL): they are drawn just inside the edge as open diamonds, their true values in the tooltip.` : '')
  );
}

/** How to read the risk indices, for the spread this run has. */
export function riskIndexCaption(whiskers: boolean): string {
  return `Kovatchev risk indices: LBGI measures the risk of hypoglycaemia, HBGI of hyperglycaemia, and the risk index is their sum; bars are the mean over patients and episodes${whiskers ? ', whiskers +- 1 SD across them' : ''}. Lower is better; the shaded bands are the moderate- and high-risk ranges.`;
}

/** The AGP's bins and early ends from the run's daily profile (every evaluation day; src/evaluation/profile.ts). */
export function agpFromProfile(profile: RunDailyProfile): { bins: AgpBin[]; earlyEnds: AgpEarlyEnds[] } {
  const bins: AgpBin[] = [];
  const earlyEnds: AgpEarlyEnds[] = [];
  for (const [method, p] of Object.entries(profile.methods)) {
    p.bins.forEach((bin, b) => {
      const n = histogramCount(bin);
      if (n > 0) bins.push(agpBin(method, b, p.binMinutes, n, histogramQuantiles(bin, p.resolution, [0.05, 0.25, 0.5, 0.75, 0.95])));
    });
    earlyEnds.push({ method, episodes: p.episodes, plannedDays: p.plannedMinutes / 1440, terminationHours: p.terminationMinutes.map((m) => m / 60) });
  }
  return { bins, earlyEnds };
}

/** Where the representative day of each method ended by a termination (minute and true BG of its last reading). */
function traceTerminations(trace: readonly { method: string; minute: number; bg: number }[], trajectories: readonly Row[], episodes: readonly Row[]) {
  const out: { method: string; minute: number; bg: number }[] = [];
  for (const first of representativeEpisode(trajectories).filter((r, i, all) => i === 0 || all[i - 1]?.['method'] !== r['method'])) {
    const record = episodes.find((e) => e['method'] === first['method'] && e['seed'] === first['seed'] && e['patient'] === first['patient'] && e['episode'] === first['episode']);
    const last = trace.filter((r) => r.method === first['method']).at(-1);
    if (record?.['terminated'] === '1' && last !== undefined) out.push({ method: last.method, minute: last.minute, bg: last.bg });
  }
  return out;
}

/** The representative day's trace: each reading with the insulin rate (U/h) and carbs of the step that starts at it. */
function traceRows(trajectories: readonly Row[]) {
  const rep = representativeEpisode(trajectories);
  return rep
    .map((r, i) => {
      // Row k holds BG/CGM at its minute and the insulin (U) and carbs (g) of the step that ENDED
      // there; pair each reading with the step that STARTS at it, insulin as a rate in U/h.
      const next = rep[i + 1];
      const sameEpisode = next !== undefined && next['method'] === r['method'];
      const span = sameEpisode ? cell(next['minute']) - cell(r['minute']) : 0;
      return {
        method: r['method'] as string,
        minute: cell(r['minute']),
        bg: cell(r['bg']),
        cgm: cell(r['cgm']),
        insulin: sameEpisode && span > 0 ? (cell(next['insulin']) / span) * 60 : 0,
        cho: sameEpisode ? cell(next['cho']) || 0 : 0,
      };
    })
    .filter((r) => Number.isFinite(r.bg));
}

/** The cohort of a patient id ('adolescent#001' -> 'adolescents'). */
function cohortOf(patient: string): string {
  const kind = patient.split('#')[0] ?? patient;
  return kind === 'child' ? 'children' : `${kind}s`;
}

function sections(data: RunReportData): ReportSection[] {
  const o = { colors: data.colors };
  const { episodes, trajectories, config } = data;
  const trace = traceRows(trajectories);
  const deaths = traceTerminations(trace, trajectories, episodes);
  const profile = data.dailyProfile === undefined ? undefined : agpFromProfile(data.dailyProfile);
  const anyEarlyEnd = profile?.earlyEnds.some((e) => e.terminationHours.length > 0) ?? false;
  const first = profile?.earlyEnds[0];
  const plannedHours = first !== undefined && first.episodes > 0 ? (first.plannedDays * 24) / first.episodes : undefined;
  const tir = meanBy(episodes, (r) => r['method'] as string, (method, g) => {
    const tbr54 = avg(g, 'tbr54');
    const tbr70 = avg(g, 'tbr70');
    const tar180 = avg(g, 'tar180');
    const tar250 = avg(g, 'tar250');
    return { method, below54: tbr54, from54to70: tbr70 - tbr54, from70to180: avg(g, 'tir'), from180to250: tar180 - tar250, above250: tar250 };
  });
  const cvgaRows = meanBy(episodes, (r) => `${r['method']}\u0000${r['patient']}`, (_k, g) => ({
    method: (g[0] as Row)['method'] as string,
    patient: (g[0] as Row)['patient'] as string,
    minBg: Math.min(...g.map((r) => cell(r['min_bg']))),
    maxBg: Math.max(...g.map((r) => cell(r['max_bg']))),
  }));
  const risk = episodes.map((r) => ({ method: r['method'] as string, lbgi: cell(r['lbgi']), hbgi: cell(r['hbgi']) })).filter((r) => Number.isFinite(r.lbgi) && Number.isFinite(r.hbgi));
  const patients = data.family.patients(config.env.options).filter((p): p is string => p !== null);
  const rep = representativeEpisode(trajectories)[0];
  const traceHours: [number, number] = [0, Math.max(plannedHours ?? 24, ...trace.map((r) => r.minute / 60))];
  // The policy explanation asks the learned policies; a baselines-only run has none.
  const probe = data.policies.length > 0 ? runProbe(data) : undefined;
  const attribution = probe === undefined ? undefined : glucoseAttribution(data, probe, { patient: (rep?.['patient'] as string | undefined) ?? patients[0] ?? null, hours: [0, Math.ceil(traceHours[1])], traceShown: trace.length > 0 });
  const perPatient = perPatientView(
    data,
    [
      { metric: 'tir', title: 'TIR 70-180 (%)', better: 'higher', threshold: { value: 70, label: 'target > 70 %' } },
      { metric: 'tbr70', title: 'TBR < 70 (%)', better: 'lower', threshold: { value: 4, label: 'target < 4 %' } },
    ],
    { unit: (r) => r['patient'] as string, group: (r) => (patients.length > 1 && new Set(patients.map(cohortOf)).size > 1 ? cohortOf(r['patient'] as string) : ''), replicate: (r) => Number(r['episode']), unitName: 'patient', groupOrder: ['children', 'adolescents', 'adults'] },
  );
  const cvgaBeyond = cvgaRows.filter((r) => r.minBg < 50 || r.maxBg > 400).length;
  const methodNames = data.methods.map((m) => m.name);
  const out: ReportSection[] = [
    {
      heading: 'Glucose control',
      text:
        `Every method faced the same ${patients.length} patient${patients.length === 1 ? '' : 's'}, meal days and sensor noise (${config.evaluate.episodes} episodes each, evaluation seed ${config.evaluate.seed}).` +
        (profile === undefined ? ' No Ambulatory Glucose Profile: this run was evaluated before DoseGym kept daily profiles (daily-profile.json); re-evaluate it with dosegym evaluate <run-dir>.' : ''),
      charts: [
        // The trace needs per-step trajectories (none when evaluate.trajectories is 0); the AGP
        // reads the daily profile of every evaluation day.
        ...(trace.length > 0
          ? [
              {
                name: 'glucose-trace',
                spec: glucoseTrace(trace, { ...o, insulinUnit: 'U/h', terminations: deaths, ...(plannedHours !== undefined ? { plannedHours } : {}) }),
                caption: glucoseTraceCaption({ methods: new Set(trace.map((r) => r.method)).size, meals: trace.some((r) => r.cho > 0), terminations: deaths.length > 0, seed: data.policies.length > 0 ? String(data.policies[0]?.seed) : null, patient: (rep?.['patient'] as string | undefined) ?? null }),
              },
            ]
          : []),
        ...(attribution !== undefined ? [attribution] : []),
        ...(profile !== undefined && profile.bins.length > 0
          ? [{ name: 'agp', spec: agpChart(profile.bins, { ...o, binMinutes: data.dailyProfile?.binMinutes ?? 15, earlyEnds: profile.earlyEnds, quantity: 'True glucose' }), caption: agpCaption({ days: first?.episodes ?? 0, earlyEnds: anyEarlyEnd, minReadings: Math.min(...profile.bins.map((b) => b.n)) }) }]
          : []),
        { name: 'time-in-ranges', spec: timeInRanges(tir, o), caption: TIME_IN_RANGES_CAPTION },
        ...(perPatient !== undefined ? [perPatient.chart] : []),
        { name: 'cvga', spec: cvga(cvgaRows, o), caption: cvgaCaption({ beyond: cvgaBeyond, points: cvgaRows.length }) },
        { name: 'risk-index', spec: riskIndex(risk, o), caption: riskIndexCaption(risk.length > new Set(risk.map((r) => r.method)).size) },
        returnsChart(data),
      ],
    },
  ];
  if (probe !== undefined) {
    const charts = glucosePolicyCharts(data, probe);
    if (charts.length > 0) out.push({ heading: 'Policy explanation', text: `What the learned ${[...new Set(data.policies.map((p) => p.method))].join(', ')} policies do, asked directly: compared in this run with ${methodNames.filter((m) => !data.methods.find((x) => x.name === m)?.trained).join(', ')}.`, charts });
  }
  return out;
}

/** The header's protocol lines for a T1D run: meal announcement, therapy errors, sensor, pump, episode length. */
function protocol(data: RunReportData): string[] {
  const o = data.config.env.options;
  const lead = o['mealAnnouncement'];
  const therapy = (typeof o['therapy'] === 'object' && o['therapy'] !== null ? o['therapy'] : {}) as Record<string, unknown>;
  const errors = Object.entries(therapy).filter(([k, v]) => k in THERAPY_DEFAULTS && JSON.stringify(v) !== JSON.stringify(THERAPY_DEFAULTS[k as keyof typeof THERAPY_DEFAULTS]));
  return [
    typeof lead === 'number' ? `meals announced to the learned policy ${lead} min ahead` : 'the learned policy is not told of meals (basal-bolus is told of every announced meal)',
    errors.length > 0 ? `therapy errors: ${errors.map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ')}` : 'ideal therapy (exact carb counts, no missed boluses, exact settings)',
    `${String(o['sensor'] ?? 'Dexcom')} CGM${o['sensorNoise'] === false ? ' without noise' : ' with noise'}, ${String(o['pump'] ?? 'Insulet')} pump, ${String(o['action'] ?? 'continuous')} action, ${String(o['days'] ?? 1)}-day episodes`,
  ];
}

function safetyPanels(data: RunReportData): ReportChart[] {
  const o = { colors: data.colors };
  const rows = data.summary.rows;
  return [
    {
      name: 'time-below-70',
      spec: metricByMethod(valuesByMethod(rows, 'tbr70'), { ...o, title: 'Time below 70 mg/dL', subtitle: 'Percent of readings below 70 mg/dL per method; dashed line: consensus target (< 4 %).', yTitle: 'Time below 70 mg/dL (%)', valueName: 'TBR<70 %', thresholds: [{ value: 4, label: 'target < 4 %' }] }),
      caption: 'Level 1+2 hypoglycaemia exposure; the International Consensus on Time in Range asks for less than 4 %.',
    },
    {
      name: 'time-below-54',
      spec: metricByMethod(valuesByMethod(rows, 'tbr54'), { ...o, title: 'Time below 54 mg/dL', subtitle: 'Percent of readings below 54 mg/dL per method; dashed line: consensus target (< 1 %).', yTitle: 'Time below 54 mg/dL (%)', valueName: 'TBR<54 %', thresholds: [{ value: 1, label: 'target < 1 %' }] }),
      caption: 'Level 2 (clinically significant) hypoglycaemia; the consensus target is less than 1 %.',
    },
  ];
}

export const GLUCOSE_SECTIONS: FamilySections = { sections, safetyPanels, doseUnit: 'U/h', protocol };
