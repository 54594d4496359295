/**
 * How does a trained chemotherapy policy's deterministic schedule differ from its sampled ones?
 * Evaluation runs the deterministic action (for PPO's Beta policy, its mode), while PPO-Lagrangian's
 * multiplier controls the cost of the sampled schedules it trains on (agents/ppo-lagrangian.ts);
 * docs/chemo-research-notes.md ("Analysis", 2026-12-02) reports what this script measured.
 *
 *   node --import=tsx scripts/chemo-schedule-trace.ts <run-dir> [--seed 11] [--evaluate-seed 2000] [--patients 20] [--samples 5]
 *
 * For the first `--patients` evaluation episodes of `--evaluate-seed` (the same seeded patients a
 * `dosegym evaluate --set evaluate.seed=...` would run), the run's policy of training seed `--seed`
 * acts on the run's env (its options and constraints) three ways: deterministically (what evaluation
 * does), at the mean of its action distribution (estimated from 64 draws per decision), and sampled
 * (`--samples` episodes per patient). Per way it prints the mean dose-days in the first 14 days and
 * in total, the mean episode cost (the run's constraint, e.g. drugToxicity), the share of episodes
 * over the budget (cost > 1 budget unit) and the share that clear the tumour (T < 1e-3 at the end).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import '../envs/index.ts';
import { initBackend } from '../agents/common/backend.ts';
import { loadPolicy } from '../agents/common/checkpoint.ts';
import type { Action, Info, Observation } from '../src/core/env.ts';
import { runEpisode, type EpisodeLog } from '../src/core/episode.ts';
import type { ActContext, Policy } from '../src/core/policy.ts';
import { buildEnv, constraintBudget, resolveEnvStack } from '../src/evaluation/env-stack.ts';
import { evaluationEpisodeSeed } from '../src/evaluation/evaluate.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seed: { type: 'string', default: '11' },
    'evaluate-seed': { type: 'string', default: '2000' },
    patients: { type: 'string', default: '20' },
    samples: { type: 'string', default: '5' },
  },
});
const run = positionals[0];
const positiveInt = (name: string, text: string | undefined): number => {
  const n = Number(text);
  if (!(Number.isInteger(n) && n > 0)) throw new Error(`--${name}: expected a positive integer, got ${text}`);
  return n;
};
if (run === undefined || !existsSync(join(run, 'manifest.json'))) throw new Error(`expected a run directory (with manifest.json) as the first argument, got ${run ?? 'nothing'}`);
const seed = Number(values.seed);
const evaluateSeed = Number(values['evaluate-seed']);
if (!Number.isInteger(seed) || !Number.isInteger(evaluateSeed)) throw new Error('--seed, --evaluate-seed: expected integers');
const patients = positiveInt('patients', values.patients);
const samples = positiveInt('samples', values.samples);
const policyDir = join(run, 'policies', String(seed));
if (!existsSync(join(policyDir, 'manifest.json'))) throw new Error(`--seed: ${run} has no policy for training seed ${seed} (${policyDir})`);

const config = JSON.parse(readFileSync(join(run, 'manifest.json'), 'utf8')).config as {
  env: { id: string; options?: Record<string, unknown>; reward?: string };
  safety?: { constraints?: unknown };
};
if (!config.env.id.startsWith('Chemo-DePillis')) throw new Error(`${run} is a ${config.env.id} run; this script traces Chemo-DePillis-v0 schedules`);
await initBackend('wasm');
const stack = resolveEnvStack({ envId: config.env.id, envOptions: config.env.options ?? {}, reward: config.env.reward, constraints: config.safety?.constraints });
const budget = constraintBudget(stack) ?? Infinity;
const env = buildEnv(stack, false);
const policy = loadPolicy(policyDir) as Policy<Observation, Action>;
/** Decisions per day (the env's step is a fraction of a day; the dose of a step is a fraction of full dose). */
const perDay = 1 / env.metadata.stepDuration.value;

/** The mean of the policy's action distribution, estimated from 64 draws (one action dimension: the dose). */
const meanPolicy: Policy<Observation, Action> = {
  name: 'mean',
  reset: (info: Info) => policy.reset?.(info),
  act: (observation: Observation, context: ActContext) => {
    let sum = 0;
    for (let j = 0; j < 64; j++) sum += (policy.act(observation, { ...context, deterministic: false }) as Float32Array)[0] as number;
    return new Float32Array([sum / 64]);
  },
};

interface Tally { early: number; total: number; cost: number; over: number; cleared: number; n: number }
const tally = (): Tally => ({ early: 0, total: 0, cost: 0, over: 0, cleared: 0, n: 0 });
function add(t: Tally, log: EpisodeLog): void {
  const doses = log.infos.slice(1).map((i) => i['dose'] as number);
  t.early += doses.slice(0, 14 * perDay).reduce((a, b) => a + b, 0) / perDay;
  t.total += doses.reduce((a, b) => a + b, 0) / perDay;
  t.cost += log.cost;
  t.over += log.cost > budget ? 1 : 0;
  t.cleared += (log.infos[log.infos.length - 1]?.['T'] as number) < 1e-3 ? 1 : 0;
  t.n += 1;
}
const ways = { deterministic: tally(), mean: tally(), sampled: tally() };
for (let k = 0; k < patients; k++) {
  const episodeSeed = evaluationEpisodeSeed(evaluateSeed, null, k);
  add(ways.deterministic, runEpisode(env, policy, episodeSeed, { deterministic: true }));
  add(ways.mean, runEpisode(env, meanPolicy, episodeSeed, { deterministic: true }));
  for (let j = 0; j < samples; j++) add(ways.sampled, runEpisode(env, policy, episodeSeed, { deterministic: false }));
}
console.log(`${run} seed ${seed}, ${patients} patients of evaluate.seed ${evaluateSeed}: dose-days in the first 14 days / in total, mean cost, over budget, cleared`);
for (const [name, t] of Object.entries(ways)) {
  const f = (v: number, d = 2) => (v / t.n).toFixed(d);
  console.log(`  ${name.padEnd(13)} ${f(t.early, 1)} / ${f(t.total, 1)}, ${f(t.cost)}, ${f(t.over)}, ${f(t.cleared)}`);
}
