/**
 * The 30 virtual T1D patients of the UVA/Padova simulator (2008 FDA-accepted cohort), as shipped with
 * simglucose (Xie 2018, commit a6f6777, MIT; see data/README.md).
 *
 * Model: Dalla Man, Rizza & Cobelli, IEEE TBME 54(10) 2007 (meal glucose-insulin model);
 * cohort: Kovatchev, Breton, Dalla Man & Cobelli, J Diabetes Sci Technol 3(1) 2009.
 * Tables: data/vpatient_params.csv (ODE parameters and default initial state x0, one row per
 * patient) and data/Quest.csv (therapy parameters CR, CF, age, TDI).
 *
 * Units (as simglucose uses them): BW kg; Vg dL/kg; Vi L/kg; rates 1/min; Gp, Gt, Gs mass mg/kg;
 * Ip, Il, Isc1, Isc2 pmol/kg; X, I1, Id, Ib pmol/L; u2ss pmol/kg/min; basal U/min (1 U = 6000 pmol).
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../../src/core/errors.ts';
import { packageFile } from '../../src/core/package.ts';
import { parseCsv } from '../../src/io/csv.ts';

export interface PatientParams {
  name: string;
  /** Body weight [kg]. */
  BW: number;
  // --- gastro-intestinal tract [1/min; b, d dimensionless] ---
  kabs: number;
  kmax: number;
  kmin: number;
  b: number;
  d: number;
  // --- volumes [Vg dL/kg, Vi L/kg] and basal insulin concentration [pmol/L] ---
  Vg: number;
  Vi: number;
  Ib: number;
  // --- glucose utilisation ---
  /** Insulin-dependent utilisation gain [mg/kg/min per pmol/L]. */
  Vmx: number;
  /** Michaelis-Menten constant [mg/kg]. */
  Km0: number;
  k1: number;
  k2: number;
  p2u: number;
  // --- insulin kinetics [1/min] ---
  m1: number;
  m2: number;
  m4: number;
  m30: number;
  ki: number;
  // --- endogenous glucose production ---
  /** EGP at zero glucose and insulin [mg/kg/min]. */
  kp1: number;
  kp2: number;
  /** Hepatic insulin action [mg/kg/min per pmol/L]. */
  kp3: number;
  /** Fraction of intestinal absorption appearing in plasma. */
  f: number;
  // --- renal excretion: rate [1/min] and threshold on the plasma glucose MASS [mg/kg] ---
  ke1: number;
  ke2: number;
  /** Insulin-independent utilisation [mg/kg/min]. */
  Fsnc: number;
  /** Insulin-independent part of Vm [mg/kg/min]. */
  Vm0: number;
  // --- subcutaneous insulin and glucose [1/min] ---
  kd: number;
  ksc: number;
  ka1: number;
  ka2: number;
  /** Steady-state (basal) s.c. insulin infusion [pmol/kg/min]. */
  u2ss: number;
  // --- basal values, not used by the ODE (self-checks and documentation) ---
  /** Basal plasma glucose [mg/dL] = Gpb / Vg. */
  Gb: number;
  /** Basal plasma / tissue glucose mass [mg/kg]. */
  Gpb: number;
  Gtb: number;
  /** Basal plasma / liver insulin mass [pmol/kg]. */
  Ipb: number;
  Ilb: number;
  /** Basal endogenous glucose production [mg/kg/min]. */
  EGPb: number;
  /** Default initial state (basal steady state), 13 values in state order (see model.ts). */
  x0: Float64Array;
  /** Basal insulin rate [U/min] = u2ss * BW / 6000. */
  basalUPerMin: number;
  /** Carbohydrate ratio [g CHO per U]. */
  CR: number;
  /** Correction factor [mg/dL per U]. */
  CF: number;
  /** Age [years]. */
  age: number;
  /** Total daily insulin [U/day]. */
  TDI: number;
}

const DATA_DIR = packageFile('envs/glucose/data/');

