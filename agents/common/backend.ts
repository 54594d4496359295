/**
 * TensorFlow.js backend selection: `auto | wasm | cpu | node | node-gpu`.
 *
 * `@tensorflow/tfjs-node-gpu` and `@tensorflow/tfjs-node` are optional: they are imported
 * dynamically, and when missing we fall back (node-gpu -> node -> wasm -> cpu) with one line on
 * stderr (for `auto`, once per process, saying what is used and how to get the native backend;
 * not at all when DOSEGYM_BACKEND_NOTE=off, which the `dosegym` experiment commands set because
 * they say which backend ran once, at the end). The chosen name is recorded in every checkpoint.
 * The wasm backend is the default: in Node it is ~3x faster than the pure-JS cpu backend for
 * RL-sized MLPs (measured on 2 cores: hidden 64, batch 64, ~600 vs ~200 train steps/s; 7-8x at
 * hidden 256).
 *
 * The wasm module installs `uncaughtException` / `unhandledRejection` handlers that print its whole
 * ~38 KB source on any error; we record the listeners before initialisation and remove the new ones.
 *
 * tfjs-core and its gradients are imported by the first `initBackend`, so that a command that only needs the
 * backend names (e.g. `dosegym validate`, checking --backend) loads no TensorFlow.js.
 */
import type * as Tf from '@tensorflow/tfjs-core';
import { UserError } from '../../src/core/errors.ts';

export type BackendName = 'auto' | 'wasm' | 'cpu' | 'node' | 'node-gpu';
export const BACKEND_NAMES: readonly BackendName[] = ['auto', 'wasm', 'cpu', 'node', 'node-gpu'];

type Listener = (...args: unknown[]) => void;

function snapshotListeners(): { exc: Listener[]; rej: Listener[] } {
  return {
    exc: process.listeners('uncaughtException') as Listener[],
    rej: process.listeners('unhandledRejection') as Listener[],
  };
}

function removeAddedListeners(before: { exc: Listener[]; rej: Listener[] }): void {
  for (const l of process.listeners('uncaughtException') as Listener[]) {
    if (!before.exc.includes(l)) process.removeListener('uncaughtException', l);
  }
  for (const l of process.listeners('unhandledRejection') as Listener[]) {
    if (!before.rej.includes(l)) process.removeListener('unhandledRejection', l);
  }
}

/** Import an optional package by a name TypeScript does not resolve at compile time. */
async function tryImport(pkg: string): Promise<boolean> {
  try {
    await import(pkg);
    return true;
  } catch {
    return false;
  }
}

/** tfjs-core, once `initBackend` has imported it. */
let tf: typeof Tf | undefined;

async function activate(tfjs: typeof Tf, name: string): Promise<boolean> {
  try {
    if (!(await tfjs.setBackend(name))) return false;
    await tfjs.ready();
    return true;
  } catch {
    return false;
  }
}

let current: string | undefined;
let requested: BackendName | undefined;

/**
 * Select and initialise a backend; resolves to the name actually in use ('wasm', 'cpu',
 * 'tensorflow' for tfjs-node / tfjs-node-gpu). Safe to call repeatedly.
 */
export async function initBackend(name: BackendName = 'auto'): Promise<string> {
  if (!BACKEND_NAMES.includes(name)) {
    throw new UserError(`backend: unknown backend '${String(name)}'; allowed: ${BACKEND_NAMES.join(', ')}`);
  }
  // Repeated calls with the same request (every train() call makes one) are free.
  if (current !== undefined && requested === name && tf?.getBackend() === current) return current;
  const tfjs = (tf ??= await import('@tensorflow/tfjs-core'));
  const before = snapshotListeners();
  try {
    tfjs.enableProdMode();
    await (await import('./tf-gradients.ts')).registerGradients();
    const order: BackendName[] = name === 'auto' || name === 'node-gpu' ? ['node-gpu', 'node', 'wasm', 'cpu'] : name === 'node' ? ['node', 'wasm', 'cpu'] : name === 'wasm' ? ['wasm', 'cpu'] : ['cpu'];
    const unavailable: string[] = [];
    for (const candidate of order) {
      const chosen = await tryBackend(tfjs, candidate);
      if (chosen === undefined) {
        unavailable.push(PACKAGES[candidate]);
        continue;
      }
      // One line when we did not get what was asked for (for auto: once per process, and only
      // information: the bundled backend is the expected outcome on most machines).
      if (unavailable.length > 0 && !(name === 'auto' && (warnedAuto || process.env['DOSEGYM_BACKEND_NOTE'] === 'off'))) {
        process.stderr.write(name === 'auto' ? `backend: ${backendNote(chosen)}\n` : `backend: ${unavailable.join(', ')} not available; using ${chosen}\n`);
        if (name === 'auto') warnedAuto = true;
      }
      current = chosen;
      requested = name;
      return chosen;
    }
    throw new Error(`backend: could not initialise '${name}'`);
  } finally {
    removeAddedListeners(before);
  }
}

let warnedAuto = false;

/** The line a user reads about a backend (as recorded in checkpoints): what is used and how to get the native one. */
export function backendNote(chosen: string): string {
  if (chosen === 'tensorflow') return 'tensorflow (native, @tensorflow/tfjs-node)';
  return `${chosen} (bundled); the native backend is optional: npm install @tensorflow/tfjs-node@4.22.0 (README "Backends")`;
}

const PACKAGES: Record<BackendName, string> = {
  auto: '',
  'node-gpu': '@tensorflow/tfjs-node-gpu',
  node: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

/** Load and activate one backend; the tf backend name on success, undefined when unavailable. */
async function tryBackend(tfjs: typeof Tf, candidate: BackendName): Promise<string | undefined> {
  if (candidate === 'node-gpu' || candidate === 'node') {
    // tfjs-node and tfjs-node-gpu both register the 'tensorflow' backend.
    return (await tryImport(PACKAGES[candidate])) && (await activate(tfjs, 'tensorflow')) ? 'tensorflow' : undefined;
  }
  if (candidate === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
    return (await activate(tfjs, 'wasm')) ? 'wasm' : undefined;
  }
  await import('@tensorflow/tfjs-backend-cpu');
  return (await activate(tfjs, 'cpu')) ? 'cpu' : undefined;
}

/**
 * The backend for a training run: `name` when given, otherwise the one already initialised in this
 * process (e.g. by the CLI's --backend or a test), otherwise 'auto'.
 */
export async function ensureBackend(name?: BackendName): Promise<string> {
  if (name === undefined && current !== undefined && tf?.getBackend() === current) return current;
  return initBackend(name ?? 'auto');
}

/** The backend chosen by the last `initBackend`, or tf's current backend (undefined before TensorFlow.js is loaded). */
export function backendName(): string | undefined {
  return current ?? tf?.getBackend();
}
