/**
 * The info of the chemotherapy envs, typed (units in the `info` paragraphs of depillis-env.ts and
 * zhao-env.ts): the numeric and boolean fields every reset and step info carries. The chemotherapy
 * families read info through these readers (metrics, constraints, trajectories), and their fields
 * are the names a custom reward expression may use; test/family-registry.test.ts checks them
 * against the envs' real info.
 */
import { infoReader } from '../../src/core/info.ts';
import { DEPILLIS_ENV_ID } from './depillis-env.ts';
import { ZHAO_ENV_ID } from './zhao-env.ts';

export const DEPILLIS_INFO = infoReader(DEPILLIS_ENV_ID, {
  numbers: ['cost', 'N', 'T', 'I', 'B', 'dose', 'cumulativeDose', 'day', 'step', 'untreatedN'],
  flags: ['observationMissing'],
});

export const ZHAO_INFO = infoReader(ZHAO_ENV_ID, {
  numbers: ['cost', 'W', 'M', 'month', 'dose', 'cumulativeDose', 'survivalProb', 'cumulativeSurvival'],
  flags: ['cured', 'dead'],
});
