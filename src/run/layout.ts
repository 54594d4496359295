/** File layout of a run directory (names are a stable contract; see README "Results"). */
import { join } from 'node:path';

export const runFiles = (dir: string) => ({
  manifest: join(dir, 'manifest.json'),
  summaryCsv: join(dir, 'summary.csv'),
  summaryJson: join(dir, 'summary.json'),
  aggregatesJson: join(dir, 'aggregates.json'),
  dailyProfileJson: join(dir, 'daily-profile.json'),
  episodesCsv: join(dir, 'episodes.csv'),
  trainingCsv: join(dir, 'training.csv'),
  trainingSeedCsv: (seed: number) => join(dir, 'training', `seed-${seed}.csv`),
  policyDir: (seed: number) => join(dir, 'policies', String(seed)),
  evaluationJson: (method: string, seed: number | null) => join(dir, 'evaluation', seed === null ? `${method}.json` : `${method}-seed-${seed}.json`),
  trajectoriesCsv: (method: string) => join(dir, 'trajectories', `${method}.csv`),
  chartsDir: join(dir, 'charts'),
  report: join(dir, 'report.html'),
});

/** Safe file-name form of a method name. */
export function fileSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}
