/**
 * The clinical-trial model of Zhao, Kosorok & Zeng, "Reinforcement learning design for cancer
 * clinical trials", Stat. Med. 28(26) (2009) 3294-3315, Section 4 (simulation model), in the form
 * public replications use. Time in months; W = toxicity ("negative wellness"), M = tumour size, both
 * dimensionless and >= 0; dose D in [0, 1] (fraction of the maximum dose), one decision per month.
 *
 *   W_{t+1} = max(0, W_t + a1 max(M_t, M_0) + b1 (D_t - d1))
 *   M_{t+1} = max(0, M_t + [a2 max(W_t, W_0) - b2 (D_t - d2)] 1[M_t > 0])     (M = 0: cured, stays 0)
 *   P(survive month t -> t+1) = exp(-exp(mu0 + W_{t+1} + M_{t+1}))   (log hazard mu0 + W + M)
 *
 * with a1 = 0.1, a2 = 0.15, b1 = b2 = 1.2, d1 = d2 = 0.5, W_0, M_0 ~ U(0, 2).
 *
 * Checked against the paper's simulation section (as its authors' public text states it): the
 * transitions above; for each month (t - 1, t] the hazard lambda(t) with log lambda(t) = mu0 +
 * mu1 W_t + mu2 M_t, mu1 = mu2 = 1, and the month's survival exp(-Lambda), Lambda the hazard
 * integrated over the month; with lambda held at its value for the month, on the state at the
 * month's end, Lambda = exp(mu0 + W_t + M_t), which is what this file computes.
 *
 * mu0: -5.5, the intercept the same authors use for this hazard in their follow-up trial
 * simulation (Zhao, Zeng, Socinski & Kosorok, Biometrics 67(4) (2011) 1422-1433); public
 * replications also use -4 and -8.5. Monthly death probability at W + M = 2: 1 - exp(-e^{-3.5}) =
 * 3.0 %. Six-month survival probability over W0, M0 ~ U(0, 2) (4,000 patients, this model):
 * no treatment 0.20, constant doses 0.1 ... 1.0: 0.34, 0.43, 0.48, 0.50, 0.49, 0.48, 0.45, 0.41,
 * 0.34, 0.24 (MTD), and the adaptive rule "MTD until cured, then nothing" 0.53: a regimen that
 * adapts can beat every fixed dose, as in the paper. DoseGym's earlier default, -4.5 (its own
 * choice between -5.5 and -4), left 4 % (no treatment) and 6 % (MTD) of the patients alive after
 * six months (an evaluation lost 20 of 20 under both), with the best fixed dose at 0.29: not a
 * trial population.
 *
 * Reward for month t (Zhao et al. 2009, eq. for R_t): -60 if the patient dies during the month;
 * otherwise R2 + R3 with
 *   R2 = +5 if W falls by >= 0.5, -5 if it rises by >= 0.5, else 0;
 *   R3 = +15 in the month M reaches 0 (cure), else +5 if M falls by >= 0.5, -5 if it rises by >= 0.5, else 0.
 * The +15 is paid once, in the month of cure (after that M stays 0 and its change is 0).
 */

export interface ZhaoParams {
  a1: number;
  a2: number;
  b1: number;
  b2: number;
  d1: number;
  d2: number;
  /** Log-hazard intercept (see the file comment for the default). */
  mu0: number;
}

export const ZHAO_DEFAULT_MU0 = -5.5;

export const ZHAO_PARAMS: Readonly<ZhaoParams> = Object.freeze({ a1: 0.1, a2: 0.15, b1: 1.2, b2: 1.2, d1: 0.5, d2: 0.5, mu0: ZHAO_DEFAULT_MU0 });

export interface ZhaoState {
  W: number;
  M: number;
}

/** One month of the difference equations; `initial` is (W_0, M_0) of the patient. */
export function zhaoTransition(p: ZhaoParams, s: ZhaoState, dose: number, initial: ZhaoState): ZhaoState {
  const W = Math.max(0, s.W + p.a1 * Math.max(s.M, initial.M) + p.b1 * (dose - p.d1));
  const M = s.M > 0 ? Math.max(0, s.M + p.a2 * Math.max(s.W, initial.W) - p.b2 * (dose - p.d2)) : 0;
  return { W, M };
}

/** Probability of surviving the month that ends in state `next`. */
export function zhaoMonthlySurvival(p: ZhaoParams, next: ZhaoState): number {
  return Math.exp(-Math.exp(p.mu0 + next.W + next.M));
}

/** Change score of Zhao et al.: +5 for a fall of >= 0.5, -5 for a rise of >= 0.5, else 0. */
function changeScore(before: number, after: number): number {
  const delta = after - before;
  if (delta <= -0.5) return 5;
  if (delta >= 0.5) return -5;
  return 0;
}

/** Reward of the month from `prev` to `next`. */
export function zhaoReward(prev: ZhaoState, next: ZhaoState, died: boolean): number {
  if (died) return -60;
  const r2 = changeScore(prev.W, next.W);
  const r3 = prev.M > 0 && next.M === 0 ? 15 : changeScore(prev.M, next.M);
  return r2 + r3;
}
