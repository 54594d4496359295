/**
 * `dosegym simulate <config>` for the chemotherapy envs (a stable contract: keep these names).
 *
 *   env: Chemo-DePillis-v0
 *   days: 150                                  # a whole number of decision steps (0.25 day each)
 *   controller: { type: constant, dose: 1 }    # constant (dose) | pulsed (dose, onSteps, offSteps)
 *                                              # | schedule (steps: [{ step, dose }]) | none
 *                                              # | policy (path: <run>/policies/<seed>)
 *   seed: 1                                    # optional, default 0
 *   options: { setting: 2 }                    # optional env options (not horizonDays: use days)
 *
 * CSV: one row per decision step k = 0..K, columns exactly step,day,N,T,I,B,u (row 0 the initial
 * state with u empty; row k the state after step k, u = the dose applied during step k). A run that
 * ends in toxicity termination stops at that step. `schedule` gives the dose of each listed step
 * (steps not listed get 0); a listed step must lie in 0..K-1 and appear once.
 *
 *   env: Chemo-Zhao2009-v0
 *   months: 6, controller: (as above, steps are months), seed, W0 / M0 (optional initial state),
 *   options: { mu0, levels }
 * CSV columns step,month,W,M,D,survivalProb,cumulativeSurvival,dead (row 0 the initial state).
 *
 * `controller: { type: policy, path }` runs a policy a run trained, deterministically, on the env
 * with the options it was trained with, overlaid with the config's `options` (the horizon is the
 * config's); a policy of the other env, or whose spaces those options change, is refused.
 */
import { z } from 'zod';
import { parseWithSchema, show } from '../../src/core/validate.ts';
import { UserError } from '../../src/core/errors.ts';
import type { Action, Env, Info, Observation } from '../../src/core/env.ts';
import { make } from '../../src/core/registry.ts';
import { registerSimulator, type SavedPolicy, type SimulateFlags, type SimulationOutput } from '../../src/core/simulators.ts';
import type { Policy } from '../../src/core/policy.ts';
import { spaceDifference } from '../../src/core/spaces.ts';
import type { Cell } from '../../src/io/csv.ts';
import { constant, none, pulsed, schedule } from '../../agents/baselines/chemo.ts';
import { dePillisOutcomes, zhaoOutcomes } from '../../src/metrics/chemo.ts';
import { DEPILLIS_ENV_ID } from './depillis-env.ts';
import { ZHAO_ENV_ID } from './zhao-env.ts';

const CONTROLLER_TYPES = ['constant', 'pulsed', 'schedule', 'none', 'policy'] as const;
const CONTROLLER_FIELDS: Record<(typeof CONTROLLER_TYPES)[number], string[]> = {
  constant: ['type', 'dose'],
  pulsed: ['type', 'dose', 'onSteps', 'offSteps'],
  schedule: ['type', 'steps'],
  none: ['type'],
  policy: ['type', 'path'],
};
const dose = z.number({ error: 'expected a dose fraction in [0, 1]' }).min(0, { error: 'expected a dose fraction in [0, 1]' }).max(1, { error: 'expected a dose fraction in [0, 1]' });
const count = (min: number) => z.int({ error: `expected an integer >= ${min}` }).min(min, { error: `expected an integer >= ${min}` });

const controllerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('constant'), dose }).strict(),
  z.object({ type: z.literal('pulsed'), dose, onSteps: count(1), offSteps: count(0) }).strict(),
  z.object({ type: z.literal('schedule'), steps: z.array(z.object({ step: count(0), dose }).strict(), { error: 'expected a list of { step, dose }' }).min(1, { error: 'expected at least one { step, dose }' }) }).strict(),
  z.object({ type: z.literal('none') }).strict(),
  z.object({ type: z.literal('policy'), path: z.string({ error: 'expected the directory of a saved policy, e.g. results/<name>/<run-id>/policies/1' }).min(1) }).strict(),
]);
type ControllerConfig = z.infer<typeof controllerSchema>;

const seed = z.int({ error: 'expected a non-negative integer' }).min(0, { error: 'expected a non-negative integer' }).default(0);
const envOptions = z.record(z.string(), z.unknown(), { error: 'expected a mapping of env options' }).default({});

const dePillisConfigSchema = z
  .object({
    env: z.literal(DEPILLIS_ENV_ID),
    days: z.number({ error: 'expected a positive number of days' }).positive({ error: 'expected a positive number of days' }).max(36500, { error: 'expected at most 36500 days' }),
    controller: z.unknown().optional(),
    seed,
    options: envOptions,
  })
  .strict();

