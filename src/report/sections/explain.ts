/**
 * Policy explanation shared by the families' sections: the distilled rule table of every learned
 * policy (one per method and training seed) from the run's state sample, and the occlusion
 * attribution of a policy's doses over a replayed evaluation day. What the observation means (its
 * readable features, its input groups, the dose an action stands for) is the family's policy
 * probe's (envs/<family>/policy-probe.ts); this module only computes and words the results.
 */
import type { Action, Info, Observation } from '../../core/env.ts';
import { Box, Discrete, type Space } from '../../core/spaces.ts';
import type { SampledState } from '../../evaluation/state-sample.ts';
import { policyRules, type AttributionRow, type RuleTable } from '../charts/explain.ts';
import { distillPolicy, FIDELITY_TOLERANCE, heldOutMask, readableRules, type DistilledPolicy } from '../explain/distill.ts';
import type { ReportChart } from '../html.ts';
import { policiesFor, type ReportPolicy, type RunReportData } from './run-data.ts';

/** What a family tells the explanation about its observations and actions. */
export interface ExplainProbe {
  features: { names: string[]; values(observation: ArrayLike<number>): number[] };
  describeAction(value: number): string;
  /** Unit of the tolerance (e.g. 'U/h' for the continuous T1D action, '' for an output in [-1, 1]). */
  actionUnit: string;
}

/** Width of an action space for the fidelity tolerance: a Box's first dimension, or n - 1 levels. */
export function actionRange(space: Space): number {
  if (space instanceof Discrete) return Math.max(1, space.n - 1);
  if (space instanceof Box) return (space.high[0] as number) - (space.low[0] as number);
  throw new RangeError(`actionRange: unsupported action space ${(space as Space).toString()}`);
}

/**
 * The learned methods' sampled states with their policies, method by method and seed by seed: the
 * policies acting for `patient` (all of them when each seed has one policy for every patient), each
 * with the states it acted in (with train.perPatient, only its own patient's).
 */
export function sampledPolicies(data: RunReportData, patient: string | null = null): { policy: ReportPolicy; states: SampledState[] }[] {
  const out: { policy: ReportPolicy; states: SampledState[] }[] = [];
  for (const policy of policiesFor(data, patient)) {
    const seedStates = data.stateSample?.methods[policy.method]?.seeds.find((s) => s.seed === policy.seed)?.states;
    const states = policy.patient === null ? seedStates : seedStates?.filter((s) => s.patient === policy.patient);
    if (states !== undefined && states.length > 0) out.push({ policy, states });
  }
  return out;
}

const pct = (x: number) => `${Math.round(100 * x)} %`;

/**
 * The `policy-rules` chart: one distilled tree per learned policy with its held-out fidelity; or
 * undefined when the run kept no state sample (evaluated before DoseGym kept one). With one policy
 * per patient (train.perPatient), the trees are those of `patient`'s policies, fitted on its states.
 */
