import test from 'ava';
import { readFileSync, existsSync } from 'node:fs';
import { parseCsv } from '../src/io/csv.ts';
import { cvgaZone, eventsPerWeek, glucoseMetrics, hypoglycaemiaEvents, tirPlannedPercent, type CvgaZone, gmiPercent, risk, riskComponents, riskTransform } from '../src/metrics/glucose.ts';
import { survivedPercent } from '../src/metrics/horizon.ts';

test('risk is ~0 at 112.5 mg/dL (zero of the Kovatchev transform at 112.517)', (t) => {
  t.true(risk(112.5) < 1e-5);
  t.true(Math.abs(riskTransform(112.517)) < 1e-5);
  const m = glucoseMetrics(new Array(288).fill(112.5));
  t.true(m.lbgi < 1e-5 && m.hbgi === 0 && m.riskIndex < 1e-5);
  t.is(m.sdMgDl, 0);
  t.is(m.tirPercent, 100);
  t.is(m.cvgaZone, 'A');
});

test('GMI of 150 mg/dL is 6.898 % (Bergenstal 2018)', (t) => {
  t.true(Math.abs(gmiPercent(150) - 6.898) < 1e-12);
  t.true(Math.abs(glucoseMetrics([100, 200]).gmiPercent - 6.898) < 1e-12);
});

test('risk caps at 100 below 20 and above 600 as simglucose does', (t) => {
  t.deepEqual(riskComponents(20), { low: 100, high: 0, risk: 100 });
  t.deepEqual(riskComponents(5), { low: 100, high: 0, risk: 100 });
  t.deepEqual(riskComponents(600), { low: 0, high: 100, risk: 100 });
  t.deepEqual(riskComponents(900), { low: 0, high: 100, risk: 100 });
  // continuous-ish at the caps
  t.true(Math.abs(risk(20.001) - 100) < 0.1);
  t.true(Math.abs(risk(599.99) - 100) < 0.1);
  // low side / high side
  t.true(riskComponents(60).low > 0 && riskComponents(60).high === 0);
  t.true(riskComponents(250).high > 0 && riskComponents(250).low === 0);
});

test('time in ranges, mean, SD, CV, LBGI, HBGI on a worked list', (t) => {
  // 10 readings: 2 below 54, 1 in [54,70), 4 in range (incl. 70 and 180 exactly), 1 in (180,250], 2 above 250
  const bg = [40, 50, 60, 70, 100, 150, 180, 200, 260, 300];
  const m = glucoseMetrics(bg);
  t.is(m.n, 10);
  t.is(m.tbr54Percent, 20);
  t.is(m.tbr70Percent, 30);
  t.is(m.tirPercent, 40);
  t.is(m.tar180Percent, 30);
  t.is(m.tar250Percent, 20);
  t.is(m.meanMgDl, 141);
  // sample SD computed by hand: sum of squared deviations = 76290, / 9
  const ss = bg.reduce((a, g) => a + (g - 141) ** 2, 0);
  t.is(ss, 76290);
  t.true(Math.abs(m.sdMgDl - Math.sqrt(76290 / 9)) < 1e-12);
  t.true(Math.abs(m.cvPercent - (100 * Math.sqrt(76290 / 9)) / 141) < 1e-12);
  let lo = 0;
  let hi = 0;
  for (const g of bg) {
    const f = 1.509 * (Math.log(g) ** 1.084 - 5.381);
    if (f < 0) lo += 10 * f * f;
    else hi += 10 * f * f;
  }
  t.true(Math.abs(m.lbgi - lo / 10) < 1e-12);
  t.true(Math.abs(m.hbgi - hi / 10) < 1e-12);
  t.true(Math.abs(m.riskIndex - (lo + hi) / 10) < 1e-12);
  t.is(m.minMgDl, 40);
  t.is(m.maxMgDl, 300);
  t.is(m.cvgaZone, 'Lower D');
});