const zhaoConfigSchema = z
  .object({
    env: z.literal(ZHAO_ENV_ID),
    months: z.int({ error: 'expected an integer number of months in [1, 120]' }).min(1, { error: 'expected an integer number of months in [1, 120]' }).max(120, { error: 'expected an integer number of months in [1, 120]' }).default(6),
    controller: z.unknown().optional(),
    seed,
    W0: z.number({ error: 'expected a number in [0, 10]' }).min(0, { error: 'expected a number in [0, 10]' }).max(10, { error: 'expected a number in [0, 10]' }).optional(),
    M0: z.number({ error: 'expected a number in [0, 10]' }).min(0, { error: 'expected a number in [0, 10]' }).max(10, { error: 'expected a number in [0, 10]' }).optional(),
    options: envOptions,
  })
  .strict();

/** Validate `controller` (naming the field) against an episode of `steps` steps. */
export function parseController(raw: unknown, steps: number, unit: string): ControllerConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UserError(`controller: expected a mapping with a type (${CONTROLLER_TYPES.join(', ')}), got ${show(raw)}`);
  }
  const type = (raw as Record<string, unknown>)['type'];
  if (!CONTROLLER_TYPES.includes(type as (typeof CONTROLLER_TYPES)[number])) {
    throw new UserError(`controller.type: unknown controller ${show(type)}; allowed: ${CONTROLLER_TYPES.join(', ')}`);
  }
  const allowed = CONTROLLER_FIELDS[type as (typeof CONTROLLER_TYPES)[number]];
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) throw new UserError(`controller.${key}: unknown field for type ${type}; allowed: ${allowed.join(', ')}`);
  }
  const c = parseWithSchema(controllerSchema, raw, 'controller.');
  if (c.type === 'schedule') {
    const seen = new Set<number>();
    c.steps.forEach((s, i) => {
      if (s.step >= steps) throw new UserError(`controller.steps[${i}].step: step ${s.step} is outside 0..${steps - 1} (the run has ${steps} ${unit})`);
      if (seen.has(s.step)) throw new UserError(`controller.steps[${i}].step: step ${s.step} is listed twice`);
      seen.add(s.step);
    });
  }
  return c;
}

/** The controller's policy (`saved`: the loaded policy of a `policy` controller, checked against `env`). */
function controllerPolicy(c: ControllerConfig, env: Env<Observation, Action>, steps: number, saved: SavedPolicy | undefined): Policy<Observation, Action> {
  switch (c.type) {
    case 'policy':
      return checkedPolicy(saved as SavedPolicy, env);
    case 'constant':
      return constant(env, c.dose);
    case 'pulsed':
      return pulsed(env, c.dose, c.onSteps, c.offSteps);
    case 'none':
      return none(env);
    case 'schedule': {
      const doses = new Array<number>(steps).fill(0);
      for (const s of c.steps) doses[s.step] = s.dose;
      return schedule(env, doses);
    }
  }
}

/** The saved policy of a `policy` controller for the env `envId` (another env's policy is refused); undefined for the others. */
function savedPolicy(c: ControllerConfig, envId: string, flags: SimulateFlags): SavedPolicy | undefined {
  if (c.type !== 'policy') return undefined;
  if (flags.loadPolicy === undefined) throw new Error('chemo simulate: controller type policy needs SimulateFlags.loadPolicy');
  const saved = flags.loadPolicy(c.path, 'controller.path');
  if (saved.envId !== envId) throw new UserError(`controller.path: ${saved.dir} is a policy for ${saved.envId}, not ${envId}; simulate it with env: ${saved.envId}`);
  return saved;
}

/** The saved policy, once its spaces are the env's. */
function checkedPolicy(saved: SavedPolicy, env: Env<Observation, Action>): Policy<Observation, Action> {
  for (const [kind, policySpace, envSpace] of [['observation', saved.observationSpace, env.observationSpace], ['action', saved.actionSpace, env.actionSpace]] as const) {
    const difference = spaceDifference(policySpace, envSpace);
    if (difference !== undefined) throw new UserError(`controller.path: ${saved.dir}: its ${kind} space differs from ${env.metadata.id}'s with these options (${difference})`);
  }
  return saved.policy;
}

/**
 * The env options of a run: with a saved policy, the options it was trained with overlaid with the
 * config's (without the horizon field, which the config sets); otherwise the config's.
 */
function runOptions(saved: SavedPolicy | undefined, options: Record<string, unknown>, horizonField: string): Record<string, unknown> {
  if (saved === undefined) return options;
  const { [horizonField]: _horizon, ...trained } = saved.envOptions;
  return { ...trained, ...options };
}

function controllerName(c: ControllerConfig): string {
  return c.type === 'policy' ? 'policy' : c.type === 'constant' ? `constant${c.dose}` : c.type === 'pulsed' ? `pulsed${c.dose}-${c.onSteps}on${c.offSteps}off` : c.type;
}

/** Run `policy` on `env` from `seed`; returns [resetInfo, ...stepInfos]. */
function rollout(env: Env<Observation, Action>, policy: Policy<Observation, Action>, seed: number, resetOptions?: Record<string, unknown>): Info[] {
  let { observation, info } = env.reset({ seed, ...(resetOptions ? { options: resetOptions } : {}) });
  policy.reset?.(info);
  const infos = [info];
  for (;;) {
    const action = policy.act(observation, { deterministic: true, info });
    const result = env.step(action);
    observation = result.observation;
    info = result.info;
    infos.push(info);
    if (result.terminated || result.truncated) return infos;
  }
}

