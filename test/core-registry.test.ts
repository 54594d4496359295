import test from 'ava';
import '../envs/index.ts';
import { make, listEnvs, envSpec, describeEnv } from '../src/core/registry.ts';
import { UserError } from '../src/core/errors.ts';

test('classic envs are registered with every option in their defaults', (t) => {
  const ids = listEnvs();
  t.true(ids.includes('CartPole-v1'));
  t.true(ids.includes('Pendulum-v1'));
  t.deepEqual(envSpec('CartPole-v1').defaults, { maxEpisodeSteps: 500 });
  t.deepEqual(envSpec('Pendulum-v1').defaults, { maxEpisodeSteps: 200 });
  const d = describeEnv('CartPole-v1');
  t.is(d.actionSpace, 'Discrete(2)');
  t.is(d.metadata.id, 'CartPole-v1');
});

test('unknown id is a UserError listing the registered ids', (t) => {
  const err = t.throws(() => make('CartPole-v0'), { instanceOf: UserError });
  t.regex(err.message, /^unknown environment 'CartPole-v0'; registered: /);
  t.true(err.message.includes('CartPole-v1'));
  t.true(err.message.includes('Pendulum-v1'));
});

test('unknown option is a UserError listing the allowed ones', (t) => {
  t.throws(() => make('CartPole-v1', { maxSteps: 10 }), {
    instanceOf: UserError,
    message: "CartPole-v1: unknown option 'maxSteps'; allowed: maxEpisodeSteps",
  });
});

test('make passes options through', (t) => {
  const env = make('Pendulum-v1', { maxEpisodeSteps: 7 });
  t.is(env.metadata.maxEpisodeSteps, 7);
  env.reset({ seed: 1 });
  let n = 0;
  while (!env.step(Float32Array.of(0)).truncated) n++;
  t.is(n + 1, 7);
});
