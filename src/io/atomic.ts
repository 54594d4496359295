/**
 * Atomic file writes: write to a temporary file beside the target, then rename over it, so a
 * reader (or a crash) never sees a half-written file.
 */
import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, basename, resolve } from 'node:path';
import { makeDirs } from './fs.ts';

let counter = 0;

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  makeDirs(dirname(path));
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${counter++}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    // Name the file the caller asked for, not the temporary one.
    const e = err as NodeJS.ErrnoException & { dest?: string };
    if (typeof e.code === 'string') throw Object.assign(new Error(e.message.split(tmp).join(path)), { code: e.code, syscall: 'write', path });
    throw err;
  }
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Write a directory atomically: `fill` writes its files into a temporary sibling, which is then
 * renamed into place (an existing directory is moved aside first and removed after), so a reader
 * never sees a half-written one. Returns the absolute path.
 */
export function writeDirAtomic(dir: string, fill: (tmp: string) => void): string {
  const target = resolve(dir);
  const parent = dirname(target);
  makeDirs(parent);
  const tmp = mkdtempSync(join(parent, `.${basename(target)}.tmp-`));
  try {
    fill(tmp);
    if (existsSync(target)) {
      const old = `${tmp}.old`;
      renameSync(target, old);
      renameSync(tmp, target);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, target);
    }
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return target;
}
