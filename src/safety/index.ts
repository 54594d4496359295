/**
 * Safety layer, the generic machinery (which constraints and which shield an env has is its patient
 * family's, registered in envs/<family>/family.ts):
 * - constraints.ts: named constraints as per-step costs with episode budgets (`ConstraintCost`,
 *   `makeConstraintCost`, `constraintsFor`, episode summaries: cost rate, budget exceeded, time in
 *   violation);
 * - shield.ts: action shields that rewrite unsafe doses before the patient receives them
 *   (`makeShield`, `resolveShieldOptions`; the T1D-v0 and Chemo-DePillis-v0 shields are
 *   t1d-shield.ts and chemo-shield.ts on the common shield-base.ts).
 *
 * Composition, inner to outer (the shield must see physical units; costs read info, so they may go
 * inside or outside the shield): raw env -> shield (optional) -> ConstraintCost -> custom reward,
 * as src/evaluation/env-stack.ts builds it. A TimeLimit that shortens episodes belongs INSIDE
 * ConstraintCost, so default budgets (fractions of metadata.maxEpisodeSteps) scale with it.
 */
export * from './constraints.ts';
export * from './shield.ts';
