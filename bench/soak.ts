/**
 * Soak test of the run directory guarantees (not in CI: `npm run bench -- soak`, ~30-60 minutes;
 * run it niced: `nice -n 10 npm run bench -- soak`).
 *
 * SOAK_RUNS (default 200) random valid experiment configs (tiny: every env, baselines-heavy, some
 * PPO/DQN/PPO-Lagrangian with a few hundred steps, sometimes --jobs 2 or a shield) from a seeded
 * generator (SOAK_SEED, default 1). For each:
 *   1. an uninterrupted reference run, in this process;
 *   2. `dosegym run` in a child process, interrupted at a random time by SIGINT (sent to its
 *      process group, as a terminal's Ctrl-C is) or SIGKILL (to the main process only: its workers
 *      are orphaned and must stop by themselves), or left to finish;
 *   3. the directory must then be: absent or empty (killed before it wrote anything; a new run
 *      there completes), `complete` with results equal to the reference, or `incomplete` and
 *      resumable: `--resume` (itself interrupted up to twice more) completes it to results equal
 *      to the reference;
 *   4. for every fourth complete run, `dosegym evaluate <run-dir>` interrupted at a random time must
 *      leave the run complete with the same results, and the next evaluate must reproduce them.
 * "Equal" is byte-identical summary.csv, summary.json, episodes.csv, aggregates.json and
 * training.csv. Any other state is a failure, printed with its directory (kept for inspection).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import '../envs/index.ts';
import { Rng } from '../src/core/rng.ts';
import { writeFileAtomic } from '../src/io/atomic.ts';
import { parseExperiment } from '../src/config/experiment.ts';
import { planRun, runExperiment } from '../src/run/run.ts';

const BIN = fileURLToPath(new URL('../bin/dosegym', import.meta.url));
const COMPARED = ['summary.csv', 'summary.json', 'episodes.csv', 'aggregates.json', 'training.csv'];

type Config = Record<string, unknown>;

const pick = <T>(rng: Rng, items: readonly T[]): T => rng.choice(items);
const between = (rng: Rng, low: number, high: number) => low + rng.int(high - low + 1);

/** Up to `n` distinct items of `items`, at least one. */
function some<T>(rng: Rng, items: readonly T[], n: number): T[] {
  const pool = [...items];
  const out: T[] = [];
  const k = Math.max(1, Math.min(n, pool.length, 1 + rng.int(n)));
  while (out.length < k) out.push(pool.splice(rng.int(pool.length), 1)[0] as T);
  return out;
}

