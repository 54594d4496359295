/**
 * A worker process for `--jobs N`: runs the tasks it receives one at a time, exactly as the parent
 * would (executeTask), reports progress, and exits when the parent closes the channel (or dies).
 * Started by src/run/pool.ts.
 */
import '../../envs/index.ts';
import { UserError } from '../core/errors.ts';
import { executeTask, type Task, type TaskContext, type TaskProgress } from './tasks.ts';

export interface WorkerRequest {
  ctx: TaskContext;
  task: Task;
}

export type WorkerMessage =
  | ({ type: 'progress' } & TaskProgress)
  | { type: 'done' }
  | { type: 'error'; message: string; userError: boolean; stack?: string };

const send = (m: WorkerMessage) => process.send?.(m);

process.on('message', (request: WorkerRequest) => {
  executeTask(request.ctx, request.task, (p) => send({ type: 'progress', ...p }))
    .then(() => send({ type: 'done' }))
    .catch((err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      send({ type: 'error', message: e.message, userError: err instanceof UserError, ...(e.stack ? { stack: e.stack } : {}) });
    });
});

// The parent closed the channel (all tasks done) or died (Ctrl-C): stop, even mid-task; every
// result file is written atomically, so a half-done task leaves nothing behind.
process.on('disconnect', () => process.exit(0));
