/**
 * The paired evaluation protocol (src/evaluation/evaluate.ts): every method faces the same
 * patients, meal days and sensor-noise draws, episode by episode, whatever its action space; and
 * policies act deterministically.
 */
import test from 'ava';
import '../envs/index.ts';
import { evaluateMethod, evaluationEpisodeSeed, type EvaluationPlan, type MethodEvaluation, type MethodUnderTest } from '../src/evaluation/evaluate.ts';
import { resolveEnvStack } from '../src/evaluation/env-stack.ts';
import type { AnyPolicy } from '../src/core/family.ts';
import { ConstantPolicy } from '../agents/baselines/glucose/index.ts';
import type { Cell } from '../src/io/csv.ts';

// Two patients of different cohorts, half-day episodes (breakfast falls in the first 12 h).
const plan: EvaluationPlan = { stack: resolveEnvStack({ envId: 'T1D-v0', envOptions: { patient: ['adolescent#001', 'adult#002'], days: 0.5 } }), episodes: 2, seed: 7, trajectories: 2 };
const t1d = plan.stack.family;

function baseline(name: string, type: string, params: Record<string, unknown> = {}): MethodUnderTest {
  return { name, trainingSeed: null, makePolicy: (env) => t1d.makeBaseline(type, params, env, name) };
}

/** The per-step column `column` of episode k of `patient`. */
function series(result: MethodEvaluation, patient: string, k: number, column: string): Cell[] {
  return result.trajectories.filter((r) => r['patient'] === patient && r['episode'] === k).map((r) => r[column] ?? null);
}

const bb = await evaluateMethod(plan, baseline('basal-bolus', 'basal-bolus'));
const pid = await evaluateMethod(plan, baseline('pid', 'pid'));

test('every method gets the same episode list: patient, episode index and seed', (t) => {
  const key = (r: MethodEvaluation) => r.episodes.map((e) => [e.patient, e.episode, e.episodeSeed]);
  t.deepEqual(key(bb), key(pid));
  t.deepEqual(
    bb.episodes.map((e) => e.patient),
    ['adolescent#001', 'adolescent#001', 'adult#002', 'adult#002'],
  );
  // the seed depends on (evaluation seed, patient, episode) only
  t.is(bb.episodes[1]?.episodeSeed, evaluationEpisodeSeed(7, 'adolescent#001', 1));
  t.not(evaluationEpisodeSeed(7, 'adolescent#001', 1), evaluationEpisodeSeed(7, 'adolescent#001', 0));
  t.not(evaluationEpisodeSeed(7, 'adolescent#001', 0), evaluationEpisodeSeed(8, 'adolescent#001', 0));
  t.not(evaluationEpisodeSeed(7, 'adolescent#001', 0), evaluationEpisodeSeed(7, 'adult#002', 0));
});

test('basal-bolus and PID eat exactly the same carbs at the same steps, episode by episode', (t) => {
  for (const patient of ['adolescent#001', 'adult#002']) {
    for (const k of [0, 1]) {
      const cho = series(bb, patient, k, 'cho');
      t.is(cho.length, 241); // reset + 240 three-minute steps
      t.deepEqual(series(pid, patient, k, 'cho'), cho, `${patient} episode ${k}`);
      t.deepEqual(series(pid, patient, k, 'minute'), series(bb, patient, k, 'minute'));
      const grams = cho.reduce<number>((s, v) => s + Number(v), 0);
      t.true(grams > 20, `${patient} episode ${k} eats a meal (${grams} g)`);
    }
    // ...while the days themselves differ between episodes (fresh draws, not one replayed day)
    t.notDeepEqual(series(bb, patient, 0, 'cho'), series(bb, patient, 1, 'cho'));
  }
  // Not vacuous: the two controllers did act differently on those days.
  t.notDeepEqual(series(bb, 'adult#002', 0, 'insulin'), series(pid, 'adult#002', 0, 'insulin'));
  t.notDeepEqual(series(bb, 'adult#002', 0, 'bg'), series(pid, 'adult#002', 0, 'bg'));
  // The starting state is identical.
  t.is(series(bb, 'adult#002', 0, 'bg')[0], series(pid, 'adult#002', 0, 'bg')[0]);
  t.is(series(bb, 'adult#002', 0, 'cgm')[0], series(pid, 'adult#002', 0, 'cgm')[0]);
});