/** make() with the config's env options; `field` (set by the config itself) may not appear in them. */
function envWith(id: string, options: Record<string, unknown>, field: string, value?: unknown): Env<Observation, Action> {
  if (field in options) throw new UserError(`options.${field}: set by the simulate config; remove it from options`);
  try {
    return make(id, value === undefined ? options : { ...options, [field]: value });
  } catch (err) {
    if (err instanceof UserError) throw new UserError(`options: ${err.message}`);
    throw err;
  }
}

export function simulateDePillis(raw: Record<string, unknown>, flags: SimulateFlags = { states: false }): SimulationOutput {
  const config = parseWithSchema(dePillisConfigSchema, raw);
  const probe = envWith(DEPILLIS_ENV_ID, config.options, 'horizonDays');
  const stepDays = probe.metadata.stepDuration.value;
  probe.close();
  const steps = Math.round(config.days / stepDays);
  if (steps < 1 || Math.abs(config.days / stepDays - steps) > 1e-9 * Math.max(1, steps)) {
    throw new UserError(`days: expected a whole number of ${stepDays}-day steps, got ${config.days}`);
  }
  const controller = parseController(config.controller, steps, 'steps');
  const saved = savedPolicy(controller, DEPILLIS_ENV_ID, flags);
  const env = envWith(DEPILLIS_ENV_ID, runOptions(saved, config.options, 'horizonDays'), 'horizonDays', config.days);
  const infos = rollout(env, controllerPolicy(controller, env, steps, saved), config.seed);
  env.close();

  const rows: Record<string, Cell>[] = infos.map((info, k) => ({
    step: k,
    day: info['day'] as number,
    N: info['N'] as number,
    T: info['T'] as number,
    I: info['I'] as number,
    B: info['B'] as number,
    u: k === 0 ? null : (info['dose'] as number),
  }));
  const o = dePillisOutcomes(infos);
  return {
    columns: ['step', 'day', 'N', 'T', 'I', 'B', 'u'],
    rows,
    metrics: {
      days_simulated: o.days,
      final_tumour_T: o.finalTumour,
      'days_to_T_below_1e-3': o.daysToTumourBelow ?? 'never',
      min_normal_N: o.minN,
      day_of_min_N: o.dayOfMinN,
      'days_N_below_0.75': o.daysNBelow,
      cumulative_dose_dose_days: o.cumulativeDose,
      toxicity_terminated: o.steps < steps ? 'yes' : 'no',
    },
    defaultFileName: `simulate-${DEPILLIS_ENV_ID}-${controllerName(controller)}-seed${config.seed}.csv`,
  };
}

export function simulateZhao(raw: Record<string, unknown>, flags: SimulateFlags = { states: false }): SimulationOutput {
  const config = parseWithSchema(zhaoConfigSchema, raw);
  const controller = parseController(config.controller, config.months, 'months');
  const saved = savedPolicy(controller, ZHAO_ENV_ID, flags);
  const env = envWith(ZHAO_ENV_ID, runOptions(saved, config.options, 'months'), 'months', config.months);
  const resetOptions: Record<string, unknown> = {};
  if (config.W0 !== undefined) resetOptions['W0'] = config.W0;
  if (config.M0 !== undefined) resetOptions['M0'] = config.M0;
  const infos = rollout(env, controllerPolicy(controller, env, config.months, saved), config.seed, resetOptions);
  env.close();
  const rows: Record<string, Cell>[] = infos.map((info, k) => ({
    step: k,
    month: info['month'] as number,
    W: info['W'] as number,
    M: info['M'] as number,
    D: k === 0 ? null : (info['dose'] as number),
    survivalProb: k === 0 ? null : (info['survivalProb'] as number),
    cumulativeSurvival: info['cumulativeSurvival'] as number,
    dead: info['dead'] === true ? 1 : 0,
  }));
  const o = zhaoOutcomes(infos);
  return {
    columns: ['step', 'month', 'W', 'M', 'D', 'survivalProb', 'cumulativeSurvival', 'dead'],
    rows,
    metrics: {
      months_simulated: o.months,
      survival_probability: o.survivalProbability,
      died: o.dead ? 'yes' : 'no',
      months_to_cure: o.monthsToCure ?? 'never',
      final_toxicity_W: o.finalW,
      final_tumour_M: o.finalM,
      cumulative_dose: o.cumulativeDose,
    },
    defaultFileName: `simulate-${ZHAO_ENV_ID}-${controllerName(controller)}-seed${config.seed}.csv`,
  };
}

registerSimulator(DEPILLIS_ENV_ID, simulateDePillis);
registerSimulator(ZHAO_ENV_ID, simulateZhao);
