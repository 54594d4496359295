/**
 * The replay-based core shared by DQN (agents/dqn.ts) and SAC (agents/sac.ts), the off-policy
 * counterpart of common/on-policy.ts: the vector env and its current observations, the replay
 * buffer, episode statistics, the delivered dose and mean deterministic action (training.csv), and
 * the schedule: learning after learningStarts steps on vector steps that are multiples of
 * trainFreq, a report every logInterval env steps. What an agent does with a batch is its own.
 */
import type { Action, Info } from '../../src/core/env.ts';
import type { VectorEnv } from '../../src/core/vector.ts';
import type { DivergenceGuard } from './divergence.ts';
import { EpisodeTracker, costOf } from './episode-stats.ts';
import type { Learner } from './learner.ts';
import { NStepWriter, ReplayBuffer } from './replay.ts';
import { DoseActionStats, UpdateReporter, type TrainOptions, type UpdateFields } from './training.ts';
import { ActionLog, replayEnvs, stateArray, type StateParts } from './training-state.ts';
import type { Box, Discrete } from '../../src/core/spaces.ts';

export interface OffPolicyRunOptions {
  envs: VectorEnv;
  learner: Pick<Learner, 'numEnvs' | 'obsSize' | 'rms' | 'policy'>;
  guard: DivergenceGuard;
  /** Seeds the envs' first reset (env i gets seed + i). */
  seed: number;
  totalSteps: number;
  /** Replay capacity (never more than totalSteps is allocated) and values stored per action (1: an index). */
  bufferSize: number;
  actionSize: number;
  /** n-step returns (DQN's nStep) and their discount; default one-step. */
  nStep?: { n: number; gamma: number };
  options: Pick<TrainOptions, 'onUpdate' | 'deliveredDose' | 'logInterval' | 'checkpoint'>;
}

export class OffPolicyRun {
  readonly replay: ReplayBuffer;
  private readonly writer: NStepWriter;
  readonly tracker: EpisodeTracker;
  /** The observations the envs returned last (raw). */
  observations: ArrayLike<number>;
  /** Environment steps so far (all envs) and vector steps (calls of envs.step). */
  steps = 0;
  calls = 0;
  gradientSteps = 0;
  private readonly doses: DoseActionStats;
  private readonly reporter: UpdateReporter;
  private readonly normObs: Float64Array;
  private readonly logInterval: number;
  private nextLog: number;
  private reports = 0;
  /** Every action the envs received (training checkpoints, common/training-state.ts). */
  private readonly actionLog: ActionLog;

  constructor(private readonly o: OffPolicyRunOptions) {
    const { numEnvs, obsSize, rms, policy } = o.learner;
    // Never allocate more than the run can fill (the default buffers hold 1e6 transitions).
    this.replay = new ReplayBuffer(Math.min(o.bufferSize, o.totalSteps), obsSize, o.actionSize);
    this.writer = new NStepWriter(this.replay, o.nStep?.n ?? 1, o.nStep?.gamma ?? 1, numEnvs);
    this.tracker = new EpisodeTracker(numEnvs);
    this.doses = new DoseActionStats(o.options.deliveredDose);
    this.reporter = new UpdateReporter(o.options.onUpdate, this.tracker, policy, this.doses);
    this.normObs = new Float64Array(numEnvs * obsSize);
    this.logInterval = o.options.logInterval ?? 1000;
    this.nextLog = this.logInterval;
    const from = o.options.checkpoint?.from;
    const space = o.envs.singleActionSpace as Box | Discrete;
    if (from !== undefined) {
      // The rest of the run's state (the normaliser included) comes back through `stateParts`.
      this.actionLog = new ActionLog(space, numEnvs, true, stateArray(from, 'env.actions', Float64Array));
      this.observations = replayEnvs(o.envs, o.seed, this.actionLog);
    } else {
      this.actionLog = new ActionLog(space, numEnvs, o.options.checkpoint !== undefined);
      this.observations = o.envs.reset({ seed: o.seed }).observations;
      rms?.update(this.observations, numEnvs);
    }
  }

