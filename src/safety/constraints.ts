/**
 * Named safety constraints as per-step costs with an episode budget (a constrained MDP: the agent
 * maximises return subject to E[episode cost] <= budget), and the `ConstraintCost` wrapper that
 * writes them into `info`.
 *
 * This module is the generic machinery; which constraints an env has is its patient family's
 * knowledge, registered with the family (`Family.constraints`, src/core/family.ts): T1D-v0
 * `hypo70`, `hypo54` (envs/glucose/family.ts), Chemo-DePillis-v0 `toxicity`, `cumulativeDose`
 * (envs/chemo/family.ts), each with the source of its default budget. A default budget may depend
 * on the episode length (metadata.maxEpisodeSteps) and the step duration, e.g. a fraction of the
 * episode's steps (`fractionOfSteps`).
 *
 * `info.cost` becomes the SUM of the selected constraints' costs (replacing the env's own cost);
 * `info.costs` holds each one. The sum is what a single-multiplier PPO-Lagrangian constrains, so
 * combine constraints only when their units agree (or give each its own multiplier).
 *
 * With `chance` (a share in (0, 1)), `info.cost` is instead the over-budget INDICATOR: 1 on the step
 * at which the episode first goes over a budget (any selected constraint's), 0 on every other step,
 * so an episode's summed info.cost is 1 when it ended over budget and 0 otherwise, and its mean is
 * the share of episodes over budget. A PPO-Lagrangian whose costLimit is `chance` then constrains
 * P(episode over budget) <= chance, the chance constraint "within budget for 95 % of patients"
 * states (chance 0.05), rather than the mean episode cost. Why: where episode costs vary widely
 * between patients, the mean-cost constraint penalises every unit of cost, including the doses of
 * patients far within budget, and the indicator penalises only what takes an episode over it.
 * `info.costs` (each constraint's own cost) and the episode summaries are unchanged.
 */
import { z } from 'zod';
import { parseWithSchema } from '../core/validate.ts';
import { UserError } from '../core/errors.ts';
import { durationSeconds, type Action, type Env, type EnvMetadata, type Info, type Observation, type ResetArgs, type ResetResult, type StepResult } from '../core/env.ts';
import { familyOf, listFamilies, type ConstraintContext, type ConstraintDefinition } from '../core/family.ts';
import { Wrapper } from '../core/wrappers.ts';

export type { ConstraintContext, ConstraintDefinition } from '../core/family.ts';

/** `violated` of an indicator constraint: every step with a cost is in violation. */
export const violatedWhenCostly = (stepCost: number): boolean => stepCost > 0;

/** `defaultBudget` of an indicator constraint allowed on `fraction` of the episode's steps. */
export function fractionOfSteps(fraction: number): (ctx: ConstraintContext) => number | undefined {
  return (ctx) => (ctx.episodeSteps === undefined ? undefined : fraction * ctx.episodeSteps);
}

/** Environments that declare constraints. */
export function constrainedEnvIds(): string[] {
  return listFamilies().filter((f) => f.constraints.length > 0).flatMap((f) => f.envIds);
}

/** A constraint available for an env, with its default budget for `context` (when computable). */
export interface ConstraintInfo {
  name: string;
  description: string;
  costUnit: string;
  budgetRule: string;
  defaultBudget: number | undefined;
}

/** The context an env's metadata gives for default budgets. */
export function constraintContext(metadata: Pick<EnvMetadata, 'maxEpisodeSteps' | 'stepDuration'>): ConstraintContext {
  return { ...(metadata.maxEpisodeSteps !== undefined ? { episodeSteps: metadata.maxEpisodeSteps } : {}), stepDuration: metadata.stepDuration };
}

/** The constraints available for `envId` (its family's), with default budgets for the given episode length / step. */
export function constraintsFor(envId: string, context: ConstraintContext = {}): ConstraintInfo[] {
  return familyOf(envId).constraints.map((d) => ({
    name: d.name,
    description: d.description,
    costUnit: d.costUnit,
    budgetRule: d.budgetRule,
    defaultBudget: d.defaultBudget(context),
  }));
}

