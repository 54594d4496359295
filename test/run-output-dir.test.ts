/**
 * `--out` and `--force` (src/run/output-dir.ts): `--force` replaces only a DoseGym run directory
 * (its manifest.json says so and it holds nothing DoseGym does not write) or an empty one; paths
 * that are never an output directory (empty, root, home, the current directory and its ancestors,
 * the config's directory and its ancestors) are refused without ever suggesting --force; every
 * refusal is one line, exit 1, and touches no file.
 */
import test from 'ava';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import '../envs/index.ts';
import { UserError } from '../src/core/errors.ts';
import { checkOutputPath, claimNewDir, prepareOutputDir, type OutputKind } from '../src/run/output-dir.ts';
import { readManifest, RUN_DIRECTORY, whyNotRunDir } from '../src/run/manifest.ts';
import { CHEMO_BASELINES, runCli, snapshot, tempDir, writeConfig } from './fixtures/experiments/helpers.ts';
import { oneLine, runMain } from './fixtures/experiments/in-process.ts';

const dir = tempDir('dosegym-output-dir-');
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

/** A workspace: a config, a user file beside it, and a subdirectory `cwd` with a user file of its own. */
function workspace(name: string): { root: string; config: string; cwd: string } {
  const root = join(dir, name);
  const cwd = join(root, 'work');
  mkdirSync(cwd, { recursive: true });
  const config = writeConfig(cwd, 'chemo.yaml', CHEMO_BASELINES);
  writeFileSync(join(cwd, 'thesis.tex'), 'my thesis');
  writeFileSync(join(root, 'notes.txt'), 'my notes');
  return { root, config, cwd };
}

/** Run `dosegym run <config> --out <out> [--force]` in `cwd`; assert it fails with one line touching nothing under `watch`. */
async function refused(t: import('ava').ExecutionContext, args: { config: string; out: string; cwd: string; watch: string; force?: boolean; home?: string }, pattern: RegExp): Promise<string> {
  const before = snapshot(args.watch);
  const r = await runMain(['run', args.config, '--out', args.out, '--quiet', ...(args.force === false ? [] : ['--force'])], { cwd: args.cwd, ...(args.home ? { home: args.home } : {}) });
  const line = oneLine(t, r);
  t.regex(line, pattern);
  t.deepEqual(snapshot(args.watch), before, 'no file or directory was created, changed or deleted');
  return line;
}

const NO_FORCE_HINT = (t: import('ava').ExecutionContext, line: string) => t.false(line.includes('--force'), `never suggests --force: ${line}`);

test.serial('--out "" --force is refused: the current directory (config included) is untouched', async (t) => {
  const w = workspace('empty');
  const line = await refused(t, { config: 'chemo.yaml', out: '', cwd: w.cwd, watch: w.root }, /^--out: the path is empty; give the directory to write to, e\.g\. --out results\/my-run$/);
  NO_FORCE_HINT(t, line);
  t.is(readFileSync(join(w.cwd, 'thesis.tex'), 'utf8'), 'my thesis');
});

test.serial('--out / --force is refused, without suggesting --force', async (t) => {
  const w = workspace('root');
  const line = await refused(t, { config: w.config, out: '/', cwd: w.cwd, watch: w.root }, /^--out: \/ is the root of the file system; DoseGym writes only into a directory of its own: give a new directory, e\.g\. --out \/tmp\/my-run$/);
  NO_FORCE_HINT(t, line);
  // without --force too
  NO_FORCE_HINT(t, await refused(t, { config: w.config, out: '/', cwd: w.cwd, watch: w.root, force: false }, /is the root of the file system/));
});

test.serial('--out ~ --force (the home directory) is refused', async (t) => {
  const w = workspace('home');
  const home = join(w.root, 'home');
  mkdirSync(home);
  writeFileSync(join(home, '.bashrc'), 'mine');
  const line = await refused(t, { config: w.config, out: home, cwd: w.cwd, watch: w.root, home }, new RegExp(`^--out: ${home} is your home directory; `));
  NO_FORCE_HINT(t, line);
});