  /** What a checkpoint holds of the run: counters, the replay buffer, episode and dose statistics, the envs' actions. */
  stateParts(parts: StateParts): StateParts {
    // The transitions still gathering their n-step return (none with one-step returns, whose checkpoints predate them).
    if (this.writer.n > 1) parts.value('replay.pending', () => this.writer.getState(), (v) => this.writer.setState(v));
    return parts
      .value('run.counters', () => [this.steps, this.calls, this.gradientSteps, this.nextLog, this.reports], (v) => {
        [this.steps, this.calls, this.gradientSteps, this.nextLog, this.reports] = v as [number, number, number, number, number];
        this.o.learner.policy.totalSteps = this.steps;
      })
      .arrays('replay', () => this.replay.getState(), (a) => this.replay.setState(a))
      .value('run.episodes', () => this.tracker.getState(), (v) => this.tracker.setState(v as ReturnType<EpisodeTracker['getState']>))
      .value('run.doses', () => this.doses.getState(), (v) => this.doses.setState(v as number[]))
      .arrays('env', () => ({ actions: this.actionLog.snapshot() }), () => {}); // read back in the constructor
  }

  /** Whether anyone listens to reports (the mean action need not be computed otherwise). */
  get reporting(): boolean {
    return this.reporter.active;
  }

  /** The current observations as the networks see them (normalised when the policy normalises). */
  normalizedObservations(): ArrayLike<number> {
    return this.o.learner.policy.normalize(this.observations, this.o.learner.numEnvs, this.normObs);
  }

  /** Record the policy's deterministic actions for the head outputs `out` of the current observations. */
  recordDeterministic(out: ArrayLike<number>): void {
    const n = this.o.learner.numEnvs;
    if (this.reporter.active) this.doses.action(this.o.learner.policy.meanDeterministicAction(out, n), n);
  }

  /**
   * Step the envs with `actions` and store the transitions, `stored[e]` being what the replay keeps
   * of env e's action (DQN: the index; SAC: the squashed action in [-1, 1]); track episodes, costs
   * and delivered doses (after an autoreset, from the ended step's finalInfo).
   */
  step(actions: Action[], stored: readonly (number | ArrayLike<number>)[]): void {
    const { envs, guard, learner } = this.o;
    const n = learner.numEnvs;
    this.actionLog.record(actions);
    const res = envs.step(actions);
    for (let e = 0; e < n; e++) guard.reward(res.rewards[e] as number, e);
    this.writer.write(this.observations, stored, res);
    for (let e = 0; e < n; e++) {
      const done = res.terminated[e] === 1 || res.truncated[e] === 1;
      const info = res.infos[e];
      const stepInfo = done ? (info?.finalInfo as Info | undefined) : info;
      this.tracker.step(e, res.rewards[e] as number, costOf(stepInfo), done);
      if (this.reporter.active) this.doses.step(stepInfo);
    }
    this.observations = res.observations;
    learner.rms?.update(this.observations, n);
    this.steps += n;
    this.calls++;
  }

  /** Whether this vector step trains: beyond learningStarts env steps, on every trainFreq-th vector step. */
  learns(hp: { learningStarts: number; trainFreq: number }): boolean {
    return this.steps > hp.learningStarts && this.calls % hp.trainFreq === 0;
  }

  /** Report (and yield) when logInterval env steps have passed since the last report, or training ends; true when it did. */
  async maybeReport(fields: Omit<UpdateFields, 'update' | 'steps' | 'totalSteps' | 'gradientSteps'>, extra: Record<string, unknown> = {}): Promise<boolean> {
    if (!this.reporter.active || (this.steps < this.nextLog && this.steps < this.o.totalSteps)) return false;
    this.nextLog += this.logInterval;
    this.o.learner.policy.totalSteps = this.steps;
    await this.reporter.report({ ...fields, update: ++this.reports, steps: this.steps, totalSteps: this.o.totalSteps, gradientSteps: this.gradientSteps }, extra);
    return true;
  }
}