export function policyRulesChart(data: RunReportData, probe: ExplainProbe, patient: string | null = null): { chart: ReportChart; distilled: { method: string; seed: number; tree: DistilledPolicy }[] } | undefined {
  const sampled = sampledPolicies(data, patient);
  if (sampled.length === 0) return undefined;
  const distilled = sampled.map(({ policy, states }) => ({ method: policy.method, seed: policy.seed, states, tree: distillPolicy(states, probe.features, actionRange(policy.actionSpace)) }));
  const own = sampled.find((s) => s.policy.patient !== null)?.policy.patient ?? null;
  const tol = (d: DistilledPolicy) => `+-${Number(d.tolerance.toPrecision(3))}${probe.actionUnit === '' ? '' : ` ${probe.actionUnit}`}`;
  const tables: RuleTable[] = distilled.map(({ method, seed, states, tree }) => {
    const total = tree.fitStates;
    const { mask } = heldOutMask(states);
    const heldOutDays = [...new Set(states.filter((_, i) => mask[i]).map((s) => JSON.stringify([s.patient, s.episode])))].map((k) => JSON.parse(k) as [string | null, number]);
    return {
      title: `${method}, seed ${seed}${own !== null ? ` (${own}'s policy)` : ''}`,
      fidelity: `held-out fidelity ${pct(tree.fidelity)}: ${tree.reproduced} of ${tree.heldOutStates} held-out states within ${tol(tree)} (10 % of the action range); fitted on ${total} states`,
      rules: readableRules(tree).map((r) => ({ rule: `if ${r.rule}`, action: `-> ${probe.describeAction(r.value)}`, share: `${r.n} states (${pct(r.n / total)})` })),
      record: { method, seed, features: tree.features, tree: tree.tree, actionRange: tree.actionRange, tolerance: tree.tolerance, fitStates: tree.fitStates, heldOutStates: tree.heldOutStates, reproduced: tree.reproduced, fidelity: tree.fidelity, heldOutDays: states.length > 0 && new Set(states.map((s) => `${s.patient}\u0000${s.episode}`)).size > 1 ? heldOutDays : null },
    };
  });
  const low = distilled.filter((d) => d.tree.fidelity < 0.8);
  const fidelityText = distilled.map((d) => `${d.method} seed ${d.seed} ${pct(d.tree.fidelity)}`).join(', ');
  const split = distilled[0]?.tree.split ?? '';
  const subtitle = [
    `Each tree imitates one learned policy's own actions on its sampled evaluation states (${distilled[0]?.states.length ?? 0} per seed${own !== null ? `, all of ${own}: each patient has its own policy, and these are ${own}'s` : ''}), splitting on ${probe.features.names.join(', ')}.`,
    `Fidelity = share of held-out states (${split}) whose action the tree reproduces within ${FIDELITY_TOLERANCE * 100} % of the action range: ${fidelityText}.`,
  ];
  const caption =
    `A readable summary of each learned policy${own !== null ? ` (one policy per patient was trained; shown: ${own}'s, one per training seed)` : ''}: a decision tree of depth at most 4 fitted to the policy's actions on the evaluation states it met, with its fidelity measured on held-out evaluation days (${fidelityText}).` +
    (low.length > 0 ? ` Fidelity below 80 % (${low.map((d) => `${d.method} seed ${d.seed}`).join(', ')}): the rules are only a rough summary of that policy; its real decisions depend on more than these splits.` : ' The rules summarise the policy; they are not the policy, and outside the states it met they say nothing.');
  return { chart: { name: 'policy-rules', spec: policyRules(tables, { colors: data.colors, subtitle }), caption }, distilled: distilled.map(({ method, seed, tree }) => ({ method, seed, tree })) };
}

/** Feature means over sampled states (the occlusion reference). */
export function observationMean(states: readonly SampledState[]): number[] {
  const size = states[0]?.observation.length ?? 0;
  const out = new Array<number>(size).fill(0);
  for (const s of states) for (let i = 0; i < size; i++) out[i] = (out[i] as number) + (s.observation[i] as number) / states.length;
  return out;
}

/**
 * Occlusion attribution (Zeiler & Fergus, ECCV 2014) of a policy's doses over a replayed day: at
 * each decision, the dose with every input as observed minus the dose with one input group set to
 * its mean over the evaluation states; positive means that group raised the dose. `dose` reads an
 * action as a dose at that decision (from its info).
 */
export function occlusion(
  method: string,
  policy: { act(observation: Observation, context: { deterministic: boolean; info: Info }): Action },
  day: { observations: Observation[]; infos: Info[]; hours: number[] },
  groups: readonly { name: string; indices: readonly number[] }[],
  reference: readonly number[],
  dose: (action: Action, info: Info) => number,
): AttributionRow[] {
  const rows: AttributionRow[] = [];
  day.observations.forEach((observation, t) => {
    const info = day.infos[t] as Info;
    const obs = Float32Array.from(observation as ArrayLike<number>);
    const full = dose(policy.act(obs, { deterministic: true, info }), info);
    for (const g of groups) {
      const occluded = Float32Array.from(obs);
      for (const i of g.indices) occluded[i] = reference[i] as number;
      rows.push({ method, hour: day.hours[t] as number, group: g.name, effect: full - dose(policy.act(occluded, { deterministic: true, info }), info) });
    }
  });
  return rows;
}
