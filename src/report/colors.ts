/**
 * Colours shared by every report chart.
 *
 * One method keeps one colour across all charts of a report (and, for the well-known method names,
 * across reports): a reader who learned "PPO is blue" on the learning curve must find PPO blue on the
 * AGP and the CVGA too. Palette: Tableau10, then the light half of Tableau20 when a run compares
 * more than ten methods.
 */

/** Tableau10 (Tableau's default categorical palette, 2016 revision). */
export const TABLEAU10 = [
  '#4e79a7', // blue
  '#f28e2b', // orange
  '#e15759', // red
  '#76b7b2', // teal
  '#59a14f', // green
  '#edc948', // yellow
  '#b07aa1', // purple
  '#ff9da7', // pink
  '#9c755f', // brown
  '#bab0ac', // grey
] as const;

/** The light Tableau20 partner of each Tableau10 colour: a method's shielded variant (`<method>+shield`). */
const LIGHT_PARTNER: Readonly<Record<string, string>> = {
  '#4e79a7': '#a0cbe8',
  '#f28e2b': '#ffbe7d',
  '#e15759': '#ff9d9a',
  '#76b7b2': '#86bcb6',
  '#59a14f': '#8cd17d',
  '#edc948': '#f1ce63',
  '#b07aa1': '#d4a6c8',
  '#ff9da7': '#fabfd2',
  '#9c755f': '#d7b5a6',
  '#bab0ac': '#d9d4d1',
};

/** Suffix of the shielded variant of a method in evaluation results. */
const SHIELD_SUFFIX = '+shield';

/** Light companions from Tableau20, used only after the ten base colours are taken. */
const TABLEAU20_LIGHT = ['#a0cbe8', '#ffbe7d', '#8cd17d', '#b6992d', '#499894', '#86bcb6', '#d37295', '#fabfd2', '#d4a6c8', '#d7b5a6'];

/**
 * Fixed slots for the method names DoseGym ships (agents and clinical baselines), so that e.g.
 * basal-bolus is green in every report whatever else is compared. Index into TABLEAU10.
 */
const RESERVED: Readonly<Record<string, number>> = {
  ppo: 0,
  dqn: 1,
  'basal-bolus': 4,
  pid: 6,
  mtd: 2,
  'mtd-cycles': 8,
  metronomic: 3,
  constant: 5,
  'constant-basal': 5,
  'no-treatment': 9,
  none: 9,
  random: 7,
};

/**
 * Colour per method. Reserved names get their fixed colour; other names take the free colours in
 * the order given (pass the run's full method list, e.g. from the config, so that the assignment
 * does not depend on which methods a particular chart shows). Duplicates are ignored.
 */
export function methodColors(methods: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const used = new Set<string>();
  const all = [...new Set(methods)];
  // Shielded variants take the light partner of their method's colour, after the methods themselves.
  const unique = all.filter((m) => !(m.endsWith(SHIELD_SUFFIX) && all.includes(m.slice(0, -SHIELD_SUFFIX.length))));
  for (const m of unique) {
    const slot = RESERVED[m.toLowerCase()];
    if (slot !== undefined) {
      const colour = TABLEAU10[slot]!;
      // Two reserved aliases (constant / constant-basal) in one run must still differ.
      if (!used.has(colour)) {
        out[m] = colour;
        used.add(colour);
      }
    }
  }
  const free = [...TABLEAU10, ...TABLEAU20_LIGHT].filter((c) => !used.has(c));
  let next = 0;
  for (const m of unique) {
    if (out[m] !== undefined) continue;
    // Past twenty methods colours repeat; the legend and tooltips still name every method.
    out[m] = free[next % free.length]!;
    used.add(out[m]!);
    next++;
  }
  for (const m of all) {
    if (out[m] !== undefined) continue;
    const partner = LIGHT_PARTNER[out[m.slice(0, -SHIELD_SUFFIX.length)] ?? ''];
    if (partner !== undefined && !used.has(partner)) out[m] = partner;
    else out[m] = free.find((c) => !used.has(c)) ?? free[next++ % free.length]!;
    used.add(out[m]!);
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
