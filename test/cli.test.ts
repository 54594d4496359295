/** The dosegym command line as users and scripts see it: help, version, envs, exit codes, errors. */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/dosegym', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

test('--help lists every command', (t) => {
  const r = run('--help');
  t.is(r.status, 0);
  for (const command of ['envs', 'simulate <config>', 'run <config>', 'train <config>', 'evaluate <target>', 'report <dir>', 'validate <config>']) {
    t.true(r.stdout.includes(`dosegym ${command}`), command);
  }
});

test('--version prints the package version', (t) => {
  const r = run('--version');
  t.is(r.status, 0);
  t.regex(r.stdout.trim(), /^\d+\.\d+\.\d+$/);
});

test('envs --json describes every environment with spaces, step duration and units', (t) => {
  const r = run('envs', '--json');
  t.is(r.status, 0);
  const envs = JSON.parse(r.stdout) as { id: string; actionSpace: string; observationSpace: string; stepDuration: { value: number; unit: string }; actionUnits: string }[];
  const t1d = envs.find((e) => e.id === 'T1D-v0');
  t.truthy(t1d);
  t.deepEqual(t1d?.stepDuration, { value: 3, unit: 'minute' });
  t.regex(t1d?.actionUnits ?? '', /U\/h/);
  t.deepEqual(envs.find((e) => e.id === 'Chemo-DePillis-v0')?.stepDuration, { value: 0.25, unit: 'day' });
  for (const e of envs) t.true(e.actionSpace.length > 0 && e.observationSpace.length > 0, e.id);
});

test('an unknown command is a usage error (exit 2) on one line, without a stack trace', (t) => {
  const r = run('frobnicate');
  t.is(r.status, 2);
  t.is(r.stderr.trim().split('\n').length, 1);
  t.regex(r.stderr, /^dosegym: /);
  t.false(r.stderr.includes('    at '));
});

test('a missing config file is exit 1 naming the file', (t) => {
  const r = run('simulate', '/nonexistent/config.yaml');
  t.is(r.status, 1);
  t.is(r.stderr.trim(), 'dosegym: config file not found: /nonexistent/config.yaml');
});

test('a bad --backend is a usage error naming the allowed backends', (t) => {
  const r = run('run', 'experiments/quickstart.yaml', '--backend', 'tpu');
  t.is(r.status, 2);
  t.regex(r.stderr, /--backend: expected one of auto, wasm, cpu, node, node-gpu, got tpu/);
});

test('--debug adds the stack trace to a user error', (t) => {
  const r = run('simulate', '/nonexistent/config.yaml', '--debug');
  t.is(r.status, 1);
  t.true(r.stderr.includes('    at '));
});

test('every example file the command-line help names exists', (t) => {
  const source = readFileSync(new URL('../src/cli.ts', import.meta.url), 'utf8');
  const named = [...source.matchAll(/experiments\/[\w.-]+\.ya?ml/g)].map((m) => m[0]);
  t.true(named.length > 0);
  for (const file of named) t.true(existsSync(new URL(`../${file}`, import.meta.url)), file);
});
