/**
 * `checkEnv(env)`: validate an environment (or a wrapped one) against the DoseGym env contract, in
 * the spirit of Gymnasium's `check_env`. Each violation throws a `CheckEnvError` whose one-line
 * message starts with `checkEnv(<id>):` and names what was wrong. Checked:
 *
 * 1. spaces are Box or Discrete; metadata has a non-empty id and a positive step duration;
 * 2. reset/step results are well formed: observations inside the observation space (after reset and
 *    after every step), finite numeric rewards, boolean terminated/truncated, object infos, and
 *    `info.cost`, when present, a finite number >= 0;
 * 3. reproducibility: `reset({ seed })` twice gives identical first observations, and the same
 *    actions (drawn from a seeded Rng) give identical trajectories, across episode ends (later
 *    episodes reset without a seed, so the env's own seed stream must be reproducible too).
 *    Different seeds may give equal trajectories (deterministic envs), so that is not required;
 * 4. `step()` after a terminal or truncated step, without `reset()`, throws;
 * 5. actions outside the action space (out of bounds, wrong length, NaN; non-integers and
 *    out-of-range integers for Discrete) are rejected with an error.
 *
 * The env is left open (the caller owns it); its episode state afterwards is unspecified.
 */
import type { Action, Env, Info, Observation, StepResult } from './env.ts';
import { Rng } from './rng.ts';
import { Box, Discrete, type Space } from './spaces.ts';

export class CheckEnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckEnvError';
  }
}

export interface CheckEnvOptions {
  /** Steps per reproducibility run (default 200). */
  steps?: number;
  /** Seed of the first reset and of the action stream (default 0). */
  seed?: number;
  /**
   * When no episode ended within `steps`, keep stepping up to this many steps of one episode to
   * reach an end for check 4 (default metadata.maxEpisodeSteps; the episode MUST end by then).
   */
  episodeLimit?: number;
}

export interface CheckEnvReport {
  id: string;
  /** Steps taken per reproducibility run. */
  steps: number;
  /** Episode ends observed (check 4 ran at each). */
  episodeEnds: number;
  /** Checks that could not run, with the reason (e.g. no episode end within the budget). */
  skipped: string[];
}

interface StepRecord {
  observation: Observation;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  cost: number | undefined;
}

const UNITS = ['second', 'minute', 'day', 'month'];

