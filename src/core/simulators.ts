/**
 * Open/closed-loop simulators behind `dosegym simulate <config>`. Each patient family registers one
 * for the env ids it serves; the CLI reads the config file, picks the simulator by the config's
 * `env` field, and writes the returned rows as CSV atomically (so a simulator never writes files).
 */
import { UserError } from './errors.ts';
import type { Action, Observation } from './env.ts';
import type { Policy } from './policy.ts';
import type { Space } from './spaces.ts';
import type { Cell } from '../io/csv.ts';

/** A trained policy saved by a run, for `controller: { type: policy, path }`. */
export interface SavedPolicy {
  /** Acts deterministically on the observation of the env it was trained on. */
  policy: Policy<Observation, Action>;
  /** The checkpoint directory it was loaded from. */
  dir: string;
  algorithm: string;
  envId: string;
  observationSpace: Space;
  actionSpace: Space;
  /** The options of the env it was trained on (complete, defaults included). */
  envOptions: Record<string, unknown>;
}

export interface SimulateFlags {
  /** `--states`: add the model's state columns (T1D: the 13 states). */
  states: boolean;
  /**
   * Loads a saved policy (`controller: { type: policy, path }`); `field` names the config field in
   * errors. Given by the CLI (src/run/saved-policy.ts), which loads TensorFlow.js only for it.
   */
  loadPolicy?: (path: string, field: string) => SavedPolicy;
}

export interface SimulationOutput {
  /** CSV columns in order (a stable contract per family). */
  columns: string[];
  rows: Record<string, Cell>[];
  /** Clinical / outcome metrics printed after the run (name -> value). */
  metrics: Record<string, number | string>;
  /** Default output file name (without directory), e.g. 'simulate-T1D-v0-adult001-seed1.csv'. */
  defaultFileName: string;
}

/** Validates the whole config first (throwing UserError naming the field), then simulates. */
export type Simulator = (config: Record<string, unknown>, flags: SimulateFlags) => SimulationOutput;

const simulators = new Map<string, Simulator>();

export function registerSimulator(envId: string, simulator: Simulator): void {
  if (simulators.has(envId)) throw new Error(`registerSimulator: '${envId}' already has a simulator`);
  simulators.set(envId, simulator);
}

export function simulatorFor(envId: unknown): Simulator {
  const ids = [...simulators.keys()].sort();
  if (typeof envId !== 'string') throw new UserError(`env: expected one of ${ids.join(', ')}, got ${JSON.stringify(envId) ?? 'nothing'}`);
  const sim = simulators.get(envId);
  if (sim === undefined) throw new UserError(`env: no simulator for '${envId}'; allowed: ${ids.join(', ')}`);
  return sim;
}

export function listSimulators(): string[] {
  return [...simulators.keys()].sort();
}