/** A random valid, tiny experiment config. */
export function randomConfig(rng: Rng, name: string): { config: Config; jobs: number } {
  const u = rng.uniform();
  const algo = u < 0.62 ? 'none' : u < 0.82 ? 'ppo' : u < 0.96 ? 'dqn' : 'ppo-lagrangian';
  const envs = algo === 'dqn' ? ['T1D-v0', 'Chemo-DePillis-v0', 'Chemo-Zhao2009-v0', 'CartPole-v1'] : algo === 'ppo-lagrangian' ? ['Chemo-DePillis-v0', 'T1D-v0'] : ['T1D-v0', 'Chemo-DePillis-v0', 'Chemo-Zhao2009-v0', 'CartPole-v1', 'Pendulum-v1'];
  const envId = pick(rng, envs);
  const options: Record<string, unknown> = {};
  let baselines: unknown[] = [];
  let safety: Config | undefined;
  switch (envId) {
    case 'T1D-v0': {
      const patients = ['adolescent#001', 'adolescent#004', 'adult#002', 'adult#007', 'child#003', 'child#009'];
      options['patient'] = rng.uniform() < 0.7 ? pick(rng, patients) : some(rng, patients, 2);
      options['days'] = pick(rng, [0.05, 0.1, 0.15]);
      options['sensor'] = pick(rng, ['Dexcom', 'GuardianRT', 'Navigator']);
      if (rng.uniform() < 0.3) options['sensorNoise'] = false;
      if (algo === 'dqn') options['action'] = 'discrete';
      baselines = ['basal-bolus', 'pid', 'basal', { type: 'constant', name: 'constant-1', unitsPerHour: 1 }];
      if (algo === 'ppo-lagrangian' || rng.uniform() < 0.15) safety = { constraints: { names: ['hypo70'] }, ...(rng.uniform() < 0.6 ? { shield: {} } : {}) };
      break;
    }
    case 'Chemo-DePillis-v0':
      if (rng.uniform() < 0.7) options['setting'] = between(rng, 1, 5);
      options['horizonDays'] = pick(rng, [10, 15, 20, 30]);
      if (algo === 'dqn') options['levels'] = between(rng, 2, 5);
      baselines = ['mtd', 'metronomic', 'none', { type: 'constant', name: 'half', dose: 0.5 }, { type: 'pulsed', dose: 1, onSteps: 4, offSteps: 8 }];
      if (algo === 'ppo-lagrangian' || rng.uniform() < 0.15) safety = { constraints: { names: ['toxicity'], budgets: { toxicity: 20 } }, ...(rng.uniform() < 0.6 ? { shield: { maxDosePerDay: 1 } } : {}) };
      break;
    case 'Chemo-Zhao2009-v0':
      options['months'] = between(rng, 2, 6);
      if (algo === 'dqn') options['levels'] = between(rng, 2, 4);
      baselines = ['mtd', 'metronomic', 'none', { type: 'constant', name: 'low', dose: 0.3 }];
      break;
    case 'CartPole-v1':
      options['maxEpisodeSteps'] = pick(rng, [50, 100, 200]);
      baselines = ['random'];
      break;
    default:
      options['maxEpisodeSteps'] = pick(rng, [50, 100]);
      baselines = ['random'];
  }
  const seeds = some(rng, [1, 2, 3, 7, 11], 2);
  const train: Config = { algo };
  if (algo === 'ppo' || algo === 'ppo-lagrangian') {
    const nSteps = pick(rng, [32, 64]);
    Object.assign(train, { steps: nSteps * between(rng, 3, 6), seeds, hyperparameters: { nSteps, batchSize: 32, nEpochs: between(rng, 1, 2) } });
  } else if (algo === 'dqn') {
    const steps = pick(rng, [200, 300, 400]);
    Object.assign(train, { steps, seeds, hyperparameters: { learningStarts: 50, bufferSize: 1000, batchSize: 32, trainFreq: 4, targetUpdateInterval: 100 } });
  }
  const methods = [...(algo === 'none' ? [] : [algo]), ...some(rng, baselines, 3)];
  const config: Config = {
    name,
    env: { id: envId, options },
    train,
    evaluate: { episodes: between(rng, 1, 3), seed: between(rng, 0, 5000), methods, trajectories: between(rng, 0, 1), bootstrap: pick(rng, [50, 100, 200]), ...(safety?.['shield'] !== undefined ? { shield: pick(rng, ['with', 'both']) } : {}) },
    ...(safety !== undefined ? { safety } : {}),
  };
  if (algo === 'ppo-lagrangian' && safety !== undefined) (train as Config)['costLimit'] = 5;
  return { config, jobs: rng.uniform() < 0.15 ? 2 : 1 };
}

interface Child {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** Milliseconds from start to exit. */
  ms: number;
}

/** True while any process of the group `pgid` is alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * When to interrupt: `afterMs` after start, or `afterStartMs` after `marker` appears (the run's
 * manifest.json, or the .staging directory of a re-evaluation: the moment its start-up is over).
 */
type Interrupt = { signal: 'SIGINT' | 'SIGKILL' } & ({ afterMs: number } | { afterStartMs: number; marker: string });

/**
 * Run `dosegym ...args` in its own process group, interrupting it as `interrupt` says. Resolves
 * once the whole group (workers included) has gone; `startedMs` is when `marker` appeared.
 */
