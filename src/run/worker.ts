/**
 * A worker process for `--jobs N`: receives one task, runs it exactly as the parent would
 * (executeTask), reports progress, and exits. Started by src/run/pool.ts.
 */
import '../../envs/index.ts';
import { UserError } from '../core/errors.ts';
import { executeTask, type Task, type TaskContext } from './tasks.ts';

export type WorkerMessage =
  | { type: 'progress'; done: number; total: number; recentReturn?: number }
  | { type: 'done' }
  | { type: 'error'; message: string; userError: boolean; stack?: string };

process.once('message', (message: { ctx: TaskContext; task: Task }) => {
  const send = (m: WorkerMessage) => process.send?.(m);
  executeTask(message.ctx, message.task, (p) => send({ type: 'progress', ...p }))
    .then(() => {
      send({ type: 'done' });
      process.disconnect?.();
    })
    .catch((err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      send({ type: 'error', message: e.message, userError: err instanceof UserError, ...(e.stack ? { stack: e.stack } : {}) });
      process.disconnect?.();
      process.exitCode = 1;
    });
});
