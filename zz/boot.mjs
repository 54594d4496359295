import { register } from '/work/main/node_modules/tsx/dist/esm/api/index.mjs';
register();
await import('/work/main/zz/hello.ts');
