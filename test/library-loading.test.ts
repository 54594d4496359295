/**
 * What loads when (README "Use as a library", BENCHMARKS.md "Command-line start-up"): the public
 * entry `dosegym` and `dosegym --help` load no TensorFlow.js, vega or runner; each command imports
 * what it needs when it runs, and `dosegym validate` never needs TensorFlow.js.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

/**
 * The packages a module loads when imported: the bare specifiers of the static imports of it and of
 * every relative module it statically imports (dynamic `import()` runs only when called; type-only
 * imports are erased).
 */
function staticPackages(entry: string): { packages: string[]; modules: string[] } {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    const pattern = /^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s*)?['"]([^'"]+)['"]/gm;
    for (const [, spec] of text.matchAll(pattern)) {
      if (spec === undefined || spec.startsWith('node:')) continue;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else packages.add(spec);
    }
  };
  visit(resolve(ROOT, entry));
  return { packages: [...packages].sort(), modules: [...seen].map((f) => relative(ROOT, f)).sort() };
}

test('the static reader follows re-exports and side-effect imports and skips type-only imports', (t) => {
  const { packages, modules } = staticPackages('src/index.ts');
  t.true(modules.includes('envs/glucose/t1d-env.ts')); // import '../envs/index.ts' -> register.ts -> t1d-env.ts
  t.true(modules.includes('src/core/vector.ts')); // export { ... } from
  t.false(modules.includes('src/run/run.ts')); // import type only
  t.true(packages.includes('zod'));
});

test('dosegym --help loads yargs and no other package', (t) => {
  const { packages, modules } = staticPackages('src/cli.ts');
  t.deepEqual(packages, ['yargs']);
  t.deepEqual(modules, ['src/cli.ts', 'src/core/errors.ts', 'src/core/package.ts', 'src/core/validate.ts', 'src/io/fs.ts']);
});

test("import 'dosegym' loads no TensorFlow.js, vega, resvg, mathjs or progress bars", (t) => {
  t.deepEqual(staticPackages('src/index.ts').packages, ['seedrandom', 'yaml', 'zod']);
});

/** The TensorFlow.js globals (tfjs-core sets them when loaded) after `script` runs in a child process. */
function tfGlobalsAfter(script: string): string[] {
  const probe = `${script}\nconsole.log(JSON.stringify(Object.getOwnPropertyNames(globalThis).filter((k) => k.startsWith('_tf'))));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], { cwd: ROOT, encoding: 'utf8' });
  return (JSON.parse(out.trim().split('\n').at(-1) as string) as string[]).sort();
}

test('the public entry loads no TensorFlow.js and dosegym/agents does (the probe works)', (t) => {
  t.deepEqual(tfGlobalsAfter("await import('./src/index.ts');"), []);
  t.deepEqual(tfGlobalsAfter("await import('./src/agents.ts');"), ['_tfGlobals', '_tfengine']);
});

test('dosegym validate loads no TensorFlow.js', (t) => {
  const script = "const { main } = await import('./src/cli.ts'); if (await main(['validate', 'experiments/quickstart.yaml']) !== 0) process.exit(1);";
  t.deepEqual(tfGlobalsAfter(script), []);
});
