/**
 * The patient-family registry (src/core/family.ts): every registered env has exactly one family,
 * an env without one is an error, each family's declared info fields are the ones its envs really
 * write, every family has report sections, and planning and evaluating a run build no throw-away
 * envs (one probe per plan; one env per evaluated patient).
 */
import test from 'ava';
import '../envs/index.ts';
import { BaseEnv, type EnvMetadata, type Info, type ResetResult, type StepResult } from '../src/core/env.ts';
import { familyOf, listFamilies, registerFamily } from '../src/core/family.ts';
import { envSpec, listEnvs, make, register } from '../src/core/registry.ts';
import { Rng } from '../src/core/rng.ts';
import { Box, Discrete } from '../src/core/spaces.ts';
import { UserError } from '../src/core/errors.ts';
import { parseExperiment } from '../src/config/experiment.ts';
import { constraintBudget, resolveEnvStack } from '../src/evaluation/env-stack.ts';
import { evaluateMethod } from '../src/evaluation/evaluate.ts';
import { familySections } from '../src/report/sections/index.ts';
import { planExperiment } from '../src/run/plan.ts';
import { ConstantPolicy } from '../agents/baselines/glucose/index.ts';
import type { AnyPolicy } from '../src/core/family.ts';

/** Numeric and boolean info fields of `infos` (what a reward expression may read). */
function quantityFields(infos: readonly Info[]): string[] {
  const names = new Set<string>();
  for (const info of infos) for (const [k, v] of Object.entries(info)) if (typeof v === 'number' || typeof v === 'boolean') names.add(k);
  return [...names].sort();
}

/** The reset info and a few steps' infos of `make(id, options)` under random actions. */
function someInfos(id: string, options: Record<string, unknown> = {}): Info[] {
  const env = make(id, options);
  const rng = new Rng(3);
  const infos = [env.reset({ seed: 5 }).info];
  for (let k = 0; k < 4; k++) {
    const r = env.step(env.actionSpace.sample(rng));
    infos.push(r.info);
    if (r.terminated || r.truncated) break;
  }
  env.close();
  return infos;
}

test('every registered env belongs to exactly one family, and every family has report sections', (t) => {
  const ids = listEnvs();
  t.true(ids.length >= 5, ids.join(', '));
  for (const id of ids) t.true(familyOf(id).envIds.includes(id), id);
  t.deepEqual(listFamilies().flatMap((f) => f.envIds).sort(), [...ids].sort());
  t.deepEqual(listFamilies().map((f) => f.name), ['chemo-depillis', 'chemo-zhao', 'classic', 't1d']);
  for (const family of listFamilies()) t.notThrows(() => familySections(family.name), family.name);
  t.throws(() => familySections('nephrology'), { message: /^report: no report sections for patient family 'nephrology'; families with sections: t1d, / });
});

test('an env without a family is an error naming the families, never a fallback', (t) => {
  t.throws(() => familyOf('CartPole-v9'), {
    instanceOf: UserError,
    message: "no patient family is registered for environment 'CartPole-v9'; families: chemo-depillis (Chemo-DePillis-v0); chemo-zhao (Chemo-Zhao2009-v0); classic (CartPole-v1, Pendulum-v1); t1d (T1D-v0)",
  });
  t.throws(() => registerFamily({ ...familyOf('T1D-v0') }), { message: "registerFamily: family 't1d' is already registered" });
  t.throws(() => registerFamily({ ...familyOf('T1D-v0'), name: 't1d-copy' }), { message: "registerFamily: environment 'T1D-v0' already belongs to family 't1d'" });
});

test('each family declares exactly the numeric info fields its envs write, whatever the options', (t) => {
  const cases: [string, Record<string, unknown>][] = [
    ['T1D-v0', {}],
    ['T1D-v0', { action: 'discrete', mealAnnouncement: 30, sensor: 'GuardianRT', patient: 'adults' }],
    ['Chemo-DePillis-v0', {}],
    ['Chemo-DePillis-v0', { setting: 5, levels: 3 }],
    ['Chemo-Zhao2009-v0', {}],
    ['CartPole-v1', {}],
    ['Pendulum-v1', {}],
  ];
  for (const [id, options] of cases) t.deepEqual(quantityFields(someInfos(id, options)), [...familyOf(id).info.fields], `${id} ${JSON.stringify(options)}`);
  // the typed reader names the field and the env when the info is not the env's
  t.throws(() => familyOf('T1D-v0').info.number({ cgm: 100 }, 'bg'), { message: 'T1D-v0: info.bg is missing' });
  t.throws(() => familyOf('Chemo-Zhao2009-v0').info.flag({ dead: 0 }, 'dead'), { message: 'Chemo-Zhao2009-v0: info.dead is not true or false (0)' });
});

/** Counts the envs `make` builds for `id` while `fn` runs. */
async function countBuilds(id: string, fn: () => unknown): Promise<number> {
  const spec = envSpec(id);
  const factory = spec.factory;
  let built = 0;
  spec.factory = (options) => {
    built++;
    return factory(options);
  };
  try {
    await fn();
  } finally {
    spec.factory = factory;
  }
  return built;
}

