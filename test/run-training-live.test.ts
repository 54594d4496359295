/**
 * training.csv grows while training runs (a row per update, appended as it happens), so `tail -f`
 * and a mid-run `dosegym report` see the training so far; once every policy is trained it is
 * rewritten in training order, exactly the file a run writes at its end.
 */
import test from 'ava';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import '../envs/index.ts';
import { parseCsv, toCsv } from '../src/io/csv.ts';
import { TRAINING_COLUMNS } from '../agents/index.ts';
import { TINY_PPO, runCli, tempDir, writeConfig } from './fixtures/experiments/helpers.ts';
import { runMain } from './fixtures/experiments/in-process.ts';

const dir = tempDir('dosegym-live-');
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const dataRows = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').length - 1 : -1);

test.serial('rows appear while a seed trains; a mid-run report draws the learning curves so far', async (t) => {
  const out = join(dir, 'long');
  // About 800 updates of 64 steps: long enough to look at it while it trains, even on a loaded
  // machine (the mid-run report takes seconds); it is stopped as soon as the checks are done.
  const config = writeConfig(dir, 'long.yaml', { ...TINY_PPO, train: { ...TINY_PPO.train, steps: 50_000, seeds: [1] } });
  let pid = 0;
  const child = runCli(['train', config, '--out', out, '--quiet'], { onSpawn: (p) => (pid = p) });
  const csv = join(out, 'training.csv');
  try {
    let seen = -1;
    for (let i = 0; i < 600 && seen < 3; i++) {
      await sleep(100);
      seen = dataRows(csv);
    }
    t.true(seen >= 3, `training.csv has ${seen} rows`);
    t.false(existsSync(join(out, 'policies', '1')), 'the seed is still training');
    const lines = readFileSync(csv, 'utf8').split('\n');
    t.is(lines[0], TRAINING_COLUMNS.join(','));
    for (const line of lines.slice(1, -1)) t.is(line.split(',').length, TRAINING_COLUMNS.length, 'whole rows only');
    const report = await runMain(['report', out, '--quiet']);
    t.is(report.code, 0, report.stderr);
    t.true(existsSync(join(out, 'charts', 'learning-curves.vl.json')));
    t.regex(readFileSync(join(out, 'report.html'), 'utf8'), /not evaluated yet: training so far/);
    await sleep(500);
    t.true(dataRows(csv) > seen, 'more rows arrive');
  } finally {
    // It may have finished already on a fast machine: then there is nothing to stop.
    if (pid > 0 && (await Promise.race([child.then(() => false), sleep(0).then(() => true)]))) process.kill(pid, 'SIGINT');
    await child;
  }
});

test.serial('the finished training.csv is the policies\' rows in training order', async (t) => {
  const out = join(dir, 'done');
  const r = await runMain(['train', writeConfig(dir, 'two.yaml', TINY_PPO), '--out', out, '--quiet', '--jobs', '2']);
  t.is(r.code, 0, r.stderr);
  const perSeed = [1, 2].flatMap((seed) => parseCsv(readFileSync(join(out, 'training', `seed-${seed}.csv`), 'utf8')));
  t.is(readFileSync(join(out, 'training.csv'), 'utf8'), toCsv(TRAINING_COLUMNS, perSeed));
  t.deepEqual([...new Set(perSeed.map((row) => row['seed']))], ['1', '2']);
});
