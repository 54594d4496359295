import test from 'ava';
import '../envs/classic/register.ts';
import { make } from '../src/core/registry.ts';
import { checkEnv, CheckEnvError } from '../src/core/check-env.ts';
import type { Env, Info, ResetArgs } from '../src/core/env.ts';
import { Box, Discrete } from '../src/core/spaces.ts';
import { Rng } from '../src/core/rng.ts';

/**
 * A toy env written directly against the `Env` interface (not BaseEnv, which would enforce some of
 * the contract for it), so each test can break exactly one rule. Correct behaviour: a seeded random
 * walk x in [-3, 3] (Box(-5, 5), float32), action Box(-1, 1, [1]) added to x plus noise; terminates
 * when |x| >= 3, truncates after 15 steps; reward -|x|; info.cost = 1 when |x| > 2.
 */
type Break =
  | 'obsSpace'
  | 'actSpace'
  | 'noId'
  | 'zeroDuration'
  | 'badUnit'
  | 'resetNotSeeded'
  | 'stepNotSeeded'
  | 'resetObsOutside'
  | 'stepObsOutside'
  | 'nanReward'
  | 'numericTerminated'
  | 'stringTruncated'
  | 'nullInfo'
  | 'negativeCost'
  | 'nanCost'
  | 'noThrowAfterEnd'
  | 'acceptsOutside'
  | 'acceptsNaN'
  | 'acceptsWrongLength'
  | 'neverEnds'
  | 'resetShape';

class Toy implements Env<Float32Array, Float32Array> {
  observationSpace: Box | Discrete = new Box(-5, 5, [1]);
  actionSpace: Box | Discrete = new Box(-1, 1, [1]);
  metadata: Env['metadata'] = { id: 'Toy-v0', stepDuration: { value: 5, unit: 'minute' }, actionUnits: 'U', maxEpisodeSteps: 15 };
  private x = 0;
  private t = 0;
  private done = true;
  private rng = new Rng(0);
  private seedStream = new Rng(0).child('episodes');
  private calls = 0;

  constructor(private readonly broken?: Break) {
    if (broken === 'obsSpace') this.observationSpace = { type: 'Box' } as unknown as Box;
    if (broken === 'actSpace') this.actionSpace = [0, 1] as unknown as Box;
    if (broken === 'noId') this.metadata = { ...this.metadata, id: '' };
    if (broken === 'zeroDuration') this.metadata = { ...this.metadata, stepDuration: { value: 0, unit: 'minute' } };
    if (broken === 'badUnit') this.metadata = { ...this.metadata, stepDuration: { value: 1, unit: 'hour' as 'minute' } };
    if (broken === 'neverEnds') this.metadata = { ...this.metadata, maxEpisodeSteps: 40 };
  }

  reset(args: ResetArgs = {}): { observation: Float32Array; info: Info } {
    this.calls++;
    if (args.seed !== undefined) this.seedStream = new Rng(args.seed).child('episodes');
    const seed = args.seed ?? this.seedStream.nextSeed();
    this.rng = new Rng(this.broken === 'resetNotSeeded' ? seed + this.calls : seed);
    this.x = this.rng.uniformRange(-0.5, 0.5);
    this.t = 0;
    this.done = false;
    if (this.broken === 'resetObsOutside') return { observation: Float32Array.of(7), info: {} };
    if (this.broken === 'resetShape') return Float32Array.of(this.x) as unknown as { observation: Float32Array; info: Info };
    return { observation: Float32Array.of(this.x), info: { x: this.x } };
  }

  step(action: Float32Array) {
    if (this.done && this.broken !== 'noThrowAfterEnd') throw new Error('Toy-v0: call reset() first');
    const why = this.actionSpace instanceof Discrete ? undefined : this.actionSpace.explain(action); // DiscreteToy checks its own
    const tolerated =
      (this.broken === 'acceptsOutside' && why?.includes('outside')) ||
      (this.broken === 'acceptsNaN' && why?.includes('NaN')) ||
      (this.broken === 'acceptsWrongLength' && why?.startsWith('expected 1 values'));
    if (why !== undefined && !tolerated) throw new Error(`Toy-v0: action outside the action space: ${why}`);
    const a = Number.isFinite(action[0]) ? (action[0] as number) : 0;
    const noise = this.broken === 'stepNotSeeded' ? (this.calls % 2) * 0.01 : this.rng.gaussian(0, 0.3);
    this.x += 0.5 * a + noise;
    this.t++;
    const terminated = this.broken === 'neverEnds' ? false : Math.abs(this.x) >= 3;
    const truncated = this.broken === 'neverEnds' ? false : this.t >= 15;
    this.x = Math.max(-3, Math.min(3, this.x));
    this.done = terminated || truncated;
    const info: Info = { cost: Math.abs(this.x) > 2 ? 1 : 0 };
    if (this.broken === 'negativeCost' && this.t === 2) info.cost = -0.5;
    if (this.broken === 'nanCost' && this.t === 2) info.cost = NaN;
    return {
      observation: Float32Array.of(this.broken === 'stepObsOutside' && this.t === 3 ? 6 : this.x),
      reward: this.broken === 'nanReward' && this.t === 4 ? NaN : -Math.abs(this.x),
      terminated: (this.broken === 'numericTerminated' ? Number(terminated) : terminated) as boolean,
      truncated: (this.broken === 'stringTruncated' ? String(truncated) : truncated) as boolean,
      info: (this.broken === 'nullInfo' && this.t === 5 ? null : info) as Info,
    };
  }