test('the same insulin under two names — one evaluated as a trained policy, one as a baseline — gives identical BG and CGM', async (t) => {
  // A trained policy runs in the agent's (narrow) action space, a baseline in the pump's range:
  // the sensor noise, meals and patient must not depend on that.
  const asBaseline = await evaluateMethod(plan, baseline('basal', 'basal'));
  const decisions: boolean[] = [];
  const asTrained = await evaluateMethod(plan, {
    name: 'agent',
    trainingSeed: 3,
    makePolicy: () => {
      const inner = new ConstantPolicy('basal') as AnyPolicy;
      return {
        name: 'agent',
        act: (observation, context) => {
          decisions.push(context.deterministic);
          return inner.act(observation, context);
        },
      };
    },
  });
  t.true(decisions.length > 0);
  t.true(decisions.every((d) => d), 'evaluated policies act deterministically');
  t.deepEqual(asTrained.episodes.map((e) => e.seed), [3, 3, 3, 3]);
  for (const patient of ['adolescent#001', 'adult#002']) {
    for (const k of [0, 1]) {
      const cgm = series(asBaseline, patient, k, 'cgm');
      const bg = series(asBaseline, patient, k, 'bg');
      t.deepEqual(series(asTrained, patient, k, 'cgm'), cgm);
      t.deepEqual(series(asTrained, patient, k, 'bg'), bg);
      t.deepEqual(series(asTrained, patient, k, 'insulin'), series(asBaseline, patient, k, 'insulin'));
      // Not vacuous: the sensor is noisy (CGM != BG), and the noise is the episode's own.
      t.true(cgm.some((c, i) => Math.abs(Number(c) - Number(bg[i])) > 1), 'CGM noise present');
    }
    t.notDeepEqual(series(asBaseline, patient, 0, 'cgm'), series(asBaseline, patient, 1, 'cgm'));
  }
  t.deepEqual(asTrained.episodes.map((e) => e.return), asBaseline.episodes.map((e) => e.return));
  t.deepEqual(asTrained.episodes.map((e) => e.metrics), asBaseline.episodes.map((e) => e.metrics));
});

test('chemotherapy: methods share the episode seed and the initial state (with parameter variability)', async (t) => {
  const chemoPlan: EvaluationPlan = { stack: resolveEnvStack({ envId: 'Chemo-DePillis-v0', envOptions: { setting: 3, initialVariability: 0.2, horizonDays: 20 } }), episodes: 3, seed: 11, trajectories: 3 };
  const chemo = chemoPlan.stack.family;
  const run = (type: string) => evaluateMethod(chemoPlan, { name: type, trainingSeed: null, makePolicy: (env) => chemo.makeBaseline(type, {}, env, type) });
  const mtd = await run('mtd');
  const none = await run('none');
  t.deepEqual(mtd.episodes.map((e) => e.episodeSeed), none.episodes.map((e) => e.episodeSeed));
  const first = (r: MethodEvaluation, k: number) => r.trajectories.find((row) => row['episode'] === k && row['step'] === 0);
  for (const k of [0, 1, 2]) t.deepEqual(first(mtd, k), { ...first(none, k), method: 'mtd' });
  // initial states differ between episodes (variability is drawn per episode), doses between methods
  t.not(first(mtd, 0)?.['T'], first(mtd, 1)?.['T']);
  t.notDeepEqual(mtd.episodes.map((e) => e.metrics['cumulative_dose']), none.episodes.map((e) => e.metrics['cumulative_dose']));
});