/** The definition of `name` for `envId`; UserError listing the allowed names otherwise. */
export function getConstraint(envId: string, name: string): ConstraintDefinition {
  const available = familyOf(envId).constraints;
  if (available.length === 0) {
    throw new UserError(`constraints: environment '${envId}' declares no constraints; constrained environments: ${constrainedEnvIds().join(', ')}`);
  }
  const def = available.find((d) => d.name === name);
  if (def === undefined) {
    throw new UserError(`constraints: unknown constraint '${name}' for ${envId}; allowed: ${available.map((d) => d.name).join(', ')}`);
  }
  return def;
}

/** A selected constraint with its episode budget. */
export interface ResolvedConstraint {
  name: string;
  budget: number;
  definition: ConstraintDefinition;
}

/**
 * Resolve a selection of constraint names (+ optional budgets in cost units per episode) for an
 * env. Unknown or repeated names, budgets for unselected names and negative budgets are UserErrors.
 */
export function resolveConstraints(
  envId: string,
  names: readonly string[],
  budgets: Readonly<Record<string, number>> = {},
  context: ConstraintContext = {},
): ResolvedConstraint[] {
  if (!Array.isArray(names) || names.length === 0) {
    throw new UserError(`constraints: expected a non-empty list of names; allowed for ${envId}: ${constraintsFor(envId).map((c) => c.name).join(', ') || '(none)'}`);
  }
  const seen = new Set<string>();
  const out = names.map((name) => {
    const definition = getConstraint(envId, name);
    if (seen.has(name)) throw new UserError(`constraints: '${name}' is listed twice`);
    checkStepDuration(envId, definition, context);
    seen.add(name);
    const given = budgets[name];
    let budget: number;
    if (given !== undefined) {
      if (typeof given !== 'number' || !Number.isFinite(given) || given < 0) {
        throw new UserError(`budgets.${name}: expected a finite number >= 0 (${definition.costUnit} per episode), got ${String(given)}`);
      }
      budget = given;
    } else {
      const d = definition.defaultBudget(context);
      if (d === undefined) {
        throw new UserError(`budgets.${name}: no default budget without the episode length (metadata.maxEpisodeSteps); give one in ${definition.costUnit} per episode`);
      }
      budget = d;
    }
    return { name, budget, definition };
  });
  for (const key of Object.keys(budgets)) {
    if (!seen.has(key)) throw new UserError(`budgets.${key}: not a selected constraint; selected: ${names.join(', ')}`);
  }
  return out;
}

