/**
 * A run's report sections: Training, then the sections of the run's patient family, then Safety.
 *
 * Family sections live here in the report layer, keyed by the family's name (the family modules
 * in envs/ sit below the report and cannot import it): a new family adds a module next to
 * glucose.ts and chemo.ts and one entry below. A family without an entry is an error.
 */
import type { ReportSection } from '../html.ts';
import { CHEMO_CAPTIONS, DEPILLIS_SECTIONS } from './chemo.ts';
import type { FamilySections } from './family-sections.ts';
import { GLUCOSE_CAPTIONS, GLUCOSE_SECTIONS } from './glucose.ts';
import { RETURNS_CAPTION, RETURNS_ONLY } from './returns.ts';
import type { RunReportData } from './run-data.ts';
import { safetySection } from './safety.ts';
import { TRAINING_CAPTIONS, trainingSection } from './training.ts';

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
  const training = trainingSection(data);
  const safety = safetySection(data, family);
  return [...(training !== undefined ? [training] : []), ...family.sections(data), ...(safety !== undefined ? [safety] : [])];
}

/** Every chart's "how to read this chart" caption, by chart (also used by the sample report). */
export const CAPTIONS = { ...TRAINING_CAPTIONS, ...GLUCOSE_CAPTIONS, ...CHEMO_CAPTIONS, returnsByMethod: RETURNS_CAPTION } as const;
