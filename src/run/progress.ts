/**
 * Progress for long work: a cli-progress bar per task on a TTY (steps, steps/s, recent return,
 * time left); with --quiet or without a TTY, plain periodic lines (at most one per task every 10 s)
 * so CI logs stay readable.
 */
import cliProgress from 'cli-progress';

export interface ProgressUpdate {
  done: number;
  /** Most recent mean episode return, if any. */
  recentReturn?: number;
}

export interface ProgressTask {
  update(u: ProgressUpdate): void;
  finish(message?: string): void;
}

export interface Progress {
  task(label: string, total: number, unit: string): ProgressTask;
  log(line: string): void;
  stop(): void;
}

export function createProgress(options: { quiet: boolean; stream?: NodeJS.WriteStream }): Progress {
  const stream = options.stream ?? process.stderr;
  const interactive = !options.quiet && stream.isTTY === true && process.env['CI'] === undefined;
  return interactive ? barProgress(stream) : lineProgress(stream, options.quiet);
}

function fmt(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(1);
}

function barProgress(stream: NodeJS.WriteStream): Progress {
  const multi = new cliProgress.MultiBar(
    {
      stream,
      clearOnComplete: false,
      hideCursor: true,
      format: '{label} |{bar}| {value}/{total} {unit} | {rate}/s | return {ret} | eta {eta_formatted}',
    },
    cliProgress.Presets.shades_classic,
  );
  return {
    task(label, total, unit) {
      const start = Date.now();
      const bar = multi.create(total, 0, { label: label.padEnd(18), unit, rate: '-', ret: '-' });
      return {
        update(u) {
          const seconds = (Date.now() - start) / 1000;
          bar.update(u.done, { rate: seconds > 0 ? Math.round(u.done / seconds) : '-', ret: fmt(u.recentReturn) });
        },
        finish() {
          bar.update(total);
          bar.stop();
        },
      };
    },
    log(line) {
      multi.log(line + '\n');
    },
    stop() {
      multi.stop();
    },
  };
}

function lineProgress(stream: NodeJS.WriteStream, quiet: boolean): Progress {
  return {
    task(label, total, unit) {
      const start = Date.now();
      let last = start; // first line after 10 s: short tasks print only their 'done' line
      return {
        update(u) {
          const now = Date.now();
          if (quiet || now - last < 10_000) return;
          last = now;
          const seconds = (now - start) / 1000;
          const rate = u.done / Math.max(seconds, 1e-9);
          const eta = rate > 0 ? Math.round((total - u.done) / rate) : NaN;
          stream.write(`${label}: ${u.done}/${total} ${unit} (${Math.round(rate)}/s, return ${fmt(u.recentReturn)}, ~${Number.isFinite(eta) ? eta : '?'} s left)\n`);
        },
        finish(message) {
          if (!quiet) stream.write(`${label}: done in ${((Date.now() - start) / 1000).toFixed(1)} s${message ? ` (${message})` : ''}\n`);
        },
      };
    },
    log(line) {
      if (!quiet) stream.write(line + '\n');
    },
    stop() {},
  };
}
