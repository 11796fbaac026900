/**
 * A client end of a unix SOCK_SEQPACKET socket: conmon's attach socket is one, and neither Node's nor
 * Bun's `net` can connect to it (they speak SOCK_STREAM only). socket(2), connect(2) and shutdown(2) are
 * the addon's; the descriptor is then read and written with node:fs, one message per read(2) and per
 * write(2), which is what keeps conmon's framing intact.
 */
import { closeSync, openSync, read, writeSync } from 'node:fs';
import { native } from '../native/index.js';

const SUN_PATH_MAX = 108;
export const SHUT_WR = 1;
export const SHUT_RDWR = 2;

/** A connected seqpacket socket: whole messages in, whole messages out. */
export class SeqpacketSocket {
  private constructor(readonly fd: number) {}

  /**
   * Connect to the socket at `path`. A path longer than sun_path (108 bytes, easily reached under a deep
   * store root) is reached through its directory's descriptor in /proc/self/fd instead.
   */
  static connect(path: string): SeqpacketSocket {
    let dirFd: number | undefined;
    let target = path;
    // The addon takes at most SUN_PATH_MAX - 2 bytes: a string that fills its buffer cannot be told
    // from a truncated one, so a 107-byte path (which sun_path would hold) goes this way too.
    if (Buffer.byteLength(path) > SUN_PATH_MAX - 2) {
      const slash = path.lastIndexOf('/');
      dirFd = openSync(path.slice(0, slash), 'r');
      target = `/proc/self/fd/${dirFd}${path.slice(slash)}`;
    }
    try {
      return new SeqpacketSocket(native.seqpacketConnect(target));
    } finally {
      if (dirFd !== undefined) closeSync(dirFd);
    }
  }

  /** The next message, or null at end of stream (the peer closed). */
  receive(buffer: Buffer): Promise<Buffer | null> {
    return new Promise((resolve, reject) => {
      read(this.fd, buffer, 0, buffer.length, null, (err, n) => {
        if (err) reject(err);
        else resolve(n === 0 ? null : buffer.subarray(0, n));
      });
    });
  }

  /** Send `data` as one message. */
  send(data: Uint8Array): void {
    writeSync(this.fd, data);
  }

  /** shutdown(2): SHUT_WR tells the peer no more data comes (conmon closes the container's stdin). */
  shutdown(how: number): void {
    try {
      native.shutdown(this.fd, how);
    } catch (e) {
      // A peer already gone (the container exited) has nothing left to be told.
      if ((e as NodeJS.ErrnoException).code !== 'ENOTCONN') throw e;
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}
