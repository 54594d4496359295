/**
 * The patient-family registry: everything evaluation, safety and the run pipeline need to know
 * about the envs of one family, registered by the family's own module next to its envs
 * (envs/glucose/family.ts, envs/chemo/family.ts, envs/classic/family.ts), as the envs register
 * themselves (src/core/registry.ts). `familyOf(envId)` finds a family by exact env id; an env
 * without a family is an error, never a silent fallback.
 *
 * A family answers without building an env: its info fields (the names a reward expression may
 * use), its constraints' default budgets (from metadata.maxEpisodeSteps) and its cohorts' patients.
 * The run plan builds one probe env for what only an env can say (spaces and metadata) and passes
 * those values down (src/evaluation/env-stack.ts).
 *
 * Report sections are the one family piece that does not live here: they belong to the report
 * layer and are looked up by family name there (src/report/sections/index.ts).
 */
import type { z } from 'zod';
import { UserError } from './errors.ts';
import type { Action, Env, Info, Observation, StepDuration } from './env.ts';
import type { EpisodeLog } from './episode.ts';
import type { InfoReader } from './info.ts';
import type { Policy } from './policy.ts';
import type { Space } from './spaces.ts';
import type { Cell } from '../io/csv.ts';

export type AnyEnv = Env<Observation, Action>;
export type AnyPolicy = Policy<Observation, Action>;

/** What a baseline or a run plan needs to know of an env without stepping it. */
export type EnvShape = Pick<AnyEnv, 'observationSpace' | 'actionSpace' | 'metadata'>;

/** What a default constraint budget may depend on: the episode length and the step duration. */
export interface ConstraintContext {
  episodeSteps?: number;
  stepDuration?: StepDuration;
}

/** A named constraint: a per-step cost read from info and an episode budget (src/safety/constraints.ts). */
export interface ConstraintDefinition {
  name: string;
  /** One line: what is counted, with units. */
  description: string;
  /** Unit of the per-step cost and of the budget. */
  costUnit: string;
  /** How the default budget is derived. */
  budgetRule: string;
  /** Default episode budget, or undefined when the context lacks what it needs. */
  defaultBudget(ctx: ConstraintContext): number | undefined;
  /**
   * The longest env step the cost measures faithfully, and why (e.g. a cost sampled at step ends
   * misses what happens between them); a longer step is refused when the constraint is selected.
   */
  maxStepDuration?: StepDuration & { why: string };
  /** Per-step cost (>= 0) from the step's info; `previous` is the info before the step (undefined at reset). */
  cost(info: Info, previous: Info | undefined): number;
  /** Whether the constraint is violated after a step, given that step's cost and the episode's running cost. */
  violated(stepCost: number, episodeCost: number, budget: number): boolean;
}

/** A family's shield (src/safety/shield-base.ts): its options and how it wraps the raw env. */
export interface ShieldSpec {
  /** Every option with its default (null switches a rule off). */
  defaults: Readonly<Record<string, unknown>>;
  /** Strict zod object schema of the options, every field optional (validated by src/safety/shield.ts). */
  schema: z.ZodType;
  /** Wraps the raw env (physical units) in the shield with complete options (defaults filled in). */
  wrap(env: AnyEnv, options: Readonly<Record<string, unknown>>): AnyEnv;
}

/** How evaluation runs one method on one patient (see `Family.envOptions`). */
export interface EvaluationTarget {
  /** A clinical baseline (true) or a trained policy (false). */
  baseline: boolean;
  /** A baseline's type (`evaluate.methods[].type`, e.g. 'pid'), when known: what it reads may matter to the env. */
  baselineType?: string;
  /** The action space of the env as configured (the plan's probe): the one a trained policy acts in. */
  actionSpace: Space;
}

/** The dose an env delivered in one step, as a family reports it (training.csv's dose_mean, dose_sd). */
export interface DeliveredDose {
  /** The info field it is read from. */
  field: string;
  /** Its unit once read, e.g. 'U/h'. */
  unit: string;
  /** The dose the env actually applied in the step whose info this is (after pump, shield and action mapping), in `unit`. */
  read(info: Info): number;
}

