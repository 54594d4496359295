/**
 * DoseGym as an installed package (README "Use as a library"): the tarball `npm pack` makes (its
 * `prepack` builds dist/), installed with npm into a fresh project outside the checkout, runs on
 * plain Node with no TypeScript loader. From that project: the public API steps T1D-v0 exactly as
 * the sources do, PPO trains exactly as it does from the sources (TensorFlow.js's gradients load
 * without tsx), a saved policy loads and acts, AsyncVectorEnv's worker threads start from dist/,
 * `npx dosegym --help` prints the usage and `npx dosegym run --jobs 2` (worker processes, the report
 * with its inlined libraries) completes, and the type declarations compile in a TypeScript consumer.
 *
 * The install resolves the dependencies from npm's cache (`--prefer-offline`: after `npm ci` every
 * tarball is there) and the registry. DOSEGYM_TEST_NODE=/path/to/node runs the consumer's
 * processes with another Node (README Development: how Node 22 is tested).
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { make, runEpisode, SyncVectorEnv } from '../src/index.ts';
import { loadPolicy, trainPpo } from '../src/agents.ts';

const exec = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
const testNode = process.env['DOSEGYM_TEST_NODE'];
const node = testNode ?? process.execPath;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const TEN_MINUTES = 10 * 60_000;

/** The consumer's environment: no loader from ava's NODE_OPTIONS, none of the outer npm's project settings. */
function consumerEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
  for (const key of ['npm_config_local_prefix', 'npm_config_call', 'npm_config_json', 'npm_config_global']) delete env[key];
  if (testNode !== undefined) env['PATH'] = `${dirname(testNode)}${delimiter}${env['PATH'] ?? ''}`;
  return env;
}

interface Installed {
  project: string;
  files: string[];
}

let installed: Promise<Installed> | undefined;

/** Pack the checkout and install the tarball into a new project (once for every test of this file). */
function install(): Promise<Installed> {
  installed ??= (async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'dosegym-library-'));
    const packed = await exec(npm, ['pack', '--json', '--pack-destination', tmp], { cwd: ROOT, env: consumerEnv(), maxBuffer: 64 << 20 });
    const [pack] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    if (pack === undefined) throw new Error(`npm pack printed no package: ${packed.stdout}`);
    const project = join(tmp, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'dosegym-consumer', private: true, type: 'module' }));
    await exec(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', join(tmp, pack.filename)], { cwd: project, env: consumerEnv(), maxBuffer: 64 << 20 });
    return { project, files: pack.files.map((f) => f.path) };
  })();
  return installed;
}

test.after.always(async () => {
  if (installed === undefined) return;
  const { project } = await installed.catch(() => ({ project: undefined }));
  if (project !== undefined) rmSync(dirname(project), { recursive: true, force: true });
});

/** Run an ES module script in the consumer project with plain Node; its stdout parsed as JSON. */
async function runScript(name: string, source: string): Promise<unknown> {
  const { project } = await install();
  writeFileSync(join(project, name), source);
  const { stdout } = await exec(node, [name], { cwd: project, env: consumerEnv(), maxBuffer: 64 << 20 });
  return JSON.parse(stdout);
}

