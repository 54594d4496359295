/**
 * Every registered environment, with its default options, passes the contract checker, and the
 * registry lists exactly the environments DoseGym documents.
 */
import test from 'ava';
import '../envs/index.ts';
import { listEnvs, make } from '../src/core/registry.ts';
import { checkEnv } from '../src/core/check-env.ts';
import { TimeLimit } from '../src/core/wrappers.ts';

test('the registry lists the documented environments', (t) => {
  t.deepEqual(listEnvs(), ['CartPole-v1', 'Chemo-DePillis-v0', 'Chemo-Zhao2009-v0', 'Pendulum-v1', 'T1D-v0']);
});

for (const id of listEnvs()) {
  test(`checkEnv passes for ${id} with its default options`, (t) => {
    // A short time limit lets the checker also exercise stepping after an episode ended.
    const report = checkEnv(new TimeLimit(make(id), 40), { steps: 60, seed: 11 });
    t.true(report.steps >= 60);
    t.true(report.episodeEnds >= 1);
  });
}