test.serial('--out . and --out .. (the current directory and its ancestors) are refused', async (t) => {
  const w = workspace('cwd');
  NO_FORCE_HINT(t, await refused(t, { config: w.config, out: '.', cwd: w.cwd, watch: w.root }, new RegExp(`^--out: ${w.cwd} is the current directory; `)));
  NO_FORCE_HINT(t, await refused(t, { config: w.config, out: '..', cwd: w.cwd, watch: w.root }, new RegExp(`^--out: ${w.root} is an ancestor of the current directory; `)));
  // an empty current directory is refused too (the rule is about the path, not its contents)
  const empty = join(w.root, 'empty-cwd');
  mkdirSync(empty);
  NO_FORCE_HINT(t, await refused(t, { config: w.config, out: './', cwd: empty, watch: w.root, force: false }, /is the current directory; /));
});

test.serial('--out the config file\'s directory or one of its ancestors is refused', async (t) => {
  const w = workspace('config-dir');
  const elsewhere = join(w.root, 'elsewhere');
  mkdirSync(elsewhere);
  NO_FORCE_HINT(t, await refused(t, { config: w.config, out: w.cwd, cwd: elsewhere, watch: w.root }, new RegExp(`^--out: ${w.cwd} is the directory of the config file ${w.config}; `)));
  const deep = join(w.cwd, 'deep', 'er');
  mkdirSync(deep, { recursive: true });
  const config = writeConfig(deep, 'deep.yaml', CHEMO_BASELINES);
  NO_FORCE_HINT(t, await refused(t, { config, out: join(w.cwd, 'deep'), cwd: elsewhere, watch: w.root }, /is an ancestor of the config file /));
});

test.serial('a symbolic link to the current directory is the current directory', async (t) => {
  const w = workspace('symlink');
  symlinkSync(w.cwd, join(w.root, 'link'));
  NO_FORCE_HINT(t, await refused(t, { config: w.config, out: join(w.root, 'link'), cwd: w.cwd, watch: w.root }, /is the current directory; /));
});

test.serial('--force on a directory that is not a DoseGym run is refused; its files stay', async (t) => {
  const w = workspace('not-a-run');
  const thesis = join(w.root, 'thesis');
  mkdirSync(thesis);
  writeFileSync(join(thesis, 'chapter1.tex'), 'chapter 1');
  await refused(t, { config: w.config, out: thesis, cwd: w.cwd, watch: w.root }, new RegExp(`^--out: ${thesis} is not empty and is not a DoseGym run \\(it has no manifest\\.json\\), so --force does not replace it; give a new or empty directory$`));
  t.is(readFileSync(join(thesis, 'chapter1.tex'), 'utf8'), 'chapter 1');
  // without --force: the same reason, and no suggestion to use --force
  NO_FORCE_HINT(t, await refused(t, { config: w.config, out: thesis, cwd: w.cwd, watch: w.root, force: false }, /is not empty and is not a DoseGym run \(it has no manifest\.json\); give a new or empty directory$/));
});

test.serial('--force on a directory whose manifest.json is not a run manifest is refused', async (t) => {
  const w = workspace('other-manifest');
  const cases: [string, string, RegExp][] = [
    ['corrupt', '{"kind": "dosegym-run", ', /its manifest\.json is not valid JSON/],
    ['other-kind', JSON.stringify({ kind: 'webpack', status: 'complete' }), /its manifest\.json is not a run manifest: kind is "webpack", not "dosegym-run"/],
    ['no-kind', JSON.stringify({ name: 'my-app', version: '1.0.0' }), /its manifest\.json is not a run manifest: no "kind": "dosegym-run"/],
    ['policy', JSON.stringify({ format: 'dosegym-policy', algorithm: 'ppo' }), /not a run manifest/],
  ];
  for (const [name, text, pattern] of cases) {
    const out = join(w.root, name);
    mkdirSync(out);
    writeFileSync(join(out, 'manifest.json'), text);
    await refused(t, { config: w.config, out, cwd: w.cwd, watch: w.root }, pattern);
  }
});