/** A constraint whose cost cannot be measured at this env's step length is refused, saying why. */
function checkStepDuration(envId: string, definition: ConstraintDefinition, context: ConstraintContext): void {
  const max = definition.maxStepDuration;
  const step = context.stepDuration;
  if (max === undefined || step === undefined || durationSeconds(step) <= durationSeconds(max)) return;
  throw new UserError(
    `constraints: '${definition.name}' needs env steps of at most ${max.value} ${max.unit} (${max.why}); this ${envId} steps ${step.value} ${step.unit}${step.value === 1 ? '' : 's'}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Episode-level helpers

/** Total cost / environment steps (0 for no steps): the cost rate training logs. */
export function costRate(totalCost: number, steps: number): number {
  return steps > 0 ? totalCost / steps : 0;
}

/** True when an episode's cost is above its budget (equal to the budget is within it). */
export function budgetExceeded(episodeCost: number, budget: number): boolean {
  return episodeCost > budget;
}

/** Fraction of steps in violation (0 for an empty episode). */
export function timeInViolation(flags: ArrayLike<boolean | number>): number {
  if (flags.length === 0) return 0;
  let n = 0;
  for (let i = 0; i < flags.length; i++) if (flags[i]) n++;
  return n / flags.length;
}

/** Per-constraint summary of one episode. */
export interface ConstraintEpisodeSummary {
  steps: number;
  /** Episode cost per constraint (cost units). */
  costs: Record<string, number>;
  budgets: Record<string, number>;
  exceeded: Record<string, boolean>;
  /** Steps in violation per constraint. */
  violationSteps: Record<string, number>;
  /** Fraction of steps in violation per constraint. */
  timeInViolation: Record<string, number>;
  /** Summed cost (all constraints) / steps. */
  costRate: number;
}

/** Accumulates per-step constraint costs into an episode summary. */
export class ConstraintEpisodeTracker {
  private steps = 0;
  private readonly costs = new Map<string, number>();
  private readonly violations = new Map<string, number>();

  constructor(readonly constraints: readonly ResolvedConstraint[]) {
    this.reset();
  }

  reset(): void {
    this.steps = 0;
    for (const c of this.constraints) {
      this.costs.set(c.name, 0);
      this.violations.set(c.name, 0);
    }
  }

  /** True once any constraint's episode cost is above its budget. */
  overBudget(): boolean {
    return this.constraints.some((c) => budgetExceeded(this.costs.get(c.name) as number, c.budget));
  }

  /** Add one step's costs; returns whether each constraint is violated after it. */
  add(stepCosts: Readonly<Record<string, number>>): Record<string, boolean> {
    this.steps++;
    const violated: Record<string, boolean> = {};
    for (const c of this.constraints) {
      const cost = stepCosts[c.name] ?? 0;
      const total = (this.costs.get(c.name) as number) + cost;
      this.costs.set(c.name, total);
      const v = c.definition.violated(cost, total, c.budget);
      if (v) this.violations.set(c.name, (this.violations.get(c.name) as number) + 1);
      violated[c.name] = v;
    }
    return violated;
  }

  summary(): ConstraintEpisodeSummary {
    const s: ConstraintEpisodeSummary = { steps: this.steps, costs: {}, budgets: {}, exceeded: {}, violationSteps: {}, timeInViolation: {}, costRate: 0 };
    let total = 0;
    for (const c of this.constraints) {
      const cost = this.costs.get(c.name) as number;
      const v = this.violations.get(c.name) as number;
      total += cost;
      s.costs[c.name] = cost;
      s.budgets[c.name] = c.budget;
      s.exceeded[c.name] = budgetExceeded(cost, c.budget);
      s.violationSteps[c.name] = v;
      s.timeInViolation[c.name] = this.steps > 0 ? v / this.steps : 0;
    }
    s.costRate = costRate(total, this.steps);
    return s;
  }
}

/**
 * Summarise an episode from its step infos (as logged by runEpisode, WITHOUT the reset info) of an
 * env wrapped in ConstraintCost: reads `info.costs` of each step.
 */
export function summarizeConstraintEpisode(stepInfos: readonly Info[], constraints: readonly ResolvedConstraint[]): ConstraintEpisodeSummary {
  const tracker = new ConstraintEpisodeTracker(constraints);
  for (const info of stepInfos) {
    const costs = info['costs'];
    if (costs === null || typeof costs !== 'object') throw new Error('summarizeConstraintEpisode: a step info has no costs; wrap the env in ConstraintCost');
    tracker.add(costs as Record<string, number>);
  }
  return tracker.summary();
}

// ---------------------------------------------------------------------------------------------
// The wrapper

type AnyEnv = Env<Observation, Action>;

/**
 * Writes the selected constraints' costs into every info: `info.costs = { name: cost }`,
 * `info.cost` = their sum (replacing the env's own cost), `info.violations = { name: boolean }`
 * (violated after this step); the info of the step that ends an episode also gets
 * `constraintEpisode` (a ConstraintEpisodeSummary). Reset infos carry the costs of the initial
 * state (cumulativeDose: 0), which no episode total counts.
 *
 * Budgets default from `metadata.maxEpisodeSteps` (apply TimeLimit first if it shortens episodes).
 */
export class ConstraintCost extends Wrapper {
  readonly constraints: readonly ResolvedConstraint[];
  /** With a chance, info.cost is the over-budget indicator (see the header); undefined: the summed cost. */
  readonly chance: number | undefined;
  private readonly meta: EnvMetadata;
  private readonly tracker: ConstraintEpisodeTracker;
  private previous: Info | undefined;

  constructor(env: AnyEnv, names: readonly string[], budgets: Readonly<Record<string, number>> = {}, chance?: number) {
    super(env);
    const m = env.metadata;
    if (chance !== undefined && !(typeof chance === 'number' && chance > 0 && chance < 1)) {
      throw new UserError(`chance: expected a share of episodes over budget in (0, 1), e.g. 0.05, got ${String(chance)}`);
    }
    this.chance = chance;
    this.constraints = Object.freeze(resolveConstraints(m.id, names, budgets, constraintContext(m)));
    this.meta = { ...m, constraints: this.constraints.map((c) => c.name) };
    this.tracker = new ConstraintEpisodeTracker(this.constraints);
  }

  override get metadata(): EnvMetadata {
    return this.meta;
  }

  /** Budget per constraint (cost units per episode). */
  get budgets(): Record<string, number> {
    return Object.fromEntries(this.constraints.map((c) => [c.name, c.budget]));
  }

  /** Sum of the budgets: the limit on the summed info.cost (meaningful when the units agree). */
  get totalBudget(): number {
    return this.constraints.reduce((s, c) => s + c.budget, 0);
  }

  private costsOf(info: Info): { costs: Record<string, number>; total: number } {
    const costs: Record<string, number> = {};
    let total = 0;
    for (const c of this.constraints) {
      const v = c.definition.cost(info, this.previous);
      costs[c.name] = v;
      total += v;
    }
    return { costs, total };
  }

  override reset(args?: ResetArgs): ResetResult<Observation> {
    const r = this.env.reset(args);
    this.previous = undefined;
    this.tracker.reset();
    const { costs, total } = this.costsOf(r.info);
    this.previous = r.info;
    return { observation: r.observation, info: { ...r.info, costs, cost: this.chance === undefined ? total : 0 } };
  }

  override step(action: Action): StepResult<Observation> {
    const r = this.env.step(action);
    const { costs, total } = this.costsOf(r.info);
    this.previous = r.info;
    const wasOver = this.tracker.overBudget();
    const violations = this.tracker.add(costs);
    const cost = this.chance === undefined ? total : !wasOver && this.tracker.overBudget() ? 1 : 0;
    const info: Info = { ...r.info, costs, cost, violations };
    if (r.terminated || r.truncated) info['constraintEpisode'] = this.tracker.summary();
    return { ...r, info };
  }
}

const CHANCE_ERROR = 'expected the allowed share of episodes over budget, a number in (0, 1), e.g. 0.05';

/**
 * A config's choice of constraints, e.g. YAML `{ names: [hypo70, hypo54], budgets: { hypo54: 2 } }`
 * (budgets in cost units per episode; omitted ones take the defaults above), optionally with a
 * `chance` (the over-budget indicator as info.cost; see the header).
 */
export const constraintOptionsSchema = z.strictObject({
  names: z.array(z.string({ error: 'expected a constraint name' }), { error: 'expected a list of constraint names' }).min(1, { error: 'expected at least one constraint name' }),
  budgets: z.record(z.string(), z.number({ error: 'expected a budget >= 0 (cost units per episode)' }).min(0, { error: 'expected a budget >= 0 (cost units per episode)' }).finite()).optional(),
  chance: z.number({ error: CHANCE_ERROR }).gt(0, { error: CHANCE_ERROR }).lt(1, { error: CHANCE_ERROR }).optional(),
});

export type ConstraintOptions = z.infer<typeof constraintOptionsSchema>;

/** Validate a config's constraint choice (UserError naming the field) and wrap `env` in ConstraintCost. */
export function makeConstraintCost(env: AnyEnv, options: unknown, prefix = 'constraints.'): ConstraintCost {
  const o = parseWithSchema(constraintOptionsSchema, options, prefix);
  return new ConstraintCost(env, o.names, o.budgets ?? {}, o.chance);
}
