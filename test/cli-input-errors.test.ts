/**
 * Inputs that used to end in "internal error" (or worse): each is now one line on stderr naming
 * the file or field, exit 1, and no file touched. Plus the inputs that used to be rejected wrongly
 * (a UTF-8 byte-order mark).
 */
import test from 'ava';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import '../envs/index.ts';
import { UserError } from '../src/core/errors.ts';
import { printable, show } from '../src/core/validate.ts';
import { compileRewardExpression, MAX_REWARD_EXPRESSION_LENGTH } from '../src/config/reward-expression.ts';
import { fsErrorMessage, makeDirs } from '../src/io/fs.ts';
import { readManifest } from '../src/run/manifest.ts';
import { CHEMO_BASELINES, T1D_BASELINES, runCli, snapshot, tempDir, writeConfig } from './fixtures/experiments/helpers.ts';
import { oneLine, runMain } from './fixtures/experiments/in-process.ts';

const dir = tempDir('dosegym-input-errors-');
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

/** Assert `args` fail with one line matching `pattern` and leave `dir` exactly as it was. */
async function fails(t: import('ava').ExecutionContext, args: string[], pattern: RegExp): Promise<string> {
  const before = snapshot(dir);
  const r = await runMain(args);
  const line = oneLine(t, r);
  t.regex(line, pattern);
  t.is(r.stdout, '');
  t.deepEqual(snapshot(dir), before, 'no file touched');
  return line;
}

test.serial('a config that is a directory (EISDIR)', async (t) => {
  const configDir = join(dir, 'config.yaml');
  mkdirSync(configDir);
  for (const command of ['run', 'validate', 'simulate']) {
    await fails(t, [command, configDir, ...(command === 'run' ? ['--out', join(dir, 'out')] : [])], new RegExp(`^${configDir}: is a directory; give a config file \\(\\.yaml, \\.yml or \\.json\\)$`));
  }
});

test.serial('a config that is a device, or too large', async (t) => {
  if (existsSync('/dev/zero')) await fails(t, ['validate', '/dev/zero'], /^\/dev\/zero: is not a regular file; give a config file/);
  const big = join(dir, 'big.yaml');
  writeFileSync(big, `# ${'x'.repeat(1024 * 1024)}\n`);
  await fails(t, ['validate', big], /big\.yaml: 1048579 bytes is too large for a config file \(at most 1048576\)$/);
});

test.serial('a binary config is never echoed to the terminal', async (t) => {
  const file = join(dir, 'binary.yaml');
  // An ELF-like header: NUL, DEL and C1 bytes, and a terminal escape sequence.
  writeFileSync(file, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x1b, 0x5b, 0x32, 0x4a, 0x9b, 0x80, 0xff]));
  const line = await fails(t, ['validate', file], new RegExp(`^${file}: not a text file \\(byte 0 is 0x7f\\); give a YAML or JSON config$`));
  t.false(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/.test(line));
  // Text with an escape sequence in a value: the message escapes it.
  const sneaky = join(dir, 'sneaky.json');
  writeFileSync(sneaky, JSON.stringify({ ...CHEMO_BASELINES, name: 'x\u001b[2Jy\u202e' }));
  const r = await runMain(['validate', sneaky]);
  t.is(r.code, 1);
  t.false(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]/.test(r.stderr), JSON.stringify(r.stderr));
  t.true(r.stderr.includes('x\\u001b[2Jy\\u202e'), r.stderr);
  // Invalid UTF-8 without control bytes
  const latin1 = join(dir, 'latin1.yaml');
  writeFileSync(latin1, Buffer.from('name: caf\xe9\n', 'latin1'));
  await fails(t, ['validate', latin1], /latin1\.yaml: not a text file \(it is not valid UTF-8\); give a YAML or JSON config$/);
});

test.serial('JSON and YAML configs with a UTF-8 byte-order mark are accepted', async (t) => {
  const json = join(dir, 'bom.json');
  writeFileSync(json, `\uFEFF${JSON.stringify(CHEMO_BASELINES)}`);
  const yaml = join(dir, 'bom.yaml');
  writeFileSync(yaml, `\uFEFF${YAML.stringify(CHEMO_BASELINES)}`);
  for (const file of [json, yaml]) {
    const r = await runMain(['validate', file]);
    t.is(r.code, 0, r.stderr);
    t.regex(r.stdout, /: ok\n/);
  }
});

test.serial('NaN and Infinity show as themselves, not "got null"', async (t) => {
  const file = join(dir, 'nan.yaml');
  writeFileSync(file, YAML.stringify({ ...CHEMO_BASELINES, evaluate: { ...CHEMO_BASELINES.evaluate, episodes: Number.NaN } }));
  await fails(t, ['validate', file], /: evaluate\.episodes: expected a positive integer, got NaN$/);
  writeFileSync(file, YAML.stringify({ ...CHEMO_BASELINES, evaluate: { ...CHEMO_BASELINES.evaluate, bootstrap: Number.NEGATIVE_INFINITY } }));
  await fails(t, ['validate', file], /: evaluate\.bootstrap: expected a positive integer, got -Infinity$/);
  t.is(show([1, Number.NaN, { a: Number.POSITIVE_INFINITY }]), '[1,NaN,{"a":Infinity}]');
  t.is(show('a\u0000b\u007f'), '"a\\u0000b\\x7f"');
  t.is(printable('ok é 漢字 \u202e\u0085'), 'ok é 漢字 \\u202e\\x85');
});

