import test from 'ava';
import fc from 'fast-check';
import '../envs/index.ts';
import { BaseEnv, type EnvMetadata, type Info, type ResetResult, type StepResult } from '../src/core/env.ts';
import { make } from '../src/core/registry.ts';
import { Rng } from '../src/core/rng.ts';
import { Box, Discrete } from '../src/core/spaces.ts';
import { checkEnv } from '../src/core/check-env.ts';
import { Wrapper } from '../src/core/wrappers.ts';
import { buildEnv, resolveEnvStack } from '../src/evaluation/env-stack.ts';
import {
  CHEMO_SHIELD_DEFAULTS,
  ChemoShield,
  T1DShield,
  T1D_SHIELD_DEFAULTS,
  float32AtMost,
  highestLevelAtMost,
  linearProjection,
  makeShield,
  type ChemoShieldConfig,
  type ShieldRecord,
  type T1DShieldConfig,
} from '../src/safety/shield.ts';

const FC = { numRuns: 150, seed: 20261128 };
/** Margin around a reference cap inside which floating-point rounding may decide either way. */
const near = (x: number, cap: number): boolean => Math.abs(x - cap) <= 1e-9 * Math.max(1, Math.abs(cap));

// ------------------------------------------------------------------------------------------------
// A scripted stand-in for T1D-v0: CGM readings come from a script, insulin is delivered exactly as
// commanded, and every action the env receives is recorded (to check "unchanged" by identity).

interface FakeT1DSetup {
  cgms: number[];
  dt: number;
  basalUPerMin: number;
  maxUPerHour: number;
  levels: number[] | null;
}

class FakeT1D extends BaseEnv<Float32Array, Float32Array | number> {
  readonly observationSpace = new Box(0, 1000, [1]);
  readonly actionSpace: Box | Discrete;
  readonly metadata: EnvMetadata;
  received: Array<Float32Array | number> = [];
  private t = 0;

  constructor(readonly s: FakeT1DSetup) {
    super();
    this.actionSpace = s.levels === null ? new Box(0, s.maxUPerHour, [1]) : new Discrete(s.levels.length);
    this.metadata = { id: 'T1D-v0', stepDuration: { value: s.dt, unit: 'minute' }, actionUnits: 'U/h', maxEpisodeSteps: s.cgms.length - 1 };
  }

  private info(insulin: number): Info {
    const info: Info = {
      cgm: this.s.cgms[this.t] as number,
      minute: this.t * this.s.dt,
      insulin,
      sampleTimeMin: this.s.dt,
      patientBasalUPerMin: this.s.basalUPerMin,
      actionKind: this.s.levels === null ? 'continuous' : 'discrete',
      actionMaxUnitsPerHour: this.s.maxUPerHour,
    };
    if (this.s.levels !== null) info['actionLevelsUnitsPerHour'] = this.s.levels;
    return info;
  }

  protected resetModel(): ResetResult<Float32Array> {
    this.t = 0;
    this.received = [];
    return { observation: new Float32Array([this.s.cgms[0] as number]), info: this.info(0) };
  }

  protected stepModel(action: Float32Array | number): StepResult<Float32Array> {
    this.received.push(action);
    const rate = typeof action === 'number' ? (this.s.levels as number[])[action] as number : (action[0] as number);
    this.t++;
    const truncated = this.t >= this.s.cgms.length - 1;
    return { observation: new Float32Array([this.s.cgms[this.t] as number]), reward: 0, terminated: false, truncated, info: this.info((rate / 60) * this.s.dt) };
  }
}

const nullable = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null, freq: 3 });
/** Uniform on [min, max] in 1e6 steps (fc.double concentrates near 0 and the bounds). */
const dbl = (min: number, max: number) => fc.integer({ min: 0, max: 1_000_000 }).map((i) => min + ((max - min) * i) / 1_000_000);

const t1dConfigArb: fc.Arbitrary<T1DShieldConfig> = fc.record({
  suspendBelowMgDl: nullable(dbl(40, 160)),
  predictiveBelowMgDl: nullable(dbl(40, 160)),
  predictionHorizonMin: dbl(1, 60),
  trendWindowMin: dbl(1, 60),
  maxRateUnitsPerHour: nullable(dbl(0.05, 10)),
  maxRateBasalMultiple: nullable(dbl(0.2, 6)),
  maxIobUnits: nullable(dbl(0, 8)),
  maxIobBasalMultiple: nullable(dbl(0, 4)),
  iobDurationMin: dbl(30, 480),
  // The scripted stand-in announces no meals; the real-env property below draws this rule.
  allowAnnouncedBolus: fc.constant(false),
});

const t1dSetupArb: fc.Arbitrary<FakeT1DSetup> = fc
  .record({
    start: dbl(40, 300),
    // A random walk (trends trigger the predictive rule) with occasional jumps.
    moves: fc.array(fc.oneof(dbl(-12, 12), dbl(-80, 80)), { minLength: 2, maxLength: 40 }),
    dt: fc.constantFrom(1, 3, 5),
    basalUPerMin: dbl(0.005, 0.05),
    maxUPerHour: dbl(0.5, 20),
    levels: fc.option(fc.array(dbl(0, 20), { minLength: 1, maxLength: 7 }), { nil: null }),
  })
  .map(({ start, moves, dt, basalUPerMin, maxUPerHour, levels }) => {
    const cgms = [start];
    for (const m of moves) cgms.push(Math.min(400, Math.max(39, (cgms[cgms.length - 1] as number) + m)));
    // Levels must include 0 so the shield can suspend (the shield checks this; tested below).
    return { cgms, dt, basalUPerMin, maxUPerHour, levels: levels === null ? null : [0, ...levels] };
  });