test('CVGA: the 3x3 grid of Magni et al. 2008', (t) => {
  t.is(cvgaZone(100, 170), 'A');
  t.is(cvgaZone(80, 170), 'Lower B');
  t.is(cvgaZone(100, 250), 'Upper B');
  t.is(cvgaZone(80, 250), 'B');
  t.is(cvgaZone(60, 170), 'Lower C');
  t.is(cvgaZone(100, 350), 'Upper C');
  t.is(cvgaZone(60, 250), 'Lower D');
  t.is(cvgaZone(80, 350), 'Upper D');
  t.is(cvgaZone(45, 450), 'E');
  t.throws(() => cvgaZone(200, 100), { instanceOf: RangeError });
  t.throws(() => cvgaZone(NaN, 100), { instanceOf: RangeError });
});

test('CVGA: a value on a grid line belongs to the better zone, at every line and on both sides of it', (t) => {
  // [min BG, column]: >= 90 left, 70 <= min < 90 middle, < 70 right
  const minCases: [number, number][] = [[90.001, 0], [90, 0], [89.999, 1], [70.001, 1], [70, 1], [69.999, 2]];
  // [max BG, row]: <= 180 bottom, 180 < max <= 300 middle, > 300 top
  const maxCases: [number, number][] = [[179.999, 0], [180, 0], [180.001, 1], [299.999, 1], [300, 1], [300.001, 2]];
  const grid: CvgaZone[][] = [
    ['A', 'Lower B', 'Lower C'],
    ['Upper B', 'B', 'Lower D'],
    ['Upper C', 'Upper D', 'E'],
  ];
  for (const [min, col] of minCases) {
    for (const [max, row] of maxCases) t.is(cvgaZone(min, max), grid[row]?.[col] as CvgaZone, `min ${min}, max ${max}`);
  }
  // The cases of the issue that found two disagreeing rules (src/report kept the other copy).
  t.is(cvgaZone(90, 170), 'A');
  t.is(cvgaZone(70, 180), 'Lower B');
  t.is(cvgaZone(90, 180), 'A');
  // The chart's outer limits do not change a zone.
  t.is(cvgaZone(30, 170), 'Lower C');
  t.is(cvgaZone(100, 600), 'Upper C');
});

test('metrics reject empty and NaN traces', (t) => {
  t.throws(() => glucoseMetrics([]), { message: /no readings/ });
  t.throws(() => glucoseMetrics([100, Number.NaN]), { message: /reading 1 is NaN/ });
});

test('per-step LBGI/HBGI/Risk of the simglucose reference run are reproduced', (t) => {
  const local = 'test/fixtures/simglucose/adolescent001_1d_bb_nonoise.csv';
  const path = existsSync(local) ? local : '/work/shared/data/reference/simglucose/adolescent001_1d_bb_nonoise.csv';
  const rows = parseCsv(readFileSync(path, 'utf8'));
  t.is(rows.length, 481);
  let maxErr = 0;
  let lowRows = 0;
  let highRows = 0;
  for (const row of rows) {
    const bg = Number(row.BG_avg_mg_dl);
    const rc = riskComponents(bg);
    maxErr = Math.max(maxErr, Math.abs(rc.low - Number(row.LBGI)), Math.abs(rc.high - Number(row.HBGI)), Math.abs(rc.risk - Number(row.Risk)));
    if (Number(row.LBGI) > 0) lowRows++;
    if (Number(row.HBGI) > 0) highRows++;
  }
  t.true(lowRows > 10 && highRows > 10, 'the run visits both sides of 112.5 mg/dL');
  // the file carries 10 significant digits
  t.true(maxErr < 1e-7, `max risk error ${maxErr}`);
});

/** A trace: `runs` as [mg/dL, minutes] pieces sampled every `dt` minutes (minutes / dt readings each). */
function trace(dt: number, runs: [number, number][]): number[] {
  return runs.flatMap(([g, minutes]) => {
    if (minutes % dt !== 0) throw new Error(`${minutes} min is not a whole number of ${dt}-min readings`);
    return new Array<number>(minutes / dt).fill(g);
  });
}

test('level 2 hypoglycaemia event: 15 consecutive minutes below 54 mg/dL count, 14 do not (1-minute readings)', (t) => {
  t.is(hypoglycaemiaEvents(trace(1, [[120, 60], [50, 14], [120, 60]]), 1), 0);
  t.is(hypoglycaemiaEvents(trace(1, [[120, 60], [50, 15], [120, 60]]), 1), 1);
  // 54 itself is not below 54 (level 2 is < 54 mg/dL)
  t.is(hypoglycaemiaEvents(trace(1, [[54, 60]]), 1), 0);
  t.is(hypoglycaemiaEvents(trace(1, [[53.9, 15]]), 1), 1);
  // an event still open when the trace ends counts
  t.is(hypoglycaemiaEvents(trace(1, [[120, 10], [40, 30]]), 1), 1);
});

