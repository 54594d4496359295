/**
 * Training charts: learning curves per seed with the mean and spread across seeds (also drawn for
 * other training series, e.g. the Lagrange multiplier). See common.ts for what every chart shares.
 */
import { groupBy, mean, round, sd } from '../stats.ts';
import { colorEncoding, colorsFor, finish, requireRows, titleOf, type ChartOptions, type Obj, type Spec } from './common.ts';

export interface LearningCurveRow {
  seed: number | string;
  /** Environment steps at the end of the episode. */
  steps: number;
  episodeReturn: number;
  /** Algorithm name for colour (default 'agent'); several algorithms may share one chart. */
  method?: string;
}

export interface LearningCurveOptions extends ChartOptions {
  /** Number of step bins (default: min(60, distinct step values)). */
  bins?: number;
  /** Band across seeds: 'minmax' (default; honest with 3-5 seeds) or 'sd' (mean +- one SD). */
  band?: 'minmax' | 'sd';
  /** y-axis title for other training series (e.g. the Lagrange multiplier); default episode return. */
  yTitle?: string;
  /** What the series is, put before the description of the seeds' lines. */
  subtitle?: string;
  /** Plot height in px (default 300). */
  height?: number;
}

/** Per-seed binned returns and their mean with a band across seeds, at the same step bins. */
export function learningCurveData(rows: readonly LearningCurveRow[], opts: LearningCurveOptions = {}): Obj[] {
  const out: Obj[] = [];
  for (const [method, mRows] of groupBy(rows, (r) => r.method ?? 'agent')) {
    const maxSteps = Math.max(...mRows.map((r) => r.steps));
    const distinct = new Set(mRows.map((r) => r.steps)).size;
    const nBins = Math.max(1, opts.bins ?? Math.min(60, distinct));
    const width = maxSteps > 0 ? maxSteps / nBins : 1;
    const binOf = (s: number): number => Math.min(nBins - 1, Math.max(0, Math.ceil(s / width) - 1));
    // seed -> bin -> returns
    const perSeed = new Map<string, Map<number, number[]>>();
    for (const r of mRows) {
      const seed = String(r.seed);
      let bins = perSeed.get(seed);
      if (!bins) perSeed.set(seed, (bins = new Map()));
      const b = binOf(r.steps);
      const list = bins.get(b);
      if (list) list.push(r.episodeReturn);
      else bins.set(b, [r.episodeReturn]);
    }
    const acrossSeeds = new Map<number, number[]>();
    for (const [seed, bins] of perSeed) {
      for (const b of [...bins.keys()].sort((x, y) => x - y)) {
        const v = mean(bins.get(b)!);
        out.push({ kind: 'seed', method, seed, steps: round((b + 1) * width, 1), value: round(v) });
        const list = acrossSeeds.get(b);
        if (list) list.push(v);
        else acrossSeeds.set(b, [v]);
      }
    }
    for (const b of [...acrossSeeds.keys()].sort((x, y) => x - y)) {
      const vs = acrossSeeds.get(b)!;
      const m = mean(vs);
      const s = sd(vs);
      const lo = opts.band === 'sd' ? m - s : Math.min(...vs);
      const hi = opts.band === 'sd' ? m + s : Math.max(...vs);
      out.push({ kind: 'mean', method, steps: round((b + 1) * width, 1), value: round(m), lo: round(lo), hi: round(hi), seeds: vs.length });
    }
  }
  return out;
}