/** Reference limits computed from scratch (the spec), independent of the shield's own bookkeeping. */
function t1dReference(c: T1DShieldConfig, s: FakeT1DSetup, t: number, doses: number[]) {
  const now = t * s.dt;
  const cgm = s.cgms[t] as number;
  const window: Array<{ minute: number; cgm: number }> = [];
  for (let k = 0; k <= t; k++) if (k * s.dt >= now - c.trendWindowMin) window.push({ minute: k * s.dt, cgm: s.cgms[k] as number });
  const projected = linearProjection(window, now + c.predictionHorizonMin);
  const lowCgm = c.suspendBelowMgDl !== null && cgm < c.suspendBelowMgDl;
  const predictedLow = c.predictiveBelowMgDl !== null && projected !== undefined && projected < c.predictiveBelowMgDl;
  const rateCaps = [c.maxRateUnitsPerHour, c.maxRateBasalMultiple === null ? null : c.maxRateBasalMultiple * s.basalUPerMin * 60].filter((v): v is number => v !== null);
  const maxRate = Math.min(Infinity, ...rateCaps);
  const w = (age: number) => Math.max(0, 1 - (age * s.dt) / c.iobDurationMin);
  let steadyW = 0;
  for (let a = 0; w(a) > 0; a++) steadyW += w(a);
  const iobCaps = [c.maxIobUnits, c.maxIobBasalMultiple === null ? null : c.maxIobBasalMultiple * s.basalUPerMin * s.dt * steadyW].filter((v): v is number => v !== null);
  const maxIob = Math.min(Infinity, ...iobCaps);
  /** IOB after delivering `dose` U in the coming step, over the whole delivery history. */
  const iobAfter = (dose: number) => {
    let iob = dose;
    for (let a = 0; a < doses.length; a++) iob += (doses[doses.length - 1 - a] as number) * w(a + 1);
    return iob;
  };
  const iobRateCap = (Math.max(0, maxIob - iobAfter(0)) / s.dt) * 60;
  const cap = lowCgm || predictedLow ? 0 : Math.min(maxRate, iobRateCap);
  return { lowCgm, predictedLow, maxRate, maxIob, iobAfter, cap };
}

test('T1D shield property: the applied rate never breaks a hard limit, never exceeds the request, and a safe request passes unchanged', (t) => {
  let rewritten = 0;
  let passed = 0;
  let suspended = 0;
  let predictedOnly = 0;
  fc.assert(
    fc.property(t1dConfigArb, t1dSetupArb, fc.array(dbl(0, 1), { minLength: 60, maxLength: 60 }), (config, setup, fractions) => {
      const fake = new FakeT1D(setup);
      const env = makeShield(fake, 'T1D-v0', config);
      env.reset({ seed: 0 });
      // The env starts at the basal steady state: the history holds basal doses back to the IOB horizon.
      const doses: number[] = new Array(Math.ceil(config.iobDurationMin / setup.dt - 1e-12)).fill(setup.basalUPerMin * setup.dt);
      const levels = setup.levels;
      for (let k = 0; k < setup.cgms.length - 1; k++) {
        const ref = t1dReference(config, setup, k, doses);
        const u = fractions[k % fractions.length] as number;
        const action: Float32Array | number = levels === null ? new Float32Array([u * setup.maxUPerHour]) : Math.min(levels.length - 1, Math.floor(u * levels.length));
        const requested = typeof action === 'number' ? (levels as number[])[action] as number : (action[0] as number);
        const r = env.step(action);
        const got = fake.received[k] as Float32Array | number;
        const applied = typeof got === 'number' ? (levels as number[])[got] as number : (got[0] as number);
        const record = r.info['shield'] as ShieldRecord;
        if (record.applied !== applied || record.requested !== requested) return false;
        // hard limits
        if (applied > requested) return false;
        if ((ref.lowCgm || ref.predictedLow) && applied !== 0) return false;
        if (applied > ref.maxRate && !near(applied, ref.maxRate)) return false;
        // IOB after the step <= max; when the insulin already on board exceeds it, nothing is added.
        const iob = ref.iobAfter((applied / 60) * setup.dt);
        if (iob > Math.max(ref.maxIob, ref.iobAfter(0)) + 1e-9) return false;
        if (ref.iobAfter(0) >= ref.maxIob && applied !== 0) return false;
        if (ref.lowCgm || ref.predictedLow) suspended++;
        if (ref.predictedLow && !ref.lowCgm) predictedOnly++;
        // unchanged when safe; rewritten to the largest allowed dose otherwise
        if (requested <= ref.cap && !near(requested, ref.cap)) {
          if (got !== action || record.intervened || r.info['shieldInterventions'] !== 0) return false;
          passed++;
        } else if (requested > ref.cap && !near(requested, ref.cap)) {
          if (!record.intervened || record.reasons.length === 0 || r.info['shieldInterventions'] !== 1) return false;
          if (levels === null) {
            if (applied < Math.fround(ref.cap) * (1 - 1e-6) - 1e-12) return false; // not over-restrictive
          } else if (levels.some((v) => v > applied && v < ref.cap && !near(v, ref.cap))) return false;
          rewritten++;
        }
        doses.push(r.info['insulin'] as number);
      }
      return true;
    }),
    FC,
  );
  t.log(`rewritten ${rewritten}, passed ${passed}, suspended ${suspended}, predicted only ${predictedOnly}`);
  // Not vacuous: all three cases occurred many times.
  t.true(rewritten > 200, `rewritten ${rewritten}`);
  t.true(passed > 200, `passed ${passed}`);
  t.true(suspended > 100, `suspended ${suspended}`);
});

