/**
 * Where DoseGym's own files are, whether it runs from the TypeScript sources (a checkout, through
 * tsx) or compiled (an installed package, `dist/`, plain Node).
 *
 * The build (tsconfig.build.json) mirrors the source tree under `dist/`, so `src/core/package.ts`
 * becomes `dist/src/core/package.js`: one level deeper below the package root. Files the code reads
 * at run time stay where they are in the repository and are shipped there (package.json `files`):
 * `package.json` and `envs/glucose/data/`. They are found from the package root, never relative to
 * a module, so they resolve the same from both trees.
 */
import { readFileSync } from 'node:fs';

/** True when the module whose `import.meta.url` this is was compiled to JavaScript (dist/). */
export function isCompiled(moduleUrl: string): boolean {
  return moduleUrl.endsWith('.js');
}

/** The package root (the directory holding package.json), as a file URL ending in '/'. */
export const PACKAGE_ROOT = new URL(isCompiled(import.meta.url) ? '../../../' : '../../', import.meta.url);

/** A file shipped with the package, by its path in the repository (e.g. 'envs/glucose/data/Quest.csv'). */
export function packageFile(path: string): URL {
  return new URL(path, PACKAGE_ROOT);
}

let version: string | undefined;

/** DoseGym's version, from its package.json. */
export function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string }).version;
  return version;
}
