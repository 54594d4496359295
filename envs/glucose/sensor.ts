/**
 * CGM sensors Dexcom, GuardianRT and Navigator with the noise model simglucose uses
 * (Xie 2018, a6f6777, simglucose/sensor/cgm.py and noise_gen.py;
 * table data/sensor_params.csv). The noise model is the one of Breton & Kovatchev, "Analysis,
 * modeling, and simulation of the accuracy of continuous glucose sensors", J Diabetes Sci Technol
 * 2(5):853-862, 2008: an AR(1) process at 15-minute spacing passed through a Johnson SU transform.
 *
 *  - 15-minute process: e_0 ~ N(0,1), e_k = PACF * (e_{k-1} + z_k), z_k ~ N(0,1);
 *    error eps_k = xi + lambda * sinh((e_k - gamma) / delta)  [mg/dL].
 *  - The 15-min errors are generated in blocks: the last point of the previous block plus 10 new
 *    points (t = 0, 15, ..., 150 min), interpolated by a cubic spline onto the sensor grid
 *    (0, T, 2T, ..., 150 with T the sample time); the first interpolated value (t = 0, already
 *    used by the previous block) is dropped, the remaining 150/T values are consumed in order.
 *  - simglucose uses scipy's interp1d(kind='cubic'), i.e. a NOT-A-KNOT cubic spline; we use the
 *    same spline (not a natural one). Bit-equality with numpy's MT19937 draws is impossible (our
 *    draws come from the seeded Rng), so only the distribution is reproduced.
 *  - A reading is taken when minute % T == 0 (CGM = clip(BG + eps, min, max)); between samples the
 *    sensor returns the last reading (zero-order hold); before the first reading it returns 0.
 */
import { readFileSync } from 'node:fs';
import { packageFile } from '../../src/core/package.ts';
import type { Rng } from '../../src/core/rng.ts';
import { parseCsv } from '../../src/io/csv.ts';

export type SensorName = 'Dexcom' | 'GuardianRT' | 'Navigator';
export const SENSOR_NAMES: readonly SensorName[] = Object.freeze(['Dexcom', 'GuardianRT', 'Navigator'] as const);

export interface SensorParams {
  name: SensorName;
  /** AR(1) coefficient of the 15-minute process. */
  PACF: number;
  /** Johnson SU shape parameters (dimensionless). */
  gamma: number;
  delta: number;
  /** Johnson SU scale and location [mg/dL]. */
  lambda: number;
  xi: number;
  /** Sample time [min]. */
  sampleTimeMin: number;
  /** Reported range [mg/dL]. */
  minMgDl: number;
  maxMgDl: number;
}

function loadSensors(): Map<string, SensorParams> {
  const rows = parseCsv(readFileSync(packageFile('envs/glucose/data/sensor_params.csv'), 'utf8'));
  const out = new Map<string, SensorParams>();
  for (const r of rows) {
    const n = (c: string): number => {
      const v = Number(r[c]);
      if (!Number.isFinite(v)) throw new Error(`sensor_params.csv: column '${c}' of '${r.Name}' is not a number`);
      return v;
    };
    out.set(r.Name ?? '', {
      name: r.Name as SensorName, PACF: n('PACF'), gamma: n('gamma'), delta: n('delta'), lambda: n('lambda'), xi: n('xi'),
      sampleTimeMin: n('sample_time'), minMgDl: n('min'), maxMgDl: n('max'),
    });
  }
  return out;
}

const SENSORS = loadSensors();

export function getSensorParams(name: SensorName): SensorParams {
  const p = SENSORS.get(name);
  if (p === undefined) throw new RangeError(`sensor: unknown sensor '${String(name)}'; allowed: ${SENSOR_NAMES.join(', ')}`);
  return { ...p };
}

/** Spacing of the noise model's AR(1) process [min]. */
export const NOISE_MODEL_SPACING_MIN = 15;
/** New 15-minute points per interpolation block. */
export const NOISE_BLOCK_POINTS = 10;