// ------------------------------------------------------------------------------------------------
// A scripted stand-in for Chemo-DePillis-v0: N from a script, doses accumulated exactly as the env does.

interface FakeChemoSetup {
  Ns: number[];
  stepDays: number;
  levels: number | null;
}

class FakeChemo extends BaseEnv<Float32Array, Float32Array | number> {
  readonly observationSpace = new Box(0, 2, [1]);
  readonly actionSpace: Box | Discrete;
  readonly metadata: EnvMetadata;
  received: Array<Float32Array | number> = [];
  doses: number[] = [];
  private t = 0;
  private cumulative = 0;

  constructor(readonly s: FakeChemoSetup) {
    super();
    this.actionSpace = s.levels === null ? new Box(0, 1, [1], 'float32') : new Discrete(s.levels);
    this.metadata = { id: 'Chemo-DePillis-v0', stepDuration: { value: s.stepDays, unit: 'day' }, actionUnits: 'dose', maxEpisodeSteps: s.Ns.length - 1 };
  }

  private info(dose: number): Info {
    return { N: this.s.Ns[this.t] as number, cumulativeDose: this.cumulative, dose, day: this.t * this.s.stepDays, step: this.t };
  }

  protected resetModel(): ResetResult<Float32Array> {
    this.t = 0;
    this.cumulative = 0;
    this.received = [];
    this.doses = [];
    return { observation: new Float32Array([0]), info: this.info(0) };
  }

  protected stepModel(action: Float32Array | number): StepResult<Float32Array> {
    this.received.push(action);
    const u = typeof action === 'number' ? action / ((this.s.levels as number) - 1) : (action[0] as number);
    this.doses.push(u);
    this.cumulative += u * this.s.stepDays;
    this.t++;
    return { observation: new Float32Array([0]), reward: 0, terminated: false, truncated: this.t >= this.s.Ns.length - 1, info: this.info(u) };
  }
}

// The dose caps; the predictive `low-N` rule needs the real model (test/chemo-shield.test.ts).
const chemoConfigArb: fc.Arbitrary<ChemoShieldConfig> = fc.record({
  minN: fc.constant(null),
  minNHorizonDays: fc.constant(1),
  minNModel: fc.constant('patient' as const),
  maxDosePerDay: nullable(dbl(0.05, 1.5)),
  maxCumulativeDose: nullable(dbl(0, 20)),
});

const chemoSetupArb: fc.Arbitrary<FakeChemoSetup> = fc.record({
  Ns: fc.array(dbl(0.55, 1), { minLength: 3, maxLength: 60 }),
  stepDays: fc.constantFrom(0.1, 0.25, 0.3, 0.5, 1, 2),
  levels: fc.option(fc.integer({ min: 2, max: 11 }), { nil: null }),
});

/** Dose-days in the 24 h ending at the end of step k (doses[j] held over [j s, (j + 1) s]). */
function doseLastDay(doses: number[], s: number, k: number): number {
  const end = (k + 1) * s;
  let total = 0;
  for (let j = 0; j <= k; j++) total += (doses[j] as number) * Math.max(0, Math.min((j + 1) * s, end) - Math.max(j * s, end - 1));
  return total;
}

test('chemo shield property: daily and cumulative caps hold, doses never rise, safe doses pass unchanged', (t) => {
  let rewritten = 0;
  let passed = 0;
  fc.assert(
    fc.property(chemoConfigArb, chemoSetupArb, fc.array(dbl(0, 1), { minLength: 60, maxLength: 60 }), (config, setup, fractions) => {
      const fake = new FakeChemo(setup);
      const env = makeShield(fake, 'Chemo-DePillis-v0', config);
      env.reset({ seed: 0 });
      const s = setup.stepDays;
      for (let k = 0; k < setup.Ns.length - 1; k++) {
        const u = fractions[k] as number;
        const n = setup.levels;
        const action: Float32Array | number = n === null ? new Float32Array([u]) : Math.min(n - 1, Math.floor(u * n));
        const requested = typeof action === 'number' ? action / ((n as number) - 1) : (action[0] as number);
        const prior = k === 0 ? 0 : doseLastDay([...fake.doses, 0], s, k);
        const cumulative = fake.doses.reduce((a, d) => a + d * s, 0);
        const r = env.step(action);
        const applied = fake.doses[k] as number;
        const record = r.info['shield'] as ShieldRecord;
        if (record.applied !== applied || record.requested !== requested || applied > requested) return false;
        if (config.maxDosePerDay !== null && doseLastDay(fake.doses, s, k) > config.maxDosePerDay + 1e-9) return false;
        if (config.maxCumulativeDose !== null && cumulative + applied * s > config.maxCumulativeDose + 1e-9) return false;
        const cap = Math.min(
          config.maxDosePerDay === null ? Infinity : Math.max(0, config.maxDosePerDay - prior) / Math.min(s, 1),
          config.maxCumulativeDose === null ? Infinity : Math.max(0, config.maxCumulativeDose - cumulative) / s,
        );
        if (requested <= cap && !near(requested, cap)) {
          if (fake.received[k] !== action || record.intervened) return false;
          passed++;
        } else if (requested > cap && !near(requested, cap)) {
          if (!record.intervened || r.info['shieldInterventions'] !== 1) return false;
          const best = n === null ? Math.fround(cap) * (1 - 1e-6) - 1e-12 : Math.floor(cap * (n - 1) * (1 - 1e-9)) / (n - 1);
          if (applied < best) return false; // the largest allowed dose, not less
          rewritten++;
        }
      }
      return true;
    }),
    FC,
  );
  t.log(`rewritten ${rewritten}, passed ${passed}`);
  t.true(rewritten > 80, `rewritten ${rewritten}`);
  t.true(passed > 200, `passed ${passed}`);
});

