/**
 * A run's report sections: Training, then the sections of the run's patient family, then Safety.
 *
 * Family sections live here in the report layer, keyed by the family's name (the family modules
 * in envs/ sit below the report and cannot import it): a new family adds a module next to
 * glucose.ts and chemo.ts and one entry below. A family without an entry is an error.
 */
import type { ReportSection } from '../html.ts';
import { DEPILLIS_SECTIONS } from './chemo.ts';
import type { FamilySections } from './family-sections.ts';
import { GLUCOSE_SECTIONS } from './glucose.ts';
import { RETURNS_ONLY } from './returns.ts';
import type { RunReportData } from './run-data.ts';
import { safetySection } from './safety.ts';
import { trainingSection } from './training.ts';

export type { FamilySections } from './family-sections.ts';
export type { RunReportData } from './run-data.ts';

const BY_FAMILY: Readonly<Record<string, FamilySections>> = {
  t1d: GLUCOSE_SECTIONS,
  'chemo-depillis': DEPILLIS_SECTIONS,
  'chemo-zhao': RETURNS_ONLY,
  classic: RETURNS_ONLY,
};

/** The report sections of a family, by its name (src/core/family.ts `Family.name`). */
export function familySections(name: string): FamilySections {
  const sections = BY_FAMILY[name];
  if (sections === undefined) throw new Error(`report: no report sections for patient family '${name}'; families with sections: ${Object.keys(BY_FAMILY).join(', ')} (src/report/sections/index.ts)`);
  return sections;
}

export function runReportSections(data: RunReportData): ReportSection[] {
  const family = familySections(data.family.name);
  const safety = safetySection(data, family);
  return [...runTrainingSections(data), ...family.sections(data), ...(safety !== undefined ? [safety] : [])];
}

/** The Training section alone (empty before the first update): all a run not yet evaluated can show. */
export function runTrainingSections(data: RunReportData): ReportSection[] {
  const training = trainingSection(data, familySections(data.family.name).doseUnit);
  return training !== undefined ? [training] : [];
}

/**
 * The report header's lines, so that a screenshot of it stands alone: what was compared, on which
 * patients and days, trained how, and under which protocol (the family's lines, then the shield).
 */
export function runReportHeader(data: RunReportData): string[] {
  const { config } = data;
  const patients = data.family.patients(config.env.options);
  const learned = data.methods.filter((m) => m.trained && !m.shielded).map((m) => m.name);
  const baselines = data.methods.filter((m) => !m.trained && !m.shielded).map((m) => m.name);
  const shielded = data.methods.filter((m) => m.shielded).map((m) => m.name);
  const { train } = config;
  const lines = [
    `Compared: ${[...learned.map((m) => `${m} (learned)`), ...baselines].join(', ')}${shielded.length > 0 ? `; behind the safety shield: ${shielded.join(', ')}` : ''}.`,
    patients[0] === null
      ? `Evaluated on ${config.evaluate.episodes} episodes per method (each a new patient draw), evaluation seed ${config.evaluate.seed}, the same episodes for every method.`
      : `Evaluated on ${patients.length} patient${patients.length === 1 ? '' : 's'} (${patients.length <= 6 ? patients.join(', ') : `${patients.slice(0, 3).join(', ')}, ... ${patients.at(-1)}`}) x ${config.evaluate.episodes} days each, evaluation seed ${config.evaluate.seed}, the same days for every method.`,
    train.algo === 'none' ? 'No training: baselines only.' : `Trained: ${train.algo}, ${train.steps.toLocaleString('en-US')} environment steps x ${train.seeds.length} seed${train.seeds.length === 1 ? '' : 's'} (${train.seeds.join(', ')}); evaluated on seeds never used in training.`,
  ];
  const protocol = familySections(data.family.name).protocol?.(data) ?? [];
  const shield = config.safety?.shield;
  const safety = [
    ...(config.safety?.constraints !== undefined ? [`constraints ${JSON.stringify(config.safety.constraints)}`] : []),
    ...(shield !== undefined ? [`shield ${JSON.stringify(shield)}${config.safety?.shieldTraining === true ? ' (also during training)' : ''}`] : []),
  ];
  if (protocol.length > 0 || safety.length > 0) lines.push(`Protocol: ${[...protocol, ...safety].join('; ')}.`);
  return lines;
}
