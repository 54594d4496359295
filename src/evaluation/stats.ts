/**
 * Aggregate statistics for evaluation results: mean, sample SD, percentile bootstrap 95 %
 * confidence intervals (seeded, so reruns give identical intervals), paired differences, the
 * clustered bootstrap over training seeds, patients and episodes, and the interquartile mean with
 * rliable's stratified bootstrap.
 */
import { Rng } from '../core/rng.ts';
import { mean, quantile, quantileSorted } from '../core/stats.ts';

export { mean, quantile, quantileSorted } from '../core/stats.ts';

/** Sample standard deviation (n - 1); 0 for a single value. */
export function sd(xs: readonly number[]): number {
  if (xs.length < 2) return xs.length === 1 ? 0 : Number.NaN;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

export interface Interval {
  low: number;
  high: number;
}

/** Percentile bootstrap CI of the mean (resamples drawn from `seed`; deterministic). */
export function bootstrapMeanCI(xs: readonly number[], resamples: number, seed: number, level = 0.95): Interval {
  if (xs.length === 0) return { low: Number.NaN, high: Number.NaN };
  if (xs.length === 1) return { low: xs[0] as number, high: xs[0] as number };
  const rng = new Rng(seed).child('bootstrap');
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < xs.length; i++) s += xs[rng.int(xs.length)] as number;
    means[r] = s / xs.length;
  }
  const alpha = (1 - level) / 2;
  const arr = Array.from(means);
  return { low: quantile(arr, alpha), high: quantile(arr, 1 - alpha) };
}

/** Element-wise differences a[i] - b[i] of paired observations (same length required). */
export function pairedDifferences(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length) throw new RangeError(`pairedDifferences: ${a.length} vs ${b.length} observations`);
  return a.map((x, i) => x - (b[i] as number));
}

/**
 * The layout of an evaluation: training seeds x patients x episodes per patient, values at
 * index (s * patients + p) * episodes + k, NaN where a value is missing or undefined.
 *
 * Seeds and patients are CROSSED, not nested: every training seed is evaluated on the same patients
 * and the same episodes (the paired protocol of evaluate.ts), so a patient's difficulty is shared by
 * all seeds. Episodes are nested in patients.
 */
export interface ClusteredDesign {
  seeds: number;
  patients: number;
  episodes: number;
}

function checkDesign(design: ClusteredDesign, variables: readonly Float64Array[]): void {
  const { seeds, patients, episodes } = design;
  if (![seeds, patients, episodes].every((n) => Number.isInteger(n) && n >= 1)) throw new RangeError(`clustered bootstrap: design ${JSON.stringify(design)} needs at least one seed, patient and episode`);
  for (const v of variables) {
    if (v.length !== seeds * patients * episodes) throw new RangeError(`clustered bootstrap: ${v.length} values for ${seeds} x ${patients} x ${episodes}`);
  }
}

/** Mean of the finite values (NaN when none is). */
function finiteMean(v: Float64Array): number {
  let sum = 0;
  let n = 0;
  for (const x of v) {
    if (Number.isFinite(x)) {
      sum += x;
      n++;
    }
  }
  return n === 0 ? Number.NaN : sum / n;
}

/** Percentile interval of the finite replicates (NaN when there are none). */
function percentileInterval(replicates: Float64Array, level: number): Interval {
  const finite = replicates.filter(Number.isFinite).sort();
  const alpha = (1 - level) / 2;
  return { low: quantileSorted(finite, alpha), high: quantileSorted(finite, 1 - alpha) };
}

/**
 * Percentile bootstrap 95 % CIs of the mean of each variable, resampling the design's clusters
 * level by level: in each replicate draw the training seeds with replacement, then the patients
 * with replacement (once, shared by the drawn seeds, since seeds and patients are crossed), then
 * for each drawn patient its episodes with replacement; the replicate is the mean of the finite
 * values in the drawn seeds x patients x episodes grid. All variables share the replicates' draws,
 * as one bootstrap of the episodes should.
 *
 * This is the hierarchical bootstrap (Davison & Hinkley, Bootstrap Methods and their Application,
 * 1997, section 3.8) with the crossed seed and patient levels resampled independently (Owen's
 * pigeonhole bootstrap, Ann. Appl. Stat. 1(1):246-276, 2007). A level with one unit (one seed, a
 * baseline; one patient) contributes nothing, so seeds that disagree widen the interval and one
 * seed cannot. Resampling every level with replacement errs on the wide side: with no seed or
 * patient effect at all the interval is about sqrt(3) times the episode-level bootstrap's (each
 * level adds the within-episode noise once).
 */
