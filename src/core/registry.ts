/**
 * The environment registry: `register(id, factory, defaults, description, module)`, `make(id, options)`, `listEnvs()`.
 *
 * `defaults` lists every option the environment accepts with its default value; `make` rejects
 * unknown ids and unknown option names with an error that lists the valid choices, then passes the
 * merged options to the factory (which validates values).
 */
import { UserError } from './errors.ts';
import type { Env, EnvMetadata, Observation, Action } from './env.ts';

export type EnvOptions = Record<string, unknown>;
export type EnvFactory = (options: EnvOptions) => Env<Observation, Action>;

export interface EnvSpec {
  id: string;
  factory: EnvFactory;
  defaults: EnvOptions;
  /** One-line description for `dosegym envs`. */
  description: string;
  /**
   * URL of the module whose import registers this id (pass `import.meta.url` from the registering
   * module): worker threads (AsyncVectorEnv) import it to rebuild the env, since closures cannot
   * cross threads.
   */
  module: string | null;
}

const specs = new Map<string, EnvSpec>();

export function register(id: string, factory: EnvFactory, defaults: EnvOptions = {}, description = '', module: string | null = null): void {
  if (specs.has(id)) throw new Error(`register: environment id '${id}' is already registered`);
  specs.set(id, { id, factory, defaults: { ...defaults }, description, module });
}

export function envSpec(id: string): EnvSpec {
  const spec = specs.get(id);
  if (spec === undefined) {
    throw new UserError(`unknown environment '${id}'; registered: ${listEnvs().join(', ') || '(none)'}`);
  }
  return spec;
}

export function make(id: string, options: EnvOptions = {}): Env<Observation, Action> {
  const spec = envSpec(id);
  const allowed = Object.keys(spec.defaults);
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new UserError(`${id}: unknown option '${key}'; allowed: ${allowed.join(', ') || '(none)'}`);
    }
  }
  return spec.factory({ ...spec.defaults, ...options });
}

export function listEnvs(): string[] {
  return [...specs.keys()].sort();
}

/** Metadata of a registered env with its default options (builds one instance). */
export function describeEnv(id: string): { spec: EnvSpec; metadata: EnvMetadata; observationSpace: string; actionSpace: string } {
  const env = make(id);
  try {
    return { spec: envSpec(id), metadata: env.metadata, observationSpace: env.observationSpace.toString(), actionSpace: env.actionSpace.toString() };
  } finally {
    env.close();
  }
}