/**
 * Weights W (rows = query times, columns = knots) of the not-a-knot cubic spline through `nKnots`
 * equally spaced knots (spacing `h`, first knot at 0): S(t_q) = sum_j W[q][j] * y_j. The spline
 * is linear in the data, so the weights are the spline of each unit vector.
 */
export function notAKnotSplineWeights(nKnots: number, h: number, queryTimes: readonly number[]): Float64Array[] {
  if (nKnots < 4) throw new RangeError('notAKnotSplineWeights: need at least 4 knots');
  const weights = queryTimes.map(() => new Float64Array(nKnots));
  for (let j = 0; j < nKnots; j++) {
    const y = new Float64Array(nKnots);
    y[j] = 1;
    const m = splineSecondDerivatives(y, h);
    queryTimes.forEach((t, q) => {
      (weights[q] as Float64Array)[j] = evalSpline(y, m, h, t);
    });
  }
  return weights;
}

/** Second derivatives M of the not-a-knot cubic spline through y at knots 0, h, 2h, ... */
function splineSecondDerivatives(y: Float64Array, h: number): Float64Array {
  const n = y.length;
  // Dense n x n system (n = 11 here): not-a-knot end rows, tridiagonal interior rows.
  const a: number[][] = Array.from({ length: n }, () => new Array<number>(n + 1).fill(0));
  const row = (i: number): number[] => a[i] as number[];
  // Third derivative continuous at the second and second-to-last knots.
  row(0)[0] = 1; row(0)[1] = -2; row(0)[2] = 1;
  row(n - 1)[n - 3] = 1; row(n - 1)[n - 2] = -2; row(n - 1)[n - 1] = 1;
  for (let i = 1; i < n - 1; i++) {
    row(i)[i - 1] = 1;
    row(i)[i] = 4;
    row(i)[i + 1] = 1;
    row(i)[n] = (6 * (y[i + 1]! - 2 * y[i]! + y[i - 1]!)) / (h * h);
  }
  // Gaussian elimination with partial pivoting.
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(row(r)[c]!) > Math.abs(row(p)[c]!)) p = r;
    [a[c], a[p]] = [row(p), row(c)];
    for (let r = c + 1; r < n; r++) {
      const f = row(r)[c]! / row(c)[c]!;
      if (f !== 0) for (let k = c; k <= n; k++) row(r)[k] = row(r)[k]! - f * row(c)[k]!;
    }
  }
  const m = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = row(r)[n]!;
    for (let k = r + 1; k < n; k++) s -= row(r)[k]! * m[k]!;
    m[r] = s / row(r)[r]!;
  }
  return m;
}

function evalSpline(y: Float64Array, m: Float64Array, h: number, t: number): number {
  const n = y.length;
  const i = Math.min(n - 2, Math.max(0, Math.floor(t / h)));
  const x0 = i * h, x1 = (i + 1) * h;
  const a = x1 - t, b = t - x0;
  return (
    (m[i]! * a * a * a) / (6 * h) + (m[i + 1]! * b * b * b) / (6 * h) +
    (y[i]! / h - (m[i]! * h) / 6) * a + (y[i + 1]! / h - (m[i + 1]! * h) / 6) * b
  );
}

/** The 15-minute AR(1) + Johnson SU error sequence eps_0, eps_1, ... [mg/dL]. */
export class Noise15 {
  private e = 0;
  private count = 0;
  constructor(private readonly params: SensorParams, private readonly rng: Rng) {}

  /** The AR(1) variable e_k of the last draw (for tests). */
  get lastE(): number {
    return this.e;
  }

  next(): number {
    const p = this.params;
    this.e = this.count === 0 ? this.rng.normal() : p.PACF * (this.e + this.rng.normal());
    this.count++;
    return p.xi + p.lambda * Math.sinh((this.e - p.gamma) / p.delta);
  }
}

const blockWeightsBySampleTime = new Map<number, readonly Float64Array[]>();

