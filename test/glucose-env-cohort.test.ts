/** `cohort` is an alias of `patient: <cohort>` (the name configs written for the cohort-training feature use). */
import test from 'ava';
import '../envs/index.ts';
import { make } from '../src/core/registry.ts';
import { familyOf } from '../src/core/family.ts';
import { COHORTS } from '../envs/glucose/patient.ts';

test('cohort: adults draws the same patients and action range as patient: adults', (t) => {
  const a = make('T1D-v0', { cohort: 'adults', sensorNoise: false });
  const b = make('T1D-v0', { patient: 'adults', sensorNoise: false });
  t.deepEqual(a.actionSpace.toJSON(), b.actionSpace.toJSON());
  for (const seed of [1, 2, 3, 4]) t.is(a.reset({ seed }).info['patient'], b.reset({ seed }).info['patient']);
  t.deepEqual(familyOf('T1D-v0').patients({ cohort: 'adults' }), [...COHORTS.adults]);
});

test('cohort errors name the option', (t) => {
  t.throws(() => make('T1D-v0', { cohort: 'seniors' }), { message: /^T1D-v0: cohort: expected a cohort: adolescents, adults, children, all/ });
  t.throws(() => make('T1D-v0', { cohort: 'adults', patient: 'child#001' }), { message: /cohort: give patient or cohort, not both/ });
});
