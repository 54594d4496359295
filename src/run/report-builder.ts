/**
 * Builds a run's charts and report.html from the files the run wrote (summary.json, episodes.csv,
 * training.csv, trajectories/*.csv), so `dosegym report <run-dir>` can redraw them at any time. What
 * each section draws is the report layer's (src/report/sections/), looked up by the run's family.
 */
import { existsSync, readFileSync } from 'node:fs';
import { methodColors } from '../report/colors.ts';
import { writeReportWithCharts } from '../report/html.ts';
import { runReportSections, type RunReportData } from '../report/sections/index.ts';
import { trainingSection } from '../report/sections/training.ts';
import { cell, type Row } from '../report/sections/run-data.ts';
import { parseCsv } from '../io/csv.ts';
import type { RunDailyProfile } from '../evaluation/profile.ts';
import { fileSafe, runFiles } from './layout.ts';
import { readManifest } from './manifest.ts';
import type { ExperimentPlan } from './plan.ts';

function readRows(path: string): Row[] {
  return existsSync(path) ? parseCsv(readFileSync(path, 'utf8')) : [];
}

export async function buildRunReport(dir: string, plan: ExperimentPlan): Promise<string> {
  const files = runFiles(dir);
  const manifest = readManifest(files.manifest);
  // A run still training has no evaluation yet: its report draws what training wrote so far.
  const summary = existsSync(files.summaryJson) ? (JSON.parse(readFileSync(files.summaryJson, 'utf8')) as RunReportData['summary']) : { columns: [], rows: [] };
  const data: RunReportData = {
    config: plan.config,
    family: plan.family,
    colors: methodColors(plan.methods.map((m) => m.name)),
    summary,
    episodes: readRows(files.episodesCsv),
    trajectories: plan.methods.flatMap((m) => readRows(files.trajectoriesCsv(fileSafe(m.name)))),
    training: readRows(files.trainingCsv).filter((r) => Number.isFinite(cell(r['episode_return']))),
    ...(plan.costLimit !== undefined ? { costLimit: plan.costLimit } : {}),
    ...(existsSync(files.dailyProfileJson) ? { dailyProfile: JSON.parse(readFileSync(files.dailyProfileJson, 'utf8')) as RunDailyProfile } : {}),
  };
  const table = { columns: summary.columns, rows: summary.rows.map((r) => summary.columns.map((c) => r[c] ?? null)), headline: plan.family.headlineColumns };
  const { report } = await writeReportWithCharts(dir, {
    title: `DoseGym: ${plan.config.name}`,
    subtitle: `${plan.config.env.id} · ${plan.config.train.algo === 'none' ? 'baselines only' : `${plan.config.train.algo}, ${plan.config.train.steps} steps x ${plan.config.train.seeds.length} seed(s)`}${summary.rows.length > 0 ? '' : ' · not evaluated yet: training so far'} · ${plan.config.description}`,
    summaryTable: table,
    // Until the run is evaluated (a mid-run report): its Training section alone.
    sections: summary.rows.length > 0 ? runReportSections(data) : [trainingSection(data)].filter((x) => x !== undefined),
    manifest,
  });
  return report;
}
