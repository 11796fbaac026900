/**
 * What only some verbs use, loaded on first use instead of at start: the tar code (apply, write, diff,
 * tar-split), and under it Bun's `node:stream` and `node:crypto`, would cost every short command (images,
 * ps, inspect, create) about 5 ms of its start (bench/RESULTS.md); the runtime's supervision (runc, conmon,
 * cgroups, with `node:child_process` and `node:os`) is needed only once a container has been started. A require, not `import()`, so a method
 * that returns a stream keeps its synchronous signature; the module is loaded once and kept.
 */
export const archive = (): typeof import('../archive/index.js') => require('../archive/index.js');
export const runtime = (): typeof import('../runtime/index.js') => require('../runtime/index.js');
export const streams = (): typeof import('node:stream') => require('node:stream');
