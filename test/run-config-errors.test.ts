/**
 * Bad experiment configs: each must exit 1 with ONE line on stderr naming the field path and what
 * is allowed, no stack trace, and no run directory created. The table goes through the CLI's
 * `main()` in this process (the same code bin/dosegym runs, without a ~2 s process start per
 * case); a few cases and `dosegym validate` go through the real `node bin/dosegym`.
 */
import test from 'ava';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../src/cli.ts';
import { CHEMO_BASELINES, ROOT, runCli, tempDir, writeConfig, type CliResult } from './fixtures/experiments/helpers.ts';

const dir = tempDir('dosegym-config-errors-');
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

/** Run the CLI's main() in this process, capturing what it writes. */
async function inProcess(args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += chunk.toString()), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += chunk.toString()), true)) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, signal: null, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

const chemo = () => structuredClone(CHEMO_BASELINES) as Record<string, unknown>;
const t1dPpo = () => ({
  name: 't1d-ppo',
  env: { id: 'T1D-v0', options: { patient: 'adolescent#001' } },
  train: { algo: 'ppo', steps: 100 },
  evaluate: { episodes: 2, methods: ['ppo', 'basal-bolus'] },
});

/** [label, config, the stderr line after 'dosegym: ' must match this] */
const CASES: [string, unknown, RegExp][] = [
  ['negative train.steps', { ...t1dPpo(), train: { algo: 'ppo', steps: -5 } }, /^\S+: train\.steps: expected a positive integer, got -5$/],
  ['fractional train.steps', { ...t1dPpo(), train: { algo: 'ppo', steps: 1.5 } }, /train\.steps: expected a positive integer, got 1\.5$/],
  ['unknown top-level field', { ...chemo(), trian: {} }, /: trian: unknown field; allowed: name, description, env, train, evaluate, safety$/],
  ['unknown train field', { ...t1dPpo(), train: { algo: 'ppo', step: 5 } }, /: train\.step: unknown field; allowed: algo, steps, seeds, hyperparameters, costLimit, init, perPatient, checkpointEvery$/],
  ['unknown evaluate field', { ...chemo(), evaluate: { episode: 2 } }, /: evaluate\.episode: unknown field; allowed: episodes, seed, methods, trajectories, bootstrap, shield$/],
  ['unknown env id', { ...chemo(), env: { id: 'Chemo-Nope-v0' } }, /^env\.id: unknown environment 'Chemo-Nope-v0'; registered: .*Chemo-DePillis-v0.*T1D-v0/],
  ['unknown env option', { ...chemo(), env: { id: 'Chemo-DePillis-v0', options: { settin: 3 } } }, /^env\.options: Chemo-DePillis-v0: unknown option 'settin'; allowed: .*\bsetting\b/],
  ['bad env option value', { ...chemo(), env: { id: 'T1D-v0', options: { patient: 'adult#099' } } }, /^env\.options: T1D-v0: patient: unknown patient or cohort; allowed: .*adolescents.*got "adult#099"$/],
  ['unknown baseline', { ...chemo(), evaluate: { methods: ['mtd', 'nonsense'] } }, /^evaluate\.methods\[1\]: unknown chemotherapy baseline 'nonsense'; allowed: mtd, mtd-cycles, metronomic, none, constant, pulsed/],
  ['unknown baseline parameter', { ...chemo(), evaluate: { methods: [{ type: 'metronomic', doze: 0.3 }] } }, /^evaluate\.methods\[0\]\.doze: unknown parameter; allowed: dose$/],
  ['bad baseline parameter', { ...chemo(), evaluate: { methods: [{ type: 'metronomic', dose: 'x' }] } }, /^evaluate\.methods\[0\]\.dose: expected a number, got "x"$/],
  ['out-of-range T1D baseline parameter', { ...t1dPpo(), evaluate: { methods: [{ type: 'constant', unitsPerHour: -1 }] } }, /^evaluate\.methods\[0\]\.unitsPerHour: expected a number >= 0, got -1$/],
  ['non-numeric PID parameter', { ...t1dPpo(), evaluate: { methods: ['ppo', { type: 'pid', targetMgDl: 'high' }] } }, /^evaluate\.methods\[1\]\.targetMgDl: expected a glucose > 0 mg\/dL, got "high"$/],
  ['out-of-range chemotherapy dose', { ...chemo(), evaluate: { methods: [{ type: 'metronomic', dose: 5 }] } }, /^evaluate\.methods\[0\]: metronomic: dose must be a number in \[0, 1\], got 5$/],
  ['dqn on a continuous env', { ...t1dPpo(), train: { algo: 'dqn', steps: 100 }, evaluate: { methods: ['dqn'] } }, /^train\.algo: dqn needs a discrete action space, but T1D-v0 .* has Box\(/],
  ['reward expression with an unknown name', { ...t1dPpo(), env: { id: 'T1D-v0', reward: '-riskk' } }, /^env\.reward: unknown name 'riskk'; allowed: .*\binsulin\b.*\brisk\b/],
  ['reward expression with a forbidden function', { ...t1dPpo(), env: { id: 'T1D-v0', reward: 'cos(risk)' } }, /^env\.reward: function 'cos' is not allowed; allowed: abs, /],
  ['reward expression with an assignment', { ...t1dPpo(), env: { id: 'T1D-v0', reward: 'risk = 1' } }, /^env\.reward: 'risk = 1' \(AssignmentNode\) is not allowed/],
  ['trained method not matching train.algo', { ...t1dPpo(), evaluate: { methods: ['dqn', 'pid'] } }, /^evaluate\.methods\[0\]: 'dqn' is not trained by this config \(train\.algo: ppo\); allowed: ppo, basal-bolus, pid/],
  ['trained method with train.algo none', { ...chemo(), evaluate: { methods: ['ppo'] } }, /^evaluate\.methods\[0\]: 'ppo' is not trained by this config \(train\.algo: none\)/],
  ['duplicate method names', { ...chemo(), evaluate: { methods: ['mtd', { type: 'none', name: 'mtd' }] } }, /^evaluate\.methods\[1\]: method name 'mtd' appears twice/],
  ['bad hyperparameter', { ...t1dPpo(), train: { algo: 'ppo', hyperparameters: { learningRate: -1 } } }, /^train\.hyperparameters\.learningRate: expected a positive number, got -1$/],
  ['unknown hyperparameter', { ...t1dPpo(), train: { algo: 'ppo', hyperparameters: { learningrate: 0.1 } } }, /^train\.hyperparameters\.learningrate: unknown field; allowed: learningRate, /],
  ['unknown algorithm', { ...t1dPpo(), train: { algo: 'a2c' } }, /: train\.algo: expected one of ppo, dqn, ppo-lagrangian, sac, none, got "a2c"$/],
  ['negative seed', { ...t1dPpo(), train: { algo: 'ppo', seeds: [1, -2] } }, /: train\.seeds\[1\]: expected a non-negative integer, got -2$/],
  ['bad name', { ...chemo(), name: 'a b' }, /: name: expected a single folder name of letters, digits, - _ \. \(not \. or \.\., at most 100 characters\), got "a b"$/],
  // A name is one folder under results/: never '.', '..' or a path (these wrote outside results/<name>/).
  ['name ..', { ...chemo(), name: '..' }, /: name: expected a single folder name .*, got "\.\."$/],
  ['name .', { ...chemo(), name: '.' }, /: name: expected a single folder name .*, got "\."$/],
  ['name with a slash', { ...chemo(), name: 'a/b' }, /: name: expected a single folder name .*, got "a\/b"$/],
  ['name ../x', { ...chemo(), name: '../x' }, /: name: expected a single folder name .*, got "\.\.\/x"$/],
  ['absolute name', { ...chemo(), name: '/tmp/x' }, /: name: expected a single folder name .*, got "\/tmp\/x"$/],
  ['name with a backslash', { ...chemo(), name: '..\\x' }, /: name: expected a single folder name .*, got "\.\.\\\\x"$/],
  ['empty name', { ...chemo(), name: '' }, /: name: expected a single folder name .*, got ""$/],
  ['name of 101 characters', { ...chemo(), name: 'x'.repeat(101) }, /: name: expected a single folder name .*, got "x{56}\.\.\.$/],
  // Repeats that would count the same episodes twice.
  ['repeated seed', { ...t1dPpo(), train: { algo: 'ppo', steps: 100, seeds: [1, 1] } }, /: train\.seeds\[1\]: repeats train\.seeds\[0\]; the same seed trains the same policy and would count its episodes twice: give distinct seeds, got 1$/],
  ['repeated patient', { ...t1dPpo(), env: { id: 'T1D-v0', options: { patient: ['adult#001', 'adult#002', 'adult#001'] } } }, /: env\.options\.patient\[2\]: repeats env\.options\.patient\[0\]; the same patient would run the same episodes twice: list each patient once, got "adult#001"$/],
  ['methods writing the same files (case)', { ...chemo(), evaluate: { methods: ['mtd', { type: 'none', name: 'MTD' }] } }, /^evaluate\.methods: 'mtd' and 'MTD' would write the same result file \(evaluation\/MTD\.json\); give one of them another name$/],
  ['methods writing the same files (file-safe names)', { ...chemo(), evaluate: { methods: [{ type: 'mtd', name: 'a+b' }, { type: 'none', name: 'a_b' }] } }, /^evaluate\.methods: 'a\+b' and 'a_b' would write the same result file \(evaluation\/a_b\.json\)/],
  ['a baseline named like a trained seed', { ...t1dPpo(), evaluate: { methods: ['ppo', { type: 'pid', name: 'ppo-seed-1' }] } }, /^evaluate\.methods: 'ppo' and 'ppo-seed-1' would write the same result file \(evaluation\/ppo-seed-1\.json\)/],
  ['a shielded variant named by the user', { ...chemo(), safety: { shield: {} }, evaluate: { methods: ['mtd', { type: 'none', name: 'mtd+shield' }] } }, /^evaluate\.methods: method name 'mtd\+shield' appears twice \(with a shield, every method also runs as '<name>\+shield'\); give one a different name$/],
  // The reward expression: a length limit instead of a stack overflow.
  ['a 20,000-term reward expression', { ...t1dPpo(), env: { id: 'T1D-v0', reward: Array.from({ length: 20000 }, () => 'risk').join(' + ') } }, /^env\.reward: the expression is 139997 characters long; at most 1000 are allowed$/],
  ['a deeply nested reward expression', { ...t1dPpo(), env: { id: 'T1D-v0', reward: `${'('.repeat(450)}risk${')'.repeat(450)}` } }, /^env\.reward: expression '\({20}.*' is nested too deeply to evaluate; simplify it$|^env\.reward: cannot parse expression/],
  // Non-finite numbers show as themselves, not as JSON's null.
  ['NaN steps', { ...t1dPpo(), train: { algo: 'ppo', steps: Number.NaN } }, /: train\.steps: expected a positive integer, got NaN$/],
  ['infinite steps', { ...t1dPpo(), train: { algo: 'ppo', steps: Number.POSITIVE_INFINITY } }, /: train\.steps: expected a positive integer, got Infinity$/],
  ['-Infinity learning rate', { ...t1dPpo(), train: { algo: 'ppo', hyperparameters: { learningRate: Number.NEGATIVE_INFINITY } } }, /^train\.hyperparameters\.learningRate: expected a positive number, got -Infinity$/],
  ['missing env', { name: 'x' }, /: env: expected \{ id, options\?, reward\? \}, got nothing$/],
];

function assertOneLineError(t: import('ava').ExecutionContext, r: CliResult, pattern: RegExp, out: string): void {
  t.is(r.code, 1, r.stderr);
  t.is(r.stdout, '');
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  t.is(lines.length, 1, `stderr should be one line:\n${r.stderr}`);
  const line = lines[0] ?? '';
  t.true(line.startsWith('dosegym: '), line);
  t.false(/\bat .*:\d+:\d+/.test(r.stderr), 'no stack trace');
  t.regex(line.slice('dosegym: '.length), pattern);
  t.false(existsSync(out), 'no run directory is created');
}

CASES.forEach(([label, config, pattern], i) => {
  // serial: main() writes to this process's stdout/stderr, captured one case at a time
  test.serial(`run: ${label}`, async (t) => {
    const file = writeConfig(dir, `bad-${i}.yaml`, config);
    const out = join(dir, `out-${i}`);
    assertOneLineError(t, await inProcess(['run', file, '--out', out]), pattern, out);
  });
});

test('node bin/dosegym run: bad configs exit 1 with one line, no stack, no run directory', async (t) => {
  // The real binary, on three cases that fail in different layers (schema, env registry, the
  // reward expression's parser, which is loaded on demand).
  const picks = ['negative train.steps', 'unknown env id', 'reward expression with an unknown name'].map((label) => CASES.find((c) => c[0] === label) as [string, unknown, RegExp]);
  await Promise.all(
    picks.map(async ([, config, pattern], j) => {
      const file = writeConfig(dir, `bin-bad-${j}.yaml`, config);
      const out = join(dir, `bin-out-${j}`);
      assertOneLineError(t, await runCli(['run', file, '--out', out]), pattern, out);
    }),
  );
});

test.serial('run: a YAML syntax error names the file', async (t) => {
  const file = join(dir, 'broken.yaml');
  writeFileSync(file, 'name: x\nenv: { id: T1D-v0\n');
  const out = join(dir, 'out-broken');
  assertOneLineError(t, await inProcess(['run', file, '--out', out]), /broken\.yaml: cannot parse YAML: /, out);
});

test.serial('run: a bad --jobs value creates no run directory', async (t) => {
  const file = writeConfig(dir, 'good-jobs.yaml', chemo());
  const out = join(dir, 'out-jobs');
  assertOneLineError(t, await inProcess(['run', file, '--out', out, '--jobs', '0']), /^--jobs: expected a positive integer, got 0$/, out);
});

test.serial('validate: every config shipped in experiments/ is valid', async (t) => {
  const shipped = readdirSync(join(ROOT, 'experiments')).filter((f) => /\.(ya?ml|json)$/.test(f));
  t.true(shipped.includes('quickstart.yaml'), shipped.join(', '));
  for (const file of shipped) {
    const r = await inProcess(['validate', join(ROOT, 'experiments', file)]);
    t.is(r.code, 0, `${file}: ${r.stderr}`);
    // simulate-*.yaml are dosegym simulate configs, which validate simulates in memory.
    t.true(r.stdout.startsWith(`${join(ROOT, 'experiments', file)}: ok${file.startsWith('simulate-') ? ' (a dosegym simulate config)' : ''}\n`), r.stdout);
  }
});

test('validate: a good config prints ok and a summary, exit 0', async (t) => {
  const file = writeConfig(dir, 'good.json', chemo());
  const r = await runCli(['validate', file]);
  t.is(r.code, 0, r.stderr);
  t.is(r.stderr, '');
  t.regex(r.stdout, /good\.json: ok\n {2}env Chemo-DePillis-v0; train none; evaluate mtd, none \(2 episodes, seed 1000\)\n$/);
});

test('validate: a bad config fails with one line, exit 1', async (t) => {
  const file = writeConfig(dir, 'bad-validate.yaml', { ...chemo(), evaluate: { methods: ['mtd', 'mtd'] } });
  const r = await runCli(['validate', file]);
  t.is(r.code, 1);
  t.is(r.stdout, '');
  t.is(r.stderr, "dosegym: evaluate.methods[1]: method name 'mtd' appears twice; give one a different name\n");
});

test.serial('run: an unknown --backend is a usage error (exit 2) before anything is written', async (t) => {
  const file = writeConfig(dir, 'good-backend.yaml', chemo());
  const out = join(dir, 'out-backend');
  const r = await inProcess(['run', file, '--out', out, '--backend', 'gpu']);
  t.is(r.code, 2);
  t.is(r.stderr, 'dosegym: --backend: expected one of auto, wasm, cpu, node, node-gpu, got gpu\n');
  t.false(existsSync(out));
});

test.serial('train: a baselines-only config has nothing to train', async (t) => {
  const file = writeConfig(dir, 'train-none.yaml', chemo());
  const out = join(dir, 'out-train-none');
  assertOneLineError(t, await inProcess(['train', file, '--out', out]), /^train\.algo: none trains nothing; /, out);
});

test.serial('validate: a missing file', async (t) => {
  const r = await inProcess(['validate', join(dir, 'nope.yaml')]);
  t.is(r.code, 1);
  t.is(r.stderr, `dosegym: config file not found: ${join(dir, 'nope.yaml')}\n`);
});
