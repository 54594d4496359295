/** The run manifest: what ran, with which versions, and whether it finished. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ExperimentConfig } from '../config/experiment.ts';
import { writeJsonAtomic } from '../io/atomic.ts';
import { envSpec } from '../core/registry.ts';

export type RunStatus = 'incomplete' | 'complete';

export interface RunManifest {
  name: string;
  status: RunStatus;
  /** The resolved config (defaults filled in). */
  config: ExperimentConfig;
  configFile: string | null;
  /** The env options in force: the environment's defaults overlaid with the config's options. */
  envOptions: Record<string, unknown>;
  seeds: number[];
  hyperparameters: Record<string, unknown>;
  dosegymVersion: string;
  gitCommit: string | null;
  nodeVersion: string;
  tfjsVersion: string;
  backend: string | null;
  jobs: number;
  startedAt: string;
  finishedAt: string | null;
  /** Stages finished so far: train, evaluate, report. */
  stages: string[];
}

const require = createRequire(import.meta.url);

function packageVersion(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function dosegymVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

export function gitCommit(): string | null {
  try {
    const root = new URL('../../', import.meta.url).pathname;
    if (!existsSync(`${root}/.git`)) return null;
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() || null;
  } catch {
    return null;
  }
}

export function newManifest(config: ExperimentConfig, configFile: string | null, hyperparameters: Record<string, unknown>, jobs: number): RunManifest {
  return {
    name: config.name,
    status: 'incomplete',
    config,
    configFile,
    envOptions: { ...envSpec(config.env.id).defaults, ...config.env.options },
    seeds: config.train.algo === 'none' ? [] : config.train.seeds,
    hyperparameters,
    dosegymVersion: dosegymVersion(),
    gitCommit: gitCommit(),
    nodeVersion: process.version,
    tfjsVersion: packageVersion('@tensorflow/tfjs-core'),
    backend: null,
    jobs,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    stages: [],
  };
}

export function readManifest(path: string): RunManifest {
  return JSON.parse(readFileSync(path, 'utf8')) as RunManifest;
}

export function writeManifest(path: string, manifest: RunManifest): void {
  writeJsonAtomic(path, manifest);
}