test.serial('--force on a DoseGym run that also holds a user file is refused; the file stays', async (t) => {
  const w = workspace('run-plus');
  const run = join(w.root, 'run');
  t.is((await runMain(['run', w.config, '--out', run, '--quiet'])).code, 0);
  writeFileSync(join(run, 'my-analysis.ipynb'), '{}');
  const line = await refused(t, { config: w.config, out: run, cwd: w.cwd, watch: w.root }, new RegExp(`^--out: ${run} holds a DoseGym run but also files DoseGym does not write \\(my-analysis\\.ipynb\\), so --force does not replace it; give a new or empty directory$`));
  t.truthy(line);
  t.true(existsSync(join(run, 'my-analysis.ipynb')));
});

test.serial('a DoseGym run is refused without --force and replaced with it; an empty directory needs no --force', async (t) => {
  const w = workspace('replace');
  const run = join(w.root, 'run');
  mkdirSync(run);
  const first = await runMain(['run', w.config, '--out', run, '--quiet']);
  t.is(first.code, 0, first.stderr);
  const summary = readFileSync(join(run, 'summary.csv'), 'utf8');
  const line = await refused(t, { config: w.config, out: run, cwd: w.cwd, watch: w.root, force: false }, new RegExp(`^--out: ${run} already holds a DoseGym run; use --force to replace it or --resume to continue it$`));
  t.truthy(line);
  // A stale file of the old run (an evaluation the new config does not have) disappears with --force.
  writeFileSync(join(run, 'evaluation', 'old-method.json'), '{}');
  const forced = await runMain(['run', w.config, '--out', run, '--quiet', '--force']);
  t.is(forced.code, 0, forced.stderr);
  t.false(existsSync(join(run, 'evaluation', 'old-method.json')));
  t.is(readFileSync(join(run, 'summary.csv'), 'utf8'), summary);
  t.is(readManifest(join(run, 'manifest.json')).status, 'complete');
  t.is(readManifest(join(run, 'manifest.json')).kind, 'dosegym-run');
  t.is(readFileSync(join(w.root, 'notes.txt'), 'utf8'), 'my notes');
});