export function learningCurves(rows: readonly LearningCurveRow[], opts: LearningCurveOptions = {}): Spec {
  requireRows('learningCurves', rows);
  const data = learningCurveData(rows, opts);
  const methods = [...new Set(rows.map((r) => r.method ?? 'agent'))];
  const seeds = new Set(rows.map((r) => String(r.seed))).size;
  const bandText = opts.band === 'sd' ? 'mean +- 1 SD' : 'min-max';
  const maxSteps = Math.max(...data.map((d) => d.steps as number));
  const x = { field: 'steps', type: 'quantitative', title: 'Environment steps', scale: { domain: [0, maxSteps], nice: false }, axis: { format: '~s' } };
  const color = colorEncoding(methods, opts, 'Algorithm');
  const yTitle = opts.yTitle ?? 'Episode return (dimensionless)';
  // With one seed there is nothing across seeds: one line, no band and no per-seed lines drawn.
  const several = seeds > 1;
  const seedText = several ? `${seeds} seeds. Thin lines: each seed (averaged per step bin); thick line: mean across seeds; band: ${bandText} across seeds.` : '1 seed: its value averaged per step bin (no spread across seeds to show with one seed).';
  const subtitle = opts.subtitle !== undefined ? [opts.subtitle, seedText] : seedText;
  const meanTooltip = [
    { field: 'method' },
    { field: 'steps', format: ',' },
    { field: 'value', title: several ? 'mean' : 'value', format: '.4~g' },
    ...(several ? [{ field: 'lo', format: '.4~g' }, { field: 'hi', format: '.4~g' }, { field: 'seeds' }] : []),
  ];
  return finish({
    title: titleOf(opts.title ?? 'Learning curves', subtitle, opts),
    width: 640,
    height: opts.height ?? 300,
    // One seed: only the mean rows (equal to the seed's own).
    data: { values: several ? data : data.filter((d) => d.kind === 'mean').map(({ lo: _lo, hi: _hi, ...d }) => d) },
    layer: [
      ...(several
        ? [
            {
              transform: [{ filter: "datum.kind === 'mean'" }],
              mark: { type: 'area', opacity: 0.2 },
              encoding: { x, y: { field: 'lo', type: 'quantitative', title: yTitle }, y2: { field: 'hi' }, color },
            },
            {
              transform: [{ filter: "datum.kind === 'seed'" }],
              mark: { type: 'line', strokeWidth: 1, opacity: 0.45 },
              encoding: {
                x,
                y: { field: 'value', type: 'quantitative', title: yTitle },
                color,
                detail: { field: 'seed', type: 'nominal' },
                tooltip: [{ field: 'method' }, { field: 'seed' }, { field: 'steps', format: ',' }, { field: 'value', format: '.4~g' }],
              },
            },
          ]
        : []),
      {
        transform: [{ filter: "datum.kind === 'mean'" }],
        mark: { type: 'line', strokeWidth: several ? 2.75 : 2 },
        encoding: { x, y: { field: 'value', type: 'quantitative', title: yTitle }, color, tooltip: meanTooltip },
      },
    ],
  });
}

/** One update of one training seed, as training.csv records it (NaN where a column is empty or absent). */
export interface TrainingHealthRow {
  seed: number | string;
  steps: number;
  /** Policy entropy (nats; PPO-family). */
  entropy: number;
  /** Value loss (PPO-family) or Q loss (DQN). */
  valueLoss: number;
  /** DQN's exploration rate epsilon. */
  explorationRate: number;
  /** Mean of the policy's deterministic action over the update's observations (action units). */
  actionMean: number;
  /** Delivered dose over the update's steps: mean and SD (the family's dose unit). */
  doseMean: number;
  doseSd: number;
  /** PPO-Lagrangian's multiplier and the recent episodes' mean cost. */
  lagrange: number;
  episodeCost: number;
}

export interface TrainingHealthOptions extends ChartOptions {
  /** Algorithm name (colour). */
  method: string;
  /** Unit of the delivered dose, e.g. 'U/h'. */
  doseUnit?: string;
  /** What the action is, e.g. 'U/h' or 'basal-relative output'. */
  actionUnit?: string;
  /** The training cost budget (PPO-Lagrangian), drawn on the cost axis. */
  costLimit?: number;
  /** Step bins per seed (default at most 100; rows are averaged within a bin). */
  bins?: number;
}

/** The panels a training-health chart draws for these rows (only series with at least one finite value). */
export function trainingHealthPanels(rows: readonly TrainingHealthRow[]): { entropy: boolean; exploration: boolean; valueLoss: boolean; dose: boolean; action: boolean; lagrange: boolean } {
  const any = (f: (r: TrainingHealthRow) => number) => rows.some((r) => Number.isFinite(f(r)));
  return {
    entropy: any((r) => r.entropy),
    exploration: any((r) => r.explorationRate),
    valueLoss: any((r) => r.valueLoss),
    dose: any((r) => r.doseMean),
    action: any((r) => r.actionMean),
    lagrange: any((r) => r.lagrange),
  };
}

