/**
 * A client end of a unix SOCK_SEQPACKET socket: conmon's attach socket is one, and neither Node's nor
 * Bun's `net` can connect to it (they speak SOCK_STREAM only). socket(2), connect(2) and shutdown(2) are
 * called through Bun's FFI on libc; the descriptor is then read and written with node:fs, one message
 * per read(2) and per write(2), which is what keeps conmon's framing intact.
 */
import { dlopen, FFIType, ptr, read as ffiRead } from 'bun:ffi';
import { closeSync, openSync, read, writeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';

const AF_UNIX = 1;
const SOCK_SEQPACKET = 5;
const SOCK_CLOEXEC = 0o2000000;
const SUN_PATH_MAX = 108;
export const SHUT_WR = 1;
export const SHUT_RDWR = 2;

let libc: ReturnType<typeof openLibc> | undefined;
function openLibc() {
  return dlopen('libc.so.6', {
    socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    connect: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    shutdown: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    __errno_location: { args: [], returns: FFIType.ptr },
  }).symbols;
}

/** The calling thread's errno as an Error like Node's ("ENOENT: connect <path>"). */
function errnoError(call: string, path: string): Error {
  const errno = ffiRead.i32(libc!.__errno_location()!, 0);
  const code = Object.entries(osConstants.errno).find(([, n]) => n === errno)?.[0] ?? `errno ${errno}`;
  return Object.assign(new Error(`${code}: ${call} ${path}`), { code, errno });
}

/** A connected seqpacket socket: whole messages in, whole messages out. */
export class SeqpacketSocket {
  private constructor(readonly fd: number) {}

  /**
   * Connect to the socket at `path`. A path longer than sun_path (108 bytes, easily reached under a deep
   * store root) is reached through its directory's descriptor in /proc/self/fd instead.
   */
  static connect(path: string): SeqpacketSocket {
    libc ??= openLibc();
    let dirFd: number | undefined;
    let target = path;
    if (Buffer.byteLength(path) >= SUN_PATH_MAX) {
      const slash = path.lastIndexOf('/');
      dirFd = openSync(path.slice(0, slash), 'r');
      target = `/proc/self/fd/${dirFd}${path.slice(slash)}`;
    }
    try {
      const fd = libc.socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
      if (fd < 0) throw errnoError('socket', path);
      const addr = Buffer.alloc(2 + SUN_PATH_MAX);
      addr.writeUInt16LE(AF_UNIX, 0);
      addr.write(target, 2);
      if (libc.connect(fd, ptr(addr), addr.length) !== 0) {
        closeSync(fd);
        throw errnoError('connect', path);
      }
      return new SeqpacketSocket(fd);
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
    libc!.shutdown(this.fd, how);
  }

  close(): void {
    closeSync(this.fd);
  }
}