test.serial('a run written before manifests had a kind is still a run (--force replaces it)', async (t) => {
  const w = workspace('legacy');
  const run = join(w.root, 'run');
  t.is((await runMain(['run', w.config, '--out', run, '--quiet'])).code, 0);
  const { kind: _kind, ...legacy } = JSON.parse(readFileSync(join(run, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(run, 'manifest.json'), JSON.stringify(legacy));
  t.is(whyNotRunDir(run), undefined);
  const r = await runMain(['run', w.config, '--out', run, '--quiet', '--force']);
  t.is(r.code, 0, r.stderr);
});

test.serial('--out inside a file (ENOTDIR) and --out /proc/x (which used to hang) are refused at once', async (t) => {
  const w = workspace('enotdir');
  const file = join(w.root, 'notes.txt');
  await refused(t, { config: w.config, out: join(file, 'run'), cwd: w.cwd, watch: w.root }, new RegExp(`^--out: ${file}/run is inside ${file}, which is a file, not a directory; give a directory path$`));
  await refused(t, { config: w.config, out: file, cwd: w.cwd, watch: w.root }, new RegExp(`^--out: ${file} is a file, not a directory; give a directory$`));
  if (existsSync('/proc/self')) {
    const start = Date.now();
    await refused(t, { config: w.config, out: '/proc/x', cwd: w.cwd, watch: w.root }, /^--out: cannot create \/proc\/x: the file system does not allow creating it \(ENOENT\); give a directory you can write to$/);
    t.true(Date.now() - start < 10_000, 'refused quickly');
  }
});

test.serial('--resume with --force is a usage error; --resume --out must name a run', async (t) => {
  const w = workspace('resume');
  const before = snapshot(w.root);
  const both = await runMain(['run', w.config, '--out', join(w.root, 'x'), '--resume', '--force', '--quiet']);
  t.is(oneLine(t, both, 2), '--resume and --force: give one of them (--resume continues a run, --force replaces it)');
  NO_FORCE_HINT(t, await refused(t, { config: w.config, out: '', cwd: w.cwd, watch: w.root, force: false }, /the path is empty/));
  t.deepEqual(snapshot(w.root), before);
});

test.serial('a repeated flag (--out a --out b) is a usage error', async (t) => {
  const w = workspace('twice');
  const before = snapshot(w.root);
  const r = await runMain(['run', w.config, '--out', join(w.root, 'a'), '--out', join(w.root, 'b')]);
  t.is(oneLine(t, r, 2), '--out: given 2 times; give it once');
  t.deepEqual(snapshot(w.root), before);
});

test('the real binary: --out "" --force leaves the current directory as it was', async (t) => {
  const w = workspace('binary');
  const before = snapshot(w.root);
  const r = await runCli(['run', 'chemo.yaml', '--out', '', '--force'], { cwd: w.cwd });
  t.is(r.code, 1, r.stderr);
  t.is(r.stderr, 'dosegym: --out: the path is empty; give the directory to write to, e.g. --out results/my-run\n');
  t.deepEqual(snapshot(w.root), before);
});

// The module's API, for the commands that will reuse it (sweeps, evaluate --out).
const SWEEP: OutputKind = {
  noun: 'a sweep',
  marker: 'sweep.json',
  whyNot: (d) => (existsSync(join(d, 'sweep.json')) ? undefined : 'is not empty and is not a sweep (it has no sweep.json)'),
  markReplacing: (d) => writeFileSync(join(d, 'sweep.json'), '{"status":"incomplete"}'),
};

test('prepareOutputDir: creates, reuses an empty directory, replaces only its own kind (keeping the marker until overwritten)', (t) => {
  const base = join(dir, 'api');
  const created = prepareOutputDir(join(base, 'a', 'b'), { flag: '--out', force: false, kind: SWEEP });
  t.deepEqual(created, { dir: join(base, 'a', 'b'), replaced: false });
  t.deepEqual(prepareOutputDir(join(base, 'a', 'b'), { flag: '--out', force: false, kind: SWEEP }), { dir: join(base, 'a', 'b'), replaced: false });
  writeFileSync(join(base, 'a', 'b', 'sweep.json'), '{}');
  mkdirSync(join(base, 'a', 'b', 'runs', 'r1'), { recursive: true });
  t.throws(() => prepareOutputDir(join(base, 'a', 'b'), { flag: '--sweep-out', force: false, kind: SWEEP }), { instanceOf: UserError, message: `--sweep-out: ${join(base, 'a', 'b')} already holds a sweep; use --force to replace it or --resume to continue it` });
  t.deepEqual(prepareOutputDir(join(base, 'a', 'b'), { flag: '--out', force: true, kind: SWEEP }), { dir: join(base, 'a', 'b'), replaced: true });
  t.deepEqual(readdirSync(join(base, 'a', 'b')), ['sweep.json']);
  t.is(readFileSync(join(base, 'a', 'b', 'sweep.json'), 'utf8'), '{"status":"incomplete"}');
  t.throws(() => prepareOutputDir(join(base, 'a'), { flag: '--out', force: true, kind: SWEEP }), { message: /is not empty and is not a sweep \(it has no sweep\.json\), so --force does not replace it/ });
  t.true(existsSync(join(base, 'a', 'b')));
  t.throws(() => checkOutputPath('  ', { flag: '--out' }), { message: /the path is empty/ });
  t.is(RUN_DIRECTORY.marker, 'manifest.json');
});

test('claimNewDir never hands out an existing directory', (t) => {
  const base = join(dir, 'claim', 'run');
  t.is(claimNewDir(base), base);
  t.is(claimNewDir(base), `${base}-2`);
  writeFileSync(`${base}-3`, 'a file');
  t.is(claimNewDir(base), `${base}-4`);
});