test('level 2 events at 3- and 5-minute sampling: k readings last k x the sample time', (t) => {
  // Dexcom, 3 min: 4 readings = 12 min (no event), 5 readings = 15 min (an event)
  t.is(hypoglycaemiaEvents(trace(3, [[100, 30], [45, 12], [100, 30]]), 3), 0);
  t.is(hypoglycaemiaEvents(trace(3, [[100, 30], [45, 15], [100, 30]]), 3), 1);
  // GuardianRT, 5 min: 2 readings = 10 min (no event), 3 readings = 15 min (an event)
  t.is(hypoglycaemiaEvents(trace(5, [[100, 30], [45, 10], [100, 30]]), 5), 0);
  t.is(hypoglycaemiaEvents(trace(5, [[100, 30], [45, 15], [100, 30]]), 5), 1);
});

test('level 2 events: a recovery of 15 minutes at or above 54 separates two events; a shorter one does not', (t) => {
  for (const dt of [1, 3, 5]) {
    // two dips separated by 15 minutes at 54 mg/dL or above: two events
    t.is(hypoglycaemiaEvents(trace(dt, [[100, 30], [45, 30], [54, 15], [45, 15], [100, 30]]), dt), 2, `${dt}-min readings`);
    // separated by less than 15 minutes (10 min at 5-min sampling, 12 at 3, 14 at 1): one event
    const short = dt * Math.floor(14 / dt); // the longest whole number of readings under 15 min
    t.is(hypoglycaemiaEvents(trace(dt, [[100, 30], [45, 30], [150, short], [45, 30], [100, 30]]), dt), 1, `${dt}-min readings, ${short}-min recovery`);
    // a recovered dip shorter than 15 minutes after an event is no new event
    t.is(hypoglycaemiaEvents(trace(dt, [[100, 30], [45, 30], [100, 60], [45, short], [100, 30]]), dt), 1, `${dt}-min readings, short second dip`);
  }
  // a threshold other than 54 (level 1, < 70)
  t.is(hypoglycaemiaEvents(trace(5, [[60, 15]]), 5, { belowMgDl: 70 }), 1);
  t.is(hypoglycaemiaEvents(trace(5, [[60, 15]]), 5), 0);
  t.throws(() => hypoglycaemiaEvents([50, Number.NaN], 5), { message: /reading 1 is NaN/ });
  t.throws(() => hypoglycaemiaEvents([50], 0), { message: /sampleMinutes must be > 0/ });
});

test('events per patient-week of observed time', (t) => {
  t.is(eventsPerWeek(1, 1440), 7); // one event in one day
  t.is(eventsPerWeek(3, 7 * 1440), 3);
  t.is(eventsPerWeek(0, 720), 0);
  t.throws(() => eventsPerWeek(1, 0), { message: /observed time must be > 0/ });
});

test('TIR over the planned horizon counts the time after a termination as out of range', (t) => {
  // 240 readings planned (half a day at 3 min); the patient died after 120, all of them in range
  const bg = new Array<number>(120).fill(120);
  t.is(glucoseMetrics(bg).tirPercent, 100);
  t.is(tirPlannedPercent(bg, 240), 50);
  t.is(tirPlannedPercent([60, 100, 200, 180], 4), 50); // no termination: the plain TIR
  t.is(tirPlannedPercent([60, 100, 200, 180], 4), glucoseMetrics([60, 100, 200, 180]).tirPercent);
  t.throws(() => tirPlannedPercent(bg, 100), { message: /planned readings must be an integer >= the 120 readings taken/ });
  t.is(survivedPercent(120, 240), 50);
  t.is(survivedPercent(240, 240), 100);
  t.is(survivedPercent(5, undefined), null);
  t.throws(() => survivedPercent(241, 240), { message: /241 steps taken of 240 planned/ });
});
