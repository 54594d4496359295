/**
 * The sweep file of `dosegym sweep <sweep.yaml>` (issue 17; the field names are a stable contract):
 *
 *   name: ppo-lr                                   # results/<name>/<sweep-id>/
 *   base: experiments/t1d-hybrid-adults.yaml       # relative to the sweep file, or absolute
 *   set: { train.seeds: [1, 2, 3] }                # fixed overrides, as --set
 *   grid:                                          # every combination (the first field varies slowest)
 *     train.hyperparameters.learningRate: [0.0003, 0.001]
 *     env.options.mealAnnouncement: [15, 30]
 *   # or  random: { samples: 20, seed: 1, space: { <field>: { logUniform: [1e-5, 1e-2] } } }
 *   select: { method: ppo, metric: return, goal: max, testSeed: 1001 }   # optional, these defaults
 *
 * Each variant is the base config with `set`, then the variant's values, applied as `--set`
 * overrides (src/config/overrides.ts), so a variant is validated exactly as `dosegym run <base>
 * --set ...` would be. `random` draws every sample from `random.seed` through the repo's Rng (one
 * named stream per sample and field), so the same file gives the same variants on any machine.
 *
 * Selection: a winner picked on the episodes that then report its score is biased upwards (the
 * maximum of noisy estimates). The variants are evaluated on the config's `evaluate.seed` (the
 * validation episodes); the selected variant is evaluated again on `select.testSeed` (default:
 * the validation seed + 1, whose episode seeds are an independent stream: src/evaluation/evaluate.ts
 * `evaluationEpisodeSeed`), and both are recorded.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { UserError } from '../core/errors.ts';
import { Rng } from '../core/rng.ts';
import { parseWithSchema, show } from '../core/validate.ts';
import { nameSchema, nonNegativeInt, positiveInt } from './experiment.ts';
import { readConfigFile } from './load.ts';

const finite = z.number({ error: 'expected a finite number' }).finite({ error: 'expected a finite number' });
/** A dotted config field path, as in --set (train.hyperparameters.learningRate). */
const FIELD = /^[A-Za-z_$][\w$#-]*(\.[\w$#-]+)*$/;
const fieldMap = <T extends z.ZodType>(value: T) =>
  z.record(z.string().regex(FIELD, { error: 'expected a dotted config field path, e.g. train.hyperparameters.learningRate' }), value);

const range = (what: string, check: (lo: number, hi: number) => boolean) =>
  z.tuple([finite, finite], { error: `expected [low, high] with ${what}` }).refine(([lo, hi]) => check(lo, hi), { error: `expected [low, high] with ${what}` });

/** How a random sweep draws one field. */
const distribution = z.union(
  [
    z.object({ logUniform: range('0 < low < high', (lo, hi) => lo > 0 && lo < hi) }).strict(),
    z.object({ uniform: range('low < high', (lo, hi) => lo < hi) }).strict(),
    z.object({ choice: z.array(z.unknown(), { error: 'expected a list of values' }).min(1, { error: 'expected at least one value' }) }).strict(),
  ],
  { error: 'expected one of { logUniform: [low, high] }, { uniform: [low, high] }, { choice: [values] }' },
);

export const sweepSchema = z
  .object({
    /** Sweep name: results/<name>/<sweep-id>/. */
    name: nameSchema,
    /** The experiment config every variant starts from: relative to the sweep file, or absolute. */
    base: z.string({ error: 'expected the path of an experiment config' }).min(1, { error: 'expected the path of an experiment config' }),
    /** Fixed overrides of every variant, field path -> value (as --set). */
    set: fieldMap(z.unknown()).default({}),
    /** Every combination of these values. */
    grid: fieldMap(z.array(z.unknown(), { error: 'expected a list of values' }).min(1, { error: 'expected at least one value' })).optional(),
    /** `samples` variants drawn from `space`, seeded by `seed`. */
    random: z
      .object({ samples: positiveInt, seed: nonNegativeInt, space: fieldMap(distribution) }, { error: 'expected { samples, seed, space }' })
      .strict()
      .optional(),
    /** How the winner is chosen (on the validation seed) and re-reported (on the test seed). */
    select: z
      .object({
        /** The method whose score decides (default: the trained algorithm, else the first method). */
        method: z.string({ error: 'expected a method name of evaluate.methods' }).min(1).optional(),
        /** A metric of aggregates.json: return, cost or one of the family's metrics (tir, ...). */
        metric: z.string({ error: 'expected a metric name, e.g. return or tir' }).min(1).default('return'),
        goal: z.enum(['max', 'min'], { error: 'expected max or min' }).default('max'),
        /** The test evaluation seed (default: the validation seed evaluate.seed + 1). */
        testSeed: nonNegativeInt.optional(),
      }, { error: 'expected { method?, metric?, goal?, testSeed? }' })
      .strict()
      .default({ metric: 'return', goal: 'max' }),
  }, { error: 'expected a sweep: { name, base, set?, grid | random, select? }' })
  .strict()
  .superRefine((s, ctx) => {
    if ((s.grid === undefined) === (s.random === undefined)) ctx.addIssue({ code: 'custom', path: ['grid'], message: 'give exactly one of grid and random' });
    const swept = Object.keys(s.grid ?? s.random?.space ?? {});
    if (swept.length === 0) ctx.addIssue({ code: 'custom', path: [s.grid !== undefined ? 'grid' : 'random'], message: 'expected at least one field to sweep' });
    for (const field of swept) {
      if (field === 'name' || field === 'evaluate.seed' || field.startsWith('evaluate.seed.')) {
        ctx.addIssue({ code: 'custom', path: [s.grid !== undefined ? 'grid' : 'random', field], message: `${field} cannot be swept (${field === 'name' ? 'every variant keeps the base name' : 'it is the validation seed; the test seed is select.testSeed'})` });
      }
      if (field in s.set) ctx.addIssue({ code: 'custom', path: ['set', field], message: 'is also swept; give it in set or in the sweep, not both' });
    }
  });

export type SweepSpec = z.infer<typeof sweepSchema>;

/** One variant: the values of the swept fields, in the sweep's field order. */
export interface Variant {
  /** `v1`, `v2`, ... (zero-padded to the count): its run directory under variants/. */
  id: string;
  values: Record<string, unknown>;
}

export interface LoadedSweep {
  spec: SweepSpec;
  /** The sweep file (as given) and the base config (absolute). */
  file: string;
  base: string;
  /** The swept fields (dotted paths), in order: sweep.csv's columns. */
  fields: string[];
  variants: Variant[];
}

/** Every combination of the grid's values, the first field varying slowest. */
function gridValues(grid: Record<string, unknown[]>): Record<string, unknown>[] {
  let out: Record<string, unknown>[] = [{}];
  for (const [field, values] of Object.entries(grid)) out = out.flatMap((partial) => values.map((v) => ({ ...partial, [field]: v })));
  return out;
}

/** `samples` draws, each field from its own named stream of the sample (adding a field never shifts another's draws). */
function randomValues(random: NonNullable<SweepSpec['random']>): Record<string, unknown>[] {
  const root = new Rng(random.seed).child('sweep');
  return Array.from({ length: random.samples }, (_, i) => {
    const sample = root.child(`sample/${i}`);
    const values: Record<string, unknown> = {};
    for (const [field, d] of Object.entries(random.space)) {
      const rng = sample.child(field);
      if ('logUniform' in d) values[field] = Math.exp(rng.uniformRange(Math.log(d.logUniform[0]), Math.log(d.logUniform[1])));
      else if ('uniform' in d) values[field] = rng.uniformRange(d.uniform[0], d.uniform[1]);
      else values[field] = d.choice[rng.int(d.choice.length)];
    }
    return values;
  });
}

/** The `--set` argument of a field and value (JSON is YAML, so it parses back to the same value). */
export function overrideText(field: string, value: unknown): string {
  return `${field}=${JSON.stringify(value)}`;
}

/** Read and validate a sweep file and expand its variants; errors are one line naming the file and field. */
export function loadSweep(file: string): LoadedSweep {
  const spec = parseWithSchema(sweepSchema, readConfigFile(file), `${file}: `);
  const base = isAbsolute(spec.base) ? spec.base : resolve(dirname(resolve(file)), spec.base);
  const values = spec.grid !== undefined ? gridValues(spec.grid) : randomValues(spec.random as NonNullable<SweepSpec['random']>);
  const seen = new Map<string, number>();
  values.forEach((v, i) => {
    const key = JSON.stringify(v);
    const j = seen.get(key);
    if (j !== undefined) throw new UserError(`${file}: ${spec.grid !== undefined ? 'grid' : 'random'}: variants ${j + 1} and ${i + 1} are the same (${show(v)}); list each value once`);
    seen.set(key, i);
  });
  const width = String(values.length).length;
  const variants = values.map((v, i) => ({ id: `v${String(i + 1).padStart(width, '0')}`, values: v }));
  return { spec, file, base, fields: Object.keys(spec.grid ?? spec.random?.space ?? {}), variants };
}
