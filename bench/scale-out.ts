/**
 * Scale-out benchmarks (BENCHMARKS.md "Scale-out"): the queue's per-task overhead, and the wall time
 * of one config with --jobs 2 against the same run through the queue with 2 and 4 local worker
 * processes. Needs redis-server (started here on a free loopback port).
 *
 *   node --import=tsx bench/scale-out.ts [config] [--set ...]    (default: the quick start, shortened)
 *
 * Prints one JSON object. Every queued run's summary.csv is checked against the --jobs 2 run's.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { writeFileSync } from 'node:fs';
import { startRedis } from '../test/fixtures/redis.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BIN = join(ROOT, 'bin', 'dosegym');
const dir = mkdtempSync(join(tmpdir(), 'dosegym-scale-bench-'));

function cli(args: string[]): { done: Promise<number>; stop: () => void } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<number>((resolve, reject) =>
    child.on('close', (code) => (code === 0 || code === 130 ? resolve(Date.now()) : reject(new Error(`dosegym ${args.join(' ')}: exit ${code}: ${stderr}`)))),
  );
  return { done, stop: () => child.kill('SIGINT') };
}

async function timed(args: string[]): Promise<number> {
  const t0 = Date.now();
  return ((await cli(args).done) - t0) / 1000;
}

/** Workers on `queueName`, each with concurrency 1, ready (their task processes start with the first task). */
async function withWorkers<T>(url: string, queueName: string, n: number, body: () => Promise<T>): Promise<T> {
  const workers = Array.from({ length: n }, () => cli(['worker', '--queue', url, '--queue-name', queueName, '--quiet']));
  await new Promise((r) => setTimeout(r, 3000)); // start-up (tsx, bullmq) outside the measurement
  try {
    return await body();
  } finally {
    for (const w of workers) w.stop();
    await Promise.all(workers.map((w) => w.done));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const config = args[0] && !args[0].startsWith('--') ? args.shift() as string : join(ROOT, 'experiments', 'quickstart.yaml');
  const set = args.length > 0 ? args : ['--set', 'train.steps=20000', '--set', 'train.seeds=[1,2,3,4]', '--set', 'evaluate.episodes=4'];
  const redis = await startRedis();
  const out: Record<string, unknown> = { config, set: set.filter((a) => a !== '--set'), node: process.version };
  try {
    // 1. Per-task overhead: 24 evaluation tasks of one CartPole episode each (baselines only), with one
    //    worker, against the same run in-process (--jobs 1); three repetitions, medians.
    const methods = Array.from({ length: 24 }, (_, i) => ({ type: 'random', name: `r${i}` }));
    const tiny = join(dir, 'tiny.yaml');
    writeFileSync(tiny, YAML.stringify({ name: 'overhead', env: { id: 'CartPole-v1' }, train: { algo: 'none' }, evaluate: { episodes: 1, methods, bootstrap: 100, trajectories: 0 } }));
    const local: number[] = [];
    const queued: number[] = [];
    await withWorkers(redis.url, 'overhead', 1, async () => {
      for (let i = 0; i < 3; i++) {
        local.push(await timed(['run', tiny, '--out', join(dir, `tiny-local-${i}`), '--quiet']));
        queued.push(await timed(['run', tiny, '--queue', redis.url, '--queue-name', 'overhead', '--out', join(dir, `tiny-queued-${i}`), '--quiet']));
      }
    });
    out['overhead'] = { tasks: methods.length, localSeconds: local, queuedSeconds: queued, perTaskMs: Math.round(((median(queued) - median(local)) / methods.length) * 1000) };

    // 2. One config: --jobs 2 against the queue with 2 and 4 local worker processes.
    const jobs2 = await timed(['run', config, ...set, '--jobs', '2', '--out', join(dir, 'jobs2'), '--quiet']);
    const summary = readFileSync(join(dir, 'jobs2', 'summary.csv'), 'utf8');
    const wall: Record<string, number> = { jobs2 };
    for (const n of [2, 4]) {
      wall[`queue${n}`] = await withWorkers(redis.url, `w${n}`, n, () => timed(['run', config, ...set, '--queue', redis.url, '--queue-name', `w${n}`, '--out', join(dir, `queue${n}`), '--quiet']));
      if (readFileSync(join(dir, `queue${n}`, 'summary.csv'), 'utf8') !== summary) throw new Error(`queue with ${n} workers: summary.csv differs from --jobs 2`);
    }
    out['wallSeconds'] = wall;
    out['identicalSummaries'] = true;
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

await main();
