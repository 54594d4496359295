/**
 * Builds a run's charts and report.html from the files the run wrote (summary.json,
 * aggregates.json, episodes.csv, training.csv, trajectories/*.csv, daily-profile.json,
 * state-sample.json) and its saved policies, so `dosegym report <run-dir>` can redraw them at any
 * time. What each section draws is the report layer's (src/report/sections/), looked up by the
 * run's family.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Action, Info, Observation } from '../core/env.ts';
import { runEpisode } from '../core/episode.ts';
import type { AnyPolicy } from '../core/family.ts';
import { evaluationEnv, evaluationEpisodeSeed, type MethodAggregate } from '../evaluation/evaluate.ts';
import type { RunDailyProfile } from '../evaluation/profile.ts';
import type { RunStateSample } from '../evaluation/state-sample.ts';
import { parseCsv } from '../io/csv.ts';
import { methodColors } from '../report/colors.ts';
import { writeReportWithCharts } from '../report/html.ts';
import { runReportHeader, runReportSections, runTrainingSections, type RunReportData } from '../report/sections/index.ts';
import type { ReplayedEpisode, ReportPolicy } from '../report/sections/run-data.ts';
import { type Row } from '../report/sections/run-data.ts';
import { summaryTables } from '../report/sections/summary.ts';
import { fileSafe, runFiles } from './layout.ts';
import { readManifest } from './manifest.ts';
import type { ExperimentPlan } from './plan.ts';

function readRows(path: string): Row[] {
  return existsSync(path) ? parseCsv(readFileSync(path, 'utf8')) : [];
}

function readJson<T>(path: string): T | undefined {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined;
}

/**
 * The learned methods' saved policies (loaded only when the run has any): one per training seed, or
 * with train.perPatient one per training seed and patient (policies/<seed>/<patient id>/).
 */
async function loadPolicies(dir: string, plan: ExperimentPlan): Promise<ReportPolicy[]> {
  const learned = plan.methods.filter((m) => m.trained && !m.shielded);
  if (learned.length === 0 || plan.config.train.algo === 'none') return [];
  const { loadPolicy } = await import('../../agents/common/checkpoint.ts');
  const files = runFiles(dir);
  // A policy that no longer loads (e.g. a damaged weights.bin) costs the report only its explanation
  // of that seed: every other chart is drawn from the result files, so the report is still redrawn.
  const loaded: { seed: number; patient: string | null; policy: ReturnType<typeof loadPolicy> }[] = [];
  for (const { seed, patient } of plan.units) {
    const policyDir = files.policyDir(seed, patient);
    if (!existsSync(policyDir)) continue;
    try {
      loaded.push({ seed, patient, policy: loadPolicy(policyDir) });
    } catch (err) {
      // Paths relative to the run: the report may be built in its staging copy (src/run/staging.ts).
      const message = (err instanceof Error ? err.message : String(err)).split(`${dir}/`).join('');
      process.stderr.write(`report: the policy explanation leaves out seed ${seed}${patient !== null ? ` (${patient})` : ''}: ${message}\n`);
    }
  }
  return learned.flatMap((m) => loaded.map(({ seed, patient, policy }) => ({ method: m.name, seed, patient, policy: policy as AnyPolicy, actionSpace: policy.actionSpace })));
}

/** Replays one evaluation episode of a learned policy (the evaluation's own env and episode seed). */
function replayer(plan: ExperimentPlan, policies: readonly ReportPolicy[]): RunReportData['replay'] {
  return (method, seed, patient, episode): ReplayedEpisode => {
    const found = policies.find((p) => p.method === method && p.seed === seed && (p.patient === null || p.patient === patient));
    if (found === undefined) throw new Error(`report: no saved policy of ${method} for seed ${seed}${patient !== null ? ` and ${patient}` : ''}`);
    const evaluation = { stack: plan.stack, episodes: plan.config.evaluate.episodes, seed: plan.config.evaluate.seed, trajectories: 0 };
    const env = evaluationEnv(evaluation, patient, false, false);
    const out: ReplayedEpisode = { observations: [], actions: [], infos: [] };
    const recorder: AnyPolicy = {
      name: found.policy.name,
      reset: (info) => found.policy.reset?.(info),
      act: (observation: Observation, context) => {
        const action: Action = found.policy.act(observation, context);
        out.observations.push(typeof observation === 'number' ? observation : Float32Array.from(observation));
        out.actions.push(typeof action === 'number' ? action : Float32Array.from(action as ArrayLike<number>));
        out.infos.push(context.info as Info);
        return action;
      },
    };
    try {
      runEpisode(env, recorder, evaluationEpisodeSeed(plan.config.evaluate.seed, patient, episode), { deterministic: true });
    } finally {
      env.close();
    }
    return out;
  };
}

export async function buildRunReport(dir: string, plan: ExperimentPlan): Promise<string> {
  const files = runFiles(dir);
  const manifest = readManifest(files.manifest);
  // A run still training has no evaluation yet: its report draws what training wrote so far.
  const evaluated = existsSync(files.summaryJson);
  const summary = evaluated ? (JSON.parse(readFileSync(files.summaryJson, 'utf8')) as RunReportData['summary']) : { columns: [], rows: [] };
  const policies = evaluated ? await loadPolicies(dir, plan) : [];
  const dailyProfile = readJson<RunDailyProfile>(files.dailyProfileJson);
  const aggregates = readJson<MethodAggregate[]>(files.aggregatesJson);
  const stateSample = readJson<RunStateSample>(files.stateSampleJson);
  const data: RunReportData = {
    config: plan.config,
    family: plan.family,
    methods: plan.methods.map((m) => ({ name: m.name, type: m.type, params: m.params, trained: m.trained, shielded: m.shielded })),
    colors: methodColors(plan.methods.map((m) => m.name)),
    summary,
    episodes: readRows(files.episodesCsv),
    trajectories: plan.methods.flatMap((m) => readRows(files.trajectoriesCsv(fileSafe(m.name)))),
    training: readRows(files.trainingCsv),
    ...(plan.costLimit !== undefined ? { costLimit: plan.costLimit } : {}),
    ...(dailyProfile !== undefined ? { dailyProfile } : {}),
    ...(aggregates !== undefined ? { aggregates } : {}),
    ...(stateSample !== undefined ? { stateSample } : {}),
    policies,
    actionUnits: plan.stack.probe.metadata.actionUnits,
    replay: replayer(plan, policies),
  };
  const headline = plan.family.headlineColumns;
  const withCi = summaryTables(data, headline);
  const perSeed = { columns: summary.columns, rows: summary.rows.map((r) => summary.columns.map((c) => r[c] ?? null)), headline };
  const { report } = await writeReportWithCharts(dir, {
    title: `DoseGym: ${plan.config.name}`,
    subtitle: `${plan.config.env.id}${evaluated ? '' : ' · not evaluated yet: training so far'} · ${plan.config.description}`,
    header: runReportHeader(data),
    summaryTable: withCi?.main ?? perSeed,
    ...(withCi !== undefined ? { summaryText: withCi.text, summaryTables: withCi.more } : {}),
    // Until the run is evaluated (a mid-run report): its Training section alone.
    sections: evaluated ? runReportSections(data) : runTrainingSections(data),
    manifest,
  });
  return report;
}