test.serial('a reward expression that is not finite at run time names the expression, the step and the values', async (t) => {
  const config = writeConfig(dir, 'log-reward.yaml', { ...T1D_BASELINES, name: 'log-reward', env: { ...T1D_BASELINES.env, reward: 'log(reward)' } });
  const out = join(dir, 'log-reward-run');
  const r = await runMain(['run', config, '--out', out, '--quiet']);
  const line = oneLine(t, r);
  t.regex(line, /^env\.reward: expression 'log\(reward\)' gave the complex number -?[\d.]+ \+ 3\.14159i, not a finite real number, at step 1 of the episode with seed \d+ \(reward=-[\d.e-]+\); rewrite it so that it is finite for every reachable value \(e\.g\. log\(max\(x, 1e-9\)\)\)$/);
  // What a failed run leaves: its directory, marked incomplete (nothing else of the user's touched).
  t.is(readManifest(join(out, 'manifest.json')).status, 'incomplete');
  rmSync(out, { recursive: true });
  const e = t.throws(() => compileRewardExpression('sqrt(risk) + 1/cost', ['risk', 'cost']).evaluate({ risk: 4, cost: 0 }, 'at step 7 of an episode'), { instanceOf: UserError });
  t.is(e?.message, "env.reward: expression 'sqrt(risk) + 1/cost' gave Infinity, not a finite real number, at step 7 of an episode (cost=0, risk=4); rewrite it so that it is finite for every reachable value (e.g. log(max(x, 1e-9)))");
});

test('reward expressions: a length limit instead of a stack overflow', (t) => {
  const long = Array.from({ length: 20000 }, () => 'risk').join(' + ');
  t.throws(() => compileRewardExpression(long, ['risk']), { instanceOf: UserError, message: `env.reward: the expression is ${long.length} characters long; at most ${MAX_REWARD_EXPRESSION_LENGTH} are allowed` });
  // Every shape at the limit works or is a user error (never a RangeError).
  const shapes = [
    (n: number) => '-'.repeat(n) + 'risk',
    (n: number) => '('.repeat(n / 2) + 'risk' + ')'.repeat(n / 2),
    (n: number) => 'abs('.repeat(n / 5) + 'risk' + ')'.repeat(n / 5),
    (n: number) => Array.from({ length: n / 5 }, () => 'risk').join('^'),
    (n: number) => Array.from({ length: n / 5 }, () => 'risk').join('+'),
  ];
  for (const shape of shapes) {
    const source = shape(MAX_REWARD_EXPRESSION_LENGTH - 10);
    try {
      const value = compileRewardExpression(source, ['risk']).evaluate({ risk: 0.5 });
      t.true(Number.isFinite(value));
    } catch (err) {
      t.true(err instanceof UserError, `${source.slice(0, 20)}: ${(err as Error).message}`);
    }
  }
});

test('file-system refusals are one-line messages naming the path; makeDirs never loops', (t) => {
  t.is(fsErrorMessage(Object.assign(new Error('x'), { code: 'EACCES', syscall: 'open', path: '/x/y.csv' })), 'cannot open /x/y.csv: permission denied (EACCES)');
  t.is(fsErrorMessage(Object.assign(new Error('x'), { code: 'ENOSPC', syscall: 'write' })), 'cannot write: no space left on the device (ENOSPC)');
  t.is(fsErrorMessage(new Error('not fs')), undefined);
  if (existsSync('/proc/self')) {
    const start = Date.now();
    t.throws(() => makeDirs('/proc/dosegym-test/a'), { code: 'ENOENT' });
    t.true(Date.now() - start < 1000);
  }
  const file = join(dir, 'plain-file');
  writeFileSync(file, '');
  t.throws(() => makeDirs(join(file, 'a', 'b')), { code: 'ENOTDIR' });
});

test('the real binary: a directory as config is one line, exit 1', async (t) => {
  const r = await runCli(['run', dir, '--out', join(dir, 'never')]);
  t.is(r.code, 1);
  t.is(r.stderr, `dosegym: ${dir}: is a directory; give a config file (.yaml, .yml or .json)\n`);
  t.false(existsSync(join(dir, 'never')));
});

test.serial('simulate --out: a directory, a path inside a file, an unwritable place', async (t) => {
  const config = writeConfig(dir, 'sim.yaml', { env: 'T1D-v0', patient: 'adult#001', minutes: 30, controller: { type: 'basal-bolus' }, seed: 1 });
  const csvDir = join(dir, 'day.csv');
  mkdirSync(csvDir);
  await fails(t, ['simulate', config, '--out', csvDir], new RegExp(`^--out: ${csvDir} is a directory; give a file name ending in \\.csv$`));
  const file = join(dir, 'a-file');
  writeFileSync(file, 'mine');
  await fails(t, ['simulate', config, '--out', join(file, 'day.csv')], new RegExp(`^--out: ${file}/day\\.csv is inside ${file}, which is a file, not a directory$`));
  if (existsSync('/proc/self')) await fails(t, ['simulate', config, '--out', '/proc/dosegym-day.csv'], /^cannot write \/proc\/dosegym-day\.csv: no such file or directory .*\(ENOENT\)$/);
});

test.serial('run without --out when ./results is a file', async (t) => {
  const cwd = join(dir, 'results-is-a-file');
  mkdirSync(cwd);
  writeFileSync(join(cwd, 'results'), 'mine');
  const config = writeConfig(cwd, 'chemo.yaml', CHEMO_BASELINES);
  const before = snapshot(cwd);
  const r = await runMain(['run', config, '--quiet'], { cwd });
  t.regex(oneLine(t, r), new RegExp(`^cannot create the run directory ${cwd}/results/chemo-baselines/\\d{8}-\\d{6}Z: ${cwd}/results is a file, not a directory; move it or give --out$`));
  t.deepEqual(snapshot(cwd), before);
});