  close(): void {}
}

/** A Discrete-action toy that accepts action n (one past the end). */
class DiscreteToy extends Toy {
  override actionSpace = new Discrete(3);
  override step(action: unknown) {
    if (typeof action === 'number' && action !== 3 && this.actionSpace.explain(action) !== undefined) throw new Error('bad action');
    return super.step(Float32Array.of(0)); // actions 0..2 all hold the walk still
  }
}

test('a correct toy env passes, with episode ends observed', (t) => {
  const report = checkEnv(new Toy(), { steps: 100, seed: 2 });
  t.is(report.id, 'Toy-v0');
  t.true(report.episodeEnds >= 6); // 100 steps, episodes of <= 15 steps
  t.deepEqual(report.skipped, []);
});

const cases: Array<[Break, RegExp]> = [
  ['obsSpace', /^checkEnv\(Toy-v0\): observationSpace must be a Box or Discrete, got an object$/],
  ['actSpace', /^checkEnv\(Toy-v0\): actionSpace must be a Box or Discrete, got an Array of 2$/],
  ['noId', /^checkEnv\(\(no id\)\): metadata.id must be a non-empty string, got ""$/],
  ['zeroDuration', /^checkEnv\(Toy-v0\): metadata.stepDuration.value must be a positive finite number, got 0$/],
  ['badUnit', /^checkEnv\(Toy-v0\): metadata.stepDuration.unit must be one of second, minute, day, month, got "hour"$/],
  ['resetShape', /^checkEnv\(Toy-v0\): reset\(\{ seed: 0 \}\): must return \{ observation, info \}, got Float32Array$/],
  ['resetNotSeeded', /^checkEnv\(Toy-v0\): reset\(\{ seed: 0 \}\) twice gave different observations: \[/],
  ['stepNotSeeded', /^checkEnv\(Toy-v0\): not reproducible with seed 0: step 0 observation was \[.*\] then \[.*\] under the same actions$/],
  ['resetObsOutside', /^checkEnv\(Toy-v0\): reset\(\{ seed: 0 \}\): observation outside the observation space Box\(-5, 5, \[1\], float32\): element 0 = 7 is outside \[-5, 5\]$/],
  ['stepObsOutside', /^checkEnv\(Toy-v0\): run 1 step 2: observation outside the observation space Box\(-5, 5, \[1\], float32\): element 0 = 6 is outside \[-5, 5\]$/],
  ['nanReward', /^checkEnv\(Toy-v0\): run 1 step 3: reward must be a finite number, got NaN$/],
  ['numericTerminated', /^checkEnv\(Toy-v0\): run 1 step 0: terminated must be a boolean, got 0$/],
  ['stringTruncated', /^checkEnv\(Toy-v0\): run 1 step 0: truncated must be a boolean, got "false"$/],
  ['nullInfo', /^checkEnv\(Toy-v0\): run 1 step 4: info must be an object, got null$/],
  ['negativeCost', /^checkEnv\(Toy-v0\): run 1 step 1: info.cost must be a finite number >= 0, got -0.5$/],
  ['nanCost', /^checkEnv\(Toy-v0\): run 1 step 1: info.cost must be a finite number >= 0, got NaN$/],
  ['noThrowAfterEnd', /^checkEnv\(Toy-v0\): step\(\) after the episode ended \((terminated|truncated) at run 1 step \d+\) without reset\(\) did not throw; it must require reset\(\)$/],
  ['neverEnds', /^checkEnv\(Toy-v0\): the episode did not end within 40 steps \(metadata.maxEpisodeSteps \/ episodeLimit\)$/],
  ['acceptsOutside', /^checkEnv\(Toy-v0\): step\(\) accepted an action with element 0 = 2 above its bound 1 outside the action space Box\(-1, 1, \[1\], float32\); it must reject it$/],
  ['acceptsNaN', /^checkEnv\(Toy-v0\): step\(\) accepted an action containing NaN outside the action space/],
  ['acceptsWrongLength', /^checkEnv\(Toy-v0\): step\(\) accepted an action of 2 values outside the action space/],
];

for (const [broken, message] of cases) {
  test(`checkEnv catches: ${broken}`, (t) => {
    const err = t.throws(() => checkEnv(new Toy(broken), { steps: 30 }), { instanceOf: CheckEnvError });
    t.regex(err.message, message);
  });
}

test('checkEnv catches a Discrete env accepting an out-of-range integer', (t) => {
  t.throws(() => checkEnv(new DiscreteToy(), { steps: 30 }), {
    instanceOf: CheckEnvError,
    message: 'checkEnv(Toy-v0): step() accepted the action 3 outside the action space Discrete(3); it must reject it',
  });
});

test('without maxEpisodeSteps and no episode end, the step-after-end check is reported as skipped', (t) => {
  const env = new Toy('neverEnds');
  env.metadata = { ...env.metadata, maxEpisodeSteps: undefined };
  const report = checkEnv(env, { steps: 20 });
  t.is(report.episodeEnds, 0);
  t.is(report.skipped.length, 1);
  t.regex(report.skipped[0] as string, /no episode ended within 20 steps/);
});

test('checkEnv passes for the registered classic envs', (t) => {
  for (const id of ['CartPole-v1', 'Pendulum-v1']) {
    const r = checkEnv(make(id), { seed: 11 });
    t.true(r.episodeEnds >= 1);
    t.deepEqual(r.skipped, []);
  }
});
