/**
 * Meal scenarios. The random daily scenario follows simglucose's RandomScenario (Xie 2018, a6f6777,
 * simglucose/simulation/scenario_gen.py): six meal slots per
 * day, each taken with a probability, at a time drawn from a normal distribution truncated to the
 * slot's window and rounded to the minute, with an amount N(mean, sd) rounded to whole grams and
 * floored at 0 g. Unlike simglucose, every call draws new meals from the given stream and every day
 * of a multi-day scenario is drawn independently.
 */
import type { Rng } from '../../src/core/rng.ts';

export interface Meal {
  /** Minutes from the episode start (midnight of day 0). */
  minute: number;
  /** Carbohydrate [g]. */
  grams: number;
}

export interface MealSlot {
  name: string;
  probability: number;
  /** Time of day [min]: mean, SD and truncation window [lo, hi]. */
  meanMin: number;
  sdMin: number;
  loMin: number;
  hiMin: number;
  /** Amount [g]: mean and SD. */
  meanG: number;
  sdG: number;
}

/** simglucose's six slots (times in minutes after midnight). */
export const MEAL_SLOTS: readonly MealSlot[] = Object.freeze([
  { name: 'breakfast', probability: 0.95, meanMin: 7 * 60, sdMin: 60, loMin: 5 * 60, hiMin: 9 * 60, meanG: 45, sdG: 10 },
  { name: 'morning snack', probability: 0.3, meanMin: 9.5 * 60, sdMin: 30, loMin: 9 * 60, hiMin: 10 * 60, meanG: 10, sdG: 5 },
  { name: 'lunch', probability: 0.95, meanMin: 12 * 60, sdMin: 60, loMin: 10 * 60, hiMin: 14 * 60, meanG: 70, sdG: 10 },
  { name: 'afternoon snack', probability: 0.3, meanMin: 15 * 60, sdMin: 30, loMin: 14 * 60, hiMin: 16 * 60, meanG: 10, sdG: 5 },
  { name: 'dinner', probability: 0.95, meanMin: 18 * 60, sdMin: 60, loMin: 16 * 60, hiMin: 20 * 60, meanG: 80, sdG: 10 },
  { name: 'evening snack', probability: 0.3, meanMin: 21.5 * 60, sdMin: 30, loMin: 20 * 60, hiMin: 23 * 60, meanG: 10, sdG: 5 },
]);

/**
 * Meals for `days` consecutive days starting at midnight, sorted by minute. Slots whose drawn
 * times coincide are merged into one meal (grams summed). Zero-gram draws are kept, as in simglucose.
 */
export function randomDailyMeals(rng: Rng, days: number): Meal[] {
  if (!Number.isInteger(days) || days < 0) throw new RangeError(`randomDailyMeals: days must be a non-negative integer, got ${days}`);
  const byMinute = new Map<number, number>();
  for (let day = 0; day < days; day++) {
    for (const s of MEAL_SLOTS) {
      // Draw order per slot as simglucose: the coin, then the time, then the amount.
      if (!(rng.uniform() < s.probability)) continue;
      const time = Math.round(rng.truncatedNormal(s.meanMin, s.sdMin, s.loMin, s.hiMin));
      const grams = Math.max(Math.round(rng.gaussian(s.meanG, s.sdG)), 0);
      const minute = day * 1440 + time;
      byMinute.set(minute, (byMinute.get(minute) ?? 0) + grams);
    }
  }
  return [...byMinute].map(([minute, grams]) => ({ minute, grams })).sort((a, b) => a.minute - b.minute);
}
