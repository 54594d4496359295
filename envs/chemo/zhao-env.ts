/**
 * `Chemo-Zhao2009-v0`: six monthly dose decisions on the clinical-trial model of Zhao, Kosorok &
 * Zeng (Stat. Med. 28 (2009) 3294-3315); equations, mu0 default and reward in zhao-model.ts.
 *
 * Observation [W, M] (toxicity, tumour size), followed by [W0, M0] with `observeBaseline` and by
 * month / months (0 at reset, 1 at the end) with `observeMonth`. Both default to false (the earlier
 * configs' [W, M]). Why they exist: the transitions depend on the patient's baseline W0, M0 (the
 * max(M, M0) and max(W, W0) terms of zhao-model.ts), so [W, M] alone is not a Markov state, and
 * Zhao et al. fit one Q-function per month (their decision stages), which the month gives a single
 * network; a trial clinician knows both the enrolment values and the month.
 * Action: dose fraction D in [0, 1], continuous or `levels` discrete doses. Each step: update W and M,
 * compute the month's survival probability, then sample death from the episode's seeded stream
 * (child 'death'); death terminates the episode
 * (terminated = true, reward -60). Cure (M = 0) is absorbing for M but does not end the episode
 * (toxicity and death risk continue). After `months` (default 6) decisions the episode is truncated.
 *
 * Options: mu0 (default -5.5, see zhao-model.ts), months (6), levels (null = continuous), deaths:
 * - 'sampled' (default, the paper's trial): death is drawn each month and ends the episode;
 * - 'expected': no death is drawn; every episode lasts `months`, and the month's reward is the
 *   paper's reward in expectation over the death draws, S_{t-1} (-60 (1 - p_t) + p_t (R2 + R3)_t),
 *   with S_{t-1} the probability of being alive when the month starts and p_t the month's survival
 *   probability. Its expected return equals the sampled trial's exactly (the W, M course does not
 *   depend on death), with less variance, and info.cumulativeSurvival at the end is the exact
 *   probability of living all `months` under the regimen: for a patient who dies in a sampled
 *   trial, the product stops at the month of death and overstates it.
 * Reset options: { W0, M0 } fix the initial state (default: each ~ U(0, 2) from the episode stream).
 *
 * info: W, M, month, dose, cumulativeDose (sum of monthly doses), survivalProb (of this month),
 * cumulativeSurvival (product over the months so far: the model's survival probability, independent
 * of the sampled death), cured, dead, cost. `cost` = the month's rise in toxicity max(0, W_{t+1} - W_t)
 * (DoseGym's choice: a constraint on accumulated toxicity; 0 at reset).
 */
import { z } from 'zod';
import { parseWithSchema } from '../../src/core/validate.ts';
import { BaseEnv, type Action, type EnvMetadata, type Info, type ResetResult, type StepResult } from '../../src/core/env.ts';
import type { Rng } from '../../src/core/rng.ts';
import { Box, type Discrete } from '../../src/core/spaces.ts';
import { actionToDose, doseActionSpace } from './dose-action.ts';
import { ZHAO_DEFAULT_MU0, ZHAO_PARAMS, zhaoMonthlySurvival, zhaoReward, zhaoTransition, type ZhaoParams, type ZhaoState } from './zhao-model.ts';

export const ZHAO_ENV_ID = 'Chemo-Zhao2009-v0';

export const ZHAO_DEFAULTS = {
  mu0: ZHAO_DEFAULT_MU0,
  months: 6,
  levels: null as number | null,
  deaths: 'sampled' as 'sampled' | 'expected',
  observeBaseline: false,
  observeMonth: false,
};

const optionsSchema = z
  .object({
    mu0: z.number({ error: 'expected a finite log-hazard intercept in [-20, 5]' }).min(-20, { error: 'expected a finite log-hazard intercept in [-20, 5]' }).max(5, { error: 'expected a finite log-hazard intercept in [-20, 5]' }),
    months: z.int({ error: 'expected an integer number of months in [1, 120]' }).min(1, { error: 'expected an integer number of months in [1, 120]' }).max(120, { error: 'expected an integer number of months in [1, 120]' }),
    levels: z.int({ error: 'expected null (continuous dose) or an integer number of dose levels >= 2' }).min(2, { error: 'expected null (continuous dose) or an integer number of dose levels >= 2' }).max(1001, { error: 'expected at most 1001 dose levels' }).nullable(),
    deaths: z.enum(['sampled', 'expected'], { error: "expected 'sampled' (drawn each month) or 'expected' (none drawn; rewards in expectation)" }),
    observeBaseline: z.boolean({ error: 'expected true (the observation adds W0, M0) or false' }),
    observeMonth: z.boolean({ error: 'expected true (the observation adds month / months) or false' }),
  })
  .strict();