export function clusteredBootstrapMeanCI(design: ClusteredDesign, variables: readonly Float64Array[], resamples: number, seed: number, level = 0.95): Interval[] {
  checkDesign(design, variables);
  const { seeds: S, patients: P, episodes: K } = design;
  const rng = new Rng(seed).child('clustered-bootstrap');
  const replicates = variables.map(() => new Float64Array(resamples));
  const seedDraw = new Int32Array(S);
  const patientDraw = new Int32Array(P);
  const episodeDraw = new Int32Array(P * K);
  // The flat indices of the drawn grid, shared by every variable.
  const drawn = new Int32Array(S * P * K);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < S; i++) seedDraw[i] = S === 1 ? 0 : rng.int(S);
    for (let j = 0; j < P; j++) patientDraw[j] = P === 1 ? 0 : rng.int(P);
    for (let j = 0; j < P * K; j++) episodeDraw[j] = K === 1 ? 0 : rng.int(K);
    let c = 0;
    for (let i = 0; i < S; i++) {
      for (let j = 0; j < P; j++) {
        const base = ((seedDraw[i] as number) * P + (patientDraw[j] as number)) * K;
        for (let l = 0; l < K; l++) drawn[c++] = base + (episodeDraw[j * K + l] as number);
      }
    }
    for (let m = 0; m < variables.length; m++) {
      const v = variables[m] as Float64Array;
      let sum = 0;
      let n = 0;
      for (let i = 0; i < drawn.length; i++) {
        const x = v[drawn[i] as number] as number;
        // NaN marks a missing value (x === x is false only for NaN)
        if (x === x) {
          sum += x;
          n++;
        }
      }
      (replicates[m] as Float64Array)[r] = n === 0 ? Number.NaN : sum / n;
    }
  }
  return variables.map((v, m) => (Number.isNaN(finiteMean(v)) ? { low: Number.NaN, high: Number.NaN } : percentileInterval(replicates[m] as Float64Array, level)));
}

/**
 * The interquartile mean: the mean of the middle half of the values, cutting floor(n / 4) from each
 * end of the sorted values (scipy.stats.trim_mean(x, 0.25), as rliable computes the IQM; Agarwal et
 * al., Deep Reinforcement Learning at the Edge of the Statistical Precipice, NeurIPS 2021). NaN
 * values are dropped; NaN when none is left.
 */
export function interquartileMean(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).filter((x) => !Number.isNaN(x)).sort();
  const cut = Math.floor(sorted.length * 0.25);
  return mean(Array.from(sorted.subarray(cut, sorted.length - cut)));
}

export interface IqmEstimate {
  value: number;
  /** 95 % CI; null with fewer than two runs per task (nothing to resample). */
  ci95: Interval | null;
  /** Runs (training seeds) and tasks (patients) in the score matrix. */
  runs: number;
  tasks: number;
}

/**
 * The IQM of a runs x tasks score matrix (scores[run * tasks + task]; NaN = missing) with rliable's
 * stratified bootstrap CI: each replicate resamples the runs with replacement independently within
 * every task, and takes the IQM of all the resampled scores (Agarwal et al. 2021, rliable's
 * StratifiedBootstrap and get_interval_estimates).
 */
export function iqmWithStratifiedCI(scores: Float64Array, runs: number, tasks: number, resamples: number, seed: number, level = 0.95): IqmEstimate {
  if (scores.length !== runs * tasks) throw new RangeError(`iqmWithStratifiedCI: ${scores.length} scores for ${runs} runs x ${tasks} tasks`);
  const value = interquartileMean(scores);
  if (runs < 2 || Number.isNaN(value)) return { value, ci95: null, runs, tasks };
  const rng = new Rng(seed).child('iqm-stratified-bootstrap');
  const replicates = new Float64Array(resamples);
  const drawn = new Float64Array(runs * tasks);
  for (let r = 0; r < resamples; r++) {
    for (let task = 0; task < tasks; task++) {
      for (let i = 0; i < runs; i++) drawn[i * tasks + task] = scores[rng.int(runs) * tasks + task] as number;
    }
    replicates[r] = interquartileMean(drawn);
  }
  return { value, ci95: percentileInterval(replicates, level), runs, tasks };
}
