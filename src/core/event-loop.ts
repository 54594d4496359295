/**
 * Cooperative yielding for long synchronous loops (training, evaluation): Node handles signals
 * (Ctrl-C), timers (progress bars) and worker messages only between macrotasks, so a loop that never
 * awaits one holds them all back until it ends.
 */

/** Resolves on the next turn of the event loop, after pending I/O and timers have run. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
