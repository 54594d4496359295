/**
 * Re-building part of a finished run beside the old files and swapping the new ones in only when
 * they are all written (`dosegym evaluate <run-dir>`, `dosegym report <run-dir>`), so a command
 * that fails or is interrupted leaves the run's previous results exactly as they were.
 *
 * The new files are built in `<run>/.staging/`, a shadow run directory (the commands copy into it
 * what they read: manifest, policies, ...). Committing writes `.staging/.swap.json` (the entries to
 * swap) and then, entry by entry, moves the old entry to `.staging/.old/` and the new one into
 * place (renames on one file system). The swap is idempotent: a process killed during it leaves
 * `.swap.json`, and the next command that opens the run (`recoverStaging`) finishes it. A staging
 * directory without `.swap.json` is an unfinished build and is deleted. `.staging/.owner.json`
 * names the process building it, so two commands never build into one run at once.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../core/errors.ts';
import { writeJsonAtomic } from '../io/atomic.ts';
import { makeDirs } from '../io/fs.ts';
import { runFiles } from './layout.ts';

const OWNER = '.owner.json';
const SWAP = '.swap.json';
const OLD = '.old';

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Finish or clean up what an earlier, interrupted evaluate/report left in `dir`: complete a swap
 * that had started, delete an unfinished build. Refuses while another live process is building.
 */
export function recoverStaging(dir: string): void {
  const staging = runFiles(dir).staging;
  if (!exists(staging)) return;
  const swap = readJson(join(staging, SWAP)) as { entries?: unknown; present?: unknown } | undefined;
  if (swap !== undefined && Array.isArray(swap.entries) && Array.isArray(swap.present)) {
    finishSwap(dir, swap.entries as string[], swap.present as string[]);
    return;
  }
  const owner = readJson(join(staging, OWNER)) as { pid?: unknown } | undefined;
  if (owner !== undefined && isAlive(Number(owner.pid))) {
    throw new UserError(`${dir}: another dosegym command (process ${String(owner.pid)}) is writing new results into this run; wait for it to finish`);
  }
  rmSync(staging, { recursive: true, force: true });
}

/** Create the (empty) staging directory of `dir`, owned by this process; returns its path. */
export function openStaging(dir: string): string {
  recoverStaging(dir);
  const staging = runFiles(dir).staging;
  try {
    mkdirSync(staging);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new UserError(`${dir}: another dosegym command is writing new results into this run; wait for it to finish`);
    throw err;
  }
  writeJsonAtomic(join(staging, OWNER), { pid: process.pid, startedAt: new Date().toISOString() });
  return staging;
}

/** Delete the staging directory of `dir` (a failed or interrupted build); the run is untouched. */
export function discardStaging(dir: string): void {
  const staging = runFiles(dir).staging;
  if (!exists(join(staging, SWAP))) rmSync(staging, { recursive: true, force: true });
}

/**
 * Swap the staged `entries` (top-level names, e.g. 'summary.csv', 'evaluation') into `dir`: an
 * entry the staging directory lacks is removed from the run (moved aside, then deleted).
 */
export function commitStaging(dir: string, entries: readonly string[]): void {
  const staging = runFiles(dir).staging;
  const present = entries.filter((e) => exists(join(staging, e)));
  writeJsonAtomic(join(staging, SWAP), { entries, present });
  finishSwap(dir, entries, present);
}

function finishSwap(dir: string, entries: readonly string[], present: readonly string[]): void {
  const staging = runFiles(dir).staging;
  const old = join(staging, OLD);
  makeDirs(old);
  const moveAside = (current: string, entry: string) => {
    rmSync(join(old, entry), { recursive: true, force: true });
    renameSync(current, join(old, entry));
  };
  for (const entry of entries) {
    const next = join(staging, entry);
    const current = join(dir, entry);
    if (present.includes(entry)) {
      if (!exists(next)) continue; // moved in before an interruption
      if (exists(current)) moveAside(current, entry);
      renameSync(next, current);
    } else if (exists(current)) {
      moveAside(current, entry);
    }
  }
  rmSync(staging, { recursive: true, force: true });
}

/** True when `dir` has a staging directory (an evaluate/report in progress or interrupted). */
export function hasStaging(dir: string): boolean {
  return existsSync(runFiles(dir).staging);
}