// ------------------------------------------------------------------------------------------------
// The real environments

test('T1D-v0 driven with random actions in every action mode under random shield settings: limits hold on the delivered insulin', (t) => {
  let interventions = 0;
  let boluses = 0;
  const modes = new Set<string>();
  fc.assert(
    fc.property(t1dConfigArb, fc.boolean(), fc.constantFrom('continuous', 'discrete', 'basal-relative', 'residual-bb', 'residual-pid'), fc.constantFrom(true, false, 'auto' as const), fc.integer({ min: 0, max: 1000 }), (drawn, allowAnnouncedBolus, mode, controllerToldOfMeals, seed) => {
      const config = { ...drawn, allowAnnouncedBolus };
      modes.add(mode);
      const action = mode.startsWith('residual') ? { action: 'residual', residualController: mode === 'residual-bb' ? 'basal-bolus' : 'pid' } : { action: mode };
      // 8.4 hours: the first meal of the random day falls in it, so basal-bolus boluses under the residual
      const raw = make('T1D-v0', { patient: 'adolescent#001', sensorNoise: false, days: 0.35, ...action, controllerToldOfMeals });
      const env = makeShield(raw, 'T1D-v0', config) as T1DShield;
      const rng = new Rng(seed);
      let { info } = env.reset({ seed });
      const dt = info['sampleTimeMin'] as number;
      const basal = info['patientBasalUPerMin'] as number;
      const doses: number[] = new Array(Math.ceil(config.iobDurationMin / dt - 1e-12)).fill(basal * dt);
      const maxIob = env.maxIobUnits ?? Infinity;
      const maxRate = Math.min(Infinity, ...[config.maxRateUnitsPerHour, config.maxRateBasalMultiple === null ? null : config.maxRateBasalMultiple * basal * 60].filter((v): v is number => v !== null));
      for (;;) {
        const cgm = info['cgm'] as number;
        // With allowAnnouncedBolus, a suspend lets through at most the announced meal's bolus (grams / CR over the step).
        const grams = info['mealGrams'] as number;
        const bolusUPerHour = allowAnnouncedBolus && info['controllerToldOfMeals'] === true && grams > 0 ? (grams / (info['CR'] as number) / dt) * 60 : 0;
        const r = env.step(env.actionSpace.sample(rng));
        info = r.info;
        const rec = info['shield'] as ShieldRecord;
        const delivered = info['insulin'] as number;
        if (rec.applied > rec.requested) return false;
        if (bolusUPerHour > 0) boluses++;
        if (config.suspendBelowMgDl !== null && cgm < config.suspendBelowMgDl && (rec.applied > bolusUPerHour * (1 + 1e-6) || delivered > (bolusUPerHour / 60) * dt + 5e-6 * dt)) return false;
        if (rec.applied > maxRate && !near(rec.applied, maxRate)) return false;
        doses.push(delivered);
        const iobOf = (ds: number[]) => {
          let iob = 0;
          for (let a = 0; a < ds.length; a++) iob += (ds[ds.length - 1 - a] as number) * Math.max(0, 1 - (a * dt) / config.iobDurationMin);
          return iob;
        };
        const carried = iobOf([...doses.slice(0, -1), 0]);
        // the pump rounds the commanded rate to 0.05 pmol/min (<= 4.2e-6 U/min extra)
        // The IOB cap also lets an announced bolus through (allowAnnouncedBolus), on top of the room left.
        const bolusU = (bolusUPerHour / 60) * dt;
        if (iobOf(doses) > Math.max(maxIob, carried) + bolusU + 5e-6 * dt) return false;
        if (carried >= maxIob && delivered > bolusU + 5e-6 * dt) return false;
        interventions += info['shieldInterventions'] as number;
        if (r.terminated || r.truncated) return true;
      }
    }),
    { numRuns: 40, seed: 7 },
  );
  t.log(`interventions ${interventions}`);
  t.is(modes.size, 5);
  t.true(interventions > 50, `interventions ${interventions}`);
  t.true(boluses > 5, `announced boluses seen ${boluses}`);
});

test('a shielded random policy on T1D-v0 never delivers insulin while CGM < 80 and avoids the hypoglycaemia of the unshielded one', (t) => {
  const run = (shielded: boolean) => {
    const raw = make('T1D-v0', { patient: 'adult#001', sensorNoise: false });
    const env = shielded ? makeShield(raw, 'T1D-v0') : raw;
    const rng = new Rng(7);
    let { info } = env.reset({ seed: 3 });
    let lowSteps = 0;
    let insulinWhileLow = 0;
    let below70 = 0;
    let minBg = Infinity;
    const reasons: Record<string, number> = {};
    for (;;) {
      const cgm = info['cgm'] as number;
      const r = env.step(env.actionSpace.sample(rng));
      info = r.info;
      if (cgm < 80) {
        lowSteps++;
        if ((info['insulin'] as number) > 0) insulinWhileLow++;
      }
      if ((info['bg'] as number) < 70) below70++;
      minBg = Math.min(minBg, info['bg'] as number);
      for (const reason of (info['shield'] as ShieldRecord | undefined)?.reasons ?? []) reasons[reason] = (reasons[reason] ?? 0) + 1;
      if (r.terminated || r.truncated) return { lowSteps, insulinWhileLow, below70, minBg, reasons, steps: info['minute'] as number };
    }
  };
  const plain = run(false);
  const shielded = run(true);
  // Measured: unshielded 207 steps started below 80 mg/dL, all with insulin; 78 steps below 70; min BG 51.7.
  t.true(plain.insulinWhileLow > 100);
  t.true(shielded.lowSteps > 20, 'the shielded run also meets low CGM (not vacuous)');
  t.is(shielded.insulinWhileLow, 0);
  t.true((shielded.reasons['low-cgm'] ?? 0) >= shielded.lowSteps - 1);
  t.true((shielded.reasons['predicted-low'] ?? 0) > 0, 'the predictive rule fires before CGM is low');
  t.true(shielded.below70 < plain.below70 / 2, `below 70: ${shielded.below70} vs ${plain.below70}`);
  t.true(shielded.minBg > plain.minBg + 5);
});

