/**
 * The layering README's Development section promises, enforced: imports point down (or sideways
 * within a layer), never up.
 *
 *   top     src/config, src/evaluation, src/run, src/report, src/cli, src/*.ts (CLI entry, public API)
 *   middle  envs/, agents/, src/metrics, src/safety
 *   bottom  src/core, src/io
 *
 * Every specifier counts: static and type-only imports, `export ... from`, dynamic `import()` and
 * worker entries (`new URL('./x.mjs', import.meta.url)`). A source folder that belongs to no layer
 * fails the test, so a new folder has to be placed before it can be used.
 */
import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const SOURCE_ROOTS = ['src', 'envs', 'agents'];
const LAYER_NAMES = ['bottom', 'middle', 'top'] as const;

/** The layer of a repo-relative path (0 bottom, 1 middle, 2 top), or null for an unplaced folder. */
export function layerOf(path: string): number | null {
  if (/^src\/(core|io)\//.test(path)) return 0;
  if (/^(envs|agents)\//.test(path) || /^src\/(metrics|safety)\//.test(path)) return 1;
  if (/^src\/(config|evaluation|run|report|cli)\//.test(path) || /^src\/[^/]+\.(ts|mts|mjs|js)$/.test(path)) return 2;
  return null;
}

/** Every module specifier in a source text: imports, re-exports, dynamic imports, worker URLs. */
export function importSpecifiers(text: string): string[] {
  const out: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\s+(?:type\s+)?[^'";]*?\sfrom\s*['"]([^'"]+)['"]/gm, // import x from / export { x } from
    /^\s*import\s*['"]([^'"]+)['"]/gm, // side-effect import
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g, // dynamic import
    /\bnew\s+URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g, // worker entries, data files
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) out.push(m[1] as string);
  return out;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|mjs|js)$/.test(name) ? [path] : [];
  });
}

const files = SOURCE_ROOTS.flatMap((d) => sourceFiles(join(ROOT, d)));

test('no module imports from a layer above its own', (t) => {
  const upward: string[] = [];
  for (const file of files) {
    const from = relative(ROOT, file);
    const fromLayer = layerOf(from);
    for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) continue; // packages
      const to = relative(ROOT, resolve(dirname(file), spec));
      const toLayer = layerOf(to);
      if (fromLayer === null || toLayer === null) continue; // reported by the next test
      if (toLayer > fromLayer) upward.push(`${from} (${LAYER_NAMES[fromLayer]}) imports ${to} (${LAYER_NAMES[toLayer]})`);
    }
  }
  t.deepEqual(upward, [], `upward imports:\n${upward.join('\n')}`);
});

test('every source file belongs to a layer', (t) => {
  const unplaced = files.map((f) => relative(ROOT, f)).filter((f) => layerOf(f) === null);
  t.deepEqual(unplaced, [], 'place new folders in a layer (test/architecture-layers.test.ts and README Development)');
});

test('the specifier reader sees every kind of import', (t) => {
  const text = [
    "import { a } from '../core/a.ts';",
    "import type { B } from '../run/b.ts';",
    "export { c } from './c.ts';",
    "export * from './d.ts';",
    "import './e.ts';",
    "const f = await import('../report/f.ts');",
    "const g = new URL('./g-worker.mjs', import.meta.url);",
    'import {\n  h,\n  i,\n} from "./hi.ts";',
    "// a comment mentioning from 'nowhere' is not an import",
  ].join('\n');
  t.deepEqual(importSpecifiers(text).sort(), ['../core/a.ts', '../run/b.ts', './c.ts', './d.ts', './e.ts', '../report/f.ts', './g-worker.mjs', './hi.ts'].sort());
});

test('layers: core and io at the bottom, envs/agents/metrics/safety in the middle, the rest on top', (t) => {
  t.is(layerOf('src/core/env.ts'), 0);
  t.is(layerOf('src/io/csv.ts'), 0);
  t.is(layerOf('envs/glucose/t1d-env.ts'), 1);
  t.is(layerOf('agents/ppo.ts'), 1);
  t.is(layerOf('src/safety/shield.ts'), 1);
  t.is(layerOf('src/metrics/glucose.ts'), 1);
  t.is(layerOf('src/run/plan.ts'), 2);
  t.is(layerOf('src/cli.ts'), 2);
  t.is(layerOf('src/newfolder/x.ts'), null);
});
