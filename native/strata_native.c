/*
 * The few syscalls strata needs per file that Node.js does not expose:
 * mknod (whiteouts, devices, FIFOs), the l*xattr family (opaque dirs, security.capability),
 * mount/umount2 (overlay), FICLONE (vfs reflink copies), utimensat (times to the nanosecond) and
 * posix_fadvise (reading a cold tree's files ahead), syncfs (a pulled layer made durable at once), the TOPDIR
 * inode flag (snapshots spread over the disk); and for
 * layer integrity, crc64 (tar-split's per-file checksum) and opening a layer's files without following any symlink;
 * and gzip decompression for a pull's unpack thread (gunzip.c). crc64 and inflate are ISA-L's (libisal).
 * Paths are strings or Buffers (file names are bytes: a Buffer carries names that are not UTF-8).
 * Every function throws a JS Error carrying `code` (e.g. "ENOENT") and `syscall` on failure,
 * shaped like Node's own fs errors so callers handle both alike.
 * Worker threads load it too (the commit worker), so no call keeps state in static storage: buffers are
 * the call's own, and a decompressor's state is the object gunzipNew returns.
 */
#define _GNU_SOURCE
#include <sys/file.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <isa-l/crc64.h>

#include "gunzip.h"

#define PATH_BUF 4096

static const char *errno_name(int err) {
  switch (err) {
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case ENOSPC: return "ENOSPC";
    case EBUSY: return "EBUSY";
    case ENODATA: return "ENODATA";
    case ENOTSUP: return "ENOTSUP";
    case EXDEV: return "EXDEV";
    case ERANGE: return "ERANGE";
    case EROFS: return "EROFS";
    case ENODEV: return "ENODEV";
    case EDQUOT: return "EDQUOT";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ELOOP: return "ELOOP";
    case EBADF: return "EBADF";
    case ENOTTY: return "ENOTTY";
#if EOPNOTSUPP != ENOTSUP
    case EOPNOTSUPP: return "EOPNOTSUPP";
#endif
    default: return "EUNKNOWN";
  }
}

static napi_value throw_errno(napi_env env, int err, const char *syscall, const char *path) {
  char msg[PATH_BUF + 128];
  snprintf(msg, sizeof msg, "%s: %s, %s '%s'", errno_name(err), strerror(err), syscall, path ? path : "");
  napi_value message, error, code, sc, errnum;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, NULL, message, &error);
  napi_create_string_utf8(env, errno_name(err), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_create_int32(env, -err, &errnum);
  napi_set_named_property(env, error, "code", code);
  napi_set_named_property(env, error, "syscall", sc);
  napi_set_named_property(env, error, "errno", errnum);
  if (path) {
    napi_value p;
    napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &p);
    napi_set_named_property(env, error, "path", p);
  }
  napi_throw(env, error);
  return NULL;
}

/* Reads argument i as a UTF-8 string into buf; returns 0 and throws on failure. */
static int get_string(napi_env env, napi_value v, char *buf, size_t len) {
  size_t out;
  if (napi_get_value_string_utf8(env, v, buf, len, &out) != napi_ok) {
    napi_throw_type_error(env, NULL, "expected a string");
    return 0;
  }
  if (out >= len - 1) {
    napi_throw_range_error(env, NULL, "string too long");
    return 0;
  }
  return 1;
}

/*
 * Reads a path argument into buf: a string (as UTF-8) or a Buffer (its bytes as they are, for names that
 * are not UTF-8); returns 0 and throws on failure.
 */
static int get_path(napi_env env, napi_value v, char *buf, size_t len) {
  bool is_buffer = false;
  napi_is_buffer(env, v, &is_buffer);
  if (!is_buffer) return get_string(env, v, buf, len);
  void *data;
  size_t n;
  napi_get_buffer_info(env, v, &data, &n);
  if (n >= len) {
    napi_throw_range_error(env, NULL, "path too long");
    return 0;
  }
  if (memchr(data, 0, n) != NULL) {
    napi_throw_type_error(env, NULL, "path contains a NUL byte");
    return 0;
  }
  memcpy(buf, data, n);
  buf[n] = 0;
  return 1;
}

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < want) {
    napi_throw_type_error(env, NULL, "missing arguments");
    return 0;
  }
  return 1;
}

static napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

/* mknod(path, mode, major, minor) */
static napi_value js_mknod(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  char path[PATH_BUF];
  uint32_t mode, maj, min;
  if (!get_args(env, info, 4, argv) || !get_path(env, argv[0], path, sizeof path)) return NULL;
  napi_get_value_uint32(env, argv[1], &mode);
  napi_get_value_uint32(env, argv[2], &maj);
  napi_get_value_uint32(env, argv[3], &min);
  if (mknod(path, (mode_t)mode, makedev(maj, min)) != 0) return throw_errno(env, errno, "mknod", path);
  return undefined(env);
}

/* lsetxattr(path, name, value: Buffer) */
static napi_value js_lsetxattr(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  char path[PATH_BUF], name[256];
  void *data;
  size_t len;
  if (!get_args(env, info, 3, argv) || !get_path(env, argv[0], path, sizeof path) ||
      !get_string(env, argv[1], name, sizeof name))
    return NULL;
  if (napi_get_buffer_info(env, argv[2], &data, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "value must be a Buffer");
    return NULL;
  }
  if (lsetxattr(path, name, data, len, 0) != 0) return throw_errno(env, errno, "lsetxattr", path);
  return undefined(env);
}

/*
 * Reads an xattr (name != NULL) or the list of names (name == NULL) into a buffer of its own, sized by
 * asking first: no state outlives the call, as worker threads call in at the same time. Returns the
 * length and sets *out (free it), or -1 with errno set.
 */
static ssize_t read_xattr(const char *path, const char *name, char **out) {
  for (int attempt = 0; attempt < 8; attempt++) {
    ssize_t size = name ? lgetxattr(path, name, NULL, 0) : llistxattr(path, NULL, 0);
    if (size < 0) return -1;
    char *buf = malloc(size > 0 ? (size_t)size : 1);
    if (buf == NULL) {
      errno = ENOMEM;
      return -1;
    }
    ssize_t n = name ? lgetxattr(path, name, buf, (size_t)size) : llistxattr(path, buf, (size_t)size);
    if (n >= 0) {
      *out = buf;
      return n;
    }
    free(buf);
    if (errno != ERANGE) return -1; /* ERANGE: it grew between the two calls; ask again */
  }
  errno = ERANGE;
  return -1;
}

/* lgetxattr(path, name) -> Buffer | null (null when the attribute is absent or unsupported) */
static napi_value js_lgetxattr(napi_env env, napi_callback_info info) {
  napi_value argv[2], result;
  char path[PATH_BUF], name[256];
  char *buf;
  if (!get_args(env, info, 2, argv) || !get_path(env, argv[0], path, sizeof path) ||
      !get_string(env, argv[1], name, sizeof name))
    return NULL;
  ssize_t n = read_xattr(path, name, &buf);
  if (n < 0) {
    if (errno == ENODATA || errno == ENOTSUP) {
      napi_get_null(env, &result);
      return result;
    }
    return throw_errno(env, errno, "lgetxattr", path);
  }
  void *copy;
  napi_create_buffer_copy(env, (size_t)n, buf, &copy, &result);
  free(buf);
  return result;
}

/* llistxattr(path) -> string[] */
static napi_value js_llistxattr(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  char path[PATH_BUF];
  char *buf;
  if (!get_args(env, info, 1, argv) || !get_path(env, argv[0], path, sizeof path)) return NULL;
  napi_create_array(env, &result);
  ssize_t n = read_xattr(path, NULL, &buf);
  if (n < 0) {
    if (errno == ENOTSUP) return result;
    return throw_errno(env, errno, "llistxattr", path);
  }
  uint32_t i = 0;
  for (ssize_t off = 0; off < n;) {
    size_t l = strnlen(buf + off, (size_t)(n - off));
    napi_value s;
    napi_create_string_utf8(env, buf + off, l, &s);
    napi_set_element(env, result, i++, s);
    off += (ssize_t)l + 1;
  }
  free(buf);
  return result;
}

