/**
 * Safety layer (issue 7, parts 1 and 2):
 * - constraints.ts: named constraints as per-step costs with episode budgets (`ConstraintCost`,
 *   `makeConstraintCost`, `constraintsFor`, episode summaries: cost rate, budget exceeded, time in
 *   violation);
 * - shield.ts: action shields that rewrite unsafe doses before the patient receives them
 *   (`makeShield`, `shieldOptionsSchema`; T1D-v0 and Chemo-DePillis-v0).
 *
 * Composition, inner to outer (the shield must see physical units; costs read info, so they may go
 * inside or outside the shield):
 *   raw env -> makeShield (optional) -> ConstraintCost -> standardWrappers (TimeLimit, statistics,
 *   RescaleAction/ClipAction, normalisation)
 * A TimeLimit that shortens episodes belongs INSIDE ConstraintCost, so default budgets (fractions of
 * metadata.maxEpisodeSteps) scale with it.
 */
export * from './constraints.ts';
export * from './shield.ts';
