#!/usr/bin/env node
// Runs ava with TAP output, echoes it, and ends with the line `ava: N passed, M failed` that generic
// CI log readers recognise (ava's own summary is not), keeping ava's exit code.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** ava's CLI script, from its package.json "bin" (ava's exports map hides the file from require.resolve). */
function findAvaCli() {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const pkg = join(dir, 'node_modules', 'ava', 'package.json');
    if (existsSync(pkg)) {
      const { bin } = JSON.parse(readFileSync(pkg, 'utf8'));
      return join(dirname(pkg), typeof bin === 'string' ? bin : bin.ava);
    }
    if (dirname(dir) === dir) throw new Error('run-ava: ava is not installed; run npm install');
  }
}
const avaCli = findAvaCli();
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
