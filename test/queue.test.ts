/**
 * `dosegym run --queue` with `dosegym worker` processes through a real Redis (test/fixtures/redis.ts):
 * a worker SIGKILLed mid-task, its task retried by another, results byte-identical to --jobs 1; a
 * coordinator killed and resumed, collecting finished tasks from the queue; a task result over
 * 10 MB; Redis unreachable at start, a password in the URL, Redis lost mid-run then --resume; a
 * worker refusing a task kind it does not know.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { packageVersion } from '../src/core/package.ts';
import { QUEUE_PROTOCOL } from '../src/run/queue.ts';
import { BIN, ROOT, TINY_PPO, runCli, tempDir, writeConfig, type CliResult } from './fixtures/experiments/helpers.ts';
import { CI_REDIS, REDIS_SERVER_INSTALLED, startRedis, type RedisServer } from './fixtures/redis.ts';

const available = CI_REDIS !== undefined || REDIS_SERVER_INSTALLED;
if (!available) console.log('queue tests skipped: redis-server is not installed (apt-get install redis-server; CI installs it and sets DOSEGYM_TEST_REDIS)');
const qtest = available ? test.serial : test.skip;
// CI must never skip them: there, a missing Redis is a failure (the URL is checked by every test).
if (CI_REDIS !== undefined && !REDIS_SERVER_INSTALLED) test('redis-server is installed (CI)', (t) => t.fail('DOSEGYM_TEST_REDIS is set but redis-server is not installed'));

const dir = tempDir('dosegym-queue-');
let server: RedisServer | undefined;
let url = CI_REDIS ?? '';
test.before(async () => {
  if (available && CI_REDIS === undefined) {
    server = await startRedis();
    url = server.url;
  }
});
test.after.always(async () => {
  await server?.stop();
  for (const p of spawned) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const spawned: ReturnType<typeof spawn>[] = [];
interface Proc {
  out: () => string;
  err: () => string;
  waitFor: (text: string | RegExp, timeoutMs?: number) => Promise<void>;
  kill: (signal: NodeJS.Signals) => void;
  done: Promise<CliResult>;
}
/** `dosegym ...args` in the background. */
function start(args: string[]): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  spawned.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return {
    out: () => stdout,
    err: () => stderr,
    waitFor: async (text, timeoutMs = 90_000) => {
      const t0 = Date.now();
      const seen = () => (typeof text === 'string' ? stderr.includes(text) : text.test(stderr));
      while (!seen()) {
        if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${String(text)}; stderr: ${stderr}`);
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited before ${String(text)}; stderr: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    kill: (signal) => child.kill(signal),
    done,
  };
}
const worker = (queueName: string, extra: string[] = []) => start(['worker', '--queue', url, '--queue-name', queueName, '--lock-seconds', '2', ...extra]);
const stopWorker = async (w: Proc) => {
  w.kill('SIGINT');
  await w.done;
};

const RESULTS = ['summary.csv', 'summary.json', 'episodes.csv', 'training.csv', 'aggregates.json', 'trajectories/ppo.csv', 'policies/1/weights.bin', 'policies/2/weights.bin', 'policies/1/manifest.json'];
// 32 PPO updates per seed: long enough to be killed mid-task.
const CONFIG = { ...TINY_PPO, train: { ...TINY_PPO.train, steps: 2048 } };
let reference: Promise<string> | undefined;
function referenceRun(): Promise<string> {
  reference ??= runCli(['run', writeConfig(dir, 'ppo.yaml', CONFIG), '--out', join(dir, 'reference'), '--quiet']).then((r) => {
    if (r.code !== 0) throw new Error(r.stderr);
    return join(dir, 'reference');
  });
  return reference;
}
const same = (t: { deepEqual: (a: unknown, b: unknown, m?: string) => void }, a: string, b: string) => {
  for (const file of RESULTS) t.deepEqual(readFileSync(join(a, file)), readFileSync(join(b, file)), file);
};

qtest('two workers, one SIGKILLed mid-task: its task is retried by the other; results byte-identical to --jobs 1', async (t) => {
  const ref = referenceRun();
  const config = writeConfig(dir, 'ppo.yaml', CONFIG);
  const a = worker('kill');
  await a.waitFor('taking tasks');
  const out = join(dir, 'killed');
  const coordinator = start(['run', config, '--queue', url, '--queue-name', 'kill', '--out', out]);
  // Worker A takes the first training task; B starts after, so it gets the second.
  await a.waitFor(/train seed 1 \(job [^)]+\) started/);
  const b = worker('kill');
  await b.waitFor(/train seed 2 \(job [^)]+\) started/);
  await new Promise((r) => setTimeout(r, 500));
  t.notRegex(a.err(), /train seed 1 \(job [^)]+\) done/, 'killed before it finished');
  a.kill('SIGKILL');
  const result = await coordinator.done;
  t.is(result.code, 0, result.stderr);
  // B ran its own task and, once A's lock lapsed, A's.
  t.regex(b.err(), /train seed 1 \(job [^)]+\) done/);
  t.regex(b.err(), /train seed 2 \(job [^)]+\) done/);
  await stopWorker(b);
  t.is(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).status, 'complete');
  same(t, out, await ref);
});

qtest('train.init over the queue: each starting checkpoint travels with its task; results byte-identical to --jobs 1', async (t) => {
  // Fine-tune the reference run's policies (seed s from its seed s), locally and on a worker.
  const source = join(await referenceRun(), 'policies');
  const config = writeConfig(dir, 'ppo-init.yaml', { ...CONFIG, train: { ...CONFIG.train, steps: 512 } });
  const local = join(dir, 'init-local');
  const l = await runCli(['run', config, '--set', `train.init=${source}`, '--out', local, '--quiet']);
  t.is(l.code, 0, l.stderr);
  const w = worker('init');
  await w.waitFor('taking tasks');
  const out = join(dir, 'init-queued');
  const q = await start(['run', config, '--set', `train.init=${source}`, '--queue', url, '--queue-name', 'init', '--out', out]).done;
  await stopWorker(w);
  t.is(q.code, 0, q.stderr);
  same(t, out, local);
  // The provenance names the coordinator's checkpoint, not the worker's copy of it.
  const manifest = JSON.parse(readFileSync(join(out, 'policies', '1', 'manifest.json'), 'utf8'));
  t.is(manifest.init?.dir, join(source, '1'));
  // The trained policies differ from the source's: training ran from them, not around them.
  t.notDeepEqual(readFileSync(join(out, 'policies', '1', 'weights.bin')), readFileSync(join(source, '1', 'weights.bin')));
});

qtest('a coordinator killed and restarted with --resume collects the tasks finished meanwhile from the queue', async (t) => {
  const ref = referenceRun();
  const config = writeConfig(dir, 'ppo.yaml', CONFIG);
  const w = worker('resume');
  await w.waitFor('taking tasks');
  const out = join(dir, 'resumed');
  const first = start(['run', config, '--queue', url, '--queue-name', 'resume', '--out', out]);
  await w.waitFor(/train seed 1 \(job [^)]+\) started/);
  first.kill('SIGKILL');
  await first.done;
  // The worker finishes both training tasks with no coordinator.
  await w.waitFor(/train seed 2 \(job [^)]+\) done/);
  t.false(existsSync(join(out, 'training', 'seed-1.csv')), 'nothing written while the coordinator was away');
  const resumed = await runCli(['run', config, '--queue', url, '--queue-name', 'resume', '--out', out, '--resume', '--quiet']);
  t.is(resumed.code, 0, resumed.stderr);
  // Not recomputed: each training task started once.
  t.is(w.err().match(/train seed 1 \(job [^)]+\) started/g)?.length, 1);
  t.is(w.err().match(/train seed 2 \(job [^)]+\) started/g)?.length, 1);
  await stopWorker(w);
  same(t, out, await ref);
});

// The local run of the 10 MB test starts with the file (it needs no Redis), overlapping the tests before it.
// Glorot initialisation: the orthogonal one takes half a minute on 1200 x 1200 matrices.
const BIG = { ...TINY_PPO, name: 'big', train: { ...TINY_PPO.train, steps: 64, seeds: [1], hyperparameters: { ...TINY_PPO.train.hyperparameters, netArch: [1200, 1200], orthoInit: false } }, evaluate: { episodes: 1, methods: ['ppo'], bootstrap: 100, trajectories: 0 } };
const bigLocal = available ? runCli(['run', writeConfig(dir, 'big.yaml', BIG), '--out', join(dir, 'big-local'), '--quiet']) : undefined;

qtest('a task result of more than 10 MB travels through Redis (a policy of 2 x 1200 x 1200 weights)', async (t) => {
  const config = join(dir, 'big.yaml');
  const local = join(dir, 'big-local');
  const queued = join(dir, 'big-queued');
  const w = worker('big');
  const [l, q] = await Promise.all([bigLocal as Promise<CliResult>, runCli(['run', config, '--queue', url, '--queue-name', 'big', '--out', queued, '--quiet'])]);
  await stopWorker(w);
  t.is(l.code, 0, l.stderr);
  t.is(q.code, 0, q.stderr);
  t.true(statSync(join(queued, 'policies', '1', 'weights.bin')).size > 10e6, `${statSync(join(queued, 'policies', '1', 'weights.bin')).size} bytes`);
  for (const file of ['policies/1/weights.bin', 'summary.csv', 'episodes.csv']) t.deepEqual(readFileSync(join(queued, file)), readFileSync(join(local, file)), file);
  // Collected results leave nothing behind in Redis but BullMQ's own bookkeeping.
  const redis = new Redis(url);
  const keys = await redis.keys('dosegym:*');
  redis.disconnect();
  t.deepEqual(keys, []);
});

qtest('Redis unreachable, a bad URL, --jobs with --queue: one line, nothing written', async (t) => {
  const config = writeConfig(dir, 'baselines.yaml', { ...TINY_PPO, name: 'b', train: { algo: 'none' }, evaluate: { episodes: 1, methods: ['random'], bootstrap: 100 } });
  const out = join(dir, 'never');
  const down = await runCli(['run', config, '--queue', 'redis://127.0.0.1:1', '--out', out]);
  t.is(down.code, 1);
  t.is(down.stderr, 'dosegym: --queue: cannot reach Redis at redis://127.0.0.1:1 (ECONNREFUSED); start redis-server there or check the URL (a password goes in it: redis://:password@host:port)\n');
  const scheme = await runCli(['run', config, '--queue', 'http://127.0.0.1:6379', '--out', out]);
  t.is(scheme.code, 2);
  t.regex(scheme.stderr, /^dosegym: --queue: expected redis:\/\/\[:password@\]host\[:port\]\[\/db\] or rediss:\/\/\.\.\. \(TLS\), got the scheme "http:"\n$/);
  const jobs = await runCli(['run', config, '--queue', url, '--jobs', '2', '--out', out]);
  t.is(jobs.code, 2);
  t.regex(jobs.stderr, /--jobs: not used with --queue/);
  const w = await runCli(['worker', '--queue', 'redis://127.0.0.1:1']);
  t.is(w.code, 1);
  t.regex(w.stderr, /^dosegym: --queue: cannot reach Redis at redis:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\)/);
  t.false(existsSync(out));
});

qtest('a password in the URL; a wrong one is one line that hides it', async (t) => {
  if (!REDIS_SERVER_INSTALLED) return t.fail('redis-server is needed to start a server with a password');
  const secured = await startRedis({ password: 's3cret' });
  try {
    const config = writeConfig(dir, 'baselines.yaml', { ...TINY_PPO, name: 'b', train: { algo: 'none' }, evaluate: { episodes: 1, methods: ['random'], bootstrap: 100 } });
    const wrong = await runCli(['run', config, '--queue', `redis://:nope@127.0.0.1:${secured.port}`, '--out', join(dir, 'pw-wrong')]);
    t.is(wrong.code, 1);
    t.regex(wrong.stderr, /^dosegym: --queue: cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ \(WRONGPASS/);
    t.false(wrong.stderr.includes('nope'));
    const w = start(['worker', '--queue', secured.url, '--quiet']);
    const ok = await runCli(['run', config, '--queue', secured.url, '--out', join(dir, 'pw-ok'), '--quiet']);
    w.kill('SIGINT');
    await w.done;
    t.is(ok.code, 0, ok.stderr);
    t.is(readFileSync(join(dir, 'pw-ok', 'summary.csv'), 'utf8').split('\n')[1]?.split(',')[0], 'random');
  } finally {
    await secured.stop();
  }
});

qtest('Redis lost mid-run: the run is marked incomplete with one line; --resume continues once it is back', async (t) => {
  if (!REDIS_SERVER_INSTALLED) return t.fail('redis-server is needed to stop and restart a server');
  let own = await startRedis();
  try {
    const config = writeConfig(dir, 'baselines.yaml', { ...TINY_PPO, name: 'b', train: { algo: 'none' }, evaluate: { episodes: 1, methods: ['random'], bootstrap: 100 } });
    const out = join(dir, 'lost');
    // No worker yet: the coordinator waits on its queued task when Redis goes away.
    const coordinator = start(['run', config, '--queue', own.url, '--out', out]);
    await coordinator.waitFor('run b ->');
    await new Promise((r) => setTimeout(r, 1000));
    await own.stop();
    const lost = await coordinator.done;
    t.is(lost.code, 1);
    t.is(lost.stderr.trim().split('\n').pop(), `dosegym: --queue: lost the connection to Redis at ${own.url}; ${out} is marked incomplete; when Redis is back, continue with --resume --out ${out}`);
    t.is(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).status, 'incomplete');
    own = await startRedis({ port: own.port });
    const w = start(['worker', '--queue', own.url, '--quiet']);
    const resumed = await runCli(['run', config, '--queue', own.url, '--out', out, '--resume', '--quiet']);
    w.kill('SIGINT');
    await w.done;
    t.is(resumed.code, 0, resumed.stderr);
    t.is(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).status, 'complete');
  } finally {
    await own.stop();
  }
});

