/**
 * The info of T1D-v0, typed (see the `info` paragraph of t1d-env.ts for units): the numeric
 * fields every reset and step info carries. The glucose family reads info through this reader
 * (metrics, constraints, trajectories), and its fields are the names a custom reward expression
 * may use. test/family-registry.test.ts checks them against a real env's info, so a field added
 * to the env without being declared here fails a test instead of going unnoticed.
 */
import { infoReader } from '../../src/core/info.ts';
import { T1D_ENV_ID } from './t1d-env.ts';

export const T1D_INFO = infoReader(T1D_ENV_ID, {
  numbers: ['bg', 'cgm', 'insulin', 'cho', 'cost', 'risk', 'minute', 'mealGrams', 'sampleTimeMin', 'patientBasalUPerMin', 'CR', 'CF', 'actionMaxUnitsPerHour'],
  flags: ['controllerToldOfMeals'],
});
