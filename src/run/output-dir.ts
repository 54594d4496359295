/**
 * Choosing the directory a command writes into (`--out` of run, train, evaluate <config>; later
 * sweeps and `evaluate --out`). One rule for every command, so that nothing a user owns is ever
 * deleted:
 *
 * 1. Some paths are never an output directory, with or without --force, and the message never
 *    suggests --force for them: an empty path, the file-system root, the home directory, the
 *    current directory or any of its ancestors, and the config file's directory or any of its
 *    ancestors (symbolic links are followed when comparing).
 * 2. A path that does not exist is created (with its missing parents); an existing empty directory
 *    is used as it is.
 * 3. An existing non-empty directory is used only with --force, and only if it is an output of the
 *    same kind (`OutputKind.whyNot` returns undefined: for runs, a manifest.json that says it is a
 *    DoseGym run and nothing at the top level that DoseGym does not write). It is then emptied:
 *    first marked unfinished (`markReplacing`), then every entry but its identifying file is
 *    deleted, so an interruption at any point leaves a directory that is still recognisably of that
 *    kind (and can be replaced again or resumed).
 * 4. Anything else is refused with one line saying why.
 */
import { mkdirSync, readdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, parse, relative, resolve, isAbsolute } from 'node:path';
import { UserError } from '../core/errors.ts';
import { existingAncestor, makeDirs } from '../io/fs.ts';

/** A kind of output directory that `--force` may replace (a DoseGym run, later a sweep). */
export interface OutputKind {
  /** What such a directory holds, for messages: 'a DoseGym run'. */
  noun: string;
  /** The file that identifies such a directory; kept (and overwritten by the new output) on replacement. */
  marker: string;
  /**
   * Why the existing, non-empty `dir` is not (only) an output of this kind, as the rest of the
   * sentence "<dir> ..." (e.g. "is not empty and is not a DoseGym run (it has no manifest.json)"),
   * or undefined when --force may replace it. Never throws.
   */
  whyNot(dir: string): string | undefined;
  /** Mark `dir` as unfinished before --force deletes its other entries. */
  markReplacing(dir: string): void;
}

export interface OutputDirOptions {
  /** The flag named in messages, e.g. '--out'. */
  flag: string;
  /** The config file the command reads (its directory and their ancestors are refused). */
  configFile?: string | null | undefined;
}

export interface PrepareOptions extends OutputDirOptions {
  kind: OutputKind;
  /** Replace an existing directory of `kind` (--force). */
  force: boolean;
}

/** `path` with symbolic links resolved as far as it exists (the missing tail appended). */
function realPath(path: string): string {
  const abs = resolve(path);
  let existing = abs;
  const tail: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(existing), ...tail.reverse());
    } catch {
      const parent = dirname(existing);
      if (parent === existing) return abs;
      tail.push(existing.slice(parent.length).replace(/^[/\\]/, ''));
      existing = parent;
    }
  }
}

