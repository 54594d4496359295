/**
 * Safety in experiments: configured constraints replace info.cost, a shield adds `<method>+shield`
 * variants on the same seeded episodes, the summary gains the safety columns, and PPO-Lagrangian's
 * budget is resolved from the config.
 */
import test from 'ava';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import '../envs/index.ts';
import { parseCsv } from '../src/io/csv.ts';
import { parseExperiment } from '../src/config/experiment.ts';
import { planExperiment } from '../src/run/plan.ts';
import { runExperiment, type RunFlags } from '../src/run/run.ts';
import { tempDir } from './fixtures/experiments/helpers.ts';

const dir = tempDir('dosegym-safety-');
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const flags = (out: string): RunFlags => ({ out, jobs: 1, backend: 'auto', quiet: true, resume: false, force: false });

const SAFE_T1D = {
  name: 'safety',
  env: { id: 'T1D-v0', options: { patient: 'adolescent#001', sensorNoise: false } },
  train: { algo: 'none' },
  safety: { constraints: { names: ['hypo70', 'hypo54'] }, shield: { suspendBelowMgDl: 90 } },
  evaluate: { episodes: 2, trajectories: 0, methods: ['basal-bolus', { type: 'constant', unitsPerHour: 3, name: 'overdose' }] },
};

test('a shield adds shielded variants on the same episodes, with safety columns in the summary', async (t) => {
  const out = join(dir, 't1d');
  const result = await runExperiment(parseExperiment(SAFE_T1D), flags(out));
  t.deepEqual(result.summary.map((r) => r['method']), ['basal-bolus', 'basal-bolus+shield', 'overdose', 'overdose+shield']);
  for (const column of ['exceeded_hypo54', 'exceeded_hypo70', 'violation_hypo54', 'violation_hypo70', 'shield_interventions']) t.true(result.columns.includes(column), column);
  const episodes = parseCsv(readFileSync(join(out, 'episodes.csv'), 'utf8'));
  const seeds = (m: string) => episodes.filter((e) => e['method'] === m).map((e) => e['episode_seed']);
  t.deepEqual(seeds('overdose'), seeds('overdose+shield'));
  const row = (m: string): Record<string, number> => (result.summary.find((r) => r['method'] === m) ?? {}) as Record<string, number>;
  // 3 U/h is about 3.6 x this patient's basal: hypoglycaemia, which the shield cuts down.
  t.true((row('overdose')['tbr70'] ?? 0) > 20);
  t.true((row('overdose+shield')['tbr70'] ?? Infinity) < (row('overdose')['tbr70'] ?? 0) / 2);
  t.true((row('overdose+shield')['shield_interventions'] ?? 0) > 0);
  // info.cost is now hypo70 + hypo54 per step: each episode's cost is at least its steps below 70 mg/dL.
  for (const e of episodes.filter((e) => e['method'] === 'overdose')) {
    t.true(Number(e['cost']) >= Math.round((Number(e['tbr70']) / 100) * Number(e['length'])) - 1e-9);
  }
  t.is(row('overdose')['exceeded_hypo70'], 1);
  t.is(row('basal-bolus')['shield_interventions'] ?? null, null);
});

test('evaluate.shield: with runs only the shielded variants; without a shield it is an error', (t) => {
  const plan = planExperiment(parseExperiment({ ...SAFE_T1D, evaluate: { ...SAFE_T1D.evaluate, shield: 'with' } }));
  t.deepEqual(plan.methods.map((m) => m.name), ['basal-bolus+shield', 'overdose+shield']);
  const { safety: _safety, ...noSafety } = SAFE_T1D;
  t.throws(() => planExperiment(parseExperiment({ ...noSafety, evaluate: { ...SAFE_T1D.evaluate, shield: 'both' } })), { message: /^evaluate\.shield: 'both' needs safety\.shield options/ });
});

test('ppo-lagrangian takes its budget from train.costLimit, else from the constraints, else errors', (t) => {
  const base = { ...SAFE_T1D, train: { algo: 'ppo-lagrangian', steps: 1000 }, evaluate: { ...SAFE_T1D.evaluate, methods: ['ppo-lagrangian'] } };
  // Default budgets: 4 % and 1 % of the 480 steps of a one-day Dexcom episode.
  t.is(planExperiment(parseExperiment(base)).costLimit, 0.04 * 480 + 0.01 * 480);
  t.is(planExperiment(parseExperiment({ ...base, train: { ...base.train, costLimit: 5 } })).costLimit, 5);
  const { safety: _safety, ...noSafety } = base;
  t.throws(() => planExperiment(parseExperiment(noSafety)), { message: /^train\.costLimit: ppo-lagrangian needs an episode cost budget/ });
  t.throws(() => planExperiment(parseExperiment({ ...SAFE_T1D, train: { algo: 'none', costLimit: 3 } })), { message: /^train\.costLimit: only used by ppo-lagrangian/ });
});

test('bad safety options name the field', (t) => {
  t.throws(() => planExperiment(parseExperiment({ ...SAFE_T1D, safety: { constraints: { names: ['hypo60'] } } })), { message: /hypo60.*allowed: hypo70, hypo54/ });
  t.throws(() => planExperiment(parseExperiment({ ...SAFE_T1D, safety: { shield: { suspendBelowMgDl: -5 } } })), { message: /^shield\.suspendBelowMgDl: / });
});
