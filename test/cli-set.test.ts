/**
 * `--set dotted.path=value` on run, train, evaluate, validate and simulate: applied to the raw config
 * before validation, errors about an overridden field name the flag, the manifest lists the
 * overrides as given, and --resume refuses other overrides than the run was started with.
 */
import test from 'ava';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import '../envs/index.ts';
import { applyOverrides, parseOverride } from '../src/config/overrides.ts';
import { readManifest } from '../src/run/manifest.ts';
import { CHEMO_BASELINES, TINY_PPO, snapshot, tempDir, writeConfig } from './fixtures/experiments/helpers.ts';
import { oneLine, runMain } from './fixtures/experiments/in-process.ts';

const dir = tempDir('dosegym-set-');
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const ppoConfig = writeConfig(dir, 'ppo.yaml', TINY_PPO);
const chemoConfig = writeConfig(dir, 'chemo.yaml', CHEMO_BASELINES);

test('values are YAML; paths create mappings and index lists; the raw config is not modified', (t) => {
  const raw = { train: { seeds: [1] }, evaluate: { methods: ['ppo', 'random'] } };
  const out = applyOverrides(raw, ['train.seeds=[1, 2]', 'env.options.patient=adult#002', 'evaluate.methods.1=pid', 'evaluate.methods.2={ type: constant, dose: 0.5 }', 'env.options.mealAnnouncement=null', 'train.steps=1e4'].map(parseOverride));
  t.deepEqual(out, {
    train: { seeds: [1, 2], steps: 10000 },
    evaluate: { methods: ['ppo', 'pid', { type: 'constant', dose: 0.5 }] },
    env: { options: { patient: 'adult#002', mealAnnouncement: null } },
  });
  t.deepEqual(raw, { train: { seeds: [1] }, evaluate: { methods: ['ppo', 'random'] } });
  t.deepEqual(applyOverrides({ a: 1 }, ['a=2', 'a=3'].map(parseOverride)), { a: 3 }, 'the last one wins');
});

test.serial('validate: an unknown path, a bad value, a path through a scalar and a malformed flag are one line naming the flag', async (t) => {
  const cases: [string, string, number][] = [
    ['train.stepz=5', '--set train.stepz=5: unknown field train.stepz; allowed: algo, steps, seeds, hyperparameters, costLimit, init, perPatient, checkpointEvery', 1],
    ['foo=1', '--set foo=1: unknown field foo; allowed: name, description, env, train, evaluate, safety', 1],
    ['train.steps=-5', '--set train.steps=-5: train.steps: expected a positive integer, got -5', 1],
    ['train.steps=fast', '--set train.steps=fast: train.steps: expected a positive integer, got "fast"', 1],
    ['train.hyperparameters.learningRate=0', '--set train.hyperparameters.learningRate=0: train.hyperparameters.learningRate: expected a positive number, got 0', 1],
    ['train.hyperparameters.nStepz=8', '--set train.hyperparameters.nStepz=8: unknown field train.hyperparameters.nStepz; allowed: learningRate, annealLr, nSteps, numEnvs, batchSize, nEpochs, gamma, gaeLambda, clipRange, clipRangeVf, normalizeAdvantage, entCoef, vfCoef, maxGradNorm, targetKl, netArch, activation, orthoInit, distribution, logStdInit, noiseHoldSteps, adamEps, normalizeObservations', 1],
    ['train.steps.x=1', "--set train.steps.x=1: train.steps is 128, not a mapping of fields, so it has no field 'x'", 1],
    ['evaluate.methods.7=pid', "--set evaluate.methods.7=pid: evaluate.methods is a list of 2; '7' is not an index in 0..2", 1],
    ['evaluate.methods.1=pid', "--set evaluate.methods.1=pid: evaluate.methods[1]: unknown baseline 'pid'; allowed: random, or the trained algorithm", 1],
    ['env.options.gravity=3', "--set env.options.gravity=3: env.options: CartPole-v1: unknown option 'gravity'; allowed: maxEpisodeSteps", 1],
    ['train.steps', '--set train.steps: expected <dotted.path>=<value>, e.g. --set train.steps=50000', 2],
    ['train..steps=5', "--set train..steps=5: 'train..steps' is not a dotted field path; expected e.g. train.steps or env.options.patient", 2],
    ['train.steps=', "--set train.steps=: no value after '='; give one (null for none), e.g. train.steps=null", 2],
    // YAML reads an unquoted 'a ? b : c' as a mapping: the error says how to give it as text
    [
      'env.reward=reward + (reward > 0 ? 1 : 0)',
      '--set env.reward=reward + (reward > 0 ? 1 : 0): env.reward: expected a mathjs expression, e.g. "-risk - 0.01 * insulin", got {"reward + (reward > 0 ? 1":"0)"} (the value is read as YAML, where \': \' starts a mapping; to give it as text, quote it: --set \'env.reward="..."\')',
      1,
    ],
  ];
  for (const [set, message, code] of cases) {
    const r = await runMain(['validate', ppoConfig, '--set', set]);
    t.is(oneLine(t, r, code), message, set);
  }
  // Quoted, the same expression is text (and a mapping written with braces gets no hint)
  t.is((await runMain(['validate', ppoConfig, '--set', 'env.reward="reward + (reward > 0 ? 1 : 0)"'])).code, 0);
  t.notRegex(oneLine(t, await runMain(['validate', ppoConfig, '--set', 'train.steps={a: 1}'])), /read as YAML/);
  // A field no override touched keeps naming the file.
  const bad = writeConfig(dir, 'bad.yaml', { ...TINY_PPO, evaluate: { ...TINY_PPO.evaluate, episodes: 0 } });
  t.is(oneLine(t, await runMain(['validate', bad, '--set', 'train.steps=256'])), `${bad}: evaluate.episodes: expected a positive integer, got 0`);
  // ... and an override can repair the file.
  const fixed = await runMain(['validate', bad, '--set', 'evaluate.episodes=3']);
  t.is(fixed.code, 0, fixed.stderr);
  t.regex(fixed.stdout, /with --set evaluate\.episodes=3: ok/);
});

