// Worker-thread entry of AsyncVectorEnv: load TypeScript through tsx (as bin/dosegym does), then
// run the stepping loop. Plain JavaScript because a fresh worker cannot import .ts by itself.
import { register } from 'tsx/esm/api';

register();
await import('./async-vector-worker.ts');
