/**
 * Colours shared by every report chart.
 *
 * A method's colour is a function of its NAME, the same in every chart, report, sweep and run: a
 * reader who learned "PPO is blue, basal-bolus green" on one report must find them so on the next,
 * whatever else that run compares.
 * - Clinical baselines and DoseGym's algorithms have a fixed entry each (`FIXED`); baselines of
 *   different families that never meet in one run (T1D, chemotherapy, classic control) may share a
 *   hue.
 * - Any other name (a renamed baseline, a new algorithm) is hashed (FNV-1a) into `HASHED`, a palette
 *   disjoint from the fixed colours. Only when two such names of one run hash to the same colour
 *   does the one later in alphabetical order move to the next free entry (so the choice still does
 *   not depend on the order or the other methods of the run, only on the colliding pair).
 * - A shielded variant `<method>+shield` takes the light partner of its method's colour.
 * Every colour is one of a dark / light pair (Tableau 20, ColorBrewer Dark2 / Paired for the hashed
 * palette), so every method has a light partner.
 */

/** A dark colour and its light partner (the partner colours `<method>+shield`). */
type Pair = readonly [dark: string, light: string];

/** Tableau 20 (Tableau's categorical palette, 2016 revision) as its ten dark / light pairs. */
export const TABLEAU20_PAIRS = {
  blue: ['#4e79a7', '#a0cbe8'],
  orange: ['#f28e2b', '#ffbe7d'],
  green: ['#59a14f', '#8cd17d'],
  olive: ['#b6992d', '#f1ce63'],
  teal: ['#499894', '#86bcb6'],
  red: ['#e15759', '#ff9d9a'],
  grey: ['#79706e', '#bab0ac'],
  pink: ['#d37295', '#fabfd2'],
  purple: ['#b07aa1', '#d4a6c8'],
  brown: ['#9d7660', '#d7b5a6'],
} as const satisfies Record<string, Pair>;

const T = TABLEAU20_PAIRS;

/**
 * Fixed colours by method name: DoseGym's algorithms (agents/index.ts) and the clinical baselines of
 * every family (envs/<family>/family.ts `baselineTypes`, by their default names).
 */
export const FIXED: Readonly<Record<string, Pair>> = {
  // learned
  ppo: T.blue,
  dqn: T.orange,
  sac: T.teal,
  'ppo-lagrangian': T.pink,
  // T1D baselines
  'basal-bolus': T.green,
  pid: T.purple,
  'pid-bolus': T.red,
  basal: T.olive,
  constant: T.brown,
  schedule: T.grey,
  // chemotherapy baselines (never in one run with the T1D ones)
  mtd: T.red,
  'mtd-cycles': T.purple,
  metronomic: T.green,
  pulsed: T.olive,
  none: T.grey,
  // classic control
  random: T.grey,
};

/** Palette for every other name, disjoint from the fixed pairs (ColorBrewer Dark2 with light partners, then Paired). */
export const HASHED: readonly Pair[] = [
  ['#1b9e77', '#8fd4c1'],
  ['#7570b3', '#bcb8e0'],
  ['#e7298a', '#f4a3cb'],
  ['#66a61e', '#b5d98c'],
  ['#e6ab02', '#f5d57a'],
  ['#a6761d', '#d9bb86'],
  ['#1f78b4', '#a6cee3'],
  ['#e31a1c', '#fb9a99'],
  ['#6a3d9a', '#cab2d6'],
  ['#17becf', '#9edae5'],
];

/** Suffix of the shielded variant of a method in evaluation results. */
const SHIELD_SUFFIX = '+shield';

/** FNV-1a, 32 bit: a stable hash of a name (the same in every run, process and platform). */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The pair a name maps to on its own (before resolving collisions within one run). */
function ownPair(name: string): { pair: Pair; hashed: number | null } {
  const fixed = FIXED[name.toLowerCase()];
  if (fixed !== undefined) return { pair: fixed, hashed: null };
  const i = fnv1a(name) % HASHED.length;
  return { pair: HASHED[i] as Pair, hashed: i };
}

/**
 * Colour per method, fixed by name (see the header). Pass the run's full method list: only hashed
 * names that collide within it can move. Duplicates are ignored.
 */
export function methodColors(methods: readonly string[]): Record<string, string> {
  const all = [...new Set(methods)];
  const base = (m: string) => (m.endsWith(SHIELD_SUFFIX) ? m.slice(0, -SHIELD_SUFFIX.length) : m);
  // The methods whose pair is needed: every method without its +shield suffix.
  const roots = [...new Set(all.map(base))].sort();
  const pairs = new Map<string, Pair>();
  const takenHashed = new Set<number>();
  for (const m of roots) {
    const own = ownPair(m);
    if (own.hashed === null) {
      pairs.set(m, own.pair);
      continue;
    }
    // Alphabetical order decides who keeps a shared hash colour; past the palette colours repeat
    // (legends and tooltips still name every method).
    let i = own.hashed;
    for (let k = 0; k < HASHED.length && takenHashed.has(i); k++) i = (i + 1) % HASHED.length;
    takenHashed.add(i);
    pairs.set(m, HASHED[i] as Pair);
  }
  const out: Record<string, string> = {};
  for (const m of all) {
    const pair = pairs.get(base(m)) as Pair;
    out[m] = m.endsWith(SHIELD_SUFFIX) ? pair[1] : pair[0];
  }
  return out;
}

/** A Vega-Lite colour scale for the methods present in a chart, coloured from the run-wide map. */
export function methodScale(present: readonly string[], colors: Record<string, string>): { domain: string[]; range: string[] } {
  const domain = [...new Set(present)];
  const missing = domain.filter((m) => colors[m] === undefined);
  const extra = missing.length > 0 ? methodColors([...Object.keys(colors), ...missing]) : colors;
  return { domain, range: domain.map((m) => colors[m] ?? extra[m]!) };
}

/**
 * Time-in-ranges colours as on the standard Ambulatory Glucose Profile report (Battelino et al.,
 * Diabetes Care 2019): very low dark red, low red, target green, high yellow, very high orange.
 */
export const RANGE_COLORS = {
  below54: '#a50f15',
  from54to70: '#e8392f',
  from70to180: '#3aa345',
  from180to250: '#f2c12e',
  above250: '#ef7d22',
} as const;

/** CVGA zone fills (Magni et al. 2008 use a green-to-red scale from A to E). */
export const CVGA_COLORS = {
  A: '#2e8b3a',
  B: '#9ccc65',
  C: '#ffe066',
  D: '#f6a04d',
  E: '#e0523e',
} as const;