/* mount(source, target, fstype, flags, data) */
static napi_value js_mount(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  char source[PATH_BUF], target[PATH_BUF], fstype[64], data[PATH_BUF * 4];
  uint32_t flags;
  if (!get_args(env, info, 5, argv) || !get_string(env, argv[0], source, sizeof source) ||
      !get_string(env, argv[1], target, sizeof target) || !get_string(env, argv[2], fstype, sizeof fstype) ||
      !get_string(env, argv[4], data, sizeof data))
    return NULL;
  napi_get_value_uint32(env, argv[3], &flags);
  if (mount(source, target, fstype, flags, data[0] ? data : NULL) != 0) return throw_errno(env, errno, "mount", target);
  return undefined(env);
}

/* umount2(target, flags) */
static napi_value js_umount2(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  char target[PATH_BUF];
  uint32_t flags;
  if (!get_args(env, info, 2, argv) || !get_string(env, argv[0], target, sizeof target)) return NULL;
  napi_get_value_uint32(env, argv[1], &flags);
  if (umount2(target, (int)flags) != 0) return throw_errno(env, errno, "umount2", target);
  return undefined(env);
}

/* lutimens(path, atimeSec, atimeNsec, mtimeSec, mtimeNsec): exact times, never following a symlink. */
static napi_value js_lutimens(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  char path[PATH_BUF];
  int64_t as, an, ms, mn;
  if (!get_args(env, info, 5, argv) || !get_path(env, argv[0], path, sizeof path)) return NULL;
  napi_get_value_int64(env, argv[1], &as);
  napi_get_value_int64(env, argv[2], &an);
  napi_get_value_int64(env, argv[3], &ms);
  napi_get_value_int64(env, argv[4], &mn);
  struct timespec ts[2] = {{.tv_sec = as, .tv_nsec = an}, {.tv_sec = ms, .tv_nsec = mn}};
  if (utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) != 0) return throw_errno(env, errno, "utimensat", path);
  return undefined(env);
}

/* ficlone(destFd, srcFd): share the source's extents with the destination (reflink). */
static napi_value js_ficlone(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t dst, src;
  if (!get_args(env, info, 2, argv)) return NULL;
  napi_get_value_int32(env, argv[0], &dst);
  napi_get_value_int32(env, argv[1], &src);
  if (ioctl(dst, FICLONE, src) != 0) return throw_errno(env, errno, "ioctl(FICLONE)", NULL);
  return undefined(env);
}

/* willneed(fd): start reading the whole file into the page cache, without waiting for it. */
static napi_value js_willneed(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!get_args(env, info, 1, argv)) return NULL;
  napi_get_value_int32(env, argv[0], &fd);
  int err = posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
  if (err != 0) return throw_errno(env, err, "posix_fadvise", NULL);
  return undefined(env);
}

/* markTopDir(path) -> boolean: set the inode flag FS_TOPDIR_FL (`chattr +T`) on a directory, so the filesystem's
 * allocator (ext2/3/4's Orlov) treats each directory made in it as the top of a hierarchy of its own and spreads them
 * over its block groups, instead of packing each new one next to its siblings' inodes. A store's snapshots are such
 * hierarchies. False where the filesystem has no such flag or refuses to set it (the ioctl's error): it is a
 * placement hint, nothing depends on it. */
static napi_value js_mark_top_dir(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  char path[PATH_BUF];
  if (!get_args(env, info, 1, argv) || !get_path(env, argv[0], path, sizeof path)) return NULL;
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "open", path);
  int flags = 0, err = 0;
  if (ioctl(fd, FS_IOC_GETFLAGS, &flags) != 0) err = errno;
  else if (!(flags & FS_TOPDIR_FL)) {
    flags |= FS_TOPDIR_FL;
    if (ioctl(fd, FS_IOC_SETFLAGS, &flags) != 0) err = errno;
  }
  close(fd);
  napi_get_boolean(env, err == 0, &result);
  return result;
}

