/**
 * Registers TensorFlow.js gradient functions, which the slim `@tensorflow/tfjs-core` Node bundle
 * leaves out (the all-in-one `@tensorflow/tfjs` package registers them; we do not install it).
 *
 * The gradient configs ship only as ES modules under `tfjs-core/dist/gradients/*_grad.js`, whose
 * own imports have no file extension (`from '../ops/mul'`): a bundler or tsx resolves them, plain
 * Node does not (ERR_MODULE_NOT_FOUND). We therefore register a module resolve hook (node:module
 * `register`) that appends `.js` to relative, extension-less specifiers of modules inside
 * tfjs-core's dist/ directory, and nothing else: every such specifier in tfjs-core 4.22 names a
 * `.js` file, and a specifier from anywhere else resolves as it always did. Then we import the
 * gradient files one by one and register them with the Node bundle's registry, which lives on the
 * global object and is therefore shared. `Prod_grad.js` is skipped: it imports `../base`, the whole
 * of tfjs-core's ES module tree, and no agent uses `tf.prod`.
 *
 * One gradient is then replaced on purpose: the wasm backend runs `matMul` with a transposed operand
 * ~4x slower than an explicit `transpose` followed by a plain `matMul` (287 us vs 15 + 60 us for
 * 64x64 on this machine), and the stock MatMul gradient uses transposed operands for both inputs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readdirSync, realpathSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

let registered: Promise<number> | undefined;

/** Register every gradient once per process; resolves to the number registered. */
export function registerGradients(): Promise<number> {
  registered ??= load();
  return registered;
}

/** A resolve hook (its module source) adding `.js` to relative, extension-less imports from inside `prefix`. */
function resolveHookSource(prefix: string): string {
  return `const prefix = ${JSON.stringify(prefix)};
export async function resolve(specifier, context, nextResolve) {
  const fix = context.parentURL?.startsWith(prefix) && /^\\.\\.?\\//.test(specifier) && !specifier.endsWith('.js');
  return nextResolve(fix ? specifier + '.js' : specifier, context);
}`;
}

async function load(): Promise<number> {
  const require = createRequire(import.meta.url);
  // Real paths: Node's ES module loader names modules by their real path (symlinks resolved).
  const dist = realpathSync(dirname(require.resolve('@tensorflow/tfjs-core')));
  register(`data:text/javascript,${encodeURIComponent(resolveHookSource(pathToFileURL(dist).href + '/'))}`);
  const dir = join(dist, 'gradients');
  let count = 0;
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('_grad.js') || file === 'Prod_grad.js') continue;
    const module = (await import(pathToFileURL(join(dir, file)).href)) as Record<string, unknown>;
    for (const [name, config] of Object.entries(module)) {
      if (!name.endsWith('GradConfig')) continue;
      const kernelName = (config as tf.GradConfig).kernelName;
      if (kernelName === 'BatchMatMul') continue; // ours below
      silently(() => tf.registerGradient(config as tf.GradConfig));
      count++;
    }
  }
  silently(() => tf.registerGradient(batchMatMulGrad));
  return count + 1;
}

/** tfjs warns when a gradient is registered twice (e.g. by another copy of this module). */
function silently(fn: () => void): void {
  const warn = console.warn;
  console.warn = () => {};
  try {
    fn();
  } finally {
    console.warn = warn;
  }
}

const t = (x: tf.Tensor): tf.Tensor => tf.transpose(x);

/** d(A·B): explicit transposes instead of transposed-operand matMuls (rank 2; higher ranks use flags). */
const batchMatMulGrad: tf.GradConfig = {
  kernelName: 'BatchMatMul',
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved, attrs) => {
    const [a, b] = saved as [tf.Tensor, tf.Tensor];
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    const g = dy as tf.Tensor;
    if (a.rank !== 2 || b.rank !== 2) {
      if (!transposeA && !transposeB) return { a: () => tf.matMul(g, b, false, true), b: () => tf.matMul(a, g, true, false) };
      if (!transposeA && transposeB) return { a: () => tf.matMul(g, b, false, false), b: () => tf.matMul(g, a, true, false) };
      if (transposeA && !transposeB) return { a: () => tf.matMul(b, g, false, true), b: () => tf.matMul(a, g, false, false) };
      return { a: () => tf.matMul(b, g, true, true), b: () => tf.matMul(g, a, true, true) };
    }
    if (!transposeA && !transposeB) return { a: () => tf.matMul(g, t(b)), b: () => tf.matMul(t(a), g) };
    if (!transposeA && transposeB) return { a: () => tf.matMul(g, b), b: () => tf.matMul(t(g), a) };
    if (transposeA && !transposeB) return { a: () => tf.matMul(b, t(g)), b: () => tf.matMul(a, g) };
    return { a: () => tf.matMul(t(b), t(g)), b: () => tf.matMul(t(g), t(a)) };
  },
};
