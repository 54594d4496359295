/**
 * Progress output without a TTY (CI logs, pipes) or with --quiet: plain lines, no terminal escape
 * codes; at most one periodic line per task every 10 s.
 */
import test from 'ava';
import { createProgress } from '../src/run/progress.ts';

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  let text = '';
  const stream = { isTTY, write: (chunk: string) => ((text += chunk), true) } as unknown as NodeJS.WriteStream;
  return { stream, text: () => text };
}

test.serial('without a TTY: plain periodic lines with rate, recent return and time left', (t) => {
  const { stream, text } = fakeStream(false);
  const realNow = Date.now;
  let now = 1_000_000;
  Date.now = () => now;
  try {
    const progress = createProgress({ quiet: false, stream });
    progress.log('run demo -> /tmp/x');
    const task = progress.task('train seed 1', 1000, 'steps');
    now += 5_000;
    task.update({ done: 100 }); // < 10 s since the start: no line
    now += 5_000;
    task.update({ done: 200, recentReturn: 21.25 });
    now += 2_000;
    task.update({ done: 300 }); // < 10 s since the last line
    now += 10_000;
    task.update({ done: 1000 });
    task.finish();
  } finally {
    Date.now = realNow;
  }
  t.is(
    text(),
    'run demo -> /tmp/x\n' +
      'train seed 1: 200/1000 steps (20/s, return 21.3, ~40 s left)\n' +
      'train seed 1: 1000/1000 steps (45/s, return -, ~0 s left)\n' +
      'train seed 1: done in 22.0 s\n',
  );
  t.false(text().includes('\x1b'), 'no escape codes');
});

test.serial('--quiet prints nothing, even on a TTY', (t) => {
  const { stream, text } = fakeStream(true);
  const progress = createProgress({ quiet: true, stream });
  progress.log('hello');
  const task = progress.task('eval pid', 10, 'episodes');
  task.update({ done: 10 });
  task.finish();
  progress.stop();
  t.is(text(), '');
});
