#!/usr/bin/env node
// Runs ava with TAP output, echoes it, and ends with the line `ava: N passed, M failed` that generic
// CI log readers recognise (ava's own summary is not), keeping ava's exit code.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const avaCli = require.resolve('ava/entrypoints/cli.mjs');
const child = spawn(process.execPath, [avaCli, '--tap', ...process.argv.slice(2)], { stdio: ['ignore', 'pipe', 'inherit'] });

let pass = 0;
let fail = 0;
let buffered = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  buffered += chunk.toString();
  const lines = buffered.split('\n');
  buffered = lines.pop() ?? '';
  for (const line of lines) count(line);
});
function count(line) {
  const m = /^# (pass|fail)\s+(\d+)/.exec(line.trim());
  if (m) (m[1] === 'pass' ? (pass = Number(m[2])) : (fail = Number(m[2])));
}
child.on('close', (code) => {
  count(buffered);
  // A crash before any TAP summary still counts as a failure.
  if (code !== 0 && fail === 0) fail = 1;
  process.stdout.write(`\nava: ${pass} passed, ${fail} failed\n`);
  process.exit(code ?? 1);
});
