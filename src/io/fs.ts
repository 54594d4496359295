/**
 * File-system helpers that fail fast with a clear error instead of looping or crashing:
 *
 * - `makeDirs` creates a directory and its missing parents one level at a time. Node's
 *   `mkdirSync(path, { recursive: true })` loops forever when the kernel answers ENOENT for a path
 *   whose parent exists (e.g. `/proc/x`: procfs refuses new entries with ENOENT, Node then "creates
 *   the parent", which exists, and retries): `dosegym run --out /proc/x` used to hang there.
 * - `fsErrorMessage` turns an fs error (EACCES, ENOSPC, EROFS, ...) into the one-line message the
 *   CLI prints, naming the path.
 */
import { mkdirSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** An Error shaped like Node's own fs errors (code, path, syscall). */
export function fsError(code: string, syscall: string, path: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}, ${syscall} '${path}'`), { code, syscall, path });
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/**
 * The nearest existing ancestor of `path` (or `path` itself) and the missing directories below it,
 * outermost first. Throws ENOTDIR when that ancestor is not a directory.
 */
export function existingAncestor(path: string): { existing: string; missing: string[] } {
  const missing: string[] = [];
  let p = resolve(path);
  for (;;) {
    const st = statOrUndefined(p);
    if (st !== undefined) {
      if (!st.isDirectory()) throw fsError('ENOTDIR', 'mkdir', p, 'not a directory');
      return { existing: p, missing: missing.reverse() };
    }
    missing.push(p);
    const parent = dirname(p);
    if (parent === p) throw fsError('ENOENT', 'mkdir', p, 'no such file or directory');
    p = parent;
  }
}

/** mkdir -p that never loops: each missing level is created once, and any refusal is thrown. */
export function makeDirs(path: string): void {
  for (const dir of existingAncestor(path).missing) {
    try {
      mkdirSync(dir);
    } catch (err) {
      // Created meanwhile by someone else (a parallel task): fine if it is a directory.
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && statOrUndefined(dir)?.isDirectory()) continue;
      throw err;
    }
  }
}

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory (or the file system does not allow creating it)',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EISDIR: 'it is a directory',
  EEXIST: 'it already exists',
  ENOTEMPTY: 'the directory is not empty',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
  EBUSY: 'the resource is busy',
  EXDEV: 'it is on another file system',
  EIO: 'input/output error',
  EINVAL: 'invalid argument for this file system',
};

const VERBS: Record<string, string> = {
  mkdir: 'create directory',
  open: 'open',
  read: 'read',
  write: 'write',
  rename: 'rename',
  rmdir: 'remove',
  rm: 'remove',
  unlink: 'remove',
  scandir: 'list',
  stat: 'access',
  lstat: 'access',
  copyfile: 'copy',
  cp: 'copy',
  realpath: 'resolve',
};

/** A one-line message for an fs error (`cannot create directory /proc/x: ...`), or undefined for other errors. */
export function fsErrorMessage(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const e = err as NodeJS.ErrnoException & { dest?: unknown };
  if (typeof e.code !== 'string' || !(e.code in REASONS)) return undefined;
  const verb = VERBS[e.syscall ?? ''] ?? 'access';
  const what = typeof e.path === 'string' ? ` ${e.path}` : '';
  const dest = typeof e.dest === 'string' ? ` to ${e.dest}` : '';
  return `cannot ${verb}${what}${dest}: ${REASONS[e.code]} (${e.code})`;
}
