/**
 * `run -d` as the engine will do it, in a process of its own: write a bundle, start the container under
 * conmon, print its ID and exit. Arguments: <work dir> <rootfs> <command…>.
 */
import { join } from 'node:path';
import { OciRuntime } from '../../src/runtime/runc.js';
import { Supervisor } from '../../src/runtime/supervisor.js';
import { makeBundle } from './bundle.js';

const [work, rootfs, ...cmd] = process.argv.slice(2);
const b = makeBundle(work!, rootfs!, { cmd });
const sup = new Supervisor({
  id: b.id, bundle: b.dir, runtime: new OciRuntime('runc', join(work!, 'state')), logPath: join(b.dir, 'ctr.log'),
  exitDir: join(work!, 'exits'), socketDir: join(work!, 'sockets'),
});
await sup.create();
await sup.start();
console.log(b.id);