export interface Family {
  /** Stable name: keys the report sections (src/report/sections/index.ts). */
  name: string;
  /** The registered env ids of this family. */
  envIds: readonly string[];
  /** Typed reader of the envs' info; its fields are the names a reward expression may use. */
  info: InfoReader;
  /** Family-specific summary columns, in order (snake_case; a stable contract of summary.csv). */
  metricColumns: readonly string[];
  /** Metric columns summed (not averaged) across episodes. */
  summedColumns: readonly string[];
  /**
   * Per-episode values of metricColumns, and extra per-episode values charts read (null = undefined
   * for this episode). `horizon` is what the episode was planned to last (the env's metadata).
   */
  episodeMetrics(log: EpisodeLog, horizon: EpisodeHorizon): Record<string, number | null>;
  /** The dose its envs deliver per step; absent for envs that deliver none (classic control). */
  dose?: DeliveredDose;
  /** The headline: the summary columns `dosegym run` prints after the common ones, and report.html's summary table shows first. */
  headlineColumns: readonly string[];
  /** Clinical baselines by type. */
  baselineTypes: readonly string[];
  /** A baseline policy; validates its parameters (UserError naming `where.<parameter>`). */
  makeBaseline(type: string, params: Record<string, unknown>, env: EnvShape, where: string): AnyPolicy;
  /** The constraints a config may select (safety.constraints); empty when the family has none. */
  constraints: readonly ConstraintDefinition[];
  /** The family's shield, if it has one (safety.shield). */
  shield?: ShieldSpec;
  /** The patients evaluated one by one ([null] when the env has no patient option). */
  patients(options: Record<string, unknown>): (string | null)[];
  /** Env options for evaluating one patient (baselines may get a wider action range; same draws). */
  envOptions(options: Record<string, unknown>, patient: string | null, target: EvaluationTarget): Record<string, unknown>;
  /** Per-step trajectory columns (after method, seed, patient, episode) and rows. */
  trajectoryColumns: readonly string[];
  trajectoryRows(log: EpisodeLog): Record<string, Cell>[];
  /**
   * A quantity summarised by time of day over every evaluation day (T1D: the Ambulatory Glucose
   * Profile of true BG), kept as exact histograms during evaluation (src/evaluation/profile.ts).
   */
  dailyProfile?: DailyProfileSpec;
}

/** How long an episode was planned to last: the env's metadata. */
export interface EpisodeHorizon {
  /** metadata.maxEpisodeSteps (undefined when the env has no horizon of its own). */
  plannedSteps: number | undefined;
  stepDuration: StepDuration;
}

/** What a family's daily profile records (see `Family.dailyProfile`). */
export interface DailyProfileSpec {
  /** The quantity with its unit, as a chart axis names it, e.g. 'true BG (mg/dL)'. */
  quantity: string;
  /** Width of a time-of-day bin in minutes (divides 1440); the AGP consensus uses 15. */
  binMinutes: number;
  /** Values are stored as whole multiples of this (in the quantity's unit): the percentiles' resolution. */
  resolution: number;
  /** Every reading of an episode: minutes since the episode started (at midnight) and the value. */
  readings(log: EpisodeLog): { minute: number; value: number }[];
}

const families = new Map<string, Family>();
const byEnvId = new Map<string, Family>();

export function registerFamily(family: Family): void {
  if (families.has(family.name)) throw new Error(`registerFamily: family '${family.name}' is already registered`);
  for (const id of family.envIds) {
    const owner = byEnvId.get(id);
    if (owner !== undefined) throw new Error(`registerFamily: environment '${id}' already belongs to family '${owner.name}'`);
  }
  families.set(family.name, family);
  for (const id of family.envIds) byEnvId.set(id, family);
}

/** Registered families, by name. */
export function listFamilies(): Family[] {
  return [...families.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The family of a registered env id; a UserError listing the families otherwise. */
export function familyOf(envId: string): Family {
  const family = byEnvId.get(envId);
  if (family === undefined) {
    const known = listFamilies().map((f) => `${f.name} (${f.envIds.join(', ')})`);
    throw new UserError(`no patient family is registered for environment '${envId}'; families: ${known.join('; ') || '(none)'}`);
  }
  return family;
}