/**
 * Spline weights from one block's 11 knots to its sensor-grid points (the first point dropped),
 * computed once per sample time and shared, read-only, by every sensor: an env builds a new
 * sensor at each reset, and solving the spline there cost ~6 % of T1D-v0's stepping time.
 */
function blockWeights(sampleTimeMin: number): readonly Float64Array[] {
  let weights = blockWeightsBySampleTime.get(sampleTimeMin);
  if (weights === undefined) {
    const span = NOISE_BLOCK_POINTS * NOISE_MODEL_SPACING_MIN; // 150 min
    const nSample = Math.floor(span / sampleTimeMin) + 1;
    const times: number[] = [];
    for (let k = 1; k < nSample; k++) times.push(k * sampleTimeMin);
    weights = Object.freeze(notAKnotSplineWeights(NOISE_BLOCK_POINTS + 1, NOISE_MODEL_SPACING_MIN, times));
    blockWeightsBySampleTime.set(sampleTimeMin, weights);
  }
  return weights;
}

/** The CGM error on the sensor grid [mg/dL], one value per sensor sample, as simglucose builds it. */
export class CgmNoise {
  readonly sampleTimeMin: number;
  private readonly noise15: Noise15;
  private readonly weights: readonly Float64Array[];
  private readonly knots = new Float64Array(NOISE_BLOCK_POINTS + 1);
  private readonly block: Float64Array;
  private pos: number;
  private lastKnot: number;

  constructor(params: SensorParams, rng: Rng) {
    this.sampleTimeMin = params.sampleTimeMin;
    this.noise15 = new Noise15(params, rng);
    this.weights = blockWeights(params.sampleTimeMin);
    this.block = new Float64Array(this.weights.length);
    this.pos = this.weights.length; // empty: the first next() builds a block
    this.lastKnot = this.noise15.next(); // simglucose draws the initial 15-min point up front
  }

  next(): number {
    if (this.pos >= this.block.length) this.fillBlock();
    return this.block[this.pos++]!;
  }

  private fillBlock(): void {
    const knots = this.knots;
    knots[0] = this.lastKnot;
    for (let k = 1; k <= NOISE_BLOCK_POINTS; k++) knots[k] = this.noise15.next();
    this.lastKnot = knots[NOISE_BLOCK_POINTS]!;
    for (let q = 0; q < this.block.length; q++) {
      const w = this.weights[q]!;
      let s = 0;
      for (let j = 0; j < knots.length; j++) s += w[j]! * knots[j]!;
      this.block[q] = s;
    }
    this.pos = 0;
  }
}

export interface CgmSensorOptions {
  /** Add the CGM error (default model); false = the sensor reports BG exactly (still clipped and held). */
  noise: boolean;
  /** Stream for the noise draws (untouched when noise is false). */
  rng: Rng;
}

export class CgmSensor {
  readonly name: SensorName;
  readonly params: SensorParams;
  readonly sampleTimeMin: number;
  readonly minMgDl: number;
  readonly maxMgDl: number;
  private readonly noise: CgmNoise | undefined;
  private last = 0;

  constructor(name: SensorName, options: CgmSensorOptions) {
    this.name = name;
    this.params = getSensorParams(name);
    this.sampleTimeMin = this.params.sampleTimeMin;
    this.minMgDl = this.params.minMgDl;
    this.maxMgDl = this.params.maxMgDl;
    this.noise = options.noise ? new CgmNoise(this.params, options.rng) : undefined;
  }

  /**
   * Reading at integer minute `minute` given the true Gs/Vg [mg/dL]: a new measurement when
   * minute % sampleTime == 0, else the last one (zero-order hold); clipped to [min, max].
   */
  read(bgMgDl: number, minute: number): number {
    if (minute % this.sampleTimeMin === 0) {
      const eps = this.noise === undefined ? 0 : this.noise.next();
      this.last = Math.min(this.maxMgDl, Math.max(this.minMgDl, bgMgDl + eps));
    }
    return this.last;
  }

  /** The last reading (0 before the first). */
  get lastReading(): number {
    return this.last;
  }
}