test('a shielded basal-bolus policy (discrete levels) on T1D-v0 gets zero insulin whenever CGM < threshold', async (t) => {
  const { BasalBolusPolicy } = await import('../agents/baselines/glucose/index.ts');
  // A high suspend threshold makes the shield act on this patient's ordinary post-meal dips.
  const raw = make('T1D-v0', { patient: 'adolescent#001', sensorNoise: false, action: 'discrete', discreteLevels: [0, 1, 2, 5, 20, 60] });
  const env = makeShield(raw, 'T1D-v0', { suspendBelowMgDl: 130, predictiveBelowMgDl: 110 });
  const policy = new BasalBolusPolicy();
  let { info } = env.reset({ seed: 5 });
  let low = 0;
  for (;;) {
    const cgm = info['cgm'] as number;
    const r = env.step(policy.act(null, { deterministic: true, info }));
    info = r.info;
    if (cgm < 130) {
      low++;
      t.is(info['insulin'], 0);
    }
    if (r.terminated || r.truncated) break;
  }
  t.true(low > 10, `steps below threshold: ${low}`);
});

test('chemo shield on Chemo-DePillis-v0: MTD under a cumulative cap and a daily cap', (t) => {
  for (const levels of [null, 5]) {
    const raw = make('Chemo-DePillis-v0', { levels });
    const env = makeShield(raw, 'Chemo-DePillis-v0', { maxDosePerDay: 0.5, maxCumulativeDose: 20 });
    let { info } = env.reset({ seed: 1 });
    let interventions = 0;
    const doses: number[] = [];
    for (;;) {
      const r = env.step(levels === null ? new Float32Array([1]) : 4);
      info = r.info;
      doses.push(info['dose'] as number);
      interventions += info['shieldInterventions'] as number;
      t.true(doseLastDay(doses, 0.25, doses.length - 1) <= 0.5 + 1e-12);
      if (r.terminated || r.truncated) break;
    }
    t.true((info['cumulativeDose'] as number) <= 20 + 1e-9);
    // The cap is reached: 20 dose-days at most 0.5 per day take 40 days of the 150.
    t.true((info['cumulativeDose'] as number) > 20 - 0.25, `cumulative ${info['cumulativeDose']}`);
    // 1, 1, 0, 0, ... (0.5 dose-days per day) for 160 steps until 20 dose-days, then 0: 80 + 440 rewrites.
    t.is(interventions, 520);
    t.deepEqual(info['shieldEpisode'], { interventions: 520, steps: 600, rate: 520 / 600 });
  }
});

/** An experiment's T1D stack: shield, constraint costs and a custom reward over T1D-v0 (src/evaluation/env-stack.ts). */
const t1dStack = (options: Record<string, unknown>, shield: Record<string, unknown>) =>
  resolveEnvStack({ envId: 'T1D-v0', envOptions: options, constraints: { names: ['hypo70'] }, reward: '-risk', shield });

test('checkEnv passes on shielded envs (continuous and discrete) and on the experiment stack over a shield', (t) => {
  const t1d = { patient: 'adolescent#001', sensorNoise: false, days: 0.25 };
  const envs = [
    makeShield(make('T1D-v0', t1d), 'T1D-v0', { maxIobBasalMultiple: 2, maxRateBasalMultiple: 3 }),
    makeShield(make('T1D-v0', { ...t1d, action: 'discrete' }), 'T1D-v0', { maxIobUnits: 3 }),
    makeShield(make('Chemo-DePillis-v0', { horizonDays: 50 }), 'Chemo-DePillis-v0', { minN: 0.7, maxDosePerDay: 0.6, maxCumulativeDose: 10 }),
    makeShield(make('Chemo-DePillis-v0', { horizonDays: 50, levels: 4 }), 'Chemo-DePillis-v0', { maxCumulativeDose: 5 }),
    buildEnv(t1dStack(t1d, {}), true),
  ];
  for (const env of envs) {
    const report = checkEnv(env);
    t.true(report.episodeEnds >= 1, report.id);
  }
});

test('the experiment stack over a shield: the shield sees U/h, the costs and the reward see what it applied', (t) => {
  const env = buildEnv(t1dStack({ patient: 'adolescent#001', sensorNoise: false }, { maxRateUnitsPerHour: 0.5 }), true);
  env.reset({ seed: 1 });
  const r = env.step(new Float32Array([1]));
  const rec = r.info['shield'] as ShieldRecord;
  t.deepEqual(rec.reasons, ['max-rate']);
  t.is(rec.applied, Math.fround(0.5));
  t.is(rec.unit, 'U/h');
  t.is(rec.requested, 1);
  t.is(r.reward, -(r.info['risk'] as number));
  t.deepEqual(r.info['costs'], { hypo70: 0 });
  // 0.5 U/h over one 3-minute step, rounded by the pump
  t.true(Math.abs((r.info['insulin'] as number) - 0.5 / 20) < 1e-5, `insulin ${r.info['insulin']}`);
});