export function checkEnv(env: Env<Observation, Action>, options: CheckEnvOptions = {}): CheckEnvReport {
  const steps = options.steps ?? 200;
  const seed = options.seed ?? 0;
  const id = typeof env.metadata?.id === 'string' && env.metadata.id !== '' ? env.metadata.id : '(no id)';
  const fail = (msg: string): never => {
    throw new CheckEnvError(`checkEnv(${id}): ${msg}`);
  };

  // 1. spaces and metadata
  for (const [name, space] of [['observationSpace', env.observationSpace], ['actionSpace', env.actionSpace]] as const) {
    if (!(space instanceof Box || space instanceof Discrete)) fail(`${name} must be a Box or Discrete, got ${describe(space)}`);
  }
  const meta = env.metadata as unknown as Record<string, unknown> | undefined;
  if (meta === undefined || meta === null || typeof meta !== 'object') fail('metadata must be an object');
  if (typeof meta?.['id'] !== 'string' || meta['id'] === '') fail(`metadata.id must be a non-empty string, got ${describe(meta?.['id'])}`);
  const dur = meta?.['stepDuration'] as { value?: unknown; unit?: unknown } | undefined;
  if (typeof dur?.value !== 'number' || !Number.isFinite(dur.value) || dur.value <= 0) {
    fail(`metadata.stepDuration.value must be a positive finite number, got ${describe(dur?.value)}`);
  }
  if (!UNITS.includes(dur?.unit as string)) fail(`metadata.stepDuration.unit must be one of ${UNITS.join(', ')}, got ${describe(dur?.unit)}`);
  const obsSpace = env.observationSpace as Space;
  const actSpace = env.actionSpace as Space;

  // 2. well-formed results
  const checkObservation = (obs: unknown, where: string): void => {
    const why = obsSpace.explain(obs);
    if (why !== undefined) fail(`${where}: observation outside the observation space ${obsSpace.toString()}: ${why}`);
  };
  const checkInfo = (info: unknown, where: string): void => {
    if (info === null || typeof info !== 'object' || Array.isArray(info)) fail(`${where}: info must be an object, got ${describe(info)}`);
    const cost = (info as Info).cost;
    if (cost !== undefined && (typeof cost !== 'number' || !Number.isFinite(cost) || cost < 0)) {
      fail(`${where}: info.cost must be a finite number >= 0, got ${describe(cost)}`);
    }
  };
  const doReset = (args: { seed?: number }, where: string): Observation => {
    const r = env.reset(args) as unknown;
    if (r === null || typeof r !== 'object' || !('observation' in r) || !('info' in r)) fail(`${where}: must return { observation, info }, got ${describe(r)}`);
    const { observation, info } = r as { observation: unknown; info: unknown };
    checkObservation(observation, where);
    checkInfo(info, where);
    return copy(observation as Observation);
  };
  const doStep = (action: Action, where: string): StepRecord => {
    const r = env.step(action) as unknown as StepResult<Observation>;
    if (r === null || typeof r !== 'object') fail(`${where}: must return { observation, reward, terminated, truncated, info }, got ${describe(r)}`);
    checkObservation(r.observation, where);
    if (typeof r.reward !== 'number' || !Number.isFinite(r.reward)) fail(`${where}: reward must be a finite number, got ${describe(r.reward)}`);
    if (typeof r.terminated !== 'boolean') fail(`${where}: terminated must be a boolean, got ${describe(r.terminated)}`);
    if (typeof r.truncated !== 'boolean') fail(`${where}: truncated must be a boolean, got ${describe(r.truncated)}`);
    checkInfo(r.info, where);
    return { observation: copy(r.observation), reward: r.reward, terminated: r.terminated, truncated: r.truncated, cost: r.info.cost };
  };

  let episodeEnds = 0;
  const expectStepThrows = (where: string): void => {
    let threw = false;
    try {
      env.step(actSpace.sample(new Rng(seed).child('checkEnv/after-end')));
    } catch {
      threw = true;
    }
    if (!threw) fail(`step() after the episode ended (${where}) without reset() did not throw; it must require reset()`);
    episodeEnds++;
  };

  // 3. reproducibility (run A also performs check 4 at every episode end)
  const run = (label: string, checkEnds: boolean): { first: Observation; records: StepRecord[]; stepsInEpisode: number } => {
    const actions = new Rng(seed).child('checkEnv/actions');
    const first = doReset({ seed }, `reset({ seed: ${seed} })`);
    const records: StepRecord[] = [];
    let stepsInEpisode = 0;
    for (let t = 0; t < steps; t++) {
      const rec = doStep(actSpace.sample(actions), `${label} step ${t}`);
      records.push(rec);
      stepsInEpisode++;
      if (rec.terminated || rec.truncated) {
        if (checkEnds) expectStepThrows(`${rec.terminated ? 'terminated' : 'truncated'} at ${label} step ${t}`);
        doReset({}, `reset() after ${label} step ${t}`);
        stepsInEpisode = 0;
      }
    }
    return { first, records, stepsInEpisode };
  };
  const a = run('run 1', true);
  const b = run('run 2', false);
  if (!sameObservation(a.first, b.first)) {
    fail(`reset({ seed: ${seed} }) twice gave different observations: ${show(a.first)} vs ${show(b.first)}`);
  }
  for (let t = 0; t < a.records.length; t++) {
    const x = a.records[t] as StepRecord;
    const y = b.records[t] as StepRecord;
    if (!sameObservation(x.observation, y.observation)) {
      fail(`not reproducible with seed ${seed}: step ${t} observation was ${show(x.observation)} then ${show(y.observation)} under the same actions`);
    }
    for (const key of ['reward', 'terminated', 'truncated', 'cost'] as const) {
      if (!Object.is(x[key], y[key])) fail(`not reproducible with seed ${seed}: step ${t} ${key} was ${String(x[key])} then ${String(y[key])} under the same actions`);
    }
  }

  // 4. an episode end, if run 1 saw none: continue the current episode up to the limit
  const skipped: string[] = [];
  if (episodeEnds === 0) {
    const limit = options.episodeLimit ?? env.metadata.maxEpisodeSteps;
    if (limit === undefined) {
      skipped.push(`step after episode end: no episode ended within ${steps} steps and metadata.maxEpisodeSteps is not set`);
    } else {
      const actions = new Rng(seed).child('checkEnv/search-end');
      let n = b.stepsInEpisode;
      let ended = false;
      while (n < limit && !ended) {
        const rec = doStep(actSpace.sample(actions), `episode step ${n}`);
        n++;
        ended = rec.terminated || rec.truncated;
      }
      if (!ended) fail(`the episode did not end within ${limit} steps (metadata.maxEpisodeSteps / episodeLimit)`);
      expectStepThrows(`${n} steps into an episode`);
    }
  }

  // 5. actions outside the action space are rejected
  for (const [what, bad] of invalidActions(actSpace, new Rng(seed).child('checkEnv/invalid'))) {
    doReset({ seed }, `reset({ seed: ${seed} })`);
    let threw = false;
    try {
      env.step(bad);
    } catch {
      threw = true;
    }
    if (!threw) fail(`step() accepted ${what} outside the action space ${actSpace.toString()}; it must reject it`);
  }

  return { id, steps, episodeEnds, skipped };
}

