import test from 'ava';
import { Rng } from '../src/core/rng.ts';
import { MEAL_SLOTS, randomDailyMeals } from '../envs/glucose/scenario.ts';

const DAYS = 4000;

test('random daily meals: sorted, within the slot windows, whole grams >= 0, new draws per day', (t) => {
  const meals = randomDailyMeals(new Rng('scenario'), DAYS);
  t.true(meals.length > 3.5 * DAYS && meals.length < 4 * DAYS, `meals per day ${meals.length / DAYS}`);
  for (let i = 1; i < meals.length; i++) t.true(meals[i]!.minute > meals[i - 1]!.minute);
  for (const m of meals) {
    const tod = m.minute % 1440;
    t.true(Number.isInteger(m.minute) && tod >= 5 * 60 && tod <= 23 * 60, `time ${m.minute}`);
    t.true(Number.isInteger(m.grams) && m.grams >= 0, `grams ${m.grams}`);
  }
  t.true(meals[meals.length - 1]!.minute < DAYS * 1440);
  t.notDeepEqual(
    meals.filter((m) => m.minute < 1440).map((m) => m.minute % 1440),
    meals.filter((m) => m.minute >= 1440 && m.minute < 2880).map((m) => m.minute % 1440),
  );
});

test('random daily meals: slot probabilities, truncated-normal times and amounts', (t) => {
  const meals = randomDailyMeals(new Rng(42), DAYS);
  const inWindow = (lo: number, hi: number, g: (grams: number) => boolean) =>
    meals.filter((m) => m.minute % 1440 >= lo && m.minute % 1440 <= hi && g(m.grams));
  // Dinner: 0.95, time N(18 h, 60 min) truncated to [16 h, 20 h] (+-2 SD), amount N(80, 10).
  const dinner = inWindow(16 * 60 + 1, 20 * 60 - 1, (g) => g >= 40);
  const p = dinner.length / DAYS;
  t.true(Math.abs(p - 0.95) < 4 * Math.sqrt((0.95 * 0.05) / DAYS), `dinner probability ${p}`);
  const times = dinner.map((m) => m.minute % 1440);
  const meanT = times.reduce((a, b) => a + b, 0) / times.length;
  const sdT = Math.sqrt(times.reduce((a, b) => a + (b - meanT) ** 2, 0) / times.length);
  // SD of N(0,1) truncated to [-2, 2]: sqrt(1 - 4 phi(2) / (2 Phi(2) - 1)) = 0.8796 -> 52.8 min.
  t.true(Math.abs(meanT - 1080) < 4 * (52.8 / Math.sqrt(times.length)), `dinner mean time ${meanT}`);
  t.true(Math.abs(sdT - 52.8) < 2, `dinner time SD ${sdT}`);
  const grams = dinner.map((m) => m.grams);
  const meanG = grams.reduce((a, b) => a + b, 0) / grams.length;
  t.true(Math.abs(meanG - 80) < 0.8, `dinner mean grams ${meanG}`);
  // Morning snack: 0.3 in [9 h, 10 h], amount N(10, 5).
  const snack = inWindow(9 * 60 + 1, 10 * 60, (g) => g < 30);
  const ps = snack.length / DAYS;
  t.true(Math.abs(ps - 0.3 * 0.98) < 4 * Math.sqrt((0.3 * 0.7) / DAYS) + 0.01, `snack probability ${ps}`);
  const snackMean = snack.reduce((a, m) => a + m.grams, 0) / snack.length;
  t.true(Math.abs(snackMean - 10) < 1, `snack mean grams ${snackMean}`);
  // No meal outside the union of the windows.
  t.is(meals.filter((m) => m.minute % 1440 < 300 || m.minute % 1440 > 1380).length, 0);
  t.is(MEAL_SLOTS.length, 6);
});

test('random daily meals are reproducible from the stream and validate days', (t) => {
  t.deepEqual(randomDailyMeals(new Rng(5), 3), randomDailyMeals(new Rng(5), 3));
  t.notDeepEqual(randomDailyMeals(new Rng(5), 3), randomDailyMeals(new Rng(6), 3));
  t.deepEqual(randomDailyMeals(new Rng(5), 0), []);
  t.throws(() => randomDailyMeals(new Rng(5), -1), { message: /days must be a non-negative integer/ });
});
