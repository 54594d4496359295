import { Worker, MessageChannel } from 'node:worker_threads';
const sab = new SharedArrayBuffer(128); const c = new Int32Array(sab);
const ch = new MessageChannel();
const w = new Worker(new URL('file:///work/main/zz/boot.mjs'), { execArgv: [], workerData: { buffers: { control: sab }, port: ch.port2 }, transferList: [ch.port2] });
const t0 = Date.now();
const iv = setInterval(() => { console.log('val', c[16]); if (c[16] === 1 || Date.now() - t0 > 3000) { clearInterval(iv); w.terminate(); } }, 200);