/** True when `a` is `b` or an ancestor of `b` (both absolute). */
function isSameOrAncestor(a: string, b: string): boolean {
  const rel = relative(a, b);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Why `path` can never be an output directory (rule 1 above), as the rest of the sentence
 * "<path> ...", or undefined.
 */
function protectedReason(path: string, configFile: string | null | undefined): string | undefined {
  const forms = (p: string) => [...new Set([resolve(p), realPath(p)])];
  const target = forms(path);
  const matches = (p: string, test: (t: string, q: string) => boolean) => target.some((t) => forms(p).some((q) => test(t, q)));
  if (target.some((t) => parse(t).root === t)) return 'is the root of the file system';
  const home = homedir();
  if (home !== '' && matches(home, (t, q) => t === q)) return 'is your home directory';
  const cwd = process.cwd();
  if (matches(cwd, (t, q) => t === q)) return 'is the current directory';
  if (matches(cwd, (t, q) => isSameOrAncestor(t, q))) return 'is an ancestor of the current directory';
  if (configFile !== null && configFile !== undefined && configFile !== '') {
    const configDir = dirname(resolve(configFile));
    if (matches(configDir, (t, q) => t === q)) return `is the directory of the config file ${configFile}`;
    if (matches(configDir, (t, q) => isSameOrAncestor(t, q))) return `is an ancestor of the config file ${configFile}`;
  }
  return undefined;
}

/**
 * Check that `path` may be an output directory at all (rule 1, plus: not inside a file). Returns the
 * absolute path. Throws a one-line UserError otherwise; never suggests --force.
 */
export function checkOutputPath(path: string, options: OutputDirOptions): string {
  const { flag } = options;
  if (path.trim() === '') throw new UserError(`${flag}: the path is empty; give the directory to write to, e.g. ${flag} results/my-run`);
  const reason = protectedReason(path, options.configFile);
  if (reason !== undefined) throw new UserError(`${flag}: ${resolve(path)} ${reason}; DoseGym writes only into a directory of its own: give a new directory, e.g. ${flag} ${join(path === '/' ? '/tmp' : path, 'my-run')}`);
  try {
    existingAncestor(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOTDIR' && e.path === resolve(path)) return resolve(path); // the path itself is a file: see prepareOutputDir
    if (e.code === 'ENOTDIR') throw new UserError(`${flag}: ${resolve(path)} is inside ${e.path}, which is a file, not a directory; give a directory path`);
    throw err;
  }
  return resolve(path);
}

function entriesOf(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new UserError(`cannot read ${dir}: ${e.code ?? e.message}`);
  }
}

/**
 * Create (or, under the rules above, reuse or replace) the output directory `path`. Returns its
 * absolute path and whether an existing output was replaced.
 */
export function prepareOutputDir(path: string, options: PrepareOptions): { dir: string; replaced: boolean } {
  const { flag, kind } = options;
  const dir = checkOutputPath(path, options);
  let st;
  try {
    st = statSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (st === undefined) {
    createDir(dir, flag);
    return { dir, replaced: false };
  }
  if (!st.isDirectory()) throw new UserError(`${flag}: ${dir} is a file, not a directory; give a directory`);
  const entries = entriesOf(dir);
  if (entries.length === 0) return { dir, replaced: false };
  const whyNot = kind.whyNot(dir);
  if (whyNot !== undefined) {
    throw new UserError(`${flag}: ${dir} ${whyNot}${options.force ? ', so --force does not replace it' : ''}; give a new or empty directory`);
  }
  if (!options.force) throw new UserError(`${flag}: ${dir} already holds ${kind.noun}; use --force to replace it or --resume to continue it`);
  // Replace: the directory stays recognisable at every moment (see rule 3).
  const real = realPath(dir);
  kind.markReplacing(real);
  for (const entry of entries) if (entry !== kind.marker) rmSync(join(real, entry), { recursive: true, force: true });
  return { dir, replaced: true };
}

function createDir(dir: string, flag: string): void {
  try {
    makeDirs(dir);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const reason = e.code === 'ENOENT' ? 'the file system does not allow creating it' : e.code === 'EACCES' || e.code === 'EPERM' ? 'permission denied' : e.code === 'EROFS' ? 'read-only file system' : (e.code ?? e.message);
    throw new UserError(`${flag}: cannot create ${dir}: ${reason}${e.code !== undefined ? ` (${e.code})` : ''}; give a directory you can write to`);
  }
}

/**
 * Claim a new directory `base`, or `base-2`, `base-3`, ... when that exists (another run started in
 * the same second): each is created with one non-recursive mkdir, so two processes never share one.
 */
export function claimNewDir(base: string): string {
  try {
    makeDirs(dirname(base));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOTDIR') throw new UserError(`cannot create the run directory ${resolve(base)}: ${e.path} is a file, not a directory; move it or give --out`);
    throw err;
  }
  for (let i = 1; ; i++) {
    const dir = i === 1 ? base : `${base}-${i}`;
    try {
      mkdirSync(dir);
      return dir;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}
