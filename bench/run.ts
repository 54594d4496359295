/**
 * `npm run bench`: runs every benchmark module (bench/<family>.ts exporting `run()`), prints the
 * figures and writes them to bench/results.json (git-ignored) for scripts.
 * Usage: npm run bench [-- t1d agents ...]   (default: every module but soak, which takes 30-60 minutes)
 * Speed targets are ratios against baselines measured in the same run or published peer figures
 * measured on this machine kind (see BENCHMARKS.md); the machines are shared and noisy.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { writeJsonAtomic } from '../src/io/atomic.ts';

// soak is not run by default (30-60 minutes): npm run bench -- soak
const MODULES = ['t1d', 't1d-env', 'chemo', 'agents', 'sac', 'resume', 'soak'];
const DEFAULT_MODULES = MODULES.filter((m) => m !== 'soak');
const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (!MODULES.includes(name)) {
    process.stderr.write(`bench: unknown module '${name}'; allowed: ${MODULES.join(', ')}\n`);
    process.exit(2);
  }
}
const resultsPath = fileURLToPath(new URL('./results.json', import.meta.url));
const results: Record<string, number | string> = existsSync(resultsPath) ? JSON.parse(readFileSync(resultsPath, 'utf8')) : {};

for (const name of wanted.length > 0 ? wanted : DEFAULT_MODULES) {
  const file = new URL(`./${name}.ts`, import.meta.url);
  if (!existsSync(fileURLToPath(file))) continue;
  process.stdout.write(`== ${name}\n`);
  const mod = (await import(file.href)) as { run: () => Promise<Record<string, number>> };
  const figures = await mod.run();
  for (const [key, value] of Object.entries(figures)) {
    results[key] = value;
    process.stdout.write(`  ${key.padEnd(40)} ${Number.isInteger(value) ? value : value.toPrecision(5)}\n`);
  }
}
results['measured_at'] = new Date().toISOString();
writeJsonAtomic(resultsPath, results);
process.stdout.write(`wrote ${resultsPath}\n`);