/* syncfs(fd): write back everything of the filesystem that holds fd (one call for the thousands of files a
 * layer has, where an fsync each would wait for the journal thousands of times). */
static napi_value js_syncfs(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!get_args(env, info, 1, argv)) return NULL;
  napi_get_value_int32(env, argv[0], &fd);
  if (syncfs(fd) != 0) return throw_errno(env, errno, "syncfs", NULL);
  return undefined(env);
}

/* syncfsAsync's call: the descriptor, errno from the pool thread, and the promise to settle. */
typedef struct {
  int fd;
  int err;
  napi_deferred deferred;
  napi_async_work work;
} syncfs_call_t;

static void syncfs_execute(napi_env env, void *data) {
  (void)env;
  syncfs_call_t *c = data;
  c->err = syncfs(c->fd) == 0 ? 0 : errno;
}

static void syncfs_complete(napi_env env, napi_status status, void *data) {
  syncfs_call_t *c = data;
  napi_value settled = NULL;
  if (status == napi_ok && c->err == 0) {
    napi_get_undefined(env, &settled);
    napi_resolve_deferred(env, c->deferred, settled);
  } else {
    throw_errno(env, c->err ? c->err : ECANCELED, "syncfs", NULL);
    napi_get_and_clear_last_exception(env, &settled);
    napi_reject_deferred(env, c->deferred, settled);
  }
  napi_delete_async_work(env, c->work);
  free(c);
}

/* syncfsAsync(fd) -> Promise: syncfs on a thread of the runtime's pool, so the disk writes back what is
 * written so far while this thread goes on writing (the caller keeps fd open until the promise settles). */
static napi_value js_syncfs_async(napi_env env, napi_callback_info info) {
  napi_value argv[1], promise, name;
  if (!get_args(env, info, 1, argv)) return NULL;
  syncfs_call_t *c = calloc(1, sizeof *c);
  if (!c) return throw_errno(env, ENOMEM, "syncfs", NULL);
  napi_get_value_int32(env, argv[0], &c->fd);
  napi_create_string_utf8(env, "syncfs", NAPI_AUTO_LENGTH, &name);
  if (napi_create_promise(env, &c->deferred, &promise) != napi_ok ||
      napi_create_async_work(env, NULL, name, syncfs_execute, syncfs_complete, c, &c->work) != napi_ok ||
      napi_queue_async_work(env, c->work) != napi_ok) {
    free(c);
    napi_throw_error(env, NULL, "syncfs: could not queue the call");
    return NULL;
  }
  return promise;
}

/* ---- layer integrity: crc64 of file payloads, and reading a layer's files back without following links ---- */

/* crc64(crc: bigint, data: Buffer) -> bigint: the checksum continued over data (start with 0n). CRC-64 with
 * the ISO polynomial, reflected, as Go's hash/crc64 (crc64.ISO) computes it: the checksum Docker's tar-split
 * keeps for each file. ISA-L's carry-less-multiply version runs at memory speed, where a table-driven one
 * took a tenth of a pull's main thread. */
static napi_value js_crc64(napi_env env, napi_callback_info info) {
  napi_value argv[2], result;
  uint64_t crc;
  bool lossless;
  void *data;
  size_t len;
  if (!get_args(env, info, 2, argv)) return NULL;
  if (napi_get_value_bigint_uint64(env, argv[0], &crc, &lossless) != napi_ok || !lossless) {
    napi_throw_type_error(env, NULL, "crc must be a bigint in 0..2^64-1");
    return NULL;
  }
  if (napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "data must be a Buffer");
    return NULL;
  }
  napi_create_bigint_uint64(env, crc64_iso_refl(crc, data, len), &result);
  return result;
}