// ------------------------------------------------------------------------------------------------
// Units, helpers and errors

test('float32AtMost and highestLevelAtMost round down, never up', (t) => {
  t.is(float32AtMost(0.1), 0.09999999403953552);
  t.true(Math.fround(0.1) > 0.1);
  t.is(float32AtMost(0.5), 0.5);
  t.is(float32AtMost(0), 0);
  fc.assert(fc.property(fc.double({ min: 0, max: 1e6, noNaN: true }), (x) => float32AtMost(x) <= x && Math.fround(float32AtMost(x)) === float32AtMost(x) && x - float32AtMost(x) <= x * 2 ** -23 + 2 ** -149));
  t.is(highestLevelAtMost([0, 0.5, 1, 1.5], 1.2), 2);
  t.is(highestLevelAtMost([1.5, 0, 1, 0.5], 1.2), 2);
  t.is(highestLevelAtMost([0.5, 1], 0.2), -1);
});

test('linearProjection extrapolates the least-squares line', (t) => {
  // 120, 115, 110 at minutes 0, 5, 10: slope -1 mg/dL/min, 30 min after minute 10 -> 80.
  t.is(linearProjection([{ minute: 0, cgm: 120 }, { minute: 5, cgm: 115 }, { minute: 10, cgm: 110 }], 40), 80);
  t.is(linearProjection([{ minute: 0, cgm: 120 }], 30), undefined);
  // noisy: fit through (0,100),(1,104),(2,102) -> slope 1, mean 102 at t=1 -> at t=4: 105
  t.is(linearProjection([{ minute: 0, cgm: 100 }, { minute: 1, cgm: 104 }, { minute: 2, cgm: 102 }], 4), 105);
});

test('T1D predictive suspend fires on a falling trend above the threshold; steady basal IOB is 1x', (t) => {
  const fake = new FakeT1D({ cgms: [130, 120, 110, 100, 95], dt: 5, basalUPerMin: 0.02, maxUPerHour: 6, levels: null });
  const env = makeShield(fake, 'T1D-v0', { maxIobBasalMultiple: 1 }) as T1DShield;
  env.reset({ seed: 0 });
  // 240 / 5 = 48 steps of 0.1 U with weights 1, 47/48, ...: 0.1 * 24.5 = 2.45 U
  t.true(Math.abs(env.iobUnits - 2.45) < 1e-12);
  t.true(Math.abs(env.steadyStateIobUnits - 2.45) < 1e-12);
  // Step 1 (CGM 130, one reading): no trend; IOB cap = basal exactly (1x steady state).
  let r = env.step(new Float32Array([3]));
  let rec = r.info['shield'] as ShieldRecord;
  t.deepEqual(rec.reasons, ['max-iob']);
  t.true(Math.abs(rec.applied - 1.2) < 1e-6); // 0.02 U/min = 1.2 U/h
  t.is(rec.predictedCgm, null);
  // Step 2: 130 -> 120 in 5 min, projected 30 min later: 60 < 80 -> suspend although CGM is 120.
  r = env.step(new Float32Array([0.5]));
  rec = r.info['shield'] as ShieldRecord;
  t.deepEqual(rec.reasons, ['predicted-low']);
  t.is(rec.applied, 0);
  t.is(rec.predictedCgm, 60);
  t.is(fake.received.length, 2);
});

test('the shield rejects actions outside the action space before judging them', (t) => {
  const env = makeShield(make('T1D-v0', { sensorNoise: false }), 'T1D-v0');
  env.reset({ seed: 0 });
  t.throws(() => env.step(new Float32Array([NaN])), { message: /action outside the action space/ });
  t.throws(() => env.step(new Float32Array([-1])), { message: /action outside the action space/ });
});

test('shield option errors name the field', (t) => {
  const t1d = make('T1D-v0', { sensorNoise: false });
  t.throws(() => makeShield(t1d, 'T1D-v0', { suspendBelowMgDl: -5 }), {
    message: 'shield.suspendBelowMgDl: expected a CGM threshold in mg/dL (a number >= 0) or null, got -5',
  });
  t.throws(() => makeShield(t1d, 'T1D-v0', { maxIobUnits: 'lots' }), { message: "shield.maxIobUnits: expected a number >= 0 (U) or null, got \"lots\"" });
  t.throws(() => makeShield(t1d, 'T1D-v0', { predictionHorizonMin: 0 }), { message: 'shield.predictionHorizonMin: expected a number of minutes > 0, got 0' });
  t.throws(() => makeShield(t1d, 'T1D-v0', { suspendBelow: 80 }), { message: /^shield\.suspendBelow: unknown field; allowed: suspendBelowMgDl, predictiveBelowMgDl, / });
  t.throws(() => makeShield(t1d, 'T1D-v0', { minN: 0.7 }), {
    message: `shield.minN: unknown field; allowed: ${Object.keys(T1D_SHIELD_DEFAULTS).join(', ')}`,
  });
  const chemo = make('Chemo-DePillis-v0');
  t.throws(() => makeShield(chemo, 'Chemo-DePillis-v0', { minN: 1.5 }), { message: 'shield.minN: expected a normal-cell level in [0, 1] or null, got 1.5' });
  t.throws(() => makeShield(chemo, 'Chemo-DePillis-v0', { maxIobUnits: 3 }), {
    message: `shield.maxIobUnits: unknown field; allowed: ${Object.keys(CHEMO_SHIELD_DEFAULTS).join(', ')}`,
  });
  t.throws(() => makeShield(make('CartPole-v1'), 'CartPole-v1'), { message: "shield: no shield for environment 'CartPole-v1'; shielded environments: Chemo-DePillis-v0, T1D-v0" });
  t.throws(() => makeShield(chemo, 'T1D-v0'), { message: 'shield: the env is Chemo-DePillis-v0, not T1D-v0' });
});