test.serial('run: the overrides shape the run, and the manifest lists them as given beside the resolved config', async (t) => {
  const out = join(dir, 'run');
  const r = await runMain(['run', ppoConfig, '--out', out, '--quiet', '--set', 'train.seeds=[3]', '--set', 'evaluate.methods=[ppo]', '--set', 'evaluate.episodes=1']);
  t.is(r.code, 0, r.stderr);
  const manifest = readManifest(join(out, 'manifest.json'));
  t.deepEqual(manifest.overrides, ['train.seeds=[3]', 'evaluate.methods=[ppo]', 'evaluate.episodes=1']);
  t.deepEqual(manifest.config.train.seeds, [3]);
  t.deepEqual(manifest.config.evaluate.methods, ['ppo']);
  t.true(existsSync(join(out, 'policies', '3', 'weights.bin')));
  t.false(existsSync(join(out, 'policies', '1')));
  t.is(readFileSync(join(out, 'summary.csv'), 'utf8').trim().split('\n').length, 2, 'one row: ppo seed 3');

  // --resume with other overrides than the run was started with is refused, touching nothing.
  const before = snapshot(out);
  const resumed = await runMain(['run', ppoConfig, '--out', out, '--quiet', '--resume', '--set', 'train.seeds=[3]']);
  t.is(oneLine(t, resumed), `--resume: ${out} was started with overrides --set train.seeds=[3] --set evaluate.methods=[ppo] --set evaluate.episodes=1, but this command gives --set train.seeds=[3]; give the same --set flags (or start a new run)`);
  t.deepEqual(snapshot(out), before);
});

test.serial('train and evaluate <config>: a bad override writes nothing; a good one is applied', async (t) => {
  const out = join(dir, 'never');
  t.is(oneLine(t, await runMain(['train', ppoConfig, '--out', out, '--quiet', '--set', 'train.algo=sac9'])), '--set train.algo=sac9: train.algo: expected one of ppo, dqn, ppo-lagrangian, sac, none, got "sac9"');
  t.false(existsSync(out));
  const evaluated = join(dir, 'chemo');
  const r = await runMain(['evaluate', chemoConfig, '--out', evaluated, '--quiet', '--set', 'evaluate.episodes=1', '--set', 'evaluate.methods=[none]']);
  t.is(r.code, 0, r.stderr);
  t.is(readFileSync(join(evaluated, 'summary.csv'), 'utf8').trim().split('\n').length, 2);
  t.deepEqual(readManifest(join(evaluated, 'manifest.json')).overrides, ['evaluate.episodes=1', 'evaluate.methods=[none]']);
});

test.serial('simulate: overrides apply to its config; errors name the flag', async (t) => {
  const config = writeConfig(dir, 'sim.yaml', { env: 'T1D-v0', patient: 'adult#001', minutes: 60, sensor: { model: 'Dexcom', noise: false }, controller: { type: 'basal-bolus' } });
  const csv = join(dir, 'sim.csv');
  const r = await runMain(['simulate', config, '--out', csv, '--set', 'minutes=30', '--set', 'patient=child#002']);
  t.is(r.code, 0, r.stderr);
  t.is(readFileSync(csv, 'utf8').trim().split('\n').length, 32, 'header + minutes 0..30');
  t.regex(r.stdout, /patient\s+child#002/);
  t.is(oneLine(t, await runMain(['simulate', config, '--out', csv, '--set', 'minutes=-1'])), '--set minutes=-1: minutes: Too small: expected number to be >0, got -1');
});

test.serial('validate a simulate config: simulated in memory, nothing written; an override with an unknown controller field lists the allowed ones', async (t) => {
  const config = writeConfig(dir, 'sim.yaml', { env: 'T1D-v0', patient: 'adult#001', minutes: 60, controller: { type: 'basal-bolus' }, sensor: { model: 'Dexcom', noise: false } });
  const before = snapshot(dir);
  const ok = await runMain(['validate', config, '--set', 'patient=child#002']);
  t.is(ok.code, 0, ok.stderr);
  t.is(ok.stdout, `${config} with --set patient=child#002: ok (a dosegym simulate config)\n  61 rows, columns minute,bg,plasma_bg,cgm,insulin,cho\n`);
  t.deepEqual(snapshot(dir), before, 'nothing written');
  const line = oneLine(t, await runMain(['validate', config, '--set', 'controller.kp=1']));
  t.is(line, '--set controller.kp=1: unknown field controller.kp for controller basal-bolus; allowed: type, targetMgDl, correctAboveMgDl, suspendBelowMgDl');
});
