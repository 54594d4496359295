/**
 * The chemotherapy shield's predictive `low-N` rule (src/safety/chemo-shield.ts), checked against
 * the environment itself: at every step of random dose sequences, the shield's decision is
 * replayed on a fresh env of the same patient (same options and seed, the same applied doses up to
 * the decision), which then runs the prediction horizon once with the requested dose held and once
 * with no drug. An intervention must never lower the minimum of N over the horizon (the shielded
 * course's minimum is at or above the unshielded one's, and at or above minN); a dose let through
 * must be one whose breach, if any, the tumour would cause anyway. On the nominal model and on
 * random patients of DTR-Bench setting 2 (the shield predicting with the patient's own parameters).
 */
import test from 'ava';
import fc from 'fast-check';
import '../envs/index.ts';
import type { Action, Env, Info, Observation } from '../src/core/env.ts';
import { make } from '../src/core/registry.ts';
import { makeShield, type ShieldRecord } from '../src/safety/shield.ts';
import type { ChemoShield } from '../src/safety/chemo-shield.ts';

const ID = 'Chemo-DePillis-v0';
const DECISIONS = 24;

/** A fresh env of the same patient after `applied` doses: the true course from there. */
function replayMinN(options: Record<string, unknown>, seed: number, applied: readonly number[], dose: number, steps: number): number {
  const env = make(ID, options);
  env.reset({ seed });
  for (const d of applied) env.step(Float32Array.of(d));
  let min = Infinity;
  for (let k = 0; k < steps; k++) min = Math.min(min, env.step(Float32Array.of(dose)).info['N'] as number);
  return min;
}

interface Tally {
  interventions: number;
  passedBreaching: number;
  passedSafe: number;
}

/**
 * Drive a shielded env with `doses` and check every decision against replays. `model`: what the
 * shield predicts with. Returns false on the first decision the env contradicts (when `strict`).
 */
function checkDecisions(options: Record<string, unknown>, seed: number, config: Record<string, unknown>, doses: readonly number[], tally: Tally, strict = true): { violations: number } {
  const env = makeShield(make(ID, options), ID, config) as ChemoShield;
  env.reset({ seed });
  const applied: number[] = [];
  const minN = config['minN'] as number;
  let violations = 0;
  for (const requested of doses) {
    const r = env.step(Float32Array.of(requested));
    const record = r.info['shield'] as ShieldRecord;
    const steps = env.horizonSteps;
    const unshielded = replayMinN(options, seed, applied, requested, steps);
    if (record.intervened) {
      tally.interventions++;
      const shielded = replayMinN(options, seed, applied, 0, steps);
      if (!(record.applied === 0 && shielded >= unshielded && shielded >= minN && unshielded < minN)) violations++;
    } else if (unshielded < minN) {
      // Let through although N falls below minN: only when no drug would not keep it above either.
      tally.passedBreaching++;
      if (replayMinN(options, seed, applied, 0, steps) >= minN) violations++;
    } else tally.passedSafe++;
    applied.push(record.applied);
    if (strict && violations > 0) return { violations };
    if (r.terminated || r.truncated) break;
  }
  return { violations };
}

// Thresholds near the first week's N (0.9 falling towards 0.7), so that the rule has decisions to make.
const configArb = fc.record({
  minN: fc.integer({ min: 70, max: 95 }).map((x) => x / 100),
  minNHorizonDays: fc.constantFrom(0.25, 0.5, 1, 1, 2),
});
const dosesArb = fc.array(fc.constantFrom(0, 0.3, 0.6, 1, 1, 1), { minLength: DECISIONS, maxLength: DECISIONS });

// Initial states spread widely (N0 in [0.63, 1.17], T0 in [0.14, 0.26]) so that the drug's own breaches occur.
for (const [label, options] of [
  ['the nominal model', { initialVariability: 0.6 }],
  ['random patients of DTR-Bench setting 2', { setting: 2, initialVariability: 0.6 }],
] as const) {
  test(`low-N on ${label}: an intervention never lowers the minimum of N over the horizon, and only the drug's own breaches are stopped`, (t) => {
    const tally: Tally = { interventions: 0, passedBreaching: 0, passedSafe: 0 };
    fc.assert(
      fc.property(configArb, dosesArb, fc.integer({ min: 0, max: 100_000 }), (config, doses, seed) => {
        return checkDecisions({ ...options, terminateBelow: 0 }, seed, { ...config, minNModel: 'patient' }, doses, tally).violations === 0;
      }),
      { numRuns: 50, seed: 15 },
    );
    t.log(tally);
    // Not vacuous: the rule stopped doses, let breaching doses through (the tumour's doing) and safe ones.
    t.true(tally.interventions >= 20, `interventions ${tally.interventions}`);
    t.true(tally.passedBreaching > 100, `passed although breaching ${tally.passedBreaching}`);
    t.true(tally.passedSafe > 100, `passed safe ${tally.passedSafe}`);
  });
}

test("low-N with minNModel 'nominal' on setting 2 patients: the prediction can be wrong, so the guarantee is lost (the file header's caveat)", (t) => {
  let violations = 0;
  const tally: Tally = { interventions: 0, passedBreaching: 0, passedSafe: 0 };
  for (let seed = 0; seed < 20; seed++) {
    const doses = Array.from({ length: DECISIONS }, (_, k) => [1, 0.5, 0.8, 0.3][k % 4] as number);
    violations += checkDecisions({ setting: 2, terminateBelow: 0 }, seed, { minN: 0.8, minNHorizonDays: 1, minNModel: 'nominal' }, doses, tally, false).violations;
  }
  t.log({ violations, ...tally });
  t.true(violations > 0, 'with the nominal parameters some decisions contradict the patient');
});

test('the record carries both predictions; with minN off the shield predicts nothing', (t) => {
  const run = (config: Record<string, unknown>): Info => {
    const env: Env<Observation, Action> = makeShield(make(ID), ID, config);
    env.reset({ seed: 0 });
    return env.step(Float32Array.of(1)).info;
  };
  const on = run({ minN: 0.9, minNHorizonDays: 0.25 }); // N0 = 0.9: one step of MTD takes N below, untreated too (the tumour)
  const rec = on['shield'] as ShieldRecord;
  t.true((rec['predictedMinN'] as number) < 0.9 && (rec['predictedMinNHeld'] as number) < 0.9);
  t.false(rec.intervened, 'the tumour takes N below 0.9 anyway: the drug goes through');
  const off = run({});
  t.is((off['shield'] as ShieldRecord)['predictedMinN'], undefined);
});

test('shield options: minNHorizonDays and minNModel are validated with one-line errors', (t) => {
  t.throws(() => makeShield(make(ID), ID, { minN: 0.75, minNHorizonDays: 0 }), { message: 'shield.minNHorizonDays: expected a number of days in (0, 60], got 0' });
  t.throws(() => makeShield(make(ID), ID, { minNModel: 'oracle' }), { message: "shield.minNModel: expected 'patient' (the episode's own parameters) or 'nominal', got \"oracle\"" });
});
