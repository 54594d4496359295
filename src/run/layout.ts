/** File layout of a run directory (names are a stable contract; see README "Results"). */
import { join } from 'node:path';

/** The file that identifies a run directory (see src/run/manifest.ts). */
export const RUN_MANIFEST = 'manifest.json';

/**
 * Where `dosegym evaluate <run-dir>` and `dosegym report <run-dir>` build their new results before
 * swapping them in (src/run/staging.ts).
 */
export const STAGING_DIR = '.staging';

export const runFiles = (dir: string) => ({
  manifest: join(dir, RUN_MANIFEST),
  summaryCsv: join(dir, 'summary.csv'),
  summaryJson: join(dir, 'summary.json'),
  aggregatesJson: join(dir, 'aggregates.json'),
  dailyProfileJson: join(dir, 'daily-profile.json'),
  stateSampleJson: join(dir, 'state-sample.json'),
  episodesCsv: join(dir, 'episodes.csv'),
  trainingCsv: join(dir, 'training.csv'),
  /** A trained policy's rows of training.csv: per seed, or with train.perPatient per seed and patient. */
  trainingSeedCsv: (seed: number, patient: string | null = null) => join(dir, 'training', patient === null ? `seed-${seed}.csv` : join(`seed-${seed}`, `${patient}.csv`)),
  /** A trained policy's checkpoint: policies/<seed>/, or with train.perPatient policies/<seed>/<patient id>/. */
  policyDir: (seed: number, patient: string | null = null) => (patient === null ? join(dir, 'policies', String(seed)) : join(dir, 'policies', String(seed), patient)),
  /** The latest training checkpoint of a policy (train.checkpointEvery): checkpoints/<seed>/, or per seed and patient. */
  checkpointDir: (seed: number, patient: string | null = null) => (patient === null ? join(dir, 'checkpoints', String(seed)) : join(dir, 'checkpoints', String(seed), patient)),
  evaluationJson: (method: string, seed: number | null) => join(dir, 'evaluation', seed === null ? `${method}.json` : `${method}-seed-${seed}.json`),
  trajectoriesCsv: (method: string) => join(dir, 'trajectories', `${method}.csv`),
  chartsDir: join(dir, 'charts'),
  report: join(dir, 'report.html'),
  staging: join(dir, STAGING_DIR),
});

/**
 * Every top-level entry DoseGym writes in a run directory. `--force` replaces a run directory only
 * when it holds nothing else (src/run/manifest.ts whyNotRunDir): ADD A NEW TOP-LEVEL OUTPUT HERE.
 */
export const RUN_ENTRIES: readonly string[] = [
  RUN_MANIFEST, 'summary.csv', 'summary.json', 'aggregates.json', 'daily-profile.json', 'state-sample.json', 'episodes.csv', 'training.csv',
  'training', 'policies', 'checkpoints', 'evaluation', 'trajectories', 'charts', 'report.html', STAGING_DIR,
  'tasks.json',
];

/** An entry of RUN_ENTRIES, or a temporary file of src/io/atomic.ts (`.<name>.<pid>.<n>.tmp`, left by a killed process). */
export function isRunEntry(name: string): boolean {
  return RUN_ENTRIES.includes(name) || /^\..+\.\d+\.\d+\.tmp$/.test(name);
}

/** Safe file-name form of a method name. */
export function fileSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}