/* openDirBeneath(root: string, rel: string | Buffer) -> fd: an O_PATH descriptor of root/rel, walking rel
 * one component at a time with O_NOFOLLOW, so that no symlink anywhere below root is followed (ELOOP or
 * ENOTDIR instead). rel "" is root itself. */
static napi_value js_open_dir_beneath(napi_env env, napi_callback_info info) {
  napi_value argv[2], result;
  char root[PATH_BUF], rel[PATH_BUF];
  if (!get_args(env, info, 2, argv) || !get_string(env, argv[0], root, sizeof root) || !get_path(env, argv[1], rel, sizeof rel))
    return NULL;
  int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "open", root);
  for (char *part = rel, *next; part && *part; part = next) {
    next = strchr(part, '/');
    if (next) *next++ = 0;
    if (*part == 0 || strcmp(part, ".") == 0) continue;
    if (strcmp(part, "..") == 0) {
      close(fd);
      return throw_errno(env, EINVAL, "openat", rel);
    }
    int child = openat(fd, part, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int err = errno;
    close(fd);
    if (child < 0) return throw_errno(env, err, "openat", part);
    fd = child;
  }
  napi_create_int32(env, fd, &result);
  return result;
}

/* openRegularAt(dirfd, name: string | Buffer) -> fd for reading, or -1 when name is not a regular file
 * (a symlink, FIFO, device, socket or directory): it is looked at without following it, never opened
 * unless regular, opened with O_NOFOLLOW | O_NONBLOCK (a FIFO swapped in meanwhile cannot block), and
 * checked again on the descriptor. */
static napi_value js_open_regular_at(napi_env env, napi_callback_info info) {
  napi_value argv[2], result;
  char name[PATH_BUF];
  int32_t dirfd;
  struct stat before, after;
  if (!get_args(env, info, 2, argv) || !get_path(env, argv[1], name, sizeof name)) return NULL;
  napi_get_value_int32(env, argv[0], &dirfd);
  if (strchr(name, '/')) return throw_errno(env, EINVAL, "openat", name);
  int fd = -1;
  if (fstatat(dirfd, name, &before, AT_SYMLINK_NOFOLLOW) != 0) return throw_errno(env, errno, "fstatat", name);
  if (S_ISREG(before.st_mode)) {
    fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return throw_errno(env, errno, "openat", name);
    if (fstat(fd, &after) != 0) {
      int err = errno;
      close(fd);
      return throw_errno(env, err, "fstat", name);
    }
    if (!S_ISREG(after.st_mode)) {
      close(fd);
      fd = -1;
    }
  }
  napi_create_int32(env, fd, &result);
  return result;
}

/*
 * Operation locks and unnamed output files (engine/lock.ts, cli/outfile.ts).
 * flock(fd, op) -> boolean: false only when LOCK_NB was asked and another open file holds the lock.
 */
static napi_value js_flock(napi_env env, napi_callback_info info) {
  napi_value argv[2], result;
  int32_t fd, op;
  if (!get_args(env, info, 2, argv)) return NULL;
  napi_get_value_int32(env, argv[0], &fd);
  napi_get_value_int32(env, argv[1], &op);
  int taken = 1;
  while (flock(fd, op) != 0) {
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK) return throw_errno(env, errno, "flock", NULL);
    taken = 0;
    break;
  }
  napi_get_boolean(env, taken, &result);
  return result;
}

/* openTmpfile(dir, mode) -> fd: an unnamed regular file in dir (O_TMPFILE), gone if never linked. */
static napi_value js_open_tmpfile(napi_env env, napi_callback_info info) {
  napi_value argv[2], result;
  char dir[PATH_BUF];
  uint32_t mode;
  if (!get_args(env, info, 2, argv) || !get_string(env, argv[0], dir, sizeof dir)) return NULL;
  napi_get_value_uint32(env, argv[1], &mode);
  int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, (mode_t)mode);
  if (fd < 0) return throw_errno(env, errno, "open(O_TMPFILE)", dir);
  napi_create_int32(env, fd, &result);
  return result;
}

