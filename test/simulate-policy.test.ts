/**
 * `dosegym simulate` with `controller: { type: policy, path }`: a run's saved policy drives a patient
 * it never saw (a basal-relative policy drives any patient) with the same CSV contract as the
 * clinical controllers; the simulation IS T1D-v0's episode of that seed, so it equals the policy
 * evaluated through the env; a policy of another family, or whose spaces the settings change, is
 * refused with one line and nothing is written.
 */
import test from 'ava';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import '../envs/index.ts';
import { initBackend } from '../agents/common/backend.ts';
import { parseExperiment } from '../src/config/experiment.ts';
import { evaluateMethod } from '../src/evaluation/evaluate.ts';
import { parseCsv } from '../src/io/csv.ts';
import { planExperiment } from '../src/run/plan.ts';
import { savedPolicyLoader } from '../src/run/saved-policy.ts';
import { parseSimulateConfig, policyEnvOptions, simulateT1DPolicy } from '../envs/glucose/simulate.ts';
import { tempDir, writeConfig } from './fixtures/experiments/helpers.ts';
import { oneLine, runMain } from './fixtures/experiments/in-process.ts';

const dir = tempDir('dosegym-simulate-policy-');
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

/** A run of a tiny PPO on adult#001 (16 steps: its weights are close to their initialisation, which is all these tests need). */
async function trainedRun(name: string, options: Record<string, unknown>, envId = 'T1D-v0'): Promise<string> {
  const out = join(dir, name);
  const config = {
    name,
    env: { id: envId, ...(envId === 'T1D-v0' ? { options: { patient: 'adult#001', days: 0.05, ...options } } : {}) },
    train: { algo: 'ppo', steps: 16, seeds: [1], hyperparameters: { nSteps: 16, batchSize: 16, nEpochs: 1, normalizeObservations: true } },
    evaluate: { episodes: 1, methods: ['ppo'], bootstrap: 50 },
  };
  const r = await runMain(['run', writeConfig(dir, `${name}.yaml`, config), '--out', out, '--quiet']);
  if (r.code !== 0) throw new Error(r.stderr);
  return join(out, 'policies', '1');
}

let basalRelative: Promise<string>;
test.before(async () => {
  await initBackend('wasm');
  basalRelative = trainedRun('basal-relative', { action: 'basal-relative' });
});

const simulateConfig = (path: string, extra: Record<string, unknown> = {}) => ({
  env: 'T1D-v0',
  patient: 'child#003',
  minutes: 120,
  sensor: { model: 'Dexcom', noise: true },
  scenario: { type: 'random' },
  controller: { type: 'policy', path },
  seed: 7,
  ...extra,
});

test.serial('a basal-relative policy drives a patient it never saw; the CSV has the clinical controllers\' columns', async (t) => {
  const policy = await basalRelative;
  const out = join(dir, 'child003-policy.csv');
  const r = await runMain(['simulate', writeConfig(dir, 'sim.yaml', simulateConfig(policy)), '--out', out]);
  t.is(r.code, 0, r.stderr);
  const clinical = join(dir, 'child003-basal-bolus.csv');
  t.is((await runMain(['simulate', writeConfig(dir, 'sim-bb.yaml', simulateConfig(policy, { controller: { type: 'basal-bolus' } })), '--out', clinical])).code, 0);
  const text = readFileSync(out, 'utf8');
  t.is(text.split('\n')[0], readFileSync(clinical, 'utf8').split('\n')[0], 'same header as a clinical controller');
  const rows = parseCsv(text);
  t.is(rows.length, 121, 'minutes 0..120');
  t.deepEqual(rows.map((row) => Number(row['minute'])), Array.from({ length: 121 }, (_, m) => m));
  const insulin = rows.slice(0, 120).map((row) => Number(row['insulin']));
  t.true(insulin.every((u) => Number.isFinite(u) && u >= 0), 'a delivered rate every minute');
  t.is(rows[120]?.['insulin'], '', 'the last row has empty inputs, as for every controller');
  // The policy acts once per Dexcom sample (3 min): the rate is constant within each step.
  for (let m = 0; m < 120; m += 3) t.true(insulin[m] === insulin[m + 1] && insulin[m] === insulin[m + 2], `one rate over minutes ${m}..${m + 2}`);
  // A basal-relative action in [-1, 1] scales child#003's own basal (authority 300 %): at most 4 basals.
  const patientBasalUPerMin = (await import('../envs/glucose/patient.ts')).getPatient('child#003').basalUPerMin;
  t.true(Math.max(...insulin) <= 4 * patientBasalUPerMin + 1e-9, 'within the patient-relative range');
  t.regex(r.stdout, /tir/i, 'metrics printed');
});