async function dosegym(args: string[], interrupt?: Interrupt, marker?: string): Promise<Child & { interrupted: boolean; startedMs: number | undefined }> {
  const start = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const pid = child.pid as number;
  let interrupted = false;
  let startedMs: number | undefined;
  let exitedYet = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => ((exitedYet = true), resolve({ code, signal }))));
  const send = () => {
    if (exitedYet || interrupt === undefined) return;
    interrupted = true;
    // Ctrl-C reaches the whole foreground group; a kill -9 only the process it names.
    if (interrupt.signal === 'SIGINT') process.kill(-pid, 'SIGINT');
    else process.kill(pid, 'SIGKILL');
  };
  const watchFor = interrupt !== undefined && 'marker' in interrupt ? interrupt.marker : marker;
  const watcher = (async () => {
    if (interrupt !== undefined && 'afterMs' in interrupt) {
      await sleep(interrupt.afterMs);
      send();
    }
    if (watchFor === undefined) return;
    while (!exitedYet && !existsSync(watchFor)) await sleep(20);
    if (!exitedYet) startedMs = Date.now() - start;
    if (interrupt !== undefined && 'afterStartMs' in interrupt && !exitedYet) {
      await sleep(interrupt.afterStartMs);
      send();
    }
  })();
  const { code, signal } = await exited;
  await watcher;
  const ms = Date.now() - start;
  // Orphaned workers must stop by themselves (they exit when their parent's channel closes).
  for (let waited = 0; groupAlive(pid); waited += 50) {
    if (waited > 60_000) {
      process.kill(-pid, 'SIGKILL');
      throw new Error(`workers of ${args.join(' ')} still alive 60 s after their parent exited`);
    }
    await sleep(50);
  }
  return { code, signal, stderr, ms, interrupted, startedMs };
}

function readStatus(dir: string): 'absent' | 'empty' | 'complete' | 'incomplete' | string {
  if (!existsSync(dir)) return 'absent';
  if (readdirSync(dir).length === 0) return 'empty';
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) return `no manifest.json but ${readdirSync(dir).join(', ')}`;
  try {
    const status = (JSON.parse(readFileSync(path, 'utf8')) as { status?: unknown }).status;
    return status === 'complete' || status === 'incomplete' ? status : `manifest status ${String(status)}`;
  } catch (err) {
    return `unreadable manifest: ${(err as Error).message}`;
  }
}

/** The first compared file that differs from the reference, or undefined. */
function differs(dir: string, reference: string): string | undefined {
  for (const file of COMPARED) {
    const a = join(dir, file);
    const b = join(reference, file);
    if (existsSync(a) !== existsSync(b)) return `${file} ${existsSync(a) ? 'extra' : 'missing'}`;
    if (existsSync(a) && readFileSync(a, 'utf8') !== readFileSync(b, 'utf8')) return `${file} differs`;
  }
  return undefined;
}

/** What the soak counts; `outcome` is the state the first (possibly interrupted) process left. */
export interface SoakCounts {
  runs: number;
  /** First processes interrupted by SIGINT (to the process group) or SIGKILL (to the main process). */
  sigint: number;
  sigkill: number;
  /** Not interrupted: by design (1 in 10), or because the run ended before its interruption time. */
  notInterrupted: number;
  finishedBeforeSignal: number;
  /** The state after an interrupted first process, per signal. */
  sigintAbsentOrEmpty: number;
  sigintIncomplete: number;
  sigintComplete: number;
  sigkillAbsentOrEmpty: number;
  sigkillIncomplete: number;
  sigkillComplete: number;
  resumes: number;
  resumesInterrupted: number;
  reevaluations: number;
  reevaluationsInterrupted: number;
  /** Every run that ended complete had results byte-identical to the reference: this many. */
  reproduced: number;
  failures: number;
}