/** Actions that are not in `space`, each with a description for the message. */
function invalidActions(space: Space, rng: Rng): Array<[string, Action]> {
  if (space instanceof Discrete) {
    return [
      [`the action ${space.n}`, space.n],
      ['the action -1', -1],
      ['the action 0.5', 0.5],
    ];
  }
  const out: Array<[string, Action]> = [];
  const finiteHigh = Array.from(space.high).findIndex((v) => Number.isFinite(v));
  const finiteLow = Array.from(space.low).findIndex((v) => Number.isFinite(v));
  if (finiteHigh >= 0) {
    const a = space.sample(rng);
    const hi = space.high[finiteHigh] as number;
    a[finiteHigh] = hi + Math.max(1, Math.abs(hi));
    out.push([`an action with element ${finiteHigh} = ${a[finiteHigh]} above its bound ${hi}`, a]);
  } else if (finiteLow >= 0) {
    const a = space.sample(rng);
    const lo = space.low[finiteLow] as number;
    a[finiteLow] = lo - Math.max(1, Math.abs(lo));
    out.push([`an action with element ${finiteLow} = ${a[finiteLow]} below its bound ${lo}`, a]);
  }
  const nan = space.sample(rng);
  nan[0] = NaN;
  out.push(['an action containing NaN', nan]);
  out.push([`an action of ${space.size + 1} values`, new Float64Array(space.size + 1)]);
  return out;
}

function copy(obs: Observation): Observation {
  return typeof obs === 'number' ? obs : obs.slice();
}

function sameObservation(a: Observation, b: Observation): boolean {
  if (typeof a === 'number' || typeof b === 'number') return Object.is(a, b);
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function show(obs: Observation): string {
  if (typeof obs === 'number') return String(obs);
  const items = Array.from(obs.slice(0, 6), (v) => Number(v.toPrecision(6)));
  return `[${items.join(', ')}${obs.length > 6 ? ', ...' : ''}]`;
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (x === undefined) return 'undefined';
  if (typeof x === 'number' || typeof x === 'boolean') return String(x);
  if (typeof x === 'string') return JSON.stringify(x);
  if (Array.isArray(x)) return `an Array of ${x.length}`;
  if (ArrayBuffer.isView(x)) return x.constructor.name;
  if (typeof x === 'object') return x.constructor?.name && x.constructor.name !== 'Object' ? `a ${x.constructor.name}` : 'an object';
  return typeof x;
}
