/**
 * Containers at a real terminal (a pty made by util-linux's script): the pty a container gets with -t has
 * the caller's size (run -t and exec -t), and the detach keys (ctrl-p ctrl-q, or --detach-keys) leave a
 * container running, as Docker 20.10's client does: `run -it` and `start -ai` exit 0 silently, `attach`
 * says "read escape sequence" and exits 1; keys that are not the sequence reach the container.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { busyboxUserland } from './lib/bundle.js';
import { tarOf } from './lib/rootfs.js';
import { DRIVERS, STRATA_BIN, testStore, type TestStore } from './lib/strata.js';
import { onTerminal } from './lib/terminal.js';

const CTRL_P_CTRL_Q = '\x10\x11';

describe('containers at a terminal', () => {
  let s: TestStore;
  const strata = (...args: string[]) => [STRATA_BIN, '--root', s.root, '--storage-driver', s.driver, ...args];
  const status = (name: string) => s.ok(['ps', '-a', '--filter', `name=^${name}$`, '--format', '{{.State}}']);
  before(() => {
    const rootfs = busyboxUserland();
    s = testStore(DRIVERS[0]!);
    s.ok(['import', '-c', 'CMD ["sh"]', '-', 'bb:1'], tarOf(rootfs));
    rmSync(rootfs, { recursive: true, force: true });
  });
  after(() => {
    for (const id of s.run(['ps', '-aq', '--no-trunc']).stdout.split('\n').filter(Boolean)) s.run(['rm', '-f', id]);
    s.cleanup();
  });

  test("run -t and exec -t: the container's pty has the caller's terminal size", async () => {
    const run = onTerminal(strata('run', '--rm', '-t', 'bb:1', 'stty', 'size'), { rows: 41, columns: 103 });
    assert.equal(await run.exited(), 0);
    assert.match(run.screen, /^41 103\r?\r\n$/);
    s.ok(['run', '-d', '--name', 'sized', 'bb:1', 'sleep', '100']);
    const exec = onTerminal(strata('exec', '-t', 'sized', 'stty', 'size'), { rows: 42, columns: 104 });
    assert.equal(await exec.exited(), 0);
    assert.match(exec.screen, /^42 104\r?\r\n$/);
    s.ok(['rm', '-f', 'sized']);
  });

  test('ctrl-p ctrl-q detaches run -it (exit 0, silent) and attach (read escape sequence, exit 1); the shell runs on', async () => {
    const run = onTerminal(strata('run', '-it', '--name', 'keys', 'bb:1', 'sh'));
    await run.shows(/\/ # /);
    run.type('echo first\r');
    await run.shows(/\r\nfirst\r/);
    run.type(CTRL_P_CTRL_Q);
    assert.equal(await run.exited(), 0);
    assert.doesNotMatch(run.screen, /escape/);
    assert.equal(status('keys'), 'running\n');

    const attach = onTerminal(strata('attach', 'keys'));
    attach.type('echo second\r');
    await attach.shows(/\r\nsecond\r/);
    // ctrl-p alone is the shell's (its history), then the sequence from its start.
    attach.type('\x10');
    attach.type(CTRL_P_CTRL_Q);
    assert.equal(await attach.exited(), 1);
    assert.match(attach.screen, /read escape sequence\r?\n$/);
    assert.equal(status('keys'), 'running\n');

    // The shell kept its stdin through both: a last attach ends it with exit (after ctrl-u empties the line ctrl-p recalled).
    // Keys typed before strata has the terminal in raw mode are the local line discipline's (ctrl-u would be its
    // kill character): a new prompt from the shell says the attach is there.
    const last = onTerminal(strata('attach', 'keys'));
    last.type('\r');
    await last.shows(/\/ # /);
    last.type('\x15exit 5\r');
    assert.equal(await last.exited(), 5);
    assert.equal(status('keys'), 'exited\n');
    s.ok(['rm', 'keys']);
  });

  test('exec -it: ctrl-p ctrl-q (or --detach-keys) leaves the process running (read escape sequence, exit 1, as Docker); its exit code otherwise', async () => {
    s.ok(['run', '-d', '--name', 'execkeys', 'bb:1', 'sleep', '100']);
    const exec = onTerminal(strata('exec', '-it', 'execkeys', 'sh'), { rows: 30, columns: 90 });
    await exec.shows(/\/ # /);
    exec.type('stty size; sleep 321\r');
    await exec.shows(/\r\n30 90\r/);
    exec.type(CTRL_P_CTRL_Q);
    assert.equal(await exec.exited(), 1);
    assert.match(exec.screen, /read escape sequence\r?\n$/);
    assert.match(s.ok(['top', 'execkeys']), /sleep 321/);

    const custom = onTerminal(strata('exec', '-it', '--detach-keys', 'ctrl-x', 'execkeys', 'sh'));
    await custom.shows(/\/ # /);
    custom.type(CTRL_P_CTRL_Q);
    custom.type('\x15echo reached; sleep 654\r');
    await custom.shows(/\r\nreached\r/);
    custom.type('\x18');
    assert.equal(await custom.exited(), 1);
    assert.match(s.ok(['top', 'execkeys']), /sleep 654/);

    const code = onTerminal(strata('exec', '-it', 'execkeys', 'sh', '-c', 'exit 7'));
    assert.equal(await code.exited(), 7);
    s.ok(['rm', '-f', 'execkeys']);
  });

  test('--detach-keys: another sequence, ctrl-p ctrl-q then reach the container; --rm done by conmon after a detach; bad keys refused', async () => {
    const run = onTerminal(strata('run', '-it', '--rm', '--detach-keys', 'ctrl-a,x', '--name', 'custom', 'bb:1', 'sh'));
    await run.shows(/\/ # /);
    run.type(CTRL_P_CTRL_Q);
    run.type('echo still here\r');
    await run.shows(/\r\nstill here\r/);
    run.type('\x01x');
    assert.equal(await run.exited(), 0);
    assert.equal(status('custom'), 'running\n');
    // The CLI that detached is gone: when the shell exits, conmon's exit command carries out --rm.
    s.ok(['kill', 'custom']);
    for (const end = Date.now() + 15000; status('custom') !== '' && Date.now() < end;) await new Promise((r) => setTimeout(r, 100));
    assert.equal(status('custom'), '');

    const bad = s.run(['run', '-it', '--detach-keys', 'ctrl-1', 'bb:1', 'true']);
    assert.deepEqual([bad.status, bad.stderr], [1, 'Error: Invalid detach keys (ctrl-1) provided\n']);
    assert.equal(s.ok(['ps', '-aq']), '', 'nothing made');
  });
});