const HEALTH_FIELDS = ['entropy', 'valueLoss', 'explorationRate', 'actionMean', 'doseMean', 'doseSd', 'lagrange', 'episodeCost'] as const;

/** Per seed, the rows averaged within at most `bins` step bins (finite values only). */
function binnedHealth(rows: readonly TrainingHealthRow[], bins: number): Obj[] {
  const out: Obj[] = [];
  for (const [seed, list] of groupBy(rows, (r) => String(r.seed))) {
    const maxSteps = Math.max(...list.map((r) => r.steps));
    const n = Math.max(1, Math.min(bins, list.length));
    const width = maxSteps > 0 ? maxSteps / n : 1;
    for (const [b, group] of [...groupBy(list, (r) => Math.min(n - 1, Math.max(0, Math.ceil(r.steps / width) - 1))).entries()].sort((x, y) => x[0] - y[0])) {
      const row: Obj = { seed, steps: round(Math.max(...group.map((r) => r.steps)), 1), bin: b };
      for (const f of HEALTH_FIELDS) {
        const vs = group.map((r) => r[f]).filter(Number.isFinite);
        if (vs.length > 0) row[f] = round(mean(vs), 5);
      }
      if (typeof row['doseMean'] === 'number' && typeof row['doseSd'] === 'number') {
        row['doseLo'] = round((row['doseMean'] as number) - (row['doseSd'] as number), 5);
        row['doseHi'] = round((row['doseMean'] as number) + (row['doseSd'] as number), 5);
      }
      out.push(row);
    }
  }
  return out;
}

/**
 * Training health from training.csv, one panel per series the run recorded: the policy's entropy
 * (or DQN's exploration rate), the value (or Q) loss, the delivered dose (mean +- SD) against the
 * policy's mean deterministic action, and PPO-Lagrangian's multiplier against the episode cost and
 * its budget. One line per seed. A collapsing entropy, an exploding value loss, or a mean action
 * that drifts away from the dose actually delivered (an action pinned at a bound and clipped) show
 * here before they show in the returns.
 */