qtest('a worker refuses a task kind it does not know (and never runs code from a message), and keeps working', async (t) => {
  const w = worker('hostile');
  await w.waitFor('taking tasks');
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const queue = new Queue('hostile', { connection });
  const { QueueEvents } = await import('bullmq');
  const eventsConnection = new Redis(url, { maxRetriesPerRequest: null });
  const events = new QueueEvents('hostile', { connection: eventsConnection });
  await events.waitUntilReady();
  try {
    const marker = join(dir, 'pwned');
    const base = { protocol: QUEUE_PROTOCOL, dosegymVersion: packageVersion(), config: {}, backend: 'wasm', inputsKey: null, initDir: null, resultKey: 'dosegym:out:hostile:x' };
    const shell = await queue.add('x', { ...base, task: { kind: 'shell', command: `touch ${marker}` } });
    await t.throwsAsync(shell.waitUntilFinished(events), { message: 'refused: unknown task kind "shell"; this worker runs train, evaluate' });
    const old = await queue.add('x', { ...base, protocol: 0, task: { kind: 'train', seed: 1, patient: null } });
    await t.throwsAsync(old.waitUntilFinished(events), { message: `refused: message protocol 0, this worker speaks ${QUEUE_PROTOCOL}` });
    // A config's reward is mathjs data: JavaScript in it is a config error, not run.
    const js = await queue.add('x', { ...base, task: { kind: 'evaluate', method: 'random', seed: null }, config: { name: 'js', env: { id: 'CartPole-v1', reward: `require('fs').writeFileSync('${marker}', '')` }, train: { algo: 'none' }, evaluate: { episodes: 1, methods: ['random'] } } });
    await t.throwsAsync(js.waitUntilFinished(events), { message: /^\[user\] .*env\.reward/ });
    await connection.hset('dosegym:in:hostile:y', '../../pwned', 'x');
    const traversal = await queue.add('x', { ...base, task: { kind: 'evaluate', method: 'random', seed: null }, inputsKey: 'dosegym:in:hostile:y', config: { name: 'ok', env: { id: 'CartPole-v1' }, train: { algo: 'none' }, evaluate: { episodes: 1, methods: ['random'] } } });
    await t.throwsAsync(traversal.waitUntilFinished(events), { message: /refused: file path "\.\.\/\.\.\/pwned" is outside the run layout/ });
    t.false(existsSync(marker));
    // Still working: a valid task completes.
    const good = await queue.add('x', { ...base, task: { kind: 'evaluate', method: 'random', seed: null }, config: { name: 'ok', env: { id: 'CartPole-v1' }, train: { algo: 'none' }, evaluate: { episodes: 1, methods: ['random'], bootstrap: 100 } } });
    t.like(await good.waitUntilFinished(events), { files: 1 });
  } finally {
    await events.close();
    await queue.close();
    connection.disconnect();
    eventsConnection.disconnect();
    await stopWorker(w);
  }
});