test.serial('simulating a policy equals evaluating it through T1D-v0 on the same seed', async (t) => {
  const saved = (await savedPolicyLoader())(await basalRelative, 'controller.path');
  const config = parseSimulateConfig(simulateConfig(saved.dir, { therapy: { carbEstimateSd: 0.3, missedBolusFraction: 0.2 }, minutes: 360 }));
  // The evaluation: the same env options, through the experiment runner's stack and evaluateMethod.
  const plan = planExperiment(parseExperiment({ name: 'eval', env: { id: 'T1D-v0', options: policyEnvOptions(config, saved) }, train: { algo: 'none' }, evaluate: { episodes: 1, methods: ['basal-bolus'] } }));
  const evaluation = await evaluateMethod({ stack: plan.stack, episodes: 1, seed: 99, trajectories: 1 }, { name: 'ppo', trainingSeed: 1, makePolicy: () => saved.policy });
  const episodeSeed = evaluation.episodes[0]?.episodeSeed as number;
  const sim = simulateT1DPolicy({ ...config, seed: episodeSeed }, saved);
  const steps = evaluation.trajectories;
  t.is(steps.length, 360 / 3 + 1, 'a whole episode of 3-minute steps');
  for (const step of steps) {
    const m = step['minute'] as number;
    t.is(sim.bg[m], step['bg'] as number, `true BG at minute ${m}`);
    t.is(sim.cgm[m], step['cgm'] as number, `CGM at minute ${m}`);
    if (m > 0) {
      t.is((sim.insulin[m - 1] as number) * 3, step['insulin'] as number, `insulin over the step ending at ${m}`);
      t.is((sim.cho[m - 3] as number) + (sim.cho[m - 2] as number) + (sim.cho[m - 1] as number), step['cho'] as number, `carbohydrate over the step ending at ${m}`);
    }
  }
  t.true(sim.cho.some((g) => g > 0), 'the random scenario served meals');
});

test.serial('a policy of another family is refused with one line, and nothing is written', async (t) => {
  const cartpole = await trainedRun('cartpole', {}, 'CartPole-v1');
  const out = join(dir, 'never.csv');
  const line = oneLine(t, await runMain(['simulate', writeConfig(dir, 'wrong-family.yaml', simulateConfig(cartpole)), '--out', out]));
  t.regex(line, /^controller\.path: .* is a policy for CartPole-v1, not T1D-v0 \(another family\); simulate it with env: CartPole-v1$/);
  t.false(existsSync(out));
});

test.serial('a sensor that changes the observation space is refused, naming the space and the difference', async (t) => {
  const out = join(dir, 'never.csv');
  const config = simulateConfig(await basalRelative, { sensor: { model: 'Navigator', noise: false } });
  const line = oneLine(t, await runMain(['simulate', writeConfig(dir, 'navigator.yaml', config), '--out', out]));
  t.regex(line, /controller\.path: .*: its observation space differs from T1D-v0's with these settings \(element 0's bounds \[-1\.01, 4\.6\] vs \[-1\.08, 4\.6\]/);
  t.false(existsSync(out));
});

test.serial('an absolute-rate policy runs only on a pump that delivers its range', async (t) => {
  // The pump's limit (simglucose's pump table, in U/min: Cozmo 35, Insulet 30) as the action range.
  const cozmo = await trainedRun('cozmo', { action: 'continuous', pump: 'Cozmo', actionMaxUnitsPerHour: 'pump' });
  const out = join(dir, 'never.csv');
  const line = oneLine(t, await runMain(['simulate', writeConfig(dir, 'insulet.yaml', simulateConfig(cozmo, { pump: 'Insulet' })), '--out', out]));
  t.regex(line, /controller\.path: .* commands up to 2100 U\/h, more than the Insulet pump delivers \(1800 U\/h\)$/);
  t.false(existsSync(out));
  const fits = join(dir, 'cozmo.csv');
  t.is((await runMain(['simulate', writeConfig(dir, 'cozmo-sim.yaml', simulateConfig(cozmo, { pump: 'Cozmo' })), '--out', fits])).code, 0);
  t.true(existsSync(fits));
});

test.serial('a path that is not a policy says what to give', async (t) => {
  const run = join(dir, 'basal-relative');
  const line = oneLine(t, await runMain(['simulate', writeConfig(dir, 'run-dir.yaml', simulateConfig(join(run, 'policies'))), '--out', join(dir, 'never.csv')]));
  t.regex(line, /controller\.path: .*policies holds one policy per seed \(1\); give one of them, e.g\. .*policies\/1$/);
  const missing = oneLine(t, await runMain(['simulate', writeConfig(dir, 'missing.yaml', simulateConfig(join(dir, 'nope'))), '--out', join(dir, 'never.csv')]));
  t.regex(missing, /controller\.path: .*nope does not exist/);
});

test.serial('chemotherapy: a de Pillis policy simulates on de Pillis, and is refused by Zhao naming its env', async (t) => {
  const policy = await trainedRun('depillis', {}, 'Chemo-DePillis-v0');
  const out = join(dir, 'depillis.csv');
  const config = { env: 'Chemo-DePillis-v0', days: 30, controller: { type: 'policy', path: policy }, seed: 1 };
  const r = await runMain(['simulate', writeConfig(dir, 'depillis-sim.yaml', config), '--out', out]);
  t.is(r.code, 0, r.stderr);
  const constant = join(dir, 'depillis-constant.csv');
  t.is((await runMain(['simulate', writeConfig(dir, 'depillis-constant.yaml', { ...config, controller: { type: 'constant', dose: 0.5 } }), '--out', constant])).code, 0);
  t.is(readFileSync(out, 'utf8').split('\n')[0], readFileSync(constant, 'utf8').split('\n')[0], 'same columns as a clinical controller');
  const rows = parseCsv(readFileSync(out, 'utf8'));
  t.deepEqual(rows.map((row) => Number(row['step'])), Array.from({ length: rows.length }, (_, k) => k), 'a row per decision step from the initial state');
  t.true(rows.length > 1 && rows.length <= 30 / 0.25 + 1);
  const zhao = { env: 'Chemo-Zhao2009-v0', months: 6, controller: { type: 'policy', path: policy } };
  const line = oneLine(t, await runMain(['simulate', writeConfig(dir, 'zhao-sim.yaml', zhao), '--out', join(dir, 'never.csv')]));
  t.regex(line, /^controller\.path: .* is a policy for Chemo-DePillis-v0, not Chemo-Zhao2009-v0; simulate it with env: Chemo-DePillis-v0$/);
});
