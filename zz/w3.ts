import { Worker } from 'node:worker_threads';
const mode = process.argv[2];
const t0 = performance.now();
let w;
if (mode === 'inherit') w = new Worker(new URL('file:///work/main/zz/hello.ts'), { execArgv: ['--import', 'tsx'] });
else w = new Worker(new URL('file:///work/main/zz/boot.mjs'), { execArgv: [] });
w.on('message', (m) => { console.log(mode, m, (performance.now() - t0).toFixed(0)); w.terminate(); });
w.on('error', (e) => console.log('err', e));
setTimeout(() => { console.log(mode, 'TIMEOUT'); process.exit(1); }, 10000).unref();