const level = z.number({ error: 'expected a number in [0, 10]' }).min(0, { error: 'expected a number in [0, 10]' }).max(10, { error: 'expected a number in [0, 10]' });
const resetSchema = z.object({ W0: level.optional(), M0: level.optional() }).strict();

export type ZhaoOptions = z.infer<typeof optionsSchema>;

export class ZhaoEnv extends BaseEnv<Float32Array, Action> {
  readonly observationSpace: Box;
  readonly actionSpace: Box | Discrete;
  readonly metadata: EnvMetadata;
  readonly options: ZhaoOptions;
  private readonly params: ZhaoParams;

  private state: ZhaoState = { W: 0, M: 0 };
  private initial: ZhaoState = { W: 0, M: 0 };
  private month = 0;
  private cumulativeDose = 0;
  private cumulativeSurvival = 1;
  private deathRng: Rng | undefined;

  constructor(options: Record<string, unknown> = {}) {
    super();
    this.options = parseWithSchema(optionsSchema, { ...ZHAO_DEFAULTS, ...options }, `${ZHAO_ENV_ID}: `);
    this.params = { ...ZHAO_PARAMS, mu0: this.options.mu0 };
    this.actionSpace = doseActionSpace(this.options.levels);
    const labels = ['W', 'M', ...(this.options.observeBaseline ? ['W0', 'M0'] : []), ...(this.options.observeMonth ? ['month_fraction'] : [])];
    this.observationSpace = new Box(0, Infinity, [labels.length], 'float32');
    this.metadata = {
      id: ZHAO_ENV_ID,
      stepDuration: { value: 1, unit: 'month' },
      actionUnits: 'dose fraction [0, 1] of the maximum dose for the month',
      observationLabels: labels,
      maxEpisodeSteps: this.options.months,
      constraints: ['toxicityRise'],
    };
  }

  protected resetModel(rng: Rng, options: Record<string, unknown>): ResetResult<Float32Array> {
    const fixed = parseWithSchema(resetSchema, options, `${ZHAO_ENV_ID}.reset options: `);
    const initRng = rng.child('initial');
    // Draw both always, so fixing one does not change the other's draw.
    const W0 = initRng.uniformRange(0, 2);
    const M0 = initRng.uniformRange(0, 2);
    this.initial = { W: fixed.W0 ?? W0, M: fixed.M0 ?? M0 };
    this.state = { ...this.initial };
    this.deathRng = rng.child('death');
    this.month = 0;
    this.cumulativeDose = 0;
    this.cumulativeSurvival = 1;
    return { observation: this.observe(), info: this.info(0, 1, false, 0) };
  }

  protected stepModel(action: Action): StepResult<Float32Array> {
    const dose = actionToDose(action, this.actionSpace);
    const prev = this.state;
    const next = zhaoTransition(this.params, prev, dose, this.initial);
    const survivalProb = zhaoMonthlySurvival(this.params, next);
    // Drawn in both modes, so that switching modes changes no other draw.
    const draw = (this.deathRng as Rng).uniform();
    const expected = this.options.deaths === 'expected';
    const died = !expected && draw >= survivalProb;
    const reward = expected
      ? this.cumulativeSurvival * ((1 - survivalProb) * zhaoReward(prev, next, true) + survivalProb * zhaoReward(prev, next, false))
      : zhaoReward(prev, next, died);
    this.state = next;
    this.month += 1;
    this.cumulativeDose += dose;
    this.cumulativeSurvival *= survivalProb;
    const terminated = died;
    const truncated = !terminated && this.month >= this.options.months;
    return { observation: this.observe(), reward, terminated, truncated, info: this.info(dose, survivalProb, died, Math.max(0, next.W - prev.W)) };
  }

  private observe(): Float32Array {
    const o = this.options;
    return Float32Array.from([
      this.state.W,
      this.state.M,
      ...(o.observeBaseline ? [this.initial.W, this.initial.M] : []),
      ...(o.observeMonth ? [this.month / o.months] : []),
    ]);
  }

  private info(dose: number, survivalProb: number, dead: boolean, cost: number): Info {
    return {
      cost,
      W: this.state.W,
      M: this.state.M,
      month: this.month,
      dose,
      cumulativeDose: this.cumulativeDose,
      survivalProb,
      cumulativeSurvival: this.cumulativeSurvival,
      cured: this.state.M === 0,
      dead,
    };
  }
}
