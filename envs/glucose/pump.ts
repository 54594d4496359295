/**
 * Insulin pumps Insulet and Cozmo with simglucose's discretisation (Xie 2018, a6f6777,
 * simglucose/actuator/pump.py; table data/pump_params.csv).
 *
 * A requested rate [U/min] is converted to pmol/min (x6000), rounded to the nearest multiple of the
 * increment `inc` [pmol/min] (ties to even, as numpy.round), converted back to U/min and clipped to
 * [min, max] U/min. So the resolution is inc/6000 = 8.33e-6 U/min for both pumps.
 */
import { readFileSync } from 'node:fs';
import { packageFile } from '../../src/core/package.ts';
import { parseCsv } from '../../src/io/csv.ts';

export type PumpName = 'Insulet' | 'Cozmo';
export const PUMP_NAMES: readonly PumpName[] = Object.freeze(['Insulet', 'Cozmo'] as const);

/** pmol per unit of insulin. */
const U_TO_PMOL = 6000;

interface PumpRow {
  minBolus: number; maxBolus: number; incBolus: number; // U/min, U/min, pmol/min
  minBasal: number; maxBasal: number; incBasal: number;
}

function loadPumps(): Map<string, PumpRow> {
  const rows = parseCsv(readFileSync(packageFile('envs/glucose/data/pump_params.csv'), 'utf8'));
  const pumps = new Map<string, PumpRow>();
  for (const r of rows) {
    const n = (c: string): number => {
      const v = Number(r[c]);
      if (!Number.isFinite(v)) throw new Error(`pump_params.csv: column '${c}' of '${r.Name}' is not a number`);
      return v;
    };
    pumps.set(r.Name ?? '', {
      minBolus: n('min_bolus'), maxBolus: n('max_bolus'), incBolus: n('inc_bolus'),
      minBasal: n('min_basal'), maxBasal: n('max_basal'), incBasal: n('inc_basal'),
    });
  }
  return pumps;
}

const PUMPS = loadPumps();

/** numpy.round: round half to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round rounds .5 up; for exact ties pick the even neighbour.
  return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : r;
}

function quantise(uPerMin: number, incPmol: number, min: number, max: number): number {
  let rate = uPerMin * U_TO_PMOL;
  rate = roundHalfEven(rate / incPmol) * incPmol;
  rate = rate / U_TO_PMOL;
  rate = Math.min(rate, max);
  return Math.max(rate, min);
}

export class Pump {
  readonly name: PumpName;
  readonly maxBasalUPerMin: number;
  readonly maxBolusUPerMin: number;
  private readonly row: PumpRow;

  constructor(name: PumpName) {
    const row = PUMPS.get(name);
    if (row === undefined) throw new RangeError(`Pump: unknown pump '${String(name)}'; allowed: ${PUMP_NAMES.join(', ')}`);
    this.name = name;
    this.row = row;
    this.maxBasalUPerMin = row.maxBasal;
    this.maxBolusUPerMin = row.maxBolus;
  }

  /** Delivered basal rate [U/min] for a requested rate [U/min]. */
  basal(uPerMin: number): number {
    const r = this.row;
    return quantise(uPerMin, r.incBasal, r.minBasal, r.maxBasal);
  }

  /** Delivered bolus rate [U/min] for a requested rate [U/min]. */
  bolus(uPerMin: number): number {
    const r = this.row;
    return quantise(uPerMin, r.incBolus, r.minBolus, r.maxBolus);
  }
}
