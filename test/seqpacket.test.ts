/**
 * The client end of conmon's attach socket (SOCK_SEQPACKET), at every path length around sun_path's
 * 108 bytes: a store root of some lengths put the socket exactly there, and attach then failed.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SeqpacketSocket } from '../src/runtime/seqpacket.js';

const base = mkdtempSync(join(tmpdir(), 'strata-seq-'));
after(() => rmSync(base, { recursive: true, force: true }));

/**
 * A seqpacket server that sends `hello` to its one client: python's socket module, bound by a name relative
 * to its directory (as conmon binds its own), so any length can be listened on.
 */
async function serve(dir: string, name: string): Promise<ChildProcess> {
  const script = `import os,socket,sys
os.chdir(sys.argv[1]); s=socket.socket(socket.AF_UNIX,socket.SOCK_SEQPACKET); s.bind(sys.argv[2]); s.listen(1)
print("up",flush=True); c,_=s.accept(); c.send(b"hello"); c.close()`;
  const server = spawn('python3', ['-c', script, dir, name], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve) => server.stdout.once('data', resolve));
  return server;
}

test('connects and receives a whole message at every path length from 100 to 115 bytes', async () => {
  for (let length = 100; length <= 115; length++) {
    const dir = join(base, String(length));
    mkdirSync(dir);
    const name = 'a'.repeat(length - dir.length - 1);
    const path = join(dir, name);
    assert.equal(Buffer.byteLength(path), length);
    const server = await serve(dir, name);
    try {
      const socket = SeqpacketSocket.connect(path);
      const message = await socket.receive(Buffer.alloc(64));
      socket.close();
      assert.equal(message?.toString(), 'hello', `path of ${length} bytes`);
    } finally {
      server.kill();
    }
  }
});