/* linkFd(fd, path): give the open file (an O_TMPFILE one) the name path; EEXIST if path exists. */
static napi_value js_link_fd(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  char path[PATH_BUF], proc[64];
  int32_t fd;
  if (!get_args(env, info, 2, argv) || !get_string(env, argv[1], path, sizeof path)) return NULL;
  napi_get_value_int32(env, argv[0], &fd);
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  if (linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) != 0) return throw_errno(env, errno, "linkat", path);
  return undefined(env);
}

/*
 * seqpacketConnect(path) -> fd: a unix SOCK_SEQPACKET socket connected to path (conmon's attach socket;
 * the runtime's net speaks SOCK_STREAM only). path must fit sun_path; the caller shortens longer ones.
 */
static napi_value js_seqpacket_connect(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (!get_args(env, info, 1, argv) || !get_string(env, argv[0], addr.sun_path, sizeof addr.sun_path)) return NULL;
  int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket", addr.sun_path);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "connect", addr.sun_path);
  }
  napi_create_int32(env, fd, &result);
  return result;
}

/* shutdown(fd, how): shutdown(2) of a socket (SHUT_WR: the peer reads end of stream). */
static napi_value js_shutdown(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t fd, how;
  if (!get_args(env, info, 2, argv)) return NULL;
  napi_get_value_int32(env, argv[0], &fd);
  napi_get_value_int32(env, argv[1], &how);
  if (shutdown(fd, how) != 0) return throw_errno(env, errno, "shutdown", NULL);
  return undefined(env);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"mknod", NULL, js_mknod, NULL, NULL, NULL, napi_enumerable, NULL},
    {"lsetxattr", NULL, js_lsetxattr, NULL, NULL, NULL, napi_enumerable, NULL},
    {"lgetxattr", NULL, js_lgetxattr, NULL, NULL, NULL, napi_enumerable, NULL},
    {"llistxattr", NULL, js_llistxattr, NULL, NULL, NULL, napi_enumerable, NULL},
    {"mount", NULL, js_mount, NULL, NULL, NULL, napi_enumerable, NULL},
    {"umount2", NULL, js_umount2, NULL, NULL, NULL, napi_enumerable, NULL},
    {"ficlone", NULL, js_ficlone, NULL, NULL, NULL, napi_enumerable, NULL},
    {"lutimens", NULL, js_lutimens, NULL, NULL, NULL, napi_enumerable, NULL},
    {"willneed", NULL, js_willneed, NULL, NULL, NULL, napi_enumerable, NULL},
    {"markTopDir", NULL, js_mark_top_dir, NULL, NULL, NULL, napi_enumerable, NULL},
    {"syncfs", NULL, js_syncfs, NULL, NULL, NULL, napi_enumerable, NULL},
    {"syncfsAsync", NULL, js_syncfs_async, NULL, NULL, NULL, napi_enumerable, NULL},
    {"crc64", NULL, js_crc64, NULL, NULL, NULL, napi_enumerable, NULL},
    {"openDirBeneath", NULL, js_open_dir_beneath, NULL, NULL, NULL, napi_enumerable, NULL},
    {"openRegularAt", NULL, js_open_regular_at, NULL, NULL, NULL, napi_enumerable, NULL},
    {"flock", NULL, js_flock, NULL, NULL, NULL, napi_enumerable, NULL},
    {"openTmpfile", NULL, js_open_tmpfile, NULL, NULL, NULL, napi_enumerable, NULL},
    {"linkFd", NULL, js_link_fd, NULL, NULL, NULL, napi_enumerable, NULL},
    {"seqpacketConnect", NULL, js_seqpacket_connect, NULL, NULL, NULL, napi_enumerable, NULL},
    {"shutdown", NULL, js_shutdown, NULL, NULL, NULL, napi_enumerable, NULL},
    {"gunzipNew", NULL, js_gunzip_new, NULL, NULL, NULL, napi_enumerable, NULL},
    {"gunzip", NULL, js_gunzip, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
