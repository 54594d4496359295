/**
 * `train.perPatient: true`: one policy per patient of the cohort (policies/<seed>/<patient id>/),
 * one training task per (seed, patient), each patient evaluated with its own policy on exactly the
 * episodes the protocol gives that patient, one summary row per method and seed; with train.init
 * every patient of seed s starts from the cohort policy of seed s.
 */
import test from 'ava';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import '../envs/index.ts';
import { loadPolicy } from '../agents/common/checkpoint.ts';
import { parseExperiment } from '../src/config/experiment.ts';
import { evaluateMethod } from '../src/evaluation/evaluate.ts';
import { parseCsv } from '../src/io/csv.ts';
import type { Box } from '../src/core/spaces.ts';
import { readManifest } from '../src/run/manifest.ts';
import { statesPerEpisode, type RunStateSample } from '../src/evaluation/state-sample.ts';
import { planExperiment } from '../src/run/plan.ts';
import { TINY_PPO, tempDir, writeConfig } from './fixtures/experiments/helpers.ts';
import { oneLine, runMain } from './fixtures/experiments/in-process.ts';

const dir = tempDir('dosegym-per-patient-');
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const PATIENTS = ['adult#001', 'adult#002'];
const cohort = (train: Record<string, unknown> = {}) => ({
  name: 'per-patient',
  env: { id: 'T1D-v0', options: { patient: PATIENTS, days: 0.05 } },
  train: { algo: 'ppo', steps: 16, seeds: [1, 2], hyperparameters: { nSteps: 16, batchSize: 16, nEpochs: 1 }, ...train },
  evaluate: { episodes: 2, methods: ['ppo', 'basal-bolus'], bootstrap: 100 },
});
const csv = (path: string) => parseCsv(readFileSync(path, 'utf8'));

test.serial('one policy per seed and patient; each patient is evaluated with its own policy; one summary row per method and seed', async (t) => {
  const out = join(dir, 'run');
  const config = cohort({ perPatient: true });
  const r = await runMain(['run', writeConfig(dir, 'pp.yaml', config), '--out', out, '--quiet', '--jobs', '2']);
  t.is(r.code, 0, r.stderr);
  for (const seed of [1, 2]) for (const p of PATIENTS) t.true(existsSync(join(out, 'policies', String(seed), p, 'weights.bin')), `policies/${seed}/${p}`);
  t.false(existsSync(join(out, 'policies', '1', 'weights.bin')));

  const training = csv(join(out, 'training.csv'));
  t.deepEqual([...new Set(training.map((row) => `${row['seed']} ${row['patient']}`))], ['1 adult#001', '1 adult#002', '2 adult#001', '2 adult#002'], 'rows per policy, in training order');
  const summary = csv(join(out, 'summary.csv'));
  t.deepEqual(summary.map((row) => [row['method'], row['seed'], row['episodes']]), [['ppo', '1', '4'], ['ppo', '2', '4'], ['basal-bolus', '', '4']]);

  // Patient adult#002's episodes of seed 2 are exactly its own policy's on the protocol's episodes.
  // (alone: the patient in the cohort's action range, where the per-patient policies act)
  const cohortRange = (planExperiment(parseExperiment(config)).stack.probe.actionSpace as Box).high[0];
  const alone = planExperiment(parseExperiment({ ...config, env: { id: 'T1D-v0', options: { patient: 'adult#002', days: 0.05, actionMaxUnitsPerHour: cohortRange } }, train: { ...config.train, perPatient: false } }));
  const policy = loadPolicy(join(out, 'policies', '2', 'adult#002'));
  const expected = await evaluateMethod({ stack: alone.stack, episodes: 2, seed: 1000, trajectories: 0 }, { name: 'ppo', trainingSeed: 2, makePolicy: () => policy });
  const episodes = csv(join(out, 'episodes.csv')).filter((e) => e['method'] === 'ppo' && e['seed'] === '2' && e['patient'] === 'adult#002');
  t.deepEqual(episodes.map((e) => Number(e['return'])), expected.episodes.map((e) => e.return));
  t.deepEqual(episodes.map((e) => Number(e['episode_seed'])), expected.episodes.map((e) => e.episodeSeed));
  const other = csv(join(out, 'episodes.csv')).filter((e) => e['method'] === 'ppo' && e['seed'] === '2' && e['patient'] === 'adult#001');
  t.is(other.length, 2);

  // The state sample holds every patient's states, each the action of that patient's own policy,
  // as many per episode as a cohort policy's sample would keep.
  const sample = JSON.parse(readFileSync(join(out, 'state-sample.json'), 'utf8')) as RunStateSample;
  const seeds = sample.methods['ppo']!.seeds;
  t.deepEqual(seeds.map((s) => s.seed), [1, 2]);
  t.is(sample.methods['ppo']!.perEpisode, statesPerEpisode(PATIENTS.length * 2));
  for (const { seed, states } of seeds) {
    for (const p of PATIENTS) {
      const own = states.filter((s) => s.patient === p);
      t.true(own.length > 0, `seed ${seed}: states of ${p}`);
      const policy = loadPolicy(join(out, 'policies', String(seed), p));
      for (const s of own) {
        const action = policy.act(Float32Array.from(s.observation), { deterministic: true, info: {} }) as Float32Array;
        t.true(Math.abs(action[0]! - s.action[0]!) <= 1e-4 * Math.max(1, Math.abs(action[0]!)), `seed ${seed} ${p} step ${s.step}: ${action[0]} vs ${s.action[0]}`);
      }
    }
  }
});

