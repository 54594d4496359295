import { workerData } from 'node:worker_threads';
const c = new Int32Array(workerData.buffers.control);
Atomics.store(c, 16, 1);
const x: number = 42;