const T1D_SAFE = {
  name: 'probe-count',
  env: { id: 'T1D-v0', options: { patient: ['adolescent#001', 'adult#002'], days: 0.05 }, reward: '-risk - 0.01 * insulin + 0 * cost' },
  safety: { constraints: { names: ['hypo70', 'hypo54'] }, shield: { suspendBelowMgDl: 75 } },
  train: { algo: 'none' },
  evaluate: { episodes: 1, methods: ['basal-bolus', 'pid'], shield: 'both' },
};

test.serial('planning a run builds one probe env, whatever the reward, constraints and shield', async (t) => {
  const config = parseExperiment(T1D_SAFE);
  t.is(await countBuilds('T1D-v0', () => planExperiment(config)), 1);
  const plan = planExperiment(config);
  // The answers the probes used to give, as plain values: budgets, shield options, spaces.
  const steps = plan.stack.probe.metadata.maxEpisodeSteps as number;
  t.is(steps, 24); // 0.05 day of 3-minute steps
  t.deepEqual(plan.stack.constraints, { hypo70: 0.04 * steps, hypo54: 0.01 * steps });
  t.is(constraintBudget(plan.stack), 0.04 * steps + 0.01 * steps);
  t.is(plan.stack.shield?.['suspendBelowMgDl'], 75);
  t.is(plan.stack.shield?.['predictiveBelowMgDl'], 80); // the family's default
  t.true(plan.stack.probe.actionSpace instanceof Box);
  t.deepEqual(plan.methods.map((m) => m.name), ['basal-bolus', 'basal-bolus+shield', 'pid', 'pid+shield']);
  // a PPO-Lagrangian plan's budget is the constraints' sum, without another env
  const lagrangian = parseExperiment({ ...T1D_SAFE, train: { algo: 'ppo-lagrangian', steps: 64 }, evaluate: { episodes: 1, methods: ['ppo-lagrangian'] } });
  t.is(await countBuilds('T1D-v0', () => t.is(planExperiment(lagrangian).costLimit, 0.04 * steps + 0.01 * steps)), 1);
  // with a chance, info.cost is the over-budget indicator and the budget is the chance (an explicit costLimit still wins)
  const chance = parseExperiment({ ...T1D_SAFE, safety: { constraints: { names: ['hypo70'], chance: 0.05 } }, train: { algo: 'ppo-lagrangian', steps: 64 }, evaluate: { episodes: 1, methods: ['ppo-lagrangian'] } });
  t.is(planExperiment(chance).stack.chance, 0.05);
  t.is(planExperiment(chance).costLimit, 0.05);
  t.is(planExperiment(parseExperiment({ ...chance, train: { algo: 'ppo-lagrangian', steps: 64, costLimit: 0.1 } })).costLimit, 0.1);
});

test.serial('evaluating a cohort policy builds one env per patient, in the cohort\'s action range', async (t) => {
  const plan = planExperiment(parseExperiment({ ...T1D_SAFE, safety: undefined, env: { id: 'T1D-v0', options: { patient: 'adolescents', days: 0.02 } }, evaluate: { episodes: 1, methods: ['basal'] } }));
  const ranges: number[] = [];
  const method = {
    name: 'agent',
    trainingSeed: 1,
    makePolicy: (env: { actionSpace: unknown }) => {
      ranges.push((env.actionSpace as Box).high[0] as number);
      return new ConstantPolicy('basal') as AnyPolicy;
    },
  };
  const built = await countBuilds('T1D-v0', () => evaluateMethod({ stack: plan.stack, episodes: 1, seed: 3, trajectories: 0 }, method));
  t.is(built, 10); // the 10 adolescents, no cohort env on the side
  // every patient is evaluated in the cohort's range: the largest adolescent basal x 5
  t.deepEqual(new Set(ranges), new Set([(plan.stack.probe.actionSpace as Box).high[0]]));
  t.true((ranges[0] as number) > 0);
});

class NoFamilyEnv extends BaseEnv<Float32Array, number> {
  readonly observationSpace = new Box(0, 1, [1]);
  readonly actionSpace = new Discrete(2);
  readonly metadata: EnvMetadata = { id: 'NoFamily-v0', stepDuration: { value: 1, unit: 'day' }, actionUnits: 'none', maxEpisodeSteps: 2 };
  protected resetModel(): ResetResult<Float32Array> {
    return { observation: Float32Array.of(0), info: {} };
  }
  protected stepModel(): StepResult<Float32Array> {
    return { observation: Float32Array.of(0), reward: 0, terminated: false, truncated: true, info: {} };
  }
}

test('a config on an env registered without a family fails at planning, naming env.id', (t) => {
  register('NoFamily-v0', () => new NoFamilyEnv(), {}, 'test env without a family');
  const config = parseExperiment({ name: 'no-family', env: { id: 'NoFamily-v0' }, train: { algo: 'none' }, evaluate: { methods: ['random'] } });
  t.throws(() => planExperiment(config), { instanceOf: UserError, message: /^env\.id: no patient family is registered for environment 'NoFamily-v0'; families: / });
  t.throws(() => resolveEnvStack({ envId: 'NoFamily-v0', envOptions: {} }), { message: /^env\.id: no patient family/ });
});
