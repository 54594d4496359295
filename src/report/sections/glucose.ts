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
import type { ReportChart } from '../html.ts';
import type { FamilySections } from './family-sections.ts';
import { returnsChart } from './returns.ts';
import { avg, cell, meanBy, representativeEpisode, type Row, type RunReportData } from './run-data.ts';
import { valuesByMethod } from './safety.ts';

export const GLUCOSE_CAPTIONS = {
  glucoseTrace:
    'One representative day per method. The green band is the 70-180 mg/dL target; solid line = true blood glucose, dashed = what the sensor (CGM) reported; the bars below are insulin delivered; triangles mark meals. Look for high post-meal peaks and for dips below 70 mg/dL.',
  agp:
    'Ambulatory Glucose Profile: every evaluation day of every patient folded onto one 24-hour clock (the tooltip gives the readings per 15-minute bin). The line is the median true glucose, the dark band holds the middle 50 % of readings and the light band 90 %. A narrow profile inside the green band is good control; wide bands mean day-to-day variability.',
  timeInRanges:
    'Share of time in each glucose range per method. More green is better; red segments (below 70 mg/dL) are hypoglycaemia and matter most clinically; consensus targets are > 70 % in range and < 4 % below 70.',
  cvga:
    'Control Variability Grid Analysis: each point is one patient under one method, placed by the lowest and highest glucose seen. Zone A (bottom left) is tight control, B benign excursions, C over-correction, D failure to manage, E erroneous control. More points in A and B is better.',
  riskIndex:
    'Kovatchev risk indices: LBGI measures the risk of hypoglycaemia, HBGI of hyperglycaemia, and the risk index is their sum. Lower is better; dashed ticks mark the moderate- and high-risk thresholds.',
} as const;

/** Caption additions, only when the run has what they describe. */
const TERMINATION_CAPTIONS = {
  trace: ' A red line marks where a day ended early: true glucose left 40-600 mg/dL and the episode terminated (the patient died); nothing is drawn after it.',
  agp: ' Above each panel: how many days ended early by a termination; red ticks mark the time of day of each. Their readings up to the termination are counted, so later bins hold fewer readings.',
} as const;

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

function sections(data: RunReportData) {
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
  const risk = meanBy(episodes, (r) => r['method'] as string, (method, g) => ({ method, lbgi: avg(g, 'lbgi'), hbgi: avg(g, 'hbgi') }));
  return [
    {
      heading: 'Glucose control',
      text:
        `Every method faced the same patients (${data.family.patients(config.env.options).length}), meal days and sensor noise (${config.evaluate.episodes} episodes each, evaluation seed ${config.evaluate.seed}).` +
        (profile === undefined ? ' No Ambulatory Glucose Profile: this run was evaluated before DoseGym kept daily profiles (daily-profile.json); re-evaluate it with dosegym evaluate <run-dir>.' : ''),
      charts: [
        // The trace needs per-step trajectories (none when evaluate.trajectories is 0); the AGP
        // reads the daily profile of every evaluation day.
        ...(trace.length > 0
          ? [{ name: 'glucose-trace', spec: glucoseTrace(trace, { ...o, insulinUnit: 'U/h', terminations: deaths, ...(plannedHours !== undefined ? { plannedHours } : {}) }), caption: GLUCOSE_CAPTIONS.glucoseTrace + (deaths.length > 0 ? TERMINATION_CAPTIONS.trace : '') }]
          : []),
        ...(profile !== undefined && profile.bins.length > 0
          ? [{ name: 'agp', spec: agpChart(profile.bins, { ...o, binMinutes: data.dailyProfile?.binMinutes ?? 15, earlyEnds: profile.earlyEnds, quantity: 'True glucose' }), caption: GLUCOSE_CAPTIONS.agp + (anyEarlyEnd ? TERMINATION_CAPTIONS.agp : '') }]
          : []),
        { name: 'time-in-ranges', spec: timeInRanges(tir, o), caption: GLUCOSE_CAPTIONS.timeInRanges },
        { name: 'cvga', spec: cvga(cvgaRows, o), caption: GLUCOSE_CAPTIONS.cvga },
        { name: 'risk-index', spec: riskIndex(risk, o), caption: GLUCOSE_CAPTIONS.riskIndex },
        returnsChart(data),
      ],
    },
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

export const GLUCOSE_SECTIONS: FamilySections = { sections, safetyPanels };