export function trainingHealth(rows: readonly TrainingHealthRow[], opts: TrainingHealthOptions): Spec {
  requireRows('trainingHealth', rows);
  const data = binnedHealth(rows, opts.bins ?? 100);
  const has = trainingHealthPanels(rows);
  const seeds = new Set(rows.map((r) => String(r.seed))).size;
  const colour = colorsFor([opts.method], opts)[opts.method] ?? '#4e79a7';
  const maxSteps = Math.max(...rows.map((r) => r.steps));
  const x = { field: 'steps', type: 'quantitative', title: 'Environment steps', scale: { domain: [0, maxSteps], nice: false }, axis: { format: '~s' } };
  const seedDetail = { field: 'seed', type: 'nominal' };
  const width = 300;
  const height = 150;
  const line = (field: string, title: string, extra: Obj = {}): Obj => ({
    transform: [{ filter: `isValid(datum.${field})` }],
    mark: { type: 'line', color: colour, strokeWidth: 1.6, ...extra },
    encoding: { x, y: { field, type: 'quantitative', title, scale: { zero: false } }, detail: seedDetail, tooltip: [{ field: 'seed' }, { field: 'steps', format: ',' }, { field, title, format: '.4~g' }] },
  });
  const panel = (title: string, layer: Obj[], resolveY = false): Obj => ({ title: { text: title, fontSize: 12.5, fontWeight: 'normal' }, width, height, data: { values: data }, layer, ...(resolveY ? { resolve: { scale: { y: 'independent' } } } : {}) });
  const panels: Obj[] = [];
  if (has.entropy) panels.push(panel('Policy entropy (nats)', [line('entropy', 'entropy (nats)')]));
  else if (has.exploration) panels.push(panel('Exploration rate (epsilon)', [line('explorationRate', 'epsilon')]));
  // Log scale: a loss that keeps growing is a straight rising line, and early spikes do not flatten the rest.
  if (has.valueLoss) panels.push(panel(`${has.entropy ? 'Value' : 'Q'} loss (log scale)`, [{ ...line('valueLoss', 'loss'), transform: [{ filter: 'isValid(datum.valueLoss) && datum.valueLoss > 0' }], encoding: { ...(line('valueLoss', 'loss')['encoding'] as Obj), y: { field: 'valueLoss', type: 'quantitative', title: 'loss', scale: { type: 'log' } } } }]));
  if (has.dose || has.action) {
    const doseUnit = opts.doseUnit ?? 'dose';
    const actionUnit = opts.actionUnit ?? 'action';
    const layers: Obj[] = [];
    if (has.dose) {
      layers.push({
        layer: [
          { transform: [{ filter: 'isValid(datum.doseLo)' }], mark: { type: 'area', color: colour, opacity: 0.18 }, encoding: { x, y: { field: 'doseLo', type: 'quantitative', title: `Delivered (${doseUnit})`, scale: { zero: false } }, y2: { field: 'doseHi' }, detail: seedDetail } },
          line('doseMean', `Delivered (${doseUnit})`),
        ],
      });
    }
    if (has.action) layers.push(line('actionMean', `Mean action (${actionUnit}), dashed`, { strokeDash: [5, 3], color: '#333' }));
    panels.push(panel(has.dose && has.action ? 'Delivered dose (band: +- 1 SD) against the mean action (dashed)' : has.dose ? 'Delivered dose (band: +- 1 SD)' : 'Mean deterministic action', layers, has.dose && has.action));
  }
  if (has.lagrange) {
    const budget = opts.costLimit;
    panels.push(
      panel(
        'Lagrange multiplier against the episode cost (dashed)',
        [
          line('lagrange', 'multiplier lambda'),
          {
            layer: [
              line('episodeCost', 'Episode cost, dashed', { strokeDash: [5, 3], color: '#333' }),
              ...(budget !== undefined ? [{ data: { values: [{ budget }] }, mark: { type: 'rule', color: '#c0392b', strokeDash: [2, 2] }, encoding: { y: { field: 'budget', type: 'quantitative' } } }] : []),
            ],
          },
        ],
        true,
      ),
    );
  }
  if (panels.length === 0) throw new RangeError('trainingHealth: training.csv has none of entropy, exploration rate, value loss, dose, action or multiplier');
  return finish({
    title: titleOf(opts.title ?? 'Training health', trainingHealthText(has, seeds, opts.costLimit !== undefined && has.lagrange), opts, 2 * width + 40),
    concat: panels,
    columns: 2,
  });
}

/** What a training-health chart shows and how to read it, for the panels it has (its subtitle and the report caption). */
export function trainingHealthText(has: ReturnType<typeof trainingHealthPanels>, seeds: number, hasBudget: boolean): string {
  const parts = [seeds > 1 ? `One line per training seed (${seeds} seeds), averaged per step bin.` : 'One training seed, averaged per step bin.'];
  if (has.entropy) parts.push('Entropy falling to about 0 early means the policy stopped exploring.');
  else if (has.exploration) parts.push("DQN's exploration rate epsilon follows its schedule.");
  if (has.valueLoss) parts.push(`A ${has.entropy ? 'value' : 'Q'} loss that keeps growing means the critic diverges.`);
  if (has.dose && has.action) parts.push('Delivered dose against the mean deterministic action: an action that moves while the delivered dose stays flat (or the reverse) is being clipped at a bound.');
  else if (has.dose) parts.push('The delivered dose with its spread across steps: a collapsed spread means one dose for every state.');
  else if (has.action) parts.push("The policy's mean deterministic action.");
  if (has.lagrange) parts.push(`The Lagrange multiplier rises while the episode cost (dashed) exceeds its budget${hasBudget ? ' (red)' : ''} and settles once it is met.`);
  return parts.join(' ');
}