test.serial('the tarball holds the build, the data files and the CLI, and no tests, fixtures, docs, bench or TypeScript sources', async (t) => {
  t.timeout(TEN_MINUTES);
  const { files } = await install();
  for (const f of ['package.json', 'README.md', 'LICENSE', 'bin/dosegym', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/agents.js', 'dist/src/cli.js', 'dist/src/core/async-vector-worker.js', 'dist/src/run/worker.js', 'envs/glucose/data/vpatient_params.csv', 'envs/glucose/data/Quest.csv', 'envs/glucose/data/sensor_params.csv', 'envs/glucose/data/pump_params.csv', 'experiments/quickstart.yaml']) {
    t.true(files.includes(f), f);
  }
  const unwanted = files.filter((f) => /^(test|bench|docs|results|scripts|\.ci)\//.test(f) || (/\.ts$/.test(f) && !f.endsWith('.d.ts')) || f.endsWith('.tsbuildinfo'));
  t.deepEqual(unwanted, []);
});

test.serial("import { make } from 'dosegym' steps T1D-v0 on plain Node exactly as the sources do", async (t) => {
  t.timeout(TEN_MINUTES);
  const script = `
import { make, listEnvs, VERSION } from 'dosegym';
const env = make('T1D-v0', { patient: 'adult#001' });
const { observation } = env.reset({ seed: 7 });
const steps = [];
for (let k = 0; k < 40; k++) {
  const { reward, info } = env.step(Float32Array.of(k % 2 === 0 ? 0.5 : 2));
  steps.push([reward, info.bg, info.cgm]);
}
console.log(JSON.stringify({ version: VERSION, envs: listEnvs(), observation: [...observation], steps }));
`;
  const got = (await runScript('step.mjs', script)) as { version: string; envs: string[]; observation: number[]; steps: number[][] };
  const env = make('T1D-v0', { patient: 'adult#001' });
  const { observation } = env.reset({ seed: 7 });
  const steps: number[][] = [];
  for (let k = 0; k < 40; k++) {
    const { reward, info } = env.step(Float32Array.of(k % 2 === 0 ? 0.5 : 2));
    steps.push([reward, info['bg'] as number, info['cgm'] as number]);
  }
  t.is(got.version, (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  t.true(['T1D-v0', 'Chemo-DePillis-v0', 'Chemo-Zhao2009-v0', 'CartPole-v1', 'Pendulum-v1'].every((id) => got.envs.includes(id)));
  t.deepEqual(got.observation, [...(observation as Float32Array)]);
  t.deepEqual(got.steps, steps);
});

const PPO_OPTIONS = { totalSteps: 256, seed: 3, backend: 'wasm', hyperparameters: { nSteps: 64, numEnvs: 2, batchSize: 32, nEpochs: 2 } } as const;

test.serial('PPO trains on plain Node from dist/ exactly as from the sources, and the saved policy loads and acts', async (t) => {
  t.timeout(TEN_MINUTES);
  const script = `
import { algorithm, make, runEpisode } from 'dosegym';
import { loadPolicy, savePolicy } from 'dosegym/agents';
const options = ${JSON.stringify(PPO_OPTIONS)};
const policy = await algorithm('ppo').train(() => make('CartPole-v1'), options);
const loaded = loadPolicy(savePolicy('policy', policy));
const episode = runEpisode(make('CartPole-v1'), loaded, 11);
console.log(JSON.stringify({ weights: [...policy.params.data], loadedWeights: [...loaded.params.data], episode: [episode.return, episode.length] }));
`;
  const got = (await runScript('train.mjs', script)) as { weights: number[]; loadedWeights: number[]; episode: number[] };
  const reference = await trainPpo(() => make('CartPole-v1'), { ...PPO_OPTIONS, hyperparameters: { ...PPO_OPTIONS.hyperparameters } });
  t.deepEqual(got.weights, [...reference.params.data]);
  t.deepEqual(got.loadedWeights, got.weights);
  // The checkpoint the consumer wrote, read back here, plays the same episode.
  const { project } = await install();
  const episode = runEpisode(make('CartPole-v1'), loadPolicy(join(project, 'policy')), 11);
  t.deepEqual(got.episode, [episode.return, episode.length]);
});

test.serial('AsyncVectorEnv starts its worker threads from dist/ and steps as SyncVectorEnv', async (t) => {
  t.timeout(TEN_MINUTES);
  const patients = ['adult#001', 'adolescent#002', 'child#003', 'adult#004'];
  const script = `
import { AsyncVectorEnv } from 'dosegym';
const options = ${JSON.stringify(patients)}.map((patient) => ({ patient, actionMaxUnitsPerHour: 10 }));
const envs = await AsyncVectorEnv.create({ id: 'T1D-v0', options, threads: 2 });
envs.reset({ seed: 5 });
const rewards = [];
for (let k = 0; k < 10; k++) rewards.push([...envs.step(options.map(() => Float32Array.of(1.5))).rewards]);
envs.close();
console.log(JSON.stringify(rewards));
`;
  const got = (await runScript('vector.mjs', script)) as number[][];
  const envs = new SyncVectorEnv(patients.map((patient) => () => make('T1D-v0', { patient, actionMaxUnitsPerHour: 10 })));
  envs.reset({ seed: 5 });
  const rewards: number[][] = [];
  for (let k = 0; k < 10; k++) rewards.push([...envs.step(patients.map(() => Float32Array.of(1.5))).rewards]);
  t.deepEqual(got, rewards);
});

test.serial('npx dosegym --help prints the usage, and npx dosegym run --jobs 2 writes a complete run with its report', async (t) => {
  t.timeout(TEN_MINUTES);
  const { project } = await install();
  const help = await exec(npx, ['dosegym', '--help'], { cwd: project, env: consumerEnv() });
  t.regex(help.stdout, /^dosegym <command> \[options\]/);
  t.true(help.stdout.includes('dosegym run <config>'));
  writeFileSync(
    join(project, 'tiny.yaml'),
    [
      'name: tiny',
      'env: { id: CartPole-v1 }',
      'train: { algo: ppo, steps: 128, seeds: [1, 2], hyperparameters: { nSteps: 64, batchSize: 32, nEpochs: 1 } }',
      'evaluate: { episodes: 2, methods: [ppo, random], bootstrap: 50 }',
    ].join('\n'),
  );
  await exec(npx, ['dosegym', 'run', 'tiny.yaml', '--out', 'out', '--jobs', '2', '--backend', 'wasm', '--quiet'], { cwd: project, env: consumerEnv(), maxBuffer: 64 << 20 });
  const manifest = JSON.parse(readFileSync(join(project, 'out', 'manifest.json'), 'utf8')) as { status: string; dosegymVersion: string; gitCommit: string | null };
  t.is(manifest.status, 'complete');
  t.is(manifest.gitCommit, null); // an installed package is no git checkout
  t.true(existsSync(join(project, 'out', 'policies', '2', 'weights.bin')));
  t.true(readFileSync(join(project, 'out', 'report.html'), 'utf8').includes('data-lib="vega-lite"'));
});

test.serial('the type declarations compile in a TypeScript consumer (NodeNext resolution, the exports map)', async (t) => {
  t.timeout(TEN_MINUTES);
  const { project } = await install();
  writeFileSync(
    join(project, 'consumer.ts'),
    `import { make, algorithm, runEpisode, Box, type Env, type EpisodeLog } from 'dosegym';
import { loadPolicy, type TrainedPolicy } from 'dosegym/agents';
const env: Env = make('T1D-v0', { patient: 'adult#001' });
export const size: number = (env.actionSpace as Box).size;
export const training: Promise<TrainedPolicy> = algorithm('ppo').train(() => make('CartPole-v1'), { totalSteps: 64, seed: 1 });
export const replay = (dir: string): EpisodeLog => runEpisode(env, loadPolicy(dir), 1);
// @ts-expect-error: make takes an env id (a string); fails the compile if the declarations were not found (any).
make(42);
`,
  );
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  // skipLibCheck: TensorFlow.js's own declarations use an undeclared `Long` (README: TypeScript).
  const args = ['--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--typeRoots', join(ROOT, 'node_modules', '@types'), '--types', 'node', 'consumer.ts'];
  const result = await exec(process.execPath, [tsc, ...args], { cwd: project, env: consumerEnv() }).then(
    () => '',
    (err: { stdout?: string }) => err.stdout ?? String(err),
  );
  t.is(result, '');
});