export async function run(): Promise<Record<string, number>> {
  const runs = Number(process.env['SOAK_RUNS'] ?? 200);
  const seed = Number(process.env['SOAK_SEED'] ?? 1);
  const work = mkdtempSync(join(tmpdir(), 'dosegym-soak-'));
  const rng = new Rng(`soak-${seed}`);
  const counts: SoakCounts = {
    runs: 0, sigint: 0, sigkill: 0, notInterrupted: 0, finishedBeforeSignal: 0,
    sigintAbsentOrEmpty: 0, sigintIncomplete: 0, sigintComplete: 0, sigkillAbsentOrEmpty: 0, sigkillIncomplete: 0, sigkillComplete: 0,
    resumes: 0, resumesInterrupted: 0, reevaluations: 0, reevaluationsInterrupted: 0, reproduced: 0, failures: 0,
  };
  const failures: string[] = [];
  const started = Date.now();
  const byAlgo: Record<string, number> = {};
  // Running estimates of the CLI's start-up time and of its work after start-up (see randomInterrupt).
  let startupMs = 2000;
  let workRatio = 3;
  for (let i = 0; i < runs; i++) {
    const caseRng = rng.child(`case-${i}`);
    const { config, jobs } = randomConfig(caseRng, `soak-${i}`);
    const file = join(work, `soak-${i}.yaml`);
    writeFileAtomic(file, YAML.stringify(config));
    planRun(parseExperiment(config)); // a generator bug, not a finding: throws
    const algo = String((config['train'] as Config)['algo']);
    byAlgo[algo] = (byAlgo[algo] ?? 0) + 1;
    const reference = join(work, `ref-${i}`);
    const t0 = Date.now();
    await runExperiment(file, { out: reference, jobs: 1, backend: 'auto', quiet: true, resume: false, force: false }, ['train', 'evaluate']);
    const referenceMs = Date.now() - t0;
    const out = join(work, `run-${i}`);
    const fail = (why: string) => {
      counts.failures++;
      failures.push(`case ${i} (${out}, ${String((config['env'] as Config)['id'])}, ${algo}, jobs ${jobs}): ${why}`);
      process.stdout.write(`  FAIL case ${i}: ${why}\n`);
    };
    const flags = ['--quiet', ...(jobs > 1 ? ['--jobs', String(jobs)] : [])];
    // Interrupt during start-up (1 in 8), or at a uniform time between the end of start-up (the
    // manifest appears) and the estimated end of the run; 1 in 10 runs is not interrupted at all.
    // The estimate follows the machine's load: the time uninterrupted runs took after start-up, as
    // a multiple of the reference run's time (+ 1 s for the report).
    const runMarker = join(out, 'manifest.json');
    const randomInterrupt = (r: Rng, marker = runMarker): Interrupt => {
      const signal = r.uniform() < 0.5 ? ('SIGINT' as const) : ('SIGKILL' as const);
      if (r.uniform() < 0.125) return { signal, afterMs: Math.round(r.uniform() * startupMs) };
      return { signal, marker, afterStartMs: Math.round(r.uniform() * 1.2 * workRatio * (referenceMs + 1000)) };
    };
    const learn = (c: { interrupted: boolean; code: number | null; ms: number; startedMs: number | undefined }) => {
      if (c.interrupted || c.code !== 0 || c.startedMs === undefined) return;
      startupMs = 0.7 * startupMs + 0.3 * c.startedMs;
      workRatio = 0.7 * workRatio + 0.3 * ((c.ms - c.startedMs) / (referenceMs + 1000));
    };
    const plan = caseRng.uniform() < 0.1 ? undefined : randomInterrupt(caseRng);
    const first = await dosegym(['run', file, '--out', out, ...flags], plan, runMarker);
    learn(first);
    counts.runs++;
    const signal = first.interrupted && plan !== undefined ? plan.signal : undefined;
    if (signal !== undefined) counts[signal === 'SIGINT' ? 'sigint' : 'sigkill']++;
    else if (plan === undefined) counts.notInterrupted++;
    else counts.finishedBeforeSignal++;
    if (!first.interrupted && first.code !== 0) {
      fail(`uninterrupted run failed (${first.code}): ${first.stderr.trim().split('\n').pop()}`);
      continue;
    }
    const status = readStatus(out);
    const outcome = status === 'absent' || status === 'empty' ? 'AbsentOrEmpty' : status === 'complete' ? 'Complete' : status === 'incomplete' ? 'Incomplete' : undefined;
    if (signal !== undefined && outcome !== undefined) counts[`${signal === 'SIGINT' ? 'sigint' : 'sigkill'}${outcome}`]++;
    if (process.env['SOAK_VERBOSE']) process.stdout.write(`  case ${i}: ${String((config['env'] as Config)['id'])} ${algo} jobs ${jobs}; reference ${referenceMs} ms; start-up ${first.startedMs ?? '-'} ms; ${first.interrupted ? `${plan?.signal} ${plan !== undefined && 'afterMs' in plan ? `${plan.afterMs} ms after start` : `${plan?.afterStartMs} ms after start-up`}` : `finished in ${first.ms} ms`} -> ${status} (estimates: start-up ${Math.round(startupMs)} ms, work x${workRatio.toFixed(1)})\n`);
    if (status === 'absent' || status === 'empty') {
      const again = await dosegym(['run', file, '--out', out, ...flags], undefined, runMarker);
      learn(again);
      if (again.code !== 0) fail(`a new run into the ${status} directory failed: ${again.stderr.trim().split('\n').pop()}`);
    } else if (status === 'complete') {
      // complete: compared with the reference below
    } else if (status === 'incomplete') {
      let done = false;
      for (let attempt = 0; attempt < 3 && !done; attempt++) {
        const interrupt = attempt < 2 && caseRng.uniform() < 0.4 ? randomInterrupt(caseRng) : undefined;
        const resumed = await dosegym(['run', file, '--resume', '--out', out, ...flags], interrupt);
        counts.resumes++;
        if (resumed.interrupted) {
          counts.resumesInterrupted++;
          const s = readStatus(out);
          if (s !== 'incomplete' && s !== 'complete') {
            fail(`after an interrupted --resume: ${s}`);
            break;
          }
          continue;
        }
        if (resumed.code !== 0) {
          fail(`--resume failed (${resumed.code}): ${resumed.stderr.trim().split('\n').pop()}`);
          break;
        }
        done = true;
      }
    } else {
      fail(`after ${first.interrupted ? plan?.signal : 'no interruption'}: ${status}`);
      continue;
    }
    const final = readStatus(out);
    if (final !== 'complete') {
      if (!failures.some((f) => f.startsWith(`case ${i} `))) fail(`final status ${final}`);
      continue;
    }
    const diff = differs(out, reference);
    if (diff !== undefined) {
      fail(`not reproducible: ${diff}`);
      continue;
    }
    counts.reproduced++;
    // Re-evaluation: interrupted, it must leave the run exactly as it was.
    if (i % 4 === 0) {
      counts.reevaluations++;
      const interrupt = randomInterrupt(caseRng, join(out, '.staging'));
      const reevaluated = await dosegym(['evaluate', out, ...flags], interrupt);
      if (reevaluated.interrupted) counts.reevaluationsInterrupted++;
      else if (reevaluated.code !== 0) fail(`evaluate <run-dir> failed: ${reevaluated.stderr.trim().split('\n').pop()}`);
      const s = readStatus(out);
      const d = differs(out, reference);
      if (s !== 'complete' || d !== undefined) fail(`after ${reevaluated.interrupted ? `an interrupted (${interrupt.signal})` : 'a'} re-evaluation: ${s}${d ? `, ${d}` : ''}`);
      else if (existsSync(join(out, '.staging')) && !(reevaluated.interrupted && interrupt.signal === 'SIGKILL')) fail('a staging directory was left behind');
      else if (reevaluated.interrupted && caseRng.uniform() < 0.5) {
        const again = await dosegym(['evaluate', out, ...flags]);
        if (again.code !== 0 || differs(out, reference) !== undefined || existsSync(join(out, '.staging'))) fail(`the evaluate after an interrupted one: code ${again.code}, ${differs(out, reference) ?? 'same results'}`);
      }
    }
    if (failures.length === 0 || !failures[failures.length - 1]?.startsWith(`case ${i} `)) {
      rmSync(out, { recursive: true, force: true });
      rmSync(reference, { recursive: true, force: true });
    }
    if ((i + 1) % 10 === 0) process.stdout.write(`  ${i + 1}/${runs} runs, ${counts.failures} failures, ${((Date.now() - started) / 60000).toFixed(1)} min\n`);
  }
  const minutes = (Date.now() - started) / 60000;
  process.stdout.write(`  configs by algorithm: ${JSON.stringify(byAlgo)}\n`);
  if (failures.length > 0) process.stdout.write(`  failures (directories kept under ${work}):\n${failures.map((f) => `    ${f}`).join('\n')}\n`);
  else rmSync(work, { recursive: true, force: true });
  return Object.fromEntries([...Object.entries(counts).map(([k, v]) => [`soak_${k}`, v]), ['soak_minutes', minutes]]);
}