/** An env whose action space is not in physical units: the agent's [-1, 1] instead of the dose. */
class UnitActions extends Wrapper {
  private readonly space = new Box(-1, 1, [1]);
  override get actionSpace(): Box {
    return this.space;
  }
}

test('the shield refuses actions not in physical units and discrete levels without 0', (t) => {
  t.throws(() => new ChemoShield(new UnitActions(make('Chemo-DePillis-v0'))), { message: /is not a dose in \[0, 1\]; the shield wraps the raw env/ });
  const t1d = new T1DShield(new UnitActions(make('T1D-v0', { sensorNoise: false })));
  t.throws(() => t1d.reset({ seed: 0 }), { message: /is not a T1D-v0 action mode \(insulin rate in U\/h / });
  const noZero = makeShield(make('T1D-v0', { sensorNoise: false, action: 'discrete', discreteLevels: [0.5, 1, 2] }), 'T1D-v0');
  t.throws(() => noZero.reset({ seed: 0 }), { message: /discreteLevels must include 0 so the shield can suspend insulin/ });
});

test('T1D thresholds are strict and exact: CGM 80 passes, 79.9 suspends; a projection 1 mg/dL under the threshold suspends', (t) => {
  const decide = (cgms: number[], config: Partial<T1DShieldConfig>) => {
    const fake = new FakeT1D({ cgms: [...cgms, 100], dt: 5, basalUPerMin: 0.02, maxUPerHour: 6, levels: null });
    const env = makeShield(fake, 'T1D-v0', config);
    env.reset({ seed: 0 });
    let rec: ShieldRecord | undefined;
    for (let k = 0; k < cgms.length; k++) rec = env.step(new Float32Array([1])).info['shield'] as ShieldRecord;
    return rec as ShieldRecord;
  };
  t.deepEqual(decide([80], {}).reasons, []);
  t.deepEqual(decide([79.9], {}).reasons, ['low-cgm']);
  // 100 then 98 five minutes later: the line reaches 86 mg/dL 30 minutes after the latest reading.
  const flat = { suspendBelowMgDl: null };
  t.is(decide([100, 98], { ...flat, predictiveBelowMgDl: 87 }).predictedCgm, 86);
  t.deepEqual(decide([100, 98], { ...flat, predictiveBelowMgDl: 87 }).reasons, ['predicted-low']);
  t.deepEqual(decide([100, 98], { ...flat, predictiveBelowMgDl: 85 }).reasons, []);
  // Readings older than the trend window are ignored: 200 (10 min old) is outside a 6-minute window.
  t.is(decide([200, 100, 98], { ...flat, trendWindowMin: 6 }).predictedCgm, 86);
});

test('allowAnnouncedBolus: the IOB cap lets the announced bolus through on top of its room, then holds automated insulin until IOB is back under the cap', async (t) => {
  const { BasalBolusPolicy } = await import('../agents/baselines/glucose/index.ts');
  const run = (allowAnnouncedBolus: boolean) => {
    // Basal-bolus acts on the env, so it is told of meals (evaluation sets this per method).
    const raw = make('T1D-v0', { patient: 'adult#001', sensorNoise: false, days: 0.25, scenario: [{ minute: 120, grams: 60 }], actionMaxUnitsPerHour: 'pump', controllerToldOfMeals: true });
    // Only the IOB cap (2 x the steady basal IOB), no suspend rules.
    const env = makeShield(raw, 'T1D-v0', { suspendBelowMgDl: null, predictiveBelowMgDl: null, maxIobBasalMultiple: 2, allowAnnouncedBolus }) as T1DShield;
    const policy = new BasalBolusPolicy();
    let { info } = env.reset({ seed: 3 });
    const out: Array<{ meal: number; bolus: number; insulin: number; iobAfter: number; cap: number }> = [];
    for (;;) {
      const meal = info['mealGrams'] as number;
      const bolus = meal > 0 ? meal / (info['CR'] as number) : 0;
      const r = env.step(policy.act(undefined, { deterministic: true, info }));
      out.push({ meal, bolus, insulin: r.info['insulin'] as number, iobAfter: env.iobUnits, cap: env.maxIobUnits as number });
      info = r.info;
      if (r.terminated || r.truncated) return out;
    }
  };
  const allowed = run(true);
  const i = allowed.findIndex((s) => s.meal > 0);
  const meal = allowed[i] as (typeof allowed)[number];
  // The meal bolus (several units) is far above the cap's room (the IOB starts at 1 x its steady value), and passes whole.
  t.true(meal.bolus > meal.cap, `bolus ${meal.bolus} U against a cap of ${meal.cap} U`);
  t.true(meal.insulin >= meal.bolus - 1e-4, `delivered ${meal.insulin} U, bolus ${meal.bolus} U`);
  // Afterwards the IOB is over the cap, so nothing more is delivered until it has decayed below it.
  const after = allowed.slice(i + 1);
  t.true(after.length > 0 && (after[0] as (typeof allowed)[number]).insulin === 0, 'suspended after the bolus');
  // Every later dose keeps the IOB within the cap (pump rounding aside), or is none at all.
  for (const s of after) t.true(s.insulin === 0 || s.iobAfter <= s.cap + 1e-5, `dose ${s.insulin} U leaves IOB ${s.iobAfter} U over the cap ${s.cap} U`);
  t.true(after.slice(0, 6).every((s) => s.insulin === 0), 'the first half hour after the bolus: none');
  // Without the rule the cap truncates the bolus to the room it leaves.
  const capped = run(false);
  const cappedMeal = capped[i] as (typeof capped)[number];
  t.true(cappedMeal.insulin < meal.bolus / 2, `capped bolus ${cappedMeal.insulin} U`);
});

test('allowAnnouncedBolus: a suspend lets the announced meal bolus (grams / CR) through and nothing else; without it the bolus is dropped', async (t) => {
  const { BasalBolusPolicy } = await import('../agents/baselines/glucose/index.ts');
  const delivered = (allowAnnouncedBolus: boolean, controllerToldOfMeals: boolean | 'auto' = true) => {
    // A suspend threshold above any reading: every step is suspended.
    const raw = make('T1D-v0', { patient: 'adult#001', sensorNoise: false, days: 0.25, scenario: [{ minute: 120, grams: 60 }], actionMaxUnitsPerHour: 'pump', controllerToldOfMeals });
    const env = makeShield(raw, 'T1D-v0', { suspendBelowMgDl: 1000, predictiveBelowMgDl: null, allowAnnouncedBolus });
    const policy = new BasalBolusPolicy();
    let { info } = env.reset({ seed: 3 });
    const out: Array<{ meal: number; cr: number; insulin: number }> = [];
    for (;;) {
      const meal = info['mealGrams'] as number;
      const cr = info['CR'] as number;
      const r = env.step(policy.act(undefined, { deterministic: true, info }));
      out.push({ meal, cr, insulin: r.info['insulin'] as number });
      info = r.info;
      if (r.terminated || r.truncated) return out;
    }
  };
  const allowed = delivered(true);
  const mealSteps = allowed.filter((s) => s.meal > 0);
  t.is(mealSteps.length, 1);
  const step = mealSteps[0] as { meal: number; cr: number; insulin: number };
  // The bolus for the carbs (no correction: CGM is not above 150 at a steady start), within the pump's rounding.
  t.true(Math.abs(step.insulin - step.meal / step.cr) < 1e-4, `bolus ${step.insulin} U vs ${step.meal / step.cr} U`);
  t.true(allowed.filter((s) => s.meal === 0).every((s) => s.insulin === 0), 'basal stays suspended');
  t.true(delivered(false).every((s) => s.insulin === 0), 'without the rule the bolus is dropped');
  // A controller not told of meals (PID, a closed-loop policy; 'auto' in the continuous mode without
  // mealAnnouncement) gets no allowance: the announcement is still in the info, but nothing passes.
  for (const told of [false, 'auto'] as const) {
    const untold = delivered(true, told);
    t.is(untold.filter((s) => s.meal > 0).length, 1, 'info.mealGrams is still reported');
    t.true(untold.every((s) => s.insulin === 0), `controllerToldOfMeals ${told}: the bolus is dropped`);
  }
});

test('controllerToldOfMeals: auto is true only where the acting policy is told of meals; evaluation sets it per baseline', async (t) => {
  const told = (options: Record<string, unknown>) => make('T1D-v0', { patient: 'adult#001', ...options }).reset({ seed: 1 }).info['controllerToldOfMeals'];
  t.is(told({}), false, 'continuous, no mealAnnouncement: a closed-loop policy');
  t.is(told({ mealAnnouncement: 30 }), true, 'the policy observes announcements');
  t.is(told({ action: 'residual' }), true, 'a residual on basal-bolus (the default controller)');
  t.is(told({ action: 'residual', residualController: 'pid' }), false, 'a residual on PID');
  t.is(told({ action: 'residual', residualController: 'pid-bolus' }), true, 'a residual on pid-bolus, which boluses for announced meals');
  t.is(told({ action: 'residual', residualController: 'pid', mealAnnouncement: 15 }), true);
  t.is(told({ action: 'discrete' }), false);
  t.is(told({ action: 'residual', controllerToldOfMeals: false }), false, 'an explicit value wins');
  t.throws(() => make('T1D-v0', { controllerToldOfMeals: 'yes' }), { message: /controllerToldOfMeals.*expected true, false or 'auto'/ });
  // Evaluation: a baseline's env says whether that baseline reads announcements; a learned policy's keeps the config's.
  const { familyOf } = await import('../src/core/family.ts');
  const family = familyOf('T1D-v0');
  const options = { patient: 'adults', action: 'residual', residualController: 'pid' };
  const probe = make('T1D-v0', options);
  const target = (baseline: boolean, baselineType?: string) => ({ baseline, actionSpace: probe.actionSpace, ...(baselineType !== undefined ? { baselineType } : {}) });
  for (const type of ['basal-bolus', 'pid-bolus']) t.is(family.envOptions(options, 'adult#001', target(true, type))['controllerToldOfMeals'], true, type);
  for (const type of ['pid', 'basal', 'constant']) t.is(family.envOptions(options, 'adult#001', target(true, type))['controllerToldOfMeals'], false, type);
  t.false('controllerToldOfMeals' in family.envOptions(options, 'adult#001', target(false)), 'learned: the env resolves auto');
  t.is(told(family.envOptions(options, 'adult#001', target(false))), false);
});