test.serial('the report explains the first patient\'s own policy of each seed (map, distilled rules, attribution)', async (t) => {
  const out = join(dir, 'run');
  t.true(existsSync(join(out, 'state-sample.json')), 'the first test wrote the run');
  const spec = (name: string) => JSON.parse(readFileSync(join(out, 'charts', `${name}.vl.json`), 'utf8')) as Record<string, unknown>;
  const text = JSON.stringify(spec('policy-map'));
  for (const seed of [1, 2]) t.true(text.includes(`ppo (seed ${seed})`), `policy-map panel of seed ${seed}`);
  t.true(readFileSync(join(out, 'report.html'), 'utf8').includes(`the panels are ${PATIENTS[0]}&#39;s`), 'the map\'s caption says whose policies it draws');
  const rules = (spec('policy-rules')['usermeta'] as { distilled: { seed: number; heldOutDays: [string, number][] | null }[] }).distilled;
  t.deepEqual(rules.map((r) => r.seed), [1, 2]);
  for (const r of rules) {
    t.truthy(r.heldOutDays, 'days held out');
    for (const [patient] of r.heldOutDays ?? []) t.is(patient, PATIENTS[0] as string, 'fitted and held out on the first patient\'s own states');
  }
  t.true(existsSync(join(out, 'charts', 'policy-attribution.vl.json')), 'policy-attribution');
});

test.serial('with train.init, every patient of seed s starts from the cohort policy of seed s', async (t) => {
  const cohortRun = join(dir, 'cohort');
  t.is((await runMain(['train', writeConfig(dir, 'cohort.yaml', cohort()), '--out', cohortRun, '--quiet'])).code, 0);
  const out = join(dir, 'fine-tuned');
  const r = await runMain(['train', writeConfig(dir, 'ft.yaml', cohort({ perPatient: true, init: join(cohortRun, 'policies') })), '--out', out, '--quiet']);
  t.is(r.code, 0, r.stderr);
  const manifest = readManifest(join(out, 'manifest.json'));
  const expected: Record<string, string> = {};
  for (const seed of [1, 2]) for (const p of PATIENTS) expected[`${seed}/${p}`] = join(cohortRun, 'policies', String(seed));
  t.deepEqual(manifest.init, expected);
  for (const seed of [1, 2]) {
    for (const p of PATIENTS) {
      const checkpoint = JSON.parse(readFileSync(join(out, 'policies', String(seed), p, 'manifest.json'), 'utf8')) as { init: { dir: string }; envOptions: { patient: string } };
      t.is(checkpoint.init.dir, join(cohortRun, 'policies', String(seed)));
      t.is(checkpoint.envOptions.patient, p);
    }
  }
  // A per-patient source: patient p of seed s continues its own policy.
  const again = join(dir, 'again');
  t.is((await runMain(['train', writeConfig(dir, 'again.yaml', cohort({ perPatient: true, init: out })), '--out', again, '--quiet'])).code, 0);
  t.is(readManifest(join(again, 'manifest.json')).init?.['2/adult#002'], join(out, 'policies', '2', 'adult#002'));
});

test.serial('perPatient needs patients and a trained algorithm', async (t) => {
  const out = join(dir, 'refused');
  const cartpole = await runMain(['run', writeConfig(dir, 'cp.yaml', { ...TINY_PPO, train: { ...TINY_PPO.train, perPatient: true } }), '--out', out, '--quiet']);
  t.is(oneLine(t, cartpole), 'train.perPatient: CartPole-v1 has no patients to train one policy each for; it applies to envs with patients (T1D-v0)');
  const none = await runMain(['run', writeConfig(dir, 'none.yaml', { ...cohort({ perPatient: true, algo: 'none', hyperparameters: {} }), evaluate: { episodes: 1, methods: ['basal'] } }), '--out', out, '--quiet']);
  t.is(oneLine(t, none), 'train.perPatient: true trains one policy per patient, but train.algo is none');
  t.false(existsSync(out));
});