function readTable(file: string): Record<string, string>[] {
  return parseCsv(readFileSync(new URL(file, DATA_DIR), 'utf8'));
}

function num(row: Record<string, string>, column: string, file: string): number {
  const raw = row[column];
  const value = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(value)) throw new Error(`${file}: column '${column}' of '${row.Name}' is not a number: '${raw}'`);
  return value;
}

/** Columns copied as-is from vpatient_params.csv into PatientParams. */
const PARAM_COLUMNS = [
  'BW', 'kabs', 'kmax', 'kmin', 'b', 'd', 'Vg', 'Vi', 'Ib', 'Vmx', 'Km0', 'k1', 'k2', 'p2u', 'm1', 'm2', 'm4', 'm30',
  'ki', 'kp1', 'kp2', 'kp3', 'f', 'ke1', 'ke2', 'Fsnc', 'Vm0', 'kd', 'ksc', 'ka1', 'ka2', 'u2ss',
  'Gb', 'Gpb', 'Gtb', 'Ipb', 'Ilb', 'EGPb',
] as const;

/** Initial-state columns in state order. simglucose takes them by position; the headers contain spaces ('x0_ 1'). */
const X0_COLUMNS = ['x0_ 1', 'x0_ 2', 'x0_ 3', 'x0_ 4', 'x0_ 5', 'x0_ 6', 'x0_ 7', 'x0_ 8', 'x0_ 9', 'x0_10', 'x0_11', 'x0_12', 'x0_13'];

function loadPatients(): Map<string, PatientParams> {
  const quest = new Map(readTable('Quest.csv').map((row) => [row.Name ?? '', row]));
  const patients = new Map<string, PatientParams>();
  for (const row of readTable('vpatient_params.csv')) {
    const name = row.Name ?? '';
    const q = quest.get(name);
    if (q === undefined) throw new Error(`Quest.csv: no row for patient '${name}'`);
    const p = { name } as Record<string, unknown>;
    for (const c of PARAM_COLUMNS) p[c] = num(row, c, 'vpatient_params.csv');
    p.x0 = Float64Array.from(X0_COLUMNS.map((c) => num(row, c, 'vpatient_params.csv')));
    // simglucose: basal = u2ss * BW / 6000 [U/min] (pmol/kg/min * kg / (pmol/U)).
    p.basalUPerMin = ((p.u2ss as number) * (p.BW as number)) / 6000;
    p.CR = num(q, 'CR', 'Quest.csv');
    p.CF = num(q, 'CF', 'Quest.csv');
    p.age = num(q, 'Age', 'Quest.csv');
    p.TDI = num(q, 'TDI', 'Quest.csv');
    patients.set(name, p as unknown as PatientParams);
  }
  return patients;
}

const PATIENTS = loadPatients();

/** The 30 patient ids in table order: adolescent#001..#010, adult#001..#010, child#001..#010. */
export const PATIENT_NAMES: readonly string[] = Object.freeze([...PATIENTS.keys()]);

export const COHORTS: Record<'adolescents' | 'adults' | 'children' | 'all', readonly string[]> = Object.freeze({
  adolescents: Object.freeze(PATIENT_NAMES.filter((n) => n.startsWith('adolescent#'))),
  adults: Object.freeze(PATIENT_NAMES.filter((n) => n.startsWith('adult#'))),
  children: Object.freeze(PATIENT_NAMES.filter((n) => n.startsWith('child#'))),
  all: PATIENT_NAMES,
});

/** A fresh copy of one patient's parameters (callers may not mutate the shared table). */
export function getPatient(name: string): PatientParams {
  const p = PATIENTS.get(name);
  if (p === undefined) {
    throw new UserError(
      `patient: unknown patient '${name}'; allowed: adolescent#001..#010, adult#001..#010, child#001..#010`,
    );
  }
  return { ...p, x0: Float64Array.from(p.x0) };
}
