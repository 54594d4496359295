import test from 'ava';
import { Rng } from '../src/core/rng.ts';
import { T1DShield } from '../src/safety/t1d-shield.ts';
import { T1DEnv } from '../envs/glucose/t1d-env.ts';
import { IOB_DURATION_MIN, InsulinOnBoard } from '../envs/glucose/insulin-on-board.ts';

/** IOB by the definition: sum over the doses (newest last) of dose x max(0, 1 - age step / duration). */
function definition(doses: readonly number[], stepMin: number, durationMin: number, aged = 0): number {
  let s = 0;
  for (let a = 0; a < doses.length; a++) s += (doses[doses.length - 1 - a] as number) * Math.max(0, 1 - ((a + aged) * stepMin) / durationMin);
  return s;
}

test('the ring gives the linear-curve IOB by its definition, incrementally (duration a multiple of the step) or not', (t) => {
  for (const [stepMin, durationMin] of [[3, 240], [5, 240], [1, 240], [7, 240], [5, 90]] as const) {
    const iob = new InsulinOnBoard(stepMin, durationMin);
    t.is(iob.steps, Math.ceil(durationMin / stepMin));
    const history: number[] = new Array<number>(iob.steps).fill(0.06);
    iob.fill(0.06);
    const rng = new Rng(stepMin * 1000 + durationMin);
    for (let k = 0; k < 5000; k++) {
      const dose = rng.uniform() < 0.05 ? 5 * rng.uniform() : 0.06 * rng.uniform();
      iob.push(dose);
      history.push(dose);
      const tail = history.slice(-iob.steps);
      const exact = definition(tail, stepMin, durationMin);
      t.true(Math.abs(iob.units - exact) <= 1e-12 * Math.max(1, exact), `${stepMin}/${durationMin} step ${k}: ${iob.units} vs ${exact}`);
      if (k % 97 === 0) {
        for (const aged of [0, 1, 5]) t.true(Math.abs(iob.unitsAged(aged) - definition(tail, stepMin, durationMin, aged)) <= 1e-12 * Math.max(1, exact));
      }
    }
  }
});

test('IOB ages to zero over the duration; the steady state is the per-step dose x the weight sum', (t) => {
  const iob = new InsulinOnBoard(3);
  t.is(iob.durationMin, IOB_DURATION_MIN);
  iob.fill(0.06);
  // 80 steps, weights 1 - a/80: sum = 80 - 79 x 80 / 160 = 40.5
  t.is(iob.weightSum, 40.5);
  t.true(Math.abs(iob.units - 0.06 * 40.5) < 1e-12);
  t.is(iob.steadyStateUnits(0.06), 0.06 * 40.5);
  iob.push(6);
  t.true(Math.abs(iob.units - (6 + 0.06 * 40.5 - 0.06 * 80 / 80)) < 1e-12, 'a 6 U bolus counts fully; every older dose ages by 1/80');
  const after10 = iob.unitsAged(10);
  for (let k = 0; k < 10; k++) iob.push(0);
  t.true(Math.abs(iob.units - after10) < 1e-12, 'unitsAged(k) is what remains after k steps without insulin');
  for (let k = 0; k < 70; k++) iob.push(0);
  t.is(iob.unitsAged(0), 0, 'nothing left after 4 hours');
  t.true(Math.abs(iob.units) < 1e-15, 'the running value too, up to rounding (recomputed exactly once per ring turn)');
  t.throws(() => new InsulinOnBoard(0), { instanceOf: RangeError });
});

test('T1D-v0 and the T1D shield read the same IOB from the same curve', (t) => {
  const env = new T1DEnv({ patient: 'adolescent#006', actionMaxUnitsPerHour: 'pump', days: 0.5 });
  const shield = new T1DShield(env as never, { suspendBelowMgDl: null, predictiveBelowMgDl: null });
  let r = shield.reset({ seed: 4 });
  const k = 12;
  const steady = () => shield.steadyStateIobUnits;
  t.true(Math.abs((r.observation as Float32Array)[2 * k]! * steady() - shield.iobUnits) < 1e-5 * steady());
  const rng = new Rng(1);
  for (let s = 0; s < 200; s++) {
    const rate = s % 40 === 5 ? 100 : 2 * rng.uniform();
    const step = shield.step(new Float32Array([rate]));
    r = step;
    const observed = (step.observation as Float32Array)[2 * k] as number;
    t.true(Math.abs(observed * steady() - shield.iobUnits) < 1e-6 * Math.max(1, shield.iobUnits), `step ${s}`);
  }
});
