/**
 * Atomic file writes: write to a temporary file beside the target, then rename over it, so a
 * reader (or a crash) never sees a half-written file.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
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
